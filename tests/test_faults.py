"""Faults that really happen: processes killed mid-write, two writers at once.

These tests run the real ``warta`` command in subprocesses and SIGKILL them at
varied moments. The store must lose nothing; the index must always open and
serve one consistent generation; rerunning the command must complete. Those
that kill many times are marked slow (``pytest -m "not slow"`` skips them).
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.article import Article
from crawler.importer import read_path
from crawler.store import Store
from index import build_index, index_path, index_stats, update_index
from searcher import Searcher

SEEDS = Path(__file__).resolve().parent.parent / "examples" / "seeds"
KILLS = 20
CORPUS = 400


def _sentences() -> list[str]:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    return [s.strip() for s in text.replace("\n", " ").split(". ") if len(s) > 40]


def write_jsonl(path: Path, count: int, start: int = 0, seed: int = 7) -> Path:
    """A JSON Lines file of ``count`` distinct synthetic Indonesian articles."""
    rng = random.Random(seed + start)
    sentences = _sentences()
    with path.open("w", encoding="utf-8") as out:
        for n in range(start, start + count):
            # Shuffled words: articles sharing whole sentences would be near-duplicates.
            words = ". ".join(rng.sample(sentences, 12)).split()
            rng.shuffle(words)
            body = " ".join(words) + f". Nomor arsip {n}."
            record = {
                "id": f"syn-{n:06d}",
                "title": f"Berita sintetis {n}",
                "body": body,
                "date": f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}",
                "source": f"outlet{n % 5}",
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def add_articles(data_dir: Path, count: int, start: int) -> None:
    """Put new articles straight into the store (in-process: quicker than `warta import`)."""
    path = write_jsonl(data_dir.parent / f"add-{start}.jsonl", count, start=start)
    with Store.open(data_dir) as store:
        store.upsert_many(a for a in read_path(path) if isinstance(a, Article))


def warta(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "web.cli", "--quiet", "--data-dir", str(data_dir), *args]


def run(data_dir: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(warta(data_dir, *args), capture_output=True, text=True, timeout=timeout)


def timed(data_dir: Path, *args: str) -> float:
    """Run a command to completion and return how long it took."""
    started = time.perf_counter()
    done = run(data_dir, *args)
    assert done.returncode == 0, done.stderr
    return time.perf_counter() - started


def start(data_dir: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        warta(data_dir, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def kill_after(proc: subprocess.Popen, delay: float) -> bool:
    """SIGKILL ``proc`` after ``delay`` seconds; return whether it was still running."""
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return True
    finally:
        proc.stdout.close()
        proc.stderr.close()


def index_docs(data_dir: Path) -> int:
    """Open the index the way the web server does and count documents via a search."""
    searcher = Searcher(index_path(data_dir))
    try:
        result = searcher.search("", page_size=1)
        assert result.total == searcher.doc_count
        return searcher.doc_count
    finally:
        searcher.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("corpus") / "news.jsonl", CORPUS)


@pytest.mark.slow
def test_killed_rebuilds_always_leave_a_serving_index(tmp_path, corpus):
    data = tmp_path / "data"
    assert run(data, "import", str(corpus)).returncode == 0
    assert run(data, "index", "build").returncode == 0
    # Timed warm, as the killed builds run: the first build also fills the stem
    # cache and so takes longer, which let kills land after the switch.
    took = timed(data, "index", "build")
    rng = random.Random(1)
    killed = 0
    for _ in range(KILLS):
        # From interpreter start-up to just after the commit and the switch.
        killed += kill_after(start(data, "index", "build"), rng.uniform(0.1, 1.1) * took)
        assert index_docs(data) == CORPUS
    assert killed >= KILLS // 2, "the kills should mostly land mid-build"
    rebuilt = run(data, "index", "build")
    assert rebuilt.returncode == 0, rebuilt.stderr
    stats = json.loads(run(data, "index", "stats", "--json").stdout)
    assert (stats["documents"], stats["not_indexed"], stats["missing_from_store"]) == (CORPUS, 0, 0)
    generations = list((data / "index.d").iterdir())
    assert len(generations) == 1, "killed builds must not leave generations behind"


@pytest.mark.slow
def test_killed_updates_serve_old_or_new_never_a_mix(tmp_path, corpus):
    data = tmp_path / "data"
    assert run(data, "import", str(corpus)).returncode == 0
    assert run(data, "index", "build").returncode == 0
    took = timed(data, "index", "update")
    rng = random.Random(2)
    expected = CORPUS
    for round_ in range(KILLS):
        add_articles(data, 40, start=10_000 + 40 * round_)
        before = index_docs(data)
        expected += 40
        kill_after(start(data, "index", "update"), rng.uniform(0.2, 1.5) * took)
        after = index_docs(data)
        assert before <= after <= expected
        assert (after - CORPUS) % 40 == 0, "an update must land whole or not at all"
    done = run(data, "index", "update")
    assert done.returncode == 0, done.stderr
    assert index_docs(data) == expected
    stats = json.loads(run(data, "index", "stats", "--json").stdout)
    assert (stats["not_indexed"], stats["missing_from_store"]) == (0, 0)


@pytest.mark.slow
def test_killed_import_loses_nothing_and_rerun_has_no_duplicates(tmp_path):
    data = tmp_path / "data"
    big = write_jsonl(tmp_path / "big.jsonl", 3000)
    rng = random.Random(3)
    for _ in range(5):
        kill_after(start(data, "import", str(big)), rng.uniform(0.5, 2.0))
        with Store.open(data) as store:
            partial = store.count()
            assert partial % 500 == 0 or partial == 3000, "imports commit in whole batches"
    done = run(data, "import", str(big))
    assert done.returncode == 0, done.stderr
    with Store.open(data) as store:
        assert store.count() == 3000
        assert len(store.ids()) == 3000


@pytest.mark.slow
def test_two_writers_one_waits_or_fails_with_a_sentence(tmp_path, corpus):
    data = tmp_path / "data"
    assert run(data, "import", str(corpus)).returncode == 0
    assert run(data, "index", "build").returncode == 0
    batch = write_jsonl(tmp_path / "batch.jsonl", 300, start=50_000)
    assert run(data, "import", str(batch)).returncode == 0
    first, second = start(data, "index", "update"), start(data, "index", "update")
    outcomes = []
    for proc in (first, second):
        out, err = proc.communicate(timeout=120)
        outcomes.append((proc.returncode, out + err))
    for code, output in outcomes:
        assert code == 0 or "Another Warta process is" in output, output
    assert any(code == 0 for code, _ in outcomes)
    assert index_docs(data) == CORPUS + 300


def test_import_during_rebuild_is_indexed_by_the_next_update(tmp_path, corpus):
    """Another process imports while a rebuild runs: after the rebuild has read the
    store's change number (its first progress report), before it switches."""
    data, link = tmp_path / "data", index_path(tmp_path / "data")
    batch = write_jsonl(tmp_path / "during.jsonl", 100, start=70_000)
    imports = []

    def import_during_the_build(articles: int) -> None:
        if not imports:
            imports.append(run(data, "import", str(batch)))

    with Store.open(data) as store:
        store.upsert_many(a for a in read_path(corpus) if isinstance(a, Article))
        build_index(store, link)
        report = build_index(store, link, import_during_the_build)
        assert [done.returncode for done in imports] == [0], "the import ran mid-build"
        assert (store.count(), report.indexed) == (CORPUS + 100, CORPUS)
        stats = index_stats(store, link)
        assert (stats["not_indexed"], stats["pending_changes"]) == (100, 100)
        assert update_index(store, link).indexed == 100
        stats = index_stats(store, link)
    assert (stats["not_indexed"], stats["missing_from_store"], stats["pending_changes"]) == (
        0,
        0,
        0,
    )
    assert index_docs(data) == CORPUS + 100
