"""Saved web pages (.html, .htm) and web archives (.warc, .warc.gz) as articles.

Pages go through the HTML normaliser (``page``); WARC files are read with
``warcio``, one article per HTML response record that looks like an article.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from .article import Article, Rejection
from .html_normaliser import article_id_for, decode_html, page_article, parse_page
from .urls import canonical_url

MAX_PAGE_BYTES = 5 * 1024 * 1024


def read_html_file(path: Path) -> Iterator[Article | Rejection]:
    """One article from a saved page; its id comes from its canonical URL, else the file name."""
    if path.stat().st_size > MAX_PAGE_BYTES:
        yield Rejection(str(path), f"larger than {MAX_PAGE_BYTES // 2**20} MB")
        return
    html, _ = decode_html(path.read_bytes())
    page = parse_page(html)
    if not page.paragraphs:
        yield Rejection(str(path), "no article text")
        return
    url = canonical_url(page.canonical) if _is_web_url(page.canonical) else None
    yield page_article(page, article_id_for(url) if url else path.stem)


def _is_web_url(url: str | None) -> bool:
    return bool(url) and url.startswith(("http://", "https://"))


def _charset(content_type: str) -> str | None:
    match = re.search(r"charset=([\w.:-]+)", content_type or "", re.I)
    return match.group(1) if match else None


def _html_responses(stream) -> Iterator[tuple[str, bytes, str]]:
    """URL, body and content type of each successful HTML response in a WARC stream."""
    for record in ArchiveIterator(stream):
        if record.rec_type != "response" or record.http_headers is None:
            continue
        content_type = record.http_headers.get_header("Content-Type") or ""
        if record.http_headers.get_statuscode() != "200" or "html" not in content_type.lower():
            continue
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        yield url, record.content_stream().read(MAX_PAGE_BYTES + 1), content_type


def _starts_like_warc(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            gzipped = stream.read(2) == b"\x1f\x8b"
        with (gzip.open if gzipped else open)(path, "rb") as stream:
            return stream.read(5) == b"WARC/"
    except (OSError, EOFError):
        return False


def read_warc_file(path: Path) -> Iterator[Article | Rejection]:
    """The articles among the HTML responses of a web archive (.warc or .warc.gz)."""
    if not _starts_like_warc(path):
        yield Rejection(str(path), "not a readable web archive (no WARC header)")
        return
    try:
        with path.open("rb") as stream:
            for url, body, content_type in _html_responses(stream):
                where = f"{path}#{url}"
                if len(body) > MAX_PAGE_BYTES:
                    yield Rejection(where, f"larger than {MAX_PAGE_BYTES // 2**20} MB")
                    continue
                html, _ = decode_html(body, _charset(content_type))
                page = parse_page(html, url or None)
                if not page.is_article:
                    yield Rejection(where, "not an article page")
                    continue
                address = canonical_url(page.canonical or url)
                yield page_article(page, article_id_for(address))
    except ArchiveLoadFailed as e:
        yield Rejection(str(path), f"not a readable web archive ({e})")
