"""HTML pages: home, results, article, OpenSearch description and health."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request, url_for

from index import WartaIndexError

from . import params as search_params
from .handles import get_searcher, get_store, overview, similar_articles
from .params import SearchParams

bp = Blueprint("views", __name__)

SIMILAR_LIMIT = 5


@bp.app_template_global()
def search_url(params: SearchParams, **changes) -> str:
    """The results URL for ``params`` with ``changes``, keeping every other parameter."""
    return url_for("views.search_page", **params.with_(**changes).to_args())


@bp.get("/")
def search_page():
    """Home page with the search box; the results page when there is a query or filter."""
    params = search_params.parse(request.args)
    if not params.q and not params.filtered:
        return render_template("home.html", params=params, overview=overview())
    result = params.run(get_searcher())
    return render_template("results.html", params=params, result=result)


@bp.get("/article/<path:article_id>")
def article_page(article_id: str):
    """One article's clean text with the query's words highlighted, and similar articles."""
    article = get_store().get(article_id)
    if article is None:
        abort(404, f"Artikel dengan id “{article_id}” tidak ada di arsip.")
    query = search_params.query_arg(request.args)
    return render_template(
        "article.html",
        article=article,
        params=SearchParams(q=query),
        body=get_searcher().highlight(article.body, query),
        similar=similar_articles(article.id, SIMILAR_LIMIT),
    )


@bp.get("/opensearch.xml")
def opensearch():
    """OpenSearch description, so browsers can add Warta as a search engine."""
    xml = render_template("opensearch.xml")
    return xml, 200, {"Content-Type": "application/opensearchdescription+xml; charset=utf-8"}


@bp.get("/health")
def health():
    """For monitoring: is the index readable, how many documents, which generation."""
    try:
        searcher = get_searcher()
        searcher.refresh()
    except WartaIndexError as e:
        return jsonify({"status": "unavailable", "error": str(e)}), 503
    return {"status": "ok", "documents": searcher.doc_count, "generation": searcher.generation}
