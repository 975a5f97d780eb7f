"""Index speed as users meet it: `warta import` and `warta index build|update` as processes.

    .venv/bin/python bench/bench_index.py [--runs 3] [--news DIR] [--breakdown]

The news archive is split once into two JSON Lines files: every article but
the last 250 (``main``) and those 250 (``new``). Each run then starts from a
fresh data directory and times, each command a fresh process:

1. the lean FTS5 baseline (``bench/fts5_baseline.py``) over ``main``: cold
   (empty stem cache) and warm (the same again, stem cache filled); it runs
   again after step 5, and the mean of both is the run's baseline;
2. ``warta import main`` (articles/s);
3. ``warta index build``, cold: no stem cache and no earlier index;
4. ``warta index build`` again, warm (the stem cache and the unchanged
   articles' signatures are reused, as in any rebuild after the first; with
   nothing changed, the segments too: ``index/fingerprints.py``);
5. ``warta import new``, then ``warta index update`` of those 250 articles;
6. ``warta index build`` once more ("rewrite"): stems and signatures reused,
   but the generation was updated, so every segment is written again.

Wall and CPU seconds count the whole process tree (a build forks a worker);
peak memory is the tree's summed PSS (and RSS), sampled every 0.2 s. The
report gives medians over the runs, ratios to the baseline of the same run,
and the load average (the machine may be shared). ``--breakdown`` also runs
``bench/index_breakdown.py`` (the older in-process figures: Warta's build
functions called directly, and FTS5 fed Warta's own analysis).
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import (
    ROOT,
    duplicates_reported,
    index_stats,
    machine_load,
    news_files,
    run_timed,
    warta,
    write_json,
)

HELD_BACK = 250
TARGETS = {"cold": 1.5, "warm": 3.0}


def split_news(files: list[Path], folder: Path, held_back: int = HELD_BACK) -> dict:
    """Write ``main.jsonl.gz`` (all but the last ``held_back`` lines) and ``new.jsonl.gz``."""
    lines = []
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open() as f:
            lines += [line if line.endswith("\n") else line + "\n" for line in f if line.strip()]
    parts = {"main": lines[:-held_back], "new": lines[-held_back:]}
    paths = {}
    for name, part in parts.items():
        paths[name] = folder / f"{name}.jsonl.gz"
        with gzip.open(paths[name], "wt", encoding="utf-8") as f:
            f.writelines(part)
    return paths | {"articles": len(lines)}


def fts5_baseline(files: list[Path], db: Path, *, patterns_once: bool = False) -> dict:
    """Run the lean baseline once (cold, then warm) in its own process."""
    script = ROOT / "bench" / "fts5_baseline.py"
    option = ["--patterns-once"] if patterns_once else []
    done = run_timed([sys.executable, str(script), *option, "--db", str(db), *map(str, files)])
    db.unlink(missing_ok=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def one_run(split: dict, work: Path) -> dict:
    """One fresh data directory, every step as a process: figures in seconds."""
    load_before = machine_load()
    before = fts5_baseline([split["main"]], work / "fts5.sqlite")
    data = work / "data"
    imported = warta(data, "import", str(split["main"]))
    cold = warta(data, "index", "build", memory=True)
    warm = warta(data, "index", "build", memory=True)
    imported_new = warta(data, "import", str(split["new"]))
    update = warta(data, "index", "update", memory=True)
    rewrite = warta(data, "index", "build", memory=True)
    # The baseline again: the mean of both brackets Warta's steps, so a change of
    # the machine's load during the run weighs on both sides of the ratio.
    after = fts5_baseline([split["main"]], work / "fts5.sqlite")
    # The baseline stemming as fast as Warta does (its PySastrawi speed-up).
    fast = fts5_baseline([split["main"]], work / "fts5.sqlite", patterns_once=True)
    stats = index_stats(data)
    articles = split["articles"] - HELD_BACK
    base = {k: (before[k] + after[k]) / 2 for k in before if k != "docs"}
    return {
        "load_before": load_before,
        "load_after": machine_load(),
        "fts5_before": before,
        "fts5_after": after,
        "fts5_patterns_once": fast,
        "fts5_cold_s": base["cold_s"],
        "fts5_warm_s": base["warm_s"],
        "fts5_insert_s": base["insert_s"],
        "fts5_cold_cpu_s": base["cold_cpu_s"],
        "fts5_warm_cpu_s": base["warm_cpu_s"],
        "import": imported.summary() | {"articles_per_s": round(articles / imported.seconds)},
        "cold": cold.summary() | {"duplicates": duplicates_reported(cold.stdout)},
        "warm": warm.summary(),
        "import_new": imported_new.summary(),
        "update": update.summary(),
        "rewrite": rewrite.summary(),
        "index": {k: stats[k] for k in ("documents", "segments", "terms", "size_bytes")},
    }


def medians(runs: list[dict]) -> dict:
    """Medians over the runs, and ratios to the baseline (of medians, and per run)."""
    m = {
        "fts5_cold_s": statistics.median(r["fts5_cold_s"] for r in runs),
        "fts5_warm_s": statistics.median(r["fts5_warm_s"] for r in runs),
    }
    for step in ("import", "cold", "warm", "update", "rewrite"):
        m[f"{step}_s"] = statistics.median(r[step]["seconds"] for r in runs)
        m[f"{step}_cpu_s"] = statistics.median(r[step]["cpu_seconds"] for r in runs)
    m["import_articles_per_s"] = statistics.median(r["import"]["articles_per_s"] for r in runs)
    for step in ("cold", "warm"):
        m[f"fts5_{step}_cpu_s"] = statistics.median(r[f"fts5_{step}_cpu_s"] for r in runs)
        m[f"{step}_cpu_ratio"] = m[f"{step}_cpu_s"] / m[f"fts5_{step}_cpu_s"]
        m[f"{step}_ratio"] = m[f"{step}_s"] / m[f"fts5_{step}_s"]
        m[f"{step}_ratios_per_run"] = [
            round(r[step]["seconds"] / r[f"fts5_{step}_s"], 2) for r in runs
        ]
    for step in ("cold", "warm"):
        fast = statistics.median(r["fts5_patterns_once"][f"{step}_s"] for r in runs)
        m[f"fts5_fast_{step}_s"] = fast
        m[f"{step}_fast_ratio"] = m[f"{step}_s"] / fast
    m["rewrite_cpu_ratio"] = m["rewrite_cpu_s"] / m["fts5_warm_cpu_s"]
    m["rewrite_ratio"] = m["rewrite_s"] / m["fts5_warm_s"]
    builds = ("cold", "warm", "rewrite")
    m["peak_pss_mb"] = max(r[s]["peak_pss_mb"] for r in runs for s in builds)
    m["peak_rss_mb"] = max(r[s]["peak_rss_mb"] for r in runs for s in builds)
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in m.items()}


def table(m: dict, runs: list[dict], articles: int) -> str:
    last = runs[-1]
    loads = [r[k]["load_1m"] for r in runs for k in ("load_before", "load_after")]
    size_mb = last["index"]["size_bytes"] / 2**20
    rows = [
        f"{articles - HELD_BACK} articles imported, {HELD_BACK} more for the update; "
        f"{len(runs)} run(s), medians:",
        "",
        "| as a user meets it | Warta | FTS5 baseline | ratio | target |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| `warta import` (JSON Lines) | {m['import_s']:.1f} s = "
        f"{m['import_articles_per_s']:.0f} articles/s (CPU: {m['import_cpu_s']:.1f} s = "
        f"{(articles - HELD_BACK) / m['import_cpu_s']:.0f}/s) | | | ≥ 1,500/s |",
        f"| `warta index build`, cold | {m['cold_s']:.1f} s | {m['fts5_cold_s']:.1f} s | "
        f"**{m['cold_ratio']:.2f} ×** | ≤ {TARGETS['cold']} × |",
        f"| `warta index build`, warm | {m['warm_s']:.1f} s | {m['fts5_warm_s']:.1f} s | "
        f"**{m['warm_ratio']:.2f} ×** | ≤ {TARGETS['warm']:.0f} × |",
        f"| `warta index update`, {HELD_BACK} new articles | {m['update_s']:.2f} s | | "
        f"{m['update_s'] / m['rewrite_s']:.1%} of the rewrite | |",
        f"| `warta index build` after the update (every segment written) | "
        f"{m['rewrite_s']:.1f} s | {m['fts5_warm_s']:.1f} s (warm) | "
        f"{m['rewrite_ratio']:.2f} × | |",
        "",
        f"Per run, cold {m['cold_ratios_per_run']} ×, warm {m['warm_ratios_per_run']} ×.",
        f"Against the baseline stemming with Warta's faster PySastrawi (`--patterns-once`: "
        f"cold {m['fts5_fast_cold_s']:.1f} s, warm {m['fts5_fast_warm_s']:.1f} s): cold "
        f"{m['cold_fast_ratio']:.2f} ×, warm {m['warm_fast_ratio']:.2f} ×.",
        f"CPU seconds (process tree; a busy machine disturbs them less): cold "
        f"{m['cold_cpu_s']:.1f} vs FTS5 {m['fts5_cold_cpu_s']:.1f} ({m['cold_cpu_ratio']:.2f} ×), "
        f"warm {m['warm_cpu_s']:.1f} vs {m['fts5_warm_cpu_s']:.1f} ({m['warm_cpu_ratio']:.2f} ×); "
        f"rewrite {m['rewrite_cpu_s']:.1f} ({m['rewrite_cpu_ratio']:.2f} × FTS5 warm); "
        f"import {m['import_cpu_s']:.1f}, update {m['update_cpu_s']:.1f}.",
        f"Peak memory of a build (process tree): {m['peak_pss_mb']:.0f} MB PSS "
        f"({m['peak_rss_mb']:.0f} MB summed RSS).",
        f"Index: {last['index']['documents']} documents, {last['index']['segments']} segments, "
        f"{size_mb:.0f} MB; {last['cold']['duplicates']} articles in near-duplicate groups.",
        f"Load average (1 min) around the runs: {min(loads):.1f}-{max(loads):.1f} "
        "on this machine's cores.",
    ]
    return "\n".join(rows)


def breakdown(runs: int) -> None:
    """The in-process figures (bench/index_breakdown.py), printed as they come."""
    print("\nin-process breakdown (bench/index_breakdown.py):", flush=True)
    script = ROOT / "bench" / "index_breakdown.py"
    subprocess.run([sys.executable, str(script), "--runs", str(runs)], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="Repetitions (medians reported).")
    parser.add_argument("--news", type=Path, help="News archive folder (default ../shared).")
    parser.add_argument("--breakdown", action="store_true", help="Also the in-process figures.")
    args = parser.parse_args()
    files = news_files(args.news) if args.news else news_files()
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    with tempfile.TemporaryDirectory(prefix="warta-bench-index-") as tmp:
        split = split_news(files, Path(tmp))
        runs = []
        for n in range(args.runs):
            print(f"run {n + 1}/{args.runs} ...", flush=True)
            run_dir = Path(tmp) / f"run{n}"
            run_dir.mkdir()
            runs.append(one_run(split, run_dir))
            shutil.rmtree(run_dir)
    m = medians(runs)
    print()
    print(table(m, runs, split["articles"]))
    write_json("bench-index.json", {"started": started, "medians": m, "runs": runs})
    if args.breakdown:
        breakdown(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
