"""One place that turns errors into pages (HTML) or the API's error shape (JSON)."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from index.build import IndexNotFoundError
from searcher import QueryError


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _respond(status: int, message: str):
    if _wants_json():
        return jsonify({"ok": False, "error": message, "status": status}), status
    return render_template("error.html", status=status, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        return _respond(e.code or 500, e.description or e.name)

    @app.errorhandler(QueryError)
    def query_error(e: QueryError):
        return _respond(400, str(e))

    @app.errorhandler(IndexNotFoundError)
    def no_index(e: IndexNotFoundError):
        return _respond(503, str(e))

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        app.logger.exception("Unhandled error", exc_info=e)
        return _respond(500, InternalServerError.description)
