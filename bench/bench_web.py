"""The web server as users meet it: first-seen queries from many clients, memory, then load.

    .venv/bin/python bench/bench_web.py [--data DIR] [--queries 1000] [--clients 16]
                                        [--seconds 30] [--no-wrk]

A fresh ``warta serve`` (its defaults: two worker processes of 4 threads) over
the 25,427 news articles (``bench/out/news25k``, built once, or ``--data``),
with a warm OS cache and each worker's searcher opened by warm-up queries:

1. ``--queries`` mixed first-seen queries (half title openings, half FacQA
   questions, never sent before, each once) to ``/api/search`` from
   ``--clients`` concurrent clients: p50/p95/p99 per kind, errors;
2. private memory (USS) of each worker after them;
3. ``bench/load.py``'s wrk mix (repeated result pages, API searches, article
   pages) with ``--clients`` connections for ``--seconds``: requests/s,
   p50/p99, errors; USS per worker again.

Writes ``bench/out/bench-web.json``. Needs ``wrk`` for step 3 (or ``--no-wrk``).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from bench_search import query_sets
from harness import OUT, ensure_index, index_stats, machine_load, news_files, warm_os_cache
from harness import write_json as write
from load import wrk_load
from search_breakdown import private_mb
from server import Server, time_concurrent

TARGET_USS_MB = 250


def measure(data_dir: Path, pairs: list, clients: int, seconds: int, wrk: bool) -> dict:
    """Steps 1-3 on one fresh server."""
    warm_os_cache(data_dir)
    result: dict = {"load_before": machine_load()}
    with Server(data_dir, log="bench-web-serve") as server:
        result["uss_mb_before"] = server.uss_mb()
        result["warm_up_s"] = round(server.warm_up(), 2)
        result["uss_mb_after_warm_up"] = server.uss_mb()
        result["first_seen"] = time_concurrent(server, pairs, clients)
        result["uss_mb_per_worker"] = server.uss_mb()
        result["private_mb_per_worker"] = [private_mb(w.pid) for w in server.workers()]
        result["server_rss_mb"] = server.rss_mb()
        if wrk:
            try:
                result["wrk"] = wrk_load(server.base, seconds, clients)
            except SystemExit as e:  # keep the figures measured so far
                print(e, file=sys.stderr)
                result["wrk"] = {"failed": str(e)[-2000:]}
            result["uss_mb_after_wrk"] = server.uss_mb()
    result["load_after"] = machine_load()
    return result


def report(r: dict) -> str:
    first = r["first_seen"]
    lines = [
        f"{r['documents']} articles, {first['all']['n']} first-seen queries from "
        f"{r['clients']} clients ({first['queries_per_s']} queries/s); "
        f"load average before {r['load_before']}, after {r['load_after']}",
        "",
        "| first seen, `/api/search` | p50 | p95 | p99 |",
        "| --- | ---: | ---: | ---: |",
    ]
    for kind in ("keyword", "question", "all"):
        p = first[kind]
        lines.append(f"| {kind} ({p['n']}) | {p['p50']} ms | {p['p95']} ms | {p['p99']} ms |")
    lines += [
        "",
        f"errors: {first['errors']} {first['problems']}",
        f"USS per worker: fresh {r['uss_mb_before']} MB, after warm-up "
        f"{r['uss_mb_after_warm_up']} MB, after the queries **{r['uss_mb_per_worker']} MB** "
        f"(target ≤ {TARGET_USS_MB} MB); whole server RSS {r['server_rss_mb']} MB.",
    ]
    if "wrk" in r:
        w = r["wrk"]
        lines.append(
            f"wrk mix, {w['clients']} clients, {w['seconds']} s: {w['requests_per_s']:.1f} "
            f"requests/s, p50 {w['p50_ms']:.1f} ms, p99 {w['p99_ms']:.1f} ms, {w['errors']} "
            f"errors of {w['requests']}; USS per worker after: {r['uss_mb_after_wrk']} MB."
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="An indexed data directory to serve.")
    parser.add_argument("--queries", type=int, default=1000, help="First-seen queries in all.")
    parser.add_argument("--clients", type=int, default=16, help="Concurrent clients.")
    parser.add_argument("--seconds", type=int, default=30, help="How long wrk runs.")
    parser.add_argument("--no-wrk", action="store_true", help="Skip the wrk load.")
    parser.add_argument(
        "--titles", type=Path, help="Folder of JSON Lines whose titles give keyword queries."
    )
    args = parser.parse_args()
    if not args.no_wrk and shutil.which("wrk") is None:
        sys.exit("wrk is not installed: run `apt-get install wrk`, or pass --no-wrk.")
    sources = news_files()
    data_dir = args.data or ensure_index(OUT / "news25k", sources)
    titles = sorted(args.titles.glob("*.jsonl.gz"))[:2] if args.titles else sources
    pairs = query_sets(titles).mixed(args.queries)
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    result = measure(data_dir, pairs, args.clients, args.seconds, not args.no_wrk)
    result |= {"started": started, "clients": args.clients}
    result["documents"] = index_stats(data_dir)["documents"]
    print(report(result))
    write("bench-web.json", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
