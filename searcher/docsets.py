"""Sets of matching documents, for totals, facets, fallback and collapse.

Whoosh finds the best-scored hits quickly but must visit every match to
count or group them. Here a set of documents is a Python ``int`` used as a
bitset (bit n = document number n): set algebra and counting run in C, per
term postings are read a block at a time and cached, and each outlet and
month has a bitset computed once per index generation, so a facet count is
one ``&`` and one ``bit_count()``. Each document's Indonesian day of
publication is kept as a day number, so a timeline is one pass over the
matching documents' days.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from whoosh import query as whoosh_query
from whoosh.util.times import datetime_to_long

from .cache import Lru, object_bytes
from .columns import Coded, coded_column, has_column, numeric_column
from .compiler import DATE_FIELD
from .postings import segment_ids, segment_positions
from .settings import DOCSET_CACHE_MB
from .timeline import Timeline, count_days

# A bitset takes one bit an article: 3 KB at 25k articles, 125 KB at a million.
CACHE_BYTES = DOCSET_CACHE_MB * 2**20
SCORED_FIELDS = ("title", "body", "title_exact", "body_exact")
# Raw DATETIME column values of real dates; a missing date reads as something else.
_EARLIEST = datetime_to_long(datetime(1, 1, 2))
_LATEST = datetime_to_long(datetime(9999, 12, 30))
_DAY = 86_400_000_000  # a DATETIME column value counts microseconds since 0001-01-01


def bits_of(docnums, size: int) -> int:
    """A bitset holding ``docnums`` (a sequence or a numpy array of document numbers)."""
    mask = np.zeros(size, bool)
    if not isinstance(docnums, (np.ndarray, list, tuple)):
        docnums = list(docnums)
    ids = np.asarray(docnums, np.int64)
    if len(ids):
        mask[ids] = True
    return bits_of_mask(mask)


def bits_of_mask(mask: np.ndarray) -> int:
    """A bitset holding the documents a boolean array marks."""
    return int.from_bytes(np.packbits(mask, bitorder="little").tobytes(), "little")


def live_bits(reader, size: int) -> int:
    """The documents not deleted: each segment's, less its deleted ones (a segment
    without deletions costs no Python call a document, as ``all_doc_ids()`` does)."""
    mask = np.zeros(size, bool)
    for leaf, offset in reader.leaf_readers():
        mask[offset : offset + leaf.doc_count_all()] = True
        if leaf.has_deletions():
            deleted = np.fromiter(leaf.segment().deleted_docs(), np.int64)
            mask[offset + deleted] = False
    return bits_of_mask(mask)


def mask_of(bits: int, size: int) -> np.ndarray:
    """A bitset as a boolean array over ``size`` documents."""
    raw = np.frombuffer(bits.to_bytes((size + 7) // 8, "little"), np.uint8)
    return np.unpackbits(raw, count=size, bitorder="little").view(bool)


def members(bits: int) -> list[int]:
    """The document numbers in a bitset, ascending."""
    if not bits:
        return []
    return np.flatnonzero(mask_of(bits, bits.bit_length())).tolist()


class DocSets:
    """Bitsets over one open searcher: per query, per outlet, per month, per duplicate group.

    ``scorer`` (``ranking.TermScorer``) supplies the documents of the scored
    fields' terms, so each term's postings are read once for both. The
    bitsets of terms and filters are cached up to ``cache_bytes``.
    """

    def __init__(self, searcher, scorer, cache_bytes: int = CACHE_BYTES):
        self.searcher = searcher
        self.scorer = scorer
        reader = searcher.reader()
        self.size = reader.doc_count_all()
        self.live = live_bits(reader, self.size)
        self._cache = Lru(cache_bytes, weight=object_bytes)
        sources = _coded(reader, "source", self.size)
        self.facets = {"source": self._facet_bits(sources)}
        self.facets["month"] = self._facet_bits(_coded(reader, "month", self.size))
        # Each document's outlet: a code into ``_source_names`` ("" for none).
        self._source_names = [bytes(v).decode("utf-8") for v in sources.values]
        self._source_codes = sources.codes
        self._groups = _Shared.of(reader, "dup", self.size)
        self.groups = self._groups.docs
        # Each grouped document's group as a number (-1 alone), for counting groups in numpy.
        self._group_codes = self._groups.codes
        self.grouped = bits_of(np.flatnonzero(self._group_codes >= 0), self.size) & self.live
        self._stories = _Shared.of(reader, "story", self.size)
        self.stories = self._stories.docs
        published = numeric_column(reader, DATE_FIELD) if has_column(reader, DATE_FIELD) else []
        published = np.asarray(published, np.int64)
        dated = np.flatnonzero((published >= _EARLIEST) & (published <= _LATEST))
        order = np.argsort(published[dated], kind="stable")
        self._dated_docs = dated[order].astype(np.int32)
        self._dates = published[self._dated_docs]
        # Each document's Indonesian day of publication (``date.toordinal``), 0 when undated.
        self._days = np.zeros(self.size, np.int32)
        self._days[self._dated_docs] = self._dates // _DAY + 1

    def _facet_bits(self, column: Coded) -> dict[str, int]:
        found = {}
        for code in np.flatnonzero(column.counts()).tolist():
            if column.values[code]:
                docs = np.flatnonzero(column.codes == code)
                found[column.text(code)] = bits_of(docs, self.size) & self.live
        return found

    def dup_key(self, docnum: int) -> str | None:
        """The duplicate group of a document, when it has company."""
        return self._groups.key(docnum)

    def story_docs(self, story_id: str) -> list[int]:
        """The live documents of a story (of two or more documents), else []."""
        return [d for d in self.stories.get(story_id, []) if self.has(self.live, d)]

    def story_key(self, docnum: int) -> str | None:
        """The story of a document, when a live document other than its copies shares it."""
        key = self._stories.key(docnum)
        if key is None:
            return None
        group = self.dup_key(docnum)
        copies = set(self.groups[group]) if group is not None else {docnum}
        return key if any(d not in copies for d in self.story_docs(key)) else None

    def story_sources(self, docs: list[int]) -> list[str]:
        """The outlets these documents come from, sorted."""
        codes = self._source_codes[np.asarray(docs, np.int64)].tolist()
        return sorted({self._source_names[c] for c in codes if self._source_names[c]})

    # -- queries -----------------------------------------------------------

    def of(self, q) -> int:
        """The documents matching a Whoosh query (scores and boosts ignored)."""
        return self._matching(q) & self.live

    def _matching(self, q) -> int:
        if isinstance(q, whoosh_query.Term):
            return self._cached(("t", q.fieldname, q.text), lambda: self._term(q))
        if isinstance(q, (whoosh_query.Not, whoosh_query.AndMaybe, whoosh_query.AndNot)):
            return self._negated(q)
        if isinstance(q, whoosh_query.And):
            bits = self.live
            for sub in q.subqueries:
                bits &= self._matching(sub)
                if not bits:
                    break
            return bits
        if isinstance(q, whoosh_query.Or):
            bits = 0
            for sub in q.subqueries:
                bits |= self._matching(sub)
            return bits
        if isinstance(q, whoosh_query.DateRange) and q.fieldname == DATE_FIELD and len(self._dates):
            key = ("d", q.startdate, q.enddate)
            return self._cached(key, lambda: self._date_range(q.startdate, q.enddate))
        if isinstance(q, whoosh_query.Phrase) and q.slop == 1 and q.fieldname in SCORED_FIELDS:
            key = ("p", q.fieldname, tuple(q.words))
            return self._cached(key, lambda: self._phrase(q.fieldname, list(q.words)))
        if isinstance(q, whoosh_query.Every):
            return self.live
        if q is whoosh_query.NullQuery or isinstance(q, type(whoosh_query.NullQuery)):
            return 0
        return self._cached(("q", repr(q)), lambda: self._matching_by_whoosh(q))

    def _negated(self, q) -> int:
        """``Not``, ``AndMaybe`` (its optional part changes scores only) and ``AndNot``."""
        if isinstance(q, whoosh_query.Not):
            return self.live & ~self._matching(q.query)
        if isinstance(q, whoosh_query.AndMaybe):
            return self._matching(q.a)
        return self._matching(q.a) & ~self._matching(q.b)

    def _cached(self, key, compute) -> int:
        return self._cache.get(key, compute)

    def _term(self, q) -> int:
        if q.fieldname in SCORED_FIELDS:
            return bits_of(self.scorer.scores(q.fieldname, q.text).ids, self.size)
        parts = [
            np.asarray(segment_ids(segment, q.fieldname, q.text), np.int64) + offset
            for segment, offset in self.searcher.reader().leaf_readers()
        ]
        return bits_of(np.concatenate(parts) if parts else [], self.size)

    def _date_range(self, start, end) -> int:
        lo = int(np.searchsorted(self._dates, datetime_to_long(start))) if start else 0
        hi = (
            int(np.searchsorted(self._dates, datetime_to_long(end), side="right"))
            if end
            else len(self._dates)
        )
        return bits_of(self._dated_docs[lo:hi], self.size)

    def _phrase(self, fieldname: str, words: list[str]) -> int:
        """Documents holding ``words`` at consecutive positions (Whoosh's ``Phrase`` with
        slop 1): those holding every word, then their positions, read only for them."""
        bits = self.live
        for word in dict.fromkeys(words):
            bits &= self._matching(whoosh_query.Term(fieldname, word))
            if not bits:
                return 0
        found, candidates = [], members(bits)
        for segment, offset in self.searcher.reader().leaf_readers():
            end = offset + segment.doc_count_all()
            local = [d - offset for d in candidates if offset <= d < end]
            if local:
                found += [d + offset for d in _phrase_docs(segment, fieldname, words, local)]
        return bits_of(found, self.size)

    def _matching_by_whoosh(self, q) -> int:
        return bits_of(self.searcher.docs_for_query(q), self.size)

    # -- counts ------------------------------------------------------------

    def counts(self, bits: int, name: str) -> dict[str, int]:
        """Matches per value of a facet column, most first."""
        found = {
            value: c
            for value, vb in self.facets.get(name, {}).items()
            if (c := (bits & vb).bit_count())
        }
        return dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))

    def collapsed_count(self, bits: int) -> int:
        """Matches left once each duplicate group counts as one."""
        total = bits.bit_count()
        grouped = bits & self.grouped
        if not grouped:
            return total
        codes = self._group_codes[mask_of(grouped, self.size)]
        groups = np.zeros(len(self.groups), bool)
        groups[codes] = True
        return total - len(codes) + int(np.count_nonzero(groups))

    def timeline(self, bits: int) -> Timeline:
        """The matching documents counted per day, week, month or year of publication."""
        days = self._days[mask_of(bits, self.size)]
        numbers, counts = np.unique(days[days > 0], return_counts=True)
        return count_days(list(zip(numbers.tolist(), counts.tolist(), strict=True)))

    def newest(self, bits: int, limit: int) -> list[tuple[int, float]]:
        """The ``limit`` most recently published documents of ``bits`` (undated last)."""
        mask = mask_of(bits, self.size)
        dated = self._dated_docs[mask[self._dated_docs]][::-1][:limit].tolist()
        if len(dated) < limit:
            mask[self._dated_docs] = False
            dated += np.flatnonzero(mask)[: limit - len(dated)].tolist()
        return [(d, 0.0) for d in dated]

    def has(self, bits: int, docnum: int) -> bool:
        """Whether ``docnum`` is in the bitset ``bits``."""
        return bool(bits >> docnum & 1)


def _phrase_docs(segment, fieldname: str, words: list[str], docs: list[int]) -> list[int]:
    """Those of ascending ``docs`` where ``words`` stand at positions p, p + 1, ..."""
    at: list[dict[int, list[int]]] = []
    for word in words:
        if (fieldname, word) not in segment:
            return []
        at.append(dict(segment_positions(segment, fieldname, word, docs)))
    found = []
    for docnum in docs:
        lists = [positions.get(docnum) for positions in at]
        if all(lists):
            later = [set(p) for p in lists[1:]]
            if any(all(p + k in s for k, s in enumerate(later, 1)) for p in lists[0]):
                found.append(docnum)
    return found


def _coded(reader, name: str, size: int) -> Coded:
    """Column ``name`` coded; without the column, every document holds b""."""
    if has_column(reader, name):
        return coded_column(reader, name)
    return Coded(np.zeros(size, np.int32), np.array([b""]))


def _groups(codes: np.ndarray) -> dict[int, list[int]]:
    """Group number → its documents, ascending (only documents with a group)."""
    docs = np.flatnonzero(codes >= 0)
    docs = docs[np.argsort(codes[docs], kind="stable")]
    ordered = codes[docs]
    starts = np.flatnonzero(np.diff(ordered, prepend=-1))
    ends = [*starts[1:].tolist(), len(docs)] if len(docs) else []
    listed = docs.tolist()  # sliced as lists: one numpy array a group cost more
    return {
        code: listed[start:end]
        for code, start, end in zip(ordered[starts].tolist(), starts.tolist(), ends, strict=True)
    }


class _Shared:
    """The values of a column (copy groups, stories) that two or more documents share:
    each one's documents, and each document's value as a number (-1 when alone)."""

    def __init__(self, codes: np.ndarray, names: list[str]):
        self.codes = codes
        self.names = names
        self.docs = dict(zip(names, _groups(codes).values(), strict=True))

    @classmethod
    def of(cls, reader, name: str, size: int) -> _Shared:
        column = _coded(reader, name, size)
        counts = column.counts()
        shared = (counts > 1) & (column.values != b"")
        numbers = np.where(shared, np.cumsum(shared) - 1, -1).astype(np.int32)
        names = [bytes(v).decode("utf-8") for v in column.values[shared]]
        return cls(numbers[column.codes], names)

    def key(self, docnum: int) -> str | None:
        """The value of a document, when another document shares it."""
        code = int(self.codes[docnum])
        return self.names[code] if code >= 0 else None
