"""Did you mean: respellings from the archive's own unstemmed vocabulary.

Two kinds of query word get a respelling. A word no article uses (or an
uncommon one when the whole query finds nothing) takes the most used word one
edit away when that is far more common. A word the archive does use, in a few
articles, takes a close word the archive uses far more (``popular``, in the
spirit of Lucene's ``SUGGEST_MORE_POPULAR``): "esklasi" → "eskalasi", never a
correct rare word, a name or an inflection of the same stem.

Both look up the few hundred strings one edit away in the field's vocabulary,
never the whole lexicon per word: first each string in the index's term
table (a few microseconds each), and once a generation has looked up as many
strings as it has articles (``LOOKUPS_PER_ARTICLE``, at least ``MIN_LOOKUPS``:
a few searches' worth), in a set of every word (``Vocabulary``: read once,
then carried from one generation to the next, an update reading only its new
segments' words). Reading that set took 0.2 s at 25,000 articles, as long as
some 28,000 lookups (a word checked costs about 500), and 1.9 s at 254,000: a
search in a fresh process (``warta search``) never pays for it, a long-lived
searcher does once its lookups would have cost about as much. The second
also reads a few of the rare word's articles (how it is written, what stands
beside it) and asks whether two words stand side by side anywhere; its
answer for each word is kept, bounded, for the generation (``ArchiveWords``,
``Suggester``).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from itertools import islice

from whoosh.query import Phrase

from index.analysis import exact_terms
from index.words import CapitalCounts, known_word, neighbours

from .cache import Lru
from .popular import Lookups, MorePopular, OneEdit, Rules, one_edit
from .postings import as_text, lexicon

UNCOMMON_DF = 50
MAX_SUSPECTS = 2
MAX_CHECKED = 4  # words of one query checked for a more popular spelling
GAIN = 10
MIN_DF = 5
FIELD = "body_exact"
SAMPLE_ARTICLES = 4  # articles read to learn how a rare word is written and placed
CONTEXTS = 8  # its occurrences whose neighbours are checked
CACHE_WORDS = 20_000  # answers kept per generation
# Words looked up one by one in a generation's term table, per article, before its
# vocabulary is read whole (both cost about the same by then).
LOOKUPS_PER_ARTICLE = 1
MIN_LOOKUPS = 2_000


@dataclass(frozen=True)
class _Sample:
    """How a rare word stands in a few of its articles."""

    name: bool  # capitalised mid-sentence in most occurrences
    words: frozenset[str]  # every word of those articles
    contexts: tuple[tuple[str | None, str | None], ...]  # (before, after) each occurrence


class ArchiveWords:
    """What the more-popular rule asks of one generation, answered from its index.

    Counts come from the exact field; how a rare word is written and what
    stands beside it from the stored bodies of up to ``SAMPLE_ARTICLES`` of
    its articles. Answers are kept in bounded caches owned by this object.
    """

    def __init__(self, searcher, stem):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.stem = stem
        # A sample serves one word's check (its answer is then kept by the Suggester).
        self._samples = Lru(16)
        self._known = Lru(CACHE_WORDS)
        self._adjacent = Lru(CACHE_WORDS)

    def lookups(self) -> Lookups:
        """The rule's view of this generation."""
        return Lookups(
            df=self.df,
            cf=self.cf,
            capitalised=lambda word: self.sample(word).name,
            stem=self.stem,
            known=lambda word: self._known.get(word, lambda: known_word(word, self.stem)),
            cooccur=lambda word, other: other in self.sample(word).words,
            context=self.context,
            articles=self.reader.doc_count(),
        )

    def df(self, word: str) -> int:
        return self.reader.doc_frequency(FIELD, word)

    def cf(self, word: str) -> int:
        return int(self.reader.frequency(FIELD, word))

    def sample(self, word: str) -> _Sample:
        """How ``word`` stands in a few of its articles (read once, then kept)."""
        return self._samples.get(word, lambda: self._read_sample(word))

    def _read_sample(self, word: str) -> _Sample:
        capitals, words, contexts = CapitalCounts(), set(), []
        if (FIELD, word) in self.reader:
            docs = self.reader.postings(FIELD, word).all_ids()
            for docnum in islice(docs, SAMPLE_ARTICLES):
                body = self.reader.stored_fields(docnum).get("body") or ""
                terms = exact_terms(body)
                capitals.add(body)
                words.update(terms)
                contexts.extend(neighbours(terms, word, CONTEXTS - len(contexts)))
        return _Sample(capitals.is_name(word), frozenset(words), tuple(contexts))

    def context(self, word: str, other: str) -> bool:
        """At each sampled occurrence of ``word``, a neighbour also stands beside ``other``."""
        contexts = self.sample(word).contexts
        return bool(contexts) and all(
            self.adjacent(before, other) or self.adjacent(other, after)
            for before, after in contexts
        )

    def adjacent(self, first: str | None, second: str | None) -> bool:
        """Whether some article has ``first`` right before ``second``."""
        if first is None or second is None:
            return False
        return self._adjacent.get(
            (first, second),
            lambda: Phrase(FIELD, [first, second]).matcher(self.searcher).is_active(),
        )


