"""In-process index breakdown: Warta's rebuild and update against an SQLite FTS5 baseline.

    .venv/bin/python bench/index_breakdown.py [--runs 3] [--news ../shared/data/news]

Imports the news archive into a temporary store (all but the last 250
articles, outside the timing), then per run measures, each in a fresh process,
from the store to a committed, searchable index:

- baseline: SQLite FTS5 fed the same analysis (tokenizer, protected words,
  Sastrawi with a per-token dict cache; stopwords kept, as in the index) in
  one process; and the same without stemming;
- Warta cold rebuild (no stem cache, no earlier index), warm rebuild with the
  stem cache only (signatures recomputed), and warm rebuild (stem cache and
  the signatures of unchanged articles reused, as any rebuild after the first;
  both with the fingerprint removed, so every segment is written), a warm
  rebuild with nothing changed (the segments linked, ``index/fingerprints.py``);
- Warta update after importing the 250 held-back articles (then deleted again
  for the next run).

Peak memory is the largest resident set of the process plus that of its
largest child (the rebuild's forked worker). Medians are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.article import Article  # noqa: E402
from crawler.importer import find_files, read_path  # noqa: E402
from crawler.store import Store  # noqa: E402
from index import build_index, index_path, index_stats, split_words, update_index  # noqa: E402
from index.analysis import Stemmer  # noqa: E402
from index.dedup import DUPS_FILE  # noqa: E402
from index.fingerprints import FINGERPRINT_FILE  # noqa: E402
from index.stems import stem_cache_path  # noqa: E402

DEFAULT_NEWS = ROOT.parent / "shared" / "data" / "news"
HELD_BACK = 250


# -- measurements, each run in a child process ---------------------------------


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + child) / 1024


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + child.ru_utime + child.ru_stime


def _fts_text(text: str, stemmer: Stemmer | None) -> str:
    words = split_words(text)
    if stemmer is None:
        return " ".join(w for w, _, _, _ in words)
    return " ".join(stemmer.stem(w) for w, *_ in words)


def baseline(data_dir: Path, stemmed: bool) -> dict:
    """SQLite FTS5 over the analysed title and body, in one process."""
    path = data_dir / "baseline-fts5.sqlite"
    path.unlink(missing_ok=True)
    stemmer = Stemmer() if stemmed else None
    started, cpu = time.perf_counter(), _cpu_seconds()
    db = sqlite3.connect(path)
    db.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, "
        "tokenize=\"unicode61 tokenchars '-.,@:/'\")"
    )
    with Store.open(data_dir) as store, db:
        rows = (
            (a.id, _fts_text(a.title, stemmer), _fts_text(a.body, stemmer))
            for a, _ in store.iter_articles()
        )
        db.executemany("INSERT INTO docs VALUES (?, ?, ?)", rows)
    count = db.execute("SELECT count(*) FROM docs WHERE docs MATCH 'banjir'").fetchone()[0]
    db.close()
    return {
        "seconds": time.perf_counter() - started,
        "cpu": _cpu_seconds() - cpu,
        "peak_mb": _peak_mb(),
        "hits": count,
    }


def warta(data_dir: Path, mode: str) -> dict:
    """A Warta rebuild or update."""
    with Store.open(data_dir) as store:
        started, cpu = time.perf_counter(), _cpu_seconds()
        if mode == "update":
            report = update_index(store, index_path(data_dir))
        else:
            report = build_index(store, index_path(data_dir))
        seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        stats = index_stats(store, index_path(data_dir))
    return {
        "seconds": seconds,
        "cpu": cpu,
        "peak_mb": _peak_mb(),
        "indexed": report.indexed,
        "duplicates": report.duplicates,
        "new_stems": report.new_stems,
        "segments": stats["segments"],
        "size_mb": stats["size_bytes"] / 2**20,
    }


def child(mode: str, data_dir: Path) -> dict:
    if mode == "baseline":
        return baseline(data_dir, stemmed=True)
    if mode == "baseline-plain":
        return baseline(data_dir, stemmed=False)
    return warta(data_dir, mode)


def measure(mode: str, data_dir: Path) -> dict:
    """Run one measurement in a fresh interpreter (no warm in-memory caches)."""
    load = os.getloadavg()[0]
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(data_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["load"] = load
    print(
        f"  {mode:15} {result['seconds']:7.1f} s  cpu {result['cpu']:7.1f} s  "
        f"{result['peak_mb']:6.0f} MB  load before {load:.1f}",
        flush=True,
    )
    return result


# -- the run -------------------------------------------------------------------


def read_news(news: Path) -> list[Article]:
    if not news.is_dir():
        sys.exit(f"No news archive at {news}: pass --news DIR (the *.jsonl.gz files).")
    return [a for path in find_files([news]) for a in read_path(path) if isinstance(a, Article)]


def one_run(data_dir: Path, held_back: list[Article]) -> dict:
    results = {
        "baseline": measure("baseline", data_dir),
        "baseline-plain": measure("baseline-plain", data_dir),
    }
    # Cold: nothing kept from an earlier build (no stem cache, no index whose
    # near-duplicate signatures could be reused).
    stem_cache_path(index_path(data_dir)).unlink(missing_ok=True)
    forget_index(data_dir)
    results["cold"] = measure("cold", data_dir)
    # Warm, signatures recomputed: the stem cache kept, the signatures not. Without
    # the fingerprint every segment is written again, as after any change.
    (index_path(data_dir).resolve() / DUPS_FILE).unlink()
    (index_path(data_dir).resolve() / FINGERPRINT_FILE).unlink()
    results["warm-stems"] = measure("warm", data_dir)
    # Warm: the stem cache and the unchanged articles' signatures kept.
    (index_path(data_dir).resolve() / FINGERPRINT_FILE).unlink()
    results["warm"] = measure("warm", data_dir)
    # Nothing changed: the segments are linked, not written (index/fingerprints.py).
    results["linked"] = measure("warm", data_dir)
    with Store.open(data_dir) as store:
        store.upsert_many(held_back)
    results["update"] = measure("update", data_dir)
    with Store.open(data_dir) as store:
        for article in held_back:
            store.delete(article.id)
    return results


def forget_index(data_dir: Path) -> None:
    """Remove the index and its generations (the stem cache stays)."""
    link = index_path(data_dir)
    shutil.rmtree(link.with_name(link.name + ".d"), ignore_errors=True)
    link.unlink(missing_ok=True)


def median(runs: list[dict], key: str, field: str = "seconds") -> float:
    return statistics.median(run[key][field] for run in runs)


def report(runs: list[dict], articles: int) -> str:
    keys = ("baseline", "baseline-plain", "cold", "warm-stems", "warm", "linked", "update")
    m = {k: median(runs, k) for k in keys}
    peak = max(run[k]["peak_mb"] for run in runs for k in ("cold", "warm"))
    cpu = {
        k: median(runs, k, "cpu") for k in ("baseline-plain", "baseline", "cold", "warm", "linked")
    }
    warm = runs[-1]["warm"]
    loads = [run[k]["load"] for run in runs for k in run]
    lines = [
        f"{articles} articles, {len(runs)} run(s), medians:",
        "",
        "| measure | Warta | baseline (FTS5) | ratio | target |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| cold rebuild (no stem cache) | {m['cold']:.1f} s | {m['baseline']:.1f} s "
        f"| {m['cold'] / m['baseline']:.2f} × | ≤ 1.5 × |",
        f"| warm rebuild (stem cache, signatures of unchanged articles) | {m['warm']:.1f} s "
        f"| {m['baseline-plain']:.1f} s (no stemming) "
        f"| {m['warm'] / m['baseline-plain']:.2f} × | ≤ 3 × |",
        f"| warm rebuild, signatures recomputed (stem cache only) | {m['warm-stems']:.1f} s "
        f"| {m['baseline-plain']:.1f} s (no stemming) "
        f"| {m['warm-stems'] / m['baseline-plain']:.2f} × | |",
        f"| warm rebuild, nothing changed (segments linked) | {m['linked']:.1f} s "
        f"| {m['baseline-plain']:.1f} s (no stemming) "
        f"| {m['linked'] / m['baseline-plain']:.2f} × | |",
        f"| update, {HELD_BACK} new articles | {m['update']:.2f} s "
        f"| warm rebuild {m['warm']:.1f} s "
        f"| {m['update'] / m['warm']:.1%} | ≤ 5 % |",
        f"| peak memory of a rebuild (process + worker) | {peak:.0f} MB | | | ≤ 1536 MB |",
        "",
        "CPU seconds (process tree; robust to a busy machine): "
        f"cold {cpu['cold']:.0f} vs baseline {cpu['baseline']:.0f}, "
        f"warm {cpu['warm']:.0f} vs baseline without stemming {cpu['baseline-plain']:.0f}, "
        f"nothing changed {cpu['linked']:.1f}.",
        f"Load average before the measurements: {min(loads):.1f}-{max(loads):.1f}, "
        f"at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.",
        "",
        f"Index: {warm['segments']} segments, {warm['size_mb']:.0f} MB; "
        f"{warm['duplicates']} articles in near-duplicate groups.",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="Repetitions (medians reported).")
    parser.add_argument("--news", type=Path, default=DEFAULT_NEWS, help="News archive folder.")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]))))
        return 0
    with tempfile.TemporaryDirectory(prefix="warta-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        articles = read_news(args.news)
        with Store.open(data_dir) as store:
            store.upsert_many(articles[:-HELD_BACK])
        runs = []
        for n in range(args.runs):
            print(f"run {n + 1}/{args.runs}", flush=True)
            runs.append(one_run(data_dir, articles[-HELD_BACK:]))
        print()
        print(report(runs, len(articles)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
