"""Stage 5: the web front end (Flask) and the ``warta`` command.

``create_app`` is the application factory: the pages (``views``), a JSON API
(``api``), one error handler for both (``errors``), security headers
(``headers``), one shared searcher that follows new index generations
(``handles``), Atom feeds of searches (``atom``), and source health, metrics
and search latency (``monitoring``). ``watch`` is the ``warta watch``
scheduler, which combines crawling and indexing and so lives here.
"""

from __future__ import annotations

import os

from flask import Flask

from crawler.store import DEFAULT_DATA_DIR


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure an instance of the Flask application."""
    app = Flask(__name__)
    app.config.from_mapping(DATA_DIR=os.path.abspath(DEFAULT_DATA_DIR))
    if test_config is None:
        app.config.from_prefixed_env("WARTA")
    else:
        app.config.from_mapping(test_config)
    app.json.sort_keys = False

    from . import api, atom, errors, handles, headers, monitoring, template_filters, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    errors.register(app)
    template_filters.register(app)
    headers.register(app)
    handles.register(app)
    atom.register(app)
    monitoring.register(app)
    return app
