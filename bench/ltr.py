"""Learning to rank, tried: LightGBM lambdarank over features Warta already computes.

Today's searcher gives its ``K`` best candidates for each question (the whole
ranking: all words or the fallback, BM25F, collapse, proximity, answers);
each candidate gets the features below; a LightGBM lambdarank model re-ranks
them. Data (``bench/relevance.py``'s two sets, built by its ``build``):

* facqa ``train`` questions, and 1,000 IndoSum queries sampled from those
  outside ``relevance.py``'s 1,000-query sample, are the training data; 20 %
  of those queries (by query, seed 16) are the validation part the
  hyper-parameters are chosen on;
* held out, reported once: facqa ``valid`` + ``test`` (622 questions) and
  ``relevance.py``'s IndoSum sample (1,000 queries).

Features are extracted once into ``bench/out/ltr/`` and training reads the
cache. LightGBM runs on one thread. See docs/BENCHMARKS.md, "Learning to rank".

    .venv/bin/python bench/ltr.py extract [--depth 50]
    .venv/bin/python bench/ltr.py train [--rerank 30] [--drop FEATURE,...] [--fixed model-50]
    .venv/bin/python bench/ltr.py cost [--sets facqa,indosum,news-questions]
    .venv/bin/python bench/ltr.py collections --sets model-50,no-length-50

``train`` and ``cost`` need ``lightgbm==4.7.0`` (a benchmark-only dependency:
the trial did not ship).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import time
from math import log1p
from pathlib import Path

import numpy as np
import relevance

from searcher import Searcher
from searcher.answers import DATE, NUMBER, answer_distance
from searcher.query import parse

OUT = relevance.ROOT / "out" / "ltr"
SEED = 16
VALIDATION_SHARE = 0.2
WINDOW = 10  # words: how close question words stand together (best window)
ANSWER_DEPTH = 20  # as the searcher: only the best 20 hits' texts are read
ANSWER_SCAN_CHARS = 6000

FEATURES = (
    "score",  # today's final score
    "rank",
    "score_share",  # score / best score of the query
    "bm25_body",
    "bm25_title",
    "bm25_body_exact",
    "bm25_title_exact",
    "coverage",  # share of the question's stems the text holds (title or body)
    "coverage_idf",  # ... weighted by idf
    "coverage_exact",  # share of the question's exact forms
    "missing",  # how many stems the text lacks
    "pairs",  # share of adjacent question-word pairs found side by side in the body
    "window_idf",  # best idf-weighted share of stems within WINDOW words of the body
    "first_position",  # log(1 + position of the first question word in the body)
    "asks_number",
    "asks_date",
    "answer_closeness",  # 1 / (1 + distance to the nearest number or date), 0 when none
    "body_length",  # log words
    "title_length",
    "query_words",
    "loose",  # matched by the fallback (not every word)
    # From the text itself (every question word, stopwords included, exact forms):
    "all_coverage",  # share of the question's words the text holds
    "longest_run",  # longest run of the question's words found in the same order / words
    "question_density",  # question words per 100 words of the text's first part
)
TEXT_CHARS = 6000  # the text features read this much of each candidate


class Extractor:
    """Features of a query's best candidates, from one open searcher's pipeline."""

    def __init__(self, searcher: Searcher):
        self.pipeline = searcher.generations.current
        self.scorer = self.pipeline.scorer
        self.reader = self.scorer.reader
        self.size = self.scorer.size
        self.text_seconds = 0.0  # CPU of the last call's text features

    def candidates(self, question: str, depth: int):
        """(plan, loose, [(docnum, score)] in today's order, at most ``depth``, collapse bits)."""
        p = self.pipeline
        plan = p.compiler.compile(parse(question))
        matches = p._matches(plan, [])
        leaders = p._leaders(plan, matches, False, depth)[:depth] if plan.ranked else []
        return plan, matches, leaders

    def rows(self, question: str, plan, loose: bool, leaders) -> np.ndarray:
        """One row of ``FEATURES`` per candidate."""
        if not leaders:
            return np.zeros((0, len(FEATURES)))
        docs = np.array([d for d, _ in leaders])
        order = np.argsort(docs)
        sorted_docs = docs[order]
        stems = list(dict.fromkeys(self.pipeline.compiler.stem(w) for w in plan.words))
        words = list(dict.fromkeys(plan.words))
        idf = np.array([self._idf("body", s) for s in stems]) if stems else np.zeros(0)
        per_field = {}
        for field, terms in (
            ("body", stems),
            ("title", stems),
            ("body_exact", words),
            ("title_exact", words),
        ):
            m = np.zeros((len(terms), len(docs)))
            for i, t in enumerate(terms):
                m[i, order] = self.scorer.scores(field, t).at(sorted_docs)
            per_field[field] = m
        has_stem = (per_field["body"] > 0) | (per_field["title"] > 0)
        has_word = (per_field["body_exact"] > 0) | (per_field["title_exact"] > 0)
        n_stems, n_words = max(len(stems), 1), max(len(words), 1)
        positions = self.pipeline.ranker._positions("body", set(stems), sorted(docs.tolist()))
        lengths_body = self.scorer._field_lengths("body")[docs]
        lengths_title = self.scorer._field_lengths("title")[docs]
        answers = self._answers(plan, leaders)
        best = leaders[0][1] or 1.0
        started = time.thread_time()
        texts = self._text_features(question, leaders)
        self.text_seconds = time.thread_time() - started
        out = np.zeros((len(docs), len(FEATURES)))
        for j, (d, score) in enumerate(leaders):
            found = positions.get(d, {})
            out[j] = (
                score,
                j + 1,
                score / best,
                per_field["body"][:, j].sum(),
                per_field["title"][:, j].sum(),
                per_field["body_exact"][:, j].sum(),
                per_field["title_exact"][:, j].sum(),
                has_stem[:, j].sum() / n_stems,
                (idf * has_stem[:, j]).sum() / max(idf.sum(), 1e-9),
                has_word[:, j].sum() / n_words,
                len(stems) - has_stem[:, j].sum(),
                _pairs(plan.bonus, found),
                _window(found, dict(zip(stems, idf, strict=True)), idf.sum()),
                log1p(min((p[0] for p in found.values() if p), default=10_000)),
                plan.answer == NUMBER,
                plan.answer == DATE,
                answers.get(d, 0.0),
                log1p(lengths_body[j]),
                lengths_title[j],
                len(plan.words),
                loose,
                *texts[j],
            )
        return out

    def _text_features(self, question: str, leaders) -> list[tuple[float, float, float]]:
        """all_coverage, longest_run and question_density of each candidate's text."""
        asked = [w for w, *_ in self.pipeline.snippets.tokenize(question)]
        at: dict[str, list[int]] = {}
        for i, w in enumerate(asked):
            at.setdefault(w, []).append(i)
        out = []
        for d, _ in leaders:
            fields = self.pipeline.searcher.stored_fields(d)
            text = f"{fields.get('title', '')}\n{fields.get('body', '')[:TEXT_CHARS]}"
            words = [w for w, *_ in self.pipeline.snippets.tokenize(text)]
            seen, run, longest, hits = set(), {}, 0, 0
            for w in words:
                found = at.get(w)
                if not found:
                    run = {}
                    continue
                hits += 1
                seen.add(w)
                run = {i: run.get(i - 1, 0) + 1 for i in found}
                longest = max(longest, *run.values())
            n = max(len(at), 1)
            out.append(
                (len(seen) / n, longest / max(len(asked), 1), 100 * hits / max(len(words), 1))
            )
        return out

    def _idf(self, field: str, term: str) -> float:
        df = self.reader.doc_frequency(field, term) if (field, term) in self.reader else 0
        return float(np.log(1 + (self.size - df + 0.5) / (df + 0.5)))

    def _answers(self, plan, leaders) -> dict[int, float]:
        """1 / (1 + distance) to a number or date for questions asking one (best 20 only)."""
        if not plan.answer:
            return {}
        question, tokenize = set(plan.words), self.pipeline.snippets.tokenize
        out = {}
        for d, _ in leaders[:ANSWER_DEPTH]:
            fields = self.pipeline.searcher.stored_fields(d)
            text = f"{fields.get('title', '')}\n{fields.get('body', '')[:ANSWER_SCAN_CHARS]}"
            distance = answer_distance(tokenize(text), text, plan.answer, question)
            out[d] = 0.0 if distance is None else 1.0 / (1 + distance)
        return out

    def article_ids(self, leaders, matches) -> list[set[str]]:
        """Each candidate's article id with its collapsed copies' (they count as the same hit)."""
        p = self.pipeline
        collapse = matches.bits if matches.collapse else None
        return [
            {p._article_id(d), *(p._duplicates(d, collapse) if collapse else [])}
            for d, _ in leaders
        ]


def _pairs(pairs, found: dict[str, list[int]]) -> float:
    """Share of the question's adjacent stem pairs that stand side by side in the text."""
    if not pairs:
        return 0.0
    near = 0
    for a, b in pairs:
        at_a, at_b = found.get(a), found.get(b)
        if at_a and at_b:
            later = set(at_b)
            near += any(p + 1 in later or p + 2 in later for p in at_a)
    return near / len(pairs)


def _window(found: dict[str, list[int]], idf: dict[str, float], total: float) -> float:
    """Best idf-weighted share of distinct question stems within ``WINDOW`` words."""
    events = sorted((p, s) for s, ps in found.items() for p in ps)
    if not events or total <= 0:
        return 0.0
    counts: dict[str, int] = {}
    weight = best = 0.0
    start = 0
    for pos, stem in events:
        counts[stem] = counts.get(stem, 0) + 1
        if counts[stem] == 1:
            weight += idf.get(stem, 0.0)
        while events[start][0] <= pos - WINDOW:
            old = events[start][1]
            counts[old] -= 1
            if counts[old] == 0:
                weight -= idf.get(old, 0.0)
            start += 1
        best = max(best, weight)
    return best / total


# -- extraction ------------------------------------------------------------------


def _sets(names: list[str], indosum_train: int):
    """(name, index dir, [(question, relevant ids, part)]) where part is train or heldout."""
    if "facqa" in names:
        articles, queries = relevance.facqa()
        yield "facqa", relevance.build("facqa", articles, protected=True), queries
    if "indosum" not in names:
        return
    articles, queries = relevance.indosum()
    held = {q[0] for q in random.Random(5).sample(queries, 1000)}  # relevance.py's sample
    parted = [(q, rel, "heldout" if q in held else "train") for q, rel, _ in queries]
    train = [q for q in parted if q[2] == "train"]
    train = random.Random(SEED).sample(train, min(indosum_train, len(train)))
    parted = [q for q in parted if q[2] == "heldout"] + train
    yield "indosum", relevance.build("indosum", articles, protected=True), parted


def extract(depth: int, names: list[str], limit: int | None, indosum_train: int) -> None:
    """Features, labels and timings of every query's candidates, into ``OUT``."""
    OUT.mkdir(parents=True, exist_ok=True)
    for name, index_dir, queries in _sets(names, indosum_train):
        searcher = Searcher(index_dir, synonyms_file=None)
        extractor = Extractor(searcher)
        rows, labels, groups, parts, times = [], [], [], [], []
        started = time.process_time()
        for question, relevant, part in queries[:limit]:
            t0 = time.thread_time()
            plan, matches, leaders = extractor.candidates(question, depth)
            t1 = time.thread_time()
            x = extractor.rows(question, plan, matches.loose, leaders)
            t2 = time.thread_time()
            ids = extractor.article_ids(leaders, matches)
            rows.append(x)
            labels.append([int(bool(i & relevant)) for i in ids])
            groups.append(len(leaders))
            parts.append(part)
            times.append((t1 - t0, t2 - t1))
        searcher.close()
        np.savez_compressed(
            OUT / f"{name}-{depth}.npz",
            x=np.concatenate(rows) if rows else np.zeros((0, len(FEATURES))),
            y=np.concatenate([np.array(y, np.int8) for y in labels]),
            groups=np.array(groups),
            parts=np.array(parts),
            times=np.array(times),
        )
        cpu = time.process_time() - started
        t = np.array(times) * 1000
        print(
            f"{name}: {len(groups)} queries, {sum(groups)} candidates, {cpu:.0f} s CPU; "
            f"CPU per query: candidates p50 {np.median(t[:, 0]):.2f} ms, features p50 "
            f"{np.median(t[:, 1]):.2f} / p95 {np.percentile(t[:, 1], 95):.2f} ms",
            flush=True,
        )


# -- training --------------------------------------------------------------------


class Data:
    """The cached candidates of one set: per-query slices into rows and labels."""

    def __init__(self, path: Path, rerank: int | None = None):
        z = np.load(path)
        self.x, self.y, self.parts = z["x"], z["y"], z["parts"]
        self.groups, self.times = z["groups"], z["times"]
        self.bounds = np.concatenate([[0], np.cumsum(self.groups)])
        if rerank is not None:  # keep each query's best ``rerank`` (today's order)
            keep = np.concatenate(
                [
                    np.arange(a, min(b, a + rerank))
                    for a, b in zip(self.bounds[:-1], self.bounds[1:], strict=True)
                ]
            )
            self.x, self.y = self.x[keep], self.y[keep]
            self.groups = np.minimum(self.groups, rerank)
            self.bounds = np.concatenate([[0], np.cumsum(self.groups)])

    def queries(self, part: str) -> list[int]:
        return [i for i, p in enumerate(self.parts) if p == part]

    def rows(self, queries: list[int], answerable: bool = False):
        """Rows, labels and group sizes of ``queries`` (only those with an answer among
        the candidates when ``answerable``: the others give no gradient)."""
        keep = [q for q in queries if not answerable or self.y[self._slice(q)].any()]
        idx = np.concatenate([np.arange(*self._bounds(q)) for q in keep] or [np.zeros(0, int)])
        return self.x[idx], self.y[idx], self.groups[keep]

    def _bounds(self, q: int) -> tuple[int, int]:
        return int(self.bounds[q]), int(self.bounds[q + 1])

    def _slice(self, q: int) -> slice:
        return slice(*self._bounds(q))

    def mrr(self, queries: list[int], scores: np.ndarray | None = None, k: int = 10):
        """MRR@k and R@k of ``queries``: today's order, or re-ranked by ``scores``."""
        rr = hit = 0.0
        for q in queries:
            s = self._slice(q)
            y = self.y[s]
            if scores is not None:
                order = np.lexsort((np.arange(len(y)), -scores[s]))
                y = y[order]
            found = np.flatnonzero(y[:k])
            rr += 1.0 / (found[0] + 1) if len(found) else 0.0
            hit += 1.0 if len(found) else 0.0
        return rr / max(len(queries), 1), hit / max(len(queries), 1)


GRID = {
    "num_leaves": (7, 15, 31),
    "learning_rate": (0.03, 0.1),
    "min_data_in_leaf": (20, 100),
}


def _split(queries: list[int], seed: int) -> tuple[list[int], list[int]]:
    shuffled = queries[:]
    random.Random(seed).shuffle(shuffled)
    cut = int(len(shuffled) * VALIDATION_SHARE)
    return sorted(shuffled[cut:]), sorted(shuffled[:cut])


def _fit(train_sets, params: dict, rounds: int, features: list[int]):
    import lightgbm as lgb

    x = np.concatenate([d.rows(q, answerable=True)[0] for d, q in train_sets])[:, features]
    y = np.concatenate([d.rows(q, answerable=True)[1] for d, q in train_sets])
    g = np.concatenate([d.rows(q, answerable=True)[2] for d, q in train_sets])
    full = {
        "objective": "lambdarank",
        "metric": "map",
        "lambdarank_truncation_level": 10,
        "num_threads": 1,
        "verbose": -1,
        "seed": SEED,
        "deterministic": True,
        "feature_pre_filter": False,
        **params,
    }
    return lgb.train(full, lgb.Dataset(x, y, group=g), num_boost_round=rounds)


def _predict(model, data: Data, features: list[int], rounds: int) -> np.ndarray:
    return model.predict(data.x[:, features], num_iteration=rounds)


def train(
    depth: int, rerank: int, sets: list[str], features: list[int], out: Path, fixed: Path | None
) -> dict:
    """Grid search on the validation part (or the choice of an earlier report, ``fixed``),
    then one held-out report."""
    paths = {name: OUT / f"{name}-{depth}.npz" for name in ("facqa", "indosum")}
    data = {name: Data(path, rerank) for name, path in paths.items() if path.exists()}
    fit_q, val_q = {}, {}
    for name, d in data.items():
        fit_q[name], val_q[name] = _split(d.queries("train"), SEED)
    train_sets = [(data[n], fit_q[n]) for n in sets]
    report = {
        "depth": depth,
        "rerank": rerank,
        "sets": sets,
        "features": [FEATURES[i] for i in features],
    }
    report["today"] = {
        n: {
            "validation": data[n].mrr(val_q[n]),
            "heldout": data[n].mrr(data[n].queries("heldout")),
        }
        for n in data
    }
    checkpoints, grid = (50, 100, 200, 400), GRID
    if fixed is not None:  # an ablation: the main run's choice, not a new search
        chosen = json.loads(fixed.read_text())["chosen"]
        checkpoints, grid = (chosen["rounds"],), {k: (v,) for k, v in chosen["params"].items()}
    best = None
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values, strict=True))
        model = _fit(train_sets, params, max(checkpoints), features)
        for rounds in checkpoints:
            val = {
                n: data[n].mrr(val_q[n], _predict(model, data[n], features, rounds)) for n in data
            }
            row = {"params": params, "rounds": rounds, "validation": val}
            print(json.dumps(row), flush=True)
            if best is None or val["facqa"][0] > best["validation"]["facqa"][0]:
                best = row
    report["chosen"] = best
    model = _fit(train_sets, best["params"], best["rounds"], features)
    report["heldout"] = {
        n: data[n].mrr(data[n].queries("heldout"), _predict(model, data[n], features, None))
        for n in data
    }
    report["importance"] = dict(
        zip(report["features"], model.feature_importance("gain").round(1).tolist(), strict=True)
    )
    model.save_model(str(out.with_suffix(".txt")))
    out.write_text(json.dumps(report, indent=1))
    print(json.dumps({k: report[k] for k in ("today", "chosen", "heldout")}, indent=1))
    return report


