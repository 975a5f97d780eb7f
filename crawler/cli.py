"""Commands of the crawler stage: ``warta import``, ``warta crawl``, ``warta reparse``."""

from __future__ import annotations

import re
import time
from collections import Counter

import click
from tqdm import tqdm

from .article import Rejection
from .crawl import reparse, run_crawl
from .importer import find_files, read_path
from .spider import CrawlOptions, CrawlReport
from .store import Store, StoreError

BATCH = 500


def open_store(ctx: click.Context) -> Store:
    """The store of the data directory chosen on the command line."""
    try:
        return Store.open(ctx.obj["data_dir"])
    except StoreError as e:
        raise click.ClickException(str(e)) from e


def _print_summary(counts: Counter, rejections: list[Rejection]) -> None:
    click.echo(
        f"Imported: {counts['added']} added, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged, {len(rejections)} rejected."
    )
    for rejection in rejections[:50]:
        click.echo(f"  rejected {rejection.where}: {rejection.reason}", err=True)
    if len(rejections) > 50:
        click.echo(f"  ... and {len(rejections) - 50} more rejections.", err=True)


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.pass_context
def import_command(ctx: click.Context, paths: tuple[str, ...]) -> None:
    """Import articles from PATHS (files or directories).

    Plain text (.txt, one article per file, id from the file name), JSON
    Lines (.jsonl, .jsonl.gz: keys id, title, date, url, source, body), saved
    pages (.html, .htm) and web archives (.warc, .warc.gz).
    Importing the same article again changes nothing; a changed one is updated.
    """
    counts: Counter = Counter()
    rejections: list[Rejection] = []
    batch = []
    with open_store(ctx) as store:
        files = list(find_files(paths))
        show = not ctx.obj.get("quiet")
        with tqdm(files, unit="file", desc="Importing", disable=not show, leave=False) as bar:
            for item in bar:
                if isinstance(item, Rejection):
                    rejections.append(item)
                    continue
                for got in read_path(item):
                    if isinstance(got, Rejection):
                        rejections.append(got)
                        continue
                    batch.append(got)
                    if len(batch) >= BATCH:
                        counts.update(store.upsert_many(batch))
                        batch.clear()
                        bar.set_postfix(articles=sum(counts.values()))
            counts.update(store.upsert_many(batch))
    _print_summary(counts, rejections)


def _progress_printer(enabled: bool):
    """A callback that keeps one status line up to date on stderr."""
    last = [0.0]

    def show(report: CrawlReport) -> None:
        now = time.monotonic()
        if not enabled or now - last[0] < 0.5:
            return
        last[0] = now
        click.echo(
            f"\rCrawling: {report.fetched} fetched, {report.stored} articles stored, "
            f"{sum(report.skipped.values())} skipped, {sum(report.errors.values())} errors ",
            err=True,
            nl=False,
        )

    return show


def _print_crawl_summary(report: CrawlReport, progress_shown: bool) -> None:
    if progress_shown:
        click.echo("", err=True)
    articles = report.articles
    click.echo(
        f"Crawled: {report.fetched} fetched, {report.from_store} from the store; articles "
        f"{articles['added']} added, {articles['updated']} updated, "
        f"{articles['unchanged']} unchanged; {sum(report.skipped.values())} skipped, "
        f"{sum(report.errors.values())} errors."
    )
    for label, counts in (("skipped", report.skipped), ("error", report.errors)):
        for reason, count in counts.most_common(20):
            click.echo(f"  {label}: {reason} ({count})")
    if report.stopped:
        click.echo(f"Stopped early: {report.stopped}.")


