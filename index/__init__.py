"""Stage 3: the search index, derived from the article store.

Analysis (``analysis``: tokenizer → lowercase → Sastrawi stem) feeds a Whoosh
schema (``schema``); ``build`` rebuilds the index atomically or updates it
with what changed in the store.
"""

from .build import (
    WartaIndexError,
    IndexLockedError,
    IndexNotFoundError,
    build_index,
    index_path,
    open_index,
    update_index,
)

__all__ = [
    "WartaIndexError",
    "IndexLockedError",
    "IndexNotFoundError",
    "build_index",
    "index_path",
    "open_index",
    "update_index",
]
