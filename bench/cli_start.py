"""`warta search` in a fresh process, before and after a change, beside `warta --version`.

    .venv/bin/python bench/cli_start.py [--before REV] [--queries 40] [--data DIR] [--no-pyc]
                                        [--json]

Users run ``warta search`` in scripts and loops: every call is a new Python
process that imports Warta, opens the index and searches once. This times
that, as users meet it, for two source trees in the same run:

* **after**: this checkout;
* **before**: ``git archive REV`` (default ``main``) unpacked into
  ``bench/out/cli-start/``, run by the same interpreter and the same
  installed libraries (``PYTHONPATH`` points the ``warta`` script at it).

Both trees are byte-compiled first (``compileall``), as an installed package
is; ``--no-pyc`` instead removes our packages' cached bytecode and runs with
``PYTHONDONTWRITEBYTECODE=1`` (every module of ours compiled at each start,
as an editable install is run where that variable is set; the libraries keep
theirs).

On the 25,427 news articles (``bench/out/news25k``, built once, or
``--data DIR``) with a warm OS cache, ``--queries`` title openings never sent
before in the run go to ``warta search QUERY`` (the readable hits); each
query runs once in each tree, interleaved in rotating order with
``warta --version`` of each tree (a process starting, no index). Each
query's hits must be the same in both trees (the time taken aside), or the
run fails; ``--json`` times ``warta search --json`` instead, so the totals,
facets, timeline and suggestion are compared too. Reports medians of wall and CPU (user + system)
milliseconds, the ratios after / before, and the share above the
``--version`` floor; writes ``bench/out/cli-start.json``.
"""

from __future__ import annotations

import argparse
import compileall
import io
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from harness import (
    OUT,
    ROOT,
    ensure_index,
    machine_load,
    news_files,
    warm_os_cache,
    warta_command,
    write_json,
)
from queries import keyword_pool, titles_from_jsonl

TREES = ("before", "after")
# The time a search took differs from run to run; everything else must not.
_TOOK = re.compile(r" \(\d+ ms\)$|^  \"took_ms\": [\d.]+,$", re.M)


