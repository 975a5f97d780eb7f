"""Sources: the outlets a data directory follows, read from ``sources.toml``.

One table per outlet under ``[sources]``; its key is the source's short name::

    [sources.wartasim]
    name = "Wartasim"                    # the outlet, as shown
    start_urls = ["https://wartasim.example/rss"]
    interval_minutes = 30                # how often ``warta watch`` crawls it
    enabled = true
    max_pages = 500                      # any ``warta crawl`` option, by its flag
    delay = 1.0                          # name with underscores

The file is read with ``tomllib``. The crawl options are checked against the
``warta crawl`` command's own options (their types and ranges), so any option
the command has is a key here. A mistake gets a sentence naming the line and
the key. Warta ships a starter list (``crawler/data/sources.toml``).
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from pathlib import Path

import click

SOURCES_FILENAME = "sources.toml"
DEFAULT_INTERVAL_MINUTES = 60
OWN_KEYS = ("name", "start_urls", "interval_minutes", "enabled")
# ``warta crawl`` options that make no sense inside a source.
NOT_SOURCE_OPTIONS = {"source_names", "all_sources", "update_index", "verbose", "help"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class SourcesError(Exception):
    """The sources file is missing or wrong; the message says where and what to do."""


@dataclass(frozen=True)
class Source:
    """One outlet to crawl: ``key`` is its short name, ``options`` the crawl options it sets
    (by the ``warta crawl`` command's parameter names, values converted)."""

    key: str
    name: str
    start_urls: tuple[str, ...]
    interval_minutes: float = DEFAULT_INTERVAL_MINUTES
    enabled: bool = True
    options: dict = field(default_factory=dict)

    @property
    def interval_seconds(self) -> float:
        return self.interval_minutes * 60.0


def sources_path(data_dir: str | os.PathLike) -> Path:
    """Where the sources file of a data directory lives."""
    return Path(data_dir) / SOURCES_FILENAME


def starter_text() -> str:
    """The starter list Warta ships (``crawler/data/sources.toml``)."""
    return resources.files("crawler").joinpath("data", SOURCES_FILENAME).read_text("utf-8")


def crawl_options(command: click.Command) -> dict[str, click.Option]:
    """The options of ``warta crawl`` a source may set, by flag name with underscores."""
    options = {}
    for param in command.params:
        if isinstance(param, click.Option) and param.name not in NOT_SOURCE_OPTIONS:
            flag = max((o for o in param.opts if o.startswith("--")), key=len)
            options[flag[2:].replace("-", "_")] = param
    return options


def load_sources(path: str | os.PathLike, options: Mapping[str, click.Option]) -> list[Source]:
    """Read and check a sources file; ``options`` as ``crawl_options`` gives them."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise SourcesError(
            f"There is no sources file at {path}. Run `warta sources init` to start from "
            "Warta's starter list, or write one (see the README)."
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise SourcesError(f"Cannot read the sources file {path}: {e}.") from e
    return parse_sources(text, path.name, options)


def parse_sources(text: str, where: str, options: Mapping[str, click.Option]) -> list[Source]:
    """The sources a TOML text describes, in file order (``where`` names it in messages)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SourcesError(f"{where} is not valid TOML: {e}. Fix that line.") from e
    reader = _Reader(text, where, options)
    for key in data:
        if key != "sources":
            raise reader.error(
                None, key, f"unknown key '{key}': only [sources.NAME] tables belong in this file"
            )
    tables = data.get("sources", {})
    if not isinstance(tables, dict) or not tables:
        raise SourcesError(
            f"{where} has no [sources.NAME] table. Add one per outlet (see the README)."
        )
    return [reader.source(key, table) for key, table in tables.items()]


class _Reader:
    """Checks one file's source tables; its errors name the file, line, table and key."""

    def __init__(self, text: str, where: str, options: Mapping[str, click.Option]):
        self.text, self.where, self.options = text, where, options

    def error(self, table: str | None, key: str | None, what: str) -> SourcesError:
        line = find_line(self.text, table, key)
        at = f"{self.where} line {line}" if line else self.where
        subject = f"[sources.{table}] " if table else ""
        return SourcesError(f"{at}: {subject}{what}.")

    def source(self, key: str, table) -> Source:
        if not isinstance(table, dict):
            raise self.error(None, key, f"sources.{key} must be a table, [sources.{key}]")
        if not _NAME.match(key):
            raise self.error(
                key, None, "a source's name may use only letters, digits, '-' and '_' (up to 64)"
            )
        self._known_keys(key, table)
        name = table.get("name", key)
        interval = table.get("interval_minutes", DEFAULT_INTERVAL_MINUTES)
        enabled = table.get("enabled", True)
        self._expect(isinstance(name, str) and name.strip(), key, "name", "a string")
        positive = isinstance(interval, int | float) and not isinstance(interval, bool)
        self._expect(
            positive and interval > 0, key, "interval_minutes", "a number of minutes above 0"
        )
        self._expect(isinstance(enabled, bool), key, "enabled", "true or false")
        urls = self._start_urls(key, table)
        return Source(key, name.strip(), urls, interval, enabled, self._options(key, table))

    def _known_keys(self, key: str, table: dict) -> None:
        for name in table:
            if name not in OWN_KEYS and name not in self.options:
                known = [*OWN_KEYS, *self.options]
                close = difflib.get_close_matches(name, known, n=1)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                raise self.error(
                    key, name, f"has an unknown key '{name}'.{hint} Known keys: {', '.join(known)}"
                )

    def _start_urls(self, key: str, table: dict) -> tuple[str, ...]:
        urls = table.get("start_urls")
        if (
            not isinstance(urls, list)
            or not urls
            or not all(isinstance(u, str) and u.startswith(("http://", "https://")) for u in urls)
        ):
            raise self.error(
                key,
                "start_urls" if "start_urls" in table else None,
                "needs start_urls, a list of http or https URLs (pages, sitemaps or feeds)",
            )
        return tuple(urls)

    def _options(self, key: str, table: dict) -> dict:
        converted = {}
        for flag, value in table.items():
            if flag in self.options:
                param = self.options[flag]
                try:
                    converted[param.name] = convert_option(param, value)
                except ValueError as e:
                    raise self.error(key, flag, f"{flag} = {value!r}: {e}") from None
        return converted

    def _expect(self, ok, key: str, name: str, what: str) -> None:
        if not ok:
            raise self.error(key, name, f"{name} must be {what}")


def convert_option(param: click.Option, value):
    """A TOML value as the crawl option ``param`` takes it; ValueError says what is wrong."""
    if param.is_flag:
        if not isinstance(value, bool):
            raise ValueError("expected true or false")
        return value
    if param.multiple:
        items = value if isinstance(value, list) else None
        if items is None:
            raise ValueError('expected a list, such as ["a", "b"]')
        return tuple(_scalar(param, item) for item in items)
    return _scalar(param, value)


def _scalar(param: click.Option, value):
    kind = param.type
    if isinstance(value, bool):
        raise ValueError(f"expected {_expected(kind)}, not true/false")
    if isinstance(kind, click.types.IntParamType) and not isinstance(value, int):
        raise ValueError(f"expected {_expected(kind)}")
    if isinstance(kind, click.types.FloatParamType) and not isinstance(value, int | float):
        raise ValueError(f"expected {_expected(kind)}")
    if isinstance(kind, click.DateTime) and isinstance(value, date | datetime):
        value = value.strftime("%Y-%m-%d")
    elif isinstance(kind, click.types.StringParamType | click.DateTime) and not isinstance(
        value, str
    ):
        raise ValueError(f"expected {_expected(kind)}")
    try:
        return kind.convert(value, param, None)
    except click.BadParameter as e:
        raise ValueError(e.message.rstrip(".")) from None


def _expected(kind: click.ParamType) -> str:
    if isinstance(kind, click.types.IntParamType):
        return "a whole number"
    if isinstance(kind, click.types.FloatParamType):
        return "a number"
    if isinstance(kind, click.DateTime):
        return "a date such as 2024-01-01"
    return "a string in quotes"


def find_line(text: str, table: str | None, key: str | None) -> int | None:
    """The line (from 1) where ``key`` is set in ``[sources.table]``, else where the table
    starts, else the first line setting ``key``; None when nothing matches."""
    lines = text.splitlines()
    quoted = r"""\s*["']?{}["']?\s*"""
    # ``key = ...``, ``key.sub = ...`` or a table header ``[key...]``.
    setting = re.compile(r"^(\s*\[)?" + quoted.format(re.escape(key)) + r"[=.\]]") if key else None
    if table:
        header = re.compile(
            r"^\s*\[" + quoted.format("sources") + r"\." + quoted.format(re.escape(table)) + r"\]"
        )
        starts = [n for n, line in enumerate(lines) if header.match(line)]
        if starts:
            first = starts[0]
            for number in range(first + 1, len(lines)):
                if re.match(r"^\s*\[", lines[number]):
                    break
                if setting is not None and setting.match(lines[number]):
                    return number + 1
            return first + 1
    if setting is not None:
        for number, line in enumerate(lines, 1):
            if setting.match(line):
                return number
    return None
