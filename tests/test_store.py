import sqlite3
from dataclasses import replace

import pytest

from crawler.article import Article
from crawler.store import (
    MAX_SUCCESSION,
    SCHEMA_VERSION,
    CrawlRound,
    FetchRecord,
    RawPage,
    Store,
    StoreError,
    store_path,
)


def make(**kw) -> Article:
    base = dict(id="a1", title="Judul", body="Isi berita.", url="https://x.test/a1", source="S")
    base.update(kw)
    return Article(**base)


def test_round_trip_keeps_every_field(tmp_path):
    article = make(published="2024-11-14T10:30:00+07:00", author="Rina")
    with Store.open(tmp_path) as store:
        assert store.upsert(article) == "added"
    with Store.open(tmp_path) as store:
        assert store.get("a1") == article
        stored = store.get_stored("a1")
    assert stored.content_hash == article.content_hash
    assert stored.added == stored.updated


def test_store_is_wal_and_versioned(tmp_path):
    Store.open(tmp_path).close()
    db = sqlite3.connect(store_path(tmp_path))
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_reimport_is_idempotent_and_changes_update_in_place(tmp_path):
    with Store.open(tmp_path) as store:
        assert store.upsert_many([make(), make(id="a2", url=None)]) == {
            "added": 2,
            "updated": 0,
            "unchanged": 0,
            "replaced": 0,
        }
        seq = store.seq
        assert store.upsert_many([make(), make(id="a2", url=None)])["unchanged"] == 2
        assert store.seq == seq
        assert store.upsert(make(body="Isi berita yang diperbarui.")) == "updated"
        assert store.count() == 2
        assert store.get("a1").body == "Isi berita yang diperbarui."
        assert [a.id for a in store.changed_since(seq)] == ["a1"]


def test_a_new_id_for_a_known_url_replaces_the_article_and_records_it(tmp_path):
    with Store.open(tmp_path) as store:
        store.upsert(make())
        seq = store.seq
        assert store.upsert(make(id="other", title="Judul baru")) == "replaced"
        assert store.ids() == {"other"}
        assert store.get("a1") is None
        assert store.get("other").title == "Judul baru"
        assert store.deleted_since(seq) == ["a1"]
        assert [a.id for a in store.changed_since(seq)] == ["other"]
        assert store.replacements_since(seq) == [("a1", "other", "https://x.test/a1")]


def test_the_same_id_taking_the_url_of_another_replaces_that_one(tmp_path):
    with Store.open(tmp_path) as store:
        store.upsert_many([make(), make(id="a2", url="https://x.test/a2")])
        seq = store.seq
        assert store.upsert(make(id="a2", url="https://x.test/a1")) == "replaced"
        assert store.ids() == {"a2"}
        assert store.replacements_since(seq) == [("a1", "a2", "https://x.test/a1")]


def test_the_same_id_with_a_new_url_frees_the_old_one(tmp_path):
    with Store.open(tmp_path) as store:
        store.upsert(make())
        assert store.upsert(make(url="https://x.test/baru")) == "updated"
        assert store.upsert(make(id="a2")) == "added"
        assert store.ids() == {"a1", "a2"}
        assert store.replacements_since(0) == []


def test_a_replaced_id_that_comes_back_is_no_longer_deleted(tmp_path):
    with Store.open(tmp_path) as store:
        store.upsert(make())
        seq = store.seq
        store.upsert(make(id="other"))
        assert store.upsert(make()) == "replaced"
        assert store.deleted_since(seq) == ["other"]
        assert store.replacements_since(seq) == [("other", "a1", "https://x.test/a1")]
        assert store.delete("a1") is True
        assert store.replacements_since(seq) == [("other", "a1", None)]


def test_a_replacement_that_fails_keeps_the_old_article(tmp_path):
    with Store.open(tmp_path) as store:
        store.upsert(make())
        with pytest.raises(sqlite3.IntegrityError), store.transaction():
            store.upsert(make(id="other"))
            store.db.execute("INSERT INTO articles(id) VALUES ('broken')")
        assert store.ids() == {"a1"}
        assert store.deleted_since(0) == []


