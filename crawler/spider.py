"""The Scrapy spider: from start URLs, sitemaps and feeds to stored articles.

Scrapy reads each host's robots.txt before the first request to it; the
spider takes the Crawl-delay and the sitemaps from there. A start URL may be
a page, a sitemap (index, Google News) or an RSS/Atom feed: the response
tells which. Article pages are normalised (``page``), joined when split over
pages, and stored with their raw HTML; other pages are only read for links,
down to ``max_depth``.

No article is lost to the order of discovery: a page read for links only and
then listed by a sitemap or feed is judged again as an article from its stored
copy (Scrapy's duplicate filter would drop a second request for it), and a
page that arrives after a sitemap or feed listed it is judged as listed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.linkextractors import IGNORED_EXTENSIONS
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip

from .dates import date_from_url, parse_date
from .feeds import Entry, looks_like_feed, looks_like_sitemap, parse_feed, parse_sitemap
from .html_normaliser import (
    ParsedPage,
    article_id_for,
    decode_html,
    join_parts,
    page_article,
    parse_page,
)
from .middlewares import WITHDRAWN, StoreCacheMiddleware
from .store import FetchRecord, RawPage, Store
from .urls import canonical_url, host_allowed, host_of

MAX_PARTS = 20
_IGNORED = tuple(f".{ext}" for ext in IGNORED_EXTENSIONS)


@dataclass
class CrawlOptions:
    """What to crawl and how politely; the CLI fills it in."""

    start_urls: list[str]
    allowed_domains: list[str] = field(default_factory=list)
    max_pages: int | None = None
    max_depth: int = 2
    since: date | None = None
    article_pattern: str | None = None
    delay: float = 1.0
    contact_url: str | None = None
    allow_private: bool = False
    refresh: bool = False
    use_sitemaps: bool = True
    timeout: float = 30.0
    retries: int = 2
    max_size: int = 5 * 1024 * 1024
    max_retry_after: float = 300.0


@dataclass
class CrawlReport:
    """Counts of what a crawl did; ``articles`` counts added/updated/unchanged/replaced
    (``Store.upsert``'s outcomes).

    ``link_only`` counts HTML pages read for links only (not articles);
    ``not_articles`` the pages a sitemap or feed listed that gave no article;
    ``reconsidered`` the pages judged again as articles from their stored copy;
    ``added_ids`` the ids of the articles added; ``closed`` Scrapy's reason
    for closing the spider ("finished", "shutdown" after a signal, ...).
    """

    fetched: int = 0
    from_store: int = 0
    link_only: int = 0
    not_articles: int = 0
    reconsidered: int = 0
    articles: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    added_ids: list[str] = field(default_factory=list)
    stopped: str | None = None
    closed: str | None = None

    @property
    def stored(self) -> int:
        return self.articles["added"] + self.articles["updated"] + self.articles["replaced"]


def failure_reason(failure) -> str:
    """A short sentence for why a request failed."""
    error = failure.value
    if failure.check(HttpError):
        return f"HTTP {error.response.status}"
    if failure.check(IgnoreRequest):
        text = str(error) or "ignored"
        return "disallowed by robots.txt" if "robots.txt" in text else text
    text = str(error)
    if "max size" in text:
        return "larger than the response size cap"
    name = type(error).__name__
    if "Timeout" in name:
        return "timed out"
    return f"{name}: {text}"[:200] if text else name


class NewsSpider(scrapy.Spider):
    """Crawl news sites politely into the article store."""

    name = "warta"

    def __init__(
        self,
        options: CrawlOptions,
        store: Store,
        report: CrawlReport,
        progress: Callable[[CrawlReport], None] | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.options = options
        self.store = store
        self.report = report
        self.progress = progress or (lambda report: None)
        self.allowed_hosts = {d.lower() for d in options.allowed_domains}
        self.crawl_delays: dict[str, float] = {}
        self.article_pattern = (
            re.compile(options.article_pattern) if options.article_pattern else None
        )
        self.pages_fetched = 0
        # Canonical URLs a sitemap or feed listed, and pages read for links only, this crawl.
        self.listed: set[str] = set()
        self.read_for_links: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.callback_failed, signal=signals.spider_error)
        crawler.signals.connect(spider.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(spider.closed_with, signal=signals.spider_closed)
        return spider

    def closed_with(self, spider, reason: str) -> None:
        """Remember why the crawl ended ("finished", or "shutdown" after SIGTERM/Ctrl-C)."""
        self.report.closed = reason

    def callback_failed(self, failure, response, spider=None) -> None:
        """A bug of ours while reading a page: count it, keep crawling."""
        self._record(
            response.url,
            response.meta.get("warta_kind", "page"),
            "error",
            f"could not read the page ({failure.getErrorMessage()})",
            response,
        )

    # -- starting -------------------------------------------------------------

    async def start(self):
        """The start URLs; Scrapy fetches each host's robots.txt before the first of them."""
        for url in self.options.start_urls:
            yield self._request(url, "start", depth=0)

    def robots_parsed(self, robotparser, request: Request) -> None:
        """Take the host's Crawl-delay and sitemaps from the robots.txt Scrapy just read."""
        rules = getattr(robotparser, "rp", None)  # Protego, Scrapy's default parser
        if rules is None:
            return
        host = host_of(request.url)
        delay = rules.crawl_delay("Warta")
        if delay:
            self.crawl_delays[host] = float(delay)
            downloader = self.crawler.engine.downloader
            slot = downloader.slots.get(downloader.get_slot_key(request))
            if slot is not None:
                slot.delay = max(slot.delay, float(delay))
        if self.options.use_sitemaps:
            for sitemap in rules.sitemaps:
                self.crawler.engine.crawl(self._request(sitemap, "sitemap", depth=0))

    def _request(
        self, url: str, kind: str, depth: int, dont_filter: bool = False, **meta
    ) -> Request:
        return Request(
            canonical_url(url) if kind != "start" else url,
            callback=self.parse_any,
            errback=self.fetch_failed,
            dont_filter=dont_filter,
            meta={"warta_kind": kind, "warta_depth": depth, **meta},
        )

    # -- recording ------------------------------------------------------------

    def _record(
        self,
        url: str,
        kind: str,
        outcome: str,
        reason: str | None = None,
        response: Response | None = None,
        article_id: str | None = None,
        validators: tuple[str | None, str | None] | None = None,
    ) -> None:
        etag, modified = validators or _validators(response)
        self.store.record_fetch(
            FetchRecord(
                url=canonical_url(url),
                kind=kind,
                outcome=outcome,
                reason=reason,
                status=response.status if response is not None else None,
                etag=etag,
                last_modified=modified,
                article_id=article_id,
            )
        )
        if outcome == "skipped":
            self.report.skipped[reason] += 1
        elif outcome == "error":
            self.report.errors[reason] += 1
        self.progress(self.report)

    def fetch_failed(self, failure) -> Iterator[Request]:
        """Remember why a request failed; an article split over pages keeps what it has."""
        request = failure.request
        reason = failure_reason(failure)
        refused = failure.check(IgnoreRequest) and not failure.check(HttpError)
        kind = request.meta.get("warta_kind", "page")
        self._record(
            request.url,
            kind,
            "skipped" if refused else "error",
            reason,
            getattr(failure.value, "response", None),
        )
        if kind == "part":
            yield from self._finish_article(request.meta["warta_parts"], request.meta)

    # -- responses ------------------------------------------------------------

    def parse_any(self, response: Response) -> Iterator[Request]:
        """Sort a response out: sitemap, feed, or HTML page."""
        meta = response.meta
        cached = bool({"cached", "not-modified"} & set(response.flags))
        if cached:
            self.report.from_store += 1
        else:
            self.report.fetched += 1
        body = _gunzipped(response.body, self.options.max_size)
        if looks_like_sitemap(body):
            yield from self.handle_sitemap(response.replace(body=body), cached)
        elif looks_like_feed(body):
            yield from self.handle_feed(response.replace(body=body), cached)
        else:
            yield from self.handle_page(response, meta["warta_kind"], cached)

    def _keep_raw(
        self,
        response: Response,
        article_id: str | None = None,
        part: int = 0,
        encoding: str | None = None,
        url: str | None = None,
    ) -> None:
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        self.store.put_raw(
            RawPage(
                url=canonical_url(url or response.url),
                body=response.body,
                content_type=content_type,
                encoding=encoding,
                article_id=article_id,
                part=part,
            )
        )

    def handle_sitemap(self, response: Response, cached: bool) -> Iterator[Request]:
        kind, entries = parse_sitemap(response.body)
        if not cached:
            self._keep_raw(response)
        self._record(response.url, "sitemap", "followed", response=response)
        for entry in entries:
            if kind == "sitemapindex":
                if not self._older(entry):
                    yield self._request(entry.url, "sitemap", depth=0)
            else:
                yield from self._listed(entry, response.meta["warta_depth"])

    def handle_feed(self, response: Response, cached: bool) -> Iterator[Request]:
        if not cached:
            self._keep_raw(response)
        self._record(response.url, "feed", "followed", response=response)
        for entry in parse_feed(response.body, response.url):
            yield from self._listed(entry, response.meta["warta_depth"])

    def _older(self, entry: Entry) -> bool:
        since = self.options.since
        moment = entry.published or date_from_url(entry.url)
        return bool(since and moment and moment.date() < since)

    def _listed(self, entry: Entry, depth: int) -> Iterator[Request]:
        """A URL a sitemap or feed lists: an article candidate, unless too old or off-site."""
        if not host_allowed(host_of(entry.url), self.allowed_hosts):
            self._record(entry.url, "article", "skipped", "outside the allowed domains")
            return
        if self._older(entry):
            self._record(entry.url, "article", "skipped", "listed as older than --since")
            return
        url = canonical_url(entry.url)
        self.listed.add(url)
        if url in self.read_for_links:
            yield from self._reconsider(url, depth + 1)
        else:
            yield self._request(entry.url, "article", depth=depth + 1)

    def _reconsider(self, url: str, depth: int) -> Iterator[Request]:
        """Judge a page read for links only again, as a listed article, from its stored copy."""
        self.read_for_links.discard(url)
        raw = self.store.get_raw(url)
        request = self._request(url, "article", depth=depth, dont_filter=raw is None)
        if raw is None:  # its copy was not kept: fetch it once more
            yield request
            return
        self.report.link_only -= 1
        self.report.reconsidered += 1
        response = StoreCacheMiddleware.from_store(request, raw, "reconsidered")
        yield from self.handle_page(response, "article", cached=False)

    # -- HTML pages -------------------------------------------------------------

    def _is_html(self, response: Response) -> bool:
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        return "html" in content_type or (
            not content_type and b"<html" in response.body[:2048].lower()
        )

    def _decode(self, response: Response) -> tuple[str, str]:
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        match = re.search(r"charset=([\w.:-]+)", content_type, re.I)
        return decode_html(response.body, match.group(1) if match else None)

    def handle_page(self, response: Response, kind: str, cached: bool) -> Iterator[Request]:
        if not self._is_html(response):
            content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or "none"
            self._record(
                response.url, kind, "skipped", f"not HTML ({content_type.split(';')[0]})", response
            )
            return
        html, encoding = self._decode(response)
        page = parse_page(html, response.url)
        depth = response.meta.get("warta_depth", 0)
        url = canonical_url(response.url)
        if kind == "page" and url in self.listed:
            kind = "article"  # listed while its request waited in the queue
        if self._is_article(response.url, page, kind):
            yield from self.handle_article(response, page, encoding, cached)
            # Its further pages belong to it, not to the link queue.
            page.links = [u for u in page.links if u not in (page.next_page, page.show_all)]
        else:
            self._record(response.url, kind, "followed", response=response)
            self.report.link_only += 1
            if kind == "article":
                self.report.not_articles += 1
            else:
                self.read_for_links.add(url)
            if not cached:
                self._keep_raw(response, encoding=encoding)
        yield from self._follow(page, depth)

    def _is_article(self, url: str, page: ParsedPage, kind: str) -> bool:
        """Matches --article-pattern if given; else looks like one, or was listed as one."""
        if self.article_pattern is not None:
            return bool(self.article_pattern.search(url)) and bool(page.paragraphs)
        listed = kind == "article" and len(page.body.split()) >= 20
        return page.is_article or listed

    def _follow(self, page: ParsedPage, depth: int) -> Iterator[Request]:
        """Requests for the page's links on allowed hosts, while above --max-depth."""
        if depth >= self.options.max_depth:
            return
        for link in page.links:
            if not link.startswith(("http://", "https://")):
                continue
            if not host_allowed(host_of(link), self.allowed_hosts):
                continue
            if link.split("?", 1)[0].lower().endswith(_IGNORED):
                continue
            if self._older(Entry(link)):
                continue  # its URL dates it before --since
            kind = (
                "article" if self.article_pattern and self.article_pattern.search(link) else "page"
            )
            yield self._request(link, kind, depth=depth + 1)

    def _article_url(self, response: Response, page: ParsedPage) -> str:
        if page.canonical and host_allowed(host_of(page.canonical), self.allowed_hosts):
            return canonical_url(page.canonical)
        return canonical_url(response.url)

    def handle_article(
        self, response: Response, page: ParsedPage, encoding: str, cached: bool
    ) -> Iterator[Request]:
        url = self._article_url(response, page)
        article_id = article_id_for(url)
        if self.store.is_withdrawn(url):  # reached under another URL (its canonical is withdrawn)
            self._record(response.url, "article", "skipped", WITHDRAWN, response)
            return
        if cached and self.store.has_article(article_id):
            self._record(
                response.url, "article", "unchanged", response=response, article_id=article_id
            )
            return
        self._keep_raw(response, article_id, 0, encoding)
        meta = {
            "warta_article_url": url,
            "warta_first_url": response.url,
            "warta_validators": _validators(response),
        }
        if page.show_all and canonical_url(page.show_all) != canonical_url(response.url):
            yield self._part_request(page.show_all, [page], meta, show_all=True)
        elif page.next_page and host_allowed(host_of(page.next_page), self.allowed_hosts):
            yield self._part_request(page.next_page, [page], meta)
        else:
            yield from self._finish_article([page], meta)

    def _part_request(
        self, url: str, parts: list[ParsedPage], meta: dict, show_all: bool = False
    ) -> Request:
        # Not filtered as a duplicate: a link from the page may have asked for it already.
        keep = {k: meta[k] for k in ("warta_article_url", "warta_first_url", "warta_validators")}
        request = self._request(url, "part", depth=MAX_PARTS, dont_filter=True, **keep)
        request.callback = self.parse_part
        request.meta.update(warta_parts=parts, warta_show_all=show_all)
        return request

    def parse_part(self, response: Response) -> Iterator[Request]:
        """A further page of an article (or its show-all page): join it, then go on."""
        meta = response.meta
        parts: list[ParsedPage] = meta["warta_parts"]
        if "cached" not in response.flags:
            self.report.fetched += 1
        if not self._is_html(response):
            yield from self._finish_article(parts, meta)
            return
        html, encoding = self._decode(response)
        page = parse_page(html, response.url)
        article_id = article_id_for(meta["warta_article_url"])
        if meta.get("warta_show_all") and len(page.body) >= len(parts[0].body):
            # Kept as part 1: the first page gives the metadata, the show-all page the rest.
            self._keep_raw(response, article_id, 1, encoding)
            self._record(response.url, "part", "followed", response=response, article_id=article_id)
            parts = [parts[0], page]
        elif not meta.get("warta_show_all"):
            self._keep_raw(response, article_id, len(parts), encoding)
            self._record(response.url, "part", "followed", response=response, article_id=article_id)
            parts = [*parts, page]
            seen = {canonical_url(p.url or "") for p in parts}
            nxt = page.next_page
            if nxt and canonical_url(nxt) not in seen and len(parts) < MAX_PARTS:
                yield self._part_request(nxt, parts, meta)
                return
        yield from self._finish_article(parts, meta)

    def _finish_article(self, parts: list[ParsedPage], meta: dict) -> Iterator[Request]:
        """Store the article the parts make, unless it is older than --since."""
        url = meta["warta_article_url"]
        article = page_article(join_parts(parts), article_id_for(url))
        article = replace(article, url=url)
        published = parse_date(article.published) if article.published else None
        if self.options.since and published and published.date() < self.options.since:
            self._record(url, "article", "skipped", "published before --since")
            return
        if not article.body or not article.title:
            self._record(url, "article", "skipped", "no article text found")
            self.report.not_articles += 1
            return
        outcome = self.store.upsert(article, lift_withdrawal=False)
        if outcome == "withdrawn":  # deleted (`warta delete`) while its pages were fetched
            self._record(url, "article", "skipped", WITHDRAWN)
            return
        self.report.articles[outcome] += 1
        if outcome == "added":
            self.report.added_ids.append(article.id)
        done = "stored" if outcome != "unchanged" else "unchanged"
        for where in dict.fromkeys([url, canonical_url(meta["warta_first_url"])]):
            self._record(
                where, "article", done, article_id=article.id, validators=meta["warta_validators"]
            )
        yield from ()


def _gunzipped(body: bytes, max_size: int) -> bytes:
    """The body, unpacked if it is a gzip file (sitemap.xml.gz); as it is otherwise."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    try:
        return gunzip(body, max_size=max_size)
    except (OSError, ValueError):
        return body


def _validators(response: Response | None) -> tuple[str | None, str | None]:
    """The ETag and Last-Modified of a response, for the next conditional GET."""
    if response is None:
        return None, None
    etag = response.headers.get(b"ETag")
    modified = response.headers.get(b"Last-Modified")
    return (
        etag.decode("latin-1") if etag else None,
        modified.decode("latin-1") if modified else None,
    )
