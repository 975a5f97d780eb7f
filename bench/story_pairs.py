"""The judged set for issue 12: article pairs labelled copy, same-event, related or different.

Texts stay in ``../shared/data/news`` (third-party data); the repository keeps
only article ids and labels (``bench/judged/``). Commands:

    python bench/story_pairs.py sample          # candidates -> bench/judged/story_candidates.tsv
    python bench/story_pairs.py show 0 2 4 ...  # print pairs in full, for reading
    python bench/story_pairs.py merge           # labels_even + labels_odd -> story_pairs.tsv
    python bench/story_pairs.py score ASSIGNMENT.tsv [--split heldout2]
    python bench/story_pairs.py assign-today DATA_DIR OUT.tsv
    python bench/story_pairs.py features DATA_DIR OUT.tsv   # per-pair features, for tuning
    python bench/story_pairs.py regroup DATA_DIR OUT.tsv    # groups afresh from kept sketches

ASSIGNMENT.tsv has a header and the columns id, copy_group, story: the id of
the article's collapsed near-duplicate group and of its story (each empty
when the article stands alone). See bench/judged/README.md for the method.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import random
import re
import sys
import textwrap
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from scipy import sparse

from index import WartaIndexError, index_path, open_index

HERE = Path(__file__).resolve().parent
JUDGED = HERE / "judged"
CANDIDATES = JUDGED / "story_candidates.tsv"
LABELS = {"copy", "same-event", "related", "different"}
LABEL_FILES = (JUDGED / "labels_even.tsv", JUDGED / "labels_odd.tsv")
FINAL = JUDGED / "story_pairs.tsv"
DEFAULT_NEWS = HERE.parent.parent / "shared" / "data" / "news"
NEWS_FILES = ("clickid.jsonl.gz", "indosum_dev.jsonl.gz")

SEED = 12  # the number: every random choice below starts from it
SHINGLE = 5  # words per shingle
HELDOUT_SHARE = 0.4

WORD = re.compile(r"\w+")
# Capitalised words (names, places, organisations) as written in the text.
NAME = re.compile(r"\b[A-Z][A-Za-z]{2,}\b|\b[A-Z]{2,}\b")


@dataclass(frozen=True)
class News:
    id: str
    title: str
    day: date
    time: str
    source: str
    url: str
    body: str


def load_news(news_dir: Path) -> list[News]:
    """Every article of the news files, in file order."""
    found = []
    for name in NEWS_FILES:
        path = news_dir / name
        if not path.is_file():
            sys.exit(
                f"{path} is missing: pass --news DIR, the folder holding {', '.join(NEWS_FILES)}."
            )
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                a = json.loads(line)
                found.append(
                    News(
                        id=a["id"],
                        title=a.get("title") or "",
                        day=date.fromisoformat(a["date"][:10]),
                        time=a.get("time") or "",
                        source=a.get("source") or "",
                        url=a.get("url") or "",
                        body=a.get("body") or "",
                    )
                )
    return found


def normal_words(text: str) -> list[str]:
    """Lower-cased words of the NFKC-normalised text."""
    return WORD.findall(unicodedata.normalize("NFKC", text).lower())


def shingle_hashes(words: list[str], vocab: dict[str, int]) -> np.ndarray:
    """Sorted distinct 64-bit ids of the text's 5-word shingles (one shingle if shorter)."""
    ids = np.array([vocab.setdefault(w, len(vocab)) for w in words] or [0], dtype=np.uint64)
    if len(ids) < SHINGLE:
        ids = np.pad(ids, (0, SHINGLE - len(ids)), constant_values=np.uint64(2**63))
    h = np.zeros(len(ids) - SHINGLE + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(SHINGLE):
            h = h * np.uint64(1_000_003) + ids[k : len(ids) - SHINGLE + 1 + k]
    return np.unique(h)


def columns(matrix: sparse.csr_matrix, row: int) -> np.ndarray:
    """The sorted column numbers of a row's non-zero entries."""
    return matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]]


