"""The Whoosh index: rebuild, update, duplicates, stats, locking, stem cache."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import whoosh.reading
from whoosh.query import Phrase, Term
from whoosh.writing import MERGE_SMALL

from crawler.article import Article
from crawler.importer import read_path
from crawler.store import Store
from index import (
    IndexLockedError,
    WartaIndexError,
    analysis,
    build,
    build_index,
    fingerprints,
    generations,
    index_path,
    index_stats,
    merging,
    open_index,
    update,
    update_index,
    workers,
)
from index.analysis import Stemmer
from index.build import _known_signatures
from index.dedup import DuplicateGroups, analysis_key, protected_words
from index.stems import StemCache, StemReader, stem_cache_path

SEEDS = Path(__file__).resolve().parent.parent / "examples" / "seeds"
SEED_000 = "000_141db1f0c8dcb74e"
SEED_002 = "002_6247ad75e0456af4"

BANJIR = Article(
    id="bekasi-banjir",
    title="Banjir melanda Bekasi",
    body="Banjir besar melanda Kota Bekasi pada Senin pagi. Warga mengungsi ke masjid di ibu kota.",
    source="Kompas",
    published="2024-11-14T10:30:00+07:00",
)


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "data") as store:
        for path in sorted(SEEDS.glob("*.txt")):
            store.upsert_many(a for a in read_path(path) if isinstance(a, Article))
        store.upsert_many([BANJIR])
        yield store


@pytest.fixture
def link(store, tmp_path):
    link = index_path(tmp_path / "data")
    build_index(store, link)
    return link


def stored(link: Path) -> dict[str, dict]:
    with open_index(link).searcher() as searcher:
        return {fields["id"]: fields for fields in searcher.all_stored_fields()}


def hits(link: Path, query) -> list[str]:
    with open_index(link).searcher() as searcher:
        return sorted(hit["id"] for hit in searcher.search(query, limit=None))


def test_build_indexes_every_article(store, link):
    report = build_index(store, link)
    assert report.indexed == 6
    stats = index_stats(store, link)
    assert stats["documents"] == 6
    assert (stats["not_indexed"], stats["missing_from_store"], stats["pending_changes"]) == (
        0,
        0,
        0,
    )
    assert stats["terms"] > 1000
    assert stats["size_bytes"] > 0
    assert stats["segments"] >= 1
    assert stats["last_update"] == stats["built"]


def test_stemmed_and_exact_fields(link):
    assert hits(link, Term("body", "kirim")) == hits(link, Term("body", "kirim"))
    assert "bekasi-banjir" in hits(link, Term("body", "bekasi"))
    assert hits(link, Term("body", "bekas")) == []
    assert hits(link, Term("body_exact", "mengungsi")) == ["bekasi-banjir"]
    assert hits(link, Term("body", "ungsi")) == ["bekasi-banjir"]
    assert hits(link, Phrase("body_exact", ["ibu", "kota"])) == ["bekasi-banjir"]
    assert hits(link, Term("title_exact", "banjir")) == ["bekasi-banjir"]


def test_syndicated_seeds_share_a_duplicate_group(link):
    groups = {article_id: fields["dup"] for article_id, fields in stored(link).items()}
    assert groups[SEED_002] == groups[SEED_000] == SEED_000
    others = {i: g for i, g in groups.items() if i not in (SEED_000, SEED_002)}
    assert others == {i: i for i in others}


def test_rebuild_while_a_reader_is_open(store, link):
    reader = open_index(link).searcher()
    old_generation = link.resolve()
    store.upsert_many([dataclasses.replace(BANJIR, id="baru", title="Artikel baru")])
    build_index(store, link)
    assert reader.doc_count() == 6
    assert len(list(reader.all_stored_fields())) == 6
    assert len(reader.search(Term("body", "bekasi"))) == 1
    assert link.resolve() != old_generation
    assert list(link.resolve().parent.iterdir()) == [link.resolve()]
    assert open_index(link).doc_count() == 7
    reader.close()


def force_writing(link: Path) -> None:
    """Make the next rebuild write its segments (nothing changed: it would link them)."""
    (link.resolve() / fingerprints.FINGERPRINT_FILE).unlink()


def test_a_failed_build_leaves_the_old_index_serving(store, link, monkeypatch):
    before = link.resolve()

    def broken(*args):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(workers, "segments_task", broken)
    monkeypatch.setattr(build, "segments_task", broken)
    force_writing(link)
    with pytest.raises(RuntimeError, match="disk on fire"):
        build_index(store, link)
    assert link.resolve() == before
    assert list(before.parent.iterdir()) == [before]
    assert open_index(link).doc_count() == 6


def test_a_failure_in_the_worker_process_is_a_sentence_and_its_traceback_is_logged(
    store, link, monkeypatch, caplog
):
    def broken_in_the_worker(shard, *args):
        if shard.number == 1:
            raise OSError("No space left on device")
        return workers.segments_task(shard, *args)

    monkeypatch.setattr(build, "segments_task", broken_in_the_worker)
    force_writing(link)
    with pytest.raises(
        WartaIndexError,
        match=r"^Indexing failed in the worker process \(OSError: No space left on device\)\. "
        r"The old index still serves\.$",
    ) as raised:
        build_index(store, link)
    assert open_index(link).doc_count() == 6
    cause = raised.value.__cause__
    assert isinstance(cause, workers.WorkerFailure)
    assert "Traceback" in str(cause) and "in broken_in_the_worker" in str(cause)
    [record] = [r for r in caplog.records if r.name == "index.workers"]
    assert record.levelname == "ERROR"
    assert 'raise OSError("No space left on device")' in record.getMessage()


def test_update_after_add_change_and_delete(store, link):
    store.upsert_many(
        [dataclasses.replace(BANJIR, id="gempa", title="Gempa", body="Gempa di Cianjur.")]
    )
    store.upsert_many([dataclasses.replace(BANJIR, body="Banjir surut di Bekasi. Warga pulang.")])
    store.delete("004_2217b1388aee775f")
    report = update_index(store, link)
    assert (report.indexed, report.deleted) == (2, 1)
    docs = stored(link)
    assert sorted(docs) == sorted(store.ids())
    assert docs["bekasi-banjir"]["body"].startswith("Banjir surut")
    assert hits(link, Term("body", "surut")) == ["bekasi-banjir"]
    assert hits(link, Term("body", "ungsi")) == []
    assert hits(link, Term("body", "gempa")) == ["gempa"]
    stats = index_stats(store, link)
    assert (stats["documents"], stats["not_indexed"], stats["missing_from_store"]) == (6, 0, 0)
    assert stats["pending_changes"] == 0
    assert update_index(store, link).indexed == 0


def test_update_puts_a_new_copy_in_its_group(store, link):
    copy = dataclasses.replace(store.get(SEED_000), id="zz-copy", url="https://contoh.test/copy")
    store.upsert_many([copy])
    update_index(store, link)
    assert stored(link)["zz-copy"]["dup"] == SEED_000


def test_update_regroups_when_a_group_first_article_changes(store, link):
    store.upsert_many([dataclasses.replace(store.get(SEED_000), body=BANJIR.body)])
    update_index(store, link)
    groups = {article_id: fields["dup"] for article_id, fields in stored(link).items()}
    assert groups[SEED_002] == SEED_002
    assert groups[SEED_000] in (SEED_000, "bekasi-banjir")


def test_segments_are_merged_when_they_pile_up(store, link, monkeypatch):
    monkeypatch.setattr(merging, "MAX_SEGMENTS", 3)
    for n in range(4):
        store.upsert_many([dataclasses.replace(BANJIR, id=f"tambahan-{n}")])
        update_index(store, link)
        assert index_stats(store, link)["segments"] <= 3
    assert open_index(link).doc_count() == 10


def test_a_second_writer_waits_then_fails_with_a_sentence(store, link):
    with generations.exclusive(link, 1.0):
        with pytest.raises(IndexLockedError, match=r"Another Warta process .* waited 0 s\. Try"):
            update_index(store, link, lock_timeout=0.2)
        with pytest.raises(IndexLockedError, match="Another Warta process is building"):
            build_index(store, link, lock_timeout=0.2)
    assert len(list(link.resolve().parent.iterdir())) == 1, "the waiting build made nothing"


def test_a_held_whoosh_writer_also_gives_the_sentence(store, link):
    writer = open_index(link).writer()
    try:
        store.upsert_many([dataclasses.replace(BANJIR, id="baru")])
        with pytest.raises(IndexLockedError, match="Try again when it has finished"):
            update_index(store, link, lock_timeout=0.2)
    finally:
        writer.cancel()
    assert update_index(store, link).indexed == 1


def test_the_stem_cache_is_persisted_and_reused(store, link, monkeypatch):
    with StemCache(stem_cache_path(link)) as cache:
        assert cache.get("pengiriman") == "kirim"
        assert len(cache) > 500
    monkeypatch.setattr(analysis, "_sastrawi", lambda: pytest.fail("Sastrawi was called"))
    report = build_index(store, link)  # the forked worker would fail too
    assert report.new_stems == 0
    assert hits(link, Term("body", "kirim")) != []


def test_an_update_stems_only_new_words_and_remembers_them(store, link):
    store.upsert_many([dataclasses.replace(BANJIR, id="baru", body="Pemerintah menyelenggarakan.")])
    report = update_index(store, link)
    assert report.new_stems == 1
    with StemCache(stem_cache_path(link)) as cache:
        assert cache.get("menyelenggarakan") == "selenggara"


def test_protected_words_travel_with_the_index(store, tmp_path):
    link = index_path(tmp_path / "other")
    protected = {**analysis.protected_words(), "banjir": "air"}
    build_index(store, link, protected=protected)
    assert hits(link, Term("body", "air")) == ["bekasi-banjir"]
    field = open_index(link).schema["body"]
    assert [t.text for t in field.analyzer("Banjir", mode="query")] == ["air"]


def test_cli_build_prints_a_summary(indexed_data_dir, invoke):
    result = invoke("index", "build")
    assert "Indexed 7 articles" in result.output
    assert "near-duplicate" in result.output
    result = invoke("index", "stats", "--json")
    assert '"not_indexed": 0' in result.output


# -- a rebuild reuses the signatures of articles unchanged since the last index --


def groups_of(link):
    return {article_id: fields["dup"] for article_id, fields in stored(link).items()}


def test_every_unchanged_article_signature_is_known(store, link):
    known = _known_signatures(link, store, analysis_key())
    assert set(known) == store.ids()
    assert (known[SEED_000][0] == DuplicateGroups.load(link.resolve()).matrix[0]).all()


def test_changed_articles_and_other_analysis_are_not_reused(store, link):
    store.upsert_many([dataclasses.replace(BANJIR, body=BANJIR.body + " Hujan turun lagi.")])
    known = _known_signatures(link, store, analysis_key())
    assert BANJIR.id not in known and SEED_000 in known
    other = {**protected_words(), "banjir": "banjir"}
    assert _known_signatures(link, store, analysis_key(other)) == {}


def test_a_rebuild_after_changes_groups_by_the_new_texts(store, link):
    assert groups_of(link)[SEED_002] == SEED_000
    copy = dataclasses.replace(store.get(SEED_000), id="zz-copy", url="https://contoh.test/copy")
    store.upsert_many([copy, dataclasses.replace(store.get(SEED_000), body=BANJIR.body)])
    build_index(store, link)  # reuses every signature but those two
    groups = groups_of(link)
    assert groups["zz-copy"] == SEED_002  # like 002 now, no longer like the changed 000
    assert groups[SEED_000] in (SEED_000, BANJIR.id)
    again = _known_signatures(link, store, analysis_key())
    assert set(again) == store.ids()


def test_signatures_stay_reusable_after_an_update(store, link):
    store.upsert_many([dataclasses.replace(BANJIR, id="banjir-2", body="Gempa kecil di Cianjur.")])
    update_index(store, link)
    assert set(_known_signatures(link, store, analysis_key())) == store.ids()


# -- an update deletes old versions only of articles the index holds -------------------


def test_an_update_of_new_articles_leaves_every_article_once(store, link):
    new = [
        dataclasses.replace(BANJIR, id=f"baru-{n}", body=f"Berita baru nomor {n}.")
        for n in range(3)
    ]
    store.upsert_many(new)
    update_index(store, link)
    store.upsert_many([dataclasses.replace(new[0], body="Berita baru yang diubah.")])
    update_index(store, link)
    ids = [fields["id"] for fields in open_index(link).searcher().all_stored_fields()]
    assert sorted(ids) == sorted(store.ids())
    assert stored(link)["baru-0"]["body"] == "Berita baru yang diubah."


def test_an_update_redone_after_a_crash_keeps_one_copy(store, link):
    """Killed after its commit but before its state was written, an update is done
    again: the articles it added are in the index though its groups don't list them."""
    gen_dir = link.resolve()
    manifest_before = (gen_dir / generations.MANIFEST_FILE).read_text()
    groups_before = (gen_dir / "dups.pickle").read_bytes()
    store.upsert_many([dataclasses.replace(BANJIR, id="baru", body="Berita baru sekali.")])
    update_index(store, link)
    (gen_dir / generations.MANIFEST_FILE).write_text(manifest_before)  # killed after the commit
    (gen_dir / "dups.pickle").write_bytes(groups_before)
    update_index(store, link)
    ids = [fields["id"] for fields in open_index(link).searcher().all_stored_fields()]
    assert ids.count("baru") == 1
    assert sorted(ids) == sorted(store.ids())


