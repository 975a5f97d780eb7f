"""Commands of the searcher stage: ``warta search``."""

from __future__ import annotations

import html
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from crawler.dates import indonesian_time
from index import WartaIndexError, index_path

from . import alerts
from .errors import QueryError
from .export import FORMATS
from .results import SORTS, SearchResult
from .search import Searcher
from .settings import DEFAULT_LIMITS
from .timeline import Timeline

INDENT = "   "
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)
_DATE = click.DateTime(formats=["%Y-%m-%d"])
OUTPUTS = ("text", "json", *FORMATS)
BAR_WIDTH = 40
# How a bucket's start is labelled: a day, the Monday a week starts, a month, a year.
_LABELS = {"day": 10, "week": 10, "month": 7, "year": 4}
_PER = {"day": "day", "week": "week (from Monday)", "month": "month", "year": "year"}


def render_snippet(snippet: str, color: bool) -> str:
    """Turn an HTML snippet into terminal text, marks as bold yellow when coloured."""

    def mark(match: re.Match) -> str:
        return click.style(match[1], fg="yellow", bold=True) if color else match[1]

    return html.unescape(_MARK.sub(mark, snippet))


def indented(text: str) -> str:
    """Every non-blank line of ``text`` indented under its hit (blank lines separate hits)."""
    return "\n".join(INDENT + line.strip() for line in text.splitlines() if line.strip())


def shown_time(published: str | None) -> str:
    """A hit's publication time for reading: '2015-06-19 00:23 WIB', or the date alone."""
    when = indonesian_time(published)
    if when is None:
        return ""
    return f"{when.wall:%Y-%m-%d %H:%M} {when.zone}" if when.zone else when.iso


def print_result(result: SearchResult, color: bool) -> None:
    """The readable list: title, outlet and date, snippet, link."""
    if result.notice:
        click.echo(result.notice)
    if result.suggestion:
        click.echo(f"Did you mean: {result.suggestion}")
    if not result.hits:
        click.echo(f"No articles match {result.query!r}.")
        return
    first = (result.page - 1) * result.page_size + 1
    click.echo(
        f"{result.total} articles match; showing {first}-{first + len(result.hits) - 1} "
        f"({result.took_ms:.0f} ms)\n"
    )
    for rank, hit in enumerate(result.hits, first):
        title = f"{rank}. {hit.title}"
        click.echo(click.style(title, bold=True) if color else title)
        meta = " · ".join(x for x in (hit.source, shown_time(hit.published)) if x)
        if hit.duplicates:
            count = len(hit.duplicates)
            meta = f"{meta} (+{count} near-duplicate{'s' * (count > 1)})".strip()
        if meta:
            click.echo(INDENT + meta)
        click.echo(indented(render_snippet(hit.snippet, color)))
        click.echo(f"{INDENT}{hit.url or 'id: ' + hit.id}\n")


