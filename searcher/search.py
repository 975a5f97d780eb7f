"""Run queries against the index: parsing, BM25F ranking, facets, snippets."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from whoosh import qparser, scoring, sorting
from whoosh.query import Every

from index.build import open_index

from .results import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Hit, SearchResult
from .snippets import MAX_FRAGMENTS, leading_text, make_highlighter

MAX_QUERY_CHARS = 1000
SEARCH_FIELDS = ["title", "body"]


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
    ) -> SearchResult:
        """Search and return one page of hits with facets and snippets."""
        started = time.perf_counter()
        query = (query or "").strip()
        if len(query) > MAX_QUERY_CHARS:
            raise QueryError(f"The query is too long: at most {MAX_QUERY_CHARS} characters.")
        if page < 1:
            raise QueryError("The page number must be 1 or more.")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise QueryError(f"The page size must be between 1 and {MAX_PAGE_SIZE}.")
        self.refresh()
        searcher = self._searcher
        parsed = self._parse(query) if query else Every()
        facets = [sorting.FieldFacet("source"), sorting.FieldFacet("month")]
        results = searcher.search_page(
            parsed, page, pagelen=page_size, groupedby=facets, terms=True
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
