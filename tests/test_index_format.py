"""An index from another Warta version is refused with a sentence, then rebuilt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.build import STATE_FILE, index_path, open_index
from index.errors import IndexOutdatedError
from index.schema import INDEX_FORMAT
from web import create_app


def generation(data_dir: Path) -> Path:
    return index_path(data_dir).resolve()


def age_index(data_dir: Path) -> None:
    """Make the index look as if an older Warta wrote it."""
    state_file = generation(data_dir) / STATE_FILE
    state = json.loads(state_file.read_text())
    state["format"] = INDEX_FORMAT - 1
    state_file.write_text(json.dumps(state))


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
    state = json.loads((generation(indexed_data_dir) / STATE_FILE).read_text())
    assert state["format"] == INDEX_FORMAT
