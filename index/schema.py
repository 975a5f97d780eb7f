"""The Whoosh schema: what the index holds for each article.

Whoosh pickles the schema into the index on every commit, so ``NewsText``'s
import path (``index.schema.NewsText``) is part of the on-disk format.
"""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema

from crawler.article import Article
from crawler.dates import indonesian_time

from .analysis import (
    Stemmer,
    analyzer_stemmer,
    exact_analyzer,
    exact_terms,
    protected_words,
    stem_analyzer,
    stemmed_terms,
)

TITLE_BOOST = 2.0

# The on-disk format of the index: bump it whenever the schema or the analysis
# changes in a way an existing index cannot serve. An index with another format
# is refused with a message to rebuild (the store, the source of truth, is safe).
INDEX_FORMAT = 6


class NewsText(TEXT):
    """A text field with positions, analysed in one pass when indexing.

    Queries and highlighting use the field's analyzer as usual; indexing uses
    ``terms`` with the same rules, which skips Whoosh's per-token objects (a
    third of a rebuild's time).
    """

    def __init__(self, protected: dict[str, str] | None = None, stemmed: bool = True, **kwargs):
        self.protected = (
            (dict(protected_words()) if protected is None else protected) if stemmed else None
        )
        analyzer = stem_analyzer(self.protected) if stemmed else exact_analyzer()
        super().__init__(analyzer=analyzer, **kwargs)

    @property
    def stemmed(self) -> bool:
        """Whether this field indexes stems (else the exact words)."""
        return self.protected is not None

    def terms(self, exact: dict[str, list[int]], stemmer: Stemmer) -> dict[str, list[int]]:
        """Term → positions of a text as this field indexes it, from its ``exact_terms``.

        ``stemmer`` must stem with this field's protected words.
        """
        return stemmed_terms(exact, stemmer) if self.stemmed else exact

    def index(self, value, **kwargs):
        """What Whoosh's own writer indexes (Warta's bulk writer calls ``terms``)."""
        if not isinstance(value, str):
            return super().index(value, **kwargs)
        boost = self.format.field_boost
        encode = self.format.encode
        stemmer = analyzer_stemmer(self.analyzer) if self.stemmed else None
        return [
            (term.encode("utf-8"), len(positions), len(positions) * boost, encode(positions))
            for term, positions in self.terms(exact_terms(value), stemmer).items()
        ]


def make_schema(protected: dict[str, str] | None = None) -> Schema:
    """Stemmed title/body with positions, their exact forms, and metadata.

    ``derived_title`` keeps, for display only, a title made from the first
    sentence (``Article.title_derived``); such an article's title fields are
    empty, so the sentence ranks as the body text it is.

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
        derived_title=STORED(),
        body_exact=NewsText(stemmed=False),
        published=STORED(),
        local_time=DATETIME(sortable=True),
        month=ID(stored=True, sortable=True),
        author=TEXT(stored=True),
        dup=ID(stored=True, sortable=True),
        story=ID(stored=True, sortable=True),
    )


def schema_protected(schema: Schema) -> dict[str, str]:
    """The protected words an index's stemmed fields were built with."""
    return getattr(schema["body"], "protected", None) or protected_words()


def article_fields(article: Article, dup: str | None = None, story: str | None = None) -> dict:
    """The Whoosh document for one article (``dup``: its copy group; ``story``: its story).

    Dates are in Indonesian time (``crawler.dates.indonesian_time``; a stored
    value without an offset is Jakarta time): ``published`` is the ISO text
    that hits show, ``local_time`` the wall-clock time in the article's zone
    (ranges of it are ranges of Indonesian days) and ``month`` its month.
    A derived title is stored as ``derived_title`` and not indexed as a title.
    """
    when = indonesian_time(article.published)
    doc = {
        "id": article.id,
        "url": article.url,
        "body": article.body,
        "body_exact": article.body,
        "dup": dup or article.id,
        "story": story or article.id,
    }
    if article.title_derived:
        doc["derived_title"] = article.title
    else:
        doc["title"] = doc["title_exact"] = article.title
    if article.source:
        doc["source"] = article.source
    if article.author:
        doc["author"] = article.author
    if when:
        doc["published"] = when.iso
        doc["local_time"] = when.wall
        doc["month"] = when.wall.strftime("%Y-%m")
    return doc
