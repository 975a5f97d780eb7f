"""Coverage over time: the timeline's buckets, its interval, the API, the CLI and the chart."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from markupsafe import escape

from index import index_path
from searcher import Searcher
from searcher.timeline import MAX_BUCKETS, Bucket, Timeline, choose_interval, count_days
from web import create_app
from web.chart import timeline_chart
from web.handles import close_app


def days(*pairs: tuple[str, int]) -> list[tuple[int, int]]:
    return [(date.fromisoformat(day).toordinal(), count) for day, count in pairs]


@pytest.fixture
def searcher(search_data_dir):
    searcher = Searcher(index_path(search_data_dir))
    yield searcher
    searcher.close()


@pytest.fixture
def search_client(search_data_dir):
    app = create_app({"TESTING": True, "DATA_DIR": str(search_data_dir)})
    yield app.test_client()
    close_app(app)


# -- buckets and intervals -----------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "interval"),
    [
        ("2024-11-14", "2024-11-14", "day"),
        ("2024-11-01", "2024-12-29", "day"),  # 59 days
        ("2024-11-01", "2024-12-30", "day"),  # 60 days
        ("2024-11-01", "2024-12-31", "week"),  # 61 days, 9 weeks
        ("2024-01-01", "2025-02-23", "week"),  # 60 weeks, Monday to Sunday
        ("2024-01-01", "2025-02-24", "month"),  # 61 weeks
        ("2020-01-15", "2024-12-01", "month"),  # 60 months
        ("2020-01-15", "2025-01-01", "year"),  # 61 months
        ("1995-03-01", "2024-11-14", "year"),
    ],
)
def test_the_interval_is_the_finest_that_fits_sixty_bars(first, last, interval):
    assert MAX_BUCKETS == 60
    assert choose_interval(date.fromisoformat(first), date.fromisoformat(last)) == interval


def test_day_buckets_list_every_day_empty_ones_too():
    timeline = count_days(days(("2024-11-14", 2), ("2024-11-17", 1)))
    assert timeline == Timeline(
        "day",
        [
            Bucket("2024-11-14", 2),
            Bucket("2024-11-15", 0),
            Bucket("2024-11-16", 0),
            Bucket("2024-11-17", 1),
        ],
    )


def test_week_buckets_start_on_monday():
    timeline = count_days(days(("2024-11-03", 1), ("2024-11-04", 2), ("2025-01-05", 3)))
    assert timeline.interval == "week"
    assert timeline.buckets[0] == Bucket("2024-10-28", 1)  # Sunday 3 November's week
    assert timeline.buckets[1] == Bucket("2024-11-04", 2)
    assert timeline.buckets[-1] == Bucket("2024-12-30", 3)
    assert sum(b.count for b in timeline.buckets) == 6
    assert timeline.span(timeline.buckets[1]) == (date(2024, 11, 4), date(2024, 11, 10))


def test_month_and_year_buckets_and_their_spans():
    months = count_days(days(("2024-01-31", 1), ("2024-02-29", 4), ("2025-05-01", 2)))
    assert months.interval == "month"
    assert [b.start for b in months.buckets][:3] == ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert len(months.buckets) == 17
    assert months.buckets[-1] == Bucket("2025-05-01", 2)
    assert months.span(months.buckets[1]) == (date(2024, 2, 1), date(2024, 2, 29))
    years = count_days(days(("1998-05-21", 1), ("2024-02-14", 5), ("2024-11-14", 1)))
    assert years.interval == "year"
    assert (years.buckets[0], years.buckets[-1]) == (
        Bucket("1998-01-01", 1),
        Bucket("2024-01-01", 6),
    )
    assert len(years.buckets) == 27
    assert years.span(years.buckets[-1]) == (date(2024, 1, 1), date(2024, 12, 31))


def test_no_dated_article_is_an_empty_timeline():
    assert count_days([]) == Timeline("day", [])


# -- against a real index ---------------------------------------------------------


def test_bucket_counts_match_the_articles_dates(searcher):
    timeline = searcher.search("korea").timeline
    assert timeline.interval == "day"
    assert (timeline.buckets[0].start, timeline.buckets[-1].start) == ("2024-10-20", "2024-11-12")
    assert len(timeline.buckets) == 24
    assert {b.start: b.count for b in timeline.buckets if b.count} == {
        "2024-10-20": 1,
        "2024-11-05": 1,
        "2024-11-12": 1,
    }


def test_browsing_everything_counts_per_month(searcher):
    result = searcher.search("")
    assert result.timeline.interval == "month"
    counts = {b.start: b.count for b in result.timeline.buckets if b.count}
    assert counts == {
        "2023-05-01": 2,
        "2024-06-01": 1,
        "2024-07-01": 1,
        "2024-08-01": 1,
        "2024-09-01": 1,
        "2024-10-01": 1,
        "2024-11-01": 4,
    }
    assert len(result.timeline.buckets) == 19  # May 2023 to November 2024
    assert sum(counts.values()) == result.total


def test_the_timeline_follows_filters(searcher):
    result = searcher.search("", source="Antara")
    assert {b.start: b.count for b in result.timeline.buckets if b.count} == {
        "2023-05-01": 2,
        "2024-06-01": 1,
        "2024-11-01": 1,
    }
    none = searcher.search("kata-yang-tidak-ada")
    assert none.timeline == Timeline("day", [])


def test_api_gives_the_timeline(search_client):
    data = search_client.get("/api/search?q=korea").get_json()
    assert data["timeline"] == {
        "interval": "day",
        "buckets": [
            {"start": (date(2024, 10, 20) + timedelta(days=i)).isoformat(), "count": count}
            for i, count in enumerate([1] + [0] * 15 + [1] + [0] * 6 + [1])
        ],
    }


def test_cli_prints_the_timeline_as_a_histogram(invoke, search_data_dir):
    out = invoke("search", "--timeline", "tanggal:2023..2024").output.splitlines()
    assert out[0] == "11 dated articles match 'tanggal:2023..2024', per month:"
    assert out[1] == "2023-05  2  " + "#" * 20
    assert out[2] == "2023-06  0"
    assert out[-1] == "2024-11  4  " + "#" * 40
    assert len(out) == 1 + 19
    json_out = json.loads(invoke("search", "--json", "korea").output)
    assert json_out["timeline"]["interval"] == "day"
    empty = invoke("search", "--timeline", "kata-yang-tidak-ada").output
    assert empty.strip() == "No dated articles match 'kata-yang-tidak-ada'."


# -- the chart on the results page -----------------------------------------------


def bar_links(html: str) -> list[tuple[str, str]]:
    """(href, accessible name) of each bar of the chart."""
    return re.findall(r'<a class="bar" href="([^"]+)" aria-label="([^"]+)">', html)


def test_results_page_draws_the_timeline_as_svg_with_links(search_client):
    html = search_client.get("/?q=tanggal:2023..2024").get_data(as_text=True)
    assert '<svg class="timeline-chart"' in html
    assert 'role="group" aria-labelledby="linimasa-judul"' in html
    assert '<figcaption id="linimasa-judul">Jumlah artikel per bulan</figcaption>' in html
    assert "<title>Jumlah artikel per bulan</title>" in html
    summary = re.search(r'<p id="linimasa-ringkasan" class="visually-hidden">([^<]+)</p>', html)
    assert summary[1] == (
        "11 artikel bertanggal per bulan, dari Mei 2023 sampai November 2024; "
        "terbanyak November 2024 (4 artikel)."
    )
    links = bar_links(html)
    assert [name for _, name in links] == [
        "Mei 2023: 2 artikel",
        "Juni 2024: 1 artikel",
        "Juli 2024: 1 artikel",
        "Agustus 2024: 1 artikel",
        "September 2024: 1 artikel",
        "Oktober 2024: 1 artikel",
        "November 2024: 4 artikel",
    ]
    href = links[-1][0].replace("&amp;", "&")
    assert parse_qs(urlsplit(href).query) == {
        "q": ["tanggal:2023..2024"],
        "from": ["2024-11-01"],
        "to": ["2024-11-30"],
    }
    filtered = search_client.get(href).get_data(as_text=True)
    assert "<strong>4</strong> artikel" in filtered


def test_bar_links_stay_inside_the_searchs_own_dates(search_client):
    html = search_client.get("/?q=korea+OR+banjir&from=2024-10-25&to=2024-11-13").get_data(
        as_text=True
    )
    links = bar_links(html)
    assert [name for _, name in links] == [
        "5 November 2024: 1 artikel",
        "12 November 2024: 1 artikel",
    ]
    chart = timeline_chart(
        Timeline("month", [Bucket("2024-10-01", 1), Bucket("2024-11-01", 2)]),
        date(2024, 10, 25),
        date(2024, 11, 13),
    )
    assert [(b.date_from, b.date_to) for b in chart.bars] == [
        (date(2024, 10, 25), date(2024, 10, 31)),
        (date(2024, 11, 1), date(2024, 11, 13)),
    ]


def test_bars_are_scaled_to_the_busiest_bucket():
    chart = timeline_chart(Timeline("day", [Bucket("2024-11-01", 4), Bucket("2024-11-02", 0),
                                            Bucket("2024-11-03", 1)]))  # fmt: skip
    assert [b.height for b in chart.bars] == [chart.height, 0, chart.height / 4]
    assert [b.y + b.height for b in chart.bars] == [chart.height] * 3
    assert timeline_chart(Timeline()) is None


def test_no_chart_without_dated_matches(search_client):
    html = search_client.get("/?q=kata-yang-tidak-ada").get_data(as_text=True)
    assert "timeline-chart" not in html


def test_the_chart_escapes_the_query_in_its_links(search_client):
    query = 'korea -"<svg onload=alert(1)>"'
    html = search_client.get("/", query_string={"q": query}).get_data(as_text=True)
    assert "<svg onload" not in html
    links = bar_links(html)
    assert links, html
    for href, _ in links:
        assert "<" not in href and '"' not in href
        assert parse_qs(urlsplit(href.replace("&amp;", "&")).query)["q"] == [query]
    assert str(escape(query)) in html