def cost(depth: int, names: list[str], limit: int, model_path: Path) -> None:
    """CPU per query (one thread): today's candidates, postings features, text features, model."""
    import lightgbm as lgb

    model = lgb.Booster(model_file=str(model_path)) if model_path.exists() else None
    sets = list(_sets(names, 0))
    if "news-questions" in names:  # facqa's questions over the news archive (bench-search's)
        index_dir = relevance.build("indosum", None, protected=True)
        sets.append(("news-questions", index_dir, relevance.facqa()[1]))
    for name, index_dir, queries in sets:
        searcher = Searcher(index_dir, synonyms_file=None)
        extractor = Extractor(searcher)
        times = []
        for question, _, _ in random.Random(SEED).sample(queries, min(limit, len(queries))):
            t0 = time.thread_time()
            plan, matches, leaders = extractor.candidates(question, depth)
            t1 = time.thread_time()
            x = extractor.rows(question, plan, matches.loose, leaders)
            t2 = time.thread_time()
            if model is not None and len(x):
                model.predict(x, num_threads=1)
            t3 = time.thread_time()
            text = extractor.text_seconds
            times.append((t1 - t0, t2 - t1 - text, text, t3 - t2))
        searcher.close()
        t = np.array(times) * 1000
        parts = ("candidates (today)", "postings features", "text features", "model")
        print(f"{name} ({len(t)} queries, K={depth}), CPU ms p50 / p95:")
        for i, part in enumerate(parts):
            print(f"  {part:20s} {np.median(t[:, i]):6.2f} / {np.percentile(t[:, i], 95):6.2f}")
        added = t[:, 1:].sum(axis=1)
        p50, p95 = np.median(added), np.percentile(added, 95)
        print(f"  {'added by re-ranking':20s} {p50:6.2f} / {p95:6.2f}")


