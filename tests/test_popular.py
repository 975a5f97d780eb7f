"""More popular spellings (searcher.popular) and the word facts they use (index.words)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import SEARCH_ARTICLES, SMALL_ARTICLES

from index.analysis import exact_terms, stem
from index.words import CapitalCounts, known_word, mid_sentence_words, neighbours
from searcher.popular import (
    DELETE,
    DOUBLE,
    END,
    INSERT,
    NEAR_KEY,
    SUBSTITUTE,
    TRANSPOSE,
    TWO,
    Lookups,
    MorePopular,
    OneEdit,
    Rules,
    SpellingIndex,
    edit_kind,
    osa_distance,
)

SEEDS = Path(__file__).resolve().parent.parent / "examples" / "seeds"

# -- distances and edit kinds ----------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("berhasil", "berhasil", 0),
        ("berhassil", "berhasil", 1),
        ("menproa", "menpora", 1),  # neighbours swapped
        ("wrga", "warga", 1),
        ("menegesakan", "menegaskan", 2),
        ("pihakalnya", "pihaknya", 2),
        ("rancan", "rancangan", 3),  # over the limit of 2
        ("kita", "kota", 1),
    ],
)
def test_osa_distance(a, b, distance):
    assert osa_distance(a, b, limit=2) == distance


@pytest.mark.parametrize(
    ("typed", "candidate", "kind"),
    [
        ("wrga", "warga", DELETE),
        ("menproa", "menpora", TRANSPOSE),
        ("berhassil", "berhasil", DOUBLE),
        ("tpengiriman", "pengiriman", INSERT),
        ("tudak", "tidak", NEAR_KEY),  # u and i are neighbours
        ("kapada", "kepada", SUBSTITUTE),
        ("bapa", "bapak", END),  # a letter dropped at the end
        ("transparans", "transparan", END),
        ("menegesakan", "menegaskan", TWO),
    ],
)
def test_edit_kind(typed, candidate, kind):
    assert edit_kind(typed, candidate) == kind


# -- the close-word index ---------------------------------------------------------------

VOCABULARY = Counter(
    {
        "berhasil": 2485,
        "berhassil": 1,
        "menegaskan": 1221,
        "mengenakan": 899,
        "kepada": 7613,
        "kapada": 1,
        "seperti": 9292,
        "dikirim": 300,
        "dikirimi": 12,
        "pengiriman": 140,
        "bapak": 900,
        "bapa": 4,
        "kota": 3458,
        "kita": 5763,
        "melanda": 193,
        "melinda": 4,
        "syre": 1,
        "sore": 798,
        "ani": 40,
        "ana": 300,
        "ilahi": 2,
        "menegesakan": 1,
    }
)


@pytest.fixture(scope="module")
def index():
    return SpellingIndex(VOCABULARY.items())


def test_index_finds_words_one_and_two_edits_away(index):
    assert index.candidates("berhassil", 1) == {"berhasil": 1}
    assert index.candidates("menegesakan", 2) == {"menegaskan": 2, "mengenakan": 2}


def test_index_keeps_only_words_that_can_be_suggested(index):
    # Used once: never more popular than a word the archive has.
    assert "berhassil" not in index
    assert "seperti" in index
    assert len(index) == sum(1 for w, n in VOCABULARY.items() if n >= 2 and len(w) >= 3)


def test_index_is_bounded_to_the_most_used_words():
    small = SpellingIndex(VOCABULARY.items(), max_words=3)
    assert sorted(small.words) == ["kepada", "kita", "seperti"]
    assert small.candidates("kapada", 1) == {"kepada": 1}


# -- the rule on a large archive (25,000 articles) -----------------------------------------

NAMES = {"melinda", "syre", "ani", "ana"}
KNOWN = {"berhasil", "menegaskan", "mengenakan", "kepada", "seperti", "dikirim", "dikirimi"}
KNOWN |= {"pengiriman", "bapak", "bapa", "kota", "kita", "melanda", "sore"}


def lookups(vocabulary=VOCABULARY, occurrences=None, articles=25_000, **extra) -> Lookups:
    occurrences = occurrences or vocabulary
    return Lookups(
        df=vocabulary.__getitem__,
        cf=occurrences.__getitem__,
        capitalised=NAMES.__contains__,
        stem=stem,
        known=KNOWN.__contains__,
        articles=articles,
        **extra,
    )


@pytest.fixture(scope="module")
def popular(index):
    return MorePopular(index, lookups())


@pytest.mark.parametrize(
    ("word", "suggestion"),
    [
        ("berhassil", "berhasil"),
        ("kapada", "kepada"),
    ],
)
def test_typos_get_the_far_more_popular_word(popular, word, suggestion):
    assert popular.suggest(word) == suggestion


def test_long_words_may_be_two_edits_away_when_asked(index):
    assert MorePopular(index, lookups()).suggest("menegesakan") is None  # one edit by default
    two = MorePopular(index, lookups(), Rules(one_edit_up_to=7))
    assert two.explain("menegesakan").candidate == "menegaskan"  # not "mengenakan" (x899)


@pytest.mark.parametrize(
    "word",
    [
        "dikirimi",  # shares its stem with "dikirim": an inflection, not a typo
        "bapa",  # a dictionary word, a letter short of "bapak"
        "kota",  # "kita" is more popular but not 30x
        "melinda",  # a name beside a common word
        "syre",  # a name: "sore" is 798x as popular, not enough for a name
        "ani",  # too short to correct
        "berhasil",  # nothing more popular nearby
        "esklasi",  # absent: the plain did-you-mean handles it
        "menegesakan",  # two edits: not searched by default
    ],
)
def test_correct_words_get_no_suggestion(popular, word):
    assert popular.suggest(word) is None


def test_a_word_repeated_within_an_article_needs_ten_times_more(index):
    vocabulary = Counter(VOCABULARY)
    vocabulary["berhasil"] = 20
    once = MorePopular(index, lookups(vocabulary))
    repeated = Counter(vocabulary)
    repeated["berhassil"] = 2  # one article, twice
    twice = MorePopular(index, lookups(vocabulary, occurrences=repeated))
    assert once.explain("berhassil").needed == pytest.approx(3)  # 300, / 100 for a plain typo
    assert once.suggest("berhassil") == "berhasil"
    assert twice.suggest("berhassil") is None


def test_explain_gives_the_evidence(popular):
    found = popular.explain("kapada")
    assert (found.candidate, found.edits, found.kind) == ("kepada", 1, SUBSTITUTE)
    assert found.ratio == 7613
    assert found.needed == pytest.approx(300 * 100 / 100)  # ratio, unusual edit, plain typo


def test_names_need_more_or_can_be_excluded_entirely(index):
    vocabulary = Counter(VOCABULARY, melinda=1)
    rules = Rules(ratio=30.0, unusual_edit=1.0, name=1.0)
    assert MorePopular(index, lookups(vocabulary), rules).suggest("melinda") == "melanda"
    assert (
        MorePopular(index, lookups(vocabulary), replace(rules, name=10.0)).suggest("melinda")
        is None
    )
    never = replace(rules, name=None)
    assert MorePopular(index, lookups(vocabulary), never).suggest("melinda") is None


def test_articles_sharing_both_words_lower_the_bar():
    vocabulary = Counter({"pengiriman": 20, "pengirman": 1})
    ix = SpellingIndex(vocabulary.items())
    rules = Rules(plain=10.0)
    alone = MorePopular(ix, lookups(vocabulary), rules)
    shared = {frozenset({"pengirman", "pengiriman"})}
    together = MorePopular(
        ix, lookups(vocabulary, cooccur=lambda a, b: frozenset({a, b}) in shared), rules
    )
    assert alone.suggest("pengirman") is None  # 20x, not 300 / 10
    assert together.suggest("pengirman") == "pengiriman"
    assert together.explain("pengirman").needed == pytest.approx(1)  # 300 / 10 / 30


def test_the_same_neighbours_lower_the_bar():
    vocabulary = Counter({"pengiriman": 2, "pengirman": 1})
    ix = SpellingIndex(vocabulary.items())
    alone = MorePopular(ix, lookups(vocabulary))
    beside = {("pengirman", "pengiriman")}
    placed = MorePopular(ix, lookups(vocabulary, context=lambda a, b: (a, b) in beside))
    assert alone.suggest("pengirman") is None  # twice as popular, not 3x
    assert placed.explain("pengirman").needed == pytest.approx(0.03)
    assert placed.suggest("pengirman") == "pengiriman"  # strictly more popular is then enough


def test_the_candidate_passing_by_the_widest_margin_wins():
    vocabulary = Counter({"sentra": 58, "serta": 4751, "senta": 1})
    ix = SpellingIndex(vocabulary.items())
    rules = Rules(short=1.0)
    # "serta" is 80x as popular but a substitution (x100); "sentra" a dropped letter.
    popular = MorePopular(ix, lookups(vocabulary, context=lambda a, b: True), rules)
    assert popular.suggest("senta") == "sentra"


def test_words_in_many_articles_are_meant(index):
    vocabulary = Counter(VOCABULARY)
    vocabulary["kapada"] = 21
    assert MorePopular(index, lookups(vocabulary)).suggest("kapada") is None
    wide = MorePopular(index, lookups(vocabulary), Rules(max_df=21))
    assert wide.suggest("kapada") == "kepada"


def test_one_edit_finds_the_vocabulary_words_one_edit_away():
    vocabulary = {"warga", "harga", "wargi", "wrga"}
    assert OneEdit(vocabulary.__contains__).candidates("warga") == {
        "harga": 1,
        "wargi": 1,
        "wrga": 1,
    }
    assert OneEdit(vocabulary.__contains__).candidates("wraga") == {"warga": 1, "wrga": 1}


def test_sharing_an_article_with_a_word_everywhere_proves_nothing():
    vocabulary = Counter({"pengiriman": 20_000, "pengirman": 1})
    ix = SpellingIndex(vocabulary.items())
    popular = MorePopular(ix, lookups(vocabulary, cooccur=lambda a, b: True))
    assert popular.explain("pengirman").needed == pytest.approx(3)  # no co-occurrence bonus


# -- the rule on a tiny archive ---------------------------------------------------------------


def archive_lookups(texts: list[str]) -> tuple[SpellingIndex, Lookups]:
    """Real statistics of a few texts, as the index would keep them."""
    df, cf = Counter(), Counter()
    for text in texts:
        for term, positions in exact_terms(text).items():
            df[term] += 1
            cf[term] += len(positions)
    caps = CapitalCounts().add_all(texts)
    look = Lookups(
        df=df.__getitem__,
        cf=cf.__getitem__,
        capitalised=caps.is_name,
        stem=stem,
        known=known_word,
        articles=len(texts),
    )
    return SpellingIndex(cf.items()), look


@pytest.fixture(scope="module")
def seeds():
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    index, look = archive_lookups(texts)
    return MorePopular(index, look), look


def test_the_sample_archive_typo_gets_its_word(seeds):
    popular, look = seeds
    # One article, once, beside one article, twice: all five articles can show.
    assert look.popularity("esklasi") == (1, 1)
    assert look.popularity("eskalasi") == (1, 2)
    assert popular.small
    assert popular.suggest("esklasi") == "eskalasi"


def test_the_sample_archive_suggests_only_for_its_typos(seeds):
    popular, look = seeds
    words = {w for p in SEEDS.glob("*.txt") for w in exact_terms(p.read_text(encoding="utf-8"))}
    found = {w: popular.suggest(w) for w in words if w.isalpha()}
    assert {w: s for w, s in found.items() if s} == {
        "esklasi": "eskalasi",
        "tpengiriman": "pengiriman",  # "TPengiriman" opens an article
    }


@pytest.mark.parametrize("articles", [SEARCH_ARTICLES, SMALL_ARTICLES])
def test_the_test_archives_get_no_suggestion(articles):
    # The query forms of the search tests are all words of these articles.
    texts = [a.body for a in articles]
    index, look = archive_lookups(texts)
    popular = MorePopular(index, look)
    words = {w for text in texts for w in exact_terms(text) if w.isalpha()}
    assert {w: popular.suggest(w) for w in words if popular.suggest(w)} == {}


def test_a_small_archive_needs_the_dictionary():
    texts = ["Bapak itu datang. Bapak pulang.", "Kata bapa dia.", "Bapak dan ibu."]
    index, look = archive_lookups(texts)
    popular = MorePopular(index, look)
    assert popular.suggest("bapa") is None  # a word Sastrawi knows stands


# -- names and dictionary words ------------------------------------------------------------------


def test_mid_sentence_words_skip_sentence_and_paragraph_starts():
    text = 'Warga Bekasi mengungsi. Banjir datang,Dalam kota "Hujan" turun, ujar Vidal, Vietto.'
    assert list(mid_sentence_words(text)) == [
        ("bekasi", True),
        ("mengungsi", False),
        ("datang", False),
        ("kota", False),
        # "Hujan" opens a quotation and "turun" follows one: both skipped.
        ("ujar", False),
        ("vidal", True),
        ("vietto", True),
    ]


def test_a_compound_part_is_mid_sentence():
    assert ("rangkas", True) in list(mid_sentence_words("Tanah Abang-Rangkas Bitung"))


def test_capital_counts_tell_names():
    counts = CapitalCounts().add_all(
        ["Kata Ani kepada bapak.", "Lalu Ani pulang.", "Dia dan ani.", "Bapak Ani datang."]
    )
    assert counts.is_name("ani")  # 3 of 4 mid-sentence occurrences
    assert not counts.is_name("bapak")
    assert not counts.is_name("unseen")
    assert counts.names() == frozenset({"ani"})


@pytest.mark.parametrize(
    ("word", "known"),
    [("kirim", True), ("dikirimi", True), ("eskalasi", True), ("esklasi", False), ("wrga", False)],
)
def test_known_word(word, known):
    assert known_word(word) is known


def test_neighbours_are_the_exact_words_either_side():
    terms = exact_terms("Proses pengirman barang. Pengirman ditunda")
    assert neighbours(terms, "pengirman") == [("proses", "barang"), ("barang", "ditunda")]
    assert neighbours(terms, "proses") == [(None, "pengirman")]
    assert neighbours(terms, "pengirman", limit=1) == [("proses", "barang")]