def source_tree(rev: str) -> Path:
    """``rev``'s files unpacked once into bench/out/cli-start/<commit>."""
    commit = subprocess.run(
        ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if commit.returncode != 0:
        sys.exit(f"No commit {rev!r} in this clone: pass --before REV (a branch, tag or hash).")
    target = OUT / "cli-start" / commit.stdout.strip()[:12]
    if not (target / "web" / "cli.py").exists():
        archive = subprocess.run(
            ["git", "archive", commit.stdout.strip()], cwd=ROOT, check=True, capture_output=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
    return target


def environments(before: Path, no_pyc: bool) -> dict[str, dict[str, str]]:
    """Each tree's environment: PYTHONPATH at its packages, bytecode cached or none."""
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONPYCACHEPREFIX")}
    if no_pyc:
        base |= {"PYTHONDONTWRITEBYTECODE": "1"}
    for tree in (before, ROOT):
        for package in ("crawler", "index", "searcher", "web"):
            if no_pyc:  # ours only: the libraries keep their installed bytecode
                for cache in (tree / package).rglob("__pycache__"):
                    shutil.rmtree(cache)
            else:
                compileall.compile_dir(tree / package, quiet=1)
    return {"before": base | {"PYTHONPATH": str(before)}, "after": base | {"PYTHONPATH": str(ROOT)}}


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall and CPU (user + system, the process's) milliseconds of a command, and its output."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"`{' '.join(args)}` failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return wall * 1000, (usage.ru_utime + usage.ru_stime - cpu) * 1000, done.stdout


def measure(
    data_dir: Path, queries: list[str], envs: dict, options: tuple[str, ...] = ()
) -> dict[str, dict[str, list]]:
    """Every query in both trees (``warta search [OPTIONS] QUERY``), and ``--version`` of
    both, in rotating order."""
    warta = warta_command()
    samples = {
        f"{cmd} {tree}": {"wall": [], "cpu": []} for cmd in ("version", "search") for tree in TREES
    }
    for i, query in enumerate(queries):
        steps = [(cmd, tree) for cmd in ("version", "search") for tree in TREES]
        steps = steps[i % 4 :] + steps[: i % 4]
        outputs = {}
        for cmd, tree in steps:
            search = ["--data-dir", str(data_dir), "search", *options]
            args = ["--version"] if cmd == "version" else search
            wall, cpu, out = run([*warta, *args, *([query] if cmd == "search" else [])], envs[tree])
            samples[f"{cmd} {tree}"]["wall"].append(wall)
            samples[f"{cmd} {tree}"]["cpu"].append(cpu)
            if cmd == "search":
                outputs[tree] = _TOOK.sub("", out)
        if outputs["before"] != outputs["after"]:
            sys.exit(
                f"The hits of {query!r} differ between the trees:\n"
                f"--- before\n{outputs['before'][:2000]}\n--- after\n{outputs['after'][:2000]}"
            )
    return samples


def summary(samples: dict) -> dict:
    """Medians (ms) per command and tree, the ratios after / before, above the floor."""
    medians = {
        name: {kind: round(statistics.median(ms), 1) for kind, ms in s.items()}
        for name, s in samples.items()
    }
    out = {"medians_ms": medians}
    for kind in ("wall", "cpu"):
        before, after = medians["search before"][kind], medians["search after"][kind]
        floor = {t: medians[f"version {t}"][kind] for t in TREES}
        out[f"{kind}_ratio_after_before"] = round(after / before, 3)
        out[f"{kind}_above_floor_ms"] = {
            "before": round(before - floor["before"], 1),
            "after": round(after - floor["after"], 1),
        }
    return out


def report(results: dict) -> str:
    med = results["summary"]["medians_ms"]
    lines = [
        f"{results['queries']} first-seen queries, each in both trees, rotating order; "
        f"before = {results['before']}, bytecode {'none' if results['no_pyc'] else 'cached'}; "
        f"load {results['load_before']} -> {results['load_after']}",
        "",
        "| command (median ms) | wall before | wall after | CPU before | CPU after |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for cmd in ("version", "search"):
        b, a = med[f"{cmd} before"], med[f"{cmd} after"]
        label = "`warta --version`" if cmd == "version" else "`warta search QUERY`"
        lines.append(f"| {label} | {b['wall']} | {a['wall']} | {b['cpu']} | {a['cpu']} |")
    s = results["summary"]
    lines += [
        "",
        f"search after / before: wall {s['wall_ratio_after_before']}, "
        f"CPU {s['cpu_ratio_after_before']}; above the --version floor: wall "
        f"{s['wall_above_floor_ms']['before']} -> {s['wall_above_floor_ms']['after']} ms, "
        f"CPU {s['cpu_above_floor_ms']['before']} -> {s['cpu_above_floor_ms']['after']} ms",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="The revision to compare with.")
    parser.add_argument("--queries", type=int, default=40, help="First-seen queries.")
    parser.add_argument("--data", type=Path, help="An indexed data directory to search.")
    parser.add_argument("--no-pyc", action="store_true", help="Run without cached bytecode.")
    parser.add_argument(
        "--json", action="store_true", help="Time `warta search --json` (checks facets too)."
    )
    args = parser.parse_args()
    sources = news_files()
    data_dir = args.data or ensure_index(OUT / "news25k", sources)
    queries = keyword_pool(titles_from_jsonl(sources), seed=41)[: args.queries]
    envs = environments(source_tree(args.before), args.no_pyc)
    warm_os_cache(data_dir)
    results = {"before": args.before, "queries": len(queries), "no_pyc": args.no_pyc}
    results["json"] = args.json
    results["load_before"] = machine_load()
    samples = measure(data_dir, queries, envs, ("--json",) if args.json else ())
    results["load_after"] = machine_load()
    results["summary"] = summary(samples)
    results["samples_ms"] = samples
    print(report(results))
    write_json(f"cli-start{'-no-pyc' * args.no_pyc}{'-json' * args.json}.json", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