def collection_check(depth: int, names: list[str]) -> None:
    """IndoSum held-out MRR@10 with only IndoSum articles as competitors, today and per model.

    The answers are IndoSum articles and most competitors CLICK-ID ones: a
    model may learn to tell the collections apart rather than relevance.
    """
    import lightgbm as lgb

    _, index_dir, queries = next(_sets(["indosum"], 1000))
    data = Data(OUT / f"indosum-{depth}.npz")
    held = data.queries("heldout")
    searcher = Searcher(index_dir, synonyms_file=None)
    extractor = Extractor(searcher)
    own = []  # per held-out query: whether each candidate is an IndoSum article
    for q in held:
        _, _, leaders = extractor.candidates(queries[q][0], depth)
        ids = [extractor.pipeline._article_id(d) for d, _ in leaders]
        own.append(np.array([i.startswith("indosum-") for i in ids]))
    searcher.close()
    for name in ["today", *names]:
        scores = None
        if name != "today":
            kept = json.loads((OUT / f"{name}.json").read_text())["features"]
            model = lgb.Booster(model_file=str(OUT / f"{name}.txt"))
            scores = model.predict(data.x[:, [FEATURES.index(f) for f in kept]], num_threads=1)
        rr, share = 0.0, []
        for q, mine in zip(held, own, strict=True):
            y = data.y[data._slice(q)]
            order = np.arange(len(y))
            if scores is not None:
                order = np.lexsort((order, -scores[data._slice(q)]))
            share.append(mine[order][:10].mean())
            found = np.flatnonzero(y[order][mine[order]][:10])
            rr += 1.0 / (found[0] + 1) if len(found) else 0.0
        print(
            f"{name:16s} IndoSum-only competitors MRR@10 {rr / len(held):.3f}; "
            f"IndoSum articles in the top 10 {np.mean(share):.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", choices=("extract", "train", "cost", "collections"))
    parser.add_argument("--depth", type=int, default=50, help="Candidates re-ranked (K).")
    parser.add_argument(
        "--rerank", type=int, default=None, help="Train on the best N of the cached K."
    )
    parser.add_argument("--limit", type=int, default=None, help="Queries per set (a quick try).")
    parser.add_argument(
        "--indosum-train", type=int, default=1000, help="IndoSum training queries (sampled)."
    )
    parser.add_argument("--sets", default="facqa,indosum", help="Sets extracted or trained on.")
    parser.add_argument("--drop", default="", help="Features left out (comma-separated names).")
    parser.add_argument(
        "--fixed", default=None, help="Reuse the choice of this report (e.g. model-50)."
    )
    parser.add_argument("--name", default="model", help="Report name in bench/out/ltr/.")
    args = parser.parse_args()
    if args.step == "extract":
        extract(args.depth, args.sets.split(","), args.limit, args.indosum_train)
    elif args.step == "collections":
        collection_check(args.depth, args.sets.split(","))
    elif args.step == "cost":
        model = OUT / f"{args.name}-{args.depth}.txt"
        cost(args.depth, args.sets.split(","), args.limit or 300, model)
    else:
        dropped = set(filter(None, args.drop.split(",")))
        unknown = dropped - set(FEATURES)
        if unknown:
            sys.exit(f"Unknown features {sorted(unknown)}: choose from {', '.join(FEATURES)}.")
        features = [i for i, f in enumerate(FEATURES) if f not in dropped]
        rerank = args.rerank or args.depth
        out = OUT / f"{args.name}-{rerank}.json"
        fixed = OUT / f"{args.fixed}.json" if args.fixed else None
        train(args.depth, rerank, args.sets.split(","), features, out, fixed)


if __name__ == "__main__":
    main()