def test_a_replacement_moves_the_crawl_state_of_the_url(tmp_path):
    with Store.open(tmp_path) as store:
        store.upsert(make())
        store.record_fetch(FetchRecord("https://x.test/a1", "article", "stored", article_id="a1"))
        store.put_raw(RawPage("https://x.test/a1", b"<html></html>", article_id="a1"))
        store.upsert(make(id="other"))
        assert store.fetch_record("https://x.test/a1").article_id == "other"
        assert [[p.article_id for p in pages] for pages in store.iter_raw_articles()] == [["other"]]


def test_delete_is_recorded_for_the_indexer(tmp_path):
    with Store.open(tmp_path) as store:
        store.upsert(make())
        seq = store.seq
        assert store.delete("a1") is True
        assert store.delete("a1") is False
        assert store.deleted_since(seq) == ["a1"]
        assert store.get("a1") is None


def test_failed_transaction_stores_nothing(tmp_path):
    with Store.open(tmp_path) as store:
        with pytest.raises(RuntimeError):
            with store.transaction():
                store.upsert(make())
                raise RuntimeError("boom")
        assert store.count() == 0


def test_newer_schema_is_refused_with_a_sentence(tmp_path):
    Store.open(tmp_path).close()
    db = sqlite3.connect(store_path(tmp_path))
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer Warta"):
        Store.open(tmp_path)


def test_garbage_file_is_refused_with_a_sentence(tmp_path):
    store_path(tmp_path).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable Warta store"):
        Store.open(tmp_path)


def test_version_1_store_is_upgraded_and_keeps_its_articles(tmp_path):
    from crawler.store import MIGRATIONS

    db = sqlite3.connect(store_path(tmp_path))
    db.executescript(MIGRATIONS[1] + "\nPRAGMA user_version=1;")
    db.execute(
        "INSERT INTO articles VALUES ('a1', NULL, NULL, 'Judul', NULL, NULL, 'Isi.', 'h', "
        "'2024-01-01', '2024-01-01', 1)"
    )
    db.commit()
    db.close()
    with Store.open(tmp_path) as store:
        assert store.schema_version == SCHEMA_VERSION == 6
        assert store.get("a1").title == "Judul"
        assert store.get("a1").title_derived is False
        assert store.fetch_record("https://x.test/a1") is None
        assert store.rounds() == []


def test_crawl_rounds_round_trip_and_signals(tmp_path):
    from crawler.article import Article

    with Store.open(tmp_path) as store:
        store.upsert_many(
            [
                Article("a", "Judul sama", "x" * 400, published="2024-11-14", author="Rina"),
                Article("b", "Judul sama", "pendek"),
                Article("c", "Judul lain", "y" * 500, published="2024-11-15"),
            ]
        )
        started = store.start_round("sumber")
        assert started.status == "running"
        assert store.close_running_rounds("lain", "interrupted", "x") == 0
        signals = store.extraction_signals(["b", "c", "tidak-ada"])
        done = store.finish_round(
            CrawlRound(**{**started.__dict__, "status": "ok", "added": 2, "signals": signals,
                          "reasons": {"HTTP 500": 1}})
        )  # fmt: skip
        (again,) = store.rounds("sumber")
    assert signals == {
        "no_date": [1, 2],
        "no_author": [2, 2],
        "short_body": [1, 2],
        "seen_title": [1, 2],
    }
    assert again == done
    assert again.ended >= again.started


