"""Exports for researchers: /export.csv, /export.jsonl and `warta search --format csv|jsonl`."""

from __future__ import annotations

import csv
import io
import json

import pytest

from crawler import Article, Store
from index import index_path, update_index
from searcher import COLUMN_NAMES
from web import create_app
from web.cli import cli
from web.handles import close_app

COPIES = ("000_141db1f0c8dcb74e", "002_6247ad75e0456af4")  # one story syndicated twice


def read_csv(data: bytes) -> list[dict]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for spreadsheets
    text = data.decode("utf-8")[1:]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames) == COLUMN_NAMES
    return list(reader)


def read_jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def api_rows(client, query: str) -> list[tuple[str, str]]:
    """(id, copy_of) as the API's hits and their duplicates say they should be exported."""
    data = client.get("/api/search", query_string={"q": query, "size": 100}).get_json()
    expected = []
    for hit in data["hits"]:
        expected.append((hit["id"], ""))
        expected.extend((copy, hit["id"]) for copy in sorted(hit["duplicates"]))
    return expected


@pytest.fixture
def small_export_client(indexed_data_dir):
    """A client whose exports hold at most 2 rows."""
    app = create_app({"TESTING": True, "DATA_DIR": str(indexed_data_dir), "MAX_EXPORT_ROWS": 2})
    yield app.test_client()
    close_app(app)


def test_csv_export_holds_every_match_copies_included(client):
    response = client.get("/export.csv?q=pasukan")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="warta-pasukan.csv"'
    rows = read_csv(response.data)
    expected = api_rows(client, "pasukan")
    assert [(row["id"], row["copy_of"]) for row in rows] == expected
    assert {COPIES[0], COPIES[1]} <= {row["id"] for row in rows}
    assert any(row["copy_of"] in COPIES for row in rows)  # one of the pair is the other's copy
    total = client.get("/api/search?q=pasukan").get_json()["total"]
    assert len(rows) == total + sum(1 for row in rows if row["copy_of"])
    assert response.headers["X-Warta-Total"] == str(len(rows))
    assert response.headers["X-Warta-Exported"] == str(len(rows))
    assert response.headers["X-Warta-Truncated"] == "false"
    # Each shown article's story is its hit's; a copy's is the story of the article it copies.
    hits = client.get("/api/search?q=pasukan&size=100").get_json()["hits"]
    stories = {hit["id"]: (hit["story"] or {}).get("id", "") for hit in hits}
    by_id = {row["id"]: row for row in rows}
    for row in rows:
        shown = row["copy_of"] or row["id"]
        assert by_id[shown]["story"] == stories[shown]
    assert by_id[COPIES[0]]["story"] == by_id[COPIES[1]]["story"]


def test_csv_rows_hold_the_articles_fields(client):
    rows = read_csv(client.get("/export.csv?q=banjir").data)
    assert rows == [
        {
            "id": "bekasi-banjir",
            "url": "https://contoh.test/bekasi-banjir",
            "title": "Banjir melanda Bekasi",
            "source": "Kompas",
            "published": "2024-11-14T10:30:00+07:00",
            "author": "Rina",
            "copy_of": "",
            "story": "",
            "lead": "Banjir besar melanda Kota Bekasi pada Senin pagi. Warga mengungsi ke masjid.",
        }
    ]


def test_jsonl_export_matches_the_csv(client):
    response = client.get("/export.jsonl?q=pasukan&sort=date")
    assert response.mimetype == "application/x-ndjson"
    rows = read_jsonl(response.get_data(as_text=True))
    csv_rows = read_csv(client.get("/export.csv?q=pasukan&sort=date").data)
    assert [r["id"] for r in rows] == [r["id"] for r in csv_rows]
    assert all(tuple(row) == COLUMN_NAMES for row in rows)
    by_id = {row["id"]: row for row in rows}
    copies = [row for row in rows if row["copy_of"]]
    assert copies and all(row["copy_of"] in by_id for row in copies)
    assert [row["story"] or "" for row in rows] == [row["story"] for row in csv_rows]


def test_export_without_a_query_holds_the_whole_archive(client):
    rows = read_jsonl(client.get("/export.jsonl").get_data(as_text=True))
    assert len(rows) == 7
    assert len({row["id"] for row in rows}) == 7


def test_a_cut_export_says_so_in_a_header_and_a_last_line(small_export_client):
    response = small_export_client.get("/export.csv?q=pasukan")
    assert response.headers["X-Warta-Truncated"] == "true"
    assert response.headers["X-Warta-Exported"] == "2"
    total = int(response.headers["X-Warta-Total"])
    assert total > 2
    rows = read_csv(response.data)
    assert len(rows) == 3
    note = rows[-1]["id"]
    assert note == (
        f"# Truncated: only the first 2 of {total} matching articles are exported. "
        "Narrow the search (from, to, source or more words) to export the rest."
    )
    assert all(value is None for key, value in rows[-1].items() if key != "id")
    lines = read_jsonl(small_export_client.get("/export.jsonl?q=pasukan").get_data(as_text=True))
    assert len(lines) == 3
    assert lines[-1] == {"truncated": True, "exported": 2, "total": total, "message": note[2:]}


