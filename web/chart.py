"""The results page's timeline as an SVG bar chart, drawn on the server (no JavaScript).

``timeline_chart`` turns a search's ``Timeline`` into bars with their place
in the SVG's coordinates, an Indonesian label and the date range each links
to (the bucket's days, kept inside the search's own from/to). The template
(``_timeline.html``) draws them: a titled group of links, one per non-empty
bar, each named for screen readers ("November 2024: 12 artikel"), and a
summary sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from searcher import Timeline

from .template_filters import MONTHS, angka, tanggal

WIDTH = 600
HEIGHT = 120
GAP = 0.15  # share of a slot left between bars
MIN_BAR = 2  # a bar with articles is never shorter than this
PER = {"day": "hari", "week": "pekan", "month": "bulan", "year": "tahun"}


@dataclass(frozen=True)
class Bar:
    """One bucket of the chart: its rectangle, count, label and the days it links to."""

    x: float
    y: float
    width: float
    height: float
    count: int
    label: str
    date_from: date
    date_to: date


@dataclass(frozen=True)
class Chart:
    """A timeline ready to draw."""

    per: str
    bars: list[Bar]
    most: int
    total: int
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def peak(self) -> Bar:
        return max(self.bars, key=lambda bar: bar.count)

    @property
    def summary(self) -> str:
        """The chart in one sentence, for screen readers."""
        first, last, peak = self.bars[0], self.bars[-1], self.peak
        return (
            f"{angka(self.total)} artikel bertanggal per {self.per}, dari {first.label} "
            f"sampai {last.label}; terbanyak {peak.label} ({angka(peak.count)} artikel)."
        )


def bucket_label(start: date, interval: str) -> str:
    """A bucket in Indonesian: '14 November 2024', 'pekan 11 November 2024',
    'November 2024', '2024'."""
    if interval == "year":
        return str(start.year)
    if interval == "month":
        return f"{MONTHS[start.month - 1]} {start.year}"
    if interval == "week":
        return f"pekan {tanggal(start)}"
    return tanggal(start)


def timeline_chart(
    timeline: Timeline, date_from: date | None = None, date_to: date | None = None
) -> Chart | None:
    """The chart of ``timeline``; each bar links to its days within ``date_from``–``date_to``.

    None when no matching article has a date.
    """
    most = max((b.count for b in timeline.buckets), default=0)
    if not most:
        return None
    slot = WIDTH / len(timeline.buckets)
    bars = []
    for i, bucket in enumerate(timeline.buckets):
        first, last = timeline.span(bucket)
        height = max(MIN_BAR, bucket.count / most * HEIGHT) if bucket.count else 0
        bars.append(
            Bar(
                x=round(i * slot + slot * GAP / 2, 2),
                y=round(HEIGHT - height, 2),
                width=round(slot * (1 - GAP), 2),
                height=round(height, 2),
                count=bucket.count,
                label=bucket_label(first, timeline.interval),
                date_from=max(first, date_from) if date_from else first,
                date_to=min(last, date_to) if date_to else last,
            )
        )
    total = sum(bar.count for bar in bars)
    return Chart(PER[timeline.interval], bars, most, total)