def timeline_lines(timeline: Timeline) -> list[str]:
    """A text histogram of a timeline: one line per bucket, bars scaled to ``BAR_WIDTH``."""
    most = max((b.count for b in timeline.buckets), default=0)
    width = len(f"{most:,}")
    lines = []
    for bucket in timeline.buckets:
        bar = "#" * (-(-bucket.count * BAR_WIDTH // most) if most else 0)
        label = bucket.start[: _LABELS[timeline.interval]]
        lines.append(f"{label}  {bucket.count:>{width},}  {bar}".rstrip())
    return lines


def print_timeline(result: SearchResult) -> None:
    """How many articles match, then the timeline as a histogram."""
    dated = sum(b.count for b in result.timeline.buckets)
    if not dated:
        click.echo(f"No dated articles match {result.query!r}.")
        return
    click.echo(
        f"{dated:,} dated articles match {result.query!r}, per {_PER[result.timeline.interval]}:"
    )
    for line in timeline_lines(result.timeline):
        click.echo(line)


@click.command("search")
@click.argument("query")
@click.option(
    "-n",
    "--limit",
    default=None,
    type=click.IntRange(1),
    help="Hits per page (default: the default_page_size setting, 10; at most max_page_size, 100).",
)
@click.option(
    "--page", default=1, type=click.IntRange(1), help="Page of results (at most max_page, 500)."
)
@click.option("--source", help="Only this outlet (as in sumber:NAME).")
@click.option("--from", "date_from", type=_DATE, help="Published on or after YYYY-MM-DD.")
@click.option("--to", "date_to", type=_DATE, help="Published on or before YYYY-MM-DD.")
@click.option(
    "--sort",
    type=click.Choice(SORTS),
    default="relevance",
    show_default=True,
    help="Order of the hits.",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(OUTPUTS),
    default="text",
    show_default=True,
    help="text: readable hits; json: the API's result; csv or jsonl: export rows "
    "(one page's articles and their copies, or with --all every match).",
)
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON (--format json).")
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="With --format csv or jsonl: every matching article, copies included "
    "(at most max_export_rows, 10,000).",
)
@click.option(
    "--timeline",
    is_flag=True,
    help="Print how many articles match per day, week, month or year instead of the hits.",
)
@click.option("--no-color", is_flag=True, help="Plain text even on a terminal.")
@click.option(
    "--since-last",
    type=click.Path(dir_okay=False),
    help="Print only articles added to the archive since the last run with this state file "
    "(the 100 newest matches are looked at; the first run prints none).",
)
@click.pass_context
def search_command(
    ctx,
    query,
    limit,
    page,
    source,
    date_from,
    date_to,
    sort,
    output,
    as_json,
    everything,
    timeline,
    no_color,
    since_last,
):
    """Search the archive for QUERY and print the best hits.

    QUERY may use "quoted phrases", OR, -word or NOT, parentheses,
    sumber:/source:, judul:/title:, penulis:/author: and
    tanggal:2024-11-01..2024-11-30 (see the README).
    """
    output = "json" if as_json else output
    _check_output(output, everything, timeline, since_last)
    dates = {
        "date_from": date_from.date() if date_from else None,
        "date_to": date_to.date() if date_to else None,
    }
    if output in FORMATS:
        page_only = {} if everything else {"page": page, "page_size": limit}
        _export(ctx.obj, output, query, source=source, sort=sort, **page_only, **dates)
        return
    started = alerts.now()
    if since_last:
        page, limit, sort = 1, alerts.SCAN, "date"
    with _opened_searcher(ctx.obj) as searcher:
        result = _run(
            searcher.search, query, page=page, page_size=limit, source=source, sort=sort, **dates
        )
    if since_last:
        search = {"query": query, "source": source, "from": date_from, "to": date_to}
        result = _only_new(ctx.obj, result, since_last, search, started)
    color = not no_color and sys.stdout.isatty()
    _print(result, output, timeline, color, nothing_new=bool(since_last) and not result.hits)


def _print(result: SearchResult, output: str, timeline: bool, color: bool, nothing_new: bool):
    """Print a result as JSON, a timeline or readable hits (or only --since-last's note)."""
    if output == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    elif nothing_new:
        click.echo(result.notice)
    elif timeline:
        print_timeline(result)
    else:
        print_result(result, color)


def _check_output(output: str, everything: bool, timeline: bool, since_last) -> None:
    if everything and output not in FORMATS:
        raise click.UsageError("--all exports every match: use it with --format csv or jsonl.")
    if output in FORMATS and (timeline or since_last):
        extra = "--timeline" if timeline else "--since-last"
        raise click.UsageError(f"{extra} prints hits: leave out --format {output}.")


def _export(options: dict, output: str, query: str, **parameters) -> None:
    """Print export rows as they are read; a cut export ends with its note."""
    with _opened_searcher(options) as searcher:
        export = _run(searcher.export, query, **parameters)
        for line in FORMATS[output](export):
            click.echo(line, nl=False)
    if export.truncated:
        click.echo(
            f"Exported {export.exported:,} of {export.total:,} matching articles "
            "(max_export_rows); narrow the search to export the rest.",
            err=True,
        )


def _only_new(options: dict, result: SearchResult, state_file: str, search: dict, started):
    """The hits added since the last run with ``state_file``; errors as sentences."""
    search = {k: str(v.date()) if hasattr(v, "date") else v for k, v in search.items()}
    try:
        return alerts.only_new(result, Path(state_file), search, options["data_dir"], started)
    except alerts.AlertStateError as e:
        raise click.ClickException(str(e)) from e


@contextmanager
def _opened_searcher(options: dict) -> Iterator[Searcher]:
    """The data directory's index, opened for one command and closed after; errors as sentences."""
    try:
        searcher = Searcher(
            index_path(options["data_dir"]), limits=options.get("limits", DEFAULT_LIMITS)
        )
    except WartaIndexError as e:
        raise click.ClickException(str(e)) from e
    try:
        yield searcher
    finally:
        searcher.close()


def _run(method, *args, **kwargs):
    """Call a searcher method; a query it cannot use becomes a usage error."""
    try:
        return method(*args, **kwargs)
    except QueryError as e:
        raise click.UsageError(str(e)) from e
