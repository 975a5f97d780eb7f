import json
import re
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index

from crawler.article import Article
from index import index_path
from index.analysis import split_words
from index.generations import MANIFEST_FILE
from index.schema import INDEX_FORMAT, article_fields, make_schema
from searcher import DEFAULT_LIMITS, QueryError, Searcher
from searcher.answers import DATE, NUMBER, answer_distance, expected_answer
from searcher.compiler import Marks
from searcher.pipeline import FALLBACK_NOTICE
from searcher.snippets import Snippets, word_spans
from tests.conftest import SEARCH_ARTICLES


@pytest.fixture
def searcher(search_data_dir):
    s = Searcher(index_path(search_data_dir))
    yield s
    s.close()


def ids(result):
    return [hit.id for hit in result.hits]


def marked(html: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html)


# -- the query language -----------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("banjir", {"banjir-bekasi"}),
        ("pasukan rusia", {"korut-pasukan"}),
        ("rudal OR banjir", {"korea-rudal", "banjir-bekasi"}),
        ("(rudal OR banjir) bekasi", {"banjir-bekasi"}),
        ("korea -rudal", {"korut-pasukan", "drama-korea"}),
        ("korea NOT rudal", {"korut-pasukan", "drama-korea"}),
        ('"Korea Utara"', {"korut-pasukan", "korea-rudal"}),
        ('"utara korea"', set()),
        ("sumber:kompas korea", {"korut-pasukan"}),
        ("source:Tempo", {"korea-rudal", "bendungan"}),
        ("judul:korea", {"korea-rudal", "drama-korea"}),
        ('title:"Korea Utara"', {"korea-rudal"}),
        ("penulis:budi", {"korea-rudal"}),
        ("author:santoso rudal", {"korea-rudal"}),
        ("tanggal:2024-11-01..2024-11-30 korea", {"korut-pasukan", "drama-korea"}),
        ("tanggal:2024-11 korea", {"korut-pasukan", "drama-korea"}),
        ("tanggal:..2024-10-31 korea", {"korea-rudal"}),
        ("tanggal:2024-11-13.. sumber:kompas", {"banjir-bekasi"}),
        ("mengevakuasi", {"banjir-bekasi"}),
        ("evakuasi", {"banjir-bekasi"}),
        ("kirim*", {"korut-pasukan"}),
        ("mengirim*", {"banjir-bekasi", "korut-pasukan"}),
        ("-korea -rudal -banjir tanggal:2024-11", {"tiongkok-as"}),
    ],
)
def test_query_language(searcher, query, expected):
    result = searcher.search(query, page_size=20)
    assert set(ids(result)) == expected
    assert result.total == len(expected)
    assert result.fallback is False


def test_all_words_must_match_then_fall_back_to_most_words(searcher):
    result = searcher.search("pasukan rusia laut banjir")
    assert result.fallback is True
    assert result.notice == FALLBACK_NOTICE
    assert ids(result)[0] == "korut-pasukan"  # three of the four words
    assert "banjir-bekasi" in ids(result)
    assert result.to_dict()["fallback"] is True


def test_a_long_question_finds_its_article(searcher):
    result = searcher.search(
        "Siapa yang mengirim ribuan pasukan ke Rusia dan dikecam Korea Selatan?"
    )
    assert ids(result)[0] == "korut-pasukan"


def test_a_query_of_stopwords_only_still_searches(searcher):
    result = searcher.search("yang di")
    assert result.total >= 1
    assert "drama-korea" in ids(result)


@pytest.mark.parametrize(("query", "first"), [("ekspor", "kopi-gayo"), ("mengekspor", "kopi-aceh")])
def test_exact_form_ranks_above_other_inflections(searcher, query, first):
    assert ids(searcher.search(query)) == [first, ({"kopi-gayo", "kopi-aceh"} - {first}).pop()]


def test_phrase_match_ranks_above_scattered_words(searcher):
    assert ids(searcher.search("korea utara"))[:2] != ["drama-korea"]
    assert ids(searcher.search("korea utara"))[-1] == "drama-korea"


