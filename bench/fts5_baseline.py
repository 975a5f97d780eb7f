"""The lean index baseline: SQLite FTS5 fed Indonesian analysis, in one process.

    .venv/bin/python bench/fts5_baseline.py [--db PATH] FILE.jsonl.gz ...

One compiled regex to tokenise, lower-case, Sastrawi's stopwords dropped, a
dict cache of PySastrawi stems, the joined tokens inserted into FTS5. Run
twice in one process and printed as one JSON line: ``cold_s`` (read, analysis
with an empty stem cache, insert), ``warm_s`` (the same with the stem cache
filled: a rebuild that never stems a known word twice) and ``insert_s`` (the
FTS5 insert alone, the faster of the two); also the CPU seconds of each
pass (``cold_cpu_s``, ``warm_cpu_s``), which a busy machine disturbs less.

The method is the project's shared reference baseline,
``shared/bench/fts5_baseline.py`` (written for issue 14), copied here
unchanged but for layout, ``--db`` and the CPU seconds (the shared script writes a fixed file
in the temporary folder, which two runs at once would share).

``--patterns-once`` gives the baseline Warta's own speed-up of PySastrawi
(``index/sastrawi_patterns.py``: its regular expressions compiled once; the
same stems), so Warta's build is also compared with a baseline that stems as
fast as it does.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from Sastrawi.Stemmer.StemmerFactory import StemmerFactory
from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

STEMMER = StemmerFactory().create_stemmer(True)
STOPWORDS = frozenset(StopWordRemoverFactory().get_stop_words())
TOKEN = re.compile(r"\w+(?:-\w+)*")


class Analyzer:
    """Tokenise, lower-case, drop stopwords, stem through a dict cache."""

    def __init__(self):
        self.cache: dict[str, str] = {}

    def stem(self, word: str) -> str:
        stem = self.cache.get(word)
        if stem is None:
            stem = self.cache[word] = STEMMER.stem(word) or word
        return stem

    def __call__(self, text: str) -> str:
        return " ".join(self.stem(w) for w in TOKEN.findall(text.lower()) if w not in STOPWORDS)


def read(paths: list[str]) -> list[tuple[str, str, str]]:
    docs = []
    for path in paths:
        with gzip.open(path, "rt") if path.endswith(".gz") else open(path) as f:
            for line in f:
                d = json.loads(line)
                docs.append((d["id"], d.get("title") or "", d["body"]))
    return docs


def run(paths: list[str], db_path: str, analyze: Analyzer) -> tuple[int, float, float, float]:
    """Read, analyse and insert once: (documents, seconds, insert seconds, CPU seconds)."""
    cpu = time.process_time()
    t0 = time.perf_counter()
    docs = read(paths)
    rows = [(i, analyze(t), analyze(b)) for i, t, b in docs]
    t1 = time.perf_counter()
    if os.path.exists(db_path):
        os.remove(db_path)
    db = sqlite3.connect(db_path)
    db.execute("create virtual table f using fts5(id UNINDEXED, title, body)")
    db.executemany("insert into f values (?,?,?)", rows)
    db.commit()
    db.close()
    t2 = time.perf_counter()
    return len(docs), t2 - t0, t2 - t1, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", help="JSON Lines files (.jsonl or .jsonl.gz).")
    default_db = os.path.join(tempfile.gettempdir(), f"fts5-baseline-{os.getpid()}.db")
    parser.add_argument("--db", default=default_db, help="The FTS5 database to (re)write.")
    parser.add_argument(
        "--patterns-once", action="store_true", help="Stem with Warta's faster PySastrawi."
    )
    args = parser.parse_args()
    if args.patterns_once:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from index.sastrawi_patterns import SastrawiPatterns, install

        install(SastrawiPatterns())
    analyze = Analyzer()
    n, cold, insert_cold, cold_cpu = run(args.files, args.db, analyze)
    n, warm, insert_warm, warm_cpu = run(args.files, args.db, analyze)
    if args.db == default_db:
        os.remove(args.db)
    result = {"docs": n, "cold_s": cold, "warm_s": warm, "insert_s": min(insert_cold, insert_warm)}
    print(json.dumps(result | {"cold_cpu_s": cold_cpu, "warm_cpu_s": warm_cpu}))


if __name__ == "__main__":
    main()
