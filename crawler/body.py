"""Find the article text in a page: the main content as clean paragraphs.

The approach is the one readability made common: drop what is never content
(scripts, navigation, share buttons, related lists, comments, captions), score
every block by the text its paragraphs hold (long, comma-rich, few links), take
the best block and read it back as paragraphs, leaving out link lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

_NEVER = (
    "script style noscript template svg iframe form nav header footer aside button "
    "select input textarea figcaption video audio object embed canvas map dialog"
).split()
_BLOCKS = set(
    "address article aside blockquote dd div dl dt figure footer h1 h2 h3 h4 h5 h6 header "
    "hr li main nav ol p pre section table tbody td tfoot th thead tr ul center".split()
)
_CONTAINERS = {"div", "article", "section", "main", "td", "body", "center", "span", "font"}
_JUNK = re.compile(
    r"share|social|sosmed|related|terkait|baca-?juga|bacajuga|comment|komentar|disqus|"
    r"sidebar|widget|advert|\bads?\b|-ads|ads-|iklan|banner|promo|newsletter|subscribe|"
    r"breadcrumb|\bmenu|navbar|\bnav\b|footer|header|masthead|popular|populer|terpopuler|"
    r"trending|most-?read|rekomendasi|recommend|\btags?\b|tag-?list|topik|caption|"
    r"keterangan|credit|author-?box|byline|print|video-?(?:box|embed)|instagram|twitter-tweet|"
    r"embed|gallery|pagination|paging|sharer|signup|login|modal|popup|cookie|outbrain|taboola|"
    r"mgid|dable",
    re.I,
)
_CONTENT = re.compile(
    r"article|artikel|content|konten|entry|main|post|story|text|detail|isi|body|berita|read",
    re.I,
)
_MIN_PARAGRAPH = 25


@dataclass
class Paragraph:
    """One paragraph of a block, with how much of it is link text."""

    text: str = ""
    link_chars: int = 0

    @property
    def link_density(self) -> float:
        return self.link_chars / max(len(self.text), 1)


def _attrs(tag: Tag) -> str:
    classes = tag.get("class") or []
    if isinstance(classes, str):
        classes = [classes]
    return " ".join([*classes, str(tag.get("id") or "")])


_COMMENTS = re.compile(r"comment|komentar|disqus", re.I)
_DATE_ONLY = re.compile(
    r"^[\w']*,?\s*\d{1,2}[/ -]\w+[/ -]\d{2,4}\s*[|,-]?\s*(\d{1,2}[:.]\d\d)?\s*\w{0,4}$"
)


def _holds_article_text(tag: Tag) -> bool:
    """Whether a block has at least two real paragraphs (long, few links)."""
    count = 0
    for para in tag.find_all("p"):
        text = para.get_text(" ", strip=True)
        links = sum(len(a.get_text(strip=True)) for a in para.find_all("a"))
        if len(text) >= 80 and links < len(text) * 0.3:
            count += 1
            if count >= 2:
                return True
    return False


def _is_junk(tag: Tag) -> bool:
    names = _attrs(tag)
    if not names.strip() or tag.name in ("body", "html", "article", "main"):
        return False
    if not _JUNK.search(names):
        return False
    # Sites put the article inside blocks named "share" or "pagination" too: keep those.
    return bool(_COMMENTS.search(names)) or not _holds_article_text(tag)


def strip_boilerplate(soup: BeautifulSoup) -> None:
    """Remove elements that never hold article text, in place."""
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in soup.find_all(_NEVER):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.decomposed:
            continue
        if tag.get("hidden") is not None or "display:none" in str(tag.get("style", "")).replace(
            " ", ""
        ):
            tag.decompose()
        elif _is_junk(tag):
            tag.decompose()


def paragraphs_of(node: Tag) -> list[Paragraph]:
    """The paragraphs of a block: block elements and double <br> end a paragraph."""
    out: list[Paragraph] = [Paragraph()]

    def brk() -> None:
        if out[-1].text.strip():
            out.append(Paragraph())

    def walk(tag: Tag, in_link: bool) -> None:
        for child in tag.children:
            if isinstance(child, NavigableString):
                if isinstance(child, Comment):
                    continue
                text = re.sub(r"\s+", " ", str(child))
                out[-1].text += text
                if in_link:
                    out[-1].link_chars += len(text.strip())
            elif isinstance(child, Tag):
                if child.name == "br":
                    brk()
                    continue
                block = child.name in _BLOCKS
                if block:
                    brk()
                walk(child, in_link or child.name == "a")
                if block:
                    brk()

    walk(node, False)
    result = []
    for para in out:
        para.text = para.text.strip()
        if para.text:
            result.append(para)
    return result


def _block_of(tag: Tag) -> Tag | None:
    while tag is not None and tag.name not in _BLOCKS and tag.name != "body":
        tag = tag.parent
    return tag


def _score_blocks(root: Tag) -> dict[int, tuple[float, Tag]]:
    scores: dict[int, tuple[float, Tag]] = {}

    def add(tag: Tag | None, points: float) -> None:
        if tag is None or not isinstance(tag, Tag):
            return
        old = scores.get(id(tag), (0.0, tag))[0]
        scores[id(tag)] = (old + points, tag)

    own_text: dict[int, tuple[Tag, list[str]]] = {}
    for text in root.find_all(string=True):
        block = _block_of(text.parent)
        if block is not None:
            own_text.setdefault(id(block), (block, []))[1].append(str(text))
    for block, parts in own_text.values():
        own = re.sub(r"\s+", " ", "".join(parts)).strip()
        if len(own) < _MIN_PARAGRAPH or _DATE_ONLY.match(own):
            continue
        points = 1 + own.count(",") + min(len(own) / 100, 3)
        container = block if block.name in _CONTAINERS else block.parent
        add(container, points)
        if container is not None:
            add(container.parent, points / 2)
            if container.parent is not None:
                add(container.parent.parent, points / 5)
    return scores


def _link_density(tag: Tag) -> float:
    text = len(tag.get_text(" ", strip=True)) or 1
    links = sum(len(a.get_text(" ", strip=True)) for a in tag.find_all("a"))
    return links / text


def _text_length(tag: Tag) -> int:
    return len(tag.get_text(" ", strip=True))


def _widen(best: Tag) -> list[Tag]:
    """The best block, grown to take in what belongs to the same article.

    Sites split one article over sibling blocks of one class (pages of a long
    read) or put its lead sentence in the parent, just before the block.
    """
    for level in (best, best.parent):
        twins = _twins(level)
        if len(twins) > 1:
            return twins
    parent = best.parent
    if parent is None or parent.name in ("body", "html"):
        return [best]
    if _text_length(parent) <= _text_length(best) * 1.25 and _link_density(parent) < 0.3:
        return [parent]
    return [best]


def _twins(tag: Tag | None) -> list[Tag]:
    """Siblings of ``tag`` with its name and first class that hold article text."""
    if tag is None or tag.parent is None or tag.name in ("body", "html"):
        return []
    first_class = (tag.get("class") or [None])[0]
    if not first_class:
        return []
    return [
        t
        for t in tag.parent.find_all(tag.name, recursive=False)
        if (t.get("class") or [None])[0] == first_class and (t is tag or _holds_article_text(t))
    ]


def main_blocks(soup: BeautifulSoup) -> list[Tag]:
    """The blocks most likely to hold the article text, in page order."""
    marked = soup.find(attrs={"itemprop": "articleBody"})
    if marked is not None and _text_length(marked) >= 200:
        return _widen(marked)
    root = soup.body or soup
    best, best_score = None, 0.0
    for score, tag in _score_blocks(root).values():
        score *= 1 - min(_link_density(tag), 0.95)
        if _CONTENT.search(_attrs(tag)):
            score *= 1.25
        if score > best_score:
            best, best_score = tag, score
    return _widen(best) if best is not None else []


def body_paragraphs(soup: BeautifulSoup) -> list[str]:
    """The article's paragraphs as text; strips the soup of boilerplate first."""
    strip_boilerplate(soup)
    kept = []
    for block in main_blocks(soup):
        for para in paragraphs_of(block):
            if para.link_density > 0.5 and para.link_chars > 0:
                continue
            if _DATE_ONLY.match(para.text):
                continue
            kept.append(para.text)
    return kept
