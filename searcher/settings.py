"""Settings and limits: one table of name, default, help and environment variable.

In the spirit of Datasette's ``SETTINGS`` table: the searcher's limits are
listed here once, ``web.settings`` adds the site's serving settings, and the
CLI options, the Flask app's config, ``warta config`` and the README's
Configuration section all read the one table. Library code never reads the
environment: ``Searcher`` takes a ``Limits``; only the edges (the ``warta``
command and the Flask factory) turn the environment into values.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields

ENV_PREFIX = "WARTA_"
DEFAULT = "default"
MAX_EXPORT_ROWS = 10_000
TERM_CACHE_MB = 64
DOCSET_CACHE_MB = 32


class SettingError(ValueError):
    """A setting's value (from the environment or a config) cannot be used."""


@dataclass(frozen=True)
class Setting:
    """One setting: its name, default and help; its environment variable is ``WARTA_NAME``.

    The default's type is the setting's type; ``low``/``high`` bound a number;
    ``shown_default`` is how documentation writes a default that depends on
    the machine.
    """

    name: str
    default: object
    help: str
    low: float | None = None
    high: float | None = None
    shown_default: str | None = None

    @property
    def env(self) -> str:
        """The environment variable that sets it: ``WARTA_`` and the name in capitals."""
        return ENV_PREFIX + self.name.upper()

    @property
    def key(self) -> str:
        """The name in the Flask app's config (``from_prefixed_env`` drops the prefix)."""
        return self.name.upper()

    def parse(self, value: object) -> object:
        """``value`` (text from the environment, or already typed) as this setting's type."""
        kind = type(self.default)
        if kind is str:
            return str(value)
        try:
            if kind is int and isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            number = kind(value)
        except (TypeError, ValueError) as e:
            noun = "a whole number" if kind is int else "a number"
            raise SettingError(f"{self.env} must be {noun}, not {value!r}.") from e
        if self.low is not None and number < self.low:
            raise SettingError(f"{self.env} must be at least {self.low:g}, not {number:g}.")
        if self.high is not None and number > self.high:
            raise SettingError(f"{self.env} must be at most {self.high:g}, not {number:g}.")
        return number


SETTINGS = (
    Setting("default_page_size", 10, "Hits per page when a search does not say.", 1, 1000),
    Setting(
        "max_page_size", 100, "Most hits one page may hold (API `size`, `search --limit`).", 1, 1000
    ),
    Setting("max_page", 500, "Deepest results page a search may ask for.", 1, 100_000),
    Setting(
        "max_query_chars",
        500,
        "Longest query, in characters: the site and the API refuse a longer one, "
        "`warta search` cuts it at a word (with a notice).",
        10,
        100_000,
    ),
    Setting(
        "max_export_rows",
        MAX_EXPORT_ROWS,
        "Most articles one export may hold (`/export.csv`, `/export.jsonl`, "
        "`search --format csv` or `jsonl`); a longer one ends with a note that it was cut.",
        1,
        1_000_000,
    ),
    Setting(
        "term_cache_mb",
        TERM_CACHE_MB,
        "Memory, in MB, each searching process keeps for the BM25 scores of the terms "
        "it used last (12 bytes a posting); the least recently used go first.",
        1,
        1_000_000,
    ),
    Setting(
        "docset_cache_mb",
        DOCSET_CACHE_MB,
        "Memory, in MB, each searching process keeps for the sets of articles matching the "
        "terms and filters it used last (one bit an article); the least recently used go first.",
        1,
        1_000_000,
    ),
    Setting(
        "retire_after_seconds",
        60.0,
        "How long a replaced index generation stays open for requests still reading it.",
        0,
        3600,
    ),
)


@dataclass(frozen=True)
class Limits:
    """The searcher's limits (defaults from ``SETTINGS``), its caches' bounds included."""

    default_page_size: int
    max_page_size: int
    max_page: int
    max_query_chars: int
    max_export_rows: int = MAX_EXPORT_ROWS
    term_cache_mb: int = TERM_CACHE_MB
    docset_cache_mb: int = DOCSET_CACHE_MB

    def __post_init__(self):
        if self.default_page_size > self.max_page_size:
            raise SettingError(
                f"The default page size ({self.default_page_size}, WARTA_DEFAULT_PAGE_SIZE) "
                f"must not be larger than the largest ({self.max_page_size}, WARTA_MAX_PAGE_SIZE)."
            )

    @classmethod
    def from_values(cls, values: Mapping[str, object]) -> Limits:
        """The limits among ``values`` (setting name → value)."""
        return cls(**{f.name: values[f.name] for f in fields(cls)})


def defaults(table: Iterable[Setting] = SETTINGS) -> dict[str, object]:
    """Setting name → default."""
    return {setting.name: setting.default for setting in table}


def resolve_settings(
    table: Iterable[Setting], environ: Mapping[str, str] = os.environ
) -> dict[str, tuple[object, str]]:
    """Setting name → (value, where it came from: ``default`` or its environment variable)."""
    found = {}
    for setting in table:
        raw = environ.get(setting.env)
        if raw is None or raw == "":
            found[setting.name] = (setting.default, DEFAULT)
        else:
            found[setting.name] = (setting.parse(raw), setting.env)
    return found


DEFAULTS = defaults(SETTINGS)
DEFAULT_LIMITS = Limits.from_values(DEFAULTS)
