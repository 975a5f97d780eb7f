"""More like this: the articles that share the most weight of one article's key terms."""

from __future__ import annotations

import math
from collections.abc import Callable

from whoosh import query as whoosh_query

# How many of an article's stems stand for it, and how much of its text is read for them.
KEY_TERMS = 12
SCAN_CHARS = 20_000


class MoreLikeThis:
    """Find articles like one article of an open searcher.

    The key terms are the article's ``KEY_TERMS`` stems of highest tf·idf
    among those found in other articles too (``common`` words left out); the
    other documents holding any of them are ranked by BM25 with each term
    weighted by its tf·idf, as a query of those words would be.
    """

    def __init__(self, searcher, docsets, ranker, tokenize, stem: Callable[[str], str], common):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.docsets = docsets
        self.ranker = ranker
        self.tokenize = tokenize
        self.stem = stem
        self.common = common

    def documents(self, docnum: int, limit: int) -> list[int]:
        """Up to ``limit`` other documents, most alike first."""
        weights = self._weights(self._term_counts(docnum))
        key_terms = sorted(weights, key=lambda t: (-weights[t], t))[:KEY_TERMS]
        if not key_terms:
            return []
        top = weights[key_terms[0]]
        terms = [whoosh_query.Term("body", t, boost=weights[t] / top) for t in key_terms]
        clause = whoosh_query.Or(terms)
        bits = self.docsets.of(clause) & ~(1 << docnum)
        return [d for d, _ in self.ranker.top([clause], bits, limit)]

    def _term_counts(self, docnum: int) -> dict[str, int]:
        """How often each stem of the article's content words occurs in its start."""
        fields = self.searcher.stored_fields(docnum)
        text = f"{fields.get('title', '')}\n{fields.get('body', '')}"[:SCAN_CHARS]
        counts: dict[str, int] = {}
        for word, _, _, _ in self.tokenize(text):
            if len(word) > 2 and not word.isdigit() and word not in self.common:
                term = self.stem(word)
                counts[term] = counts.get(term, 0) + 1
        return counts

    def _weights(self, counts: dict[str, int]) -> dict[str, float]:
        """tf·idf of the terms that other articles hold too (but not every article)."""
        size = self.reader.doc_count_all()
        weights = {}
        for term, count in counts.items():
            df = self.reader.doc_frequency("body", term)
            if 1 < df < size:
                weights[term] = count * math.log(size / df)
        return weights
