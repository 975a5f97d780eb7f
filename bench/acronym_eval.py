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

Recall: ``bench/judged/acronym_queries.tsv`` holds queries written from
articles that use only one form (the query uses the other). Each runs through
``warta search --json`` twice: with the shipped synonyms only (today), and with
the mined definitions added as a ``synonyms.txt`` in the data directory, the
file the searcher already reads, so expansion goes both ways and ranks a little
below exact matches. Once the index stores the definitions itself, the second
run measures that instead (see bench/judged/README_relevance.md).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.acronyms import definitions, mine  # noqa: E402

NEWS = ROOT.parent / "shared" / "data" / "news"
JUDGED = ROOT / "bench" / "judged" / "acronyms.tsv"
QUERIES = ROOT / "bench" / "judged" / "acronym_queries.tsv"
SHIPPED = ROOT / "searcher" / "data" / "synonyms.txt"
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
    weighted = sum(sizes[b] * sum(v) / len(v) for b, v in per_band.items())
    covered = sum(sizes[b] for b in per_band)
    return {
        "kept": len(kept),
        "judged": sum(len(v) for v in per_band.values()),
        "wrong": sum(v.count(False) for v in per_band.values()),
        "precision": weighted / covered if covered else float("nan"),
        "unjudged_bands": sorted(set(sizes) - set(per_band)),
    }


def choose_n(counts, labels, target: float) -> int:
    for n in range(1, 9):
        if precision_at(counts, labels, n, "tune")["precision"] >= target:
            return n
    return 8


# -- query recall -------------------------------------------------------------------


def shipped_groups() -> set[frozenset[str]]:
    groups = set()
    for line in SHIPPED.read_text(encoding="utf-8").splitlines():
        members = [m.strip().lower() for m in line.split("#", 1)[0].split(",") if m.strip()]
        if len(members) > 1:
            groups.add(frozenset(members))
    return groups


def in_shipped(short: str, long: str, groups) -> bool:
    return any(short in g and long in g for g in groups)


def search_ids(warta: list[str], data_dir: Path, query: str) -> list[str]:
    out = subprocess.run(
        [*warta, "--quiet", "--data-dir", str(data_dir), "search", "--json", "-n", "10", query],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [hit["id"] for hit in json.loads(out)["hits"]]


def recall(queries, data_dir: Path, synonyms: dict[str, str] | None) -> dict[str, bool]:
    """Whether each query's target is in its top 10, with ``synonyms`` as the user file."""
    warta = [sys.executable, "-m", "web.cli"]
    user_file = data_dir / "synonyms.txt"
    kept = user_file.read_bytes() if user_file.exists() else None
    try:
        if synonyms is not None:
            lines = [f"{short}, {long}" for short, long in sorted(synonyms.items())]
            user_file.write_text("# mined by bench/acronym_eval.py\n" + "\n".join(lines) + "\n")
        elif user_file.exists():
            user_file.unlink()
        found = {}
        for q in queries:
            found[q["qid"]] = q["target_id"] in search_ids(warta, data_dir, q["query"])
        return found
    finally:
        if kept is None:
            user_file.unlink(missing_ok=True)
        else:
            user_file.write_bytes(kept)


def usable(defs: dict[str, str], common: set[str]) -> dict[str, str]:
    """Definitions fit for expansion: not a common word ("itu"), no stray characters."""
    clean = {short: long for short, long in defs.items() if not set(",#") & set(short + long)}
    return {short: long for short, long in clean.items() if short not in common}


def common_words(news: Path) -> set[str]:
    """Words written in lowercase mid-sentence in most of their occurrences."""
    from index.words import CapitalCounts

    caps = CapitalCounts().add_all(texts(news))
    return {w for w, seen in caps.seen.items() if caps.capitalised[w] < 0.5 * seen}


def report_recall(queries, data_dir, defs, groups) -> None:
    today = recall(queries, data_dir, None)
    mined = recall(queries, data_dir, defs)
    subsets = {
        "all": queries,
        "pair not in the shipped list": [
            q for q in queries if not in_shipped(q["short"], q["long"], groups)
        ],
        "query uses the acronym": [q for q in queries if q["query_form"] == "short"],
        "query uses the long form": [q for q in queries if q["query_form"] == "long"],
    }
    print("\n| queries | n | recall@10 today | + mined definitions |")
    print("| --- | ---: | ---: | ---: |")
    for name, qs in subsets.items():
        a = sum(today[q["qid"]] for q in qs)
        b = sum(mined[q["qid"]] for q in qs)
        print(f"| {name} | {len(qs)} | {a / len(qs):.3f} ({a}) | {b / len(qs):.3f} ({b}) |")
    gained = [q["qid"] for q in queries if mined[q["qid"]] and not today[q["qid"]]]
    lost = [q["qid"] for q in queries if today[q["qid"]] and not mined[q["qid"]]]
    print(f"\nfound only with the mined definitions: {gained}; found only without: {lost}")
    missing = [q["qid"] for q in queries if q["short"] not in defs]
    print(f"\nqueries whose acronym is not among the kept definitions: {len(missing)} {missing}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--news", type=Path, default=NEWS, help="Folder of *.jsonl.gz articles.")
    parser.add_argument("--target", type=float, default=0.95, help="Tune precision for N.")
    parser.add_argument("--data-dir", type=Path, help="A Warta data dir holding the news index.")
    parser.add_argument("--build", action="store_true", help="Build bench/out/news25k first.")
    args = parser.parse_args()

    counts = mine(texts(args.news))
    labels = {(r["short"], r["long"]): (r["split"], r["label"]) for r in read_tsv(JUDGED)}
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
        f"\nchosen N = {n} (smallest with tune precision >= {args.target}): "
        f"{held['kept']} definitions, held-out precision {held['precision']:.3f}"
    )

    data_dir = args.data_dir
    if args.build:
        sys.path.insert(0, str(ROOT / "bench"))
        from archive import news_data_dir

        data_dir = news_data_dir()
    if data_dir is None:
        print("\n(no --data-dir: query recall not measured)")
        return 0
    defs = definitions(counts, n)
    common = common_words(args.news)
    fit = usable(defs, common)
    print(
        f"\nexpansion uses {len(fit)} definitions ({len(defs) - len(fit)} dropped: the short "
        f"form is a common lowercase word, e.g. {sorted(set(defs) - set(fit))[:8]})"
    )
    report_recall(read_tsv(QUERIES), data_dir, fit, shipped_groups())
    return 0


if __name__ == "__main__":
    sys.exit(main())
