"""Benchmark archives: the news corpus, and the same corpus repeated under new ids.

Both are built once into ``bench/out/`` (git-ignored) and reused by later runs.
"""

from __future__ import annotations

import copy
import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage

from crawler.store import Store
from index import build_index, index_path, open_index
from index.generations import MANIFEST_FILE

OUT = Path(__file__).resolve().parent / "out"
NEWS = Path(__file__).resolve().parents[2] / "shared" / "data" / "news"


def news_data_dir() -> Path:
    """A data directory holding the 25,427 news articles and their index."""
    data_dir = OUT / "news25k"
    if not (index_path(data_dir) / "").exists():
        if not NEWS.is_dir():
            sys.exit(f"No news archive at {NEWS}: this benchmark needs ../shared beside the clone.")
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


def copied_index_dir(times: int = 10) -> Path:
    """The 25,427-article index, merged into one segment, ``times`` over in one index.

    For latency only: the copies keep their article ids and near-duplicate
    group, so the ten copies of an article collapse into one hit, as they
    would in a real build (which groups identical texts).
    """
    target = OUT / f"news{times}x-copies"
    if whoosh_index.exists_in(target):
        return target
    source = open_index(_merged_index_dir())
    segments = []
    target.mkdir(parents=True, exist_ok=True)
    for segment in source._segments():
        # A compound file names its parts after the segment: unpack each copy under a new id.
        parts = segment.open_compound_file(source.storage)
        for _ in range(times):
            clone = copy.copy(segment)
            clone.segid = clone._random_id()
            clone.compound = False
            for name in parts.list():
                new_name = name.replace(segment.segid, clone.segid, 1)
                with parts.open_file(name) as f:
                    (target / new_name).write_bytes(f.read())
            segments.append(clone)
        parts.close()
    toc = whoosh_index.TOC(source.schema, segments, 1)
    toc.write(FileStorage(str(target)), source.indexname)
    state = Path(source.storage.folder) / MANIFEST_FILE
    shutil.copyfile(state, target / MANIFEST_FILE)
    return target


def _merged_index_dir() -> Path:
    """The 25,427-article index merged into one segment (Whoosh's optimize)."""
    target = OUT / "news25k-merged"
    if not whoosh_index.exists_in(target):
        shutil.copytree(index_path(news_data_dir()).resolve(), target)
        ix = whoosh_index.open_dir(target)
        print("merging the 25k index into one segment ...", file=sys.stderr)
        ix.optimize()
    return target


def _renamed(article, n: int):
    if n == 0:
        return article
    url = f"{article.url}#copy{n}" if article.url else None
    return dataclasses.replace(article, id=f"{article.id}~{n}", url=url)


if __name__ == "__main__":
    print(repeated_data_dir(int(sys.argv[1]) if len(sys.argv) > 1 else 10))
