"""The plain result records the searcher hands downstream (web, CLI)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Hit:
    id: str
    url: str | None
    title: str
    source: str | None
    published: str | None
    author: str | None
    score: float
    snippet: str
    duplicates: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SearchResult:
    query: str
    total: int
    page: int
    page_size: int
    took_ms: float
    suggestion: str | None
    facets: dict
    hits: list[Hit]
    fallback: bool = False
    notice: str | None = None

    def to_dict(self) -> dict:
        """The stable JSON shape shared by the CLI and the API (``notice`` is for people)."""
        data = asdict(self)
        del data["notice"]
        return data
