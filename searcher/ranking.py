"""BM25F ranking over the matches found by ``searcher.docsets``.

Whoosh's matchers visit postings one Python call at a time, which costs
tens of milliseconds on a 25k-article archive. Here each term's BM25 scores
(Whoosh's formula and parameters, Lucene's idf) are computed once per index
generation into numpy arrays (``TermScores``) and cached by ``TermScorer``; a query's score is
then a sum of those arrays into one dense array over the archive, plus a
coordination bonus in fallback mode, and the best documents of the query's
bitset are picked with a partial sort. The cost grows with the postings
read, at a few nanoseconds each, so a query of common words over a quarter
of a million articles still takes milliseconds. The query tree only
supplies leaves: (scores, weight, clause).
"""

from __future__ import annotations

from math import log

import numpy as np
from whoosh import query as whoosh_query

from .cache import ENTRY_OVERHEAD, Lru
from .docsets import mask_of
from .postings import segment_lengths, segment_positions, segment_weights
from .settings import TERM_CACHE_MB

# Chosen on FacQA's train questions (docs/BENCHMARKS.md, "Relevance"): a term's
# frequency saturates sooner (K1 0.6, Whoosh's default 1.2) and long texts pay
# more for their length (B 0.9, default 0.75), so a short passage naming a word
# once can beat a long one repeating it.
B = 0.9
K1 = 0.6
CACHE_BYTES = TERM_CACHE_MB * 2**20  # 12 bytes a cached posting (docnum and score)


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


class TermScorer:
    """The BM25 scores of each term of one open searcher, computed once and cached.

    Shared by ``DocSets`` (a term's documents are its scores' ids) and the
    ``Ranker``, so each term's postings are read once while they stay among
    the recently used, which hold at most ``cache_bytes``.
    """

    def __init__(self, searcher, cache_bytes: int = CACHE_BYTES):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.size = self.reader.doc_count_all()
        self._lengths: dict[str, np.ndarray] = {}
        self._cache = Lru(cache_bytes, weight=_scores_bytes)

    def scores(self, fieldname: str, text: str) -> TermScores:
        """BM25 score of every document holding the term (cached)."""
        return self._cache.get((fieldname, text), lambda: self._compute(fieldname, text))

    def cached(self, key, compute) -> TermScores:
        """Scores of something other than a term (a phrase), cached beside the terms'."""
        return self._cache.get(key, compute)

    def _compute(self, fieldname: str, text: str) -> TermScores:
        if (fieldname, text) not in self.reader:
            return NO_SCORES
        idf = _idf(self.size, self.reader.doc_frequency(fieldname, text))
        average = self.searcher.avg_field_length(fieldname) or 1.0
        all_ids, all_weights = [], []
        for segment, offset in self.reader.leaf_readers():
            if (fieldname, text) in segment:
                ids, weights = segment_weights(segment, fieldname, text)
                all_ids.append(np.asarray(ids, np.int64) + offset)
                all_weights.append(np.asarray(weights, np.float64))
        if not all_ids:
            return NO_SCORES
        ids = np.concatenate(all_ids)
        w = np.concatenate(all_weights)  # term frequencies
        lengths = self._field_lengths(fieldname)[ids]
        scores = idf * (K1 + 1) * w / (w + K1 * (1 - B) + K1 * B * lengths / average)
        return TermScores(ids.astype(np.int32), scores)

    def _field_lengths(self, fieldname: str) -> np.ndarray:
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            parts = [segment_lengths(seg, fieldname) for seg, _ in self.reader.leaf_readers()]
            lengths = np.concatenate(parts) if parts else np.zeros(0)
            self._lengths[fieldname] = lengths
        return lengths


