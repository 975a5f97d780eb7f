"""Two processes for a rebuild or a large update: the parent and a forked child share the work.

Each task takes a ``Shard``: every other article by position goes to the
parent, the rest to the child, so both cores stay busy without sending
article text between processes (the child reads the store through its own
connection, and inherits whatever else the task needs).

- ``signatures_task``: MinHash signatures and story sketches (``stories``) of the
  articles in the store (this
  also fills the stem cache, so a cold rebuild stems each word once per
  process at most).
- ``bodies_task`` and ``documents_task``: signatures and segments of articles
  already in memory (an update's, or those a warm rebuild lacks), in two
  processes from ``PARALLEL_DOCS`` of them, when a fork pays.
- ``segments_task``: Whoosh segments of up to ``SEGMENT_DOCS`` articles, and
  the digest of their documents (``fingerprints``),
  written in bulk (``segments.BulkSegmentWriter``). On the 25k-article
  archive each process writes one segment: fewer, bigger segments write each
  term's postings once instead of once per segment. A segment's postings
  stay in memory until it is written (about 400 MB for 12,700 articles),
  which is what bounds ``SEGMENT_DOCS``. The parent commits all segments at once.

Every task stems with the ``Stemmer`` it is given. The child works on its
copy and hands back the stems it computed, which the parent's Stemmer
adopts: no stem is computed twice by one process, none is lost. A child's
failure reaches the parent with its traceback, which the parent logs before
raising one sentence. The cycle collector is paused meanwhile (see
``_without_cyclic_gc``).
"""

from __future__ import annotations

import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index

from crawler.store import Store

from .analysis import Stemmer
from .errors import WartaIndexError
from .fingerprints import add_document, combine, document_hasher
from .segments import BulkSegmentWriter
from .stories import _arrays_of, _write_chunk, sign_article

SEGMENT_DOCS = 15000
# A cold rebuild's first pass turns this many sketches at once into flat arrays
# (``blocks_task``): as Python objects they took 5 KB an article.
SKETCH_FLUSH = 5000
# Articles already in memory are signed and indexed in one process below this
# many; from here in two, half each. Measured on the 25k index: 16 articles
# 0.16 s in one process, 0.17 s in two; 32: 0.20 s either way; 64: 0.28, 0.23 s.
PARALLEL_DOCS = 32

PR_SET_PDEATHSIG = 1

log = logging.getLogger(__name__)

Tick = Callable[[], None]
Progress = Callable[[int], None]


def _no_tick() -> None:
    pass


@dataclass(frozen=True)
class Shard:
    """One process's share: the items at ``number``, ``number + count``, ... ; ``tick`` per item."""

    number: int = 0
    count: int = 1
    tick: Tick = _no_tick

    def owns(self, position: int) -> bool:
        """Whether the item at ``position`` is this shard's."""
        return position % self.count == self.number

    def take(self, items: Sequence) -> Sequence:
        """This shard's items of ``items``."""
        return items[self.number :: self.count]


def signatures_task(shard: Shard, store: Store, stemmer: Stemmer, known=frozenset()) -> dict:
    """{id: (signature, sketch)} of this shard's articles in the store, but those in ``known``."""
    signatures = {}
    for position, (article, _) in enumerate(store.iter_articles()):
        if shard.owns(position):
            if article.id not in known:
                signatures[article.id] = sign_article(article, stemmer)
            shard.tick()
    return signatures


@dataclass
class SignedBlock:
    """One process's share of a cold rebuild's first pass, in bulk and in id order.

    ``matrix`` holds the MinHash signatures of ``signed`` (the articles of ``ids``
    with content words); the sketches are a stories chunk file already written
    (``chunk``: its name, ids and layout, with source codes into ``sources``), and
    ``vocab``/``df`` are the document frequencies of its terms.
    """

    ids: list[str]
    signed: list[str]
    matrix: object  # numpy uint32 rows
    chunk: dict
    sources: list[str]
    vocab: object
    df: object


