"""``/export.csv`` and ``/export.jsonl``: every matching article, for researchers.

Both take the API's search parameters (``q``, ``source``, ``from``, ``to``,
``sort``; ``page`` and ``size`` are checked but an export holds every page)
and stream the rows of ``searcher.export`` as they are read, so memory stays
bounded whatever the export's size: each shown article followed by its
copies, at most ``max_export_rows`` rows. The headers say how many articles
matched (``X-Warta-Total``), how many rows follow (``X-Warta-Exported``) and
whether the limit cut the export (``X-Warta-Truncated: true``, and then the
export ends with a note). Errors have the API's JSON shape.
"""

from __future__ import annotations

import re

from flask import Blueprint, Flask, current_app, request, stream_with_context, url_for

from searcher import FORMATS

from . import params as search_params
from .handles import get_searcher, handles
from .params import SearchParams

bp = Blueprint("exports", __name__)

MIMETYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
EXPORT_ARGS = ("q", "source", "from", "to", "sort")
_NOT_NAME = re.compile(r"[^0-9a-z]+")


def export_url(params: SearchParams, kind: str) -> str:
    """The export of this search (its query, filters and order; every page)."""
    args = {k: v for k, v in params.to_args().items() if k in EXPORT_ARGS}
    return url_for("exports.export", kind=kind, **args)


def file_name(query: str, kind: str) -> str:
    """A download name made of the query's letters and digits: ``warta-banjir-bekasi.csv``."""
    words = _NOT_NAME.sub("-", query.lower()).strip("-")[:40].strip("-")
    return f"warta-{words or 'semua'}.{kind}"


@bp.get("/export.<any(csv, jsonl):kind>")
def export(kind: str):
    """Stream every article matching q, source, from and to as CSV or JSON Lines."""
    params = search_params.parse(request.args, handles().limits)
    found = get_searcher().export(
        params.q,
        source=params.source,
        date_from=params.date_from,
        date_to=params.date_to,
        sort=params.sort,
    )
    response = current_app.response_class(
        stream_with_context(FORMATS[kind](found)), mimetype=MIMETYPES[kind]
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name(params.q, kind)}"'
    response.headers["X-Warta-Total"] = str(found.total)
    response.headers["X-Warta-Exported"] = str(found.exported)
    response.headers["X-Warta-Truncated"] = "true" if found.truncated else "false"
    return response


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_global(export_url)
