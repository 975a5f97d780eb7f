"""Coverage over time: matching articles counted per day, week, month or year.

The interval is the finest of day, week, month and year that shows the span
from the first to the last matching article's day in at most
``MAX_BUCKETS`` bars; weeks start on Monday. Every bucket between the first
and the last is listed, empty ones included, so gaps in coverage show.
Days are Indonesian calendar days of publication (``crawler.dates``);
``DocSets`` counts the matches per day, here the days become buckets.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

INTERVALS = ("day", "week", "month", "year")
MAX_BUCKETS = 60


@dataclass(frozen=True)
class Bucket:
    """One bar: the first day of its interval (YYYY-MM-DD) and how many articles it holds."""

    start: str
    count: int


@dataclass(frozen=True)
class Timeline:
    """Matching articles per ``interval``, in order, empty buckets included."""

    interval: str = "day"
    buckets: list[Bucket] = field(default_factory=list)

    def span(self, bucket: Bucket) -> tuple[date, date]:
        """The first and last day a bucket covers."""
        start = date.fromisoformat(bucket.start)
        return start, next_start(start, self.interval) - timedelta(days=1)


def bucket_start(day: date, interval: str) -> date:
    """The first day of the interval holding ``day``."""
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    if interval == "year":
        return day.replace(month=1, day=1)
    return day


def next_start(start: date, interval: str) -> date:
    """The first day of the interval after the one starting on ``start`` (``date.max`` at the
    end of the calendar)."""
    try:
        return _next_start(start, interval)
    except (OverflowError, ValueError):
        return date.max


def _next_start(start: date, interval: str) -> date:
    if interval == "week":
        return start + timedelta(days=7)
    if interval == "month":
        return start + timedelta(days=calendar.monthrange(start.year, start.month)[1])
    if interval == "year":
        return start.replace(year=start.year + 1)
    return start + timedelta(days=1)


def bucket_count(first: date, last: date, interval: str) -> int:
    """How many buckets of ``interval`` the days from ``first`` to ``last`` span."""
    if interval == "week":
        return (bucket_start(last, "week") - bucket_start(first, "week")).days // 7 + 1
    if interval == "month":
        return (last.year - first.year) * 12 + last.month - first.month + 1
    if interval == "year":
        return last.year - first.year + 1
    return (last - first).days + 1


def choose_interval(first: date, last: date) -> str:
    """The finest interval that shows ``first`` to ``last`` in at most ``MAX_BUCKETS`` bars."""
    for interval in INTERVALS[:-1]:
        if bucket_count(first, last, interval) <= MAX_BUCKETS:
            return interval
    return "year"


def count_days(day_counts: list[tuple[int, int]]) -> Timeline:
    """The timeline of (day number, articles that day) pairs, days ascending.

    Day numbers are ``date.toordinal()``.
    """
    if not day_counts:
        return Timeline()
    first, last = date.fromordinal(day_counts[0][0]), date.fromordinal(day_counts[-1][0])
    interval = choose_interval(first, last)
    per_start: dict[date, int] = {}
    for number, count in day_counts:
        start = bucket_start(date.fromordinal(number), interval)
        per_start[start] = per_start.get(start, 0) + count
    buckets, start = [], bucket_start(first, interval)
    while start <= last:
        buckets.append(Bucket(start.isoformat(), per_start.get(start, 0)))
        start = next_start(start, interval)
    return Timeline(interval, buckets)