def test_fetch_records_and_raw_pages_round_trip(tmp_path):
    record = FetchRecord(
        url="https://x.test/a1",
        kind="article",
        outcome="stored",
        status=200,
        etag='"v1"',
        last_modified="Thu, 14 Nov 2024 03:30:00 GMT",
        article_id="a1",
    )
    html = "<p>Isi berita dengan huruf é.</p>".encode("cp1252") * 100
    with Store.open(tmp_path) as store:
        store.record_fetch(record)
        store.put_raw(RawPage("https://x.test/a1", html, "text/html", "cp1252", "a1", 0))
        store.put_raw(RawPage("https://x.test/a1?page=2", b"<p>2</p>", "text/html", None, "a1", 1))
        store.put_raw(RawPage("https://x.test/", b"<p>beranda</p>"))
        got = store.fetch_record("https://x.test/a1")
        assert (got.etag, got.last_modified, got.article_id) == (
            record.etag,
            record.last_modified,
            "a1",
        )
        assert got.fetched
        assert [[p.part for p in group] for group in store.iter_raw_articles()] == [[0, 1]]
        assert store.get_raw("https://x.test/a1").body == html
        (size,) = store.db.execute(
            "SELECT length(body) FROM raw_pages WHERE url = 'https://x.test/a1'"
        ).fetchone()
    assert size < len(html) / 5


def _version_3_store(tmp_path, articles: list[Article]) -> None:
    """A store as Warta wrote it before titles were marked derived (schema 3)."""
    from crawler.store import MIGRATIONS

    db = sqlite3.connect(store_path(tmp_path))
    db.executescript("".join(MIGRATIONS[v] for v in (1, 2, 3)) + "\nPRAGMA user_version=3;")
    for n, a in enumerate(articles, 1):
        db.execute(
            "INSERT INTO articles VALUES (?, ?, ?, ?, NULL, NULL, ?, ?, '2024-01-01', "
            "'2024-01-01', ?)",
            (a.id, a.url, a.source, a.title, a.body, a.content_hash, n),
        )
    db.commit()
    db.close()


