"""Two levels of sameness: copies (collapsed) and stories (shown together).

Each article gets a *sketch* beside its MinHash signature: its publication
day (the Indonesian day, as facets count it), its outlet, its content-stem pair shingles (and
which of them occur inside quotation marks) and its content-stem counts (title and body).

- **Templates.** A shingle an outlet uses on ``TEMPLATE_DAYS`` or more
  distinct days (recipe intros, price-report formats, recycled openings) says
  nothing about two of its articles. Days are counted, not articles, so an
  outlet reposting one text on one day does not make it a template; only each
  outlet's ``TEMPLATE_SAMPLE`` latest articles are counted (bounded memory).
- **Copies.** MinHash banding finds the candidates (``dedup``); a candidate is
  a copy only when the exact Jaccard similarity of the two template-free
  shingle sets reaches ``COPY_JACCARD``, the shorter text is at least
  ``COPY_CONTAINED`` within the other and the two were published at most
  ``COPY_DAYS`` apart. Two articles of one outlet need more
  (``COPY_JACCARD_SAME_SOURCE``, at most ``COPY_HOURS_SAME_SOURCE`` apart): an
  outlet reuses its own background paragraphs under each new development,
  while its true reposts are near-identical and close in time; a near-identical
  text (``REPOST_JACCARD``) it posts again under a new headline is a copy up to
  ``REPOST_DAYS`` apart. Whatever passes must also share its *narration*: the
  template-free shingles never found inside quotation marks ("…", “…”) reach
  ``COPY_JACCARD_UNQUOTED`` too. Two outlets' write-ups of one doorstop print its
  quotes word for word and tell the rest in their own words; a copy repeats both. A
  text mostly in quotes (less than ``MOSTLY_QUOTED`` of its template-free shingles
  outside them, e.g. a written statement printed whole) has too little narration to
  compare and is judged on the whole text. Undated articles (plain text files) are
  copies when they share ``UNDATED_SHARED`` shingles, or ``UNDATED_MIN_SHARED``
  that are ``UNDATED_CONTAINED`` of the shorter text. An article joins the group
  of any earlier article it copies (``dedup``).
- **Stories.** Separate reports of one event share rare words (names, places)
  and hours. Articles are taken in time order; each copy group's first
  article joins the story holding its most similar member by TF-IDF cosine
  (stems in 2 to ``MAX_DF_SHARE`` of the archive), at least ``STORY_COSINE``
  (``STORY_COSINE_SAME_SOURCE`` for a member of the same outlet), as long as
  the story's first report is at most ``STORY_HOURS`` older and the article
  still resembles it (``FIRST_COSINE``); otherwise it starts a story. The
  span and the first report bound the chains a busy topic would otherwise
  make; the span is under 48 hours, so two articles dated two days apart
  without a time of day (both at midnight) are not one story. A story's id is
  its first article's id, so an update that adds an article leaves the other
  articles' story ids as they were. Copies follow
  the story of their group.

Every threshold was fitted on the tune split of ``bench/judged/story_pairs.tsv``
(docs/BENCHMARKS.md, "Copies and stories").

The sketches and stories are kept beside the index (``stories.pickle``), so an
update places only the articles that changed. Its work follows the change: the
sketches are kept as flat numpy arrays in chunk files mapped into memory (an
update writes only its own chunk) and made into ``Sketch`` objects only when
asked for; the document frequencies are kept with them and updated by the
changed articles' terms; an outlet's templates are counted only when a
candidate of that outlet is judged (at most ``TEMPLATE_SAMPLE`` articles each).
"""

from __future__ import annotations

import math
import os
import pickle
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.dates import WIB, indonesian_time

from .analysis import Stemmer
from .dedup import _word_hashes, content_stems, minhash_of, pair_hashes
from .errors import IndexOutdatedError

if TYPE_CHECKING:
    import numpy as np

STORIES_FILE = "stories.pickle"
STORIES_VERSION = 4  # the chunk files of ``_SketchTable``, with the quoted shingles
TEMPLATE_DAYS = 5
TEMPLATE_SAMPLE = 2000  # latest articles per outlet whose shingles are counted
COPY_JACCARD = 0.29  # two outlets' texts
COPY_CONTAINED = 0.45  # of the shorter template-free text
COPY_DAYS = 2
COPY_JACCARD_SAME_SOURCE = 0.55  # one outlet's texts: it reuses its own background
COPY_HOURS_SAME_SOURCE = 12
# One outlet posting its own text again (a new headline, an update) days later:
# near-identical template-free text is a copy within ``REPOST_DAYS``.
REPOST_JACCARD = 0.85
REPOST_DAYS = 3
# Two write-ups of one doorstop share its quotes word for word; a copy shares the
# narration around them too. Template-free shingles never seen inside quotation
# marks must reach this Jaccard as well, unless a text is mostly quotes (less
# than ``MOSTLY_QUOTED`` of it outside them: a written statement printed whole).
COPY_JACCARD_UNQUOTED = 0.15
MOSTLY_QUOTED = 0.5
QUOTED = re.compile(r'"[^"]*"|“[^”]*”')
# Undated texts (plain text files) have no time to judge by: the MinHash
# threshold decides, but only over this many shared shingles, so short texts
# sharing a phrase or two are not copies (000/002 of the sample share 40)...
UNDATED_SHARED = 20
# ... or when a short text lies mostly within the other: the same paragraph
# with a digit or a space apart, or cut short (FacQA's passages; 10 shared
# shingles are a sentence or two, where a shared phrase is 2 or 3).
UNDATED_MIN_SHARED = 10
UNDATED_CONTAINED = 0.75
STORY_COSINE = 0.38  # two outlets' reports
STORY_COSINE_SAME_SOURCE = 0.5  # one outlet's articles
STORY_HOURS = 45  # from the story's first report
FIRST_COSINE = 0.3  # with the story's first report, whichever member matched (no drift)
STORY_DAYS = 2  # the Indonesian days whose stories are compared (covers STORY_HOURS)
MAX_DF_SHARE = 0.02
MIN_MOST_DF = 5  # a small archive still counts a name shared by a few reports
MAX_COSINES = 4_000_000  # cosines of the articles placed, computed at once up to this many
CLEAN_MEMO = 4096  # articles whose template-free shingles are kept while judging copies
PREPARE_ROWS = 20_000  # TF-IDF rows made at once (``_Vectors.prepare``)


