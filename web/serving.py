"""``warta serve``: waitress, one process or several sharing a listening socket.

Several processes (``warta serve --workers``) use both cores, but waitress
keeps a connection with the process that accepted it, and a client that
keeps its connection alive sends every request there: with 16 clients an
unlucky split (12 on one process, 4 on the other) doubles the slowest
answers. So with several processes a connection carries one request, and a
process accepts only while one of its threads is free: each request goes
to a process that can start on it at once, or waits in the kernel's queue
for the first one that can.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket

import click

from . import settings


@click.command("serve")
@settings.option("host", "--host")
@settings.option("port", "--port")
@settings.option("threads", "--threads")
@settings.option("workers", "--workers")
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int, threads: int, workers: int) -> None:
    """Serve the search site and JSON API with waitress."""
    from . import create_app  # Flask: only for the command that serves

    values = {**ctx.obj["settings"], "data_dir": ctx.obj["data_dir"]}
    app = create_app(settings.app_config(values))
    try:
        sock = socket.create_server((host, port))
    except OSError as e:
        raise click.ClickException(f"Cannot listen on {host}:{port}: {e.strerror}.") from e
    click.echo(f"Warta is serving {ctx.obj['data_dir']} at http://{host}:{port}/")
    if workers == 1:
        serve(app, sock, threads)
    else:
        serve_forked(app, sock, threads, workers)


def serve_forked(app, sock: socket.socket, threads: int, workers: int) -> None:
    """Fork ``workers`` waitress processes on one listening socket; stop them together.

    Each child opens its own searcher on first use (the app holds none before).
    """
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            try:
                serve(app, sock, threads, balanced=True)
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


def serve(app, sock: socket.socket, threads: int, balanced: bool = False) -> None:
    """Run waitress on ``sock`` until stopped (``balanced``: share it fairly with others)."""
    from waitress.adjustments import Adjustments
    from waitress.server import TcpWSGIServer

    logging.basicConfig()  # as waitress.serve does: its warnings reach stderr
    server_class = _balanced_server_class() if balanced else TcpWSGIServer
    adjustments = Adjustments(sockets=[sock], threads=threads, ident="Warta")
    sockinfo = (sock.family, sock.type, sock.proto, sock.getsockname())
    server = server_class(
        app, {}, True, sock, adj=adjustments, bind_socket=False, sockinfo=sockinfo
    )
    server.print_listen("Serving on http://{}:{}")
    server.run()


def _balanced_server_class():
    from waitress.channel import HTTPChannel
    from waitress.server import TcpWSGIServer
    from waitress.task import WSGITask

    class OneRequestTask(WSGITask):
        def build_response_header(self):
            self.set_close_on_finish()  # also answers "Connection: close"
            return super().build_response_header()

    class OneRequestChannel(HTTPChannel):
        task_class = OneRequestTask

    class BalancedServer(TcpWSGIServer):
        channel_class = OneRequestChannel

        def readable(self):
            accepting = super().readable()  # also closes idle channels
            # Requests read whole and not yet answered: a connection still being
            # read (a slow client) holds no thread and doesn't count.
            busy = sum(1 for channel in tuple(self.active_channels.values()) if channel.requests)
            return accepting and busy < self.adj.threads

    return BalancedServer
