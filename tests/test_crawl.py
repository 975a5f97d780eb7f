"""The crawler against a real HTTP server on 127.0.0.1 (never the internet).

Scrapy's reactor starts once per process, so every crawl runs ``warta crawl``
in a subprocess, as a user would.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from newsite import CRAWL_DELAY, WARTA, running_site
from newsite import run_warta as warta

from crawler.article import Article
from crawler.crawl import crawl_settings
from crawler.middlewares import retry_after_seconds
from crawler.spider import CrawlOptions
from crawler.store import Store, store_path
from crawler.urls import UrlRefused, canonical_url, check_url

FAST = [
    "--allow-private",
    "--delay",
    "0",
    "--timeout",
    "1",
    "--retries",
    "1",
    "--contact-url",
    "https://contoh.test/kontak",
]
ARTICLES = {
    "/berita/2024/11/14/banjir-bekasi",
    "/berita/2024/11/15/gempa-cianjur",
    "/berita/2024/11/16/pilkada",
    "/berita/2024/11/17/panjang",
    "/berita/2024/11/18/ekonomi",
    "/berita/2024/11/19/antre",
    "/berita/2024/11/20/semua",
    "/berita/cp1252",
}


def stored_paths(data_dir: Path, base: str) -> set[str]:
    with Store.open(data_dir) as store:
        return {article.url.removeprefix(base) for article, _ in store.iter_articles()}


def reasons(data_dir: Path, base: str) -> dict[str, str]:
    with Store.open(data_dir) as store:
        return {r.url.removeprefix(base): r.reason for r in store.fetch_records() if r.reason}


@pytest.fixture(scope="module")
def site():
    yield from running_site()


@pytest.fixture(scope="module")
def crawled(site, tmp_path_factory):
    """One full crawl of the site: start page, RSS feed, sitemaps from robots.txt."""
    data_dir = tmp_path_factory.mktemp("crawl") / "data"
    started = len(site.hits)
    result = warta(
        data_dir,
        "crawl",
        f"{site.base}/",
        f"{site.base}/rss.xml",
        *FAST,
        "--max-size",
        "0.05",
        "--since",
        "2024-01-01",
    )
    assert result.returncode == 0, result.stderr
    return data_dir, result.stdout, site.hits[started:]


def test_crawl_stores_the_articles(crawled, site):
    data_dir, output, _ = crawled
    assert stored_paths(data_dir, site.base) == ARTICLES
    assert "articles 8 added, 0 updated, 0 unchanged" in output


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/privat/rahasia", "disallowed by robots.txt"),
        ("/berita/2019/01/02/berita-lama", "listed as older than --since"),
        ("/unduh/laporan", "not HTML (application/octet-stream)"),
        ("/berita/besar", "larger than the response size cap"),
        ("/berita/lambat", "timed out"),
        ("/berita/rusak", "HTTP 500"),
        ("/putar/b", "redirect loop back to {base}/putar/a"),
        ("http://luar.example/berita/asing", "outside the allowed domains"),
        ("http://luar.example/berita/pindah", "luar.example is outside the allowed domains"),
    ],
)
def test_what_was_skipped_and_why(crawled, site, path, reason):
    data_dir, output, _ = crawled
    assert reasons(data_dir, site.base)[path] == reason.format(base=site.base)
    assert reason.format(base=site.base) in output


def test_sitemaps_from_robots_txt_are_read_gzipped_too(crawled, site):
    data_dir, _, _ = crawled
    with Store.open(data_dir) as store:
        records = {r.url.removeprefix(site.base): r for r in store.fetch_records()}
    for path in (
        "/sitemap_index.xml",
        "/sitemap-berita.xml",
        "/sitemap-news.xml",
        "/sitemap-lama.xml.gz",
    ):
        assert (records[path].kind, records[path].outcome) == ("sitemap", "followed")
    assert (records["/rss.xml"].kind, records["/rss.xml"].outcome) == ("feed", "followed")


def test_robots_txt_and_crawl_delay_are_obeyed(crawled, site):
    _, _, hits = crawled
    paths = [hit.path for hit in hits]
    assert not any(p.startswith("/privat/") for p in paths)
    assert paths[0] == "/robots.txt"
    assert all(hit.headers["User-Agent"].startswith("Warta/") for hit in hits)
    assert "(+https://contoh.test/kontak; " in hits[0].headers["User-Agent"]
    arrivals = sorted(hit.at for hit in hits)
    gaps = [b - a for a, b in zip(arrivals[1:], arrivals[2:], strict=False)]
    # Arrival times carry the test server's scheduling jitter on a busy machine.
    assert min(gaps) >= CRAWL_DELAY / 2
    assert sum(gap < CRAWL_DELAY - 0.05 for gap in gaps) <= 1


def test_retry_after_is_waited_for_and_5xx_retried_once(crawled):
    _, _, hits = crawled
    antre = [hit for hit in hits if hit.path == "/berita/2024/11/19/antre"]
    assert [hit.status for hit in antre] == [429, 200]
    assert antre[1].at - antre[0].at >= 1.0
    assert [hit.status for hit in hits if hit.path == "/berita/rusak"] == [500, 500]


def test_articles_are_clean_with_metadata(crawled, site):
    data_dir, _, _ = crawled
    with Store.open(data_dir) as store:
        by_path = {a.url.removeprefix(site.base): a for a, _ in store.iter_articles()}
    banjir = by_path["/berita/2024/11/14/banjir-bekasi"]
    assert banjir.title == "Banjir melanda Bekasi, ratusan warga mengungsi"
    assert banjir.published == "2024-11-14T10:30:00+07:00"
    assert banjir.author == "Rina Wulandari"
    assert banjir.body.startswith("Banjir besar melanda Kota Bekasi")
    assert len(banjir.body.split("\n\n")) == 3
    for noise in (
        "Baca juga",
        "ADVERTISEMENT",
        "SCROLL TO CONTINUE",
        "Gabung ke Channel",
        "Editor:",
        "Komentar pembaca",
        "Bagikan",
        "Terpopuler",
        "Ilustrasi foto",
        "Hak cipta",
    ):
        assert noise not in banjir.body
    assert by_path["/berita/2024/11/19/antre"].published == "2024-11-19T09:15:00+08:00"
    gempa = by_path["/berita/2024/11/15/gempa-cianjur"]
    assert (gempa.author, gempa.source) == ("Dewi Lestari", "Warta Contoh")
    assert '"Kopi Kenangan"' in by_path["/berita/cp1252"].body
    assert "André Wijaya" in by_path["/berita/cp1252"].body


def test_paginated_articles_are_joined(crawled, site):
    data_dir, _, _ = crawled
    with Store.open(data_dir) as store:
        by_path = {a.url.removeprefix(site.base): a for a, _ in store.iter_articles()}
    long_read = by_path["/berita/2024/11/17/panjang"].body
    assert [p.split(":")[0] for p in long_read.split("\n\n") if p.startswith("Halaman")] == [
        "Halaman pertama",
        "Halaman kedua",
        "Halaman ketiga",
    ]
    assert "Bagian akhir" in by_path["/berita/2024/11/20/semua"].body


def test_raw_html_is_kept_compressed(crawled, site):
    data_dir, _, _ = crawled
    url = f"{site.base}/berita/cp1252"
    with Store.open(data_dir) as store:
        raw = store.get_raw(url)
        record = store.fetch_record(f"{site.base}/berita/2024/11/14/banjir-bekasi")
    assert raw.body == site.pages["/berita/cp1252"][2]
    assert raw.encoding == "windows-1252"
    assert record.etag == '"banjir-v1"'
    db = sqlite3.connect(store_path(data_dir))
    (stored,) = db.execute("SELECT length(body) FROM raw_pages WHERE url = ?", (url,)).fetchone()
    assert stored < len(raw.body)


def test_reparse_extracts_again_without_fetching(crawled, site, runner, tmp_path):
    data_dir, _, _ = crawled
    copy = tmp_path / "data"
    copy.mkdir()
    source = sqlite3.connect(store_path(data_dir))
    source.backup(sqlite3.connect(store_path(copy)))
    with Store.open(copy) as store:
        article = next(a for a, _ in store.iter_articles() if a.url.endswith("/berita/cp1252"))
        store.db.execute(
            "UPDATE articles SET body = 'rusak', content_hash = 'x' WHERE id = ?", (article.id,)
        )
    hits = len(site.hits)
    from web.cli import cli

    result = runner.invoke(cli, ["--data-dir", str(copy), "reparse"])
    assert result.exit_code == 0, result.output
    assert "0 added, 1 updated, 7 unchanged" in result.output
    assert len(site.hits) == hits
    with Store.open(copy) as store:
        assert store.get(article.id).body == article.body


def test_an_import_that_replaces_a_crawled_article_survives_reparse(
    crawled, site, runner, tmp_path
):
    """The crawled pages follow the URL to its new id: reparse updates the imported
    article instead of bringing the crawler's id back (and replacing it again)."""
    data_dir, _, _ = crawled
    copy = tmp_path / "data"
    copy.mkdir()
    sqlite3.connect(store_path(data_dir)).backup(sqlite3.connect(store_path(copy)))
    with Store.open(copy) as store:
        crawled_one = next(a for a, _ in store.iter_articles() if a.url.endswith("/cp1252"))
    imported = tmp_path / "impor.jsonl"
    line = {"id": "impor-1", "url": crawled_one.url, "title": "Judul", "body": "Isi impor."}
    imported.write_text(json.dumps(line) + "\n", encoding="utf-8")
    from web.cli import cli

    result = runner.invoke(cli, ["--data-dir", str(copy), "import", str(imported)])
    assert "0 added, 0 updated, 0 unchanged, 1 replaced, 0 rejected" in result.output
    assert f"replaced {crawled_one.id} by impor-1" in result.output
    result = runner.invoke(cli, ["--data-dir", str(copy), "reparse"])
    assert result.exit_code == 0, result.output
    assert "0 added, 1 updated, 7 unchanged, 0 replaced" in result.output
    with Store.open(copy) as store:
        assert store.get(crawled_one.id) is None
        again = store.get("impor-1")
        assert (again.url, again.body) == (crawled_one.url, crawled_one.body)


