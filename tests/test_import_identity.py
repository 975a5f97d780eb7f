"""One article per URL: a second id for a known URL replaces the old article everywhere.

End to end with the real ``warta`` commands, a real store and a real index in
tmp_path, and the Flask app: the old id is gone from the store, the API, the
search results, the near-duplicate groups and the stories after the next
``warta index update`` (and after a rebuild), and the import summary says
what was replaced.
"""

from __future__ import annotations

import json

import pytest

from crawler.store import Store
from web import create_app
from web.handles import close_app

FLOOD = (
    "Banjir besar melanda kota Bekasi pada Senin pagi setelah hujan deras turun sejak malam. "
    "Ribuan warga di Kecamatan Bekasi Timur mengungsi ke masjid dan sekolah terdekat. "
    "Badan Penanggulangan Bencana Daerah mengerahkan perahu karet untuk mengevakuasi warga "
    "lanjut usia dan anak-anak. Ketinggian air mencapai satu meter di beberapa perumahan."
)
QUAKE = (
    "Gempa bumi berkekuatan magnitudo 5,6 mengguncang Cianjur pada Senin siang. "
    "Ratusan rumah rusak berat dan warga berhamburan keluar rumah. Badan Meteorologi, "
    "Klimatologi, dan Geofisika menyatakan gempa tidak berpotensi tsunami."
)
OLD_URL = "https://contoh.test/berita/banjir-bekasi"


def record(article_id: str, url: str | None, source: str, title: str, body: str) -> dict:
    return {"id": article_id, "url": url, "source": source, "title": title, "body": body}


def write_jsonl(path, *records: dict):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def archive(invoke, tmp_path):
    """lama-1 (a flood report) and its syndicated copy salin-1 share a copy group;
    gempa-2 is about something else. Imported and indexed."""
    first = write_jsonl(
        tmp_path / "first.jsonl",
        record("lama-1", OLD_URL, "Lama", "Banjir melanda Bekasi", FLOOD),
        record("salin-1", "https://salinan.test/banjir", "Salinan", "Banjir di Bekasi", FLOOD),
        record("gempa-2", "https://contoh.test/berita/gempa", "Lama", "Gempa Cianjur", QUAKE),
    )
    assert "3 added" in invoke("import", str(first)).output
    invoke("index", "build")
    out = search(invoke, "banjir bekasi")
    assert {h["id"] for h in out["hits"]} | {d for h in out["hits"] for d in h["duplicates"]} == {
        "lama-1",
        "salin-1",
    }


def search(invoke, query: str) -> dict:
    return json.loads(invoke("search", "--json", query).output)


def every_id(out: dict) -> set[str]:
    """Hit ids and the ids of their near-duplicates."""
    return {h["id"] for h in out["hits"]} | {d for h in out["hits"] for d in h["duplicates"]}


def api(data_dir, path: str, follow_redirects: bool = False):
    response = get(data_dir, path, follow_redirects)
    return response.status_code, response.get_json()


def get(data_dir, path: str, follow_redirects: bool = False):
    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir)})
    try:
        return app.test_client().get(path, follow_redirects=follow_redirects)
    finally:
        close_app(app)


NEW_BODY = (
    "Banjir kembali melanda Bekasi pada Jumat malam. Pemerintah kota membuka dapur umum "
    "bagi pengungsi di Bekasi Timur dan membagikan selimut serta makanan siap saji."
)


@pytest.mark.parametrize("update", ["update", "build"])
def test_a_new_id_for_a_known_url_replaces_the_old_article(
    archive, invoke, data_dir, tmp_path, update
):
    again = write_jsonl(
        tmp_path / "again.jsonl", record("baru-1", OLD_URL, "Baru", "Banjir lagi", NEW_BODY)
    )
    result = invoke("import", str(again))
    assert "0 added, 0 updated, 0 unchanged, 1 replaced, 0 rejected" in result.output
    assert f"replaced lama-1 by baru-1: the same URL {OLD_URL}" in result.output
    invoke("index", update)

    with Store.open(data_dir) as store:
        assert store.get("lama-1") is None
        assert (store.get("baru-1").url, store.get("baru-1").source) == (OLD_URL, "Baru")
        assert store.count() == 3
    out = search(invoke, "banjir bekasi")
    assert every_id(out) == {"baru-1", "salin-1"}
    hits = {h["id"]: h for h in out["hits"]}
    assert (hits["baru-1"]["source"], hits["baru-1"]["url"]) == ("Baru", OLD_URL)
    # The copy group of the old article does not name it any more.
    assert hits["salin-1"]["duplicates"] == []
    assert search(invoke, "dapur umum")["hits"][0]["id"] == "baru-1"

    status, body = api(data_dir, "/api/articles/lama-1", follow_redirects=True)
    assert (status, body["id"], body["url"]) == (200, "baru-1", OLD_URL)
    status, body = api(data_dir, "/api/articles/baru-1")
    assert (status, body["source"], body["url"]) == (200, "Baru", OLD_URL)
    status, body = api(data_dir, "/api/search?q=banjir+bekasi")
    assert every_id(body) == {"baru-1", "salin-1"}
    stats = json.loads(invoke("index", "stats", "--json").output)
    assert (stats["documents"], stats["not_indexed"]) == (3, 0)


