"""Build and update the Whoosh index from the article store.

Layout: ``<index_dir>`` is a symlink to a generation directory under
``<index_dir>.d/``. A rebuild writes a fresh generation and then swaps the
symlink atomically, so readers never see a half-built index and a failed
build leaves the old one serving. ``state.json`` inside a generation records
the store's change number the index reflects, ``dups.pickle`` its
near-duplicate groups. Beside the link live the stem cache
(``<index_dir>-stems.sqlite``) and the lock file (``<index_dir>.lock``) that
lets one build or update run at a time.

A rebuild uses two processes: a forked child indexes every other article
into its own segment while the parent indexes the rest; the parent commits
both segments together. An update of many articles does the same with the
changed articles (their signatures, then their segments). When small
segments pile up, an update merges them by indexing their articles again
from the store into its new segments, and drops them.
"""

from __future__ import annotations

import fcntl
import gc
import json
import os
import shutil
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.util import fib
from whoosh.writing import LockError

from crawler.article import Article
from crawler.store import Store

from . import analysis
from .dedup import DEFAULT_THRESHOLD, DuplicateGroups, analysis_key, signature
from .errors import (
    IndexLockedError,
    IndexNotFoundError,
    IndexOutdatedError,
    WartaIndexError,
)
from .schema import INDEX_FORMAT, make_schema
from .stems import StemCache, stem_cache_path
from .workers import (
    SEGMENT_DOCS,
    bodies_task,
    documents_task,
    run_sharded,
    segments_task,
    signatures_task,
)

INDEX_DIRNAME = "index"
STATE_FILE = "state.json"
LOCK_TIMEOUT = 10.0
# An update merges small segments (those of fewer than LARGE_SEGMENT documents)
# when Whoosh's rule says so or when there would be more than MAX_SEGMENTS of
# them; large ones (a rebuild's) are left to the next rebuild.
MAX_SEGMENTS = 16
LARGE_SEGMENT = SEGMENT_DOCS // 2
# Up to this many missing signatures are computed in one process, without a fork.
FEW_SIGNATURES = 2000
# An update signs and indexes the changed articles in one process below this
# many; from here in two, half each. Measured on the 25k index: 16 articles
# 0.16 s in one process, 0.17 s in two; 32: 0.20 s either way; 64: 0.28, 0.23 s.
PARALLEL_DOCS = 32

Progress = Callable[[int], None]


@dataclass(frozen=True)
class BuildReport:
    """What a build or update did."""

    indexed: int
    deleted: int
    seconds: float
    generation: str
    duplicates: int = 0
    new_stems: int = 0


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


def article_fields(article: Article, dup: str | None = None) -> dict:
    """The Whoosh document for one article (``dup``: its near-duplicate group)."""
    published = _parse_date(article.published)
    doc = {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "body": article.body,
        "title_exact": article.title,
        "body_exact": article.body,
        "dup": dup or article.id,
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


def index_state(index_dir: str | os.PathLike) -> dict:
    """What the current generation records: the store's change number it reflects
    (``seq``), ``built`` and ``updated`` times; {} when there is no index."""
    return read_state(Path(index_dir).resolve())


def _write_state(gen_dir: Path, state: dict) -> None:
    tmp = gen_dir / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state, indent=1))
    os.replace(tmp, gen_dir / STATE_FILE)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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
    if read_state(target).get("format") != INDEX_FORMAT:
        raise IndexOutdatedError(rebuild)
    # Whoosh leaves an unreadable file open when it fails; let it close quietly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            return whoosh_index.open_dir(target)
        except whoosh_index.EmptyIndexError:
            raise IndexNotFoundError(missing) from None
        except Exception:  # an unpicklable schema, a truncated TOC: all mean "rebuild"
            pass
        gc.collect()
    raise IndexOutdatedError(rebuild)


def _locked_message(index_dir: Path, timeout: float) -> str:
    return (
        f"Another Warta process is building or updating the index at {index_dir}; "
        f"waited {timeout:.0f} s. Try again when it has finished."
    )


