"""An index from another Warta version is refused with a sentence, then rebuilt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index import IndexOutdatedError, index_path, open_index
from index.generations import MANIFEST_FILE
from index.schema import INDEX_FORMAT
from web import create_app


def generation(data_dir: Path) -> Path:
    return index_path(data_dir).resolve()


def age_index(data_dir: Path) -> None:
    """Make the index look as if an older Warta wrote it."""
    manifest_file = generation(data_dir) / MANIFEST_FILE
    manifest = json.loads(manifest_file.read_text())
    manifest["format"] = INDEX_FORMAT - 1
    manifest_file.write_text(json.dumps(manifest))


def break_schema(data_dir: Path) -> None:
    """Corrupt the pickled schema in the table of contents, as a crash or an old version would."""
    for toc in generation(data_dir).glob("_MAIN_*.toc"):
        toc.write_bytes(toc.read_bytes()[:40])


@pytest.mark.parametrize("damage", [age_index, break_schema])
def test_unreadable_index_asks_for_a_rebuild_everywhere(indexed_data_dir, invoke, damage):
    damage(indexed_data_dir)
    with pytest.raises(IndexOutdatedError, match="Run `warta index build`"):
        open_index(index_path(indexed_data_dir))
    result = invoke("search", "banjir", expect=1)
    assert "written by another version of Warta" in result.output
    assert "Traceback" not in result.output
    assert "Run `warta index build`" in invoke("index", "update", expect=1).output
    client = create_app({"TESTING": True, "DATA_DIR": str(indexed_data_dir)}).test_client()
    assert client.get("/api/search?q=banjir").status_code == 503
    assert client.get("/health").status_code == 503
    invoke("index", "build")
    out = json.loads(invoke("search", "--json", "banjir").output)
    assert out["total"] == 1


def test_fresh_index_records_its_format(indexed_data_dir):
    manifest = json.loads((generation(indexed_data_dir) / MANIFEST_FILE).read_text())
    assert manifest["format"] == INDEX_FORMAT


def test_a_damaged_index_asks_for_a_rebuild_and_keeps_the_cause(indexed_data_dir):
    break_schema(indexed_data_dir)
    with pytest.raises(IndexOutdatedError) as raised:
        open_index(index_path(indexed_data_dir))
    cause = raised.value.__cause__
    assert cause is not None and not isinstance(cause, OSError)


def test_an_error_of_the_file_system_is_not_called_an_old_index(indexed_data_dir):
    """Rebuilding would not mend it: it surfaces as what it is."""
    for toc in generation(indexed_data_dir).glob("_MAIN_*.toc"):
        toc.unlink()
        toc.mkdir()
    with pytest.raises(IsADirectoryError):
        open_index(index_path(indexed_data_dir))