def copy_of(data_dir, tmp_path):
    """A copy of the crawled store, for a test that changes it."""
    copy = tmp_path / "data"
    copy.mkdir()
    sqlite3.connect(store_path(data_dir)).backup(sqlite3.connect(store_path(copy)))
    return copy


def test_reparse_does_not_bring_back_a_deleted_article(crawled, site, runner, tmp_path):
    copy = copy_of(crawled[0], tmp_path)
    with Store.open(copy) as store:
        gone = next(a for a, _ in store.iter_articles() if a.url.endswith("/cp1252"))
        assert store.delete(gone.id)
    from web.cli import cli

    result = runner.invoke(cli, ["--data-dir", str(copy), "reparse"])
    assert result.exit_code == 0, result.output
    assert "0 added, 0 updated, 7 unchanged, 0 replaced" in result.output
    with Store.open(copy) as store:
        assert store.get(gone.id) is None
        assert store.get_raw(gone.url) is None


def test_reparse_skips_the_pages_an_older_store_kept_of_a_deleted_article(
    crawled, site, runner, tmp_path
):
    """Stores of earlier versions deleted the article but kept its raw pages."""
    copy = copy_of(crawled[0], tmp_path)
    with Store.open(copy) as store:
        gone = next(a for a, _ in store.iter_articles() if a.url.endswith("/cp1252"))
        with store.transaction():
            store.db.execute("DELETE FROM articles WHERE id = ?", (gone.id,))
            store.db.execute("INSERT INTO deletions(id, seq) VALUES (?, 1000)", (gone.id,))
    from web.cli import cli

    result = runner.invoke(cli, ["--data-dir", str(copy), "reparse"])
    assert result.exit_code == 0, result.output
    assert "0 added, 0 updated, 7 unchanged, 0 replaced" in result.output
    assert "1 skipped as deleted" in result.output
    with Store.open(copy) as store:
        assert store.get(gone.id) is None


