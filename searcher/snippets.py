"""Highlighted snippets: HTML-escaped article text with matches in <mark>.

Matches are found on the article's own words: a word is marked when its stem
is one the query looked for (so "kirim" marks "pengiriman" and
"dikirimkan"), a phrase only where its words stand in order, a prefix where
a word starts with it. The text is escaped piece by piece around the marks.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from index.analysis import TOKEN_PATTERN, WORD_PATTERN, word_forms

SNIPPET_CHARS = 200
MAX_FRAGMENTS = 3
LEAD_CHARS = 60
# Most articles show every query word early: the start is scanned first, and
# further only when some word is missing from it.
HEAD_CHARS = 1500
SCAN_CHARS = 6000

Span = tuple[int, int]


def match_spans(
    text: str, marks, tokenize, stem: Callable[[str], str], prefetch=None
) -> list[Span]:
    """(start, end) of every marked word or phrase in ``text``, in order, not overlapping.

    ``tokenize(text)`` gives (word, position, start, end) for each token; a
    hyphenated word comes whole and then by parts, at one position. Without
    phrases to mark, the text is not tokenized at all (``word_spans``).
    ``prefetch(words)``, when given, has the words' stems looked up at once.
    """
    if not marks or not text:
        return []
    if not marks.phrases:
        return word_spans(text, marks, stem)
    tokens = tokenize(text)
    if not isinstance(tokens, list):
        tokens = list(tokens)
    if prefetch is not None:
        prefetch({token[0] for token in tokens})
    known: dict[str, bool] = {}
    stems, prefixes = marks.stems, _prefix_tuple(marks.prefixes)
    spans = []
    for word, _, start, end in tokens:
        found = known.get(word)
        if found is None:
            found = known[word] = stem(word) in stems or word.startswith(prefixes)
        if found:
            spans.append((start, end))
    spans.extend(_phrase_spans(tokens, marks.phrases))
    return _merge(spans)


def word_spans(
    text: str, marks, stem: Callable[[str], str], judge=None, start: int = 0
) -> list[Span]:
    """(start, end) of the words of ``text`` marked by stem or prefix, as ``match_spans``.

    The same tokens as ``split_words`` (one pattern, a hyphenated word
    marked when it or one of its parts is), found without a Python step per
    word: the distinct words come from one ``findall`` and each is judged
    once (``judge``, a ``WordJudge`` of ``marks``, remembers its verdicts
    across texts); only when some word is marked is the text searched for where.
    With ``start``, only the words from there on (``start`` must not fall in a word).
    """
    judge = WordJudge(marks, stem) if judge is None else judge
    pattern = _token_pattern(text)
    words = set(pattern.findall(text, start))
    judge.prefetch(words)
    marked = set(filter(judge.__getitem__, words))
    if not marked:
        return []
    return [m.span() for m in pattern.finditer(text, start) if m.group() in marked]


class WordJudge(dict):
    """word as written → whether a query's ``marks`` mark it (by stem or prefix), judged
    the first time a word is asked."""

    def __init__(self, marks, stem: Callable[[str], str], prefetch=None):
        super().__init__()
        self.marks = marks
        self._stem = stem
        self._prefetch = prefetch
        self._prefixes = _prefix_tuple(marks.prefixes)

    def prefetch(self, words) -> None:
        """Have the stems of the ``words`` not judged yet looked up together."""
        if self._prefetch is not None:
            self._prefetch([w.lower() for w in words if w not in self])

    def __missing__(self, word: str) -> bool:
        token, stems, stem, prefixes = word.lower(), self.marks.stems, self._stem, self._prefixes
        if token.isalnum() and token.isascii():
            found = stem(token) in stems or token.startswith(prefixes)
        else:
            found = any(stem(f) in stems or f.startswith(prefixes) for f in word_forms(token))
        self[word] = found
        return found


def _token_pattern(text: str):
    """The pattern ``index.analysis.split_words`` splits ``text`` with (links only when
    the text may hold one)."""
    links = "@" in text or "://" in text or "www." in text
    return TOKEN_PATTERN if links else WORD_PATTERN


def _phrase_spans(tokens, phrases) -> list[Span]:
    positions: list[tuple[int, int, set]] = []  # (start, end, forms) per word position
    last = None
    for word, pos, start, end in tokens:
        if pos != last:
            positions.append((start, end, {word}))
            last = pos
        else:
            positions[-1][2].add(word)
    firsts = {phrase[0] for phrase in phrases}
    spans = []
    for i, (_, _, forms) in enumerate(positions):
        if not firsts.isdisjoint(forms):
            spans.extend(_phrases_at(positions, i, phrases))
    return spans


def _phrases_at(positions, i, phrases) -> list[Span]:
    found = []
    for phrase in phrases:
        n = len(phrase)
        if i + n <= len(positions) and all(phrase[k] in positions[i + k][2] for k in range(n)):
            found.append((positions[i][0], positions[i + n - 1][1]))
    return found


def _prefix_tuple(prefixes) -> tuple:
    return tuple(prefixes) if prefixes else ("\x00",)


def _merge(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def mark(text: str, spans: list[Span], start: int = 0, end: int | None = None) -> str:
    """``text[start:end]`` escaped, with ``spans`` wrapped in <mark>."""
    end = len(text) if end is None else end
    out, at = [], start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        out.append(escape(text[at:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        at = e
    out.append(escape(text[at:end]))
    return "".join(out)


def _windows(text: str, spans: list[Span], fragments: int, chars: int) -> list[Span]:
    """Up to ``fragments`` windows of about ``chars`` around the richest clusters of marks."""
    chosen: list[Span] = []
    left = list(spans)
    while left and len(chosen) < fragments:
        best, best_score = None, -1.0
        for s, _ in left:
            lo = max(0, s - LEAD_CHARS)
            hi = min(len(text), lo + chars)
            inside = [text[a:b].lower() for a, b in left if a >= lo and b <= hi]
            score = len(set(inside)) + 0.01 * len(inside)
            if score > best_score:
                best, best_score = (lo, hi), score
        lo, hi = _word_bounds(text, *best, spans)
        chosen.append((lo, hi))
        left = [(a, b) for a, b in left if b <= lo or a >= hi]
    return _merge(chosen)


def _word_bounds(text: str, lo: int, hi: int, spans: list[Span]) -> Span:
    for s, e in spans:  # never cut a mark in two
        if s < lo < e:
            lo = s
        if s < hi < e:
            hi = e
    if lo > 0 and not text[lo - 1].isspace():
        space = text.find(" ", lo, hi)
        lo = space + 1 if space != -1 and not any(s < space + 1 <= e for s, e in spans) else lo
    if hi < len(text) and not text[hi].isspace():
        space = text.rfind(" ", lo, hi)
        hi = space if space > lo and not any(s < space < e for s, e in spans) else hi
    return lo, hi


def snippet(
    text: str, spans: list[Span], fragments: int = MAX_FRAGMENTS, chars: int = SNIPPET_CHARS
) -> str:
    """One to ``fragments`` escaped fragments of ``text`` around its marks."""
    if not spans:
        return leading_text(text, chars)
    parts = []
    for lo, hi in _windows(text, spans, fragments, chars):
        body = mark(text, spans, lo, hi).strip()
        parts.append(("… " if lo > 0 else "") + body + (" …" if hi < len(text) else ""))
    return " ".join(parts).replace("… …", "…")


def leading_text(body: str, chars: int = SNIPPET_CHARS) -> str:
    """The start of an article, cut at a word boundary and escaped."""
    if len(body) <= chars:
        return escape(body)
    return escape(body[:chars].rsplit(" ", 1)[0]) + " …"


class Snippets:
    """Snippets and highlights of article text, found with the index's own analysis.

    ``tokenize(text)`` gives (word, position, start, end) of each token, as
    the exact fields see them; ``stem`` maps a lowercased word to its stem;
    ``prefetch(words)``, when given, has many words' stems looked up at once.
    """

    def __init__(self, tokenize, stem: Callable[[str], str], prefetch=None):
        self.tokenize = tokenize
        self.stem = stem
        self.prefetch = prefetch

    def of_body(self, body: str, marks, judge: WordJudge | None = None) -> str:
        """The snippet of an article's body for a query's ``marks``; its start without them.

        ``judge`` (``judge(marks)``) remembers which words are marked, for the
        snippets of one page of hits.
        """
        scanned, spans = self._spans(body, marks, judge)
        return snippet(scanned, spans) if spans else leading_text(body)

    def judge(self, marks) -> WordJudge:
        """A ``WordJudge`` of ``marks``, to share between the snippets of one query."""
        return WordJudge(marks, self.stem, self.prefetch)

    def highlight(self, text: str, marks) -> str:
        """The whole ``text``, escaped, with the query's matches in <mark>."""
        return mark(text, match_spans(text, marks, self.tokenize, self.stem, self.prefetch))

    def _spans(self, body: str, marks, judge=None) -> tuple[str, list[Span]]:
        """The start of ``body`` that snippets come from, and the query's matches in it.

        That is the head of the body when its matches show every marked stem,
        else a longer start. Without phrases the longer start's matches are
        the head's and those after it: the head is cut at a space, so no word
        straddles the cut, and a link (which changes the pattern) cannot start
        in a head that shows none.
        """
        head = _cut_at_word(body, HEAD_CHARS)
        spans = self._match(head, marks, judge)
        if len(head) == len(body) or self._shows_all(head, spans, marks):
            return head, spans
        scanned = _cut_at_word(body, SCAN_CHARS)
        if marks.phrases or not marks or body[len(head)] != " ":
            return scanned, match_spans(scanned, marks, self.tokenize, self.stem, self.prefetch)
        return scanned, spans + word_spans(scanned, marks, self.stem, judge, len(head))

    def _match(self, text: str, marks, judge) -> list[Span]:
        if not marks or not text:
            return []
        if marks.phrases:
            return match_spans(text, marks, self.tokenize, self.stem, self.prefetch)
        return word_spans(text, marks, self.stem, judge)

    def _shows_all(self, text: str, spans: list[Span], marks) -> bool:
        """Whether ``spans`` of ``text`` show every stem the query marks."""
        if not spans:
            return False
        shown = {self.stem(word) for a, b in spans for word in text[a:b].lower().split()}
        return marks.stems <= shown


def _cut_at_word(text: str, chars: int) -> str:
    """At most ``chars`` of the start of ``text``, cut after a word."""
    if len(text) <= chars:
        return text
    space = text.rfind(" ", 0, chars)
    return text[: space if space > 0 else chars]
