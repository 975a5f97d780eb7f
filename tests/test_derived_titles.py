"""A title made from the first sentence: marked derived from import to the API, shown, not ranked.

The flag travels ``warta import`` (JSON Lines without titles) → store →
``warta index build`` → search hits (``warta search --json``, ``/api/search``
of a real ``warta serve``) and ``/api/articles/<id>``.
"""

from __future__ import annotations

import json
import subprocess
import urllib.parse
from pathlib import Path

import pytest
from test_serve import free_port, get_json, serve_command

from crawler.store import Store

LEAD = "Banjir bandang melanda Garut pada Sabtu pagi."
# Three tails of the same length in words, sharing none: no two articles are copies.
TAILS = [
    "Petani kopi lereng gunung memetik buah merah sebelum musim hujan tiba. "
    "Harga biji kering naik tajam pekan lalu menurut pedagang pasar desa. "
    "Koperasi setempat membeli panen anggota dengan harga tetap sepanjang tahun. "
    "Gudang baru dibangun dekat jalan kabupaten agar truk pengangkut mudah masuk. "
    "Dinas pertanian mengirim penyuluh untuk mengajarkan cara fermentasi yang bersih.",
    "Pelajar sekolah menengah mengikuti lomba robot tingkat provinsi bulan depan. "
    "Pelatih mereka menyiapkan rancangan mesin penyortir sampah plastik otomatis. "
    "Sponsor perusahaan teknologi menyumbang komponen elektronik serta papan sirkuit. "
    "Orang tua murid bergantian mengantar makanan ke laboratorium setiap sore hari. "
    "Kepala sekolah berharap tim juara nasional tahun ini membawa pulang piala emas. "
    "Semua gembira.",
    "Nelayan pesisir utara menunda melaut karena gelombang tinggi sepanjang minggu. "
    "Pemerintah daerah membagikan beras kepada keluarga yang kehilangan penghasilan. "
    "Perahu kecil ditambatkan rapat di dermaga sementara mesin diperbaiki bersama. "
    "Pedagang ikan asin mengeluhkan stok menipis sehingga pelanggan beralih ke ayam. "
    "Badan meteorologi memperkirakan cuaca membaik menjelang akhir bulan Desember. "
    "Warga berharap bantuan segera.",
]
QUERY = "banjir bandang garut"


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


@pytest.fixture
def titled_data_dir(tmp_path, data_dir, invoke) -> Path:
    """Three articles opening with the same sentence: without a title, with a title
    holding the sentence's words, with an unrelated title."""
    records = [
        {"id": "tanpa", "body": f"{LEAD} {TAILS[0]}"},
        {"id": "berjudul", "title": "Banjir bandang melanda Garut", "body": f"{LEAD} {TAILS[1]}"},
        {"id": "lain", "title": "Kabar dari daerah", "body": f"{LEAD} {TAILS[2]}"},
    ]
    invoke("import", str(_write_jsonl(tmp_path / "articles.jsonl", records)))
    invoke("index", "build")
    return data_dir


def _search(invoke, query: str) -> dict[str, dict]:
    result = invoke("search", "--json", query)
    return {hit["id"]: hit for hit in json.loads(result.output)["hits"]}


def test_import_marks_the_title_it_derived(titled_data_dir):
    with Store.open(titled_data_dir) as store:
        tanpa, berjudul = store.get("tanpa"), store.get("berjudul")
    assert (tanpa.title, tanpa.title_derived) == (LEAD.rstrip("."), True)
    assert (berjudul.title, berjudul.title_derived) == ("Banjir bandang melanda Garut", False)


def test_a_derived_title_is_shown_and_ranks_as_body_text(titled_data_dir, invoke):
    hits = _search(invoke, QUERY)
    assert list(hits)[0] == "berjudul"
    assert hits["tanpa"]["score"] == pytest.approx(hits["lain"]["score"], rel=1e-3)
    assert hits["berjudul"]["score"] > hits["tanpa"]["score"] * 1.2
    assert (hits["tanpa"]["title"], hits["tanpa"]["title_derived"]) == (LEAD.rstrip("."), True)
    assert [hits[i]["title_derived"] for i in ("berjudul", "lain")] == [False, False]


def test_a_title_only_search_does_not_find_a_derived_title(titled_data_dir, invoke):
    hits = _search(invoke, "judul:banjir")
    assert list(hits) == ["berjudul"]


def test_the_flag_reaches_the_json_api_of_a_running_server(titled_data_dir):
    port = free_port()
    server = subprocess.Popen(serve_command(titled_data_dir, port), stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/api"
    try:
        found = get_json(f"{base}/search?q={urllib.parse.quote(QUERY)}")
        flags = {hit["id"]: hit["title_derived"] for hit in found["hits"]}
        assert flags == {"berjudul": False, "tanpa": True, "lain": False}
        assert found["hits"][0]["id"] == "berjudul"
        article = get_json(f"{base}/articles/tanpa")
        assert (article["title"], article["title_derived"]) == (LEAD.rstrip("."), True)
        assert get_json(f"{base}/articles/berjudul")["title_derived"] is False
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_title_that_arrives_later_is_indexed_as_a_title(titled_data_dir, tmp_path, invoke):
    later = {"id": "tanpa", "title": "Garut diterjang banjir bandang", "body": f"{LEAD} {TAILS[0]}"}
    result = invoke("import", str(_write_jsonl(tmp_path / "later.jsonl", [later])))
    assert "0 added, 1 updated" in result.output
    invoke("index", "update")
    hits = _search(invoke, QUERY)
    assert (hits["tanpa"]["title"], hits["tanpa"]["title_derived"]) == (later["title"], False)
    assert hits["tanpa"]["score"] > hits["lain"]["score"] * 1.2
    assert list(_search(invoke, "judul:banjir")) == ["berjudul", "tanpa"]


def test_exports_show_the_derived_title(titled_data_dir, invoke):
    rows = invoke("search", "--format", "jsonl", "--all", QUERY).output.splitlines()
    titles = {row["id"]: row["title"] for row in map(json.loads, rows)}
    assert titles == {
        "berjudul": "Banjir bandang melanda Garut",
        "tanpa": LEAD.rstrip("."),
        "lain": "Kabar dari daerah",
    }
