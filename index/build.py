"""Rebuild the whole index from the article store, into a new generation.

Two passes over the store, each on two processes (``workers``): first the
near-duplicate signatures of the bodies (reusing those of articles unchanged
since the current generation), which also stems most words; then the Whoosh
segments of every article, each with its duplicate group. The parent commits
both processes' segments together, writes the generation's groups and
manifest, saves the new stems to the persisted cache and switches the index
link to the new generation (``generations``). When nothing the second pass
reads has changed since the current generation was built (its fingerprint,
``fingerprints``), its segments are linked into the new generation instead
of written again.
"""

from __future__ import annotations

import gc
import os
import pickle
import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from whoosh import index as whoosh_index

from crawler.article import Article
from crawler.store import Store

from .acronyms import COUNTS_FILE as ACRONYM_COUNTS_FILE
from .acronyms import TRUSTED_FILE as ACRONYM_TRUSTED_FILE
from .acronyms import keep_trusted, mine_articles
from .analysis import Stemmer, protected_words
from .dedup import DEFAULT_THRESHOLD, DuplicateGroups, analysis_key, joined
from .fingerprints import Fingerprint, code_key, combine, link_files
from .generations import (
    LOCK_TIMEOUT,
    UNREADABLE_INDEX_ERRORS,
    Manifest,
    exclusive,
    new_generation,
    now,
    remove_old_generations,
    switch,
    writer,
)
from .schema import INDEX_FORMAT, article_fields, make_schema
from .stems import StemCache, stem_cache_path
from .stories import Stories, _SketchTable
from .workers import (
    Progress,
    blocks_task,
    bodies_task,
    documents_digest,
    run_shards,
    segments_task,
    signatures_task,
)

# Up to this many missing signatures are computed without a pass over the store.
FEW_SIGNATURES = 2000


@dataclass(frozen=True, kw_only=True)
class BuildReport:
    """What a build or an update did."""

    kind: Literal["rebuild", "update"]
    indexed: int
    deleted: int
    seconds: float
    generation: str
    duplicates: int = 0  # articles in another article's group (of those indexed)
    new_stems: int = 0  # stems Sastrawi computed, now in the persisted cache