def blocks_task(
    shard: Shard, store: Store, stemmer: Stemmer, folder: str, bounds: list
) -> SignedBlock:
    """``SignedBlock`` of the articles with ``bounds[number] <= id < bounds[number + 1]``
    (None: unbounded), its sketches written as a stories chunk in ``folder``."""
    import numpy as np

    low, high = (
        (bounds[shard.number], bounds[shard.number + 1]) if shard.count > 1 else (None, None)
    )
    ids, signed, rows, matrices, pending, parts = [], [], [], [], [], []
    codes: dict[str, int] = {}
    for article, _ in store.iter_articles():
        if (low is not None and article.id < low) or (high is not None and article.id >= high):
            continue
        values, sketch = sign_article(article, stemmer)
        ids.append(article.id)
        if values is not None:
            signed.append(article.id)
            rows.append(values)
        codes.setdefault(sketch.source, len(codes))
        pending.append(sketch)
        if len(pending) >= SKETCH_FLUSH:
            parts.append(_arrays_of(pending, codes))
            matrices.append(np.stack(rows) if rows else np.zeros((0, 0), np.uint32))
            pending, rows = [], []
        shard.tick()
    parts.append(_arrays_of(pending, codes))
    matrices.append(np.stack(rows) if rows else np.zeros((0, 0), np.uint32))
    del pending, rows
    arrays = _flat_join(parts)
    del parts
    file, layout = _write_chunk(Path(folder), arrays)
    vocab, df = np.unique(arrays["terms"], return_counts=True)
    matrix = np.concatenate([m for m in matrices if m.size]) if signed else None
    return SignedBlock(
        ids=ids,
        signed=signed,
        matrix=matrix,
        chunk={"file": file, "ids": ids, "layout": layout},
        sources=list(codes),
        vocab=vocab.astype(np.uint32),
        df=df.astype(np.int64),
    )


def _flat_join(parts: list[dict]) -> dict:
    """Flat sketch arrays (``stories._arrays_of``) of several parts, one after the other."""
    import numpy as np

    joined = {}
    for name in parts[0]:
        if name not in ("sh_off", "te_off"):
            joined[name] = np.concatenate([part[name] for part in parts])
    for off, data in (("sh_off", "shingles"), ("te_off", "terms")):
        bases = np.cumsum([0, *(len(part[data]) for part in parts)])
        joined[off] = np.concatenate(
            [
                np.zeros(1, np.int64),
                *(part[off][1:] + base for part, base in zip(parts, bases[:-1], strict=True)),
            ]
        )
    return joined


def bodies_task(shard: Shard, store: None, stemmer: Stemmer, articles: list) -> dict:
    """{id: (signature, sketch)} of this shard's ``articles`` (an update's, or those a warm
    rebuild lacks)."""
    signatures = {}
    for article in shard.take(articles):
        signatures[article.id] = sign_article(article, stemmer)
        shard.tick()
    return signatures


def segments_task(
    shard: Shard, store: Store, stemmer: Stemmer, gen_dir: str, documents
) -> tuple[list, str]:
    """Whoosh segments of this shard's articles in the store, and the digest of their
    documents (``fingerprints``); ``documents(article)`` gives an article's fields,
    or None to leave it out."""
    hasher = document_hasher()

    def mine() -> Iterator[dict]:
        for fields in shard_documents(shard, store, documents):
            add_document(hasher, fields)
            yield fields

    segments = write_segments(whoosh_index.open_dir(gen_dir), mine(), stemmer)
    return segments, hasher.hexdigest()


def shard_documents(shard: Shard, store: Store, documents) -> Iterator[dict]:
    """The fields of this shard's articles in the store, in store order."""
    for position, (article, _) in enumerate(store.iter_articles()):
        if shard.owns(position):
            fields = documents(article)
            if fields is not None:  # None: stored after the build began (for the next update)
                yield fields
            shard.tick()


def documents_digest(store: Store, documents, shards: int = 2) -> str:
    """The digest ``segments_task`` gives of its documents, combined over ``shards``
    processes, computed here in one pass and without writing anything."""
    hashers = [document_hasher() for _ in range(shards)]
    for position, (article, _) in enumerate(store.iter_articles()):
        fields = documents(article)
        if fields is not None:
            add_document(hashers[position % shards], fields)
    return combine([hasher.hexdigest() for hasher in hashers])


