"""What every user-side benchmark shares: paths, the `warta` command as a process, memory.

The benchmarks drive Warta as its users do (``warta import``, ``warta index
build|update``, ``warta search``, ``warta serve`` over HTTP), each command a
fresh process, so they keep working whatever the packages look like inside.
Their figures land in ``bench/out/`` (created on first use, git-ignored).
"""

from __future__ import annotations

import json
import os
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SHARED = Path(os.environ.get("WARTA_SHARED", ROOT.parent / "shared"))
NEWS = SHARED / "data" / "news"
FACQA = SHARED / "data" / "relevance" / "facqa_queries.tsv"
FTS5_DB = "fts5-baseline.sqlite"


def out_dir(*parts: str) -> Path:
    """A folder under bench/out/, created if missing."""
    path = OUT.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def require(path: Path, what: str) -> Path:
    """``path``, or exit with a sentence saying where the shared data should be."""
    if not path.exists():
        sys.exit(
            f"{what} is missing at {path}. This benchmark needs the project's shared data "
            f"(a `shared` folder beside the clone, or WARTA_SHARED=DIR); "
            f"a plain clone has none."
        )
    return path


def news_files(news: Path = NEWS) -> list[Path]:
    """The news archive's JSON Lines files (25,427 articles in ../shared)."""
    require(news, "The news archive (data/news/*.jsonl.gz)")
    files = sorted(news.glob("*.jsonl.gz")) + sorted(news.glob("*.jsonl"))
    if not files:
        sys.exit(f"No *.jsonl.gz or *.jsonl files in {news}: pass --news DIR.")
    return files


def warta_command() -> list[str]:
    """The installed `warta` command beside this interpreter (``python -m web.cli`` if none)."""
    script = Path(sys.executable).parent / "warta"
    return [str(script)] if script.exists() else [sys.executable, "-m", "web.cli"]


def write_json(name: str, report: dict) -> Path:
    """Write ``report`` to bench/out/NAME and say where."""
    path = out_dir() / name
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"figures written to {path.relative_to(ROOT)}", flush=True)
    return path


def machine_load() -> dict:
    """Load averages and cores, to judge figures from a shared machine."""
    one, five, fifteen = os.getloadavg()
    return {"load_1m": round(one, 2), "load_5m": round(five, 2), "load_15m": round(fifteen, 2)}


def percentiles(ms: list[float]) -> dict:
    """p50/p95/p99 (nearest rank) and the count of ``ms``, in milliseconds."""
    if not ms:
        return {"n": 0, "p50": None, "p95": None, "p99": None}
    ordered = sorted(ms)

    def rank(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))], 1)

    return {"n": len(ms), "p50": round(statistics.median(ordered), 1), "p95": rank(0.95)} | {
        "p99": rank(0.99)
    }


# -- processes and their memory ---------------------------------------------------------


class TreeMemory:
    """Samples a process tree's memory until stopped: peak of the summed RSS and PSS.

    PSS shares each page among the processes that map it, so its sum is the
    tree's real footprint; summed RSS counts a forked worker's shared pages twice.
    """

    def __init__(self, pid: int, interval: float = 0.2):
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_rss = self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = pss = 0
            try:
                tree = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                return
            for proc in tree:
                try:
                    info = proc.memory_full_info()
                except psutil.Error:
                    continue
                rss, pss = rss + info.rss, pss + info.pss
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            self._stop.wait(self.interval)


@dataclass
class Timed:
    """One finished command: wall and CPU seconds (whole tree), peak memory, output."""

    args: list[str]
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float = 0.0
    peak_pss_mb: float = 0.0
    stdout: str = ""
    extra: dict = field(default_factory=dict)

    def summary(self) -> dict:
        return {
            "seconds": round(self.seconds, 3),
            "cpu_seconds": round(self.cpu_seconds, 2),
            "peak_rss_mb": round(self.peak_rss_mb),
            "peak_pss_mb": round(self.peak_pss_mb),
            **self.extra,
        }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_timed(args: list[str], memory: bool = False, cwd: Path = ROOT) -> Timed:
    """Run ``args`` as a process, timing it; ``memory``: sample its tree's peak memory."""
    cpu = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if memory:
        with TreeMemory(proc.pid) as sampler:
            out, err = proc.communicate()
        peaks = (sampler.peak_rss / 2**20, sampler.peak_pss / 2**20)
    else:
        out, err = proc.communicate()
        peaks = (0.0, 0.0)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(
            f"`{' '.join(args)}` failed with exit code {proc.returncode}:\n"
            f"{err.decode(errors='replace')[-3000:]}"
        )
    return Timed(args, seconds, _children_cpu() - cpu, *peaks, out.decode(errors="replace"))


def warta(data_dir: Path, *args: str, memory: bool = False) -> Timed:
    """Run ``warta --data-dir DATA_DIR ARGS`` quietly as a fresh process."""
    return run_timed([*warta_command(), "-q", "--data-dir", str(data_dir), *args], memory)


def index_stats(data_dir: Path) -> dict:
    """`warta index stats --json` of ``data_dir``."""
    return json.loads(warta(data_dir, "index", "stats", "--json").stdout)


def duplicates_reported(build_output: str) -> int | None:
    """Articles in near-duplicate groups, as `warta index build` reports them (None if not)."""
    found = re.search(r"(\d[\d,]*) in near-duplicate groups", build_output)
    return int(found[1].replace(",", "")) if found else None


def ensure_index(data_dir: Path, sources: list[Path]) -> Path:
    """A data directory holding ``sources`` imported and indexed (built once, then reused)."""
    if not (data_dir / "index").exists():
        print(f"building {data_dir} (warta import, warta index build; once) ...", flush=True)
        warta(data_dir, "import", *map(str, sources))
        warta(data_dir, "index", "build")
    return data_dir


def warm_os_cache(data_dir: Path) -> int:
    """Read every file of the data directory once, so queries meet a warm OS cache."""
    total = 0
    for path in sorted(Path(data_dir).resolve().rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as f:
                while chunk := f.read(1 << 22):
                    total += len(chunk)
    return total


def folder_mb(path: Path) -> float:
    """Size of the files under ``path`` (symlinks followed once), in MB."""
    path = Path(path).resolve()
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20
