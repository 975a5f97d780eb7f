"""Search parameters from a request's query string, checked once for pages and API.

Bad input becomes a ``BadParameter`` (a 400) whose sentence names the
parameter, in English for the API and in Indonesian for the pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date

from werkzeug.exceptions import BadRequest

from searcher import SORTS, Limits, Searcher, SearchResult

_ARG_NAMES = {"date_from": "from", "date_to": "to"}


class BadParameter(BadRequest):
    """A query-string parameter that cannot be used; carries both languages."""

    def __init__(self, english: str, indonesian: str):
        super().__init__(english)
        self.indonesian = indonesian


@dataclass(frozen=True)
class SearchParams:
    """A search as the query string gives it; ``size`` None is the default page size."""

    q: str = ""
    page: int = 1
    size: int | None = None
    source: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"

    @property
    def filtered(self) -> bool:
        return bool(self.source or self.date_from or self.date_to)

    def run(self, searcher: Searcher) -> SearchResult:
        """Run this search on ``searcher``."""
        return searcher.search(
            self.q,
            page=self.page,
            page_size=self.size,
            source=self.source,
            date_from=self.date_from,
            date_to=self.date_to,
            sort=self.sort,
        )

    def with_(self, **changes) -> SearchParams:
        return replace(self, **changes)

    def to_args(self) -> dict[str, str]:
        """The query-string form, leaving out defaults, so links keep every parameter."""
        args = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value is not None and value != field.default:
                args[_ARG_NAMES.get(field.name, field.name)] = str(value)
        return args


def _int_arg(args: Mapping[str, str], name: str, default: int | None, high: int) -> int | None:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as e:
        raise BadParameter(
            f"Parameter '{name}' must be a whole number.",
            f"Parameter '{name}' harus berupa bilangan bulat.",
        ) from e
    if not 1 <= value <= high:
        raise BadParameter(
            f"Parameter '{name}' must be between 1 and {high}.",
            f"Parameter '{name}' harus antara 1 dan {high}.",
        )
    return value


def _date_arg(args: Mapping[str, str], name: str) -> date | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        if len(raw) != len("2024-11-14"):  # fromisoformat would also take 20241114
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError as e:
        raise BadParameter(
            f"Parameter '{name}' must be a date written YYYY-MM-DD.",
            f"Parameter '{name}' harus berupa tanggal dengan format TTTT-BB-HH.",
        ) from e


def query_arg(args: Mapping[str, str], limits: Limits) -> str:
    """The query ``q``, stripped and bounded in length."""
    q = args.get("q", "").strip()
    most = limits.max_query_chars
    if len(q) > most:
        raise BadParameter(
            f"Parameter 'q' must be at most {most} characters long.",
            f"Parameter 'q' paling panjang {most} karakter.",
        )
    return q


def _sort_arg(args: Mapping[str, str]) -> str:
    sort = args.get("sort", "").strip() or "relevance"
    if sort not in SORTS:
        raise BadParameter(
            f"Parameter 'sort' must be one of: {', '.join(SORTS)}.",
            f"Parameter 'sort' harus salah satu dari: {', '.join(SORTS)}.",
        )
    return sort


def parse(args: Mapping[str, str], limits: Limits) -> SearchParams:
    """Read and check q, page, size, source, from, to and sort against ``limits``."""
    params = SearchParams(
        q=query_arg(args, limits),
        page=_int_arg(args, "page", 1, limits.max_page),
        size=_int_arg(args, "size", None, limits.max_page_size),
        source=args.get("source", "").strip() or None,
        date_from=_date_arg(args, "from"),
        date_to=_date_arg(args, "to"),
        sort=_sort_arg(args),
    )
    if params.date_from and params.date_to and params.date_from > params.date_to:
        raise BadParameter(
            "Parameter 'from' must not be later than 'to'.",
            "Parameter 'from' (dari) tidak boleh lebih akhir dari 'to' (sampai).",
        )
    return params
