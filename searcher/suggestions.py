"""Did you mean: respellings from the archive's own unstemmed vocabulary.

A query word is suspect when no article uses it, or when the whole query
finds nothing and the word is uncommon. Its candidates are the words of
``body_exact`` one edit away (or two, for long words), plus swapped
neighbouring letters; the most used candidate wins when it is far more
common than the word itself. Suggestions are always forms that occur in the
text, never stems.
"""

from __future__ import annotations

import re

UNCOMMON_DF = 50
MAX_SUSPECTS = 2
GAIN = 10
MIN_DF = 5
FIELD = "body_exact"


class Suggester:
    def __init__(self, reader):
        self.reader = reader

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
            found = self._best(word, df)
            if found:
                better[word] = found
        if not better:
            return None
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, better)) + r")\b", re.I)
        suggestion = pattern.sub(lambda m: better[m[0].lower()], text)
        return suggestion if suggestion != text else None

    def _best(self, word: str, df: int) -> str | None:
        candidates = set(self._swaps(word))
        candidates.update(self.reader.terms_within(FIELD, word, 1, prefix=1))
        if not any(self.df(c) >= MIN_DF for c in candidates - {word}) and len(word) >= 7:
            candidates.update(self.reader.terms_within(FIELD, word, 2, prefix=3))
        scored = [(self.df(c), c) for c in candidates if c != word and c.isalpha()]
        if not scored:
            return None
        best_df, best = max(scored)
        # A word the archive never uses takes any real word; a rare one needs a far commoner one.
        return best if best_df >= (max(MIN_DF, GAIN * df) if df else 1) else None

    def _swaps(self, word: str):
        for i in range(len(word) - 1):
            swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            if swapped != word and self.df(swapped):
                yield swapped
