"""No article lost to the order of discovery (issue 13, item 6).

An invented site's home page links seven news briefs of 30-40 words before
its feed lists them: the feed is on a second host that answers only once the
briefs were fetched, so the crawler reads every brief from the home page
first. Five briefs declare themselves articles (NewsArticle JSON-LD or
og:type article, a headline and a date); two declare nothing and become
articles only when the feed lists them, judged again from their stored copy.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crawler.html_normaliser import parse_page
from crawler.store import Store

BRIEF_WORDS = (
    "Pemerintah kota {city} menutup sementara jalan utama menuju pasar karena perbaikan "
    "saluran air yang rusak sejak pekan lalu. Warga diminta memakai jalur alternatif melalui "
    "jalan lingkar selatan sampai pekerjaan selesai pada akhir bulan ini."
)
CITIES = ["Bogor", "Depok", "Cimahi", "Garut", "Tasikmalaya", "Cirebon", "Sukabumi"]
FEED_WAIT_SECONDS = 10


def brief_head(number: int, city: str) -> str:
    """Metadata of brief ``number``: JSON-LD (0-2), og:type article (3-4), nothing (5-6)."""
    title = f"Jalan ke pasar {city} ditutup sementara"
    if number < 3:
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "datePublished": f"2024-11-1{number}T08:00:00+07:00",
        }
        return f'<script type="application/ld+json">{json.dumps(data)}</script>'
    if number < 5:
        return (
            '<meta property="og:type" content="article">'
            f'<meta property="article:published_time" content="2024-11-1{number}T08:00:00+07:00">'
        )
    return ""


def brief_page(number: int) -> str:
    city = CITIES[number]
    title = f"Jalan ke pasar {city} ditutup sementara"
    return (
        f'<!DOCTYPE html><html lang="id"><head><meta charset="utf-8"><title>{title}</title>'
        f"{brief_head(number, city)}</head><body><header><a href='/'>Kabar Singkat</a></header>"
        f"<main><article><h1>{title}</h1><p>{BRIEF_WORDS.format(city=city)}</p></article></main>"
        "</body></html>"
    )


class BriefSite:
    """The site (127.0.0.1) and its feed host (127.0.0.2)."""

    def __init__(self):
        self.counts: dict[str, int] = {}
        self.briefs_served = threading.Event()
        self.site = self._serve("127.0.0.1", self._site_page)
        self.feeds = self._serve("127.0.0.2", self._feed_page)
        self.base = f"http://127.0.0.1:{self.site.server_address[1]}"
        self.feed_base = f"http://127.0.0.2:{self.feeds.server_address[1]}"

    def _serve(self, host, answer):
        counts = self.counts

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 (http.server's name)
                counts[self.path] = counts.get(self.path, 0) + 1
                status, body = answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                if self.path.endswith(".xml"):
                    self.send_header("Content-Type", "application/rss+xml")
                self.end_headers()
                self.wfile.write(body.encode())

        server = ThreadingHTTPServer((host, 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def _site_page(self, path: str) -> tuple[int, str]:
        if path == "/robots.txt":
            return 200, "User-agent: *\nAllow: /\n"
        if path == "/":
            links = "".join(f'<li><a href="/singkat/{n}">Kabar {n}</a></li>' for n in range(7))
            feed = f'<a href="{self.feed_base}/rss.xml">RSS</a>'
            return 200, f"<html><body><ul>{links}</ul>{feed}</body></html>"
        if path.startswith("/singkat/"):
            if all(self.counts.get(f"/singkat/{n}") for n in range(7)):
                self.briefs_served.set()
            return 200, brief_page(int(path.rsplit("/", 1)[1]))
        return 404, "<h1>Tidak ada</h1>"

    def _feed_page(self, path: str) -> tuple[int, str]:
        if path == "/robots.txt":
            return 200, "User-agent: *\nAllow: /\n"
        # The feed answers once every brief was read from the home page.
        self.briefs_served.wait(FEED_WAIT_SECONDS)
        items = "".join(
            f"<item><title>Kabar {n}</title><link>{self.base}/singkat/{n}</link>"
            f"<pubDate>Mon, 1{n} Nov 2024 08:00:00 +0700</pubDate></item>"
            for n in range(7)
        )
        return 200, f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'

    def close(self):
        for server in (self.site, self.feeds):
            server.shutdown()
            server.server_close()


@pytest.fixture
def briefs():
    site = BriefSite()
    yield site
    site.close()


def test_briefs_read_for_links_first_are_all_stored(briefs, tmp_path):
    data_dir = tmp_path / "data"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "web.cli", "--quiet", "--data-dir", str(data_dir)),
            *("crawl", f"{briefs.base}/", "--allow-domain", "127.0.0.1"),
            *("--allow-domain", "127.0.0.2", "--allow-private", "--delay", "0", "--timeout", "15"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with Store.open(data_dir) as store:
        stored = {a.url.removeprefix(briefs.base) for a, _ in store.iter_articles()}
        raw_ids = {
            store.get_raw(f"{briefs.base}/singkat/{n}").article_id is not None for n in range(7)
        }
    assert stored == {f"/singkat/{n}" for n in range(7)}
    assert raw_ids == {True}  # `warta reparse` finds every one
    assert all(briefs.counts[f"/singkat/{n}"] == 1 for n in range(7)), briefs.counts
    assert "articles 7 added" in result.stdout
    # The home page, and the two plain briefs until the feed listed them.
    assert "1 pages read for links only (2 judged again as articles)" in result.stdout


@pytest.mark.parametrize(
    ("number", "is_article"),
    [(0, True), (3, True), (5, False)],
)
def test_article_metadata_makes_a_brief_an_article(number, is_article):
    page = parse_page(brief_page(number), f"https://contoh.test/singkat/{number}")
    assert 30 <= len(page.body.split()) <= 40
    assert page.is_article is is_article