# -- a large update is written by two processes ------------------------------------


def by_id(link: Path, skip: tuple[str, ...] = ()) -> dict:
    """Each live document's stored fields and every indexed term with its positions,
    keyed by article id (docnums differ with the segments' layout); ``skip``: fields left out."""
    with open_index(link).searcher() as searcher:
        reader = searcher.reader()
        ids = {docnum: fields["id"] for docnum, fields in searcher.iter_docs()}
        terms = {}
        for fieldname, term in reader.all_terms():
            if fieldname in skip:
                continue
            field = reader.schema[fieldname]
            matcher = reader.postings(fieldname, term)
            found = {}
            while matcher.is_active():
                if matcher.id() in ids:
                    value = matcher.value()
                    if field.format.supports("positions"):
                        value = field.format.decode_positions(value)
                    found[ids[matcher.id()]] = (matcher.weight(), value)
                matcher.next()
            if found:
                terms[fieldname, term] = found
        stored_fields = {
            fields["id"]: {k: v for k, v in fields.items() if k not in skip}
            for _, fields in searcher.iter_docs()
        }
        return {"stored": stored_fields, **terms}


def large_update(store: Store) -> list[Article]:
    """Seven changes: new stories, copies of old and new ones, a changed and a deleted article."""
    seed = store.get(SEED_000)
    story = dataclasses.replace(BANJIR, body="Gempa mengguncang Cianjur, ratusan rumah rusak.")
    changes = [
        dataclasses.replace(story, id="gempa-a", title="Gempa Cianjur"),
        # A word only in this title: the child process stems it (odd position).
        dataclasses.replace(BANJIR, id="rapat", title="Menyelenggarakan rapat", body="Rapat."),
        dataclasses.replace(story, id="gempa-b", title="Gempa di Cianjur"),  # a copy of gempa-a
        dataclasses.replace(seed, id="zz-copy", url="https://contoh.test/copy"),  # of SEED_000
        dataclasses.replace(BANJIR, body="Banjir surut di Bekasi. Warga pulang."),  # changed
        *(dataclasses.replace(BANJIR, id=f"baru-{n}", body=f"Berita nomor {n}.") for n in range(2)),
    ]
    store.upsert_many(changes)
    store.delete("004_2217b1388aee775f")
    return changes