class StoriesOutdatedError(IndexOutdatedError, pickle.UnpicklingError):
    """``stories.pickle`` was written by another version: an update refuses it with a
    sentence (an index error), a rebuild signs the articles afresh (an unreadable pickle)."""


@dataclass(frozen=True)
class Sketch:
    """What comparing an article needs: day, outlet, shingles and stem counts."""

    day: int | None  # proleptic ordinal of the Indonesian day, None when undated
    moment: float  # POSIX seconds of the publication (naive: WIB), 0 when undated
    source: str
    # unique uint32 content-stem pair hashes of the body: those never inside quotation
    # marks, sorted, then the ``quoted`` others (found inside quotes), sorted
    shingles: np.ndarray
    terms: np.ndarray  # sorted unique uint32 stem hashes of title and body
    counts: np.ndarray  # how often each of ``terms`` occurs
    quoted: int = 0  # how many of ``shingles`` (the last) occur inside quotation marks

    def quoted_shingles(self) -> np.ndarray:
        """The shingles found inside quotation marks (sorted)."""
        return self.shingles[len(self.shingles) - self.quoted :]


def publication_day(published: str | None) -> tuple[int | None, float]:
    """(Indonesian calendar day as an ordinal or None, POSIX seconds or 0) of an ISO date.

    The day is the one facets and ``tanggal:`` use (``crawler.dates.indonesian_time``).
    """
    when = indonesian_time(published)
    if when is None:
        return None, 0.0
    instant = datetime.fromisoformat(when.iso) if when.zone else when.wall.replace(tzinfo=WIB)
    return when.wall.date().toordinal(), instant.timestamp()


def sign_article(article, stemmer: Stemmer) -> tuple[np.ndarray | None, Sketch]:
    """(MinHash signature, sketch) of one article, stemming its body once (and its
    quoted passages again, from the stems already known)."""
    import numpy as np

    stems = content_stems(article.body, stemmer)
    shingles = np.asarray(pair_hashes(stems), dtype=np.uint32)
    shingles, quoted = _split_quoted(shingles, article.body, stemmer)
    words = [*content_stems(article.title or "", stemmer), *stems]
    hashes = np.fromiter(map(_word_hashes.__getitem__, words), dtype=np.uint32, count=len(words))
    terms, counts = np.unique(hashes, return_counts=True)
    day, moment = publication_day(article.published)
    sketch = Sketch(
        day=day,
        moment=moment,
        source=article.source or "",
        shingles=shingles,
        terms=terms,
        counts=np.minimum(counts, 65535).astype(np.uint16),
        quoted=quoted,
    )
    return minhash_of(shingles.tolist()), sketch


def _split_quoted(shingles: np.ndarray, body: str, stemmer: Stemmer) -> tuple[np.ndarray, int]:
    """(``shingles`` reordered: those never inside quotation marks, then those inside, each
    sorted; how many are inside). The quoted passages are stemmed together; a word pair
    that spans two of them is not a shingle of the body, so the intersection drops it."""
    import numpy as np

    spans = QUOTED.findall(body)
    if not spans:
        return shingles, 0
    inside = np.asarray(pair_hashes(content_stems(" ".join(spans), stemmer)), dtype=np.uint32)
    quoted = np.intersect1d(shingles, inside, assume_unique=True)
    outside = np.setdiff1d(shingles, quoted, assume_unique=True)
    return np.concatenate([outside, quoted]), len(quoted)


