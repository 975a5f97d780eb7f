"""Indonesian analysis: tokenizer → lowercase → normalise → compounds → Sastrawi stem.

Whoosh pickles the schema, and with it these analyzers and their filters, into
the index on every commit. Their import paths (``index.analysis.NewsTokenizer``
and ``index.analysis.SastrawiFilter``) are therefore part of the on-disk
format: move or rename them and bump ``schema.INDEX_FORMAT``, or old indexes no
longer open. A filter pickles only its protected words, so queries are stemmed
with exactly the list the index was built with; its ``Stemmer`` (and the
Sastrawi stemmer behind it) is made again when the index is opened.

Stems are remembered by a ``Stemmer``, an object its user owns, as Whoosh's
``StemFilter`` owns its cache: each ``SastrawiFilter`` has one for queries; a
build or an update makes one, seeded from the persisted cache (``stems``), and
passes it to every step and to its forked worker. Nothing about stems lives in
this module's globals.

A text reaches the same terms two ways. The Whoosh analyzers go token by token
(``split_words``, with the character offsets queries and highlighting need);
a build calls ``exact_terms`` and ``stemmed_terms`` instead (term → positions
of a whole text at once), because Whoosh's token protocol costs more than the
analysis itself. Both find tokens with the same patterns and take the forms of
an unusual word from ``word_forms``; ``tests/test_analysis.py`` checks that they
agree on generated text and ``bench/analysis_agreement.py`` on the news archive.

Stopwords are *not* removed at index time (positions stay exact, so phrases
such as "ibu kota" or "Hari Raya" match); ``stopwords()`` is the editable
Sastrawi list, which near-duplicate signatures leave out.
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

from .sastrawi_patterns import SastrawiPatterns, install

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
# A character that makes a lowercased token more than a plain word of a-z and 0-9.
_OTHER_CHAR = re.compile(r"[^ a-z0-9]")

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


# -- stemming ---------------------------------------------------------------


@lru_cache(maxsize=1)
def _sastrawi():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    # The bare stemmer: its CachedStemmer wrapper would keep a second cache.
    stemmer = StemmerFactory().create_stemmer().delegatedStemmer
    install(SastrawiPatterns())  # every Sastrawi module is loaded by now
    return stemmer


def sastrawi_stem(word: str) -> str:
    """Sastrawi's stem of a normalised word (no cache: a ``Stemmer`` keeps one)."""
    # Sastrawi rewrites anything outside [a-z0-9 -]; only plain words reach it.
    if not _STEMMABLE.fullmatch(word):
        return word
    return _sastrawi().stem_word(word) or word


def stem(word: str, protected: dict[str, str] | None = None) -> str:
    """Stem one word as the index does: lowercase, normalise, protected words, then Sastrawi.

    Hyphenated words go to Sastrawi whole, which stems reduplication and
    clitics (negara-negara → negara, kuasa-mu → kuasa).
    """
    word = normalise(word.lower())
    table = protected_words() if protected is None else protected
    return table.get(word) or sastrawi_stem(word)


class _Terms(dict):
    """word → term, found by ``find`` the first time a word is asked (``map``-friendly)."""

    def __init__(self, find: Callable[[str], str]):
        super().__init__()
        self._find = find

    def __missing__(self, word: str) -> str:
        term = self[word] = self._find(word)
        return term


