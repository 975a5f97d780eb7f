"""Agreement between two annotators of the judged story pairs (issue 12).

The second held-out set (``heldout2``) was labelled by one annotator
(``labels_heldout2.tsv``), then a second time, blind, by two others who
split it (``labels_heldout2_second_a.tsv`` for pairs 0-104,
``labels_heldout2_second_b.tsv`` for 105-209). This prints the confusion
matrix, raw agreement and Cohen's kappa over the four labels, and over the
two decisions the product makes: copy or not (collapse), and together or
apart (copy or same-event against related or different).

The third held-out set (``heldout3``, fifth session) was labelled the same
way: ``labels_heldout3.tsv`` by three annotators (pairs 0-69, 70-139,
140-209), and blind a second time by two others
(``labels_heldout3_second_a.tsv`` 0-104, ``labels_heldout3_second_b.tsv``
105-209).

``--as-system`` also scores the second labels as if they were Warta's
output, against the first labels, with the issue's five figures: a human
ceiling for each target (what a second careful reader reaches).

    .venv/bin/python bench/label_agreement.py [--set 3] [--as-system]
    .venv/bin/python bench/label_agreement.py --write-agreed out.tsv   # pairs both labelled alike
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

JUDGED = Path(__file__).resolve().parent / "judged"
SETS = {
    2: (
        JUDGED / "labels_heldout2.tsv",
        (JUDGED / "labels_heldout2_second_a.tsv", JUDGED / "labels_heldout2_second_b.tsv"),
    ),
    3: (
        JUDGED / "labels_heldout3.tsv",
        (JUDGED / "labels_heldout3_second_a.tsv", JUDGED / "labels_heldout3_second_b.tsv"),
    ),
}
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


def share(hits: int, total: int) -> str:
    return f"{100 * hits / total:.1f} % ({hits}/{total})" if total else "n/a"


def as_system(first: dict[int, str], second: dict[int, str]) -> list[str]:
    """The issue's five figures of the second labels taken as output (copy: collapsed;
    copy or same-event: together), scored against the first labels."""
    pairs = sorted(set(first) & set(second))
    truth = Counter(first[p] for p in pairs)
    collapsed = Counter(first[p] for p in pairs if second[p] == "copy")
    together = Counter(first[p] for p in pairs if second[p] in ("copy", "same-event"))
    apart = truth["related"] + truth["different"]
    return [
        "The second labels as a system, scored against the first:",
        f"  collapsed pairs that are copies       {share(collapsed['copy'], collapsed.total())}"
        "  (target >= 95 %)",
        f"  related/different collapsed           "
        f"{share(collapsed['related'] + collapsed['different'], apart)}  (<= 3 %)",
        f"  related/different in one story        "
        f"{share(together['related'] + together['different'], apart)}  (<= 10 %)",
        f"  copies collapsed                      {share(collapsed['copy'], truth['copy'])}"
        "  (>= 85 %)",
        f"  same-event in one story or collapsed  "
        f"{share(together['same-event'], truth['same-event'])}  (>= 75 %)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", type=int, choices=sorted(SETS), default=2, help="held-out set")
    parser.add_argument("--as-system", action="store_true", help="score the second labels")
    parser.add_argument("--write-agreed", type=Path, help="Write the pairs both labelled alike.")
    args = parser.parse_args()
    first_path, second_paths = SETS[args.set]
    first, second = read_labels(first_path), read_labels(*second_paths)
    print("\n".join(report(first, second)))
    if args.as_system:
        print("\n".join(as_system(first, second)))
    if args.write_agreed:
        with open(args.write_agreed, "w", encoding="utf-8") as f:
            f.write("pair_no\tlabel\tnote\n")
            for p in sorted(set(first) & set(second)):
                if first[p] == second[p]:
                    f.write(f"{p}\t{first[p]}\tboth annotators\n")


if __name__ == "__main__":
    main()