def test_a_large_update_in_two_processes_indexes_as_one_process(store, link, monkeypatch):
    alone = index_path(store.path.parent / "alone")
    build_index(store, alone)
    segments = index_stats(store, link)["segments"]
    large_update(store)
    monkeypatch.setattr(workers, "PARALLEL_DOCS", 10**6)
    one_process = update_index(store, alone)
    monkeypatch.setattr(workers, "PARALLEL_DOCS", 2)
    report = update_index(store, link)
    assert report.new_stems == one_process.new_stems > 0
    assert (report.indexed, report.deleted) == (7, 1)
    assert index_stats(store, link)["segments"] == segments + 2
    assert index_stats(store, alone)["segments"] == segments + 1
    assert by_id(link) == by_id(alone)
    docs = stored(link)
    assert sorted(docs) == sorted(store.ids())
    assert (docs["gempa-b"]["dup"], docs["zz-copy"]["dup"]) == ("gempa-a", SEED_000)
    assert hits(link, Term("title", "selenggara")) == ["rapat"]
    with StemCache(stem_cache_path(link)) as cache:
        assert cache.get("menyelenggarakan") == "selenggara"
    assert update_index(store, link).indexed == 0


def test_a_large_update_failing_in_the_worker_is_a_sentence(store, link, monkeypatch):
    def broken(shard, *args):
        if shard.number == 1:
            raise OSError("No space left on device")
        return workers.documents_task(shard, *args)

    monkeypatch.setattr(workers, "PARALLEL_DOCS", 2)
    monkeypatch.setattr(update, "documents_task", broken)
    before = by_id(link)
    large_update(store)
    with pytest.raises(WartaIndexError, match=r"No space left on device\)\. The old index"):
        update_index(store, link)
    assert by_id(link) == before
    monkeypatch.undo()
    assert update_index(store, link).indexed == 7
    assert sorted(stored(link)) == sorted(store.ids())


