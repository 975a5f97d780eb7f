"""A loopback newsroom: three invented Indonesian outlets that publish while you watch.

Each outlet is a real HTTP server in a thread on its own loopback address
(127.0.0.1, 127.0.0.2, 127.0.0.3), so each is its own host to the crawler:

- Wartasim lists its articles in an RSS feed (``/rss.xml``),
- Kabar Loka in an Atom feed (``/atom.xml``),
- Suara Timur in a Google News sitemap (``/sitemap-news.xml``, named in robots.txt).

``publish()`` adds an article (title, three paragraphs, author, JSON-LD,
published now in WIB); every page and listing shows it at once. An outlet can
go ``down`` (every path answers 500) or be ``redesigned`` (article pages
become an empty shell filled by JavaScript: no text for the crawler). All
pages are written here; nothing is copied from a real site. ``bench/newsroom.py``
serves the same newsroom for a long ``warta watch`` run.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

WIB = timezone(timedelta(hours=7))

CITIES = [
    "Bekasi", "Bandung", "Surabaya", "Makassar", "Medan", "Padang", "Kupang", "Ambon",
    "Pontianak", "Semarang", "Palembang", "Mataram", "Manado", "Jayapura", "Banjarmasin",
]  # fmt: skip
TOPICS = [
    ("Banjir", "banjir merendam ratusan rumah warga setelah hujan deras sejak malam"),
    ("Harga cabai", "harga cabai rawit di pasar tradisional naik hampir dua kali lipat"),
    ("Festival budaya", "festival budaya menampilkan tari tradisional dan kuliner daerah"),
    ("Jalan rusak", "jalan provinsi yang rusak parah membuat perjalanan warga tersendat"),
    ("Vaksinasi", "vaksinasi anak sekolah digelar serentak di puskesmas dan sekolah"),
    ("Kebakaran pasar", "kebakaran menghanguskan puluhan kios di pasar induk dini hari"),
    ("Pelabuhan", "pelabuhan penyeberangan dipadati pemudik menjelang libur panjang"),
    ("Nelayan", "nelayan tidak melaut karena gelombang tinggi di perairan selatan"),
]
AUTHORS = ["Rina Wulandari", "Budi Santoso", "Dewi Lestari", "Agus Salim", "Sri Rahayu"]
FILLER = (
    "Petugas dari pemerintah daerah, kepolisian dan relawan bergerak sejak pagi untuk "
    "membantu warga, sementara posko bantuan dibuka di kantor kelurahan terdekat."
)
CLOSING = (
    "Pemerintah kota berjanji mengevaluasi penanganan kejadian ini dan meminta warga "
    "tetap tenang serta mengikuti informasi resmi dari petugas di lapangan."
)


@dataclass(frozen=True)
class Story:
    """One published article."""

    number: int
    slug: str
    title: str
    paragraphs: tuple[str, ...]
    author: str
    published: datetime


@dataclass
class Outlet:
    """One invented outlet. ``mode``: ok, down (500 everywhere) or redesigned (empty pages)."""

    key: str
    name: str
    listing: str  # rss, atom or sitemap
    host: str
    base: str = ""
    stories: list[Story] = field(default_factory=list)
    mode: str = "ok"
    hits: Counter = field(default_factory=Counter)
    served: Counter = field(default_factory=Counter)  # article paths answered 200
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def start_url(self) -> str:
        path = {"rss": "/rss.xml", "atom": "/atom.xml", "sitemap": "/sitemap-news.xml"}
        return self.base + path[self.listing]

    def publish(self, title: str | None = None, lede: str | None = None) -> Story:
        """Publish an article now; a title and first paragraph of your own, or invented ones."""
        with self.lock:
            number = len(self.stories) + 1
            city = self.rng.choice(CITIES)
            topic, what = self.rng.choice(TOPICS)
            title = title or f"{topic} di {city}, laporan {self.name} nomor {number}"
            lede = lede or (
                f"{city.upper()}, {self.name.upper()} - Di {city}, {what}, kata pejabat "
                f"setempat kepada wartawan pada hari ini."
            )
            story = Story(
                number=number,
                slug=f"{number}-{'-'.join(title.lower().split()[:5])}".replace(",", ""),
                title=title,
                paragraphs=(lede, FILLER, CLOSING),
                author=self.rng.choice(AUTHORS),
                published=datetime.now(WIB).replace(microsecond=0),
            )
            self.stories.append(story)
            return story

    def path_of(self, story: Story) -> str:
        if self.listing == "rss":
            return f"/read/{story.number}/{story.slug}"
        if self.listing == "atom":
            day = story.published.strftime("%Y/%m/%d")
            return f"/berita/{day}/{story.slug}"
        return f"/artikel/{story.slug}.html"

    def url_of(self, story: Story) -> str:
        return self.base + self.path_of(story)

    # -- pages -------------------------------------------------------------------

    def answer(self, path: str) -> tuple[int, str, bytes]:
        """Status, content type and body for a path."""
        if self.mode == "down":
            return 500, "text/html", b"<h1>502 Bad Gateway</h1>"
        with self.lock:
            stories = list(self.stories)
        newest = stories[::-1][:30]
        if path == "/robots.txt":
            text = "User-agent: *\nAllow: /\n"
            if self.listing == "sitemap":
                text += f"Sitemap: {self.base}/sitemap-news.xml\n"
            return 200, "text/plain", text.encode()
        if path == "/":
            return 200, "text/html; charset=utf-8", self._home(newest).encode()
        if path == "/rss.xml" and self.listing == "rss":
            return 200, "application/rss+xml", self._rss(newest).encode()
        if path == "/atom.xml" and self.listing == "atom":
            return 200, "application/atom+xml", self._atom(newest).encode()
        if path == "/sitemap-news.xml" and self.listing == "sitemap":
            return 200, "application/xml", self._sitemap(newest).encode()
        for story in stories:
            if self.path_of(story) == path:
                return 200, "text/html; charset=utf-8", self._article(story).encode()
        return 404, "text/html", b"<h1>Tidak ditemukan</h1>"

    def _frame(self, title: str, head: str, main: str) -> str:
        return (
            f'<!DOCTYPE html><html lang="id"><head><meta charset="utf-8">'
            f"<title>{escape(title)} - {escape(self.name)}</title>{head}</head><body>"
            f'<header><a href="/">{escape(self.name)}</a> <nav><a href="/">Beranda</a></nav>'
            f"</header><main>{main}</main>"
            f"<footer>Hak cipta {escape(self.name)}. Semua hak dilindungi.</footer></body></html>"
        )

    def _home(self, stories: list[Story]) -> str:
        items = "".join(
            f'<li><a href="{self.path_of(s)}">{escape(s.title)}</a></li>' for s in stories[:10]
        )
        return self._frame("Beranda", "", f'<ul class="terbaru">{items}</ul>')

    def _article(self, story: Story) -> str:
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": story.title,
            "datePublished": story.published.isoformat(),
            "author": {"@type": "Person", "name": story.author},
            "publisher": {"@type": "Organization", "name": self.name},
        }
        head = (
            '<meta property="og:type" content="article">'
            f'<meta property="og:title" content="{escape(story.title)}">'
            f'<meta property="og:site_name" content="{escape(self.name)}">'
            f'<script type="application/ld+json">{json.dumps(data)}</script>'
        )
        if self.mode == "redesigned":  # the new template: the browser fills the text in
            return self._frame(
                story.title,
                head,
                '<div id="app" data-hydrate="artikel"></div><script src="/app.js"></script>',
            )
        paragraphs = "".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)
        main = (
            f'<article><h1>{escape(story.title)}</h1><div class="byline">Penulis: '
            f'{escape(story.author)}</div><div class="isi">{paragraphs}</div></article>'
        )
        return self._frame(story.title, head, main)

    def _rss(self, stories: list[Story]) -> str:
        items = "".join(
            f"<item><title>{escape(s.title)}</title><link>{self.url_of(s)}</link>"
            f"<guid>{self.url_of(s)}</guid><pubDate>{format_datetime(s.published)}</pubDate></item>"
            for s in stories
        )
        return (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{escape(self.name)}</title><link>{self.base}/</link>{items}</channel></rss>"
        )

    def _atom(self, stories: list[Story]) -> str:
        updated = (
            stories[0].published if stories else datetime(2024, 1, 1, tzinfo=WIB)
        ).isoformat()
        entries = "".join(
            f'<entry><title>{escape(s.title)}</title><link href="{self.url_of(s)}"/>'
            f"<id>{self.url_of(s)}</id><updated>{s.published.isoformat()}</updated>"
            f"<published>{s.published.isoformat()}</published></entry>"
            for s in stories
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{escape(self.name)}</title><id>{self.base}/</id><updated>{updated}</updated>"
            f"{entries}</feed>"
        )

    def _sitemap(self, stories: list[Story]) -> str:
        urls = "".join(
            f"<url><loc>{self.url_of(s)}</loc><news:news><news:publication>"
            f"<news:name>{escape(self.name)}</news:name><news:language>id</news:language>"
            f"</news:publication><news:publication_date>{s.published.isoformat()}"
            f"</news:publication_date><news:title>{escape(s.title)}</news:title></news:news></url>"
            for s in stories
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f"{urls}</urlset>"
        )


def _handler(outlet: Outlet):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            path = urlsplit(self.path).path
            outlet.hits[path] += 1
            status, content_type, body = outlet.answer(path)
            if status == 200 and "html" in content_type and path != "/":
                outlet.served[path] += 1
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


OUTLETS = (
    ("wartasim", "Wartasim", "rss"),
    ("kabarloka", "Kabar Loka", "atom"),
    ("suaratimur", "Suara Timur", "sitemap"),
)


@dataclass
class Newsroom:
    """The running outlets, by key; ``close()`` stops their servers."""

    outlets: dict[str, Outlet]
    servers: list[ThreadingHTTPServer]

    def __getitem__(self, key: str) -> Outlet:
        return self.outlets[key]

    def sources_toml(self, interval_minutes: float = 30, disabled=(), **options) -> str:
        """A sources.toml following the three outlets (crawl options for every one)."""
        out = []
        for outlet in self.outlets.values():
            out.append(f"[sources.{outlet.key}]")
            out.append(f'name = "{outlet.name}"')
            out.append(f'start_urls = ["{outlet.start_url}"]')
            out.append(f"interval_minutes = {interval_minutes}")
            out.append(f"enabled = {'false' if outlet.key in disabled else 'true'}")
            for key, value in {"allow_private": True, "max_depth": 1, **options}.items():
                out.append(f"{key} = {json.dumps(value)}")
            out.append("")
        return "\n".join(out)

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


def open_newsroom(stories: int = 3, hosts=("127.0.0.1", "127.0.0.2", "127.0.0.3")) -> Newsroom:
    """Start the three outlets, each with ``stories`` articles already published."""
    outlets, servers = {}, []
    for (key, name, listing), host in zip(OUTLETS, hosts, strict=True):
        outlet = Outlet(key, name, listing, host, rng=random.Random(key))
        server = ThreadingHTTPServer((host, 0), _handler(outlet))
        server.daemon_threads = True
        outlet.base = f"http://{host}:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        for _ in range(stories):
            outlet.publish()
        outlets[key] = outlet
        servers.append(server)
    return Newsroom(outlets, servers)
