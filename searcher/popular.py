"""More popular spellings: did-you-mean for words the archive does contain.

A news archive holds its own typos: "esklasi" is in the sample archive beside
"eskalasi", so a word being indexed does not make it right. In the spirit of
Lucene's ``SUGGEST_MORE_POPULAR``, a close spelling (one edit: a letter
dropped, added, doubled, replaced, or two neighbours swapped) is offered when
the archive uses it in far more articles than the typed word.

Far more is a ratio ``K`` (``Rules``, chosen on the tune part of
``bench/judged/typos.tsv`` only, by ``bench/typo_eval.py --fit``). It starts
high (300) and moves with the evidence that the typed word is a slip:

* it grows when both words are likely right: words of four or five letters
  (many real neighbours, "kita"/"kota"), a substitution of letters that are
  not neighbours on the keyboard or a letter added or dropped at the end
  ("bapa"/"bapak"), a typed word written with a capital mid-sentence in most
  occurrences (a name: "Syre"/"sore"), one Sastrawi knows (a root, or affixes
  around one), one repeated within an article;
* it falls when the typed word is a plain typo (no name, unknown to Sastrawi)
  of a word Sastrawi knows, when an article uses both words (and chance does
  not explain it), and when, at each occurrence of the typed word, the word
  before or after it also stands beside the candidate elsewhere in the
  archive ("proses pengirman barang" / "proses pengiriman").

With all three, being strictly more popular is enough. A candidate that
shares the typed word's stem is an inflection, never a correction
("dikirimi"/"dikirim"); words shorter than four letters or in more than
``max_df`` articles are never corrected. Of the candidates that pass, the
one passing by the widest margin wins.

An archive of fewer than ``small_archive`` articles cannot show a ratio, so
there a typing slip (not an unusual edit) from a word the dictionary does
not know into one it knows, strictly more popular, is enough: in the sample
archive "esklasi" (one article, once) gets "eskalasi" (one article, twice).
On 25,000 articles the same pair needs 3x as many articles (a plain typo:
300 / 100), or only strictly more with the same neighbours or a shared
article.

Everything the rule knows about the archive comes in as plain callables
(``Lookups``), so this module imports nothing of ours. Close words come from
``OneEdit`` (every one-edit string tested against a vocabulary: what the
searcher uses) or ``SpellingIndex`` (a bounded symmetric-delete dictionary,
also two edits away: what the benchmark uses to harvest).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from heapq import nlargest

KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
LETTERS = "abcdefghijklmnopqrstuvwxyz"
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


class OneEdit:
    """Close words one edit away, by generating every edit and testing it against
    a vocabulary (``contains``): no index to build, about 54 tests a letter."""

    def __init__(self, contains: Callable[[str], bool]):
        self.contains = contains

    def candidates(self, word: str, max_edits: int = 1) -> dict[str, int]:
        """Vocabulary words one edit from ``word`` (``max_edits`` above 1 is not searched)."""
        return {w: 1 for w in one_edit(word) if self.contains(w)}


def one_edit(word: str) -> set[str]:
    """Every string one deletion, swap of neighbours, replacement or insertion away."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    swaps = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in LETTERS]
    inserts = [a + c + b for a, b in splits for c in LETTERS]
    return set(deletes + swaps + replaces + inserts) - {word}


