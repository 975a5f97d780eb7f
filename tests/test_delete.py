"""`warta delete`: articles out of the store, the index, the API and later crawls.

A real store and index in tmp_path, the real `warta` command (in process
through ``invoke``; in a subprocess for crawls, whose Scrapy reactor starts
once per process) and a real news site on 127.0.0.1 (``newsite``).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from newsite import run_warta as warta
from newsite import running_site

from crawler.article import Article
from crawler.cli import MAX_DELETE, MAX_ID_CHARS
from crawler.store import MIGRATIONS, SCHEMA_VERSION, FetchRecord, RawPage, Store, store_path
from index import build_index, index_path
from searcher import Searcher
from tests.test_stories import ARTICLES, COPY
from web import create_app
from web.cli import cli
from web.handles import close_app

FAST = ["--allow-private", "--delay", "0", "--timeout", "2", "--retries", "0", "--no-sitemaps"]
HINT = "Run `warta index update` to remove them from the index"


def article(article_id: str, url: str | None = None, body: str = "Isi berita singkat.") -> Article:
    return Article(id=article_id, title=f"Judul {article_id}", body=body, url=url)


@pytest.fixture
def store_with(data_dir):
    """Store these articles in the test data directory."""

    def fill(*articles: Article) -> None:
        with Store.open(data_dir) as store:
            store.upsert_many(articles)

    return fill


def stored_ids(data_dir: Path) -> set[str]:
    with Store.open(data_dir) as store:
        return store.ids()


# -- naming the articles ----------------------------------------------------------


def test_delete_by_id_and_by_url(invoke, data_dir, store_with):
    store_with(
        article("satu", "https://contoh.test/satu"),
        article("dua", "https://contoh.test/dua"),
        article("tiga", "https://contoh.test/tiga"),
    )
    # The URL as shared, with tracking parameters: the crawler's canonical form finds it.
    result = invoke("delete", "satu", "--url", "https://contoh.test/dua?utm_source=wa#atas")
    assert result.output.splitlines() == [
        "Deleted 2 articles.",
        "Withdrawn: crawls will not fetch the URLs of 2 articles again "
        "(importing an article lifts this; --allow-recrawl deletes without it).",
        HINT + " (search results, copies, stories).",
    ]
    assert stored_ids(data_dir) == {"tiga"}
    with Store.open(data_dir) as store:
        assert store.is_withdrawn("https://contoh.test/satu")
        assert store.is_withdrawn("https://contoh.test/dua")
        assert not store.is_withdrawn("https://contoh.test/tiga")
        assert store.deleted_since(0) == ["satu", "dua"]


def test_an_article_named_twice_is_deleted_once(invoke, data_dir, store_with):
    store_with(article("satu", "https://contoh.test/satu"))
    result = invoke("delete", "satu", "satu", "--url", "https://contoh.test/satu")
    assert result.output.startswith("Deleted 1 article.\n")


def test_ids_from_a_file_and_from_stdin(runner, data_dir, store_with, tmp_path):
    store_with(*(article(f"a{i}") for i in range(4)))
    listing = tmp_path / "hapus.txt"
    listing.write_text("# takedown 2024-11-20\na0\n\n  a1  \n", encoding="utf-8")
    base = ["--quiet", "--data-dir", str(data_dir), "delete"]
    result = runner.invoke(cli, [*base, "--from-file", str(listing)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Deleted 2 articles.\n")
    result = runner.invoke(cli, [*base, "--from-file", "-", "a3"], input="a2\nhilang\n")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Deleted 2 articles; 1 not found: hilang (no such id).\n")
    assert stored_ids(data_dir) == set()


def test_some_unknown_ids_are_listed_with_the_reason(invoke, data_dir, store_with):
    store_with(article("ada"), article("lama", "https://contoh.test/x"))
    # "lama" is replaced by "baru", which takes its URL.
    store_with(article("baru", "https://contoh.test/x"))
    result = invoke("delete", "ada", "tidak-ada", "lama", "--url", "https://contoh.test/y")
    assert result.output.splitlines()[0] == (
        "Deleted 1 article; 3 not found: tidak-ada (no such id), lama (replaced by baru, "
        "which holds its URL now), https://contoh.test/y (no article has this URL)."
    )
    # No URL, nothing withdrawn, and no line claiming it.
    assert "Withdrawn" not in result.output
    assert stored_ids(data_dir) == {"baru"}


def test_deleting_only_unknown_ids_fails_with_a_sentence(invoke, data_dir, store_with):
    store_with(article("ada", "https://contoh.test/ada"))
    invoke("delete", "ada")
    result = invoke("delete", "ada", "hantu", "--url", "https://contoh.test/ada", expect=1)
    assert result.output.strip() == (
        "Error: No article was deleted: ada (already deleted), hantu (no such id), "
        "https://contoh.test/ada (already deleted). Check the ids (`warta search --json` "
        "shows them) or name the articles with --url."
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Give the ids of the articles to delete, or --url URL, or --from-file FILE."),
        (["ada", ""], "An empty id was given; name each article to delete."),
        (["x" * (MAX_ID_CHARS + 1)], f"characters long; an id has at most {MAX_ID_CHARS:,}."),
        (["--url", "https://contoh.test/" + "x" * MAX_ID_CHARS], "a URL has at most 2,048."),
        (["--url", " "], "An empty URL was given; name each article to delete."),
    ],
)
def test_bad_names_are_refused_before_anything_is_deleted(
    invoke, data_dir, store_with, args, message
):
    store_with(article("ada"))
    result = invoke("delete", *args, expect=2)
    assert message in result.output
    assert stored_ids(data_dir) == {"ada"}


def test_a_file_with_too_many_ids_or_a_long_line_deletes_nothing(invoke, data_dir, store_with):
    store_with(article("ada"))
    many = data_dir.parent / "banyak.txt"
    many.write_text("ada\n" + "".join(f"id-{i}\n" for i in range(MAX_DELETE)), encoding="utf-8")
    result = invoke("delete", "--from-file", str(many), expect=2)
    assert f"More than {MAX_DELETE:,} articles named" in result.output
    long_line = data_dir.parent / "panjang.txt"
    long_line.write_text("ada\n" + "x" * 100_000 + "\n", encoding="utf-8")
    result = invoke("delete", "--from-file", str(long_line), expect=2)
    assert f"line 2 is longer than {MAX_ID_CHARS} characters" in result.output
    binary = data_dir.parent / "biner.txt"
    binary.write_bytes(b"ada\n\xff\xfe\x00\n")
    result = invoke("delete", "--from-file", str(binary), expect=2)
    assert "the file is not UTF-8 text" in result.output
    assert stored_ids(data_dir) == {"ada"}


# -- the index, the API, copies and stories ---------------------------------------


@pytest.fixture
def story_data_dir(data_dir):
    """test_stories' archive: a story of three reports (one a syndicated copy), a
    follow-up and recipes, indexed."""
    with Store.open(data_dir) as store:
        store.upsert_many(ARTICLES)
        build_index(store, index_path(data_dir))
    return data_dir


def hits_and_copies(data_dir: Path, query: str) -> dict[str, list[str]]:
    """Each hit's id and the ids of the copies collapsed into it."""
    searcher = Searcher(index_path(data_dir))
    try:
        return {h.id: h.duplicates for h in searcher.search(query, page_size=50).hits}
    finally:
        searcher.close()


