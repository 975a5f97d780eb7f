"""The searcher follows new generations without pulling one from under a request."""

from __future__ import annotations

from crawler.article import Article
from crawler.store import Store
from index import build_index, index_path
from searcher import Searcher
from searcher import search as search_module


def test_replaced_generation_stays_readable_for_requests_in_flight(indexed_data_dir):
    searcher = Searcher(index_path(indexed_data_dir))
    try:
        in_flight = searcher._state  # what a request on another thread holds
        with Store.open(indexed_data_dir) as store:
            store.upsert(Article(id="baru", title="Gempa di Cianjur", body="Gempa kuat."))
            build_index(store, index_path(indexed_data_dir))
        assert searcher.search("gempa").total == 1  # refreshed to the new generation
        assert searcher._state is not in_flight
        fields = in_flight.searcher.stored_fields(0)  # the old one still reads
        assert fields["id"]
    finally:
        searcher.close()


def test_retired_generations_are_closed_after_a_while(indexed_data_dir, monkeypatch):
    searcher = Searcher(index_path(indexed_data_dir))
    try:
        with Store.open(indexed_data_dir) as store:
            build_index(store, index_path(indexed_data_dir))
            searcher.refresh()
            assert len(searcher._retired) == 1
            monkeypatch.setattr(search_module, "RETIRE_AFTER_SECONDS", 0.0)
            build_index(store, index_path(indexed_data_dir))
            searcher.refresh()
        assert len(searcher._retired) == 1, "the older generation is closed and dropped"
    finally:
        searcher.close()
    assert searcher._retired == []
