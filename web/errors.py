"""One place that turns errors into pages (HTML) or the API's error shape (JSON).

API messages are English sentences for programs and their authors; pages say
it in Indonesian.
"""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from index import IndexNotFoundError
from searcher import QueryError

from .params import BadParameter

PESAN = {
    400: "Permintaan ini tidak dapat diproses. Periksa kata kunci dan saringannya.",
    404: "Halaman yang Anda cari tidak ada. Mungkin tautannya salah ketik atau sudah dipindah.",
    405: "Metode permintaan ini tidak didukung.",
    500: "Terjadi kesalahan di server kami. Coba lagi sebentar lagi.",
    503: "Indeks pencarian belum tersedia. Jalankan `warta index build` lalu muat ulang.",
}


def _wants_json() -> bool:
    path = request.path
    return path in ("/api", "/health") or path.startswith("/api/")


def _respond(status: int, message: str, pesan: str | None = None):
    if _wants_json():
        return jsonify({"ok": False, "error": message, "status": status}), status
    pesan = pesan or PESAN.get(status) or PESAN[400 if status < 500 else 500]
    return render_template("error.html", status=status, message=pesan), status


def _http_error(e: HTTPException):
    status = e.code or 500
    message = e.description or e.name
    if isinstance(e, BadParameter):
        return _respond(status, message, e.indonesian)
    # Our own aborts carry a sentence; Werkzeug's stock descriptions are English.
    custom = message != type(e).description
    return _respond(status, message, message if custom else None)


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)

    @app.errorhandler(QueryError)
    def query_error(e: QueryError):
        return _respond(400, str(e), f"Kueri tidak dapat diproses: {e}")

    @app.errorhandler(IndexNotFoundError)
    def no_index(e: IndexNotFoundError):
        return _respond(503, str(e))

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        app.logger.exception("Unhandled error", exc_info=e)
        return _respond(500, InternalServerError.description)
