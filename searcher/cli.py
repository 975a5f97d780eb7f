"""Commands of the searcher stage: ``warta search``."""

from __future__ import annotations

import html
import json
import re

import click

from index.build import WartaIndexError, index_path

from .results import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, SearchResult
from .search import QueryError, Searcher

_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def render_snippet(snippet: str, color: bool) -> str:
    """Turn an HTML snippet into terminal text, marks as bold yellow when coloured."""

    def mark(m: re.Match) -> str:
        return click.style(m[1], fg="yellow", bold=True) if color else m[1]

    return html.unescape(_MARK.sub(mark, snippet))


def print_result(result: SearchResult, color: bool) -> None:
    if not result.hits:
        click.echo(f"No articles match {result.query!r}.")
        return
    first = (result.page - 1) * result.page_size + 1
    click.echo(
        f"{result.total} articles match; showing {first}-{first + len(result.hits) - 1} "
        f"({result.took_ms:.0f} ms)\n"
    )
    for rank, hit in enumerate(result.hits, first):
        meta = " · ".join(x for x in (hit.source, (hit.published or "")[:10]) if x)
        click.echo(click.style(f"{rank}. {hit.title}", bold=True) if color else f"{rank}. {hit.title}")
        if meta:
            click.echo(f"   {meta}")
        click.echo(f"   {render_snippet(hit.snippet, color)}")
        click.echo(f"   {hit.url or 'id: ' + hit.id}\n")


@click.command("search")
@click.argument("query")
@click.option(
    "-n", "--limit", default=DEFAULT_PAGE_SIZE, type=click.IntRange(1, MAX_PAGE_SIZE),
    help="Hits to show.",
)
@click.option("--page", default=1, type=click.IntRange(1, 1000), help="Page of results.")
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
@click.option("--no-color", is_flag=True, help="Plain text even on a terminal.")
@click.pass_context
def search_command(ctx, query, limit, page, as_json, no_color):
    """Search the archive for QUERY and print the best hits."""
    try:
        searcher = Searcher(index_path(ctx.obj["data_dir"]))
    except WartaIndexError as e:
        raise click.ClickException(str(e)) from e
    try:
        result = searcher.search(query, page=page, page_size=limit)
    except QueryError as e:
        raise click.UsageError(str(e)) from e
    finally:
        searcher.close()
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        color = not no_color and click.get_text_stream("stdout").isatty()
        print_result(result, color)
