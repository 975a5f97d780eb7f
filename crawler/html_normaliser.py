"""The HTML normaliser: an article page becomes a clean :class:`Article`.

Metadata comes from what the page states for machines first (JSON-LD,
Open Graph and other meta tags), then from what it shows (h1, <time>, dates
written in Indonesian, the URL). The body is JSON-LD ``articleBody`` when the
page has a real one, otherwise the main content block (``body``). Both go
through the same paragraph cleaning as plain text (``normalise``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from .article import Article
from .body import body_paragraphs
from .dates import date_from_url, dates_in_text, has_time, parse_date, to_iso
from .text_normaliser import clean_paragraphs, clean_text
from .urls import canonical_url

_ARTICLE_TYPES = {
    "newsarticle",
    "article",
    "reportagenews",
    "blogposting",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "reviewnewsarticle",
    "webpage",
}
_DATE_META = (
    "article:published_time",
    "og:published_time",
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "content_publisheddate",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "date",
    "sailthru.date",
    "parsely-pub-date",
    "article_date_original",
    "originalpublicationdate",
    "dtm_publishdate",
    "content_pubdate",
)
_MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "lastmod")
_AUTHOR_META = (
    "author",
    "article:author",
    "dable:author",
    "content_author",
    "parsely-author",
    "byl",
    "sailthru.author",
    "dc.creator",
)
_AUTHOR_CLASS = re.compile(r"author|penulis|reporter|byline|writer|pewarta", re.I)
_SEPARATORS = re.compile(r"\s+[|\-–—:»]\s+")
_SHOW_ALL = re.compile(
    r"^(tampilkan|lihat|baca)\s+(semua|selengkapnya dalam satu halaman)|show all|"
    r"single page|satu halaman|view all",
    re.I,
)
_NEXT = re.compile(r"^(halaman\s+)?(selanjutnya|berikutnya|next|lanjut)\s*[›»>]*$|^[›»]$", re.I)
_PAGE_NUMBER = re.compile(r"^(halaman\s+)?(?P<n>\d{1,2})$", re.I)


@dataclass
class ParsedPage:
    """What the normaliser read from one HTML page."""

    url: str | None
    title: str = ""
    paragraphs: list[str] = field(default_factory=list)
    published: str | None = None
    author: str | None = None
    outlet: str | None = None
    canonical: str | None = None
    is_article: bool = False
    links: list[str] = field(default_factory=list)
    next_page: str | None = None
    show_all: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


# -- decoding ----------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)


def decode_html(body: bytes, declared: str | None = None) -> tuple[str, str]:
    """Text and encoding of a page: the HTTP charset, else UTF-8 if valid, else the meta charset.

    UTF-8 is tried before the page's own meta charset because pages often
    declare ISO-8859-1 while sending UTF-8; windows-1252 is the last resort.
    """
    candidates = [declared] if declared else []
    candidates.append("utf-8")
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        candidates.append(meta.group(1).decode("ascii", "replace"))
    for encoding in candidates:
        try:
            return body.decode(_python_codec(encoding)), encoding.lower()
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("cp1252", errors="replace"), "cp1252"


def _python_codec(encoding: str) -> str:
    # Browsers read latin-1 as windows-1252 (WHATWG); so do we.
    return (
        "cp1252" if encoding.lower() in ("iso-8859-1", "latin-1", "latin1", "ascii") else encoding
    )


# -- metadata ----------------------------------------------------------------


def _json_ld_objects(soup: BeautifulSoup) -> Iterator[dict]:
    for script in soup.find_all("script", type=re.compile("ld\\+json", re.I)):
        text = script.string or script.get_text()
        try:
            data = json.loads(re.sub(r"[\x00-\x1f]", " ", text))
        except (ValueError, TypeError):
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                stack.extend(v for k, v in item.items() if k == "@graph")
                yield item


def _ld_type(item: dict) -> set[str]:
    kind = item.get("@type", "")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds}


def _news_ld(soup: BeautifulSoup) -> dict:
    """The page's JSON-LD article object (NewsArticle or kin), or an empty dict."""
    best: dict = {}
    for item in _json_ld_objects(soup):
        kinds = _ld_type(item)
        if kinds & _ARTICLE_TYPES and ("headline" in item or "articleBody" in item):
            if "webpage" in kinds and best:
                continue
            best = item
    return best


def _name(value) -> str | None:
    if isinstance(value, list):
        names = [n for n in (_name(v) for v in value) if n]
        return ", ".join(dict.fromkeys(names)) or None
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, str) and value.strip() and not value.startswith("http"):
        return clean_text(value).strip()
    return None


def _meta(soup: BeautifulSoup, *names: str) -> str | None:
    wanted = {n.lower() for n in names}
    for tag in soup.find_all("meta"):
        key = (tag.get("property") or tag.get("name") or tag.get("itemprop") or "").lower()
        if key in wanted and tag.get("content", "").strip():
            return tag["content"].strip()
    return None


