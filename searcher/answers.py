"""Questions that ask for a number or a date, and how near a text holds one.

"Berapa korban banjir di Bekasi?" is answered by a text that puts a number
next to the question's own words ("banjir menewaskan 12 warga Bekasi");
"Kapan ..." and "Tahun berapa ..." by one that puts a date there ("Senin
(16/8)", "pada 1997", "Oktober"). The searcher re-ranks its best hits for
such questions by how close the nearest number or date that the question
does not already hold stands to one of its words (``answer_distance``): a
question-answering signal that bag-of-words ranking has no way to see. It
measured +0.006 MRR@10 on the facqa questions; see docs/BENCHMARKS.md.

Only numbers and dates are looked for: names ("Siapa ...", "Di mana ...")
are in nearly every news passage, so they tell passages apart too rarely.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence

NUMBER = "number"
DATE = "date"
# How far (in words) from a question word an answer still counts, at most.
MAX_DISTANCE = 50

_HOW_MANY = frozenset({"berapa", "berapakah"})
_WHEN = frozenset({"kapan", "kapankah", "bilamana"})
# "tahun berapa", "tanggal apa", "hari apakah": a number question asking for a date.
_DATE_NOUNS = frozenset({"tahun", "tanggal", "bulan", "hari"})
_WHICH = _HOW_MANY | frozenset({"apa", "apakah"})
# The months in order, lowercased (the web shows them capitalised).
MONTH_NAMES = tuple(
    "januari februari maret april mei juni juli agustus september oktober november desember".split()
)
MONTHS = frozenset(MONTH_NAMES)
DAYS = frozenset("senin selasa rabu kamis jumat sabtu minggu ahad".split())
NUMBER_WORDS = frozenset(
    "satu dua tiga empat lima enam tujuh delapan sembilan sepuluh sebelas belas puluh"
    " ratus seratus ribu seribu juta miliar milyar triliun setengah".split()
)


def expected_answer(words: Sequence[str]) -> str | None:
    """``DATE``, ``NUMBER`` or None: what a query of these lowercased words asks for."""
    present = set(words)
    if present & _WHEN:
        return DATE
    for a, b in zip(words, words[1:], strict=False):
        if a in _DATE_NOUNS and b in _WHICH:
            return DATE
    if present & _HOW_MANY:
        return NUMBER
    return None


def answer_distance(tokens: Iterable[tuple], text: str, kind: str, question) -> int | None:
    """Fewest positions between a ``kind`` answer and a ``question`` word in a text.

    ``tokens`` are the text's (word, position, start, end), as
    ``index.analysis.split_words`` gives them; a number or date that the
    question itself holds is no answer. None when there is no pair within
    ``MAX_DISTANCE``.
    """
    answers, asked = [], []
    previous = None  # (word, position, end) of the last token
    for word, pos, start, end in tokens:
        if word in question:
            asked.append(pos)
        elif _is_answer(word, kind, text, start, previous):
            answers.append(pos)
        previous = (word, pos, end)
    if not answers or not asked:
        return None
    best = min(_nearest(answers, p) for p in asked)
    return best if best <= MAX_DISTANCE else None


def _is_answer(word: str, kind: str, text: str, start: int, previous) -> bool:
    if kind == NUMBER:
        return word in NUMBER_WORDS or any(c.isdigit() for c in word)
    if word in MONTHS or word in DAYS:
        return True
    if word.isdigit() and len(word) == 4 and "1800" <= word <= "2099":
        return True
    # 16/8: a day and a month written with a slash
    return (
        word.isdigit()
        and previous is not None
        and previous[0].isdigit()
        and text[previous[2] : start] == "/"
    )


def _nearest(sorted_positions: list[int], pos: int) -> int:
    """Distance from ``pos`` to the nearest of ``sorted_positions`` (ascending)."""
    i = bisect_left(sorted_positions, pos)
    near = sorted_positions[max(i - 1, 0) : i + 1]
    return min(abs(p - pos) for p in near)
