"""The two ways to a text's terms agree on the news archive.

    .venv/bin/python bench/analysis_agreement.py [--news ../shared/data/news]

A build indexes ``exact_terms``/``stemmed_terms`` (a whole text at once);
queries and highlighting go through the Whoosh analyzers (``split_words``,
token by token). For the title and body of every article this compares the
terms and positions of both, exact and stemmed, and lists the texts where they
differ (none is the only good answer). ``tests/test_analysis.py`` checks the
same on generated text; this checks the real vocabulary.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.article import Article  # noqa: E402
from crawler.importer import find_files, read_path  # noqa: E402
from index.analysis import (  # noqa: E402
    Stemmer,
    analyzer_terms,
    exact_analyzer,
    exact_terms,
    stem_analyzer,
    stemmed_terms,
)

DEFAULT_NEWS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "news"


def compare(texts, show: int) -> dict:
    """Counts of texts, tokens, distinct words and disagreements; prints the first few."""
    exact_an, stem_an, stemmer = exact_analyzer(), stem_analyzer(), Stemmer()
    counts = {"texts": 0, "terms": 0, "exact_differ": 0, "stemmed_differ": 0}
    vocabulary = set()
    for label, text in texts:
        exact = exact_terms(text)
        counts["texts"] += 1
        counts["terms"] += sum(map(len, exact.values()))
        vocabulary.update(exact)
        for kind, fast, slow in (
            ("exact", exact, analyzer_terms(text, exact_an)),
            ("stemmed", stemmed_terms(exact, stemmer), analyzer_terms(text, stem_an)),
        ):
            if fast != slow:
                counts[f"{kind}_differ"] += 1
                if counts["exact_differ"] + counts["stemmed_differ"] <= show:
                    extra = {k: v for k, v in fast.items() if slow.get(k) != v}
                    print(f"{kind} differs in {label}: {sorted(extra.items())[:5]}")
    counts["distinct_words"] = len(vocabulary)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--news", type=Path, default=DEFAULT_NEWS)
    parser.add_argument("--show", type=int, default=10, help="Disagreements to print.")
    args = parser.parse_args()
    started = time.perf_counter()
    articles = [a for p in find_files([args.news]) for a in read_path(p) if isinstance(a, Article)]
    texts = (
        (f"{a.id} {field}", getattr(a, field)) for a in articles for field in ("title", "body")
    )
    counts = compare(texts, args.show)
    print(f"{len(articles)} articles in {time.perf_counter() - started:.0f} s: {counts}")
    return 1 if counts["exact_differ"] or counts["stemmed_differ"] else 0


if __name__ == "__main__":
    sys.exit(main())
