"""Stage 3: the search index, derived from the article store.

Analysis (``analysis``: tokenizer → lowercase → normalise → Sastrawi stem with
protected words, a stem cache persisted by ``stems``) feeds a Whoosh schema
(``schema``); ``dedup`` groups near-duplicate articles with MinHash LSH;
``build`` rebuilds the index atomically with two processes or updates it with
what changed in the store (two processes too when much changed).
"""

from .analysis import query_stopwords, split_words, stopwords
from .build import (
    IndexLockedError,
    IndexNotFoundError,
    IndexOutdatedError,
    WartaIndexError,
    build_index,
    index_path,
    index_state,
    index_stats,
    open_index,
    update_index,
)

__all__ = [
    "WartaIndexError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexOutdatedError",
    "build_index",
    "index_path",
    "index_state",
    "index_stats",
    "open_index",
    "query_stopwords",
    "split_words",
    "stopwords",
    "update_index",
]
