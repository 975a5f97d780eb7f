import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.analysis import NewsTokenizer
from searcher import QueryError
from searcher.compiler import parse_date_range, query_words
from searcher.query import MAX_DEPTH, All, Any, Field, Not, Phrase, Prefix, Word, clean, parse


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("banjir", Word("banjir")),
        ("banjir bekasi", All((Word("banjir"), Word("bekasi")))),
        ("banjir AND bekasi", All((Word("banjir"), Word("bekasi")))),
        ("banjir OR gempa", Any((Word("banjir"), Word("gempa")))),
        ("banjir -bekasi", All((Word("banjir"), Not(Word("bekasi"))))),
        ("banjir NOT bekasi", All((Word("banjir"), Not(Word("bekasi"))))),
        ('"Korea Utara" rudal', All((Phrase("Korea Utara"), Word("rudal")))),
        ("(banjir OR gempa) bekasi", All((Any((Word("banjir"), Word("gempa"))), Word("bekasi")))),
        ("sumber:kompas", Field("source", "kompas")),
        ("source:kompas", Field("source", "kompas")),
        ('judul:"Korea Utara"', Field("title", "Korea Utara", quoted=True)),
        ("title:rudal", Field("title", "rudal")),
        ("penulis:budi", Field("author", "budi")),
        ("tanggal:2024-11-01..2024-11-30", Field("date", "2024-11-01..2024-11-30")),
        ("kirim*", Prefix("kirim")),
        ("covid-19", Word("covid-19")),
        ("http://contoh.test", Word("http://contoh.test")),
        # Hostile or broken input still parses.
        ("", None),
        ("   ", None),
        ("OR", None),
        ("AND NOT", None),
        ("banjir OR", Word("banjir")),
        ("-", Word("-")),
        ('"Korea Utara', Phrase("Korea Utara")),
        ('""', None),
        ("(banjir", Word("banjir")),
        ("banjir)", Word("banjir")),
        ("()", None),
        ("sumber:", Word("sumber:")),
        ("banjir\x00\x1b[31mbekasi", All((Word("banjir"), Word("[31mbekasi")))),
    ],
)
def test_parse_table(text, tree):
    assert parse(text) == tree


def test_clean_turns_control_characters_into_spaces():
    assert clean("a\tb\x00c\u200bd\n") == "a b c d"


def test_nesting_is_bounded():
    tree = parse("(" * 5000 + "banjir" + ")" * 5000)
    assert tree == Word("banjir")
    depth = MAX_DEPTH + 5
    assert parse("(" * depth + "a" + ")" * depth) == Word("a")


def test_leaf_count_is_bounded():
    tree = parse(" ".join(f"kata{i}" for i in range(500)))
    assert isinstance(tree, All)
    assert len(tree.children) == 64


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-11-01..2024-11-30", ("2024-11-01", "2024-11-30")),
        ("2024-11", ("2024-11-01", "2024-11-30")),
        ("2024", ("2024-01-01", "2024-12-31")),
        ("2024-02..", ("2024-02-01", None)),
        ("..2024-02", (None, "2024-02-29")),
    ],
)
def test_date_ranges(value, expected):
    start, end = parse_date_range(value)
    assert (start and start.isoformat(), end and end.isoformat()) == expected


@pytest.mark.parametrize("value", ["kemarin", "2024-13-01", "2024-02-30", "24-1-1"])
def test_bad_dates_get_a_sentence(value):
    with pytest.raises(QueryError, match="date|calendar"):
        parse_date_range(value)


QUERY_ALPHABET = st.sampled_from(
    list('abc "()-*:') + ["OR", " AND ", " NOT ", "sumber:", "tanggal:", "judul:", "\x00", "é"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(QUERY_ALPHABET, max_size=40).map("".join))
def test_any_query_parses(text):
    parse(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_parses(text):
    parse(text)


def _tokenizer_words(text: str) -> list[str]:
    return [token.text for token in NewsTokenizer()(text, mode="query")]


@pytest.mark.parametrize(
    "text",
    [
        "Badan Pengawas Obat dan Makanan",
        "negara-negara COVID-19 Jum'at café",
        "Rp10.000 naik 1,5 persen di www.contoh.test/berita, redaksi@contoh.test",
        "Kim Jong-un — ‘kuasa-mu’ `x` 2024-11-14",
        "",
    ],
)
def test_query_words_are_the_tokenizers_query_words(text):
    assert query_words(text) == _tokenizer_words(text)


@given(st.text(alphabet=st.sampled_from("aBz09 -'’.,@:/éÉ_\n"), max_size=60))
@settings(max_examples=300, deadline=None)
def test_query_words_agree_with_the_tokenizer_on_any_text(text):
    assert query_words(text) == _tokenizer_words(text)
