"""BM25F ranking over the matches found by ``searcher.docsets``.

Whoosh's matchers visit postings one Python call at a time, which costs
tens of milliseconds on a 25k-article archive. Here each term's BM25 scores
(Whoosh's formula and parameters, Lucene's idf) are computed once per index
generation into numpy arrays (``TermScores``) and cached; a query's score is
then a sum of those arrays into one dense array over the archive, plus a
coordination bonus in fallback mode, and the best documents of the query's
bitset are picked with a partial sort. The cost grows with the postings
read, at a few nanoseconds each, so a query of common words over a quarter
of a million articles still takes milliseconds. The query tree only
supplies leaves: (scores, weight, clause).
"""

from __future__ import annotations

from bisect import bisect_left
from math import log

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import _lenfield
from whoosh.util.numeric import byte_to_length

from .docsets import Lru, mask_of

B = 0.75
K1 = 1.2
# Cached postings (term → document → score) take 12 bytes each: at least
# 4 million, or 64 per document of the archive (a warm working set of terms).
CACHE_POSTINGS = 4_000_000
CACHE_POSTINGS_PER_DOC = 64


class TermScores:
    """The BM25 score of every document holding a term: docnums ascending, and scores."""

    __slots__ = ("ids", "scores")

    def __init__(self, ids: np.ndarray, scores: np.ndarray):
        self.ids, self.scores = ids, scores

    def __len__(self) -> int:
        return len(self.ids)

    def get(self, docnum: int, default=None):
        """The score of one document, or ``default`` when it lacks the term."""
        i = int(np.searchsorted(self.ids, docnum))
        if i < len(self.ids) and self.ids[i] == docnum:
            return float(self.scores[i])
        return default

    def at(self, docnums: np.ndarray) -> np.ndarray:
        """The scores of ascending ``docnums`` (0 where the term is missing)."""
        if not len(self.ids):
            return np.zeros(len(docnums))
        i = np.minimum(np.searchsorted(self.ids, docnums), len(self.ids) - 1)
        return np.where(self.ids[i] == docnums, self.scores[i], 0.0)


NO_SCORES = TermScores(np.zeros(0, np.int32), np.zeros(0))


class Ranker:
    """Score and order the documents of a bitset for a compiled query."""

    def __init__(self, searcher, docsets):
        self.searcher = searcher
        self.docsets = docsets
        self.reader = searcher.reader()
        self.size = self.reader.doc_count_all()
        self._lengths: dict[str, np.ndarray] = {}
        capacity = max(CACHE_POSTINGS, CACHE_POSTINGS_PER_DOC * self.size)
        self._cache = Lru(capacity, weight=lambda scores: len(scores) + 1)

    def top(self, clauses, bits: int, limit: int, coord: float = 0.0):
        """The ``limit`` best (docnum, score) of ``bits`` for the soft ``clauses``.

        With ``coord`` a document's score grows by up to that share with the
        number of clauses it matches (the fallback's coordination bonus).
        Ties go to the lower document number; documents of ``bits`` that
        match no clause follow at 0.
        """
        size, n = self.size, len(clauses)
        total = np.zeros(size)
        matched = np.zeros(size, np.int16) if coord and n > 1 else None
        for i, clause in enumerate(clauses):
            leaves: list = []
            self._leaves(clause, 1.0, i, leaves)
            seen = np.zeros(size, bool) if matched is not None else None
            for scores, weight, _ in leaves:
                if len(scores):
                    # A term's docnums are distinct, so the fancy-indexed sum is exact.
                    total[scores.ids] += scores.scores * weight
                    if seen is not None:
                        seen[scores.ids] = True
            if seen is not None:
                matched += seen
        if matched is not None:
            total *= 1.0 + coord * np.maximum(matched - 1, 0) / (n - 1)
        docs = np.flatnonzero(mask_of(bits, size))
        values = total[docs]
        if len(docs) > limit:
            docs, values = _best(docs, values, limit)
        order = np.lexsort((docs, -values))
        return list(zip(docs[order].tolist(), values[order].tolist(), strict=True))

    def _leaves(self, q, weight, clause, out):
        weight *= getattr(q, "boost", 1.0)
        if isinstance(q, wq.Term):
            out.append((self.term_scores(q.fieldname, q.text), weight, clause))
        elif isinstance(q, wq.Phrase):
            out.append((self._phrase_scores(q), weight, clause))
        elif isinstance(q, (wq.And, wq.Or)):
            for sub in q.subqueries:
                self._leaves(sub, weight, clause, out)
        elif isinstance(q, wq.AndMaybe):
            self._leaves(q.a, weight, clause, out)
            self._leaves(q.b, weight, clause, out)

    def with_proximity(self, hits, pairs, weight: float, fields=("title", "body")):
        """``hits`` re-ordered after adding, for each pair of query stems found
        side by side (at most one word apart), ``weight`` times the smaller of
        the two terms' scores."""
        if not hits or not pairs:
            return hits
        stems = {s for pair in pairs for s in pair}
        extra = dict.fromkeys((d for d, _ in hits), 0.0)
        for fieldname in fields:
            positions = self._positions(fieldname, stems, sorted(extra))
            for a, b in pairs:
                sa, sb = self.term_scores(fieldname, a), self.term_scores(fieldname, b)
                for d, found in positions.items():
                    pa, pb = found.get(a), found.get(b)
                    if pa and pb and _near(pa, pb):
                        extra[d] += weight * min(sa.get(d, 0.0), sb.get(d, 0.0))
        rescored = [(d, s + extra[d]) for d, s in hits]
        return sorted(rescored, key=lambda ds: (-ds[1], ds[0]))

    def _positions(self, fieldname, stems, docs) -> dict[int, dict[str, list[int]]]:
        found: dict[int, dict[str, list[int]]] = {}
        for leaf, offset in self.reader.leaf_readers():
            local = [d - offset for d in docs if 0 <= d - offset < leaf.doc_count_all()]
            if not local:
                continue
            for stem in stems:
                if (fieldname, stem) in leaf:
                    for d, positions in _leaf_positions(leaf, fieldname, stem, local):
                        found.setdefault(d + offset, {})[stem] = positions
        return found

    # -- per-term scores -----------------------------------------------------------

    def term_scores(self, fieldname: str, text: str) -> TermScores:
        """BM25 score of every document holding the term (cached)."""
        return self._cache.get((fieldname, text), lambda: self._compute(fieldname, text))

    def _compute(self, fieldname: str, text: str) -> TermScores:
        if (fieldname, text) not in self.reader:
            return NO_SCORES
        idf = _idf(self.size, self.reader.doc_frequency(fieldname, text))
        avg = self.searcher.avg_field_length(fieldname) or 1.0
        all_ids, all_weights = [], []
        for leaf, offset in self.reader.leaf_readers():
            if (fieldname, text) in leaf:
                ids, weights = _postings(leaf, fieldname, text)
                all_ids.append(np.asarray(ids, np.int64) + offset)
                all_weights.append(np.asarray(weights, np.float64))
        if not all_ids:
            return NO_SCORES
        ids = np.concatenate(all_ids)
        w = np.concatenate(all_weights)
        lengths = self._field_lengths(fieldname)[ids]
        scores = idf * (K1 + 1) * w / (w + K1 * (1 - B) + K1 * B * lengths / avg)
        return TermScores(ids.astype(np.int32), scores)

    def _field_lengths(self, fieldname: str) -> np.ndarray:
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            parts = [_leaf_lengths(leaf, fieldname) for leaf, _ in self.reader.leaf_readers()]
            lengths = np.concatenate(parts) if parts else np.zeros(0)
            self._lengths[fieldname] = lengths
        return lengths

    def _phrase_scores(self, q) -> TermScores:
        key = ("phrase", q.fieldname, tuple(q.words), q.slop)
        return self._cache.get(key, lambda: self._compute_phrase(q))

    def _compute_phrase(self, q) -> TermScores:
        docs = np.flatnonzero(mask_of(self.docsets.of(q), self.size))
        scores = np.zeros(len(docs))
        for word in q.words:
            scores += self.term_scores(q.fieldname, word).at(docs)
        return TermScores(docs.astype(np.int32), scores)