def test_reparse_leaves_the_pages_kept_under_a_replaced_id_alone(crawled, site, runner, tmp_path):
    """An article with crawled pages of its own takes the URL of another crawled
    one: the other's pages stay under its old id, and reparsing them must not undo
    the replacement."""
    copy = copy_of(crawled[0], tmp_path)
    with Store.open(copy) as store:
        old = next(a for a, _ in store.iter_articles() if a.url.endswith("/cp1252"))
        mover = next(a for a, _ in store.iter_articles() if a.url.endswith("/ekonomi"))
        moved = Article(id=mover.id, url=old.url, title="Pindah", body="Isi yang pindah.")
        assert store.upsert(moved) == "replaced"
    from web.cli import cli

    result = runner.invoke(cli, ["--data-dir", str(copy), "reparse"])
    assert result.exit_code == 0, result.output
    assert "0 replaced" in result.output and "1 skipped as deleted" in result.output
    with Store.open(copy) as store:
        assert store.get(old.id) is None
        assert store.get(mover.id).url == old.url


def test_killed_crawl_continues_where_it_stopped(site, tmp_path):
    data_dir = tmp_path / "data"
    args = [
        "--quiet",
        "--data-dir",
        str(data_dir),
        "crawl",
        f"{site.base}/",
        "--no-sitemaps",
        *FAST,
    ]
    first = subprocess.Popen([*WARTA, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and first.poll() is None:
        if store_path(data_dir).exists() and len(stored_paths(data_dir, site.base)) >= 2:
            break
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    kept = stored_paths(data_dir, site.base)
    assert len(kept) >= 2
    counts = dict(site.counts)
    result = warta(data_dir, "crawl", f"{site.base}/", "--no-sitemaps", *FAST)
    assert result.returncode == 0, result.stderr
    assert stored_paths(data_dir, site.base) == {
        "/berita/2024/11/14/banjir-bekasi",
        "/berita/2024/11/17/panjang",
        "/berita/2024/11/18/ekonomi",
        "/berita/2024/11/20/semua",
        "/berita/cp1252",
    }
    for path in kept:
        assert site.counts[path] == counts[path], f"{path} was fetched again"


def test_refresh_asks_with_conditional_get(crawled, site, tmp_path):
    data_dir, _, _ = crawled
    url = f"{site.base}/berita/2024/11/14/banjir-bekasi"
    started = len(site.hits)
    result = warta(data_dir, "crawl", url, "--refresh", "--no-sitemaps", "--max-depth", "0", *FAST)
    assert result.returncode == 0, result.stderr
    asked = [h for h in site.hits[started:] if h.path == "/berita/2024/11/14/banjir-bekasi"]
    assert [h.status for h in asked] == [304]
    assert asked[0].headers["If-None-Match"] == '"banjir-v1"'
    assert "1 from the store" in result.stdout


def test_crawling_a_page_imported_under_another_id_replaces_it(site, tmp_path):
    data_dir = tmp_path / "data"
    url = f"{site.base}/berita/2024/11/14/banjir-bekasi"
    imported = tmp_path / "impor.jsonl"
    line = {"id": "impor-1", "url": url, "title": "Judul", "body": "Isi impor."}
    imported.write_text(json.dumps(line) + "\n", encoding="utf-8")
    assert "1 added" in warta(data_dir, "import", str(imported)).stdout
    result = warta(data_dir, "crawl", url, "--no-sitemaps", "--max-depth", "0", *FAST)
    assert result.returncode == 0, result.stderr
    assert "articles 0 added, 0 updated, 0 unchanged, 1 replaced;" in result.stdout
    with Store.open(data_dir) as store:
        assert store.get("impor-1") is None
        assert [a.url for a, _ in store.iter_articles()] == [url]
        assert [old for old, _, _ in store.replacements_since(0)] == ["impor-1"]


def test_max_pages_and_max_depth_limit_the_crawl(site, tmp_path):
    started = len(site.hits)
    result = warta(
        tmp_path / "a", "crawl", f"{site.base}/", "--no-sitemaps", "--max-depth", "0", *FAST
    )
    assert result.returncode == 0, result.stderr
    assert [h.path for h in site.hits[started:]] == ["/robots.txt", "/"]
    started = len(site.hits)
    result = warta(
        tmp_path / "b", "crawl", f"{site.base}/", "--no-sitemaps", "--max-pages", "2", *FAST
    )
    assert result.returncode == 0, result.stderr
    pages = [h.path for h in site.hits[started:] if h.path != "/robots.txt"]
    assert len(pages) <= 3
    assert "Stopped early: reached --max-pages 2." in result.stdout


def test_article_pattern_decides_what_is_an_article(site, tmp_path):
    data_dir = tmp_path / "data"
    result = warta(
        data_dir,
        "crawl",
        f"{site.base}/",
        "--no-sitemaps",
        "--article-pattern",
        r"/berita/2024/11/1[48]/",
        *FAST,
    )
    assert result.returncode == 0, result.stderr
    assert stored_paths(data_dir, site.base) == {
        "/berita/2024/11/14/banjir-bekasi",
        "/berita/2024/11/18/ekonomi",
    }
    with Store.open(data_dir) as store:
        assert store.fetch_record(f"{site.base}/berita/2024/11/17/panjang").outcome == "followed"


def test_loopback_is_refused_without_allow_private(site, tmp_path):
    started = len(site.hits)
    result = warta(tmp_path / "data", "crawl", f"{site.base}/", "--delay", "0")
    assert result.returncode == 0, result.stderr
    assert "127.0.0.1 is a loopback or private address; pass --allow-private" in result.stdout
    assert site.hits[started:] == []


def test_crawl_index_makes_articles_searchable(site, tmp_path):
    data_dir = tmp_path / "data"
    url = f"{site.base}/berita/2024/11/15/gempa-cianjur"
    result = warta(data_dir, "crawl", url, "--index", "--no-sitemaps", "--max-depth", "0", *FAST)
    assert result.returncode == 0, result.stderr
    assert "1 added" in result.stdout
    assert "Updated the index" in result.stdout
    found = warta(data_dir, "search", "--json", "Cianjur")
    assert '"total": 1' in found.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ftp://contoh.test/"], "ftp://contoh.test/ is not an http or https URL."),
        (["https://contoh.test/", "--article-pattern", "(["], "not a regular expression"),
    ],
)
def test_bad_arguments_are_refused_with_a_sentence(invoke, args, message):
    result = invoke("crawl", *args, expect=2)
    assert message in result.output


