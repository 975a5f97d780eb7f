"""A generation's per-document tables are numpy arrays read from the column bytes
(searcher/columns.py) and hold what the stored fields say, after builds and updates."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.filedb.filestore import RamStorage

from crawler import Store
from index import build_index, index_path, update_index
from searcher import Searcher
from searcher.columns import _coded, _var_bytes, _VarBytesArrays, coded_column, numeric_column
from searcher.docsets import _groups, bits_of
from searcher.postings import _length_bytes, segment_lengths
from tests.conftest import SMALL_ARTICLES


def _shared(fields: list[dict], name: str) -> dict[str, list[int]]:
    """Value → documents, for the values of ``name`` two or more documents hold."""
    found: dict[str, list[int]] = {}
    for docnum, f in enumerate(fields):
        if f.get(name):
            found.setdefault(f[name], []).append(docnum)
    return {value: docs for value, docs in found.items() if len(docs) > 1}


def _check_against_stored_fields(searcher: Searcher) -> None:
    pipeline = searcher.generations.current
    docsets, reader = pipeline.docsets, pipeline.searcher.reader()
    fields = [reader.stored_fields(d) for d in range(reader.doc_count_all())]
    live = set(reader.all_doc_ids())
    assert docsets.live == bits_of(sorted(live), docsets.size)
    assert docsets.groups == _shared(fields, "dup")
    assert docsets.stories == _shared(fields, "story")
    for name in ("source", "month"):
        values = {f[name] for f in fields if f.get(name)}
        expected = {
            v: bits_of([d for d in live if fields[d].get(name) == v], docsets.size) for v in values
        }
        assert {v: b for v, b in docsets.facets[name].items() if b} == {
            v: b for v, b in expected.items() if b
        }
    for docnum, f in enumerate(fields):
        shared = f["dup"] in docsets.groups
        assert docsets.dup_key(docnum) == (f["dup"] if shared else None)
        assert docsets.story_sources([docnum]) == ([f["source"]] if f.get("source") else [])
    dated = {d for d in range(len(fields)) if fields[d].get("published")}
    assert set(docsets._dated_docs.tolist()) == dated
    # No table of one Python object a document: numpy arrays only.
    per_document = [
        name
        for name, value in vars(docsets).items()
        if isinstance(value, list) and len(value) == docsets.size
    ]
    assert per_document == []
    assert docsets._group_codes.dtype == np.int32 and docsets._source_codes.dtype == np.int32


def test_tables_hold_the_stored_fields_after_an_update_and_a_rebuild(indexed_data_dir):
    searcher = Searcher(index_path(indexed_data_dir))
    try:
        _check_against_stored_fields(searcher)
        assert searcher.generations.current.docsets.groups, "the seeds 000 and 002 are copies"
        copy = replace(
            SMALL_ARTICLES[0], id="bekasi-banjir-salinan", source="Tempo", url="https://t.test/b"
        )
        with Store.open(indexed_data_dir) as store:
            store.upsert(copy)  # in a new segment
            store.delete("pemilu-2024")
            update_index(store, index_path(indexed_data_dir))
        searcher.refresh()
        assert searcher.generations.current.searcher.reader().has_deletions()
        _check_against_stored_fields(searcher)
        found = searcher.search("banjir bekasi", source="Tempo")
        assert [h.id for h in found.hits] == ["bekasi-banjir-salinan"]
        with Store.open(indexed_data_dir) as store:
            build_index(store, index_path(indexed_data_dir))
        searcher.refresh()
        _check_against_stored_fields(searcher)
    finally:
        searcher.close()


def test_columns_read_from_their_bytes_equal_whooshs_values(indexed_data_dir):
    undated = replace(SMALL_ARTICLES[1], id="tanpa-tanggal", url="https://t.test/t", published=None)
    with Store.open(indexed_data_dir) as store:
        store.upsert(undated)  # in a new segment, which keeps no column of dates
        update_index(store, index_path(indexed_data_dir))
    searcher = Searcher(index_path(indexed_data_dir))
    try:
        reader = searcher.generations.current.searcher.reader()
        kept = {leaf.has_column("month") for leaf, _ in reader.leaf_readers()}
        assert kept == {True, False}, "a segment without the column, and one with it"
        for name in ("dup", "story", "source", "month"):
            # Segment by segment: Whoosh's whole-index reader leaves out the documents
            # of a segment without the column.
            expected = [
                v or b""
                for leaf, _ in reader.leaf_readers()
                for v in leaf.column_reader(name, translate=False)
            ]
            coded = coded_column(reader, name)
            assert [bytes(coded.values[c]) for c in coded.codes] == expected
            assert list(coded.values) == sorted(set(coded.values)), "sorted, distinct"
        expected = [
            int(v)
            for leaf, _ in reader.leaf_readers()
            for v in leaf.column_reader("local_time", translate=False)
        ]
        got = numeric_column(reader, "local_time").tolist()
        # Whoosh's unsigned "no date" default wraps to a negative number here.
        assert [g if g >= 0 else None for g in got] == [e if e < 2**63 else None for e in expected]
    finally:
        searcher.close()


def test_field_lengths_read_from_their_bytes_equal_whooshs(indexed_data_dir):
    """Each scored field's length column, read at once (``postings.segment_lengths``),
    holds what Whoosh gives one document at a time, in every segment."""
    with Store.open(indexed_data_dir) as store:
        store.upsert(replace(SMALL_ARTICLES[0], id="salinan", url="https://t.test/salinan"))
        update_index(store, index_path(indexed_data_dir))
    searcher = Searcher(index_path(indexed_data_dir))
    try:
        reader = searcher.generations.current.searcher.reader()
        assert len(reader.leaf_readers()) >= 2, "the build's segments and the update's"
        for segment, _ in reader.leaf_readers():
            for field in ("title", "body", "title_exact", "body_exact"):
                expected = [
                    segment.doc_field_length(d, field) or 0 for d in range(segment.doc_count_all())
                ]
                assert segment_lengths(segment, field).tolist() == expected
    finally:
        searcher.close()


def test_length_bytes_past_the_written_ones_are_the_default():
    """Whoosh writes no byte for trailing documents of default length (0)."""
    storage = RamStorage()
    with storage.create_file("lengths") as f:
        writer = LENGTHS_COLUMN.writer(f)
        writer.add(0, 3)
        writer.add(2, 7)
        writer.finish(5)
        size = f.tell()
    column = LENGTHS_COLUMN.reader(storage.open_file("lengths"), 0, size, 5)
    assert column._count == 3
    assert _length_bytes(column, 5).tolist() == list(column) == [3, 0, 7, 0, 0]


@given(st.lists(st.binary(max_size=6).map(lambda b: b.replace(b"\0", b"")), max_size=40))
@settings(max_examples=200, deadline=None)
def test_coding_a_column_is_numpys_unique(values):
    joined = np.array(values, dtype="S6")
    expected_values, expected_codes = np.unique(joined, return_inverse=True)
    coded = _coded(joined)
    assert coded.values.tolist() == expected_values.tolist()
    assert coded.codes.tolist() == expected_codes.ravel().tolist()
    assert coded.codes.dtype == np.int32


@given(st.lists(st.integers(-1, 5), max_size=40))
def test_groups_list_each_codes_documents_in_order(codes):
    expected: dict[int, list[int]] = {}
    for docnum, code in enumerate(codes):
        if code >= 0:
            expected.setdefault(code, []).append(docnum)
    found = _groups(np.array(codes, np.int32))
    assert found == expected and list(found) == sorted(expected)


@pytest.mark.parametrize("offsets", [[0, 2, 2, 5], [4, 0, 9, 1]])
def test_var_bytes_copies_each_value_to_its_row(offsets):
    """Values one after another (as Whoosh writes them), or anywhere in the data."""
    values = [b"ab", b"", b"cde", b"f"]
    data = bytearray(12)
    for value, at in zip(values, offsets, strict=True):
        data[at : at + len(value)] = value
    storage = RamStorage()
    with storage.create_file("column") as f:
        f.write(bytes(data))
    column = _VarBytesArrays(
        storage.open_file("column"),
        0,
        np.array([len(v) for v in values], np.int64),
        np.array(offsets, np.int64),
    )
    assert _var_bytes(column, 4).tolist() == values
