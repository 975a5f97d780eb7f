"""Apply what changed in the store since the index was last brought up to date.

An update reads the changes (the articles changed and deleted in the store
since the change number in the generation's manifest, and the small segments
to merge with their articles), regroups near-duplicates (it signs the changed
articles and places them), writes everything in one Whoosh commit (old
versions deleted, new segments added, merged segments dropped), then records
the new groups and manifest. From ``workers.PARALLEL_DOCS`` articles, signing
and writing take two processes. With no index yet, an update builds one.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from crawler.article import Article
from crawler.store import Store

from .acronyms import update_trusted
from .analysis import Stemmer, protected_words
from .build import BuildReport, RebuildSettings, rebuild, sign
from .dedup import DuplicateGroups, joined
from .errors import IndexNotFoundError, IndexOutdatedError
from .generations import LOCK_TIMEOUT, Manifest, exclusive, now, open_index, writer
from .merging import articles_in_segments, segments_to_merge
from .schema import article_fields, schema_protected
from .stems import StemCache, stem_cache_path
from .stories import Stories
from .workers import Progress, documents_task, run_shards


def update_index(
    store: Store,
    index_dir: str | os.PathLike,
    progress: Progress | None = None,
    *,
    protected: dict[str, str] | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
) -> BuildReport:
    """Apply what changed in the store since the index was last brought up to date.

    Where there is no index yet, build it (the report's ``kind`` says
    "rebuild"), with ``protected`` words if given; an existing index keeps the
    protected words it was built with. An index of another format is refused.
    """
    link = Path(index_dir)
    with exclusive(link, lock_timeout):
        try:
            index = open_index(link)
        except IndexOutdatedError:
            raise
        except IndexNotFoundError:
            settings = RebuildSettings(protected_words() if protected is None else protected)
            return rebuild(store, link, settings, progress)
        return _Update(store, link, index, progress, lock_timeout).run()


@dataclass
class Changes:
    """What one update applies, read before anything is written."""

    seq: int  # the store's change number the index reflects after the update
    changed: list[Article]
    deleted: list[str]  # deleted from the store, or gone from it without a trace
    merged_segments: list  # small segments merged away
    merged_articles: list[Article]  # their articles, written again
    indexed: set[str] | None  # every id in the index, when the groups are known to list them


@dataclass
class _Update:
    """One update of an open index (its caller holds the index's lock)."""

    store: Store
    link: Path
    index: object  # a Whoosh FileIndex
    progress: Progress | None
    lock_timeout: float

    def run(self) -> BuildReport:
        """Read, regroup, write and record the changes."""
        started = time.perf_counter()
        gen_dir = self.link.resolve()
        manifest = Manifest.read(gen_dir)
        groups = DuplicateGroups.load(gen_dir)
        stories = Stories.load(gen_dir)
        changes = self.read_changes(manifest, groups)
        # Before the commit: a searcher that sees the new articles sees their acronyms.
        update_trusted(gen_dir, changes.changed, changes.deleted, self.store)
        placed, new_stems = self.apply(changes, groups, stories)
        groups.save(gen_dir)
        stories.save(gen_dir)
        toc = self.index.latest_generation()
        replace(manifest, seq=changes.seq, toc=toc, updated=now()).write(gen_dir)
        return BuildReport(
            kind="update",
            indexed=len(changes.changed),
            deleted=len(changes.deleted),
            seconds=time.perf_counter() - started,
            generation=gen_dir.name,
            duplicates=joined(placed),
            new_stems=new_stems,
        )

    def read_changes(self, manifest: Manifest, groups: DuplicateGroups) -> Changes:
        """The store's changes since the manifest's change number, and the merges due."""
        since = manifest.seq or 0
        seq = self.store.seq
        deleted = self.store.deleted_since(since)
        changed = list(self.store.changed_since(since))
        # When the index's last commit is the one its manifest and groups describe,
        # the groups list every indexed article: new ones need no deleting.
        clean = manifest.toc is not None and manifest.toc == self.index.latest_generation()
        merged_segments = segments_to_merge(self.index._segments())
        skip = {article.id for article in changed}.union(deleted)
        merged, gone = articles_in_segments(self.index, self.store, merged_segments, skip)
        # Indexed, but no longer in the store: they go too.
        return Changes(
            seq=seq,
            changed=changed,
            deleted=[*deleted, *gone],
            merged_segments=merged_segments,
            merged_articles=merged,
            indexed=set(groups.groups) if clean else None,
        )

    def apply(
        self, changes: Changes, groups: DuplicateGroups, stories: Stories
    ) -> tuple[dict[str, str], int]:
        """Regroup, place in stories and write the changes, stemming through the persisted cache.

        Returns the groups of the changed articles and how many stems were new.
        """
        articles = [*changes.changed, *changes.merged_articles]
        with StemCache(stem_cache_path(self.link)) as cache:
            stemmer = cache.update_stemmer(
                schema_protected(self.index.schema), (f"{a.title} {a.body}" for a in articles)
            )
            signatures = sign(changes.changed, stemmer)
            stories.forget(changes.deleted)
            stories.add_sketches({i: sketch for i, (_, sketch) in signatures.items()})
            signed = [(article.id, signatures[article.id][0]) for article in changes.changed]
            placed, regrouped = groups.replace(signed, changes.deleted, stories.is_copy)
            stories.update([article.id for article in changes.changed], groups.groups)
            self.write(changes, regrouped, groups.groups, stories.story, stemmer)
            return placed, cache.add(stemmer.take_new())

    def write(
        self, changes: Changes, regrouped: dict, groups: dict, stories: dict, stemmer: Stemmer
    ) -> None:
        """Delete, re-add, regroup and merge in one Whoosh commit.

        The changed, regrouped and merged articles are written into new
        segments, in bulk like a rebuild's; the writer deletes old versions,
        and the commit swaps the merged segments for the new ones. ``groups``:
        every article's group; ``stories``: every article's story.
        """
        articles, moved = self._articles_to_write(changes, regrouped)
        documents = [
            article_fields(article, groups[article.id], stories.get(article.id))
            for article in articles
        ]
        index_writer = writer(self.index, self.link, self.lock_timeout)
        try:
            old = _ids_to_delete(changes, documents, moved)
            if old:
                _delete_ids(index_writer, old)
            added = self._new_segments(documents, len(changes.changed), stemmer)
            gone = {segment.segment_id() for segment in changes.merged_segments}
            index_writer.commit(
                mergetype=lambda _writer, segments: [
                    *(segment for segment in segments if segment.segment_id() not in gone),
                    *added,
                ]
            )
        except BaseException:
            index_writer.cancel()
            raise

    def _articles_to_write(self, changes: Changes, regrouped: dict) -> tuple[list, set[str]]:
        """The changed, regrouped and merged articles; and the ids of the merged ones
        that are neither (they leave with their segment, not one by one)."""
        articles = {article.id: article for article in changes.changed}
        for article_id in regrouped.keys() - articles.keys():
            if (article := self.store.get(article_id)) is not None:
                articles[article_id] = article
        moved = {article.id for article in changes.merged_articles} - articles.keys()
        articles.update((a.id, a) for a in changes.merged_articles if a.id in moved)
        return list(articles.values()), moved

    def _new_segments(self, documents: list[dict], reported: int, stemmer: Stemmer) -> list:
        """Segments of ``documents``; ``progress`` hears of the first ``reported``."""
        if not documents:
            return []
        shards = run_shards(
            documents_task,
            (self.index, documents, reported),
            stemmer=stemmer,
            store=self.store,
            progress=self.progress,
            items=len(documents),
        )
        return [segment for segments in shards for segment in segments]


def _ids_to_delete(changes: Changes, documents: list[dict], moved: set[str]) -> list[str]:
    """The ids whose old documents go: deleted and rewritten articles the index holds."""
    old = [*changes.deleted, *(doc["id"] for doc in documents)]
    if changes.indexed is None:  # which are in the index is not known: try them all
        return old
    return [i for i in old if i in changes.indexed and i not in moved]


def _delete_ids(index_writer, article_ids: list[str]) -> None:
    """Delete the documents with these ids, read straight from the id postings.

    ``delete_by_term`` runs a query per id (a sixth of an update), one ``Or``
    query for all of them was as slow.
    """
    reader = index_writer.searcher().reader()
    for article_id in article_ids:
        term = article_id.encode("utf-8")
        if ("id", term) in reader:
            for docnum in reader.postings("id", term).all_ids():
                index_writer.delete_document(docnum)
