"""HTML pages: home, results, article, story, OpenSearch description and health."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)

from index import WartaIndexError

from . import params as search_params
from .handles import get_searcher, get_store, handles, overview, story_moved
from .headers import moved_permanently
from .monitoring import index_freshness
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
    params = search_params.parse(request.args, handles().limits)
    if not params.q and not params.filtered:
        return render_template("home.html", params=params, overview=overview())
    result = params.run(get_searcher())
    return render_template("results.html", params=params, result=result)


@bp.get("/article/<path:article_id>")
def article_page(article_id: str):
    """One article's clean text with the query's words highlighted, and similar articles.

    The id of a replaced article redirects to the article that replaced it.
    """
    article = get_store().get(article_id)
    if article is None:
        successor = get_store().successor(article_id)
        if successor is None:
            abort(404, f"Artikel dengan id “{article_id}” tidak ada di arsip.")
        # Permanent: the id was replaced by one with the article's URL (README, API).
        # The query string (the words to highlight) is kept as it came.
        location = url_for("views.article_page", article_id=successor)
        query_string = request.query_string.decode("latin-1")
        return moved_permanently(f"{location}?{query_string}" if query_string else location)
    query = search_params.query_arg(request.args, handles().limits)
    searcher = get_searcher()
    return render_template(
        "article.html",
        article=article,
        params=SearchParams(q=query),
        body=searcher.highlight(article.body, query),
        similar=searcher.similar(article.id, limit=SIMILAR_LIMIT),
    )


@bp.get("/story/<path:story_id>")
def story_page(story_id: str):
    """Every report of one event, in time order: outlet, time, title and link."""
    story = get_searcher().story(story_id)
    if story is None:
        return story_moved(
            story_id, "views.story_page", f"Cerita dengan id “{story_id}” tidak ada di arsip."
        )
    return render_template("story.html", story=story, params=SearchParams())


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
    return {
        "status": "ok",
        "documents": searcher.doc_count,
        "generation": searcher.generation,
        "index": index_freshness(current_app.config["DATA_DIR"], get_store()),
    }
