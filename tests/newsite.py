"""A small Indonesian news site for the crawler tests, served on 127.0.0.1.

Its pages are written for these tests (no third-party page is copied): they
carry the boilerplate real outlets do (navigation, share buttons, "Baca juga"
lines, ADVERTISEMENT, comment widgets) and the traps a crawler must survive
(robots.txt rules, a redirect loop, a 500, a slow page, a binary file, an
oversized page, a windows-1252 page, a 429 with Retry-After, pagination).
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

SLOW_SECONDS = 1.5
CRAWL_DELAY = 0.2

_FRAME = """<!DOCTYPE html>
<html lang="id"><head><meta charset="{charset}">
<title>{title} - Warta Contoh</title>
{head}
</head><body>
<header class="site-header"><a href="/">Warta Contoh</a>
<nav class="menu"><a href="/">Beranda</a> <a href="/kategori/nasional">Nasional</a>
<a href="/privat/rahasia">Rahasia</a></nav></header>
<main>{main}</main>
<aside class="sidebar"><h3>Terpopuler</h3><ul class="populer">
<li><a href="/berita/2024/11/18/ekonomi">Ekonomi tumbuh lima persen pada kuartal ketiga</a></li>
</ul></aside>
<footer class="footer">Hak cipta 2024 Warta Contoh. Semua hak dilindungi.</footer>
</body></html>"""

_ARTICLE = """<article class="detail">
<h1 class="detail__title">{title}</h1>
<div class="detail__date">{date_text}</div>
<div class="detail__author">Penulis: {author}</div>
<div class="share-box"><a href="https://facebook.com/share">Bagikan</a>
<a href="https://twitter.com/share">Tweet</a></div>
<figure><img src="/foto.jpg" alt=""><figcaption>Ilustrasi foto: keterangan gambar.</figcaption>
</figure>
<div class="detail__body-text">
{paragraphs}
</div>
{after}
<div class="related-articles"><h3>Berita Terkait</h3><ul>
<li><a href="/berita/2024/11/18/ekonomi">Ekonomi tumbuh lima persen</a></li></ul></div>
<div id="comments" class="comment-box"><p>Komentar pembaca: artikel ini sangat menarik sekali
dan saya setuju dengan semua isinya, terima kasih redaksi.</p></div>
</article>"""


def paragraphs_html(paragraphs: list[str]) -> str:
    """The body paragraphs with the in-text promotions Indonesian outlets add."""
    out = []
    for i, para in enumerate(paragraphs):
        out.append(f"<p>{para}</p>")
        if i == 0:
            out.append(
                '<p class="baca">Baca juga: <a href="/berita/2024/11/18/ekonomi">'
                "Ekonomi tumbuh lima persen</a></p>"
            )
            out.append('<div class="ads-inline">ADVERTISEMENT</div>')
            out.append("<p>SCROLL TO CONTINUE WITH CONTENT</p>")
    out.append("<p>Gabung ke Channel WhatsApp Warta Contoh untuk berita terbaru.</p>")
    out.append("<p>Editor: Budi Santoso</p>")
    return "\n".join(out)


def article_page(
    title: str,
    paragraphs: list[str],
    *,
    date_text: str = "",
    author: str = "Rina Wulandari",
    head: str = "",
    after: str = "",
    charset: str = "utf-8",
) -> str:
    """An article page shaped like an Indonesian outlet's."""
    main = _ARTICLE.format(
        title=title,
        date_text=date_text,
        author=author,
        paragraphs=paragraphs_html(paragraphs),
        after=after,
    )
    return _FRAME.format(title=title, head=head, main=main, charset=charset)


def json_ld(headline: str, published: str, author: str) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": headline,
        "datePublished": published,
        "author": {"@type": "Person", "name": author},
        "publisher": {"@type": "Organization", "name": "Warta Contoh"},
    }
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


LEDE = (
    "Banjir besar melanda Kota Bekasi pada Kamis pagi setelah hujan deras mengguyur sejak "
    "malam, membuat ratusan warga mengungsi ke masjid dan sekolah terdekat."
)
FILL = (
    "Petugas gabungan dari BPBD, TNI dan Polri mengevakuasi warga lanjut usia, anak-anak dan "
    "ibu hamil menggunakan perahu karet, sementara dapur umum didirikan di sejumlah titik."
)


