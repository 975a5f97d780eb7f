"""The Whoosh schema: what the index holds for each article.

Whoosh pickles the schema into the index on every commit, so ``NewsText``'s
import path (``index.schema.NewsText``) is part of the on-disk format.
"""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema

from .analysis import exact_analyzer, index_terms, protected_words, stem_analyzer

TITLE_BOOST = 2.0

# The on-disk format of the index: bump it whenever the schema or the analysis
# changes in a way an existing index cannot serve. An index with another format
# is refused with a message to rebuild (the store, the source of truth, is safe).
INDEX_FORMAT = 2


class NewsText(TEXT):
    """A text field with positions, analysed in one pass when indexing.

    Queries and highlighting use the field's analyzer as usual; indexing uses
    ``index_terms`` with the same rules, which skips Whoosh's per-token
    objects (a third of a rebuild's time).
    """

    def __init__(self, protected: dict[str, str] | None = None, stemmed: bool = True, **kwargs):
        self.protected = (
            (dict(protected_words()) if protected is None else protected) if stemmed else None
        )
        analyzer = stem_analyzer(self.protected) if stemmed else exact_analyzer()
        super().__init__(analyzer=analyzer, **kwargs)

    def terms(self, value: str) -> dict[str, list[int]]:
        """Term → positions of a text, as this field indexes it."""
        return index_terms(value, self.protected)

    def index(self, value, **kwargs):
        if not isinstance(value, str):
            return super().index(value, **kwargs)
        boost = self.format.field_boost
        encode = self.format.encode
        return [
            (term.encode("utf-8"), len(poses), len(poses) * boost, encode(poses))
            for term, poses in self.terms(value).items()
        ]


def make_schema(protected: dict[str, str] | None = None) -> Schema:
    """Stemmed title/body with positions, their exact forms, and metadata.

    ``protected`` (word → stem) is pickled with the stemmed fields, so
    queries are stemmed with the same list as the index.
    """
    protected = dict(protected_words()) if protected is None else protected
    return Schema(
        id=ID(stored=True, unique=True),
        url=STORED(),
        source=ID(stored=True, sortable=True),
        title=NewsText(protected, stored=True, field_boost=TITLE_BOOST),
        body=NewsText(protected, stored=True),
        title_exact=NewsText(stemmed=False, field_boost=TITLE_BOOST),
        body_exact=NewsText(stemmed=False),
        published=DATETIME(stored=True, sortable=True),
        month=ID(stored=True, sortable=True),
        author=TEXT(stored=True),
        dup=ID(stored=True, sortable=True),
    )
