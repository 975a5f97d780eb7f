"""Commands of the crawler stage: ``warta import``, ``crawl``, ``reparse`` and ``delete``."""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import replace

import click
from click.core import ParameterSource
from tqdm import tqdm

from .article import Article, Rejection
from .crawl import reparse, run_crawls
from .importer import UrlClaims, find_files, read_path
from .locks import LockBusy, exclusive, lock_path
from .sources import Source, SourcesError, crawl_options, load_sources, sources_path
from .spider import CrawlOptions, CrawlReport
from .store import CrawlRound, Store, StoreError
from .urls import canonical_url

BATCH = 500
# `warta crawl --source` exits with this code when another process crawls the source
# (EX_TEMPFAIL: try again later); `warta watch` reads it so.
SOURCE_BUSY_EXIT = 75


def open_store(ctx: click.Context) -> Store:
    """The store of the data directory chosen on the command line."""
    try:
        return Store.open(ctx.obj["data_dir"])
    except StoreError as e:
        raise click.ClickException(str(e)) from e


def _print_summary(counts: Counter, rejections: list[Rejection], replaced: list[tuple]) -> None:
    click.echo(
        f"Imported: {counts['added']} added, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged, {counts['replaced']} replaced, "
        f"{len(rejections)} rejected."
    )
    for old_id, new_id, url in replaced[:50]:
        click.echo(f"  replaced {old_id} by {new_id}: the same URL {url}", err=True)
    if len(replaced) > 50:
        click.echo(f"  ... and {len(replaced) - 50} more replaced.", err=True)
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
    One article per URL: an article with the URL of one stored under another
    id replaces it (the summary lists it); within one import a URL is taken
    once, and a later article with it under another id is rejected.
    Importing an article deleted with `warta delete` (its id or its URL)
    lifts its withdrawal: crawls may fetch it again.
    """
    counts: Counter = Counter()
    rejections: list[Rejection] = []
    claims = UrlClaims()
    batch = []
    with open_store(ctx) as store:
        since, withdrawn = store.seq, store.withdrawn_count()
        files = list(find_files(paths))
        # disable=None: a bar only on a terminal, never carriage returns in a log.
        disable = True if ctx.obj.get("quiet") else None
        with tqdm(files, unit="file", desc="Importing", disable=disable, leave=False) as bar:
            for item in bar:
                if isinstance(item, Rejection):
                    rejections.append(item)
                    continue
                for got in read_path(item):
                    if isinstance(got, Article):
                        got = claims.check(got, item)
                    if isinstance(got, Rejection):
                        rejections.append(got)
                        continue
                    batch.append(got)
                    if len(batch) >= BATCH:
                        counts.update(store.upsert_many(batch))
                        batch.clear()
                        bar.set_postfix(articles=sum(counts.values()))
            counts.update(store.upsert_many(batch))
        replaced = claims.replaced(store.replacements_since(since))
        lifted = withdrawn - store.withdrawn_count()
    _print_summary(counts, rejections, replaced)
    if lifted:
        click.echo(
            f"Lifted the withdrawal of {_articles(lifted)} deleted with `warta delete`: "
            "crawls may fetch them again."
        )


def _articles(count: int) -> str:
    return f"{count} article" if count == 1 else f"{count} articles"


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


def _print_crawl_summary(report: CrawlReport, progress_shown: bool, label: str = "") -> None:
    if progress_shown:
        click.echo("", err=True)
    articles = report.articles
    again = f" ({report.reconsidered} judged again as articles)" if report.reconsidered else ""
    click.echo(
        f"{label}Crawled: {report.fetched} fetched, {report.from_store} from the store; articles "
        f"{articles['added']} added, {articles['updated']} updated, "
        f"{articles['unchanged']} unchanged, {articles['replaced']} replaced; "
        f"{report.link_only} pages read for links "
        f"only{again}; {sum(report.skipped.values())} skipped, "
        f"{sum(report.errors.values())} errors."
    )
    for label, counts in (("skipped", report.skipped), ("error", report.errors)):
        for reason, count in counts.most_common(20):
            click.echo(f"  {label}: {reason} ({count})")
    if report.stopped:
        click.echo(f"Stopped early: {report.stopped}.")


@click.command("crawl")
@click.argument("urls", nargs=-1)
@click.option(
    "--source",
    "source_names",
    multiple=True,
    metavar="NAME",
    help="Crawl this source of DATA_DIR/sources.toml with its options (repeatable).",
)
@click.option(
    "--all-sources", is_flag=True, help="Crawl every enabled source of DATA_DIR/sources.toml."
)
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
    source_names: tuple[str, ...],
    all_sources: bool,
    update_index: bool,
    verbose: bool,
    **values,
) -> None:
    """Crawl news sites from URLS (pages, sitemaps or RSS/Atom feeds) into the store.

    Obeys robots.txt, waits between requests to a host, remembers what it
    fetched: running it again continues where it stopped. With --source or
    --all-sources it crawls sources of DATA_DIR/sources.toml instead, each
    with its options (options given here win), and records each round.
    """
    if bool(urls) + bool(source_names) + all_sources != 1:
        raise click.UsageError("Give URLS, or --source NAME, or --all-sources (one of them).")
    sources = _chosen_sources(ctx, source_names, all_sources)
    if sources:
        jobs = [(source, _options(ctx, values, source.start_urls, source)) for source in sources]
    else:
        jobs = [(None, _options(ctx, values, urls))]
    if not any(options.contact_url for _, options in jobs):
        click.echo(
            "Note: no --contact-url (WARTA_CONTACT_URL) is set, so site owners cannot "
            "reach you through the User-Agent.",
            err=True,
        )
    show = not ctx.obj.get("quiet") and not verbose and sys.stderr.isatty()
    with open_store(ctx) as store:
        reports = _crawl(ctx, store, jobs, _progress_printer(show), verbose)
    for (source, _), report in zip(jobs, reports, strict=True):
        _print_crawl_summary(report, show, f"{source.key}: " if source else "")
    if update_index:
        _update_index(ctx)


def read_sources(data_dir: str) -> list[Source]:
    """The sources of a data directory's sources.toml, checked against ``warta crawl``."""
    return load_sources(sources_path(data_dir), crawl_options(crawl_command))


