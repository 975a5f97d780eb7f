"""Acronyms the archive defines itself: "Otoritas Jasa Keuangan (OJK)".

In the spirit of Schwartz and Hearst (2003, "A simple algorithm for
identifying abbreviation definitions in biomedical text"): a short form in
parentheses after its long form, or the long form in parentheses after the
short form, is a definition when the short form's letters come from the long
form's words in order. Indonesian adds two things:

* function words ("dan", "untuk", "di", "ke", "dari", "atau", "yang", ...)
  may give no letter: Usaha Mikro, Kecil, dan Menengah (UMKM);
* acronyms are often syllabic: each word gives the start of a syllable and
  maybe more of its letters, Pemilihan Umum (Pemilu), Kementerian Kesehatan
  (Kemenkes), Kementerian Pemuda dan Olahraga (Kemenpora); a word may give
  its letters after a prefix (Ke-polisian: Polri).

Every word of the long form gives letters except function words and at most
one other word; the long form starts and ends with a word that gives
letters, is at most ``min(len + 5, 2 * len)`` words as in Schwartz and Hearst,
and the shortest long form that matches wins. One article counts a pair once:
``mine`` returns how many articles define each pair, ``definitions`` keeps
those seen in enough articles and, per acronym, its most frequent long form.

Pure functions over text; the index builder runs them over the store and
keeps the definitions with the index generation.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import lru_cache

FUNCTION_WORDS = frozenset(
    "dan untuk di ke dari atau yang serta dengan pada bagi oleh dalam tentang atas "
    "se the of and for on in to".split()
)
# Prefixes after which a word may give its letters (Kepolisian → pol).
WORD_PREFIXES = ("ke", "pe", "per", "pem", "pen", "peng", "penye", "ber", "se", "ter")
MAX_SHORT = 10
MAX_SKIPPED = 1

# "long form (SHORT)": the words up to the parenthesis, then the parenthesis.
_PARENS = re.compile(r"\(([^()]{1,120})\)")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_STOP = re.compile(r"[.!?;:\"“”()\[\]]|\s[-–—]\s|,(?=\S)")
_SHORT = re.compile(r"[A-Za-z][A-Za-z&.\-]*(?: [A-Za-z][A-Za-z&.\-]*)?")


def is_short_form(text: str) -> bool:
    """Looks like an acronym: one or two words, 2..10 letters, capitals that
    matter (two or more, or a capitalised syllabic word such as Pemilu)."""
    text = text.strip()
    if not _SHORT.fullmatch(text):
        return False
    letters = re.sub(r"[^A-Za-z]", "", text)
    if not 2 <= len(letters) <= MAX_SHORT:
        return False
    capitals = sum(ch.isupper() for ch in letters)
    return capitals >= 2 or (capitals == 1 and letters[0].isupper() and len(letters) >= 4)


def short_letters(text: str) -> str:
    """The letters of a short form, lowercased: what is matched."""
    return re.sub(r"[^a-z]", "", text.lower())


def normalise_short(text: str) -> str:
    """A short form as a key: lowercased, no dots, single spaces (Satpol PP → satpol pp)."""
    return " ".join(text.lower().replace(".", "").split())


# -- matching -------------------------------------------------------------------


def _is_subsequence(part: str, word: str) -> bool:
    letters = iter(word)
    return all(ch in letters for ch in part)


@lru_cache(maxsize=65536)
def _chunk_cost(chunk: str, word: str) -> int | None:
    """Letters ``chunk`` takes from inside ``word`` (None: it cannot give them).

    A chunk starts at the word's first letter, or at the first letter after a
    prefix (costing one more), then takes any later letters in order.
    """
    if chunk[0] == word[0] and _is_subsequence(chunk[1:], word[1:]):
        return len(chunk) - 1
    for prefix in WORD_PREFIXES:
        rest = word[len(prefix) :]
        if word.startswith(prefix) and len(rest) >= 3 and len(chunk) >= 2:
            if chunk[0] == rest[0] and _is_subsequence(chunk[1:], rest[1:]):
                return len(chunk)
    return None


def match_cost(short: str, words: list[str]) -> int | None:
    """How many letters of ``short`` come from inside words when ``words`` spell
    it in order (None: they cannot). The first and last word give letters;
    function words and at most ``MAX_SKIPPED`` other words may give none."""
    if not words or not short:
        return None
    memo: dict[tuple[int, int, int], int | None] = {}

    def best(i: int, j: int, skipped: int) -> int | None:
        if j == len(words):
            return 0 if i == len(short) else None
        key = (i, j, skipped)
        if key not in memo:
            memo[key] = _best(i, j, skipped)
        return memo[key]

    def _best(i: int, j: int, skipped: int) -> int | None:
        word, options = words[j], []
        if 0 < j < len(words) - 1:
            if word in FUNCTION_WORDS:
                options.append(best(i, j + 1, skipped))
            elif skipped < MAX_SKIPPED:
                options.append(best(i, j + 1, skipped + 1))
        for end in range(i + 1, len(short) + 1):
            cost = _chunk_cost(short[i:end], word)
            if cost is not None:
                rest = best(end, j + 1, skipped)
                options.append(None if rest is None else cost + rest)
        found = [o for o in options if o is not None]
        return min(found) if found else None

    return best(0, 0, 0)


def _parts(words: list[str]) -> list[str]:
    """Words as matched: hyphenated words by parts (Undang-Undang: UU)."""
    return [part for word in words for part in re.split(r"['’-]", word) if part]


def find_long_form(short: str, words: list[str]) -> list[str] | None:
    """The tail of ``words`` that spells ``short`` with the fewest letters from
    inside words, then the shortest; None if none does."""
    limit = min(len(short) + 5, 2 * len(short))
    found = []
    for start in range(len(words) - 1, max(-1, len(words) - limit - 1), -1):
        if words[start] not in FUNCTION_WORDS:
            cost = match_cost(short, _parts(words[start:]))
            if cost is not None:
                found.append((cost, len(words) - start))
    if not found:
        return None
    return words[len(words) - min(found)[1] :]


# -- mining ---------------------------------------------------------------------


def _clause_before(text: str, end: int) -> str:
    """The text of the clause that ends at ``end`` (no sentence stop inside)."""
    start = max(0, end - 300)
    chunk = text[start:end]
    stops = list(_STOP.finditer(chunk))
    return chunk[stops[-1].end() :] if stops else chunk


def _words(text: str) -> list[str]:
    return [m.group().lower() for m in _WORD.finditer(text)]


def definitions_in(text: str) -> set[tuple[str, str]]:
    """(short form, long form) pairs one text defines, both ways round."""
    found = set()
    for m in _PARENS.finditer(text):
        inside = m.group(1).strip()
        if is_short_form(inside):
            before = _words(_clause_before(text, m.start()))
            long_words = find_long_form(short_letters(inside), before)
            if long_words:
                found.add((normalise_short(inside), " ".join(long_words)))
            continue
        short = _reverse_short(text, m.start())
        if short:
            words, letters = _words(inside), short_letters(short)
            limit = min(len(letters) + 5, 2 * len(letters))
            if len(words) <= limit and match_cost(letters, _parts(words)) is not None:
                found.add((normalise_short(short), " ".join(words)))
    return found


def _reverse_short(text: str, paren: int) -> str | None:
    """The word right before a parenthesis, if it looks like a short form."""
    m = re.search(r"([A-Za-z][A-Za-z\-]*)\s*$", text[max(0, paren - 40) : paren])
    return m.group(1) if m and is_short_form(m.group(1)) else None


def mine(texts: Iterable[str]) -> Counter[tuple[str, str]]:
    """How many texts define each (short form, long form) pair."""
    counts: Counter[tuple[str, str]] = Counter()
    for text in texts:
        counts.update(definitions_in(text))
    return counts


def definitions(counts: Counter[tuple[str, str]], min_articles: int) -> dict[str, str]:
    """Acronym → its most frequent long form, among pairs seen in ``min_articles``."""
    forms: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for (short, long), n in counts.items():
        if n >= min_articles:
            forms[short].append((n, long))
    # Most articles first, then the shorter long form, then alphabetical.
    return {short: min(found, key=_preferred)[1] for short, found in forms.items()}


def _preferred(form: tuple[int, str]) -> tuple[int, int, str]:
    return -form[0], len(form[1]), form[1]