def test_after_an_index_update_the_article_is_gone_everywhere(invoke, story_data_dir):
    assert hits_and_copies(story_data_dir, "Rawalumbu") == {
        "kompas-banjir": ["tribun-banjir"],
        "detik-banjir": [],
        "detik-tanggul": [],
    }
    result = invoke("delete", "tribun-banjir", "detik-banjir")
    assert HINT in result.output
    app = create_app({"TESTING": True, "DATA_DIR": str(story_data_dir)})
    try:
        client = app.test_client()
        # The store answers the API: 404 at once, not a redirect.
        gone = client.get("/api/articles/tribun-banjir")
        assert gone.status_code == 404
        assert gone.get_json()["error"] == "There is no article with id 'tribun-banjir'."
        assert client.get("/article/detik-banjir").status_code == 404
        invoke("index", "update")
        assert hits_and_copies(story_data_dir, "Rawalumbu") == {
            "kompas-banjir": [],
            "detik-tanggul": [],
        }
        api = client.get("/api/search?q=Rawalumbu").get_json()
        assert {h["id"] for h in api["hits"]} == {"kompas-banjir", "detik-tanggul"}
        story = client.get("/api/stories/kompas-banjir").get_json()
        assert [a["id"] for a in story["articles"]] == ["kompas-banjir"]
        assert client.get("/api/articles/tribun-banjir").status_code == 404
        assert client.get("/api/articles/kompas-banjir").status_code == 200
    finally:
        close_app(app)