def crawl_options_for(ctx: click.Context, source: Source) -> CrawlOptions:
    """A source's crawl options over the defaults (and WARTA_* variables) of ``warta crawl``."""
    values = {}
    for param in crawl_command.params:
        if isinstance(param, click.Option):
            raw = param.resolve_envvar_value(ctx) if param.envvar else None
            raw = raw if raw is not None else param.get_default(ctx)
            if raw is None or (param.multiple and not isinstance(raw, list | tuple)):
                values[param.name] = () if param.multiple else None  # click's "no default"
            else:
                values[param.name] = param.type_cast_value(ctx, raw)
    return _options(ctx, values, source.start_urls, source)


def _chosen_sources(ctx: click.Context, names: tuple[str, ...], all_sources: bool):
    if not names and not all_sources:
        return []
    try:
        sources = read_sources(ctx.obj["data_dir"])
    except SourcesError as e:
        raise click.ClickException(str(e)) from e
    if all_sources:
        chosen = [source for source in sources if source.enabled]
        if not chosen:
            raise click.ClickException("No source is enabled in sources.toml; nothing to crawl.")
        return chosen
    by_key = {source.key: source for source in sources}
    for name in names:
        if name not in by_key:
            raise click.BadParameter(
                f"there is no source '{name}' in {sources_path(ctx.obj['data_dir'])} "
                f"(it has: {', '.join(by_key)}).",
                param_hint="--source",
            )
    return [by_key[name] for name in dict.fromkeys(names)]


def _options(ctx: click.Context, values: dict, urls, source: Source | None = None) -> CrawlOptions:
    """Crawl options from the command line, then the source's settings, then the defaults."""
    values = dict(values)
    if source is not None:
        for name, value in source.options.items():
            if ctx.get_parameter_source(name) is not ParameterSource.COMMANDLINE:
                values[name] = value
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise click.BadParameter(f"{url} is not an http or https URL.", param_hint="URLS")
    pattern = values["article_pattern"]
    if pattern:
        try:
            re.compile(pattern)
        except re.error as e:
            raise click.BadParameter(
                f"not a regular expression ({e}).", param_hint="--article-pattern"
            ) from e
    since = values["since"]
    return CrawlOptions(
        start_urls=list(urls),
        allowed_domains=[d.lower() for d in values["allowed"]],
        max_pages=values["max_pages"],
        max_depth=values["max_depth"],
        since=since.date() if since else None,
        article_pattern=pattern,
        delay=values["delay"],
        contact_url=values["contact_url"],
        allow_private=values["allow_private"],
        refresh=values["refresh"],
        use_sitemaps=not values["no_sitemaps"],
        timeout=values["timeout"],
        retries=values["retries"],
        max_size=int(values["max_size"] * 2**20),
        max_retry_after=values["max_retry_after"],
    )


