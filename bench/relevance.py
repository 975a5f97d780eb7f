"""Relevance of the searcher: MRR@10 and Recall@10 on two sets, with an ablation.

* facqa: questions → news passages (``shared/data/relevance/``), 3,117 judged
  questions over 1,337 passages.
* indosum: the first sentence of each IndoSum ``summary`` as the query, its
  own article as the only answer, searched over all 25,427 news articles.

Each row of the ablation switches features on in turn: no stemming (exact
words only), Sastrawi stemming, + protected words, + exact-form boost,
+ synonyms, + answers (questions for a number or a date favour texts that
hold one near the question's words). facqa is also reported per split
(``train``, the questions the few tuned weights were chosen on, and
``heldout``: valid + test). Indexes are built once into ``bench/out/`` and reused.

Beside those in-process rows, each set is measured through the real path, as a
user meets it: the articles written as JSON Lines (FacQA's passages without
titles; IndoSum's news files as they are, their titles null), ``warta import``
into a fresh data directory, ``warta index build``, ``warta serve`` on a free
loopback port, and every question sent to ``/api/search`` (the first page of
10). The ranking is the defaults' (the ablation's last row).

    .venv/bin/python bench/relevance.py [--limit N] [--sets facqa,indosum] [--rows last]
        [--real-path only|no]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

from harness import out_dir, warta
from server import Server
from whoosh import index as whoosh_index

from crawler.article import Article
from index.generations import MANIFEST_FILE
from index.schema import INDEX_FORMAT, article_fields, make_schema
from searcher import RankingFeatures as Settings
from searcher import Searcher

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out" / "relevance"
SHARED = ROOT.parents[1] / "shared" / "data"
K = 10

_OFF = {"exact_boost": 0, "synonyms": False, "answer_boost": 0}
ROWS = [
    ("no stemming", "protected", Settings(**_OFF, stemming=False)),
    ("stemming", "plain", Settings(**_OFF)),
    ("+ protected words", "protected", Settings(**_OFF)),
    ("+ exact-form boost", "protected", Settings(synonyms=False, answer_boost=0)),
    ("+ synonyms", "protected", Settings(answer_boost=0)),
    ("+ answers (Warta)", "protected", Settings()),
]


def build(name: str, articles, protected: bool) -> Path:
    """A Whoosh index of ``articles`` (built once), with or without protected words."""
    target = OUT / f"{name}-{'protected' if protected else 'plain'}"
    if whoosh_index.exists_in(target):
        return _stamped(target)
    target.mkdir(parents=True, exist_ok=True)
    schema = make_schema() if protected else make_schema(protected={})
    ix = whoosh_index.create_in(target, schema)
    started = time.perf_counter()
    with ix.writer(limitmb=256) as writer:
        for article in articles():
            writer.add_document(**article_fields(article))
    print(f"built {target.name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return _stamped(target)


def _stamped(target: Path) -> Path:
    """Mark the index with the index package's on-disk format, as ``warta index build`` does."""
    (target / MANIFEST_FILE).write_text(json.dumps({"format": INDEX_FORMAT}))
    return target


def facqa_files() -> list[Path]:
    """The passages as a user would import them: JSON Lines of id and body, no title."""
    target = out_dir("relevance") / "facqa_passages_untitled.jsonl"
    with (
        open(SHARED / "relevance" / "facqa_passages.jsonl", encoding="utf-8") as f,
        open(target, "w", encoding="utf-8") as out,
    ):
        for line in f:
            p = json.loads(line)
            out.write(json.dumps({"id": p["id"], "body": p["body"]}, ensure_ascii=False) + "\n")
    return [target]


def indosum_files() -> list[Path]:
    """The news files as they are (IndoSum's articles have null titles)."""
    return sorted((SHARED / "news").glob("*.jsonl.gz"))


