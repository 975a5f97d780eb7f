"""Indonesian analysis: tokenizer, normalisation, stemming, protected words, stopwords."""

from __future__ import annotations

import json
import pickle
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index import analysis
from index.analysis import (
    SastrawiFilter,
    Stemmer,
    analyzer_terms,
    exact_analyzer,
    exact_terms,
    load_protected,
    protected_words,
    split_words,
    stem,
    stem_analyzer,
    stemmed_terms,
    stopwords,
)
from index.sastrawi_patterns import SastrawiPatterns


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


def test_the_stopword_list_is_sastrawis_with_its_content_words():
    assert len(stopwords()) == 809
    assert {"yang", "dan", "di", "adalah", "ibu", "hari"} <= stopwords()


@pytest.mark.parametrize("protected", [None, {"bekasi": "bekasi", "berikan": "beri"}])
def test_whole_text_terms_match_the_analyzer(protected):
    text = "Pengiriman pasukan ke Bekasi; negara-negara G-20 berikan 10.000 dolar, Jum'at."
    exact = exact_terms(text)
    assert exact == analyzer_terms(text, exact_analyzer())
    stemmed = stemmed_terms(exact, Stemmer(protected))
    assert stemmed == analyzer_terms(text, stem_analyzer(protected))
    assert stemmed["kirim"] == [0]


