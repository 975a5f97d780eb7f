"""Run queries against the index: parsing, BM25F ranking, facets, snippets."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from datetime import date, datetime, time as dtime

from whoosh import qparser, scoring, sorting
from whoosh.query import And, DateRange, Every, Term

from index.build import open_index

from .results import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Hit, SearchResult
from .snippets import MAX_FRAGMENTS, leading_text, make_highlighter

MAX_QUERY_CHARS = 1000
SEARCH_FIELDS = ["title", "body"]


SORTS = ("relevance", "date")


def _with_filters(query, source, date_from, date_to):
    parts = [query]
    if source:
        parts.append(Term("source", source))
    if date_from or date_to:
        start = datetime.combine(date_from, dtime.min) if date_from else None
        end = datetime.combine(date_to, dtime.max) if date_to else None
        parts.append(DateRange("published", start, end))
    return And(parts) if len(parts) > 1 else query


class QueryError(ValueError):
    """The query or its parameters cannot be used."""


def _iso(value) -> str | None:
    return value.isoformat() if value else None


class Searcher:
    """A long-lived, thread-safe handle on the index that follows new generations."""

    def __init__(self, index_dir: str | os.PathLike):
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._ix = None
        self._target = None
        self._searcher = None
        self._highlighter = make_highlighter()
        self.refresh()

    def refresh(self) -> None:
        """Reopen the index if a rebuild switched generations or an update committed."""
        with self._lock:
            target = self.index_dir.resolve()
            if self._searcher is not None and target == self._target:
                if self._searcher.up_to_date():
                    return
                self._searcher = self._searcher.refresh()
                return
            ix = open_index(self.index_dir)
            old = self._searcher
            self._ix, self._target = ix, target
            self._searcher = ix.searcher(weighting=scoring.BM25F())
            if old is not None:
                old.close()

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None

    @property
    def doc_count(self) -> int:
        return self._searcher.doc_count()

    @property
    def generation(self) -> str:
        return f"{self._target.name}:{self._searcher.reader().generation()}"

    def _parse(self, text: str):
        parser = qparser.MultifieldParser(SEARCH_FIELDS, self._ix.schema, group=qparser.AndGroup)
        return parser.parse(text)

    def search(
        self,
        query: str,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        source: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        sort: str = "relevance",
    ) -> SearchResult:
        """Search and return one page of hits with facets and snippets.

        ``source`` keeps one outlet; ``date_from``/``date_to`` bound the
        publication date (inclusive); ``sort`` is "relevance" or "date".
        """
        started = time.perf_counter()
        query = (query or "").strip()
        if len(query) > MAX_QUERY_CHARS:
            raise QueryError(f"The query is too long: at most {MAX_QUERY_CHARS} characters.")
        if page < 1:
            raise QueryError("The page number must be 1 or more.")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise QueryError(f"The page size must be between 1 and {MAX_PAGE_SIZE}.")
        if sort not in SORTS:
            raise QueryError(f"Sort must be one of {', '.join(SORTS)}.")
        self.refresh()
        searcher = self._searcher
        parsed = self._parse(query) if query else Every()
        parsed = _with_filters(parsed, source, date_from, date_to)
        facets = [sorting.FieldFacet("source"), sorting.FieldFacet("month")]
        sortedby = sorting.FieldFacet("published", reverse=True) if sort == "date" else None
        results = searcher.search_page(
            parsed, page, pagelen=page_size, groupedby=facets, terms=True, sortedby=sortedby
        )
        hits = [self._hit(hit) for hit in results]
        return SearchResult(
            query=query,
            total=len(results),
            page=page,
            page_size=page_size,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            suggestion=None,
            facets=self._facets(results.results),
            hits=hits,
        )

    def _facets(self, results) -> dict:
        out = {}
        for name in ("source", "month"):
            groups = results.groups(name)
            counts = {k: len(v) for k, v in groups.items() if k}
            out[name] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        return out

    def _hit(self, hit) -> Hit:
        fields = hit.fields()
        snippet = self._highlighter.highlight_hit(
            hit, "body", text=fields.get("body", ""), top=MAX_FRAGMENTS
        )
        return Hit(
            id=fields["id"],
            url=fields.get("url"),
            title=fields.get("title", ""),
            source=fields.get("source"),
            published=_iso(fields.get("published")),
            author=fields.get("author"),
            score=round(float(hit.score or 0.0), 4),
            snippet=snippet or leading_text(fields.get("body", "")),
        )

    def highlight(self, text: str, query: str) -> str:
        """The whole ``text``, HTML-escaped, with the query's matches in <mark>."""
        from html import escape

        from whoosh.highlight import WholeFragmenter, highlight

        query = (query or "").strip()
        if not query:
            return escape(text)
        terms = {t for t in self._parse(query).all_terms() if t[0] in ("body", "title")}
        words = frozenset(word for _, word in terms)
        analyzer = self._ix.schema["body"].analyzer
        marked = highlight(
            text, words, analyzer, WholeFragmenter(charlimit=None), self._highlighter.formatter,
            top=1,
        )
        return marked or escape(text)

    def similar(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Articles like this one (its near-duplicates first, then more-like-this)."""
        self.refresh()
        docnum = self._searcher.document_number(id=article_id)
        if docnum is None:
            return []
        results = self._searcher.more_like(docnum, "body", top=limit)
        return [self._hit(hit) for hit in results]
