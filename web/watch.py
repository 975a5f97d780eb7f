"""``warta watch``: crawl each enabled source when it is due and keep the index current.

The schedule lives in the store: a source is due one interval (with some
jitter) after its last round started, or after a failed round a backoff
that starts at ``--retry-seconds`` (or the interval, when shorter) and
doubles with each failure up to four intervals. So a
restarted watcher, or ``warta watch --once`` from cron, picks up where the
last one stopped.

Twisted's reactor cannot be restarted inside one process, and a crawl's
memory is best given back whole: each round is a ``warta crawl --source
NAME`` child process, and each index update runs in a fresh child too, so
the watcher itself stays small for days. A source's crawl holds its lock
file (never two crawls of one source), the watcher holds
``DATA_DIR/locks/watch.lock`` (never two watchers on one data directory).

SIGTERM or Ctrl-C: the running crawls get one SIGTERM, which Scrapy answers
by finishing the requests in flight and closing; everything fetched so far
is already in the store (each page and article is committed as it comes),
and the next round goes on from there. The index is brought up to date when
the next watcher starts.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context

import click

from crawler import Store
from crawler.cli import SOURCE_BUSY_EXIT, read_sources
from crawler.health import parse_time
from crawler.locks import LockBusy, exclusive, lock_path
from crawler.sources import Source, SourcesError, sources_path
from crawler.store import CrawlRound
from index import (
    IndexLockedError,
    IndexNotFoundError,
    IndexOutdatedError,
    build_index,
    index_path,
    update_index,
)

log = logging.getLogger("warta.watch")

DEFAULT_JOBS = 2
DEFAULT_RETRY_SECONDS = 60.0
DEFAULT_JITTER = 0.1
BACKOFF_INTERVALS = 4
# How often the loop looks at its children while some run.
POLL_SECONDS = 0.2


def refresh_index(data_dir: str) -> tuple[int, int, float]:
    """Update the index of ``data_dir`` (build it when there is none)."""
    with Store.open(data_dir) as store:
        try:
            report = update_index(store, index_path(data_dir))
        except (IndexNotFoundError, IndexOutdatedError):
            report = build_index(store, index_path(data_dir))
    return report.indexed, report.deleted, report.seconds


def _index_child(data_dir: str, conn) -> None:
    """In a forked child: refresh the index, send back the counts or the error."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C stops the watcher, which waits
    try:
        conn.send(("ok", refresh_index(data_dir)))
    except Exception as e:
        conn.send(("error", (type(e).__name__, str(e))))
    finally:
        conn.close()


class IndexJob:
    """An index refresh in a forked child: its memory goes back whole when it ends.

    The watcher runs no thread, so forking it is safe, and the child starts
    with every module already imported.
    """

    def __init__(self, data_dir: str):
        context = get_context("fork")
        self.conn, child_end = context.Pipe(duplex=False)
        self.process = context.Process(target=_index_child, args=(data_dir, child_end))
        self.process.start()
        child_end.close()

    def done(self) -> bool:
        return not self.process.is_alive()

    def result(self) -> tuple[str, tuple]:
        """("ok", (indexed, deleted, seconds)) or ("error", (type name, message))."""
        self.process.join()
        try:
            return self.conn.recv() if self.conn.poll() else _died(self.process.exitcode)
        except EOFError:
            return _died(self.process.exitcode)
        finally:
            self.conn.close()


def _died(code: int | None) -> tuple[str, tuple]:
    return "error", ("ChildDied", f"the index update exited with code {code}")


def due_time(source: Source, rounds: list[CrawlRound], retry: float, jitter: float) -> datetime:
    """When ``source`` is next due, from its rounds (newest first); the past if never crawled."""
    if not rounds:
        return datetime.min.replace(tzinfo=UTC)
    failed = 0
    for crawl_round in rounds:
        if crawl_round.status != "failed":
            break
        failed += 1
    interval = source.interval_seconds
    if failed:
        wait = min(min(retry, interval) * 2 ** (failed - 1), BACKOFF_INTERVALS * interval)
    elif rounds[0].status in ("interrupted", "running"):
        wait = min(retry, interval)  # cut short (a stop, a kill): go on soon
    else:
        wait = interval * (1 + random.uniform(-jitter, jitter))
    return parse_time(rounds[0].started) + timedelta(seconds=wait)