@contextmanager
def _exclusive(index_dir: Path, timeout: float) -> Iterator[None]:
    """Hold the index's lock file: one build or update at a time, waiting up to ``timeout``."""
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    with open(index_dir.with_name(index_dir.name + ".lock"), "a") as f:
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexLockedError(_locked_message(index_dir, timeout)) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _writer(ix, index_dir: Path, timeout: float = LOCK_TIMEOUT):
    try:
        return ix.writer(timeout=timeout)
    except LockError as e:
        raise IndexLockedError(_locked_message(index_dir, timeout)) from e


# -- rebuild ------------------------------------------------------------------


def _signatures(store: Store, protected: dict[str, str], progress, known) -> tuple[dict, dict]:
    """Pass 1: body signatures, reusing ``known`` ones; also fills the stem cache.

    Two processes when many are missing (a first build), else this one alone.
    """
    ids = store.ids()
    signatures = {i: known[i] for i in ids if i in known}
    missing = sorted(ids - signatures.keys())
    if len(missing) > FEW_SIGNATURES:
        (mine, my_stems), (theirs, their_stems) = run_sharded(
            signatures_task, store, (protected, frozenset(signatures)), progress
        )
        analysis.remember_stems(their_stems)
        signatures.update(mine)
        signatures.update(theirs)
        return signatures, {**my_stems, **their_stems}
    if progress:
        progress(len(signatures) + len(missing))
    articles = [a for i in missing if (a := store.get(i)) is not None]
    found, stems = _sign(articles, protected)
    signatures.update(found)
    return signatures, {**stems, **analysis.take_fresh_stems()}


def _sign(articles: list[Article], protected: dict[str, str]) -> tuple[dict, dict]:
    """{id: signature} of these articles, in two processes when there are many;
    and the stems computed meanwhile (those of the other process remembered here)."""
    if len(articles) < PARALLEL_DOCS:
        return {a.id: signature(a.body, protected) for a in articles}, analysis.take_fresh_stems()
    (mine, my_stems), (theirs, their_stems) = run_sharded(bodies_task, None, (articles, protected))
    analysis.remember_stems(their_stems)
    return {**mine, **theirs}, {**my_stems, **their_stems}


def _known_signatures(link: Path, store: Store, key: str) -> dict:
    """Signatures in the current index of articles unchanged since it was last updated.

    A rebuild reuses them, as it reuses stems: MinHash is the costliest part
    of a warm rebuild's first pass. Nothing is reused when the index has
    another format or was grouped with other protected words or stopwords.
    """
    try:
        gen_dir = link.resolve(strict=True)
        state = read_state(gen_dir)
    except (OSError, ValueError):
        return {}
    if state.get("format") != INDEX_FORMAT or "seq" not in state:
        return {}
    try:
        groups = DuplicateGroups.load(gen_dir)
    except Exception:  # an unreadable pickle: compute them again
        return {}
    if getattr(groups, "analysis_key", None) != key:
        return {}
    changed = {article.id for article in store.changed_since(int(state["seq"]))}
    return {i: row for i, row in zip(groups.ids, groups.matrix, strict=True) if i not in changed}


def _segments(ix, gen_dir: Path, store: Store, groups: dict[str, str], progress):
    """Pass 2 (two processes): Whoosh segments of every article, with its group."""

    def documents(article: Article) -> dict | None:
        # Only the articles grouped in pass 1: the groups list exactly what is indexed.
        if article.id not in groups:
            return None
        return article_fields(article, groups[article.id])

    (mine, my_stems), (theirs, their_stems) = run_sharded(
        segments_task, store, (str(gen_dir), documents), progress
    )
    return [*mine, *theirs], {**my_stems, **their_stems}


def _commit_segments(ix, index_dir: Path, segments: list) -> None:
    """One commit adds every segment both processes wrote."""
    writer = _writer(ix, index_dir)
    try:
        writer.commit(mergetype=lambda _writer, existing: [*existing, *segments])
    except BaseException:
        writer.cancel()
        raise