class Vocabulary:
    """The words of the exact field, kept across the generations of one index.

    Reading every word of 25,000 articles costs about 0.25 s of CPU, which the
    first query with a rare word would pay after every update. Segments never
    change once written, so the words of the segments already read are kept
    and only new segments (an update's, a merge's) are read. A word whose
    articles were all deleted may linger: a respelling to it is still checked
    by its document frequency, which is then 0. A reader sharing no segment
    with the last one (a rebuild) is read afresh.
    """

    def __init__(self, field: str = FIELD):
        self.field = field
        self.segments_read = 0  # by the last ``of``: what an update cost
        self._lock = threading.Lock()
        self._segments: frozenset[str] = frozenset()
        self._words: frozenset[str] = frozenset()

    @property
    def read(self) -> bool:
        """Whether some generation's words were read (an update then reads only its new ones)."""
        return bool(self._segments)

    def of(self, reader) -> frozenset[str]:
        """Every word of ``reader``'s field (perhaps with a few deleted ones)."""
        leaves = {}
        for leaf, _ in reader.leaf_readers():
            segment = leaf.segment() if hasattr(leaf, "segment") else None
            if segment is None:  # not a segment reader: read it whole
                self.segments_read = 1
                return frozenset(lexicon(reader, self.field))
            leaves[segment.segment_id()] = leaf
        with self._lock:
            if leaves.keys() == self._segments:
                self.segments_read = 0
                return self._words
            carried = self._segments & leaves.keys()
            words = set(self._words) if carried else set()
            new = [leaf for segment_id, leaf in leaves.items() if segment_id not in carried]
            for leaf in new:
                words.update(as_text(term) for term in leaf.lexicon(self.field))
            self.segments_read = len(new)
            self._segments, self._words = frozenset(leaves), frozenset(words)
            return self._words


class Suggester:
    """Respell the suspect words of a query from one open generation's vocabulary.

    ``vocabulary`` (a ``Vocabulary``) may be shared by the generations of one
    index, so an update does not read every word again.
    """

    def __init__(self, searcher, stem, rules: Rules | None = None, vocabulary=None):
        self.reader = searcher.reader()
        self._vocabulary = vocabulary or Vocabulary()
        self._words: frozenset[str] | None = None
        self._lookups = 0  # words looked up one by one (approximate across threads)
        self.read_after = max(MIN_LOOKUPS, LOOKUPS_PER_ARTICLE * self.reader.doc_count_all())
        archive = ArchiveWords(searcher, stem)
        self.popular = MorePopular(OneEdit(self._has), archive.lookups(), rules or Rules())
        self._respelled = Lru(CACHE_WORDS)

    def words(self) -> frozenset[str]:
        """The field's vocabulary (a set answers faster than the lexicon)."""
        if self._words is None:
            self._words = self._vocabulary.of(self.reader)
        return self._words

    def _has(self, word: str) -> bool:
        """Whether the field's vocabulary holds ``word``: looked up in the term table
        until ``read_after`` words were, then in the vocabulary read whole."""
        if self._words is None and not self._vocabulary.read and self._lookups < self.read_after:
            self._lookups += 1
            return (FIELD, word) in self.reader
        return word in self.words()

    def df(self, word: str) -> int:
        return self.reader.doc_frequency(FIELD, word)

    def more_popular(self, word: str) -> str | None:
        """The far more popular spelling of a word the archive has (answers are kept)."""
        return self._respelled.get(word, lambda: self.popular.suggest(word) or "") or None

    def suggest(self, text: str, words: list[str], total: int) -> str | None:
        """``text`` with suspect words respelled, or None when nothing looks wrong."""
        better = {}
        suspects = checked = 0
        for word in dict.fromkeys(words):
            if len(word) < 4 or not word.isalpha():
                continue
            df = self.df(word)
            if df and (total or df >= UNCOMMON_DF):
                checked += 1
                found = self.more_popular(word) if checked <= MAX_CHECKED else None
            else:
                suspects += 1
                if suspects > MAX_SUSPECTS:
                    break
                found = self._best_respelling(word, df)
            if found:
                better[word] = found
        if not better:
            return None
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, better)) + r")\b", re.I)
        suggestion = pattern.sub(lambda match: better[match[0].lower()], text)
        return suggestion if suggestion != text else None

    def _best_respelling(self, word: str, df: int) -> str | None:
        scored = [(self.df(c), c) for c in one_edit(word) if self._has(c)]
        if not scored:
            return None
        best_df, best = max(scored)
        # A word the archive never uses takes any real word; a rare one needs a far commoner one.
        return best if best_df >= (max(MIN_DF, GAIN * df) if df else 1) else None
