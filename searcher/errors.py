"""The searcher's one exception: a query or a parameter that cannot be used.

Each ``QueryError`` has a ``code`` (one of ``QUERY_ERRORS``) and the
``details`` its sentence needs, so the web pages can say it in Indonesian
while the CLI and the JSON API show the English sentence of ``str(error)``.
"""

from __future__ import annotations

PAGE_NUMBER = "page_number"
PAGE_SIZE = "page_size"
SORT = "sort"
PREFIX_TOO_SHORT = "prefix_too_short"
PREFIX_TOO_COMMON = "prefix_too_common"
DATE_UNREADABLE = "date_unreadable"
DATE_NOT_IN_CALENDAR = "date_not_in_calendar"
DATE_RANGE_REVERSED = "date_range_reversed"

# Code → the English sentence, with the ``details`` it names in braces.
QUERY_ERRORS = {
    PAGE_NUMBER: "The page number must be between 1 and {maximum}.",
    PAGE_SIZE: "The page size must be between 1 and {maximum}.",
    SORT: "Sort must be one of {choices}.",
    PREFIX_TOO_SHORT: "'{text}*' is too short to expand: give at least {minimum} letters.",
    PREFIX_TOO_COMMON: (
        "'{prefix}*' matches more than {maximum} different words. Type more letters before the *."
    ),
    DATE_UNREADABLE: "Could not read the date '{text}': write it as YYYY-MM-DD, YYYY-MM or YYYY.",
    DATE_NOT_IN_CALENDAR: "'{text}' is not a date in the calendar.",
    DATE_RANGE_REVERSED: "The date range ends before it starts.",
}


class QueryError(ValueError):
    """The query or its parameters cannot be used; the message says why."""

    def __init__(self, code: str, **details):
        super().__init__(QUERY_ERRORS[code].format(**details))
        self.code = code
        self.details = details
