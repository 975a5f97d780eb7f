"""Build and update the Whoosh index from the article store.

Layout: ``<index_dir>`` is a symlink to a generation directory under
``<index_dir>.d/``. A rebuild writes a fresh generation and then swaps the
symlink atomically, so readers never see a half-built index and a failed
build leaves the old one serving. ``state.json`` inside a generation records
the store's change number the index reflects.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.writing import LockError

from crawler.article import Article
from crawler.store import Store

from .schema import make_schema

INDEX_DIRNAME = "index"
STATE_FILE = "state.json"
LOCK_TIMEOUT = 10.0

Progress = Callable[[int], None]


class WartaIndexError(Exception):
    """Base class of index errors."""


class IndexNotFoundError(WartaIndexError):
    """There is no index yet."""


class IndexLockedError(WartaIndexError):
    """Another process is writing the index."""


@dataclass(frozen=True)
class BuildReport:
    indexed: int
    deleted: int
    seconds: float
    generation: str


def index_path(data_dir: str | os.PathLike) -> Path:
    """Where the index of a data directory lives."""
    return Path(data_dir) / INDEX_DIRNAME


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def article_fields(article: Article) -> dict:
    """The Whoosh document for one article."""
    published = _parse_date(article.published)
    doc = {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "body": article.body,
        "title_exact": article.title,
        "body_exact": article.body,
        "dup": article.id,
    }
    if article.source:
        doc["source"] = article.source
    if article.author:
        doc["author"] = article.author
    if published:
        doc["published"] = published
        doc["month"] = published.strftime("%Y-%m")
    return doc


def read_state(gen_dir: Path) -> dict:
    try:
        return json.loads((gen_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}


def _write_state(gen_dir: Path, state: dict) -> None:
    tmp = gen_dir / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state, indent=1))
    os.replace(tmp, gen_dir / STATE_FILE)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_index(index_dir: str | os.PathLike):
    """Open the current generation of the index for reading."""
    target = Path(index_dir).resolve()
    if not whoosh_index.exists_in(target):
        raise IndexNotFoundError(f"No index at {index_dir}. Run `warta index build` first.")
    return whoosh_index.open_dir(target)


def _writer(ix, **kwargs):
    try:
        return ix.writer(timeout=LOCK_TIMEOUT, **kwargs)
    except LockError as e:
        raise IndexLockedError(
            f"Another Warta process is writing the index; waited {LOCK_TIMEOUT:.0f} s. "
            "Try again when it has finished."
        ) from e


def build_index(store: Store, index_dir: str | os.PathLike, progress: Progress | None = None):
    """Rebuild the whole index from the store, then switch to it atomically."""
    started = time.perf_counter()
    link = Path(index_dir)
    generations = link.parent / (link.name + ".d")
    generations.mkdir(parents=True, exist_ok=True)
    name = f"gen-{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{os.getpid()}"
    gen_dir = generations / name
    gen_dir.mkdir()
    try:
        seq = store.seq
        ix = whoosh_index.create_in(gen_dir, make_schema())
        count = 0
        with _writer(ix) as writer:
            for article, _ in store.iter_articles():
                writer.add_document(**article_fields(article))
                count += 1
                if progress:
                    progress(1)
        _write_state(gen_dir, {"seq": seq, "built": _now(), "updated": _now()})
        _switch(link, gen_dir)
    except BaseException:
        shutil.rmtree(gen_dir, ignore_errors=True)
        raise
    _remove_old_generations(generations, keep=gen_dir)
    return BuildReport(count, 0, time.perf_counter() - started, name)


def _switch(link: Path, gen_dir: Path) -> None:
    if link.exists() and not link.is_symlink():
        raise WartaIndexError(f"{link} is not a Warta index link. Move it aside and rebuild.")
    tmp = link.with_name(link.name + ".new")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(os.path.relpath(gen_dir, link.parent), tmp)
    os.replace(tmp, link)


def _remove_old_generations(generations: Path, keep: Path) -> None:
    for old in generations.iterdir():
        if old != keep and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


def update_index(store: Store, index_dir: str | os.PathLike, progress: Progress | None = None):
    """Apply what changed in the store since the index was last brought up to date."""
    started = time.perf_counter()
    ix = open_index(index_dir)
    gen_dir = Path(index_dir).resolve()
    state = read_state(gen_dir)
    since = int(state.get("seq", 0))
    seq = store.seq
    indexed = deleted = 0
    with _writer(ix) as writer:
        for article_id in store.deleted_since(since):
            writer.delete_by_term("id", article_id)
            deleted += 1
        for article in store.changed_since(since):
            writer.update_document(**article_fields(article))
            indexed += 1
            if progress:
                progress(1)
    state.update(seq=seq, updated=_now())
    _write_state(gen_dir, state)
    return BuildReport(indexed, deleted, time.perf_counter() - started, gen_dir.name)


def index_stats(store: Store, index_dir: str | os.PathLike) -> dict:
    """Documents, segments, terms, size, last update and drift from the store."""
    ix = open_index(index_dir)
    gen_dir = Path(index_dir).resolve()
    state = read_state(gen_dir)
    with ix.searcher() as searcher:
        indexed_ids = {fields["id"] for fields in searcher.all_stored_fields()}
        terms = sum(1 for _ in searcher.reader().all_terms())
    store_ids = store.ids()
    size = sum(f.stat().st_size for f in gen_dir.iterdir() if f.is_file())
    return {
        "documents": ix.doc_count(),
        "segments": len(ix._segments()),
        "terms": terms,
        "size_bytes": size,
        "generation": gen_dir.name,
        "built": state.get("built"),
        "last_update": state.get("updated"),
        "store_articles": len(store_ids),
        "not_indexed": len(store_ids - indexed_ids),
        "missing_from_store": len(indexed_ids - store_ids),
        "pending_changes": store.seq - int(state.get("seq", 0)),
    }
