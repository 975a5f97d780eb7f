"""Tune the ranking on FacQA's ``train`` questions only, in-process, over the real path's data.

Searches the data directory ``bench/relevance.py`` imported and built through
the real path (``bench/out/relevance/facqa-real-path``: run ``bench/relevance.py
--sets facqa --real-path only`` once first) with ``Searcher.search``, and
prints MRR@10 (copies counted, then hits alone) and R@10 of the 2,495 train
questions for each setting: the held-out questions are never searched here.
The reported figures come from ``bench/relevance.py`` through HTTP.

    .venv/bin/python bench/ranking_grid.py bm25 --k1 0.6,1.2 --b 0.75,0.9
    .venv/bin/python bench/ranking_grid.py features   # coord, exact, phrase, answer weights
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from relevance import OUT, facqa, ranked_ids, scored

import searcher.ranking as ranking
from searcher import RankingFeatures, Searcher

K = 10
FEATURE_GRID = {
    "coord_bonus": (0.25, 0.5, 1.0, 2.0),
    "exact_boost": (0.0, 0.25, 0.5, 1.0),
    "phrase_boost": (0.5, 1.0, 2.0),
    "answer_boost": (2.0, 3.0, 5.0),
}


def train_scores(
    features: RankingFeatures, queries, data: Path = OUT / "facqa-real-path"
) -> tuple[float, float, float]:
    """MRR@10 with copies counted, MRR@10 of the hits alone, and R@10 of ``queries``
    searched in the data directory ``data``."""
    if not (data / "index").exists():
        sys.exit(f"No index at {data}: run bench/relevance.py --sets facqa --real-path only first.")
    ranked = ranked_ids(Searcher(data / "index", features=features), queries)
    copies, alone = scored(queries, ranked), scored(queries, ranked, copies=False)
    return copies["mrr@10"], alone["mrr@10"], copies["recall@10"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("grid", choices=("bm25", "features"))
    parser.add_argument("--k1", default="0.6,0.9,1.2,1.6", help="K1 values (bm25 grid).")
    parser.add_argument("--b", default="0.5,0.75,0.9,1.0", help="B values (bm25 grid).")
    args = parser.parse_args()
    _, queries = facqa()
    train = [q for q in queries if q[2] == "train"]
    base = RankingFeatures()
    if args.grid == "bm25":
        for k1 in map(float, args.k1.split(",")):
            for b in map(float, args.b.split(",")):
                ranking.K1, ranking.B = k1, b  # read when each term's scores are computed
                print(f"K1 {k1} B {b}", _shown(train_scores(base, train)), flush=True)
        return
    for name, values in FEATURE_GRID.items():
        for value in values:
            print(f"{name} {value}", _shown(train_scores(replace(base, **{name: value}), train)))


def _shown(scores: tuple[float, float, float]) -> str:
    return "MRR@10 {:.4f}  hits alone {:.4f}  R@10 {:.4f}".format(*scores)


if __name__ == "__main__":
    main()