# -- merging: an update writes the small segments' articles again ---------------------


class Sized:
    """A stand-in segment of some size (for the merge rule)."""

    def __init__(self, docs: int):
        self.docs = docs

    def doc_count_all(self) -> int:
        return self.docs

    def close(self) -> None:
        pass


SIZES = [
    [25, 25, 25, 25],
    [25, 25, 25, 25, 25, 25],
    [*[25] * 7],
    [*[25] * 8],  # 200 documents < fib(12) = 233: these eight merge
    [200, 25, 25, 25, 25],
    [3000, 3000, 3000, 3000, 3000],
    [1, 1, 1, 3, 3],
    [5, 8, 13, 21, 34, 55, 89, 144],
]


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("large", [[], [12000, 12000], [15000] * 20])
def test_an_update_merges_what_whoosh_merge_small_would(sizes, large, monkeypatch):
    """Among the small segments; a rebuild's large ones stay whatever their number."""
    merged = []

    class Writer:
        storage = schema = None

        def add_reader(self, reader):
            merged.append(reader)

    monkeypatch.setattr(whoosh.reading, "SegmentReader", lambda storage, schema, segment: segment)
    small = [Sized(n) for n in sizes]
    MERGE_SMALL(Writer(), small)
    assert merging.segments_to_merge([*map(Sized, large), *small], added=0) == merged
    assert bool(merged) == (sizes in (SIZES[3], SIZES[6]))


