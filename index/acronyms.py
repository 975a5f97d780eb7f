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

The builder mines every article of the store (``mine_articles``) and keeps,
in the generation's directory, each article's definitions (so that ``warta
index update`` counts exactly: an update takes back what changed and deleted
articles said) and the trusted definitions the searcher reads
(``acronyms.json``: those seen in ``MIN_ARTICLES`` articles or more).
"""

from __future__ import annotations

import json
import os
import pickle
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from .words import known_word

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


# -- the archive's definitions, kept with an index generation ---------------------

# Chosen on the tune part of bench/judged/acronyms.tsv (bench/acronym_eval.py):
# the smallest article count whose definitions reach 0.95 precision.
MIN_ARTICLES = 2
TRUSTED_FILE = "acronyms.json"
COUNTS_FILE = "acronym_counts.pickle"
# A short form written in lowercase mid-sentence in most articles that write it
# is a word ("api", "tim", "itu", "ia") when it is also a dictionary or function
# word, or has two letters:
# expanding it would flood its queries. Acronyms that became words (Pemilu,
# karhutla, medsos) are not dictionary words and stay.
_LOWER = re.compile(r"(?<=[a-z0-9,)] )[a-z]{2,10}\b")
_CAPITAL = re.compile(r"(?<=[a-z0-9,)] )[A-Z][A-Za-z]{1,9}\b")

Pair = tuple[str, str]


def written_forms(text: str) -> tuple[set[str], set[str]]:
    """Words of 2..10 letters written mid-sentence in lowercase, and with a capital (lowercased)."""
    return set(_LOWER.findall(text)), {w.lower() for w in _CAPITAL.findall(text)}


class AcronymCounts:
    """The definitions each article makes, and how often short forms are written as words.

    ``defined`` maps an article id to the pairs it defines, so an update can
    take back what a changed or deleted article said: the article counts are
    exact. ``lower`` and ``capital`` count the articles writing a short form
    mid-sentence in lowercase or with a capital; an update adds its
    articles' and takes nothing back (a ratio: a rebuild recounts it).
    """

    def __init__(self):
        self.defined: dict[str, frozenset[Pair]] = {}
        self.lower: Counter[str] = Counter()
        self.capital: Counter[str] = Counter()

    def add(self, article_id: str, text: str) -> None:
        """Count what one article (its latest version) defines and how it writes words."""
        pairs = definitions_in(text)
        if pairs:
            self.defined[article_id] = frozenset(pairs)
        else:
            self.defined.pop(article_id, None)
        lower, capital = written_forms(text)
        self.lower.update(lower)
        self.capital.update(capital)

    def forget(self, article_ids: Iterable[str]) -> None:
        """Take back the definitions of deleted articles."""
        for article_id in article_ids:
            self.defined.pop(article_id, None)

    def counts(self) -> Counter[Pair]:
        """How many articles define each (short form, long form) pair."""
        return Counter(pair for pairs in self.defined.values() for pair in pairs)

    def trusted(self, min_articles: int = MIN_ARTICLES) -> dict[str, tuple[str, int]]:
        """Acronym → (long form, articles) for the definitions seen in ``min_articles``,
        leaving out short forms mostly written as a dictionary or function word."""
        counts = self.counts()
        kept = definitions(counts, min_articles)
        return {
            short: (long, counts[(short, long)])
            for short, long in kept.items()
            if not self._common_word(short) and not set(",#") & set(short + long)
        }

    def _common_word(self, short: str) -> bool:
        if self.lower[short] <= self.capital[short]:
            return False
        return len(short) <= 2 or short in FUNCTION_WORDS or known_word(short)

    def save(self, gen_dir: Path) -> None:
        """Write the counts, keeping the case counts of short forms only (small)."""
        shorts = {short for pairs in self.defined.values() for short, _ in pairs}
        state = {
            "defined": {i: sorted(p) for i, p in self.defined.items()},
            "lower": {w: n for w, n in self.lower.items() if w in shorts},
            "capital": {w: n for w, n in self.capital.items() if w in shorts},
        }
        _replace(Path(gen_dir) / COUNTS_FILE, pickle.dumps(state, pickle.HIGHEST_PROTOCOL))

    @classmethod
    def load(cls, gen_dir: Path) -> AcronymCounts | None:
        """The counts saved in ``gen_dir`` (None: none, or unreadable)."""
        try:
            state = pickle.loads((Path(gen_dir) / COUNTS_FILE).read_bytes())
        except (OSError, EOFError, pickle.UnpicklingError, TypeError, KeyError):
            return None
        counts = cls()
        counts.defined = {i: frozenset(map(tuple, p)) for i, p in state["defined"].items()}
        counts.lower.update(state["lower"])
        counts.capital.update(state["capital"])
        return counts


def article_text(article) -> str:
    """What is mined of an article: its title and body."""
    return f"{article.title or ''}\n{article.body or ''}"


def mine_articles(articles: Iterable, counts: AcronymCounts | None = None) -> AcronymCounts:
    """Add the definitions of ``articles`` (``crawler.article.Article``) to ``counts``."""
    counts = AcronymCounts() if counts is None else counts
    for article in articles:
        counts.add(article.id, article_text(article))
    return counts


def keep_trusted(counts: AcronymCounts, gen_dir: Path) -> None:
    """Save ``counts`` and the trusted definitions the searcher reads, in ``gen_dir``."""
    counts.save(gen_dir)
    pairs = counts.trusted(MIN_ARTICLES)
    rows = [[short, long, n] for short, (long, n) in sorted(pairs.items())]
    text = json.dumps({"min_articles": MIN_ARTICLES, "pairs": rows}, ensure_ascii=False)
    _replace(Path(gen_dir) / TRUSTED_FILE, text.encode("utf-8"))


def update_trusted(gen_dir: Path, changed: Iterable, deleted: Iterable[str], store) -> None:
    """Bring a generation's counts up to date with ``changed`` articles and ``deleted``
    ids; a generation without counts (an older build) is counted from ``store`` again."""
    counts = AcronymCounts.load(gen_dir)
    if counts is None:
        counts = mine_articles(article for article, _ in store.iter_articles())
    else:
        counts.forget(deleted)
        mine_articles(changed, counts)
    keep_trusted(counts, gen_dir)


def read_trusted(gen_dir: Path) -> list[tuple[str, str, int]]:
    """The trusted (acronym, long form, articles) of a generation; none if it has no file."""
    try:
        data = json.loads((Path(gen_dir) / TRUSTED_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    return [(short, long, int(n)) for short, long, n in data["pairs"]]


def _replace(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (a reader never sees half a file)."""
    partial = path.with_name(path.name + ".tmp")
    partial.write_bytes(data)
    os.replace(partial, path)
