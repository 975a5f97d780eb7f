"""Did-you-mean for typos the archive has: precision and recall on judged words.

    .venv/bin/python bench/typo_eval.py [--news ../shared/data/news] [--show]
    .venv/bin/python bench/typo_eval.py --fit         # choose Rules on the tune part
    .venv/bin/python bench/typo_eval.py --harvest 900 # the candidate list that was read

``bench/judged/typos.tsv`` holds words of the 25,427 news articles that are
one or two edits from a word in at least 3x as many articles, read in their
sentences and labelled ``typo`` (with the intended word), ``correct`` (a real
word, name, inflection or another word) or ``variant`` (a non-standard but
established spelling: reported, not scored). ``split`` is deterministic: within
each label, words ordered by SHA-1, the first 40 % are held out.

The archive's real vocabulary (document and collection frequency of the
unstemmed body words, mid-sentence capitals) drives ``searcher.popular``;
Sastrawi gives stems and dictionary words. A typo counts as found only when
the suggestion is its intended word; precision counts every suggestion, on
the set's own mix and on a balanced mix (as many typos as correct words).
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
import time
from collections import Counter
from dataclasses import asdict, replace
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.analysis import exact_terms, stem  # noqa: E402
from index.words import CapitalCounts, known_word, neighbours  # noqa: E402
from searcher.popular import (  # noqa: E402
    Lookups,
    MorePopular,
    Rules,
    SpellingIndex,
    _deletes,
    osa_distance,
)

NEWS = ROOT.parent / "shared" / "data" / "news"
JUDGED = ROOT / "bench" / "judged" / "typos.tsv"
HELD_OUT_SHARE = 0.4
CONTEXTS = 8  # occurrences of a word whose neighbours are checked (as the searcher does)


# -- the archive ----------------------------------------------------------------


def read_articles(news: Path):
    for path in sorted(news.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                article = json.loads(line)
                yield article["id"], article.get("body") or ""


class Archive:
    """Word statistics of the news bodies, as the index's ``body_exact`` sees them."""

    def __init__(self, news: Path, remember: set[str] = frozenset()):
        self.df: Counter[str] = Counter()
        self.cf: Counter[str] = Counter()
        self.capitals = CapitalCounts()
        self.docs_of: dict[str, list[int]] = {}  # only for ``remember`` words
        self.terms_of: dict[int, frozenset[str]] = {}
        self.contexts: dict[str, list[tuple]] = {}  # neighbours of ``remember`` words
        self.bigrams: set[tuple[str, str]] = set()  # those asked for by ``count_bigrams``
        self.bodies: list[tuple[str, str]] = []
        for n, (article_id, body) in enumerate(read_articles(news)):
            self._add(n, body, remember)
            self.bodies.append((article_id, body))

    def _add(self, n: int, body: str, remember) -> None:
        terms = exact_terms(body)
        for term, positions in terms.items():
            self.df[term] += 1
            self.cf[term] += len(positions)
            if term in remember:
                self.docs_of.setdefault(term, []).append(n)
                self.terms_of[n] = frozenset(terms)
                if len(self.contexts.setdefault(term, [])) < CONTEXTS:
                    self.contexts[term].extend(neighbours(terms, term, CONTEXTS))
        self.capitals.add(body)

    def count_bigrams(self, index: SpellingIndex) -> None:
        """Find which (neighbour, candidate) pairs of the remembered words the archive has."""
        wanted = set()
        for word, contexts in self.contexts.items():
            for candidate in index.candidates(word, 2):
                for left, right in contexts[:CONTEXTS]:
                    wanted.update({(left, candidate), (candidate, right)})
        for _, body in self.bodies:
            terms = exact_terms(body)
            at = {p: t for t, positions in terms.items() for p in positions}
            pairs = zip(
                map(at.get, range(len(at))), map(at.get, range(1, len(at) + 1)), strict=True
            )
            self.bigrams.update(pair for pair in pairs if pair in wanted)

    def cooccur(self, word: str, other: str) -> bool:
        """Whether an article using ``word`` (a remembered word) also uses ``other``."""
        return any(other in self.terms_of[n] for n in self.docs_of.get(word, ()))

    def context(self, word: str, other: str) -> bool:
        """Whether at each occurrence of ``word`` a neighbour also stands beside ``other``."""
        contexts = self.contexts.get(word, [])[:CONTEXTS]
        return bool(contexts) and all(
            (left, other) in self.bigrams or (other, right) in self.bigrams
            for left, right in contexts
        )


