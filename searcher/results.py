"""The plain records the searcher takes (``SearchRequest``) and hands downstream (web, CLI)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from .timeline import Timeline

SORTS = ("relevance", "date")


@dataclass(frozen=True)
class SearchRequest:
    """One page of a search, its parameters already checked."""

    query: str
    page: int
    page_size: int
    source: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"


@dataclass(frozen=True)
class StorySummary:
    """The story a hit belongs to: its id, how many articles and outlets report it."""

    id: str
    articles: int
    sources: int
    others: list[str] = field(default_factory=list)  # other outlets, for pages (not in JSON)


def shown_title(fields: dict) -> tuple[str, bool]:
    """An article's title as shown, from its stored fields, and whether it was derived.

    A title made from the first sentence is stored apart (``derived_title``),
    out of the title fields that ranking weighs.
    """
    derived = fields.get("derived_title")
    if derived is not None:
        return derived, True
    return fields.get("title", ""), False


@dataclass(frozen=True)
class Hit:
    """One article of a result: its metadata, score and escaped snippet.

    ``published`` is ISO 8601 in Indonesian time (``crawler.dates.indonesian_time``):
    a date alone, or a date and time with the offset of WIB, WITA or WIT.
    ``title_derived`` says the title was made from the first sentence (none
    was given): shown, but not ranked as a title.
    """

    id: str
    url: str | None
    title: str
    source: str | None
    published: str | None
    author: str | None
    score: float
    snippet: str
    duplicates: list[str] = field(default_factory=list)
    story: StorySummary | None = None  # None when no other article reports the same event
    title_derived: bool = False

    @classmethod
    def from_fields(
        cls, fields: dict, score: float, snippet: str, duplicates: list[str] | None = None
    ) -> Hit:
        """A hit from an article's stored fields (a plain dict)."""
        title, derived = shown_title(fields)
        return cls(
            id=fields["id"],
            url=fields.get("url"),
            title=title,
            title_derived=derived,
            source=fields.get("source"),
            published=fields.get("published"),
            author=fields.get("author"),
            score=score,
            snippet=snippet,
            duplicates=duplicates or [],
        )


@dataclass(frozen=True)
class SearchResult:
    """One page of a search: the hits, how many there are in all, facets, timeline, notices.

    ``facets`` and ``timeline`` count every matching article, copies included.
    """

    query: str
    total: int
    page: int
    page_size: int
    took_ms: float
    suggestion: str | None
    facets: dict
    hits: list[Hit]
    fallback: bool = False
    timeline: Timeline = field(default_factory=Timeline)
    notice: str | None = None

    def to_dict(self) -> dict:
        """The stable JSON shape shared by the CLI and the API (``notice`` is for people)."""
        data = asdict(self)
        del data["notice"]
        for hit in data["hits"]:
            if hit["story"] is not None:
                del hit["story"]["others"]
        return data


@dataclass(frozen=True)
class StoryArticle:
    """One report of a story."""

    id: str
    url: str | None
    title: str
    source: str | None
    published: str | None

    @classmethod
    def from_fields(cls, fields: dict) -> StoryArticle:
        """A report from an article's stored fields (dates shown as in hits)."""
        hit = Hit.from_fields(fields, score=0.0, snippet="")
        return cls(hit.id, hit.url, hit.title, hit.source, hit.published)


@dataclass(frozen=True)
class Story:
    """Every article reporting one event, in time order."""

    id: str
    title: str
    first_published: str | None
    last_published: str | None
    articles: list[StoryArticle]

    @property
    def sources(self) -> list[str]:
        """The outlets reporting it, in order of their first report."""
        return list(dict.fromkeys(a.source for a in self.articles if a.source))

    def to_dict(self) -> dict:
        """The JSON shape of ``/api/stories/<id>``."""
        return asdict(self)
