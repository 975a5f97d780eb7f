"""In-process search latency, warm and repeated: Warta beside SQLite FTS5, then at 10x.

The user-side figures (first-seen queries through `warta serve` and
`warta search`) come from ``bench_search.py``; this is their breakdown.

Workloads (warm: each query runs once untimed, then once timed):

* keyword: 2-3 consecutive content words from article titles (250 queries);
* question: facqa natural-language questions (250 queries).

Warta's time is a whole ``Searcher.search``: parsing, matching, BM25F
ranking, total, facets, collapse, suggestion and snippets for the 10 hits.
The baseline is an FTS5 table of the same analysed (stemmed) words, queried
with AND for keywords and OR for questions, ranked by ``bm25()`` with the
title weighted 2, returning 10 hits with ``snippet()`` plus the total.

    .venv/bin/python bench/search_breakdown.py [--no-big] [--big copies|rebuilt] [--queries N]
    .venv/bin/python bench/search_breakdown.py --first-seen [--queries N] [--data DIR --titles DIR]

``--first-seen`` instead times queries the searcher has never met (title
openings and FacQA questions from ``queries.py``, after the slices
``bench_search.py`` uses), each once, and splits each query's CPU time into
the pipeline's stages (process time, each stage without the stages it
calls): where a first-seen query's time goes. ``--data`` takes another indexed
data directory (a scale archive's ``bench/out/scale-10x/data``) and
``--titles`` the folder of JSON Lines files its keyword queries come from
(``scale-10x/source``); each kind's report then adds the worker's private
memory after the queries, split into its own (anonymous) pages and the
index pages it maps.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import re
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from archive import OUT, copied_index_dir, news_data_dir, repeated_data_dir  # noqa: E402
from harness import FACQA, news_files  # noqa: E402
from queries import LOAD_MIX, QuerySets, keyword_pool, question_pool, titles_from_jsonl  # noqa: E402
from relevance import facqa  # noqa: E402

from crawler.store import Store  # noqa: E402
from index import index_path, open_index  # noqa: E402
from searcher import Searcher  # noqa: E402
from searcher.stopwords import load_stopwords as _stopwords  # noqa: E402

_WORD = re.compile(r"^[a-z]{4,}$")


def keyword_queries(data_dir: Path, n: int) -> list[str]:
    """2-3 consecutive content words from random article titles."""
    stop = _stopwords()
    rng = random.Random(7)
    with Store.open(data_dir) as store:
        titles = [a.title for a, _ in store.iter_articles() if a.title]
    queries: list[str] = []
    while len(queries) < n:
        words = [w for w in titles[rng.randrange(len(titles))].lower().split()]
        words = [w for w in words if _WORD.match(w) and w not in stop]
        size = rng.choice((2, 3))
        if len(words) >= size:
            start = rng.randrange(len(words) - size + 1)
            queries.append(" ".join(words[start : start + size]))
    return queries


def question_queries(n: int) -> list[str]:
    _, queries = facqa()
    return [q for q, *_ in random.Random(8).sample(queries, n)]


def percentiles(samples: list[float]) -> dict:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(round(0.95 * len(samples))) - 1)]
    return {"p50": round(statistics.median(samples), 2), "p95": round(p95, 2), "n": len(samples)}


def time_warta(searcher: Searcher, queries: list[str]) -> dict:
    for q in queries:
        searcher.search(q)
    samples = []
    for q in queries:
        started = time.perf_counter()
        searcher.search(q)
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


# -- the FTS5 baseline ---------------------------------------------------------------


class Fts5:
    """The same articles, analysed by the index's stemming analyzer, in SQLite FTS5."""

    def __init__(self, data_dir: Path):
        self.path = OUT / "fts5.sqlite"
        self.analyzer = open_index(index_path(data_dir)).schema["body"].analyzer
        self.stop = _stopwords()
        fresh = not self.path.exists()
        self.db = sqlite3.connect(self.path)
        if fresh:
            self._build(data_dir)

    def words(self, text: str) -> list[str]:
        return [t.text for t in self.analyzer(text, mode="query")]

    def _build(self, data_dir: Path) -> None:
        started = time.perf_counter()
        self.db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, "
            "tokenize=\"unicode61 tokenchars '-.,'\")"
        )
        with Store.open(data_dir) as store, self.db:
            self.db.executemany(
                "INSERT INTO docs VALUES (?, ?, ?)",
                (
                    (a.id, " ".join(self.words(a.title)), " ".join(self.words(a.body)))
                    for a, _ in store.iter_articles()
                ),
            )
        print(f"built the FTS5 baseline in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    def search(self, query: str, joiner: str) -> tuple[int, list]:
        words = self.words(query)
        words = [w for w in words if w not in self.stop] or words
        if not words:
            return 0, []
        match = f" {joiner} ".join('"' + w.replace('"', "") + '"' for w in words)
        total = self.db.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (match,))
        rows = self.db.execute(
            "SELECT id, title, snippet(docs, 2, '<mark>', '</mark>', '…', 32) FROM docs "
            "WHERE docs MATCH ? ORDER BY bm25(docs, 0.0, 2.0, 1.0) LIMIT 10",
            (match,),
        )
        return total.fetchone()[0], rows.fetchall()

    def time(self, queries: list[str], joiner: str) -> dict:
        for q in queries:
            self.search(q, joiner)
        samples = []
        for q in queries:
            started = time.perf_counter()
            self.search(q, joiner)
            samples.append((time.perf_counter() - started) * 1000)
        return percentiles(samples)


