"""Turn raw text into a clean article: title, metadata and body paragraphs.

This is the plain-text normaliser (the sample archive's format). It removes
the noise Indonesian news copies carry: "Logo <outlet>" lines, datelines such
as ``BRUSSELS, KOMPAS.TV -``, "Baca Juga:" lines, promotion lines, "Sumber :"
attribution lines and editor initials such as ``(bbn)``.
"""

from __future__ import annotations

import re
import unicodedata

from .article import Article

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")

_NOISE_LINES = [
    re.compile(r"^logo\s+\S.{0,60}$", re.I),
    re.compile(r"^(baca|simak)\s+(juga|pula)\s*:", re.I),
    re.compile(r"^gabung ke channel whatsapp", re.I),
    re.compile(r"^no more pages$", re.I),
    re.compile(r"^(advertisement|scroll to continue with content)$", re.I),
]
_SOURCE_LINE = re.compile(r"^sumber\s*:\s*(?P<source>.+)$", re.I)
_EDITOR = re.compile(r"\s*\((?P<initials>[a-z]{2,6}(?:/[a-z]{2,6})*)\)\s*$")
_DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z .'-]{1,40}),\s*(?P<outlet>[A-Za-z][\w.]*\.[A-Z]{2,4})\s*[-–—]+\s*"
)


def clean_text(text: str) -> str:
    """Unicode NFC, no zero-width characters, plain spaces."""
    text = unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH)
    return _SPACES.sub(" ", text)


def _paragraphs(text: str) -> list[str]:
    lines = (line.strip() for line in clean_text(text).replace("\r\n", "\n").split("\n"))
    return [line for line in lines if line]


def _first_sentence(body: str, limit: int = 90) -> str:
    sentence = re.split(r"(?<=[.!?])\s", body, maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence.rstrip(".")
    cut = sentence[:limit].rsplit(" ", 1)[0]
    return cut + "…"


def parse_text(text: str, article_id: str, title: str | None = None) -> Article:
    """Build an Article from a plain-text news copy."""
    extra: dict = {}
    kept = []
    for para in _paragraphs(text):
        if any(p.match(para) for p in _NOISE_LINES):
            continue
        source = _SOURCE_LINE.match(para)
        if source:
            extra["attribution"] = source["source"].strip()
            continue
        kept.append(para)
    if kept:
        editor = _EDITOR.search(kept[-1])
        if editor:
            kept[-1] = kept[-1][: editor.start()].rstrip()
            if not kept[-1]:
                kept.pop()
    outlet = None
    if kept:
        dateline = _DATELINE.match(kept[0])
        if dateline:
            outlet = dateline["outlet"]
            extra["place"] = dateline["place"].title()
            kept[0] = kept[0][dateline.end() :]
    body = "\n\n".join(kept)
    return Article(
        id=article_id,
        title=title or _first_sentence(body),
        body=body,
        source=outlet,
        extra=extra,
    )