def test_sort_by_date_and_pagination(searcher):
    first = searcher.search("korea", sort="date", page_size=2)
    second = searcher.search("korea", sort="date", page_size=2, page=2)
    assert ids(first) == ["drama-korea", "korut-pasukan"]
    assert ids(second) == ["korea-rudal"]
    assert first.total == second.total == 3


def test_parameters_filter_like_the_query_does(searcher):
    result = searcher.search("korea", source="kompas")
    assert ids(result) == ["korut-pasukan"]
    result = searcher.search("korea", date_from=date(2024, 11, 1), date_to=date(2024, 11, 10))
    assert ids(result) == ["korut-pasukan"]


def test_empty_query_lists_the_newest_articles(searcher):
    result = searcher.search("")
    assert result.total == 11
    assert ids(result)[:2] == ["tiongkok-as", "banjir-bekasi"]


# -- synonyms ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "exact", "synonym"),
    [
        ("korut", "korut-pasukan", "korea-rudal"),
        ("tiongkok", "tiongkok-as", "ekonomi-china"),
        ("china", "ekonomi-china", "tiongkok-as"),
        ("jokowi", "jokowi-pasar", "bendungan"),
        ("joko widodo", "bendungan", "jokowi-pasar"),
        ("amerika serikat", "korea-rudal", "tiongkok-as"),
    ],
)
def test_synonyms_find_the_other_name_ranked_below_exact(searcher, query, exact, synonym):
    found = ids(searcher.search(query))
    assert exact in found and synonym in found
    assert found.index(exact) < found.index(synonym)


def test_quoted_phrases_take_no_synonyms(searcher):
    assert set(ids(searcher.search('"Korut"'))) == {"korut-pasukan"}


def test_user_synonyms_extend_the_shipped_ones(search_data_dir):
    (search_data_dir / "synonyms.txt").write_text("# mine\nbendungan, waduk\n")
    s = Searcher(index_path(search_data_dir))
    try:
        assert ids(s.search("waduk")) == ["bendungan"]
    finally:
        s.close()


# -- did you mean -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "suggestion"),
    [
        ("pemerintha", "pemerintah"),
        ("banjri bekasi", "banjir bekasi"),
        ("Pasukn", "pasukan"),
    ],
)
def test_suggestions_come_from_the_archive_words(searcher, query, suggestion):
    assert searcher.search(query).suggestion == suggestion


def test_no_suggestion_for_words_that_are_fine(searcher):
    assert searcher.search("banjir").suggestion is None


def test_suggestion_is_an_unstemmed_form(searcher):
    # "pemerintha" is closest to the stem "perintah" too; only real words are offered.
    assert searcher.search("menguji rudl").suggestion == "menguji rudal"


# -- snippets -----------------------------------------------------------------------


def test_snippets_mark_inflections_in_their_original_form(searcher):
    hit = searcher.search("kirim").hits
    snippets = {h.id: h.snippet for h in hit}
    assert set(marked(snippets["korut-pasukan"])) >= {"mengirimkan", "Pengiriman", "dikirimkan"}
    assert "mengirim" in marked(snippets["banjir-bekasi"])


def test_phrase_highlighting_marks_only_the_phrase(searcher):
    result = searcher.search('"Korea Utara"')
    for hit in result.hits:
        assert set(marked(hit.snippet)) == {"Korea Utara"}
    assert "Korea Selatan" in result.hits[0].snippet or result.hits[1].snippet


def test_synonym_phrases_are_marked(searcher):
    snippet = {h.id: h.snippet for h in searcher.search("korut").hits}["korea-rudal"]
    assert marked(snippet) == ["Korea Utara"]


def test_snippets_are_escaped_then_marked(search_data_dir):
    s = Searcher(index_path(search_data_dir))
    try:
        html = s.highlight("<b>Banjir</b> & banjir", "banjir")
    finally:
        s.close()
    assert html == "&lt;b&gt;<mark>Banjir</mark>&lt;/b&gt; &amp; <mark>banjir</mark>"


def test_snippets_are_short_and_cut_at_words(searcher):
    long_text = ("kata lain " * 200) + "rudal balistik " + ("kata lain " * 200)
    s = searcher
    html = s.highlight(long_text, "rudal")
    assert marked(html) == ["rudal"]
    hit = s.search("rudal").hits[0]
    assert len(re.sub(r"<[^>]+>", "", hit.snippet)) <= 3 * 260


