"""Stemmer agreement with gold pairs: plain Sastrawi vs Warta's analysis.

    .venv/bin/python bench/stemmer_eval.py [--data ../shared/data/stemmer] [--show 20]

For each gold file (word → expected stem or lemma) it reports how often plain
PySastrawi (``Stemmer.stem``) agrees and how often ``index.analysis.stem``
(normalisation, protected words, then Sastrawi) agrees, and lists the pairs
where the two differ. The protected list must not lower agreement.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from Sastrawi.Stemmer.StemmerFactory import StemmerFactory  # noqa: E402

from index.analysis import protected_words, stem  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "stemmer"
GOLD = {
    "sastrawi_test_pairs.tsv": ("word", "expected_stem"),
    "ud_indonesian_form_lemma.tsv": ("form", "lemma"),
    "mpstemmer_informal_60.tsv": ("word", "expected_root"),
}


def read_pairs(path: Path, word: str, expected: str) -> list[tuple[str, str]]:
    """(word, expected) pairs of a gold TSV file, lowercased."""
    with path.open(encoding="utf-8") as f:
        rows = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [(r[word].strip().lower(), r[expected].strip().lower()) for r in rows if r[word]]


def warta_stem(text: str) -> str:
    """Warta's stem of each word (a few gold entries hold several words)."""
    return " ".join(stem(word) for word in text.split())


def evaluate(pairs, plain, ours) -> dict:
    """Agreement counts and the pairs where plain Sastrawi and ours differ."""
    plain_ok = ours_ok = 0
    changed = []
    for word, expected in pairs:
        a, b = plain(word), ours(word)
        plain_ok += a == expected
        ours_ok += b == expected
        if a != b:
            changed.append((word, expected, a, b))
    return {"n": len(pairs), "plain": plain_ok, "ours": ours_ok, "changed": changed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Folder of gold TSVs.")
    parser.add_argument("--show", type=int, default=15, help="Changed pairs to list per file.")
    args = parser.parse_args()
    sastrawi = StemmerFactory().create_stemmer()
    print(f"protected words: {len(protected_words())}\n")
    print("| gold file | pairs | plain Sastrawi | Warta | change |")
    print("| --- | ---: | ---: | ---: | ---: |")
    results = {}
    for name, columns in GOLD.items():
        pairs = read_pairs(args.data / name, *columns)
        results[name] = r = evaluate(pairs, sastrawi.stem, warta_stem)
        n = r["n"]
        print(
            f"| {name} | {n} | {r['plain'] / n:.2%} ({r['plain']}) | "
            f"{r['ours'] / n:.2%} ({r['ours']}) | {r['ours'] - r['plain']:+d} |"
        )
    for name, r in results.items():
        print(f"\n{name}: {len(r['changed'])} pairs stemmed differently (word, gold, plain, Warta)")
        for row in r["changed"][: args.show]:
            mark = "+" if row[3] == row[1] else ("-" if row[2] == row[1] else " ")
            print(f"  {mark} {' '.join(row)}")
    return 0 if all(r["ours"] >= r["plain"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
