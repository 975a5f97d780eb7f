"""Figures about the index: documents, segments, terms, size, and drift from the store."""

from __future__ import annotations

import os
from pathlib import Path

from crawler.store import Store

from .acronyms import read_trusted
from .generations import Manifest, open_index
from .merging import live_ids


def index_stats(store: Store, index_dir: str | os.PathLike) -> dict:
    """Documents, segments, terms, size, last update and drift from the store."""
    index = open_index(index_dir)
    gen_dir = Path(index_dir).resolve()
    manifest = Manifest.read(gen_dir)
    with index.reader() as reader:
        indexed_ids = live_ids(reader)
        terms = sum(1 for _ in reader.all_terms())
        documents = reader.doc_count()
        segments = len(index._segments())
    store_ids = store.ids()
    return {
        "documents": documents,
        "segments": segments,
        "terms": terms,
        "size_bytes": sum(f.stat().st_size for f in gen_dir.iterdir() if f.is_file()),
        "generation": gen_dir.name,
        "built": manifest.built,
        "last_update": manifest.updated,
        "store_articles": len(store_ids),
        "not_indexed": len(store_ids - indexed_ids),
        "missing_from_store": len(indexed_ids - store_ids),
        "pending_changes": store.seq - (manifest.seq or 0),
        "acronyms": len(read_trusted(gen_dir)),
    }
