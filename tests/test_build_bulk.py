"""A large rebuild's bounded-memory paths make the same index as the small-archive paths.

A cold rebuild of more than ``build.FEW_SIGNATURES`` articles signs them in bulk
(each process half the store by id, its sketches written as a stories chunk);
a large archive's day of stories is compared a few rows at a time; an outlet's
templates come from its latest sample alone. Each is forced here on a small
archive and compared with the other path.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import index.build
import index.stories
from crawler.store import Store
from index import build_index, index_path, update_index
from index.dedup import DuplicateGroups
from index.stories import Stories, _templates
from tests.test_index import contents
from tests.test_stories import ARTICLES, LATE_REPORT, PERIKSA, REPOST, TAHAN

# Outlets on both sides of the middle id, so the second half numbers them differently.
MANY = [*ARTICLES, LATE_REPORT, PERIKSA, REPOST, TAHAN]


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "data") as store:
        store.upsert_many(MANY)
        yield store


def everything(link: Path) -> dict:
    """Groups, stories, sketches, frequencies, templates and the documents of an index."""
    gen_dir = link.resolve()
    groups = DuplicateGroups.load(gen_dir)
    stories = Stories.load(gen_dir)
    sketches = {
        i: (s.day, s.moment, s.source, s.shingles.tolist(), s.terms.tolist(), s.counts.tolist())
        for i, s in stories.sketches.items()
    }
    vocab, df = stories.sketches.document_frequencies()
    sources = {sketch[2] for sketch in sketches.values()}
    return {
        "groups": groups.groups,
        "signed": groups.ids,
        "matrix": groups.matrix.tolist(),
        "stories": stories.story,
        "sketches": sketches,
        "df": (vocab.tolist(), df.tolist()),
        "templates": {source: stories.templates(source).tolist() for source in sources},
        "documents": contents(link),
    }


def chunks(link: Path) -> int:
    return len(list(link.resolve().glob("stories-*.bin")))


def test_a_cold_rebuild_in_bulk_indexes_as_one_article_at_a_time(store, tmp_path, monkeypatch):
    one_by_one = index_path(tmp_path / "one")
    build_index(store, one_by_one)
    monkeypatch.setattr(index.build, "FEW_SIGNATURES", 0)
    bulk = index_path(tmp_path / "bulk")
    build_index(store, bulk)

    assert chunks(one_by_one) == 1 and chunks(bulk) == 2  # one chunk from each process
    expected = everything(one_by_one)
    assert everything(bulk) == expected
    assert expected["groups"]["tribun-banjir"] == "kompas-banjir"
    assert expected["stories"]["detik-banjir"] == "kompas-banjir"

    # An update of the bulk index places articles as one of the other does.
    late = dataclasses.replace(
        LATE_REPORT, id="antara-banjir-2", url="https://contoh.test/antara-banjir-2"
    )
    store.upsert_many([late])
    update_index(store, one_by_one)
    update_index(store, bulk)
    assert everything(bulk) == everything(one_by_one)


def test_a_day_compared_a_few_rows_at_a_time_makes_the_same_stories(store, tmp_path, monkeypatch):
    at_once = index_path(tmp_path / "at-once")
    build_index(store, at_once)
    monkeypatch.setattr(index.stories, "MAX_COSINES", 1)  # one row of a day at a time
    monkeypatch.setattr(index.stories, "PREPARE_ROWS", 2)
    in_rows = index_path(tmp_path / "in-rows")
    build_index(store, in_rows)
    assert everything(in_rows) == everything(at_once)


def test_an_outlets_templates_come_from_its_latest_sample(store, tmp_path, monkeypatch):
    link = index_path(tmp_path / "data")
    build_index(store, link)
    stories = Stories.load(link.resolve())
    recipe = stories.sketches["resep-opor"]
    # Added (unsaved) sketches on days already taken: ties keep the saved ones first.
    stories.add_sketches({"resep-baru": dataclasses.replace(recipe, day=recipe.day - 7)})
    stories.add_sketches({"resep-lagi": dataclasses.replace(recipe, day=recipe.day - 28)})
    stories.forget(["resep-soto"])
    monkeypatch.setattr(index.stories, "TEMPLATE_SAMPLE", 6)

    everyone = [s for s in stories.sketches.of_source("Dapurku") if s.day is not None]
    latest = sorted(everyone, key=lambda s: s.day)[-6:]  # of two on the first day, the added
    found = stories.sketches.latest_of_source("Dapurku", 6)
    assert [(s.day, s.shingles.tolist()) for s in found] == [
        (s.day, s.shingles.tolist()) for s in latest
    ]
    assert len(everyone) == 7 and found[0].shingles is latest[0].shingles
    templates = stories.templates("Dapurku")
    assert len(templates) and np.array_equal(templates, _templates(latest)["Dapurku"])
