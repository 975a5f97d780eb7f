"""Acronyms the archive defines (index.acronyms): matching, mining, choosing."""

from __future__ import annotations

from collections import Counter

import pytest

from index.acronyms import (
    definitions,
    definitions_in,
    find_long_form,
    is_short_form,
    match_cost,
    mine,
    normalise_short,
)


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("Otoritas Jasa Keuangan (OJK) menyatakan", ("ojk", "otoritas jasa keuangan")),
        (
            "Kepala Badan Penanggulangan Bencana Daerah (BPBD) Bekasi",
            ("bpbd", "badan penanggulangan bencana daerah"),
        ),
        ("dalam rapat dengar pendapat (RDP) dengan", ("rdp", "rapat dengar pendapat")),
        (
            "pelaku Usaha Mikro, Kecil, dan Menengah (UMKM) di",  # "dan" gives no letter
            ("umkm", "usaha mikro kecil dan menengah"),
        ),
        ("Pemilihan Umum (Pemilu) 2019", ("pemilu", "pemilihan umum")),  # syllabic
        ("Kementerian Kesehatan (Kemenkes) menyebut", ("kemenkes", "kementerian kesehatan")),
        (
            "Kementerian Pemuda dan Olahraga (Kemenpora)",
            ("kemenpora", "kementerian pemuda dan olahraga"),
        ),
        (
            "Kepolisian Negara Republik Indonesia (Polri)",  # after a prefix; one word skipped
            ("polri", "kepolisian negara republik indonesia"),
        ),
        ("Satuan Polisi Pamong Praja (Satpol PP)", ("satpol pp", "satuan polisi pamong praja")),
        ("revisi Undang-Undang (UU) KPK", ("uu", "undang-undang")),
        ("OJK (Otoritas Jasa Keuangan) menyatakan", ("ojk", "otoritas jasa keuangan")),
        (
            "Pusat Pelaporan dan Analisis Transaksi Keuangan (PPATK)",  # not "pelaporan ..."
            ("ppatk", "pusat pelaporan dan analisis transaksi keuangan"),
        ),
        ("Badan Kebijakan Fiskal (BKF)", ("bkf", "badan kebijakan fiskal")),
        ("sebelumnya.,Komisi Pemberantasan Korupsi (KPK)", ("kpk", "komisi pemberantasan korupsi")),
    ],
)
def test_definitions_in_indonesian_news(text, pair):
    assert definitions_in(text) == {pair}


@pytest.mark.parametrize(
    "text",
    [
        "pada Senin (10/9/2019) lalu",  # a date
        "seorang pria (25) ditangkap",  # an age
        "pemain Ante Rebic (Kroasia) masuk",  # a country
        "Presiden Joko Widodo (PDIP) hadir",  # letters that do not spell it
        "kata Kepala Bidang Humas. (KPK) menolak",  # the long form is in another sentence
        "Badan Pengawas Pemilu (Bawaslu)",  # inner syllables: not matched
    ],
)
def test_no_definition(text):
    assert definitions_in(text) == set()


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("OJK", True),
        ("Pemilu", True),
        ("Satpol PP", True),
        ("PDI-P", True),
        ("Kroasia", True),  # looks syllabic; only the letters matching decides
    ],
)
def test_is_short_form_accepts(text, short):
    assert is_short_form(text) is short


@pytest.mark.parametrize("text", ["10/9/2019", "25", "Ani", "kata dia", "A", "Ante Rebic Jr"])
def test_is_short_form_rejects(text):
    assert is_short_form(text) is False


def test_normalise_short():
    assert normalise_short(" Satpol  P.P. ") == "satpol pp"


def test_match_cost_counts_letters_from_inside_words():
    assert match_cost("bpbd", ["badan", "penanggulangan", "bencana", "daerah"]) == 0
    assert match_cost("pemilu", ["pemilihan", "umum"]) == 4
    assert match_cost("kpk", ["korupsi"]) is None


def test_the_long_form_is_at_most_twice_the_acronym():
    # Function words give no letter, but still count against the length.
    assert find_long_form("bn", ["badan", "dan", "di", "nasional"]) == [
        "badan",
        "dan",
        "di",
        "nasional",
    ]
    assert find_long_form("bn", ["badan", "dan", "di", "ke", "nasional"]) is None


def test_mine_counts_each_article_once():
    texts = [
        "Otoritas Jasa Keuangan (OJK) dan lagi Otoritas Jasa Keuangan (OJK).",
        "Kata Otoritas Jasa Keuangan (OJK) kemarin.",
        "Tanpa definisi sama sekali.",
    ]
    assert mine(texts) == Counter({("ojk", "otoritas jasa keuangan"): 2})


def test_definitions_keep_the_most_frequent_long_form_seen_often_enough():
    counts = Counter(
        {
            ("pbb", "perserikatan bangsa-bangsa"): 38,
            ("pbb", "partai bulan bintang"): 7,
            ("ojk", "otoritas jasa keuangan"): 2,
            ("abc", "a b c"): 1,
        }
    )
    assert definitions(counts, 2) == {
        "pbb": "perserikatan bangsa-bangsa",
        "ojk": "otoritas jasa keuangan",
    }
    assert definitions(counts, 10) == {"pbb": "perserikatan bangsa-bangsa"}


def test_ties_prefer_the_shorter_long_form():
    counts = Counter(
        {
            ("kadin", "kamar dagang dan industri"): 4,
            ("kadin", "kamar dagang dan industri indonesia"): 4,
        }
    )
    assert definitions(counts, 1) == {"kadin": "kamar dagang dan industri"}
