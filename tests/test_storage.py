"""Readers map segment files instead of copying them (index/storage.py), and stem
query and snippet words through the persisted stem cache (index/stems.py)."""

from __future__ import annotations

import mmap
import threading

from whoosh import index as whoosh_index

from crawler import Store
from index import build_index, index_path, open_index
from index.stems import StemCache, stem_cache_path
from index.storage import MappedFile, MappedView
from searcher import Searcher


def _segment_files(reader) -> list[MappedFile]:
    """The compound file each segment reader of ``reader`` opened."""
    return [leaf._storage.a._file for leaf, _ in reader.leaf_readers()]


def test_opening_an_index_maps_its_segments_without_copying(indexed_data_dir):
    with open_index(index_path(indexed_data_dir)).reader() as reader:
        files = _segment_files(reader)
        assert files and all(isinstance(f, MappedFile) for f in files)
        assert all(isinstance(f.source, mmap.mmap) for f in files)
        leaf = reader.leaf_readers()[0][0]
        postings = leaf._storage.open_file(leaf._segment.make_filename(".pst"))
        assert isinstance(postings, MappedView)
        assert postings._buf.obj is files[0].source, "a view of the map, not a copy"
        postings.close()


def test_mapped_readers_find_what_whoosh_copies_find(indexed_data_dir):
    target = index_path(indexed_data_dir).resolve()
    with whoosh_index.open_dir(target).reader() as copied:
        expected = sorted((f, t) for f, t in copied.all_terms())
        stored = list(copied.all_stored_fields())
    with open_index(target).reader() as mapped:
        assert sorted((f, t) for f, t in mapped.all_terms()) == expected
        assert list(mapped.all_stored_fields()) == stored


def test_views_keep_their_own_position_across_threads(indexed_data_dir):
    with open_index(index_path(indexed_data_dir)).reader() as reader:
        whole = _segment_files(reader)[0]
        expected = bytes(whole._buf[:4096])
        results: list[bytes] = []

        def read_all():
            view = whole.subset(0, len(expected))
            results.append(b"".join(view.read(7) for _ in range(0, len(expected), 7)))
            view.close()

        threads = [threading.Thread(target=read_all) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [expected] * 8


def test_a_retired_generation_reads_after_deletion_and_unmaps_when_closed(indexed_data_dir):
    searcher = Searcher(index_path(indexed_data_dir), retire_after=3600)
    try:
        old = searcher.generations.current
        maps = [f.source for f in _segment_files(old.searcher.reader())]
        with Store.open(indexed_data_dir) as store:
            build_index(store, index_path(indexed_data_dir))  # deletes the old generation
            searcher.refresh()
            assert old.searcher.stored_fields(0)["id"], "the deleted generation still reads"
            assert not any(m.closed for m in maps)
            searcher.generations.retire_after = 0.0
            build_index(store, index_path(indexed_data_dir))
            searcher.refresh()
        assert old.searcher.is_closed
        assert all(m.closed for m in maps), "closing the reader unmaps its segments"
    finally:
        searcher.close()


def _query_terms(index, text: str) -> list[str]:
    return [t.text for t in index.schema["body"].analyzer(text, mode="query")]


def test_query_stems_come_from_the_persisted_stem_cache(indexed_data_dir):
    link = index_path(indexed_data_dir)
    with StemCache(stem_cache_path(link)) as cache:
        assert len(cache) > 0, "the build persisted the archive's stems"
        cache.add({"pengirimanxyz": "kirim"})  # a stem Sastrawi would not find
    index = open_index(link)
    assert _query_terms(index, "Pengirimanxyz") == ["kirim"]
    with index.searcher() as searcher:  # every searcher shares the schema's filters
        assert [t.text for t in searcher.schema["body"].analyzer("pengirimanxyz")] == ["kirim"]


def test_a_stem_cache_of_another_sastrawi_version_is_not_used(indexed_data_dir):
    link = index_path(indexed_data_dir)
    with StemCache(stem_cache_path(link)) as cache:
        cache.add({"pengirimanxyz": "kirim"})
        cache.db.execute("UPDATE meta SET value = 'other' WHERE key = 'sastrawi'")
    assert _query_terms(open_index(link), "pengirimanxyz") == ["pengirimanxyz"]
    assert _query_terms(open_index(link), "pengiriman") == ["kirim"]


def mapped_kb(folder) -> int:
    """KB of this process's memory mapped from the files of ``folder`` (smaps' Rss)."""
    folder, total, inside = str(folder), 0, False
    with open("/proc/self/smaps") as f:
        for line in f:
            head, *rest = line.split()
            if not head.endswith(":") or "-" in head:  # a mapping's first line
                inside = len(rest) > 4 and rest[4].startswith(folder)
            elif inside and head == "Rss:":
                total += int(rest[0])
    return total


def test_released_pages_leave_the_process_and_read_the_same_again(indexed_data_dir):
    target = index_path(indexed_data_dir).resolve()
    index = open_index(target)
    with index.reader() as reader:
        stored = list(reader.all_stored_fields())
        terms = sorted(reader.all_terms())
        assert mapped_kb(target) > 0, "reading mapped the segments' pages"
        index.storage.release()
        assert mapped_kb(target) == 0, "released: no page of the segments is mapped"
        assert list(reader.all_stored_fields()) == stored
        assert sorted(reader.all_terms()) == terms
        view = _segment_files(reader)[0].subset(100, 9000)
        expected = view.get(0, 9000)
        view.release(0, 9000)
        assert view.get(0, 9000) == expected
    index.storage.release()  # the maps are closed: nothing to release, no error
