"""Run ``warta watch`` against the loopback newsroom for a while and report what it did.

Three invented outlets (tests/newsroom.py) on 127.0.0.1-3 publish one article
each every ``--publish-every`` seconds; the watcher crawls each source every
``--interval-minutes``. Midway one outlet answers 500 for a fifth of the run,
and in the last quarter another changes its template so its article pages
carry no text. At the end: rounds per source and status, articles published
and stored, the warnings of ``warta sources status``, whether the newest
article is searchable, and the watcher's resident memory (RSS) over time.

    .venv/bin/python bench/newsroom.py --minutes 12
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from newsroom import open_newsroom  # noqa: E402 - tests/ holds the newsroom

WARTA = [sys.executable, "-m", "web.cli"]


def rss_kib(pid: int) -> int:
    """Resident memory of a process, in KiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def warta(data_dir: Path, *args: str) -> str:
    result = subprocess.run(
        [*WARTA, "--data-dir", str(data_dir), *args], capture_output=True, text=True, check=True
    )
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=12.0)
    parser.add_argument("--publish-every", type=float, default=60.0)
    parser.add_argument("--interval-minutes", type=float, default=1.0)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="warta-newsroom-")) / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    room = open_newsroom(stories=5)
    toml = room.sources_toml(args.interval_minutes, delay=0.2, retries=1, timeout=5)
    (data_dir / "sources.toml").write_text(toml)
    log_path = data_dir / "watch.log"
    with open(log_path, "w") as log:
        watcher = subprocess.Popen(
            [*WARTA, "--data-dir", str(data_dir), "watch"], stdout=log, stderr=log
        )
    seconds = args.minutes * 60
    started = time.monotonic()
    memory: list[tuple[float, int]] = []
    next_publish = started + args.publish_every
    events = []
    try:
        while (now := time.monotonic()) - started < seconds:
            elapsed = now - started
            if not memory or elapsed - memory[-1][0] >= 30:
                memory.append((round(elapsed), rss_kib(watcher.pid)))
            if now >= next_publish:
                for outlet in room.outlets.values():
                    outlet.publish()
                next_publish += args.publish_every
            down = 0.4 * seconds <= elapsed < 0.6 * seconds
            if down != (room["kabarloka"].mode == "down"):
                room["kabarloka"].mode = "down" if down else "ok"
                events.append((round(elapsed), f"kabarloka {'down' if down else 'back'}"))
            if elapsed >= 0.75 * seconds and room["suaratimur"].mode == "ok":
                room["suaratimur"].mode = "redesigned"
                events.append((round(elapsed), "suaratimur redesigned"))
            time.sleep(1)
        memory.append((round(time.monotonic() - started), rss_kib(watcher.pid)))
        status = json.loads(warta(data_dir, "sources", "status", "--json"))
    finally:
        watcher.send_signal(signal.SIGTERM)
        code = watcher.wait(120)
        room.close()
    text = log_path.read_text()
    rounds = Counter(re.findall(r"round source=(\w+) status=(\w+)", text))
    newest = room["wartasim"].stories[-1]
    found = json.loads(warta(data_dir, "search", "--json", "--sort", "date", newest.title))
    published = sum(len(o.stories) for o in room.outlets.values())
    report = {
        "minutes": args.minutes,
        "exit_code": code,
        "events": events,
        "rounds": {f"{source} {state}": n for (source, state), n in sorted(rounds.items())},
        "index_updates": len(re.findall(r"INFO index indexed=", text)),
        "articles_published": published,
        "articles_stored": json.loads(warta(data_dir, "index", "stats", "--json"))[
            "store_articles"
        ],
        "newest_wartasim_found": any(h["title"] == newest.title for h in found["hits"]),
        "warnings": {s["name"]: s["warnings"] for s in status},
        "rss_kib": memory,
        "log": str(log_path),
        "stopped_cleanly": text.rstrip().endswith("INFO stopped"),
    }
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