def _crawl(ctx, store: Store, jobs, progress, verbose: bool) -> list[CrawlReport]:
    """Run the crawls; a source's crawl holds its lock and is recorded as a round."""
    reports = [CrawlReport() for _ in jobs]
    sources = [source for source, _ in jobs if source is not None]
    with ExitStack() as locks:
        for source in sources:
            try:
                locks.enter_context(
                    exclusive(lock_path(ctx.obj["data_dir"], f"crawl-{source.key}"))
                )
            except LockBusy as e:
                error = click.ClickException(
                    f"Source {source.key} is being crawled by another process (pid {e.pid}). "
                    "Wait for it to finish, or stop it."
                )
                error.exit_code = SOURCE_BUSY_EXIT
                raise error from e
        for source in sources:
            store.close_running_rounds(source.key, "interrupted", "the crawl stopped unfinished")
        rounds = [store.start_round(source.key) if source else None for source, _ in jobs]
        try:
            run_crawls(
                store, [(o, r) for (_, o), r in zip(jobs, reports, strict=True)], progress, verbose
            )
        except BaseException as e:
            for crawl_round in filter(None, rounds):
                store.finish_round(_failed(crawl_round, f"{type(e).__name__}: {e}"))
            raise
        for crawl_round, report in zip(rounds, reports, strict=True):
            if crawl_round is not None:
                store.finish_round(round_outcome(store, crawl_round, report))
    return reports


def _reasons_text(reasons: dict[str, int]) -> str:
    top = sorted(reasons.items(), key=lambda item: -item[1])[:3]
    return ", ".join(f"{reason} ({count})" for reason, count in top)


def _failed(crawl_round: CrawlRound, error: str) -> CrawlRound:
    return replace(crawl_round, status="failed", error=error[:500])


def round_outcome(store: Store, crawl_round: CrawlRound, report: CrawlReport) -> CrawlRound:
    """The finished round: counts, failures by reason and extraction signals."""
    articles = report.articles
    nothing = report.fetched == 0 and report.from_store == 0
    failed = nothing and bool(report.errors or report.skipped)
    reasons = dict(report.errors) or (dict(report.skipped) if failed else {})
    judged = report.not_articles + sum(articles.values())  # every store outcome
    signals = store.extraction_signals(report.added_ids)
    signals["not_articles"] = [report.not_articles, judged]
    status = "interrupted" if report.closed == "shutdown" else ("failed" if failed else "ok")
    return replace(
        crawl_round,
        status=status,
        pages=report.fetched,
        from_store=report.from_store,
        link_only=report.link_only,
        added=articles["added"],
        # A replaced article's URL was known (under another id): an update for the round.
        updated=articles["updated"] + articles["replaced"],
        failures=sum(report.errors.values()),
        reasons=reasons,
        signals=signals,
        error=f"nothing could be fetched: {_reasons_text(reasons)}" if failed else None,
    )


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
        f"{counts['unchanged']} unchanged, {counts['replaced']} replaced, "
        f"{counts['empty']} without text, {counts['deleted']} skipped as deleted."
    )
    if update_index:
        _update_index(ctx)


# `warta delete`: at most this many articles a run, and ids (or URLs) this long.
MAX_DELETE = 10_000
MAX_ID_CHARS = 2048  # an id may be a URL (a JSON Lines record without an id)
SHOWN_MISSING = 20


@click.command("delete")
@click.argument("ids", nargs=-1)
@click.option(
    "--url",
    "urls",
    multiple=True,
    metavar="URL",
    help="Delete the article stored with this URL (repeatable; tracking parameters ignored).",
)
@click.option(
    "--from-file",
    "from_file",
    type=click.File("r", encoding="utf-8"),
    metavar="FILE",
    help="Read ids from FILE, one a line ('-' reads stdin; blank and # lines skipped).",
)
@click.option(
    "--allow-recrawl",
    is_flag=True,
    help="Delete without withdrawing the URLs: a later crawl may fetch the articles again.",
)
@click.option(
    "--index", "update_index", is_flag=True, help="Bring the search index up to date afterwards."
)
@click.pass_context
def delete_command(
    ctx: click.Context,
    ids: tuple[str, ...],
    urls: tuple[str, ...],
    from_file,
    allow_recrawl: bool,
    update_index: bool,
) -> None:
    """Delete articles by ID (or --url, --from-file): for takedowns and mistakes.

    Their raw pages and fetch records go too, and their URLs are withdrawn:
    later crawls skip them, counted as "withdrawn from the archive"
    (--allow-recrawl deletes without withdrawing). Importing an article
    again lifts its withdrawal. The index drops them at the next `warta index
    update` (or with --index); /api/articles/ID is 404 at once. At most
    10,000 articles a run.
    """
    named = [("id", i) for i in ids] + [("url", u) for u in urls]
    if from_file is not None:
        named += [("id", i) for i in _read_ids(from_file)]
    _check_named(named)
    with open_store(ctx) as store:
        targets, missing = _resolve(store, named)
        before = store.withdrawn_count()
        deleted = store.delete_many(targets, withdraw=not allow_recrawl)
        withdrawn = store.withdrawn_count() - before
        gone = set(deleted)
        missing += [(i, "already deleted") for i in targets if i not in gone]
    if not deleted:
        raise click.ClickException(
            f"No article was deleted: {_missing_text(missing)}. Check the ids "
            "(`warta search --json` shows them) or name the articles with --url."
        )
    _print_deleted(deleted, missing, withdrawn, indexing=update_index)
    if update_index:
        _update_index(ctx)