class Ranker:
    """Score and order the documents of a bitset for a compiled query."""

    def __init__(self, searcher, docsets, scorer: TermScorer):
        self.reader = searcher.reader()
        self.size = self.reader.doc_count_all()
        self.docsets = docsets
        self.scorer = scorer

    def top(self, clauses, bits: int, limit: int, coord: float = 0.0):
        """The ``limit`` best (docnum, score) of ``bits`` for the soft ``clauses``.

        With ``coord`` a document's score grows by up to that share with the
        number of clauses it matches (the fallback's coordination bonus).
        Ties go to the lower document number; documents of ``bits`` that
        match no clause follow at 0.
        """
        total, matched = self._summed_scores(clauses, counting=bool(coord) and len(clauses) > 1)
        if matched is not None:
            total *= 1.0 + coord * np.maximum(matched - 1, 0) / (len(clauses) - 1)
        docs = np.flatnonzero(mask_of(bits, self.size))
        values = total[docs]
        if len(docs) > limit:
            docs, values = _best(docs, values, limit)
        order = np.lexsort((docs, -values))
        return list(zip(docs[order].tolist(), values[order].tolist(), strict=True))

    def _summed_scores(self, clauses, counting: bool):
        """Every document's summed score, and (when ``counting``) how many clauses it matches."""
        total = np.zeros(self.size)
        matched = np.zeros(self.size, np.int16) if counting else None
        for i, clause in enumerate(clauses):
            leaves: list = []
            self.leaves(clause, 1.0, i, leaves)
            seen = np.zeros(self.size, bool) if counting else None
            for scores, weight, _ in leaves:
                if len(scores):
                    # A term's docnums are distinct, so the fancy-indexed sum is exact.
                    total[scores.ids] += scores.scores * weight
                    if seen is not None:
                        seen[scores.ids] = True
            if seen is not None:
                matched += seen
        return total, matched

    def leaves(self, q, weight, clause, out):
        """Append (scores, weight, clause) for each term and phrase of the query ``q``."""
        weight *= getattr(q, "boost", 1.0)
        if isinstance(q, whoosh_query.Term):
            out.append((self.scorer.scores(q.fieldname, q.text), weight, clause))
        elif isinstance(q, whoosh_query.Phrase):
            out.append((self._phrase_scores(q), weight, clause))
        elif isinstance(q, (whoosh_query.And, whoosh_query.Or)):
            for sub in q.subqueries:
                self.leaves(sub, weight, clause, out)
        elif isinstance(q, whoosh_query.AndMaybe):
            self.leaves(q.a, weight, clause, out)
            self.leaves(q.b, weight, clause, out)

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
                scores_a = self.scorer.scores(fieldname, a)
                scores_b = self.scorer.scores(fieldname, b)
                for d, found in positions.items():
                    at_a, at_b = found.get(a), found.get(b)
                    if at_a and at_b and _side_by_side(at_a, at_b):
                        extra[d] += weight * min(scores_a.get(d, 0.0), scores_b.get(d, 0.0))
        rescored = [(d, s + extra[d]) for d, s in hits]
        return sorted(rescored, key=lambda ds: (-ds[1], ds[0]))

    def _positions(self, fieldname, stems, docs) -> dict[int, dict[str, list[int]]]:
        found: dict[int, dict[str, list[int]]] = {}
        for segment, offset in self.reader.leaf_readers():
            local = [d - offset for d in docs if 0 <= d - offset < segment.doc_count_all()]
            if not local:
                continue
            for stem in stems:
                if (fieldname, stem) in segment:
                    for d, positions in segment_positions(segment, fieldname, stem, local):
                        found.setdefault(d + offset, {})[stem] = positions
        return found

    def _phrase_scores(self, q) -> TermScores:
        key = ("phrase", q.fieldname, tuple(q.words), q.slop)
        return self.scorer.cached(key, lambda: self._compute_phrase(q))

    def _compute_phrase(self, q) -> TermScores:
        docs = np.flatnonzero(mask_of(self.docsets.of(q), self.size))
        scores = np.zeros(len(docs))
        for word in q.words:
            scores += self.scorer.scores(q.fieldname, word).at(docs)
        return TermScores(docs.astype(np.int32), scores)


def _scores_bytes(scores: TermScores) -> int:
    return scores.ids.nbytes + scores.scores.nbytes + ENTRY_OVERHEAD


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


def _side_by_side(first: list[int], second: list[int]) -> bool:
    """Whether a position of ``second`` follows one of ``first`` (at most a word between)."""
    later = set(second)
    return any(p + 1 in later or p + 2 in later for p in first)
