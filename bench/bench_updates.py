"""Many small updates in a row: their times, and the segments merged on the way.

    .venv/bin/python bench/bench_updates.py [--updates 40] [--batch 25] [--news ../shared/data/news]

Imports the news archive into a temporary store, holding back the last
``updates * batch`` articles; builds the index (twice, so the second is warm,
as after any crawl), then imports the held-back articles ``batch`` at a time,
each followed by ``warta index update``: as a crawl every few minutes would.
Most updates add a small segment; every few, the small segments are merged.
Prints each update's time and segment count, then the median, the slowest
and the warm rebuild they compare with.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index_breakdown import DEFAULT_NEWS, read_news  # noqa: E402

from crawler.store import Store  # noqa: E402
from index import build_index, index_path, index_stats, update_index  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=40, help="How many updates.")
    parser.add_argument("--batch", type=int, default=25, help="New articles per update.")
    parser.add_argument("--news", type=Path, default=DEFAULT_NEWS, help="News archive folder.")
    args = parser.parse_args()
    articles = read_news(args.news)
    held = args.updates * args.batch
    with tempfile.TemporaryDirectory(prefix="warta-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        link = index_path(data_dir)
        with Store.open(data_dir) as store:
            store.upsert_many(articles[:-held])
            build_index(store, link)
            rebuild = build_index(store, link).seconds
            print(f"warm rebuild of {len(articles) - held} articles: {rebuild:.1f} s", flush=True)
            times = []
            for n in range(args.updates):
                start = len(articles) - held + n * args.batch
                store.upsert_many(articles[start : start + args.batch])
                began = time.perf_counter()
                update_index(store, link)
                times.append(time.perf_counter() - began)
                segments = index_stats(store, link)["segments"]
                print(f"  update {n + 1:3}: {times[-1]:5.2f} s, {segments:2} segments", flush=True)
    median = statistics.median(times)
    print(
        f"\n{args.updates} updates of {args.batch} articles: median {median:.2f} s, "
        f"slowest {max(times):.2f} s, total {sum(times):.1f} s (warm rebuild {rebuild:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
