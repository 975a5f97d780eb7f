"""Stage 1: getting articles in.

Files and web pages become clean :class:`Article` records, which the SQLite
article store (``store``) keeps as the source of truth for every later stage:

- ``importer`` and ``saved`` read files (.txt, .jsonl, .html, .warc);
- ``crawl`` runs the Scrapy ``spider`` (rules in ``middlewares``, URLs in
  ``urls``, sitemaps and feeds in ``feeds``) and ``reparse``;
- ``html_normaliser`` (with ``body`` and ``dates``) normalises HTML pages,
  ``text_normaliser`` plain text;
- ``sources`` reads the outlets to follow (``sources.toml``), ``probe`` checks
  what they answer, ``health`` judges their crawl rounds (which the store
  records), ``locks`` keeps one crawl of a source at a time.

The crawler modules import Scrapy, so this package imports only the light ones.
"""

from .article import Article, Rejection
from .store import DEFAULT_DATA_DIR, Store, StoreError

__all__ = ["Article", "Rejection", "Store", "StoreError", "DEFAULT_DATA_DIR"]