def test_a_deleted_copy_leaves_its_story_and_copy_group(invoke, story_data_dir):
    result = invoke("delete", "tribun-banjir", "--index")
    assert HINT not in result.output
    assert "Updated the index: 0 indexed, 1 removed." in result.output
    assert hits_and_copies(story_data_dir, "Rawalumbu")["kompas-banjir"] == []
    app = create_app({"TESTING": True, "DATA_DIR": str(story_data_dir)})
    try:
        story = app.test_client().get("/api/stories/kompas-banjir").get_json()
        assert [a["id"] for a in story["articles"]] == ["kompas-banjir", "detik-banjir"]
        hit = next(
            h
            for h in app.test_client().get("/api/search?q=Rawalumbu").get_json()["hits"]
            if h["id"] == "kompas-banjir"
        )
        assert hit["duplicates"] == []
        assert hit["story"] == {"id": "kompas-banjir", "articles": 2, "sources": 2}
    finally:
        close_app(app)


def test_a_story_whose_first_report_is_deleted_no_longer_lists_it(invoke, story_data_dir):
    invoke("delete", "kompas-banjir", "--index")
    app = create_app({"TESTING": True, "DATA_DIR": str(story_data_dir)})
    try:
        client = app.test_client()
        # The label stays until a rebuild relabels the story; the report is gone from it.
        story = client.get("/api/stories/kompas-banjir").get_json()
        assert [a["id"] for a in story["articles"]] == ["tribun-banjir", "detik-banjir"]
        assert story["title"] == COPY.title
        assert client.get("/api/articles/kompas-banjir").status_code == 404
    finally:
        close_app(app)
    invoke("index", "build")
    app = create_app({"TESTING": True, "DATA_DIR": str(story_data_dir)})
    try:
        client = app.test_client()
        # A rebuild labels the story with its first report now; the deleted id leads nowhere.
        assert client.get("/api/stories/kompas-banjir").status_code == 404
        story = client.get("/api/stories/tribun-banjir").get_json()
        assert [a["id"] for a in story["articles"]] == ["tribun-banjir", "detik-banjir"]
    finally:
        close_app(app)


def test_a_replaced_id_whose_successor_is_deleted_is_404_not_a_redirect(invoke, data_dir):
    with Store.open(data_dir) as store:
        store.upsert_many([article("lama", "https://contoh.test/x", "Banjir di Bekasi.")])
        store.upsert_many([article("baru", "https://contoh.test/x", "Banjir di Bekasi lagi.")])
        build_index(store, index_path(data_dir))
    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir)})
    try:
        client = app.test_client()
        assert client.get("/api/articles/lama").status_code == 301
        invoke("delete", "baru", "--index")
        for path in ("/api/articles/lama", "/api/articles/baru", "/article/lama"):
            assert client.get(path).status_code == 404, path
        assert client.get("/api/search?q=Bekasi").get_json()["total"] == 0
    finally:
        close_app(app)
    with Store.open(data_dir) as store:
        assert (store.successor("lama"), store.successor("baru")) == (None, None)
    assert "lama (already deleted)" in invoke("delete", "lama", expect=1).output


