"""What the spelling rules need to know about words: names and dictionary words.

Names: a word capitalised mid-sentence in most of its occurrences is a name ("Ani",
"Bekasi", "OJK"); a did-you-mean must not "correct" it into a common word.
Only mid-sentence occurrences count: the first word of a sentence, of a
quotation or of a paragraph is capitalised whatever it is. Some archives
join paragraphs with a bare comma (``tersebut.,Dalam``), so a word glued to
a comma counts as a paragraph start; "Vidal, Vietto" (comma and space) is a
list and counts.

Neighbours: ``neighbours`` gives the words either side of each occurrence of
a word, as ``body_exact`` holds them (positions of ``exact_terms``), so a
did-you-mean can ask whether a candidate stands beside the same words
elsewhere in the archive.

Dictionary words: ``known_word`` says whether Sastrawi's dictionary holds a
word, or affixes Sastrawi can strip down to a root it holds ("dikirimi").

``CapitalCounts`` only counts what it is given: the searcher's did-you-mean
counts a few articles of one rare word (``searcher.suggestions``), the
benchmarks the whole archive.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator

from .analysis import _sastrawi, stem

_WORD = re.compile(r"[^\W\d_]+")
_BOUNDARY = frozenset(".!?:\"'“”‘’-–—•")
_GLUED = frozenset(",;")


def mid_sentence_words(text: str) -> Iterator[tuple[str, bool]]:
    """(lowercased word, written with a capital) for each word inside a sentence."""
    for match in _WORD.finditer(text):
        start = match.start()
        if start == 0 or _starts_something(text[max(0, start - 4) : start]):
            continue
        word = match.group()
        yield word.lower(), word[0].isupper()


def _starts_something(before: str) -> bool:
    if before[-1] == "-" and len(before) > 1 and before[-2].isalnum():
        return False  # inside a compound: Tanah Abang-Rangkas
    if before[-1] in _GLUED:
        return True  # a paragraph joined with a bare comma
    stripped = before.rstrip()
    return not stripped or stripped[-1] in _BOUNDARY


class CapitalCounts:
    """Mid-sentence occurrences of each word, and how many had a capital."""

    def __init__(self):
        self.seen: Counter[str] = Counter()
        self.capitalised: Counter[str] = Counter()

    def add(self, text: str) -> None:
        """Count the mid-sentence words of one text."""
        for word, capital in mid_sentence_words(text):
            self.seen[word] += 1
            if capital:
                self.capitalised[word] += 1

    def add_all(self, texts: Iterable[str]) -> CapitalCounts:
        for text in texts:
            self.add(text)
        return self

    def is_name(self, word: str, share: float = 0.5) -> bool:
        """Capitalised in at least ``share`` of its mid-sentence occurrences."""
        seen = self.seen[word]
        return bool(seen) and self.capitalised[word] >= share * seen

    def names(self, share: float = 0.5) -> frozenset[str]:
        """Every word written as a name (what an index generation would store)."""
        return frozenset(w for w in self.capitalised if self.is_name(w, share))


def known_word(word: str, stem: Callable[[str], str] = stem) -> bool:
    """A Sastrawi dictionary root, or a word ``stem`` reduces to a different root.

    Not cached: the caller that asks often owns a cache (the searcher keeps
    its answers per generation, the benchmark per run).
    """
    return _sastrawi().dictionary.contains(word) or stem(word) != word


def neighbours(terms: dict[str, list[int]], word: str, limit: int = 8) -> list[tuple]:
    """(word before, word after) of up to ``limit`` occurrences of ``word``.

    ``terms`` are a text's ``exact_terms`` (words as the exact field indexes
    them); None stands for either end of the text.
    """
    at = {position: term for term, positions in terms.items() for position in positions}
    return [(at.get(p - 1), at.get(p + 1)) for p in terms.get(word, ())[:limit]]