def test_an_update_merges_the_smallest_beyond_max_segments():
    segments = [Sized(5000 + n) for n in range(17)] + [Sized(12000)] * 3
    merged = merging.segments_to_merge(segments, added=2)
    assert [s.docs for s in merged] == [5000, 5001, 5002]


def test_an_update_closes_a_segment_every_segment_docs(store, link, monkeypatch):
    monkeypatch.setattr(workers, "SEGMENT_DOCS", 2)
    segments = index_stats(store, link)["segments"]
    store.upsert_many([dataclasses.replace(BANJIR, id=f"baru-{n}") for n in range(5)])
    update_index(store, link)
    assert index_stats(store, link)["segments"] == segments + 3
    assert sorted(stored(link)) == sorted(store.ids())


def test_merged_segments_hold_every_article_once_as_in_the_store(store, link):
    """Small updates pile up segments; merging writes their articles again from the
    store. After each update the index holds what a rebuild would."""
    fresh = index_path(store.path.parent / "fresh")
    counts = []
    for n in range(6):
        store.upsert_many([dataclasses.replace(BANJIR, id=f"baru-{n}", body=f"Kabar ke-{n}.")])
        if n == 3:  # change an article of an earlier small segment, delete another
            store.upsert_many([dataclasses.replace(BANJIR, id="baru-0", body="Kabar merpati.")])
            store.delete("baru-1")
        update_index(store, link)
        counts.append(index_stats(store, link)["segments"])
        build_index(store, fresh)
        # Stories are placed incrementally: an update keeps a story's id (its first
        # article), where a rebuild may name a story of same-time articles otherwise.
        assert by_id(link, skip=("story",)) == by_id(fresh, skip=("story",))
    assert counts == [3, 4, 5, 1, 2, 3]  # the fourth update merged every segment
    assert stored(link)["baru-0"]["body"] == "Kabar merpati."
    assert hits(link, Term("body", "merpati")) == ["baru-0"]