def _load_stems(index_dir: Path) -> None:
    # Start from the persisted cache alone, so every stem this build computes
    # is new to it and gets saved.
    analysis.clear_stem_cache()
    with StemCache(stem_cache_path(index_dir)) as cache:
        analysis.remember_stems(cache.load())


def _save_stems(index_dir: Path, stems: dict[str, str]) -> None:
    with StemCache(stem_cache_path(index_dir)) as cache:
        cache.add(stems)


def _new_generation(link: Path) -> Path:
    generations = link.parent / (link.name + ".d")
    generations.mkdir(parents=True, exist_ok=True)
    gen_dir = generations / f"gen-{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{os.getpid()}"
    gen_dir.mkdir()
    return gen_dir


def build_index(
    store: Store,
    index_dir: str | os.PathLike,
    progress: Progress | None = None,
    *,
    protected: dict[str, str] | None = None,
    dup_threshold: float = DEFAULT_THRESHOLD,
    lock_timeout: float = LOCK_TIMEOUT,
) -> BuildReport:
    """Rebuild the whole index from the store, then switch to it atomically.

    Two passes over the store, each on two processes: signatures (and stems),
    then segments. ``progress`` receives article counts of both passes (two
    per article in all). ``protected`` (word → stem) replaces the shipped
    protected words and is saved in the index, so queries use the same list;
    ``dup_threshold`` is the MinHash similarity that makes near-duplicates.
    """
    started = time.perf_counter()
    link = Path(index_dir)
    protected = analysis.protected_words() if protected is None else protected
    with _exclusive(link, lock_timeout):
        gen_dir = _new_generation(link)
        try:
            seq = store.seq
            ix = whoosh_index.create_in(gen_dir, make_schema(protected))
            _load_stems(link)
            key = analysis_key(protected)
            known = _known_signatures(link, store, key)
            signatures, stems = _signatures(store, protected, progress, known)
            groups = DuplicateGroups.from_signatures(signatures, dup_threshold)
            groups.analysis_key = key
            segments, more_stems = _segments(ix, gen_dir, store, groups.groups, progress)
            _commit_segments(ix, link, segments)
            groups.save(gen_dir)
            stems.update(more_stems)
            _save_stems(link, stems)
            _write_state(
                gen_dir,
                {
                    "format": INDEX_FORMAT,
                    "seq": seq,
                    "toc": ix.latest_generation(),
                    "built": _now(),
                    "updated": _now(),
                },
            )
            _switch(link, gen_dir)
        except BaseException:
            shutil.rmtree(gen_dir, ignore_errors=True)
            raise
        finally:
            analysis.set_stem_lookup(None)
        _remove_old_generations(gen_dir.parent, keep=gen_dir)
    moved = sum(1 for i, g in groups.groups.items() if g != i)
    return BuildReport(
        len(signatures), 0, time.perf_counter() - started, gen_dir.name, moved, len(stems)
    )


def _switch(link: Path, gen_dir: Path) -> None:
    if link.exists() and not link.is_symlink():
        raise WartaIndexError(f"{link} is not a Warta index link. Move it aside and rebuild.")
    tmp = link.with_name(link.name + ".new")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(os.path.relpath(gen_dir, link.parent), tmp)
    os.replace(tmp, link)


def _remove_old_generations(generations: Path, keep: Path) -> None:
    # Readers opened before the switch keep working: their files stay open.
    for old in generations.iterdir():
        if old != keep and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


# -- update -------------------------------------------------------------------


def _segments_to_merge(segments: list, added: int = 2) -> list:
    """The small segments an update merges away: Whoosh's MERGE_SMALL rule (the
    smallest, while they hold fewer documents than a Fibonacci bound), then the
    smallest others until at most MAX_SEGMENTS small ones remain with the
    ``added`` new ones. Segments of LARGE_SEGMENT documents or more stay.
    """
    by_size = sorted(
        (s for s in segments if s.doc_count_all() < LARGE_SEGMENT), key=lambda s: s.doc_count_all()
    )
    merge, total = [], 0
    for i, segment in enumerate(by_size):
        total += segment.doc_count_all()
        if i > 3 and total < fib(i + 5):
            merge = by_size[: i + 1]
            break
    rest = by_size[len(merge) :]
    while rest and len(rest) + added > MAX_SEGMENTS:
        merge.append(rest.pop(0))
    return merge


