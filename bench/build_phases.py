"""Where a cold `warta index build` spends its time, phase by phase (in-process breakdown).

    .venv/bin/python bench/build_phases.py DATA_DIR [--warm]

Builds the index of ``DATA_DIR``'s store (a copy is made in a temporary
folder, so ``DATA_DIR`` is not changed), cold by default: no stem cache, no
earlier index (``--warm`` builds twice and reports the second, with the stem
cache and signatures reused but every segment written). Each phase of
``index.build`` is wrapped with a clock: wall seconds, CPU seconds of this
process and of the forked workers (``RUSAGE_CHILDREN``, counted when the
worker has ended). This explains the user-side figures of
``bench/bench_index.py``; it does not replace them.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import index.build as build  # noqa: E402
from crawler.store import Store  # noqa: E402
from index import index_path  # noqa: E402
from index.fingerprints import FINGERPRINT_FILE  # noqa: E402
from index.stories import Stories  # noqa: E402

PHASES = {
    build: [
        "_signatures",
        "_reused_segments",
        "_all_segments",
        "_commit_segments",
        "mine_articles",
        "keep_trusted",
    ],
    build.DuplicateGroups: ["from_signatures", "save"],
    Stories: ["assign", "save", "add_sketches"],
}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Clock:
    """Per-phase wall, own CPU and workers' CPU seconds."""

    def __init__(self):
        self.phases: dict[str, dict[str, float]] = {}

    def wrap(self, owner, name: str) -> None:
        original = owner.__dict__[name]
        func = original.__func__ if isinstance(original, (classmethod, staticmethod)) else original
        clock = self
        key = f"{getattr(owner, '__name__', 'build').split('.')[-1]}.{name}"

        def timed(*args, **kwargs):
            wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
            try:
                return func(*args, **kwargs)
            finally:
                row = clock.phases.setdefault(key, {"wall": 0.0, "cpu": 0.0, "workers_cpu": 0.0})
                row["wall"] += time.perf_counter() - wall
                row["cpu"] += time.process_time() - cpu
                row["workers_cpu"] += _children_cpu() - children

        if isinstance(original, classmethod):
            timed = classmethod(timed)
        setattr(owner, name, timed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="A data directory holding warta.db.")
    parser.add_argument("--warm", action="store_true", help="Report a second, warm rebuild.")
    args = parser.parse_args()
    clock = Clock()
    for owner, names in PHASES.items():
        for name in names:
            clock.wrap(owner, name)
    with tempfile.TemporaryDirectory(prefix="warta-build-phases-") as tmp:
        data = Path(tmp)
        shutil.copy(args.data_dir / "warta.db", data / "warta.db")
        link = index_path(data)
        with Store(data / "warta.db") as store:
            if args.warm:
                build.build_index(store, link)
                (link / FINGERPRINT_FILE).unlink(missing_ok=True)
                clock.phases.clear()
            wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
            report = build.build_index(store, link)
            total = {
                "wall": time.perf_counter() - wall,
                "cpu": time.process_time() - cpu,
                "workers_cpu": _children_cpu() - children,
            }
    rows = {k: {f: round(v, 2) for f, v in row.items()} for k, row in clock.phases.items()}
    result = {"articles": report.indexed, "total": total, "phases": rows}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
