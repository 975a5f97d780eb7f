"""Indonesian analysis: tokenizer → lowercase → normalise → compounds → Sastrawi stem.

Whoosh pickles the schema, and with it these analyzers and their filters, into
the index on every commit. Their import paths (``index.analysis.NewsTokenizer``,
``index.analysis.SastrawiFilter``, ``index.analysis.sastrawi_stem``) are
therefore part of the on-disk format: rename them and old indexes no longer
open. The Sastrawi stemmer itself is created lazily and never pickled; the
protected words travel inside the pickled ``SastrawiFilter``, so queries are
stemmed with exactly the list the index was built with.

Stopwords are *not* removed at index time (positions stay exact, so phrases
such as "ibu kota" or "Hari Raya" match); ``query_stopwords()`` gives the
searcher the Sastrawi list minus the content words it contains.
"""

from __future__ import annotations

import os
import re
import unicodedata
from bisect import insort
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from itertools import compress, count
from operator import is_, not_

from whoosh.analysis import Filter, Token, Tokenizer

_WORDS = r"""
    \d+(?:[.,]\d+)+                                          # 10.000, 1,5, 1.250.000,75
    | Rp(?=\d)                                              # Rp10.000 → rp, 10.000
    | \w+(?:['’‘`]\w+)*(?:-\w+(?:['’‘`]\w+)*)*               # words, Jong-un, COVID-19
"""
_LINKS = r"""
    (?:https?://|www\.)[^\s<>"'“”]*[^\s<>"'“”.,;:!?)\]]   # URLs, whole
    | [\w.+-]+@\w[\w-]*(?:\.\w[\w-]*)+                       # e-mail addresses
    |"""
WORD_PATTERN = re.compile(_WORDS, re.VERBOSE)
TOKEN_PATTERN = re.compile(_LINKS + _WORDS, re.VERBOSE)
_APOSTROPHES = re.compile(r"['’‘`]")
_STEMMABLE = re.compile(r"[a-z]{4,}|[a-z]+(?:-[a-z]+)+")

StemLookup = Callable[[str], "str | None"]


# -- word lists -------------------------------------------------------------


def read_word_file(path: str | os.PathLike) -> dict[str, str]:
    """Read a word list: one word per line, optionally followed by its stem; # comments."""
    with open(path, encoding="utf-8") as f:
        return _parse_words(f.read())


def _parse_words(text: str) -> dict[str, str]:
    words = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].lower().split()
        if fields:
            words[fields[0]] = fields[1] if len(fields) > 1 else fields[0]
    return words


def _shipped(name: str) -> dict[str, str]:
    text = resources.files("index").joinpath("data", name).read_text(encoding="utf-8")
    return _parse_words(text)


@lru_cache(maxsize=1)
def protected_words() -> dict[str, str]:
    """Shipped words Sastrawi must not stem (word → the stem to use, usually itself)."""
    return _shipped("protected.txt")


def load_protected(extra: str | os.PathLike | None = None) -> dict[str, str]:
    """The shipped protected words, extended (or overridden) by a user's file."""
    words = dict(protected_words())
    if extra is not None:
        words.update(read_word_file(extra))
    return words


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The Sastrawi stopword list (``index/data/stopwords.txt``, editable)."""
    return frozenset(_shipped("stopwords.txt"))


@lru_cache(maxsize=1)
def query_stopwords() -> frozenset[str]:
    """Stopwords a searcher may drop from queries: Sastrawi's list minus content words.

    Never drop them all: a query made only of stopwords must still be searched.
    """
    return stopwords() - frozenset(_shipped("content_words.txt"))


# -- stemming ---------------------------------------------------------------

_memo: dict[str, str] = {}
_fresh: dict[str, str] = {}
_lookup: StemLookup | None = None


@lru_cache(maxsize=1)
def _stemmer():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    # The bare stemmer: its CachedStemmer wrapper would keep a second cache.
    return StemmerFactory().create_stemmer().delegatedStemmer


def _compute_stem(token: str) -> str:
    # Sastrawi rewrites anything outside [a-z0-9 -]; only plain words reach it.
    if not _STEMMABLE.fullmatch(token):
        return token
    return _stemmer().stem_word(token) or token


def sastrawi_stem(token: str) -> str:
    """Plain Sastrawi stem of a normalised token, cached in memory and (if set) on disk."""
    found = _memo.get(token)
    if found is not None:
        return found
    found = _lookup(token) if _lookup is not None else None
    if found is None:
        found = _compute_stem(token)
        if _STEMMABLE.fullmatch(token):
            _fresh[token] = found
    _memo[token] = found
    return found


def stem(token: str, protected: dict[str, str] | None = None) -> str:
    """Stem one word as the index does: normalise, protected words, then Sastrawi.

    Hyphenated words go to Sastrawi whole, which stems reduplication and
    clitics (negara-negara → negara, kuasa-mu → kuasa).
    """
    token = normalise(token.lower())
    table = protected_words() if protected is None else protected
    return table.get(token) or sastrawi_stem(token)


def remember_stems(stems: dict[str, str]) -> None:
    """Seed the in-memory stem cache (a rebuild loads the persisted cache whole)."""
    _memo.update(stems)


def set_stem_lookup(lookup: StemLookup | None) -> None:
    """Ask ``lookup`` (the persisted cache) before stemming an unknown word; None: don't."""
    global _lookup
    _lookup = lookup