def facqa():
    """(articles, queries) where queries are (question, {relevant ids}, split).

    The split is "train" (the questions the few tuned weights were chosen on)
    or "heldout" (FacQA's valid and test questions).
    """
    base = SHARED / "relevance"

    def articles():
        with open(base / "facqa_passages.jsonl", encoding="utf-8") as f:
            for line in f:
                p = json.loads(line)
                yield Article(id=p["id"], title="", body=p["body"])

    relevant: dict[str, set[str]] = {}
    for line in (base / "facqa_qrels.txt").read_text().splitlines():
        qid, _, pid, grade = line.split()
        if int(grade) > 0:
            relevant.setdefault(qid, set()).add(pid)
    queries = []
    for line in (base / "facqa_queries.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        qid, split, question, _ = line.split("\t")
        if qid in relevant:
            queries.append((question, relevant[qid], "train" if split == "train" else "heldout"))
    return articles, queries


def _news():
    for path in sorted((SHARED / "news").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                yield json.loads(line)


def indosum():
    def articles():
        for d in _news():
            yield Article(
                id=d["id"],
                title=d.get("title") or "",
                body=d["body"],
                url=d.get("url"),
                source=d.get("source"),
                published=d.get("date"),
            )

    queries = []
    for d in _news():
        summary = (d.get("summary") or "").strip()
        if summary:
            first = summary.split(". ")[0].strip()
            queries.append((first, {d["id"]}, None))
    return articles, queries


def ranked_ids(searcher: Searcher, queries) -> list[list[tuple[str, ...]]]:
    """Each query's top ``K`` hits as (id, ids of its collapsed copies); closes ``searcher``."""
    try:
        return [
            [(h.id, *h.duplicates) for h in searcher.search(question, page_size=K).hits]
            for question, _, _ in queries
        ]
    finally:
        searcher.close()


def evaluate(index_dir: Path, queries, settings: Settings) -> dict:
    """MRR@10 and Recall@10 over ``queries``, and per split when they have one."""
    searcher = Searcher(index_dir, synonyms_file=None, features=settings)
    started = time.perf_counter()
    ranked = ranked_ids(searcher, queries)
    scores = scored(queries, ranked)
    scores["ms_per_query"] = (time.perf_counter() - started) * 1000 / len(queries)
    return scores


def scored(queries, ranked: list[list[tuple[str, ...]]], copies: bool = True) -> dict:
    """MRR@10 and Recall@10 of ranked hits (each its id and its collapsed copies' ids,
    which count unless ``copies`` is false), over all queries and per split when they
    have one."""
    sums: dict[str, list[float]] = {}  # split → [queries, reciprocal ranks, recall]
    for (_, relevant, split), hits in zip(queries, ranked, strict=True):
        hits = hits if copies else [ids[:1] for ids in hits]
        found = {d for ids in hits for d in ids}
        ranks = [i for i, ids in enumerate(hits, 1) if relevant.intersection(ids)]
        for key in ("all", split) if split else ("all",):
            total = sums.setdefault(key, [0, 0.0, 0.0])
            total[0] += 1
            total[1] += 1.0 / ranks[0] if ranks else 0.0
            total[2] += len(relevant & found) / len(relevant)
    n, rr, hit = sums["all"]
    scores = {"mrr@10": rr / n, "recall@10": hit / n, "queries": n}
    for key, (n, rr, hit) in sums.items():
        if key != "all":
            scores[key] = {"mrr@10": rr / n, "recall@10": hit / n, "queries": n}
    return scores


def real_path(name: str, files: list[Path], queries) -> dict:
    """The scores through ``warta import``, ``warta index build`` and ``/api/search``
    of a ``warta serve``, on a fresh data directory."""
    data_dir = OUT / f"{name}-real-path"
    shutil.rmtree(data_dir, ignore_errors=True)
    started = time.perf_counter()
    warta(data_dir, "import", *map(str, files))
    warta(data_dir, "index", "build")
    built = time.perf_counter() - started
    with Server(data_dir, workers=2, threads=2, log=f"relevance-{name}") as server:

        def ask(question: str) -> list[tuple[str, ...]]:
            status, body = server.get("/api/search?" + urlencode({"q": question, "size": K}))
            if status != 200:
                raise SystemExit(f"/api/search answered {status} for {question!r}: {body[:300]}")
            hits = json.loads(body)["hits"]
            return [(h["id"], *h["duplicates"]) for h in hits]

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=4) as pool:
            ranked = list(pool.map(ask, [q for q, _, _ in queries]))
        asked = time.perf_counter() - started
    scores = scored(queries, ranked)
    # Copies are real near-duplicate groups here (none in-process): the figure of the
    # hits alone, without the copies listed under them, is kept beside.
    scores["shown hits only"] = scored(queries, ranked, copies=False)
    scores["import_and_build_s"] = round(built, 1)
    scores["ms_per_query"] = asked * 1000 / len(queries)  # 4 at a time: not a latency
    return scores


def _line(name: str, label: str, scores: dict) -> str:
    return (
        f"{name:8s} {label:22s} MRR@10 {scores['mrr@10']:.3f}  "
        f"R@10 {scores['recall@10']:.3f}  ({scores['queries']} queries, "
        f"{scores['ms_per_query']:.1f} ms/query)"
        + "".join(
            f"  {key} {scores[key]['mrr@10']:.3f}/{scores[key]['recall@10']:.3f}"
            for key in ("train", "heldout")
            if key in scores
        )
        + (
            f"  answer-bearing {scores['answer-bearing mrr@10']:.3f}"
            if "answer-bearing mrr@10" in scores
            else ""
        )
        + (
            "\n{:8s} {:22s} MRR@10 {:.3f}  R@10 {:.3f}  (hits alone, copies not counted)".format(
                "", "", scores["shown hits only"]["mrr@10"], scores["shown hits only"]["recall@10"]
            )
            + "".join(
                f"  {key} {scores['shown hits only'][key]['mrr@10']:.3f}"
                f"/{scores['shown hits only'][key]['recall@10']:.3f}"
                for key in ("train", "heldout")
                if key in scores["shown hits only"]
            )
            if "shown hits only" in scores
            else ""
        )
    )


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"\w+", text.lower())) + " "


