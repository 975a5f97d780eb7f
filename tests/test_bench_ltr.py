"""bench/ltr.py, the learning-to-rank trial: its features on a real index, and its scoring.

The trial did not ship (see docs/BENCHMARKS.md, "Learning to rank"); these
tests keep the script's features and figures honest for whoever reruns it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from index import index_path
from searcher import Searcher

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import ltr  # noqa: E402


@pytest.fixture
def extractor(search_data_dir):
    searcher = Searcher(index_path(search_data_dir), synonyms_file=None)
    yield ltr.Extractor(searcher)
    searcher.close()


def _row(extractor, question: str) -> tuple[list[str], np.ndarray]:
    plan, matches, leaders = extractor.candidates(question, 10)
    ids = [sorted(i)[0] for i in extractor.article_ids(leaders, matches)]
    return ids, extractor.rows(question, plan, matches.loose, leaders)


def test_the_article_holding_the_whole_question_gets_full_marks(extractor):
    ids, x = _row(extractor, "banjir merendam Bekasi")
    f = dict(zip(ltr.FEATURES, x[0], strict=True))
    assert ids[0] == "banjir-bekasi"
    assert (f["rank"], f["score_share"], f["coverage"], f["coverage_idf"]) == (1, 1, 1, 1)
    assert (f["all_coverage"], f["longest_run"], f["missing"]) == (1, 1, 0)  # the title
    # The body reads "Banjir besar merendam ratusan rumah di Bekasi": one pair of two.
    assert f["pairs"] == 0.5
    assert f["asks_number"] == f["asks_date"] == f["loose"] == 0
    assert x.shape == (len(ids), len(ltr.FEATURES))


def test_a_number_question_measures_how_near_a_number_stands(extractor):
    ids, x = _row(extractor, "berapa pasukan dikirim Korea Utara ke Rusia")
    f = dict(zip(ltr.FEATURES, x[ids.index("korut-pasukan")], strict=True))
    assert f["asks_number"] == 1
    # "ribuan" is no number word; the text holds no digit: nothing to measure.
    assert f["answer_closeness"] == 0


@pytest.mark.parametrize(
    ("found", "share"),
    [
        ({"a": [0], "b": [3], "c": [40]}, 2 / 3),  # a and b within 10 words, c far off
        ({"a": [0, 30], "b": [31], "c": [35]}, 1.0),
        ({"a": [5]}, 1 / 3),
        ({}, 0.0),
    ],
)
def test_best_window(found, share):
    assert ltr._window(found, {"a": 1.0, "b": 1.0, "c": 1.0}, 3.0) == pytest.approx(share)


def test_pairs_side_by_side():
    pairs = [("a", "b"), ("b", "c")]
    assert ltr._pairs(pairs, {"a": [4], "b": [6], "c": [20]}) == 0.5
    assert ltr._pairs([], {"a": [4]}) == 0.0


def test_reranked_mrr_against_todays_order(tmp_path):
    path = tmp_path / "set.npz"
    np.savez_compressed(
        path,
        x=np.zeros((5, len(ltr.FEATURES))),
        y=np.array([0, 1, 0, 0, 1], np.int8),
        groups=np.array([3, 2]),
        parts=np.array(["train", "heldout"]),
        times=np.zeros((2, 2)),
    )
    data = ltr.Data(path)
    assert data.mrr([0, 1]) == (pytest.approx((1 / 2 + 1 / 2) / 2), 1.0)
    scores = np.array([0.0, 2.0, 1.0, 0.0, 5.0])  # both answers moved to the top
    assert data.mrr([0, 1], scores) == (1.0, 1.0)
    assert data.mrr([0, 1], scores, k=1) == (1.0, 1.0)
    assert ltr.Data(path, rerank=1).mrr([0, 1]) == (0.0, 0.0)
