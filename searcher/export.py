"""Exports for researchers: every matching article as CSV or JSON Lines rows.

An export lists the matches in the results' order, each shown article
followed by its copies (``copy_of`` names the shown article), up to a limit
(the ``max_export_rows`` setting). Rows are made by ``export_row`` from the
``COLUMNS`` table: a column is one line there, and the CSV header and the
JSON keys follow. When the matches outnumber the limit, the export ends
with a note saying so (``truncation_note``): a last CSV row whose first cell
starts with ``#``, or a last JSON line ``{"truncated": true, ...}``.

The formatting is plain text generators, so the site can stream an export
and ``warta search --format`` can print one without holding it in memory.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .results import shown_title

LEAD_WORDS = 40
BOM = "\ufeff"
# A spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportDoc:
    """What one row is made from: the article's stored fields and how it relates to others."""

    fields: dict
    copy_of: str | None = None
    story: str | None = None  # the story's id (None when the article stands alone)


@dataclass(frozen=True)
class Column:
    """One column of an export: its name and how a document gives its value."""

    name: str
    value: Callable[[ExportDoc], object]


def lead(body: str, words: int = LEAD_WORDS) -> str:
    """The first ``words`` words of an article's text, on one line."""
    found = body.split(None, words)
    return " ".join(found[:words]) + (" …" if len(found) > words else "")


COLUMNS = (
    Column("id", lambda doc: doc.fields["id"]),
    Column("url", lambda doc: doc.fields.get("url")),
    Column("title", lambda doc: shown_title(doc.fields)[0]),
    Column("source", lambda doc: doc.fields.get("source")),
    Column("published", lambda doc: doc.fields.get("published")),
    Column("author", lambda doc: doc.fields.get("author")),
    Column("copy_of", lambda doc: doc.copy_of),
    Column("story", lambda doc: doc.story),
    Column("lead", lambda doc: lead(doc.fields.get("body") or "")),
)
COLUMN_NAMES = tuple(column.name for column in COLUMNS)


def export_row(doc: ExportDoc) -> dict:
    """One row: column name → value (None when unknown)."""
    return {column.name: column.value(doc) for column in COLUMNS}


@dataclass
class Export:
    """The rows of an export (a generator, read once) and what they stand for."""

    total: int  # matching articles, copies included
    exported: int  # rows the export holds
    truncated: bool  # whether the row limit left matching articles out
    rows: Iterator[dict]


def truncation_note(export: Export) -> str:
    """The sentence that ends a cut export."""
    return (
        f"Truncated: only the first {export.exported:,} of {export.total:,} matching articles "
        "are exported. Narrow the search (from, to, source or more words) to export the rest."
    )


def _csv_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv_line(cells: Iterable) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return out.getvalue()


def csv_lines(export: Export) -> Iterator[str]:
    """The export as CSV text, line by line: a byte order mark, the header, the rows.

    A cell that a spreadsheet would run as a formula starts with an apostrophe.
    """
    yield BOM + _csv_line(COLUMN_NAMES)
    for row in export.rows:
        yield _csv_line(_csv_cell(row[name]) for name in COLUMN_NAMES)
    if export.truncated:
        yield _csv_line(["# " + truncation_note(export)])


def jsonl_lines(export: Export) -> Iterator[str]:
    """The export as JSON Lines: one object per article, then a note when cut."""
    for row in export.rows:
        yield json.dumps(row, ensure_ascii=False) + "\n"
    if export.truncated:
        note = {
            "truncated": True,
            "exported": export.exported,
            "total": export.total,
            "message": truncation_note(export),
        }
        yield json.dumps(note, ensure_ascii=False) + "\n"


FORMATS = {"csv": csv_lines, "jsonl": jsonl_lines}