def test_the_same_id_moving_to_the_url_of_another_article_replaces_that_one(
    archive, invoke, data_dir, tmp_path
):
    moved = write_jsonl(
        tmp_path / "moved.jsonl",
        record("gempa-2", OLD_URL, "Lama", "Gempa Cianjur", QUAKE + " Warga masih waspada."),
    )
    result = invoke("import", str(moved))
    assert "0 added, 0 updated, 0 unchanged, 1 replaced, 0 rejected" in result.output
    assert f"replaced lama-1 by gempa-2: the same URL {OLD_URL}" in result.output
    invoke("index", "update")
    with Store.open(data_dir) as store:
        assert store.get("lama-1") is None
        assert store.get("gempa-2").url == OLD_URL
    assert every_id(search(invoke, "banjir bekasi")) == {"salin-1"}
    assert [h["url"] for h in search(invoke, "gempa cianjur")["hits"]] == [OLD_URL]


def test_the_same_id_with_a_new_free_url_is_updated_and_frees_the_old_url(
    archive, invoke, data_dir, tmp_path
):
    new_url = "https://contoh.test/berita/banjir-bekasi-2024"
    moved = write_jsonl(
        tmp_path / "moved.jsonl",
        record("lama-1", new_url, "Lama", "Banjir melanda Bekasi", FLOOD),
        record("lain-3", OLD_URL, "Lama", "Gempa susulan", QUAKE + " Gempa susulan terasa."),
    )
    assert "1 added, 1 updated, 0 unchanged, 0 replaced" in invoke("import", str(moved)).output
    invoke("index", "update")
    with Store.open(data_dir) as store:
        assert (store.get("lama-1").url, store.get("lain-3").url) == (new_url, OLD_URL)
    hits = {h["id"]: h["url"] for h in search(invoke, "banjir bekasi")["hits"]}
    assert hits.get("lama-1", new_url) == new_url


def test_two_lines_of_one_import_with_one_url_keep_the_first(invoke, data_dir, tmp_path):
    both = write_jsonl(
        tmp_path / "both.jsonl",
        record("x-1", OLD_URL, "Satu", "Banjir melanda Bekasi", FLOOD),
        record("x-2", OLD_URL, "Dua", "Banjir lagi", NEW_BODY),
    )
    result = invoke("import", str(both))
    assert "1 added, 0 updated, 0 unchanged, 0 replaced, 1 rejected" in result.output
    assert (
        f"rejected {both} (id x-2): the same URL as article x-1 earlier in this import "
        "(one article per URL)" in result.output
    )
    invoke("index", "build")
    with Store.open(data_dir) as store:
        assert (store.ids(), store.get("x-1").source) == ({"x-1"}, "Satu")
    assert [h["id"] for h in search(invoke, "banjir bekasi")["hits"]] == ["x-1"]
    # Importing the file again changes nothing and says so again.
    again = invoke("import", str(both)).output
    assert "0 added, 0 updated, 1 unchanged, 0 replaced, 1 rejected" in again
    with Store.open(data_dir) as store:
        assert store.deleted_since(0) == []


def test_an_old_id_can_come_back_and_the_index_follows(archive, invoke, data_dir, tmp_path):
    """lama-1 → baru-1 → lama-1 between two updates: the index holds lama-1 only."""
    new = write_jsonl(tmp_path / "new.jsonl", record("baru-1", OLD_URL, "Baru", "B", NEW_BODY))
    old = write_jsonl(tmp_path / "old.jsonl", record("lama-1", OLD_URL, "Lama", "Banjir", FLOOD))
    invoke("import", str(new))
    assert "replaced baru-1 by lama-1" in invoke("import", str(old)).output
    invoke("index", "update")
    out = search(invoke, "banjir bekasi")
    assert every_id(out) == {"lama-1", "salin-1"}
    # No loop: lama-1 is stored again, and baru-1 leads to it.
    assert get(data_dir, "/api/articles/baru-1").location == "/api/articles/lama-1"
    assert api(data_dir, "/api/articles/lama-1")[1]["id"] == "lama-1"
    stats = json.loads(invoke("index", "stats", "--json").output)
    assert (stats["documents"], stats["not_indexed"]) == (3, 0)