def take_fresh_stems() -> dict[str, str]:
    """Stems computed by Sastrawi since the last call (to persist), then forget them."""
    fresh = dict(_fresh)
    _fresh.clear()
    return fresh


def clear_stem_cache() -> None:
    """Forget every cached stem (tests and benchmarks)."""
    global _lookup
    _memo.clear()
    _fresh.clear()
    _tables.clear()
    _lookup = None


# -- the pipeline -----------------------------------------------------------


def normalise(text: str) -> str:
    """Remove apostrophes and fold accents to ASCII where that keeps some letters."""
    if "'" in text or "’" in text or "‘" in text or "`" in text:
        text = _APOSTROPHES.sub("", text)
    if not text.isascii():
        folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        if folded:
            text = folded
    return text


def split_words(text: str) -> list[tuple[str, int, int, int]]:
    """(word, position, start, end) of every token: lowercased, normalised, compounds split.

    Hyphenated words are kept whole *and* by parts at one position
    (negara-negara → negara-negara, negara; COVID-19 → covid-19, covid, 19),
    so both the reduplicated form and its base are searchable.
    """
    words = []
    append = words.append
    # Looking for links at every word costs a third of the time: only when needed.
    links = "@" in text or "://" in text or "www." in text
    pattern = TOKEN_PATTERN if links else WORD_PATTERN
    for pos, match in enumerate(pattern.finditer(text)):
        word = match.group().lower()
        start, end = match.span()
        if word.isalnum() and word.isascii():
            append((word, pos, start, end))
            continue
        word = normalise(word)
        append((word, pos, start, end))
        if "-" in word and "@" not in word and "/" not in word:
            seen = {word}
            for part in word.split("-"):
                if part and part not in seen:
                    seen.add(part)
                    append((part, pos, start, end))
    return words


_last_split: tuple[str, list] = ("", [])


def _split_shared(text: str) -> list[tuple[str, int, int, int]]:
    # Whoosh indexes a stemmed and an exact field from the same string, one
    # after the other: split it once. A tuple swap is atomic, so threads are safe.
    global _last_split
    last = _last_split
    if last[0] is text:
        return last[1]
    words = split_words(text)
    _last_split = (text, words)
    return words


class NewsTokenizer(Tokenizer):
    """Words, numbers, URLs and e-mails of news text, lowercased and normalised.

    Apostrophes go (Jum'at → jumat), accents fold (café → cafe), hyphenated
    words are indexed whole and by parts at one position; a query keeps only
    the whole form, so "covid-19" finds exactly that token.
    """

    def __eq__(self, other):
        return type(other) is type(self)

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        mode="",
        **kwargs,
    ):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        query = mode == "query"
        last = -1
        for word, pos, start, end in _split_shared(value):
            if query and pos == last:
                continue
            last = pos
            t.text = word
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = word
            t.pos = start_pos + pos
            if chars:
                t.startchar = start_char + start
                t.endchar = start_char + end
            yield t


class SastrawiFilter(Filter):
    """Sastrawi stems, protected words left alone (or given their listed stem)."""

    def __init__(self, protected: dict[str, str] | None = None):
        self.protected = dict(protected_words() if protected is None else protected)

    def __eq__(self, other):
        return type(other) is type(self) and other.protected == self.protected

    def __call__(self, tokens):
        protected = self.protected
        for t in tokens:
            text = t.text
            t.text = protected.get(text) or _memo.get(text) or sastrawi_stem(text)
            yield t


def exact_analyzer():
    """Unstemmed, lowercased words: for exact-form boosts and precise phrases."""
    return NewsTokenizer()


