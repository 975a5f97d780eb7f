"""The app's long-lived handles: one searcher per app, a store per request.

Each app owns one ``Handles`` (in ``app.extensions``): the searcher, opened on
first use and shared by every request and thread (``Searcher.search``
refreshes it, so a new index generation written by another process is served
without a restart), and the home page's overview, recomputed every few
minutes. An SQLite connection cannot cross threads, so each request that
needs the store opens its own and closes it at teardown.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from flask import Flask, Response, abort, current_app, g, redirect, url_for

from crawler import Store
from index import index_path
from searcher import Limits, Searcher

from .headers import moved_permanently
from .settings import limits_of

EXTENSION = "warta"


class Handles:
    """One app's searcher and overview, created on first use, closed with ``close``."""

    def __init__(self, data_dir: str, limits: Limits, retire_after: float, overview_seconds: float):
        self.data_dir = data_dir
        self.limits = limits
        self.retire_after = retire_after
        self.overview_seconds = overview_seconds
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None
        self._overview: tuple[float, dict] | None = None

    def searcher(self) -> Searcher:
        """The shared searcher, opened on first use."""
        searcher = self._searcher
        if searcher is None:
            with self._lock:
                if self._searcher is None:
                    self._searcher = Searcher(
                        index_path(self.data_dir),
                        limits=self.limits,
                        retire_after=self.retire_after,
                    )
                searcher = self._searcher
        return searcher

    def overview(self, store: Callable[[], Store]) -> dict:
        """What the archive holds (articles, outlets, dates), recomputed every few minutes
        from ``store()``."""
        cached = self._overview
        if cached is None or time.monotonic() - cached[0] > self.overview_seconds:
            cached = self._overview = (time.monotonic(), store().overview())
        return cached[1]

    def close(self) -> None:
        """Close the searcher (its open index files); the next request reopens it."""
        with self._lock:
            searcher, self._searcher = self._searcher, None
        if searcher is not None:
            searcher.close()


def handles(app: Flask | None = None) -> Handles:
    """The handles of ``app`` (by default the current one)."""
    return (app or current_app).extensions[EXTENSION]


def get_searcher() -> Searcher:
    """The app's shared searcher, opened on first use."""
    return handles().searcher()


def get_store() -> Store:
    """This request's connection to the article store."""
    if "store" not in g:
        g.store = Store.open(current_app.config["DATA_DIR"])
    return g.store


def overview() -> dict:
    """What the archive holds, remembered for a few minutes."""
    return handles().overview(get_store)


def story_moved(story_id: str, endpoint: str, not_found: str) -> Response:
    """The redirect for a story id that labels no story now (``successor_story``) to
    ``endpoint``'s page of the story it leads to; 404 with ``not_found`` when none."""
    moved = successor_story(story_id)
    if moved is None:
        abort(404, not_found)
    location = url_for(endpoint, story_id=moved[0])
    return moved_permanently(location) if moved[1] else redirect(location, 302)


def successor_story(story_id: str) -> tuple[str, bool] | None:
    """Where a story id that labels no story now leads: (story id, permanently).

    A story is labelled with its first article's id. When that article was
    replaced, a rebuild labels the story with its successor: a permanent move.
    When a rebuild placed an earlier report first, the article is in a story
    labelled by that report: a temporary move (a later rebuild may move it
    again). None when neither leads to a story.
    """
    searcher = get_searcher()
    successor = get_store().successor(story_id)
    if successor is not None and searcher.story(successor) is not None:
        return successor, True
    now = searcher.story_of(story_id)
    if now is not None and now != story_id and searcher.story(now) is not None:
        return now, False
    return None


def close_app(app: Flask) -> None:
    """Close the app's searcher (its open index files); the next request reopens it."""
    handles(app).close()


def _close_store(exc: BaseException | None) -> None:
    store = g.pop("store", None)
    if store is not None:
        store.close()


def register(app: Flask) -> None:
    """Give the app its handles, and close each request's store at teardown.

    The searcher's limits are a template global too, for the search forms'
    ``maxlength`` and the last page of the pagination.
    """
    config = app.config
    limits = limits_of(config)
    app.extensions[EXTENSION] = Handles(
        config["DATA_DIR"],
        limits=limits,
        retire_after=config["RETIRE_AFTER_SECONDS"],
        overview_seconds=config["OVERVIEW_SECONDS"],
    )
    app.add_template_global(limits, "limits")
    app.teardown_appcontext(_close_store)
