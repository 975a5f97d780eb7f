"""The application factory."""

from __future__ import annotations

import os

from flask import Flask

from . import (
    api,
    atom,
    chart,
    errors,
    exports,
    handles,
    headers,
    monitoring,
    settings,
    template_filters,
    views,
)


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure an instance of the Flask application.

    Settings (``web.settings``) start at their defaults; then come
    ``test_config`` (the ``warta serve`` command passes the values it read),
    or else the ``WARTA_*`` environment variables.
    """
    app = Flask(__package__)
    app.config.from_mapping(settings.defaults())
    if test_config is None:
        app.config.from_prefixed_env("WARTA")
    else:
        app.config.from_mapping(test_config)
    settings.check_config(app.config)
    app.config["DATA_DIR"] = os.path.abspath(app.config["DATA_DIR"])
    app.json.sort_keys = False

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    errors.register(app)
    template_filters.register(app)
    headers.register(app)
    handles.register(app)
    atom.register(app)
    exports.register(app)
    app.add_template_global(chart.timeline_chart)
    monitoring.register(app)
    return app
