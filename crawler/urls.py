"""URLs the crawler may fetch, written one way so that duplicates meet.

A canonical URL has no fragment, no tracking parameters (``utm_*``,
``fbclid``, ...) and sorted query arguments (w3lib's ``canonicalize_url``,
which Scrapy uses for its own duplicate filter).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit

from w3lib.url import canonicalize_url, url_query_cleaner

_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|yclid|_ga|_gl|igshid|ref_src|"
    r"src|share|amp;utm_\w+)$",
    re.I,
)


class UrlRefused(Exception):
    """A URL the crawler must not fetch; the message says why."""


def canonical_url(url: str) -> str:
    """The URL without fragment and tracking parameters, query sorted."""
    query = urlsplit(url).query
    tracking = [key for key, _ in parse_qsl(query, keep_blank_values=True) if _TRACKING.match(key)]
    if tracking:
        url = url_query_cleaner(url, tracking, remove=True, keep_fragments=True)
    return canonicalize_url(url, keep_fragments=False)


def host_of(url: str) -> str:
    """The lower-case host name of a URL ('' when it has none)."""
    return (urlsplit(url).hostname or "").lower()


def host_allowed(host: str, allowed: set[str]) -> bool:
    """Whether ``host`` is one of the allowed domains or below one."""
    host = host.lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in allowed)


@lru_cache(maxsize=1024)
def _addresses(host: str) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return ()
    return tuple({info[4][0] for info in infos})


def is_private_host(host: str) -> bool:
    """Whether ``host`` is or resolves to a loopback, private or otherwise non-public address."""
    try:
        addresses: tuple[str, ...] = (str(ipaddress.ip_address(host.strip("[]"))),)
    except ValueError:
        if host == "localhost" or host.endswith(".localhost"):
            return True
        addresses = _addresses(host)
    return any(not ipaddress.ip_address(a.split("%")[0]).is_global for a in addresses)


def check_url(url: str, allowed: set[str], allow_private: bool = False) -> None:
    """Raise UrlRefused unless the crawler may fetch ``url``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UrlRefused(f"only http and https are crawled, not {parts.scheme or 'no scheme'}")
    host = (parts.hostname or "").lower()
    if not host:
        raise UrlRefused("the URL has no host")
    if not host_allowed(host, allowed):
        raise UrlRefused(f"{host} is outside the allowed domains")
    if not allow_private and is_private_host(host):
        raise UrlRefused(
            f"{host} is a loopback or private address; pass --allow-private to crawl it"
        )
