"""bench/ranking_grid.py, the train-only tuning: its figures on a real index."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from searcher import RankingFeatures

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import ranking_grid  # noqa: E402


def test_train_scores_are_the_questions_mrr_and_recall(search_data_dir):
    queries = [
        ("banjir merendam Bekasi", {"banjir-bekasi"}, "train"),
        ("ekspor kopi Gayo", {"kopi-gayo"}, "train"),
        ("banjir merendam Bekasi", {"no-such-article"}, "train"),
    ]
    mrr, alone, recall = ranking_grid.train_scores(RankingFeatures(), queries, search_data_dir)
    assert mrr == alone == pytest.approx(2 / 3)  # no copies in this archive
    assert recall == pytest.approx(2 / 3)


def test_a_missing_real_path_index_is_a_sentence(tmp_path):
    with pytest.raises(SystemExit, match="run bench/relevance.py"):
        ranking_grid.train_scores(RankingFeatures(), [], tmp_path)
