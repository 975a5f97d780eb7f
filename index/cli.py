"""Commands of the index stage: ``warta index build|update|stats``."""

from __future__ import annotations

import json

import click
from tqdm import tqdm

from crawler.store import Store, StoreError

from .build import WartaIndexError, build_index, index_path, index_stats, update_index


def _store(ctx: click.Context) -> Store:
    try:
        return Store.open(ctx.obj["data_dir"])
    except StoreError as e:
        raise click.ClickException(str(e)) from e


@click.group("index")
def index_group() -> None:
    """Build, update and inspect the search index."""


@index_group.command("build")
@click.pass_context
def build_command(ctx: click.Context) -> None:
    """Rebuild the whole index from the article store."""
    with _store(ctx) as store:
        total = store.count()
        with tqdm(total=total, unit="art", desc="Indexing", leave=False) as bar:
            try:
                report = build_index(store, index_path(ctx.obj["data_dir"]), bar.update)
            except WartaIndexError as e:
                raise click.ClickException(str(e)) from e
    click.echo(f"Indexed {report.indexed} articles in {report.seconds:.1f} s.")


@index_group.command("update")
@click.pass_context
def update_command(ctx: click.Context) -> None:
    """Index what changed in the store since the last build or update."""
    with _store(ctx) as store:
        with tqdm(unit="art", desc="Updating", leave=False) as bar:
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
