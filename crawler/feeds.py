"""Feeds and sitemaps: the article URLs (and dates) a site lists for crawlers.

RSS and Atom go through ``feedparser``; sitemaps, sitemap indexes and Google
News sitemaps through Scrapy's sitemap reader, with the news publication date
read from the ``news:news`` element.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime

import feedparser
from lxml import etree
from scrapy.utils.sitemap import Sitemap

from .dates import parse_date


@dataclass(frozen=True)
class Entry:
    """One URL a feed or sitemap lists, with its date when it gives one."""

    url: str
    published: datetime | None = None
    title: str | None = None


def _struct_date(entry: dict) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    for key in ("published", "updated"):
        if entry.get(key):
            return parse_date(entry[key])
    return None


def looks_like_feed(body: bytes) -> bool:
    """Whether a response body is an RSS or Atom feed."""
    head = body[:2048].lstrip().lower()
    return b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head


def parse_feed(body: bytes, url: str | None = None) -> list[Entry]:
    """The entries of an RSS or Atom feed, in feed order."""
    parsed = feedparser.parse(body, response_headers={"content-location": url or ""})
    entries = []
    for item in parsed.entries:
        link = item.get("link") or item.get("id")
        if link and link.startswith(("http://", "https://")):
            entries.append(Entry(link.strip(), _struct_date(item), item.get("title")))
    return entries


def looks_like_sitemap(body: bytes) -> bool:
    """Whether a response body is a sitemap or a sitemap index."""
    head = body[:4096]
    return b"<urlset" in head or b"<sitemapindex" in head


def _news_dates(body: bytes) -> dict[str, datetime]:
    """Publication dates from Google News sitemap entries, by URL."""
    try:
        root = etree.fromstring(
            body, parser=etree.XMLParser(resolve_entities=False, recover=True, huge_tree=False)
        )
    except etree.XMLSyntaxError:
        return {}
    dates = {}
    if root is None:
        return dates
    for url in root.iter("{*}url"):
        loc = url.findtext("{*}loc")
        published = url.findtext("{*}news/{*}publication_date")
        moment = parse_date(published) if published else None
        if loc and moment:
            dates[loc.strip()] = moment
    return dates


def parse_sitemap(body: bytes) -> tuple[str, list[Entry]]:
    """The kind ("urlset" or "sitemapindex") and entries of a sitemap."""
    sitemap = Sitemap(body)
    news = _news_dates(body) if b"news" in body[:4096] else {}
    entries = []
    for item in sitemap:
        loc = item.get("loc", "").strip()
        if not loc:
            continue
        moment = news.get(loc) or parse_date(item.get("lastmod"))
        entries.append(Entry(loc, moment))
    return sitemap.type, entries