class Stemmer:
    """Stems normalised words as a stemmed field indexes them, and remembers them.

    ``terms`` maps a word to its term (its protected stem, else Sastrawi's) and
    fills itself as words are asked. Sastrawi's own stems are remembered apart:
    a build seeds them from the persisted cache (``remember``), an update asks
    the cache (``persisted``) for a word it does not know, and the stems
    Sastrawi computes are new until someone takes them to persist them
    (``take_new``). A forked worker stems with its copy of the parent's
    Stemmer and hands its new stems back, which the parent ``adopt``s.
    """

    def __init__(
        self, protected: dict[str, str] | None = None, persisted: StemLookup | None = None
    ):
        self.protected = protected_words() if protected is None else protected
        self.persisted = persisted
        self.terms: dict[str, str] = _Terms(self._term)
        self._sastrawi_stems: dict[str, str] = {}
        self._new: dict[str, str] = {}

    def stem(self, word: str) -> str:
        """The term of one normalised, lowercased word."""
        return self.terms[word]

    def _term(self, word: str) -> str:
        return self.protected.get(word) or self.sastrawi_stem(word)

    def sastrawi_stem(self, word: str) -> str:
        """Sastrawi's stem of a word: remembered, persisted, or computed (and then new)."""
        found = self._sastrawi_stems.get(word)
        if found is not None:
            return found
        if not _STEMMABLE.fullmatch(word):
            return word
        if self.persisted is not None:
            found = self.persisted(word)
        if found is None:
            found = self._new[word] = sastrawi_stem(word)
        self._sastrawi_stems[word] = found
        return found

    def remember(self, stems: dict[str, str]) -> None:
        """Know these Sastrawi stems (read from the persisted cache: not new)."""
        self._sastrawi_stems.update(stems)

    def adopt(self, stems: dict[str, str]) -> None:
        """Know these Sastrawi stems another process computed, and count them as new."""
        self._sastrawi_stems.update(stems)
        self._new.update(stems)

    def take_new(self) -> dict[str, str]:
        """The stems computed (or adopted) since the last call, to persist; no longer new."""
        new, self._new = self._new, {}
        return new


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


def word_forms(token: str) -> list[str]:
    """The terms a lowercased token is indexed under, all at its position.

    The normalised token, then the parts of a hyphenated word (negara-negara
    → negara-negara, negara; COVID-19 → covid-19, covid, 19), so both the
    reduplicated form and its base are searchable. URLs and e-mail addresses
    stay whole.
    """
    word = normalise(token)
    if "-" not in word or "@" in word or "/" in word:
        return [word]
    return [word, *(part for part in dict.fromkeys(word.split("-")) if part)]


def _token_pattern(text: str) -> re.Pattern:
    # Looking for links at every word costs a third of the time: only when needed.
    links = "@" in text or "://" in text or "www." in text
    return TOKEN_PATTERN if links else WORD_PATTERN


def split_words(text: str) -> list[tuple[str, int, int, int]]:
    """(term, position, start, end) of every token: lowercased, then its ``word_forms``."""
    words = []
    for position, match in enumerate(_token_pattern(text).finditer(text)):
        token = match.group().lower()
        start, end = match.span()
        if token.isalnum() and token.isascii():
            words.append((token, position, start, end))
        else:
            words.extend((form, position, start, end) for form in word_forms(token))
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
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        query = mode == "query"
        last = -1
        for word, position, start, end in split_words(value):
            if query and position == last:
                continue
            last = position
            token.text, token.boost, token.stopped = word, 1.0, False
            if keeporiginal:
                token.original = word
            token.pos = start_pos + position
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token


class SastrawiFilter(Filter):
    """Sastrawi stems, protected words left alone (or given their listed stem)."""

    # Query words it remembers before starting afresh (a server meets endless new ones).
    MAX_REMEMBERED = 100_000

    def __init__(self, protected: dict[str, str] | None = None):
        self.protected = dict(protected_words() if protected is None else protected)
        self.persisted: StemLookup | None = None
        self.stemmer = Stemmer(self.protected)

    def __getstate__(self) -> dict:
        # Only the protected words go into the index, as before Stemmer existed.
        return {"protected": self.protected}

    def __setstate__(self, state: dict) -> None:
        self.protected = state["protected"]
        self.persisted = None
        self.stemmer = Stemmer(self.protected)

    def use_stem_cache(self, persisted: StemLookup) -> None:
        """Look words up in the persisted stem cache before asking Sastrawi."""
        self.persisted = persisted
        self.stemmer = Stemmer(self.protected, persisted)

    def __eq__(self, other):
        return type(other) is type(self) and other.protected == self.protected

    def __call__(self, tokens):
        if len(self.stemmer.terms) > self.MAX_REMEMBERED:
            self.stemmer = Stemmer(self.protected, self.persisted)
        terms = self.stemmer.terms
        for token in tokens:
            token.text = terms[token.text]
            yield token


