"""The index on disk: a link to its current generation, each generation's manifest, the lock.

``<index_dir>`` is a symlink to a generation directory under
``<index_dir>.d/``. A rebuild writes a fresh generation and then swaps the
link atomically, so readers never see a half-built index and a failed build
leaves the old one serving. Each generation holds, beside Whoosh's files, its
manifest (``Manifest``: the index format, the store's change number it
reflects, its last commit, when it was built and updated) and its
near-duplicate groups (``dups.pickle``). Beside the link live the stem cache
(``<index_dir>-stems.sqlite``) and the lock file (``<index_dir>.lock``) that
lets one build or update run at a time.
"""

from __future__ import annotations

import dataclasses
import fcntl
import gc
import json
import os
import pickle
import shutil
import struct
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.writing import LockError

from .errors import IndexLockedError, IndexNotFoundError, IndexOutdatedError, WartaIndexError
from .schema import INDEX_FORMAT

INDEX_DIRNAME = "index"
# The manifest's file name predates the word; existing indexes keep theirs.
MANIFEST_FILE = "state.json"
LOCK_TIMEOUT = 10.0
# What opening a Whoosh index raises when its files were written by another
# version (a schema pickled with other class paths) or are damaged (a
# truncated table of contents): a rebuild mends both. Any other error, such
# as a permission denied, is left to say what it is.
UNREADABLE_INDEX_ERRORS = (
    pickle.UnpicklingError,
    EOFError,
    AttributeError,
    ImportError,
    IndexError,
    KeyError,
    TypeError,
    ValueError,
    struct.error,
    whoosh_index.IndexError,
)


def index_path(data_dir: str | os.PathLike) -> Path:
    """Where the index of a data directory lives."""
    return Path(data_dir) / INDEX_DIRNAME


def index_state(index_dir: str | os.PathLike) -> dict:
    """What the current generation records: the store's change number it reflects
    (``seq``), ``built`` and ``updated`` times; {} when there is no index."""
    manifest = Manifest.read(Path(index_dir).resolve())
    return {k: v for k, v in dataclasses.asdict(manifest).items() if v is not None}


def now() -> str:
    """The current time as the manifest records it (UTC, to the second)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Manifest:
    """What a generation records about itself (``state.json``).

    ``seq`` is the store's change number the generation reflects (None: not
    known); ``toc`` the Whoosh commit that the manifest and the duplicate
    groups describe.
    """

    format: int | None = None
    seq: int | None = None
    toc: int | None = None
    built: str | None = None
    updated: str | None = None

    @classmethod
    def read(cls, gen_dir: Path) -> Manifest:
        """The manifest of a generation (empty if it has none or it cannot be read)."""
        try:
            data = json.loads((gen_dir / MANIFEST_FILE).read_text())
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        return cls(**{f.name: data.get(f.name) for f in dataclasses.fields(cls)})

    def write(self, gen_dir: Path) -> None:
        """Write it atomically."""
        tmp = gen_dir / (MANIFEST_FILE + ".tmp")
        tmp.write_text(json.dumps(dataclasses.asdict(self), indent=1))
        os.replace(tmp, gen_dir / MANIFEST_FILE)


def open_index(index_dir: str | os.PathLike):
    """Open the current generation of the index for reading."""
    target = Path(index_dir).resolve()
    missing = f"No index at {index_dir}. Run `warta index build` first."
    if not target.is_dir() or not any(target.glob("_*.toc")):
        raise IndexNotFoundError(missing)
    rebuild = (
        f"The index at {index_dir} was written by another version of Warta or cannot be "
        "read. Run `warta index build` to rebuild it from the store (no article is lost)."
    )
    if Manifest.read(target).format != INDEX_FORMAT:
        raise IndexOutdatedError(rebuild)
    # Whoosh leaves an unreadable file open when it fails; let it close quietly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            return whoosh_index.open_dir(target)
        except whoosh_index.EmptyIndexError as e:
            raise IndexNotFoundError(missing) from e
        except UNREADABLE_INDEX_ERRORS as e:
            # Its traceback holds the file Whoosh left open: keep the error, free the file.
            unreadable = e.with_traceback(None)
        gc.collect()
    raise IndexOutdatedError(rebuild) from unreadable


def _locked_message(link: Path, timeout: float) -> str:
    return (
        f"Another Warta process is building or updating the index at {link}; "
        f"waited {timeout:.0f} s. Try again when it has finished."
    )


@contextmanager
def exclusive(link: Path, timeout: float) -> Iterator[None]:
    """Hold the index's lock file: one build or update at a time, waiting up to ``timeout``."""
    link.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    with open(link.with_name(link.name + ".lock"), "a") as lock_file:
        while True:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexLockedError(_locked_message(link, timeout)) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def writer(index, link: Path, timeout: float = LOCK_TIMEOUT):
    """A Whoosh writer of ``index``; a writer held elsewhere becomes the locked sentence."""
    try:
        return index.writer(timeout=timeout)
    except LockError as e:
        raise IndexLockedError(_locked_message(link, timeout)) from e


def new_generation(link: Path) -> Path:
    """An empty directory for a new generation."""
    generations = link.parent / (link.name + ".d")
    generations.mkdir(parents=True, exist_ok=True)
    gen_dir = generations / f"gen-{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{os.getpid()}"
    gen_dir.mkdir()
    return gen_dir


def switch(link: Path, gen_dir: Path) -> None:
    """Point the link at ``gen_dir`` atomically."""
    if link.exists() and not link.is_symlink():
        raise WartaIndexError(f"{link} is not a Warta index link. Move it aside and rebuild.")
    tmp = link.with_name(link.name + ".new")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(os.path.relpath(gen_dir, link.parent), tmp)
    os.replace(tmp, link)


def remove_old_generations(gen_dir: Path) -> None:
    """Delete every generation but ``gen_dir``."""
    # Readers opened before the switch keep working: their files stay open.
    for old in gen_dir.parent.iterdir():
        if old != gen_dir and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
