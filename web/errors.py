"""One place that turns errors into pages (HTML) or the API's error shape (JSON).

API messages are English sentences for programs and their authors; pages say
it in Indonesian: every sentence a page can show is written here or in a
template, never taken from an English exception.
"""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from index import IndexNotFoundError, WartaIndexError
from searcher import QueryError

from .params import BadParameter

PESAN = {
    400: "Permintaan ini tidak dapat diproses. Periksa kata kunci dan saringannya.",
    404: "Halaman yang Anda cari tidak ada. Mungkin tautannya salah ketik atau sudah dipindah.",
    405: "Metode permintaan ini tidak didukung.",
    500: "Terjadi kesalahan di server kami. Coba lagi sebentar lagi.",
    503: "Indeks pencarian belum tersedia. Jalankan `warta index build` lalu muat ulang.",
}
# The index exists but cannot be used now (another process holds it, or it is damaged).
PESAN_INDEKS = "Indeks pencarian sedang tidak dapat dibaca. Coba lagi sebentar lagi."

# Each ``QueryError`` code (``searcher.QUERY_ERRORS``) in Indonesian, with the same details.
PESAN_KUERI = {
    "page_number": "Nomor halaman harus antara 1 dan {maximum}.",
    "page_size": "Jumlah hasil per halaman harus antara 1 dan {maximum}.",
    "sort": "Urutan harus salah satu dari: {choices}.",
    "prefix_too_short": (
        "“{text}*” terlalu pendek untuk diperluas: tulis paling sedikit {minimum} huruf "
        "sebelum tanda *."
    ),
    "prefix_too_common": (
        "“{prefix}*” cocok dengan lebih dari {maximum} kata yang berbeda. "
        "Tambahkan huruf sebelum tanda *."
    ),
    "date_unreadable": (
        "Tanggal “{text}” tidak dapat dibaca: tulis sebagai TTTT-BB-HH, TTTT-BB, atau TTTT."
    ),
    "date_not_in_calendar": "“{text}” bukan tanggal yang ada di kalender.",
    "date_range_reversed": "Rentang tanggal berakhir sebelum dimulai.",
}


def query_error_pesan(error: QueryError) -> str:
    """The Indonesian sentence of a ``QueryError``."""
    return "Kueri tidak dapat diproses. " + PESAN_KUERI[error.code].format(**error.details)


def _wants_json() -> bool:
    path = request.path
    return path in ("/api", "/health") or path.startswith(("/api/", "/export."))


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
    # Our own aborts on pages carry an Indonesian sentence; Werkzeug's stock ones are English.
    custom = message != type(e).description
    return _respond(status, message, message if custom else None)


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)

    @app.errorhandler(QueryError)
    def query_error(e: QueryError):
        return _respond(400, str(e), query_error_pesan(e))

    @app.errorhandler(WartaIndexError)
    def index_error(e: WartaIndexError):
        if isinstance(e, IndexNotFoundError):
            return _respond(503, str(e))
        app.logger.warning("The index cannot be used: %s", e)
        return _respond(503, str(e), PESAN_INDEKS)

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        app.logger.exception("Unhandled error", exc_info=e)
        return _respond(500, InternalServerError.description)