def exact_analyzer():
    """Unstemmed, lowercased words: for exact-form boosts and precise phrases."""
    return NewsTokenizer()


def stem_analyzer(protected: dict[str, str] | None = None):
    """Stemmed words with positions: the main search fields (the filter comes last)."""
    return exact_analyzer() | SastrawiFilter(protected)


def analyzer_stemmer(analyzer) -> Stemmer:
    """The ``Stemmer`` of a ``stem_analyzer``."""
    return analyzer.items[-1].stemmer


# -- the same terms, a whole text at once -----------------------------------


def exact_terms(text: str) -> dict[str, list[int]]:
    """Term → positions of the unstemmed words of a text, as the exact analyzer indexes it.

    The tokens of ``split_words`` without their character offsets, and
    without a Python loop over the words: one ``findall``, one ``lower()`` of
    all words, positions appended by ``map``. Only the few words with other
    characters than a-z and 0-9 (hyphens, apostrophes, accents, dots in
    numbers) are revisited one by one, through ``word_forms``.
    """
    found = _token_pattern(text).findall(text)
    if not found:
        return {}
    # No token holds a space, so one join, lower and split keeps them apart.
    joined = " ".join(found).lower()
    terms: defaultdict[str, list[int]] = defaultdict(list)
    any(map(list.append, map(terms.__getitem__, joined.split(" ")), count()))
    for token, position in _unusual_tokens(joined):
        _replace_with_forms(terms, token, position)
    return dict(terms)


def _unusual_tokens(joined: str):
    """(token, position) of each token of ``joined`` with a character other than a-z, 0-9."""
    position = start = 0
    found = _OTHER_CHAR.search(joined)
    while found is not None:
        # The word around that character (a pattern for whole words would
        # retry at every letter of every word: a quarter of the time).
        begin = joined.rfind(" ", 0, found.start()) + 1
        end = joined.find(" ", found.end())
        end = len(joined) if end < 0 else end
        position += joined.count(" ", start, begin)
        start = begin
        yield joined[begin:end], position
        found = _OTHER_CHAR.search(joined, end)


def _replace_with_forms(terms: dict[str, list[int]], token: str, position: int) -> None:
    positions = terms[token]
    positions.remove(position)
    if not positions:
        del terms[token]
    for form in word_forms(token):
        insort(terms[form], position)


def analyzer_terms(text: str, analyzer) -> dict[str, list[int]]:
    """Term → positions of a text as a Whoosh analyzer gives them, token by token.

    The reference ``exact_terms`` and ``stemmed_terms`` must agree with (slow).
    """
    terms: dict[str, list[int]] = {}
    for token in analyzer(text, positions=True):
        positions = terms.setdefault(token.text, [])
        if token.pos not in positions:
            positions.append(token.pos)
    return terms


def stemmed_terms(exact: dict[str, list[int]], stemmer: Stemmer) -> dict[str, list[int]]:
    """Stemmed term → positions, from the ``exact_terms`` of the same text.

    Each distinct word is stemmed once per text through ``stemmer.terms``; a
    stem that only one word has shares that word's position list, the others
    get merged ones. Don't change the lists: they may be shared.
    """
    stems = list(map(stemmer.terms.__getitem__, exact))
    positions = list(exact.values())
    terms = dict(zip(stems, positions, strict=True))
    if len(terms) < len(stems):
        # A word whose list did not end up under its stem shares it with another.
        kept = list(map(is_, map(terms.__getitem__, stems), positions))
        for i in compress(range(len(stems)), map(not_, kept)):
            stem = stems[i]
            terms[stem] = sorted({*terms[stem], *positions[i]})
    return terms
