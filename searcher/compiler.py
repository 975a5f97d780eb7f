"""Query trees (``searcher.query``) → Whoosh queries, plus what to highlight.

A plain word matches its stem in title and body and scores again for its
exact form in ``*_exact``, so "dikirim" ranks articles saying "dikirim" above
those saying "pengiriman". Synonyms (hand-made, and the acronyms the
archive defines) join as alternatives scored a little lower; a synonym
phrase joins before stopwords leave the query, so "Badan Pengawas Obat dan
Makanan" still finds "BPOM". Quoted phrases match exact forms in order,
without synonyms.

The top level of a query splits into *soft* clauses (words, phrases, groups)
and *hard* ones (field filters, negations). Strictly, a match needs every
clause; loosely (the fallback when that finds too little), the hard ones and
any soft one, ranked by how many soft clauses it matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from whoosh import query as whoosh_query

from index.analysis import NewsTokenizer, SastrawiFilter, Stemmer, split_words

from . import errors
from .answers import expected_answer
from .errors import QueryError
from .postings import as_text, lexicon
from .query import All, Any, Field, Not, Phrase, Prefix, Word

EXACT_BOOST = 0.5
SYNONYM_BOOST = 0.7
PHRASE_BOOST = 1.0
COORD_BONUS = 1.0
ANSWER_BOOST = 3.0
MAX_BONUS_PHRASES = 4
MAX_PREFIX_TERMS = 200
MIN_PREFIX_CHARS = 2
# Query and snippet words whose stems a compiler remembers before starting afresh.
MAX_STEMS = 100_000
TEXT_FIELDS = ("title", "body")
# The index's DATETIME of each article's publication: the wall-clock time in its own
# Indonesian zone, so a range of days is a range of Indonesian calendar days.
DATE_FIELD = "local_time"


@dataclass
class Marks:
    """What to mark in a text: stems of words, exact phrases and prefixes."""

    stems: set = field(default_factory=set)
    phrases: set = field(default_factory=set)
    prefixes: set = field(default_factory=set)

    def __bool__(self):
        return bool(self.stems or self.phrases or self.prefixes)


@dataclass
class Plan:
    """A compiled query: what must match, what ranks, what to mark.

    ``soft`` clauses rank (all needed when strict, any when loose); ``hard``
    ones only filter; ``bonus`` phrase queries re-rank the best hits, and so
    does ``answer``, what a question asks for (``searcher.answers``).
    """

    soft: list
    hard: list
    bonus: list
    marks: Marks
    words: list[str]
    answer: str | None = None

    @property
    def ranked(self) -> bool:
        return bool(self.soft)

    @property
    def can_loosen(self) -> bool:
        return len(self.soft) > 1

    def matching(self, loose: bool = False):
        """The query whose documents are the matches (scores don't matter)."""
        soft = [whoosh_query.Or(self.soft)] if loose and self.soft else self.soft
        if not soft and all(isinstance(q, whoosh_query.Not) for q in self.hard):
            soft = [whoosh_query.Every()]
        return _all_of(soft + self.hard)


@dataclass(frozen=True)
class RankingFeatures:
    """Ranking switches (the relevance benchmark's ablation turns them off)."""

    stemming: bool = True
    exact_boost: float = EXACT_BOOST
    synonyms: bool = True
    acronyms: bool = True  # the archive's own (``index.acronyms``), as synonyms
    phrase_boost: float = PHRASE_BOOST
    stopwords: bool = True
    coord_bonus: float = COORD_BONUS
    answer_boost: float = ANSWER_BOOST


DEFAULT_FEATURES = RankingFeatures()


def plain_stemmer(analyzer) -> Stemmer | None:
    """A ``Stemmer`` giving what ``analyzer`` (a ``stem_analyzer``) gives for one plain
    lowercased word (a-z, 0-9): the word's term, through the same protected words and
    stem cache; None for another analyzer."""
    items = getattr(analyzer, "items", ())
    if len(items) != 2 or not isinstance(items[0], NewsTokenizer):
        return None
    if not isinstance(items[1], SastrawiFilter):
        return None
    return Stemmer(items[1].protected, items[1].persisted)


def _stemmable(token: str) -> bool:
    """Whether Sastrawi stems a lowercased word: four ASCII letters or more, nothing else."""
    return len(token) >= 4 and token.isascii() and token.isalpha() and token.islower()


def word_tokenizer(schema):
    """A function giving a text's lowercased unstemmed words, as the exact fields hold them."""
    analyzer = schema["body_exact"].analyzer
    if type(analyzer) is NewsTokenizer:
        return query_words
    return lambda text: [token.text for token in analyzer(text, mode="query")]


def query_words(text: str) -> list[str]:
    """``NewsTokenizer``'s words of ``text`` in query mode (each position's whole form),
    without a Whoosh ``Token`` a word: every searcher tokenizes the synonym lists and the
    archive's acronyms, thousands of short texts, when it opens an index."""
    if text.isascii() and text.isalnum():  # one plain word (most acronyms): one token
        return [text.lower()]
    words, last = [], -1
    for word, position, _, _ in split_words(text):
        if position != last:
            words.append(word)
            last = position
    return words


class Compiler:
    """Compile query trees against one index (its analyzers, lexicon and outlets).

    ``synonyms`` is a ``Synonyms`` list, ``stopwords`` the words a query may
    leave out of ranking, ``features`` the ranking switches.
    """

    def __init__(self, searcher, synonyms, stopwords, features: RankingFeatures = DEFAULT_FEATURES):
        self.reader = searcher.reader()
        schema = searcher.schema
        self.tokens = word_tokenizer(schema)
        self._stem_analyzer = schema["body"].analyzer
        self._author_analyzer = schema["author"].analyzer
        self.synonyms = synonyms
        self.stopwords = stopwords
        self.features = features
        self._stems: dict[str, str] = {}
        self._stemmer = plain_stemmer(self._stem_analyzer)
        self._sources = sorted(lexicon(self.reader, "source"))

    # -- analysis --------------------------------------------------------

    def stem(self, token: str) -> str:
        """The index's stem of one lowercased word (remembered)."""
        stem = self._stems.get(token)
        if stem is None:
            if not self.features.stemming:
                return token
            stem = self._stem_of(token)
            if len(self._stems) > MAX_STEMS:
                self._stems.clear()
                self._stemmer = plain_stemmer(self._stem_analyzer)
            self._stems[token] = stem
        return stem

    def prefetch_stems(self, tokens) -> None:
        """Look up the stems of many new lowercased words at once, in the stem cache the
        analyzer reads (a page of snippets meets a hundred new words: one query, not one
        each). Stems come out as ``stem`` would give them anyway."""
        many = getattr(self._stemmer and self._stemmer.persisted, "many", None)
        if many is None or not self.features.stemming:
            return
        known, terms = self._stems, self._stemmer.terms
        # Only what the stemmer would look up: plain words of four letters or more.
        new = [t for t in tokens if t not in known and t not in terms and _stemmable(t)]
        if len(new) > 1:
            self._stemmer.remember(many(new))

    def _stem_of(self, token: str) -> str:
        """The stem analyzer's first term for ``token``; a plain word goes straight to
        the analyzer's stemmer (no Whoosh tokens: a snippet stems hundreds of new words)."""
        plain = token.isascii() and token.isalnum() and (token.islower() or token.isdigit())
        if plain and self._stemmer is not None:
            return self._stemmer.stem(token)
        stems = [t.text for t in self._stem_analyzer(token, mode="query")]
        return stems[0] if stems else token

    # -- compiling -------------------------------------------------------

    def compile(self, tree) -> Plan:
        """The plan of a query tree (``searcher.query.parse``): what matches, ranks and marks."""
        marks = Marks()
        words: list[str] = []
        items = list(tree.children) if isinstance(tree, All) else [tree] if tree else []
        answer = self._answer(items)
        # Synonym phrases first: a long form may hold a stopword ("obat dan makanan").
        items = self._drop_stopwords(self._join_synonyms(items))
        soft, hard, runs = [], [], []
        for item in items:
            if isinstance(item, (Field, Not)):
                q = self._node(item, marks, words)
                if q is not None:
                    hard.append(q)
                continue
            q = self._node(item, marks, words)
            if q is None:
                continue
            soft.append(q)
            runs.append(item)
        return Plan(soft, hard, self._phrase_bonus(runs), marks, words, answer)

    def _answer(self, items) -> str | None:
        """What a question of plain words asks for: a number, a date or nothing known."""
        if not self.features.answer_boost:
            return None
        words = [t for i in items if isinstance(i, Word) for t in self.tokens(i.text)]
        return expected_answer(words)

    def _drop_stopwords(self, items):
        if not self.features.stopwords:
            return items
        kept = [i for i in items if not (isinstance(i, Word) and self._is_stopword(i.text))]
        return kept if any(not isinstance(i, Not) for i in kept) else items

    def _is_stopword(self, text: str) -> bool:
        tokens = self.tokens(text)
        return bool(tokens) and all(t in self.stopwords for t in tokens)

    def _join_synonyms(self, items):
        """Replace runs of plain words that form a synonym phrase ("korea utara") by one."""
        if not self.features.synonyms or self.synonyms.longest < 2:
            return items
        words = [tuple(self.tokens(i.text)) if isinstance(i, Word) else None for i in items]
        out, i = [], 0
        while i < len(items):
            for n in range(min(self.synonyms.longest, len(items) - i), 1, -1):
                run = words[i : i + n]
                if None not in run:
                    tokens = tuple(t for w in run for t in w)
                    if self.synonyms.get(tokens):
                        out.append(_Run(tuple(items[i : i + n]), tokens))
                        i += n
                        break
            else:
                out.append(items[i])
                i += 1
        return out

    def _run_words(self, run: _Run) -> list:
        """The words of a synonym phrase that rank on their own (not its stopwords)."""
        return self._drop_stopwords(list(run.words))

    def _node(self, node, marks, words, fields=TEXT_FIELDS):
        if isinstance(node, Word):
            return self._word(node.text, marks, words, fields)
        if isinstance(node, _Run):
            kept = self._run_words(node)
            parts = [self._word(w.text, marks, words, fields, synonyms=False) for w in kept]
            together = [whoosh_query.Phrase(f + "_exact", list(node.tokens)) for f in fields]
            alternatives = self._synonyms(node.tokens, marks, fields)
            return whoosh_query.Or(
                [_all_of([p for p in parts if p is not None]), *together, *alternatives]
            )
        if isinstance(node, Phrase):
            return self._phrase(self.tokens(node.text), marks, fields)
        if isinstance(node, Prefix):
            return self._prefix(node.text, marks, fields)
        if isinstance(node, Field):
            return self._field(node, marks, words)
        if isinstance(node, Not):
            child = self._node(node.child, Marks(), [], fields)
            return whoosh_query.Not(child) if child is not None else None
        if isinstance(node, (All, Any)):
            children = list(node.children)
            children = self._join_synonyms(children) if isinstance(node, All) else children
            children = self._drop_stopwords(children)
            subs = [q for c in children if (q := self._node(c, marks, words, fields)) is not None]
            if not subs:
                return None
            return _all_of(subs) if isinstance(node, All) else whoosh_query.Or(subs)
        return None

    def _word(self, text, marks, words, fields, synonyms=True):
        tokens = self.tokens(text)
        if len(tokens) != 1:
            return self._phrase(tokens, marks, fields)
        token = tokens[0]
        words.append(token)
        stem = self.stem(token)
        marks.stems.add(stem)
        exact = self.features.exact_boost
        if not self.features.stemming:
            parts = [whoosh_query.Term(f + "_exact", token) for f in fields]
        else:
            parts = [whoosh_query.Term(f, stem) for f in fields]
        if exact and self.features.stemming:
            parts += [whoosh_query.Term(f + "_exact", token, boost=exact) for f in fields]
        if synonyms:
            parts += self._synonyms((token,), marks, fields)
        return whoosh_query.Or(parts)

    def _synonyms(self, tokens, marks, fields):
        if not self.features.synonyms:
            return []
        out = []
        for alt in self.synonyms.get(tokens):
            if len(alt) == 1:
                stem = self.stem(alt[0])
                marks.stems.add(stem)
                suffix = "" if self.features.stemming else "_exact"
                terms = [whoosh_query.Term(f + suffix, stem) for f in fields]
                out.append(whoosh_query.Or(terms, boost=SYNONYM_BOOST))
            else:
                # A phrase scores the sum of its words: per word, so that "Korea
                # Utara" for "korut" ranks below "korut" as a single word does.
                marks.phrases.add(alt)
                phrases = [whoosh_query.Phrase(f + "_exact", list(alt)) for f in fields]
                out.append(whoosh_query.Or(phrases, boost=SYNONYM_BOOST / len(alt)))
        return out

    def _phrase(self, tokens, marks, fields):
        if not tokens:
            return None
        if len(tokens) == 1:
            marks.phrases.add(tuple(tokens))
            return whoosh_query.Or([whoosh_query.Term(f + "_exact", tokens[0]) for f in fields])
        marks.phrases.add(tuple(tokens))
        return whoosh_query.Or([whoosh_query.Phrase(f + "_exact", list(tokens)) for f in fields])

    def _prefix(self, text, marks, fields):
        tokens = self.tokens(text)
        if len(tokens) != 1 or len(tokens[0]) < MIN_PREFIX_CHARS:
            raise QueryError(errors.PREFIX_TOO_SHORT, text=text, minimum=MIN_PREFIX_CHARS)
        prefix = tokens[0]
        terms = set()
        for f in fields:
            for term in self.reader.expand_prefix(f + "_exact", prefix):
                terms.add(as_text(term))
                if len(terms) > MAX_PREFIX_TERMS:
                    raise QueryError(
                        errors.PREFIX_TOO_COMMON, prefix=prefix, maximum=MAX_PREFIX_TERMS
                    )
        marks.prefixes.add(prefix)
        if not terms:
            return whoosh_query.NullQuery
        return whoosh_query.Or(
            [whoosh_query.Term(f + "_exact", t) for t in sorted(terms) for f in fields]
        )

    def _phrase_bonus(self, runs) -> list[tuple[str, str]]:
        """Stems of adjacent query words: documents holding them side by side score extra."""
        if not self.features.phrase_boost:
            return []
        pairs = []
        words = [
            w
            for item in runs
            for w in (self._run_words(item) if isinstance(item, _Run) else [item])
        ]
        for a, b in zip(words, words[1:], strict=False):
            if isinstance(a, Word) and isinstance(b, Word):
                ta, tb = self.tokens(a.text), self.tokens(b.text)
                if len(ta) == 1 and len(tb) == 1:
                    pairs.append((self.stem(ta[0]), self.stem(tb[0])))
        return pairs[:MAX_BONUS_PHRASES]

    # -- field filters -----------------------------------------------------

    def _field(self, node: Field, marks, words):
        if node.name == "title":
            inner = Phrase(node.value) if node.quoted else Word(node.value)
            return self._node(inner, marks, words, fields=("title",))
        if node.name == "author":
            terms = [t.text for t in self._author_analyzer(node.value)]
            return _all_of([whoosh_query.Term("author", t) for t in terms]) if terms else None
        if node.name == "source":
            return self.source_query(node.value)
        if node.name == "date":
            start, end = parse_date_range(node.value)
            return date_query(start, end)
        return None

    def source_query(self, name: str):
        """Outlets called ``name``: exact, else case-insensitive, else by prefix."""
        if name in self._sources:
            return whoosh_query.Term("source", name)
        key = _squashed(name)
        found = [s for s in self._sources if _squashed(s) == key]
        found = found or [s for s in self._sources if key and _squashed(s).startswith(key)]
        if not found:
            return whoosh_query.Term("source", name)
        return whoosh_query.Or([whoosh_query.Term("source", s) for s in found])


@dataclass(frozen=True)
class _Run:
    """Plain words that together form a synonym phrase."""

    words: tuple
    tokens: tuple


def _all_of(subs):
    subs = [s for s in subs if s is not None]
    if not subs:
        return whoosh_query.NullQuery
    return subs[0] if len(subs) == 1 else whoosh_query.And(subs)


def _squashed(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def _parse_date(text: str, end: bool) -> date | None:
    text = text.strip()
    if not text:
        return None
    match = _DATE.fullmatch(text)
    if not match:
        raise QueryError(errors.DATE_UNREADABLE, text=text)
    year, month, day = int(match[1]), int(match[2] or 0), int(match[3] or 0)
    try:
        if day:
            return date(year, month, day)
        if month:
            first = date(year, month, 1)
            return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1) if end else first
        return date(year, 12, 31) if end else date(year, 1, 1)
    except ValueError as e:
        raise QueryError(errors.DATE_NOT_IN_CALENDAR, text=text) from e


def parse_date_range(value: str) -> tuple[date | None, date | None]:
    """``2024-11-01..2024-11-30``, ``2024-11``, ``2024..``, ``..2024-11-30``."""
    if ".." in value:
        left, right = value.split("..", 1)
        return _parse_date(left, end=False), _parse_date(right, end=True)
    return _parse_date(value, end=False), _parse_date(value, end=True)


def date_query(start: date | None, end: date | None):
    """Articles published from ``start`` to ``end``, both Indonesian calendar days included."""
    if start is None and end is None:
        return None
    if start and end and start > end:
        raise QueryError(errors.DATE_RANGE_REVERSED)
    low = datetime.combine(start, time.min) if start else None
    high = datetime.combine(end, time.max) if end else None
    return whoosh_query.DateRange(DATE_FIELD, low, high)
