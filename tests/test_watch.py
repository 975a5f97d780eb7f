"""``warta watch`` against the loopback newsroom: a real scheduler, real crawls, real signals.

The watcher runs as a subprocess (as under systemd); the tests synchronise on
its log lines and on the store, never on sleeps.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from newsroom import open_newsroom

from crawler.sources import Source
from crawler.store import CrawlRound, Store
from web import create_app
from web.handles import close_app
from web.watch import BACKOFF_INTERVALS, due_time

WARTA = [sys.executable, "-m", "web.cli"]
FAST = {"delay": 0, "retries": 0, "timeout": 2}
# A round every 1.2 s; failed rounds retried after 0.5 s, then 1 s, 2 s...
QUICK = ["--jitter", "0", "--retry-seconds", "0.5"]


class Watch:
    """A running ``warta watch``: its log lines as they come."""

    def __init__(self, data_dir: Path, *args: str):
        self.process = subprocess.Popen(
            [*WARTA, "--data-dir", str(data_dir), "watch", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()
        with self.changed:
            self.lines.append("<exit>")
            self.changed.notify_all()

    def wait_for(self, pattern: str, after: int = 0, timeout: float = 60) -> int:
        """The index of the first log line from ``after`` on matching ``pattern``."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for number in range(after, len(self.lines)):
                    if regex.search(self.lines[number]):
                        return number
                if "<exit>" in self.lines[after:]:
                    raise AssertionError(f"watch exited before {pattern!r}:\n" + self.log())
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {pattern!r} within {timeout} s:\n" + self.log())
                self.changed.wait(left)

    def log(self) -> str:
        return "\n".join(self.lines)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        code = self.process.wait(timeout)
        self.reader.join(timeout)  # every line read, "<exit>" last
        self.process.stderr.close()
        return code


@pytest.fixture
def room():
    room = open_newsroom(stories=3)
    yield room
    room.close()


def watch_dir(tmp_path: Path, toml: str) -> Path:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "sources.toml").write_text(toml)
    return data_dir


def status_of(data_dir: Path) -> dict:
    result = subprocess.run(
        [*WARTA, "--data-dir", str(data_dir), "sources", "status", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {entry["name"]: entry for entry in json.loads(result.stdout)}


@pytest.mark.slow
def test_watch_follows_the_newsroom_and_flags_broken_outlets(room, tmp_path):
    data_dir = watch_dir(tmp_path, room.sources_toml(0.02, **FAST))
    watch = Watch(data_dir, *QUICK)
    try:
        for key in ("wartasim", "kabarloka", "suaratimur"):
            watch.wait_for(rf"round source={key} status=ok pages=4 added=3 updated=0 failures=0")
        # A new article: the next round picks it up, the index update makes it searchable.
        mark = len(watch.lines)
        room["wartasim"].publish(
            "Festival layang-layang raksasa di Pangandaran",
            "Ratusan layang-layang raksasa memenuhi langit pantai Pangandaran pada festival "
            "tahunan yang dibuka bupati pada Sabtu pagi.",
        )
        line = watch.wait_for(r"round source=wartasim status=ok pages=2 added=1", mark)
        # An update already running when the round ended (the other outlets' first
        # articles) reports first; the round's own update follows it.
        for _ in range(3):
            line = watch.wait_for(r"index indexed=[1-9]", line + 1)
            search = subprocess.run(
                [*WARTA, "--data-dir", str(data_dir), "search", "--json", "layang-layang"],
                capture_output=True,
                text=True,
                check=True,
            )
            hits = json.loads(search.stdout)["hits"]
            if hits:
                break
        assert [h["title"] for h in hits] == ["Festival layang-layang raksasa di Pangandaran"]
        # One outlet goes down, another changes its template: bodies come out empty.
        room["kabarloka"].mode = "down"
        room["suaratimur"].mode = "redesigned"
        mark = len(watch.lines)
        for _ in range(3):
            room["suaratimur"].publish()
        failed = watch.wait_for(r"round source=kabarloka status=failed .*HTTP 500", mark)
        watch.wait_for(r"round source=suaratimur status=ok pages=4 added=0", mark)
        watch.wait_for(r"round source=kabarloka status=failed", failed + 1)
    finally:
        code = watch.stop()
    assert code == 0, watch.log()
    assert watch.lines[-2].endswith("INFO stopped"), watch.log()
    assert not any("\r" in line for line in watch.lines)

    status = status_of(data_dir)
    assert status["kabarloka"]["failures"]["HTTP 500"] >= 2
    assert any(
        re.match(r"The last \d+ rounds failed: HTTP 500 \(1\)\.", w)
        for w in status["kabarloka"]["warnings"]
    ), status["kabarloka"]
    redesign = "100% of the pages its feeds or sitemaps list gave no article text lately"
    assert any(w.startswith(redesign) for w in status["suaratimur"]["warnings"])
    assert not [w for w in status["wartasim"]["warnings"] if "failed" in w or "%" in w]
    assert status["wartasim"]["articles_24h"] == 4
    when = status["wartasim"]["last_success"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", when)

    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir)})
    try:
        page = app.test_client().get("/sumber").get_data(as_text=True)
    finally:
        close_app(app)
    assert re.search(r"\d+ putaran terakhir gagal: HTTP 500 \(1\)\.", page)
    assert "tidak menghasilkan teks artikel" in page
    assert "Mungkin tata letak situsnya berubah." in page


