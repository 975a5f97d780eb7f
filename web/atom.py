"""``/feed.atom``: follow a search in any feed reader.

The feed takes the API's search parameters (``q``, ``source``, ``from``,
``to``) and lists the 50 newest matching articles, newest first: title,
outlet, published time with its offset (the article's own Indonesian zone,
else WIB; a date alone is midnight WIB), snippet and a link to the
article's page here (the original is a ``related`` link). Entry ids are tag
URIs made from the article id, so a reader never shows an article twice;
an entry's ``updated`` is when the archive last changed the article, the
feed's the latest of those. The XML is a Jinja template with autoescaping:
every value is escaped, and characters XML cannot carry are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time
from urllib.parse import quote, urlencode

from flask import Blueprint, Flask, current_app, render_template, request, url_for

from crawler.dates import WIB, indonesian_time
from crawler.health import parse_time
from index import index_path, index_state

from . import params as search_params
from .handles import get_searcher, get_store, handles
from .params import SearchParams

bp = Blueprint("atom", __name__)

FEED_ENTRIES = 50
FEED_ARGS = ("q", "source", "from", "to")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    link: str
    original: str | None
    published: str | None
    updated: datetime
    outlet: str | None
    author: str | None
    snippet: str


def xml_text(value: str | None) -> str:
    """Text without the characters XML 1.0 cannot carry (escaping is the template's job)."""
    return _NOT_XML.sub("", value or "")


def feed_url(params: SearchParams, external: bool = False) -> str:
    """The feed that follows this search (its query and filters, not its page or order)."""
    args = {k: v for k, v in params.to_args().items() if k in FEED_ARGS}
    return url_for("atom.search_feed", _external=external, **args)


def _tag(kind: str, specific: str) -> str:
    host = request.host.rsplit(":", 1)[0].strip("[]") or "localhost"
    return f"tag:{host},2024:{kind}/{specific}"


def _published(value: str | None) -> str | None:
    """An Atom date-time: Indonesian time, and midnight WIB for a date alone."""
    when = indonesian_time(value)
    if when is None:
        return None
    return when.iso if when.zone else datetime.combine(when.day, time(), WIB).isoformat()


def _entry(hit, stored, q: str) -> Entry:
    updated = parse_time(stored.updated) if stored else EPOCH
    return Entry(
        id=_tag("article", quote(hit.id, safe="")),
        title=xml_text(hit.title) or "(tanpa judul)",
        link=url_for("views.article_page", article_id=hit.id, q=q or None, _external=True),
        original=hit.url if hit.url and hit.url.startswith(("http://", "https://")) else None,
        published=_published(stored.article.published if stored else None),
        updated=updated,
        outlet=xml_text(hit.source) or None,
        author=xml_text(hit.author) or None,
        snippet=xml_text(hit.snippet),
    )


@bp.get("/feed.atom")
def search_feed():
    """Atom feed of the 50 newest articles matching q, source, from and to."""
    params = search_params.parse(request.args, handles().limits).with_(
        page=1, size=FEED_ENTRIES, sort="date"
    )
    result = params.run(get_searcher())
    store = get_store()
    entries = [_entry(hit, store.get_stored(hit.id), params.q) for hit in result.hits]
    state = index_state(index_path(current_app.config["DATA_DIR"]))
    quiet = parse_time(state.get("updated") or state.get("built")) or EPOCH
    updated = max((e.updated for e in entries), default=quiet)
    args = {k: v for k, v in params.to_args().items() if k in FEED_ARGS}
    xml = render_template(
        "feed.xml",
        params=params,
        entries=entries,
        feed_id=_tag("search", quote(urlencode(sorted(args.items())), safe="=&")),
        updated=updated.astimezone(WIB).isoformat(),
        entry_time=lambda moment: moment.astimezone(WIB).isoformat(),
        self_url=feed_url(params, external=True),
        html_url=url_for("views.search_page", _external=True, **args),
    )
    response = current_app.response_class(xml, mimetype="application/atom+xml")
    response.last_modified = updated
    return response.make_conditional(request)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_global(feed_url)
