"""Soak test: the web server under 32 concurrent clients while the index updates.

Usage: .venv/bin/python bench/soak.py [--seconds 300] [--clients 32] [--data DIR]
       .venv/bin/python bench/soak.py --hour    # one hour, an update every minute

Serves a copy of a data directory (by default one built from
../shared/data/news: the 25,427-article benchmark archive) with
``warta serve`` on 127.0.0.1, hammers it with a mix of page, API, article and
health requests, and every ~45 s imports 100 new articles and runs
``warta index update`` in another process. It reports requests, errors,
malformed responses, latency percentiles, the server's memory over time (RSS
of the whole server, USS of each worker, sampled every 10 s, or every minute
with ``--hour``), and whether the articles added during the run became
searchable; the figures land in bench/out/soak.json. ``--hour`` runs for an
hour with an update every minute, to show whether memory levels off.
Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import psutil
from harness import OUT, ROOT, ensure_index, news_files, out_dir, warta_command, write_json
from server import free_port

WARTA = [*warta_command(), "--quiet"]
QUERIES = [
    "pemilu",
    "banjir jakarta",
    "harga beras",
    "presiden jokowi",
    "timnas indonesia",
    "korupsi kpk",
    "gempa bumi",
    '"bank indonesia"',
    "pemilu -jakarta",
    "sumber:kompas banjir",
    "apa penyebab kebakaran hutan di riau",
    "piala dunia",
    "tanggal:2019-05-01..2019-05-31 mudik",
    "xyzzy qwerty",
    "(",
    '"unbalanced',
]


FILLER = [f"kata{i}" for i in range(2000)]


def warta(data: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*WARTA, "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )


def memory_sample(pid: int, started: float) -> dict:
    """Seconds since the start, RSS of the whole server and USS of each worker (MB)."""
    root = psutil.Process(pid)
    workers = root.children()
    rss = sum(p.memory_info().rss for p in [root, *workers])
    uss = [round(p.memory_full_info().uss / 2**20) for p in workers or [root]]
    return {"t": round(time.monotonic() - started), "rss_mb": round(rss / 2**20), "uss_mb": uss}


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.by_status: dict[int, int] = {}

    def record(self, status: int, seconds: float, problem: str | None) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.by_status[status] = self.by_status.get(status, 0) + 1
            if problem:
                self.errors.append(problem)


def well_formed(path: str, status: int, ctype: str, body: bytes) -> str | None:
    """None when the response is what it should be, else what is wrong."""
    if status >= 500:
        return f"{status} for {path}"
    if ctype.startswith("application/json"):
        try:
            data = json.loads(body)
        except ValueError:
            return f"invalid JSON for {path}"
        if path.startswith("/api/search") and status == 200 and "hits" not in data:
            return f"no hits key for {path}"
        if status >= 400 and set(data) != {"ok", "error", "status"}:
            return f"bad error shape for {path}"
    elif b"</html>" not in body:
        return f"truncated HTML for {path}"
    return None


def pick_path(rng: random.Random, ids: list[str]) -> str:
    q = urllib.parse.quote(rng.choice(QUERIES))
    roll = rng.random()
    if roll < 0.45:
        return f"/api/search?q={q}&page={rng.randint(1, 3)}"
    if roll < 0.80:
        return f"/?q={q}&page={rng.randint(1, 2)}"
    if roll < 0.90:
        return f"/api/articles/{urllib.parse.quote(rng.choice(ids))}"
    if roll < 0.97:
        return f"/article/{urllib.parse.quote(rng.choice(ids))}?q={q}"
    return "/health"


def client(port: int, deadline: float, stats: Stats, ids: list[str], seed: int) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.monotonic() < deadline:
        path = pick_path(rng, ids)
        started = time.perf_counter()
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            problem = well_formed(path, resp.status, resp.getheader("Content-Type", ""), body)
            stats.record(resp.status, time.perf_counter() - started, problem)
        except (OSError, http.client.HTTPException) as e:
            stats.record(0, time.perf_counter() - started, f"{type(e).__name__} on {path}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()


def new_articles(path: Path, round_: int, count: int = 100) -> list[str]:
    ids = []
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            article_id = f"soak-{round_}-{n}"
            ids.append(article_id)
            words = " ".join(random.Random(f"{round_}-{n}").sample(FILLER, 25))
            body = f"Artikel uji ketahanan {round_}-{n}: {words}. Kata unik soakword{round_}."
            out.write(
                json.dumps(
                    {
                        "id": article_id,
                        "title": f"Uji ketahanan {round_}",
                        "body": body,
                        "source": "soak",
                    }
                )
                + "\n"
            )
    return ids


def updater(data: Path, deadline: float, interval: float, log: list) -> None:
    round_ = 0
    while time.monotonic() + interval < deadline:
        time.sleep(interval)
        batch = data / f"soak-{round_}.jsonl"
        new_articles(batch, round_)
        started = time.perf_counter()
        warta(data, "import", str(batch))
        warta(data, "index", "update")
        log.append((round_, time.perf_counter() - started))
        round_ += 1


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300, help="How long the soak runs.")
    parser.add_argument("--clients", type=int, default=32, help="Concurrent clients.")
    parser.add_argument("--update-every", type=float, default=45, help="Seconds between updates.")
    parser.add_argument("--sample-every", type=float, default=10, help="Seconds between samples.")
    parser.add_argument(
        "--hour", action="store_true", help="One hour, an update and a memory sample every minute."
    )
    parser.add_argument("--data", type=Path, help="an indexed data dir to copy and serve")
    args = parser.parse_args()
    if args.hour:
        args.seconds, args.update_every, args.sample_every = 3600, 60, 60
    base = args.data or ensure_index(OUT / "news25k", news_files())
    out_dir()
    work = Path(tempfile.mkdtemp(prefix="warta-soak-"))
    data = work / "data"
    shutil.copytree(base, data, symlinks=True)
    port = free_port()
    # The server's output goes to a file: an unread pipe would fill and stall it.
    server_log = (work / "server.log").open("w")
    server = subprocess.Popen(
        [*WARTA, "--data-dir", str(data), "serve", "--port", str(port)],
        cwd=ROOT,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    try:
        run_soak(args, data, port, server)
    finally:
        server.terminate()
        server.wait(timeout=30)
        server_log.close()
        kept = out_dir() / "soak-server.log"
        shutil.copyfile(work / "server.log", kept)
        errors = [line for line in kept.read_text().splitlines() if "queue depth" not in line]
        print(f"server log: {kept}; lines other than queue-depth warnings:")
        print("\n".join(errors[-60:]))
        shutil.rmtree(work, ignore_errors=True)


def wait_ready(port: int) -> None:
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("The server did not start.")


def sample_ids(data: Path) -> list[str]:
    import sqlite3

    db = sqlite3.connect(data / "warta.db")
    ids = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY random() LIMIT 500")]
    db.close()
    return ids + ["does-not-exist", "../etc/passwd"]


def run_soak(args, data: Path, port: int, server: subprocess.Popen) -> None:
    wait_ready(port)
    ids = sample_ids(data)
    warm = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    warm.request("GET", "/api/search?q=pemilu")
    warm.getresponse().read()
    started = time.monotonic()
    samples = [memory_sample(server.pid, started)]
    stats, updates = Stats(), []
    deadline = started + args.seconds
    threads = [
        threading.Thread(target=client, args=(port, deadline, stats, ids, n))
        for n in range(args.clients)
    ]
    threads.append(
        threading.Thread(target=updater, args=(data, deadline, args.update_every, updates))
    )
    for t in threads:
        t.start()
    while time.monotonic() + args.sample_every < deadline:
        time.sleep(args.sample_every)
        samples.append(memory_sample(server.pid, started) | {"updates": len(updates)})
        print(f"  {samples[-1]}", flush=True)
    for t in threads:
        t.join()
    samples.append(memory_sample(server.pid, started) | {"updates": len(updates)})
    report(args, stats, updates, samples, port)


def searchable(port: int, round_: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", f"/api/search?q=soakword{round_}")
    total = json.loads(conn.getresponse().read())["total"]
    conn.close()
    return total


def report(args, stats, updates, samples, port) -> None:
    n = len(stats.latencies)
    try:
        found = [searchable(port, r) for r, _ in updates]
    except (OSError, http.client.HTTPException) as e:
        found = f"the server did not answer after the run: {e!r}"
    latency = {p: round(percentile(stats.latencies, p), 1) for p in (50, 95, 99)}
    print(
        f"soak: {args.seconds:.0f} s, {args.clients} clients, {n} requests, "
        f"{n / args.seconds:.1f} req/s"
    )
    print(f"status counts: {dict(sorted(stats.by_status.items()))}")
    print(f"errors/malformed: {len(stats.errors)} {stats.errors[:5]}")
    print(
        f"latency ms: p50 {latency[50]}  p95 {latency[95]}  p99 {latency[99]}"
        f"  max {max(stats.latencies) * 1000:.0f}"
    )
    print(
        f"index updates during the run: {len(updates)} "
        f"(median {statistics.median([s for _, s in updates] or [0]):.1f} s each); "
        f"new articles searchable per update: {found}"
    )
    print("server memory over time (s: whole-server RSS MB, USS MB per worker):")
    print("  " + "; ".join(f"{s['t']}: {s['rss_mb']}, {s['uss_mb']}" for s in samples))
    write_json(
        "soak.json",
        {
            "seconds": args.seconds,
            "clients": args.clients,
            "update_every": args.update_every,
            "requests": n,
            "status_counts": stats.by_status,
            "errors": len(stats.errors),
            "latency_ms": latency,
            "updates": [round(s, 2) for _, s in updates],
            "searchable": found,
            "memory": samples,
        },
    )


if __name__ == "__main__":
    main()
