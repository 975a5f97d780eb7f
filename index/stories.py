"""Two levels of sameness: copies (collapsed) and stories (shown together).

Each article gets a *sketch* beside its MinHash signature: its publication
day (the WIB day), its outlet, its content-stem pair shingles and its
content-stem counts (title and body).

- **Templates.** A shingle an outlet uses on ``TEMPLATE_DAYS`` or more
  distinct days (recipe intros, price-report formats, recycled openings) says
  nothing about two of its articles. Days are counted, not articles, so an
  outlet reposting one text on one day does not make it a template; only each
  outlet's ``TEMPLATE_SAMPLE`` latest articles are counted (bounded memory).
- **Copies.** MinHash banding finds the candidates (``dedup``); a candidate is
  a copy only when the exact Jaccard similarity of the two template-free
  shingle sets reaches ``COPY_JACCARD``, the shorter text is at least
  ``COPY_CONTAINED`` within the other and the two were published at most
  ``COPY_DAYS`` apart (undated articles, such as plain text files, are judged
  by the MinHash threshold alone) (thresholds fitted on the tune split of
  ``bench/judged/story_pairs.tsv``, see docs/BENCHMARKS.md).
- **Stories.** Separate reports of one event share rare words (names, places)
  and days. Articles are taken in time order; each copy group's first article
  joins the story whose *first* article is the most similar by TF-IDF cosine
  (stems in 2 to ``MAX_DF_SHARE`` of the archive), at least ``STORY_COSINE``,
  and at most ``STORY_DAYS`` older; otherwise it starts a story. Comparing with
  the first article, not with any member, keeps stories from chaining into
  one giant cluster. A story's id is its first article's id, so an update that
  adds an article leaves the other articles' story ids as they were. Copies
  follow the story of their group.

The sketches and stories are kept beside the index (``stories.pickle``), so an
update places only the articles that changed.
"""

from __future__ import annotations

import math
import os
import pickle
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from .analysis import Stemmer
from .dedup import _word_hashes, content_stems, minhash_of, pair_hashes

if TYPE_CHECKING:
    import numpy as np

STORIES_FILE = "stories.pickle"
TEMPLATE_DAYS = 5
TEMPLATE_SAMPLE = 2000  # latest articles per outlet whose shingles are counted
COPY_JACCARD = 0.3
COPY_CONTAINED = 0.6  # of the shorter template-free text
COPY_DAYS = 1
STORY_COSINE = 0.45
STORY_DAYS = 2
MAX_DF_SHARE = 0.02
MIN_MOST_DF = 5  # a small archive still counts a name shared by a few reports
WIB = timezone(timedelta(hours=7))


@dataclass(frozen=True)
class Sketch:
    """What comparing an article needs: day, outlet, shingles and stem counts."""

    day: int | None  # proleptic ordinal of the WIB day, None when undated
    moment: float  # POSIX seconds of the publication (naive: WIB), 0 when undated
    source: str
    shingles: np.ndarray  # sorted unique uint32 content-stem pair hashes of the body
    terms: np.ndarray  # sorted unique uint32 stem hashes of title and body
    counts: np.ndarray  # how often each of ``terms`` occurs


def publication_day(published: str | None) -> tuple[int | None, float]:
    """(WIB calendar day as an ordinal or None, POSIX seconds or 0) of an ISO date."""
    if not published:
        return None, 0.0
    try:
        moment = datetime.fromisoformat(published.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = datetime.fromisoformat(published[:10])
        except ValueError:
            return None, 0.0
    moment = moment.replace(tzinfo=WIB) if moment.tzinfo is None else moment.astimezone(WIB)
    return moment.date().toordinal(), moment.timestamp()


def sign_article(article, stemmer: Stemmer) -> tuple[np.ndarray | None, Sketch]:
    """(MinHash signature, sketch) of one article, stemming its body once."""
    import numpy as np

    stems = content_stems(article.body, stemmer)
    shingles = np.asarray(pair_hashes(stems), dtype=np.uint32)
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
    )
    return minhash_of(shingles.tolist()), sketch