def _meta_values(soup: BeautifulSoup, names: tuple[str, ...]) -> Iterator[str]:
    for name in names:
        value = _meta(soup, name)
        if value:
            yield value


def _site_words(soup: BeautifulSoup, url: str | None) -> set[str]:
    words = set()
    site = _meta(soup, "og:site_name", "application-name", "twitter:site")
    if site:
        words.add(re.sub(r"[^a-z0-9]", "", site.lower()))
    if url:
        host = urlsplit(url).hostname or ""
        labels = [p for p in host.split(".") if p not in ("www", "com", "co", "id", "net", "org")]
        words.update(labels)
    return {w for w in words if len(w) >= 3}


def strip_site_name(title: str, site_words: set[str]) -> str:
    """ "Judul berita - Kompas.com" becomes "Judul berita"."""

    def is_site(part: str) -> bool:
        flat = re.sub(r"[^a-z0-9]", "", part.lower())
        return bool(flat) and any(w in flat for w in site_words) and len(part) < 40

    prefix = re.match(r"^([^\s:]{3,30}):\s+", title)
    if prefix and is_site(prefix.group(1)):
        title = title[prefix.end() :]
    parts = _SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    while len(parts) > 1 and is_site(parts[-1]):
        parts.pop()
    while len(parts) > 1 and is_site(parts[0]):
        parts.pop(0)
    return " - ".join(parts) if len(parts) > 1 else parts[0]


def _title(soup: BeautifulSoup, ld: dict, url: str | None) -> str:
    words = _site_words(soup, url)
    h1 = soup.find("h1")
    h1_text = clean_text(h1.get_text(" ", strip=True)) if h1 else ""
    for candidate in (
        _meta(soup, "og:title", "twitter:title"),
        ld.get("headline"),
        h1_text,
        soup.title.get_text() if soup.title else None,
    ):
        if isinstance(candidate, str) and candidate.strip():
            title = strip_site_name(clean_text(candidate).strip(), words)
            if len(title) >= 8:
                return title
    return ""


def _visible_dates(soup: BeautifulSoup) -> list[datetime]:
    found = []
    for tag in soup.find_all("time"):
        value = parse_date(tag.get("datetime") or tag.get_text(" ", strip=True))
        if value:
            found.append(value)
    for tag in soup.find_all(class_=re.compile(r"date|time|tanggal|waktu|publish", re.I)):
        found.extend(dates_in_text(tag.get_text(" ", strip=True))[:1])
    return found


def _title_element(soup: BeautifulSoup, title: str) -> Tag | None:
    """The heading that shows the title, or the first h1."""
    flat = title.lower()[:40]
    for tag in soup.find_all(["h1", "h2", "h3", "div", "span"], limit=4000):
        text = tag.get_text(" ", strip=True).lower()
        if flat and text.startswith(flat) and len(text) < len(title) + 40:
            return tag
    return soup.find("h1")


def _dates_near_title(soup: BeautifulSoup, title: str) -> list[datetime]:
    """Dates with a time of day written close to the title, nearest first."""
    tag = _title_element(soup, title)
    for _ in range(5):
        if tag is None or tag.parent is None:
            return []
        tag = tag.parent
        text = tag.get_text(" ", strip=True)
        if len(text) > 12000:
            return []
        timed = [d for d in dates_in_text(text, zoned_first=True) if (d.hour, d.minute) != (0, 0)]
        if timed:
            return timed
    return []


def _published(soup: BeautifulSoup, ld: dict, url: str | None, title: str) -> str | None:
    """The publication date, ISO 8601; a date without a time when only the date is known."""
    stated = [ld.get("datePublished"), *_meta_values(soup, _DATE_META)]
    visible = _visible_dates(soup)
    near = _dates_near_title(soup, title)
    for value in stated:
        moment = parse_date(value) if isinstance(value, str) else None
        if moment is None:
            continue
        if moment.utcoffset().total_seconds() == 0:
            moment = _local_if_mislabelled(moment, near, near + visible)
        return to_iso(moment) if has_time(value) else moment.date().isoformat()
    if near:
        return to_iso(near[0])
    timed = [v for v in visible if (v.hour, v.minute) != (0, 0)]
    modified = [ld.get("dateModified"), *_meta_values(soup, _MODIFIED_META)]
    for value in modified:
        moment = parse_date(value) if isinstance(value, str) else None
        if moment is not None:
            return to_iso(moment)
    if timed or visible:
        return to_iso((timed or visible)[0])
    in_text = dates_in_text(soup.get_text(" ", strip=True)[:3000])
    if in_text:
        return to_iso(in_text[0])
    from_url = date_from_url(url)
    return from_url.date().isoformat() if from_url else None


