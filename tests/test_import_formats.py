"""``warta import`` of saved pages (.html, .htm) and web archives (.warc, .warc.gz)."""

from __future__ import annotations

import json
import shutil
from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler import text_normaliser
from crawler.store import Store
from web.cli import cli

HTML = Path(__file__).resolve().parent / "fixtures" / "html"


def write_warc(path: Path, gzip: bool) -> Path:
    """A small web archive: two article pages, a home page, an image and a 404."""
    records = [
        (
            "https://www.kabarnusantara.test/ekonomi/2024/11/12/harga-beras-naik",
            "200 OK",
            "text/html; charset=utf-8",
            (HTML / "jsonld.html").read_bytes(),
        ),
        (
            "https://manado.contoh.test/gempa",
            "200 OK",
            "text/html; charset=utf-8",
            (HTML / "tribun_like.html").read_bytes(),
        ),
        (
            "https://manado.contoh.test/",
            "200 OK",
            "text/html",
            b"<html><body><a href='/gempa'>Gempa</a></body></html>",
        ),
        ("https://manado.contoh.test/foto.jpg", "200 OK", "image/jpeg", b"\xff\xd8\xff" * 50),
        ("https://manado.contoh.test/hilang", "404 Not Found", "text/html", b"<h1>404</h1>"),
    ]
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=gzip)
        for url, status, content_type, body in records:
            headers = StatusAndHeaders(
                status, [("Content-Type", content_type)], protocol="HTTP/1.1"
            )
            # With the length given, warcio needs no temporary file for the digests.
            record = writer.create_warc_record(
                url, "response", payload=BytesIO(body), length=len(body), http_headers=headers
            )
            writer.write_record(record)
    return path


def test_saved_pages_are_imported(invoke, data_dir, tmp_path):
    shutil.copy(HTML / "jsonld.html", tmp_path / "beras.html")
    shutil.copy(HTML / "detik_like.html", tmp_path / "kereta.htm")
    result = invoke("import", str(tmp_path / "beras.html"), str(tmp_path / "kereta.htm"))
    assert "2 added, 0 updated, 0 unchanged, 0 replaced, 0 rejected" in result.output
    with Store.open(data_dir) as store:
        titles = {a.title: a for a, _ in store.iter_articles()}
    beras = titles["Harga Beras Naik di Jawa Timur"]
    assert beras.url == "https://www.kabarnusantara.test/ekonomi/2024/11/12/harga-beras-naik"
    assert beras.published == "2024-11-12T06:45:00+07:00"
    kereta = titles["Kereta Cepat Tambah Jadwal Perjalanan Akhir Pekan"]
    assert (kereta.id, kereta.url) == ("kereta", None)
    assert "ADVERTISEMENT" not in kereta.body


def test_saved_page_without_text_is_rejected(invoke, tmp_path):
    empty = tmp_path / "kosong.html"
    empty.write_text("<html><body><nav>Menu</nav></body></html>", encoding="utf-8")
    result = invoke("import", str(empty))
    assert f"rejected {empty}: no article text" in result.output


@pytest.mark.parametrize("name", ["arsip.warc", "arsip.warc.gz"])
def test_web_archives_are_imported(invoke, data_dir, tmp_path, name):
    path = write_warc(tmp_path / name, gzip=name.endswith(".gz"))
    result = invoke("import", str(path))
    assert "2 added, 0 updated, 0 unchanged, 0 replaced, 1 rejected" in result.output
    assert f"{path}#https://manado.contoh.test/: not an article page" in result.output
    with Store.open(data_dir) as store:
        urls = {a.url for a, _ in store.iter_articles()}
    assert urls == {
        "https://www.kabarnusantara.test/ekonomi/2024/11/12/harga-beras-naik",
        "https://manado.contoh.test/gempa",
    }
    again = invoke("import", str(path))
    assert "0 added, 0 updated, 2 unchanged" in again.output


def test_broken_web_archive_is_rejected_with_a_sentence(invoke, tmp_path):
    path = tmp_path / "rusak.warc"
    path.write_bytes(b"this is not a web archive\r\n" * 10)
    result = invoke("import", str(path))
    assert f"rejected {path}: not a readable web archive" in result.output


# -- JSON Lines: the same stored articles with and without clean_text's shortcut ----

RECORDS = [
    {
        "id": "a1",
        "title": "Harga beras naik",
        "date": "2024-11-12",
        "time": "10:30",
        "body": "JAKARTA, KOMPAS.com - Harga beras naik  lagi di pasar.\nBaca juga: Harga cabai\n"
        "Pedagang mengeluh. (abc)",
    },
    {
        "id": "a2",
        "title": "Menteri: \u00e2\u20ac\u0153baik\u00e2\u20ac\x9d",
        "body": "\u201a\u00c4\u00ee Warga Ngawi dihebohkan foto di medsos.,Polisi menyelidiki.",
    },
    {
        "id": "a3",
        "title": "Caf\u00e9 di Bandung",
        "source": "Tempo",
        "body": "Caf\u00e9 itu \u201cramai\u201d sejak pagi.\r\n\r\nTom &amp; Jerry\u200b datang.",
    },
    {"id": "a4", "title": "Doa", "body": "\u0628\u0650\u0633\u0652\u0645\u0650 \u2013 doa dibaca."},
]


def stored_articles(data_dir: Path) -> list[tuple]:
    with Store.open(data_dir) as store:
        rows = store.db.execute(
            "SELECT id, url, source, title, published, author, body, content_hash, seq "
            "FROM articles ORDER BY id"
        )
        return [tuple(row) for row in rows]


def test_jsonl_import_stores_what_the_full_cleaning_stores(tmp_path, runner, monkeypatch):
    path = tmp_path / "news.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS))
    result = runner.invoke(cli, ["--data-dir", str(tmp_path / "fast"), "import", str(path)])
    assert result.exit_code == 0, result.output
    monkeypatch.setattr(text_normaliser, "_untouched", lambda text: False)
    result = runner.invoke(cli, ["--data-dir", str(tmp_path / "full"), "import", str(path)])
    assert result.exit_code == 0, result.output
    fast = stored_articles(tmp_path / "fast")
    assert [row[0] for row in fast] == ["a1", "a2", "a3", "a4"]
    assert fast == stored_articles(tmp_path / "full")
    assert fast[1][3] == 'Menteri: "baik"'  # the mojibake was repaired on both paths