def replace_by(invoke, tmp_path, new_id: str, body: str = NEW_BODY):
    """Import ``new_id`` with the flood report's URL: it replaces whoever holds it."""
    again = write_jsonl(
        tmp_path / f"{new_id}.jsonl", record(new_id, OLD_URL, "Baru", "Banjir lagi", body)
    )
    assert "1 replaced" in invoke("import", str(again)).output


def test_the_old_id_of_a_replaced_article_redirects_to_the_new_one(
    archive, invoke, data_dir, tmp_path
):
    replace_by(invoke, tmp_path, "baru-1")
    invoke("index", "update")

    response = get(data_dir, "/api/articles/lama-1")
    assert (response.status_code, response.location) == (301, "/api/articles/baru-1")
    # Not for ever: the old id can be stored again, or its successor deleted.
    assert response.headers["Cache-Control"] == "max-age=86400"
    response = get(data_dir, "/article/lama-1?q=dapur+umum")
    assert (response.status_code, response.location) == (301, "/article/baru-1?q=dapur+umum")
    page = get(data_dir, "/article/lama-1?q=dapur+umum", follow_redirects=True)
    assert page.status_code == 200
    assert "<mark>dapur</mark>" in page.get_data(as_text=True).lower()
    # A query string is kept as it came, never read as url_for's own options.
    response = get(data_dir, "/article/lama-1?_external=1&article_id=x")
    assert response.location == "/article/baru-1?_external=1&article_id=x"


def test_a_chain_of_replacements_leads_to_the_last_article(archive, invoke, data_dir, tmp_path):
    replace_by(invoke, tmp_path, "baru-1")
    replace_by(invoke, tmp_path, "baru-2", NEW_BODY + " Air mulai surut.")
    invoke("index", "update")
    for old in ("lama-1", "baru-1"):
        assert get(data_dir, f"/api/articles/{old}").location == "/api/articles/baru-2"
        assert get(data_dir, f"/article/{old}").location == "/article/baru-2"
    status, body = api(data_dir, "/api/articles/lama-1", follow_redirects=True)
    assert (status, body["id"]) == (200, "baru-2")


def test_the_old_id_is_not_found_when_its_successor_was_deleted(
    archive, invoke, data_dir, tmp_path
):
    replace_by(invoke, tmp_path, "baru-1")
    with Store.open(data_dir) as store:
        assert store.delete("baru-1")
    invoke("index", "update")
    status, body = api(data_dir, "/api/articles/lama-1")
    assert (status, body) == (
        404,
        {"ok": False, "status": 404, "error": "There is no article with id 'lama-1'."},
    )
    page = get(data_dir, "/article/lama-1")
    assert page.status_code == 404
    assert "Artikel dengan id “lama-1” tidak ada di arsip." in page.get_data(as_text=True)


def test_the_story_labelled_with_a_replaced_id_still_opens(archive, invoke, data_dir, tmp_path):
    """The story keeps the old id as its label until a rebuild (index/stories.py)."""
    status, before = api(data_dir, "/api/stories/lama-1")
    assert status == 200, before
    replace_by(invoke, tmp_path, "baru-1", FLOOD)
    invoke("index", "update")
    status, story = api(data_dir, "/api/stories/lama-1")
    assert status == 200, story
    ids = {a["id"] for a in story["articles"]}
    assert "lama-1" not in ids and "salin-1" in ids
    assert get(data_dir, "/story/lama-1").status_code == 200


def test_after_a_rebuild_the_old_story_id_leads_to_the_story_of_its_successor(
    archive, invoke, data_dir, tmp_path
):
    replace_by(invoke, tmp_path, "baru-1", FLOOD)
    invoke("index", "build")
    response = get(data_dir, "/api/stories/lama-1", follow_redirects=True)
    assert response.status_code == 200, response.get_json()
    assert "baru-1" in {a["id"] for a in response.get_json()["articles"]}
    assert get(data_dir, "/story/lama-1", follow_redirects=True).status_code == 200
