"""Search latency as users meet it: first-seen queries through `warta serve` and `warta search`.

    .venv/bin/python bench/bench_search.py [--data DIR] [--queries 200] [--cli-queries 50]
                                           [--breakdown]

On the 25,427 news articles (imported and indexed once into
``bench/out/news25k`` with `warta import` and `warta index build`, or
``--data DIR``), with a warm OS cache (every file of the data directory read
once first):

* **API**: a fresh ``warta serve`` (its defaults: two worker processes),
  each worker's searcher opened by a few warm-up queries, then ``--queries``
  keyword queries (title openings) and as many FacQA questions, shuffled
  together and sent one at a time to ``/api/search`` (first page, with
  snippets), each query once (**first seen**); then the same queries again
  (**repeated**).
* **CLI**: ``warta search --json QUERY`` as a fresh process per query, with
  other queries never sent before (``--cli-queries`` of each kind), beside
  the bare start of a process (``warta --version``).

Reports p50/p95 per kind and writes ``bench/out/bench-search.json``.
``--breakdown`` also runs ``bench/search_breakdown.py`` (in-process, warm
and repeated, beside SQLite FTS5).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from harness import (
    FACQA,
    OUT,
    ROOT,
    ensure_index,
    index_stats,
    machine_load,
    news_files,
    percentiles,
    require,
    run_timed,
    warm_os_cache,
    warta_command,
    write_json,
)
from queries import QuerySets, keyword_pool, question_pool, titles_from_jsonl
from server import Server, time_sequential

TARGETS = {"keyword": 20, "question": 60}


def query_sets(sources: list[Path]) -> QuerySets:
    """Title openings of the archive's articles and FacQA's questions."""
    require(FACQA, "FacQA's questions (data/relevance/facqa_queries.tsv)")
    return QuerySets(keyword_pool(titles_from_jsonl(sources)), question_pool(FACQA))


def api_latency(data_dir: Path, pairs: list[tuple[str, str]]) -> dict:
    """First-seen, then repeated, one query at a time through a fresh server."""
    with Server(data_dir, log="bench-search-serve") as server:
        warm_up = server.warm_up()
        first = time_sequential(server, pairs)
        repeated = time_sequential(server, pairs)
        uss = server.uss_mb()
    return {"warm_up_s": round(warm_up, 2), "first_seen": first, "repeated": repeated} | {
        "uss_mb_per_worker": uss
    }


def cli_latency(data_dir: Path, pairs: list[tuple[str, str]]) -> dict:
    """``warta search --json`` as a fresh process per query: wall milliseconds per kind."""
    floor = [run_timed([*warta_command(), "--version"]).seconds * 1000 for _ in range(5)]
    samples: dict[str, list[float]] = {}
    base = [*warta_command(), "--data-dir", str(data_dir), "search", "--json"]
    for kind, query in pairs:
        done = run_timed([*base, query])
        json.loads(done.stdout)  # a whole answer, or this fails loudly
        samples.setdefault(kind, []).append(done.seconds * 1000)
    return {kind: percentiles(ms) for kind, ms in samples.items()} | {
        "process_start": percentiles(floor)
    }


def report(results: dict) -> str:
    api, cli = results["api"], results["cli"]
    lines = [
        f"{results['documents']} articles; load average before {results['load_before']}, "
        f"after {results['load_after']}",
        "",
        "| queries (each kind p50 / p95 ms) | first seen | repeated | target p95 |",
        "| --- | ---: | ---: | ---: |",
    ]
    for kind in ("keyword", "question"):
        first, again = api["first_seen"][kind], api["repeated"][kind]
        lines.append(
            f"| `/api/search`, {first['n']} {kind}s | {first['p50']} / **{first['p95']}** "
            f"| {again['p50']} / {again['p95']} | ≤ {TARGETS[kind]} |"
        )
    for kind in ("keyword", "question"):
        fresh = cli.get(kind)
        if fresh:
            lines.append(
                f"| `warta search`, fresh process, {fresh['n']} {kind}s "
                f"| {fresh['p50']} / {fresh['p95']} | | |"
            )
    start = cli["process_start"]
    lines += [
        "",
        f"`warta --version` (a process starting, no index): p50 {start['p50']} ms.",
        f"API errors: {api['first_seen']['errors']} first seen, {api['repeated']['errors']} "
        f"repeated. Warm-up (opening both workers' searchers): {api['warm_up_s']} s.",
        f"USS per worker after the API queries: {api['uss_mb_per_worker']} MB.",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="An indexed data directory to search.")
    parser.add_argument("--queries", type=int, default=200, help="API queries of each kind.")
    parser.add_argument("--cli-queries", type=int, default=50, help="CLI queries of each kind.")
    parser.add_argument("--breakdown", action="store_true", help="Also the in-process figures.")
    args = parser.parse_args()
    sources = news_files()
    data_dir = args.data or ensure_index(OUT / "news25k", sources)
    sets = query_sets(sources)
    api_pairs = sets.mixed(2 * args.queries)
    cli_pairs = sets.mixed(2 * args.cli_queries)
    results = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "load_before": machine_load()}
    warm_os_cache(data_dir)
    results["api"] = api_latency(data_dir, api_pairs)
    results["cli"] = cli_latency(data_dir, cli_pairs)
    results["load_after"] = machine_load()
    results["documents"] = index_stats(data_dir)["documents"]
    print(report(results))
    write_json("bench-search.json", results)
    if args.breakdown:
        script = ROOT / "bench" / "search_breakdown.py"
        subprocess.run([sys.executable, str(script), "--no-big"], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