# -- first-seen queries, stage by stage -------------------------------------------

# (object path on the pipeline, method, stage); a stage's time excludes the stages it calls.
STAGES = (
    ("compiler", "compile", "compile (query analysis)"),
    ("docsets", "of", "match (postings → bitsets)"),
    ("docsets", "collapsed_count", "collapse count"),
    ("ranker", "top", "rank (BM25F)"),
    ("ranker", "with_proximity", "proximity re-rank (positions)"),
    ("", "_answers_first", "answer re-rank"),
    ("suggester", "suggest", "suggestion"),
    ("docsets", "counts", "facets"),
    ("docsets", "timeline", "timeline"),
    ("snippets", "of_body", "snippets"),
    ("", "_hit", "hits (stored fields, stories)"),
    ("", "search", "the rest"),
)
# bench_search.py takes the first 2 × 200 + 2 × 50 of each pool: start after them.
FIRST_SEEN_SKIP = 600


class StageClock:
    """CPU seconds per stage, each stage's own (what it calls is counted in its own stage)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._inner: list[float] = []

    def wrap(self, owner, method: str, stage: str) -> None:
        timed = getattr(owner, method)

        @functools.wraps(timed)
        def run(*args, **kwargs):
            started = time.process_time()
            self._inner.append(0.0)
            try:
                return timed(*args, **kwargs)
            finally:
                inner, took = self._inner.pop(), time.process_time() - started
                self.seconds[stage] = self.seconds.get(stage, 0.0) + took - inner
                if self._inner:
                    self._inner[-1] += took

        setattr(owner, method, run)


def private_mb(pid: int | str = "self") -> dict[str, float]:
    """A process's private memory (USS) in MB: its own pages, and mapped index segments."""
    found = {"anonymous": 0.0, "segments": 0.0, "other files": 0.0}
    kind = "anonymous"
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head, *rest = line.split()
            if not head.endswith(":") or "-" in head:  # a mapping's first line
                name = rest[4] if len(rest) > 4 else ""
                kind = "other files" if name[:1] == "/" else "anonymous"
                kind = "segments" if ".seg" in name else kind
            elif head in ("Private_Clean:", "Private_Dirty:"):
                found[kind] += int(rest[0]) / 1024
    return {k: round(v, 1) for k, v in found.items()}


