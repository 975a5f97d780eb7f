"""The open generation of an index, following rebuilds and updates.

``warta index build`` writes a new generation and switches a link to it;
``warta index update`` commits new segments to the current one. ``Generations``
holds what is built over the open generation (a ``QueryPipeline``), rebuilds
it when either happens, and closes a replaced generation only after a while,
because requests on other threads may still be reading it.

After a search that left more than ``release_bytes`` of files mapped into
the process beyond what was mapped after the last release, it unmaps the
open generation's segment pages (``MappedStorage.release``): pages read once
stay mapped, and the kernel maps tens of kilobytes around each read, so a
worker serving a large archive came to map over a gigabyte of the page cache
that no other process mapped, all of it counted as its private memory (USS).
Unmapping costs CPU when the pages are read again: at 250,000 articles about
8-12 % of a first-seen query's with a budget of 64-128 MB, so it waits for
the budget, which a small archive seldom reaches. It then also hands the C
allocator's free memory back to the system (glibc's ``malloc_trim``): each
thread of a worker allocates from its own arena, and the arenas kept about
100 MB freed by decoding postings (250,000 articles, four threads).
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from whoosh import scoring

from index import open_index

RELEASE_BYTES = 128 * 2**20  # of files mapped since the last release


def _malloc_trim():
    """glibc's ``malloc_trim``, or a stand-in doing nothing on another C library.

    Looked up among the symbols the process has loaded (``dlopen(NULL)``), which
    include its C library: ``ctypes.util.find_library`` runs ``ldconfig -p`` as a
    subprocess, about 10 ms at every start of ``warta search``.
    """
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return lambda _pad: 0


MALLOC_TRIM = _malloc_trim()


def mapped_file_bytes() -> int:
    """Bytes of files mapped into this process (resident), or 0 where /proc is missing."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[2]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class Generations:
    """The current generation of the index at ``index_dir``, and the replaced ones still open.

    ``build`` makes what a generation serves from an open Whoosh searcher and
    the generation's directory; the result must have a ``searcher`` attribute
    and a ``close()`` method.
    A replaced generation stays open ``retire_after`` seconds. ``searched()``
    releases the open generation's mapped pages once more than
    ``release_bytes`` of files were mapped since the last release (None: never).
    """

    def __init__(
        self,
        index_dir: str | os.PathLike,
        build: Callable,
        retire_after: float,
        release_bytes: int | None = RELEASE_BYTES,
    ):
        self.index_dir = Path(index_dir)
        self.retire_after = retire_after
        self.release_bytes = release_bytes
        self._mapped_after_release = mapped_file_bytes()
        self._storage = None
        self._build = build
        self._lock = threading.Lock()
        self._retired: list[tuple[float, object]] = []
        self._target: Path | None = None
        self.current = None
        self.refresh()

    @property
    def name(self) -> str:
        """The generation's directory and Whoosh generation number, e.g. ``gen-3:2``."""
        return f"{self._target.name}:{self.current.searcher.reader().generation()}"

    @property
    def retired(self) -> int:
        """How many replaced generations are still open."""
        return len(self._retired)

    def refresh(self) -> None:
        """Reopen the index if a rebuild switched generations or an update committed."""
        with self._lock:
            target = self.index_dir.resolve()
            current = self.current
            if current is not None and target == self._target and current.searcher.up_to_date():
                return
            # An update is opened afresh too: Whoosh's ``refresh()`` reuses a segment's
            # reader by segment id alone, so it kept an updated segment's old deletions
            # (deleted and replaced articles went on being found) and the readers of
            # segments a merge had replaced. Mapped segments make opening cheap.
            index = open_index(self.index_dir)
            self._storage = index.storage
            self._target = target
            self.current = self._build(index.searcher(weighting=scoring.BM25F()), target)
            if current is not None:
                self._retire(current)

    def searched(self) -> None:
        """After a search: past the budget, unmap the open generation's pages from this
        process (they stay in the page cache, mapped again when read) and return the
        allocator's free memory to the system."""
        if self.release_bytes is None:
            return
        with self._lock:
            if mapped_file_bytes() - self._mapped_after_release <= self.release_bytes:
                return
            if hasattr(self._storage, "release"):
                self._storage.release()
            MALLOC_TRIM(0)
            self._mapped_after_release = mapped_file_bytes()

    def _retire(self, generation) -> None:
        """Close replaced generations older than ``retire_after``; keep this one for now."""
        now = time.monotonic()
        self._retired.append((now, generation))
        while self._retired and now - self._retired[0][0] > self.retire_after:
            self._retired.pop(0)[1].close()

    def close(self) -> None:
        """Close every open generation."""
        with self._lock:
            for _, generation in self._retired:
                generation.close()
            self._retired.clear()
            if self.current is not None:
                self.current.close()
                self.current = None