class Stories:
    """The sketches of the indexed articles and every article's story."""

    def __init__(self):
        self.sketches: dict[str, Sketch] = {}
        self.story: dict[str, str] = {}  # article id → story id (its own id when alone)
        self._templates: dict[str, np.ndarray] | None = None

    def __getstate__(self):
        return {"sketches": self.sketches, "story": self.story}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._templates = None

    # Copies -----------------------------------------------------------------

    def templates(self, source: str) -> np.ndarray:
        """The sorted template shingles of one outlet."""
        if self._templates is None:
            self._templates = _templates(self.sketches.values())
        return self._templates.get(source, _EMPTY())

    def clean_shingles(self, article_id: str) -> np.ndarray:
        """The article's shingles without its outlet's templates."""
        import numpy as np

        sketch = self.sketches[article_id]
        return np.setdiff1d(sketch.shingles, self.templates(sketch.source), assume_unique=True)

    def is_copy(self, a: str, b: str) -> bool:
        """Whether two MinHash candidates are copies (template-free text, close in time)."""
        import numpy as np

        sa, sb = self.sketches.get(a), self.sketches.get(b)
        if sa is None or sb is None:
            return False
        if sa.day is None or sb.day is None:
            # No time to judge by (plain text files): the MinHash threshold alone decides.
            return True
        if abs(sa.day - sb.day) > COPY_DAYS:
            return False
        ca, cb = self.clean_shingles(a), self.clean_shingles(b)
        if not len(ca) or not len(cb):
            return False
        shared = len(np.intersect1d(ca, cb, assume_unique=True))
        jaccard = shared / (len(ca) + len(cb) - shared)
        return jaccard >= COPY_JACCARD and shared / min(len(ca), len(cb)) >= COPY_CONTAINED

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
        self._place(leaders, self.story)
        placed = {}
        for article_id in changed:
            group = copy_groups.get(article_id, article_id)
            placed[article_id] = self.story[article_id] = self.story.get(group, group)
        return placed

    def forget(self, article_ids) -> None:
        """Drop deleted articles (a story keeps its first article's id as its label)."""
        for article_id in article_ids:
            self.sketches.pop(article_id, None)
            self.story.pop(article_id, None)
        self._templates = None

    def add_sketches(self, sketches: dict[str, Sketch]) -> None:
        """Record the sketches of new or changed articles."""
        self.sketches.update(sketches)
        self._templates = None

    def _place(self, new: list[str], existing: dict[str, str]) -> None:
        """Stories for the ``new`` copy-group leaders, in time order.

        Candidates are the stories started at most ``STORY_DAYS`` earlier
        (among ``existing`` and those started by ``new``); cosines are computed
        one day of new articles at a time against that window.
        """
        vectors = _Vectors(self.sketches)
        by_day: dict[int, list[str]] = {}
        for article_id in new:
            day = self.sketches[article_id].day if article_id in self.sketches else None
            if day is None:
                self.story[article_id] = article_id
            else:
                by_day.setdefault(day, []).append(article_id)
        starts: dict[int, list[str]] = {}  # day → first articles of stories started then
        for article_id, story in existing.items():
            sketch = self.sketches.get(article_id)
            if story == article_id and sketch is not None and sketch.day is not None:
                starts.setdefault(sketch.day, []).append(article_id)
        for day in sorted(by_day):
            today = sorted(by_day[day], key=lambda i: (self.sketches[i].moment, i))
            window = [i for d in range(day - STORY_DAYS, day + 1) for i in starts.get(d, [])]
            similarity = vectors.cosines(today, window + today)
            for row, article_id in enumerate(today):
                story = article_id
                open_ = [c for c, i in enumerate(window + today) if self.story.get(i) == i]
                open_ = [c for c in open_ if c < len(window) or c - len(window) < row]
                if open_:
                    best = max(open_, key=lambda c: similarity[row, c])
                    if similarity[row, best] >= STORY_COSINE:
                        story = (window + today)[best]
                self.story[article_id] = story
                if story == article_id:
                    starts.setdefault(day, []).append(article_id)

    def save(self, gen_dir: str | os.PathLike) -> None:
        """Write the sketches and stories beside the index (atomically)."""
        path = Path(gen_dir) / STORIES_FILE
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)

    @classmethod
    def load(cls, gen_dir: str | os.PathLike) -> Stories:
        """Read the stories kept beside an index (empty if there are none)."""
        try:
            with open(Path(gen_dir) / STORIES_FILE, "rb") as f:
                return pickle.load(f)
        except FileNotFoundError:
            return cls()


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

    def __init__(self, sketches: dict[str, Sketch]):
        import numpy as np

        self.sketches = sketches
        self.size = len(sketches)
        if sketches:
            every = np.concatenate([s.terms for s in sketches.values()])
            self.vocab, self.df = np.unique(every, return_counts=True)
        else:
            self.vocab, self.df = _EMPTY(), np.zeros(0, dtype=np.int64)
        self.most = max(MIN_MOST_DF, MAX_DF_SHARE * self.size)
        self._rows: dict[str, tuple] = {}

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

        rows, cols, vals = [], [], []
        for row, article_id in enumerate(ids):
            columns, weights = self._row(article_id)
            rows.append(np.full(len(weights), row))
            cols.append(columns)
            vals.append(weights)
        if not ids:
            return sparse.csr_matrix((0, len(self.vocab)))
        return sparse.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(len(ids), len(self.vocab)),
        )

    def cosines(self, left: list[str], right: list[str]) -> np.ndarray:
        """Dense matrix of cosines between ``left`` and ``right`` articles."""
        return (self.matrix(left) @ self.matrix(right).T).toarray()
