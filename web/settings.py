"""Every setting of Warta's site and command: the searcher's limits plus serving settings.

``SETTINGS`` is the one table (name, default, help; environment variable
``WARTA_NAME``) that the ``warta`` options, the Flask app's config,
``warta config`` and the README's Configuration section are made from.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

import click

from crawler import DEFAULT_DATA_DIR
from searcher import SETTINGS as SEARCHER_SETTINGS
from searcher import Limits, Setting

SERVING_SETTINGS = (
    Setting("data_dir", DEFAULT_DATA_DIR, "Directory holding the article store and the index."),
    Setting("host", "127.0.0.1", "Address `warta serve` listens on."),
    Setting("port", 5000, "Port `warta serve` listens on.", 1, 65535),
    # Searching is CPU-bound: a few threads per process answer as fast as many, and
    # share the process less, so the slowest answers wait less (p99 175 ms against
    # 190-270 ms with 8 threads in bench/load.py).
    Setting("threads", 4, "Threads per `warta serve` process.", 1, 64),
    Setting(
        "workers",
        min(2, os.cpu_count() or 1),
        "`warta serve` processes sharing the port, each with its own searcher "
        "(searching is CPU-bound, so one per core).",
        1,
        16,
        shown_default="min(2, cores)",
    ),
    Setting(
        "overview_seconds",
        300,
        "How long the home page reuses its count of articles, outlets and dates.",
        0,
        86_400,
    ),
)
SETTINGS = SERVING_SETTINGS + SEARCHER_SETTINGS
BY_NAME = {setting.name: setting for setting in SETTINGS}


def app_config(values: Mapping[str, object]) -> dict[str, object]:
    """A Flask config holding ``values`` (setting name → value) under the settings' keys."""
    return {BY_NAME[name].key: value for name, value in values.items()}


def defaults() -> dict[str, object]:
    """The Flask config's defaults: each setting's key and default."""
    return app_config({setting.name: setting.default for setting in SETTINGS})


def check_config(config: MutableMapping) -> None:
    """Give each setting in a Flask config its type, or raise ``SettingError`` with a sentence.

    ``from_prefixed_env`` reads JSON-looking values as JSON and leaves the rest as text.
    """
    for setting in SETTINGS:
        config[setting.key] = setting.parse(config[setting.key])


def limits_of(config: Mapping) -> Limits:
    """The searcher's limits in a Flask config."""
    return Limits.from_values({setting.name: config[setting.key] for setting in SEARCHER_SETTINGS})


def option(name: str, *flags: str, **changes):
    """A click option for the setting ``name``: its default, help, environment variable, bounds."""
    setting = BY_NAME[name]
    kind = type(setting.default)
    if kind is int:
        changes.setdefault("type", click.IntRange(setting.low, setting.high))
    elif kind is float:
        changes.setdefault("type", click.FloatRange(setting.low, setting.high))
    return click.option(
        *flags,
        name,
        default=setting.default,
        envvar=setting.env,
        show_default=setting.shown_default or True,
        show_envvar=True,
        help=setting.help,
        **changes,
    )


def markdown_table() -> str:
    """The README's table of settings, made from ``SETTINGS``."""
    rows = ["| setting | environment | default | what |", "| --- | --- | --- | --- |"]
    for setting in SETTINGS:
        default = setting.shown_default or setting.default
        rows.append(f"| `{setting.name}` | `{setting.env}` | `{default}` | {setting.help} |")
    return "\n".join(rows)