def test_version_3_store_marks_the_titles_its_importers_derived(tmp_path):
    long_first = "Kata " * 30 + "akhir kalimat. Kalimat kedua."
    old = [
        make(id="short", url=None, title="Banjir melanda Garut", body="Banjir melanda Garut. Dua."),
        make(id="cut", url=None, title=long_first[:85].rsplit(" ", 1)[0] + "…", body=long_first),
        make(id="given", url=None, title="Garut dilanda banjir", body="Banjir melanda Garut. Dua."),
    ]
    _version_3_store(tmp_path, old)
    with Store.open(tmp_path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert [store.get(a.id).title_derived for a in old] == [True, True, False]
        # Importing the same copies again (titles derived as before) changes nothing.
        again = [replace(a, title_derived=a.id != "given") for a in old]
        assert store.upsert_many(again) == {
            "added": 0,
            "updated": 0,
            "unchanged": 3,
            "replaced": 0,
        }


def test_a_title_that_arrives_later_replaces_the_derived_one(tmp_path):
    derived = make(title="Isi berita", title_derived=True)
    with Store.open(tmp_path) as store:
        store.upsert(derived)
        seq = store.seq
        assert store.upsert(make(title="Judul asli")) == "updated"
        assert store.get("a1") == make(title="Judul asli")
        assert store.seq == seq + 1


def test_the_same_text_given_as_a_title_is_an_update(tmp_path):
    with Store.open(tmp_path) as store:
        store.upsert(make(title="Isi berita", title_derived=True))
        assert store.upsert(make(title="Isi berita")) == "updated"
        assert store.get("a1").title_derived is False
        assert list(store.changed_since(1)) == [make(title="Isi berita")]


def test_a_copy_without_a_title_keeps_the_title_that_was_given(tmp_path):
    with Store.open(tmp_path) as store:
        store.upsert(make(title="Judul asli"))
        assert store.upsert(make(title="Isi berita", title_derived=True)) == "unchanged"
        changed = make(title="Isi berita yang", body="Isi berita yang baru.", title_derived=True)
        assert store.upsert(changed) == "updated"
        assert store.get("a1") == make(title="Judul asli", body="Isi berita yang baru.")


def test_a_store_migrated_by_another_process_meanwhile_is_not_migrated_twice(tmp_path, monkeypatch):
    """`warta watch` and a crawl may open an old store at once: the one that reads
    the old version first and locks second must find the migration done (it
    failed with "duplicate column name: title_derived")."""
    from crawler.store import MIGRATIONS

    path = tmp_path / "warta.db"
    db = sqlite3.connect(path)
    db.executescript("".join(MIGRATIONS[v] for v in (1, 2, 3)) + "PRAGMA user_version=3;")
    db.close()
    real = Store._check_version
    raced = []

    def another_process_migrates_first(self):
        version = real(self)
        if not raced:
            raced.append(version)
            Store(path).close()  # between this store's read and its lock
        return version

    monkeypatch.setattr(Store, "_check_version", another_process_migrates_first)
    store = Store(path)
    try:
        assert raced == [3]
        assert store.schema_version == SCHEMA_VERSION
    finally:
        store.close()


def test_version_4_store_keeps_its_deletions_and_records_replacements(tmp_path):
    from crawler.store import MIGRATIONS

    db = sqlite3.connect(store_path(tmp_path))
    db.executescript("".join(MIGRATIONS[v] for v in (1, 2, 3, 4)) + "\nPRAGMA user_version=4;")
    db.execute("INSERT INTO deletions(id, seq) VALUES ('gone', 1)")
    db.execute("UPDATE counters SET value = 1")
    db.commit()
    db.close()
    with Store.open(tmp_path) as store:
        assert store.schema_version == SCHEMA_VERSION == 6
        assert store.deleted_since(0) == ["gone"]
        assert store.replacements_since(0) == []
        store.upsert(make())
        assert store.upsert(make(id="other")) == "replaced"
        assert store.replacements_since(1) == [("a1", "other", "https://x.test/a1")]


def test_a_replaced_id_leads_to_the_last_article_of_its_chain(tmp_path):
    with Store.open(tmp_path) as store:
        store.upsert(make(id="a"))
        store.upsert(make(id="b"))  # b replaces a
        store.upsert(make(id="c"))  # c replaces b
        assert (store.successor("a"), store.successor("b")) == ("c", "c")
        assert store.successor("c") is None  # stored itself
        assert store.was_deleted("a") and not store.was_deleted("c")
        assert store.successor("never") is None
        store.delete("c")
        assert (store.successor("a"), store.successor("b")) == (None, None)


def test_a_plain_deletion_has_no_successor(tmp_path):
    with Store.open(tmp_path) as store:
        store.upsert(make())
        store.delete("a1")
        assert store.successor("a1") is None


def test_succession_stops_after_its_bound_and_at_a_loop(tmp_path):
    with Store.open(tmp_path) as store:
        ids = [f"v{i}" for i in range(MAX_SUCCESSION + 2)]
        for article_id in ids:
            store.upsert(make(id=article_id))
        assert store.successor(ids[-2]) == ids[-1]
        assert store.successor(ids[-MAX_SUCCESSION - 1]) == ids[-1]
        assert store.successor(ids[-MAX_SUCCESSION - 2]) is None  # one step too far
        # A loop written by hand (upsert never makes one): no answer, no hang.
        store.db.execute("INSERT INTO deletions(id, seq, replaced_by) VALUES ('x', 0, 'y')")
        store.db.execute("INSERT INTO deletions(id, seq, replaced_by) VALUES ('y', 0, 'x')")
        assert store.successor("x") is None


def test_deleting_an_article_drops_its_raw_pages(tmp_path):
    with Store.open(tmp_path) as store:
        store.upsert_many([make(), make(id="a2", url="https://x.test/a2")])
        store.put_raw(RawPage("https://x.test/a1", b"<html></html>", article_id="a1"))
        store.put_raw(RawPage("https://x.test/a2", b"<html></html>", article_id="a2"))
        store.delete("a1")
        assert store.get_raw("https://x.test/a1") is None
        assert [[p.article_id for p in pages] for pages in store.iter_raw_articles()] == [["a2"]]
        assert store.was_deleted("a1") and not store.was_deleted("a2")