class Corpus:
    """The articles, their shingle sets as a sparse matrix, and what is derived from them."""

    def __init__(self, news: list[News]):
        self.news = news
        self.row = {a.id: n for n, a in enumerate(news)}
        vocab: dict[str, int] = {}
        sets = [shingle_hashes(normal_words(a.body), vocab) for a in news]
        self.sizes = np.array([len(s) for s in sets], dtype=np.int64)
        flat = np.concatenate(sets)
        self.shingle_ids, cols = np.unique(flat, return_inverse=True)
        rows = np.repeat(np.arange(len(sets)), self.sizes)
        data = np.ones(len(flat), dtype=np.int32)
        self.matrix = sparse.csr_matrix(
            (data, (rows, cols)), shape=(len(sets), len(self.shingle_ids))
        )

    def shared(self, a: int, b: int) -> int:
        """How many shingles two articles share."""
        return len(
            np.intersect1d(columns(self.matrix, a), columns(self.matrix, b), assume_unique=True)
        )

    def jaccard(self, a: int, b: int) -> float:
        """Exact Jaccard similarity of two articles' shingle sets."""
        inter = self.shared(a, b)
        return float(inter / (self.sizes[a] + self.sizes[b] - inter))

    def similar_pairs(
        self, least: float, chunk: int = 400
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows a, rows b, Jaccard) of every pair a < b at ``least`` or more, exactly."""
        found_a, found_b, found_j = [], [], []
        transposed = self.matrix.T.tocsc()
        for start in range(0, self.matrix.shape[0], chunk):
            product = (self.matrix[start : start + chunk] @ transposed).tocoo()
            a = product.row.astype(np.int64) + start
            b = product.col.astype(np.int64)
            keep = a < b
            a, b, inter = a[keep], b[keep], product.data[keep]
            j = inter / (self.sizes[a] + self.sizes[b] - inter)
            keep = j >= least
            found_a.append(a[keep])
            found_b.append(b[keep])
            found_j.append(j[keep])
        return np.concatenate(found_a), np.concatenate(found_b), np.concatenate(found_j)


# ---------------------------------------------------------------- names and templates

# Capitalised words that are not names: days, months, titles, sentence openers
# (the document-frequency bound removes most; these are frequent in every outlet).
NOT_NAMES = {
    "Senin",
    "Selasa",
    "Rabu",
    "Kamis",
    "Jumat",
    "Sabtu",
    "Minggu",
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
    "WIB",
    "WITA",
    "WIT",
    "Baca",
    "Juga",
    "Foto",
    "Video",
    "Ilustrasi",
}


def rare_names(news: list[News], most: int) -> list[set[str]]:
    """Per article, its capitalised words found in at most ``most`` articles (and in 2 or more)."""
    found = [set(NAME.findall(f"{a.title} {a.body}")) - NOT_NAMES for a in news]
    df = Counter(n for names in found for n in names)
    return [{n for n in names if 2 <= df[n] <= most} for names in found]


def name_pairs(names: list[set[str]]) -> Counter:
    """(row a, row b) → how many rare names the two articles share, for pairs sharing any."""
    holders = defaultdict(list)
    for row, found in enumerate(names):
        for n in found:
            holders[n].append(row)
    shared: Counter = Counter()
    for rows in holders.values():
        for i, a in enumerate(rows):
            for b in rows[i + 1 :]:
                shared[a, b] += 1
    return shared


def template_shingles(corpus: Corpus, least: int) -> sparse.csr_matrix:
    """Rows × shingles: an article's shingles found in ``least`` or more articles of its outlet."""
    sources = np.array([a.source for a in corpus.news])
    kept = []
    for source in sorted(set(sources.tolist())):
        rows = np.flatnonzero(sources == source)
        part = corpus.matrix[rows]
        frequent = np.asarray(part.sum(axis=0)).ravel() >= least
        mask = sparse.diags(frequent.astype(np.int32), dtype=np.int32)
        kept.append((rows, part @ mask))
    order = np.argsort(np.concatenate([rows for rows, _ in kept]))
    template = sparse.vstack([m for _, m in kept]).tocsr()[order]
    template.eliminate_zeros()
    template.sort_indices()
    return template


# ---------------------------------------------------------------- sampling

BANDS = ((0.05, 0.1), (0.1, 0.2), (0.2, 0.3), (0.3, 0.5), (0.5, 0.8), (0.8, 1.0))
PER_BAND = 15  # pairs per band and outlet relation (same / different)
NAME_DF = 30  # a "rare" name is in at most this many articles
NAME_TIERS = ((3, 3), (4, 5), (6, 10_000))  # shared rare names
SAME_EVENT_PER_TIER = 25
FOLLOW_UP_PER_TIER = 15
TEMPLATE_DF = 5  # a shingle in this many articles of one outlet is template text
TEMPLATE_SHARED = 10  # shared template shingles: a passage of 14 words or more
TEMPLATE_RESIDUAL = 0.15  # Jaccard of what is left: different content
TEMPLATE_PAIRS = 45
RANDOM_SAME_DAY = 40


@dataclass
class Candidate:
    a: int
    b: int
    stratum: str
    similarity: float = 0.0


def take_turns(queues: list[list], want: int) -> list:
    """Up to ``want`` items, one from each queue in turn."""
    queues = [list(q) for q in queues]
    chosen = []
    while len(chosen) < want and any(queues):
        for q in queues:
            if q and len(chosen) < want:
                chosen.append(q.pop(0))
    return chosen


def round_robin(pairs: list, key, want: int, rng: random.Random) -> list:
    """Up to ``want`` pairs, taken in turn from the groups ``key`` makes (so no group dominates)."""
    groups = defaultdict(list)
    for p in pairs:
        groups[key(p)].append(p)
    queues = [rng.sample(g, len(g)) for _, g in sorted(groups.items())]
    rng.shuffle(queues)
    return take_turns(queues, want)


