"""Run a crawl: Scrapy settings from the options, then one CrawlerProcess.

Twisted's reactor starts once per process, so ``run_crawl`` (or
``run_crawls``, several sources at once) can run once per process too; the
CLI calls it once, ``warta watch`` runs each round as a ``warta crawl``
child process, and tests run ``warta crawl`` in a subprocess. Reparsing
(``reparse``) needs no network and runs anywhere.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version

from .html_normaliser import decode_html, join_parts, page_article, parse_page
from .spider import CrawlOptions, CrawlReport, NewsSpider
from .store import Store
from .urls import host_of

_MW = "crawler.middlewares."


def user_agent(contact_url: str | None) -> str:
    """The User-Agent: names Warta, its version and where to reach whoever runs it."""
    try:
        release = version("warta")
    except PackageNotFoundError:
        release = "dev"
    contact = f"+{contact_url}; " if contact_url else ""
    return f"Warta/{release} ({contact}news archive search)"


def crawl_settings(options: CrawlOptions, verbose: bool = False) -> dict:
    """Scrapy settings for a polite crawl with these options."""
    return {
        "BOT_NAME": "warta",
        "USER_AGENT": user_agent(options.contact_url),
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_DELAY": options.delay,
        # A fixed delay: a random 0.5x-1.5x would undercut the minimum.
        "DOWNLOAD_DELAY_JITTER": 0,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": max(options.delay, 0.0),
        "AUTOTHROTTLE_MAX_DELAY": max(60.0, options.delay),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": options.retries,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "DOWNLOAD_TIMEOUT": options.timeout,
        "DOWNLOAD_MAXSIZE": options.max_size,
        "DOWNLOAD_WARNSIZE": 0,
        "REDIRECT_MAX_TIMES": 5,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_ENABLED": verbose,
        "LOG_INSTALL_ROOT_HANDLER": verbose,
        "LOG_LEVEL": "INFO" if verbose else "ERROR",
        "EXTENSIONS": {
            "scrapy.extensions.throttle.AutoThrottle": None,
            _MW + "PoliteThrottle": 0,
        },
        "DOWNLOADER_MIDDLEWARES": {
            # GuardMiddleware checks the domains (redirects too) and says why; Scrapy's
            # offsite filter would drop redirects silently at scheduling time.
            "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
            _MW + "GuardMiddleware": 40,
            _MW + "CrawlDelayMiddleware": 110,  # after robots.txt (100) is read
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            _MW + "RetryAfterMiddleware": 550,
            "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
            _MW + "LoopRedirectMiddleware": 600,
            _MW + "StoreCacheMiddleware": 950,
            _MW + "PageBudgetMiddleware": 960,
        },
    }


def default_domains(start_urls: list[str]) -> list[str]:
    """The hosts of the start URLs, without a leading www."""
    return sorted({host_of(url).removeprefix("www.") for url in start_urls if host_of(url)})


def run_crawl(
    store: Store,
    options: CrawlOptions,
    progress: Callable[[CrawlReport], None] | None = None,
    verbose: bool = False,
) -> CrawlReport:
    """Crawl as ``options`` say into ``store``; once per process (see the module docstring)."""
    report = CrawlReport()
    run_crawls(store, [(options, report)], progress, verbose)
    return report


def run_crawls(
    store: Store,
    jobs: list[tuple[CrawlOptions, CrawlReport]],
    progress: Callable[[CrawlReport], None] | None = None,
    verbose: bool = False,
) -> None:
    """Run several crawls at once (one spider each, with its own settings), filling the reports.

    Once per process, as ``run_crawl``. SIGTERM or Ctrl-C stops them
    gracefully: what was stored stays, and each report's ``closed`` says
    "shutdown".
    """
    from scrapy.crawler import Crawler, CrawlerProcess

    if not verbose:
        logging.getLogger("scrapy").setLevel(logging.ERROR)
    process = CrawlerProcess(crawl_settings(jobs[0][0], verbose))
    for number, (options, report) in enumerate(jobs):
        if not options.allowed_domains:
            options.allowed_domains = default_domains(options.start_urls)
        # Each crawl its own settings (delay, timeouts); the first installs the reactor.
        crawler = Crawler(NewsSpider, crawl_settings(options, verbose), init_reactor=number == 0)
        process.crawl(crawler, options=options, store=store, report=report, progress=progress)
    process.start()


def reparse(store: Store, progress: Callable[[int], None] | None = None) -> Counter:
    """Extract every crawled article again from its stored pages; no fetching.

    Pages kept under the id of a deleted article (``Store.delete`` of older
    versions kept them) or of a replaced one (when its successor had pages of
    its own) are skipped and counted as 'deleted': parsing them would bring
    the article back, or undo the replacement. So are pages of an article
    whose URL was withdrawn (``Store.delete``).
    """
    counts: Counter = Counter()
    for raw_pages in store.iter_raw_articles():
        if store.was_deleted(raw_pages[0].article_id):
            counts["deleted"] += 1
            continue
        parts = []
        for raw in raw_pages:
            html, _ = decode_html(raw.body, raw.encoding)
            parts.append(parse_page(html, raw.url))
        article_id = raw_pages[0].article_id
        article = page_article(join_parts(parts), article_id)
        known = store.get(article_id)
        if known is not None and known.url:
            article = replace(article, url=known.url)
        if not article.body:
            counts["empty"] += 1
            continue
        outcome = store.upsert(article, lift_withdrawal=False)
        counts["deleted" if outcome == "withdrawn" else outcome] += 1
        if progress:
            progress(1)
    return counts
