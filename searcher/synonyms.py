"""Acronyms and synonyms: groups of words or phrases that mean the same.

The shipped list is ``searcher/data/synonyms.txt``; a user file of the same
format (one group per line, members separated by commas, ``#`` comments)
adds groups. Members are kept as tuples of lowercased, unstemmed tokens.
Each index generation adds the acronyms the archive defines
(``index.acronyms``) as pairs, unless a hand-made group already names the
acronym or its long form: the lists people wrote win.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path

Tokens = tuple[str, ...]


def read_groups(text: str, tokenize: Callable[[str], list[str]]) -> list[list[Tokens]]:
    """The groups of a synonyms file: lists of token tuples, two or more each."""
    groups = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        members = [tuple(tokenize(member)) for member in line.split(",")]
        members = list(dict.fromkeys(m for m in members if m))
        if len(members) > 1:
            groups.append(members)
    return groups


class Synonyms:
    """Look up what else a word or phrase may be called."""

    def __init__(
        self, groups: Iterable[list[Tokens]] = (), mined: Iterable[tuple[Tokens, Tokens]] = ()
    ):
        self._alternatives: dict[Tokens, set[Tokens]] = {}
        self._groups = [list(group) for group in groups]
        self.mined: list[tuple[Tokens, Tokens]] = []
        for group in self._groups:
            for member in group:
                self._alternatives.setdefault(member, set()).update(group)
        for short, long in mined:
            if short != long and short not in self._alternatives and long not in self._alternatives:
                self.mined.append((short, long))
        for short, long in self.mined:
            self._alternatives.setdefault(short, set()).add(long)
            self._alternatives.setdefault(long, set()).add(short)
        for member, alternatives in self._alternatives.items():
            alternatives.discard(member)
        self.longest = max((len(m) for m in self._alternatives), default=0)

    @classmethod
    def load(cls, tokenize, user_file: str | os.PathLike | None = None) -> Synonyms:
        """The shipped groups plus those of ``user_file`` when it exists."""
        text = resources.files("searcher").joinpath("data", "synonyms.txt").read_text("utf-8")
        groups = read_groups(text, tokenize)
        if user_file is not None and Path(user_file).is_file():
            groups += read_groups(Path(user_file).read_text(encoding="utf-8"), tokenize)
        return cls(groups)

    def with_mined(self, pairs: Iterable[tuple[str, str]], tokenize) -> Synonyms:
        """These groups plus mined (acronym, long form) pairs that no group names."""
        tokens = ((tuple(tokenize(short)), tuple(tokenize(long))) for short, long in pairs)
        return Synonyms(self._groups, [(s, lf) for s, lf in tokens if s and lf])

    def __len__(self) -> int:
        return len(self._alternatives)

    def get(self, tokens: Tokens) -> list[Tokens]:
        """The other members of the groups ``tokens`` belongs to, in a stable order."""
        return sorted(self._alternatives.get(tuple(tokens), ()))
