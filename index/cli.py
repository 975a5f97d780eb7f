"""Commands of the index stage: ``warta index build|update|stats``."""

from __future__ import annotations

import json
from pathlib import Path

import click
from tqdm import tqdm

from crawler.store import Store, StoreError

from .analysis import load_protected
from .build import WartaIndexError, build_index, index_path, index_stats, update_index
from .dedup import DEFAULT_THRESHOLD

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
    with _store(ctx) as store:
        total = store.count()
        # Two passes over the articles: signatures, then segments.
        with tqdm(
            total=2 * total, unit="art", desc="Indexing", leave=False, disable=ctx.obj.get("quiet")
        ) as bar:
            try:
                report = build_index(
                    store,
                    index_path(data_dir),
                    bar.update,
                    protected=protected,
                    dup_threshold=dup_threshold,
                )
            except WartaIndexError as e:
                raise click.ClickException(str(e)) from e
    click.echo(
        f"Indexed {report.indexed} articles in {report.seconds:.1f} s "
        f"({report.duplicates} in near-duplicate groups, {report.new_stems} new stems)."
    )


@index_group.command("update")
@click.pass_context
def update_command(ctx: click.Context) -> None:
    """Index what changed in the store since the last build or update.

    Two processes share the work when 32 or more articles changed; small
    segments that pile up are merged by indexing their articles again.
    """
    with _store(ctx) as store:
        with tqdm(unit="art", desc="Updating", leave=False, disable=ctx.obj.get("quiet")) as bar:
            try:
                report = update_index(store, index_path(ctx.obj["data_dir"]), bar.update)
            except WartaIndexError as e:
                raise click.ClickException(str(e)) from e
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