class Stories:
    """The sketches of the indexed articles and every article's story."""

    def __init__(self):
        self.sketches = _SketchTable()
        self.story: dict[str, str] = {}  # article id → story id (its own id when alone)
        self._templates: dict[str, np.ndarray] = {}
        self._clean: dict[str, np.ndarray] = {}  # article → clean shingles, a bounded memo

    # Copies -----------------------------------------------------------------

    def templates(self, source: str) -> np.ndarray:
        """The sorted template shingles of one outlet."""
        if (found := self._templates.get(source)) is None:
            items = self.sketches.latest_of_source(source, TEMPLATE_SAMPLE)
            found = self._templates[source] = _templates(items).get(source, _EMPTY())
        return found

    def clean_shingles(self, article_id: str) -> np.ndarray:
        """The article's shingles without its outlet's templates."""
        import numpy as np

        if (found := self._clean.get(article_id)) is None:
            if len(self._clean) >= CLEAN_MEMO:
                self._clean = {}
            sketch = self.sketches[article_id]
            found = np.setdiff1d(sketch.shingles, self.templates(sketch.source), assume_unique=True)
            self._clean[article_id] = found
        return found

    def is_copy(self, a: str, b: str) -> bool:
        """Whether two MinHash candidates are copies (template-free text, close in time)."""
        import numpy as np

        sa, sb = self.sketches.get(a), self.sketches.get(b)
        if sa is None or sb is None:
            return False
        if sa.day is None or sb.day is None:
            shared = len(np.intersect1d(sa.shingles, sb.shingles, assume_unique=True))
            shorter = min(len(sa.shingles), len(sb.shingles))
            return shared >= UNDATED_SHARED or (
                shared >= UNDATED_MIN_SHARED and shared >= UNDATED_CONTAINED * shorter
            )
        days, same_source = abs(sa.day - sb.day), sa.source == sb.source
        within_hours = abs(sa.moment - sb.moment) <= COPY_HOURS_SAME_SOURCE * 3600
        if days > (REPOST_DAYS if same_source else COPY_DAYS):
            return False
        ca, cb = self.clean_shingles(a), self.clean_shingles(b)
        if not len(ca) or not len(cb):
            return False
        shared = len(np.intersect1d(ca, cb, assume_unique=True))
        jaccard = shared / (len(ca) + len(cb) - shared)
        if shared / min(len(ca), len(cb)) < COPY_CONTAINED:
            return False
        if not same_source:
            return jaccard >= COPY_JACCARD and self._narration_shared(sa, sb, ca, cb)
        # One outlet: a rewrite within hours, or its own text posted again days later.
        if jaccard < (COPY_JACCARD_SAME_SOURCE if within_hours else REPOST_JACCARD):
            return False
        return self._narration_shared(sa, sb, ca, cb)

    @staticmethod
    def _narration_shared(sa: Sketch, sb: Sketch, ca: np.ndarray, cb: np.ndarray) -> bool:
        """Whether two texts that pass the copy thresholds (template-free shingles ``ca``,
        ``cb``) also share their narration, the shingles never inside quotation marks
        (``COPY_JACCARD_UNQUOTED``); a text mostly in quotes (``MOSTLY_QUOTED``) passes."""
        import numpy as np

        oa = np.setdiff1d(ca, sa.quoted_shingles(), assume_unique=True)
        ob = np.setdiff1d(cb, sb.quoted_shingles(), assume_unique=True)
        if min(len(oa) / len(ca), len(ob) / len(cb)) < MOSTLY_QUOTED:
            return True
        shared = len(np.intersect1d(oa, ob, assume_unique=True))
        return shared >= COPY_JACCARD_UNQUOTED * (len(oa) + len(ob) - shared)

    # Stories ----------------------------------------------------------------

    def assign(self, copy_groups: dict[str, str]) -> None:
        """Put every article in a story at once (a rebuild)."""
        self.story = {}
        self._place([i for i in copy_groups if copy_groups[i] == i], {})
        for article_id, group in copy_groups.items():
            self.story[article_id] = self.story.get(group, group)

    def update(self, changed: list[str], copy_groups: dict[str, str]) -> dict[str, str]:
        """Place changed articles in stories (existing ones keep theirs); {id: story}."""
        for article_id in changed:
            self.story.pop(article_id, None)
        leaders = [i for i in changed if copy_groups.get(i) == i]
        self._place(leaders, {i: s for i, s in self.story.items() if copy_groups.get(i, i) == i})
        placed = {}
        for article_id in changed:
            group = copy_groups.get(article_id, article_id)
            placed[article_id] = self.story[article_id] = self.story.get(group, group)
        return placed

    def forget(self, article_ids) -> None:
        """Drop deleted articles (a story keeps its first article's id as its label)."""
        for article_id in article_ids:
            self.story.pop(article_id, None)
        self.sketches.remove(article_ids)
        self._templates, self._clean = {}, {}

    def add_sketches(self, sketches: dict[str, Sketch]) -> None:
        """Record the sketches of new or changed articles."""
        self.sketches.add(sketches)
        self._templates, self._clean = {}, {}

    def _place(self, new: list[str], existing: dict[str, str]) -> None:
        """Stories for the ``new`` copy-group leaders, in time order.

        ``existing``: {copy-group leader: story} of the articles already placed.
        Candidates are the stories started at most ``STORY_DAYS`` earlier
        (among ``existing`` and those started by ``new``); an article joins the
        story with the most similar member that passes ``_same_story``, as long
        as the story's first report is at most ``STORY_HOURS`` older (no chains
        beyond that span) and the article resembles it (``FIRST_COSINE``).
        Cosines are computed one day of new articles at a time against that window,
        sparse, and only those reaching ``FIRST_COSINE`` are looked at (``_Window``).
        """
        vectors = _Vectors(self.sketches)
        by_day: dict[int, list[str]] = {}
        for article_id in new:
            day = self.sketches.day_of(article_id)
            if day is None:
                self.story[article_id] = article_id
            else:
                by_day.setdefault(day, []).append(article_id)
        starts: dict[int, list[str]] = {}  # day → first articles of stories started then
        members: dict[str, list[str]] = {}  # story → its copy-group leaders, in time order
        reach = {day - back for day in by_day for back in range(STORY_DAYS + 1)}
        for article_id, story in existing.items():
            if story == article_id and (day := self.sketches.day_of(article_id)) in reach:
                starts.setdefault(day, []).append(article_id)
        in_reach = set(_flat(starts.values()))
        for article_id, story in existing.items():
            if story in in_reach:
                members.setdefault(story, []).append(article_id)
        vectors.prepare([*_flat(members.values()), *_flat(by_day.values())], _flat(by_day.values()))
        seen = {i: self.sketches.when(i) for i in _flat(members.values())}  # (moment, outlet)
        for day in sorted(by_day):
            for article_id in by_day[day]:
                seen[article_id] = self.sketches.when(article_id)
            today = sorted(by_day[day], key=lambda i: (seen[i][0], i))
            window = [i for d in range(day - STORY_DAYS, day + 1) for i in starts.get(d, [])]
            compared = [*(m for story in window for m in members[story]), *today]
            near = vectors.near(today, compared, FIRST_COSINE)
            open_stories = _Window(window, members, compared, seen)
            for article_id, (columns, cosines) in zip(today, near, strict=True):
                story = open_stories.best(article_id, columns, cosines)
                self.story[article_id] = story
                open_stories.add(article_id, story)
                if story == article_id:
                    starts.setdefault(day, []).append(article_id)

    def save(self, gen_dir: str | os.PathLike) -> None:
        """Write the sketches and stories beside the index (atomically)."""
        path = Path(gen_dir) / STORIES_FILE
        tmp = path.with_suffix(".tmp")
        sketches, unused = self.sketches.save(Path(gen_dir))
        state = {"version": STORIES_VERSION, "story": self.story, **sketches}
        with open(tmp, "wb") as f:
            pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        for name in unused:
            (Path(gen_dir) / name).unlink(missing_ok=True)
        self.sketches = _SketchTable.from_state(sketches, Path(gen_dir))

    @classmethod
    def load(cls, gen_dir: str | os.PathLike) -> Stories:
        """Read the stories kept beside an index (empty if there are none)."""
        stories = cls()
        try:
            with open(Path(gen_dir) / STORIES_FILE, "rb") as f:
                state = pickle.load(f)
        except FileNotFoundError:
            return stories
        if not isinstance(state, dict) or state.get("version") != STORIES_VERSION:
            raise StoriesOutdatedError(
                f"{STORIES_FILE} in {gen_dir} was written by another version of Warta: "
                "run `warta index build` to rebuild the index (no article is lost)."
            )
        stories.story = state.pop("story")
        stories.sketches = _SketchTable.from_state(state, Path(gen_dir))
        return stories


