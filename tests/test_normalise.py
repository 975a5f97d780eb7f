"""The normalisers: HTML pages (our own fixtures, shaped like real outlets) and plain text."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import ftfy
import pytest

from crawler import text_normaliser
from crawler.dates import date_from_url, parse_date
from crawler.feeds import parse_feed, parse_sitemap
from crawler.html_normaliser import (
    decode_html,
    join_parts,
    parse_html,
    parse_page,
    plausible_author,
    strip_site_name,
)
from crawler.importer import article_from_record
from crawler.text_normaliser import clean_text, parse_text

HTML = Path(__file__).resolve().parent / "fixtures" / "html"
SEEDS = Path(__file__).resolve().parent.parent / "examples" / "seeds"


def page_of(name: str, url: str = "https://contoh.test/berita/1"):
    html, _ = decode_html((HTML / name).read_bytes())
    return parse_page(html, url)


@pytest.mark.parametrize(
    ("name", "title", "published", "author", "outlet"),
    [
        (
            "jsonld.html",
            "Harga Beras Naik di Jawa Timur",
            "2024-11-12T06:45:00+07:00",
            "Siti Aminah, Joko Prasetyo",
            "Kabar Nusantara",
        ),
        (
            "detik_like.html",
            "Kereta Cepat Tambah Jadwal Perjalanan Akhir Pekan",
            "2024-11-14T10:30:00+07:00",
            "Andi Saputra",
            "contoh.test",
        ),
        (
            "tribun_like.html",
            "Gempa Guncang Manado, Warga Berhamburan Keluar Rumah",
            "2024-12-02T08:15:00+08:00",
            "Fransiska Noel",
            "TRIBUNMANADO.CO.ID",
        ),
        ("multipage.html", "Cara Menanam Cabai di Pot untuk Pemula", None, None, "Liputan Kita"),
        (
            "windows1252.html",
            'Kafe "Kopi Senja" Buka Cabang Baru',
            "2024-11-15T13:00:00+07:00",
            None,
            "contoh.test",
        ),
        (
            "latin1_says_utf8_is.html",
            'Kafe "Kopi Senja" Buka Cabang Baru',
            "2024-11-15T13:00:00+07:00",
            None,
            "contoh.test",
        ),
        (
            "mojibake.html",
            "Program Makan Bergizi Diperluas",
            "2024-11-14T09:00:00+07:00",
            None,
            "contoh.test",
        ),
    ],
)
def test_page_metadata(name, title, published, author, outlet):
    page = page_of(name)
    assert (page.title, page.published, page.author, page.outlet) == (
        title,
        published,
        author,
        outlet,
    )


@pytest.mark.parametrize(
    ("name", "first", "paragraphs", "absent"),
    [
        (
            "jsonld.html",
            "Harga beras medium di sejumlah pasar",
            3,
            ["SURABAYA", "Baca juga", "Komentar", "Facebook", "Copyright"],
        ),
        (
            "detik_like.html",
            "Operator kereta cepat menambah",
            3,
            [
                "Jakarta -",
                "Baca juga",
                "ADVERTISEMENT",
                "SCROLL TO CONTINUE",
                "(ads/ads)",
                "Berita Terkait",
                "kereta cepat\n",
            ],
        ),
        (
            "tribun_like.html",
            "Gempa bermagnitudo 5,2",
            3,
            ["TRIBUNMANADO", "Baca juga", "Penulis:", "Editor:", "Artikel Terkait", "komentar"],
        ),
        (
            "multipage.html",
            "Menanam cabai di pot",
            4,
            ["2 dari 2 halaman", "Simak juga", "Gabung ke Channel WhatsApp", "Home"],
        ),
        ("windows1252.html", 'Kafe "Kopi Senja" membuka cabang baru di Bogor', 2, ["\ufffd"]),
        ("latin1_says_utf8_is.html", 'Kafe "Kopi Senja" membuka', 2, ["Ã©"]),
        (
            "mojibake.html",
            'Menteri mengatakan "program ini berjalan baik" di Jakarta.',
            2,
            ["â€", "\u200b", "\u00a0"],
        ),
    ],
)
def test_page_body_is_clean_paragraphs(name, first, paragraphs, absent):
    body = page_of(name).body
    assert body.startswith(first)
    assert len(body.split("\n\n")) == paragraphs
    for text in absent:
        assert text not in body


def test_encodings_are_read_right():
    assert "André Wijaya" in page_of("windows1252.html").body
    assert "André Wijaya" in page_of("latin1_says_utf8_is.html").body
    assert decode_html("é".encode("cp1252"), "windows-1252") == ("é", "windows-1252")


def test_metadata_moves_out_of_the_body():
    assert page_of("tribun_like.html").extra == {"editor": "Rizali Posumah", "place": "Manado"}
    assert page_of("detik_like.html").extra["editor_initials"] == "ads/ads"


def test_pagination_links_are_found():
    page = page_of("paged.html", "https://contoh.test/arsip/sunda-kelapa")
    assert page.show_all == "https://contoh.test/arsip/sunda-kelapa?page=all"
    assert page.next_page == "https://contoh.test/arsip/sunda-kelapa?page=2"


def test_parts_are_joined_without_repeats():
    first = page_of("paged.html")
    second = page_of("multipage.html")
    joined = join_parts([first, second, first])
    assert joined.title == first.title
    assert joined.paragraphs == first.paragraphs + second.paragraphs


def test_article_from_html_uses_the_canonical_url_without_tracking():
    article = parse_html((HTML / "jsonld.html").read_bytes(), "https://m.contoh.test/x")
    assert article.url == "https://www.kabarnusantara.test/ekonomi/2024/11/12/harga-beras-naik"
    assert article.id.startswith("kabarnusantara.test-")


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("Andi Saputra - detikNews", "Andi Saputra"),
        ("Penulis: Rina Wulandari", "Rina Wulandari"),
        (": Masriadi (Kontributor Lhokseumawe)", "Masriadi"),
        ("Dewi Kania Jurnalis", "Dewi Kania"),
        ("Kompas Cyber Media", None),
        ("PT. VIVA MEDIA BARU", None),
        ("Twitter @Persib", None),
        ("Nama (wajib)", None),
        ("UANG", None),
        ("Kompas", None),
    ],
)
def test_bylines_name_people_not_outlets(value, name):
    assert plausible_author(value, {"kompas"}) == name


@pytest.mark.parametrize(
    ("title", "clean"),
    [
        ("Judul berita - Kompas.com", "Judul berita"),
        ("Judul berita | Kompas", "Judul berita"),
        ("KOMPAS.com: Judul berita", "Judul berita"),
        ("Tanya - jawab soal pajak", "Tanya - jawab soal pajak"),
    ],
)
def test_site_name_leaves_the_title(title, clean):
    assert strip_site_name(title, {"kompas"}) == clean


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Kamis, 14 November 2024 10:30 WIB", "2024-11-14T10:30:00+07:00"),
        ("Senin, 2 Desember 2024 | 08.15 WITA", "2024-12-02T08:15:00+08:00"),
        ("14/11/2024 10:30 WIT", "2024-11-14T10:30:00+09:00"),
        ("Jum'at, 19 Juni 2015 - 11:58 wib", "2015-06-19T11:58:00+07:00"),
        ("Rabu, 04 Agustus 2021", "2021-08-04T00:00:00+07:00"),
        ("2024-11-14T03:30:00Z", "2024-11-14T03:30:00+00:00"),
        ("2015-06-19T03:40:00+07:00Z", "2015-06-19T03:40:00+07:00"),
        ("Wed, 05 Aug 2020 19:32:08 GMT", "2020-08-05T19:32:08+00:00"),
        ("kemarin sore", None),
    ],
)
def test_dates(text, iso):
    parsed = parse_date(text)
    assert (parsed.isoformat() if parsed else None) == iso


@pytest.mark.parametrize(
    ("url", "day"),
    [
        ("https://contoh.test/read/2024/11/14/10300011/judul", "2024-11-14"),
        ("https://contoh.test/berita/24/11/14/abc-judul", "2024-11-14"),
        ("https://contoh.test/judul-berita-20241114", "2024-11-14"),
        ("https://contoh.test/berita/judul", None),
    ],
)
def test_dates_in_urls(url, day):
    found = date_from_url(url)
    assert (found.date().isoformat() if found else None) == day


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("kata\u200bkata\u00a0lain", "katakata lain"),
        ("\u201cKutipan\u201d dan \u2018kutipan\u2019", "\"Kutipan\" dan 'kutipan'"),
        ("Menteri mengatakan â€œbaikâ€\x9d", 'Menteri mengatakan "baik"'),
        ("Cafe\u0301", "Café"),
    ],
)
def test_text_hygiene(raw, clean):
    assert clean_text(raw) == clean


def _cleaned_by_ftfy(text: str) -> str:
    """``clean_text`` without its shortcut: every text through ftfy and both tables."""
    text = ftfy.fix_text(text, normalization="NFC").translate(text_normaliser._QUOTES)
    text = unicodedata.normalize("NFC", text).translate(text_normaliser._ZERO_WIDTH)
    return text_normaliser._SPACES.sub(" ", text)


# One text per thing ftfy or our tables change, and texts they leave alone.
SHORTCUT_CASES = [
    "Presiden Jokowi  meresmikan\tjalan tol di Jawa Tengah, Senin (10/9/2019).",
    "harga naik 5 %   dari Rp10.000\nke Rp12.000",
    "Tom &amp; Jerry &lt;b&gt; &eacute;",
    "satu\r\ndua\rtiga",
    "warna \x1b[31mmerah\x1b[0m dan \x00\x07\x0b\x7f kendali",
    "\u201cKata\u201d \u2018kata\u2019 \u00abkata\u00bb \u201ekata\u201a \u02bcx",
    "\u2014 Warga Ngawi \u2013 Jawa Timur",
    "\u201a\u00c4\u00ee Warga Ngawi dihebohkan",  # MacRoman mojibake of an em dash
    "Menteri mengatakan \u00e2\u20ac\u0153baik\u00e2\u20ac\x9d",
    "caf\u00e9 dan Cafe\u0301 dan \u00c5ngstr\u00f6m",
    "\ufb01nal \u0132 \uff2c\uff2f\uff35\uff24\u3000\uff2e\uff2f\uff29\uff33\uff25",
    "baris\u2028baru\u2029paragraf\x85lagi",
    "kata\u200bkata\u00a0lain\u00ad\ufeff\u2060",
    "surrogat \ud83d\ude00 dan \ud800 sendiri",
    "\u0628\u0650\u0633\u0652\u0645\u0650 \u0627\u0644\u0644\u0651\u0670\u0647\u0650",
    "\u00c3\u00a9t\u00c3\u00a9 et \u00c3\u00a0 la plage",
    "<b>tebal</b> lalu &amp; baris\nkedua &amp; lagi",
    "",
]


@pytest.mark.parametrize("text", SHORTCUT_CASES)
def test_clean_text_shortcut_changes_nothing(text):
    # The shortcut for texts nothing would change gives what the full path gives,
    # on the text and on its cleaned form (which is cleaned again by parse_text).
    assert clean_text(text) == _cleaned_by_ftfy(text)
    once = clean_text(text)
    assert clean_text(once) == _cleaned_by_ftfy(once)


def test_clean_text_shortcut_knows_every_character_ftfy_changes():
    # Each character on its own, between words: whatever ftfy or the tables do
    # with it, the shortcut must not claim the text untouched.
    for code in [
        *range(0x0, 0x250),
        *range(0x2000, 0x2070),
        *range(0xFB00, 0xFB07),
        *range(0xFEFF, 0x10000),
    ]:
        text = f"kata {chr(code)} kata"
        assert clean_text(text) == _cleaned_by_ftfy(text), hex(code)


SEED_CASES = [
    (
        "000_141db1f0c8dcb74e",
        "Juru bicara Kementerian",
        "Bloomberg Technoz",
        {"editor_initials": "bbn"},
    ),
    (
        "001_ca1151ea58444d6d",
        "Tentara Korea Utara baru-baru ini",
        "ETIndonesia",
        {"attribution": "Epochtimes.com", "editor_initials": "jhon"},
    ),
    ("002_6247ad75e0456af4", "Korut telah mengirim", None, {"editor_initials": "bbn"}),
    (
        "003_b0651d44f0ea87d2",
        "China kena imbas",
        "KOMPAS.TV",
        {"attribution": "Associated Press", "place": "Brussels"},
    ),
    ("004_2217b1388aee775f", "Pengiriman sekitar 10.000 tentara", None, {}),
]


@pytest.mark.parametrize(("seed", "start", "source", "extra"), SEED_CASES)
def test_seed_texts(seed, start, source, extra):
    article = parse_text((SEEDS / f"{seed}.txt").read_text(encoding="utf-8"), seed)
    assert article.body.startswith(start)
    assert (article.source, article.extra) == (source, extra)
    assert 20 < len(article.title) <= 91
    assert article.body.startswith(article.title.rstrip("…"))
    for noise in (
        "Logo ",
        "(bbn)",
        "(jhon)",
        "No more pages",
        "Baca Juga",
        "Sumber :",
        "Gabung ke Channel",
        "KOMPAS.TV -",
        "ETIndonesia.",
    ):
        assert noise not in article.body


@pytest.mark.parametrize(
    ("text", "body", "source", "author", "extra"),
    [
        (
            "JAKARTA, KOMPAS.com - Presiden meresmikan jalan tol baru di Jawa Tengah hari ini.",
            "Presiden meresmikan jalan tol baru di Jawa Tengah hari ini.",
            "KOMPAS.com",
            None,
            {"place": "Jakarta"},
        ),
        (
            "TEMPO.CO, Jakarta - Harga emas turun tipis pada perdagangan pagi ini di pasar.",
            "Harga emas turun tipis pada perdagangan pagi ini di pasar.",
            "TEMPO.CO",
            None,
            {"place": "Jakarta"},
        ),
        (
            "Jakarta - Hujan deras mengguyur ibu kota sejak pagi hari tadi.\nPenulis: Rina",
            "Hujan deras mengguyur ibu kota sejak pagi hari tadi.",
            None,
            "Rina",
            {"place": "Jakarta"},
        ),
        (
            "Liputan6.com, Jakarta - Bursa saham dibuka menguat pada awal pekan ini.\n"
            "Editor: Budi\n(ant/rh)",
            "Bursa saham dibuka menguat pada awal pekan ini.",
            "Liputan6.com",
            None,
            {"place": "Jakarta", "editor": "Budi", "editor_initials": "ant/rh"},
        ),
        (
            "ETIndonesia. Tentara dikirim ke garis depan pada pekan lalu.",
            "Tentara dikirim ke garis depan pada pekan lalu.",
            "ETIndonesia",
            None,
            {},
        ),
        (
            "TPengiriman pasukan itu dikecam banyak negara di Eropa.",
            "Pengiriman pasukan itu dikecam banyak negara di Eropa.",
            None,
            None,
            {},
        ),
        (
            "Kantor berita ANTARA melaporkan banjir di Kalimantan Selatan.\n"
            "Simak juga: video banjir\nADVERTISEMENT",
            "Kantor berita ANTARA melaporkan banjir di Kalimantan Selatan.",
            None,
            None,
            {},
        ),
    ],
)
def test_plain_text_noise_goes_to_metadata(text, body, source, author, extra):
    article = parse_text(text, "x")
    assert (article.body, article.source, article.author, article.extra) == (
        body,
        source,
        author,
        extra,
    )


def test_title_is_derived_from_the_first_sentence():
    article = parse_text("Gempa mengguncang Cianjur. Warga panik.", "x")
    assert (article.title, article.title_derived) == ("Gempa mengguncang Cianjur", True)
    given = parse_text("Gempa mengguncang Cianjur. Warga panik.", "x", title="Gempa Cianjur")
    assert (given.title, given.title_derived) == ("Gempa Cianjur", False)


@pytest.mark.parametrize(
    ("record", "title", "derived"),
    [
        ({"id": "a", "body": "Harga beras naik. Pedagang mengeluh."}, "Harga beras naik", True),
        ({"id": "a", "title": None, "body": "Harga beras naik."}, "Harga beras naik", True),
        ({"id": "a", "title": "  ", "body": "Harga beras naik."}, "Harga beras naik", True),
        ({"id": "a", "title": "Beras", "body": "Harga beras naik."}, "Beras", False),
    ],
)
def test_json_records_without_a_title_get_a_derived_one(record, title, derived):
    article = article_from_record(record, "x.jsonl:1")
    assert (article.title, article.title_derived) == (title, derived)


@pytest.mark.parametrize(
    ("head", "derived"),
    [("", True), ("<title>Harga beras naik tajam di Jakarta</title>", False)],
)
def test_a_page_without_a_title_gets_a_derived_one(head, derived):
    text = "Harga beras naik di pasar. " * 20
    html = f"<html><head>{head}</head><body><article><p>{text}</p></article></body></html>"
    article = parse_html(html, url="https://contoh.test/beras")
    assert article.title_derived is derived
    assert article.title == (text[:90] if derived else "Harga beras naik tajam di Jakarta")


def test_feeds_and_sitemaps_are_read():
    feed = parse_feed(b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
        <item><title>A</title><link>https://contoh.test/a</link>
        <pubDate>Thu, 14 Nov 2024 10:30:00 +0700</pubDate></item></channel></rss>""")
    assert [(e.url, e.published.isoformat()) for e in feed] == [
        ("https://contoh.test/a", "2024-11-14T03:30:00+00:00")
    ]
    kind, entries = parse_sitemap(b"""<?xml version="1.0"?>
        <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
                xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
        <url><loc>https://contoh.test/b</loc><news:news>
        <news:publication_date>2024-11-15T08:00:00+07:00</news:publication_date>
        </news:news></url></urlset>""")
    assert kind == "urlset"
    assert [(e.url, e.published.isoformat()) for e in entries] == [
        ("https://contoh.test/b", "2024-11-15T08:00:00+07:00")
    ]
