"""Shared fixtures: a real store and a real index in tmp_path, then app and client."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.article import Article
from crawler.store import Store
from index.build import build_index, index_path
from web import create_app
from web.cli import cli

SEEDS = Path(__file__).resolve().parent.parent / "examples" / "seeds"

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
    return create_app({"TESTING": True, "DATA_DIR": str(indexed_data_dir)})


@pytest.fixture
def client(app):
    return app.test_client()
