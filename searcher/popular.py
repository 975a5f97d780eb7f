"""More popular spellings: did-you-mean for words the archive does contain.

A news archive holds its own typos: "esklasi" is in the sample archive beside
"eskalasi", so a word being indexed does not make it right. In the spirit of
Lucene's ``SUGGEST_MORE_POPULAR``, a close spelling is offered when the
archive uses it in far more articles than the typed word.

Far more is a ratio ``K`` that grows with the risk that the two words are
both right (``Rules``, fitted on the tune part of ``bench/judged/typos.tsv``
by ``bench/typo_eval.py --fit``):

* two edits instead of one, a substitution of letters that are not
  neighbours on the keyboard, or a letter added or dropped at the end
  ("kita"/"kota", "bapa"/"bapak") make a different word more likely;
* a typed word written with a capital mid-sentence in most of its
  occurrences is a name ("Ani"/"Ana");
* a typed word that Sastrawi knows (a root, or affixes around a root) is a
  word; one repeated within an article is meant;
* a candidate that shares the typed word's stem is an inflection, never a
  correction ("dikirim"/"dikirimi"); words of four or five letters need
  more, shorter ones are never corrected.

A candidate Sastrawi knows while the typed word is unknown, or one used in
the same articles, needs less. The candidate must always be strictly more
popular (articles, then occurrences). That is all an archive of fewer than
``small_archive`` articles can show, so there a typing slip (one edit, not an
unusual one) into a dictionary word from a word the dictionary does not know
is enough: in the five sample articles "esklasi" (one article, once) gets
"eskalasi" (one article, twice).

Everything the rule knows about the archive comes in as plain callables
(``Lookups``), so this module imports nothing of ours; ``SpellingIndex`` finds
the close words with a bounded symmetric-delete dictionary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from heapq import nlargest

KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEY_AT = {ch: (row, col) for row, keys in enumerate(KEYBOARD) for col, ch in enumerate(keys)}

# Edit kinds (typed word against the candidate).
DELETE, TRANSPOSE, DOUBLE, INSERT = "delete", "transpose", "double", "insert"
NEAR_KEY, SUBSTITUTE, END, TWO = "near-key", "substitute", "end", "two"
UNUSUAL = frozenset({SUBSTITUTE, END})


# -- distances ------------------------------------------------------------------


def osa_distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein without re-edits),
    or ``limit + 1`` as soon as it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before, row = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + cost)
            if before and i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, row = row, current
    return min(row[-1], limit + 1)


def near_keys(a: str, b: str) -> bool:
    """Whether two letters are neighbours on a QWERTY keyboard."""
    if a == b or a not in _KEY_AT or b not in _KEY_AT:
        return False
    (r1, c1), (r2, c2) = _KEY_AT[a], _KEY_AT[b]
    return abs(r1 - r2) <= 1 and abs(c1 - c2) <= 1


def edit_kind(typed: str, candidate: str) -> str:
    """How ``typed`` differs from ``candidate`` when one edit apart (else ``TWO``)."""
    if len(typed) == len(candidate):
        diff = [i for i, (x, y) in enumerate(zip(typed, candidate, strict=True)) if x != y]
        if len(diff) == 1:
            i = diff[0]
            return NEAR_KEY if near_keys(typed[i], candidate[i]) else SUBSTITUTE
        if len(diff) == 2 and diff[1] == diff[0] + 1 and typed[diff[0]] == candidate[diff[1]]:
            return TRANSPOSE if typed[diff[1]] == candidate[diff[0]] else TWO
        return TWO
    if len(typed) == len(candidate) + 1:
        return _extra_letter(typed, candidate)
    if len(typed) + 1 == len(candidate):
        return _missing_letter(typed, candidate)
    return TWO


def _extra_letter(typed: str, candidate: str) -> str:
    for i in range(len(typed)):
        if typed[:i] + typed[i + 1 :] == candidate:
            if typed[i] in typed[max(0, i - 1) : i] + typed[i + 1 : i + 2]:
                return DOUBLE
            return END if i == len(typed) - 1 else INSERT
    return TWO


def _missing_letter(typed: str, candidate: str) -> str:
    for i in range(len(candidate)):
        if candidate[:i] + candidate[i + 1 :] == typed:
            return END if i == len(candidate) - 1 else DELETE
    return TWO


# -- candidates -----------------------------------------------------------------


def _deletes(word: str, depth: int) -> set[str]:
    found, frontier = {word}, {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


class SpellingIndex:
    """Close words of a vocabulary, by symmetric deletes (built once, bounded).

    ``frequencies`` are (word, occurrences) pairs. Only words that could ever
    be suggested are kept: plain lowercase letters, at least ``min_length``
    long, used at least twice (a suggestion must be more popular than a word
    the archive has), the ``max_words`` most used of them. Each is stored
    under itself and its one-letter deletes; a query looks up its own deletes
    up to the distance asked for, which finds every word up to two edits away
    except those needing two deletes on both sides (two substitutions), and
    checks the true distance.
    """

    def __init__(
        self,
        frequencies: Iterable[tuple[str, int]],
        min_length: int = 3,
        max_words: int = 200_000,
    ):
        usable = (
            (count, w)
            for w, count in frequencies
            if count >= 2 and len(w) >= min_length and w.isascii() and w.isalpha() and w.islower()
        )
        self.words = [w for _, w in nlargest(max_words, usable)]
        # Keyed by the hash of a delete, not the string: half the memory; a
        # collision only adds a word that the distance check then drops.
        self._by_delete: dict[int, str | tuple[str, ...]] = {}
        table = self._by_delete
        for word in self.words:
            for key in map(hash, _deletes(word, 1)):
                held = table.get(key)
                if held is None:
                    table[key] = word
                else:
                    table[key] = (*held, word) if isinstance(held, tuple) else (held, word)

    def __len__(self) -> int:
        return len(self.words)

    def _under(self, key: str) -> tuple[str, ...]:
        held = self._by_delete.get(hash(key), ())
        return (held,) if isinstance(held, str) else held

    def __contains__(self, word: str) -> bool:
        return word in self._under(word)

    def candidates(self, word: str, max_edits: int) -> dict[str, int]:
        """Vocabulary words 1..``max_edits`` edits from ``word``, with their distance."""
        found = {}
        for key in _deletes(word, max_edits):
            for other in self._under(key):
                if other != word and other not in found:
                    found[other] = osa_distance(word, other, max_edits)
        return {w: d for w, d in found.items() if d <= max_edits}


# -- the rule -------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """When a more popular spelling is worth suggesting (factors multiply ``ratio``).

    ``None`` for a factor means never (``name=None``: never correct a word
    capitalised in most of its occurrences). The defaults were fitted on the
    tune part of ``bench/judged/typos.tsv`` (``bench/typo_eval.py --fit``).
    """

    min_length: int = 4  # shorter words are never corrected
    short_up_to: int = 5
    one_edit_up_to: int = 7  # longer words may be two edits away
    ratio: float = 30.0
    short: float = 10.0
    two_edits: float = 100.0
    unusual_edit: float = 100.0
    name: float | None = 10.0  # a name, close to another name
    name_to_word: float | None = 10.0  # a name, close to a common word
    known_word: float | None = 10.0
    repeated: float = 10.0
    known_candidate: float = 10.0  # divides
    cooccurring: float = 10.0  # divides, unless chance explains sharing an article
    chance: float = 0.2
    min_candidate_df: int = 1
    small_archive: int = 100  # fewer articles cannot show a ratio

    def max_edits(self, word: str) -> int:
        """0 (too short to correct), 1 or 2 edits, by the word's length."""
        if len(word) < self.min_length:
            return 0
        return 1 if len(word) <= self.one_edit_up_to else 2


