"""Run queries against the index: parsing, BM25F ranking, fallback, facets, snippets."""

from __future__ import annotations

import functools
import math
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from html import escape
from importlib import resources
from pathlib import Path

from whoosh import query as wq
from whoosh import scoring

from index import open_index
from index.analysis import stopwords as index_stopwords

try:
    from index.analysis import split_words
except ImportError:  # an index package without the fast tokenizer: use the analyzer
    split_words = None

from .answers import answer_distance
from .compiler import DEFAULT_SETTINGS, Compiler, Plan, QueryError, Settings, date_query
from .docsets import DocSets
from .query import clean, parse
from .ranking import Ranker
from .results import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Hit, SearchResult
from .snippets import leading_text, mark, match_spans, snippet
from .suggestions import Suggester
from .synonyms import Synonyms

__all__ = ["FEW_RESULTS", "MAX_QUERY_CHARS", "QueryError", "SORTS", "Searcher"]

MAX_QUERY_CHARS = 1000
FEW_RESULTS = 3
LONG_QUERY = 4
RERANK_DEPTH = 30
# Questions for a number or a date re-rank fewer: each hit's text is read and scanned.
ANSWER_DEPTH = 20
SNIPPET_HEAD_CHARS = 1500
SIMILAR_TERMS = 12
SIMILAR_SCAN_CHARS = 20_000
SNIPPET_SCAN_CHARS = 6000
SORTS = ("relevance", "date")
# A replaced index generation stays open this long for requests still reading it.
RETIRE_AFTER_SECONDS = 60.0
USER_SYNONYMS = "synonyms.txt"
FALLBACK_NOTICE = "Few articles contain all the words: showing those that contain most of them."
_DATA_DIR = object()


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _stopwords() -> frozenset[str]:
    """Question and function words left out of ranking (``searcher/data/stopwords.txt``).

    The index's longer Sastrawi list (``index.analysis.query_stopwords``) also
    drops words such as *jumlah* or *tahun* that questions need: it measured
    lower on the facqa questions (MRR@10 0.821 against 0.825).
    """
    text = resources.files("searcher").joinpath("data", "stopwords.txt").read_text("utf-8")
    return frozenset(w for line in text.splitlines() if (w := line.split("#")[0].strip()))


@dataclass
class _State:
    """Everything tied to one open generation of the index."""

    searcher: object
    docsets: DocSets
    ranker: Ranker
    compiler: Compiler
    suggester: Suggester
    ids: dict = field(default_factory=dict)

    def article_id(self, docnum: int) -> str:
        """The article id of a document (remembered: stored fields hold the whole body)."""
        found = self.ids.get(docnum)
        if found is None:
            found = self.ids[docnum] = self.searcher.stored_fields(docnum)["id"]
        return found


def _serialised(method):
    """Run one Whoosh-reading method at a time per Searcher.

    Whoosh's segment readers share file objects between matchers: two threads
    reading postings of one segment at once can interleave seeks and reads and
    get corrupt blocks (seen in the soak as zlib errors). The work is CPU-bound
    under the GIL anyway, so serialising costs little throughput.
    """

    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self._use:
            return method(self, *args, **kwargs)

    return run


