"""Broken and hostile input files: reported and skipped, the rest goes on."""

from __future__ import annotations

import gzip
import json
import resource
import zlib

import pytest

from crawler.store import Store

GOOD = {"id": "good-1", "title": "Banjir di Bekasi", "body": "Banjir melanda Bekasi."}


def good_line(n: int = 1) -> str:
    return json.dumps({**GOOD, "id": f"good-{n}"}) + "\n"


def stored_ids(data_dir) -> set[str]:
    with Store.open(data_dir) as store:
        return store.ids()


def test_binary_file_with_text_extension_is_rejected(invoke, tmp_path, data_dir):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "photo.txt").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "in" / "ok.jsonl").write_text(good_line())
    result = invoke("import", str(tmp_path / "in"))
    assert "photo.txt" in result.output and "1 added" in result.output
    assert stored_ids(data_dir) == {"good-1"}


def test_invalid_utf8_text_is_imported_readably(invoke, tmp_path, data_dir):
    path = tmp_path / "latin.txt"
    path.write_bytes(b"Harga cabai naik di pasar Kramat Jati, kata pedagang." + b"\xff\xfe caf\xe9")
    invoke("import", str(path))
    with Store.open(data_dir) as store:
        body = store.get("latin").body
    assert body.startswith("Harga cabai naik")
    body.encode("utf-8")


def test_jsonl_with_broken_lines_keeps_the_good_ones(invoke, tmp_path, data_dir):
    path = tmp_path / "mixed.jsonl"
    lines = [
        good_line(1),
        "{not json\n",
        "[1, 2]\n",
        "\x00\x01\x02\n",
        json.dumps({"id": "no-body"}) + "\n",
        good_line(2),
        b"\xff\xfe\n".decode("latin-1"),
        good_line(3),
    ]
    path.write_text("".join(lines), encoding="utf-8")
    result = invoke("import", str(path))
    assert stored_ids(data_dir) == {"good-1", "good-2", "good-3"}
    for line_number in (2, 3, 4, 5):
        assert f"mixed.jsonl:{line_number}" in result.output


def test_gzip_bomb_is_refused_without_eating_memory(invoke, tmp_path, data_dir):
    path = tmp_path / "bomb.jsonl.gz"
    chunk = b"A" * (1 << 20)
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(good_line(1).encode())
        out.write(b'{"id": "huge", "body": "')
        for _ in range(1024):  # 1 GiB of one endless line, ~1 MB on disk
            out.write(chunk)
        out.write(b'"}\n')
        out.write(good_line(2).encode())
    assert path.stat().st_size < 5 * 2**20
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = invoke("import", str(path))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert "bomb.jsonl.gz:2" in result.output
    assert stored_ids(data_dir) == {"good-1", "good-2"}
    assert grown_mb < 300, f"importing a gzip bomb grew memory by {grown_mb:.0f} MB"


def test_truncated_gzip_keeps_what_was_readable(invoke, tmp_path, data_dir):
    path = tmp_path / "cut.jsonl.gz"
    data = gzip.compress("".join(good_line(n) for n in range(1, 200)).encode())
    path.write_bytes(data[: len(data) // 2])
    result = invoke("import", str(path))
    assert "cut.jsonl.gz" in result.output
    assert 0 < len(stored_ids(data_dir)) < 199


def test_file_that_is_not_what_its_extension_says(invoke, tmp_path, data_dir):
    fake_gz = tmp_path / "plain.jsonl.gz"
    fake_gz.write_text(good_line(1))
    not_jsonl = tmp_path / "zipped.jsonl"
    not_jsonl.write_bytes(zlib.compress(b"x" * 1000))
    result = invoke("import", str(fake_gz), str(not_jsonl))
    assert "plain.jsonl.gz" in result.output and "zipped.jsonl" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", ["huge.txt", "huge.html"])
def test_oversized_file_is_rejected(invoke, tmp_path, data_dir, name):
    path = tmp_path / name
    with path.open("wb") as out:
        out.truncate(51 * 2**20)
    (tmp_path / "ok.jsonl").write_text(good_line())
    result = invoke("import", str(path), str(tmp_path / "ok.jsonl"))
    assert name in result.output
    assert stored_ids(data_dir) == {"good-1"}