def test_defaults_are_polite():
    settings = crawl_settings(CrawlOptions(start_urls=["https://contoh.test/"]))
    assert settings["ROBOTSTXT_OBEY"] is True
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1
    assert settings["DOWNLOAD_DELAY"] == 1.0
    assert settings["DOWNLOAD_MAXSIZE"] == 5 * 1024 * 1024
    assert settings["USER_AGENT"].startswith("Warta/")


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://Contoh.test/a?utm_source=x&b=2&a=1#top", "https://contoh.test/a?a=1&b=2"),
        ("https://contoh.test/a?fbclid=1&gclid=2", "https://contoh.test/a"),
        ("https://contoh.test/berita/satu", "https://contoh.test/berita/satu"),
    ],
)
def test_canonical_urls(url, canonical):
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://contoh.test/a", "only http and https are crawled, not ftp"),
        ("https://lain.test/a", "lain.test is outside the allowed domains"),
        ("http://10.0.0.8/a", "10.0.0.8 is a loopback or private address"),
        ("http://[::1]/a", "::1 is a loopback or private address"),
    ],
)
def test_refused_urls(url, reason):
    with pytest.raises(UrlRefused, match=reason.replace(".", r"\.")):
        check_url(url, {"contoh.test", "10.0.0.8", "::1"})


def test_allowed_subdomains_pass():
    check_url("https://www.contoh.test/a", {"contoh.test"})


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("120", 120.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None), (None, None)],
)
def test_retry_after_header(value, seconds):
    assert retry_after_seconds(value) == seconds
