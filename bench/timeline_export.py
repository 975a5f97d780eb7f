"""Timeline and export costs, through HTTP against `warta serve` on loopback.

Usage: .venv/bin/python bench/timeline_export.py [--data DIR] [--queries N] [--no-export]

Serves the 25,427-article benchmark archive (``bench/out/news25k``, built
once by ``archive.news_data_dir``, or --data DIR) with one `warta serve`
process, then:

* search: ``GET /api/search?q=...`` for N keyword queries (search_breakdown.s
  2-3 title words), each once untimed and once timed; reports the median and
  p95 wall time and the server's own ``took_ms``, and how many answers carry
  a timeline of each interval. Run it on two checkouts (``--no-export`` on
  one without exports) to compare search latency with and without the
  timeline.
* export: ``GET /export.csv`` and ``/export.jsonl`` for a few broad queries
  (the whole archive, then common words), read to the end; reports rows,
  bytes, seconds and the server's peak resident memory (VmHWM) after each.

Prints the figures and writes ``bench/out/timeline_export.json``.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from archive import OUT, news_data_dir  # noqa: E402
from search_breakdown import keyword_queries  # noqa: E402

EXPORT_QUERIES = ("", "jakarta", "presiden", "banjir bekasi")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(data_dir: Path, port: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "web.cli", "--quiet", "--data-dir", str(data_dir), "serve"]
    command += ["--port", str(port), "--workers", "1", "--threads", "2"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("warta serve did not answer /health within a minute.")


def _peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _get(url: str) -> tuple[float, bytes, dict]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        body = response.read()
        headers = dict(response.headers)
    return time.perf_counter() - started, body, headers


def bench_search(base: str, queries: list[str]) -> dict:
    walls, tooks, intervals = [], [], {}
    for query in queries:
        url = f"{base}/api/search?" + urllib.parse.urlencode({"q": query})
        _get(url)
        wall, body, _ = _get(url)
        data = json.loads(body)
        walls.append(wall * 1000)
        tooks.append(data["took_ms"])
        interval = data.get("timeline", {}).get("interval", "none")
        intervals[interval] = intervals.get(interval, 0) + 1
    walls.sort()
    tooks.sort()
    return {
        "queries": len(queries),
        "wall_ms_median": round(statistics.median(walls), 2),
        "wall_ms_p95": round(walls[int(len(walls) * 0.95) - 1], 2),
        "took_ms_median": round(statistics.median(tooks), 2),
        "took_ms_p95": round(tooks[int(len(tooks) * 0.95) - 1], 2),
        "timeline_intervals": intervals,
    }


def bench_exports(base: str, pid: int) -> list[dict]:
    rows = []
    for query in EXPORT_QUERIES:
        for kind in ("csv", "jsonl"):
            url = f"{base}/export.{kind}?" + urllib.parse.urlencode({"q": query})
            seconds, body, headers = _get(url)
            lines = body.decode("utf-8").count("\n")
            rows.append(
                {
                    "query": query,
                    "format": kind,
                    "seconds": round(seconds, 2),
                    "bytes": len(body),
                    "lines": lines,
                    "total": int(headers["X-Warta-Total"]),
                    "exported": int(headers["X-Warta-Exported"]),
                    "truncated": headers["X-Warta-Truncated"],
                    "server_peak_mib": round(_peak_kib(pid) / 1024, 1),
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="data directory (default: bench/out/news25k)")
    parser.add_argument("--queries", type=int, default=250)
    parser.add_argument("--no-export", action="store_true", help="search latency only")
    args = parser.parse_args()
    data_dir = args.data or news_data_dir()
    port = _free_port()
    server = _serve(data_dir, port)
    base = f"http://127.0.0.1:{port}"
    try:
        figures = {"search": bench_search(base, keyword_queries(data_dir, args.queries))}
        figures["server_peak_mib_after_search"] = round(_peak_kib(server.pid) / 1024, 1)
        if not args.no_export:
            figures["exports"] = bench_exports(base, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "timeline_export.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
