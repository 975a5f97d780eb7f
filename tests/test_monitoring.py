"""Health you can see, and alerts for a query: /sumber, /metrics, /health, /feed.atom."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from prometheus_client.parser import text_string_to_metric_families

from crawler.article import Article
from crawler.health import source_status
from crawler.sources import Source
from crawler.store import Store
from index import index_path, update_index

SOURCES = """\
[sources.sehat]
name = "Kabar Sehat"
start_urls = ["https://sehat.test/rss"]

[sources.mati]
name = "Warta <Mati> & Co"
start_urls = ["https://mati.test/rss"]

[sources.berubah]
name = "Suara Berubah"
start_urls = ["https://berubah.test/sitemap.xml"]
"""


def add_rounds(store: Store, source: str, rounds: list[dict], now: datetime) -> None:
    """Finished rounds of ``source``, the last one ``now``, one an hour before each other."""
    for number, values in enumerate(rounds):
        started = now - timedelta(hours=len(rounds) - 1 - number)
        crawl_round = store.start_round(source, started.isoformat(timespec="seconds"))
        ended = (started + timedelta(seconds=20)).isoformat(timespec="seconds")
        store.finish_round(replace(crawl_round, ended=ended, **values))


def signals(not_articles: list[int], new: int) -> dict:
    zero = [0, new]
    return {
        "not_articles": not_articles,
        "no_date": zero,
        "no_author": zero,
        "short_body": zero,
        "seen_title": zero,
    }


@pytest.fixture
def watched(indexed_data_dir):
    """The indexed archive with three sources: healthy, failing, redesigned."""
    (indexed_data_dir / "sources.toml").write_text(SOURCES)
    now = datetime.now(UTC) - timedelta(minutes=5)
    ok = {"status": "ok", "pages": 6, "added": 5, "signals": signals([0, 5], 5)}
    down = {"status": "failed", "failures": 2, "reasons": {"HTTP 500": 2}, "error": "x"}
    empty = {"status": "ok", "pages": 6, "added": 0, "signals": signals([5, 5], 0)}
    with Store.open(indexed_data_dir) as store:
        add_rounds(store, "sehat", [ok, ok, ok], now)
        add_rounds(store, "mati", [ok, down, down, down], now)
        add_rounds(store, "berubah", [ok, ok, ok, empty], now)
    return indexed_data_dir


def test_sources_status_json_shape_and_warnings(watched, invoke):
    found = {s["name"]: s for s in json.loads(invoke("sources", "status", "--json").output)}
    assert list(found["sehat"]) == [
        "name",
        "outlet",
        "last_success",
        "articles_24h",
        "articles_7d",
        "failures",
        "warnings",
    ]
    assert found["sehat"]["warnings"] == []
    assert found["sehat"]["articles_24h"] == 15
    assert found["sehat"]["last_success"].endswith("+07:00")
    failed, stale = found["mati"]["warnings"]
    assert failed == "The last 3 rounds failed: HTTP 500 (2)."
    assert re.fullmatch(r"No successful crawl since \S+\+07:00; is `warta watch` running\?", stale)
    assert found["mati"]["failures"] == {"HTTP 500": 6}
    assert found["berubah"]["warnings"] == [
        "100% of the pages its feeds or sitemaps list gave no article text lately "
        "(usually 0%): has the site changed its layout?"
    ]


def test_a_few_bad_articles_within_the_usual_are_no_warning(indexed_data_dir):
    now = datetime.now(UTC)
    usual = {"status": "ok", "added": 4, "signals": {"no_author": [2, 4]}}
    with Store.open(indexed_data_dir) as store:
        add_rounds(store, "a", [usual, usual, usual, usual], now)
        (status,) = source_status(store, [Source("a", "A", ("https://a.test/",))])
        assert status.warnings == []
        add_rounds(
            store, "a", [{"status": "ok", "added": 4, "signals": {"no_author": [4, 4]}}], now
        )
        (status,) = source_status(store, [Source("a", "A", ("https://a.test/",))])
    assert [w.english() for w in status.warnings] == [
        "100% of its new articles have no author lately (usually 50%)."
    ]


def test_sumber_page_in_indonesian_with_warnings_escaped(watched, app):
    page = app.test_client().get("/sumber").get_data(as_text=True)
    assert "Kesehatan sumber berita" in page
    assert "3 putaran terakhir gagal: HTTP 500 (2)." in page
    assert (
        "100% halaman yang didaftarkan feed atau sitemap tidak menghasilkan teks artikel "
        "akhir-akhir ini (biasanya 0%). Mungkin tata letak situsnya berubah." in page
    )
    assert "Warta &lt;Mati&gt; &amp; Co" in page
    assert "<Mati>" not in page
    healthy = re.search(r'<tr id="sumber-sehat" class="(\w+)">.*?</tr>', page, re.S)
    assert healthy.group(1) == "healthy"
    assert re.search(r"\d+ \w+ \d{4} \d\d:\d\d WIB", page)


def test_sumber_without_a_sources_file_says_what_to_do(client):
    page = client.get("/sumber").get_data(as_text=True)
    assert "warta sources init" in page


def test_health_reports_index_freshness(app, indexed_data_dir):
    client = app.test_client()
    fresh = client.get("/health").get_json()["index"]
    assert fresh["pending_changes"] == 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", fresh["last_update"])
    with Store.open(indexed_data_dir) as store:
        store.upsert_many(
            [article("gempa-1", "Gempa di Garut"), article("gempa-2", "Gempa Cianjur")]
        )
    assert client.get("/health").get_json()["index"]["pending_changes"] == 2


def metrics_of(client) -> dict:
    text = client.get("/metrics").get_data(as_text=True)
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_parse_and_count_what_they_should(watched, app):
    client = app.test_client()
    client.get("/?q=banjir")
    client.get("/api/search?q=pemilu")
    client.get("/api/search?q=korea")
    client.get("/feed.atom?q=banjir")
    client.get("/")  # the home page is no search
    response = client.get("/metrics")
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    samples = metrics_of(client)
    with Store.open(watched) as store:
        stored = store.count()
    assert samples[("warta_articles_stored", ())] == stored
    assert samples[("warta_articles_indexed", ())] == stored
    assert samples[("warta_index_pending_changes", ())] == 0
    assert samples[("warta_index_age_seconds", ())] >= 0
    count = "warta_search_seconds_count"
    assert samples[(count, (("kind", "page"),))] == 1
    assert samples[(count, (("kind", "api"),))] == 2
    assert samples[(count, (("kind", "feed"),))] == 1
    assert samples[("warta_crawl_rounds_total", (("source", "mati"), ("status", "failed")))] == 3
    assert samples[("warta_crawl_rounds_total", (("source", "sehat"), ("status", "ok")))] == 3
    failures = ("warta_crawl_failures_total", (("reason", "HTTP 500"), ("source", "mati")))
    assert samples[failures] == 6


BODIES = {
    "gempa-1": "Warga Garut merasakan gempa kuat pada Rabu pagi dan berlarian keluar rumah.",
    "gempa-2": "Sekolah di Cianjur diliburkan setelah gempa merusak puluhan ruang kelas.",
    "gempa-3": "Gempa susulan bermagnitudo kecil tercatat BMKG sepanjang malam di selatan.",
}


def article(article_id: str, title: str, published: str = "2024-11-20T09:00:00+07:00") -> Article:
    return Article(
        id=article_id,
        title=title,
        body=BODIES[article_id],
        url=f"https://contoh.test/{article_id}",
        source="Kabar Sehat",
        published=published,
        author="Rina",
    )


def test_atom_feed_follows_a_search(app, indexed_data_dir):
    client = app.test_client()
    with Store.open(indexed_data_dir) as store:
        store.upsert(article("gempa-1", "Gempa mengguncang Garut <dan> & sekitarnya"))
        update_index(store, index_path(indexed_data_dir))
    first = client.get("/feed.atom?q=gempa")
    assert first.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(first.data)
    assert not feed.bozo, feed.bozo_exception
    (entry,) = feed.entries
    assert entry.title == "Gempa mengguncang Garut <dan> & sekitarnya"
    assert entry.author == "Kabar Sehat"
    assert entry.published == "2024-11-20T09:00:00+07:00"
    assert entry.link == "http://localhost/article/gempa-1?q=gempa"
    assert entry.id == "tag:localhost,2024:article/gempa-1"
    # The snippet is escaped HTML (type="html"); feed readers drop tags they don't know.
    assert "merasakan &lt;mark&gt;gempa&lt;/mark&gt; kuat" in first.get_data(as_text=True)
    assert (
        entry.summary
        == "Warga Garut merasakan gempa kuat pada Rabu pagi dan berlarian keluar rumah."
    )
    assert feed.feed.updated == entry.updated

    with Store.open(indexed_data_dir) as store:
        store.upsert(article("gempa-2", "Gempa susulan di Garut", "2024-11-21T07:00:00+07:00"))
        update_index(store, index_path(indexed_data_dir))
    feed = feedparser.parse(client.get("/feed.atom?q=gempa").data)
    assert [e.id for e in feed.entries] == [
        "tag:localhost,2024:article/gempa-2",
        "tag:localhost,2024:article/gempa-1",
    ]
    assert feed.entries[0].title == "Gempa susulan di Garut"
    assert feed.feed.updated == max(e.updated for e in feed.entries)
    since = client.get(
        "/feed.atom?q=gempa", headers={"If-Modified-Since": client.get("/feed.atom?q=gempa")
                                       .headers["Last-Modified"]}
    )  # fmt: skip
    assert since.status_code == 304


def test_atom_feed_keeps_filters_and_has_at_most_50_entries(client):
    feed = feedparser.parse(client.get("/feed.atom?source=Kompas&size=7&page=3").data)
    assert not feed.bozo
    assert 0 < len(feed.entries) <= 50
    assert {e.author for e in feed.entries} == {"Kompas"}
    assert feed.feed.links[0].href == "http://localhost/feed.atom?source=Kompas"
    bad = client.get("/feed.atom?from=kemarin")
    assert bad.status_code == 400


def test_results_page_advertises_the_feed(client):
    page = client.get("/?q=banjir&source=Kompas&page=1&sort=date").get_data(as_text=True)
    link = '<link rel="alternate" type="application/atom+xml" title="Warta: banjir"'
    assert link in page
    assert 'href="/feed.atom?q=banjir&amp;source=Kompas">Ikuti pencarian ini (RSS/Atom)</a>' in (
        page.replace(' type="application/atom+xml">Ikuti', ">Ikuti")
    )


def test_search_since_last_prints_only_new_articles(indexed_data_dir, invoke, tmp_path):
    state = tmp_path / "gempa.json"
    first = invoke("search", "gempa", "--since-last", str(state))
    assert "First run: 0 articles match now" in first.output
    saved = json.loads(state.read_text())
    assert saved["search"]["query"] == "gempa"
    with Store.open(indexed_data_dir) as store:
        store.upsert_many(
            [article("gempa-1", "Gempa di Garut"), article("gempa-2", "Gempa Cianjur")]
        )
        update_index(store, index_path(indexed_data_dir))
    second = json.loads(invoke("search", "--json", "gempa", "--since-last", str(state)).output)
    assert sorted(h["id"] for h in second["hits"]) == ["gempa-1", "gempa-2"]
    assert second["total"] == 2
    third = invoke("search", "gempa", "--since-last", str(state))
    assert third.output.strip() == "No new articles since the last run."
    with Store.open(indexed_data_dir) as store:
        store.upsert(article("gempa-3", "Gempa susulan di Garut", "2019-01-01"))  # crawled late
        update_index(store, index_path(indexed_data_dir))
    fourth = invoke("search", "gempa", "--since-last", str(state), "--no-color")
    assert "Gempa susulan di Garut" in fourth.output
    assert "Gempa Cianjur" not in fourth.output
    other = invoke("search", "banjir", "--since-last", str(state), expect=1)
    assert "follows another search" in other.output
    state.write_text("{rusak")
    broken = invoke("search", "gempa", "--since-last", str(state), expect=1)
    assert "is not a --since-last state file" in broken.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".gempa")) == []


def test_latency_histogram_sums_every_worker_with_a_shared_directory(indexed_data_dir, tmp_path):
    from test_serve import free_port, get_json, serve_command

    shared = tmp_path / "prometheus"
    shared.mkdir()
    port = free_port()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    server = subprocess.Popen(
        serve_command(indexed_data_dir, port, "--workers", "2", "--threads", "1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        words = ("banjir", "pemilu", "korea", "pasukan", "rusia", "bekasi")
        get_json(f"{base}/api/search?q={words[0]}")  # the server is up
        # At once, so that a busy one-thread worker leaves some to the other.
        with ThreadPoolExecutor(len(words) - 1) as pool:
            list(pool.map(lambda w: get_json(f"{base}/api/search?q={w}"), words[1:]))
        counts = set()
        for _ in range(6):  # each scrape is answered by one worker or the other
            with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
                text = response.read().decode()
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    if sample.name == "warta_search_seconds_count":
                        counts.add(sample.value)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    # Every scrape counts all six searches, whichever worker answered it and them:
    # one file per worker that searched (usually both; the OS may give one all).
    assert counts == {6.0}
    assert 1 <= len(list(shared.iterdir())) <= 2