def test_a_merge_drops_documents_the_store_no_longer_has(store, link):
    """An article removed from the store without a trace (a restored backup, say)
    leaves the index when its segment is merged."""
    for n in range(4):
        if n == 3:
            with store.transaction():
                store.db.execute("DELETE FROM articles WHERE id = 'baru-0'")
        store.upsert_many([dataclasses.replace(BANJIR, id=f"baru-{n}", body=f"Kabar ke-{n}.")])
        report = update_index(store, link)
    assert (report.deleted, index_stats(store, link)["segments"]) == (1, 1)
    assert sorted(stored(link)) == sorted(store.ids())
    assert "baru-0" not in DuplicateGroups.load(link.resolve()).groups
    assert index_stats(store, link)["missing_from_store"] == 0


def test_a_forked_process_reads_the_stem_cache_through_its_own_connection(link):
    import multiprocessing

    with StemCache(stem_cache_path(link)) as cache:
        assert cache.get("pengiriman") == "kirim"
        parent_db = cache.db
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)

        def child():
            send.send((cache.get("pengiriman"), cache.db is not parent_db))

        process = context.Process(target=child)
        process.start()
        assert receive.recv() == ("kirim", True)
        process.join()
        assert cache.db is parent_db and cache.get("pengiriman") == "kirim"


# -- stems cross the fork both ways ------------------------------------------------


def stem_words(shard, store, stemmer, words):
    """A task: stem this shard's words; which of them the process knew before."""
    known = [word for word in shard.take(words) if word in stemmer.terms]
    for word in shard.take(words):
        stemmer.stem(word)
    return known


def test_a_forked_worker_knows_the_parents_stems_and_hands_back_its_own():
    stemmer = Stemmer()
    assert stemmer.stem("pengiriman") == "kirim"  # new in the parent, not yet persisted
    words = ["pengiriman", "pengiriman", "menyelenggarakan", "kepolisian"]
    mine, theirs = workers.run_shards(stem_words, (words,), stemmer=stemmer)
    assert (mine, theirs) == (["pengiriman"], ["pengiriman"])  # nobody stemmed it again
    assert stemmer.take_new() == {
        "pengiriman": "kirim",  # the parent's, kept
        "menyelenggarakan": "selenggara",  # the parent's shard
        "kepolisian": "polisi",  # the child's, adopted
    }
    assert stemmer.stem("kepolisian") == "polisi" and stemmer.take_new() == {}


# -- an update where there is no index builds it -------------------------------------


def test_an_update_without_an_index_builds_it(store, tmp_path):
    link = index_path(tmp_path / "fresh")
    protected = {**protected_words(), "banjir": "air"}
    report = update_index(store, link, protected=protected)
    assert (report.kind, report.indexed) == ("rebuild", 6)
    assert hits(link, Term("body", "air")) == ["bekasi-banjir"]
    report = update_index(store, link)
    assert (report.kind, report.indexed) == ("update", 0)


def test_cli_update_without_an_index_builds_it_and_says_so(data_dir, seeds_dir, invoke):
    invoke("import", str(seeds_dir))
    (data_dir / "protected.txt").write_text("presiden kepala\n", encoding="utf-8")
    result = invoke("index", "update")
    assert result.output.startswith(f"There was no index at {index_path(data_dir)}: built it.")
    assert "Indexed 5 articles" in result.output
    assert len(hits(index_path(data_dir), Term("body", "kepala"))) == 5
    assert "Updated the index: 0 indexed" in invoke("index", "update").output


# -- progress bars only on a terminal -------------------------------------------------


@pytest.mark.parametrize("command", [["index", "build"], ["index", "update"]])
def test_no_progress_bar_when_output_is_not_a_terminal(indexed_data_dir, runner, command):
    from web.cli import cli

    result = runner.invoke(cli, ["--data-dir", str(indexed_data_dir), *command])
    assert result.exit_code == 0, result.output
    assert "\r" not in result.output
    assert "art/s" not in result.output and "Indexing:" not in result.output
    assert len(result.output.splitlines()) == 1


