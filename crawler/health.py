"""How each source is doing, from the crawl rounds the store records.

Per source: the last successful round, the articles added in the last 24
hours and 7 days, the failures of the last 24 hours by reason, and warnings:

- the latest rounds failed (nothing fetched, only errors; or the crawl died);
- no successful round for three intervals (is the watcher running?);
- the extraction signals of the latest rounds are far off the outlet's usual:
  most listed pages gave no article text (a redesign), or most new articles
  have no date, no author, a body under 300 characters, or a title already
  stored.

Recent and usual are pooled over rounds, because a round of a frequently
crawled outlet may bring only one or two new articles: "recent" is the newest
rounds until they hold ``MIN_SAMPLE`` cases, "usual" the ``HISTORY`` rounds
before them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .dates import WIB
from .sources import Source
from .store import CrawlRound, Store

MIN_SAMPLE = 3
RECENT_ROUNDS = 5
HISTORY = 20
# A share this high, and this much above the usual one, is "far off".
FAR_SHARE = 0.5
FAR_ABOVE_USUAL = 0.3
# Without a history only an almost complete loss of article text is flagged.
ALONE_SHARE = 0.8
ALONE_SIGNALS = ("not_articles", "short_body")
SIGNALS = ("not_articles", "short_body", "no_date", "no_author", "seen_title")
STALE_INTERVALS = 3

_SIGNAL_TEXT = {
    "not_articles": "of the pages its feeds or sitemaps list gave no article text",
    "short_body": "of its new articles have a body under 300 characters",
    "no_date": "of its new articles have no date",
    "no_author": "of its new articles have no author",
    "seen_title": "of its new articles repeat a title already stored",
}


@dataclass(frozen=True)
class HealthWarning:
    """Something wrong with a source. ``kind``: failing, stale, never or signal."""

    kind: str
    signal: str | None = None
    share: float | None = None
    usual: float | None = None
    rounds: int = 0
    detail: str | None = None
    since: datetime | None = None

    def english(self) -> str:
        """The warning as an English sentence (the CLI and JSON)."""
        if self.kind == "failing":
            which = "The last round" if self.rounds == 1 else f"The last {self.rounds} rounds"
            return f"{which} failed: {self.detail}."
        if self.kind == "never":
            return "Not crawled yet."
        if self.kind == "stale":
            return f"No successful crawl since {show_time(self.since)}; is `warta watch` running?"
        usual = "no usual share yet" if self.usual is None else f"usually {self.usual:.0%}"
        end = ": has the site changed its layout?" if self.signal == "not_articles" else "."
        return f"{self.share:.0%} {_SIGNAL_TEXT[self.signal]} lately ({usual}){end}"


@dataclass(frozen=True)
class SourceStatus:
    """One source's health; times are aware datetimes (UTC) or None."""

    name: str
    outlet: str
    enabled: bool
    last_success: datetime | None
    last_round: CrawlRound | None
    articles_24h: int
    articles_7d: int
    failures: dict[str, int]
    warnings: list[HealthWarning] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON shape of ``warta sources status --json`` (times in WIB, with offset)."""
        return {
            "name": self.name,
            "outlet": self.outlet,
            "last_success": show_time(self.last_success),
            "articles_24h": self.articles_24h,
            "articles_7d": self.articles_7d,
            "failures": self.failures,
            "warnings": [w.english() for w in self.warnings],
        }


def parse_time(value: str | None) -> datetime | None:
    """A stored UTC timestamp as an aware datetime."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def show_time(moment: datetime | None) -> str | None:
    """An instant in Asia/Jakarta time, ISO 8601 with its offset (+07:00)."""
    return moment.astimezone(WIB).isoformat(timespec="seconds") if moment else None


def source_status(
    store: Store, sources: Iterable[Source], now: datetime | None = None
) -> list[SourceStatus]:
    """The health of every source, in the order given."""
    now = now or datetime.now(UTC)
    week = store.rounds_since((now - timedelta(days=7)).isoformat(timespec="seconds"))
    day_start = now - timedelta(days=1)
    return [_status(store, source, week, day_start, now) for source in sources]


def _status(store: Store, source: Source, week, day_start: datetime, now: datetime):
    mine = [r for r in week if r.source == source.key]
    today = [r for r in mine if parse_time(r.started) >= day_start]
    failures: Counter = Counter()
    for crawl_round in today:
        failures.update(crawl_round.reasons)
    history = [r for r in store.rounds(source.key, limit=HISTORY + RECENT_ROUNDS) if r.ended]
    success = next((r for r in history if r.status == "ok"), None)
    if success is None:
        success = next((r for r in store.rounds(source.key, limit=1000) if r.status == "ok"), None)
    last_success = parse_time(success.ended) if success else None
    return SourceStatus(
        name=source.key,
        outlet=source.name,
        enabled=source.enabled,
        last_success=last_success,
        last_round=history[0] if history else None,
        articles_24h=sum(r.added for r in today),
        articles_7d=sum(r.added for r in mine),
        failures=dict(failures.most_common()),
        warnings=warnings_for(source, history, last_success, now),
    )


def warnings_for(
    source: Source, history: list[CrawlRound], last_success: datetime | None, now: datetime
) -> list[HealthWarning]:
    """What is wrong with a source, from its finished rounds (newest first)."""
    if not history:
        return [HealthWarning("never")] if source.enabled else []
    found = []
    finished = [r for r in history if r.status != "interrupted"]  # a stop says nothing
    failed = 0
    for crawl_round in finished:
        if crawl_round.status != "failed":
            break
        failed += 1
    if failed:
        found.append(HealthWarning("failing", rounds=failed, detail=_failure_text(finished[0])))
    stale_after = timedelta(seconds=STALE_INTERVALS * source.interval_seconds)
    if source.enabled and (last_success is None or now - last_success > stale_after):
        if last_success is not None:
            found.append(HealthWarning("stale", since=last_success))
    found.extend(signal_warnings([r for r in history if r.status == "ok"]))
    return found


def _failure_text(crawl_round: CrawlRound) -> str:
    if crawl_round.reasons:
        top = Counter(crawl_round.reasons).most_common(3)
        return ", ".join(f"{reason} ({count})" for reason, count in top)
    return crawl_round.error or "no page could be fetched"


def signal_warnings(rounds: list[CrawlRound]) -> list[HealthWarning]:
    """Signals of the newest rounds far off the usual of the rounds before them."""
    found = []
    for signal in SIGNALS:
        cases = [(r.signals.get(signal) or [0, 0]) for r in rounds]
        recent, used = _pool(cases, MIN_SAMPLE, RECENT_ROUNDS)
        if recent[1] < MIN_SAMPLE:
            continue
        share = recent[0] / recent[1]
        usual_cases, _ = _pool(cases[used:], 10**9, HISTORY)
        usual = usual_cases[0] / usual_cases[1] if usual_cases[1] >= MIN_SAMPLE else None
        if usual is None:
            far = signal in ALONE_SIGNALS and share >= ALONE_SHARE
        else:
            far = share >= FAR_SHARE and share - usual >= FAR_ABOVE_USUAL
        if far:
            found.append(HealthWarning("signal", signal=signal, share=share, usual=usual))
    return found


def _pool(cases: list, enough: int, most: int) -> tuple[list[int], int]:
    """Sum ``[count, out_of]`` pairs from the first until ``enough`` cases or ``most`` rounds."""
    total = [0, 0]
    used = 0
    for count, out_of in cases[:most]:
        used += 1
        total[0] += count
        total[1] += out_of
        if total[1] >= enough:
            break
    return total, used
