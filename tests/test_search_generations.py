"""The searcher follows new generations without pulling one from under a request."""

from __future__ import annotations

from crawler import Article, Store
from index import build_index, index_path, update_index
from searcher import Searcher
from tests.conftest import flood_reports
from tests.test_storage import mapped_kb


def test_replaced_generation_stays_readable_for_requests_in_flight(indexed_data_dir):
    searcher = Searcher(index_path(indexed_data_dir))
    try:
        in_flight = searcher.generations.current  # what a request on another thread holds
        with Store.open(indexed_data_dir) as store:
            store.upsert(Article(id="baru", title="Gempa di Cianjur", body="Gempa kuat."))
            build_index(store, index_path(indexed_data_dir))
        assert searcher.search("gempa").total == 1  # refreshed to the new generation
        assert searcher.generations.current is not in_flight
        fields = in_flight.searcher.stored_fields(0)  # the old one still reads
        assert fields["id"]
    finally:
        searcher.close()


def test_retired_generations_are_closed_after_a_while(indexed_data_dir):
    searcher = Searcher(index_path(indexed_data_dir), retire_after=3600)
    try:
        with Store.open(indexed_data_dir) as store:
            build_index(store, index_path(indexed_data_dir))
            searcher.refresh()
            assert searcher.generations.retired == 1
            oldest = searcher.generations._retired[0][1]
            searcher.generations.retire_after = 0.0
            build_index(store, index_path(indexed_data_dir))
            searcher.refresh()
        assert searcher.generations.retired == 1, "the older generation is closed and dropped"
        assert oldest.searcher.is_closed
    finally:
        searcher.close()
    assert searcher.generations.retired == 0


def test_an_update_refreshes_the_generation_in_place(indexed_data_dir):
    searcher = Searcher(index_path(indexed_data_dir))
    try:
        before = searcher.generation
        with Store.open(indexed_data_dir) as store:
            store.upsert(Article(id="baru", title="Gempa di Cianjur", body="Gempa kuat."))
            update_index(store, index_path(indexed_data_dir))
        assert searcher.search("gempa").total == 1
        assert searcher.generation != before
        assert searcher.generation.split(":")[0] == before.split(":")[0]
        assert searcher.generations.retired == 1, "the previous reader stays open a while"
    finally:
        searcher.close()


def test_a_long_lived_searcher_sees_deletions_and_changes_after_an_update(tmp_path):
    """Whoosh's own refresh() kept an updated segment's old deletions: a deleted
    article went on being found by a running server, and a changed one twice."""
    data = tmp_path / "data"
    articles = flood_reports()
    with Store.open(data) as store:
        store.upsert_many(articles)
        build_index(store, index_path(data))
    searcher = Searcher(index_path(data))
    try:
        assert searcher.search("banjir").total == 5
        with Store.open(data) as store:
            store.delete("a1")
            store.upsert(Article(id="a2", title="Warga Padang", body="Kini kemarau panjang."))
            update_index(store, index_path(data))
        found = searcher.search("banjir")
        fresh = Searcher(index_path(data))
        try:
            expected = fresh.search("banjir")
        finally:
            fresh.close()
        assert sorted(h.id for h in found.hits) == sorted(h.id for h in expected.hits)
        assert sorted(h.id for h in found.hits) == ["a0", "a3", "a4"]
        assert [h.id for h in searcher.search("kemarau").hits] == ["a2"]
    finally:
        searcher.close()


def test_similar_articles_are_remembered_until_the_index_changes(indexed_data_dir):
    searcher = Searcher(index_path(indexed_data_dir))
    try:
        first = searcher.similar("000_141db1f0c8dcb74e")
        assert first, "the seeds 000 and 002 are near-duplicates"
        assert searcher.similar("000_141db1f0c8dcb74e") is first
        with Store.open(indexed_data_dir) as store:
            build_index(store, index_path(indexed_data_dir))
        again = searcher.similar("000_141db1f0c8dcb74e")
        assert again is not first
        assert [h.id for h in again] == [h.id for h in first]
    finally:
        searcher.close()


def test_a_search_past_the_budget_releases_the_open_generations_mapped_pages(
    indexed_data_dir,
):
    searcher = Searcher(index_path(indexed_data_dir))
    try:
        generations = searcher.generations
        generations.release_bytes = 2**40  # never reached
        with Store.open(indexed_data_dir) as store:
            build_index(store, index_path(indexed_data_dir))  # released: the new generation
        searcher.refresh()
        target = index_path(indexed_data_dir).resolve()
        searcher.search("banjir")
        searcher.search("pemilu")
        assert mapped_kb(target) > 0, "searches mapped pages of the segments"
        generations.release_bytes = 0  # any page mapped since the last release is too many
        searcher.search("bekasi")
        assert mapped_kb(target) == 0, "past the budget: released"
        generations.release_bytes = None
        assert [h.id for h in searcher.search("banjir bekasi").hits][0] == "bekasi-banjir"
        assert mapped_kb(target) > 0, "no budget: kept"
    finally:
        searcher.close()