# -- crawls after a deletion ---------------------------------------------------------


@pytest.fixture(scope="module")
def site():
    yield from running_site()


BANJIR = "/berita/2024/11/14/banjir-bekasi"  # served with an ETag (conditional GET)


def crawl(data_dir: Path, *urls: str) -> str:
    result = warta(data_dir, "crawl", *urls, "--max-depth", "0", *FAST)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_crawl_does_not_bring_a_deleted_article_back(site, tmp_path):
    data_dir = tmp_path / "data"
    url = site.base + BANJIR
    assert "articles 1 added" in crawl(data_dir, url)
    result = warta(data_dir, "delete", "--url", url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Deleted 1 article.\nWithdrawn:")
    fetched = site.counts[BANJIR]
    # Named as it was, with tracking parameters, and through a page whose canonical it is.
    output = crawl(data_dir, url, url + "?utm_source=wa")
    assert "articles 0 added, 0 updated, 0 unchanged, 0 replaced" in output
    assert "2 skipped" in output
    assert "  skipped: withdrawn from the archive (2)" in output
    assert site.counts[BANJIR] == fetched, "a withdrawn URL was fetched"
    assert stored_ids(data_dir) == set()
    with Store.open(data_dir) as store:
        record = store.fetch_record(url)
        assert (record.outcome, record.reason) == ("skipped", "withdrawn from the archive")
        assert store.get_raw(url) is None


def test_a_page_whose_canonical_url_is_withdrawn_is_not_stored(site, tmp_path):
    data_dir = tmp_path / "data"
    canonical = f"{site.base}/berita/2024/11/16/pilkada"
    assert "articles 1 added" in crawl(data_dir, canonical)
    assert warta(data_dir, "delete", "--url", canonical).returncode == 0
    # Another address of the page (a query the crawler keeps), whose rel=canonical is withdrawn.
    output = crawl(data_dir, canonical + "?versi=cetak")
    assert "1 fetched" in output
    assert "  skipped: withdrawn from the archive (1)" in output
    assert stored_ids(data_dir) == set()
    with Store.open(data_dir) as store:
        assert store.get_raw(canonical + "?versi=cetak") is None


def test_allow_recrawl_lets_the_article_come_back(site, tmp_path):
    data_dir = tmp_path / "data"
    url = site.base + BANJIR
    crawl(data_dir, url)
    (first,) = stored_ids(data_dir)
    result = warta(data_dir, "delete", first, "--allow-recrawl")
    assert result.returncode == 0, result.stderr
    assert "Withdrawn" not in result.stdout
    started = len(site.hits)
    # Fetched afresh: its fetch record went with it, so no If-None-Match its copy can't answer.
    assert "articles 1 added" in crawl(data_dir, url)
    asked = [h for h in site.hits[started:] if h.path == BANJIR]
    assert [h.status for h in asked] == [200]
    assert "If-None-Match" not in asked[0].headers
    assert stored_ids(data_dir) == {first}


def test_an_import_lifts_the_withdrawal(site, tmp_path):
    data_dir = tmp_path / "data"
    url = site.base + BANJIR
    crawl(data_dir, url)
    (crawled,) = stored_ids(data_dir)
    assert warta(data_dir, "delete", crawled).returncode == 0
    imported = tmp_path / "kembali.jsonl"
    line = {"id": "impor-1", "url": url, "title": "Banjir Bekasi", "body": "Isi dari arsip."}
    imported.write_text(json.dumps(line) + "\n", encoding="utf-8")
    result = warta(data_dir, "import", str(imported))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Imported: 1 added, 0 updated, 0 unchanged, 0 replaced, 0 rejected.",
        "Lifted the withdrawal of 1 article deleted with `warta delete`: "
        "crawls may fetch them again.",
    ]
    with Store.open(data_dir) as store:
        assert not store.is_withdrawn(url)
    # The crawl may fetch it again: the page replaces the imported copy (one article per URL).
    assert "articles 0 added, 0 updated, 0 unchanged, 1 replaced" in crawl(data_dir, url)
    assert stored_ids(data_dir) == {crawled}


