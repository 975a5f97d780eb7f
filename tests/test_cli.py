import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from crawler import Store
from tests.conftest import RESULT_KEYS
from web.cli import COMMANDS


def test_whole_path_import_build_search(invoke, data_dir, seeds_dir):
    result = invoke("import", str(seeds_dir))
    assert "5 added, 0 updated, 0 unchanged, 0 replaced, 0 rejected" in result.output
    invoke("index", "build")
    out = json.loads(invoke("search", "--json", "pengiriman pasukan").output)
    # Syndicated copies (000 and 002) may collapse into one hit that lists the other.
    ids = {hit["id"] for hit in out["hits"]} | {d for hit in out["hits"] for d in hit["duplicates"]}
    assert {"000_141db1f0c8dcb74e", "001_ca1151ea58444d6d", "002_6247ad75e0456af4"} <= ids
    assert set(out) == RESULT_KEYS
    assert set(out["facets"]) == {"source", "month"}
    snippets = " ".join(hit["snippet"] for hit in out["hits"]).lower()
    assert "<mark>pengiriman</mark>" in snippets
    assert "<mark>mengirim" in snippets


def test_search_dikirim_finds_inflected_forms(invoke, seeds_dir):
    invoke("import", str(seeds_dir))
    invoke("index", "build")
    out = json.loads(invoke("search", "--json", "dikirim").output)
    assert out["total"] >= 4
    hit = out["hits"][0]
    assert set(hit) == {
        "id",
        "url",
        "title",
        "source",
        "published",
        "author",
        "score",
        "snippet",
        "duplicates",
        "story",
        "title_derived",
    }
    assert hit["title_derived"] is True  # the sample copies have no title line
    assert "<mark>" in hit["snippet"]


def test_reimport_changes_nothing(invoke, seeds_dir, data_dir):
    invoke("import", str(seeds_dir))
    result = invoke("import", str(seeds_dir))
    assert "0 added, 0 updated, 5 unchanged" in result.output
    with Store.open(data_dir) as store:
        assert store.count() == 5


def test_text_import_uses_file_name_as_id_and_cleans_noise(invoke, seeds_dir, data_dir):
    invoke("import", str(seeds_dir))
    with Store.open(data_dir) as store:
        first = store.get("000_141db1f0c8dcb74e")
        kompas = store.get("003_b0651d44f0ea87d2")
    assert first is not None
    assert not first.body.startswith("Logo")
    assert "(bbn)" not in first.body and "No more pages" not in first.body
    assert kompas.body.startswith("China kena imbas")
    assert "Baca Juga" not in kompas.body
    assert "Sumber :" not in kompas.body


def test_jsonl_import_keeps_ids_and_reports_bad_lines(invoke, tmp_path, data_dir):
    path = tmp_path / "news.jsonl.gz"
    good = {
        "id": "n1",
        "title": "Judul",
        "date": "2019-05-01",
        "url": "https://x.test/1",
        "source": "tempo",
        "body": "Isi berita pertama.",
        "extra": 1,
    }
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(json.dumps(good) + "\n{broken\n" + json.dumps({"id": "n2"}) + "\n")
    result = invoke("import", str(path))
    assert "1 added" in result.output and "2 rejected" in result.output
    assert f"{path}:2: invalid JSON" in result.output
    assert f"{path}:3: no body" in result.output
    with Store.open(data_dir) as store:
        article = store.get("n1")
    assert (article.source, article.published, article.url) == (
        "tempo",
        "2019-05-01",
        "https://x.test/1",
    )


def test_search_without_index_says_what_to_do(invoke):
    result = invoke("search", "banjir", expect=1)
    assert "Run `warta index build` first" in result.output


def test_index_update_picks_up_new_articles(invoke, seeds_dir, tmp_path):
    invoke("import", str(seeds_dir))
    invoke("index", "build")
    extra = tmp_path / "extra.jsonl"
    extra.write_text(
        json.dumps({"id": "x1", "title": "Gempa di Cianjur", "body": "Gempa mengguncang Cianjur."})
        + "\n"
    )
    invoke("import", str(extra))
    assert "1 indexed" in invoke("index", "update").output
    out = json.loads(invoke("search", "--json", "gempa").output)
    assert [h["id"] for h in out["hits"]] == ["x1"]
    stats = json.loads(invoke("index", "stats", "--json").output)
    assert stats["documents"] == 6
    assert stats["not_indexed"] == 0