@click.command("crawl")
@click.argument("urls", nargs=-1, required=True)
@click.option(
    "--allow-domain",
    "allowed",
    multiple=True,
    metavar="DOMAIN",
    help="Domain the crawl may visit (repeatable; default: the start URLs' hosts).",
)
@click.option(
    "--max-pages", type=click.IntRange(1), default=None, help="Stop after fetching this many pages."
)
@click.option(
    "--max-depth",
    type=click.IntRange(0),
    default=2,
    show_default=True,
    help="How many links deep to follow from the start pages.",
)
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Skip articles published before this date (YYYY-MM-DD).",
)
@click.option(
    "--article-pattern",
    metavar="REGEX",
    default=None,
    help="Only URLs matching this regular expression are articles.",
)
@click.option(
    "--delay",
    type=click.FloatRange(0),
    default=1.0,
    show_default=True,
    envvar="WARTA_CRAWL_DELAY",
    help="Seconds between requests to one host (robots.txt Crawl-delay wins if longer).",
)
@click.option(
    "--contact-url",
    default=None,
    envvar="WARTA_CONTACT_URL",
    help="Where site owners can reach you, sent in the User-Agent (please set it).",
)
@click.option(
    "--allow-private",
    is_flag=True,
    help="Allow loopback and private addresses (for local test sites).",
)
@click.option(
    "--refresh",
    is_flag=True,
    help="Re-check articles already stored (conditional GET) instead of skipping them.",
)
@click.option(
    "--no-sitemaps", "no_sitemaps", is_flag=True, help="Do not read the sitemaps robots.txt lists."
)
@click.option(
    "--timeout",
    type=click.FloatRange(1),
    default=30.0,
    show_default=True,
    help="Seconds to wait for a response.",
)
@click.option(
    "--retries",
    type=click.IntRange(0, 10),
    default=2,
    show_default=True,
    help="Retries for timeouts and 5xx/429 responses.",
)
@click.option(
    "--max-size",
    type=click.FloatRange(0.01),
    default=5.0,
    show_default=True,
    help="Largest response to accept, in MB.",
)
@click.option(
    "--max-retry-after",
    type=click.FloatRange(0),
    default=300.0,
    show_default=True,
    help="Longest Retry-After wait to honour, in seconds.",
)
@click.option(
    "--index",
    "update_index",
    is_flag=True,
    help="Bring the search index up to date after the crawl.",
)
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
@click.pass_context
def crawl_command(
    ctx: click.Context,
    urls: tuple[str, ...],
    allowed: tuple[str, ...],
    max_pages,
    max_depth,
    since,
    article_pattern,
    delay,
    contact_url,
    allow_private,
    refresh,
    no_sitemaps,
    timeout,
    retries,
    max_size,
    max_retry_after,
    update_index,
    verbose,
) -> None:
    """Crawl news sites from URLS (pages, sitemaps or RSS/Atom feeds) into the store.

    Obeys robots.txt, waits between requests to a host, remembers what it
    fetched: running it again continues where it stopped.
    """
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise click.BadParameter(f"{url} is not an http or https URL.", param_hint="URLS")
    if article_pattern:
        try:
            re.compile(article_pattern)
        except re.error as e:
            raise click.BadParameter(
                f"not a regular expression ({e}).", param_hint="--article-pattern"
            ) from e
    options = CrawlOptions(
        start_urls=list(urls),
        allowed_domains=[d.lower() for d in allowed],
        max_pages=max_pages,
        max_depth=max_depth,
        since=since.date() if since else None,
        article_pattern=article_pattern,
        delay=delay,
        contact_url=contact_url,
        allow_private=allow_private,
        refresh=refresh,
        use_sitemaps=not no_sitemaps,
        timeout=timeout,
        retries=retries,
        max_size=int(max_size * 2**20),
        max_retry_after=max_retry_after,
    )
    if not contact_url:
        click.echo(
            "Note: no --contact-url (WARTA_CONTACT_URL) is set, so site owners cannot "
            "reach you through the User-Agent.",
            err=True,
        )
    show = not ctx.obj.get("quiet") and not verbose
    with open_store(ctx) as store:
        report = run_crawl(store, options, _progress_printer(show), verbose=verbose)
    _print_crawl_summary(report, show)
    if update_index:
        _update_index(ctx)


def _update_index(ctx: click.Context) -> None:
    """Run the index update the composition root provides (``ctx.obj['update_index']``)."""
    update = ctx.obj.get("update_index")
    if update is None:
        raise click.ClickException("This warta has no index stage. Run `warta index update`.")
    click.echo(update(ctx.obj["data_dir"]))


@click.command("reparse")
@click.option(
    "--index", "update_index", is_flag=True, help="Bring the search index up to date afterwards."
)
@click.pass_context
def reparse_command(ctx: click.Context, update_index: bool) -> None:
    """Extract every crawled article again from its stored raw HTML, without fetching."""
    with open_store(ctx) as store:
        counts = reparse(store)
    click.echo(
        f"Reparsed: {counts['added']} added, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged, {counts['empty']} without text."
    )
    if update_index:
        _update_index(ctx)