def _read_ids(stream) -> list[str]:
    """The ids of a --from-file file, one a line, read a bounded line at a time."""
    found = []
    number = 0
    try:
        while line := stream.readline(MAX_ID_CHARS + 2):
            number += 1
            text = line.strip()
            if len(text) > MAX_ID_CHARS or (len(line) == MAX_ID_CHARS + 2 and line[-1] != "\n"):
                raise click.BadParameter(
                    f"line {number} is longer than {MAX_ID_CHARS} characters, longer than "
                    "any id. Give a file with one article id a line.",
                    param_hint="--from-file",
                )
            if text and not text.startswith("#"):
                found.append(text)
            if len(found) > MAX_DELETE:
                break  # _check_named says why
    except UnicodeDecodeError as e:
        raise click.BadParameter(
            f"the file is not UTF-8 text ({e.reason}). Give a UTF-8 file of ids, one a line.",
            param_hint="--from-file",
        ) from e
    return found


def _check_named(named: list[tuple[str, str]]) -> None:
    """Refuse, before deleting anything, no names, too many, or one too long or empty."""
    if not named:
        raise click.UsageError(
            "Give the ids of the articles to delete, or --url URL, or --from-file FILE."
        )
    if len(named) > MAX_DELETE:
        raise click.UsageError(
            f"More than {MAX_DELETE:,} articles named; at most {MAX_DELETE:,} are deleted a "
            "run. Split the list and run `warta delete` for each part."
        )
    for kind, name in named:
        word = "id" if kind == "id" else "URL"
        if not name.strip():
            raise click.UsageError(f"An empty {word} was given; name each article to delete.")
        if len(name) > MAX_ID_CHARS:
            raise click.UsageError(
                f"The {word} {name[:40]}... is {len(name):,} characters long; "
                f"{'an' if kind == 'id' else 'a'} {word} has at most {MAX_ID_CHARS:,}."
            )


def _resolve(store: Store, named: list[tuple[str, str]]):
    """The stored ids named (in order, once each), and (name, reason) for the others."""
    targets: dict[str, None] = {}
    missing: list[tuple[str, str]] = []
    for kind, name in named:
        if kind == "id":
            found = name if store.has_article(name) else None
        else:
            found = store.id_by_url(name) or store.id_by_url(_canonical(name))
        if found is not None:
            targets[found] = None
        else:
            missing.append((name, _missing_reason(store, kind, name)))
    return list(targets), missing


def _missing_reason(store: Store, kind: str, name: str) -> str:
    if kind == "id":
        return store.missing_reason(name)
    if store.is_withdrawn(name) or store.is_withdrawn(_canonical(name)):
        return "already deleted"
    return "no article has this URL"


def _canonical(url: str) -> str:
    """The crawler's form of an http(s) URL (no tracking parameters), else the URL as given."""
    if not url.startswith(("http://", "https://")):
        return url
    try:
        return canonical_url(url)
    except ValueError:
        return url


def _missing_text(missing: list[tuple[str, str]]) -> str:
    shown = ", ".join(f"{name} ({reason})" for name, reason in missing[:SHOWN_MISSING])
    more = len(missing) - SHOWN_MISSING
    return f"{shown} and {more} more" if more > 0 else shown


def _print_deleted(deleted: list[str], missing: list, withdrawn: int, indexing: bool) -> None:
    line = f"Deleted {_articles(len(deleted))}"
    if missing:
        line += f"; {len(missing)} not found: {_missing_text(missing)}"
    click.echo(line + ".")
    if withdrawn:
        click.echo(
            f"Withdrawn: crawls will not fetch the URLs of {_articles(withdrawn)} again "
            "(importing an article lifts this; --allow-recrawl deletes without it)."
        )
    if not indexing:
        click.echo(
            "Run `warta index update` to remove them from the index "
            "(search results, copies, stories)."
        )
