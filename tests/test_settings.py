"""The one table of settings: the README, the options, `warta config`, the app and the searcher."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest

from index import index_path
from searcher import DEFAULT_LIMITS, SETTINGS, Limits, QueryError, Searcher, SettingError
from web import create_app
from web import settings as web_settings
from web.cli import COMMANDS, cli
from web.handles import close_app

README = Path(__file__).resolve().parent.parent / "README.md"


def configuration_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("## Configuration") : text.index("## Development")]


def every_command(group: click.Group, ctx: click.Context):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield command
        if isinstance(command, click.Group):
            yield from every_command(command, ctx)


def test_the_readme_lists_every_setting_as_the_table_says():
    assert web_settings.markdown_table() in configuration_section(), (
        "Copy web.settings.markdown_table() into the README's Configuration section."
    )


def test_the_readme_names_every_environment_variable_an_option_reads():
    section = configuration_section()
    ctx = click.Context(cli)
    commands = [cli, *every_command(cli, ctx)]
    envvars = {p.envvar for c in commands for p in c.params if isinstance(p.envvar, str)}
    assert {"WARTA_DATA_DIR", "WARTA_PORT", "WARTA_CRAWL_DELAY"} <= envvars
    missing = sorted(v for v in envvars if f"`{v}`" not in section)
    assert missing == []


def test_options_take_their_default_and_variable_from_the_table():
    serve = COMMANDS["serve"].load()
    options = {p.name: p for command in (cli, serve) for p in command.params}
    for name in ("data_dir", "host", "port", "threads", "workers"):
        setting = web_settings.BY_NAME[name]
        assert (options[name].default, options[name].envvar) == (setting.default, setting.env)


def test_every_setting_has_a_unique_name_and_help():
    names = [s.name for s in web_settings.SETTINGS]
    assert len(names) == len(set(names))
    assert all(s.help.endswith(".") for s in web_settings.SETTINGS)
    assert {s.name for s in SETTINGS} <= set(names)


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("port", "8080", 8080),
        ("retire_after_seconds", "2.5", 2.5),
        ("host", "0.0.0.0", "0.0.0.0"),
        ("port", "http", "WARTA_PORT must be a whole number, not 'http'."),
        ("port", "70000", "WARTA_PORT must be at most 65535, not 70000."),
        ("max_query_chars", "3", "WARTA_MAX_QUERY_CHARS must be at least 10, not 3."),
        (
            "retire_after_seconds",
            "soon",
            "WARTA_RETIRE_AFTER_SECONDS must be a number, not 'soon'.",
        ),
    ],
)
def test_a_setting_reads_its_type_or_says_what_is_wrong(name, raw, expected):
    setting = web_settings.BY_NAME[name]
    if isinstance(expected, str) and expected.startswith("WARTA_"):
        with pytest.raises(SettingError, match=re.escape(expected)):
            setting.parse(raw)
    else:
        assert setting.parse(raw) == expected


# -- warta config ---------------------------------------------------------------


def test_config_shows_each_value_and_where_it_came_from(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("WARTA_PORT", "8080")
    monkeypatch.delenv("WARTA_DATA_DIR", raising=False)
    result = runner.invoke(cli, ["--data-dir", str(tmp_path), "config", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert list(rows) == [s.name for s in web_settings.SETTINGS]
    assert rows["port"] == {
        "name": "port",
        "value": 8080,
        "source": "WARTA_PORT",
        "env": "WARTA_PORT",
    }
    assert (rows["data_dir"]["value"], rows["data_dir"]["source"]) == (str(tmp_path), "--data-dir")
    assert (rows["max_query_chars"]["value"], rows["max_query_chars"]["source"]) == (500, "default")


def test_config_as_text_has_one_line_per_setting(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("WARTA_DATA_DIR", str(tmp_path))
    result = runner.invoke(cli, ["config"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == len(web_settings.SETTINGS)
    assert re.match(rf"data_dir +{re.escape(str(tmp_path))} +WARTA_DATA_DIR$", lines[0])
    assert re.search(r"^max_page +500 +default$", result.output, re.M)


def test_a_bad_variable_stops_a_command_with_a_sentence(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("WARTA_MAX_PAGE_SIZE", "lots")
    result = runner.invoke(cli, ["--data-dir", str(tmp_path), "config"])
    assert result.exit_code == 1
    assert "WARTA_MAX_PAGE_SIZE must be a whole number, not 'lots'." in result.output


# -- the limits reach the searcher, the CLI and the site --------------------------------


def test_the_searcher_keeps_to_its_limits(search_data_dir):
    limits = Limits(default_page_size=2, max_page_size=3, max_page=4, max_query_chars=12)
    searcher = Searcher(index_path(search_data_dir), limits=limits)
    try:
        result = searcher.search("korea utara pasukan")
        assert result.query == "korea utara"
        assert result.notice.startswith("The query was long: only its first 11 characters")
        assert len(result.hits) == 2
        with pytest.raises(QueryError, match="The page size must be between 1 and 3."):
            searcher.search("korea", page_size=4)
        with pytest.raises(QueryError, match="The page number must be between 1 and 4."):
            searcher.search("korea", page=5)
    finally:
        searcher.close()


def test_the_default_limits_are_the_tables_defaults():
    assert DEFAULT_LIMITS == Limits(
        default_page_size=10, max_page_size=100, max_page=500, max_query_chars=500
    )


def test_the_cli_reads_the_limits_from_the_environment(invoke, search_data_dir, monkeypatch):
    monkeypatch.setenv("WARTA_MAX_PAGE_SIZE", "2")
    monkeypatch.setenv("WARTA_DEFAULT_PAGE_SIZE", "1")
    result = invoke("search", "-n", "3", "korea", expect=2)
    assert "The page size must be between 1 and 2." in result.output
    out = json.loads(invoke("search", "--json", "korea").output)
    assert (out["page_size"], len(out["hits"])) == (1, 1)


def test_the_app_reads_the_limits_from_the_environment(indexed_data_dir, monkeypatch):
    monkeypatch.setenv("WARTA_DATA_DIR", str(indexed_data_dir))
    monkeypatch.setenv("WARTA_MAX_QUERY_CHARS", "20")
    monkeypatch.setenv("WARTA_MAX_PAGE", "3")
    app = create_app()
    try:
        client = app.test_client()
        assert app.config["MAX_QUERY_CHARS"] == 20
        assert 'maxlength="20"' in client.get("/").get_data(as_text=True)
        response = client.get("/api/search", query_string={"q": "b" * 21})
        assert response.get_json()["error"] == "Parameter 'q' must be at most 20 characters long."
        response = client.get("/api/search?q=banjir&page=4")
        assert response.get_json()["error"] == "Parameter 'page' must be between 1 and 3."
        assert client.get("/api/search?q=banjir").get_json()["total"] == 1
    finally:
        close_app(app)


def test_a_bad_variable_stops_the_app_factory_with_a_sentence(monkeypatch, tmp_path):
    monkeypatch.setenv("WARTA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WARTA_THREADS", "0")
    with pytest.raises(SettingError, match="WARTA_THREADS must be at least 1, not 0."):
        create_app()


def test_a_default_page_larger_than_the_largest_is_refused(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("WARTA_DEFAULT_PAGE_SIZE", "200")
    result = runner.invoke(cli, ["--data-dir", str(tmp_path), "search", "banjir"])
    assert result.exit_code == 1
    sentence = "The default page size (200, WARTA_DEFAULT_PAGE_SIZE) must not be larger"
    assert sentence in result.output