@dataclass(frozen=True)
class RebuildSettings:
    """How a rebuild analyses and groups: the protected words and the duplicate threshold."""

    protected: dict[str, str]
    dup_threshold: float = DEFAULT_THRESHOLD


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

    ``progress`` receives article counts of both passes (two per article in
    all); it is first called once the build has read the store's change
    number, so what is stored from then on is left to the next update.
    ``protected`` (word → stem) replaces the shipped protected words and is
    saved in the index, so queries use the same list; ``dup_threshold`` is the
    MinHash similarity that makes near-duplicates.
    """
    settings = RebuildSettings(protected_words() if protected is None else protected, dup_threshold)
    link = Path(index_dir)
    with exclusive(link, lock_timeout):
        return rebuild(store, link, settings, progress)


def rebuild(
    store: Store, link: Path, settings: RebuildSettings, progress: Progress | None
) -> BuildReport:
    """Rebuild into a new generation and switch to it; the caller holds the lock."""
    started = time.perf_counter()
    gen_dir = new_generation(link)
    try:
        with StemCache(stem_cache_path(link)) as cache:
            stemmer = cache.rebuild_stemmer(settings.protected)
            groups = _fill_generation(store, link, gen_dir, stemmer, settings, progress)
            new_stems = cache.add(stemmer.take_new())
        switch(link, gen_dir)
    except BaseException:
        shutil.rmtree(gen_dir, ignore_errors=True)
        raise
    remove_old_generations(gen_dir)
    return BuildReport(
        kind="rebuild",
        indexed=len(groups.groups),
        deleted=0,
        seconds=time.perf_counter() - started,
        generation=gen_dir.name,
        duplicates=joined(groups.groups),
        new_stems=new_stems,
    )


def _fill_generation(store, link, gen_dir, stemmer, settings, progress) -> DuplicateGroups:
    """Index the whole store into ``gen_dir``: its segments, groups and manifest."""
    seq = store.seq  # read first: whatever is stored from now on is the next update's
    index = whoosh_index.create_in(gen_dir, make_schema(settings.protected))
    key = analysis_key(settings.protected)
    known = _known_signatures(link, store, key)
    if known or len(store.ids()) <= FEW_SIGNATURES:
        groups, stories = _grouped(store, stemmer, known, settings, key, progress)
    else:
        groups, stories = _grouped_in_bulk(store, gen_dir, stemmer, settings, key, progress)
    del known
    stories.assign(groups.groups)
    # Saved now: the sketches are mapped again, their pages read by the stories not
    # kept through the second pass.
    stories.save(gen_dir)
    documents = _documents(groups.groups, stories.story)
    written = _reused_segments(link, gen_dir, store, index.schema, documents)
    reused = written is not None
    if not reused:
        written = _all_segments(gen_dir, store, stemmer, documents, progress)
    elif progress:
        progress(len(groups.groups))  # the second pass, done by linking
    segments, digest = written
    _commit_segments(index, link, segments)
    groups.save(gen_dir)
    if not (reused and _reused_acronyms(link, gen_dir)):
        keep_trusted(mine_articles(article for article, _ in store.iter_articles()), gen_dir)
    built = now()
    toc = index.latest_generation()
    Fingerprint(code=code_key(), documents=digest, toc=toc).write(gen_dir)
    Manifest(format=INDEX_FORMAT, seq=seq, toc=toc, built=built, updated=built).write(gen_dir)
    return groups


def _grouped(store, stemmer, known, settings, key, progress) -> tuple[DuplicateGroups, Stories]:
    """Pass 1 reusing ``known`` signatures (or of a small store): the groups and sketches."""
    signed = _signatures(store, stemmer, known, progress)
    stories = Stories()
    stories.add_sketches({i: sketch for i, (_, sketch) in signed.items()})
    signatures = {i: values for i, (values, _) in signed.items()}
    del signed
    groups = DuplicateGroups.from_signatures(
        signatures, settings.dup_threshold, key, stories.is_copy
    )
    return groups, stories


def _grouped_in_bulk(
    store, gen_dir: Path, stemmer, settings, key, progress
) -> tuple[DuplicateGroups, Stories]:
    """Pass 1 of a cold rebuild: the groups and sketches, with nothing per article in
    Python objects but the ids.

    Each process signs one half of the store by id (``blocks_task``) and writes its
    sketches as a stories chunk in ``gen_dir``; the chunks are mapped, not loaded.
    The same groups and stories as ``_grouped`` (the halves, one after the other,
    are in id order).
    """
    import numpy as np

    ids = sorted(store.ids())
    bounds = [None, ids[len(ids) // 2], None]
    del ids
    first, second = run_shards(
        blocks_task, (str(gen_dir), bounds), stemmer=stemmer, store=store, progress=progress
    )
    codes = {source: n for n, source in enumerate(first.sources)}
    remap = np.array([codes.setdefault(s, len(codes)) for s in second.sources], dtype=np.int32)
    if not np.array_equal(remap, np.arange(len(remap))):
        _recode_sources(gen_dir / second.chunk["file"], second.chunk["layout"], remap)
    vocab, where = np.unique(np.concatenate([first.vocab, second.vocab]), return_inverse=True)
    df = np.bincount(where, weights=np.concatenate([first.df, second.df]), minlength=len(vocab))
    state = {
        "sources": list(codes),
        "chunks": [first.chunk, second.chunk],
        "vocab": vocab.astype(np.uint32),
        "df": df.astype(np.int64),
    }
    stories = Stories()
    stories.sketches = _SketchTable.from_state(state, gen_dir)
    matrices = [block.matrix for block in (first, second) if block.matrix is not None]
    matrix = np.concatenate(matrices) if matrices else None
    groups = DuplicateGroups.from_rows(
        [*first.ids, *second.ids],
        [*first.signed, *second.signed],
        matrix,
        settings.dup_threshold,
        key,
        stories.is_copy,
    )
    return groups, stories


def _recode_sources(path: Path, layout: dict, remap) -> None:
    """Rewrite a chunk's source codes through ``remap`` (the other process numbered its own)."""
    import numpy as np

    dtype, offset, length = layout["source"]
    codes = np.memmap(path, dtype=np.dtype(dtype), mode="r+", offset=offset, shape=(length,))
    codes[:] = remap[codes]
    codes.flush()
    del codes


def _signatures(store: Store, stemmer: Stemmer, known: dict, progress) -> dict:
    """Pass 1: every article's (signature, sketch), reusing ``known`` ones; this stems most words.

    A pass over the store in two processes when many are missing (a first
    build), else the missing articles alone.
    """
    ids = store.ids()
    signatures = {i: known[i] for i in ids if i in known}
    missing = sorted(ids - signatures.keys())
    if len(missing) > FEW_SIGNATURES:
        args = (frozenset(signatures),)
        for found in run_shards(
            signatures_task, args, stemmer=stemmer, store=store, progress=progress
        ):
            signatures.update(found)
    else:
        if progress:
            progress(len(signatures) + len(missing))
        found = sign([a for i in missing if (a := store.get(i)) is not None], stemmer)
        signatures.update(found)
    # In id order: grouping and stories depend on the order they meet articles in,
    # which was the set's (another each process) or the shards'; now a warm
    # rebuild groups as the cold one did, and its segments can be linked.
    return dict(sorted(signatures.items()))


def sign(articles: list[Article], stemmer: Stemmer) -> dict:
    """{id: (signature, sketch)} of these articles, in two processes when there are many."""
    found = {}
    for signatures in run_shards(bodies_task, (articles,), stemmer=stemmer, items=len(articles)):
        found.update(signatures)
    return found