def _pages(base: str) -> dict[str, tuple[int, dict, bytes]]:
    """Every path of the site: status, headers and body."""
    html = {"Content-Type": "text/html; charset=utf-8"}

    def page(text: str, **headers) -> tuple[int, dict, bytes]:
        return 200, {**html, **headers}, text.encode("utf-8")

    pages = {
        "/robots.txt": (
            200,
            {"Content-Type": "text/plain"},
            (
                "User-agent: *\nDisallow: /privat/\n"
                f"Crawl-delay: {CRAWL_DELAY}\nSitemap: {base}/sitemap_index.xml\n"
            ).encode(),
        ),
        "/sitemap_index.xml": (
            200,
            {"Content-Type": "application/xml"},
            f"""<?xml version="1.0"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{base}/sitemap-berita.xml</loc></sitemap>
<sitemap><loc>{base}/sitemap-news.xml</loc></sitemap>
<sitemap><loc>{base}/sitemap-lama.xml.gz</loc></sitemap>
</sitemapindex>""".encode(),
        ),
        "/sitemap-berita.xml": (
            200,
            {"Content-Type": "application/xml"},
            f"""<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{base}/berita/2024/11/14/banjir-bekasi</loc><lastmod>2024-11-14</lastmod></url>
<url><loc>{base}/berita/2019/01/02/berita-lama</loc><lastmod>2019-01-02</lastmod></url>
<url><loc>{base}/privat/rahasia</loc></url>
<url><loc>{base}/unduh/laporan</loc></url>
<url><loc>{base}/berita/besar</loc></url>
<url><loc>{base}/berita/lambat</loc></url>
<url><loc>{base}/berita/rusak</loc></url>
<url><loc>{base}/putar/a</loc></url>
<url><loc>{base}/keluar</loc></url>
<url><loc>{base}/berita/2024/11/19/antre</loc></url>
<url><loc>http://luar.example/berita/asing</loc></url>
</urlset>""".encode(),
        ),
        "/sitemap-news.xml": (
            200,
            {"Content-Type": "application/xml"},
            f"""<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{base}/berita/2024/11/15/gempa-cianjur</loc>
<news:news><news:publication><news:name>Warta Contoh</news:name>
<news:language>id</news:language></news:publication>
<news:publication_date>2024-11-15T08:00:00+07:00</news:publication_date>
<news:title>Gempa mengguncang Cianjur</news:title></news:news></url>
</urlset>""".encode(),
        ),
        "/sitemap-lama.xml.gz": (
            200,
            {"Content-Type": "application/gzip"},
            gzip.compress(
                f"""<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{base}/berita/2024/11/18/ekonomi</loc></url>
</urlset>""".encode()
            ),
        ),
        "/rss.xml": (
            200,
            {"Content-Type": "application/rss+xml"},
            f"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Warta Contoh</title><link>{base}/</link>
<item><title>Pilkada serentak</title><link>{base}/berita/2024/11/16/pilkada?utm_source=rss</link>
<pubDate>Sat, 16 Nov 2024 09:00:00 +0700</pubDate></item>
<item><title>Banjir Bekasi</title><link>{base}/berita/2024/11/14/banjir-bekasi</link>
<pubDate>Thu, 14 Nov 2024 10:30:00 +0700</pubDate></item>
</channel></rss>""".encode(),
        ),
        "/": page(
            _FRAME.format(
                title="Beranda",
                head="",
                charset="utf-8",
                main="""
<ul class="headline">
<li><a href="/berita/2024/11/14/banjir-bekasi?utm_source=home&utm_medium=web">Banjir Bekasi</a></li>
<li><a href="/berita/2024/11/17/panjang">Laporan panjang</a></li>
<li><a href="/berita/2024/11/20/semua">Laporan khusus</a></li>
<li><a href="/berita/cp1252">Kabar lama</a></li>
<li><a href="/kategori/nasional">Nasional</a></li>
<li><a href="http://luar.example/iklan">Iklan</a></li>
<li><a href="mailto:redaksi@contoh.test">Surat</a></li>
</ul>""",
            )
        ),
        "/kategori/nasional": page(
            _FRAME.format(
                title="Nasional",
                head="",
                charset="utf-8",
                main="""<ul>
<li><a href="/berita/2024/11/18/ekonomi">Ekonomi</a></li></ul>""",
            )
        ),
        "/berita/2024/11/14/banjir-bekasi": page(
            article_page(
                "Banjir melanda Bekasi, ratusan warga mengungsi",
                [
                    LEDE,
                    FILL,
                    "Wali Kota Bekasi meminta warga tetap waspada karena hujan diperkirakan "
                    "turun hingga akhir pekan, terutama di kawasan bantaran kali.",
                ],
                date_text="Kamis, 14 November 2024 10:30 WIB",
            ),
            ETag='"banjir-v1"',
        ),
        "/berita/2019/01/02/berita-lama": page(
            article_page(
                "Berita lama dari tahun 2019",
                [FILL, LEDE],
                date_text="Rabu, 2 Januari 2019 08:00 WIB",
            )
        ),
        "/berita/2024/11/15/gempa-cianjur": page(
            article_page(
                "Gempa mengguncang Cianjur",
                [
                    "Gempa bermagnitudo 5,6 mengguncang Kabupaten Cianjur, Jawa Barat, pada Jumat "
                    "pagi dan dirasakan hingga Bandung serta Sukabumi.",
                    FILL,
                ],
                head=json_ld(
                    "Gempa mengguncang Cianjur", "2024-11-15T08:00:00+07:00", "Dewi Lestari"
                ),
                author="Dewi Lestari",
            )
        ),
        "/berita/2024/11/16/pilkada": page(
            article_page(
                "Pilkada serentak berlangsung aman",
                [
                    "Pemungutan suara pilkada serentak di berbagai daerah berlangsung aman "
                    "dan lancar, "
                    "menurut laporan Komisi Pemilihan Umum pada Sabtu sore.",
                    FILL,
                ],
                head='<meta property="article:published_time" content="2024-11-16T09:00:00+07:00">'
                '<link rel="canonical" href="/berita/2024/11/16/pilkada">',
            )
        ),
        "/berita/2024/11/18/ekonomi": page(
            article_page(
                "Ekonomi tumbuh lima persen",
                [
                    "Badan Pusat Statistik mencatat ekonomi Indonesia tumbuh lima persen "
                    "pada kuartal "
                    "ketiga, ditopang konsumsi rumah tangga dan investasi.",
                    FILL,
                ],
                date_text="Senin, 18 November 2024 14:00 WIB",
            )
        ),
        "/berita/2024/11/19/antre": page(
            article_page(
                "Antrean panjang di SPBU",
                [
                    "Antrean kendaraan mengular di sejumlah SPBU di Makassar sejak Selasa "
                    "pagi karena "
                    "pasokan solar terlambat datang.",
                    FILL,
                ],
                date_text="Selasa, 19 November 2024 09:15 WITA",
            )
        ),
        "/berita/2024/11/17/panjang": page(
            article_page(
                "Laporan panjang tentang nelayan",
                [
                    "Halaman pertama: nelayan di pesisir utara Jawa menghadapi cuaca buruk "
                    "yang membuat "
                    "mereka tidak bisa melaut selama dua pekan.",
                    FILL,
                ],
                date_text="Minggu, 17 November 2024 07:00 WIB",
                after='<div class="pagination"><a href="?page=2">Halaman 2</a> '
                '<a href="?page=2">Selanjutnya</a></div>',
            )
        ),
        "/berita/2024/11/17/panjang?page=2": page(
            article_page(
                "Laporan panjang tentang nelayan",
                [
                    "Halaman kedua: harga ikan di pelelangan naik tajam karena pasokan berkurang, "
                    "sementara permintaan dari pasar tetap tinggi."
                ],
                date_text="Minggu, 17 November 2024 07:00 WIB",
                after='<div class="pagination"><a href="?page=3">Selanjutnya</a></div>',
            )
        ),
        "/berita/2024/11/17/panjang?page=3": page(
            article_page(
                "Laporan panjang tentang nelayan",
                [
                    "Halaman ketiga: pemerintah daerah menyiapkan bantuan beras dan bahan "
                    "bakar bagi "
                    "keluarga nelayan yang terdampak cuaca buruk."
                ],
                date_text="Minggu, 17 November 2024 07:00 WIB",
            )
        ),
        "/berita/2024/11/20/semua": page(
            article_page(
                "Laporan khusus tentang sampah",
                [
                    "Bagian awal: tumpukan sampah di Bantar Gebang terus bertambah setiap hari dan "
                    "kapasitasnya hampir penuh menurut pengelola.",
                    FILL,
                ],
                date_text="Rabu, 20 November 2024 11:00 WIB",
                after='<div class="paging"><a href="?page=2">2</a> '
                '<a href="?page=all">Tampilkan semua</a></div>',
            )
        ),
        "/berita/2024/11/20/semua?page=all": page(
            article_page(
                "Laporan khusus tentang sampah",
                [
                    "Bagian awal: tumpukan sampah di Bantar Gebang terus bertambah setiap hari dan "
                    "kapasitasnya hampir penuh menurut pengelola.",
                    FILL,
                    "Bagian akhir: pemerintah provinsi berencana membangun fasilitas pengolahan "
                    "sampah menjadi energi listrik tahun depan.",
                ],
                date_text="Rabu, 20 November 2024 11:00 WIB",
            )
        ),
        "/berita/cp1252": (
            200,
            {"Content-Type": "text/html; charset=windows-1252"},
            article_page(
                "Kafe \u201cKopi Kenangan\u201d dibuka kembali",
                [
                    "Kafe \u201cKopi Kenangan\u201d di Bogor dibuka kembali setelah renovasi, kata "
                    "pemiliknya, Andr\u00e9 Wijaya, kepada wartawan pada Jumat siang.",
                    FILL,
                ],
                date_text="Jumat, 15 November 2024 13:00 WIB",
                charset="windows-1252",
            ).encode("cp1252"),
        ),
        "/unduh/laporan": (
            200,
            {"Content-Type": "application/octet-stream"},
            b"\x00\x01PK\x03\x04" * 200,
        ),
        "/berita/besar": page(
            "<html><body><p>" + "Teks sangat panjang. " * 6000 + "</p></body></html>"
        ),
        "/privat/rahasia": page(article_page("Rahasia", [LEDE, FILL])),
    }
    return pages


@dataclass
class Hit:
    """One request the site received."""

    at: float
    path: str
    status: int
    headers: dict


@dataclass
class NewsSite:
    """The running site: its base URL and every request it received."""

    base: str
    hits: list[Hit] = field(default_factory=list)
    pages: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)

    def paths(self) -> list[str]:
        return [hit.path for hit in self.hits]


def _handler(site: NewsSite):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep the test output clean
            pass

        def _send(self, status: int, headers: dict, body: bytes) -> None:
            self.hit.status = status
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the crawler gave up on this response (size cap, timeout)

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.hit = Hit(time.monotonic(), self.path, 0, dict(self.headers))
            site.hits.append(self.hit)
            path = self.path
            site.counts[path] = site.counts.get(path, 0) + 1
            if path == "/keluar":
                return self._send(302, {"Location": "http://luar.example/berita/pindah"}, b"")
            if path.startswith("/putar/"):
                target = "/putar/b" if path == "/putar/a" else "/putar/a"
                return self._send(302, {"Location": target}, b"")
            if path == "/berita/rusak":
                return self._send(500, {"Content-Type": "text/html"}, b"<h1>Galat server</h1>")
            if path == "/berita/lambat":
                time.sleep(SLOW_SECONDS)
            if path == "/berita/2024/11/19/antre" and site.counts[path] == 1:
                return self._send(
                    429,
                    {"Retry-After": "1", "Content-Type": "text/html"},
                    b"<h1>Terlalu banyak permintaan</h1>",
                )
            found = site.pages.get(path) or site.pages.get(urlsplit(path).path)
            if path == "/berita/lambat":
                found = (200, {"Content-Type": "text/html"}, b"<p>lambat</p>")
            if found is None:
                return self._send(404, {"Content-Type": "text/html"}, b"<h1>Tidak ada</h1>")
            status, headers, body = found
            etag = headers.get("ETag")
            if etag and self.headers.get("If-None-Match") == etag:
                return self._send(304, {"ETag": etag}, b"")
            return self._send(status, headers, body)

    return Handler


def serve_site() -> tuple[NewsSite, ThreadingHTTPServer]:
    """Start the site on a free port of 127.0.0.1; the caller shuts the server down."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(NewsSite("")))
    site = NewsSite(f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(site)
    site.pages = _pages(site.base)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return site, server


def running_site() -> Iterator[NewsSite]:
    """The site served for as long as the caller (a pytest fixture) needs it."""
    site, server = serve_site()
    yield site
    server.shutdown()
    server.server_close()


WARTA = [sys.executable, "-m", "web.cli"]


def run_warta(data_dir: Path, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    """The real ``warta`` command in a subprocess (a crawl starts Scrapy's reactor, once
    per process, so crawls run as a user runs them)."""
    return subprocess.run(
        [*WARTA, "--quiet", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
