"""The numpy ranking and bitsets, checked against plain Python over the same real index."""

from dataclasses import replace
from math import log

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from whoosh import query as whoosh_query

from crawler import Article, Store
from index import build_index, index_path
from searcher import DEFAULT_LIMITS, Searcher
from searcher.cache import Lru
from searcher.docsets import bits_of, mask_of, members
from searcher.pipeline import CacheBounds, QueryPipeline
from searcher.query import parse
from searcher.ranking import K1, B, _best
from searcher.results import SearchRequest


def open_state(data_dir):
    """The query pipeline of one open index generation (scorer, ranker, docsets, compiler)."""
    s = Searcher(index_path(data_dir))
    yield s.generations.current
    s.close()


@pytest.fixture
def state(search_data_dir):
    yield from open_state(search_data_dir)


@pytest.fixture
def seeds_state(indexed_data_dir):
    yield from open_state(indexed_data_dir)


def slow_scores(searcher, fieldname: str, text: str) -> dict[int, float]:
    """BM25 (Lucene idf) of every posting, one Whoosh matcher call at a time."""
    reader = searcher.reader()
    n, df = reader.doc_count_all(), reader.doc_frequency(fieldname, text)
    idf = log(1 + (n - df + 0.5) / (df + 0.5))
    avg = searcher.avg_field_length(fieldname)
    scores = {}
    m = reader.postings(fieldname, text)
    while m.is_active():
        w, length = m.weight(), reader.doc_field_length(m.id(), fieldname)
        scores[m.id()] = idf * (K1 + 1) * w / (w + K1 * (1 - B) + K1 * B * length / avg)
        m.next()
    return scores


@pytest.mark.parametrize(
    ("fieldname", "text"), [("body", "kirim"), ("title", "banjir"), ("body_exact", "korea")]
)
def test_term_scores_are_bm25_of_every_posting(state, fieldname, text):
    expected = slow_scores(state.searcher, fieldname, text)
    found = state.scorer.scores(fieldname, text)
    assert expected, "the term must occur in the test archive"
    assert found.ids.tolist() == sorted(expected)
    assert found.scores.tolist() == pytest.approx([expected[d] for d in sorted(expected)])
    assert found.get(max(expected)) == pytest.approx(expected[max(expected)])
    assert found.get(state.docsets.size + 5) is None
    probe = np.arange(state.docsets.size)
    assert found.at(probe).tolist() == pytest.approx([expected.get(d, 0.0) for d in probe])


def test_a_missing_term_has_no_scores(state):
    assert len(state.scorer.scores("body", "tidakadadiarsip")) == 0


@pytest.mark.parametrize("query", ["korea utara", "banjir bekasi", "kopi", "pasukan rusia korea"])
@pytest.mark.parametrize("coord", [0.0, 0.5])
def test_top_is_the_sum_of_leaf_scores_in_order(state, query, coord):
    plan = state.compiler.compile(parse(query))
    bits = state.docsets.of(plan.matching(loose=True))
    assert bits, query
    leaves_per_clause = []
    for i, clause in enumerate(plan.soft):
        leaves = []
        state.ranker.leaves(clause, 1.0, i, leaves)
        leaves_per_clause.append(leaves)
    expected = {}
    for d in members(bits):
        score, found = 0.0, 0
        for leaves in leaves_per_clause:
            hit = [s.get(d) * w for s, w, _ in leaves if s.get(d) is not None]
            score += sum(hit)
            found += bool(hit)
        n = len(plan.soft)
        if coord and n > 1 and found:
            score *= 1 + coord * (found - 1) / (n - 1)
        expected[d] = score
    ordered = sorted(expected.items(), key=lambda ds: (-ds[1], ds[0]))
    for limit in (1, 2, len(ordered), len(ordered) + 3):
        got = state.ranker.top(plan.soft, bits, limit, coord)
        assert [d for d, _ in got] == [d for d, _ in ordered[:limit]]
        assert [s for _, s in got] == pytest.approx([s for _, s in ordered[:limit]])


