"""Stopwords at index time or not: index size and speed against phrase correctness.

    .venv/bin/python bench/stopword_eval.py [--articles 3000] [--news ../shared/data/news]

Builds two small Whoosh indexes of the same articles (stemmed body only):
one keeps every word (Warta's choice), one drops Sastrawi's 809 stopwords
with Whoosh's StopFilter. Reports their size and build time, then, for
phrases made of content words Sastrawi lists as stopwords, how many articles
truly contain the phrase and how many each index returns for it.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from whoosh import index as whoosh_index  # noqa: E402
from whoosh.analysis import StopFilter  # noqa: E402
from whoosh.fields import ID, TEXT, Schema  # noqa: E402
from whoosh.qparser import QueryParser  # noqa: E402

from crawler.article import Article  # noqa: E402
from crawler.importer import find_files, read_path  # noqa: E402
from index.analysis import stem_analyzer, stopwords  # noqa: E402

DEFAULT_NEWS = ROOT.parent / "shared" / "data" / "news"
PHRASES = ["ibu kota", "hari raya", "orang tua", "tahun baru", "pertama kali", "hari ini"]


def build(articles: list[Article], analyzer, folder: str) -> tuple[object, float, int]:
    """A Whoosh index of the bodies; with its build time and size in bytes."""
    ix = whoosh_index.create_in(folder, Schema(id=ID(stored=True), body=TEXT(analyzer=analyzer)))
    started = time.perf_counter()
    with ix.writer(limitmb=512) as writer:
        for a in articles:
            writer.add_document(id=a.id, body=a.body)
    seconds = time.perf_counter() - started
    return ix, seconds, sum(f.stat().st_size for f in Path(folder).iterdir())


def phrase_hits(ix, phrase: str) -> int:
    with ix.searcher() as searcher:
        query = QueryParser("body", ix.schema).parse(f'"{phrase}"')
        return len(searcher.search(query, limit=None))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=3000, help="Articles to index.")
    parser.add_argument("--news", type=Path, default=DEFAULT_NEWS, help="News archive folder.")
    args = parser.parse_args()
    articles = [a for p in find_files([args.news]) for a in read_path(p) if isinstance(a, Article)][
        : args.articles
    ]
    with tempfile.TemporaryDirectory() as keep_dir, tempfile.TemporaryDirectory() as drop_dir:
        kept, kept_s, kept_size = build(articles, stem_analyzer(), keep_dir)
        dropped_analyzer = stem_analyzer() | StopFilter(stoplist=stopwords(), minsize=1)
        dropped, drop_s, drop_size = build(articles, dropped_analyzer, drop_dir)
        print(f"{len(articles)} articles")
        print("| index | build | size |\n| --- | ---: | ---: |")
        print(f"| stopwords kept (Warta) | {kept_s:.1f} s | {kept_size / 2**20:.1f} MB |")
        print(f"| stopwords dropped | {drop_s:.1f} s | {drop_size / 2**20:.1f} MB |")
        print(f"\nsaving: {1 - drop_s / kept_s:.0%} time, {1 - drop_size / kept_size:.0%} size\n")
        print("| phrase | articles with it | kept: hits | dropped: hits |")
        print("| --- | ---: | ---: | ---: |")
        for phrase in PHRASES:
            pattern = re.compile(r"\b" + phrase.replace(" ", r"\s+") + r"\b", re.IGNORECASE)
            truth = sum(1 for a in articles if pattern.search(a.body))
            print(
                f"| {phrase} | {truth} | {phrase_hits(kept, phrase)} "
                f"| {phrase_hits(dropped, phrase)} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