def _same_story(cosine: float, seconds: float, same_source: bool) -> bool:
    """Whether an article ``seconds`` after a story's first article, at ``cosine``, joins it.

    An outlet's own articles share its background paragraphs and vocabulary, so
    they need a higher cosine than two outlets' reports (fitted on the tune split).
    """
    if abs(seconds) > STORY_HOURS * 3600:
        return False
    return cosine >= (STORY_COSINE_SAME_SOURCE if same_source else STORY_COSINE)


class _Window:
    """The stories one day's articles may join, and where their members are among the
    day's cosines (the columns: ``compared``, window members first, then the day's articles).

    ``best`` looks only at the columns whose cosine reaches ``FIRST_COSINE`` (below it
    neither a member nor a first report counts), so its work follows the near articles,
    not the window's size.
    """

    def __init__(self, stories: list[str], members: dict[str, list[str]], compared, seen):
        self.stories = list(stories)  # in the order they were started
        self.position = {story: n for n, story in enumerate(self.stories)}
        self.members = members  # story → its copy-group leaders (shared with the caller)
        self.column = {article_id: c for c, article_id in enumerate(compared)}
        self.seen = seen  # article id → (POSIX seconds, outlet)
        self.when = [seen[article_id] for article_id in compared]
        self.owner: dict[int, tuple[int, int]] = {}  # column → (story position, member rank)
        for n, story in enumerate(self.stories):
            for rank, member in enumerate(members[story]):
                self.owner.setdefault(self.column[member], (n, rank))

    def best(self, article_id: str, columns: list[int], cosines: list[float]) -> str:
        """The story whose most similar member passes ``_same_story`` (the highest cosine
        wins, the earlier story and member on a tie), or the article's own id.

        ``columns``/``cosines``: the article's cosines of at least ``FIRST_COSINE``.
        A story counts only while its first report is at most ``STORY_HOURS`` older and
        still resembles the article (``FIRST_COSINE``).
        """
        moment, source = self.seen[article_id]
        near = dict(zip(columns, cosines, strict=True))
        best, best_cosine, best_rank = article_id, 0.0, (math.inf, math.inf)
        for column, cosine in near.items():
            if (rank := self.owner.get(column)) is None or cosine < best_cosine:
                continue
            story = self.stories[rank[0]]
            if (
                moment - self.seen[story][0] > STORY_HOURS * 3600
                or near.get(self.column[story], 0.0) < FIRST_COSINE
            ):
                continue
            other_moment, other_source = self.when[column]
            if (cosine > best_cosine or rank < best_rank) and _same_story(
                cosine, moment - other_moment, source == other_source
            ):
                best, best_cosine, best_rank = story, cosine, rank
        return best

    def add(self, article_id: str, story: str) -> None:
        """Record where an article was placed (a new story when ``story`` is its own id)."""
        if story == article_id:
            self.position[story] = len(self.stories)
            self.stories.append(story)
            self.members[story] = []
        rank = (self.position[story], len(self.members[story]))
        self.members[story].append(article_id)
        self.owner.setdefault(self.column[article_id], rank)


