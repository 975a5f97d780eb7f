"""The query pipeline over one open index generation.

A query is parsed (``query``), compiled against the index (``compiler``),
matched as bitsets (``docsets``), ranked with BM25F (``ranking``), collapsed
over near-duplicates, re-ranked by proximity and, for questions, by where an
answer stands (``answers``), and shown with snippets (``snippets``). Every
component is built complete here, for one Whoosh searcher; ``Generations``
builds a new pipeline when the index changes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from whoosh import query as whoosh_query

from index import split_words, stopwords

from .answers import answer_distance
from .cache import Lru, object_bytes
from .compiler import Compiler, Plan, RankingFeatures, date_query
from .docsets import DocSets
from .export import ExportDoc, export_row
from .query import parse
from .ranking import Ranker, TermScorer
from .results import Hit, SearchRequest, SearchResult, Story, StoryArticle, StorySummary
from .settings import DOCSET_CACHE_MB, TERM_CACHE_MB
from .similar import MoreLikeThis
from .snippets import Snippets, leading_text
from .suggestions import Suggester

FEW_RESULTS = 3
LONG_QUERY = 4
RERANK_DEPTH = 30
# Questions for a number or a date re-rank fewer: each hit's text is read and scanned.
ANSWER_DEPTH = 20
ANSWER_SCAN_CHARS = 6000
# More-like-this costs about a hundred milliseconds on a large archive, and its
# answer only changes with the index: each generation remembers its answers.
SIMILAR_CACHE_SIZE = 4096
# Article ids of documents shown as copies (a few dozen bytes each).
ARTICLE_ID_CACHE_BYTES = 8 * 2**20
MB = 2**20
FALLBACK_NOTICE = "Few articles contain all the words: showing those that contain most of them."
FACETS = ("source", "month")


@dataclass(frozen=True)
class CacheBounds:
    """The bytes a generation's caches may hold: term scores, document sets, article ids."""

    term_bytes: int = TERM_CACHE_MB * MB
    docset_bytes: int = DOCSET_CACHE_MB * MB
    article_id_bytes: int = ARTICLE_ID_CACHE_BYTES

    @classmethod
    def of_limits(cls, limits) -> CacheBounds:
        """The bounds a ``Limits`` sets (``term_cache_mb``, ``docset_cache_mb``)."""
        return cls(limits.term_cache_mb * MB, limits.docset_cache_mb * MB)


@dataclass(frozen=True)
class _Matches:
    """The documents a search matched: ``total`` counts them once collapsed."""

    bits: int
    loose: bool  # matched by the fallback, not by every word
    collapse: bool
    total: int


