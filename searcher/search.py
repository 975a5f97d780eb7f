"""``Searcher``: the long-lived, thread-safe handle downstream code searches with.

It checks a search's parameters against its ``Limits``, keeps the current
index generation (``generations``) and hands each request to that
generation's query pipeline (``pipeline``).
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from html import escape
from pathlib import Path

from index.acronyms import read_trusted

from . import errors
from .compiler import DEFAULT_FEATURES, RankingFeatures, word_tokenizer
from .errors import QueryError
from .export import Export
from .generations import Generations
from .pipeline import CacheBounds, QueryPipeline
from .query import clean
from .results import SORTS, Hit, SearchRequest, SearchResult, Story
from .settings import DEFAULT_LIMITS, DEFAULTS, Limits
from .stopwords import load_stopwords
from .suggestions import Vocabulary
from .synonyms import Synonyms

USER_SYNONYMS = "synonyms.txt"
RETIRE_AFTER_SECONDS = DEFAULTS["retire_after_seconds"]
# An export reads stored fields this many articles at a time, letting other searches in between.
EXPORT_BATCH = 200
_IN_DATA_DIR = object()


def _serialised(method):
    """Run one Whoosh-reading method at a time per Searcher.

    Whoosh's segment readers share file objects between matchers: two threads
    reading postings of one segment at once can interleave seeks and reads and
    get corrupt blocks (seen in the soak as zlib errors). The work is CPU-bound
    under the GIL anyway, so serialising costs little throughput.
    """

    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self._reading:
            return method(self, *args, **kwargs)

    return run


class Searcher:
    """A long-lived, thread-safe handle on the index that follows new generations.

    ``synonyms_file`` extends the shipped synonym list; by default it is
    ``synonyms.txt`` in the data directory (the index directory's parent),
    when that file exists. ``limits`` bound what a search may ask for;
    ``features`` switches ranking features (for benchmarks); a replaced
    generation stays open ``retire_after`` seconds for requests still reading it.
    """

    def __init__(
        self,
        index_dir: str | os.PathLike,
        synonyms_file: str | os.PathLike | None = _IN_DATA_DIR,
        features: RankingFeatures = DEFAULT_FEATURES,
        limits: Limits = DEFAULT_LIMITS,
        retire_after: float = RETIRE_AFTER_SECONDS,
    ):
        index_dir = Path(index_dir)
        if synonyms_file is _IN_DATA_DIR:
            synonyms_file = index_dir.parent / USER_SYNONYMS
        self.synonyms_file = synonyms_file
        self.features = features
        self.limits = limits
        self._stopwords = load_stopwords()
        self._synonyms: Synonyms | None = None
        self.vocabulary = Vocabulary()  # did-you-mean's words, carried across generations
        self._reading = threading.RLock()
        self.generations = Generations(index_dir, self._pipeline, retire_after)

    def _pipeline(self, whoosh_searcher, gen_dir: Path) -> QueryPipeline:
        """The query pipeline of a newly opened generation: the synonym files are
        read once, the acronyms the generation's archive defines with each."""
        tokenize = word_tokenizer(whoosh_searcher.schema)
        if self._synonyms is None:
            self._synonyms = Synonyms.load(tokenize, self.synonyms_file)
        synonyms = self._synonyms
        if self.features.synonyms and self.features.acronyms:
            mined = [(short, long) for short, long, _ in read_trusted(gen_dir)]
            synonyms = synonyms.with_mined(mined, tokenize)
        caches = CacheBounds.of_limits(self.limits)
        return QueryPipeline(
            whoosh_searcher, synonyms, self._stopwords, self.features, caches, self.vocabulary
        )

    @property
    def index_dir(self) -> Path:
        """The index link (``data/index``) this searcher follows."""
        return self.generations.index_dir

    @property
    def doc_count(self) -> int:
        """How many articles the open generation holds."""
        return self.generations.current.doc_count

    @property
    def generation(self) -> str:
        """The open generation's name, e.g. ``gen-3:2`` (changes with every build or update)."""
        return self.generations.name

    def refresh(self) -> None:
        """Reopen the index if a rebuild switched generations or an update committed."""
        self.generations.refresh()

    def close(self) -> None:
        """Close every open generation."""
        self.generations.close()

    @_serialised
    def search(
        self,
        query: str,
        page: int = 1,
        page_size: int | None = None,
        source: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        sort: str = "relevance",
    ) -> SearchResult:
        """Search and return one page of hits with facets and snippets.

        ``page_size`` defaults to the limits' ``default_page_size``; ``source``
        keeps one outlet; ``date_from``/``date_to`` bound the publication
        date (inclusive); ``sort`` is "relevance" or "date". Raises
        ``QueryError`` with a sentence for the user when the query or a
        parameter can't be used.
        """
        started = time.perf_counter()
        page_size = self.limits.default_page_size if page_size is None else page_size
        self._check_request(page, page_size, sort)
        text, cut_notice = self._bounded_query(query)
        request = SearchRequest(text, page, page_size, source, date_from, date_to, sort)
        self.refresh()
        result = self.generations.current.search(request)
        self.generations.searched()
        notice = " ".join(n for n in (cut_notice, result.notice) if n) or None
        took_ms = round((time.perf_counter() - started) * 1000, 2)
        return replace(result, took_ms=took_ms, notice=notice)

    def export(
        self,
        query: str,
        source: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        sort: str = "relevance",
        page: int | None = None,
        page_size: int | None = None,
    ) -> Export:
        """Every matching article (copies included), or one page's, as export rows.

        The rows (``searcher.export``) come in the results' order, each shown
        article followed by its copies, at most the limits' ``max_export_rows``;
        without ``page`` every page is exported. The rows are a generator that
        reads the index a batch at a time, so other searches run in between.
        """
        page_size = self.limits.default_page_size if page_size is None else page_size
        self._check_request(page or 1, page_size, sort)
        text = self._bounded_query(query)[0]
        request = SearchRequest(text, page or 1, page_size, source, date_from, date_to, sort)
        limit = self.limits.max_export_rows
        with self._reading:
            self.refresh()
            pipeline = self.generations.current
            total, order, cut = pipeline.export_order(request, limit, whole=page is None)
        return Export(total, len(order), cut, self._export_rows(pipeline, order))

    def _export_rows(self, pipeline: QueryPipeline, order: list) -> Iterator[dict]:
        for start in range(0, len(order), EXPORT_BATCH):
            with self._reading:
                rows = pipeline.export_rows(order[start : start + EXPORT_BATCH])
            yield from rows

    def _check_request(self, page: int, page_size: int, sort: str) -> None:
        limits = self.limits
        if not 1 <= page <= limits.max_page:
            raise QueryError(errors.PAGE_NUMBER, maximum=limits.max_page)
        if not 1 <= page_size <= limits.max_page_size:
            raise QueryError(errors.PAGE_SIZE, maximum=limits.max_page_size)
        if sort not in SORTS:
            raise QueryError(errors.SORT, choices=", ".join(SORTS))

    def _bounded_query(self, query: str) -> tuple[str, str | None]:
        """The query cleaned and cut to ``max_query_chars`` at a word, with a notice when cut."""
        text, most = clean(query), self.limits.max_query_chars
        if len(text) <= most:
            return text, None
        cut = text[:most].rsplit(" ", 1)[0]
        return cut, f"The query was long: only its first {len(cut):,} characters were searched."

    @_serialised
    def highlight(self, text: str, query: str) -> str:
        """The whole ``text``, HTML-escaped, with the query's matches in <mark>."""
        try:
            return self.generations.current.highlight(text, self._bounded_query(query)[0])
        except QueryError:
            return escape(text)

    @_serialised
    def similar(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Articles like this one: its near-duplicates first, then more-like-this.

        Remembered until the index changes.
        """
        self.refresh()
        return self.generations.current.similar(article_id, limit)

    @_serialised
    def story(self, story_id: str) -> Story | None:
        """Every article of a story in time order (plain dataclasses), or None if unknown."""
        self.refresh()
        return self.generations.current.story(story_id)

    @_serialised
    def story_of(self, article_id: str) -> str | None:
        """The story an article is in now, or None when the index has no such article."""
        self.refresh()
        return self.generations.current.story_of(article_id)
