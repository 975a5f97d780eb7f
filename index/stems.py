"""The persisted stem cache: token → Sastrawi stem, in SQLite beside the index.

Sastrawi is the slowest part of analysis (about 0.1 ms a word); a rebuild or
an update looks every known word up here instead of stemming it again,
through a ``Stemmer`` the cache seeds (``rebuild_stemmer``, ``update_stemmer``)
and whose new stems it keeps (``add``). The cache holds plain Sastrawi stems:
protected words are applied on top, so editing the protected list never makes
the cache stale. A change of Sastrawi's version empties it.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from .analysis import WORD_PATTERN, Stemmer

STEMS_SUFFIX = "-stems.sqlite"


def stem_cache_path(index_dir: str | os.PathLike) -> Path:
    """Where the stem cache of an index lives: beside it, outside its generations."""
    index_dir = Path(index_dir)
    return index_dir.with_name(index_dir.name + STEMS_SUFFIX)


def _sastrawi_version() -> str:
    return metadata.version("PySastrawi")


class StemCache:
    """An open stem cache. Use as a context manager or call ``close()``."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._inherited = []
        self._connect()
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS stems (token TEXT PRIMARY KEY, stem TEXT)")
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        self._check_version()

    def _connect(self) -> None:
        self._pid = os.getpid()
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def _own_db(self) -> sqlite3.Connection:
        """This process's connection: a forked worker opens its own (an SQLite
        connection must not cross a fork; the inherited one is kept, unused)."""
        if os.getpid() != self._pid:
            self._inherited.append(self.db)
            self._connect()
        return self.db

    def __enter__(self) -> StemCache:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def _check_version(self) -> None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'sastrawi'").fetchone()
        version = _sastrawi_version()
        if row is None or row[0] != version:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.execute("DELETE FROM stems")
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('sastrawi', ?)", (version,))

    def load(self) -> dict[str, str]:
        """Every cached stem (a rebuild reads them all at once)."""
        return dict(self.db.execute("SELECT token, stem FROM stems"))

    def get(self, token: str) -> str | None:
        """One cached stem, or None (an update looks up only the words it meets)."""
        row = self._own_db().execute("SELECT stem FROM stems WHERE token = ?", (token,)).fetchone()
        return row[0] if row else None

    def get_many(self, tokens) -> dict[str, str]:
        """The cached stems of those ``tokens`` that have one (a query per 500)."""
        return _select_stems(self._own_db(), tokens)

    def add(self, stems: dict[str, str]) -> int:
        """Remember new stems; how many."""
        if stems:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.executemany("INSERT OR REPLACE INTO stems VALUES (?, ?)", stems.items())
        return len(stems)

    def rebuild_stemmer(self, protected: dict[str, str]) -> Stemmer:
        """A Stemmer that knows every cached stem (a rebuild meets most words)."""
        stemmer = Stemmer(protected)
        stemmer.remember(self.load())
        return stemmer

    def update_stemmer(self, protected: dict[str, str], texts: Iterable[str]) -> Stemmer:
        """A Stemmer that asks this cache for the words it does not know.

        The cached stems of the words of ``texts`` are fetched at once (a few
        queries, not one a word). A forked worker asks through its own connection.
        """
        stemmer = Stemmer(protected, persisted=self.get)
        words = set()
        for text in texts:
            words.update(WORD_PATTERN.findall(text.lower()))
        stemmer.remember(self.get_many(words))
        return stemmer

    def __len__(self) -> int:
        return self.db.execute("SELECT count(*) FROM stems").fetchone()[0]


def _select_stems(db: sqlite3.Connection, tokens) -> dict[str, str]:
    """token → stem of those ``tokens`` the cache holds, a query per 500 tokens."""
    tokens, found = list(tokens), {}
    for i in range(0, len(tokens), 500):
        chunk = tokens[i : i + 500]
        marks = ",".join("?" * len(chunk))
        found.update(db.execute(f"SELECT token, stem FROM stems WHERE token IN ({marks})", chunk))
    return found


class StemReader:
    """Read-only lookups in a persisted stem cache: ``reader(word)`` → stem or None.

    Searching stems the words of every article it shows a snippet of; the
    archive's words are all in the cache, and a lookup costs a few
    microseconds where Sastrawi takes about a millisecond. Nothing is held
    in memory but one connection per process (a forked worker opens its
    own); a missing cache, or one of another Sastrawi version, answers None.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._db: sqlite3.Connection | None = None

    def __call__(self, word: str) -> str | None:
        with self._lock:
            db = self._connection()
            if db is None:
                return None
            row = db.execute("SELECT stem FROM stems WHERE token = ?", (word,)).fetchone()
        return row[0] if row else None

    def many(self, words) -> dict[str, str]:
        """The stems of those ``words`` that have one, looked up together (a query per 500)."""
        with self._lock:
            db = self._connection()
            return {} if db is None else _select_stems(db, words)

    def _connection(self) -> sqlite3.Connection | None:
        if self._pid != os.getpid():
            self._pid, self._db = os.getpid(), self._open()
        return self._db

    def _open(self) -> sqlite3.Connection | None:
        if not self.path.is_file():
            return None
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'sastrawi'").fetchone()
        except sqlite3.Error:
            row = None
        if row is None or row[0] != _sastrawi_version():
            db.close()
            return None
        return db