def test_best_keeps_the_lowest_documents_among_ties():
    docs = np.array([1, 3, 4, 7, 9, 12])
    values = np.array([0.5, 2.0, 0.5, 0.5, 3.0, 0.5])
    kept, scores = _best(docs, values, 4)
    assert sorted(zip(kept.tolist(), scores.tolist(), strict=True)) == [
        (1, 0.5),
        (3, 2.0),
        (4, 0.5),
        (9, 3.0),
    ]


@given(st.sets(st.integers(0, 700)), st.integers(0, 300))
def test_bitsets_round_trip(docnums, extra):
    size = max(docnums, default=0) + 1 + extra
    bits = bits_of(sorted(docnums), size)
    assert bits == sum(1 << d for d in docnums)
    assert members(bits) == sorted(docnums)
    assert np.flatnonzero(mask_of(bits, size)).tolist() == sorted(docnums)
    assert bits_of(iter(docnums), size) == bits


def test_collapsed_count_counts_each_group_once(seeds_state):
    docsets = seeds_state.docsets
    assert docsets.groups, "the seeds 000 and 002 form a duplicate group"
    live = members(docsets.live)
    keys = {docsets.dup_key(d) or f"alone-{d}" for d in live}
    assert docsets.collapsed_count(docsets.live) == len(keys) < len(live)
    one_of_group = next(iter(docsets.groups.values()))[0]
    assert docsets.collapsed_count(bits_of([one_of_group], docsets.size)) == 1


def test_newest_lists_dated_documents_newest_first_then_undated(seeds_state):
    searcher, docsets = seeds_state.searcher, seeds_state.docsets
    live = members(docsets.live)
    dates = {d: searcher.stored_fields(d).get("published") for d in live}
    dated = sorted((d for d in live if dates[d]), key=lambda d: (dates[d], d), reverse=True)
    undated = sorted(d for d in live if not dates[d])
    assert len(dated) >= 2 and undated
    for limit in (1, 3, len(live)):
        got = [d for d, _ in docsets.newest(docsets.live, limit)]
        assert got == (dated + undated)[:limit]


# -- snippets scan the start of an article, further when a word is missing -----------


@pytest.fixture
def long_searcher(data_dir):
    # Different fillers: the two articles must not be near-duplicates of each other.
    watch = " ".join(f"Warga memantau pos {n} di lapangan." for n in range(60))
    market = " ".join(f"Harga cabai di pasar {n} naik lagi." for n in range(60))
    articles = [
        Article(id="late", title="Laporan", body=f"Banjir melanda. {watch} Bekasi terendam."),
        Article(id="early", title="Laporan", body=f"Banjir di Bekasi pagi ini. {market}"),
    ]
    with Store.open(data_dir) as store:
        store.upsert_many(articles)
        build_index(store, index_path(data_dir))
    s = Searcher(index_path(data_dir), synonyms_file=None)
    yield s
    s.close()


def snippet_of(result, article_id):
    return next(h.snippet for h in result.hits if h.id == article_id)


def test_a_word_far_into_the_article_still_shows_in_the_snippet(long_searcher):
    late = snippet_of(long_searcher.search("banjir bekasi"), "late")
    assert "<mark>Banjir</mark>" in late and "<mark>Bekasi</mark>" in late


def test_a_snippet_of_words_found_early_comes_from_the_start(long_searcher):
    early = snippet_of(long_searcher.search("banjir bekasi"), "early")
    assert early.startswith("<mark>Banjir</mark> di <mark>Bekasi</mark>")
    assert early.count("<mark>") == 2


# -- caches: bounded in bytes, and results do not depend on what they hold ----------


