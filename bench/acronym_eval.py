"""Acronyms the archive defines: mining precision, and query recall with expansion.

    .venv/bin/python bench/acronym_eval.py [--news ../shared/data/news]
    .venv/bin/python bench/acronym_eval.py --data-dir bench/out/news25k   # + recall@10
    .venv/bin/python bench/acronym_eval.py --build                        # builds that dir first

Mining: ``index.acronyms.mine`` over title and body of the 25,427 news
articles, then ``definitions(counts, N)`` for N = 1..8. ``bench/judged/
acronyms.tsv`` labels a sample of the definitions (the most frequent long
form of an acronym), up to 60 from each band of article counts (1, 2, 3,
4-5, 6-9, 10-19, 20+), 40 % of each band held out by SHA-1. The precision of
the definitions kept at N is each band's labelled precision weighted by how
many kept definitions fall in that band. N is chosen on the tune part: the
smallest N whose precision reaches ``--target``.

The split is checked against its rule (per band, SHA-1 of "short=long",
the first 40 % held out). With ``--data-dir`` (an index built by ``warta index
build``), the definitions the index generation stores (``acronyms.json``:
``MIN_ARTICLES`` and no short form mostly written as a common word) are
scored on both parts the same way.

Recall: ``bench/judged/acronym_queries.tsv`` holds queries written from
articles that use only one form (the query uses the other). Each runs through
the ``Searcher`` of the built index twice: without the stored acronyms
(``RankingFeatures(acronyms=False)``: the shipped synonyms only) and with them
(the default), and recall@10 and MRR@10 of the target article are reported.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.acronyms import MIN_ARTICLES, definitions, mine, read_trusted  # noqa: E402

NEWS = ROOT.parent / "shared" / "data" / "news"
JUDGED = ROOT / "bench" / "judged" / "acronyms.tsv"
QUERIES = ROOT / "bench" / "judged" / "acronym_queries.tsv"
SHIPPED = ROOT / "searcher" / "data" / "synonyms.txt"
HELD_OUT_SHARE = 0.4
BANDS = ((20, "20+"), (10, "10-19"), (6, "6-9"), (4, "4-5"), (3, "3"), (2, "2"), (1, "1"))


def band(n: int) -> str:
    return next(name for low, name in BANDS if n >= low)


def texts(news: Path):
    for path in sorted(news.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                article = json.loads(line)
                yield (article.get("title") or "") + "\n" + (article.get("body") or "")


def read_tsv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


# -- mining precision ---------------------------------------------------------------


def _weighted(sizes: Counter, per_band: dict[str, list[bool]], kept: int) -> dict:
    """Precision of the judged pairs of each band, weighted by the band's size among the kept."""
    weighted = sum(sizes[b] * sum(v) / len(v) for b, v in per_band.items())
    covered = sum(sizes[b] for b in per_band)
    return {
        "kept": kept,
        "judged": sum(len(v) for v in per_band.values()),
        "wrong": sum(v.count(False) for v in per_band.values()),
        "precision": weighted / covered if covered else float("nan"),
    }


def precision_at(counts: Counter, labels: dict, n: int, split: str) -> dict:
    """Weighted precision of the definitions kept at ``n`` (labelled ``split`` rows)."""
    kept = definitions(counts, n)
    per_band: dict[str, list[bool]] = {}
    sizes: Counter[str] = Counter()
    for short, long in kept.items():
        b = band(counts[(short, long)])
        sizes[b] += 1
        label = labels.get((short, long))
        if label and label[0] == split:
            per_band.setdefault(b, []).append(label[1] == "correct")
    return _weighted(sizes, per_band, len(kept)) | {
        "unjudged_bands": sorted(set(sizes) - set(per_band))
    }


def choose_n(counts, labels, target: float) -> int:
    for n in range(1, 9):
        if precision_at(counts, labels, n, "tune")["precision"] >= target:
            return n
    return 8


def expected_splits(rows: list[dict]) -> dict[tuple[str, str], str]:
    """The documented split: per band, SHA-1 of "short=long" in order, the first 40 % held out."""
    splits = {}
    for bucket in {r["bucket"] for r in rows}:
        pairs = sorted(
            ((r["short"], r["long"]) for r in rows if r["bucket"] == bucket),
            key=lambda p: hashlib.sha1(f"{p[0]}={p[1]}".encode()).hexdigest(),
        )
        held = round(len(pairs) * HELD_OUT_SHARE)
        splits.update({p: "heldout" if i < held else "tune" for i, p in enumerate(pairs)})
    return splits


def stored_precision(pairs, labels: dict, split: str) -> dict:
    """Weighted precision (as ``precision_at``) of the pairs an index generation stores."""
    per_band: dict[str, list[bool]] = {}
    sizes: Counter[str] = Counter()
    for short, long, n in pairs:
        sizes[band(n)] += 1
        label = labels.get((short, long))
        if label and label[0] == split:
            per_band.setdefault(band(n), []).append(label[1] == "correct")
    return _weighted(sizes, per_band, len(pairs))


# -- query recall through a built index ---------------------------------------------