# What reading the groups of another version or a damaged file raises: then
# the signatures are computed again.
_UNREADABLE_GROUPS = (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError)


def _known_signatures(link: Path, store: Store, key: str) -> dict:
    """Signatures in the current index of articles unchanged since it was last updated.

    A rebuild reuses them, as it reuses stems: MinHash is the costliest part
    of a warm rebuild's first pass. Nothing is reused when the index has
    another format or was grouped with other protected words or stopwords.
    """
    try:
        gen_dir = link.resolve(strict=True)
    except (OSError, RuntimeError):
        return {}
    manifest = Manifest.read(gen_dir)
    if manifest.format != INDEX_FORMAT or manifest.seq is None:
        return {}
    try:
        groups = DuplicateGroups.load(gen_dir)
    except _UNREADABLE_GROUPS:
        return {}
    if getattr(groups, "analysis_key", None) != key:
        return {}
    try:
        sketches = Stories.load(gen_dir).sketches
    except _UNREADABLE_GROUPS:
        return {}
    changed = {article.id for article in store.changed_since(manifest.seq)}
    rows = dict(zip(groups.ids, groups.matrix, strict=True))
    return {
        i: (rows.get(i), sketch)
        for i, sketch in sketches.items()
        if i not in changed and i in groups.groups
    }


def _documents(groups: dict, stories: dict):
    """``documents(article)``: its Whoosh fields with its group and story, or None."""

    def documents(article: Article) -> dict | None:
        # Only the articles grouped in pass 1: the groups list exactly what is indexed.
        if article.id not in groups:
            return None
        return article_fields(article, groups[article.id], stories[article.id])

    return documents


def _all_segments(gen_dir, store: Store, stemmer: Stemmer, documents, progress):
    """Pass 2 (two processes): Whoosh segments of every article, with its group and story;
    and the digest of their documents."""
    args = (str(gen_dir), documents)
    shards = run_shards(segments_task, args, stemmer=stemmer, store=store, progress=progress)
    segments = [segment for found, _ in shards for segment in found]
    return segments, combine([digest for _, digest in shards])


def _reused_segments(link: Path, gen_dir: Path, store: Store, schema, documents):
    """The current generation's segments linked into ``gen_dir``, with their digest,
    when pass 2 would write them again as they are; else None.

    That is when the current generation is a rebuild that no update has
    changed since (its commit is the one its fingerprint describes), written
    by the same code with the same schema, without deletions, and the
    documents of this build have the digest of that one's (``fingerprints``).
    """
    try:
        old_dir = link.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    found = Fingerprint.read(old_dir)
    manifest = Manifest.read(old_dir)
    if found is None or found.code != code_key() or manifest.format != INDEX_FORMAT:
        return None
    if manifest.toc != found.toc:
        return None
    old = _old_segments(old_dir, found.toc, schema)
    if old is None or documents_digest(store, documents) != found.documents:
        return None
    storage, segments = old
    for segment in segments:
        link_files(old_dir, gen_dir, segment.list_files(storage))
    return segments, found.documents


def _reused_acronyms(link: Path, gen_dir: Path) -> bool:
    """Link the current generation's mined acronyms into ``gen_dir``; whether it had them.

    Called only when its segments were reused: the same code read the same
    articles, so mining them again would find the same definitions.
    """
    old_dir = link.resolve()
    names = [ACRONYM_COUNTS_FILE, ACRONYM_TRUSTED_FILE]
    if not all((old_dir / name).is_file() for name in names):
        return False
    link_files(old_dir, gen_dir, names)
    return True


def _old_segments(old_dir: Path, toc: int, schema):
    """(storage, segments) of the generation at commit ``toc`` with this schema and
    no deletions, else None (an unreadable one included)."""
    # Whoosh leaves an unreadable table of contents open when it fails: close it quietly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            old = whoosh_index.open_dir(str(old_dir))
            if old.latest_generation() != toc or _fields(old.schema) != _fields(schema):
                return None
            segments = old._segments()
        except UNREADABLE_INDEX_ERRORS:
            gc.collect()
            return None
    if any(segment.deleted_count() for segment in segments):
        return None
    return old.storage, segments


def _fields(schema) -> list[tuple]:
    """What sets two schemas of the same code apart: their fields and protected words.

    (Whoosh's own schema equality compares column objects by identity.)
    """
    return [
        (name, type(field).__name__, getattr(field, "protected", None))
        for name, field in schema.items()
    ]


def _commit_segments(index, link: Path, segments: list) -> None:
    """One commit adds every segment both processes wrote."""
    index_writer = writer(index, link)
    try:
        index_writer.commit(mergetype=lambda _writer, existing: [*existing, *segments])
    except BaseException:
        index_writer.cancel()
        raise
