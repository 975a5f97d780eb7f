"""What mining acronyms adds to `warta index build` and `warta index update`.

    git archive PARENT | tar -x -C /tmp/before
    .venv/bin/python bench/acronym_cost.py --before /tmp/before [--runs 2]

The news archive is split as ``bench_index.py`` splits it: all but the last
250 articles (``main``), then those 250 (``new``). Each run and each version
(this tree, and ``--before``: a checkout of the parent commit run with the
same interpreter), interleaved, starts from a copy of a data directory where
``main`` is already imported, then times, each a fresh ``warta`` process:
a cold ``index build`` (no stem cache), a warm one, and after an untimed
``import new``, ``index update``. CPU seconds are those of the process tree
(user + system); the machine is shared, so compare CPU within one run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_index import split_news
from harness import ROOT, _children_cpu, machine_load, news_files

STEPS = ("cold build", "warm build", "update")


def run(tree: Path, data_dir: Path, *args: str) -> float:
    """CPU seconds of one ``warta`` process run from ``tree``."""
    cpu = _children_cpu()
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, "-m", "web.cli", "-q", "--data-dir", str(data_dir), *args]
    subprocess.run(command, cwd=tree, env=env, check=True, capture_output=True)
    return _children_cpu() - cpu


def one_run(tree: Path, imported: Path, new: Path, work: Path) -> dict[str, float]:
    data_dir = work / "data"
    shutil.rmtree(data_dir, ignore_errors=True)
    shutil.copytree(imported, data_dir)
    cold = run(tree, data_dir, "index", "build")
    warm = run(tree, data_dir, "index", "build")
    run(tree, data_dir, "import", str(new))
    return {
        "cold build": cold,
        "warm build": warm,
        "update": run(tree, data_dir, "index", "update"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="A checkout of the parent.")
    parser.add_argument("--runs", type=int, default=2, help="Runs of each version.")
    parser.add_argument("--news", type=Path, help="News archive folder (default ../shared).")
    args = parser.parse_args()
    versions = {"before": args.before.resolve(), "after": ROOT}
    with tempfile.TemporaryDirectory(prefix="warta-acronym-cost-") as tmp:
        work = Path(tmp)
        parts = split_news(news_files(args.news) if args.news else news_files(), work)
        imported = work / "imported"
        run(ROOT, imported, "import", str(parts["main"]))
        figures: dict[str, list[dict]] = {name: [] for name in versions}
        for i in range(args.runs):
            for name, tree in versions.items():
                figures[name].append(one_run(tree, imported, parts["new"], work))
                print(f"run {i + 1} {name}: {figures[name][-1]} load {machine_load()}", flush=True)
    print("\n| CPU seconds (median) | before | after | change |\n| --- | ---: | ---: | ---: |")
    for step in STEPS:
        a, b = (statistics.median(r[step] for r in figures[v]) for v in versions)
        print(f"| {step} | {a:.1f} | {b:.1f} | {b - a:+.1f} s ({(b - a) / a:+.0%}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
