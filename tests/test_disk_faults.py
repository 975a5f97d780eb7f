"""A full disk and a read-only data directory: clear errors, the old index serving.

These mount a tiny tmpfs, so they need root (as in CI); elsewhere they skip.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from index import index_path
from searcher import Searcher

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root"),
    pytest.mark.slow,
]


def mount(path: Path, *options: str) -> None:
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")


@pytest.fixture
def small_fs(tmp_path):
    """A 12 MB file system for the data directory, unmounted afterwards."""
    root = tmp_path / f"fs-{uuid.uuid4().hex[:6]}"
    root.mkdir()
    mount(root, "size=12m")
    yield root
    subprocess.run(["umount", "-l", str(root)], check=False)


def warta(data: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "web.cli", "--quiet", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def articles(path: Path, count: int, prefix: str, words: int = 60) -> Path:
    with path.open("w") as out:
        for n in range(count):
            # Random words: overlapping windows of one sequence would be near-duplicates.
            rng = random.Random(f"{prefix}-{n}")
            body = " ".join(f"kata{rng.randrange(400)}" for _ in range(words))
            out.write(
                json.dumps(
                    {
                        "id": f"{prefix}-{n}",
                        "title": f"Judul {prefix} {n}",
                        "body": f"Banjir melanda Bekasi. {body}",
                    }
                )
                + "\n"
            )
    return path


def fill(root: Path, leave: int) -> None:
    """Fill the file system until about ``leave`` bytes are free."""
    free = os.statvfs(root).f_bavail * os.statvfs(root).f_frsize
    with (root / "ballast").open("wb") as out:
        out.write(b"\0" * max(free - leave, 0))


def assert_old_index_serves(data: Path, expected: int) -> None:
    searcher = Searcher(index_path(data))
    try:
        assert searcher.doc_count == expected
        assert searcher.search("banjir bekasi").total == expected
    finally:
        searcher.close()


def test_full_disk_gives_a_sentence_and_keeps_the_old_index(small_fs, tmp_path):
    data = small_fs / "data"
    assert warta(data, "import", str(articles(tmp_path / "a.jsonl", 60, "a"))).returncode == 0
    assert warta(data, "index", "build").returncode == 0
    fill(small_fs, leave=64 * 1024)
    big = articles(tmp_path / "b.jsonl", 600, "b", words=120)
    imported = warta(data, "import", str(big))
    assert imported.returncode == 1
    assert "disk" in imported.stderr.lower() and "full" in imported.stderr.lower()
    assert "Traceback" not in imported.stderr
    rebuilt = warta(data, "index", "build")
    assert rebuilt.returncode in (0, 1)
    assert "Traceback" not in rebuilt.stderr
    assert_old_index_serves(data, 60)
    assert len(list((data / "index.d").iterdir())) == 1
    (small_fs / "ballast").unlink()
    assert warta(data, "import", str(big)).returncode == 0
    updated = warta(data, "index", "update")
    assert updated.returncode == 0, updated.stderr
    assert_old_index_serves(data, 660)


def test_read_only_data_dir_gives_a_sentence_and_search_still_works(small_fs, tmp_path):
    data = small_fs / "data"
    assert warta(data, "import", str(articles(tmp_path / "a.jsonl", 20, "a"))).returncode == 0
    assert warta(data, "index", "build").returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    imported = warta(data, "import", str(articles(tmp_path / "c.jsonl", 5, "c")))
    assert imported.returncode == 1
    assert "read-only" in imported.stderr.lower()
    assert "Traceback" not in imported.stderr
    updated = warta(data, "index", "update")
    assert updated.returncode == 1 and "Traceback" not in updated.stderr
    searched = warta(data, "search", "--json", "banjir")
    assert searched.returncode == 0, searched.stderr
    assert json.loads(searched.stdout)["total"] == 20
