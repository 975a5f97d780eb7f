"""Security headers on every response: the pages load nothing but our own files."""

from __future__ import annotations

from flask import Flask, Response, redirect

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


# How long a client may keep a redirect from a replaced id: the store can change
# (the old id stored again, its successor deleted), so not for ever.
MOVED_MAX_AGE = 86400


def moved_permanently(location: str) -> Response:
    """301 to ``location``, cacheable for a day rather than for ever."""
    response = redirect(location, 301)
    response.headers["Cache-Control"] = f"max-age={MOVED_MAX_AGE}"
    return response


def _add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def register(app: Flask) -> None:
    app.after_request(_add_security_headers)