def test_highlight_of_a_whole_article(searcher):
    text = "Korea Utara dan Korea Selatan. Drama Korea di utara."
    assert marked(searcher.highlight(text, '"korea utara"')) == ["Korea Utara"]
    assert marked(searcher.highlight(text, "korea -utara")) == ["Korea", "Korea", "Korea"]


# -- facets ---------------------------------------------------------------------------


def test_facets_count_outlets_and_months_of_the_query(searcher):
    result = searcher.search("korea")
    assert result.facets == {
        "source": {"Detik": 1, "Kompas": 1, "Tempo": 1},
        "month": {"2024-11": 2, "2024-10": 1},
    }


def test_facets_follow_filters(searcher):
    result = searcher.search("korea sumber:kompas")
    assert result.facets["source"] == {"Kompas": 1}


# -- questions for a number or a date ----------------------------------------------------


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Berapa korban banjir di Bekasi?", NUMBER),
        ("Berapakah usia Dwiki Dharmawan?", NUMBER),
        ("Kapan banjir melanda Bekasi?", DATE),
        ("Pada tahun berapakah Candra menjadi juara dunia", DATE),
        ("tanggal berapa pemilu digelar", DATE),
        ("Siapa presiden Venezuela?", None),
        ("banjir Bekasi", None),
        ("tahun baru", None),
    ],
)
def test_what_a_question_asks_for(question, kind):
    assert expected_answer(question.lower().rstrip("?").split()) == kind


@pytest.mark.parametrize(
    ("text", "kind", "distance"),
    [
        ("Banjir menewaskan 12 warga Bekasi", NUMBER, 2),
        ("Korban banjir dua belas orang", NUMBER, 1),
        ("Banjir melanda Bekasi, Selasa (16/8), pagi", DATE, 1),
        ("Banjir melanda Bekasi pada 1997", DATE, 2),
        ("Banjir melanda 12 rumah di Bekasi", DATE, None),  # a number is not a date
        ("Banjir melanda Bekasi", NUMBER, None),
        ("Banjir 2024 melanda Bekasi", NUMBER, None),  # the question's own number
    ],
)
def test_distance_to_an_answer(text, kind, distance):
    question = {"banjir", "bekasi", "2024"}
    assert answer_distance(split_words(text), text, kind, question) == distance


@pytest.fixture
def answer_searcher(tmp_path):
    """Two passages about one flood: one repeats the words, one says how many died when."""
    ix = whoosh_index.create_in(tmp_path, make_schema())
    texts = {
        "repeats": "Korban banjir di Bekasi terus bertambah. Banjir Bekasi membuat korban "
        "mengungsi ke masjid dan sekolah, kata warga yang menjadi korban banjir.",
        "answers": "Banjir di Bekasi pada Senin menewaskan 12 korban, kata polisi setempat "
        "sambil memeriksa rumah warga dan jalan yang masih tergenang air.",
    }
    with ix.writer() as w:
        for name, body in texts.items():
            w.add_document(**article_fields(Article(id=name, title="", body=body)))
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({"format": INDEX_FORMAT}))
    s = Searcher(tmp_path, synonyms_file=None)
    yield s
    s.close()


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("korban banjir Bekasi", "repeats"),
        ("Berapa korban banjir Bekasi?", "answers"),
        ("Kapan korban banjir Bekasi?", "answers"),
        ("Siapa korban banjir Bekasi?", "repeats"),
    ],
)
def test_a_question_for_a_number_or_date_ranks_texts_that_hold_one_first(
    answer_searcher, query, first
):
    assert ids(answer_searcher.search(query)) == [first, ({"repeats", "answers"} - {first}).pop()]


# -- near-duplicates ------------------------------------------------------------------