def _by_row(rows: np.ndarray, columns: np.ndarray, values: np.ndarray, count: int) -> list:
    """[(columns, values)] of each of ``count`` rows, from entries sorted by row."""
    import numpy as np

    bounds = np.searchsorted(rows, np.arange(count + 1)).tolist()
    columns, values = columns.tolist(), values.tolist()
    return [(columns[lo:hi], values[lo:hi]) for lo, hi in zip(bounds, bounds[1:], strict=False)]


def _flat(lists) -> list[str]:
    return [item for items in lists for item in items]


def _EMPTY():
    import numpy as np

    return np.zeros(0, dtype=np.uint32)


def _templates(sketches) -> dict[str, np.ndarray]:
    """Outlet → shingles it used on ``TEMPLATE_DAYS`` or more days (latest sample)."""
    import numpy as np

    per_source: dict[str, list[Sketch]] = {}
    for sketch in sketches:
        if sketch.source and sketch.day is not None:
            per_source.setdefault(sketch.source, []).append(sketch)
    found = {}
    for source, items in per_source.items():
        items = sorted(items, key=lambda s: s.day)[-TEMPLATE_SAMPLE:]
        if len({s.day for s in items}) < TEMPLATE_DAYS:
            continue
        keys = np.concatenate(
            [(s.shingles.astype(np.uint64) << np.uint64(24)) | np.uint64(s.day) for s in items]
        )
        pairs = np.unique(keys)  # one (shingle, day) once
        shingles, days = np.unique(pairs >> np.uint64(24), return_counts=True)
        found[source] = shingles[days >= TEMPLATE_DAYS].astype(np.uint32)
    return found


