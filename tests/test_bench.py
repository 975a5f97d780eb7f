"""The benchmark tooling in bench/: query sets, the scale generator, and one real pass.

The end-to-end test drives the installed `warta` command and a real
`warta serve` on loopback, as the benchmarks do, on an archive generated from
the sample articles in examples/seeds (no ../shared needed).
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import harness  # noqa: E402
import queries  # noqa: E402
import scale_archive  # noqa: E402
from server import Server, time_sequential  # noqa: E402

SEEDS = Path(__file__).resolve().parent.parent / "examples" / "seeds"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """The five sample articles as a JSON Lines archive (title: first line)."""
    path = tmp_path / "corpus.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for n, seed in enumerate(sorted(SEEDS.glob("*.txt"))):
            title, _, body = seed.read_text(encoding="utf-8").strip().partition("\n")
            record = {"id": f"seed-{n}", "title": title, "body": body.strip(), "date": "2024-11-18"}
            f.write(json.dumps(record) + "\n")
    return path


def _runs(text: str, n: int) -> set[tuple[str, ...]]:
    words = text.split()
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _records(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.mark.parametrize(
    ("title", "words", "opening"),
    [
        ("Banjir Melanda Bekasi, Warga Mengungsi", 2, "banjir melanda"),
        ("KPU: Hasil Pemilu 2024 Ditetapkan", 3, "kpu hasil pemilu"),
        ("Sekutu-sekutu Kyiv khawatir", 2, "sekutu-sekutu kyiv"),
        ("Singkat", 2, None),
    ],
)
def test_title_opening(title, words, opening):
    assert queries.title_opening(title, words) == opening


def test_query_sets_never_hand_out_a_query_twice():
    titles = [f"Judul nomor {n} tentang banjir" for n in range(300)] + ["Banjir Jakarta"] * 5
    pool = queries.keyword_pool(titles)
    assert len(pool) == len(set(pool))
    assert "banjir jakarta" not in pool  # reserved for warm-up and load mixes
    sets = queries.QuerySets(pool, [f"Apa {n}?" for n in range(100)])
    first, mixed = sets.take("keyword", 50), sets.mixed(100)
    assert sorted(kind for kind, _ in mixed).count("question") == 50
    sent = first + [q for _, q in mixed]
    assert len(sent) == len(set(sent)) == 150
    with pytest.raises(SystemExit, match="Only 50 question queries are left"):
        sets.take("question", 51)


def test_percentiles_nearest_rank():
    figures = harness.percentiles([float(n) for n in range(1, 101)])
    assert figures == {"n": 100, "p50": 50.5, "p95": 95.0, "p99": 99.0}
    assert harness.percentiles([])["p95"] is None


def test_tree_memory_sees_a_child_process():
    code = "import time; b = b'x' * (80 * 2**20); time.sleep(1.5)"
    timed = harness.run_timed([sys.executable, "-c", code], memory=True)
    assert timed.peak_rss_mb >= 80
    assert timed.peak_pss_mb >= 80


def test_generated_articles_mix_corpus_words_without_copying_runs(corpus, tmp_path):
    described = scale_archive.generate([corpus], 4, seed=3, folder=tmp_path / "x", update=3)
    corpus_records = _records(corpus)
    generated = _records(tmp_path / "x" / "source" / "part-000.jsonl.gz")
    assert described["articles"] == len(generated) == 4 * len(corpus_records)
    assert len(_records(tmp_path / "x" / "update.jsonl.gz")) == 3
    vocabulary = {w for r in corpus_records for w in r["body"].split()}
    for record in generated:  # the corpus's words, in runs no other article repeats
        assert set(record["body"].split()) <= vocabulary
    runs = [_runs(r["body"], 8) for r in generated]
    assert all(not (a & b) for n, a in enumerate(runs) for b in runs[n + 1 :])
    assert len({r["id"] for r in generated}) == len({r["title"] for r in generated}) == 20
    again = scale_archive.generate([corpus], 4, seed=3, folder=tmp_path / "x", update=3)
    assert again == described  # reused, not written again


def test_one_pass_through_the_real_commands(corpus, tmp_path):
    """Import, build, stats, a fresh server and first-seen queries, as the benchmarks run them."""
    scale_archive.generate([corpus], 2, seed=3, folder=tmp_path / "x", update=3)
    data = tmp_path / "data"
    harness.warta(data, "import", str(tmp_path / "x" / "source"))
    built = harness.warta(data, "index", "build", memory=True)
    assert harness.duplicates_reported(built.stdout) is not None, built.stdout
    assert built.peak_pss_mb > 0
    assert harness.index_stats(data)["documents"] == 10
    assert harness.warm_os_cache(data) > 0
    with Server(data, workers=2, threads=2, log=tmp_path / "serve.log") as server:
        server.warm_up(rounds=2)
        figures = time_sequential(server, [("keyword", "pasukan korea"), ("question", "Siapa?")])
        assert len(server.uss_mb()) == 2
    assert figures["errors"] == 0, figures["problems"]
    assert figures["keyword"]["n"] == figures["question"]["n"] == 1


def test_a_missing_shared_folder_is_a_sentence(tmp_path):
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import harness; "
        "harness.news_files(harness.Path(sys.argv[2]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(BENCH), str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "needs the project's shared data" in done.stderr


def test_reserved_queries_cover_the_warm_up_and_the_load_mix():
    import load
    import server

    assert set(server.WARM_UP) | set(load.QUERIES) <= queries.RESERVED


def test_cli_start_times_both_trees_and_checks_their_hits(tmp_path):
    """bench/cli_start.py's pass: each query in both trees (here both this checkout),
    `--version` beside them, wall and CPU samples, medians and ratios."""
    import cli_start

    data = tmp_path / "data"
    harness.warta(data, "import", str(SEEDS))
    harness.warta(data, "index", "build")
    env = {**cli_start.os.environ, "PYTHONPATH": str(harness.ROOT)}
    samples = cli_start.measure(data, ["pasukan korea", "rusia"], {"before": env, "after": env})
    assert set(samples) == {"version before", "version after", "search before", "search after"}
    assert all(len(s["wall"]) == len(s["cpu"]) == 2 for s in samples.values())
    assert all(ms > 0 for s in samples.values() for ms in s["wall"])
    summary = cli_start.summary(samples)
    assert summary["wall_ratio_after_before"] > 0
    assert set(summary["cpu_above_floor_ms"]) == {"before", "after"}