def _local_if_mislabelled(
    moment: datetime, near: list[datetime], visible: list[datetime]
) -> datetime:
    """Many Indonesian pages label local (WIB) time as UTC: trust the page's visible clock."""

    def same_clock(shown: datetime) -> bool:
        return (shown.date(), shown.hour, shown.minute) == (
            moment.date(),
            moment.hour,
            moment.minute,
        )

    for shown in near:
        if same_clock(shown):
            return shown.replace(second=moment.second)
    if near and near[0].utcoffset() != moment.utcoffset() and near[0].date() == moment.date():
        return near[0]
    for shown in visible:
        if same_clock(shown):
            return shown.replace(second=moment.second)
    return moment


_NOT_A_PERSON = re.compile(
    r"\bPT\b|\bmedia\b|cyber|\.com\b|\.co\.id\b|\bredaksi\b|\bnews\b|"
    r"\btim\b|\bteam\b",
    re.I,
)
_BYLINE_LABEL = re.compile(
    r"^\s*(penulis|reporter|pewarta|oleh|wartawan)\s*(?::\s*(?P<name>\S.{0,60}))?\s*:?\s*$",
    re.I,
)
_ROLE_PREFIX = re.compile(r"^(oleh|by|penulis|reporter|pewarta|wartawan)\s*:?\s*", re.I)
_ROLE_SUFFIX = re.compile(r"\s+(jurnalis|reporter|wartawan|kontributor)\b.*$", re.I)


def plausible_author(value: str | None, site_words: set[str]) -> str | None:
    """A person's name from a byline value, or None if it names the outlet or a form field."""
    if not isinstance(value, str) or re.search(r"wajib|required", value, re.I):
        return None  # a comment form's "Nama (wajib)"
    name = re.split(r"\s+[-|–]\s+", clean_text(value).strip())[0]  # "Andi Saputra - detikNews"
    name = _ROLE_SUFFIX.sub("", _ROLE_PREFIX.sub("", name.strip(" ,;:"))).strip(" ,;:")
    name = re.sub(r"\s*\(.*\)\s*$", "", name)  # "Masriadi (Kontributor Lhokseumawe)"
    flat = re.sub(r"[^a-z0-9]", "", name.lower())
    if not 4 <= len(name) <= 60 or re.search(r"\d", name) or name.startswith("http"):
        return None
    if _NOT_A_PERSON.search(name) or any(word in flat for word in site_words):
        return None
    words = name.split()
    if len(words) > 6 or "@" in name or (len(words) == 1 and name.isupper()):
        return None
    if re.match(r"^(dok|foto|ilustrasi|sumber|editor)\b", name, re.I):
        return None
    return name


def _author_candidates(soup: BeautifulSoup, ld: dict) -> Iterator[str]:
    """Byline values, most trusted first: JSON-LD, meta tags, rel/itemprop, author classes."""
    yield _name(ld.get("author")) or ""
    yield from _meta_values(soup, _AUTHOR_META)
    for tag in soup.find_all(attrs={"rel": "author"}) + soup.find_all(itemprop="author"):
        yield tag.get("content") or tag.get_text(" ", strip=True)
    for tag in soup.find_all("author"):
        yield tag.get_text(" ", strip=True)
    for label in soup.find_all(string=_BYLINE_LABEL):
        if _BYLINE_LABEL.match(label).group("name"):  # "Penulis: Rina Wulandari"
            yield str(label)
        elif (cell := label.parent.find_next_sibling()) is not None:  # <td>Penulis</td><td>Rina
            yield cell.get_text(" ", strip=True)
    for tag in soup.find_all(class_=_AUTHOR_CLASS):
        if tag.find_parent("form") is None and len(tag.get_text()) < 200:
            yield tag.get_text(" ", strip=True)


def _author(soup: BeautifulSoup, ld: dict, url: str | None) -> str | None:
    words = _site_words(soup, url)
    for value in _author_candidates(soup, ld):
        name = plausible_author(value, words)
        if name:
            return name
    return None


def _outlet(soup: BeautifulSoup, ld: dict) -> str | None:
    """The outlet the page names for itself (JSON-LD publisher, og:site_name)."""
    outlet = _name(ld.get("publisher")) or _meta(soup, "og:site_name")
    return clean_text(outlet).strip() if outlet else None


def _host(url: str | None) -> str | None:
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else None


def _canonical(soup: BeautifulSoup, ld: dict, url: str | None) -> str | None:
    link = soup.find("link", rel="canonical")
    href = link.get("href") if link else None
    href = href or _meta(soup, "og:url")
    if href and href.strip():
        return urljoin(url or "", href.strip())
    return url


# -- body ----------------------------------------------------------------------


