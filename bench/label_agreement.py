"""Agreement between two annotators of the judged story pairs (issue 12).

The second held-out set (``heldout2``) was labelled by one annotator
(``labels_heldout2.tsv``), then a second time, blind, by two others who
split it (``labels_heldout2_second_a.tsv`` for pairs 0-104,
``labels_heldout2_second_b.tsv`` for 105-209). This prints the confusion
matrix, raw agreement and Cohen's kappa over the four labels, and over the
two decisions the product makes: copy or not (collapse), and together or
apart (copy or same-event against related or different).

    .venv/bin/python bench/label_agreement.py
    .venv/bin/python bench/label_agreement.py --write-agreed out.tsv   # pairs both labelled alike
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

JUDGED = Path(__file__).resolve().parent / "judged"
FIRST = JUDGED / "labels_heldout2.tsv"
SECOND = (JUDGED / "labels_heldout2_second_a.tsv", JUDGED / "labels_heldout2_second_b.tsv")
LABELS = ("copy", "same-event", "related", "different")
DECISIONS = {
    "four labels": lambda label: label,
    "copy or not": lambda label: label == "copy",
    "together or apart": lambda label: label in ("copy", "same-event"),
}


def read_labels(*paths: Path) -> dict[int, str]:
    """{pair number: label} of label files (``pair_no, label, note``)."""
    labels = {}
    for path in paths:
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                labels[int(row["pair_no"])] = row["label"].strip()
    return labels


def kappa(first: list, second: list) -> float:
    """Cohen's kappa of two equally long lists of categories."""
    n = len(first)
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    ca, cb = Counter(first), Counter(second)
    expected = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def report(first: dict[int, str], second: dict[int, str]) -> list[str]:
    """Lines: pairs compared, the confusion matrix and agreement per decision."""
    pairs = sorted(set(first) & set(second))
    lines = [f"{len(pairs)} pairs labelled by both (rows: first annotator, columns: second)"]
    lines.append("| first \\ second | " + " | ".join(LABELS) + " |")
    lines.append("|---" * (len(LABELS) + 1) + "|")
    matrix = Counter((first[p], second[p]) for p in pairs)
    for a in LABELS:
        lines.append(f"| {a} | " + " | ".join(str(matrix[a, b]) for b in LABELS) + " |")
    for name, decide in DECISIONS.items():
        a = [decide(first[p]) for p in pairs]
        b = [decide(second[p]) for p in pairs]
        same = sum(x == y for x, y in zip(a, b, strict=True))
        lines.append(
            f"{name}: agree on {same}/{len(pairs)} ({100 * same / len(pairs):.1f} %),"
            f" Cohen's kappa {kappa(a, b):.2f}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write-agreed", type=Path, help="Write the pairs both labelled alike.")
    args = parser.parse_args()
    first, second = read_labels(FIRST), read_labels(*SECOND)
    print("\n".join(report(first, second)))
    if args.write_agreed:
        with open(args.write_agreed, "w", encoding="utf-8") as f:
            f.write("pair_no\tlabel\tnote\n")
            for p in sorted(set(first) & set(second)):
                if first[p] == second[p]:
                    f.write(f"{p}\t{first[p]}\tboth annotators\n")


if __name__ == "__main__":
    main()
