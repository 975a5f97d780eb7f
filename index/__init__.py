"""Stage 3: the search index, derived from the article store.

Analysis (``analysis``: tokenizer → lowercase → normalise → Sastrawi stem with
protected words, through a ``Stemmer`` seeded from the stem cache persisted
by ``stems``) feeds a Whoosh schema (``schema``); ``dedup`` groups
near-duplicate articles with MinHash LSH. ``build`` rebuilds the index into a
new generation with two processes (``workers``, ``segments``) and switches to
it atomically (``generations``: the link, the manifests, the lock);
``update`` applies what changed in the store, merging small segments as
``merging`` decides; ``stats`` describes it.

``build_index``, ``update_index`` and ``index_stats`` load the builder (its
workers, MinHash, the store), so they are imported on first use: a search
(``warta search``, the searcher opening an index) does not pay for them.
"""

import importlib
import logging

from .analysis import split_words, stopwords
from .errors import IndexLockedError, IndexNotFoundError, IndexOutdatedError, WartaIndexError
from .generations import index_path, index_state, open_index

# name -> its module, imported when the name is first asked for (see above).
_LOADED_ON_USE = {"build_index": ".build", "update_index": ".update", "index_stats": ".stats"}

# A library logs; the application decides where to (``warta serve`` does).
logging.getLogger(__name__).addHandler(logging.NullHandler())

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
    "split_words",
    "stopwords",
    "update_index",
]


def __getattr__(name: str):
    if name in _LOADED_ON_USE:
        return getattr(importlib.import_module(_LOADED_ON_USE[name], __name__), name)
    raise AttributeError(f"module 'index' has no attribute {name!r}")
