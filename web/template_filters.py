"""Jinja filters: Indonesian dates and numbers, safe links, paragraphs."""

from __future__ import annotations

import calendar
import re
from datetime import date
from urllib.parse import urlsplit

from flask import Flask

from crawler.dates import LocalTime, indonesian_time
from searcher import MONTH_NAMES

MONTHS = tuple(name.capitalize() for name in MONTH_NAMES)

_BLANK_LINE = re.compile(r"\n\s*\n")


def _to_date(value: str | date | None) -> date | None:
    if isinstance(value, date):
        return value
    when = indonesian_time(value)
    return when.day if when else None


def tanggal(value: str | date | None) -> str:
    """An ISO date or timestamp as '14 November 2024' (its Indonesian day); '' when unknown."""
    day = _to_date(value)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}" if day else ""


def terbit(value: str | None) -> LocalTime | None:
    """A ``published`` value in Indonesian time (``.iso`` for a ``datetime`` attribute)."""
    return indonesian_time(value)


def waktu_terbit(value: str | None) -> str:
    """When an article was published: '19 Juni 2015 00:23 WIB', or '10 September 2019'
    for a date alone; '' when unknown."""
    when = indonesian_time(value)
    if when is None:
        return ""
    shown = tanggal(when.day)
    return f"{shown} {when.wall:%H:%M} {when.zone}" if when.zone else shown


def bulan(value: str) -> str:
    """A 'YYYY-MM' facet key as 'November 2024'."""
    day = _to_date(f"{value}-01")
    return f"{MONTHS[day.month - 1]} {day.year}" if day else value


def month_span(value: str) -> tuple[date, date] | None:
    """The first and last day of a 'YYYY-MM' month."""
    first = _to_date(f"{value}-01")
    if first is None:
        return None
    last = calendar.monthrange(first.year, first.month)[1]
    return first, first.replace(day=last)


def angka(value: int) -> str:
    """A count with Indonesian thousands separators: 25.427."""
    return f"{value:,}".replace(",", ".")


def http_url(value: str | None) -> str | None:
    """The URL when it is http(s) with a host, so it may become a link; else None."""
    if not value:
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def paragraphs(text: str) -> list[str]:
    """Split text at blank lines (a lone newline splits when there are none)."""
    parts = _BLANK_LINE.split(text) if _BLANK_LINE.search(text) else text.split("\n")
    return [part.strip() for part in parts if part.strip()]


def page_window(current: int, last: int, width: int = 2) -> list[int | None]:
    """Page numbers around ``current`` plus the first and last; None marks a gap."""
    shown = {1, last, *range(max(1, current - width), min(last, current + width) + 1)}
    out: list[int | None] = []
    for number in sorted(shown):
        if out and number - (out[-1] or 0) > 1:
            out.append(None)
        out.append(number)
    return out


def register(app: Flask) -> None:
    """Make the filters and ``page_window`` available to every template."""
    for func in (tanggal, terbit, waktu_terbit, bulan, angka, http_url, paragraphs):
        app.add_template_filter(func)
    app.add_template_global(page_window)
    app.add_template_global(month_span)