def _never(_word: str) -> bool:
    return False


@dataclass(frozen=True)
class Lookups:
    """What the rule may ask the archive: all plain callables.

    ``df``: articles using a word; ``cf``: its occurrences (defaults to
    ``df``); ``capitalised``: written with a capital mid-sentence in most
    occurrences; ``stem``: the stem two inflections share; ``known``: a
    dictionary word (root or affixed root); ``cooccur(a, b)``: some article
    uses both; ``articles``: how many articles the archive has (0: unknown).
    """

    df: Callable[[str], int]
    cf: Callable[[str], int] | None = None
    capitalised: Callable[[str], bool] = _never
    stem: Callable[[str], str] | None = None
    known: Callable[[str], bool] = _never
    cooccur: Callable[[str, str], bool] | None = None
    articles: int = 0

    def popularity(self, word: str) -> tuple[int, int]:
        """(articles, occurrences): what "more popular" compares."""
        df = self.df(word)
        return df, (self.cf(word) if self.cf else df)


@dataclass(frozen=True)
class Suggestion:
    """A suggested spelling and the evidence that allowed it."""

    word: str
    candidate: str
    edits: int
    kind: str
    needed: float  # the ratio this pair had to reach
    ratio: float  # df(candidate) / df(word)


class MorePopular:
    """Suggest a far more popular close spelling of a word the archive has."""

    def __init__(self, index: SpellingIndex, lookups: Lookups, rules: Rules = Rules()):
        self.index = index
        self.lookups = lookups
        self.rules = rules

    @property
    def small(self) -> bool:
        """An archive too small for ratios: only the dictionary can tell."""
        return 0 < self.lookups.articles < self.rules.small_archive

    def suggest(self, word: str) -> str | None:
        """The better spelling of ``word``, or None when it should stand."""
        found = self.explain(word)
        return found.candidate if found else None

    def explain(self, word: str) -> Suggestion | None:
        """The suggestion with the evidence that allowed it, or None."""
        word = word.lower()
        max_edits = self.rules.max_edits(word)
        popularity = self.lookups.popularity(word)
        if not max_edits or not word.isalpha() or popularity[0] < 1:
            return None  # absent words are the plain suggester's business
        base = self._word_factor(word, popularity)
        if base is None:
            return None
        stem = self.lookups.stem(word) if self.lookups.stem else None
        passing = []
        for candidate, edits in self.index.candidates(word, max_edits).items():
            found = self._judge(word, popularity, stem, base, candidate, edits)
            if found:
                passing.append(found)
        if not passing:
            return None
        return min(passing, key=lambda s: (s.edits, -s.ratio, s.candidate))

    def _word_factor(self, word: str, popularity: tuple[int, int]) -> float | None:
        """K for this typed word before looking at candidates; None: never."""
        rules, look = self.rules, self.lookups
        factor = rules.ratio
        if len(word) <= rules.short_up_to:
            factor *= rules.short
        if look.known(word):
            if rules.known_word is None or self.small:
                return None
            factor *= rules.known_word
        if popularity[1] > popularity[0]:
            factor *= rules.repeated  # said more than once in an article: meant
        return factor

    def _judge(self, word, popularity, stem, base, candidate, edits) -> Suggestion | None:
        """The suggestion of ``candidate`` if it passes, else None."""
        look = self.lookups
        found = look.popularity(candidate)
        if found <= popularity or found[0] < self.rules.min_candidate_df:
            return None
        if stem is not None and look.stem(candidate) == stem:
            return None  # an inflection of the same word
        kind = edit_kind(word, candidate) if edits == 1 else TWO
        if self.small:
            # Strictly more popular is all a small archive shows: a typing slip
            # into a word the dictionary knows, from one it does not.
            slip = kind != TWO and kind not in UNUSUAL
            if not slip or look.capitalised(word) or not look.known(candidate):
                return None
            needed = 1.0
        else:
            pair = self._pair_factor(word, popularity[0], candidate, kind)
            if pair is None:
                return None
            needed = base * pair
        ratio = found[0] / popularity[0]
        if ratio < needed:
            return None
        return Suggestion(word, candidate, edits, kind, needed, ratio)

    def _pair_factor(self, word: str, df: int, candidate: str, kind: str) -> float | None:
        """What this candidate adds to K (names, edit kind, dictionary, co-occurrence)."""
        rules, look = self.rules, self.lookups
        factor = 1.0
        if look.capitalised(word):
            name = rules.name if look.capitalised(candidate) else rules.name_to_word
            if name is None:
                return None
            factor *= name
        if kind == TWO:
            factor *= rules.two_edits
        elif kind in UNUSUAL:
            factor *= rules.unusual_edit
        if look.known(candidate) and not look.known(word):
            factor /= rules.known_candidate
        if self._telling_cooccurrence(word, df, candidate):
            factor /= rules.cooccurring
        return factor

    def _telling_cooccurrence(self, word: str, df: int, candidate: str) -> bool:
        """Both words in one article, and not merely because the candidate is everywhere."""
        look = self.lookups
        if look.cooccur is None or not look.articles:
            return False
        expected = df * look.df(candidate) / look.articles
        return expected < self.rules.chance and look.cooccur(word, candidate)