class QueryPipeline:
    """Search, highlight and find similar articles in one open Whoosh searcher.

    ``synonyms`` (a ``Synonyms``) and ``query_stopwords`` are shared by every
    generation; texts are split into words by the index's own ``split_words``.
    The pipeline owns its caches, each bounded in bytes by ``caches``;
    ``vocabulary`` (did-you-mean's words) is carried from one generation to the next.
    """

    def __init__(
        self,
        searcher,
        synonyms,
        query_stopwords,
        features: RankingFeatures,
        caches: CacheBounds = CacheBounds(),
        vocabulary=None,
    ):
        self.searcher = searcher
        self.features = features
        self.scorer = TermScorer(searcher, caches.term_bytes)
        self.docsets = DocSets(searcher, self.scorer, caches.docset_bytes)
        self.ranker = Ranker(searcher, self.docsets, self.scorer)
        self.compiler = Compiler(searcher, synonyms, query_stopwords, features)
        self.suggester = Suggester(searcher, self.compiler.stem, vocabulary=vocabulary)
        self.snippets = Snippets(split_words, self.compiler.stem, self.compiler.prefetch_stems)
        self.more_like_this = MoreLikeThis(
            searcher, self.docsets, self.ranker, split_words, self.compiler.stem, stopwords()
        )
        self._proximity_fields = (
            ("title", "body") if features.stemming else ("title_exact", "body_exact")
        )
        self._similar = Lru(SIMILAR_CACHE_SIZE)
        self._article_ids = Lru(caches.article_id_bytes, weight=object_bytes)

    @property
    def doc_count(self) -> int:
        """How many articles this generation holds."""
        return self.searcher.doc_count()

    def close(self) -> None:
        """Close the generation's Whoosh searcher (its open files)."""
        self.searcher.close()

    # -- searching -----------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        """One page of hits with facets and snippets (``took_ms`` is left at 0)."""
        plan = self.compiler.compile(parse(request.query))
        matches = self._matches(plan, self._filters(request))
        end = request.page * request.page_size
        leaders = self._leaders(plan, matches, request.sort == "date", end)
        leaders = leaders[end - request.page_size : end]
        collapse = matches.bits if matches.collapse else None
        return SearchResult(
            query=request.query,
            total=matches.total,
            page=request.page,
            page_size=request.page_size,
            took_ms=0.0,
            suggestion=self.suggester.suggest(request.query, plan.words, matches.total),
            facets={name: self.docsets.counts(matches.bits, name) for name in FACETS},
            hits=self._hits(leaders, plan, collapse),
            fallback=matches.loose,
            timeline=self.docsets.timeline(matches.bits),
            notice=FALLBACK_NOTICE if matches.loose else None,
        )

    def _filters(self, request: SearchRequest) -> list:
        """The queries for the request's outlet and dates."""
        filters = [self.compiler.source_query(request.source) if request.source else None]
        filters.append(date_query(request.date_from, request.date_to))
        return [q for q in filters if q is not None]

    def _matches(self, plan: Plan, filters: list) -> _Matches:
        """The matching documents: all the words', else (too few) the loose fallback's."""
        bits = self.docsets.of(_with_filters(plan.matching(), filters))
        loose = False
        if plan.can_loosen and _too_few(bits.bit_count(), len(plan.soft)):
            loose_bits = self.docsets.of(_with_filters(plan.matching(loose=True), filters))
            if loose_bits.bit_count() > bits.bit_count():
                bits, loose = loose_bits, True
        # Browsing (an empty query) lists every article; a search collapses near-duplicates.
        collapse = bool(plan.soft or plan.hard)
        total = self.docsets.collapsed_count(bits) if collapse else bits.bit_count()
        return _Matches(bits, loose, collapse, total)

    def _leaders(self, plan: Plan, matches: _Matches, by_date: bool, wanted: int):
        """The best (docnum, score) pairs, at least ``wanted`` of them (when there are),
        only the best of each duplicate group when the matches collapse."""
        by_date = by_date or not plan.ranked
        available = matches.bits.bit_count()
        # Fetch enough hits that, once collapsed, they still fill the page.
        spread = max(1, round(available / max(matches.total, 1)))
        limit = min(available, max(wanted * 2 + 10, RERANK_DEPTH) * spread)
        coord = self.features.coord_bonus if matches.loose else 0.0
        while True:
            if by_date:
                hits = self.docsets.newest(matches.bits, limit)
            else:
                hits = self.ranker.top(plan.soft, matches.bits, limit, coord)
            leaders = self._collapsed(hits) if matches.collapse else hits
            if len(leaders) >= wanted or limit >= available:
                break
            limit = min(available, limit * 4)
        return leaders if by_date else self._reranked(leaders, plan)

    def _collapsed(self, hits) -> list[tuple[int, float]]:
        """``hits`` with only the first of each duplicate group."""
        leaders, seen = [], set()
        for docnum, score in hits:
            key = self.docsets.dup_key(docnum)
            if key is not None:
                if key in seen:
                    continue
                seen.add(key)
            leaders.append((docnum, score))
        return leaders

    def _reranked(self, leaders, plan: Plan):
        """The best few re-ranked by proximity of the query words, then for a question."""
        if plan.bonus:
            head = self.ranker.with_proximity(
                leaders[:RERANK_DEPTH],
                plan.bonus,
                self.features.phrase_boost,
                self._proximity_fields,
            )
            leaders = head + leaders[RERANK_DEPTH:]
        if plan.answer:  # a question for a number or a date
            leaders = self._answers_first(leaders[:ANSWER_DEPTH], plan) + leaders[ANSWER_DEPTH:]
        return leaders

    def _answers_first(self, hits, plan: Plan):
        """``hits`` re-ordered after scaling each score by 1 + boost / (1 + distance),
        the distance between a question word and the nearest number or date that
        could answer it (``searcher.answers``)."""
        boost, question = self.features.answer_boost, set(plan.words)
        tokenize = self.snippets.tokenize
        rescored = []
        for docnum, score in hits:
            fields = self.searcher.stored_fields(docnum)
            text = f"{fields.get('title', '')}\n{fields.get('body', '')[:ANSWER_SCAN_CHARS]}"
            distance = answer_distance(tokenize(text), text, plan.answer, question)
            if distance is not None:
                score *= 1 + boost / (1 + distance)
            rescored.append((docnum, score))
        return sorted(rescored, key=lambda ds: (-ds[1], ds[0]))

    def _hits(self, leaders, plan: Plan, collapse) -> list[Hit]:
        """The page's hits; their snippets judge each distinct word once for all of them."""
        judge = self.snippets.judge(plan.marks)
        return [self._hit(docnum, score, plan, collapse, judge) for docnum, score in leaders]

    def _hit(self, docnum: int, score, plan: Plan, collapse, judge) -> Hit:
        fields = self.searcher.stored_fields(docnum)
        hit = Hit.from_fields(
            fields,
            score=round(float(score or 0.0), 4),
            snippet=self.snippets.of_body(fields.get("body", ""), plan.marks, judge),
            duplicates=self._duplicates(docnum, collapse) if collapse else [],
        )
        return replace(hit, story=self._story_summary(docnum))

    def _story_summary(self, docnum: int) -> StorySummary | None:
        """The hit's story: its id, articles and outlets (None when alone)."""
        key = self.docsets.story_key(docnum)
        if key is None:
            return None
        docs = self.docsets.story_docs(key)
        sources = self.docsets.story_sources(docs)
        own = self.docsets.story_sources([docnum])
        return StorySummary(key, len(docs), len(sources), [s for s in sources if s not in own])

    def story(self, story_id: str) -> Story | None:
        """Every article of a story in time order; None for an unknown story id."""
        docs = self.docsets.story_docs(story_id)
        if not docs:
            docnum = self.searcher.document_number(id=story_id)
            if docnum is None or self.searcher.stored_fields(docnum).get("story") != story_id:
                return None
            docs = [docnum]
        found = [self.searcher.stored_fields(d) for d in docs]
        found.sort(key=lambda f: (f.get("published") is None, f.get("published") or 0, f["id"]))
        articles = [StoryArticle.from_fields(f) for f in found]
        dated = [a.published for a in articles if a.published]
        first = next((a for a in articles if a.id == story_id), articles[0])
        return Story(
            id=story_id,
            title=first.title,
            first_published=dated[0] if dated else None,
            last_published=dated[-1] if dated else None,
            articles=articles,
        )

    def story_of(self, article_id: str) -> str | None:
        """The story an article is in now (its own id when it stands alone), or None when
        the index has no such article."""
        docnum = self.searcher.document_number(id=article_id)
        if docnum is None:
            return None
        return self.searcher.stored_fields(docnum).get("story") or article_id

    def _duplicates(self, docnum: int, bits: int) -> list[str]:
        """The ids of the document's near-duplicates among ``bits``."""
        return [self._article_id(d) for d in self._copies(docnum, bits)]

    def _article_id(self, docnum: int) -> str:
        """The article id of a document (remembered: stored fields hold the whole body)."""
        return self._article_ids.get(docnum, lambda: self.searcher.stored_fields(docnum)["id"])

    # -- exports -------------------------------------------------------------------

    def export_order(
        self, request: SearchRequest, limit: int, whole: bool
    ) -> tuple[int, list[tuple[int, int | None]], bool]:
        """How many articles match (copies included); at most ``limit`` of them in the
        results' order, each shown article followed by its copies: (docnum, docnum of the
        shown article it copies, or None); and whether the limit cut some off. ``whole``
        takes every page, else the request's page."""
        plan = self.compiler.compile(parse(request.query))
        matches = self._matches(plan, self._filters(request))
        available = matches.bits.bit_count()
        end = available if whole else request.page * request.page_size
        # An export always groups copies under the article shown for them, even when browsing.
        leaders = self._leaders(plan, replace(matches, collapse=True), request.sort == "date", end)
        leaders = leaders if whole else leaders[end - request.page_size : end]
        order: list[tuple[int, int | None]] = []
        for docnum, _ in leaders:
            if len(order) > limit:
                break
            order.append((docnum, None))
            order.extend((copy, docnum) for copy in self._copies(docnum, matches.bits))
        return available, order[:limit], len(order) > limit

    def _copies(self, docnum: int, bits: int) -> list[int]:
        key = self.docsets.dup_key(docnum)
        if key is None:
            return []
        return [d for d in self.docsets.groups[key] if d != docnum and self.docsets.has(bits, d)]

    def export_rows(self, order: list[tuple[int, int | None]]) -> list[dict]:
        """The export rows (``searcher.export``) of (docnum, docnum it copies) pairs."""
        rows = []
        for docnum, copy_of in order:
            fields = self.searcher.stored_fields(docnum)
            shown = None if copy_of is None else self._article_id(copy_of)
            story = self.docsets.story_key(docnum)
            rows.append(export_row(ExportDoc(fields, copy_of=shown, story=story)))
        return rows

    # -- the article page --------------------------------------------------------

    def highlight(self, text: str, query: str) -> str:
        """The whole ``text``, HTML-escaped, with the query's matches in <mark>."""
        plan = self.compiler.compile(parse(query))
        return self.snippets.highlight(text, plan.marks)

    def similar(self, article_id: str, limit: int) -> list[Hit]:
        """Articles like this one: its near-duplicates first, then more-like-this (remembered)."""
        return self._similar.get((article_id, limit), lambda: self._find_similar(article_id, limit))

    def _find_similar(self, article_id: str, limit: int) -> list[Hit]:
        docnum = self.searcher.document_number(id=article_id)
        if docnum is None:
            return []
        key = self.docsets.dup_key(docnum)
        docs = [d for d in self.docsets.groups.get(key, []) if d != docnum] if key else []
        if len(docs) < limit:
            for d in self.more_like_this.documents(docnum, limit + len(docs)):
                if d not in docs:
                    docs.append(d)
        return [self._plain_hit(d) for d in docs[:limit]]

    def _plain_hit(self, docnum: int) -> Hit:
        fields = self.searcher.stored_fields(docnum)
        return Hit.from_fields(fields, score=0.0, snippet=leading_text(fields.get("body", "")))


def _too_few(found: int, clauses: int) -> bool:
    """Whether to fall back: nothing found, or few for a long, question-like query."""
    return found == 0 or (found < FEW_RESULTS and clauses >= LONG_QUERY)


def _with_filters(q, filters: list):
    return whoosh_query.And([q, *filters]) if filters else q
