"""Indonesian analysis: tokenizer → lowercase → protected words → Sastrawi stem.

Whoosh pickles the schema, and with it these analyzers, into the index on
every commit. The stem function is therefore a module-level function
(``index.analysis.stem``) whose import path is part of the on-disk format; the
Sastrawi stemmer it uses is created lazily and never pickled.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter

# Words: letters/digits, joined by hyphens (negara-negara, COVID-19, Jong-un)
# or by dots/commas between digits (10.000, 1,5).
TOKEN_PATTERN = re.compile(r"\w+(?:[-.,]\w+)*", re.UNICODE)
_KEEP = re.compile(r"[^a-z0-9 -]")


def _load_words(name: str) -> frozenset[str]:
    text = resources.files("index").joinpath("data", name).read_text(encoding="utf-8")
    words = (line.split("#", 1)[0].strip().lower() for line in text.splitlines())
    return frozenset(w for w in words if w)


@lru_cache(maxsize=1)
def protected_words() -> frozenset[str]:
    """Words Sastrawi must leave alone (names, acronyms, words it breaks)."""
    return _load_words("protected.txt")


@lru_cache(maxsize=1)
def _stemmer():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


@lru_cache(maxsize=200_000)
def stem(token: str) -> str:
    """Sastrawi stem of one lowercased token, protected words left as they are."""
    if token in protected_words() or not token.isalpha() or len(token) <= 3:
        return token
    normalised = unicodedata.normalize("NFKD", token).encode("ascii", "ignore").decode()
    if not normalised or _KEEP.search(normalised):
        return token
    return _stemmer().stem(normalised) or token


def tokenizer() -> RegexTokenizer:
    return RegexTokenizer(TOKEN_PATTERN)


def exact_analyzer():
    """Unstemmed, lowercased words: for exact-form boosts and precise phrases."""
    return tokenizer() | LowercaseFilter()


def stem_analyzer():
    """Stemmed words with positions: the main search fields."""
    return tokenizer() | LowercaseFilter() | StemFilter(stemfn=stem, lang=None, cachesize=-1)