@pytest.fixture
def dup_searcher(tmp_path):
    """An index whose articles a, b and c share one duplicate group."""
    ix = whoosh_index.create_in(tmp_path, make_schema())
    body = "Gempa mengguncang Cianjur dan merusak ratusan rumah warga."
    with ix.writer() as w:
        for n, name in enumerate("abcde"):
            article = Article(
                id=name,
                title=f"Gempa Cianjur {name}",
                body=body + " x" * n,
                source=f"Outlet {name}",
                published=f"2024-11-0{n + 1}",
            )
            doc = article_fields(article)
            doc["dup"] = "group" if name in "abc" else name
            w.add_document(**doc)
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({"format": INDEX_FORMAT}))
    s = Searcher(tmp_path, synonyms_file=None)
    yield s
    s.close()


def test_near_duplicates_collapse_into_the_best_hit(dup_searcher):
    result = dup_searcher.search("gempa cianjur")
    assert result.total == 3
    assert len(result.hits) == 3
    leader = next(h for h in result.hits if h.id in "abc")
    assert sorted([leader.id, *leader.duplicates]) == ["a", "b", "c"]
    assert sum(result.facets["source"].values()) == 5


def test_collapsed_pages_add_up(dup_searcher):
    pages = [dup_searcher.search("gempa", page=p, page_size=1) for p in (1, 2, 3, 4)]
    seen = [h.id for page in pages for h in page.hits]
    assert len(seen) == 3 and len(set(seen)) == 3
    assert all(page.total == 3 for page in pages)
    assert pages[3].hits == []


def test_similar_lists_near_duplicates_first(dup_searcher):
    similar = [h.id for h in dup_searcher.similar("a", limit=4)]
    assert similar[:2] == ["b", "c"]


# -- hostile queries ------------------------------------------------------------------


EVERY_ARTICLE = len(SEARCH_ARTICLES)  # nothing searchable left: the query browses


@pytest.mark.parametrize(
    ("query", "total"),
    [
        ('"', EVERY_ARTICLE),
        ('"Korea', 3),  # an unclosed phrase runs to the end
        ("((((", EVERY_ARTICLE),
        ("))))", EVERY_ARTICLE),
        ("OR", EVERY_ARTICLE),
        ("AND", EVERY_ARTICLE),
        ("NOT", EVERY_ARTICLE),
        ("-", EVERY_ARTICLE),
        ("- -", EVERY_ARTICLE),
        ("OR OR OR", EVERY_ARTICLE),
        ("sumber:", 0),  # no value: the word "sumber", which no article holds
        ("tanggal:", 0),
        ("judul:", 0),
        (":", EVERY_ARTICLE),
        ("*", EVERY_ARTICLE),
        ("\x00\x01\x02", EVERY_ARTICLE),
        ("\u202e\u200b", EVERY_ARTICLE),
        ("a" * 5000, 0),
        ("korea " * 2000, 3),  # the same word over and over: cut, then as "korea"
        ("(" * 3000, EVERY_ARTICLE),
        ('"' * 999, EVERY_ARTICLE),
        ("sumber:tidakada korea", 0),
    ],
)
def test_hostile_queries_give_a_result(searcher, query, total):
    result = searcher.search(query)
    assert result.total == total
    assert len(result.hits) == min(total, DEFAULT_LIMITS.default_page_size)
    assert result.to_dict()["total"] == total


def test_long_queries_are_cut_with_a_notice(searcher):
    result = searcher.search("korea " * 2000)
    assert len(result.query) <= DEFAULT_LIMITS.max_query_chars
    assert "only its first" in result.notice


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("k*", "too short"),
        ("tanggal:kemarin", "Could not read the date"),
        ("tanggal:2024-12..2024-01", "ends before it starts"),
    ],
)
def test_unusable_queries_get_a_sentence(searcher, query, message):
    with pytest.raises(QueryError, match=message):
        searcher.search(query)


def test_huge_prefix_expansions_are_refused(searcher, monkeypatch):
    monkeypatch.setattr("searcher.compiler.MAX_PREFIX_TERMS", 2)
    with pytest.raises(QueryError, match="more than 2 different words"):
        searcher.search("pe*")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"page": 0}, "page number"), ({"page_size": 0}, "page size"), ({"sort": "x"}, "Sort")],
)
def test_bad_parameters_get_a_sentence(searcher, kwargs, message):
    with pytest.raises(QueryError, match=message):
        searcher.search("korea", **kwargs)


