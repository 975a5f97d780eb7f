"""The JSON API: search, single articles and stories. Errors come from ``errors``."""

from __future__ import annotations

from flask import Blueprint, abort, request, url_for

from crawler.dates import indonesian_time

from . import params as search_params
from .handles import get_searcher, get_store, handles, story_moved
from .headers import moved_permanently

bp = Blueprint("api", __name__, url_prefix="/api")

ARTICLE_FIELDS = ("id", "url", "title", "title_derived", "source", "published", "author", "body")


@bp.get("/search")
def search():
    """Search with q, page, size, source, from, to and sort; returns the stable result shape."""
    params = search_params.parse(request.args, handles().limits)
    return params.run(get_searcher()).to_dict()


@bp.get("/articles/<path:article_id>")
def article(article_id: str):
    """One article: its metadata and its clean text under ``body``.

    ``title_derived`` is true when the title was made from the first sentence.

    ``published`` is in Indonesian time, as in search hits (the store keeps what it was given).

    The id of an article replaced by one with its URL answers 301 with the
    new id's address (``Store.successor``); 404 if that one is gone too.
    """
    found = get_store().get(article_id)
    if found is None:
        successor = get_store().successor(article_id)
        if successor is None:
            abort(404, f"There is no article with id '{article_id}'.")
        return moved_permanently(url_for("api.article", article_id=successor))
    data = {name: getattr(found, name) for name in ARTICLE_FIELDS}
    when = indonesian_time(found.published)
    if when is not None:
        data["published"] = when.iso
    return data


@bp.get("/stories/<path:story_id>")
def story(story_id: str):
    """Every article of a story in time order, with its first and latest report."""
    found = get_searcher().story(story_id)
    if found is None:
        return story_moved(story_id, "api.story", f"There is no story with id '{story_id}'.")
    return found.to_dict()
