"""The open generation of an index, following rebuilds and updates.

``warta index build`` writes a new generation and switches a link to it;
``warta index update`` commits new segments to the current one. ``Generations``
holds what is built over the open generation (a ``QueryPipeline``), rebuilds
it when either happens, and closes a replaced generation only after a while,
because requests on other threads may still be reading it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from whoosh import scoring

from index import open_index


class Generations:
    """The current generation of the index at ``index_dir``, and the replaced ones still open.

    ``build`` makes what a generation serves from an open Whoosh searcher and
    the generation's directory; the result must have a ``searcher`` attribute
    and a ``close()`` method.
    A replaced generation stays open ``retire_after`` seconds.
    """

    def __init__(self, index_dir: str | os.PathLike, build: Callable, retire_after: float):
        self.index_dir = Path(index_dir)
        self.retire_after = retire_after
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
            self._target = target
            self.current = self._build(index.searcher(weighting=scoring.BM25F()), target)
            if current is not None:
                self._retire(current)

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
