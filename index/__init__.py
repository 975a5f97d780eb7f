"""Stage 3: the search index, derived from the article store.

Analysis (``analysis``: tokenizer → lowercase → normalise → Sastrawi stem with
protected words, through a ``Stemmer`` seeded from the stem cache persisted
by ``stems``) feeds a Whoosh schema (``schema``); ``dedup`` groups
near-duplicate articles with MinHash LSH. ``build`` rebuilds the index into a
new generation with two processes (``workers``, ``segments``) and switches to
it atomically (``generations``: the link, the manifests, the lock);
``update`` applies what changed in the store, merging small segments as
``merging`` decides; ``stats`` describes it.
"""

import logging

from .analysis import split_words, stopwords
from .build import build_index
from .errors import IndexLockedError, IndexNotFoundError, IndexOutdatedError, WartaIndexError
from .generations import index_path, index_state, open_index
from .stats import index_stats
from .update import update_index

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
