"""Two processes for a rebuild or a large update: the parent and a forked child share the work.

Each pass splits the store's articles by position (even ones to the parent,
odd ones to the child), so both cores stay busy without sending article text
between processes: the child reads the store through its own connection.

- ``signatures_task``: MinHash signatures of the bodies (this also fills the
  stem cache, so a cold rebuild stems each word once per process at most).
- ``bodies_task`` and ``documents_task``: an update's signatures and
  segments (``bodies_task`` also signs the few articles a warm rebuild
  lacks), when there are enough articles for a fork to pay
  (``build.PARALLEL_DOCS``): the articles are already in memory, so the
  child inherits them.
- ``segments_task``: Whoosh segments of up to ``SEGMENT_DOCS`` articles,
  written in bulk (``segments.BulkSegmentWriter``). On the 25k-article
  archive each process writes one segment: fewer, bigger segments write each
  term's postings once instead of once per segment. A segment's postings
  stay in memory until it is written (about 400 MB for 12,700 articles),
  which is what bounds ``SEGMENT_DOCS``. The parent commits all segments at once.

The cycle collector is paused meanwhile (see ``_without_cyclic_gc``).
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from whoosh import index as whoosh_index

from crawler.store import Store

from . import analysis
from .dedup import signature
from .errors import WartaIndexError
from .segments import BulkSegmentWriter

SEGMENT_DOCS = 15000

PR_SET_PDEATHSIG = 1

Tick = Callable[[], None]


def signatures_task(store: Store, shard: int, shards: int, tick: Tick, protected, known=()):
    """Signatures of every ``shards``-th article body but those in ``known``; with the
    stems it computed."""
    signatures = {}
    for i, (article, _) in enumerate(store.iter_articles()):
        if i % shards == shard:
            if article.id not in known:
                signatures[article.id] = signature(article.body, protected)
            tick()
    return signatures, analysis.take_fresh_stems()


def bodies_task(store: Store, shard: int, shards: int, tick: Tick, articles, protected):
    """Signatures of every ``shards``-th of ``articles`` (an update's, or those a warm
    rebuild lacks); with the stems computed."""
    signatures = {}
    for article in articles[shard::shards]:
        signatures[article.id] = signature(article.body, protected)
        tick()
    return signatures, analysis.take_fresh_stems()


def segments_task(store: Store, shard: int, shards: int, tick: Tick, gen_dir, documents):
    """Whoosh segments holding every ``shards``-th article; with the stems computed."""

    def mine() -> Iterator[dict]:
        for i, (article, _) in enumerate(store.iter_articles()):
            if i % shards == shard:
                fields = documents(article)
                if fields is not None:  # None: stored after the build began (for the next update)
                    yield fields
                tick()

    return _write_segments(whoosh_index.open_dir(gen_dir), mine()), analysis.take_fresh_stems()


def documents_task(store, shard: int, shards: int, tick: Tick, ix, documents, reported):
    """Segments of every ``shards``-th of ``documents`` (an update's); with the stems computed.

    ``tick`` hears of the first ``reported`` documents only (the changed
    articles, not the regrouped or merged ones).
    """

    def mine() -> Iterator[dict]:
        for i in range(shard, len(documents), shards):
            yield documents[i]
            if i < reported:
                tick()

    return _write_segments(ix, mine()), analysis.take_fresh_stems()


def _write_segments(ix, documents: Iterable[dict]) -> list:
    """Bulk segments of ``documents``, one closed every ``SEGMENT_DOCS`` (the step
    MpWriter's sub-writers take: close the segment, hand it over)."""
    segments, writer = [], None
    try:
        for n, fields in enumerate(documents, 1):
            if writer is None:
                writer = BulkSegmentWriter(ix)
            writer.add_document(**fields)
            if n % SEGMENT_DOCS == 0:
                segments.append(writer._finalize_segment())
                writer = None
        if writer is not None:
            segments.append(writer._finalize_segment())
    except BaseException:
        if writer is not None:
            writer.cancel()
        raise
    return segments


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this child when the parent dies (a killed build stops whole)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl
        os._exit(1)


def _child(task, store_file: str, conn, counter, args, parent: int) -> None:
    _die_with_parent(parent)

    def tick():
        counter.value += 1

    analysis.take_fresh_stems()  # report only the stems computed here
    try:
        if store_file is None:  # the task needs no store
            conn.send(("ok", task(None, 1, 2, tick, *args)))
        else:
            with Store(store_file) as store:
                conn.send(("ok", task(store, 1, 2, tick, *args)))
    except BaseException as e:  # the parent raises it
        conn.send(("error", f"{type(e).__name__}: {e}"))
    finally:
        conn.close()


class _SharedProgress:
    """The parent's articles plus the child's (a counter in shared memory)."""

    def __init__(self, progress, counter):
        self.progress, self.counter = progress, counter
        self.own = self.reported = 0

    def tick(self, own: int = 1) -> None:
        self.own += own
        total = self.own + self.counter.value
        if self.progress and total > self.reported:
            self.progress(total - self.reported)
            self.reported = total


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause the cycle collector: a segment holds millions of lists and no cycles.

    Python would otherwise walk them again and again as they pile up (a fifth
    of a rebuild's time). The forked child inherits the setting.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_sharded(task, store: Store | None, args: tuple, progress=None) -> tuple:
    """Run ``task`` on half the articles here and half in a forked child; both results.

    The child opens its own connection to ``store`` (None: the task needs none).
    """
    with _without_cyclic_gc():
        return _run_sharded(task, store, args, progress)


def _run_sharded(task, store: Store | None, args: tuple, progress) -> tuple:
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    counter = context.Value("l", 0, lock=False)
    child = context.Process(
        target=_child,
        args=(task, None if store is None else str(store.path), send, counter, args, os.getpid()),
    )
    shared = _SharedProgress(progress, counter)
    child.start()
    send.close()
    try:
        mine = task(store, 0, 2, shared.tick, *args)
        status, theirs = receive.recv()
        child.join()
    except BaseException:
        child.kill()
        child.join()
        raise
    if status != "ok":
        raise WartaIndexError(
            f"Indexing failed in the worker process ({theirs}). The old index still serves."
        )
    shared.tick(0)
    return mine, theirs
