"""HTML pages: the search page."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from .state import get_searcher

bp = Blueprint("views", __name__)


@bp.get("/")
def search_page():
    """Home page with the search box; results when there is a query."""
    query = request.args.get("q", "").strip()
    page = request.args.get("page", 1, type=int) or 1
    result = get_searcher().search(query, page=max(page, 1)) if query else None
    return render_template("search.html", query=query, result=result)