def first_seen_breakdown(data_dir: Path, kind: str, queries: list[str]) -> dict:
    """CPU milliseconds a query, by stage, over ``queries`` never searched before."""
    opening = time.process_time()
    searcher = Searcher(index_path(data_dir))
    open_ms = round((time.process_time() - opening) * 1000)
    opened = private_mb()
    for q in LOAD_MIX:  # opened and warmed on other queries
        searcher.search(q)
    pipeline, clock = searcher.generations.current, StageClock()
    for path, method, stage in STAGES:
        clock.wrap(getattr(pipeline, path) if path else pipeline, method, stage)
    started = time.process_time()
    samples = []
    for q in queries:
        began = time.process_time()
        searcher.search(q)
        samples.append((time.process_time() - began) * 1000)
    total = (time.process_time() - started) * 1000 / len(queries)
    after = private_mb()
    searcher.close()
    stages = sorted(clock.seconds.items(), key=lambda kv: -kv[1])
    return {
        "kind": kind,
        "cpu_ms_per_query": round(total, 2),
        "cpu_ms": percentiles(samples),
        "stages_ms": {name: round(s * 1000 / len(queries), 2) for name, s in stages},
        "open_cpu_ms": open_ms,
        "private_mb_opened": opened,
        "private_mb_after": after,
    }


def print_breakdown(found: dict) -> None:
    total = found["cpu_ms_per_query"]
    print(f"{found['kind']}: CPU {total} ms a first-seen query ({found['cpu_ms']})")
    for name, ms in found["stages_ms"].items():
        print(f"  {name:34s} {ms:6.2f} ms {100 * ms / total:4.0f} %")
    print(f"  opening the searcher: {found['open_cpu_ms']} ms CPU")
    print(f"  private MB opened {found['private_mb_opened']}, after {found['private_mb_after']}")


def first_seen_main(n: int, data_dir: Path | None, titles: Path | None) -> None:
    files = sorted(titles.glob("*.jsonl.gz"))[:2] if titles else news_files()
    sets = QuerySets(keyword_pool(titles_from_jsonl(files)), question_pool(FACQA))
    data_dir = data_dir or news_data_dir()
    report = {}
    for kind in ("keyword", "question"):
        sets.take(kind, FIRST_SEEN_SKIP)
        report[kind] = first_seen_breakdown(data_dir, kind, sets.take(kind, n))
        print_breakdown(report[kind])
    OUT.mkdir(parents=True, exist_ok=True)
    name = "search-breakdown-first-seen" + (f"-{data_dir.parent.name}" if titles else "")
    (OUT / f"{name}.json").write_text(json.dumps(report, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=250, help="Queries per workload.")
    parser.add_argument("--no-big", action="store_true", help="Skip the 10x archive.")
    parser.add_argument(
        "--first-seen", action="store_true", help="CPU per stage of first-seen queries."
    )
    parser.add_argument(
        "--big",
        choices=("copies", "rebuilt"),
        default="copies",
        help="10x archive: the 25k index's segment ten times (seconds), or a real build "
        "of the corpus under new ids (over an hour).",
    )
    parser.add_argument("--data", type=Path, help="--first-seen: another indexed data dir.")
    parser.add_argument(
        "--titles", type=Path, help="--first-seen: folder of JSON Lines for keyword queries."
    )
    args = parser.parse_args()
    if args.first_seen:
        first_seen_main(args.queries, args.data, args.titles)
        return
    data_dir = news_data_dir()
    keywords = keyword_queries(data_dir, args.queries)
    questions = question_queries(args.queries)
    report = {}
    searcher = Searcher(index_path(data_dir))
    fts = Fts5(data_dir)
    report["documents"] = searcher.doc_count
    report["warta keyword"] = time_warta(searcher, keywords)
    report["fts5 keyword"] = fts.time(keywords, "AND")
    report["warta question"] = time_warta(searcher, questions)
    report["fts5 question"] = fts.time(questions, "OR")
    searcher.close()
    for name, value in report.items():
        print(f"{name:24s} {value}", flush=True)
    if not args.no_big:
        if args.big == "copies":
            big = Searcher(copied_index_dir(10), synonyms_file=None)
        else:
            big = Searcher(index_path(repeated_data_dir(10)))
        report["10x documents"] = big.doc_count
        report["warta keyword 10x"] = time_warta(big, keywords)
        big.close()
        for name in ("10x documents", "warta keyword 10x"):
            print(f"{name:24s} {report[name]}", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "search-breakdown.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
