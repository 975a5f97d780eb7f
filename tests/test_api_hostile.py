"""Hostile requests to the JSON API and the article pages: never a 500, never a leak.

Property-based (hypothesis) over every API parameter, plus path traversal and
odd ids for ``/api/articles/<id>`` and ``/article/<id>``.
"""

from __future__ import annotations

import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SEEDS
from web import create_app

PARAMS = ["q", "page", "size", "source", "from", "to", "sort"]
NASTY = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "-1",
            "0",
            "1e9",
            "99999999999999999999",
            "NaN",
            "2024-02-30",
            "2024-13-01",
            "..",
            "date",
            "relevance",
            "\x00",
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            "*",
            "a*",
            '"',
            "(",
            "NOT",
            "OR",
        ]
    ),
)
SEED_ARTICLES = len(list(SEEDS.glob("*.txt")))
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory):
    """A client on a real index (built once for the module)."""
    from click.testing import CliRunner

    from web.cli import cli

    data = tmp_path_factory.mktemp("hostile") / "data"
    runner = CliRunner()
    for args in (["import", str(SEEDS)], ["index", "build"]):
        result = runner.invoke(cli, ["--quiet", "--data-dir", str(data), *args])
        assert result.exit_code == 0, result.output
    app = create_app({"TESTING": True, "DATA_DIR": str(data)})
    return app.test_client()


def assert_well_formed(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code >= 400:
        assert response.get_json() == {
            "ok": False,
            "error": response.get_json()["error"],
            "status": response.status_code,
        }
        assert response.get_json()["error"].strip()


@FUZZ
@given(st.dictionaries(st.sampled_from(PARAMS), NASTY, max_size=len(PARAMS)))
def test_any_api_parameters_give_a_result_or_a_400(hostile_client, params):
    response = hostile_client.get("/api/search?" + urllib.parse.urlencode(params))
    assert_well_formed(response)
    if response.status_code == 200:
        data = response.get_json()
        assert 0 <= data["total"] <= SEED_ARTICLES
        # The page holds what is left of the total after the pages before it.
        before = (data["page"] - 1) * data["page_size"]
        assert len(data["hits"]) == max(0, min(data["page_size"], data["total"] - before))
        assert data["page"] == int(params.get("page", "").strip() or 1)


@FUZZ
@given(st.text(min_size=1, max_size=80))
def test_any_article_id_gives_an_article_or_a_404(hostile_client, article_id):
    quoted = urllib.parse.quote(article_id, safe="")
    api = hostile_client.get(f"/api/articles/{quoted}")
    # A leading or doubled slash is merged by a redirect (308), never a 500.
    assert api.status_code in (200, 404, 308), api.status_code
    if api.status_code != 308:
        assert_well_formed(api)
    page = hostile_client.get(f"/article/{quoted}")
    assert page.status_code in (200, 404, 308), page.status_code


@pytest.mark.parametrize(
    "path",
    [
        "/api/articles/../../etc/passwd",
        "/api/articles/..%2F..%2Fetc%2Fpasswd",
        "/api/articles/%2e%2e/%2e%2e/warta.db",
        "/article/../../../etc/passwd",
        "/article/..%2f..%2fwarta.db",
        "/static/../warta.db",
        "/static/..%2f..%2fcrawler%2fstore.py",
        "/api/articles/%00",
        "/api/articles/" + "x" * 5000,
    ],
)
def test_path_traversal_reaches_no_file(hostile_client, path):
    response = hostile_client.get(path)
    body = response.get_data()
    assert response.status_code in (400, 404, 308), (path, response.status_code)
    assert b"root:x:0:0" not in body and b"SQLite format" not in body
    assert b"def upsert" not in body


def test_a_real_article_id_still_works(hostile_client):
    response = hostile_client.get("/api/articles/000_141db1f0c8dcb74e")
    assert response.status_code == 200
    assert response.get_json()["body"].startswith("Juru bicara")
