"""The JSON API."""

from __future__ import annotations

from flask import Blueprint, abort, request

from searcher import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

from .state import get_searcher

bp = Blueprint("api", __name__, url_prefix="/api")


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, f"Parameter '{name}' must be a whole number.")
    if not low <= value <= high:
        abort(400, f"Parameter '{name}' must be between {low} and {high}.")
    return value


@bp.get("/search")
def search():
    """Search; returns the stable result shape."""
    query = request.args.get("q", "")
    page = _int_arg("page", 1, 1, 1000)
    size = _int_arg("size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    return get_searcher().search(query, page=page, page_size=size).to_dict()