def _merged_articles(ix, store: Store, segments: list, skip: set[str]):
    """The store's articles whose documents live in ``segments`` (but those in
    ``skip``); and the ids of those documents the store no longer has.

    An update writes the articles again, in bulk, with the changed ones, and
    drops the segments: the store is the source of truth, and re-indexing is
    several times faster than Whoosh copying their postings one by one.
    """
    from whoosh.reading import SegmentReader

    ids = set()
    for segment in segments:
        with SegmentReader(ix.storage, ix.schema, segment) as reader:
            ids |= _live_ids(reader)
    articles = [a for i in sorted(ids - skip) if (a := store.get(i)) is not None]
    return articles, sorted(ids - skip - {a.id for a in articles})


def _place_changes(groups: DuplicateGroups, changed: list[Article], deleted: list[str], protected):
    """Update the duplicate groups: {id: group} of the changed articles, and of
    the articles whose group must be renamed; and the stems another process computed."""
    members: dict[str, set[str]] = {}
    for article_id, group in groups.groups.items():
        members.setdefault(group, set()).add(article_id)
    groups.remove(deleted)
    signatures, stems = _sign(changed, protected)
    placed = groups.place([(a.id, signatures[a.id]) for a in changed])
    relabel = {}
    for article_id, group in placed.items():
        followers = members.get(article_id, set()) - {article_id} - placed.keys()
        if group != article_id and followers:
            # The group's first article now belongs elsewhere: the rest regroup.
            leader = min(followers)
            for follower in followers:
                groups.groups[follower] = relabel[follower] = leader
    return placed, relabel, stems


def update_index(
    store: Store,
    index_dir: str | os.PathLike,
    progress: Progress | None = None,
    *,
    lock_timeout: float = LOCK_TIMEOUT,
) -> BuildReport:
    """Apply what changed in the store since the index was last brought up to date."""
    started = time.perf_counter()
    link = Path(index_dir)
    with _exclusive(link, lock_timeout):
        ix = open_index(link)
        gen_dir = link.resolve()
        state = read_state(gen_dir)
        since = int(state.get("seq", 0))
        seq = store.seq
        deleted = store.deleted_since(since)
        changed = list(store.changed_since(since))
        groups = DuplicateGroups.load(gen_dir)
        # When the index's last commit is the one its state and groups describe,
        # the groups list every indexed article: new ones need no deleting.
        clean = state.get("toc") is not None and state["toc"] == ix.latest_generation()
        indexed = set(groups.groups) if clean else None
        dropped = _segments_to_merge(ix._segments())
        merged, gone = _merged_articles(ix, store, dropped, {a.id for a in changed}.union(deleted))
        deleted = [*deleted, *gone]  # indexed, but no longer in the store: they go too
        with StemCache(stem_cache_path(link)) as cache:
            analysis.clear_stem_cache()
            analysis.set_stem_lookup(cache.get)
            # The articles' known stems in a few queries, not one a word.
            words = set()
            for article in (*changed, *merged):
                words.update(
                    analysis.WORD_PATTERN.findall(f"{article.title} {article.body}".lower())
                )
            analysis.remember_stems(cache.get_many(words))
            try:
                protected = (
                    getattr(ix.schema["body"], "protected", None) or analysis.protected_words()
                )
                placed, relabel, stems = _place_changes(groups, changed, deleted, protected)
                stems.update(
                    _write_changes(
                        ix,
                        link,
                        store,
                        (changed, deleted, relabel, dropped, merged),
                        groups.groups,
                        progress,
                        lock_timeout,
                        indexed,
                    )
                )
                stems.update(analysis.take_fresh_stems())
                cache.add(stems)
            finally:
                analysis.set_stem_lookup(None)
        groups.save(gen_dir)
        state.update(seq=seq, toc=ix.latest_generation(), updated=_now())
        _write_state(gen_dir, state)
    return BuildReport(
        len(changed),
        len(deleted),
        time.perf_counter() - started,
        gen_dir.name,
        sum(1 for i, g in placed.items() if g != i),
        len(stems),
    )


