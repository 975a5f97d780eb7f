"""Stage 5: the web front end (Flask) and the ``warta`` command.

``create_app`` (``app``) is the application factory: the pages (``views``), a
JSON API (``api``), one error handler for both (``errors``), security headers
(``headers``), Jinja filters (``template_filters``) and the app's long-lived
handles (``handles``: one searcher that follows new index generations), Atom
feeds of searches (``atom``), and source health, metrics and search latency
(``monitoring``). ``watch`` is the ``warta watch`` scheduler, which combines
crawling and indexing and so lives here.
``settings`` is the table of every setting; ``cli`` assembles the ``warta``
command and ``serving`` runs the site with waitress.

``create_app`` loads Flask, so it is imported on first use: ``warta --help``
and ``warta search`` do not pay for it.
"""

__all__ = ["create_app"]


def __getattr__(name: str):
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module 'web' has no attribute {name!r}")
