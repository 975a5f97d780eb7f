"""Scale archives: SCALE times the news corpus as new, distinct articles, run as users run Warta.

    .venv/bin/python bench/scale_archive.py --scale 10 [--news DIR] [--seed 14]
                                            [--generate-only] [--no-wrk]
                                            [--stage all|import|build|search]

**Generating** (``bench/out/scale-{SCALE}x/source/*.jsonl.gz``, and 250 more
articles in ``update.jsonl.gz``): every article copies the length, date and
outlet of a corpus article (its template) and is filled with sentences drawn
in turn from a shuffled pool of the corpus's distinct sentences (of one
version of each story), so each article mixes sentences of many articles and
every sentence is used about SCALE times across the archive: word for word
the first time, its words shuffled after (so no two articles share its word
pairs). The word distribution and the lengths are the corpus's.
Its title joins the first half of one corpus title to the second half of
another (titles are kept distinct). The files are reused while the seed,
scale and corpus are the same. Lengths and vocabulary of the corpus and of
the generated articles are compared in the report.

**Measuring**, on a fresh data directory, each step the real command:
``warta import`` (articles/s), ``warta index build`` (time, peak memory of
the process tree, articles in near-duplicate groups: must stay under 1 %),
index and store size, ``warta import`` + ``warta index update`` of the 250
new articles; then a fresh ``warta serve``: 200 first-seen keyword queries
(openings of the generated titles) and 200 FacQA questions, one at a time;
1,000 mixed first-seen queries from 16 clients and the USS of each worker;
wrk's mix at 16 clients (p99, errors). Prints a table and writes
``bench/out/scale-{SCALE}x.json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import shutil
import sqlite3
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from bench_search import api_latency
from bench_web import measure as web_measure
from datasketch import MinHash, MinHashLSH
from harness import (
    FACQA,
    duplicates_reported,
    folder_mb,
    index_stats,
    machine_load,
    news_files,
    out_dir,
    require,
    warm_os_cache,
    warta,
    write_json,
)
from queries import QuerySets, keyword_pool, question_pool, titles_from_jsonl
from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

UPDATE_ARTICLES = 250
GENERATOR_VERSION = 3  # change it when the articles made from the same seed change
PART_ARTICLES = 50_000
MAX_DUPLICATE_SHARE = 0.01
_SENTENCE_END = re.compile(r"(?<=[.!?])[,]?\s*(?=[\"“A-Z])|\n+")
_WORD = re.compile(r"[^\W_]+")
_STOPWORDS = frozenset(StopWordRemoverFactory().get_stop_words())


@dataclass(frozen=True)
class Template:
    """What a generated article copies from one corpus article."""

    words: int
    paragraphs: bool
    date: str | None
    source: str | None


# -- the corpus ---------------------------------------------------------------------------


def sentences(body: str) -> list[str]:
    """``body`` cut into sentences (and at line breaks), stripped, empty ones dropped."""
    return [s.strip() for s in _SENTENCE_END.split(body) if len(s.strip()) > 1]


def read_corpus(files: list[Path]) -> tuple[list[Template], list[str], list[str]]:
    """Templates (every article), sentences of one version of each story, titles."""
    templates, bodies, titles = [], [], []
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                record = json.loads(line)
                body = record.get("body") or ""
                if not body.strip():
                    continue
                words = len(_WORD.findall(body))
                para = "\n" in body
                templates.append(Template(words, para, record.get("date"), record.get("source")))
                bodies.append(body)
                if record.get("title"):
                    titles.append(record["title"])
    pool: dict[str, None] = {}
    for body in story_leaders(bodies):
        pool.update(dict.fromkeys(sentences(body)))
    return templates, list(pool), titles


class _Similar:
    """Bodies kept so far, found again by MinHash LSH (64 bands of 2, as Warta's grouping)."""

    def __init__(self, threshold: float):
        self.threshold = threshold
        self.lsh = MinHashLSH(num_perm=128, params=(64, 2))
        self.rows: list[np.ndarray] = []

    @staticmethod
    def minhash(body: str) -> MinHash | None:
        words = [w for w in _WORD.findall(body.lower()) if w not in _STOPWORDS]
        pairs = {f"{a} {b}".encode() for a, b in zip(words, words[1:], strict=False)}
        if not pairs:
            return None
        minhash = MinHash(num_perm=128, seed=7)
        minhash.update_batch(list(pairs))
        return minhash

    def like_one_kept(self, minhash: MinHash) -> bool:
        candidates = self.lsh.query(minhash)
        if not candidates:
            return False
        kept = np.stack([self.rows[n] for n in candidates])
        return bool(((kept == minhash.hashvalues).mean(axis=1) >= self.threshold).any())

    def keep(self, minhash: MinHash) -> None:
        self.lsh.insert(len(self.rows), minhash)
        self.rows.append(minhash.hashvalues)


def story_leaders(bodies: list[str], threshold: float = 0.1) -> list[str]:
    """One body of each story: those not similar to an earlier kept one.

    The corpus holds several versions of many stories (a quarter of its
    articles join a near-duplicate group); sentences of two versions of one
    story in two generated articles would make them near-duplicates. The
    similarity is estimated, as Warta's, by MinHash of word pairs (here
    without stemming, Sastrawi's stopwords left out).
    """
    similar, kept = _Similar(threshold), []
    for body in bodies:
        minhash = similar.minhash(body)
        if minhash is None or similar.like_one_kept(minhash):
            continue
        similar.keep(minhash)
        kept.append(body)
    return kept


# -- generating ---------------------------------------------------------------------------


class Generator:
    """New articles from the corpus's templates, sentences and titles (deterministic)."""

    def __init__(self, templates, pool, titles, seed: int, prefix: str):
        self.templates, self.pool, self.titles = templates, list(pool), titles
        self.rng = random.Random(seed)
        self.prefix = prefix
        self.cursor = len(self.pool)  # shuffle on first use
        self.passes = 0  # over the pool, started so far
        self.seen_titles: set[str] = set()
        self.count = 0

    def _sentence(self) -> str:
        """The pool's next sentence; from its second use on, its words in a new order.

        Two articles holding one sentence word for word would share its word
        pairs, enough for Warta's near-duplicate grouping (similarity 0.1 of
        word pairs) to join many of them once each sentence serves several
        articles; shuffled words keep the vocabulary and lengths, not the pairs.
        """
        if self.cursor >= len(self.pool):
            self.rng.shuffle(self.pool)
            self.cursor = 0
            self.passes += 1
        self.cursor += 1
        sentence = self.pool[self.cursor - 1]
        if self.passes == 1:
            return sentence
        words = sentence.split()
        self.rng.shuffle(words)
        return " ".join(words)

    def _title(self) -> str:
        for _ in range(100):
            first = self.titles[self.rng.randrange(len(self.titles))].split()
            second = self.titles[self.rng.randrange(len(self.titles))].split()
            title = " ".join(first[: (len(first) + 1) // 2] + second[len(second) // 2 :])
            if title not in self.seen_titles:
                break
        else:  # a small corpus runs out of pairs of halves
            title = f"{title} ({self.count})"
        self.seen_titles.add(title)
        return title

    def _body(self, template: Template) -> str:
        drawn, words = [], 0
        while words < template.words:
            sentence = self._sentence()
            more = len(_WORD.findall(sentence))
            if drawn and words + more / 2 > template.words:
                break  # nearer the template's length without it
            drawn.append(sentence)
            words += more
        if not template.paragraphs:
            return " ".join(drawn)
        cuts = range(0, len(drawn), 3)
        return "\n\n".join(" ".join(drawn[i : i + 3]) for i in cuts)

    def article(self) -> dict:
        """The next article, as a JSON Lines record."""
        template = self.templates[self.rng.randrange(len(self.templates))]
        self.count += 1
        return {
            "id": f"{self.prefix}-{self.count:07d}",
            "title": self._title(),
            "date": template.date,
            "url": None,
            "source": template.source,
            "body": self._body(template),
        }


def write_parts(gen: Generator, total: int, folder: Path) -> list[Path]:
    """``total`` articles in JSON Lines parts of PART_ARTICLES."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for part, start in enumerate(range(0, total, PART_ARTICLES)):
        path = folder / f"part-{part:03d}.jsonl.gz"
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as f:
            for _ in range(min(PART_ARTICLES, total - start)):
                f.write(json.dumps(gen.article(), ensure_ascii=False) + "\n")
        paths.append(path)
    return paths


def generate(
    files: list[Path], scale: float, seed: int, folder: Path, update: int = UPDATE_ARTICLES
) -> dict:
    """Write the archive (or reuse it when made with the same settings); its description."""
    key = {"generator": GENERATOR_VERSION, "scale": scale, "seed": seed, "update": update}
    key["corpus"] = [f"{p.name}:{p.stat().st_size}" for p in files]
    manifest = folder / "manifest.json"
    if manifest.exists() and json.loads(manifest.read_text()).get("key") == key:
        print(f"reusing the generated archive in {folder}", flush=True)
        return json.loads(manifest.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    templates, pool, titles = read_corpus(files)
    total = round(scale * len(templates))
    print(f"generating {total} articles from {len(pool)} distinct sentences ...", flush=True)
    gen = Generator(templates, pool, titles, seed, f"scale{scale:g}x")
    parts = write_parts(gen, total, folder / "source")
    with gzip.open(folder / "update.jsonl.gz", "wt", encoding="utf-8") as f:
        for _ in range(update):
            f.write(json.dumps(gen.article(), ensure_ascii=False) + "\n")
    described = {
        "key": key,
        "articles": total,
        "corpus_articles": len(templates),
        "distinct_sentences": len(pool),
        "parts": [p.name for p in parts],
        "seconds": round(time.perf_counter() - started, 1),
    }
    described["likeness"] = likeness(files, parts[0])
    manifest.write_text(json.dumps(described, indent=2))
    return described


# -- how alike the generated articles are to the corpus -----------------------------------


def _bodies(path: Path, limit: int) -> Iterator[str]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for n, line in enumerate(f):
            if n >= limit:
                return
            yield json.loads(line).get("body") or ""


def describe(bodies: Iterator[str]) -> dict:
    """Words per article (p10/p50/p90), distinct words, share of tokens in the top 100 words."""
    lengths, counts = [], Counter()
    for body in bodies:
        words = _WORD.findall(body.lower())
        lengths.append(len(words))
        counts.update(words)
    lengths.sort()
    tokens = sum(counts.values())
    top = sum(c for _, c in counts.most_common(100))
    return {
        "articles": len(lengths),
        "words_p10_p50_p90": [lengths[len(lengths) // 10], statistics.median(lengths)]
        + [lengths[len(lengths) * 9 // 10]],
        "distinct_words": len(counts),
        "tokens": tokens,
        "top100_share": round(top / tokens, 3),
    }


def likeness(files: list[Path], generated: Path, sample: int = 20_000) -> dict:
    """Up to ``sample`` generated articles beside as many corpus articles drawn at random."""
    made = describe(_bodies(generated, sample))
    corpus = [body for path in files for body in _bodies(path, 10**9)]
    drawn = random.Random(0).sample(corpus, min(made["articles"], len(corpus)))
    return {"corpus": describe(iter(drawn)), "generated": made}


# -- measuring ----------------------------------------------------------------------------


def store_mb(data_dir: Path) -> float:
    return sum(p.stat().st_size for p in data_dir.glob("warta.db*")) / 2**20


def stored_articles(data_dir: Path) -> int:
    """Articles in the store (there is no index yet to ask)."""
    uri = f"file:{data_dir / 'warta.db'}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as db:
        return db.execute("SELECT count(*) FROM articles").fetchone()[0]


def import_figures(folder: Path) -> dict:
    """``warta import`` of the generated files as a process on a fresh data directory."""
    data = folder / "imported"
    shutil.rmtree(data, ignore_errors=True)
    load = machine_load()
    imported = warta(data, "import", str(folder / "source"), memory=True)
    articles = stored_articles(data)
    figures = {"load_before": load}
    figures["import"] = imported.summary() | {"articles_per_s": round(articles / imported.seconds)}
    (folder / "import.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return figures


def build_figures(folder: Path) -> dict:
    """Build and update as processes on a copy of the imported data directory."""
    saved = folder / "import.json"
    if not saved.exists():
        sys.exit(f"{saved} is missing: run with --stage import (or all) first.")
    result: dict = json.loads(saved.read_text(encoding="utf-8"))
    data = folder / "data"
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(folder / "imported", data)
    result["load_before_build"] = machine_load()
    built = warta(data, "index", "build", memory=True)
    stats = index_stats(data)
    articles = stats["store_articles"]
    duplicates = duplicates_reported(built.stdout)
    result["build"] = built.summary() | {"duplicates": duplicates}
    result["duplicate_share"] = None if duplicates is None else round(duplicates / articles, 4)
    result["index"] = {k: stats[k] for k in ("documents", "segments", "terms")}
    result["index_mb"] = round(stats["size_bytes"] / 2**20)
    result["store_mb"] = round(store_mb(data))
    result["data_dir_mb"] = round(folder_mb(data))
    warta(data, "import", str(folder / "update.jsonl.gz"))
    result["update"] = warta(data, "index", "update", memory=True).summary()
    result["load_after"] = machine_load()
    return result


def index_figures(folder: Path) -> dict:
    """Import, build and update as processes on a fresh data directory."""
    import_figures(folder)
    return build_figures(folder)


def search_figures(folder: Path, queries: int, wrk: bool) -> dict:
    """First-seen API latency one query at a time, then many clients, USS and wrk."""
    data = folder / "data"
    require(FACQA, "FacQA's questions (data/relevance/facqa_queries.tsv)")
    titles = titles_from_jsonl(sorted((folder / "source").glob("*.jsonl.gz"))[:2])
    sets = QuerySets(keyword_pool(titles), question_pool(FACQA))
    sequential = sets.mixed(2 * queries)
    concurrent = sets.mixed(1000)
    warm_os_cache(data)
    return {
        "api": api_latency(data, sequential),
        "web": web_measure(data, concurrent, clients=16, seconds=30, wrk=wrk),
    }


def table(scale: float, gen: dict, idx: dict, search: dict | None) -> str:
    like = gen["likeness"]
    share = idx["duplicate_share"]
    lines = [
        f"scale {scale:g}x: {gen['articles']} articles generated from "
        f"{gen['corpus_articles']} ({gen['distinct_sentences']} distinct sentences); "
        f"load average {idx['load_before']['load_1m']} before, {idx['load_after']['load_1m']} "
        "after the index steps",
        "",
        "| measure | value | note |",
        "| --- | ---: | --- |",
        f"| words per article p10/p50/p90 | {like['generated']['words_p10_p50_p90']} | "
        f"corpus {like['corpus']['words_p10_p50_p90']} |",
        f"| share of tokens in the 100 commonest words | {like['generated']['top100_share']} | "
        f"corpus {like['corpus']['top100_share']} |",
        f"| `warta import` | {idx['import']['seconds']:.0f} s = "
        f"{idx['import']['articles_per_s']} articles/s | target ≥ 1,500/s |",
        f"| `warta index build` | {idx['build']['seconds']:.0f} s | peak "
        f"{idx['build']['peak_pss_mb']} MB PSS ({idx['build']['peak_rss_mb']} MB summed RSS) |",
        f"| articles in near-duplicate groups | {idx['build']['duplicates']} "
        f"({'?' if share is None else f'{share:.2%}'}) | must stay < 1 % |",
        f"| index / store | {idx['index_mb']} MB / {idx['store_mb']} MB | "
        f"{idx['index']['segments']} segments |",
        f"| `warta index update`, {UPDATE_ARTICLES} new articles | "
        f"{idx['update']['seconds']:.2f} s | |",
    ]
    if search:
        api, web = search["api"]["first_seen"], search["web"]
        for kind in ("keyword", "question"):
            lines.append(
                f"| `/api/search` first seen, {api[kind]['n']} {kind}s, p50 / p95 | "
                f"{api[kind]['p50']} / {api[kind]['p95']} ms | one at a time |"
            )
        mixed = web["first_seen"]["all"]
        lines.append(
            f"| 1,000 mixed first seen, 16 clients, p50 / p95 / p99 | {mixed['p50']} / "
            f"{mixed['p95']} / {mixed['p99']} ms | {web['first_seen']['errors']} errors |"
        )
        lines.append(f"| USS per worker after them | {web['uss_mb_per_worker']} MB | |")
        if "wrk" in web:
            w = web["wrk"]
            lines.append(
                f"| wrk mix, 16 clients, 30 s: p99 | {w['p99_ms']:.0f} ms | "
                f"{w['errors']} errors of {w['requests']} |"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10, help="Times the corpus (0.2 to 40).")
    parser.add_argument("--news", type=Path, help="News archive folder (default ../shared).")
    parser.add_argument("--seed", type=int, default=14, help="Seed of the generator.")
    parser.add_argument("--queries", type=int, default=200, help="Sequential queries per kind.")
    parser.add_argument("--generate-only", action="store_true", help="Write the files only.")
    parser.add_argument("--no-search", action="store_true", help="Skip the search figures.")
    parser.add_argument(
        "--stage",
        choices=("all", "import", "build", "search"),
        default="all",
        help="Run one step (a 40x run takes hours): import, then build (and update), then search.",
    )
    parser.add_argument("--no-wrk", action="store_true", help="Skip the wrk load.")
    args = parser.parse_args()
    files = news_files(args.news) if args.news else news_files()
    folder = out_dir(f"scale-{args.scale:g}x")
    gen = generate(files, args.scale, args.seed, folder)
    print(json.dumps(gen["likeness"]), flush=True)
    if args.generate_only:
        return 0
    if not args.no_wrk and shutil.which("wrk") is None:
        sys.exit("wrk is not installed: run `apt-get install wrk`, or pass --no-wrk.")
    if args.stage == "import":
        print(json.dumps(import_figures(folder), indent=2))
        return 0
    report_file = out_dir(".") / f"scale-{args.scale:g}x.json"
    if args.stage == "search":
        if not report_file.exists():
            sys.exit(f"{report_file} is missing: run with --stage build first.")
        idx = json.loads(report_file.read_text(encoding="utf-8"))["index"]
    elif args.stage == "build":
        idx = build_figures(folder)
    else:
        idx = index_figures(folder)
    skip_search = args.no_search or args.stage == "build"
    search = None if skip_search else search_figures(folder, args.queries, not args.no_wrk)
    print(table(args.scale, gen, idx, search))
    report = {"scale": args.scale, "generated": gen, "index": idx, "search": search}
    write_json(f"scale-{args.scale:g}x.json", report)
    if idx["duplicate_share"] is not None and idx["duplicate_share"] >= MAX_DUPLICATE_SHARE:
        print(f"WARNING: {idx['duplicate_share']:.2%} of the articles are near-duplicates.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