def test_reparse_does_not_store_a_page_whose_url_is_withdrawn(invoke, data_dir):
    """Pages kept under a stored article whose URL was withdrawn with another article
    (an address the other's pages came from) are skipped by a reparse, and counted."""
    url = "https://contoh.test/berita/a"
    page = "<html><head><title>Judul</title></head><body><article><h1>Judul</h1>"
    page += "<p>" + "Banjir melanda kota pada Senin pagi dan warga mengungsi. " * 5 + "</p>"
    page += "</article></body></html>"
    with Store.open(data_dir) as store:
        store.upsert(article("a", url))
        store.put_raw(RawPage(url, page.encode(), "text/html; charset=utf-8", article_id="a"))
        store.upsert(article("lain", "https://contoh.test/lain"))
        store.db.execute(
            "INSERT INTO withdrawn(url, article_id, withdrawn) VALUES (?, 'lain', '2024-11-20')",
            (url,),
        )
    result = invoke("reparse")
    assert "0 added, 0 updated, 0 unchanged, 0 replaced" in result.output
    assert "1 skipped as deleted" in result.output
    with Store.open(data_dir) as store:
        assert store.get("a").body == "Isi berita singkat."


# -- the store ----------------------------------------------------------------------


def test_store_delete_forgets_fetches_and_pages_and_withdraws_their_urls(tmp_path):
    url = "https://contoh.test/a"
    with Store.open(tmp_path) as store:
        store.upsert(article("a", url))
        store.record_fetch(FetchRecord(url, "article", "stored", article_id="a"))
        store.record_fetch(FetchRecord(url + "?p=2", "part", "followed", article_id="a"))
        store.put_raw(RawPage(url + "?p=2", b"<p>2</p>", article_id="a", part=1))
        assert store.delete("a") is True
        assert list(store.fetch_records()) == []
        assert list(store.iter_raw_articles()) == []
        assert store.is_withdrawn(url) and store.is_withdrawn(url + "?p=2")
        assert store.withdrawn_count() == 1
        # A crawl that fetched its page as it was deleted: neither it nor its page is kept.
        store.put_raw(RawPage(url, b"<p>1</p>", article_id="b"))
        assert store.upsert(article("b", url), lift_withdrawal=False) == "withdrawn"
        assert (store.get("b"), store.get_raw(url)) == (None, None)
        # Stored explicitly (an import): every URL of the withdrawn article is free again.
        assert store.upsert(article("b", url)) == "added"
        assert not store.is_withdrawn(url + "?p=2")
        assert store.withdrawn_count() == 0


def test_a_version_5_store_is_upgraded_and_can_withdraw(tmp_path):
    db = sqlite3.connect(store_path(tmp_path))
    script = "".join(MIGRATIONS[v] for v in range(1, 6))
    db.executescript(script + "\nPRAGMA user_version=5;")
    db.execute(
        "INSERT INTO articles(id, url, title, body, content_hash, added, updated, seq) "
        "VALUES ('a', 'https://contoh.test/a', 'Judul', 'Isi.', 'h', '2024-01-01', "
        "'2024-01-01', 1)"
    )
    db.execute("INSERT INTO deletions(id, seq, replaced_by) VALUES ('tua', 1, NULL)")
    db.execute("UPDATE counters SET value = 1")
    db.commit()
    db.close()
    with Store.open(tmp_path) as store:
        assert store.schema_version == SCHEMA_VERSION == 6
        assert store.get("a").title == "Judul"
        assert store.deleted_since(0) == ["tua"]
        assert store.withdrawn_count() == 0
        assert store.delete("a") is True
        assert store.is_withdrawn("https://contoh.test/a")