# -- the rule -------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """When a more popular spelling is worth suggesting: the ratio ``K`` it must reach.

    ``K`` is ``ratio`` times the factors that apply; ``plain``, ``cooccurring``
    and ``context`` divide. ``None`` for a factor means never
    (``known_word=None``: never correct a word Sastrawi knows). The defaults
    were chosen on the tune part of ``bench/judged/typos.tsv`` only
    (``bench/typo_eval.py --fit``).
    """

    min_length: int = 4  # shorter words are never corrected
    max_df: int = 20  # words in more articles are meant
    short_up_to: int = 5
    one_edit_up_to: int | None = None  # longer words may be two edits away (None: never)
    ratio: float = 300.0
    short: float = 3.0
    two_edits: float = 100.0
    unusual_edit: float = 100.0
    name: float | None = 3.0  # typed word capitalised mid-sentence in most occurrences
    known_word: float | None = 10.0
    repeated: float = 30.0  # used more than once in an article
    plain: float = 100.0  # divides: typed word no name, no dictionary word; candidate one
    cooccurring: float = 30.0  # divides, unless chance explains sharing an article
    context: float = 100.0  # divides: the candidate stands elsewhere beside the same words
    chance: float = 0.2
    small_archive: int = 100  # fewer articles cannot show a ratio

    def max_edits(self, word: str) -> int:
        """0 (too short to correct), 1 or 2 edits, by the word's length."""
        if len(word) < self.min_length:
            return 0
        long = self.one_edit_up_to is not None and len(word) > self.one_edit_up_to
        return 2 if long else 1


def _never(*_words: str) -> bool:
    return False


@dataclass(frozen=True)
class Lookups:
    """What the rule may ask the archive: all plain callables.

    ``df``: articles using a word; ``cf``: its occurrences (defaults to
    ``df``); ``capitalised``: written with a capital mid-sentence in most
    occurrences; ``stem``: the stem two inflections share; ``known``: a
    dictionary word (root or affixed root); ``cooccur(word, candidate)``: an
    article uses both; ``context(word, candidate)``: at every (sampled)
    occurrence of ``word``, the word before or after it also stands beside
    ``candidate`` somewhere in the archive; ``articles``: how many articles
    the archive has (0: unknown).
    """

    df: Callable[[str], int]
    cf: Callable[[str], int] | None = None
    capitalised: Callable[[str], bool] = _never
    stem: Callable[[str], str] | None = None
    known: Callable[[str], bool] = _never
    cooccur: Callable[[str, str], bool] | None = None
    context: Callable[[str, str], bool] = _never
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

    @property
    def margin(self) -> float:
        """How far the ratio passed what was needed."""
        return self.ratio / self.needed


@dataclass(frozen=True)
class _Typed:
    """What is known of the typed word before looking at candidates."""

    word: str
    popularity: tuple[int, int]
    stem: str | None
    known: bool
    name: bool
    base: float  # K before the candidate's factors


