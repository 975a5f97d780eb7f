"""Benchmark archives: the news corpus, and the same corpus repeated under new ids.

Both are built once into ``bench/out/`` (git-ignored) and reused by later runs.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

from crawler.store import Store
from index.build import build_index, index_path

OUT = Path(__file__).resolve().parent / "out"
NEWS = Path(__file__).resolve().parents[2] / "shared" / "data" / "news"


def news_data_dir() -> Path:
    """A data directory holding the 25,427 news articles and their index."""
    data_dir = OUT / "news25k"
    if not (index_path(data_dir) / "").exists():
        warta = [sys.executable, "-m", "web.cli", "--quiet", "--data-dir", str(data_dir)]
        subprocess.run([*warta, "import", str(NEWS)], check=True)
        subprocess.run([*warta, "index", "build"], check=True)
    return data_dir


def repeated_data_dir(times: int = 10) -> Path:
    """A data directory with the news corpus ``times`` over, each copy under new ids."""
    data_dir = OUT / f"news{times}x"
    if (index_path(data_dir) / "").exists():
        return data_dir
    with Store.open(news_data_dir()) as source, Store.open(data_dir) as store:
        originals = [article for article, _ in source.iter_articles()]
        for copy in range(times):
            store.upsert_many(_renamed(article, copy) for article in originals)
        print(f"building the {times}x index ({store.count()} articles) ...", file=sys.stderr)
        build_index(store, index_path(data_dir))
    return data_dir


def _renamed(article, copy: int):
    if copy == 0:
        return article
    url = f"{article.url}#copy{copy}" if article.url else None
    return dataclasses.replace(article, id=f"{article.id}~{copy}", url=url)


if __name__ == "__main__":
    print(repeated_data_dir(int(sys.argv[1]) if len(sys.argv) > 1 else 10))
