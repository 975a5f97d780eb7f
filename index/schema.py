"""The Whoosh schema: what the index holds for each article."""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema

from .analysis import exact_analyzer, stem_analyzer

TITLE_BOOST = 2.0


def make_schema() -> Schema:
    """Stemmed title/body with positions, their exact forms, and metadata."""
    return Schema(
        id=ID(stored=True, unique=True),
        url=STORED(),
        source=ID(stored=True, sortable=True),
        title=TEXT(analyzer=stem_analyzer(), stored=True, field_boost=TITLE_BOOST),
        body=TEXT(analyzer=stem_analyzer(), stored=True),
        title_exact=TEXT(analyzer=exact_analyzer(), field_boost=TITLE_BOOST),
        body_exact=TEXT(analyzer=exact_analyzer()),
        published=DATETIME(stored=True, sortable=True),
        month=ID(stored=True, sortable=True),
        author=TEXT(stored=True),
        dup=ID(stored=True, sortable=True),
    )
