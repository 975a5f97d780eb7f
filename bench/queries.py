"""Query sets for user-side benchmarks: distinct, and never shared between measurements.

* keywords: the opening words of article titles, as a reader who remembers a
  headline types it (lower-cased, 2-4 words);
* questions: FacQA's natural-language questions.

``QuerySets`` hands out disjoint slices of each pool, so a query timed as
"first seen" was never sent before in the run.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
import re
from collections.abc import Iterable
from pathlib import Path

_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
# The load mix of bench/load.py: searched over and over, so never timed as first seen.
LOAD_MIX = (
    "pemilu",
    "banjir jakarta",
    "harga beras",
    "presiden jokowi",
    "timnas indonesia",
    "korupsi kpk",
    "gempa bumi",
    '"bank indonesia"',
    "pemilu -jakarta",
    "transportasi online",
    "apa penyebab kebakaran hutan di riau",
    "piala dunia",
    "ekspor batu bara",
    "demam berdarah",
    "harga bbm naik",
    "mudik lebaran",
)
# Warm-up (server.WARM_UP, a part of the load mix) and load-mix queries.
RESERVED = frozenset(LOAD_MIX)


def title_opening(title: str, words: int) -> str | None:
    """The first ``words`` words of ``title``, lower-cased (None if it has fewer)."""
    found = _WORD.findall(title.lower())
    return " ".join(found[:words]) if len(found) >= words else None


def titles_from_jsonl(paths: Iterable[Path]) -> list[str]:
    """Every non-empty title in JSON Lines files (.jsonl or .jsonl.gz)."""
    titles = []
    for path in paths:
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            titles += [t for line in f if (t := json.loads(line).get("title"))]
    return titles


def keyword_pool(titles: list[str], seed: int = 14) -> list[str]:
    """Distinct title openings of 2-4 words, shuffled."""
    rng = random.Random(seed)
    pool, seen = [], set(RESERVED)
    for title in titles:
        query = title_opening(title, rng.choice((2, 3, 3, 4)))
        if query and query not in seen:
            seen.add(query)
            pool.append(query)
    rng.shuffle(pool)
    return pool


def question_pool(path: Path, seed: int = 14) -> list[str]:
    """FacQA's distinct questions, shuffled."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = csv.DictReader(f, delimiter="\t")
        questions = list(dict.fromkeys(row["question"].strip() for row in rows))
    random.Random(seed).shuffle(questions)
    return [q for q in questions if q and q not in RESERVED]


class QuerySets:
    """Disjoint slices of the keyword and question pools, handed out in order."""

    def __init__(self, keywords: list[str], questions: list[str]):
        self._pools = {"keyword": list(keywords), "question": list(questions)}

    def take(self, kind: str, n: int) -> list[str]:
        """The next ``n`` queries of ``kind`` (fewer if the pool runs out: say so)."""
        pool = self._pools[kind]
        if len(pool) < n:
            raise SystemExit(f"Only {len(pool)} {kind} queries are left, {n} were asked for.")
        taken, self._pools[kind] = pool[:n], pool[n:]
        return taken

    def mixed(self, n: int, seed: int = 14) -> list[tuple[str, str]]:
        """``n`` (kind, query) pairs, half of each kind, shuffled together."""
        pairs = [("keyword", q) for q in self.take("keyword", n - n // 2)]
        pairs += [("question", q) for q in self.take("question", n // 2)]
        random.Random(seed).shuffle(pairs)
        return pairs
