"""The web app through Flask's test client: pages, API, errors, escaping, headers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from string import Formatter
from urllib.parse import urlencode

import pytest
from markupsafe import escape

from crawler import Article, Store
from index import IndexLockedError
from searcher import QUERY_ERRORS, Hit, QueryError, Searcher, SearchResult
from tests.conftest import RESULT_KEYS
from web import create_app
from web.errors import PESAN_KUERI
from web.handles import close_app, handles

TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"

EVIL = Article(
    id="jahat",
    title='<script>alert("judul")</script> Banjir "kutip" & \'apostrof\'',
    body=(
        'Paragraf banjir pertama <script>alert("isi")</script>.\n\n'
        "Paragraf kedua <img src=x onerror=\"alert('x')\"> banjir lagi."
    ),
    url="javascript:alert(document.cookie)",
    source='<b onclick="alert(1)">Media</b>',
    published="2024-11-20",
    author='Penulis "><script>alert(2)</script>',
)


def html_of(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def warta(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """Run ``warta`` in another process, as an operator would."""
    command = [sys.executable, "-m", "web.cli", "--quiet", "--data-dir", str(data_dir), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


@pytest.fixture
def evil_client(indexed_data_dir):
    """A client over an archive that also holds an article full of markup."""
    with Store.open(indexed_data_dir) as store:
        store.upsert(EVIL)
    assert warta(indexed_data_dir, "index", "update").returncode == 0
    app = create_app({"TESTING": True, "DATA_DIR": str(indexed_data_dir)})
    yield app.test_client()
    close_app(app)


def fake_result(**changes) -> SearchResult:
    hit = Hit(
        id="bekasi-banjir",
        url="https://contoh.test/bekasi-banjir",
        title="Banjir melanda Bekasi",
        source="Kompas",
        published="2024-11-14T10:30:00+07:00",
        author=None,
        score=1.0,
        snippet="<mark>Banjir</mark> besar",
        duplicates=["a", "b", "c"],
    )
    fields = dict(
        query="banjjir",
        total=1,
        page=1,
        page_size=10,
        took_ms=3.0,
        suggestion="banjir",
        facets={"source": {"Kompas": 1}, "month": {"2024-11": 1}},
        hits=[hit],
        fallback=True,
    )
    return SearchResult(**{**fields, **changes})


# -- home -----------------------------------------------------------------


def test_home_page_has_a_search_box(client):
    html = html_of(client, "/")
    assert '<input id="q" name="q"' in html
    assert "autofocus" in html


def test_home_says_what_the_archive_holds_and_how_to_search(client):
    html = html_of(client, "/")
    assert "Arsip ini memuat <strong>7</strong> artikel dari\n    <strong>5</strong> media" in html
    assert "terbit 20 Maret 2024 – 14 November 2024." in html
    for syntax in ('"pasukan korea utara"', "banjir OR longsor", "-jakarta", "sumber:kompas"):
        assert syntax.replace('"', "&#34;") in html or syntax in html
    assert "tanggal:2024-11-01..2024-11-30" in html


def test_every_page_links_the_opensearch_description(client):
    html = html_of(client, "/")
    assert '<link rel="search" type="application/opensearchdescription+xml"' in html
    assert 'href="/opensearch.xml"' in html


# -- results --------------------------------------------------------------


def test_results_page_highlights_matches(client):
    html = html_of(client, "/?q=pengiriman+pasukan")
    assert "<mark>pengiriman</mark>" in html.lower()
    assert "Korut telah mengirim" in html


def test_a_hit_links_to_its_article_page_with_the_query_and_to_the_original(client):
    html = html_of(client, "/?q=banjir")
    assert "<strong>1</strong> artikel" in html
    assert re.search(r"\(\d+ md\)", html)
    assert '<a href="/article/bekasi-banjir?q=banjir">Banjir melanda Bekasi</a>' in html
    assert '<time datetime="2024-11-14T10:30:00+07:00">14 November 2024 10:30 WIB</time>' in html
    assert 'href="https://contoh.test/bekasi-banjir" rel="noopener noreferrer nofollow"' in html
    assert '<span class="source">Kompas</span>' in html


def test_source_facet_filters_when_clicked(client):
    html = html_of(client, "/?q=pemilu+OR+banjir")
    link = re.search(r'<a href="([^"]+)">Kompas</a> <span class="count">1</span>', html)
    assert link is not None, html
    assert link[1] == "/?q=pemilu+OR+banjir&amp;source=Kompas"
    filtered = html_of(client, link[1].replace("&amp;", "&"))
    assert "<strong>1</strong> artikel" in filtered
    assert "Banjir melanda Bekasi" in filtered
    assert "KPU menetapkan" not in filtered
    assert "Media: Kompas" in filtered


def test_month_facet_has_indonesian_names_and_filters_by_date(client):
    html = html_of(client, "/?q=pemilu+OR+banjir")
    assert ">November 2024</a>" in html
    assert ">Maret 2024</a>" in html
    filtered = html_of(client, "/?q=pemilu+OR+banjir&from=2024-03-01&to=2024-03-31")
    assert "KPU menetapkan" in filtered
    assert "Banjir melanda Bekasi" not in filtered
    assert "Tanggal: 1 Maret 2024 – 31 Maret 2024" in filtered


def test_sort_by_newest_puts_the_latest_article_first(client):
    html = html_of(client, "/?q=pemilu+OR+banjir&sort=date")
    assert html.index("Banjir melanda Bekasi") < html.index("KPU menetapkan")
    assert '<strong aria-current="true">terbaru</strong>' in html
    assert 'href="/?q=pemilu+OR+banjir">relevansi</a>' in html


def test_pagination_keeps_every_parameter(client):
    html = html_of(client, "/?q=pasukan&size=1&sort=date")
    assert "halaman 1 dari" in html
    assert 'rel="next" href="/?q=pasukan&amp;page=2&amp;size=1&amp;sort=date"' in html
    second = html_of(client, "/?q=pasukan&page=2&size=1&sort=date")
    assert 'rel="prev" href="/?q=pasukan&amp;size=1&amp;sort=date"' in second
    assert '<span aria-current="page">2</span>' in second


def test_a_page_past_the_end_says_so(client):
    html = html_of(client, "/?q=banjir&page=7")
    assert "sudah melewati hasil terakhir" in html


def test_empty_results_give_advice(client):
    html = html_of(client, "/?q=zzzqqqxxx")
    assert "Tidak ada artikel yang cocok dengan “zzzqqqxxx”" in html
    assert "Periksa ejaan" in html


def test_suggestion_fallback_and_duplicates_are_shown(client, monkeypatch):
    monkeypatch.setattr(Searcher, "search", lambda self, *a, **k: fake_result())
    html = html_of(client, "/?q=banjjir&sort=date")
    assert 'Mungkin maksud Anda: <a href="/?q=banjir&amp;sort=date">banjir</a>' in html
    assert "Tidak ada artikel yang memuat <em>semua</em> kata" in html
    assert ">3 artikel serupa</a>" in html


def test_date_filter_form_keeps_query_source_and_sort(client):
    html = html_of(client, "/?q=banjir&source=Kompas&sort=date")
    form = html[html.index('<form class="dates"') :]
    form = form[: form.index("</form>")]
    assert '<input type="hidden" name="q" value="banjir">' in form
    assert '<input type="hidden" name="source" value="Kompas">' in form
    assert '<input type="hidden" name="sort" value="date">' in form
    assert 'name="from"' in form and 'name="to"' in form


# -- article page -----------------------------------------------------------


def test_article_page_shows_paragraphs_metadata_and_highlights(client):
    html = html_of(client, "/article/bekasi-banjir?q=banjir")
    assert "<h1>Banjir melanda Bekasi</h1>" in html
    assert "<p><mark>Banjir</mark> besar melanda Kota Bekasi" in html
    assert '<time datetime="2024-11-14T10:30:00+07:00">14 November 2024 10:30 WIB</time>' in html
    assert '<span class="author">Rina</span>' in html
    assert 'href="https://contoh.test/bekasi-banjir"' in html
    assert "Kembali ke hasil untuk “banjir”" in html
    assert 'id="serupa"' in html


def test_article_page_lists_similar_articles(client):
    html = html_of(client, "/article/000_141db1f0c8dcb74e")
    similar = html[html.index('id="serupa"') :]
    assert similar.count('<a href="/article/') >= 1


def test_similar_articles_follow_an_index_update(client, app):
    """Similar articles are remembered per index generation: an update shows new ones."""
    first = html_of(client, "/article/000_141db1f0c8dcb74e")
    assert "/article/salinan" not in first
    with Store.open(app.config["DATA_DIR"]) as store:
        original = store.get("000_141db1f0c8dcb74e")
        store.upsert(Article(id="salinan", title=original.title, body=original.body))
    assert warta(Path(app.config["DATA_DIR"]), "index", "update").returncode == 0
    again = html_of(client, "/article/000_141db1f0c8dcb74e")
    similar = again[again.index('id="serupa"') :]
    assert '<a href="/article/salinan">' in similar


def test_unknown_article_is_a_friendly_404(client):
    html = html_of(client, "/article/tidak-ada", status=404)
    assert "Halaman tidak ditemukan" in html
    assert "Artikel dengan id “tidak-ada” tidak ada di arsip." in html


def test_unknown_page_is_a_friendly_404(client):
    html = html_of(client, "/tidak/ada", status=404)
    assert '<html lang="id">' in html
    assert "Halaman tidak ditemukan" in html


def test_unexpected_error_is_a_friendly_500(indexed_data_dir):
    app = create_app({"TESTING": True, "DATA_DIR": str(indexed_data_dir)})

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    response = app.test_client().get("/boom")
    close_app(app)
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Maaf, terjadi kesalahan" in html
    assert "kaboom" not in html


def test_missing_index_is_a_503_sentence_not_a_crash(tmp_path):
    client = create_app({"TESTING": True, "DATA_DIR": str(tmp_path)}).test_client()
    assert "Indeks pencarian belum tersedia" in html_of(client, "/?q=banjir", status=503)
    assert client.get("/api/search?q=banjir").get_json()["status"] == 503
    health = client.get("/health")
    assert health.status_code == 503
    assert health.get_json()["status"] == "unavailable"


@pytest.mark.parametrize(
    "query, sentence",
    [
        ("page=0", "Parameter &#39;page&#39; harus antara 1 dan 500."),
        ("from=14-11-2024", "Parameter &#39;from&#39; harus berupa tanggal"),
        ("sort=acak", "Parameter &#39;sort&#39; harus salah satu dari"),
        ("q=" + "a" * 501, "Parameter &#39;q&#39; paling panjang 500 karakter."),
    ],
)
def test_bad_parameters_on_pages_are_a_400_in_indonesian(client, query, sentence):
    url = f"/?{query}" if query.startswith("q=") else f"/?q=banjir&{query}"
    html = html_of(client, url, status=400)
    assert "Permintaan tidak dapat diproses" in html
    assert sentence in html


@pytest.mark.parametrize(
    ("query", "code", "sentence"),
    [
        ("k*", "prefix_too_short", "“k*” terlalu pendek untuk diperluas"),
        ("tanggal:kemarin", "date_unreadable", "Tanggal “kemarin” tidak dapat dibaca"),
        (
            "tanggal:2024-13",
            "date_not_in_calendar",
            "“2024-13” bukan tanggal yang ada di kalender.",
        ),
        ("tanggal:2024-12..2024-01", "date_range_reversed", "Rentang tanggal berakhir sebelum"),
        ("pe*", "prefix_too_common", "“pe*” cocok dengan lebih dari 2 kata yang berbeda."),
    ],
)
def test_query_errors_on_pages_are_indonesian_and_english_in_the_api(
    client, monkeypatch, query, code, sentence
):
    monkeypatch.setattr("searcher.compiler.MAX_PREFIX_TERMS", 2)
    with pytest.raises(QueryError) as raised:
        handles(client.application).searcher().search(query)
    assert raised.value.code == code
    english = str(raised.value)
    html = html_of(client, "/?" + urlencode({"q": query}), status=400)
    assert "Kueri tidak dapat diproses." in html
    assert str(escape(sentence)) in html
    assert str(escape(english)) not in html
    assert english.split(":")[0] not in html
    api = client.get("/api/search", query_string={"q": query}).get_json()
    assert api == {"ok": False, "error": english, "status": 400}


def test_every_query_error_has_an_indonesian_sentence_with_the_same_details():
    fields = {
        code: {f for _, f, _, _ in Formatter().parse(text) if f}
        for code, text in QUERY_ERRORS.items()
    }
    pesan = {
        code: {f for _, f, _, _ in Formatter().parse(text) if f}
        for code, text in PESAN_KUERI.items()
    }
    assert pesan == fields


def test_an_unreadable_index_is_a_503_in_indonesian(client, app, monkeypatch):
    def locked(self):
        raise IndexLockedError("The index is locked by another process. Try again.")

    monkeypatch.setattr(Searcher, "refresh", locked)
    html = html_of(client, "/?q=banjir", status=503)
    assert "Indeks pencarian sedang tidak dapat dibaca." in html
    assert "locked" not in html
    assert client.get("/api/search?q=banjir").get_json()["error"].startswith("The index is locked")


# -- escaping ---------------------------------------------------------------


def test_query_html_is_escaped(client):
    html = client.get("/?q=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_query_with_quotes_cannot_break_out_of_attributes(client):
    html = html_of(client, '/?q="><img src=x onerror=alert(1)>')
    assert "<img src=x" not in html
    assert 'value="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in html


def test_markup_in_an_article_is_escaped_on_the_results_page(evil_client):
    html = html_of(evil_client, "/?q=banjir")
    assert "jahat" in html
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert '<b onclick="alert(1)">' not in html
    assert "&lt;script&gt;alert(&#34;judul&#34;)&lt;/script&gt;" in html
    assert "javascript:" not in html


def test_markup_in_an_article_is_escaped_on_its_page(evil_client):
    html = html_of(evil_client, "/article/jahat?q=banjir")
    assert "<script>" not in html
    assert "<img src=x" not in html
    assert "javascript:" not in html
    assert "Baca di sumber asli" not in html  # no link at all for a non-http URL
    assert "&lt;img src=x onerror=" in html
    assert "&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in html


def test_snippet_html_is_marked_safe_in_one_place_only():
    uses = [p.name for p in TEMPLATES.glob("*") for _ in re.findall(r"\|\s*safe", p.read_text())]
    assert uses == ["_macros.html"]


# -- headers, opensearch, health ---------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/?q=banjir",
        "/article/bekasi-banjir",
        "/nope",
        "/api/search?q=banjir",
        "/api/nope",
        "/static/style.css",
        "/health",
    ],
)
def test_security_headers_on_every_response(client, url):
    with client.get(url) as response:
        headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"


def test_pages_load_no_external_assets(client):
    for url in ("/", "/?q=banjir", "/article/bekasi-banjir"):
        html = html_of(client, url)
        assert not re.search(r'(src|href)="(https?:)?//(?!contoh\.test)', html), url
        assert "<script" not in html
        assert " style=" not in html


def test_opensearch_description(client):
    response = client.get("/opensearch.xml")
    assert response.status_code == 200
    assert response.content_type.startswith("application/opensearchdescription+xml")
    xml = response.get_data(as_text=True)
    assert "<ShortName>Warta</ShortName>" in xml
    assert 'template="http://localhost/?q={searchTerms}"' in xml


def test_health_reports_documents_and_generation(client):
    response = client.get("/health")
    assert response.status_code == 200
    data = response.get_json()
    assert data["status"] == "ok"
    assert data["documents"] == 7
    assert data["generation"].startswith("gen-")


def test_health_answers_json_even_when_something_breaks(client, monkeypatch):
    def broken(self):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Searcher, "refresh", broken)
    response = client.get("/health")
    assert response.status_code == 500
    assert response.get_json()["ok"] is False
    assert "disk on fire" not in response.get_data(as_text=True)


# -- JSON API -----------------------------------------------------------------


def test_api_search_returns_the_stable_shape(client):
    response = client.get("/api/search?q=banjir")
    assert response.status_code == 200
    data = response.get_json()
    assert data["total"] == 1
    assert data["hits"][0]["id"] == "bekasi-banjir"
    assert data["hits"][0]["published"].startswith("2024-11-14")
    assert RESULT_KEYS <= set(data)


def test_api_search_filters_and_sorts(client):
    query = "/api/search?q=pemilu+OR+banjir"
    assert client.get(query).get_json()["total"] == 2
    assert client.get(query + "&source=Tempo").get_json()["hits"][0]["id"] == "pemilu-2024"
    ranged = client.get(query + "&from=2024-11-01&to=2024-11-30").get_json()
    assert [h["id"] for h in ranged["hits"]] == ["bekasi-banjir"]
    newest = client.get(query + "&sort=date").get_json()
    assert [h["id"] for h in newest["hits"]] == ["bekasi-banjir", "pemilu-2024"]
    paged = client.get(query + "&size=1&page=2").get_json()
    assert (paged["page"], paged["page_size"], len(paged["hits"])) == (2, 1, 1)


def test_api_bad_parameter_gets_the_error_shape(client):
    response = client.get("/api/search?q=banjir&page=abc")
    assert response.status_code == 400
    assert response.get_json() == {
        "ok": False,
        "error": "Parameter 'page' must be a whole number.",
        "status": 400,
    }


@pytest.mark.parametrize(
    "query, message",
    [
        ("size=0", "Parameter 'size' must be between 1 and 100."),
        ("size=101", "Parameter 'size' must be between 1 and 100."),
        ("page=501", "Parameter 'page' must be between 1 and 500."),
        ("page=-1", "Parameter 'page' must be between 1 and 500."),
        ("from=2024-02-30", "Parameter 'from' must be a date written YYYY-MM-DD."),
        ("to=kemarin", "Parameter 'to' must be a date written YYYY-MM-DD."),
        ("from=2024-12-01&to=2024-01-01", "Parameter 'from' must not be later than 'to'."),
        ("sort=random", "Parameter 'sort' must be one of: relevance, date."),
        ("q=" + "x" * 501, "Parameter 'q' must be at most 500 characters long."),
    ],
)
def test_api_bad_parameters_name_the_parameter(client, query, message):
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 400
    assert response.get_json() == {"ok": False, "error": message, "status": 400}


@pytest.mark.parametrize(
    "query", ['"unclosed', "((((", "judul:", "AND OR NOT", "tanggal:2024-99-99", "sumber:\\", "*"]
)
def test_api_odd_query_syntax_is_never_a_500(client, query):
    response = client.get("/api/search", query_string={"q": query})
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.get_json()["ok"] is False
    assert client.get("/", query_string={"q": query}).status_code in (200, 400)


def test_api_article_returns_metadata_and_body(client):
    response = client.get("/api/articles/bekasi-banjir")
    assert response.status_code == 200
    assert response.get_json() == {
        "id": "bekasi-banjir",
        "url": "https://contoh.test/bekasi-banjir",
        "title": "Banjir melanda Bekasi",
        "title_derived": False,
        "source": "Kompas",
        "published": "2024-11-14T10:30:00+07:00",
        "author": "Rina",
        "body": "Banjir besar melanda Kota Bekasi pada Senin pagi. Warga mengungsi ke masjid.",
    }


def test_article_ids_with_slashes_and_spaces_work(client, app):
    with Store.open(app.config["DATA_DIR"]) as store:
        store.upsert(Article(id="arsip/2024 11", title="Arsip lama", body="Isi arsip lama."))
    assert "<h1>Arsip lama</h1>" in html_of(client, "/article/arsip/2024%2011")
    assert client.get("/api/articles/arsip/2024%2011").get_json()["title"] == "Arsip lama"


def test_api_unknown_article_is_a_404_in_the_error_shape(client):
    response = client.get("/api/articles/tidak-ada")
    assert response.status_code == 404
    assert response.get_json() == {
        "ok": False,
        "error": "There is no article with id 'tidak-ada'.",
        "status": 404,
    }


@pytest.mark.parametrize(
    "method, url, status",
    [("get", "/api/unknown", 404), ("get", "/api", 404), ("post", "/api/search", 405)],
)
def test_api_routing_errors_use_the_error_shape(client, method, url, status):
    response = getattr(client, method)(url)
    assert response.status_code == status
    data = response.get_json()
    assert (data["ok"], data["status"]) == (False, status)
    assert isinstance(data["error"], str) and data["error"]


# -- one searcher, new generations ------------------------------------------------


def test_new_articles_are_served_after_an_index_update_in_another_process(client, app):
    assert client.get("/api/search?q=gempa").get_json()["total"] == 0
    searcher = handles(app).searcher()
    before = client.get("/health").get_json()
    with Store.open(app.config["DATA_DIR"]) as store:
        store.upsert(
            Article(
                id="gempa-cianjur",
                title="Gempa mengguncang Cianjur",
                body="Gempa bumi mengguncang Cianjur.",
                source="Antara",
            )
        )
    result = warta(Path(app.config["DATA_DIR"]), "index", "update")
    assert result.returncode == 0, result.stderr
    data = client.get("/api/search?q=gempa").get_json()
    assert [h["id"] for h in data["hits"]] == ["gempa-cianjur"]
    after = client.get("/health").get_json()
    assert after["documents"] == before["documents"] + 1
    assert after["generation"] != before["generation"]
    assert handles(app).searcher() is searcher
    assert "Gempa mengguncang Cianjur" in html_of(client, "/?q=gempa")


def test_a_full_rebuild_in_another_process_is_served_without_a_restart(client, app):
    before = client.get("/health").get_json()["generation"]
    with Store.open(app.config["DATA_DIR"]) as store:
        store.delete("bekasi-banjir")
    result = warta(Path(app.config["DATA_DIR"]), "index", "build")
    assert result.returncode == 0, result.stderr
    assert client.get("/api/search?q=banjir").get_json()["total"] == 0
    assert client.get("/health").get_json()["generation"] != before