class MorePopular:
    """Suggest a far more popular close spelling of a word the archive has.

    ``index`` is anything with ``candidates(word, max_edits) -> {word: edits}``
    (a ``SpellingIndex``, or ``OneEdit`` over a vocabulary).
    """

    def __init__(self, index, lookups: Lookups, rules: Rules = Rules()):
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
        """The suggestion with the evidence that allowed it, or None.

        Of the candidates that pass, the one passing by the widest margin wins.
        """
        word = word.lower()
        max_edits = self.rules.max_edits(word)
        if not max_edits or not word.isalpha():
            return None
        popularity = self.lookups.popularity(word)
        if not 1 <= popularity[0] <= self.rules.max_df:
            return None  # absent words are the plain suggester's business
        # Candidates that could not pass whatever the typed word turns out to be go
        # first: the typed word's facts cost a read of some of its articles.
        candidates = self._possible(word, popularity, self.index.candidates(word, max_edits))
        if not candidates:
            return None
        typed = self._typed(word, popularity)
        if typed is None:
            return None
        passing = []
        for candidate, edits in sorted(candidates.items()):
            found = self._judge(typed, candidate, edits)
            if found:
                passing.append(found)
        if not passing:
            return None
        return max(passing, key=lambda s: (s.margin, -s.edits, s.ratio))

    def _possible(self, word: str, popularity: tuple[int, int], candidates: dict) -> dict:
        """The candidates ``_judge`` could accept for some facts of the typed word:
        more popular, and (past a small archive) by a ratio that the divisors could
        bring to the least ``K`` a word of this length can have."""
        look, rules = self.lookups, self.rules
        least = rules.ratio * (rules.short if len(word) <= rules.short_up_to else 1.0)
        for factor in (rules.known_word, rules.repeated, rules.name):
            least *= min(1.0, factor if factor is not None else 1.0)
        possible = {}
        for candidate, edits in candidates.items():
            found = look.popularity(candidate)
            if found <= popularity:
                continue
            if not self.small and found[0] / popularity[0] * self._most_divided() < least:
                continue
            possible[candidate] = edits
        return possible

    def _typed(self, word: str, popularity: tuple[int, int]) -> _Typed | None:
        """The typed word's facts and K before candidates; None: never corrected."""
        rules, look = self.rules, self.lookups
        factor = rules.ratio
        if len(word) <= rules.short_up_to:
            factor *= rules.short
        known = look.known(word)
        if known:
            if rules.known_word is None or self.small:
                return None
            factor *= rules.known_word
        if popularity[1] > popularity[0]:
            factor *= rules.repeated  # said more than once in an article: meant
        name = look.capitalised(word)
        if name:
            if rules.name is None:
                return None
            factor *= rules.name
        stem = look.stem(word) if look.stem else None
        return _Typed(word, popularity, stem, known, name, factor)

    def _judge(self, typed: _Typed, candidate: str, edits: int) -> Suggestion | None:
        """The suggestion of ``candidate`` if it passes, else None (cheapest checks first)."""
        look = self.lookups
        found = look.popularity(candidate)
        if found <= typed.popularity:
            return None
        ratio = found[0] / typed.popularity[0]
        if not self.small and ratio * self._most_divided() < typed.base:
            return None  # could not pass even with every divisor
        if typed.stem is not None and look.stem(candidate) == typed.stem:
            return None  # an inflection of the same word
        kind = edit_kind(typed.word, candidate) if edits == 1 else TWO
        if self.small:
            needed = self._small_needed(typed, candidate, kind)
            if needed is None or ratio < needed:
                return None
            return Suggestion(typed.word, candidate, edits, kind, needed, ratio)
        needed = typed.base * self._pair_factor(typed, candidate, kind)
        # The costlier evidence is asked for only when the pair could still pass.
        remaining = self.rules.cooccurring * self.rules.context
        for divisor, holds in (
            (self.rules.cooccurring, self._telling_cooccurrence),
            (self.rules.context, self._same_context),
        ):
            if ratio * remaining < needed:
                return None
            remaining /= divisor
            if holds(typed, candidate):
                needed /= divisor
        if ratio < needed:
            return None
        return Suggestion(typed.word, candidate, edits, kind, needed, ratio)

    def _most_divided(self) -> float:
        rules = self.rules
        return rules.plain * rules.cooccurring * rules.context

    def _small_needed(self, typed: _Typed, candidate: str, kind: str) -> float | None:
        """Strictly more popular is all a small archive shows: a typing slip into a
        word the dictionary knows, from one it does not (``known`` was checked)."""
        slip = kind != TWO and kind not in UNUSUAL
        if not slip or typed.name or not self.lookups.known(candidate):
            return None
        return 1.0

    def _pair_factor(self, typed: _Typed, candidate: str, kind: str) -> float:
        """What this candidate's edit and dictionary status do to K."""
        rules = self.rules
        factor = 1.0
        if kind == TWO:
            factor *= rules.two_edits
        elif kind in UNUSUAL:
            factor *= rules.unusual_edit
        if not typed.name and not typed.known and self.lookups.known(candidate):
            factor /= rules.plain
        return factor

    def _same_context(self, typed: _Typed, candidate: str) -> bool:
        return self.lookups.context(typed.word, candidate)

    def _telling_cooccurrence(self, typed: _Typed, candidate: str) -> bool:
        """Both words in one article, and not merely because the candidate is everywhere."""
        look = self.lookups
        if look.cooccur is None or not look.articles:
            return False
        expected = typed.popularity[0] * look.df(candidate) / look.articles
        return expected < self.rules.chance and look.cooccur(typed.word, candidate)
