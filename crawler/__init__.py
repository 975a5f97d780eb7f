"""Stage 1: getting articles in.

Files and web pages become clean :class:`Article` records (``normalise``,
``importer``), which the SQLite article store (``store``) keeps as the source
of truth for every later stage.
"""

from .article import Article, Rejection
from .store import DEFAULT_DATA_DIR, Store, StoreError

__all__ = ["Article", "Rejection", "Store", "StoreError", "DEFAULT_DATA_DIR"]