class _Vectors:
    """TF-IDF rows of sketches, made on demand with the archive's document frequencies."""

    def __init__(self, sketches: _SketchTable):
        self.sketches = sketches
        self.size = len(sketches)
        self.vocab, self.df = sketches.document_frequencies()
        self.most = max(MIN_MOST_DF, MAX_DF_SHARE * self.size)
        self._rows: dict[str, tuple] = {}
        self._pos: dict[str, int] = {}
        self._matrix = None
        self._left: dict[str, int] = {}  # the rows of ``_cosines``
        self._cosines = None

    def _row(self, article_id: str) -> tuple:
        """(columns, weights) of one article, computed once."""
        import numpy as np

        if (found := self._rows.get(article_id)) is None:
            sketch = self.sketches[article_id]
            where = np.searchsorted(self.vocab, sketch.terms)
            df = self.df[where]
            keep = (df >= 2) & (df <= self.most)
            weight = (1 + np.log(sketch.counts[keep])) * np.log(self.size / df[keep])
            norm = math.sqrt(float(weight @ weight)) or 1.0
            found = self._rows[article_id] = (where[keep], weight / norm)
        return found

    def matrix(self, ids: list[str]):
        """The L2-normalised TF-IDF rows of ``ids`` (scipy CSR)."""
        import numpy as np
        from scipy import sparse

        if not ids:
            return sparse.csr_matrix((0, len(self.vocab)))
        rows = [self._row(article_id) for article_id in ids]
        return sparse.csr_matrix(
            (
                np.concatenate([weights for _, weights in rows]),
                np.concatenate([columns for columns, _ in rows]),
                _offsets([len(weights) for _, weights in rows]),
            ),
            shape=(len(ids), len(self.vocab)),
        )

    def prepare(self, ids: list[str], left: list[str]) -> None:
        """Make the rows of ``ids`` at once as one matrix, which ``cosines`` takes rows from,
        and the cosines of ``left`` with all of them when that table is small."""
        import numpy as np
        from scipy import sparse

        self._pos = {article_id: n for n, article_id in enumerate(dict.fromkeys(ids))}
        order = list(self._pos)
        # Made PREPARE_ROWS articles at a time: the flat arrays of a whole large
        # archive's terms at once were several times the matrix (the same rows).
        parts = [
            self._weights(order[n : n + PREPARE_ROWS]) for n in range(0, len(order), PREPARE_ROWS)
        ]
        weight = np.concatenate([np.zeros(0), *(w for w, _, _ in parts)])
        columns = np.concatenate([np.zeros(0, np.int32), *(c for _, c, _ in parts)])
        indptr = _offsets([n for _, _, lengths in parts for n in lengths])
        del parts
        shape = (len(order), len(self.vocab))
        self._matrix = sparse.csr_matrix((weight, columns, indptr), shape=shape)
        if len(left) * len(self._pos) <= MAX_COSINES and all(i in self._pos for i in left):
            self._left = {article_id: n for n, article_id in enumerate(left)}
            chosen = self._matrix[[self._pos[article_id] for article_id in left]]
            self._cosines = (chosen @ self._matrix.T).toarray()

    def _weights(self, ids: list[str]) -> tuple:
        """(weights, columns, row lengths) of the L2-normalised TF-IDF rows of ``ids``."""
        import numpy as np

        sketches = [self.sketches.terms_of(article_id) for article_id in ids]
        lengths = [len(terms) for terms, _ in sketches]
        terms = np.concatenate([_EMPTY(), *(terms for terms, _ in sketches)])
        counts = np.concatenate([np.zeros(0, np.uint16), *(counts for _, counts in sketches)])
        where = np.searchsorted(self.vocab, terms)
        df = self.df[where] if len(self.df) else np.zeros(len(where), dtype=np.int64)
        keep = (df >= 2) & (df <= self.most)
        row = np.repeat(np.arange(len(sketches)), lengths)[keep]
        weight = (1 + np.log(counts[keep])) * np.log(self.size / df[keep])
        norm = np.sqrt(np.bincount(row, weights=weight * weight, minlength=len(sketches)))
        weight /= np.where(norm > 0, norm, 1.0)[row]
        lengths = np.bincount(row, minlength=len(sketches)).tolist()
        return weight, where[keep].astype(np.int32), lengths

    def _rows_of(self, ids: list[str]):
        if ids and all(article_id in self._pos for article_id in ids):
            return self._matrix[[self._pos[article_id] for article_id in ids]]
        return self.matrix(ids)

    def cosines(self, left: list[str], right: list[str]) -> np.ndarray:
        """Dense matrix of cosines between ``left`` and ``right`` articles."""
        import numpy as np

        if self._left and all(i in self._left for i in left) and all(i in self._pos for i in right):
            rows = [self._left[article_id] for article_id in left]
            return self._cosines[np.ix_(rows, [self._pos[article_id] for article_id in right])]
        return (self._rows_of(left) @ self._rows_of(right).T).toarray()

    def near(self, left: list[str], right: list[str], least: float) -> list:
        """Per ``left`` article: (positions in ``right``, cosines) of the cosines of at least
        ``least`` (the same values as ``cosines``, without a dense matrix when not prepared)."""
        import numpy as np

        if self._left and all(i in self._left for i in left) and all(i in self._pos for i in right):
            cosines = self.cosines(left, right)
            rows, columns = np.nonzero(cosines >= least)
            return _by_row(rows, columns, cosines[rows, columns], len(left))
        # A few rows at a time: one day of a large archive against its window made
        # a product of billions of bytes at once (each row's cosines are the same).
        columns = self._rows_of(right).T.tocsr()
        step = max(1, MAX_COSINES // max(1, len(right)))
        found = []
        for start in range(0, len(left), step):
            part = left[start : start + step]
            product = self._rows_of(part) @ columns
            rows = np.repeat(np.arange(len(part)), np.diff(product.indptr))
            keep = product.data >= least
            found += _by_row(rows[keep], product.indices[keep], product.data[keep], len(part))
        return found


_ARRAYS = (
    "day",
    "moment",
    "source",
    "quoted",
    "sh_off",
    "shingles",
    "te_off",
    "terms",
    "counts",
)


class _SketchTable(Mapping):
    """Article id → ``Sketch``, kept in chunk files of flat arrays and the sketches added since.

    A chunk is one file of raw arrays beside ``stories.pickle``, mapped into
    memory when loaded: only the pages of the sketches compared are read. An
    update writes its added sketches as one more chunk; the chunks are joined
    into one when there are ``MAX_CHUNKS`` or a tenth of their rows are gone.
    A ``Sketch`` is made from array slices when asked for. The document
    frequencies of the terms are kept along and updated by the changes.
    """

    def __init__(self):
        import numpy as np

        self.chunks: list[dict] = []  # {"file", "ids" (None: gone), "layout", "arrays"}
        self.rows: dict[str, tuple[int, int]] = {}  # id → (chunk, row), the live rows only
        self.sources: list[str] = []
        self.added: dict[str, Sketch] = {}
        self.vocab, self.df = _EMPTY(), np.zeros(0, dtype=np.int64)
        self._pending: list[tuple[np.ndarray, int]] = []  # (terms, +1 or -1) not yet in df

    @classmethod
    def from_state(cls, state: dict, folder: Path) -> _SketchTable:
        table = cls()
        table.sources, table.vocab, table.df = state["sources"], state["vocab"], state["df"]
        for n, chunk in enumerate(state["chunks"]):
            arrays = _map_chunk(folder / chunk["file"], chunk["layout"])
            table.chunks.append(chunk | {"arrays": arrays})
            table.rows.update((i, (n, row)) for row, i in enumerate(chunk["ids"]) if i is not None)
        return table

    def __getitem__(self, article_id: str) -> Sketch:
        if (sketch := self.added.get(article_id)) is not None:
            return sketch
        return self._sketch(*self.rows[article_id])

    def __iter__(self) -> Iterator[str]:
        yield from self.rows
        yield from self.added

    def __len__(self) -> int:
        return len(self.rows) + len(self.added)

    def __contains__(self, article_id) -> bool:
        return article_id in self.added or article_id in self.rows

    def _sketch(self, chunk: int, row: int) -> Sketch:
        a = self.chunks[chunk]["arrays"]
        lo, hi = a["te_off"][row], a["te_off"][row + 1]
        return Sketch(
            day=int(a["day"][row]) or None,
            moment=float(a["moment"][row]),
            source=self.sources[a["source"][row]],
            shingles=a["shingles"][a["sh_off"][row] : a["sh_off"][row + 1]],
            terms=a["terms"][lo:hi],
            counts=a["counts"][lo:hi],
            quoted=int(a["quoted"][row]),
        )

    def terms_of(self, article_id: str) -> tuple[np.ndarray, np.ndarray]:
        """(terms, counts) of an article, without a ``Sketch``."""
        if (sketch := self.added.get(article_id)) is not None:
            return sketch.terms, sketch.counts
        chunk, row = self.rows[article_id]
        arrays = self.chunks[chunk]["arrays"]
        lo, hi = arrays["te_off"][row], arrays["te_off"][row + 1]
        return arrays["terms"][lo:hi], arrays["counts"][lo:hi]

    def when(self, article_id: str) -> tuple[float, str]:
        """(POSIX seconds, outlet) of an article, without a ``Sketch``."""
        if (sketch := self.added.get(article_id)) is not None:
            return sketch.moment, sketch.source
        chunk, row = self.rows[article_id]
        arrays = self.chunks[chunk]["arrays"]
        return float(arrays["moment"][row]), self.sources[arrays["source"][row]]

    def day_of(self, article_id: str) -> int | None:
        """The article's Indonesian day (None when undated or unknown), without a ``Sketch``."""
        if (sketch := self.added.get(article_id)) is not None:
            return sketch.day
        if (found := self.rows.get(article_id)) is None:
            return None
        return int(self.chunks[found[0]]["arrays"]["day"][found[1]]) or None

    def of_source(self, source: str) -> list[Sketch]:
        """The sketches of one outlet, saved ones first (in saved order), then the added."""
        import numpy as np

        found = []
        code = self.sources.index(source) if source in self.sources else -1
        for n, chunk in enumerate(self.chunks):
            for row in np.flatnonzero(chunk["arrays"]["source"] == code).tolist():
                if chunk["ids"][row] is not None and chunk["ids"][row] in self.rows:
                    found.append(self._sketch(n, row))
        return found + [s for s in self.added.values() if s.source == source]

    def latest_of_source(self, source: str, count: int) -> list[Sketch]:
        """The ``count`` latest dated sketches of one outlet by day (``of_source``'s order
        on a tie), latest last: what ``_templates`` counts, without a ``Sketch`` for the
        others (an update judging one candidate made one for every article of the outlet)."""
        import numpy as np

        code = self.sources.index(source) if source in self.sources else -1
        places, days = [], []
        for n, chunk in enumerate(self.chunks):
            arrays, ids = chunk["arrays"], chunk["ids"]
            rows = np.flatnonzero((arrays["source"] == code) & (arrays["day"] != 0))
            rows = [r for r in rows.tolist() if ids[r] is not None and ids[r] in self.rows]
            places += [(n, r) for r in rows]
            days += arrays["day"][rows].tolist()
        for article_id, sketch in self.added.items():
            if sketch.source == source and sketch.day is not None:
                places.append(article_id)
                days.append(sketch.day)
        latest = np.argsort(np.array(days, dtype=np.int64), kind="stable")[-count:].tolist()
        return [
            self.added[place] if isinstance(place, str) else self._sketch(*place)
            for place in (places[k] for k in latest)
        ]

    def add(self, sketches: dict[str, Sketch]) -> None:
        """Record new or changed sketches (a changed one's old terms leave the frequencies)."""
        self.remove([i for i in sketches if i in self])
        self.added.update(sketches)
        self._pending += [(s.terms, 1) for s in sketches.values()]

    def remove(self, article_ids) -> None:
        for article_id in article_ids:
            if article_id in self.added:
                self._pending.append((self.added.pop(article_id).terms, -1))
            elif (found := self.rows.pop(article_id, None)) is not None:
                self.chunks[found[0]]["ids"][found[1]] = None
                self._pending.append((self._sketch(*found).terms, -1))

    def document_frequencies(self) -> tuple[np.ndarray, np.ndarray]:
        """(sorted term hashes, in how many articles each occurs), the changes applied."""
        import numpy as np

        if self._pending:
            terms = np.concatenate([self.vocab, *(t for t, _ in self._pending)])
            weights = np.concatenate(
                [self.df, *(np.full(len(t), sign, dtype=np.int64) for t, sign in self._pending)]
            )
            vocab, where = np.unique(terms, return_inverse=True)
            df = np.bincount(where, weights=weights, minlength=len(vocab)).astype(np.int64)
            keep = df > 0
            self.vocab, self.df = vocab[keep].astype(np.uint32), df[keep]
            self._pending = []
        return self.vocab, self.df

    def save(self, folder: Path) -> tuple[dict, list[str]]:
        """Write the added sketches as a chunk (or all as one); (state, files no longer used)."""
        vocab, df = self.document_frequencies()
        codes = {source: code for code, source in enumerate(self.sources)}
        for sketch in self.added.values():
            codes.setdefault(sketch.source, len(codes))
        self.sources = list(codes)
        chunks = [(c["file"], c["ids"], c["arrays"], c["layout"]) for c in self.chunks]
        if self.added:
            added = list(self.added.values())
            chunks.append((None, list(self.added), _arrays_of(added, codes), None))
        gone = sum(i is None for chunk in chunks for i in chunk[1])
        old = []
        if len(chunks) > 1 and (len(chunks) > MAX_CHUNKS or gone * 10 > len(self)):
            old = [chunk[0] for chunk in chunks if chunk[0] is not None]
            chunks = [(None, *_joined(chunks), None)]
        saved = []
        for file, ids, arrays, layout in chunks:
            if file is None:
                file, layout = _write_chunk(folder, arrays)
            saved.append({"file": file, "ids": ids, "layout": layout})
        state = {"sources": self.sources, "chunks": saved, "vocab": vocab, "df": df}
        return state, old


MAX_CHUNKS = 16


def _arrays_of(sketches: list[Sketch], codes: dict[str, int]) -> dict:
    """The flat arrays of ``sketches``."""
    import numpy as np

    return {
        "day": np.array([s.day or 0 for s in sketches], dtype=np.int32),
        "moment": np.array([s.moment for s in sketches], dtype=np.float64),
        "source": np.array([codes[s.source] for s in sketches], dtype=np.int32),
        "quoted": np.array([s.quoted for s in sketches], dtype=np.int32),
        "sh_off": _offsets([len(s.shingles) for s in sketches]),
        "shingles": np.concatenate([_EMPTY(), *(s.shingles for s in sketches)]),
        "te_off": _offsets([len(s.terms) for s in sketches]),
        "terms": np.concatenate([_EMPTY(), *(s.terms for s in sketches)]),
        "counts": np.concatenate(
            [np.zeros(0, dtype=np.uint16), *(s.counts for s in sketches)]
        ).astype(np.uint16),
    }


def _joined(chunks: list[tuple]) -> tuple[list[str], dict]:
    """(ids, arrays) of the live rows of every chunk, as one."""
    import numpy as np

    ids, arrays = [], None
    for _, chunk_ids, chunk_arrays, _ in chunks:
        rows = np.array([n for n, i in enumerate(chunk_ids) if i is not None], dtype=np.int64)
        ids += [i for i in chunk_ids if i is not None]
        kept = _select(chunk_arrays, rows)
        arrays = kept if arrays is None else _join(arrays, kept)
    return ids, arrays


def _write_chunk(folder: Path, arrays: dict) -> tuple[str, dict]:
    """Write ``arrays`` raw into a new chunk file; (its name, where each array lies)."""
    name = f"stories-{time.time_ns():x}-{os.getpid()}.bin"
    layout, offset = {}, 0
    with open(folder / name, "wb") as f:
        for key in _ARRAYS:
            data = arrays[key]
            layout[key] = (data.dtype.str, offset, len(data))
            f.write(data.tobytes())
            pad = -(offset + data.nbytes) % 8
            f.write(b"\0" * pad)
            offset += data.nbytes + pad
    return name, layout


def _map_chunk(path: Path, layout: dict) -> dict:
    """The arrays of a chunk file, mapped into memory (read only)."""
    import numpy as np

    # Plain array views of the map (it stays open through them): indexing a
    # ``memmap`` runs Python code each time, a tenth of an update's time at 250k rows.
    whole = np.memmap(path, dtype=np.uint8, mode="r").view(np.ndarray)
    return {
        key: whole[offset : offset + length * np.dtype(dtype).itemsize].view(dtype)
        for key, (dtype, offset, length) in layout.items()
    }


def _offsets(lengths: list[int]) -> np.ndarray:
    import numpy as np

    return np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int64)


