"""The ``warta`` command: every stage's commands in one click group, plus ``serve`` and ``config``.

Each stage owns its commands; this composition root names them in one table
(``COMMANDS``) and imports a command's module only when the command runs or
its own help is asked for, so ``warta --help`` and ``warta search`` do not
load Scrapy, Flask or the index builder.
"""

from __future__ import annotations

import errno
import gc
import importlib
import json
import logging
import os
import sqlite3
import sys
from contextlib import contextmanager

import click

from searcher import Limits, SettingError, resolve_settings

from . import settings


class LazyCommand:
    """A command known by where it is (``"package.module:attribute"``) and its help's first line.

    ``summary`` must be the first sentence of the command's docstring:
    ``warta --help`` shortens it as click shortens the docstring.
    """

    def __init__(self, where: str, summary: str):
        self.where = where
        self.summary = summary

    def load(self) -> click.Command:
        """Import the command's module and return the command."""
        module, attribute = self.where.split(":")
        with _imports_kept():
            return getattr(importlib.import_module(module), attribute)

    def short_help(self, limit: int) -> str:
        """The line `warta --help` shows for the command, at most ``limit`` characters."""
        return click.Command(None, help=self.summary).get_short_help_str(limit)


@contextmanager
def _imports_kept():
    """Import without the cyclic collector, then freeze what was imported.

    A command's modules (numpy, Whoosh...) make hundreds of thousands of objects
    that live as long as the process: the collector ran over them again and
    again while they were imported and at every full collection after, 10-20 ms
    of a `warta search` (``main`` saves the last pass, at exit).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.freeze()


# One line per command or command group of a stage.
COMMANDS = {
    "import": LazyCommand(
        "crawler.cli:import_command", "Import articles from PATHS (files or directories)."
    ),
    "crawl": LazyCommand(
        "crawler.cli:crawl_command",
        "Crawl news sites from URLS (pages, sitemaps or RSS/Atom feeds) into the store.",
    ),
    "reparse": LazyCommand(
        "crawler.cli:reparse_command",
        "Extract every crawled article again from its stored raw HTML, without fetching.",
    ),
    "delete": LazyCommand(
        "crawler.cli:delete_command",
        "Delete articles by ID (or --url, --from-file): for takedowns and mistakes.",
    ),
    "index": LazyCommand("index.cli:index_group", "Build, update and inspect the search index."),
    "search": LazyCommand(
        "searcher.cli:search_command", "Search the archive for QUERY and print the best hits."
    ),
    "serve": LazyCommand(
        "web.serving:serve_command", "Serve the search site and JSON API with waitress."
    ),
    "sources": LazyCommand(
        "crawler.sources_cli:sources_group",
        "The outlets Warta follows (DATA_DIR/sources.toml): list, check, status, init.",
    ),
    "watch": LazyCommand(
        "web.watch:watch_command",
        "Crawl each enabled source of DATA_DIR/sources.toml when due; keep the index current.",
    ),
}


def describe_system_error(e: Exception) -> str:
    """A sentence for an error of the machine rather than of Warta."""
    text = str(e).lower()
    code = getattr(e, "errno", None)
    if code == errno.ENOSPC or "disk is full" in text or "no space left" in text:
        return "The disk is full. Free some space and run the command again; nothing was lost."
    if code == errno.EROFS or "readonly" in text or "read-only" in text:
        return (
            "The data directory is read-only. Point --data-dir (WARTA_DATA_DIR) at a "
            "writable directory, or run only commands that read (search, serve)."
        )
    if code in (errno.EACCES, errno.EPERM):
        where = getattr(e, "filename", None) or e
        return f"Permission denied: {where}. Check the data directory's permissions."
    return f"The command failed: {e}."


class WartaGroup(click.Group):
    """The root group: loads ``COMMANDS`` on use, and turns machine errors into sentences."""

    def __init__(self, *args, lazy: dict[str, LazyCommand], **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in self.lazy:
            self.add_command(self.lazy[name].load(), name)
        return self.commands.get(name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List every command with its short help, as click does, without loading the lazy ones."""
        names = [n for n in self.list_commands(ctx) if not self._hidden(n)]
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, self._short_help(name, limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def _hidden(self, name: str) -> bool:
        return name in self.commands and self.commands[name].hidden

    def _short_help(self, name: str, limit: int) -> str:
        if name in self.commands:
            return self.commands[name].get_short_help_str(limit)
        return self.lazy[name].short_help(limit)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # The reader went away (`warta search x | head`): stop quietly, as other tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(1)
        except (OSError, sqlite3.Error) as e:
            raise click.ClickException(describe_system_error(e)) from e


@click.group(cls=WartaGroup, lazy=COMMANDS)
@settings.option("data_dir", "--data-dir", type=click.Path(file_okay=False))
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@click.version_option(package_name="warta")
@click.pass_context
def cli(ctx: click.Context, data_dir: str, quiet: bool) -> None:
    """Warta: search engine for Indonesian news archives."""
    try:
        values = {name: value for name, (value, _) in resolve_settings(settings.SETTINGS).items()}
        limits = Limits.from_values(values)
    except SettingError as e:
        raise click.ClickException(str(e)) from e
    ctx.obj = {
        "data_dir": os.path.abspath(data_dir),
        "quiet": quiet,
        "settings": values,
        "limits": limits,
        "update_index": index_after_crawl,
    }


def index_after_crawl(data_dir: str) -> str:
    """Bring the index up to date for `warta crawl --index` (the crawler never imports index)."""
    from crawler import Store  # only the crawler's `--index` options need these stages
    from index import index_path, update_index

    # update_index builds the index where there is none (with DATA_DIR/protected.txt).
    with Store.open(data_dir) as store:
        report = update_index(store, index_path(data_dir))
    return f"Updated the index: {report.indexed} indexed, {report.deleted} removed."


@cli.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
@click.pass_context
def config_command(ctx: click.Context, as_json: bool) -> None:
    """Show every setting: its value and where it came from (default or environment)."""
    try:
        found = resolve_settings(settings.SETTINGS)
    except SettingError as e:
        raise click.ClickException(str(e)) from e
    found["data_dir"] = (ctx.obj["data_dir"], _data_dir_source(ctx))
    rows = [
        {"name": s.name, "value": found[s.name][0], "source": found[s.name][1], "env": s.env}
        for s in settings.SETTINGS
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    name_width = max(len(row["name"]) for row in rows)
    value_width = max(len(str(row["value"])) for row in rows)
    for row in rows:
        click.echo(f"{row['name']:<{name_width}}  {row['value']!s:<{value_width}}  {row['source']}")


def _data_dir_source(ctx: click.Context) -> str:
    """Where ``--data-dir`` came from: the command line, the environment or the default."""
    source = ctx.parent.get_parameter_source("data_dir")
    if source == click.core.ParameterSource.COMMANDLINE:
        return "--data-dir"
    if source == click.core.ParameterSource.ENVIRONMENT:
        return settings.BY_NAME["data_dir"].env
    return "default"


def main() -> None:
    """The ``warta`` console script."""
    # Libraries log (a worker's traceback, the watcher's rounds); warnings and errors reach stderr.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Warta's numpy work is element-wise (and scipy's sparse products use no BLAS): the
    # OpenBLAS thread pool numpy starts, a thread a core, only spent CPU (about 40 ms of a
    # `warta search` on 2 cores). Processes are Warta's unit of parallelism.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        cli()
    finally:
        # The command is over and the process ends with it: frozen, the objects of every
        # module it imported (numpy, Whoosh...) are not traversed again by the collector as
        # the interpreter exits, a tenth of a `warta search` (about 30 ms of CPU).
        gc.freeze()


if __name__ == "__main__":
    main()
