"""The bulk segment writer: what it writes, stock Whoosh reads exactly as its own."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from crawler.article import Article
from crawler.importer import read_path
from index import segments
from index.analysis import Stemmer
from index.schema import article_fields, make_schema
from index.segments import BulkSegmentWriter, encode_positions

SEEDS = Path(__file__).resolve().parent.parent / "examples" / "seeds"
WORDS = (
    "banjir melanda kota bekasi warga mengungsi pemerintah menetapkan hasil pemilu "
    "presiden jakarta pengiriman dikirim mengirimkan negara-negara covid-19 10.000 1,5 "
    "ibu kota hari raya"
).split()


def articles() -> list[Article]:
    """The seed articles and 300 made-up ones: common words span several blocks."""
    seeds = [a for path in sorted(SEEDS.glob("*.txt")) for a in read_path(path)]
    rng = random.Random(4)
    made = [
        Article(
            id=f"made-{n:03d}",
            title=" ".join(rng.choices(WORDS, k=rng.randint(1, 8))),
            body=" ".join(rng.choices(WORDS, k=rng.randint(0, 400))),
            source=rng.choice(["Kompas", "Tempo", None]),
            author=rng.choice(["Rina", "Budi Santoso", None]),
            published=rng.choice(["2024-11-14T10:30:00+07:00", "2023-01-02", None]),
        )
        for n in range(300)
    ]
    return [a for a in seeds if isinstance(a, Article)] + made


def write_segment(tmp_path: Path, writer_class) -> Path:
    directory = tmp_path / writer_class.__name__
    directory.mkdir()
    index = whoosh_index.create_in(directory, make_schema())
    if writer_class is BulkSegmentWriter:
        writer = BulkSegmentWriter(index, Stemmer())
    else:
        writer = writer_class(index, _lk=False)
    for n, article in enumerate(articles()):
        writer.add_document(**article_fields(article, f"group-{n % 7}"))
    segment = writer._finalize_segment()
    parent = index.writer()
    parent.commit(mergetype=lambda _writer, existing: [*existing, segment])
    return directory


def postings(reader, fieldname: str, term: bytes) -> list[tuple]:
    field = reader.schema[fieldname]
    matcher = reader.postings(fieldname, term)
    found = []
    while matcher.is_active():
        value = matcher.value()
        positions = (
            field.format.decode_positions(value) if field.format.supports("positions") else value
        )
        found.append((matcher.id(), matcher.weight(), positions))
        matcher.next()
    return found


def contents(directory: Path) -> dict:
    """Everything a reader can see of an index."""
    with whoosh_index.open_dir(directory).reader() as reader:
        terms = list(reader.all_terms())
        fields = reader.schema.names()
        info = {
            term: (i.weight(), i.doc_frequency(), i.min_length(), i.max_length(), i.max_weight())
            for term in terms
            for i in [reader.term_info(*term)]
        }
        return {
            "doc_count": reader.doc_count_all(),
            "terms": terms,
            "info": info,
            "postings": {term: postings(reader, *term) for term in terms},
            "stored": list(reader.all_stored_fields()),
            "lengths": {
                name: [reader.doc_field_length(d, name) for d in range(reader.doc_count_all())]
                for name in fields
            },
            "field_lengths": {name: reader.field_length(name) for name in fields},
            "columns": {
                name: list(reader.column_reader(name, translate=False))
                for name in fields
                if reader.has_column(name)
            },
        }


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("segments")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(segments, "CHUNK_TERMS", 300)  # a field's terms in several chunks
        bulk = contents(write_segment(tmp_path, BulkSegmentWriter))
    return contents(write_segment(tmp_path, SegmentWriter)), bulk


@pytest.mark.parametrize(
    "part",
    ["doc_count", "terms", "info", "postings", "stored", "lengths", "field_lengths", "columns"],
)
def test_bulk_segments_read_as_whooshs_own(both, part):
    stock, bulk = both
    assert bulk[part] == stock[part]


def test_the_archive_has_long_postings_and_every_field(both):
    stock, _ = both
    longest = max(len(p) for p in stock["postings"].values())
    assert longest > 256  # three blocks of 128
    assert {field for field, _ in stock["terms"]} == {
        "author",
        "body",
        "body_exact",
        "dup",
        "id",
        "local_time",
        "month",
        "source",
        "story",
        "title",
        "title_exact",
    }


@pytest.mark.parametrize("poses", [[0], [7], [3, 4, 90], [300, 70000]])
def test_positions_encode_as_whoosh_does(poses):
    fmt = make_schema()["body"].format
    assert encode_positions(poses) == fmt.encode(poses)
    assert fmt.decode_positions(encode_positions(poses)) == poses


def test_a_stemmer_with_other_protected_words_is_refused(tmp_path):
    index = whoosh_index.create_in(tmp_path, make_schema({"banjir": "air"}))
    with pytest.raises(ValueError, match="protected words are not those of field 'body'"):
        BulkSegmentWriter(index, Stemmer())
