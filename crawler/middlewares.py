"""Scrapy downloader middlewares: the crawler's rules for every request.

- ``GuardMiddleware``: only http(s), only the allowed domains (redirects
  included), no loopback or private addresses unless allowed, no URL of an
  article withdrawn from the archive (``warta delete``).
- ``PageBudgetMiddleware``: no network fetch of a page beyond --max-pages.
- ``CrawlDelayMiddleware``: robots.txt Crawl-delay as the host's minimum delay.
- ``RetryAfterMiddleware``: Scrapy's retries, waiting as long as a 429 or 503
  response's Retry-After asks.
- ``LoopRedirectMiddleware``: Scrapy's redirects, refusing redirect loops.
- ``PoliteThrottle`` (an extension): AutoThrottle that keeps the Crawl-delay.
- ``StoreCacheMiddleware``: known pages come from the store; other pages are
  fetched with conditional GET and a 304 is answered from the store.

Each reads the spider's options through the crawler (``crawler.spider``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import HtmlResponse, Request, Response

from .urls import UrlRefused, canonical_url, check_url, host_of


class _CrawlerAware:
    """A middleware that keeps its crawler, to reach the spider and the downloader."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def spider(self):
        return self.crawler.spider

    def slot_of(self, request: Request):
        """The downloader slot (per host queue) a request goes through, if it exists yet."""
        downloader = self.crawler.engine.downloader
        return downloader.slots.get(downloader.get_slot_key(request))


# The skip reason (crawl summary, fetch records) of a URL `warta delete` withdrew.
WITHDRAWN = "withdrawn from the archive"


class GuardMiddleware(_CrawlerAware):
    """Refuse requests the crawl must not make, with the reason as a sentence."""

    def process_request(self, request: Request) -> None:
        spider = self.spider
        try:
            check_url(request.url, spider.allowed_hosts, spider.options.allow_private)
        except UrlRefused as e:
            raise IgnoreRequest(str(e)) from e
        if spider.store.is_withdrawn(canonical_url(request.url)):
            raise IgnoreRequest(WITHDRAWN)


class PageBudgetMiddleware(_CrawlerAware):
    """Fetch at most --max-pages pages from the network; the rest are skipped, not lost."""

    def process_request(self, request: Request) -> None:
        spider = self.spider
        limit = spider.options.max_pages
        if not limit or request.meta.get("warta_kind") in ("robots", "sitemap"):
            return
        if spider.pages_fetched >= limit:
            spider.report.stopped = f"reached --max-pages {limit}"
            raise IgnoreRequest(f"beyond --max-pages {limit}")
        spider.pages_fetched += 1


class CrawlDelayMiddleware(_CrawlerAware):
    """Keep each host's delay at least at its robots.txt Crawl-delay."""

    def process_request(self, request: Request) -> None:
        delay = self.spider.crawl_delays.get(host_of(request.url))
        slot = self.slot_of(request)
        if delay and slot is not None and slot.delay < delay:
            slot.delay = delay


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks to wait (a number or an HTTP date)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware, _CrawlerAware):
    """Retries as Scrapy does; on 429/503 the host waits what Retry-After says."""

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status in (429, 503):
            wait = retry_after_seconds(response.headers.get(b"Retry-After"))
            slot = self.slot_of(request)
            if wait is not None and slot is not None:
                slot.delay = max(slot.delay, min(wait, self.spider.options.max_retry_after))
        return super().process_response(request, response)


class LoopRedirectMiddleware(RedirectMiddleware):
    """Redirects as Scrapy does, but a redirect back to a URL already visited is refused."""

    def _redirect(self, redirected: Request, request: Request, reason):
        # _redirect is where Scrapy builds every redirect; the loop check belongs there.
        visited = {canonical_url(u) for u in [*request.meta.get("redirect_urls", []), request.url]}
        if canonical_url(redirected.url) in visited:
            raise IgnoreRequest(f"redirect loop back to {redirected.url}")
        return super()._redirect(redirected, request, reason)


class StoreCacheMiddleware(_CrawlerAware):
    """Answer known pages from the store and ask the server only what changed."""

    def process_request(self, request: Request) -> Response | None:
        spider = self.spider
        url = canonical_url(request.url)
        record = spider.store.fetch_record(url)
        if record is None or request.meta.get("warta_kind") in ("robots", "sitemap_fresh"):
            return None
        raw = spider.store.get_raw(url)
        if raw is None:
            return None
        known = record.kind == "article" and record.outcome in ("stored", "unchanged")
        if known and not spider.options.refresh:
            return self.from_store(request, raw, "cached")
        if record.etag:
            request.headers[b"If-None-Match"] = record.etag
        if record.last_modified:
            request.headers[b"If-Modified-Since"] = record.last_modified
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status != 304:
            return response
        raw = self.spider.store.get_raw(canonical_url(request.url))
        if raw is None:
            return response
        return self.from_store(request, raw, "not-modified")

    @staticmethod
    def from_store(request: Request, raw, flag: str) -> Response:
        """A response to ``request`` made from a stored page, flagged ``flag``."""
        headers = {b"Content-Type": (raw.content_type or "text/html").encode("latin-1")}
        cls = HtmlResponse if "html" in (raw.content_type or "html") else Response
        kwargs = {"encoding": raw.encoding or "utf-8"} if cls is HtmlResponse else {}
        return cls(
            request.url,
            status=200,
            headers=headers,
            body=raw.body,
            request=request,
            flags=[flag],
            **kwargs,
        )


class PoliteThrottle(AutoThrottle):
    """Scrapy's AutoThrottle, never going below a host's robots.txt Crawl-delay."""

    def _adjust_delay(self, slot, latency: float, response: Response) -> None:
        super()._adjust_delay(slot, latency, response)
        floor = self.crawler.spider.crawl_delays.get(host_of(response.url))
        if floor and slot.delay < floor:
            slot.delay = floor