def answer_bearing(index_dir: Path, settings: Settings) -> float:
    """facqa MRR@10 where a hit also counts when its passage holds the answer word for word.

    A diagnostic of the judgments, not of the searcher: FacQA judges only the
    passage each question was written from, though other passages of the same
    story often answer it too. The answers are read here, after searching.
    """
    articles, _ = facqa()
    texts = {a.id: _words(a.body) for a in articles()}
    base = SHARED / "relevance"
    relevant: dict[str, set[str]] = {}
    for line in (base / "facqa_qrels.txt").read_text().splitlines():
        qid, _, pid, _ = line.split()
        relevant.setdefault(qid, set()).add(pid)
    searcher = Searcher(index_dir, synonyms_file=None, features=settings)
    rr = n = 0
    try:
        for line in (base / "facqa_queries.tsv").read_text(encoding="utf-8").splitlines()[1:]:
            qid, _, question, answer = line.split("\t")
            answer, n = _words(answer), n + 1
            hits = searcher.search(question, page_size=K).hits
            good = relevant.get(qid, set())
            ranks = [
                i for i, h in enumerate(hits, 1) if h.id in good or answer in texts.get(h.id, "")
            ]
            rr += 1.0 / ranks[0] if ranks else 0.0
    finally:
        searcher.close()
    return rr / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="facqa,indosum", help="Sets to run.")
    parser.add_argument("--limit", type=int, default=1000, help="IndoSum queries (sampled).")
    parser.add_argument("--rows", default="all", help="'all' or 'last' (Warta only).")
    parser.add_argument(
        "--real-path",
        default="yes",
        choices=("yes", "no", "only"),
        help="Also (yes), not (no) or only (only) measure through warta import and /api/search.",
    )
    parser.add_argument(
        "--answer-bearing",
        action="store_true",
        help="Also report facqa MRR@10 counting unjudged passages that hold the answer.",
    )
    args = parser.parse_args()
    sets = {"facqa": (facqa, facqa_files), "indosum": (indosum, indosum_files)}
    rows = [] if args.real_path == "only" else ROWS if args.rows == "all" else ROWS[-1:]
    saved = ROOT / "out" / "relevance.json"
    report = json.loads(saved.read_text()) if saved.exists() else {}
    for name in args.sets.split(","):
        articles, queries = sets[name][0]()
        if name == "indosum" and args.limit < len(queries):
            queries = random.Random(5).sample(queries, args.limit)
        report.setdefault(name, {})
        for label, variant, settings in rows:
            index_dir = build(name, articles, protected=variant == "protected")
            scores = evaluate(index_dir, queries, settings)
            if name == "facqa" and args.answer_bearing:
                scores["answer-bearing mrr@10"] = answer_bearing(index_dir, settings)
            report[name][label] = scores
            print(_line(name, label, scores), flush=True)
        if args.real_path != "no":
            scores = real_path(name, sets[name][1](), queries)
            report[name]["real path (import, /api/search)"] = scores
            print(_line(name, "real path (/api/search)", scores), flush=True)
    saved.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
