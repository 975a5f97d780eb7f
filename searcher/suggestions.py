"""Did you mean: respellings from the archive's own unstemmed vocabulary.

A query word is suspect when no article uses it, or when the whole query
finds nothing and the word is uncommon. Its candidates are the words one
edit away (a letter deleted, inserted, replaced, or two neighbours swapped)
that ``body_exact`` holds; the most used wins when it is far more common than
the word itself. Suggestions are always forms that occur in the text, never
stems. Looking up a few hundred spellings is faster than Whoosh's
``terms_within``, which scans the lexicon when a field has no spelling graph.
"""

from __future__ import annotations

import re

from .postings import lexicon

UNCOMMON_DF = 50
MAX_SUSPECTS = 2
GAIN = 10
MIN_DF = 5
FIELD = "body_exact"
LETTERS = "abcdefghijklmnopqrstuvwxyz"


class Suggester:
    """Respell the suspect words of a query from one open reader's vocabulary."""

    def __init__(self, reader):
        self.reader = reader
        self._words: frozenset[str] | None = None

    def words(self) -> frozenset[str]:
        """The field's vocabulary, read once (a set answers faster than the lexicon)."""
        if self._words is None:
            self._words = frozenset(lexicon(self.reader, FIELD))
        return self._words

    def df(self, word: str) -> int:
        return self.reader.doc_frequency(FIELD, word)

    def suggest(self, text: str, words: list[str], total: int) -> str | None:
        """``text`` with suspect words respelled, or None when nothing looks wrong."""
        better = {}
        suspects = 0
        for word in dict.fromkeys(words):
            if len(word) < 4 or not word.isalpha():
                continue
            df = self.df(word)
            if df and (total or df >= UNCOMMON_DF):
                continue
            suspects += 1
            if suspects > MAX_SUSPECTS:
                break
            found = self._best_respelling(word, df)
            if found:
                better[word] = found
        if not better:
            return None
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, better)) + r")\b", re.I)
        suggestion = pattern.sub(lambda match: better[match[0].lower()], text)
        return suggestion if suggestion != text else None

    def _best_respelling(self, word: str, df: int) -> str | None:
        scored = [(self.df(c), c) for c in _edits(word) & self.words()]
        if not scored:
            return None
        best_df, best = max(scored)
        # A word the archive never uses takes any real word; a rare one needs a far commoner one.
        return best if best_df >= (max(MIN_DF, GAIN * df) if df else 1) else None


def _edits(word: str) -> set[str]:
    """Every word one deletion, swap of neighbours, replacement or insertion away."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    swaps = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in LETTERS]
    inserts = [a + c + b for a, b in splits for c in LETTERS]
    return set(deletes + swaps + replaces + inserts) - {word}
