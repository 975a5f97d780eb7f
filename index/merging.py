"""The merge policy of updates: which small segments an update writes again.

Each update adds a segment or two. When small segments pile up, an update
merges them: it indexes their articles again from the store into its own new
segments, and drops them (the store is the source of truth, and re-indexing
is several times faster than Whoosh copying their postings one by one).
Large segments (a rebuild's) are left to the next rebuild.
"""

from __future__ import annotations

from whoosh.util import fib

from crawler.article import Article
from crawler.store import Store

from .workers import SEGMENT_DOCS

# An update merges small segments (those of fewer than LARGE_SEGMENT documents)
# when Whoosh's rule says so or when there would be more than MAX_SEGMENTS of
# them; large ones (a rebuild's) are left to the next rebuild.
MAX_SEGMENTS = 16
LARGE_SEGMENT = SEGMENT_DOCS // 2


def segments_to_merge(segments: list, added: int = 2) -> list:
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


def articles_in_segments(
    index, store: Store, segments: list, skip: set[str]
) -> tuple[list[Article], list[str]]:
    """The store's articles whose documents live in ``segments`` (but those in
    ``skip``); and the ids of those documents the store no longer has.
    """
    from whoosh.reading import SegmentReader

    ids = set()
    for segment in segments:
        with SegmentReader(index.storage, index.schema, segment) as reader:
            ids |= live_ids(reader)
    articles = [a for i in sorted(ids - skip) if (a := store.get(i)) is not None]
    return articles, sorted(ids - skip - {a.id for a in articles})


def live_ids(reader) -> set[str]:
    """Ids of the documents not deleted (without loading their stored text)."""
    ids = set()
    for term in reader.lexicon("id"):
        if reader.postings("id", term).is_active():
            ids.add(term.decode("utf-8") if isinstance(term, bytes) else term)
    return ids
