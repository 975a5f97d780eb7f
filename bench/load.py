"""Web load benchmark: wrk against `warta serve` on loopback, a mix of realistic requests.

Usage: .venv/bin/python bench/load.py [--seconds 30] [--clients 16] [--threads 4] [--data DIR]

Serves the 25,427-article benchmark archive (built once from
../shared/data/news/*.jsonl.gz with `warta import` and `warta index build`
into bench/out/news25k, or --data DIR) with `warta serve`, then runs wrk with
--clients connections for --seconds over a mix of result pages, JSON API
searches (with filters, sorting and later pages), article pages, the home page
and /health. Reports requests/s, p50/p99 latency and errors (socket errors,
timeouts and non-2xx answers), prints them and writes bench/out/web-load.json.
The mix repeats its 170 paths: `bench_web.py` measures first-seen queries.
Needs `wrk` (Debian package `wrk`). ``wrk_load`` runs the same mix against a
server another benchmark started.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from harness import OUT, ensure_index, news_files, write_json
from queries import LOAD_MIX
from server import Server

QUERIES = list(LOAD_MIX)
LUA = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
"""


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def request_mix(base: str) -> list[str]:
    """Paths in realistic proportions: mostly result pages, some API, articles, home."""
    rng = random.Random(6)
    ids = []
    for q in QUERIES[:6]:
        ids += [h["id"] for h in get_json(f"{base}/api/search?q={urllib.parse.quote(q)}")["hits"]]
    paths = []
    for q in QUERIES:
        enc = urllib.parse.urlencode
        paths += [f"/?{enc({'q': q})}"] * 3
        paths.append(f"/?{enc({'q': q, 'page': 2})}")
        paths.append(f"/?{enc({'q': q, 'sort': 'date'})}")
        paths.append(f"/api/search?{enc({'q': q, 'size': 20})}")
        paths.append(f"/api/search?{enc({'q': q, 'from': '2017-01-01', 'to': '2017-12-31'})}")
    for article_id in ids[:24]:
        q = urllib.parse.quote(rng.choice(QUERIES))
        paths.append(f"/article/{urllib.parse.quote(article_id)}?q={q}")
        paths.append(f"/api/articles/{urllib.parse.quote(article_id)}")
    paths += ["/"] * 8 + ["/health"] * 2
    rng.shuffle(paths)
    return paths


def milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def parse_wrk(output: str) -> dict:
    if "99%" not in output:
        raise SystemExit(f"wrk gave no latency distribution:\n{output}")
    percentile = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.M))
    if not {"50", "90", "99"} <= percentile.keys():
        raise SystemExit(f"wrk's latency distribution could not be read:\n{output}")
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests": int(re.search(r"(\d+) requests in", output)[1]),
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        "p50_ms": milliseconds(percentile["50"]),
        "p90_ms": milliseconds(percentile["90"]),
        "p99_ms": milliseconds(percentile["99"]),
        "socket_errors": sum(map(int, sockets.groups())) if sockets else 0,
        "non_2xx": int(non_2xx[1]) if non_2xx else 0,
    }


def wrk_load(base: str, seconds: int, clients: int) -> dict:
    """Run wrk with ``clients`` connections for ``seconds`` over the request mix at ``base``."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: run `apt-get install wrk`.")
    paths = request_mix(base)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(LUA % ", ".join(json.dumps(p) for p in paths))
    wrk = ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--latency"]
    wrk += ["--timeout", "10s", "-s", lua.name, base]
    output = subprocess.run(wrk, capture_output=True, text=True, check=True).stdout
    Path(lua.name).unlink()
    report = {"clients": clients, "seconds": seconds, "distinct_paths": len(paths)}
    report |= parse_wrk(output)
    report["errors"] = report["socket_errors"] + report["non_2xx"]
    return report


def run(args: argparse.Namespace) -> dict:
    data = args.data or ensure_index(OUT / "news25k", news_files())
    with Server(data, threads=args.threads, log="load-serve") as server:
        documents = get_json(server.base + "/health")["documents"]
        report = wrk_load(server.base, args.seconds, args.clients)
    return {"documents": documents, "server_threads": args.threads, **report}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30, help="How long wrk runs.")
    parser.add_argument("--clients", type=int, default=16, help="Concurrent connections.")
    parser.add_argument("--threads", type=int, default=4, help="waitress threads per process.")
    parser.add_argument("--data", type=Path, help="Data directory (default bench/out/news25k).")
    args = parser.parse_args()
    report = run(args)
    write_json("web-load.json", report)
    print(
        f"{report['documents']} documents, {args.clients} clients, {args.seconds} s: "
        f"{report['requests_per_s']:.1f} requests/s, p50 {report['p50_ms']:.1f} ms, "
        f"p99 {report['p99_ms']:.1f} ms, {report['errors']} errors "
        f"({report['requests']} requests)"
    )


if __name__ == "__main__":
    main()