def documents_task(shard: Shard, store, stemmer: Stemmer, index, documents, reported) -> list:
    """Segments of this shard's ``documents`` (an update's).

    ``shard.tick`` hears of the first ``reported`` documents only (the changed
    articles, not the regrouped or merged ones).
    """

    def mine() -> Iterator[dict]:
        for i in range(shard.number, len(documents), shard.count):
            yield documents[i]
            if i < reported:
                shard.tick()

    return write_segments(index, mine(), stemmer)


def write_segments(index, documents: Iterable[dict], stemmer: Stemmer) -> list:
    """Bulk segments of ``documents``, one closed every ``SEGMENT_DOCS`` (the step
    MpWriter's sub-writers take: close the segment, hand it over)."""
    segments, writer = [], None
    try:
        for n, fields in enumerate(documents, 1):
            if writer is None:
                writer = BulkSegmentWriter(index, stemmer)
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


# -- running a task on one process or two --------------------------------------


def run_shards(task, args: tuple, *, stemmer: Stemmer, store=None, progress=None, items=None):
    """Run ``task`` on every shard; the results, in shard order.

    With ``items`` under ``PARALLEL_DOCS`` one shard, here; otherwise two: half
    here, half in a forked child that opens its own connection to ``store``
    (None: the task needs none). ``progress`` hears of both processes' items.
    """
    with _without_cyclic_gc():
        if items is not None and items < PARALLEL_DOCS:
            tick = (lambda: progress(1)) if progress else _no_tick
            return [task(Shard(0, 1, tick), store, stemmer, *args)]
        return list(_run_forked(task, args, stemmer, store, progress))


@dataclass
class _Outcome:
    """What the child sends back: its result and new stems, or its failure."""

    result: object = None
    new_stems: dict[str, str] = field(default_factory=dict)
    failure: str | None = None  # "Type: message"
    traceback: str = ""


def _run_forked(task, args: tuple, stemmer: Stemmer, store: Store | None, progress) -> tuple:
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    counter = context.Value("l", 0, lock=False)
    store_file = None if store is None else str(store.path)
    child = context.Process(
        target=_child, args=(task, args, stemmer, store_file, send, counter, os.getpid())
    )
    shared = _SharedProgress(progress, counter)
    child.start()
    send.close()
    try:
        mine = task(Shard(0, 2, shared.tick), store, stemmer, *args)
        theirs: _Outcome = receive.recv()
        child.join()
    except BaseException:
        child.kill()
        child.join()
        raise
    _raise_failure(theirs)
    stemmer.adopt(theirs.new_stems)
    shared.tick(0)
    return mine, theirs.result


def _child(task, args, stemmer: Stemmer, store_file, send, counter, parent: int) -> None:
    _die_with_parent(parent)

    def tick():
        counter.value += 1

    stemmer.take_new()  # those are the parent's to persist: report only the stems made here
    try:
        with nullcontext() if store_file is None else Store(store_file) as store:
            result = task(Shard(1, 2, tick), store, stemmer, *args)
        send.send(_Outcome(result=result, new_stems=stemmer.take_new()))
    except BaseException as e:  # the parent logs it and raises a sentence
        send.send(_Outcome(failure=f"{type(e).__name__}: {e}", traceback=traceback.format_exc()))
    finally:
        send.close()


class WorkerFailure(Exception):
    """A failure in the forked worker, with its traceback (the cause of the sentence raised)."""


def _raise_failure(outcome: _Outcome) -> None:
    if outcome.failure is None:
        return
    log.error("Indexing failed in the worker process:\n%s", outcome.traceback)
    raise WartaIndexError(
        f"Indexing failed in the worker process ({outcome.failure}). The old index still serves."
    ) from WorkerFailure(outcome.traceback)


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this child when the parent dies (a killed build stops whole)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl
        os._exit(1)


class _SharedProgress:
    """The parent's articles plus the child's (a counter in shared memory)."""

    def __init__(self, progress: Progress | None, counter):
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