def _write_changes(ix, link, store, changes, groups, progress, lock_timeout, indexed=None):
    """Delete, re-add, regroup and merge in one Whoosh commit.

    ``changes``: the changed and deleted articles, the regrouped ids, the
    segments merged away and the articles they hold. Those articles are
    written again with the changed and regrouped ones into new segments, in
    bulk like a rebuild's (two, by two processes, when there are many); the
    writer deletes old versions, and the commit swaps the merged segments
    for the new ones. ``groups``: every article's group. Returns the stems
    computed while writing the segments (by either process).
    """
    changed, deleted, relabel, dropped, merged = changes
    articles = {article.id: article for article in changed}
    for article_id in relabel.keys() - articles.keys():
        if (article := store.get(article_id)) is not None:
            articles[article_id] = article
    moved = {article.id for article in merged} - articles.keys()
    articles.update((article.id, article) for article in merged if article.id in moved)
    documents = [article_fields(article, groups[article.id]) for article in articles.values()]
    writer = _writer(ix, link, lock_timeout)
    added, stems = [], {}
    try:
        old = [*deleted, *(doc["id"] for doc in documents)]
        if indexed is not None:  # ``indexed``: every id in the index, once, when known
            old = [i for i in old if i in indexed and i not in moved]
        if old:
            _delete_ids(writer, old)
        if len(documents) >= PARALLEL_DOCS:
            (mine, my_stems), (theirs, their_stems) = run_sharded(
                documents_task, store, (ix, documents, len(changed)), progress
            )
            added, stems = [*mine, *theirs], {**my_stems, **their_stems}
        elif documents:
            tick = (lambda: progress(1)) if progress else (lambda: None)
            added, stems = documents_task(store, 0, 1, tick, ix, documents, len(changed))
        gone = {segment.segment_id() for segment in dropped}
        writer.commit(
            mergetype=lambda _writer, segments: [
                *(segment for segment in segments if segment.segment_id() not in gone),
                *added,
            ]
        )
    except BaseException:
        writer.cancel()
        raise
    return stems


def _delete_ids(writer, article_ids: list[str]) -> None:
    """Delete the documents with these ids, read straight from the id postings.

    ``delete_by_term`` runs a query per id (a sixth of an update), one ``Or``
    query for all of them was as slow.
    """
    reader = writer.searcher().reader()
    for article_id in article_ids:
        term = article_id.encode("utf-8")
        if ("id", term) in reader:
            for docnum in reader.postings("id", term).all_ids():
                writer.delete_document(docnum)


# -- stats --------------------------------------------------------------------


def _live_ids(reader) -> set[str]:
    """Ids of the documents not deleted (without loading their stored text)."""
    ids = set()
    for term in reader.lexicon("id"):
        if reader.postings("id", term).is_active():
            ids.add(term.decode("utf-8") if isinstance(term, bytes) else term)
    return ids


def index_stats(store: Store, index_dir: str | os.PathLike) -> dict:
    """Documents, segments, terms, size, last update and drift from the store."""
    ix = open_index(index_dir)
    gen_dir = Path(index_dir).resolve()
    state = read_state(gen_dir)
    with ix.reader() as reader:
        indexed_ids = _live_ids(reader)
        terms = sum(1 for _ in reader.all_terms())
        documents = reader.doc_count()
        segments = len(ix._segments())
    store_ids = store.ids()
    size = sum(f.stat().st_size for f in gen_dir.iterdir() if f.is_file())
    return {
        "documents": documents,
        "segments": segments,
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