def _gather(offsets: np.ndarray, data: np.ndarray, rows: np.ndarray):
    """(offsets, data) of ``rows`` of a ragged array, in that order."""
    import numpy as np

    starts, lengths = offsets[rows], offsets[rows + 1] - offsets[rows]
    new_offsets = _offsets(lengths)
    index = np.repeat(starts - new_offsets[:-1], lengths) + np.arange(new_offsets[-1])
    return new_offsets, data[index]


def _select(arrays: dict, rows: np.ndarray) -> dict:
    """The flat arrays of ``rows`` only (the arrays themselves when every row is kept)."""
    import numpy as np

    if len(rows) == len(arrays["day"]) and np.array_equal(rows, np.arange(len(rows))):
        return arrays
    sh_off, shingles = _gather(arrays["sh_off"], arrays["shingles"], rows)
    te_off, terms = _gather(arrays["te_off"], arrays["terms"], rows)
    _, counts = _gather(arrays["te_off"], arrays["counts"], rows)
    picked = {name: arrays[name][rows] for name in ("day", "moment", "source", "quoted")}
    return (
        picked
        | {"sh_off": sh_off, "shingles": shingles, "te_off": te_off}
        | {
            "terms": terms,
            "counts": counts,
        }
    )


def _join(first: dict, second: dict) -> dict:
    """Two tables' flat arrays, one after the other."""
    import numpy as np

    joined = {name: np.concatenate([first[name], second[name]]) for name in _ARRAYS}
    for off, data in (("sh_off", "shingles"), ("te_off", "terms")):
        joined[off] = np.concatenate([first[off], second[off][1:] + len(first[data])])
    return joined
