"""The query language: text → a small tree of plain nodes, never an error.

Grammar (loosely; anything it can't read is dropped, not refused)::

    query   := or ( OR or )*
    or      := unary ( [AND] unary )*
    unary   := ( NOT | "-" ) unary | primary
    primary := "(" query ")" | '"' words '"' | field ":" value | word

Unbalanced quotes run to the end, unbalanced parentheses are closed or
ignored, lone operators vanish and nesting is bounded, so every string parses.
The compiler (``searcher.compiler``) turns the tree into Whoosh queries.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_DEPTH = 16
MAX_LEAVES = 64

FIELD_ALIASES = {
    "sumber": "source",
    "source": "source",
    "judul": "title",
    "title": "title",
    "penulis": "author",
    "author": "author",
    "tanggal": "date",
    "date": "date",
}

_LEX = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<lp>\()
    | (?P<rp>\))
    | "(?P<phrase>[^"]*)"?
    | (?P<field>[^\W\d_]+):(?:"(?P<fphrase>[^"]*)"?|(?P<fword>[^\s()"]+))
    | (?P<neg>-)(?=[^\s\-()"])
    | (?P<word>[^\s()"]+)
    """,
    re.X,
)
_OPERATORS = {"OR": "or", "AND": "and", "NOT": "not"}


@dataclass(frozen=True)
class Word:
    text: str


@dataclass(frozen=True)
class Prefix:
    """``kirim*``: every word that starts with ``text``."""

    text: str


@dataclass(frozen=True)
class Phrase:
    text: str


@dataclass(frozen=True)
class Field:
    """A filter on one field: source, title, author or date."""

    name: str
    value: str
    quoted: bool = False


@dataclass(frozen=True)
class Not:
    child: object


@dataclass(frozen=True)
class All:
    children: tuple


@dataclass(frozen=True)
class Any:
    children: tuple


def clean(text: str) -> str:
    """The query with control and format characters turned into spaces."""
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text).strip()


def tokenize(text: str) -> list[tuple[str, str]]:
    """Split the query into (kind, value) tokens."""
    tokens = []
    for match in _LEX.finditer(text):
        kind = match.lastgroup
        if kind == "ws":
            continue
        if kind in ("fphrase", "fword"):
            name = FIELD_ALIASES.get(match["field"].lower())
            if name is None:  # "http://..." or "10:30": just words
                tokens.append(("word", match[0]))
            else:
                tokens.append(("field:" + ("q" if kind == "fphrase" else "w") + name, match[kind]))
        elif kind == "word" and match[0] in _OPERATORS:
            tokens.append((_OPERATORS[match[0]], match[0]))
        elif kind in ("lp", "rp", "neg"):
            tokens.append((kind, match[0]))
        else:
            tokens.append((kind, match[kind]))
    return tokens


class _Parser:
    def __init__(self, tokens):
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.leaves = 0

    def peek(self):
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def take(self):
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def query(self):
        items = [self.conjunction()]
        while self.peek() == "or":
            self.take()
            items.append(self.conjunction())
        return _grouped(Any, items)

    def conjunction(self):
        items = []
        while (kind := self.peek()) not in (None, "or"):
            if kind == "rp":
                if self.depth:
                    break
                self.take()  # a stray ")" at the top: ignore it
            elif kind == "and":
                self.take()
            else:
                items.append(self.unary())
        return _grouped(All, items)

    def unary(self):
        if self.peek() in ("not", "neg"):
            self.take()
            if self.peek() in (None, "or", "rp"):
                return None
            child = self.unary()
            return Not(child) if child is not None else None
        return self.primary()

    def primary(self):
        kind, value = self.take()
        if kind == "lp":
            if self.depth >= MAX_DEPTH:
                return None
            self.depth += 1
            node = self.query()
            self.depth -= 1
            if self.peek() == "rp":
                self.take()
            return node
        if kind in ("and", "or", "rp") or self.leaves >= MAX_LEAVES:
            return None
        self.leaves += 1
        if kind == "phrase":
            return Phrase(value) if value.strip() else None
        if kind.startswith("field:"):
            return Field(kind[7:], value, quoted=kind[6] == "q") if value.strip() else None
        if value.endswith("*") and len(value.rstrip("*")) > 0 and "*" not in value.rstrip("*"):
            return Prefix(value.rstrip("*"))
        return Word(value)


def _grouped(kind, items):
    items = [item for item in items if item is not None]
    if not items:
        return None
    return items[0] if len(items) == 1 else kind(tuple(items))


def parse(text: str):
    """The query's tree, or None when nothing searchable is left."""
    return _Parser(tokenize(clean(text))).query()
