"""``warta sources check``: fetch a source's robots.txt and start URLs once, say what answers.

Each answer is sorted out as the crawler would: an RSS/Atom feed (how many
entries), a sitemap or sitemap index (how many URLs), an article page, or a
page to read for links. The same rules as a crawl apply: http(s) only, the
source's domains only (redirects included), no private addresses unless the
source allows them, the crawl's User-Agent, and its delay between requests to
one host.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from urllib.parse import urljoin

from protego import Protego

from .feeds import looks_like_feed, looks_like_sitemap, parse_feed, parse_sitemap
from .html_normaliser import decode_html, parse_page
from .spider import CrawlOptions
from .urls import UrlRefused, check_url, host_of


@dataclass(frozen=True)
class Answer:
    """What one URL answered. ``what`` describes the content; ``error`` why there is none."""

    url: str
    status: int | None = None
    content_type: str | None = None
    what: str | None = None
    error: str | None = None
    robots_allowed: bool | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300

    def line(self) -> str:
        """One line for the terminal."""
        head = f"{self.url}: "
        if self.status is not None:
            head += f"HTTP {self.status}"
            if self.content_type:
                head += f" {self.content_type}"
        parts = [head.rstrip(": ")]
        if self.what:
            parts.append(self.what)
        if self.error:
            parts.append(self.error)
        if self.robots_allowed is False:
            parts.append("robots.txt disallows it for Warta")
        return " - ".join(parts)


class _Guard(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only where the crawl itself could go."""

    def __init__(self, options: CrawlOptions):
        self.options = options

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        check_url(newurl, set(self.options.allowed_domains), self.options.allow_private)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, options: CrawlOptions, user_agent: str) -> tuple[Answer, bytes]:
    """GET ``url`` once as the crawler would; the answer and up to --max-size bytes."""
    try:
        check_url(url, set(options.allowed_domains), options.allow_private)
    except UrlRefused as e:
        return Answer(url, error=f"refused: {e}"), b""
    opener = urllib.request.build_opener(_Guard(options))
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    try:
        with opener.open(request, timeout=options.timeout) as response:
            body = response.read(options.max_size + 1)
            status, content_type = response.status, response.headers.get("Content-Type")
    except urllib.error.HTTPError as e:
        return Answer(url, e.code, e.headers.get("Content-Type"), error=f"HTTP {e.code}"), b""
    except UrlRefused as e:
        return Answer(url, error=f"redirect refused: {e}"), b""
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        return Answer(url, error=f"no answer: {reason}"), b""
    if len(body) > options.max_size:
        return Answer(url, status, content_type, error="larger than the response size cap"), b""
    return Answer(url, status, (content_type or "").split(";")[0] or None), body


def describe(body: bytes, url: str, content_type: str | None) -> str:
    """What a body is, as the crawler would read it."""
    if looks_like_sitemap(body):
        kind, entries = parse_sitemap(body)
        what = "sitemap index" if kind == "sitemapindex" else "sitemap"
        return f"{what}, {len(entries)} URLs"
    if looks_like_feed(body):
        return f"RSS/Atom feed, {len(parse_feed(body, url))} entries"
    if "html" not in (content_type or "html") and b"<html" not in body[:2048].lower():
        return f"not HTML ({content_type or 'no content type'}): the crawler skips it"
    page = parse_page(decode_html(body)[0], url)
    if page.is_article:
        return f"article page: {page.title[:80]!r}, {len(page.body.split())} words"
    return f"page read for links, {len(page.links)} links"


def check_source(options: CrawlOptions, user_agent: str) -> tuple[list[Answer], list[Answer]]:
    """robots.txt of each host, then each start URL: fetched once each, politely spaced."""
    last_request: dict[str, float] = {}
    robots: dict[str, Protego | None] = {}
    robot_answers = []

    def polite_fetch(url: str) -> tuple[Answer, bytes]:
        host = host_of(url)
        wait = last_request.get(host, -1e9) + options.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        got = fetch(url, options, user_agent)
        last_request[host] = time.monotonic()
        return got

    for url in options.start_urls:
        root = urljoin(url, "/")
        if root in robots:
            continue
        answer, body = polite_fetch(urljoin(root, "/robots.txt"))
        rules = Protego.parse(body.decode("utf-8", "replace")) if answer.ok else None
        robots[root] = rules
        sitemaps = list(rules.sitemaps) if rules else []
        what = f"{len(sitemaps)} sitemaps listed" if answer.ok else None
        if not answer.ok and answer.status == 404:
            answer, what = Answer(answer.url, 404), "none: everything is allowed"
        robot_answers.append(replace(answer, what=what))
    starts = []
    for url in options.start_urls:
        rules = robots.get(urljoin(url, "/"))
        allowed = rules.can_fetch(url, user_agent) if rules else None
        answer, body = polite_fetch(url)
        if answer.ok:
            answer = Answer(
                url, answer.status, answer.content_type, describe(body, url, answer.content_type)
            )
        starts.append(replace(answer, robots_allowed=allowed))
    return robot_answers, starts
