"""Commands of the index stage: ``warta index build|update|stats|acronyms``.

Progress bars go to a terminal only (never carriage returns into a log), and
not at all with ``--quiet``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from tqdm import tqdm

from crawler.store import Store, StoreError

from .acronyms import read_trusted
from .analysis import load_protected
from .build import BuildReport, build_index
from .dedup import DEFAULT_THRESHOLD
from .errors import WartaIndexError
from .generations import index_path, open_index
from .stats import index_stats
from .update import update_index

PROTECTED_FILENAME = "protected.txt"


def _store(ctx: click.Context) -> Store:
    try:
        return Store.open(ctx.obj["data_dir"])
    except StoreError as e:
        raise click.ClickException(str(e)) from e


@click.group("index")
def index_group() -> None:
    """Build, update and inspect the search index."""


def _protected(data_dir, path: str | None) -> dict[str, str]:
    """Shipped protected words plus the user's file (default: DATA_DIR/protected.txt)."""
    extra = Path(path) if path else Path(data_dir) / PROTECTED_FILENAME
    if path and not extra.is_file():
        raise click.ClickException(f"No protected-words file at {extra}.")
    return load_protected(extra if extra.is_file() else None)


def _run_indexing(ctx: click.Context, label: str, work, passes: int | None = None):
    """``work(store, progress)`` under a progress bar (``passes`` over the store's
    articles, if known); index errors become click errors."""
    # disable=None: no bar where stderr is not a terminal.
    disable = True if ctx.obj.get("quiet") else None
    with _store(ctx) as store:
        total = None if passes is None else passes * store.count()
        with tqdm(total=total, unit="art", desc=label, leave=False, disable=disable) as bar:
            try:
                return work(store, bar.update)
            except WartaIndexError as e:
                raise click.ClickException(str(e)) from e


def _summary(report: BuildReport) -> str:
    return (
        f"Indexed {report.indexed} articles in {report.seconds:.1f} s "
        f"({report.duplicates} in near-duplicate groups, {report.new_stems} new stems)."
    )


@index_group.command("build")
@click.option(
    "--protected",
    "protected_file",
    envvar="WARTA_PROTECTED",
    type=click.Path(dir_okay=False),
    help="Extra words Sastrawi must not stem, one a line, optionally followed by "
    "the stem to use [default: DATA_DIR/protected.txt if it exists].",
)
@click.option(
    "--dup-threshold",
    type=click.FloatRange(0.0, 1.0),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    envvar="WARTA_DUP_THRESHOLD",
    help="MinHash similarity of stemmed word pairs that makes two articles near-duplicates.",
)
@click.pass_context
def build_command(ctx: click.Context, protected_file: str | None, dup_threshold: float) -> None:
    """Rebuild the whole index from the article store (two processes, atomic switch)."""
    data_dir = ctx.obj["data_dir"]
    protected = _protected(data_dir, protected_file)

    def build(store, progress):
        return build_index(
            store, index_path(data_dir), progress, protected=protected, dup_threshold=dup_threshold
        )

    # Two passes over the articles: signatures, then segments.
    report = _run_indexing(ctx, "Indexing", build, passes=2)
    click.echo(_summary(report))


@index_group.command("update")
@click.pass_context
def update_command(ctx: click.Context) -> None:
    """Index what changed in the store since the last build or update.

    Two processes share the work when 32 or more articles changed; small
    segments that pile up are merged by indexing their articles again.
    Where there is no index yet, build it.
    """
    data_dir = ctx.obj["data_dir"]
    protected = _protected(data_dir, None)

    def update(store, progress):
        return update_index(store, index_path(data_dir), progress, protected=protected)

    report = _run_indexing(ctx, "Updating", update)
    if report.kind == "rebuild":
        click.echo(f"There was no index at {index_path(data_dir)}: built it. {_summary(report)}")
        return
    click.echo(
        f"Updated the index: {report.indexed} indexed, {report.deleted} removed "
        f"in {report.seconds:.1f} s."
    )


@index_group.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_context
def stats_command(ctx: click.Context, as_json: bool) -> None:
    """Show documents, segments, terms, size and drift from the store."""
    with _store(ctx) as store:
        try:
            stats = index_stats(store, index_path(ctx.obj["data_dir"]))
        except WartaIndexError as e:
            raise click.ClickException(str(e)) from e
    if as_json:
        click.echo(json.dumps(stats, indent=2))
        return
    for key, value in stats.items():
        click.echo(f"{key.replace('_', ' '):>20}: {value}")


@index_group.command("acronyms")
@click.option("--json", "as_json", is_flag=True, help="Print them as JSON.")
@click.pass_context
def acronyms_command(ctx: click.Context, as_json: bool) -> None:
    """List the acronyms the archive defines that searches expand, with their long
    forms and how many articles define them (a synonyms.txt group wins over them)."""
    link = index_path(ctx.obj["data_dir"])
    try:
        open_index(link)
    except WartaIndexError as e:
        raise click.ClickException(str(e)) from e
    pairs = read_trusted(link.resolve())
    if as_json:
        rows = [{"acronym": s, "long_form": lf, "articles": n} for s, lf, n in pairs]
        click.echo(json.dumps({"acronyms": rows}, indent=2, ensure_ascii=False))
        return
    for short, long, articles in pairs:
        click.echo(f"{short}  {long}  ({articles} articles)")
