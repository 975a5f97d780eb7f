"""The ``warta`` command: every stage's commands in one click group, plus ``serve``."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import sqlite3

import click

from crawler.cli import crawl_command, import_command, reparse_command
from crawler.store import DEFAULT_DATA_DIR, Store
from index import IndexNotFoundError, build_index, index_path, update_index
from index.cli import index_group
from searcher.cli import search_command

from . import serving

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
# Searching is CPU-bound: a few threads per process answer as fast as many, and
# share the process less, so the slowest answers wait less (p99 175 ms against
# 190-270 ms with 8 threads in bench/load.py).
DEFAULT_THREADS = 4
DEFAULT_WORKERS = min(2, os.cpu_count() or 1)


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
    """The root group: turns machine errors (full disk, read-only) into sentences."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (OSError, sqlite3.Error) as e:
            raise click.ClickException(describe_system_error(e)) from e


@click.group(cls=WartaGroup)
@click.option(
    "--data-dir",
    default=DEFAULT_DATA_DIR,
    envvar="WARTA_DATA_DIR",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Directory holding the article store and the index.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@click.version_option(package_name="warta")
@click.pass_context
def cli(ctx: click.Context, data_dir: str, quiet: bool) -> None:
    """Warta: search engine for Indonesian news archives."""
    ctx.obj = {
        "data_dir": os.path.abspath(data_dir),
        "quiet": quiet,
        "update_index": index_after_crawl,
    }


@cli.command("serve")
@click.option(
    "--host",
    default=DEFAULT_HOST,
    envvar="WARTA_HOST",
    show_default=True,
    help="Address to listen on.",
)
@click.option(
    "--port",
    default=DEFAULT_PORT,
    envvar="WARTA_PORT",
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)
@click.option(
    "--threads",
    default=DEFAULT_THREADS,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads per server process.",
)
@click.option(
    "--workers",
    default=DEFAULT_WORKERS,
    envvar="WARTA_WORKERS",
    show_default=True,
    type=click.IntRange(1, 16),
    help="Server processes sharing the port, each with its own searcher (searching is "
    "CPU-bound, so one per core).",
)
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int, threads: int, workers: int) -> None:
    """Serve the search site and JSON API with waitress."""
    from . import create_app

    app = create_app({"DATA_DIR": ctx.obj["data_dir"]})
    try:
        sock = socket.create_server((host, port))
    except OSError as e:
        raise click.ClickException(f"Cannot listen on {host}:{port}: {e.strerror}.") from e
    click.echo(f"Warta is serving {ctx.obj['data_dir']} at http://{host}:{port}/")
    if workers == 1:
        serving.serve(app, sock, threads)
    else:
        _serve_forked(app, sock, threads, workers)


def _serve_forked(app, sock: socket.socket, threads: int, workers: int) -> None:
    """Fork ``workers`` waitress processes on one listening socket; stop them together.

    Each child opens its own searcher on first use (the app holds none before).
    """
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            try:
                serving.serve(app, sock, threads, balanced=True)
            finally:
                os._exit(0)
        children.append(pid)

    def stop(signum, frame):
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for pid in children:
        os.waitpid(pid, 0)


def index_after_crawl(data_dir: str) -> str:
    """Bring the index up to date for `warta crawl --index` (the crawler never imports index)."""
    with Store.open(data_dir) as store:
        try:
            report = update_index(store, index_path(data_dir))
        except IndexNotFoundError:
            report = build_index(store, index_path(data_dir))
    return f"Updated the index: {report.indexed} indexed."


cli.add_command(import_command)
cli.add_command(crawl_command)
cli.add_command(reparse_command)
cli.add_command(index_group)
cli.add_command(search_command)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
