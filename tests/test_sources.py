"""The sources file, ``warta sources``, and ``warta crawl --source`` against a loopback newsroom."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from newsroom import open_newsroom

from crawler.cli import SOURCE_BUSY_EXIT, crawl_command
from crawler.locks import exclusive, lock_path
from crawler.sources import SourcesError, crawl_options, parse_sources, starter_text
from crawler.store import Store

WARTA = [sys.executable, "-m", "web.cli"]
OPTIONS = crawl_options(crawl_command)
FAST = {"delay": 0, "retries": 0, "timeout": 2}


def warta(data_dir: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*WARTA, "--quiet", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def room():
    room = open_newsroom(stories=3)
    yield room
    room.close()


@pytest.fixture
def sources_dir(tmp_path, room) -> Path:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "sources.toml").write_text(room.sources_toml(30, **FAST))
    return data_dir


# -- the file -------------------------------------------------------------------


def test_starter_list_loads_and_every_entry_names_its_evidence():
    text = starter_text()
    sources = parse_sources(text, "sources.toml", OPTIONS)
    assert len(sources) >= 8
    blocks = re.split(r"\n(?=# Evidence:)", text)[1:]
    assert len(blocks) == len(sources)
    for block, source in zip(blocks, sources, strict=True):
        assert f"[sources.{source.key}]" in block
        assert re.search(r"(html|feeds)/[\w.-]+\.(html|xml)", block.split("[sources.")[0])
        for url in source.start_urls:
            assert url in block.split("[sources.")[0] or url.rsplit("/", 2)[-2] in block
    assert all(s.options["max_depth"] == 1 for s in sources)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[sources.a]\nname = "A"\nstart_urls = ["http://a.test/"]\ndealy = 2\n',
            "sources.toml line 4: [sources.a] has an unknown key 'dealy'. Did you mean 'delay'?",
        ),
        (
            '[sources.a]\nstart_urls = ["http://a.test/"]\n\nmax_pages = "many"\n',
            "sources.toml line 4: [sources.a] max_pages = 'many': expected a whole number.",
        ),
        (
            '[sources.a]\nstart_urls = ["http://a.test/"]\nmax_pages = 0\n',
            "sources.toml line 3: [sources.a] max_pages = 0: 0 is not in the range x>=1.",
        ),
        (
            '[sources.a]\nstart_urls = ["http://a.test/"]\nallow_domain = "a.test"\n',
            "line 3: [sources.a] allow_domain = 'a.test': expected a list",
        ),
        (
            '[sources.a]\nstart_urls = ["http://a.test/"]\nno_sitemaps = "yes"\n',
            "line 3: [sources.a] no_sitemaps = 'yes': expected true or false.",
        ),
        (
            '[sources.a]\nname = "A"\n\n[sources.b]\nstart_urls = ["ftp://b.test/"]\n',
            "sources.toml line 1: [sources.a] needs start_urls",
        ),
        (
            '[sources.a]\nstart_urls = ["http://a.test/"]\ninterval_minutes = -5\n',
            "line 3: [sources.a] interval_minutes must be a number of minutes above 0.",
        ),
        (
            '[sources.a]\nstart_urls = ["http://a.test/"]\nindex = true\n',
            "line 3: [sources.a] has an unknown key 'index'",
        ),
        ('[source.a]\nstart_urls = ["http://a.test/"]\n', "line 1: unknown key 'source'"),
        ('[sources.a]\nstart_urls = ["http://a.test/"\n', "sources.toml is not valid TOML"),
    ],
)
def test_mistakes_get_a_sentence_naming_line_and_key(text, message):
    with pytest.raises(SourcesError) as caught:
        parse_sources(text, "sources.toml", OPTIONS)
    assert message in str(caught.value)


def test_crawl_options_convert_with_their_types():
    text = (
        '[sources.a]\nname = "Outlet A"\nstart_urls = ["https://a.test/rss"]\n'
        'interval_minutes = 15\nenabled = false\nsince = 2024-01-01\nallow_domain = ["a.test"]\n'
        "delay = 2\nno_sitemaps = true\n"
    )
    (source,) = parse_sources(text, "sources.toml", OPTIONS)
    assert (source.key, source.name, source.interval_minutes, source.enabled) == (
        "a",
        "Outlet A",
        15,
        False,
    )
    assert source.options["since"].date().isoformat() == "2024-01-01"
    assert source.options["allowed"] == ("a.test",)
    assert source.options["delay"] == 2.0
    assert source.options["no_sitemaps"] is True


# -- commands -------------------------------------------------------------------


def test_sources_init_list_and_refusals(invoke, data_dir):
    missing = invoke("sources", "list", expect=1)
    assert "There is no sources file" in missing.output
    assert "warta sources init" in missing.output
    invoke("sources", "init")
    listed = json.loads(invoke("sources", "list", "--json").output)
    first = listed[0]
    assert first["name"] == "antaranews"
    assert first["start_urls"] == ["http://www.antaranews.com/rss/terkini"]
    assert first["options"]["no_sitemaps"] is True
    again = invoke("sources", "init", expect=1)
    assert "exists" in again.output and "--force" in again.output
    assert "every 30 minutes" in invoke("sources", "list").output


def test_crawl_needs_urls_or_a_source(invoke, sources_dir):
    result = invoke("crawl", expect=2)
    assert "Give URLS, or --source NAME, or --all-sources" in result.output


def test_unknown_source_is_named(runner, sources_dir):
    from web.cli import cli

    result = runner.invoke(cli, ["--data-dir", str(sources_dir), "crawl", "--source", "nope"])
    assert result.exit_code == 2
    assert "there is no source 'nope'" in result.output
    assert "wartasim, kabarloka, suaratimur" in result.output


def test_crawl_source_records_a_round(room, sources_dir):
    result = warta(sources_dir, "crawl", "--source", "wartasim")
    assert result.returncode == 0, result.stderr
    assert "wartasim: Crawled: 4 fetched" in result.stdout
    with Store.open(sources_dir) as store:
        (crawl_round,) = store.rounds("wartasim")
        urls = {a.url for a, _ in store.iter_articles()}
    assert crawl_round.status == "ok"
    assert (crawl_round.pages, crawl_round.added, crawl_round.failures) == (4, 3, 0)
    assert crawl_round.signals == {
        "no_date": [0, 3],
        "no_author": [0, 3],
        "short_body": [0, 3],
        "seen_title": [0, 3],
        "not_articles": [0, 3],
    }
    assert urls == {room["wartasim"].url_of(s) for s in room["wartasim"].stories}


def test_crawl_all_sources_crawls_each_enabled_one(room, sources_dir):
    toml = room.sources_toml(30, disabled=("suaratimur",), **FAST)
    (sources_dir / "sources.toml").write_text(toml)
    result = warta(sources_dir, "crawl", "--all-sources")
    assert result.returncode == 0, result.stderr
    with Store.open(sources_dir) as store:
        by_source = {r.source: r.added for r in store.rounds()}
    assert by_source == {"wartasim": 3, "kabarloka": 3}


def test_a_source_being_crawled_is_not_crawled_twice(sources_dir, runner):
    from web.cli import cli

    with exclusive(lock_path(sources_dir, "crawl-wartasim")):
        result = runner.invoke(
            cli, ["--data-dir", str(sources_dir), "crawl", "--source", "wartasim"]
        )
    assert result.exit_code == SOURCE_BUSY_EXIT
    assert "Source wartasim is being crawled by another process" in result.output
    with Store.open(sources_dir) as store:
        assert store.rounds("wartasim") == []


def test_sources_check_says_what_answers(room, sources_dir):
    room["kabarloka"].mode = "down"
    try:
        result = warta(sources_dir, "sources", "check")
    finally:
        room["kabarloka"].mode = "ok"
    assert result.returncode == 1
    out = result.stdout
    assert re.search(r"ok  http://127\.0\.0\.1:\d+/rss\.xml: HTTP 200 application/rss\+xml - "
                     r"RSS/Atom feed, 3 entries", out)  # fmt: skip
    assert "sitemap, 3 URLs" in out
    assert re.search(r"BAD http://127\.0\.0\.2:\d+/atom\.xml: HTTP 500 text/html - HTTP 500", out)
    assert re.search(r"robots\.txt http://127\.0\.0\.3:\d+/robots\.txt: HTTP 200 text/plain - "
                     r"1 sitemaps listed", out)  # fmt: skip
    assert "1 start URL(s) did not answer as they should." in result.stderr
    one = warta(sources_dir, "sources", "check", "wartasim")
    assert one.returncode == 0, one.stderr
    assert "kabarloka" not in one.stdout


def test_no_progress_bars_when_not_on_a_terminal(room, sources_dir, seeds_dir):
    runs = [
        [*WARTA, "--data-dir", str(sources_dir), "import", str(seeds_dir)],
        [*WARTA, "--data-dir", str(sources_dir), "crawl", "--source", "kabarloka"],
    ]
    for command in runs:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, result.stderr
        assert "\r" not in result.stderr + result.stdout
    assert "kabarloka: Crawled: 4 fetched" in result.stdout