# Pieces that stress the tokenizer: cases, accents, apostrophes, hyphens, numbers,
# links, addresses, and characters whose lowercase differs in length or by context.
PIECES = [
    "Pengiriman",
    "negara-negara",
    "COVID-19",
    "Jum'at",
    "Ma’ruf",
    "‘baru’",
    "café",
    "10.000",
    "1,5",
    "Rp10.000",
    "https://kompas.com/a-b.html",
    "www.contoh.test/x",
    "redaksi@kompas.co.id",
    "Kim Jong-un",
    "ΟΔΟΣ",
    "İstanbul",
    "straße",
    "ﬁnal",
    "中文",
    "x--y",
    "-a-",
    "'",
    "–",
]
TEXTS = st.lists(
    st.one_of(
        st.sampled_from(PIECES),
        st.text(alphabet="aZé'’-.,@/:_ 0123456789\nİΣßﬁ", max_size=12),
    ),
    max_size=30,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_exact_terms_agree_with_split_words(text):
    expected: dict[str, list[int]] = {}
    for word, position, _, _ in split_words(text):
        positions = expected.setdefault(word, [])
        if position not in positions:
            positions.append(position)
    assert exact_terms(text) == expected


@settings(max_examples=100, deadline=None)
@given(TEXTS)
def test_stemmed_terms_agree_with_the_stemming_analyzer(text):
    expected = analyzer_terms(text, stem_analyzer())
    assert stemmed_terms(exact_terms(text), Stemmer()) == expected


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


def test_a_stemmer_remembers_what_sastrawi_computed(monkeypatch):
    stemmer = Stemmer()
    assert stemmer.stem("pengiriman") == "kirim"
    assert stemmer.stem("bekasi") == "bekasi"  # protected: not Sastrawi's, not new
    assert stemmer.take_new() == {"pengiriman": "kirim"}
    monkeypatch.setattr(analysis, "sastrawi_stem", lambda word: pytest.fail(word))
    assert stemmer.stem("pengiriman") == "kirim"
    assert stemmer.take_new() == {}


def test_a_stemmer_asks_the_persisted_cache_before_sastrawi(monkeypatch):
    asked = []
    monkeypatch.setattr(analysis, "sastrawi_stem", lambda word: pytest.fail(word))
    stemmer = Stemmer(persisted=lambda word: asked.append(word) or "kirim")
    assert stemmer.stem("pengirimannya") == "kirim"
    assert stemmer.stem("pengirimannya") == "kirim"
    assert stemmer.stem("di") == "di"  # too short for Sastrawi: nothing to ask
    assert asked == ["pengirimannya"]
    assert stemmer.take_new() == {}


def test_remembered_stems_are_known_and_adopted_ones_are_also_new(monkeypatch):
    stemmer = Stemmer()
    stemmer.remember({"pengiriman": "kirim"})
    stemmer.adopt({"menyelenggarakan": "selenggara"})
    monkeypatch.setattr(analysis, "sastrawi_stem", lambda word: pytest.fail(word))
    assert [stemmer.stem("pengiriman"), stemmer.stem("menyelenggarakan")] == ["kirim", "selenggara"]
    assert stemmer.take_new() == {"menyelenggarakan": "selenggara"}


def test_stemmers_share_nothing():
    first, second = Stemmer(), Stemmer()
    assert first.stem("pengiriman") == "kirim"
    assert "pengiriman" not in second.terms
    assert second.take_new() == {}


def test_a_pickled_filter_keeps_its_protected_words_but_not_its_memory():
    original = SastrawiFilter({"banjir": "air"})
    original.stemmer.stem("pengiriman")
    data = pickle.dumps(original)
    assert b"pengiriman" not in data
    copy = pickle.loads(data)
    assert copy == original and copy.stemmer is not original.stemmer
    assert copy.stemmer.terms == {}
    assert [t.text for t in (exact_analyzer() | copy)("Banjir pengiriman")] == ["air", "kirim"]


_ROOTS = (
    "ajar tulis baca kerja lapor pukul rasa sapu tanam ubah cari fitnah jual nyanyi percaya "
    "terbang gelar lempar kembang pakai tolong sebar dengar ambil ikut satu beri temu"
).split()
_PREFIXES = (
    "- me mem men meng meny menge pe pem pen peng peny penge ber be bel ter te di ke se per "
    "memper diper mempe ku kau"
).split()
_SUFFIXES = "- kan an i nya lah kah pun ku mu isasi isme".split()


def _generated_words() -> list[str]:
    words = [
        (p if p != "-" else "") + root + (s if s != "-" else "")
        for p in _PREFIXES
        for root in _ROOTS
        for s in _SUFFIXES
    ]
    extra = ["belajar", "pelajari", "anak-anak", "kuasa-mu", "negara-negara", "buku-bukunya"]
    return words + extra + [w + "-" + w for w in _ROOTS]


def test_sastrawi_with_patterns_compiled_once_stems_as_sastrawi_does():
    """Each of ~9,000 affixed words gets the stem an unpatched Sastrawi gives in another process."""
    words = _generated_words()
    script = (
        "import json, sys\n"
        "from Sastrawi.Stemmer.StemmerFactory import StemmerFactory\n"
        "s = StemmerFactory().create_stemmer().delegatedStemmer\n"
        "print(json.dumps([s.stem_word(w) for w in json.load(sys.stdin)]))\n"
    )
    stock = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(words),
        capture_output=True,
        text=True,
        check=True,
    )
    expected = json.loads(stock.stdout)
    patched = analysis._sastrawi()
    assert [patched.stem_word(w) for w in words] == expected
    changed = sum(e != w for e, w in zip(expected, words, strict=True))
    assert changed > len(words) // 2  # affixes were removed


def test_sastrawi_patterns_substitute_plain_words_as_re_does():
    patterns = SastrawiPatterns()
    cases = [("ber", "", "berbahaya", 1), ("an", "", "makanan", 0), ("a-b", "", "xa-ba-b", 1)]
    for pattern, repl, string, count in cases:
        expected = re.sub(pattern, repl, string, count=count)
        assert patterns.sub(pattern, repl, string, count) == expected
    assert patterns.sub(r"^(di|ke|se)", "", "dikirim", 1) == "kirim"
    assert patterns.match(r"^ber([aiueo].*)$", "berang").group(1) == "ang"
    assert len(patterns) == 2  # the two constant patterns, the plain words not kept