WORDS = ["korea", "utara", "Korut", "banjir", "kirim*", "pe*", "bekasi", "yang", "rudal"]
PIECES = st.sampled_from(
    WORDS
    + [
        "OR",
        "AND",
        "NOT",
        "-",
        "(",
        ")",
        '"',
        "sumber:kompas",
        "judul:",
        "tanggal:2024",
        "penulis:budi",
        "\x00",
        "é",
        ":",
        "*",
        " ",
    ]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(PIECES, max_size=12).map(" ".join),
    st.integers(1, 3),
    st.sampled_from(["relevance", "date"]),
)
def test_any_query_searches_or_explains(searcher, query, page, sort):
    try:
        result = searcher.search(query, page=page, page_size=2, sort=sort)
    except QueryError as e:
        assert str(e).endswith(".")
        return
    assert len(result.hits) <= 2
    assert result.total >= len(result.hits)
    for hit in result.hits:
        assert "<script" not in hit.snippet


# -- snippets: the untokenized path marks what the tokenized one marks -------------------

TRICKY_TEXT = (
    "Negara-negara ASEAN menolak. Kim Jong-un di www.contoh.test/kirim-pasukan, "
    "surel redaksi@contoh.test; Jum'at lalu café Pengiriman Rp10.000 dan 1.250.000,75 "
    "dikirimkan, DIKIRIM, kirim-mengirim COVID-19 anak-anak."
)


def tokenized_spans(text, marks, stem):
    """Every token of ``split_words`` whose form has a marked stem or prefix (the reference)."""
    prefixes = tuple(marks.prefixes) or ("\x00",)
    found = {
        (start, end)
        for word, _, start, end in split_words(text)
        if stem(word) in marks.stems or word.startswith(prefixes)
    }
    return sorted(found)


@pytest.mark.parametrize(
    ("stems", "prefixes"),
    [
        ({"kirim"}, set()),
        ({"negara", "covid"}, set()),
        ({"anak", "jumat"}, {"jo"}),
        ({"cafe", "10.000"}, {"www", "redaksi"}),
        (set(), {"ke", "19"}),
    ],
)
def test_snippet_words_are_marked_as_the_tokenizer_sees_them(search_data_dir, stems, prefixes):
    s = Searcher(index_path(search_data_dir))
    pipeline = s.generations.current
    stem = pipeline.compiler.stem
    marks = Marks(stems=stems, prefixes=prefixes)
    expected = tokenized_spans(TRICKY_TEXT, marks, stem)
    assert word_spans(TRICKY_TEXT, marks, stem) == expected
    assert word_spans(TRICKY_TEXT, marks, stem, pipeline.snippets.judge(marks)) == expected
    s.close()


def test_a_long_body_snippet_is_the_same_from_one_pass_or_two(search_data_dir):
    s = Searcher(index_path(search_data_dir))
    snippets = s.generations.current.snippets
    filler = " ".join(f"Warga memantau pos {n} di lapangan." for n in range(60))
    marks = Marks(stems={"kirim", "rusia"})
    for body in (f"Pasukan dikirim. {filler} Rusia.", f"Dikirim ke Rusia. {filler}"):
        two_pass = Snippets(split_words, snippets.stem)  # phrases force the tokenized path
        with_phrase = Marks(stems=marks.stems, phrases={("zzz",)})
        assert snippets.of_body(body, marks) == two_pass.of_body(body, with_phrase)
        assert "<mark>" in snippets.of_body(body, marks)
    s.close()


@pytest.mark.parametrize(
    "word",
    [
        "pengiriman",
        "dikirimkan",
        "kpk",
        "2024",
        "rp10",
        "jumat",
        "negara-negara",
        "covid-19",
        "café",
        "ab",
        "Menteri",
        "xyzzyqq",
    ],
)
def test_the_compiler_stems_a_word_as_the_stem_analyzer_does(search_data_dir, word):
    s = Searcher(index_path(search_data_dir))
    compiler = s.generations.current.compiler
    analyzer = s.generations.current.searcher.schema["body"].analyzer
    expected = [t.text for t in analyzer(word, mode="query")][:1] or [word]
    compiler.prefetch_stems([word, "pengiriman", "kirim"])
    assert compiler.stem(word) == expected[0]
    s.close()