def shipped_groups() -> set[frozenset[str]]:
    groups = set()
    for line in SHIPPED.read_text(encoding="utf-8").splitlines():
        members = [m.strip().lower() for m in line.split("#", 1)[0].split(",") if m.strip()]
        if len(members) > 1:
            groups.add(frozenset(members))
    return groups


def in_shipped(short: str, long: str, groups) -> bool:
    return any(short in g and long in g for g in groups)


def ranks(queries, data_dir: Path, acronyms: bool) -> dict[str, int | None]:
    """Each query's target's rank in its top 10 (None: not there), through the ``Searcher``
    of the built index, with or without the acronyms its generation stores."""
    from index import index_path
    from searcher import Searcher
    from searcher.compiler import RankingFeatures

    searcher = Searcher(index_path(data_dir), features=RankingFeatures(acronyms=acronyms))
    try:
        found = {}
        for q in queries:
            hits = [hit.id for hit in searcher.search(q["query"], page_size=10).hits]
            found[q["qid"]] = hits.index(q["target_id"]) + 1 if q["target_id"] in hits else None
        return found
    finally:
        searcher.close()


def _figures(qs, found) -> str:
    hits = sum(found[q["qid"]] is not None for q in qs)
    mrr = sum(1 / found[q["qid"]] for q in qs if found[q["qid"]]) / len(qs)
    return f"{hits / len(qs):.3f} ({hits}) | {mrr:.3f}"


def report_recall(queries, data_dir, stored, groups) -> None:
    without = ranks(queries, data_dir, acronyms=False)
    mined = ranks(queries, data_dir, acronyms=True)
    subsets = {
        "all": queries,
        "pair not in the shipped list": [
            q for q in queries if not in_shipped(q["short"], q["long"], groups)
        ],
        "query uses the acronym": [q for q in queries if q["query_form"] == "short"],
        "query uses the long form": [q for q in queries if q["query_form"] == "long"],
    }
    print(
        "\n| queries | n | recall@10 without | MRR@10 without | recall@10 with mined "
        "| MRR@10 with mined |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, qs in subsets.items():
        print(f"| {name} | {len(qs)} | {_figures(qs, without)} | {_figures(qs, mined)} |")
    gained = [q["qid"] for q in queries if mined[q["qid"]] and not without[q["qid"]]]
    lost = [q["qid"] for q in queries if without[q["qid"]] and not mined[q["qid"]]]
    print(f"\nfound only with the mined definitions: {gained}; found only without: {lost}")
    kept = {short for short, _, _ in stored}
    missing = [q["qid"] for q in queries if q["short"] not in kept]
    print(f"queries whose acronym the index does not store: {len(missing)} {missing}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--news", type=Path, default=NEWS, help="Folder of *.jsonl.gz articles.")
    parser.add_argument("--target", type=float, default=0.95, help="Tune precision for N.")
    parser.add_argument("--data-dir", type=Path, help="A Warta data dir holding the news index.")
    parser.add_argument("--build", action="store_true", help="Build bench/out/news25k first.")
    args = parser.parse_args()

    rows = read_tsv(JUDGED)
    wrong_split = [r for r in rows if expected_splits(rows)[(r["short"], r["long"])] != r["split"]]
    if wrong_split:
        sys.exit(f"{len(wrong_split)} rows of {JUDGED.name} break the split rule.")
    labels = {(r["short"], r["long"]): (r["split"], r["label"]) for r in rows}
    counts = mine(texts(args.news))
    print(f"mined pairs: {len(counts)} (distinct short forms: {len({s for s, _ in counts})})\n")
    print(
        "| N | definitions kept | judged (tune) | precision tune | judged (held out) | "
        "wrong (held out) | precision held out |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in range(1, 9):
        t, h = precision_at(counts, labels, n, "tune"), precision_at(counts, labels, n, "heldout")
        print(
            f"| {n} | {t['kept']} | {t['judged']} | {t['precision']:.3f} | {h['judged']} | "
            f"{h['wrong']} | {h['precision']:.3f} |"
        )
    n = choose_n(counts, labels, args.target)
    held = precision_at(counts, labels, n, "heldout")
    print(
        f"\nchosen N = {n} (smallest with tune precision >= {args.target}; the index uses "
        f"MIN_ARTICLES = {MIN_ARTICLES}): {held['kept']} definitions, held-out precision "
        f"{held['precision']:.3f}"
    )

    data_dir = args.data_dir
    if args.build:
        sys.path.insert(0, str(ROOT / "bench"))
        from archive import news_data_dir

        data_dir = news_data_dir()
    if data_dir is None:
        print("\n(no --data-dir: stored pairs and query recall not measured)")
        return 0
    from index import index_path

    stored = read_trusted(index_path(data_dir).resolve())
    for split in ("tune", "heldout"):
        p = stored_precision(stored, labels, split)
        print(
            f"\nstored by the index: {p['kept']} definitions; {split}: {p['judged']} judged, "
            f"{p['wrong']} wrong, weighted precision {p['precision']:.3f}"
        )
    report_recall(read_tsv(QUERIES), data_dir, stored, shipped_groups())
    return 0


if __name__ == "__main__":
    sys.exit(main())