def lookups(archive: Archive, cooccur: bool, context: bool = True) -> Lookups:
    known = lru_cache(maxsize=None)(known_word)
    return Lookups(
        df=archive.df.__getitem__,
        cf=archive.cf.__getitem__,
        capitalised=archive.capitals.is_name,
        stem=lru_cache(maxsize=None)(stem),
        known=known,
        cooccur=archive.cooccur if cooccur else None,
        context=archive.context if context else lambda _a, _b: False,
        articles=len(archive.bodies),
    )


# -- the judged set ---------------------------------------------------------------


def read_judged(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    for row in rows:
        row["intended"] = [w for w in row["intended"].split("|") if w]
    return rows


def expected_splits(rows: list[dict]) -> dict[str, str]:
    """The documented split: per label, SHA-1 order, the first 40 % held out."""
    splits = {}
    for label in {r["label"] for r in rows}:
        words = sorted(
            (r["word"] for r in rows if r["label"] == label),
            key=lambda w: hashlib.sha1(w.encode()).hexdigest(),
        )
        held = round(len(words) * HELD_OUT_SHARE)
        splits.update({w: "heldout" if i < held else "tune" for i, w in enumerate(words)})
    return splits


def score(rows: list[dict], suggest, split: str, show: bool = False) -> dict:
    """Counts and rates of one split."""
    r = Counter()
    for row in rows:
        if row["split"] != split:
            continue
        found = suggest(row["word"])
        label = row["label"]
        r[label] += 1
        if label == "typo":
            hit = found in row["intended"]
            r["found"] += hit
            r["wrong"] += bool(found) and not hit
        elif label == "correct":
            r["false"] += bool(found)
        else:
            r["variant_suggested"] += bool(found)
        if show and (found not in row["intended"] if label == "typo" else found):
            print(f"  {split} {label:8} {row['word']:18} -> {found} (wanted {row['intended']})")
    return rates(r)


def rates(r: Counter) -> dict:
    typos, correct = r["typo"] or 1, r["correct"] or 1
    recall, wrong, false = r["found"] / typos, r["wrong"] / typos, r["false"] / correct
    suggested = r["found"] + r["wrong"] + r["false"]
    return {
        **r,
        "recall": recall,
        "false_rate": false,
        "precision": r["found"] / suggested if suggested else 1.0,
        "balanced_precision": recall / (recall + wrong + false) if recall else 0.0,
    }


def report(name: str, s: dict) -> str:
    return (
        f"| {name} | {s['typo']} | {s['correct']} | {s['recall']:.3f} ({s['found']}) | "
        f"{s['wrong']} | {s['false_rate']:.3f} ({s['false']}) | {s['precision']:.3f} | "
        f"{s['balanced_precision']:.3f} |"
    )


# -- fitting ----------------------------------------------------------------------

GRID = {
    "ratio": [3, 10, 30, 100, 300],
    "short": [1, 3, 10, 30],
    "unusual_edit": [1, 3, 10, 30, 100],
    "name": [1, 3, 10, 30, None],
    "known_word": [10, 30, 100, None],
    "repeated": [1, 3, 10, 30],
    "plain": [1, 3, 10, 30, 100],
    "cooccurring": [1, 3, 10, 30],
    "context": [1, 3, 10, 30, 100],
    "one_edit_up_to": [7, None],
}
RESTARTS = 20


class CachedIndex:
    """The same candidates, looked up once per word (fitting asks thousands of times)."""

    def __init__(self, index: SpellingIndex):
        self.index, self.memo = index, {}

    def candidates(self, word: str, max_edits: int) -> dict[str, int]:
        key = (word, max_edits)
        if key not in self.memo:
            self.memo[key] = self.index.candidates(word, max_edits)
        return self.memo[key]


def fit(rows, index, look, target: float, restarts: int = RESTARTS) -> Rules:
    """The Rules with the best tune recall whose tune balanced precision reaches ``target``.

    Coordinate ascent over ``GRID`` from ``restarts`` random starts (seed 16):
    below the target it climbs balanced precision, above it recall.
    """
    tune = [r for r in rows if r["split"] == "tune"]
    index, rng = CachedIndex(index), random.Random(16)
    memo = {}

    def key(settings):
        frozen = tuple(sorted(settings.items()))
        if frozen not in memo:
            s = score(tune, MorePopular(index, look, Rules(**settings)).suggest, "tune")
            ok = s["balanced_precision"] >= target
            memo[frozen] = (ok, s["recall"] if ok else s["balanced_precision"], s["precision"])
        return memo[frozen]

    best = None
    for _ in range(restarts):
        current = {name: rng.choice(values) for name, values in GRID.items()}
        improved = True
        while improved:
            improved = False
            for name, values in GRID.items():
                for value in values:
                    tried = {**current, name: value}
                    if key(tried) > key(current):
                        current, improved = tried, True
        if best is None or key(current) > key(best):
            best = current
    print(f"best on tune: {key(best)} {best}")
    return Rules(**best)


ABLATION = {
    "chosen rules": {},
    "without the context check (context=1)": {"context": 1.0},
    "without co-occurrence (cooccurring=1)": {"cooccurring": 1.0},
    "no plain-typo bonus (plain=1)": {"plain": 1.0},
    "never for names (name=None)": {"name": None},
    "never for dictionary words (known_word=None)": {"known_word": None},
    "no edit kinds (unusual_edit=1)": {"unusual_edit": 1.0},
    "no repetition factor (repeated=1)": {"repeated": 1.0},
    "two edits beyond 7 letters (one_edit_up_to=7)": {"one_edit_up_to": 7},
    "plain: ratio 3, one edit up to 7 letters, two beyond, no other factor": {
        "ratio": 3.0,
        "short": 1.0,
        "one_edit_up_to": 7,
        "two_edits": 1.0,
        "unusual_edit": 1.0,
        "name": 1.0,
        "known_word": 1.0,
        "repeated": 1.0,
        "plain": 1.0,
        "cooccurring": 1.0,
        "context": 1.0,
        "max_df": 10**9,
    },
}


def ablation(rows, index, look) -> None:
    """Tune and held-out figures of the fitted rules with one part changed."""
    print(
        "| variant | recall tune | bal. precision tune | recall held out | "
        "false-suggestion rate held out | precision held out | bal. precision held out |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, change in ABLATION.items():
        suggest = MorePopular(index, look, replace(Rules(), **change)).suggest
        t, h = score(rows, suggest, "tune"), score(rows, suggest, "heldout")
        print(
            f"| {name} | {t['recall']:.3f} | {t['balanced_precision']:.3f} | "
            f"{h['recall']:.3f} | {h['false_rate']:.3f} | {h['precision']:.3f} | "
            f"{h['balanced_precision']:.3f} |"
        )


# -- harvesting -------------------------------------------------------------------


def harvest_pool(df: Counter) -> list[tuple[str, list[tuple[str, int]]]]:
    """Words with a word 1-2 edits away in >= 3x (and >= 3) articles, as first read.

    Both sides' deletes up to two (every pair within two edits), over the
    words of at least four letters; the order is a seeded shuffle of the
    sorted words, so ``--harvest N`` prints exactly the list that was labelled.
    """
    words = [w for w in df if w.isalpha() and w.isascii() and len(w) >= 4]
    by_delete: dict[str, list[str]] = {}
    for word in (w for w in words if df[w] >= 3):
        for key in _deletes(word, 2):
            by_delete.setdefault(key, []).append(word)
    pool = {}
    for word in words:
        close = {c for key in _deletes(word, 2) for c in by_delete.get(key, ()) if c != word}
        close = {c: osa_distance(word, c) for c in close if df[c] >= 3 * df[word]}
        close = [(c, d) for c, d in close.items() if d <= 2]
        close.sort(key=lambda t: (t[1], -df[t[0]]))
        if close:
            pool[word] = close
    order = sorted(pool)
    random.seed(16)
    random.shuffle(order)
    return [(w, pool[w]) for w in order]


def harvest(archive: Archive, count: int) -> None:
    """Print the first ``count`` words of the harvest pool, in context."""
    df = archive.df
    for k, (word, close) in enumerate(harvest_pool(df)[:count]):
        shown = ", ".join(f"{c}({df[c]},e{d})" for c, d in close[:3])
        print(f"#{k} {word} df={df[word]} -> {shown}")
        for line in contexts(archive, word, 2):
            print("     " + line)


def contexts(archive: Archive, word: str, limit: int) -> list[str]:
    pattern = re.compile(r"(?<!\w)" + re.escape(word) + r"(?!\w)", re.IGNORECASE)
    found = []
    for article_id, body in archive.bodies:
        m = pattern.search(body)
        if m:
            found.append(f"[{article_id}] ...{body[max(0, m.start() - 50) : m.end() + 50]}...")
            if len(found) == limit:
                break
    return found


def latency(rows: list[dict], data_dir: Path) -> None:
    """CPU milliseconds of the more-popular check per judged word, in-process, on a real index.

    First seen (a fresh searcher: nothing of the word kept yet) and repeated
    (its answer kept), and a whole ``search()`` of the word beside it.
    """
    from index import index_path
    from searcher import Searcher

    words = sorted({r["word"] for r in rows}, key=lambda w: hashlib.sha1(w.encode()).hexdigest())
    searcher = Searcher(index_path(data_dir))
    try:
        suggester = searcher.generations.current.suggester
        suggester.words()  # the vocabulary is read once per generation, before any query
        first, again, whole = [], [], []
        for word in words:
            first.append(_cpu_ms(suggester.more_popular, word))
            again.append(_cpu_ms(suggester.more_popular, word))
            whole.append(_cpu_ms(searcher.search, word))
    finally:
        searcher.close()
    for name, times in (("first seen", first), ("repeated", again), ("search()", whole)):
        times.sort()
        p50, p95 = times[len(times) // 2], times[int(len(times) * 0.95)]
        print(f"{name}: {len(times)} words, p50 {p50:.2f} ms, p95 {p95:.2f} ms CPU")


def _cpu_ms(function, *args) -> float:
    started = time.process_time()
    function(*args)
    return (time.process_time() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--news", type=Path, default=NEWS, help="Folder of *.jsonl.gz articles.")
    parser.add_argument("--judged", type=Path, default=JUDGED, help="The judged TSV.")
    parser.add_argument("--fit", action="store_true", help="Choose Rules on the tune part.")
    parser.add_argument("--target", type=float, default=0.92, help="Tune balanced precision.")
    parser.add_argument("--restarts", type=int, default=RESTARTS, help="Random starts of --fit.")
    parser.add_argument("--no-cooccur", action="store_true", help="Without the co-occurrence hint.")
    parser.add_argument("--no-context", action="store_true", help="Without the context check.")
    parser.add_argument("--show", action="store_true", help="List misses and false suggestions.")
    parser.add_argument("--harvest", type=int, default=0, help="Print N candidates to label.")
    parser.add_argument("--ablation", action="store_true", help="Held-out figures per variant.")
    parser.add_argument(
        "--heldout", action="store_true", help="Also score the held-out part (once, at the end)."
    )
    parser.add_argument("--latency", type=Path, help="Time the check on this data directory.")
    args = parser.parse_args()

    rows = read_judged(args.judged)
    if args.latency:
        latency(rows, args.latency)
        return 0
    mismatched = [r["word"] for r in rows if expected_splits(rows)[r["word"]] != r["split"]]
    if mismatched:
        print(f"split differs from the documented rule for {len(mismatched)}: {mismatched[:5]}")
        return 1
    archive = Archive(args.news, remember={r["word"] for r in rows})
    index = SpellingIndex(archive.cf.items())
    archive.count_bigrams(index)
    if args.harvest:
        harvest(archive, args.harvest)
        return 0
    look = lookups(archive, cooccur=not args.no_cooccur, context=not args.no_context)
    if args.ablation:
        ablation(rows, index, look)
        return 0
    rules = fit(rows, index, look, args.target, args.restarts) if args.fit else Rules()
    if args.no_cooccur and not args.fit:
        rules = replace(rules, cooccurring=1.0)
    print(f"articles {len(archive.bodies)}, vocabulary {len(archive.df)}, index {len(index)} words")
    print(f"rules: {asdict(rules)}\n")
    print(
        "| split | typos | correct | recall | wrong fix | false-suggestion rate | "
        "precision (set mix) | precision (balanced) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    suggest = MorePopular(index, look, rules).suggest
    for split in ("tune", "heldout") if args.heldout else ("tune",):
        s = score(rows, suggest, split, show=args.show)
        print(report(split, s))
        if split == "heldout":
            shown = f"{s['variant_suggested']} of {s['variant']}"
            print(f"\nvariants (not scored): a suggestion for {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
