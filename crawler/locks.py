"""Lock files under ``DATA_DIR/locks``: one crawl of a source, one watcher, at a time.

A lock is an ``fcntl.flock`` on a file that holds the owner's pid, so the
kernel releases it when the owner dies however it dies, and a refusal can
say who holds it.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCKS_DIRNAME = "locks"


class LockBusy(Exception):
    """Another process holds the lock; ``pid`` is its process id when known."""

    def __init__(self, path: Path, pid: int | None):
        super().__init__(f"{path} is held by process {pid or 'unknown'}")
        self.path = path
        self.pid = pid


def lock_path(data_dir: str | os.PathLike, name: str) -> Path:
    """The lock file ``name`` of a data directory."""
    return Path(data_dir) / LOCKS_DIRNAME / f"{name}.lock"


def holder(path: Path) -> int | None:
    """The pid written in a lock file, if any."""
    try:
        return int(path.read_text().strip() or 0) or None
    except (OSError, ValueError):
        return None


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold ``path`` for the block, or raise LockBusy at once if another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockBusy(path, holder(path)) from None
        try:
            f.seek(0)
            f.truncate()
            f.write(str(os.getpid()))
            f.flush()
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)