# -- the command starts fast: stages are loaded when used ------------------------------


def test_help_lists_every_command_without_loading_any_stage():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from web.cli import cli\n"
        "out = CliRunner().invoke(cli, ['--help']).output\n"
        "print(out)\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    *help_lines, modules = result.stdout.strip().splitlines()
    assert not {"flask", "scrapy", "whoosh", "numpy", "waitress", "bs4"} & set(modules.split())
    help_text = "\n".join(help_lines)
    for name in ("import", "crawl", "reparse", "index", "search", "serve", "config"):
        assert re.search(rf"^  {name} +\S", help_text, re.M), help_text
    assert "Search the archive for QUERY and print the best hits." in help_text


def test_search_loads_neither_the_web_nor_the_crawler(data_dir, seeds_dir, invoke):
    invoke("import", str(seeds_dir))
    invoke("index", "build")
    code = (
        "import sys\n"
        "from web.cli import cli\n"
        f"cli(['--data-dir', {str(data_dir)!r}, 'search', 'banjir'], standalone_mode=False)\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    modules = set(result.stdout.strip().splitlines()[-1].split())
    assert "whoosh" in modules and "searcher" in modules
    assert not {"flask", "scrapy", "waitress", "bs4", "twisted"} & modules


# What builds or changes an index: a search in a fresh process pays for none of it.
BUILDER_MODULES = {
    "index.build",
    "index.update",
    "index.workers",
    "index.segments",
    "index.dedup",
    "index.stories",
    "index.merging",
    "index.stats",
    "multiprocessing",
    "datasketch",
    "tqdm",
}


def test_search_loads_nothing_that_builds_an_index(data_dir, seeds_dir, invoke):
    """`warta search` opens the index (with a did-you-mean for its typo) without
    importing the index builder, its workers or the near-duplicate finder, and
    without starting a process (``ctypes.util.find_library`` runs ``ldconfig``)."""
    invoke("import", str(seeds_dir))
    invoke("index", "build")
    code = (
        "import subprocess, sys\n"
        "started = []\n"
        "_init = subprocess.Popen.__init__\n"
        "def init(self, args, *more, **options):\n"
        "    started.append(args)\n"
        "    _init(self, args, *more, **options)\n"
        "subprocess.Popen.__init__ = init\n"
        "from web.cli import cli\n"
        f"cli(['--data-dir', {str(data_dir)!r}, 'search', 'pasukn korea'], standalone_mode=False)\n"
        "print(started)\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    *out, started, modules = result.stdout.strip().splitlines()
    assert "Did you mean: pasukan korea" in out
    assert started == "[]"
    modules = set(modules.split())
    assert {"index.generations", "searcher.search", "numpy"} <= modules
    assert BUILDER_MODULES & modules == set()


def test_the_command_freezes_what_it_imported_before_the_process_exits():
    """``main`` hands the collector nothing more to traverse at exit (``gc.freeze``)."""
    code = (
        "import atexit, gc, sys\n"
        "from web.cli import main\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 1000))\n"
        "sys.argv = ['warta', 'config']\n"
        "main()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "frozen True"


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="counts threads in /proc")
def test_a_search_runs_on_one_thread(data_dir, seeds_dir, invoke):
    """numpy's OpenBLAS starts no thread pool under `warta` (OPENBLAS_NUM_THREADS=1)."""
    invoke("import", str(seeds_dir))
    invoke("index", "build")
    code = (
        "import re, sys\n"
        "from web.cli import main\n"
        f"sys.argv = ['warta', '--data-dir', {str(data_dir)!r}, 'search', 'korea']\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    status = open('/proc/self/status').read()\n"
        "    print('threads', re.search(r'Threads:\\s+(\\d+)', status)[1])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "threads 1"


def test_the_index_package_still_offers_its_builder():
    """``index`` imports its builder on first use; the names stay where they were."""
    import index
    from index.build import build_index
    from index.stats import index_stats
    from index.update import update_index

    assert (index.build_index, index.update_index, index.index_stats) == (
        build_index,
        update_index,
        index_stats,
    )
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        index.nothing  # noqa: B018


@pytest.mark.parametrize("name", sorted(COMMANDS))
@pytest.mark.parametrize("limit", [30, 45, 67, 200])
def test_the_lazy_table_shows_each_commands_own_short_help(name, limit):
    lazy = COMMANDS[name]
    assert lazy.short_help(limit) == lazy.load().get_short_help_str(limit)
