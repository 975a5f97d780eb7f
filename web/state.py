"""The app's long-lived handles: one searcher and the store, per process."""

from __future__ import annotations

import threading

from flask import current_app

from crawler.store import Store
from index.build import index_path
from searcher import Searcher

_lock = threading.Lock()


def get_searcher() -> Searcher:
    """The app's shared searcher, opened on first use and refreshed per request."""
    ext = current_app.extensions
    with _lock:
        searcher = ext.get("warta.searcher")
        if searcher is None:
            searcher = Searcher(index_path(current_app.config["DATA_DIR"]))
            ext["warta.searcher"] = searcher
    return searcher


def open_store() -> Store:
    return Store.open(current_app.config["DATA_DIR"])