def test_spreadsheet_formulas_are_neutralised_in_csv_only(indexed_data_dir):
    with Store.open(indexed_data_dir) as store:
        store.upsert(
            Article(
                id="rumus",
                title='=HYPERLINK("http://jahat.test","klik") banjir',
                body="@SUM(1+1) banjir di kota, kata warga.",
                source="+Media",
                author="-Penulis",
            )
        )
        update_index(store, index_path(indexed_data_dir))
    app = create_app({"TESTING": True, "DATA_DIR": str(indexed_data_dir)})
    client = app.test_client()
    try:
        (row,) = [
            r for r in read_csv(client.get("/export.csv?q=banjir").data) if r["id"] == "rumus"
        ]
        assert row["title"] == '\'=HYPERLINK("http://jahat.test","klik") banjir'
        assert (row["source"], row["author"]) == ("'+Media", "'-Penulis")
        assert row["lead"] == "'@SUM(1+1) banjir di kota, kata warga."
        lines = read_jsonl(client.get("/export.jsonl?q=banjir").get_data(as_text=True))
        (raw,) = [r for r in lines if r["id"] == "rumus"]
        assert raw["title"] == '=HYPERLINK("http://jahat.test","klik") banjir'
    finally:
        close_app(app)


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/export.csv?page=0", 400, "Parameter 'page' must be between 1 and 500."),
        ("/export.jsonl?from=kemarin", 400, "Parameter 'from' must be a date written YYYY-MM-DD."),
        ("/export.csv?sort=acak", 400, "Parameter 'sort' must be one of: relevance, date."),
        ("/export.csv?q=" + "a" * 501, 400, "Parameter 'q' must be at most 500 characters long."),
        ("/export.jsonl?q=tanggal:2024-13", 400, "'2024-13' is not a date in the calendar."),
        ("/export.xml?q=banjir", 404, None),
    ],
)
def test_bad_export_parameters_get_the_api_error_shape(client, url, status, message):
    response = client.get(url)
    assert response.status_code == status
    data = response.get_json()
    assert (data["ok"], data["status"]) == (False, status)
    if message:
        assert message in data["error"]


def test_the_results_page_links_both_exports(client):
    html = client.get("/?q=banjir+OR+pemilu&from=2024-01-01&page=2&size=1&sort=date").get_data(
        as_text=True
    )
    assert (
        'Unduh hasil: <a href="/export.csv?q=banjir+OR+pemilu&amp;from=2024-01-01&amp;sort=date" '
        'type="text/csv" download>CSV</a> · <a href="/export.jsonl?q=banjir+OR+pemilu&amp;'
        'from=2024-01-01&amp;sort=date" type="application/x-ndjson" download>JSONL</a>'
    ) in html
    nothing = client.get("/?q=kata-yang-tidak-ada").get_data(as_text=True)
    assert "Unduh hasil" not in nothing


# -- the command line ---------------------------------------------------------------


def test_cli_exports_every_match_like_the_site(invoke, client):
    out = invoke("search", "pasukan", "--format", "csv", "--all").output
    rows = read_csv(out.encode("utf-8"))
    assert rows == read_csv(client.get("/export.csv?q=pasukan").data)
    lines = read_jsonl(invoke("search", "pasukan", "--format", "jsonl", "--all").output)
    assert [line["id"] for line in lines] == [row["id"] for row in rows]


def test_cli_export_without_all_holds_one_page_and_its_copies(invoke, client):
    expected = api_rows(client, "pasukan")
    page_one = read_jsonl(invoke("search", "pasukan", "--format", "jsonl", "-n", "1").output)
    first_hit = expected[0][0]
    assert [(r["id"], r["copy_of"] or "") for r in page_one] == [
        pair for pair in expected if first_hit in pair
    ]


def test_cli_export_is_cut_at_the_setting(runner, indexed_data_dir):
    args = ["--data-dir", str(indexed_data_dir), "search", "pasukan", "--format", "jsonl", "--all"]
    result = runner.invoke(cli, args, env={"WARTA_MAX_EXPORT_ROWS": "2"})
    assert result.exit_code == 0, result.output
    lines = read_jsonl(result.stdout)
    assert len(lines) == 3 and lines[-1]["truncated"] is True
    assert f"Exported 2 of {lines[-1]['total']} matching articles" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--all"], "--all exports every match: use it with --format csv or jsonl."),
        (["--format", "csv", "--timeline"], "--timeline prints hits: leave out --format csv."),
        (["--format", "jsonl", "--since-last", "x"], "--since-last prints hits"),
    ],
)
def test_cli_export_options_that_do_not_go_together(invoke, indexed_data_dir, args, message):
    result = invoke("search", "pasukan", *args, expect=2)
    assert message in result.output