@pytest.mark.slow
def test_sigterm_mid_round_loses_nothing_and_the_next_run_goes_on(room, tmp_path):
    outlet = room["wartasim"]
    for _ in range(17):
        outlet.publish()
    toml = room.sources_toml(30, disabled=("kabarloka", "suaratimur"), **{**FAST, "delay": 0.3})
    data_dir = watch_dir(tmp_path, toml)
    watch = Watch(data_dir, *QUICK)
    deadline = time.monotonic() + 60
    kept = 0
    while kept < 3 and time.monotonic() < deadline and watch.process.poll() is None:
        if (data_dir / "warta.db").exists():
            with Store.open(data_dir) as store:
                kept = store.count()
        time.sleep(0.05)  # polling the store for its state, not standing in for it
    assert watch.stop() == 0, watch.log()
    assert re.search(r"SIGTERM: stopping; 1 crawl\(s\) finish what is in flight", watch.log())
    line = watch.lines[watch.wait_for(r"round source=wartasim")]
    assert "status=interrupted" in line, watch.log()
    with Store.open(data_dir) as store:
        first = {a.url for a, _ in store.iter_articles()}
        (crawl_round,) = store.rounds("wartasim")
    assert crawl_round.status == "interrupted"
    assert 3 <= len(first) < 20
    served = dict(outlet.served)
    # Everything fetched was kept: each article page served so far is in the store.
    assert {outlet.base + path for path in served} == first

    again = subprocess.run(
        [*WARTA, "--data-dir", str(data_dir), "watch", "--once", *QUICK],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert re.search(r"round source=wartasim status=ok pages=\d+ added=\d+", again.stderr)
    with Store.open(data_dir) as store:
        urls = {a.url for a, _ in store.iter_articles()}
    assert urls == {outlet.url_of(story) for story in outlet.stories}
    assert all(count == 1 for count in outlet.served.values()), outlet.served


@pytest.mark.slow
def test_once_for_cron_and_one_watcher_per_data_dir(room, tmp_path):
    data_dir = watch_dir(tmp_path, room.sources_toml(30, **FAST))
    once = subprocess.run(
        [*WARTA, "--data-dir", str(data_dir), "watch", "--once", *QUICK],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert once.returncode == 0, once.stderr
    assert len(re.findall(r"round source=\w+ status=ok pages=4 added=3", once.stderr)) == 3
    assert re.search(r"index indexed=\d+ deleted=0", once.stderr)

    watch = Watch(data_dir, *QUICK)
    try:
        watch.wait_for(r"watching 3 source\(s\)")
        second = subprocess.run(
            [*WARTA, "--data-dir", str(data_dir), "watch", "--once"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        assert watch.stop() == 0, watch.log()
    assert second.returncode == 1
    assert f"Another `warta watch` (pid {watch.process.pid}) is running on {data_dir}" in (
        second.stderr
    )
    # Nothing is due 30 minutes after the last rounds: --once crawls nothing.
    idle = subprocess.run(
        [*WARTA, "--data-dir", str(data_dir), "watch", "--once"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert idle.returncode == 0, idle.stderr
    assert "round source=" not in idle.stderr


def test_a_broken_sources_file_stops_the_watcher_with_the_line(tmp_path, invoke, data_dir):
    data_dir.mkdir()
    (data_dir / "sources.toml").write_text('[sources.a]\nstart_urls = ["http://a.test/"]\nx = 1\n')
    result = invoke("watch", "--once", expect=1)
    assert "sources.toml line 3: [sources.a] has an unknown key 'x'" in result.output


SOURCE = Source("a", "A", ("https://a.test/",), interval_minutes=10)
NOW = datetime(2024, 11, 14, 3, 0, tzinfo=UTC)


def rounds(*statuses: str) -> list[CrawlRound]:
    """Rounds newest first, the newest started at NOW."""
    return [
        CrawlRound("a", (NOW - timedelta(minutes=10 * i)).isoformat(), status)
        for i, status in enumerate(statuses)
    ]


@pytest.mark.parametrize(
    ("history", "wait"),
    [
        (rounds("ok", "ok"), 600),  # one interval
        (rounds("failed", "ok"), 60),  # the first retry
        (rounds("failed", "failed", "failed", "ok"), 240),  # doubled twice
        (rounds(*["failed"] * 12), BACKOFF_INTERVALS * 600),  # never beyond four intervals
        (rounds("interrupted", "ok"), 60),  # cut short: go on soon
    ],
)
def test_due_time_backs_off_after_failures(history, wait):
    assert due_time(SOURCE, history, retry=60, jitter=0) == NOW + timedelta(seconds=wait)


def test_a_source_never_crawled_is_due_at_once():
    assert due_time(SOURCE, [], retry=60, jitter=0) < NOW
