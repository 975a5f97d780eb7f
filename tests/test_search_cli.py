import json
import os
import subprocess
import sys

import pytest

from crawler import Article, Store
from index import build_index, index_path
from searcher.cli import indented, render_snippet
from tests.conftest import RESULT_KEYS


@pytest.fixture
def search(invoke, search_data_dir):
    def run(*args, expect=0):
        return invoke("search", *args, expect=expect)

    return run


def test_readable_list_has_title_outlet_date_snippet_and_link(search):
    out = search("--no-color", "banjir").output
    assert "1 articles match; showing 1-1" in out
    assert "1. Banjir merendam Bekasi" in out
    assert "Kompas · 2024-11-14" in out
    assert "Banjir besar merendam" in out and "<mark>" not in out
    assert "https://contoh.test/banjir-bekasi" in out


def test_json_has_the_stable_shape(search):
    out = json.loads(search("--json", "korea", "--limit", "2", "--page", "2").output)
    assert set(out) == RESULT_KEYS
    assert (out["total"], out["page"], out["page_size"], len(out["hits"])) == (3, 2, 2, 1)


def test_options_filter_and_sort(search):
    out = json.loads(search("--json", "korea", "--source", "Kompas", "--from", "2024-11-01").output)
    assert [h["id"] for h in out["hits"]] == ["korut-pasukan"]
    out = json.loads(search("--json", "korea", "--sort", "date", "--to", "2024-11-30").output)
    assert [h["id"] for h in out["hits"]] == ["drama-korea", "korut-pasukan", "korea-rudal"]


def test_fallback_and_suggestion_are_lines(search):
    out = search("--no-color", "pasukan rusia banjir").output
    assert out.startswith("Few articles contain all the words")
    out = search("--no-color", "pemerintha").output
    assert "Did you mean: pemerintah" in out
    assert "No articles match 'pemerintha'." in out


def test_no_results_is_not_an_error(search):
    assert "No articles match" in search("zzzz").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "kemarin", "banjir"], "Invalid value for '--from'"),
        (["--sort", "acak", "banjir"], "Invalid value for '--sort'"),
        (["--limit", "0", "banjir"], "Invalid value for '-n' / '--limit'"),
        (["k*"], "too short to expand"),
        (["tanggal:2024-13"], "is not a date in the calendar"),
    ],
)
def test_wrong_arguments_exit_non_zero_with_a_sentence(search, args, message):
    result = search(*args, expect=2)
    assert message in result.output


def test_no_index_says_what_to_do(invoke):
    result = invoke("search", "banjir", expect=1)
    assert "Run `warta index build` first" in result.output


def test_marks_become_colours_only_when_asked():
    snippet = "a <mark>Banjir</mark> &amp; b"
    assert render_snippet(snippet, color=False) == "a Banjir & b"
    assert render_snippet(snippet, color=True) == "a \x1b[33m\x1b[1mBanjir\x1b[0m & b"


def test_a_snippet_over_several_paragraphs_is_indented_on_every_line(invoke, data_dir):
    body = (
        "Banjir merendam Kampung Melayu.\n\nWarga mengungsi sejak pagi karena banjir.\n"
        "Petugas membagikan makanan.\n\nBanjir surut pada malam hari."
    )
    with Store.open(data_dir) as store:
        store.upsert(Article(id="banjir-paragraf", title="Banjir di Jakarta", body=body))
        build_index(store, index_path(data_dir))
    out = invoke("search", "--no-color", "banjir").output
    block = out[out.index("1. Banjir di Jakarta") :].splitlines()[1:]
    snippet = block[: block.index("   id: banjir-paragraf")]
    assert len(snippet) >= 3, out  # the snippet spans paragraphs
    assert all(line.startswith("   ") and line.strip() for line in snippet), out
    assert "Warga mengungsi sejak pagi karena banjir." in out


def test_indented_keeps_lines_and_drops_blank_ones():
    assert indented("satu\n\n dua \n") == "   satu\n   dua"


def test_a_reader_that_goes_away_stops_the_output_quietly(search_data_dir):
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `warta search ... | head` once head has what it wants
    try:
        command = [sys.executable, "-m", "web.cli", "--data-dir", str(search_data_dir)]
        result = subprocess.run(
            [*command, "search", "--no-color", "korea"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 1
    assert result.stderr == ""
