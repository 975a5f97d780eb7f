"""The app's long-lived handles: one searcher per app, a store per request.

The searcher is opened on first use and shared by every request and thread;
``Searcher.search`` refreshes it, so a new index generation written by another
process (``warta index build``/``update``) is served without a restart. An
SQLite connection cannot cross threads, so each request that needs the store
opens its own and closes it at teardown.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import Flask, current_app, g

from crawler.store import Store
from index import index_path
from searcher import Hit, Searcher

OVERVIEW_SECONDS = 300
SIMILAR_CACHE_SIZE = 4096

_lock = threading.Lock()


def get_searcher() -> Searcher:
    """The app's shared searcher, opened on first use."""
    ext = current_app.extensions
    searcher = ext.get("warta.searcher")
    if searcher is None:
        with _lock:
            searcher = ext.get("warta.searcher")
            if searcher is None:
                searcher = Searcher(index_path(current_app.config["DATA_DIR"]))
                ext["warta.searcher"] = searcher
    return searcher


def get_store() -> Store:
    """This request's connection to the article store."""
    if "store" not in g:
        g.store = Store.open(current_app.config["DATA_DIR"])
    return g.store


def overview() -> dict:
    """What the archive holds (articles, outlets, dates), recomputed every few minutes."""
    ext = current_app.extensions
    cached = ext.get("warta.overview")
    if cached is None or time.monotonic() - cached[0] > OVERVIEW_SECONDS:
        cached = (time.monotonic(), get_store().overview())
        ext["warta.overview"] = cached
    return cached[1]


def similar_articles(article_id: str, limit: int) -> list[Hit]:
    """Articles like this one, remembered per index generation.

    More-like-this costs about a hundred milliseconds on a large archive, and
    its answer only changes when the index does.
    """
    searcher = get_searcher()
    searcher.refresh()
    key = (searcher.generation, article_id, limit)
    cache = current_app.extensions.setdefault("warta.similar", OrderedDict())
    with _lock:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    hits = searcher.similar(article_id, limit=limit)
    with _lock:
        cache[key] = hits
        while len(cache) > SIMILAR_CACHE_SIZE:
            cache.popitem(last=False)
    return hits


def _close_store(exc: BaseException | None) -> None:
    store = g.pop("store", None)
    if store is not None:
        store.close()


def close_app(app: Flask) -> None:
    """Close the app's searcher (its open index files); the next request reopens it."""
    searcher = app.extensions.pop("warta.searcher", None)
    if searcher is not None:
        searcher.close()


def register(app: Flask) -> None:
    app.teardown_appcontext(_close_store)