@dataclass
class Child:
    """A running ``warta crawl --source`` process."""

    source: Source
    process: subprocess.Popen
    started: datetime
    output: object  # a temporary file with its stdout and stderr
    clock: float = 0.0  # time.monotonic() at the start, for the duration


class Watcher:
    """The scheduler loop; ``run()`` until stopped (or, with ``once``, until the due rounds end)."""

    def __init__(
        self,
        data_dir: str,
        jobs: int = DEFAULT_JOBS,
        once: bool = False,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        jitter: float = DEFAULT_JITTER,
    ):
        self.data_dir = data_dir
        self.jobs = jobs
        self.once = once
        self.retry = retry_seconds
        self.jitter = 0.0 if once else jitter
        self.children: dict[str, Child] = {}
        self.due: dict[str, datetime] = {}
        self.started_once: set[str] = set()
        self.sources: list[Source] = []
        self.sources_mtime: float | None = None
        self.index_job: IndexJob | None = None
        self.index_pending = True  # a watcher starts by catching the index up
        self.indexed_seq = -1  # the store's change number when the last index update began
        self.stopping = False
        self.signals: list[int] = []
        # Signals wake the loop through this pipe (signal.set_wakeup_fd); the handler itself
        # takes no lock.
        self.wake_read, self.wake_write = os.pipe()
        for fd in (self.wake_read, self.wake_write):
            os.set_blocking(fd, False)

    # -- signals -------------------------------------------------------------

    def stop(self, signum: int = signal.SIGTERM, frame=None) -> None:
        """The signal handler: only note the signal; the loop acts on it."""
        self.signals.append(signum)

    def _sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or until a signal arrives."""
        ready, _, _ = select.select([self.wake_read], [], [], seconds)
        if ready:
            with contextlib.suppress(BlockingIOError):
                os.read(self.wake_read, 4096)

    def _handle_signals(self) -> None:
        """First signal: stop cleanly. A second one: the crawls stop at once (Scrapy's rule)."""
        if not self.signals or len(self.signals) <= int(self.stopping):
            return
        first = not self.stopping
        self.stopping = True
        name = signal.Signals(self.signals[-1]).name
        if first:
            log.info("%s: stopping; %d crawl(s) finish what is in flight", name, len(self.children))
        else:
            log.info("%s again: the crawls stop at once", name)
        for child in self.children.values():
            _signal(child.process, signal.SIGTERM)
        del self.signals[1:]

    # -- the loop --------------------------------------------------------------

    def run(self) -> None:
        try:
            self._load_sources()
            log.info(
                "watching %d source(s) in %s%s",
                sum(s.enabled for s in self.sources),
                self.data_dir,
                " once" if self.once else "",
            )
            while True:
                self._handle_signals()
                self._reap()
                self._index_done()
                if self.stopping:
                    if not self.children:
                        break
                else:
                    self._load_sources()
                    self._start_due()
                    self._start_index()
                    if self.once and self._once_finished():
                        break
                self._sleep(self._wait_seconds())
        finally:
            self._wait_index()
            os.close(self.wake_read)
            os.close(self.wake_write)

    def _once_finished(self) -> bool:
        due_left = [
            s for s in self._enabled() if s.key not in self.started_once and self._is_due(s)
        ]
        return (
            not self.children and not due_left and self.index_job is None and not self.index_pending
        )

    def _wait_seconds(self) -> float:
        if self.children or self.index_job is not None:
            return POLL_SECONDS
        if self.stopping:
            return 0.0
        now = datetime.now(UTC)
        waits = [
            (self.due[s.key] - now).total_seconds() for s in self._enabled() if s.key in self.due
        ]
        return max(0.0, min([60.0, *waits]))

    # -- sources -----------------------------------------------------------------

    def _load_sources(self) -> None:
        """(Re)read sources.toml when it changed; a broken edit keeps the sources we had."""
        path = sources_path(self.data_dir)
        try:
            mtime = path.stat().st_mtime
        except OSError:
            mtime = None
        if self.sources and mtime == self.sources_mtime:
            return
        try:
            sources = read_sources(self.data_dir)
        except SourcesError as e:
            if not self.sources:
                raise
            log.error("%s Keeping the sources read before.", e)
            self.sources_mtime = mtime
            return
        self.sources, self.sources_mtime = sources, mtime
        with Store.open(self.data_dir) as store:
            for source in sources:
                self.due[source.key] = self._next_due(store, source)

    def _enabled(self) -> list[Source]:
        return [s for s in self.sources if s.enabled]

    def _next_due(self, store: Store, source: Source) -> datetime:
        return due_time(source, store.rounds(source.key, limit=12), self.retry, self.jitter)

    def _is_due(self, source: Source) -> bool:
        return self.due.get(source.key, datetime.min.replace(tzinfo=UTC)) <= datetime.now(UTC)

    # -- crawl rounds --------------------------------------------------------------

    def _start_due(self) -> None:
        """Start due sources while slots are free, the longest overdue first (none starves)."""
        never = datetime.min.replace(tzinfo=UTC)
        for source in sorted(self._enabled(), key=lambda s: self.due.get(s.key, never)):
            if len(self.children) >= self.jobs:
                return
            if source.key in self.children or not self._is_due(source):
                continue
            if self.once and source.key in self.started_once:
                continue
            self.started_once.add(source.key)
            self.children[source.key] = self._spawn(source)

    def _spawn(self, source: Source) -> Child:
        output = tempfile.TemporaryFile()
        command = [
            sys.executable,
            "-m",
            "web.cli",
            "--quiet",
            "--data-dir",
            self.data_dir,
            "crawl",
            "--source",
            source.key,
        ]
        # Its own session: a Ctrl-C on the terminal reaches the watcher, which passes it on once.
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        return Child(source, process, datetime.now(UTC), output, time.monotonic())

    def _reap(self) -> None:
        for key, child in list(self.children.items()):
            code = child.process.poll()
            if code is None:
                continue
            del self.children[key]
            child.output.seek(0)
            text = child.output.read().decode("utf-8", "replace")
            child.output.close()
            self._finished(child, code, text)

    def _finished(self, child: Child, code: int, text: str) -> None:
        source = child.source
        if code == SOURCE_BUSY_EXIT:
            log.warning("round source=%s skipped: another process is crawling it", source.key)
            self.due[source.key] = datetime.now(UTC) + timedelta(seconds=self.retry)
            return
        with Store.open(self.data_dir) as store:
            crawl_round = self._round_of(store, child, code, text)
            self.due[source.key] = self._next_due(store, source)
            # The store's change number, not the round's counts: a crawl that died stored too.
            if store.seq > self.indexed_seq:
                self.index_pending = True
        _log_round(crawl_round, child)

    def _round_of(self, store: Store, child: Child, code: int, text: str) -> CrawlRound:
        """The round the child recorded; one recorded here when it could not (it died)."""
        last_line = next((ln for ln in reversed(text.strip().splitlines()) if ln.strip()), "")
        error = f"the crawl exited with code {code}: {last_line[:300]}".rstrip(": ")
        # Stopped by us (perhaps before Scrapy could take the signal): cut short, not failed.
        status = "interrupted" if self.stopping else "failed"
        if code != 0:
            store.close_running_rounds(child.source.key, status, error)
        rounds = store.rounds(child.source.key, limit=1)
        begun = (child.started - timedelta(seconds=1)).isoformat(timespec="seconds")
        if rounds and rounds[0].started >= begun:
            return rounds[0]
        crawl_round = store.start_round(child.source.key, begun)
        return store.finish_round(replace(crawl_round, status=status, error=error))

    # -- the index -------------------------------------------------------------------

    def _start_index(self) -> None:
        if self.index_pending and self.index_job is None:
            self.index_pending = False
            with Store.open(self.data_dir) as store:
                self.indexed_seq = store.seq
            self.index_job = IndexJob(self.data_dir)

    def _index_done(self) -> None:
        job = self.index_job
        if job is None or not job.done():
            return
        self.index_job = None
        outcome, values = job.result()
        if outcome == "ok":
            log.info("index indexed=%d deleted=%d duration=%.1fs", *values)
        elif values[0] == IndexLockedError.__name__:
            log.warning("index: %s Trying again after the next round.", values[1])
            self.index_pending = True
        else:  # the watcher goes on; the next round's update tries again
            log.error("index: the update failed (%s: %s)", *values)
            self.index_pending = True

    def _wait_index(self) -> None:
        """Let a running index update finish: cutting it off would only waste it."""
        if self.index_job is not None:
            self.index_job.process.join()
            self._index_done()


def _signal(process: subprocess.Popen, signum: int) -> None:
    if process.poll() is None:
        try:
            os.kill(process.pid, signum)
        except ProcessLookupError:
            pass


def _log_round(crawl_round: CrawlRound, child: Child) -> None:
    duration = time.monotonic() - child.clock
    extra = f' error="{crawl_round.error}"' if crawl_round.error else ""
    log.log(
        logging.WARNING if crawl_round.status == "failed" else logging.INFO,
        "round source=%s status=%s pages=%d added=%d updated=%d failures=%d duration=%.1fs%s",
        crawl_round.source,
        crawl_round.status,
        crawl_round.pages,
        crawl_round.added,
        crawl_round.updated,
        crawl_round.failures,
        duration,
        extra,
    )


@click.command("watch")
@click.option(
    "--once", is_flag=True, help="Crawl every due source once, update the index, exit (for cron)."
)
@click.option(
    "--jobs",
    default=DEFAULT_JOBS,
    show_default=True,
    type=click.IntRange(1, 16),
    help="Sources crawled at the same time (each by its own process).",
)
@click.option(
    "--retry-seconds",
    default=DEFAULT_RETRY_SECONDS,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Wait before retrying a failed round; doubles each failure, up to four intervals.",
)
@click.option(
    "--jitter",
    default=DEFAULT_JITTER,
    show_default=True,
    type=click.FloatRange(0, 0.5),
    help="Spread each interval by up to this share, so sources drift apart.",
)
@click.pass_context
def watch_command(ctx: click.Context, once: bool, jobs: int, retry_seconds: float, jitter: float):
    """Crawl each enabled source of DATA_DIR/sources.toml when due; keep the index current.

    One log line per round (source, status, pages, added, updated, failures,
    duration) on stderr. SIGTERM or Ctrl-C stops it cleanly: running crawls
    finish what is in flight, nothing fetched is lost. One watcher per data
    directory.
    """
    data_dir = ctx.obj["data_dir"]
    logging.basicConfig(  # force: `warta` set up WARNING-level logging already
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
        force=True,
    )
    watcher = Watcher(data_dir, jobs, once, retry_seconds, jitter)
    try:
        with exclusive(lock_path(data_dir, "watch")):
            previous = {s: signal.signal(s, watcher.stop) for s in (signal.SIGTERM, signal.SIGINT)}
            wakeup = signal.set_wakeup_fd(watcher.wake_write)
            try:
                watcher.run()
            finally:
                signal.set_wakeup_fd(wakeup)
                for signum, handler in previous.items():
                    signal.signal(signum, handler)
    except LockBusy as e:
        raise click.ClickException(
            f"Another `warta watch` (pid {e.pid}) is running on {data_dir}. Stop it first: "
            "two watchers would crawl the same sources twice."
        ) from e
    except SourcesError as e:
        raise click.ClickException(str(e)) from e
    log.info("stopped")
