"""Every date right, everywhere: Indonesian time in hits, pages, API, CLI, feed and filters.

One small archive holds articles published in each Indonesian zone, in UTC,
without an offset and without a time, several of them around midnight WIB,
where the UTC day (what the index used to file them under) is another day.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import feedparser
import pytest

from crawler import Article, Store
from crawler.dates import indonesian_time, with_time_of_day
from index import build_index, index_path
from searcher import Searcher
from web import create_app
from web.handles import close_app

# id → (stored published value, its Indonesian ISO time, its Indonesian day)
ZONED = {
    # 00:30 WIB is 17:30 UTC the day before
    "wib-lewat-tengah-malam": ("2015-06-19T00:30:00+07:00", "2015-06-19T00:30:00+07:00", "06-19"),
    "utc-z": ("2015-06-18T17:23:23Z", "2015-06-19T00:23:23+07:00", "06-19"),
    # 00:15 WITA is 23:15 WIB the day before: the article's own zone decides its day
    "wita": ("2015-06-20T00:15:00+08:00", "2015-06-20T00:15:00+08:00", "06-20"),
    "wit": ("2015-07-01T01:00:00+09:00", "2015-07-01T01:00:00+09:00", "07-01"),
    "tanpa-zona": ("2015-06-18T23:50:00", "2015-06-18T23:50:00+07:00", "06-18"),
    "tanggal-saja": ("2015-06-17", "2015-06-17", "06-17"),
    # 18:00 UTC on 31 May is 01:00 WIB on 1 June: another month
    "utc-akhir-bulan": ("2015-05-31T18:00:00+00:00", "2015-06-01T01:00:00+07:00", "06-01"),
}
TOPICS = {
    "wib-lewat-tengah-malam": "Gempa mengguncang Lombok dan warga berlarian ke lapangan terbuka.",
    "utc-z": "Gempa di Maluku merusak dermaga nelayan, kata petugas pelabuhan setempat.",
    "wita": "Gempa kecil terasa di Makassar saat pasar malam masih ramai pengunjung.",
    "wit": "Gempa menggoyang Jayapura, listrik padam di beberapa kampung pesisir.",
    "tanpa-zona": "Gempa susulan tercatat BMKG di selatan Jawa sepanjang malam itu.",
    "tanggal-saja": "Gempa bumi dibahas di seminar kebencanaan kampus Yogyakarta.",
    "utc-akhir-bulan": "Gempa lama dikenang warga Padang dalam doa bersama di masjid raya.",
}


def zoned_articles() -> list[Article]:
    return [
        Article(
            id=article_id,
            title=f"Kabar gempa {article_id}",
            body=TOPICS[article_id],
            url=f"https://contoh.test/{article_id}",
            source="Kabar Zona",
            published=stored,
        )
        for article_id, (stored, _, _) in ZONED.items()
    ]


@pytest.fixture
def zoned_data_dir(data_dir):
    with Store.open(data_dir) as store:
        store.upsert_many(zoned_articles())
        build_index(store, index_path(data_dir))
    return data_dir


@pytest.fixture
def zoned_searcher(zoned_data_dir):
    searcher = Searcher(index_path(zoned_data_dir))
    yield searcher
    searcher.close()


@pytest.fixture
def zoned_client(zoned_data_dir):
    app = create_app({"TESTING": True, "DATA_DIR": str(zoned_data_dir)})
    yield app.test_client()
    close_app(app)


def ids(result) -> set[str]:
    return {hit.id for hit in result.hits}


# -- reading stored values --------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "iso", "wall", "zone"),
    [
        ("2015-06-19T00:23:23+07:00", "2015-06-19T00:23:23+07:00", "2015-06-19 00:23:23", "WIB"),
        ("2015-06-18T17:23:23Z", "2015-06-19T00:23:23+07:00", "2015-06-19 00:23:23", "WIB"),
        ("2015-06-18T17:23:23+0000", "2015-06-19T00:23:23+07:00", "2015-06-19 00:23:23", "WIB"),
        ("2024-11-19T09:15:00+08:00", "2024-11-19T09:15:00+08:00", "2024-11-19 09:15:00", "WITA"),
        ("2024-11-19T09:15:00+09:00", "2024-11-19T09:15:00+09:00", "2024-11-19 09:15:00", "WIT"),
        ("2024-11-19T09:15:00", "2024-11-19T09:15:00+07:00", "2024-11-19 09:15:00", "WIB"),
        (
            "2024-11-19T09:15:00.250+05:30",
            "2024-11-19T10:45:00+07:00",
            "2024-11-19 10:45:00",
            "WIB",
        ),
        ("2019-09-10", "2019-09-10", "2019-09-10 00:00:00", None),
    ],
)
def test_stored_values_read_in_indonesian_time(stored, iso, wall, zone):
    when = indonesian_time(stored)
    assert (when.iso, when.wall, when.zone) == (iso, datetime.fromisoformat(wall), zone)
    assert when.day == date.fromisoformat(wall[:10])


@pytest.mark.parametrize("stored", [None, "", "kemarin", "19 Juni 2015", "2015-13-40", "x" * 100])
def test_values_that_are_no_iso_date_have_no_time(stored):
    assert indonesian_time(stored) is None


@pytest.mark.parametrize(
    ("date_value", "time_value", "stored"),
    [
        ("2019-09-10", "21:48 WIB", "2019-09-10T21:48:00+07:00"),
        ("2019-09-10", "23:15", "2019-09-10T23:15:00+07:00"),
        ("2019-09-10", "09.05 wita", "2019-09-10T09:05:00+08:00"),
        ("2019-09-10", "06:00:30 WIT", "2019-09-10T06:00:30+09:00"),
        ("2019-09-10", None, "2019-09-10"),
        ("2019-09-10", "pagi", "2019-09-10"),
        ("2019-09-10", "25:00", "2019-09-10"),
        ("2019-09-10T10:00:00", None, "2019-09-10T10:00:00+07:00"),
        ("2019-09-10T10:00:00Z", "21:48 WIB", "2019-09-10T10:00:00Z"),
        ("kemarin", None, "kemarin"),
    ],
)
def test_imported_dates_are_made_unambiguous(date_value, time_value, stored):
    assert with_time_of_day(date_value, time_value) == stored


def test_jsonl_import_joins_the_time_key_and_reads_naive_times_as_jakarta(
    invoke, tmp_path, data_dir
):
    lines = [
        {"id": "click-1", "date": "2019-09-10", "time": "21:48 WIB", "body": "Satu berita."},
        {"id": "click-2", "date": "2019-09-13", "time": "23:15", "body": "Dua berita."},
        {"id": "naif", "date": "2019-09-14T06:00:00", "body": "Tiga berita."},
        {"id": "tanggal", "date": "2019-09-15", "body": "Empat berita."},
    ]
    path = tmp_path / "berita.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    invoke("import", str(path))
    with Store.open(data_dir) as store:
        stored = {a.id: a.published for a, _ in store.iter_articles()}
    assert stored == {
        "click-1": "2019-09-10T21:48:00+07:00",
        "click-2": "2019-09-13T23:15:00+07:00",
        "naif": "2019-09-14T06:00:00+07:00",
        "tanggal": "2019-09-15",
    }


# -- search: hits, facets, filters ----------------------------------------------


def test_hits_carry_indonesian_time_with_the_offset(zoned_searcher):
    result = zoned_searcher.search("gempa", page_size=20)
    assert {hit.id: hit.published for hit in result.hits} == {
        article_id: iso for article_id, (_, iso, _) in ZONED.items()
    }


def test_month_facets_count_indonesian_days(zoned_searcher):
    result = zoned_searcher.search("gempa")
    assert result.facets["month"] == {"2015-06": 6, "2015-07": 1}


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2015-06-19", {"wib-lewat-tengah-malam", "utc-z"}),
        ("2015-06-20", {"wita"}),
        ("2015-06-18", {"tanpa-zona"}),
        ("2015-06-17", {"tanggal-saja"}),
        ("2015-06-01", {"utc-akhir-bulan"}),
        ("2015-05-31", set()),
        ("2015-07-01", {"wit"}),
        ("2015-06-30", set()),
    ],
)
def test_a_day_filter_holds_the_articles_of_that_indonesian_day(zoned_searcher, day, expected):
    assert ids(zoned_searcher.search(f"gempa tanggal:{day}", page_size=20)) == expected
    one_day = date.fromisoformat(day)
    by_range = zoned_searcher.search("gempa", page_size=20, date_from=one_day, date_to=one_day)
    assert ids(by_range) == expected


def test_month_filters_follow_indonesian_days(zoned_searcher):
    june = zoned_searcher.search("gempa tanggal:2015-06", page_size=20)
    assert ids(june) == set(ZONED) - {"wit"}
    before_june = zoned_searcher.search("gempa tanggal:..2015-05-31", page_size=20)
    assert ids(before_june) == set()


def test_newest_first_follows_the_indonesian_clock(zoned_searcher):
    result = zoned_searcher.search("gempa", page_size=20, sort="date")
    assert [hit.id for hit in result.hits] == [
        "wit",
        "wita",
        "wib-lewat-tengah-malam",
        "utc-z",
        "tanpa-zona",
        "tanggal-saja",
        "utc-akhir-bulan",
    ]


def test_the_timeline_counts_indonesian_days(zoned_searcher):
    timeline = zoned_searcher.search("gempa").timeline
    assert timeline.interval == "day"
    counts = {b.start: b.count for b in timeline.buckets if b.count}
    assert counts == {
        "2015-06-01": 1,
        "2015-06-17": 1,
        "2015-06-18": 1,
        "2015-06-19": 2,
        "2015-06-20": 1,
        "2015-07-01": 1,
    }
    assert len(timeline.buckets) == 31  # every day from 1 June to 1 July, empty ones too


# -- web, API, CLI, feed ------------------------------------------------------------


def test_api_search_and_article_give_the_offset(zoned_client):
    result = zoned_client.get("/api/search?q=gempa&size=20").get_json()
    published = {hit["id"]: hit["published"] for hit in result["hits"]}
    assert published["utc-z"] == "2015-06-19T00:23:23+07:00"
    assert published["tanpa-zona"] == "2015-06-18T23:50:00+07:00"
    assert published["tanggal-saja"] == "2015-06-17"
    filtered = zoned_client.get("/api/search?q=gempa&from=2015-06-19&to=2015-06-19").get_json()
    assert {hit["id"] for hit in filtered["hits"]} == {"wib-lewat-tengah-malam", "utc-z"}
    for article_id, (_, iso, _) in ZONED.items():
        article = zoned_client.get(f"/api/articles/{article_id}").get_json()
        assert article["published"] == iso


def test_pages_show_the_time_with_its_zone_name(zoned_client):
    html = zoned_client.get("/?q=gempa&size=20").get_data(as_text=True)
    assert '<time datetime="2015-06-19T00:23:23+07:00">19 Juni 2015 00:23 WIB</time>' in html
    assert '<time datetime="2015-06-20T00:15:00+08:00">20 Juni 2015 00:15 WITA</time>' in html
    assert '<time datetime="2015-07-01T01:00:00+09:00">1 Juli 2015 01:00 WIT</time>' in html
    assert '<time datetime="2015-06-17">17 Juni 2015</time>' in html
    article = zoned_client.get("/article/utc-z").get_data(as_text=True)
    assert "19 Juni 2015 00:23 WIB" in article


def test_cli_json_and_text_give_indonesian_time(invoke, zoned_data_dir):
    out = json.loads(invoke("search", "--json", "-n", "20", "gempa").output)
    assert {hit["id"]: hit["published"] for hit in out["hits"]} == {
        article_id: iso for article_id, (_, iso, _) in ZONED.items()
    }
    text = invoke("search", "--from", "2015-06-20", "--to", "2015-06-20", "gempa").output
    assert "Kabar Zona · 2015-06-20 00:15 WITA" in text
    assert "1 articles match" in text


def test_atom_feed_keeps_the_zone_and_dates_alone_are_midnight_wib(zoned_client):
    feed = feedparser.parse(zoned_client.get("/feed.atom?q=gempa").data)
    published = {e.link.split("/article/")[1].split("?")[0]: e.published for e in feed.entries}
    assert published["wita"] == "2015-06-20T00:15:00+08:00"
    assert published["utc-z"] == "2015-06-19T00:23:23+07:00"
    assert published["tanggal-saja"] == "2015-06-17T00:00:00+07:00"
