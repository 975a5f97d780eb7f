"""Sastrawi with its regular expressions compiled once: the same stems, a quarter less time.

PySastrawi calls ``re.match(PATTERN, word)`` and ``re.sub(PATTERN, ...)``
with pattern strings some 80 times a word, and once a word with the word
itself as the pattern (``re.sub(result, '', word, count=1)`` to find the
removed part). Each call goes through ``re``'s own cache, whose lookup costs
more than the match, and the word patterns (one per distinct word) keep
evicting and recompiling the others: a third of a cold build's stemming time
went there (cProfile of ``warta index build``).

``SastrawiPatterns`` stands in for the ``re`` module inside Sastrawi's modules
(``install``): the same two functions, with every constant pattern compiled
once into its own table, and a pattern that is a plain word (letters, digits,
hyphens: no regular-expression syntax) substituted with ``str.replace``,
which is what the regular expression does for such a pattern. The stems are
unchanged: ``tests/test_analysis.py`` compares them with an unpatched
Sastrawi's in another process.
"""

from __future__ import annotations

import re
import sys

# A pattern made only of these characters matches itself literally, nothing else.
_PLAIN = re.compile(r"[a-z0-9-]+")


class SastrawiPatterns:
    """The part of ``re`` Sastrawi uses, on patterns compiled once (owned by one stemmer)."""

    IGNORECASE = re.IGNORECASE
    MULTILINE = re.MULTILINE

    def __init__(self):
        self._compiled: dict[tuple[str, int], re.Pattern] = {}

    def _pattern(self, pattern: str, flags: int) -> re.Pattern:
        key = (pattern, flags)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = re.compile(pattern, flags)
        return compiled

    def match(self, pattern: str, string: str, flags: int = 0):
        return self._pattern(pattern, flags).match(string)

    def sub(self, pattern: str, repl: str, string: str, count: int = 0, flags: int = 0) -> str:
        if not flags and "\\" not in repl and _PLAIN.fullmatch(pattern):
            return string.replace(pattern, repl, count or -1)
        return self._pattern(pattern, flags).sub(repl, string, count)

    def __len__(self) -> int:
        """How many constant patterns are compiled (a bound: Sastrawi has about 80)."""
        return len(self._compiled)


def install(patterns: SastrawiPatterns) -> int:
    """Make every loaded Sastrawi module use ``patterns`` for ``re``; how many modules."""
    installed = 0
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] == "Sastrawi" and getattr(module, "re", None) is re:
            module.re = patterns
            installed += 1
    return installed