def test_a_stem_reader_looks_many_words_up_at_once(tmp_path):
    path = tmp_path / "index-stems.sqlite"
    words = {f"kata{n:04d}": f"akar{n}" for n in range(1200)}  # three queries of 500
    with StemCache(path) as cache:
        cache.add(words)
    reader = StemReader(path)
    asked = [*words, "tidakada", "pengiriman"]
    assert reader.many(asked) == words
    assert reader("kata0007") == "akar7"
    assert StemReader(tmp_path / "missing.sqlite").many(asked) == {}


# -- a rebuild with nothing changed links the segments it would write again ---------


def segment_files(gen_dir: Path) -> dict[str, int]:
    """Segment file name → inode."""
    return {p.name: p.stat().st_ino for p in gen_dir.iterdir() if p.suffix == ".seg"}


def written_segments(store, link, monkeypatch) -> list:
    """Spy on the second pass: the segments it writes (empty when linked)."""
    calls = []
    real = build._all_segments

    def spy(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(build, "_all_segments", spy)
    return calls


ACRONYM_FILES = ("acronyms.json", "acronym_counts.pickle")


def test_a_rebuild_with_nothing_changed_links_the_same_segments(store, link, monkeypatch):
    before_dir = link.resolve()
    before, files = contents(link), segment_files(before_dir)
    mined = {name: (before_dir / name).read_bytes() for name in ACRONYM_FILES}
    calls = written_segments(store, link, monkeypatch)
    minings = []
    real_mine = build.mine_articles
    monkeypatch.setattr(build, "mine_articles", lambda *a: minings.append(1) or real_mine(*a))
    report = build_index(store, link)
    assert calls == [] and minings == [], "nothing changed: segments and acronyms are linked"
    assert {name: (link.resolve() / name).read_bytes() for name in ACRONYM_FILES} == mined
    assert link.resolve() != before_dir and not before_dir.exists()
    assert contents(link) == before
    assert segment_files(link.resolve()) == files  # the same files, linked
    assert report.indexed == 6
    store.upsert_many([dataclasses.replace(BANJIR, id="baru", body="Berita baru sekali.")])
    update_index(store, link)  # the update leaves the other generation's files alone
    assert sorted(stored(link)) == sorted(store.ids())


@pytest.mark.parametrize("change", ["article", "update", "code", "protected", "fingerprint"])
def test_a_rebuild_writes_its_segments_when_anything_changed(
    store, link, monkeypatch, tmp_path, change
):
    protected = None
    if change == "article":
        store.upsert_many([dataclasses.replace(BANJIR, title="Banjir melanda Bekasi lagi")])
    elif change == "update":
        store.upsert_many([dataclasses.replace(BANJIR, id="baru", body="Berita baru sekali.")])
        update_index(store, link)
    elif change == "code":
        monkeypatch.setattr(build, "code_key", lambda: "other code")
    elif change == "protected":
        protected = {**protected_words(), "banjir": "banjir"}
    else:
        (link.resolve() / fingerprints.FINGERPRINT_FILE).write_text("{not json")
    calls = written_segments(store, link, monkeypatch)
    build_index(store, link, protected=protected)
    assert calls == [1]
    fresh = tmp_path / "fresh"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build, "_reused_segments", lambda *args: None)
        build_index(store, fresh, protected=protected)
    assert contents(link) == contents(fresh)


def contents(link: Path) -> dict:
    """Stored fields and postings of every field by article id, and the statistics."""
    with open_index(link).searcher() as searcher:
        reader = searcher.reader()
        ids = {d: fields["id"] for d, fields in reader.iter_docs()}
        postings = {}
        for field, term in reader.all_terms():
            matcher = reader.postings(field, term)
            found = []
            while matcher.is_active():
                found.append((ids[matcher.id()], matcher.weight(), matcher.value()))
                matcher.next()
            postings[field, term] = sorted(found)
        return {
            "stored": sorted(reader.all_stored_fields(), key=lambda f: f["id"]),
            "postings": postings,
            "doc_count": reader.doc_count_all(),
            "field_lengths": {name: reader.field_length(name) for name in reader.schema.names()},
        }
