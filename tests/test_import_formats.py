"""``warta import`` of saved pages (.html, .htm) and web archives (.warc, .warc.gz)."""

from __future__ import annotations

import shutil
from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.store import Store

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
    assert "2 added, 0 updated, 0 unchanged, 0 rejected" in result.output
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
    assert "2 added, 0 updated, 0 unchanged, 1 rejected" in result.output
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
