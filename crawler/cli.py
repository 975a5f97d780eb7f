"""Commands of the crawler stage: ``warta import``."""

from __future__ import annotations

from collections import Counter

import click
from tqdm import tqdm

from .article import Rejection
from .importer import find_files, read_path
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

    Plain text (.txt, one article per file, id from the file name) and JSON
    Lines (.jsonl, .jsonl.gz: keys id, title, date, url, source, body).
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
