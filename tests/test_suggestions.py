"""Did-you-mean through the real index: words the archive has, but a close word far more."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler import Article, Store
from index import build_index, index_path, update_index
from index.analysis import exact_terms
from searcher import Searcher, suggestions
from searcher.popular import MorePopular
from tests.conftest import contoh_article
from web import create_app
from web.cli import cli
from web.handles import close_app

CITIES = ["Bekasi", "Bogor", "Depok", "Tangerang", "Bandung", "Cirebon"]


def archive_articles() -> list[Article]:
    """120 short reports: "pengiriman" in 60, one "pengirman" typo, a name, an inflection."""
    articles = []
    for i in range(120):
        city = CITIES[i % len(CITIES)]
        sentences = [f"Hujan turun di {city} pada hari ke-{i}.", "Warga dikirim ke pengungsian."]
        if i % 2:
            sentences.append(f"Proses pengiriman barang ke {city} berjalan lancar.")
        articles.append(contoh_article(f"laporan-{i}", f"Laporan {city} {i}", " ".join(sentences)))
    articles += [
        contoh_article("typo", "Barang tertunda", "Proses pengirman barang ke Bogor tertunda."),
        # A name written like a word: "warga" is in every article, "Warfa" in two.
        contoh_article(
            "nama-1", "Kata Warfa", "Menurut kabar, kata Warfa kepada wartawan, hujan reda."
        ),
        contoh_article(
            "nama-2", "Warfa lagi", "Sementara itu, ujar Warfa di kantor, banjir surut."
        ),
        # An inflection of "dikirim" (in every article), beside the same words.
        contoh_article("imbuhan", "Bantuan", "Warga dikirimi bantuan dari pusat."),
        # A correct rare word a letter short of a common one.
        contoh_article("bapa", "Doa", "Mereka berdoa kepada bapa dan ibu mereka."),
    ]
    articles += [
        contoh_article(f"bapak-{i}", "Bapak", f"Bapak itu datang hari ke-{i}.") for i in range(30)
    ]
    return articles


@pytest.fixture(scope="module")
def typo_dir(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("typos") / "data"
    with Store.open(data_dir) as store:
        store.upsert_many(archive_articles())
        build_index(store, index_path(data_dir))
    return data_dir


@pytest.fixture(scope="module")
def searcher(typo_dir):
    s = Searcher(index_path(typo_dir))
    yield s
    s.close()


def test_a_typo_gets_the_far_more_common_word(searcher):
    result = searcher.search("pengirman barang")
    assert result.total == 1  # the typo is in the archive: the search finds its article
    assert result.suggestion == "pengiriman barang"


@pytest.mark.parametrize(
    "query",
    [
        "pengiriman",  # the common word itself
        "warfa",  # a name: capitalised mid-sentence, though "warga" is 60x as common
        "dikirimi",  # shares its stem with "dikirim": an inflection, not a typo
        "bapa",  # a correct rare word, a letter short of "bapak"
    ],
)
def test_no_suggestion_for_right_words(searcher, query):
    assert searcher.search(query).total >= 1
    assert searcher.search(query).suggestion is None


def test_the_suggestion_is_the_same_in_the_cli_json(typo_dir):
    args = ["--quiet", "--data-dir", str(typo_dir), "search", "--json", "pengirman"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["suggestion"] == "pengiriman"


def test_sharing_a_stem_is_what_keeps_an_inflection(searcher):
    # Even with edit kinds and dictionary words left out of the rule, "dikirimi"
    # (1 article, beside the same words as "dikirim" in 121) stays: same stem.
    suggester = searcher.generations.current.suggester
    loose = replace(suggester.popular.rules, unusual_edit=1.0, known_word=1.0)
    rule = MorePopular(suggester.popular.index, suggester.popular.lookups, loose)
    assert rule.suggest("dikirimi") is None
    no_stems = replace(suggester.popular.lookups, stem=None)
    assert MorePopular(suggester.popular.index, no_stems, loose).suggest("dikirimi") == "dikirim"


@pytest.fixture(scope="module")
def client(typo_dir):
    app = create_app({"TESTING": True, "DATA_DIR": str(typo_dir)})
    yield app.test_client()
    close_app(app)


def test_the_api_and_the_page_offer_it(client):
    api = client.get("/api/search", query_string={"q": "pengirman"}).get_json()
    assert api["suggestion"] == "pengiriman"
    html = client.get("/", query_string={"q": "pengirman"}).get_data(as_text=True)
    assert 'Mungkin maksud Anda: <a href="/?q=pengiriman">pengiriman</a>' in html
    html = client.get("/", query_string={"q": "warfa"}).get_data(as_text=True)
    assert "Mungkin maksud Anda" not in html


def test_the_sample_archive_typo_gets_its_word(indexed_data_dir, invoke):
    # Seven articles: "esklasi" in one, once; "eskalasi" in one, twice.
    result = invoke("search", "--json", "esklasi")
    out = json.loads(result.output)
    assert out["total"] == 1
    assert out["suggestion"] == "eskalasi"


@pytest.mark.parametrize("fixture", ["search_data_dir", "indexed_data_dir"])
def test_no_word_of_the_test_archives_is_respelled(fixture, request):
    # Every query form of the other tests is a word of these archives.
    data_dir = request.getfixturevalue(fixture)
    searcher = Searcher(index_path(data_dir))
    try:
        with Store.open(data_dir) as store:
            texts = [a.body for i in sorted(store.ids()) if (a := store.get(i))]
        words = {w for text in texts for w in exact_terms(text) if w.isalpha() and len(w) >= 4}
        suggester = searcher.generations.current.suggester
        found = {w: s for w in sorted(words) if (s := suggester.more_popular(w))}
    finally:
        searcher.close()
    assert found == ({} if fixture == "search_data_dir" else {"esklasi": "eskalasi"})


def test_a_few_searches_look_words_up_without_reading_the_vocabulary(tmp_path):
    """A fresh process's search (``warta search``) checks a typo's one-edit strings in
    the term table: the same suggestion, without reading every word of the archive."""
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        store.upsert_many(archive_articles())
        build_index(store, index_path(data_dir))
    searcher = Searcher(index_path(data_dir))
    try:
        assert searcher.search("pengirimann").suggestion == "pengiriman"
        assert searcher.vocabulary.read is False
        suggester = searcher.generations.current.suggester
        assert suggester.read_after == suggestions.MIN_LOOKUPS  # 120 articles
        assert 0 < suggester._lookups < suggester.read_after
        suggester._lookups = suggester.read_after  # as after many searches
        assert searcher.search("pengirimann").suggestion == "pengiriman"
        assert searcher.search("dikirimm").suggestion == "dikirim"
        assert searcher.vocabulary.read is True
    finally:
        searcher.close()


def test_an_update_reads_only_its_new_words_and_a_rebuild_all(tmp_path):
    """Did-you-mean's vocabulary, once read, is carried across generations: after an
    update only the new segment's words are read, and the new words are offered."""
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        store.upsert_many(archive_articles())
        build_index(store, index_path(data_dir))
    searcher = Searcher(index_path(data_dir))
    try:
        searcher.generations.current.suggester.words()  # as many searches come to
        assert searcher.search("xylofonq").suggestion is None
        assert searcher.vocabulary.segments_read >= 1
        before = len(searcher.generations.current.searcher.reader().leaf_readers())
        with Store.open(data_dir) as store:
            store.upsert(
                contoh_article("baru", "Festival", "Pertunjukan xylofon memukau penonton.")
            )
            update_index(store, index_path(data_dir))
        assert searcher.search("xylofonq").suggestion == "xylofon"
        leaves = len(searcher.generations.current.searcher.reader().leaf_readers())
        assert leaves == before + 1
        assert searcher.vocabulary.segments_read == 1, "only the update's segment was read"
        with Store.open(data_dir) as store:
            store.delete("baru")
            build_index(store, index_path(data_dir))
        assert searcher.search("xylofonq").suggestion is None  # a rebuild is read afresh
        assert searcher.vocabulary.segments_read == before
    finally:
        searcher.close()
