"""Stage 4: the searcher.

Parses queries, ranks with BM25F over title and body, and makes highlighted
snippets. Downstream code gets plain ``SearchResult``/``Hit`` records, never
Whoosh objects.
"""

from .results import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Hit, SearchResult
from .search import QueryError, Searcher

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "Hit", "QueryError", "SearchResult", "Searcher"]
