"""The article: the plain record that flows from the crawler to the store."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Article:
    """One clean news article.

    ``published`` is an ISO 8601 string (a date, or a date and time with an
    offset) or None when unknown. ``body`` holds clean paragraphs separated by
    blank lines. ``title_derived`` says the title was made from the first
    sentence because none was given: display text, not evidence (the index
    does not weigh it as a title).
    """

    id: str
    title: str
    body: str
    url: str | None = None
    source: str | None = None
    published: str | None = None
    author: str | None = None
    title_derived: bool = False
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def content_hash(self) -> str:
        """A stable hash of everything a reader sees; it changes when the article does.

        ``title_derived`` is not part of it (the store compares it beside the hash).
        """
        parts = (self.url, self.source, self.title, self.published, self.author, self.body)
        text = "\x1f".join(p or "" for p in parts)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Rejection:
    """Input that could not become an article, and why."""

    where: str
    reason: str