def _ld_body(ld: dict) -> list[str]:
    text = ld.get("articleBody")
    if not isinstance(text, str) or len(text) < 300:
        return []
    if "<" in text and ">" in text:
        text = BeautifulSoup(text, "lxml").get_text("\n")
    return [line.strip() for line in re.split(r"\n+", text) if line.strip()]


def _links(soup: BeautifulSoup, url: str | None) -> list[str]:
    links = []
    for a in soup.find_all("a", href=True):
        href = a["href"].strip()
        if href and not href.startswith(("#", "javascript:", "mailto:", "tel:")):
            links.append(urljoin(url or "", href))
    return list(dict.fromkeys(links))


def _pagination(soup: BeautifulSoup, url: str | None) -> tuple[str | None, str | None]:
    """The show-all link and the next-page link of a paginated article, if any."""
    show_all = next_page = None
    for a in soup.find_all("a", href=True):
        text = clean_text(a.get_text(" ", strip=True))
        href = urljoin(url or "", a["href"].strip())
        if href == url or href.startswith(("javascript:", "#")):
            continue
        if show_all is None and (_SHOW_ALL.search(text) or re.search(r"[?&]page=all\b", href)):
            show_all = href
        elif next_page is None and (_NEXT.match(text) or "next" in (a.get("rel") or [])):
            next_page = href
        elif next_page is None and (m := _PAGE_NUMBER.match(text)) and m["n"] == "2":
            next_page = href if _current_page(url) == 1 else None
    return show_all, next_page


def _current_page(url: str | None) -> int:
    match = re.search(r"[?&/](?:page|halaman|hal|p)[=/-]?(\d+)", url or "")
    return int(match.group(1)) if match else 1


def parse_page(html: str, url: str | None = None) -> ParsedPage:
    """Read metadata, body paragraphs, links and pagination from an HTML page."""
    soup = BeautifulSoup(html, "lxml")
    ld = _news_ld(soup)
    page = ParsedPage(url=url)
    page.links = _links(soup, url)
    page.show_all, page.next_page = _pagination(soup, url)
    page.title = _title(soup, ld, url)
    page.published = _published(soup, ld, url, page.title)
    page.author = _author(soup, ld, url)
    page.outlet = _outlet(soup, ld)
    page.canonical = _canonical(soup, ld, url)
    og_type = (_meta(soup, "og:type") or "").lower()
    raw = _ld_body(ld) or body_paragraphs(soup)
    cleaned = clean_paragraphs(_drop_title_repeats(raw, page.title))
    page.paragraphs = cleaned.paragraphs
    page.author = page.author or cleaned.author
    page.outlet = page.outlet or cleaned.outlet or _host(page.canonical or url)
    page.extra = cleaned.extra
    words = len(page.body.split())
    stated = bool(ld) or og_type == "article" or page.published is not None
    # A news brief of 30 words is still an article when the page says it is one.
    declared = (bool(ld) or og_type == "article") and bool(page.title) and bool(page.published)
    page.is_article = (
        words >= 150 or (words >= 40 and stated and bool(page.title)) or (words > 0 and declared)
    )
    return page


def _drop_title_repeats(paragraphs: list[str], title: str) -> list[str]:
    """The paragraphs without the headline the content block repeats."""
    flat = title.casefold()
    return [p for p in paragraphs if clean_text(p).strip().casefold() != flat]


def join_parts(parts: list[ParsedPage]) -> ParsedPage:
    """One page from an article split over several: the first page's metadata, all text once."""
    first = parts[0]
    paragraphs = list(first.paragraphs)
    seen = set(paragraphs)
    for part in parts[1:]:
        for para in part.paragraphs:
            if para not in seen:
                seen.add(para)
                paragraphs.append(para)
    return replace(first, paragraphs=paragraphs)


def article_id_for(url: str) -> str:
    """A stable article id from a canonical URL: the host and a short hash."""
    host = (urlsplit(url).hostname or "page").removeprefix("www.")
    return f"{host}-{hashlib.sha256(url.encode('utf-8')).hexdigest()[:16]}"


def page_article(page: ParsedPage, article_id: str | None = None) -> Article:
    """The Article a parsed page describes."""
    url = page.canonical or page.url
    if url and url.startswith(("http://", "https://")):
        url = canonical_url(url)
    return Article(
        id=article_id or article_id_for(url or page.title),
        title=page.title or (page.paragraphs[0][:90] if page.paragraphs else ""),
        title_derived=not page.title,
        body=page.body,
        url=url,
        source=page.outlet,
        published=page.published,
        author=page.author,
        extra=page.extra,
    )


def parse_html(html: str | bytes, url: str | None = None, article_id: str | None = None) -> Article:
    """Build an Article from an HTML page (bytes are decoded as ``decode_html`` says)."""
    if isinstance(html, bytes):
        html = decode_html(html)[0]
    return page_article(parse_page(html, url), article_id)
