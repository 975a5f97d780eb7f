"""Shared fixtures: a real store and a real index in tmp_path, then app and client."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler import Article, Store
from index import build_index, index_path
from web import create_app
from web.cli import cli
from web.handles import close_app

# The top-level keys of the stable search result shape (CLI --json and the API).
RESULT_KEYS = frozenset(
    {
        "query",
        "total",
        "page",
        "page_size",
        "took_ms",
        "suggestion",
        "facets",
        "hits",
        "fallback",
        "timeline",
    }
)

SEEDS = Path(__file__).resolve().parent.parent / "examples" / "seeds"


def contoh_article(article_id: str, title: str, body: str) -> Article:
    """A dated Kompas article at contoh.test, for fixtures built from text alone."""
    return Article(
        id=article_id,
        title=title,
        body=body,
        url=f"https://contoh.test/{article_id}",
        source="Kompas",
        published="2024-11-14T10:30:00+07:00",
    )


def flood_reports() -> list[Article]:
    """Five short undated reports of different floods that share a phrase (not copies)."""
    places = ["Bekasi", "Medan", "Padang", "Manado", "Kupang"]
    causes = ["hujan deras semalam", "tanggul jebol", "sungai meluap", "rob pasang", "drainase"]
    return [
        Article(
            id=f"a{i}",
            title=f"Warga {place} mengungsi",
            body=f"Banjir melanda {place} karena {cause}.",
        )
        for i, (place, cause) in enumerate(zip(places, causes, strict=True))
    ]


SMALL_ARTICLES = [
    Article(
        id="bekasi-banjir",
        title="Banjir melanda Bekasi",
        body="Banjir besar melanda Kota Bekasi pada Senin pagi. Warga mengungsi ke masjid.",
        url="https://contoh.test/bekasi-banjir",
        source="Kompas",
        published="2024-11-14T10:30:00+07:00",
        author="Rina",
    ),
    Article(
        id="pemilu-2024",
        title="KPU menetapkan hasil Pemilu",
        body="Komisi Pemilihan Umum menetapkan hasil pemilu presiden di Jakarta.",
        url="https://contoh.test/pemilu",
        source="Tempo",
        published="2024-03-20",
    ),
]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def seeds_dir(tmp_path: Path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner, data_dir):
    """Run a ``warta`` command against the test data directory."""

    def run(*args: str, expect: int = 0):
        result = runner.invoke(cli, ["--quiet", "--data-dir", str(data_dir), *args])
        assert result.exit_code == expect, result.output
        return result

    return run


@pytest.fixture
def indexed_data_dir(data_dir, seeds_dir, invoke) -> Path:
    """The sample archive plus two small articles, imported and indexed."""
    invoke("import", str(seeds_dir))
    with Store.open(data_dir) as store:
        store.upsert_many(SMALL_ARTICLES)
        build_index(store, index_path(data_dir))
    return data_dir


@pytest.fixture
def app(indexed_data_dir):
    app = create_app({"TESTING": True, "DATA_DIR": str(indexed_data_dir)})
    yield app
    close_app(app)


@pytest.fixture
def client(app):
    return app.test_client()


# -- the searcher's small archive (tests/test_search*.py) ------------------------

SEARCH_ARTICLES = [
    Article(
        id="korut-pasukan",
        title="Korut kirim pasukan ke Rusia",
        body="Korea Utara mengirimkan ribuan pasukan ke Rusia. Pengiriman pasukan itu "
        "dikecam Korea Selatan, yang menyebut pasukan dikirimkan lewat laut.",
        url="https://contoh.test/korut-pasukan",
        source="Kompas",
        published="2024-11-05T08:00:00+07:00",
    ),
    Article(
        id="korea-rudal",
        title="Korea Utara uji rudal balistik",
        body="Pemerintah Korea Utara kembali menguji rudal balistik. Korea Selatan dan "
        "Amerika Serikat memantau peluncuran itu dari Seoul.",
        url="https://contoh.test/korea-rudal",
        source="Tempo",
        published="2024-10-20",
        author="Budi Santoso",
    ),
    Article(
        id="drama-korea",
        title="Drama Korea digemari",
        body="Warga di bagian utara Jakarta gemar menonton drama Korea setiap malam. "
        "Penggemar Korea berkumpul di mal.",
        url="https://contoh.test/drama-korea",
        source="Detik",
        published="2024-11-12",
    ),
    Article(
        id="tiongkok-as",
        title="Tiongkok dan AS berunding di Jenewa",
        body="Delegasi Tiongkok bertemu pejabat AS untuk membahas tarif dagang.",
        url="https://contoh.test/tiongkok-as",
        source="Antara",
        published="2024-11-20",
    ),
    Article(
        id="ekonomi-china",
        title="Ekonomi China melambat",
        body="Pertumbuhan ekonomi China melambat pada kuartal ketiga menurut data resmi.",
        url="https://contoh.test/ekonomi-china",
        source="Kompas",
        published="2024-09-01",
    ),
    Article(
        id="jokowi-pasar",
        title="Jokowi blusukan ke pasar",
        body="Jokowi menyapa pedagang pasar di Solo dan membeli sayur.",
        url="https://contoh.test/jokowi-pasar",
        source="Detik",
        published="2024-08-17",
    ),
    Article(
        id="bendungan",
        title="Presiden meresmikan bendungan",
        body="Presiden Joko Widodo meresmikan bendungan baru di Jawa Tengah untuk irigasi.",
        url="https://contoh.test/bendungan",
        source="Tempo",
        published="2024-07-01",
    ),
    Article(
        id="banjir-bekasi",
        title="Banjir merendam Bekasi",
        body="Banjir besar merendam ratusan rumah di Bekasi. Warga mengungsi ke masjid "
        "dan sekolah. Petugas mengirim perahu karet untuk mengevakuasi warga.",
        url="https://contoh.test/banjir-bekasi",
        source="Kompas",
        published="2024-11-14",
    ),
    Article(
        id="pemerintah-anggaran",
        title="Pemerintah menambah anggaran pendidikan",
        body="Pemerintah pusat menambah anggaran pendidikan tahun depan. Pemerintah daerah "
        "diminta menyiapkan sekolah.",
        url="https://contoh.test/anggaran",
        source="Antara",
        published="2024-06-10",
    ),
    Article(
        id="kopi-aceh",
        title="Kopi dari Aceh",
        body="Petani Aceh Tengah mengekspor kopi arabika ke Jepang sejak musim panen lalu.",
        source="Antara",
        published="2023-05-01",
    ),
    Article(
        id="kopi-gayo",
        title="Kopi dari Gayo",
        body="Ekspor kopi Gayo naik tajam karena harga di pasar dunia membaik tahun ini.",
        source="Antara",
        published="2023-05-02",
    ),
]


@pytest.fixture
def search_data_dir(data_dir) -> Path:
    """The searcher's small archive, stored and indexed."""
    with Store.open(data_dir) as store:
        store.upsert_many(SEARCH_ARTICLES)
        build_index(store, index_path(data_dir))
    return data_dir