class Searcher:
    """A long-lived, thread-safe handle on the index that follows new generations.

    ``synonyms_file`` extends the shipped synonym list; by default it is
    ``synonyms.txt`` in the data directory (the index directory's parent),
    when that file exists. ``settings`` switches ranking features (for
    benchmarks).
    """

    def __init__(
        self,
        index_dir: str | os.PathLike,
        synonyms_file: str | os.PathLike | None = _DATA_DIR,
        settings: Settings = DEFAULT_SETTINGS,
    ):
        self.index_dir = Path(index_dir)
        if synonyms_file is _DATA_DIR:
            synonyms_file = self.index_dir.parent / USER_SYNONYMS
        self.synonyms_file = synonyms_file
        self.settings = settings
        self._lock = threading.Lock()
        self._use = threading.RLock()
        self._retired: list[tuple[float, _State]] = []
        self._ix = None
        self._target = None
        self._state: _State | None = None
        self._synonyms = None
        self._stopwords = _stopwords()
        stemmed = settings.stemming
        self._proximity_fields = ("title", "body") if stemmed else ("title_exact", "body_exact")
        self.refresh()

    # -- lifecycle -----------------------------------------------------------

    def refresh(self) -> None:
        """Reopen the index if a rebuild switched generations or an update committed."""
        with self._lock:
            target = self.index_dir.resolve()
            state = self._state
            if state is not None and target == self._target:
                if state.searcher.up_to_date():
                    return
                # The refreshed searcher shares the unchanged segments' readers with the
                # old one, so the old one must not be closed.
                self._state = self._new_state(state.searcher.refresh())
                return
            ix = open_index(self.index_dir)
            self._ix, self._target = ix, target
            self._state = self._new_state(ix.searcher(weighting=scoring.BM25F()))
            if state is not None:
                self._retire(state)

    def _retire(self, state: _State) -> None:
        """Close a replaced generation later: requests on other threads may still read it."""
        now = time.monotonic()
        self._retired.append((now, state))
        while self._retired and now - self._retired[0][0] > RETIRE_AFTER_SECONDS:
            self._retired.pop(0)[1].searcher.close()

    def _new_state(self, searcher) -> _State:
        compiler = Compiler(searcher, None, self._stopwords, self.settings)
        if self._synonyms is None:
            self._synonyms = Synonyms.load(compiler.tokens, self.synonyms_file)
        compiler.synonyms = self._synonyms
        docsets = DocSets(searcher)
        ranker = Ranker(searcher, docsets)
        docsets.term_scores = ranker.term_scores
        return _State(searcher, docsets, ranker, compiler, Suggester(searcher.reader()))

    def close(self) -> None:
        with self._lock:
            for _, state in self._retired:
                state.searcher.close()
            self._retired.clear()
            if self._state is not None:
                self._state.searcher.close()
                self._state = None

    @property
    def doc_count(self) -> int:
        return self._state.searcher.doc_count()

    @property
    def generation(self) -> str:
        return f"{self._target.name}:{self._state.searcher.reader().generation()}"

    # -- searching -------------------------------------------------------------

    @_serialised
    def search(
        self,
        query: str,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        source: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        sort: str = "relevance",
    ) -> SearchResult:
        """Search and return one page of hits with facets and snippets.

        ``source`` keeps one outlet; ``date_from``/``date_to`` bound the
        publication date (inclusive); ``sort`` is "relevance" or "date".
        Raises ``QueryError`` with a sentence for the user when the query or
        a parameter can't be used.
        """
        started = time.perf_counter()
        _check(page, page_size, sort)
        text, notices = _bounded(clean(query))
        self.refresh()
        state = self._state
        plan = state.compiler.compile(parse(text))
        extra = [state.compiler.source_query(source) if source else None]
        extra.append(date_query(date_from, date_to))
        extra = [q for q in extra if q is not None]
        docsets = state.docsets
        bits = docsets.of(_with(plan.matching(), extra))
        fallback = False
        if plan.can_loosen and _too_few(bits.bit_count(), len(plan.soft)):
            loose_bits = docsets.of(_with(plan.matching(loose=True), extra))
            if loose_bits.bit_count() > bits.bit_count():
                bits, fallback = loose_bits, True
                notices.append(FALLBACK_NOTICE)
        by_date = sort == "date" or not plan.ranked
        # Browsing (an empty query) lists every article; a search collapses near-duplicates.
        collapse = bits if plan.soft or plan.hard else None
        total = docsets.collapsed_count(bits) if collapse else bits.bit_count()
        # Fetch enough hits that, once collapsed, they still fill the page.
        spread = max(1, round(bits.bit_count() / max(total, 1)))
        leaders = self._ranked(
            state, plan, bits, fallback, by_date, (page * page_size, spread), collapse
        )
        leaders = leaders[(page - 1) * page_size : page * page_size]
        hits = [self._hit(state, doc, score, plan, collapse) for doc, score in leaders]
        return SearchResult(
            query=text,
            total=total,
            page=page,
            page_size=page_size,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            suggestion=state.suggester.suggest(text, plan.words, total),
            facets={name: state.docsets.counts(bits, name) for name in ("source", "month")},
            hits=hits,
            fallback=fallback,
            notice=" ".join(notices) or None,
        )

    def _ranked(self, state, plan: Plan, bits, loose, by_date, wanted, collapse):
        """The best (docnum, score) pairs, at least ``wanted[0]`` of them (when there are).

        With ``collapse``, only the best of each duplicate group is kept;
        ``wanted[1]`` is how many matches there are per collapsed hit, on average.
        """
        wanted, spread = wanted
        available = bits.bit_count()
        limit = min(available, max(wanted * 2 + 10, RERANK_DEPTH) * spread)
        coord = self.settings.coord_bonus if loose else 0.0
        while True:
            if by_date:
                hits = state.docsets.newest(bits, limit)
            else:
                hits = state.ranker.top(plan.soft, bits, limit, coord)
            leaders, seen = [], set()
            for docnum, score in hits:
                key = state.docsets.dup_key(docnum) if collapse else None
                if key is not None:
                    if key in seen:
                        continue
                    seen.add(key)
                leaders.append((docnum, score))
            if len(leaders) >= wanted or limit >= available:
                break
            limit = min(available, limit * 4)
        if plan.bonus and not by_date:  # re-rank the best few by proximity of the query words
            head = state.ranker.with_proximity(
                leaders[:RERANK_DEPTH],
                plan.bonus,
                self.settings.phrase_boost,
                self._proximity_fields,
            )
            leaders = head + leaders[RERANK_DEPTH:]
        if plan.answer and not by_date:  # a question for a number or a date
            head = self._with_answers(state, leaders[:ANSWER_DEPTH], plan)
            leaders = head + leaders[ANSWER_DEPTH:]
        return leaders

    def _with_answers(self, state, hits, plan: Plan):
        """``hits`` re-ordered after scaling each score by 1 + boost / (1 + distance),
        the distance between a question word and the nearest number or date that
        could answer it (``searcher.answers``)."""
        boost, question = self.settings.answer_boost, set(plan.words)
        tokenize = self._tokenize(state)
        rescored = []
        for docnum, score in hits:
            fields = state.searcher.stored_fields(docnum)
            text = f"{fields.get('title', '')}\n{fields.get('body', '')[:SNIPPET_SCAN_CHARS]}"
            distance = answer_distance(tokenize(text), text, plan.answer, question)
            if distance is not None:
                score *= 1 + boost / (1 + distance)
            rescored.append((docnum, score))
        return sorted(rescored, key=lambda ds: (-ds[1], ds[0]))

    def _hit(self, state: _State, docnum: int, score, plan: Plan, collapse) -> Hit:
        fields = state.searcher.stored_fields(docnum)
        body = fields.get("body", "")
        scanned, spans = self._spans(state, body, plan)
        return Hit(
            id=fields["id"],
            url=fields.get("url"),
            title=fields.get("title", ""),
            source=fields.get("source"),
            published=_iso(fields.get("published")),
            author=fields.get("author"),
            score=round(float(score or 0.0), 4),
            snippet=snippet(scanned, spans) if spans else leading_text(body),
            duplicates=self._duplicates(state, docnum, collapse) if collapse else [],
        )

    def _spans(self, state: _State, body: str, plan: Plan) -> tuple[str, list]:
        """The start of ``body`` that snippets come from, and the query's matches in it.

        Most articles show every query word early: the first ``SNIPPET_HEAD_CHARS``
        are scanned, and up to ``SNIPPET_SCAN_CHARS`` only when some word is missing.
        """
        tokenize, stem = self._tokenize(state), state.compiler.stem
        scanned = _cut(body, SNIPPET_HEAD_CHARS)
        spans = match_spans(scanned, plan.marks, tokenize, stem)
        if len(scanned) < len(body) and not _shows_all(scanned, spans, plan.marks, stem):
            scanned = _cut(body, SNIPPET_SCAN_CHARS)
            spans = match_spans(scanned, plan.marks, tokenize, stem)
        return scanned, spans

    @staticmethod
    def _tokenize(state: _State):
        """(word, position, start, end) of a text's tokens, as the exact fields see them."""
        if split_words is not None:  # the index's own fast path
            return split_words
        analyzer = state.searcher.schema["body_exact"].analyzer

        def tokenize(text):
            for t in analyzer(text, positions=True, chars=True):
                yield t.text, t.pos, t.startchar, t.endchar

        return tokenize

    @staticmethod
    def _duplicates(state: _State, docnum: int, bits: int) -> list[str]:
        key = state.docsets.dup_key(docnum)
        if key is None:
            return []
        others = [
            d for d in state.docsets.groups[key] if d != docnum and state.docsets.has(bits, d)
        ]
        return [state.article_id(d) for d in others]

    # -- the article page --------------------------------------------------------

    @_serialised
    def highlight(self, text: str, query: str) -> str:
        """The whole ``text``, HTML-escaped, with the query's matches in <mark>."""
        state = self._state
        try:
            plan = state.compiler.compile(parse(_bounded(clean(query))[0]))
        except QueryError:
            return escape(text)
        spans = match_spans(text, plan.marks, self._tokenize(state), state.compiler.stem)
        return mark(text, spans)

    @_serialised
    def similar(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Articles like this one: its near-duplicates first, then more-like-this."""
        self.refresh()
        state = self._state
        searcher = state.searcher
        docnum = searcher.document_number(id=article_id)
        if docnum is None:
            return []
        key = state.docsets.dup_key(docnum)
        docs = [d for d in state.docsets.groups.get(key, []) if d != docnum] if key else []
        if len(docs) < limit:
            for d in self._more_like(state, docnum, limit + len(docs)):
                if d not in docs:
                    docs.append(d)
        return [self._plain_hit(state, d) for d in docs[:limit]]

    def _more_like(self, state: _State, docnum: int, limit: int) -> list[int]:
        """Documents sharing the most weight of this one's key terms (more-like-this).

        The key terms are the article's ``SIMILAR_TERMS`` stems of highest
        tf·idf among those found in other articles too; the other documents
        holding any of them are ranked by BM25 with each term weighted by its
        tf·idf, as a query of those words would be.
        """
        fields = state.searcher.stored_fields(docnum)
        text = f"{fields.get('title', '')}\n{fields.get('body', '')}"[:SIMILAR_SCAN_CHARS]
        counts: dict[str, int] = {}
        stem, common = state.compiler.stem, index_stopwords()
        for word, _, _, _ in self._tokenize(state)(text):
            if len(word) > 2 and not word.isdigit() and word not in common:
                term = stem(word)
                counts[term] = counts.get(term, 0) + 1
        reader = state.searcher.reader()
        size = reader.doc_count_all()
        weights = {}
        for term, count in counts.items():
            df = reader.doc_frequency("body", term)
            if 1 < df < size:
                weights[term] = count * math.log(size / df)
        key_terms = sorted(weights, key=lambda t: (-weights[t], t))[:SIMILAR_TERMS]
        if not key_terms:
            return []
        top = weights[key_terms[0]]
        clause = wq.Or([wq.Term("body", t, boost=weights[t] / top) for t in key_terms])
        bits = state.docsets.of(clause) & ~(1 << docnum)
        return [d for d, _ in state.ranker.top([clause], bits, limit)]

    @staticmethod
    def _plain_hit(state: _State, docnum: int) -> Hit:
        fields = state.searcher.stored_fields(docnum)
        return Hit(
            id=fields["id"],
            url=fields.get("url"),
            title=fields.get("title", ""),
            source=fields.get("source"),
            published=_iso(fields.get("published")),
            author=fields.get("author"),
            score=0.0,
            snippet=leading_text(fields.get("body", "")),
        )


def _cut(text: str, chars: int) -> str:
    """At most ``chars`` of the start of ``text``, cut after a word."""
    if len(text) <= chars:
        return text
    space = text.rfind(" ", 0, chars)
    return text[: space if space > 0 else chars]


def _shows_all(text: str, spans, marks, stem) -> bool:
    """Whether ``spans`` of ``text`` show every stem the query marks (and a phrase, if any)."""
    if not spans:
        return False
    shown = {stem(word) for a, b in spans for word in text[a:b].lower().split()}
    return marks.stems <= shown


def _too_few(found: int, clauses: int) -> bool:
    """Whether to fall back: nothing found, or few for a long, question-like query."""
    return found == 0 or (found < FEW_RESULTS and clauses >= LONG_QUERY)


def _check(page: int, page_size: int, sort: str) -> None:
    if page < 1:
        raise QueryError("The page number must be 1 or more.")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise QueryError(f"The page size must be between 1 and {MAX_PAGE_SIZE}.")
    if sort not in SORTS:
        raise QueryError(f"Sort must be one of {', '.join(SORTS)}.")


def _bounded(text: str) -> tuple[str, list[str]]:
    """The query cut to ``MAX_QUERY_CHARS`` at a word boundary, with a notice when cut."""
    if len(text) <= MAX_QUERY_CHARS:
        return text, []
    cut = text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0]
    return cut, [f"The query was long: only its first {len(cut):,} characters were searched."]


def _with(q, filters):
    return wq.And([q, *filters]) if filters else q
