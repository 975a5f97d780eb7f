"""Commands of the searcher stage: ``warta search``."""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

import click

from index import WartaIndexError, index_path

from . import alerts
from .errors import QueryError
from .results import SORTS, SearchResult
from .search import Searcher
from .settings import DEFAULT_LIMITS

INDENT = "   "
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)
_DATE = click.DateTime(formats=["%Y-%m-%d"])


def render_snippet(snippet: str, color: bool) -> str:
    """Turn an HTML snippet into terminal text, marks as bold yellow when coloured."""

    def mark(match: re.Match) -> str:
        return click.style(match[1], fg="yellow", bold=True) if color else match[1]

    return html.unescape(_MARK.sub(mark, snippet))


def indented(text: str) -> str:
    """Every non-blank line of ``text`` indented under its hit (blank lines separate hits)."""
    return "\n".join(INDENT + line.strip() for line in text.splitlines() if line.strip())


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
        meta = " · ".join(x for x in (hit.source, (hit.published or "")[:10]) if x)
        if hit.duplicates:
            count = len(hit.duplicates)
            meta = f"{meta} (+{count} near-duplicate{'s' * (count > 1)})".strip()
        if meta:
            click.echo(INDENT + meta)
        click.echo(indented(render_snippet(hit.snippet, color)))
        click.echo(f"{INDENT}{hit.url or 'id: ' + hit.id}\n")


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
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
@click.option("--no-color", is_flag=True, help="Plain text even on a terminal.")
@click.option(
    "--since-last",
    type=click.Path(dir_okay=False),
    help="Print only articles added to the archive since the last run with this state file "
    "(the 100 newest matches are looked at; the first run prints none).",
)
@click.pass_context
def search_command(
    ctx, query, limit, page, source, date_from, date_to, sort, as_json, no_color, since_last
):
    """Search the archive for QUERY and print the best hits.

    QUERY may use "quoted phrases", OR, -word or NOT, parentheses,
    sumber:/source:, judul:/title:, penulis:/author: and
    tanggal:2024-11-01..2024-11-30 (see the README).
    """
    started = alerts.now()
    if since_last:
        page, limit, sort = 1, alerts.SCAN, "date"
    result = _search_once(
        ctx.obj,
        query,
        page=page,
        page_size=limit,
        source=source,
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
        sort=sort,
    )
    if since_last:
        search = {"query": query, "source": source, "from": date_from, "to": date_to}
        result = _only_new(ctx.obj, result, since_last, search, started)
        if not result.hits and not as_json:
            click.echo(result.notice)
            return
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_result(result, color=not no_color and sys.stdout.isatty())


def _only_new(options: dict, result: SearchResult, state_file: str, search: dict, started):
    """The hits added since the last run with ``state_file``; errors as sentences."""
    search = {k: str(v.date()) if hasattr(v, "date") else v for k, v in search.items()}
    try:
        return alerts.only_new(result, Path(state_file), search, options["data_dir"], started)
    except alerts.AlertStateError as e:
        raise click.ClickException(str(e)) from e


def _search_once(options: dict, query: str, **parameters) -> SearchResult:
    """Open the data directory's index, search it once and close it; errors as sentences."""
    try:
        searcher = Searcher(
            index_path(options["data_dir"]), limits=options.get("limits", DEFAULT_LIMITS)
        )
    except WartaIndexError as e:
        raise click.ClickException(str(e)) from e
    try:
        return searcher.search(query, **parameters)
    except QueryError as e:
        raise click.UsageError(str(e)) from e
    finally:
        searcher.close()