def test_an_lru_past_its_bound_drops_the_least_recently_used():
    cache = Lru(10, weight=len)
    for key in ("a", "b", "c"):
        assert cache.get(key, lambda k=key: k * 4) == key * 4
    # a (4) + b (4) + c (4) = 12 > 10: a went first
    assert (len(cache), cache.total, cache.evicted) == (2, 8, 1)
    assert cache.get("b", lambda: "changed") == "bbbb"  # kept, and now the most recent
    cache.get("d", lambda: "dd")
    cache.get("e", lambda: "eeee")  # c goes: b was used more recently
    assert cache.get("b", lambda: "changed") == "bbbb"
    assert cache.get("c", lambda: "new") == "new"


def test_an_lru_does_not_keep_a_value_larger_than_its_bound():
    cache = Lru(10, weight=len)
    cache.get("small", lambda: "abc")
    assert cache.get("big", lambda: "x" * 11) == "x" * 11
    assert (len(cache), cache.total, cache.evicted) == (1, 3, 0)


TINY = CacheBounds(term_bytes=700, docset_bytes=600, article_id_bytes=300)
QUERIES = ["korea utara", "kirim pasukan", '"korea selatan"', "banjir", "rudal -korut", "pasukan"]


def page(pipeline, query):
    result = pipeline.search(SearchRequest(query, 1, 10, None, None, None, "relevance"))
    hits = [(h.id, h.score, h.snippet, h.duplicates) for h in result.hits]
    return result.total, hits, result.facets, result.suggestion


def test_results_stay_the_same_when_tiny_caches_evict(state):
    tiny = QueryPipeline(
        state.searcher, state.compiler.synonyms, state.compiler.stopwords, state.features, TINY
    )
    expected = [page(state, q) for q in QUERIES]
    for _ in range(2):  # the second round meets evicted terms again
        assert [page(tiny, q) for q in QUERIES] == expected
    assert tiny.scorer._cache.evicted > 0 and tiny.docsets._cache.evicted > 0
    assert tiny.scorer._cache.total <= TINY.term_bytes
    assert tiny.docsets._cache.total <= TINY.docset_bytes
    assert state.scorer._cache.evicted == 0


def test_the_cache_settings_reach_each_generation(search_data_dir):
    limits = replace(DEFAULT_LIMITS, term_cache_mb=3, docset_cache_mb=2)
    s = Searcher(index_path(search_data_dir), limits=limits)
    pipeline = s.generations.current
    assert pipeline.scorer._cache.capacity == 3 * 2**20
    assert pipeline.docsets._cache.capacity == 2 * 2**20
    s.close()


@pytest.mark.parametrize(
    "words",
    [["korea", "utara"], ["korea", "selatan"], ["utara", "korea"], ["pasukan"], ["ke", "rusia"]],
)
def test_phrase_documents_are_whoosh_phrase_documents(state, words):
    for fieldname in ("body_exact", "title_exact"):
        q = whoosh_query.Phrase(fieldname, words)
        expected = bits_of(state.searcher.docs_for_query(q), state.docsets.size)
        assert state.docsets.of(q) == expected & state.docsets.live
    assert state.docsets.of(whoosh_query.Phrase("body_exact", ["korea", "utara"])) != 0


def test_a_short_passage_naming_a_word_once_outranks_a_long_one_repeating_it(data_dir):
    """BM25's K1 0.6 and B 0.9: with Whoosh's defaults (1.2, 0.75) the long one wins."""
    long_report = (
        "Gempa susulan terasa di Palu. Warga kota keluar rumah saat gempa kedua datang. "
        "Petugas memeriksa gedung sekolah setelah gempa ketiga. Posko dibuka di lapangan "
        "kota karena gempa terus terasa sampai sore."
    )
    articles = [
        Article(id="singkat", title="", body="Gempa mengguncang Palu pagi ini."),
        Article(id="panjang", title="", body=long_report),
        Article(id="lain", title="", body="Harga beras naik di pasar induk kota."),
    ]
    with Store.open(data_dir) as store:
        store.upsert_many(articles)
        build_index(store, index_path(data_dir))
    searcher = Searcher(index_path(data_dir))
    try:
        assert [h.id for h in searcher.search("gempa").hits] == ["singkat", "panjang"]
    finally:
        searcher.close()