class Sampler:
    """Draws the candidate pairs of every stratum; a pair is drawn once, by the first stratum."""

    def __init__(self, corpus: Corpus, rng: random.Random, log=print):
        self.corpus = corpus
        self.news = corpus.news
        self.rng = rng
        self.log = log
        self.taken: set[tuple[int, int]] = set()
        self.chosen: list[Candidate] = []
        self.population: dict[str, int] = {}  # stratum -> pairs it was drawn from
        a, b, j = corpus.similar_pairs(BANDS[0][0])
        self.similar = {(int(x), int(y)): float(s) for x, y, s in zip(a, b, j, strict=True)}

    def take(self, stratum: str, pairs: list[tuple[int, int]], want: int, key) -> None:
        fresh = [p for p in pairs if p not in self.taken]
        self.record(stratum, round_robin(fresh, key, want, self.rng), len(fresh))

    def record(self, stratum: str, chosen: list[tuple[int, int]], population: int) -> None:
        self.log(f"{stratum}: {len(chosen)} of {population}")
        self.population[stratum] = population
        for p in chosen:
            self.taken.add(p)
            sim = self.similar.get(p)
            self.chosen.append(
                Candidate(*p, stratum, self.corpus.jaccard(*p) if sim is None else sim)
            )

    def outlets(self, pair) -> tuple[str, str]:
        return tuple(sorted((self.news[pair[0]].source, self.news[pair[1]].source)))

    def days_apart(self, pair) -> int:
        return abs((self.news[pair[0]].day - self.news[pair[1]].day).days)

    def run(self) -> list[Candidate]:
        self.by_similarity()
        self.templates()
        self.by_names()
        self.same_day()
        return self.chosen

    def by_similarity(self) -> None:
        """a. Word-shingle Jaccard bands, same outlet and different outlets."""
        for lo, hi in BANDS:
            band = [p for p, s in self.similar.items() if lo <= s < hi or (hi == 1.0 and s == 1.0)]
            for same in (True, False):
                pairs = [
                    p for p in band if (self.news[p[0]].source == self.news[p[1]].source) == same
                ]
                name = f"a-jaccard-{lo:.2f}-{hi:.2f}-{'same' if same else 'other'}-outlet"
                self.take(name, sorted(pairs), PER_BAND, self.outlets)

    def templates(self) -> None:
        """d. One outlet, a long shared passage its articles repeat, little else in common."""
        template = template_shingles(self.corpus, TEMPLATE_DF)
        shared = sparse.triu(template @ template.T, k=1).tocoo()
        keep = shared.data >= TEMPLATE_SHARED
        t_sizes = np.asarray(template.sum(axis=1)).ravel()
        which = {}  # pair -> its template: the first template shingle the two share
        for a, b, n in zip(
            shared.row[keep].tolist(),
            shared.col[keep].tolist(),
            shared.data[keep].tolist(),
            strict=True,
        ):
            if (a, b) in self.taken or self.news[a].source != self.news[b].source:
                continue
            rest = self.corpus.shared(a, b) - n
            union = self.corpus.sizes[a] - t_sizes[a] + self.corpus.sizes[b] - t_sizes[b] - rest
            if union > 0 and rest / union < TEMPLATE_RESIDUAL:
                which[a, b] = int(np.intersect1d(columns(template, a), columns(template, b))[0])
        by_source = defaultdict(list)
        for p in sorted(which):
            by_source[self.news[p[0]].source].append(p)
        # In turn by outlet, and within an outlet by template.
        queues = [
            round_robin(by_source[s], which.get, len(by_source[s]), self.rng)
            for s in sorted(by_source)
        ]
        self.rng.shuffle(queues)
        used: set[int] = set()  # an article in one template pair only
        chosen = []
        for p in take_turns(queues, len(which)):
            if len(chosen) < TEMPLATE_PAIRS and not used & set(p):
                chosen.append(p)
                used.update(p)
        self.record("d-template-same-outlet", chosen, len(which))

    def by_names(self) -> None:
        """b. Other outlets, within 2 days; c. 3 to 30 days apart: sharing rare names, few words."""
        shared = name_pairs(rare_names(self.news, NAME_DF))
        low = {p: n for p, n in shared.items() if self.similar.get(p, 0.0) < BANDS[0][0]}
        for lo, hi in NAME_TIERS:
            tier = sorted(p for p, n in low.items() if lo <= n <= hi)
            near = [p for p in tier if self.days_apart(p) <= 2 and len(set(self.outlets(p))) == 2]
            label = f"{lo}" if lo == hi else f"{lo}-{hi}" if hi < 100 else f"{lo}+"
            self.take(
                f"b-names-{label}-other-outlet-within-2d", near, SAME_EVENT_PER_TIER, self.outlets
            )
        for lo, hi in NAME_TIERS:
            tier = sorted(p for p, n in low.items() if lo <= n <= hi)
            later = [p for p in tier if 3 <= self.days_apart(p) <= 30]
            label = f"{lo}" if lo == hi else f"{lo}-{hi}" if hi < 100 else f"{lo}+"
            self.take(f"c-names-{label}-apart-3-30d", later, FOLLOW_UP_PER_TIER, self.outlets)

    def same_day(self) -> None:
        """e. Random pairs published the same day."""
        by_day = defaultdict(list)
        for row, a in enumerate(self.news):
            by_day[a.day].append(row)
        rows = [r for rs in by_day.values() if len(rs) > 1 for r in rs]
        pairs = set()
        while len(pairs) < RANDOM_SAME_DAY * 3:
            a = self.rng.choice(rows)
            b = self.rng.choice(by_day[self.news[a].day])
            if a != b:
                pairs.add((min(a, b), max(a, b)))
        pool = sorted(pairs)
        self.rng.shuffle(pool)
        fresh = [p for p in pool if p not in self.taken][:RANDOM_SAME_DAY]
        self.record(
            "e-random-same-day", fresh, sum(len(r) * (len(r) - 1) // 2 for r in by_day.values())
        )


def interleave(candidates: list[Candidate], rng: random.Random) -> list[Candidate]:
    """Reading order: strata mixed, two pairs at a time per stratum (one even, one odd number)."""
    by_stratum = defaultdict(list)
    for c in candidates:
        by_stratum[c.stratum].append(c)
    couples = []
    for stratum in sorted(by_stratum):
        items = by_stratum[stratum]
        couples += [items[i : i + 2] for i in range(0, len(items), 2)]
    rng.shuffle(couples)
    return [c for couple in couples for c in couple]


# ---------------------------------------------------------------- the second held-out set

CANDIDATES2 = JUDGED / "story_candidates2.tsv"
LABELS2 = JUDGED / "labels_heldout2.tsv"
SEED2 = 1212  # a seed of its own: the second draw shares nothing with the first
PER_BAND2 = 8  # pairs per Jaccard band and outlet relation
COPY_BANDS = ((0.15, 0.29), (0.29, 0.45), (0.45, 0.8))  # template-free Jaccard, MinHash candidates
PER_COPY_BAND = 9
COSINE_BANDS = ((0.25, 0.35), (0.35, 0.5), (0.5, 0.8))  # TF-IDF cosine within 2 days
PER_COSINE_BAND = 7
NAMES2 = 12  # other outlets within 2 days sharing 4 or more rare names, little text
RANDOM2 = 6
CANDIDATES3 = JUDGED / "story_candidates3.tsv"
LABELS3 = JUDGED / "labels_heldout3.tsv"
SEED3 = 1313  # the third draw (fifth session): same strata as the second, none of its pairs


class IndexFeatures:
    """What Warta's sketches say about pairs of a built index (never its copy or story output)."""

    def __init__(self, data_dir: Path):
        from index.dedup import DuplicateGroups
        from index.stories import Stories, _Vectors

        gen_dir = index_path(data_dir).resolve()
        self.groups, self.stories = DuplicateGroups.load(gen_dir), Stories.load(gen_dir)
        self.vectors = _Vectors(self.stories.sketches)
        self._clean: dict[str, np.ndarray] = {}

    def clean(self, article_id: str) -> np.ndarray:
        if (found := self._clean.get(article_id)) is None:
            found = self._clean[article_id] = self.stories.clean_shingles(article_id)
        return found

    def clean_jaccard(self, a: str, b: str) -> float:
        ca, cb = self.clean(a), self.clean(b)
        shared = len(np.intersect1d(ca, cb, assume_unique=True))
        return shared / max(1, len(ca) + len(cb) - shared)

    def hours(self, a: str, b: str) -> float:
        return abs(self.stories.sketches.when(a)[0] - self.stories.sketches.when(b)[0]) / 3600

    def minhash_candidates(self) -> list[tuple[str, str]]:
        """(earlier id, later id) of every pair sharing a band at MinHash 0.1 or more."""
        ids = self.groups.ids
        return [
            (ids[e], ids[later])
            for later, earlier in self.groups._similar_earlier().items()
            for e in earlier
        ]

    def cosine_pairs(self, least: float, most_days: int, chunk: int = 2000) -> dict:
        """{(id a, id b): cosine} of dated pairs at most ``most_days`` apart, cosine >= least."""
        table = self.stories.sketches
        ids = sorted(i for i in table if table.day_of(i) is not None)
        days = np.array([table.day_of(i) for i in ids])
        matrix = self.vectors.matrix(ids).tocsr()
        transposed = matrix.T.tocsc()
        found = {}
        for start in range(0, len(ids), chunk):
            product = (matrix[start : start + chunk] @ transposed).tocoo()
            a = product.row.astype(np.int64) + start
            b = product.col.astype(np.int64)
            keep = (a < b) & (product.data >= least) & (np.abs(days[a] - days[b]) <= most_days)
            for x, y, c in zip(
                a[keep].tolist(), b[keep].tolist(), product.data[keep].tolist(), strict=True
            ):
                found[ids[x], ids[y]] = c
        return found


def sample2(news_dir: Path, data_dir: Path, seed: int = SEED2, out: Path = CANDIDATES2) -> None:
    """Draw the second held-out set: new pairs, stratified as the first plus the pairs near
    the copy and story thresholds (bench/judged/README.md, "The second held-out set").

    With ``seed``/``out`` of the third set, the same strata are drawn again, leaving out
    every pair of ``story_pairs.tsv`` (the first and second sets).
    """
    corpus = Corpus(load_news(news_dir))
    rng = random.Random(seed)
    sampler = Sampler(corpus, rng)
    row = corpus.row
    for p in read_tsv(FINAL):
        a, b = sorted((row[p["id_a"]], row[p["id_b"]]))
        sampler.taken.add((a, b))
    first = len(sampler.taken)
    feats = IndexFeatures(data_dir)

    def rows_of(pairs):
        return sorted({tuple(sorted((row[a], row[b]))) for a, b in pairs if a in row and b in row})

    # f. MinHash candidates at most 2 days apart, by template-free Jaccard around the copy rules.
    candidates = [(a, b) for a, b in feats.minhash_candidates() if feats.hours(a, b) <= 48]
    jac = {p: feats.clean_jaccard(*p) for p in candidates}
    for lo, hi in COPY_BANDS:
        for same in (True, False):
            band = [
                p
                for p, j in jac.items()
                if lo <= j < hi
                and (feats.stories.sketches.when(p[0])[1] == feats.stories.sketches.when(p[1])[1])
                == same
            ]
            name = f"f-minhash-clean-{lo:.2f}-{hi:.2f}-{'same' if same else 'other'}-outlet"
            sampler.take(name, rows_of(band), PER_COPY_BAND, sampler.outlets)
    # g. Within 2 days, by TF-IDF cosine around the story rules, little text in common.
    cosines = feats.cosine_pairs(COSINE_BANDS[0][0], 2)
    for lo, hi in COSINE_BANDS:
        for same in (True, False):
            band = [
                p
                for p, c in cosines.items()
                if lo <= c < hi
                and (feats.stories.sketches.when(p[0])[1] == feats.stories.sketches.when(p[1])[1])
                == same
            ]
            name = f"g-cosine-{lo:.2f}-{hi:.2f}-{'same' if same else 'other'}-outlet"
            chosen = [p for p in rows_of(band) if sampler.similar.get(p, 0.0) < 0.2]
            sampler.take(name, chosen, PER_COSINE_BAND, sampler.outlets)
    # a. Exact 5-shingle Jaccard bands, as in the first set.
    for lo, hi in BANDS:
        band = [p for p, s in sampler.similar.items() if lo <= s < hi or (hi == 1.0 and s == 1.0)]
        for same in (True, False):
            pairs = [
                p for p in band if (corpus.news[p[0]].source == corpus.news[p[1]].source) == same
            ]
            name = f"a-jaccard-{lo:.2f}-{hi:.2f}-{'same' if same else 'other'}-outlet"
            sampler.take(name, sorted(pairs), PER_BAND2, sampler.outlets)
    # b. Other outlets within 2 days sharing 4+ rare names, Jaccard below 0.05.
    shared = name_pairs(rare_names(corpus.news, NAME_DF))
    near = sorted(
        p
        for p, n in shared.items()
        if n >= 4
        and sampler.similar.get(p, 0.0) < BANDS[0][0]
        and sampler.days_apart(p) <= 2
        and len(set(sampler.outlets(p))) == 2
    )
    sampler.take("b-names-4+-other-outlet-within-2d", near, NAMES2, sampler.outlets)
    # e. Random pairs of one day.
    by_day = defaultdict(list)
    for n, a in enumerate(corpus.news):
        by_day[a.day].append(n)
    days = sorted(d for d, rows in by_day.items() if len(rows) > 1)
    picked = []
    while len(picked) < RANDOM2:
        pair = tuple(sorted(rng.sample(by_day[rng.choice(days)], 2)))
        if pair not in sampler.taken and pair not in picked:
            picked.append(pair)
    sampler.record("e-random-same-day", picked, 0)
    ordered = interleave(sampler.chosen, rng)
    rows = write_candidates(out, corpus, ordered)
    print(f"{len(rows)} new pairs (none of the {first} judged before) -> {out}")


# ---------------------------------------------------------------- files


def read_tsv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def write_tsv(path: Path, fields: list[str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, fields, delimiter="\t", lineterminator="\n")
        out.writeheader()
        out.writerows(rows)


def write_candidates(path: Path, corpus, ordered) -> list[dict]:
    """Write the drawn pairs, numbered in ``ordered``'s order, as ids: the rows written."""
    rows = [
        {
            "pair_no": n,
            "id_a": corpus.news[c.a].id,
            "id_b": corpus.news[c.b].id,
            "stratum": c.stratum,
            "similarity": f"{c.similarity:.3f}",
        }
        for n, c in enumerate(ordered)
    ]
    write_tsv(path, ["pair_no", "id_a", "id_b", "stratum", "similarity"], rows)
    return rows


def sample(news_dir: Path) -> None:
    corpus = Corpus(load_news(news_dir))
    rng = random.Random(SEED)
    sampler = Sampler(corpus, rng)
    ordered = interleave(sampler.run(), rng)
    rows = write_candidates(CANDIDATES, corpus, ordered)
    print(f"{len(rows)} candidate pairs written to {CANDIDATES}")
    print("stratum\tdrawn\tpopulation")
    drawn = Counter(c.stratum for c in ordered)
    for stratum, size in sampler.population.items():
        print(f"{stratum}\t{drawn[stratum]}\t{size}")


SENTENCE = re.compile(r"(?<=[.!?\"”])\s+")


def show(
    news_dir: Path, numbers: list[int], width: int, candidates: Path = CANDIDATES, mark=False
) -> None:
    """Print pairs in full for reading (no stratum or similarity, to read them blind).

    ``mark``: B's sentences found word for word in A are printed as ``[= A]`` plus their
    first words (they were read in A already).
    """
    pairs = {int(r["pair_no"]): r for r in read_tsv(candidates)}
    unknown = sorted(set(numbers) - set(pairs))
    if unknown:
        sys.exit(
            f"No pair {unknown[0]} in {candidates.name}: pairs are numbered 0 to {len(pairs) - 1}."
        )
    news = {a.id: a for a in load_news(news_dir)}
    for n in numbers:
        row = pairs[n]
        print(f"{'=' * 30} PAIR {n} {'=' * 30}")
        for side in ("id_a", "id_b"):
            a = news[row[side]]
            print(f"--- {side[-1].upper()}: {a.id} | {a.source} | {a.day} {a.time}")
            print(f"TITLE: {a.title}")
            body = a.body
            if mark and side == "id_b":
                seen = {" ".join(normal_words(x)) for x in SENTENCE.split(news[row["id_a"]].body)}
                body = " ".join(
                    f"[= A: {' '.join(x.split()[:4])}…]"
                    if len(normal_words(x)) >= 6 and " ".join(normal_words(x)) in seen
                    else x
                    for x in SENTENCE.split(a.body)
                )
            print(textwrap.fill(body, width) if width else body)
        print()


# ---------------------------------------------------------------- labels, split, score


def pair_hash(id_a: str, id_b: str) -> bytes:
    return hashlib.sha1(f"{id_a}\t{id_b}".encode()).digest()


def heldout_pairs(candidates: list[dict]) -> set[tuple[str, str]]:
    """The held-out pairs: never tune on these.

    In every stratum, the 40 % of its candidates with the lowest SHA-1 of
    their two ids. It depends on the candidate list only (not on labels), so
    a pair's split never changes as labels arrive, and every stratum (hence
    every kind of pair) is in both parts.
    """
    by_stratum = defaultdict(list)
    for c in candidates:
        by_stratum[c["stratum"]].append((pair_hash(c["id_a"], c["id_b"]), c["id_a"], c["id_b"]))
    held = set()
    for pairs in by_stratum.values():
        pairs.sort()
        held.update((a, b) for _, a, b in pairs[: round(HELDOUT_SHARE * len(pairs))])
    return held


def read_labels(path: Path) -> dict[int, dict]:
    labels = {}
    for row in read_tsv(path):
        label = row["label"].strip()
        if label not in LABELS:
            sys.exit(
                f"{path}: pair {row['pair_no']} has label {label!r}; use one of {sorted(LABELS)}."
            )
        labels[int(row["pair_no"])] = {"label": label, "note": (row.get("note") or "").strip()}
    return labels


def merge() -> None:
    """labels_*.tsv -> story_pairs.tsv: the first set (all tune now) and the second (heldout2).

    The first set's held-out part (``heldout_pairs``) was scored three times
    while rules were chosen, so it is folded into tune; the second set, drawn and
    labelled before any rule was changed, is the held-out part (``heldout2``).
    """
    candidates = read_tsv(CANDIDATES)
    labels: dict[int, dict] = {}
    for path in LABEL_FILES:
        if path.is_file():
            found = read_labels(path)
            stray = sorted(set(found) - {int(c["pair_no"]) for c in candidates})
            print(
                f"{path.name}: {len(found)} labels"
                + (f", {len(stray)} for no candidate (skipped)" if stray else "")
            )
            labels.update(found)
    rows = [
        {**c, **labels[int(c["pair_no"])], "split": "tune"}
        for c in candidates
        if int(c["pair_no"]) in labels
    ]
    for split, candidates_path, labels_path in (
        ("heldout2", CANDIDATES2, LABELS2),
        ("heldout3", CANDIDATES3, LABELS3),
    ):
        if candidates_path.is_file() and labels_path.is_file():
            later = read_labels(labels_path)
            print(f"{labels_path.name}: {len(later)} labels")
            rows += [
                {**c, **later[int(c["pair_no"])], "split": split}
                for c in read_tsv(candidates_path)
                if int(c["pair_no"]) in later
            ]
    fields = ["id_a", "id_b", "label", "split", "stratum", "similarity", "note"]
    write_tsv(FINAL, fields, [{k: r[k] for k in fields} for r in rows])
    print(stratum_table(rows))
    counts = Counter((r["label"], r["split"]) for r in rows)
    print(f"{len(rows)} labelled pairs written to {FINAL}")
    for label in sorted(LABELS):
        print(
            f"  {label:11} tune {counts[label, 'tune']:4}  heldout2 {counts[label, 'heldout2']:4}"
            f"  heldout3 {counts[label, 'heldout3']:4}"
        )


def read_assignment(path: Path) -> dict[str, tuple[str, str]]:
    """id → (copy_group, story), each '' when none."""
    found = {}
    for row in read_tsv(path):
        if "id" not in row:
            sys.exit(f"{path} needs a header with the columns id, copy_group, story.")
        found[row["id"]] = ((row.get("copy_group") or "").strip(), (row.get("story") or "").strip())
    return found


def share(hits: int, total: int) -> str:
    return f"{hits / total:6.1%} ({hits}/{total})" if total else "   n/a (0/0)"


def score(assignment_path: Path, split: str | None, by_stratum: bool = False) -> None:
    assignment = read_assignment(assignment_path)
    pairs = read_tsv(FINAL)
    missing = {i for p in pairs for i in (p["id_a"], p["id_b"])} - set(assignment)
    if missing:
        print(f"note: {len(missing)} judged articles not in {assignment_path}: taken as alone")
    for part in [split] if split else ["tune", "heldout2", "heldout3", None]:
        if part and not any(p["split"] == part for p in pairs):
            continue
        chosen = [p for p in pairs if part is None or p["split"] == part]
        labels = dict(sorted(Counter(p["label"] for p in chosen).items()))
        print(f"== {part or 'all'}: {len(chosen)} pairs {labels}")
        for line in score_lines(chosen, assignment):
            print("  " + line)
        if by_stratum:
            print("\nPairs per stratum and label (in brackets: collapsed into one copy group):")
            print(stratum_table(chosen, assignment) + "\n")


def score_lines(pairs: list[dict], assignment: dict[str, tuple[str, str]]) -> list[str]:
    """The issue's five figures for these pairs, each with its target and counts."""
    collapsed, together = Counter(), Counter()
    labels = Counter()
    for p in pairs:
        (ca, sa), (cb, sb) = (assignment.get(p[k], ("", "")) for k in ("id_a", "id_b"))
        is_collapsed = bool(ca) and ca == cb
        labels[p["label"]] += 1
        collapsed[p["label"]] += is_collapsed
        together[p["label"]] += is_collapsed or (bool(sa) and sa == sb)
    all_collapsed = sum(collapsed.values())
    same_event = share(together["same-event"], labels["same-event"])
    apart = sum(labels[k] for k in ("related", "different"))
    apart_collapsed = collapsed["related"] + collapsed["different"]
    apart_together = together["related"] + together["different"]
    return [
        f"collapsed pairs that are copies         {share(collapsed['copy'], all_collapsed)}"
        "  target >= 95 %",
        f"  (collapsed: {dict(sorted((k, v) for k, v in collapsed.items() if v))})",
        f"related/different pairs collapsed       {share(apart_collapsed, apart)}  target <= 3 %",
        f"related/different in one story or copy  {share(apart_together, apart)}  target <= 10 %",
        f"copies collapsed                        {share(collapsed['copy'], labels['copy'])}"
        "  target >= 85 %",
        f"same-event in one story or collapsed    {same_event}  target >= 75 %",
        f"  (same-event collapsed: {share(collapsed['same-event'], labels['same-event'])})",
    ]


def stratum_table(pairs: list[dict], assignment: dict[str, tuple[str, str]] | None = None) -> str:
    """Markdown: labels per stratum; with an assignment, "n (c collapsed)" per cell."""
    order = ["copy", "same-event", "related", "different"]
    cells: dict[str, Counter] = defaultdict(Counter)
    collapsed: dict[str, Counter] = defaultdict(Counter)
    for p in pairs:
        cells[p["stratum"]][p["label"]] += 1
        if assignment is not None:
            (ca, _), (cb, _) = (assignment.get(p[k], ("", "")) for k in ("id_a", "id_b"))
            collapsed[p["stratum"]][p["label"]] += bool(ca) and ca == cb
    lines = ["| stratum | " + " | ".join(order) + " | all |", "|---" * (len(order) + 2) + "|"]
    for stratum in sorted(cells) + ["all"]:
        row = Counter(cells[stratum]) if stratum != "all" else sum(cells.values(), Counter())
        done = (
            Counter(collapsed[stratum]) if stratum != "all" else sum(collapsed.values(), Counter())
        )
        row["all"], done["all"] = sum(row.values()), sum(done.values())
        shown = [
            str(row[x]) if assignment is None or not row[x] else f"{row[x]} ({done[x]})"
            for x in [*order, "all"]
        ]
        lines.append(f"| {stratum} | " + " | ".join(shown) + " |")
    return "\n".join(lines)


def assign_today(data_dir: Path, out: Path) -> None:
    """Copy groups and stories from a built Warta index: the stored ``dup`` and ``story``
    fields of every document."""
    try:
        ix = open_index(index_path(data_dir))
    except WartaIndexError as e:
        sys.exit(str(e))
    with ix.searcher() as searcher:
        every = list(searcher.all_stored_fields())
    groups = {f["id"]: f.get("dup") or f["id"] for f in every}
    stories = {f["id"]: f.get("story") or f["id"] for f in every}
    sizes, story_sizes = Counter(groups.values()), Counter(stories.values())
    rows = [
        {
            "id": i,
            "copy_group": g if sizes[g] > 1 else "",
            "story": stories[i] if story_sizes[stories[i]] > 1 else "",
        }
        for i, g in sorted(groups.items())
    ]
    write_tsv(out, ["id", "copy_group", "story"], rows)
    grouped = sum(1 for r in rows if r["copy_group"])
    groups_n = sum(1 for s in sizes.values() if s > 1)
    in_stories = sum(1 for r in rows if r["story"])
    largest = max(story_sizes.values(), default=0)
    print(
        f"{len(rows)} articles, {grouped} in {groups_n} copy groups, {in_stories} in "
        f"{sum(1 for s in story_sizes.values() if s > 1)} stories (largest {largest}) -> {out}"
    )


def regroup(data_dir: Path, out: Path) -> None:
    """Copy groups and stories made afresh with today's rules from a built index's kept
    signatures and sketches (no rebuild); CPU seconds of each step, then the assignment."""
    import time

    from index.dedup import DuplicateGroups
    from index.stories import Stories

    gen_dir = index_path(data_dir).resolve()
    kept, stories = DuplicateGroups.load(gen_dir), Stories.load(gen_dir)
    rows = {article_id: n for n, article_id in enumerate(kept.ids)}
    signatures = {i: (kept.matrix[rows[i]] if i in rows else None) for i in kept.groups}
    started = time.process_time()
    groups = DuplicateGroups.from_signatures(
        signatures, kept.threshold, kept.analysis_key, stories.is_copy
    )
    grouped = time.process_time()
    stories.assign(groups.groups)
    placed = time.process_time()
    print(f"CPU s: copy groups {grouped - started:.2f}, stories {placed - grouped:.2f}")
    sizes, story_sizes = Counter(groups.groups.values()), Counter(stories.story.values())
    found = [
        {
            "id": i,
            "copy_group": g if sizes[g] > 1 else "",
            "story": stories.story[i] if story_sizes[stories.story[i]] > 1 else "",
        }
        for i, g in sorted(groups.groups.items())
    ]
    write_tsv(out, ["id", "copy_group", "story"], found)
    in_groups = sum(1 for r in found if r["copy_group"])
    in_stories = sum(1 for r in found if r["story"])
    print(
        f"{len(found)} articles, {in_groups} in {sum(1 for n in sizes.values() if n > 1)} "
        f"copy groups, {in_stories} in {sum(1 for n in story_sizes.values() if n > 1)} "
        f"stories (largest {max(story_sizes.values(), default=0)}) -> {out}"
    )


FEATURES = [
    "id_a", "id_b", "label", "split", "stratum", "same_source", "days", "hours",
    "minhash", "shares_band", "clean_jaccard", "clean_contained", "unquoted_jaccard",
    "unquoted_share", "cosine", "rare_shared",
]  # fmt: skip
RARE_DF = (2, 30)  # a stem in this many articles is a name, place or rare word


def features(data_dir: Path, out: Path) -> None:
    """Per judged pair, what Warta's copy and story rules can see, from a built index's
    kept signatures and sketches (for fitting thresholds on the tune split)."""
    from index.dedup import DuplicateGroups, _bands
    from index.stories import Stories, _Vectors

    gen_dir = index_path(data_dir).resolve()
    groups, stories = DuplicateGroups.load(gen_dir), Stories.load(gen_dir)
    rows = {article_id: n for n, article_id in enumerate(groups.ids)}
    vectors = _Vectors(stories.sketches)
    found = []
    for p in read_tsv(FINAL):
        a, b = p["id_a"], p["id_b"]
        sa, sb = stories.sketches[a], stories.sketches[b]
        ra, rb = groups.matrix[rows[a]], groups.matrix[rows[b]]
        ca, cb = stories.clean_shingles(a), stories.clean_shingles(b)
        shared = len(np.intersect1d(ca, cb))
        # Template-free shingles never inside quotation marks (the narration).
        oa = np.setdiff1d(ca, sa.quoted_shingles())
        ob = np.setdiff1d(cb, sb.quoted_shingles())
        narrated = len(np.intersect1d(oa, ob))
        outside = min(len(oa) / max(1, len(ca)), len(ob) / max(1, len(cb)))
        common = np.intersect1d(sa.terms, sb.terms)
        df = vectors.df[np.searchsorted(vectors.vocab, common)]
        dated = sa.day is not None and sb.day is not None
        found.append(
            {k: p[k] for k in ("id_a", "id_b", "label", "split", "stratum")}
            | {
                "same_source": int(sa.source == sb.source),
                "days": abs(sa.day - sb.day) if dated else "",
                "hours": f"{abs(sa.moment - sb.moment) / 3600:.1f}" if dated else "",
                "minhash": f"{(ra == rb).mean():.3f}",
                "shares_band": int((_bands(ra[None]) == _bands(rb[None])).any()),
                "clean_jaccard": f"{shared / max(1, len(ca) + len(cb) - shared):.3f}",
                "clean_contained": f"{shared / max(1, min(len(ca), len(cb))):.3f}",
                "unquoted_jaccard": f"{narrated / max(1, len(oa) + len(ob) - narrated):.3f}",
                "unquoted_share": f"{outside:.3f}",
                "cosine": f"{vectors.cosines([a], [b])[0, 0]:.3f}",
                "rare_shared": int(((df >= RARE_DF[0]) & (df <= RARE_DF[1])).sum()),
            }
        )
    write_tsv(out, FEATURES, found)
    print(f"{len(found)} pairs -> {out}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--news", type=Path, default=DEFAULT_NEWS, help="folder of the news files")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("sample", help="draw the candidate pairs")
    show_cmd = commands.add_parser("show", help="print pairs in full")
    show_cmd.add_argument("numbers", type=int, nargs="+")
    show_cmd.add_argument(
        "--width", type=int, default=0, help="wrap bodies at this width (0: no wrapping)"
    )
    show_cmd.add_argument("--second", action="store_true", help="pairs of the second set")
    show_cmd.add_argument("--third", action="store_true", help="pairs of the third set")
    show_cmd.add_argument("--mark", action="store_true", help="mark B's sentences found in A")
    sample2_cmd = commands.add_parser("sample2", help="draw the second held-out set")
    sample2_cmd.add_argument("data_dir", type=Path)
    sample3_cmd = commands.add_parser("sample3", help="draw the third held-out set (seed 1313)")
    sample3_cmd.add_argument("data_dir", type=Path)
    commands.add_parser("merge", help="combine the label files into story_pairs.tsv")
    score_cmd = commands.add_parser("score", help="score an assignment of copy groups and stories")
    score_cmd.add_argument("assignment", type=Path)
    score_cmd.add_argument("--split", choices=["tune", "heldout2", "heldout3"])
    score_cmd.add_argument("--by-stratum", action="store_true", help="also a table per stratum")
    today = commands.add_parser(
        "assign-today", help="today's copy groups from a Warta data directory"
    )
    today.add_argument("data_dir", type=Path)
    today.add_argument("out", type=Path)
    again = commands.add_parser(
        "regroup", help="copy groups and stories afresh from a data directory's kept sketches"
    )
    again.add_argument("data_dir", type=Path)
    again.add_argument("out", type=Path)
    feats = commands.add_parser(
        "features", help="per-pair features from a Warta data directory (tune on tune only)"
    )
    feats.add_argument("data_dir", type=Path)
    feats.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    if args.command == "sample":
        sample(args.news)
    elif args.command == "show":
        which = CANDIDATES3 if args.third else CANDIDATES2 if args.second else CANDIDATES
        show(args.news, args.numbers, args.width, which, args.mark)
    elif args.command == "sample2":
        sample2(args.news, args.data_dir)
    elif args.command == "sample3":
        sample2(args.news, args.data_dir, SEED3, CANDIDATES3)
    elif args.command == "merge":
        merge()
    elif args.command == "score":
        score(args.assignment, args.split, args.by_stratum)
    elif args.command == "regroup":
        regroup(args.data_dir, args.out)
    elif args.command == "features":
        features(args.data_dir, args.out)
    else:
        assign_today(args.data_dir, args.out)


if __name__ == "__main__":
    main()
