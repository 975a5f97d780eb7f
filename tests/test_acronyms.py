"""Acronyms the archive defines (index.acronyms): matching, mining, choosing."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from crawler import Store
from index import build_index, index_path, update_index
from index.acronyms import (
    COUNTS_FILE,
    TRUSTED_FILE,
    AcronymCounts,
    definitions,
    definitions_in,
    find_long_form,
    is_short_form,
    match_cost,
    mine,
    normalise_short,
    read_trusted,
)
from searcher import Searcher
from searcher.compiler import RankingFeatures
from tests.conftest import contoh_article
from web import create_app
from web.cli import cli
from web.handles import close_app


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


# -- kept with the index, expanded by the searcher ------------------------------------

# Not in the shipped synonyms (BPBD is: the hand-made group would win).
BPKH = "Badan Pengelola Keuangan Haji"
BPOM = "Badan Pengawas Obat dan Makanan"


# Definitions in articles that are not copies of each other (copies collapse into one hit).
ARCHIVE = [
    contoh_article(
        "def-bpkh-1",
        "Dana haji diinvestasikan",
        f"Kepala {BPKH} (BPKH) menjelaskan investasi dana setoran jemaah di Jakarta, Senin.",
    ),
    contoh_article(
        "def-bpkh-2",
        "Setoran awal naik",
        f"Menurut anggota {BPKH} (BPKH), antrean calon jemaah di Sulawesi makin panjang.",
    ),
    contoh_article("only-bpkh", "Nilai manfaat", "BPKH membagikan nilai manfaat kepada jemaah."),
    contoh_article("only-long", "Sukuk", f"{BPKH} membeli sukuk negara tahun ini."),
    contoh_article(
        "def-bpom-1",
        "Kosmetik ditarik",
        f"{BPOM} (BPOM) menarik kosmetik berbahaya dari toko daring pekan lalu.",
    ),
    contoh_article(
        "def-bpom-2",
        "Jamu palsu disita",
        f"Di Surabaya, petugas {BPOM} (BPOM) menyita jamu palsu dari sebuah gudang.",
    ),
    contoh_article("only-bpom", "Vaksin baru", "BPOM memberi izin darurat untuk vaksin baru."),
    contoh_article(
        "def-lkp", "Kajian pantai", "Lembaga Kajian Pesisir (LKP) meneliti abrasi pantai."
    ),
    contoh_article("only-lkp", "Abrasi", "LKP merilis laporan tentang abrasi di utara Jawa."),
]
NEW_DEFINITIONS = [
    contoh_article(
        "def-kpi-1",
        "Siaran ditegur",
        "Komisi Penyiaran Indonesia (KPI) menegur stasiun televisi karena tayangan kekerasan.",
    ),
    contoh_article(
        "def-kpi-2",
        "Iklan rokok",
        "Pada rapat di Senayan, Komisi Penyiaran Indonesia (KPI) menyoroti iklan rokok.",
    ),
    contoh_article("only-kpi", "Sinetron", "KPI menghentikan sementara tayangan sinetron itu."),
]


@pytest.fixture
def archive_dir(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        store.upsert_many(ARCHIVE)
        build_index(store, index_path(data_dir))
    return data_dir


@pytest.fixture
def searcher(archive_dir):
    s = Searcher(index_path(archive_dir))
    yield s
    s.close()


def _ids(searcher: Searcher, query: str) -> list[str]:
    return [hit.id for hit in searcher.search(query).hits]


def test_the_index_keeps_the_definitions_seen_often_enough(archive_dir):
    assert read_trusted(index_path(archive_dir).resolve()) == [
        ("bpkh", "badan pengelola keuangan haji", 2),
        ("bpom", "badan pengawas obat dan makanan", 2),
    ]


@pytest.mark.parametrize(
    ("query", "exact", "expanded"),
    [
        ("bpkh", "only-bpkh", "only-long"),  # acronym → long form
        (BPKH.lower(), "only-long", "only-bpkh"),  # long form → acronym
    ],
)
def test_a_mined_acronym_expands_both_ways_below_exact(searcher, query, exact, expanded):
    found = _ids(searcher, query)
    assert set(found) == {"def-bpkh-1", "def-bpkh-2", exact, expanded}
    assert found.index(exact) < found.index(expanded)


def test_the_long_form_is_marked_as_a_phrase(searcher):
    snippet = {h.id: h.snippet for h in searcher.search("bpkh").hits}["only-long"]
    assert re.findall(r"<mark>(.*?)</mark>", snippet) == [BPKH]


def test_a_long_form_with_a_stopword_expands(searcher):
    # "dan" is a query stopword: the synonym phrase is found before stopwords go.
    assert set(_ids(searcher, BPOM)) == {"def-bpom-1", "def-bpom-2", "only-bpom"}
    assert set(_ids(searcher, "bpom")) == {"def-bpom-1", "def-bpom-2", "only-bpom"}


def test_a_definition_below_the_threshold_does_not_expand(searcher):
    assert _ids(searcher, "lembaga kajian pesisir") == ["def-lkp"]
    assert set(_ids(searcher, "lkp")) == {"def-lkp", "only-lkp"}


def test_without_acronyms_nothing_expands(archive_dir):
    s = Searcher(index_path(archive_dir), features=RankingFeatures(acronyms=False))
    try:
        assert set(_ids(s, "bpkh")) == {"def-bpkh-1", "def-bpkh-2", "only-bpkh"}
        assert "only-bpom" not in _ids(s, BPOM)
    finally:
        s.close()


def test_the_users_synonyms_win_over_mined_pairs(archive_dir):
    (archive_dir / "synonyms.txt").write_text("bpom, badan pom\n", encoding="utf-8")
    s = Searcher(index_path(archive_dir))
    try:
        assert "only-bpom" not in _ids(s, BPOM)
        assert set(_ids(s, "bpkh")) == {"def-bpkh-1", "def-bpkh-2", "only-bpkh", "only-long"}
    finally:
        s.close()


def test_the_hand_made_synonyms_still_expand(searcher):
    # The shipped list's "kpk, komisi pemberantasan korupsi" needs no definition.
    synonyms = searcher.generations.current.compiler.synonyms
    assert ("kpk",) in synonyms.get(("komisi", "pemberantasan", "korupsi"))
    assert ("badan", "pengawas", "obat", "dan", "makanan") in synonyms.get(("bpom",))


def test_an_update_adds_a_newly_defined_acronym(archive_dir, searcher):
    assert _ids(searcher, "komisi penyiaran indonesia") == []
    with Store.open(archive_dir) as store:
        store.upsert_many(NEW_DEFINITIONS)
        update_index(store, index_path(archive_dir))
    assert set(_ids(searcher, "komisi penyiaran indonesia")) == {
        "def-kpi-1",
        "def-kpi-2",
        "only-kpi",
    }


def test_an_update_takes_back_what_deleted_and_changed_articles_defined(archive_dir, searcher):
    with Store.open(archive_dir) as store:
        store.delete("def-bpkh-1")
        store.upsert(replace(ARCHIVE[4], body="Petugas menarik kosmetik berbahaya."))
        update_index(store, index_path(archive_dir))
    assert read_trusted(index_path(archive_dir).resolve()) == []
    assert "only-long" not in _ids(searcher, "bpkh")
    assert "only-bpom" not in _ids(searcher, BPOM)


def test_an_update_counts_a_generation_built_without_counts(archive_dir):
    gen_dir = index_path(archive_dir).resolve()
    (gen_dir / COUNTS_FILE).unlink()
    (gen_dir / TRUSTED_FILE).unlink()
    with Store.open(archive_dir) as store:
        store.upsert_many(NEW_DEFINITIONS)
        update_index(store, index_path(archive_dir))
    assert [short for short, _, _ in read_trusted(gen_dir)] == ["bpkh", "bpom", "kpi"]


def test_a_short_form_mostly_written_as_a_word_is_not_trusted():
    counts = AcronymCounts()
    for i in range(2):
        counts.add(f"def-{i}", "Asosiasi Pertekstilan Indonesia (API) meminta insentif.")
    counts.add("fire", "Warga melihat api di atap, lalu api padam dan api menyala lagi.")
    counts.add("fire-2", "Petugas memadamkan api di pasar.")
    assert counts.counts()[("api", "asosiasi pertekstilan indonesia")] == 2
    assert counts.trusted(2) == {}


def test_the_cli_lists_the_trusted_definitions(archive_dir, runner):
    result = runner.invoke(cli, ["--quiet", "--data-dir", str(archive_dir), "index", "acronyms"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "bpkh  badan pengelola keuangan haji  (2 articles)",
        "bpom  badan pengawas obat dan makanan  (2 articles)",
    ]
    as_json = runner.invoke(
        cli, ["--quiet", "--data-dir", str(archive_dir), "index", "acronyms", "--json"]
    )
    assert json.loads(as_json.output)["acronyms"][0] == {
        "acronym": "bpkh",
        "long_form": "badan pengelola keuangan haji",
        "articles": 2,
    }


def test_the_cli_says_when_there_is_no_index(tmp_path, runner):
    result = runner.invoke(cli, ["--quiet", "--data-dir", str(tmp_path), "index", "acronyms"])
    assert result.exit_code == 1
    assert "warta index build" in result.output


def test_a_hand_made_long_form_with_a_stopword_expands(archive_dir):
    (archive_dir / "synonyms.txt").write_text("lkp, lembaga kajian dan pesisir\n", encoding="utf-8")
    s = Searcher(index_path(archive_dir))
    try:
        assert set(_ids(s, "lembaga kajian dan pesisir")) == {"def-lkp", "only-lkp"}
    finally:
        s.close()


def test_the_api_and_the_page_mark_the_expanded_form(archive_dir):
    app = create_app({"TESTING": True, "DATA_DIR": str(archive_dir)})
    try:
        client = app.test_client()
        hits = client.get("/api/search?q=bpkh").get_json()["hits"]
        snippet = next(h["snippet"] for h in hits if h["id"] == "only-long")
        assert f"<mark>{BPKH}</mark>" in snippet
        page = client.get("/?q=bpkh").get_data(as_text=True)
        assert f"<mark>{BPKH}</mark>" in page
    finally:
        close_app(app)
