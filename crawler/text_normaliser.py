"""Turn raw text into a clean article: title, metadata and body paragraphs.

This is the plain-text normaliser (the sample archive's format), and the
paragraph cleaning the HTML normaliser (``page``) shares. It removes the
noise Indonesian news copies carry: "Logo <outlet>" lines, datelines such as
``BRUSSELS, KOMPAS.TV -`` or ``Jakarta -``, "Baca Juga:" and other promotion
lines, "Sumber :" attribution lines, "Editor:"/"Penulis:" lines, editor
initials such as ``(bbn)``, an outlet name glued to the first sentence
(``ETIndonesia. Tentara ...``) and stray drop-cap letters (``TPengiriman``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import ftfy
from ftfy.badness import is_bad
from ftfy.chardata import CONTROL_CHARS, LIGATURES, WIDTH_MAP

from .article import Article

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")

_NOISE_LINES = [
    re.compile(r"^logo\s+\S.{0,60}$", re.I),
    re.compile(r"^(baca|simak|lihat|tonton|saksikan)\s+(juga|pula|selengkapnya)\b", re.I),
    re.compile(r"^baca\s*:", re.I),
    re.compile(r"^(artikel|berita)\s+terkait\s*:?", re.I),
    re.compile(r"^gabung ke channel whatsapp", re.I),
    re.compile(
        r"^(ikuti|dapatkan) (berita|update|informasi)\b.{0,120}"
        r"(whatsapp|google news|telegram|channel)",
        re.I,
    ),
    re.compile(
        r"^(no more pages|advertisement|advertising|iklan|scroll to continue with "
        r"content|loading\.*|halaman selanjutnya|selanjutnya\s*(:.{0,100})?|"
        r"\d+ dari \d+ halaman|halaman \d+( dari \d+)?)$",
        re.I,
    ),
    re.compile(r"^(copyright|hak cipta)\b.{0,120}$", re.I),
    re.compile(r"^baca halaman (berikutnya|selanjutnya)\b.{0,60}$", re.I),
    re.compile(
        r"^(yuk|ayo|cek|tonton|saksikan) .{0,60}(video|di bawah ini|daftarkan).{0,60}$", re.I
    ),
    re.compile(r"^(ilustrasi|foto)\s*:", re.I),
]
_PERSON_LINE = re.compile(
    r"^(?P<role>editor|penulis|reporter|pewarta|penyunting|redaktur)\s*:\s*(?P<name>.{2,80})$",
    re.I,
)
_SOURCE_LINE = re.compile(r"^sumber\s*:\s*(?P<source>.{2,120})$", re.I)
_LOGO_LINE = re.compile(r"^logo\s+(?P<outlet>\S.{0,60})$", re.I)
_EDITOR = re.compile(r"\s*[(\[](?P<initials>[A-Za-z]{2,8}(?:\s*/\s*[A-Za-z]{2,8}){0,3})[)\]]\s*$")
_OUTLET = r"[A-Za-z][\w]*(?:\.[A-Za-z]{2,4}){1,3}|[A-Z][\w]*\s?TV|CNN Indonesia|VIVA|ANTARA"
_DATELINE = re.compile(
    rf"^(?:(?P<place>[A-Z][A-Z .'/-]{{1,40}}),\s*(?P<outlet>{_OUTLET})"
    rf"|(?P<outlet2>{_OUTLET}),\s*(?P<place2>[A-Z][A-Za-z .'/-]{{1,40}}?)"
    rf"|(?P<place3>[A-Z][A-Za-z.']+(?: [A-Z][A-Za-z.']+){{0,2}}),\s*(?P<outlet3>{_OUTLET})"
    rf"|(?P<outlet4>[A-Za-z][\w]*(?:\.[A-Za-z]{{2,4}}){{1,3}})"
    rf"|(?P<place5>[A-Z][A-Za-z.']+(?: [A-Z][A-Za-z.']+){{0,2}}))"
    r"(?:\s*,\s*\(?\d{1,2}/\d{1,2}(?:/\d{2,4})?\)?)?\s+[-–—]{1,2}\s*"
)
# "Fimela.com, Jakarta Kesepian adalah ...": outlet and one-word place, no dash.
_DATELINE_NO_DASH = re.compile(
    r"^(?P<outlet>[A-Za-z][\w]*\.(?:com|co\.id|id|net)),\s+(?P<place>[A-Z][a-z]+)\s+(?=[A-Z])"
)
_GLUED_SOURCE = re.compile(
    r"^(?P<outlet>[A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*(?:\.[a-z]{2,4}){0,2})\.\s+(?=[A-Z\"“])"
)
_DROP_CAP = re.compile(r"^(?P<cap>[A-Z])(?=[A-Z][a-z]{2,})")
_QUOTES = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u00ab": '"',
        "\u00bb": '"',
    }
)


def _untouched_pattern() -> re.Pattern:
    """Any character some step of ``clean_text`` would change or take, but spaces.

    Built from ftfy's own tables: HTML entities ("&"), line breaks ftfy
    rewrites, its control characters (ESC, so terminal escapes too), C1
    controls, ligatures, full- and half-width forms, curly quotes, surrogates;
    then our quotes and zero-width characters.
    """
    chars = set(map(ord, "&\r\x85\u2028\u2029\u02bc"))
    chars.update(range(0x80, 0xA0), range(0x2018, 0x2020), range(0xD800, 0xE000))
    chars.update(CONTROL_CHARS, LIGATURES, WIDTH_MAP, _QUOTES, _ZERO_WIDTH)
    return re.compile("[" + "".join(f"\\u{c:04x}" for c in sorted(chars)) + "]")


_TOUCHED = _untouched_pattern()


def _untouched(text: str) -> bool:
    """Whether ftfy, NFC and our tables would leave ``text`` as it is.

    ftfy fixes line by line and stops at the first round that changes
    nothing; a round changes nothing when no character triggers a fix, the
    text is NFC and it does not look like mojibake (``is_bad``: ASCII never does).
    """
    if _TOUCHED.search(text):
        return False
    return text.isascii() or (unicodedata.is_normalized("NFC", text) and not is_bad(text))


def clean_text(text: str) -> str:
    """Repaired mojibake, Unicode NFC, straight quotes, no zero-width characters, plain spaces."""
    if _untouched(text):
        # Most texts, and every text cleaned once: the same result at a tenth
        # of the cost (tests/test_normalise.py compares both paths).
        return _SPACES.sub(" ", text)
    text = ftfy.fix_text(text, normalization="NFC").translate(_QUOTES)
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


@dataclass
class Cleaned:
    """Paragraphs with the noise taken out, and the metadata the noise carried."""

    paragraphs: list[str]
    extra: dict = field(default_factory=dict)
    outlet: str | None = None
    author: str | None = None


def _take_line(para: str, cleaned: Cleaned) -> bool:
    """Move a metadata line into ``cleaned``; say whether it was one."""
    logo = _LOGO_LINE.match(para)
    if logo and not cleaned.paragraphs:
        cleaned.outlet = cleaned.outlet or logo["outlet"].strip()
        return True
    if any(p.match(para) for p in _NOISE_LINES):
        return True
    source = _SOURCE_LINE.match(para)
    if source:
        cleaned.extra["attribution"] = source["source"].strip()
        return True
    person = _PERSON_LINE.match(para)
    if person:
        role = person["role"].lower()
        name = person["name"].strip()
        if role in ("penulis", "reporter", "pewarta"):
            cleaned.author = cleaned.author or name
        else:
            cleaned.extra["editor"] = name
        return True
    return False


def _strip_initials(cleaned: Cleaned) -> None:
    kept = cleaned.paragraphs
    while kept:
        editor = _EDITOR.search(kept[-1])
        if not editor:
            return
        cleaned.extra["editor_initials"] = editor["initials"].replace(" ", "")
        kept[-1] = kept[-1][: editor.start()].rstrip()
        if kept[-1]:
            return
        kept.pop()


def _strip_lead(cleaned: Cleaned) -> None:
    """Take the dateline, a glued outlet name and a drop cap off the first paragraph."""
    first = cleaned.paragraphs[0]
    dateline = _DATELINE.match(first)
    if dateline and len(first) > dateline.end() + 20:
        groups = dateline.groupdict()
        outlet = next(
            (groups[k] for k in ("outlet", "outlet2", "outlet3", "outlet4") if groups[k]), None
        )
        place = next(
            (groups[k] for k in ("place", "place2", "place3", "place5") if groups[k]), None
        )
        cleaned.outlet = outlet or cleaned.outlet
        if place:
            cleaned.extra["place"] = place.strip().title()
        first = first[dateline.end() :]
    no_dash = None if dateline else _DATELINE_NO_DASH.match(first)
    if no_dash and len(first) > no_dash.end() + 20:
        cleaned.outlet = no_dash["outlet"]
        cleaned.extra["place"] = no_dash["place"]
        first = first[no_dash.end() :]
    glued = _GLUED_SOURCE.match(first)
    if glued and len(first) > glued.end() + 20:
        cleaned.outlet = cleaned.outlet or glued["outlet"]
        first = first[glued.end() :]
    first = _DROP_CAP.sub("", first, count=1)
    cleaned.paragraphs[0] = first


def clean_paragraphs(paragraphs: list[str]) -> Cleaned:
    """Drop noise lines and move metadata lines, datelines and initials to metadata."""
    cleaned = Cleaned([])
    for para in paragraphs:
        para = clean_text(para).strip()
        if para and not _take_line(para, cleaned):
            cleaned.paragraphs.append(para)
    _strip_initials(cleaned)
    if cleaned.paragraphs:
        _strip_lead(cleaned)
    return cleaned


def parse_text(text: str, article_id: str, title: str | None = None) -> Article:
    """Build an Article from a plain-text news copy.

    Without a ``title`` (or a title line) the first sentence becomes the title,
    marked ``title_derived``.
    """
    cleaned = clean_paragraphs(_paragraphs(text))
    body = "\n\n".join(cleaned.paragraphs)
    return Article(
        id=article_id,
        title=title or _first_sentence(body),
        title_derived=not title,
        body=body,
        source=cleaned.outlet,
        author=cleaned.author,
        extra=cleaned.extra,
    )
