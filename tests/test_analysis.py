"""Indonesian analysis: tokenizer, normalisation, stemming, protected words, stopwords."""

from __future__ import annotations

import pytest

from index import analysis
from index.analysis import (
    exact_analyzer,
    index_terms,
    load_protected,
    protected_words,
    query_stopwords,
    stem,
    stem_analyzer,
    stopwords,
)


def words(text: str, analyzer=None, **kwargs) -> list[str]:
    analyzer = analyzer or exact_analyzer()
    return [t.text for t in analyzer(text, **kwargs)]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("pengiriman", "kirim"),
        ("dikirim", "kirim"),
        ("mengirimkan", "kirim"),
        ("kepolisian", "polisi"),
        ("pembangunan", "bangun"),
        ("Bekasi", "bekasi"),
        ("Kediri", "kediri"),
        ("Pekalongan", "pekalongan"),
        ("Pemilu", "pemilu"),
        ("Kejagung", "kejagung"),
        ("Perpres", "perpres"),
        ("Ketum", "ketum"),
        ("pasukan", "pasukan"),
        ("Maluku", "maluku"),
        ("Bali", "bali"),
        ("berikan", "beri"),
        ("perbankan", "bank"),
        ("penyelidikan", "selidik"),
        ("kerusakan", "rusak"),
        ("menikah", "nikah"),
        ("negara-negara", "negara"),
        ("berbalas-balasan", "balas"),
        ("Jum'at", "jumat"),
        ("Jum’at", "jumat"),
        ("Jong-un", "jong-un"),
        ("COVID-19", "covid-19"),
        ("10.000", "10.000"),
        ("dia", "dia"),
    ],
)
def test_stem(word, expected):
    assert stem(word) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Negara-negara maju", ["negara-negara", "negara", "maju"]),
        ("10.000 orang", ["10.000", "orang"]),
        ("naik 1,5 persen", ["naik", "1,5", "persen"]),
        ("Rp10.000", ["rp", "10.000"]),
        ("pukul 10.00 WIB.", ["pukul", "10.00", "wib"]),
        ("COVID-19", ["covid-19", "covid", "19"]),
        ("KTT G-20", ["ktt", "g-20", "g", "20"]),
        ("Kim Jong-un", ["kim", "jong-un", "jong", "un"]),
        ("Jum'at Ma’ruf", ["jumat", "maruf"]),
        ("“Ibu Kota” ‘baru’", ["ibu", "kota", "baru"]),
        ("Café", ["cafe"]),
        (
            "Lihat https://kompas.com/read/2024/11/a-b.html, ya",
            ["lihat", "https://kompas.com/read/2024/11/a-b.html", "ya"],
        ),
        ("surel redaksi@kompas.co.id.", ["surel", "redaksi@kompas.co.id"]),
        ("Riau.,Penangkapan", ["riau", "penangkapan"]),
    ],
)
def test_tokens(text, expected):
    assert words(text) == expected


def test_compound_parts_share_the_position_of_the_whole():
    tokens = [(t.text, t.pos) for t in exact_analyzer()("negara-negara maju", positions=True)]
    assert tokens == [("negara-negara", 0), ("negara", 0), ("maju", 1)]


def test_a_query_keeps_the_whole_hyphenated_form():
    assert words("covid-19 negara-negara", mode="query") == ["covid-19", "negara-negara"]
    assert words("negara-negara", stem_analyzer(), mode="query") == ["negara"]


def test_stopwords_stay_in_the_index_with_exact_positions():
    tokens = [(t.text, t.pos) for t in stem_analyzer()("Hari Raya di ibu kota", positions=True)]
    assert tokens == [("hari", 0), ("raya", 1), ("di", 2), ("ibu", 3), ("kota", 4)]


def test_query_stopwords_keep_content_words():
    assert len(stopwords()) == 809
    assert {"yang", "dan", "di", "adalah"} <= query_stopwords()
    assert {"ibu", "hari", "baru", "awal", "orang", "besar", "pertama", "diri"}.isdisjoint(
        query_stopwords()
    )


@pytest.mark.parametrize("protected", [None, {"bekasi": "bekasi", "berikan": "beri"}])
def test_index_terms_match_the_analyzer(protected):
    text = "Pengiriman pasukan ke Bekasi; negara-negara G-20 berikan 10.000 dolar, Jum'at."
    analyzer = stem_analyzer(protected) if protected is not None else exact_analyzer()
    expected: dict[str, list[int]] = {}
    for t in analyzer(text, positions=True):
        poses = expected.setdefault(t.text, [])
        if t.pos not in poses:
            poses.append(t.pos)
    assert index_terms(text, protected) == expected


def test_protected_words_ship_with_overrides():
    words = protected_words()
    assert words["bekasi"] == "bekasi"
    assert words["berikan"] == "beri"
    assert len(words) >= 100


def test_a_user_file_extends_and_overrides_the_protected_words(tmp_path):
    extra = tmp_path / "protected.txt"
    extra.write_text("# mine\nCibubur\nberikan berikan  # keep it whole\n", encoding="utf-8")
    words = load_protected(extra)
    assert words["cibubur"] == "cibubur"
    assert words["berikan"] == "berikan"
    assert words["bekasi"] == "bekasi"
    assert stem("Cibubur", words) == "cibubur"


def test_the_stem_cache_remembers_what_sastrawi_computed(monkeypatch):
    analysis.clear_stem_cache()
    assert stem("pengiriman") == "kirim"
    assert analysis.take_fresh_stems() == {"pengiriman": "kirim"}
    monkeypatch.setattr(analysis, "_compute_stem", lambda token: pytest.fail(token))
    assert stem("pengiriman") == "kirim"
    assert analysis.take_fresh_stems() == {}


def test_a_stem_lookup_is_asked_before_sastrawi(monkeypatch):
    analysis.clear_stem_cache()
    asked = []
    monkeypatch.setattr(analysis, "_compute_stem", lambda token: pytest.fail(token))
    analysis.set_stem_lookup(lambda token: asked.append(token) or "kirim")
    try:
        assert stem("pengirimannya") == "kirim"
    finally:
        analysis.set_stem_lookup(None)
    assert asked == ["pengirimannya"]
    assert analysis.take_fresh_stems() == {}