def _best(docs: np.ndarray, values: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``limit`` highest ``values`` with their ``docs`` (ascending); ties to lower docs."""
    threshold = -np.partition(-values, limit - 1)[limit - 1]
    above = np.flatnonzero(values > threshold)
    tied = np.flatnonzero(values == threshold)[: limit - len(above)]
    keep = np.concatenate([above, tied])
    return docs[keep], values[keep]


def _idf(n: int, df: int) -> float:
    """Robertson-Sparck Jones idf, as in Lucene's BM25 (rare words weigh more than in Whoosh's)."""
    return log(1 + (n - df + 0.5) / (df + 0.5))


def _near(first: list[int], second: list[int]) -> bool:
    later = set(second)
    return any(p + 1 in later or p + 2 in later for p in first)


def _postings(leaf, fieldname: str, text: str):
    """Ids and weights of one term in one segment, read a block at a time."""
    m = leaf.postings(fieldname, text)
    m = getattr(m, "child", m) if type(m).__name__ == "FilterMatcher" else m
    ids, weights = [], []
    if not hasattr(m, "_read_weights"):  # another codec: the slow, general way
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            m.next()
        return ids, weights
    while m.is_active():
        m._read_ids()
        m._read_weights()
        ids.extend(m._ids[m._i :])
        weights.extend(m._weights[m._i :])
        m._next_block()
    return ids, weights


def _leaf_positions(leaf, fieldname: str, text: str, docs: list[int]):
    """(docnum, positions) of the term in those of ascending ``docs`` that hold it.

    Reads whole blocks: blocks without a wanted document are passed over
    unread, and a wanted document is found in its block by bisection rather
    than by stepping through the postings one call at a time.
    """
    m = leaf.postings(fieldname, text)
    m = getattr(m, "child", m) if type(m).__name__ == "FilterMatcher" else m
    if not hasattr(m, "_read_values"):  # another codec: the general way
        for d in docs:
            if not m.is_active():
                return
            if m.id() < d:
                m.skip_to(d)
            if m.is_active() and m.id() == d:
                yield d, m.value_as("positions")
        return
    decode = m.format.decoder("positions")
    j = 0
    while m.is_active() and j < len(docs):
        last = m.block_max_id()
        if docs[j] <= last:
            if m._ids is None:
                m._read_ids()
            ids = m._ids
            while j < len(docs) and docs[j] <= last:
                k = bisect_left(ids, docs[j])
                if k < len(ids) and ids[k] == docs[j]:
                    if m._values is None:
                        m._read_values()
                    yield docs[j], decode(m._values[k])
                j += 1
        m._next_block()


def _leaf_lengths(leaf, fieldname: str) -> np.ndarray:
    """The length of ``fieldname`` in each document of one segment."""
    count = leaf.doc_count_all()
    perdoc = getattr(leaf, "_perdoc", None)
    column = None
    if perdoc is not None and hasattr(perdoc, "_cached_reader"):
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN

        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return np.array([leaf.doc_field_length(d, fieldname, 0) or 0 for d in range(count)], float)
    # Whoosh stores each length as one byte (a lossy float); 0 means none.
    table = np.array([byte_to_length(b) if b else 0 for b in range(256)], float)
    return table[np.fromiter(column, np.uint8, count)]
