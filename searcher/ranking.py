"""BM25F ranking over the matches found by ``searcher.docsets``.

Whoosh's matchers visit postings one Python call at a time, which costs
tens of milliseconds on a 25k-article archive. Here each term's BM25 scores
(Whoosh's formula and parameters, Lucene's idf) are computed once per index
generation into a dict and cached; a query's score is then a sum over those
dicts for the documents that match, plus a coordination bonus in fallback
mode. The query tree only supplies leaves: (scores, weight, clause).
"""

from __future__ import annotations

import heapq
from math import log

from whoosh import query as wq
from whoosh.codec.whoosh3 import _lenfield
from whoosh.util.numeric import byte_to_length

from .docsets import Lru, members

B = 0.75
K1 = 1.2
# Cached postings (term → document → score), about 100 bytes each: at least
# 3 million, or 40 per document of the archive (a warm working set of terms).
CACHE_POSTINGS = 3_000_000
CACHE_POSTINGS_PER_DOC = 40


class Ranker:
    """Score and order the documents of a bitset for a compiled query."""

    def __init__(self, searcher, docsets):
        self.searcher = searcher
        self.docsets = docsets
        self.reader = searcher.reader()
        self._lengths: dict[str, list[int]] = {}
        capacity = max(CACHE_POSTINGS, CACHE_POSTINGS_PER_DOC * self.reader.doc_count_all())
        self._cache = Lru(capacity, weight=lambda scores: len(scores) + 1)

    def top(self, clauses, bits: int, limit: int, coord: float = 0.0, filtered: bool = True):
        """The ``limit`` best (docnum, score) of ``bits`` for the soft ``clauses``.

        With ``coord`` a document's score grows by up to that share with the
        number of clauses it matches (the fallback's coordination bonus).
        ``filtered=False`` promises that ``bits`` is every document matching
        some clause, which spares a membership test per posting.
        """
        leaves = []
        for i, clause in enumerate(clauses):
            self._leaves(clause, 1.0, i, leaves)
        postings = sum(len(scores) for scores, _, _ in leaves)
        if bits.bit_count() * len(leaves) <= postings:
            scored = self._by_document(members(bits), leaves, len(clauses), coord)
        else:
            allowed = set(members(bits)) if filtered or not coord else None
            scored = self._by_posting(allowed, leaves, len(clauses), coord, limit)
            if len(scored) < limit:  # too few scored: the other matches follow at 0
                scored.update((d, 0.0) for d in members(bits) if d not in scored)
            scored = scored.items()
        return heapq.nlargest(limit, scored, key=lambda ds: (ds[1], -ds[0]))

    @staticmethod
    def _by_document(docs, leaves, n, coord):
        out = []
        for d in docs:
            score, found = 0.0, set()
            for scores, weight, clause in leaves:
                v = scores.get(d)
                if v is not None:
                    score += v * weight
                    found.add(clause)
            if coord and n > 1:
                score *= 1.0 + coord * (len(found) - 1) / (n - 1)
            out.append((d, score))
        return out

    @staticmethod
    def _by_posting(docs, leaves, n, coord, limit) -> dict[int, float]:
        """Sum scores term by term, rarest first.

        Once ``limit`` documents have scores, a term far commoner than that
        only adds to them (max-score pruning): a document holding nothing but
        common words can't climb above ones holding the rare words.
        """
        acc: dict[int, float] = {}
        found: dict[int, int] = {}  # document → bit mask of the clauses it matches
        get, found_get = acc.get, found.get
        for scores, weight, clause in sorted(leaves, key=lambda leaf: len(leaf[0])):
            if len(acc) >= limit and len(scores) > 2 * len(acc):
                pairs = [(d, v) for d in acc if (v := scores.get(d)) is not None]
            elif docs is None:
                pairs = scores.items()
            else:
                pairs = [(d, v) for d, v in scores.items() if d in docs]
            if coord:
                bit = 1 << clause
                for d, v in pairs:
                    acc[d] = get(d, 0.0) + v * weight
                    found[d] = found_get(d, 0) | bit
            else:
                for d, v in pairs:
                    acc[d] = get(d, 0.0) + v * weight
        if coord and n > 1:
            share = coord / (n - 1)
            for d, mask in found.items():
                acc[d] *= 1.0 + share * (mask.bit_count() - 1)
        return acc

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
                if (fieldname, stem) not in leaf:
                    continue
                m = leaf.postings(fieldname, stem)
                for d in local:
                    if not m.is_active():
                        break
                    if m.id() < d:
                        m.skip_to(d)
                    if m.is_active() and m.id() == d:
                        found.setdefault(d + offset, {})[stem] = m.value_as("positions")
        return found

    # -- per-term scores -----------------------------------------------------------

    def term_scores(self, fieldname: str, text: str) -> dict[int, float]:
        """BM25 score of every document holding the term (cached)."""
        return self._cache.get((fieldname, text), lambda: self._compute(fieldname, text))

    def _compute(self, fieldname: str, text: str) -> dict[int, float]:
        searcher = self.searcher
        if (fieldname, text) not in self.reader:
            return {}
        idf = _idf(self.reader.doc_count_all(), self.reader.doc_frequency(fieldname, text))
        avg = searcher.avg_field_length(fieldname) or 1.0
        lengths = self._field_lengths(fieldname)
        # bm25(idf, w, length, avg, B, K1), unrolled: this loop runs once per posting.
        top, flat, slope = idf * (K1 + 1), K1 * (1 - B), K1 * B / avg
        scores = {}
        for leaf, offset in self.reader.leaf_readers():
            if (fieldname, text) not in leaf:
                continue
            ids, weights = _postings(leaf, fieldname, text)
            if offset:
                ids = [d + offset for d in ids]
            scores.update(
                (d, top * w / (w + flat + slope * lengths[d]))
                for d, w in zip(ids, weights, strict=True)
            )
        return scores

    def _field_lengths(self, fieldname: str) -> list[int]:
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            lengths = []
            for leaf, _ in self.reader.leaf_readers():
                lengths.extend(_leaf_lengths(leaf, fieldname))
            self._lengths[fieldname] = lengths
        return lengths

    def _phrase_scores(self, q) -> dict[int, float]:
        key = ("phrase", q.fieldname, tuple(q.words), q.slop)
        return self._cache.get(key, lambda: self._compute_phrase(q))

    def _compute_phrase(self, q) -> dict[int, float]:
        docs = members(self.docsets.of(q))
        parts = [self.term_scores(q.fieldname, w) for w in q.words]
        return {d: sum(p.get(d, 0.0) for p in parts) for d in docs}


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


def _leaf_lengths(leaf, fieldname: str) -> list[int]:
    """The length of ``fieldname`` in each document of one segment."""
    count = leaf.doc_count_all()
    perdoc = getattr(leaf, "_perdoc", None)
    column = None
    if perdoc is not None and hasattr(perdoc, "_cached_reader"):
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN

        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return [leaf.doc_field_length(d, fieldname, 0) or 0 for d in range(count)]
    table = [byte_to_length(b) for b in range(256)]
    return [table[b] if b else 0 for b in column]
