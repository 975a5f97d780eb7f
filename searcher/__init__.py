"""Stage 4: the searcher.

Parses queries (``query``), compiles them against the index (``compiler``),
matches them as bitsets (``docsets``), ranks with BM25F (``ranking``) and
makes highlighted snippets (``snippets``): a ``QueryPipeline`` per open index
generation (``pipeline``, ``generations``), behind one ``Searcher``.
Downstream code gets plain ``SearchResult``/``Hit`` records (with a
``Timeline`` of the matches, ``timeline``) and ``Export`` rows (``export``),
never Whoosh objects. ``settings`` is the table of settings and limits the
edges read.

``Searcher`` and ``RankingFeatures`` load Whoosh and numpy, so they are
imported on first use: a command that never searches (``warta --help``)
does not pay for them.
"""

from .answers import MONTH_NAMES
from .errors import QUERY_ERRORS, QueryError
from .export import COLUMN_NAMES, FORMATS, Export
from .results import SORTS, Hit, SearchRequest, SearchResult, Story, StoryArticle, StorySummary
from .settings import DEFAULT_LIMITS, SETTINGS, Limits, Setting, SettingError, resolve_settings
from .timeline import Bucket, Timeline

__all__ = [
    "COLUMN_NAMES",
    "DEFAULT_LIMITS",
    "FORMATS",
    "MONTH_NAMES",
    "QUERY_ERRORS",
    "SETTINGS",
    "SORTS",
    "Bucket",
    "Export",
    "Hit",
    "Limits",
    "QueryError",
    "RankingFeatures",
    "SearchRequest",
    "SearchResult",
    "Searcher",
    "Setting",
    "SettingError",
    "Story",
    "StoryArticle",
    "StorySummary",
    "Timeline",
    "resolve_settings",
]


def __getattr__(name: str):
    if name == "Searcher":
        from .search import Searcher

        return Searcher
    if name == "RankingFeatures":
        from .compiler import RankingFeatures

        return RankingFeatures
    raise AttributeError(f"module 'searcher' has no attribute {name!r}")
