"""The article store: SQLite, the source of truth for everything else.

The search index is derived from this store and can always be rebuilt. Every
insert, update and delete bumps a change sequence number (``seq``) so that the
indexer can ask for "what changed since seq N" and do work proportional to the
change.

An article is its id, and its URL (when it has one) is unique: one article
per URL. Storing an article whose URL another id holds replaces that article
(``Store.upsert``); the indexer sees the old id as deleted.

Deleting an article on purpose (``Store.delete``, ``warta delete``) withdraws
its URLs: crawls skip them (``is_withdrawn``) until the article is stored
again explicitly (an import), which lifts the withdrawal.
"""

from __future__ import annotations

import json
import os
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from .article import Article

DEFAULT_DATA_DIR = "data"
STORE_FILENAME = "warta.db"
SCHEMA_VERSION = 6
# How many replacements ``Store.successor`` follows from an old id (a → b → c …).
MAX_SUCCESSION = 16

_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS articles (
    id           TEXT PRIMARY KEY,
    url          TEXT UNIQUE,
    source       TEXT,
    title        TEXT NOT NULL,
    published    TEXT,
    author       TEXT,
    body         TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    added        TEXT NOT NULL,
    updated      TEXT NOT NULL,
    seq          INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_seq ON articles(seq);
CREATE TABLE IF NOT EXISTS deletions (
    id  TEXT PRIMARY KEY,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deletions_seq ON deletions(seq);
CREATE TABLE IF NOT EXISTS counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO counters(name, value) VALUES ('seq', 0);
"""

# Version 2: what the crawler fetched (for conditional GET, resuming and the
# crawl summary) and the raw pages, zlib-compressed, for `warta reparse`.
_SCHEMA_V2 = """
CREATE TABLE IF NOT EXISTS fetches (
    url           TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    reason        TEXT,
    status        INTEGER,
    etag          TEXT,
    last_modified TEXT,
    article_id    TEXT,
    fetched       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS raw_pages (
    url          TEXT PRIMARY KEY,
    article_id   TEXT,
    part         INTEGER NOT NULL DEFAULT 0,
    content_type TEXT,
    encoding     TEXT,
    body         BLOB NOT NULL,
    fetched      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS raw_pages_article ON raw_pages(article_id, part);
"""

# Version 3: one row per crawl round of a source (``warta crawl --source``,
# ``warta watch``): what it fetched and stored, why it failed, and the
# extraction signals ``crawler.health`` compares with the outlet's usual.
_SCHEMA_V3 = """
CREATE TABLE IF NOT EXISTS crawl_rounds (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT NOT NULL,
    started     TEXT NOT NULL,
    ended       TEXT,
    status      TEXT NOT NULL,
    pages       INTEGER NOT NULL DEFAULT 0,
    from_store  INTEGER NOT NULL DEFAULT 0,
    link_only   INTEGER NOT NULL DEFAULT 0,
    added       INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0,
    failures    INTEGER NOT NULL DEFAULT 0,
    reasons     TEXT NOT NULL DEFAULT '{}',
    signals     TEXT NOT NULL DEFAULT '{}',
    error       TEXT
);
CREATE INDEX IF NOT EXISTS crawl_rounds_source ON crawl_rounds(source, started);
CREATE INDEX IF NOT EXISTS articles_title ON articles(title);
"""

# Version 4: whether the title was derived from the first sentence (none was
# given). Stored titles that are the start of their body (whole, or cut and
# ended with "…") were derived by the importers of versions 1-3: they are
# marked without a re-import.
_SCHEMA_V4 = """
ALTER TABLE articles ADD COLUMN title_derived INTEGER NOT NULL DEFAULT 0;
UPDATE articles SET title_derived = 1
 WHERE title != ''
   AND (substr(body, 1, length(title)) = title
        OR (title LIKE '%…'
            AND substr(body, 1, length(title) - 1) = substr(title, 1, length(title) - 1)));
"""

# Version 5: one article per URL. An article stored with the URL of an article
# kept under another id replaces it; the old id's deletion names its successor.
# Older deletions were plain ones (NULL).
_SCHEMA_V5 = """
ALTER TABLE deletions ADD COLUMN replaced_by TEXT;
"""

# Version 6: the URLs of articles deleted on purpose (`warta delete`, a takedown),
# which crawls must not fetch again. Storing the article explicitly (an import)
# lifts the withdrawal of every URL it had.
_SCHEMA_V6 = """
CREATE TABLE IF NOT EXISTS withdrawn (
    url        TEXT PRIMARY KEY,
    article_id TEXT NOT NULL,
    withdrawn  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS withdrawn_article ON withdrawn(article_id);
"""

# Each entry upgrades the store from version N-1 to N. Later issues append here.
MIGRATIONS: dict[int, str] = {
    1: _SCHEMA_V1,
    2: _SCHEMA_V2,
    3: _SCHEMA_V3,
    4: _SCHEMA_V4,
    5: _SCHEMA_V5,
    6: _SCHEMA_V6,
}

_COLUMNS = "id, url, source, title, published, author, body, title_derived"


def _statements(script: str) -> Iterator[str]:
    """The SQL statements of a migration script, one at a time."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            yield statement.strip()
            statement = ""
    if statement.strip():
        yield statement.strip()


class StoreError(Exception):
    """The article store cannot be opened or used."""


@dataclass(frozen=True)
class FetchRecord:
    """What the crawler last did with one (canonical) URL.

    ``kind`` is what the URL was fetched as (page, article, sitemap, feed);
    ``outcome`` is stored, unchanged, followed, skipped or error, with a
    sentence in ``reason`` for the last two.
    """

    url: str
    kind: str
    outcome: str
    reason: str | None = None
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    article_id: str | None = None
    fetched: str = ""


@dataclass(frozen=True)
class RawPage:
    """A page as it was fetched: the bytes, their type and their encoding."""

    url: str
    body: bytes
    content_type: str | None = None
    encoding: str | None = None
    article_id: str | None = None
    part: int = 0


@dataclass(frozen=True)
class CrawlRound:
    """One crawl of one source: what it did, and the extraction signals of its new articles.

    ``status`` is running, ok, failed or interrupted. ``reasons`` counts the
    failures by reason; ``signals`` maps a signal name to ``[count, out_of]``
    (see ``Store.extraction_signals``). Times are UTC ISO 8601 with offset.
    """

    source: str
    started: str
    status: str = "running"
    ended: str | None = None
    pages: int = 0
    from_store: int = 0
    link_only: int = 0
    added: int = 0
    updated: int = 0
    failures: int = 0
    reasons: dict = field(default_factory=dict)
    signals: dict = field(default_factory=dict)
    error: str | None = None
    id: int | None = None


SHORT_BODY_CHARS = 300


@dataclass(frozen=True)
class StoredArticle:
    """An article as the store holds it, with its bookkeeping."""

    article: Article
    content_hash: str
    added: str
    updated: str
    seq: int


def _read_only(directory: Path) -> bool:
    try:
        return bool(os.statvfs(directory).f_flag & os.ST_RDONLY) or not os.access(
            directory, os.W_OK
        )
    except OSError:
        return False


def store_path(data_dir: str | os.PathLike) -> Path:
    """Where the store of a data directory lives."""
    return Path(data_dir) / STORE_FILENAME


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _row_to_article(row: sqlite3.Row) -> Article:
    return Article(
        id=row["id"],
        url=row["url"],
        source=row["source"],
        title=row["title"],
        published=row["published"],
        author=row["author"],
        body=row["body"],
        title_derived=bool(row["title_derived"]),
    )


def _keep_given_title(article: Article, row: sqlite3.Row | None) -> Article:
    """``article``, with the stored title when it was given and the new one is derived.

    A copy imported without a title must not replace a title a page or a file gave.
    """
    if row is None or not article.title_derived or row["title_derived"]:
        return article
    return replace(article, title=row["title"], title_derived=False)


class Store:
    """An open article store. Use as a context manager or call ``close()``."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except (OSError, sqlite3.Error) as e:
            raise StoreError(f"Cannot open the article store at {self.path}: {e}.") from e
        self.db.row_factory = sqlite3.Row
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as e:
            self.db.close()
            if _read_only(self.path.parent):
                raise StoreError(
                    f"The data directory {self.path.parent} is read-only, and the store needs "
                    "to write. Point --data-dir (WARTA_DATA_DIR) at a writable directory."
                ) from e
            raise StoreError(
                f"{self.path} is not a usable Warta store ({e}). "
                "Move it aside and import your articles again."
            ) from e

    @classmethod
    def open(cls, data_dir: str | os.PathLike) -> Store:
        """Open (creating if needed) the store of a data directory."""
        return cls(store_path(data_dir))

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    # -- schema -----------------------------------------------------------

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        if self._check_version() == SCHEMA_VERSION:
            return
        # Two processes may open a new or old store at once (a crawl beside
        # `warta watch`): the version is read again under the write lock, so
        # only one of them migrates and the other finds the work done.
        with self.transaction():
            for target in range(self._check_version() + 1, SCHEMA_VERSION + 1):
                for statement in _statements(MIGRATIONS[target]):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version={target}")

    def _check_version(self) -> int:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"The store at {self.path} was written by a newer Warta (schema "
                f"{version}, this one knows {SCHEMA_VERSION}). Upgrade Warta."
            )
        return version

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block in one IMMEDIATE transaction: all of it lands or none."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    def _next_seq(self) -> int:
        self.db.execute("UPDATE counters SET value = value + 1 WHERE name = 'seq'")
        return self.db.execute("SELECT value FROM counters WHERE name = 'seq'").fetchone()[0]

    # -- writing ----------------------------------------------------------

    def upsert(self, article: Article, *, lift_withdrawal: bool = True) -> str:
        """Store one article; return 'added', 'updated', 'unchanged' or 'replaced'.

        One article per URL, each under the id it is given: when another id
        holds the article's URL, that article is deleted (its deletion names
        this id, see ``replacements_since``) and this one is stored:
        'replaced'. An article whose id or URL was withdrawn (``delete``) is
        stored and its withdrawal lifted, as an import does; with
        ``lift_withdrawal=False`` (a crawl, a reparse) it is not stored, nor
        are the pages a crawl kept of it meanwhile: 'withdrawn'. Runs in a
        transaction of its own unless one is open.
        """
        if not self.db.in_transaction:
            with self.transaction():
                return self.upsert(article, lift_withdrawal=lift_withdrawal)
        if self._withdrawn_ids(article):
            if not lift_withdrawal:
                if not self.has_article(article.id):
                    self.db.execute("DELETE FROM raw_pages WHERE article_id = ?", (article.id,))
                return "withdrawn"
            self._lift(article)
        known = "SELECT id, url, content_hash, title, title_derived FROM articles WHERE"
        row = self.db.execute(f"{known} id = ?", (article.id,)).fetchone()
        holder = None
        # A URL is unique: when the row already has this one, no other row can.
        if article.url and (row is None or row["url"] != article.url):
            holder = self.db.execute(
                f"{known} url = ? AND id != ?", (article.url, article.id)
            ).fetchone()
        article = _keep_given_title(article, row if row is not None else holder)
        digest = article.content_hash
        if (
            row is not None
            and holder is None
            and row["content_hash"] == digest
            and bool(row["title_derived"]) == article.title_derived
        ):
            return "unchanged"
        if holder is not None:
            self._replace(holder["id"], article.id)
        self._write(article, digest, new=row is None)
        if holder is not None:
            return "replaced"
        return "added" if row is None else "updated"

    def _write(self, article: Article, digest: str, new: bool) -> None:
        """Insert (``new``) or update the article's row with the next change number."""
        now = _now()
        seq = self._next_seq()
        values = (
            article.url,
            article.source,
            article.title,
            article.published,
            article.author,
            article.body,
            int(article.title_derived),
            digest,
        )
        if new:
            self.db.execute(
                f"INSERT INTO articles({_COLUMNS}, content_hash, added, updated, seq) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (article.id, *values, now, now, seq),
            )
            self.db.execute("DELETE FROM deletions WHERE id = ?", (article.id,))
            return
        self.db.execute(
            "UPDATE articles SET url=?, source=?, title=?, published=?, author=?, body=?, "
            "title_derived=?, content_hash=?, updated=?, seq=? WHERE id=?",
            (*values, now, seq, article.id),
        )

    def _replace(self, old_id: str, new_id: str) -> None:
        """Delete ``old_id`` as replaced by ``new_id``, which takes its URL's crawl state."""
        self.db.execute("DELETE FROM articles WHERE id = ?", (old_id,))
        self.db.execute(
            "INSERT OR REPLACE INTO deletions(id, seq, replaced_by) VALUES (?, ?, ?)",
            (old_id, self._next_seq(), new_id),
        )
        # The fetch records and raw pages belong to the URL: `warta reparse` must
        # find them under the id the URL now has, or it would bring the old id back.
        self.db.execute("UPDATE fetches SET article_id = ? WHERE article_id = ?", (new_id, old_id))
        has_pages = "SELECT 1 FROM raw_pages WHERE article_id = ?"
        if self.db.execute(has_pages, (new_id,)).fetchone() is None:
            self.db.execute(
                "UPDATE raw_pages SET article_id = ? WHERE article_id = ?", (new_id, old_id)
            )

    def upsert_many(self, articles: Iterable[Article]) -> dict[str, int]:
        """Store many articles in one transaction; return counts per outcome."""
        counts = {"added": 0, "updated": 0, "unchanged": 0, "replaced": 0}
        with self.transaction():
            for article in articles:
                counts[self.upsert(article)] += 1
        return counts

    def delete(self, article_id: str, *, withdraw: bool = True) -> bool:
        """Delete an article, its raw pages and its fetch records; return whether it existed.

        The raw pages go with it: ``warta reparse`` would otherwise bring the
        deleted article back from them; the fetch records too, so that a crawl
        that may fetch its URL again (``withdraw=False``) asks for it afresh
        rather than with a conditional GET its copy no longer answers.
        ``withdraw`` remembers the article's URLs (its own, and those its pages
        were fetched from) as withdrawn: crawls skip them (``is_withdrawn``).
        Runs in a transaction of its own unless one is open.
        """
        if not self.db.in_transaction:
            with self.transaction():
                return self.delete(article_id, withdraw=withdraw)
        row = self.db.execute("SELECT url FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            return False
        if withdraw:
            self._withdraw(article_id, row["url"])
        self.db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        self.db.execute("DELETE FROM raw_pages WHERE article_id = ?", (article_id,))
        self.db.execute("DELETE FROM fetches WHERE article_id = ?", (article_id,))
        self.db.execute(
            "INSERT OR REPLACE INTO deletions(id, seq) VALUES (?, ?)",
            (article_id, self._next_seq()),
        )
        return True

    def delete_many(self, article_ids: Iterable[str], *, withdraw: bool = True) -> list[str]:
        """Delete these articles in one transaction (see ``delete``); return the ids deleted."""
        with self.transaction():
            return [i for i in article_ids if self.delete(i, withdraw=withdraw)]

    def _withdraw(self, article_id: str, url: str | None) -> None:
        """Remember the URLs of ``article_id`` (its own and its pages') as withdrawn."""
        urls = {url} if url else set()
        for table in ("fetches", "raw_pages"):
            rows = self.db.execute(f"SELECT url FROM {table} WHERE article_id = ?", (article_id,))
            urls.update(row[0] for row in rows)
        now = _now()
        self.db.executemany(
            "INSERT OR REPLACE INTO withdrawn(url, article_id, withdrawn) VALUES (?, ?, ?)",
            [(u, article_id, now) for u in sorted(urls)],
        )

    def _withdrawn_ids(self, article: Article) -> list[str]:
        """The withdrawn articles ``article`` is (by its id) or has the URL of."""
        rows = self.db.execute(
            "SELECT DISTINCT article_id FROM withdrawn WHERE article_id = ? OR url = ?",
            (article.id, article.url),
        )
        return [row[0] for row in rows]

    def _lift(self, article: Article) -> None:
        """Lift the withdrawal of every URL of the withdrawn articles ``article`` is."""
        for withdrawn_id in self._withdrawn_ids(article):
            self.db.execute("DELETE FROM withdrawn WHERE article_id = ?", (withdrawn_id,))

    def is_withdrawn(self, url: str) -> bool:
        """Whether ``url`` belongs to an article deleted and withdrawn from crawls."""
        row = self.db.execute("SELECT 1 FROM withdrawn WHERE url = ?", (url,)).fetchone()
        return row is not None

    def withdrawn_count(self) -> int:
        """How many deleted articles are withdrawn from crawls."""
        return self.db.execute("SELECT count(DISTINCT article_id) FROM withdrawn").fetchone()[0]

    def id_by_url(self, url: str) -> str | None:
        """The id of the article stored with this exact URL, or None."""
        row = self.db.execute("SELECT id FROM articles WHERE url = ?", (url,)).fetchone()
        return row[0] if row else None

    def missing_reason(self, article_id: str) -> str:
        """Why no article is stored under ``article_id``, as a few words."""
        row = self.db.execute(
            "SELECT replaced_by FROM deletions WHERE id = ?", (article_id,)
        ).fetchone()
        if row is None:
            return "no such id"
        successor = self.successor(article_id)
        if successor is not None:
            return f"replaced by {successor}, which holds its URL now"
        return "already deleted"

    # -- reading ----------------------------------------------------------

    def get(self, article_id: str) -> Article | None:
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        return _row_to_article(row) if row else None

    def get_stored(self, article_id: str) -> StoredArticle | None:
        row = self.db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            return None
        return StoredArticle(
            _row_to_article(row), row["content_hash"], row["added"], row["updated"], row["seq"]
        )

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM articles").fetchone()[0]

    @property
    def seq(self) -> int:
        """The current change sequence number."""
        return self.db.execute("SELECT value FROM counters WHERE name = 'seq'").fetchone()[0]

    def iter_articles(self, batch: int = 500) -> Iterator[tuple[Article, int]]:
        """Every article with its seq, in id order, read in batches."""
        last = ""
        while True:
            rows = self.db.execute(
                f"SELECT {_COLUMNS}, seq FROM articles WHERE id > ? ORDER BY id LIMIT ?",
                (last, batch),
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _row_to_article(row), row["seq"]
            last = rows[-1]["id"]

    def changed_since(self, seq: int) -> Iterator[Article]:
        """Articles added or updated after change number ``seq``."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM articles WHERE seq > ? ORDER BY seq", (seq,)
        )
        for row in rows:
            yield _row_to_article(row)

    def deleted_since(self, seq: int) -> list[str]:
        """Ids of articles deleted after change number ``seq``."""
        rows = self.db.execute("SELECT id FROM deletions WHERE seq > ? ORDER BY seq", (seq,))
        return [row["id"] for row in rows]

    def replacements_since(self, seq: int) -> list[tuple[str, str, str | None]]:
        """Articles replaced after change number ``seq`` by one with their URL under
        another id: (old id, new id, the new article's URL, None if it is gone too)."""
        rows = self.db.execute(
            "SELECT d.id, d.replaced_by, a.url FROM deletions d "
            "LEFT JOIN articles a ON a.id = d.replaced_by "
            "WHERE d.seq > ? AND d.replaced_by IS NOT NULL ORDER BY d.seq",
            (seq,),
        )
        return [(row[0], row[1], row[2]) for row in rows]

    def successor(self, article_id: str) -> str | None:
        """The stored article that replaced ``article_id``, following a chain of
        replacements (a → b → c gives c) for at most ``MAX_SUCCESSION`` steps.

        None when ``article_id`` is stored itself, was never replaced, or its
        last successor was deleted (or the chain is longer or loops).
        """
        seen = {article_id}
        current = article_id
        for _ in range(MAX_SUCCESSION):
            row = self.db.execute(
                "SELECT replaced_by FROM deletions WHERE id = ?", (current,)
            ).fetchone()
            if row is None or row[0] is None or row[0] in seen:
                return None
            current = row[0]
            if self.has_article(current):
                return current
            seen.add(current)
        return None

    def was_deleted(self, article_id: str) -> bool:
        """Whether ``article_id`` was deleted or replaced, and is not stored again."""
        row = self.db.execute("SELECT 1 FROM deletions WHERE id = ?", (article_id,)).fetchone()
        return row is not None and not self.has_article(article_id)

    def ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT id FROM articles")}

    def overview(self) -> dict:
        """Articles, outlets and date span: what the archive holds."""
        row = self.db.execute(
            "SELECT count(*), count(DISTINCT source), min(published), max(published) FROM articles"
        ).fetchone()
        return {"articles": row[0], "sources": row[1], "first": row[2], "last": row[3]}

    # -- crawl state (schema 2) -------------------------------------------

    def record_fetch(self, record: FetchRecord) -> None:
        """Remember what happened to a URL, replacing what was known before."""
        fields = {**record.__dict__, "fetched": record.fetched or _now()}
        self.db.execute(
            f"INSERT OR REPLACE INTO fetches({', '.join(fields)}) "
            f"VALUES ({', '.join('?' * len(fields))})",
            tuple(fields.values()),
        )

    def fetch_record(self, url: str) -> FetchRecord | None:
        """What the crawler last did with ``url``, or None if it never saw it."""
        row = self.db.execute("SELECT * FROM fetches WHERE url = ?", (url,)).fetchone()
        return FetchRecord(**dict(row)) if row else None

    def fetch_records(self) -> Iterator[FetchRecord]:
        """Every fetch record, in URL order."""
        for row in self.db.execute("SELECT * FROM fetches ORDER BY url"):
            yield FetchRecord(**dict(row))

    def put_raw(self, page: RawPage) -> None:
        """Keep a fetched page (compressed) so it can be parsed again later."""
        self.db.execute(
            "INSERT OR REPLACE INTO raw_pages(url, article_id, part, content_type, encoding, "
            "body, fetched) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                page.url,
                page.article_id,
                page.part,
                page.content_type,
                page.encoding,
                zlib.compress(page.body, 6),
                _now(),
            ),
        )

    def get_raw(self, url: str) -> RawPage | None:
        """The stored page of ``url``, decompressed, or None."""
        row = self.db.execute("SELECT * FROM raw_pages WHERE url = ?", (url,)).fetchone()
        return _row_to_raw(row) if row else None

    def has_article(self, article_id: str) -> bool:
        """Whether an article with this id is stored."""
        row = self.db.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row is not None

    def iter_raw_articles(self) -> Iterator[list[RawPage]]:
        """The stored pages of each crawled article, its parts in order."""
        ids = [
            row[0]
            for row in self.db.execute(
                "SELECT DISTINCT article_id FROM raw_pages WHERE article_id IS NOT NULL "
                "ORDER BY article_id"
            )
        ]
        for article_id in ids:
            rows = self.db.execute(
                "SELECT * FROM raw_pages WHERE article_id = ? ORDER BY part", (article_id,)
            )
            yield [_row_to_raw(row) for row in rows]

    # -- crawl rounds (schema 3) --------------------------------------------

    def start_round(self, source: str, started: str | None = None) -> CrawlRound:
        """Record that a round of ``source`` started; returns it with its id."""
        crawl_round = CrawlRound(source=source, started=started or _now())
        cur = self.db.execute(
            "INSERT INTO crawl_rounds(source, started, status) VALUES (?, ?, ?)",
            (crawl_round.source, crawl_round.started, crawl_round.status),
        )
        return replace(crawl_round, id=cur.lastrowid)

    def finish_round(self, crawl_round: CrawlRound) -> CrawlRound:
        """Write a round's outcome (``ended`` defaults to now)."""
        done = replace(crawl_round, ended=crawl_round.ended or _now())
        self.db.execute(
            "UPDATE crawl_rounds SET ended=?, status=?, pages=?, from_store=?, link_only=?, "
            "added=?, updated=?, failures=?, reasons=?, signals=?, error=? WHERE id=?",
            (
                done.ended,
                done.status,
                done.pages,
                done.from_store,
                done.link_only,
                done.added,
                done.updated,
                done.failures,
                json.dumps(done.reasons, ensure_ascii=False),
                json.dumps(done.signals),
                done.error,
                done.id,
            ),
        )
        return done

    def close_running_rounds(self, source: str, status: str, error: str) -> int:
        """Mark the source's rounds still 'running' (their crawl died) as ``status``."""
        cur = self.db.execute(
            "UPDATE crawl_rounds SET status=?, error=?, ended=? "
            "WHERE source=? AND status='running'",
            (status, error, _now(), source),
        )
        return cur.rowcount

    def rounds(self, source: str | None = None, limit: int = 100) -> list[CrawlRound]:
        """The latest rounds (of one source, or of all), newest first."""
        where, args = ("WHERE source = ?", (source,)) if source else ("", ())
        rows = self.db.execute(
            f"SELECT * FROM crawl_rounds {where} ORDER BY started DESC, id DESC LIMIT ?",
            (*args, limit),
        )
        return [_row_to_round(row) for row in rows]

    def rounds_since(self, since: str) -> list[CrawlRound]:
        """Every round that started at or after ``since`` (UTC ISO 8601), oldest first."""
        rows = self.db.execute(
            "SELECT * FROM crawl_rounds WHERE started >= ? ORDER BY started, id", (since,)
        )
        return [_row_to_round(row) for row in rows]

    def round_totals(self) -> list[dict]:
        """Per source: rounds by status and failures by reason, over every round."""
        totals: dict[str, dict] = {}
        for row in self.db.execute("SELECT source, status, reasons FROM crawl_rounds"):
            entry = totals.setdefault(row[0], {"source": row[0], "rounds": {}, "failures": {}})
            entry["rounds"][row[1]] = entry["rounds"].get(row[1], 0) + 1
            for reason, count in json.loads(row[2] or "{}").items():
                entry["failures"][reason] = entry["failures"].get(reason, 0) + count
        return list(totals.values())

    def extraction_signals(self, article_ids: list[str]) -> dict[str, list[int]]:
        """How many of these articles lack a date or an author, have a body under
        300 characters, or have a title another article already has; ``[count, out_of]``."""
        counts = {"no_date": 0, "no_author": 0, "short_body": 0, "seen_title": 0}
        found = 0
        for start in range(0, len(article_ids), 500):
            chunk = article_ids[start : start + 500]
            rows = self.db.execute(
                "SELECT a.published IS NULL OR a.published = '', "
                "a.author IS NULL OR a.author = '', length(a.body) < ?, "
                "EXISTS (SELECT 1 FROM articles b WHERE b.title = a.title AND b.id != a.id) "
                f"FROM articles a WHERE a.id IN ({', '.join('?' * len(chunk))})",
                (SHORT_BODY_CHARS, *chunk),
            )
            for row in rows:
                found += 1
                for name, flag in zip(counts, row, strict=True):
                    counts[name] += int(bool(flag))
        return {name: [count, found] for name, count in counts.items()}


def _row_to_round(row: sqlite3.Row) -> CrawlRound:
    values = dict(row)
    values["reasons"] = json.loads(values["reasons"] or "{}")
    values["signals"] = json.loads(values["signals"] or "{}")
    return CrawlRound(**values)


def _row_to_raw(row: sqlite3.Row) -> RawPage:
    return RawPage(
        url=row["url"],
        body=zlib.decompress(row["body"]),
        content_type=row["content_type"],
        encoding=row["encoding"],
        article_id=row["article_id"],
        part=row["part"],
    )
