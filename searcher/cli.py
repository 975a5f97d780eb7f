"""Commands of the searcher stage: ``warta search``."""

from __future__ import annotations

import html
import json
import re
import sys

import click

from index import WartaIndexError, index_path

from .results import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, SearchResult
from .search import SORTS, QueryError, Searcher

_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def render_snippet(snippet: str, color: bool) -> str:
    """Turn an HTML snippet into terminal text, marks as bold yellow when coloured."""

    def mark(m: re.Match) -> str:
        return click.style(m[1], fg="yellow", bold=True) if color else m[1]

    return html.unescape(_MARK.sub(mark, snippet))


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
            meta += f" (+{len(hit.duplicates)} near-duplicate{'s' * (len(hit.duplicates) > 1)})"
        if meta:
            click.echo(f"   {meta}")
        click.echo(f"   {render_snippet(hit.snippet, color)}")
        click.echo(f"   {hit.url or 'id: ' + hit.id}\n")


_DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.command("search")
@click.argument("query")
@click.option(
    "-n",
    "--limit",
    default=DEFAULT_PAGE_SIZE,
    type=click.IntRange(1, MAX_PAGE_SIZE),
    help="Hits per page.",
)
@click.option("--page", default=1, type=click.IntRange(1, 1000), help="Page of results.")
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
@click.pass_context
def search_command(ctx, query, limit, page, source, date_from, date_to, sort, as_json, no_color):
    """Search the archive for QUERY and print the best hits.

    QUERY may use "quoted phrases", OR, -word or NOT, parentheses,
    sumber:/source:, judul:/title:, penulis:/author: and
    tanggal:2024-11-01..2024-11-30 (see the README).
    """
    try:
        searcher = Searcher(index_path(ctx.obj["data_dir"]))
    except WartaIndexError as e:
        raise click.ClickException(str(e)) from e
    try:
        result = searcher.search(
            query,
            page=page,
            page_size=limit,
            source=source,
            date_from=date_from.date() if date_from else None,
            date_to=date_to.date() if date_to else None,
            sort=sort,
        )
    except QueryError as e:
        raise click.UsageError(str(e)) from e
    finally:
        searcher.close()
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        color = not no_color and sys.stdout.isatty()
        print_result(result, color)