def stem_analyzer(protected: dict[str, str] | None = None):
    """Stemmed words with positions: the main search fields."""
    return exact_analyzer() | SastrawiFilter(protected)


def exact_terms(text: str) -> dict[str, list[int]]:
    """Term → positions of the unstemmed words of a text, as the exact analyzer indexes it.

    The same tokens as ``split_words`` without their character offsets, which
    only highlighting needs, and without a Python loop over the words: one
    ``findall``, one ``lower()`` of all words, positions appended by ``map``.
    Only the few words with other characters than a-z and 0-9 (hyphens,
    apostrophes, accents, dots in numbers) are revisited one by one.
    """
    links = "@" in text or "://" in text or "www." in text
    found = (TOKEN_PATTERN if links else WORD_PATTERN).findall(text)
    if not found:
        return {}
    # No token holds a space, so one join, lower and split keeps them apart.
    joined = " ".join(found).lower()
    terms: defaultdict[str, list[int]] = defaultdict(list)
    any(map(list.append, map(terms.__getitem__, joined.split(" ")), count()))
    pos = start = 0
    found = _OTHER_CHAR.search(joined)
    while found is not None:
        # The word around that character (a pattern for whole words would
        # retry at every letter of every word: a quarter of the time).
        begin = joined.rfind(" ", 0, found.start()) + 1
        end = joined.find(" ", found.end())
        end = len(joined) if end < 0 else end
        pos += joined.count(" ", start, begin)
        start = begin
        _redo_word(terms, joined[begin:end], pos)
        found = _OTHER_CHAR.search(joined, end)
    return dict(terms)


_OTHER_CHAR = re.compile(r"[^ a-z0-9]")


def _redo_word(terms: dict[str, list[int]], word: str, pos: int) -> None:
    # As split_words: the normalised word, then its parts at the same position.
    poses = terms[word]
    poses.remove(pos)
    if not poses:
        del terms[word]
    word = normalise(word)
    words = [word]
    if "-" in word and "@" not in word and "/" not in word:
        words += [part for part in dict.fromkeys(word.split("-")) if part and part != word]
    for word in words:
        insort(terms[word], pos)


class _StemTable(dict):
    """word → the term a stemmed field indexes (protected words, then Sastrawi)."""

    def __init__(self, protected: dict[str, str]):
        super().__init__()
        self.protected = protected

    def __missing__(self, word: str) -> str:
        stem = self[word] = self.protected.get(word) or sastrawi_stem(word)
        return stem


_tables: list[_StemTable] = []


def stem_table(protected: dict[str, str]) -> dict[str, str]:
    """word → its stem with these protected words (a dict that fills itself as asked).

    One table per protected list (the schema's fields share one dict); don't
    change the list while its table is in use.
    """
    for table in _tables:
        if table.protected is protected:
            return table
    table = _StemTable(protected)
    _tables[:] = [table, *_tables[:3]]
    return table


def stemmed_terms(exact: dict[str, list[int]], protected: dict[str, str]) -> dict[str, list[int]]:
    """Stemmed term → positions, from the exact terms of the same text.

    Each distinct word is stemmed once per text, through a table of the
    words met so far; a stem that only one word has shares that word's
    position list, the others get merged ones.
    """
    stems = list(map(stem_table(protected).__getitem__, exact))
    poses = list(exact.values())
    terms = dict(zip(stems, poses, strict=True))
    if len(terms) < len(stems):
        # A word whose list did not end up under its stem shares it with another.
        kept = list(map(is_, map(terms.__getitem__, stems), poses))
        for i in compress(range(len(stems)), map(not_, kept)):
            stem = stems[i]
            terms[stem] = sorted({*terms[stem], *poses[i]})
    return terms


_last_exact: tuple[str, dict] = ("", {})


def index_terms(text: str, protected: dict[str, str] | None = None) -> dict[str, list[int]]:
    """Term → positions of one text, as the analyzers would index it (a fast path).

    With ``protected`` the terms are stemmed (the stemmed fields), without it
    they are the exact forms. Whoosh's token-by-token protocol costs more than
    the analysis itself on a full rebuild; the schema's fields call this instead.
    The lists may be shared between the two results of one text: don't change them.
    """
    # A stemmed and an exact field index the same string one after the
    # other: split it once. A tuple swap is atomic, so threads are safe.
    global _last_exact
    last = _last_exact
    if last[0] is text:
        exact = last[1]
    else:
        exact = exact_terms(text)
        _last_exact = (text, exact)
    return exact if protected is None else stemmed_terms(exact, protected)
