"""What a generation's segments were written from, so a rebuild can tell when they would not change.

A rebuild writes a generation's segments from two things: the documents
(every article's Whoosh fields, with its copy group and story, in store
order) and the code that analyses and writes them. A ``Fingerprint`` records
a digest of each beside the generation (``fingerprint.json``), with the
Whoosh commit it describes. When the next rebuild finds the current
generation still at that commit (no update since), written by the same code
and schema, and its own documents give the same digest, the segments it
would write are those already there, byte for byte but their names: it links
them into the new generation instead of analysing and writing 25,000
articles again. Any difference, even one article's story, and it writes
everything as before.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

FINGERPRINT_FILE = "fingerprint.json"


def document_hasher():
    """A running digest of documents, each added with ``add_document``."""
    return hashlib.blake2b(digest_size=20)


def add_document(hasher, fields: dict) -> None:
    """Feed one document's fields (any order) to ``hasher``."""
    hasher.update(repr(sorted(fields.items())).encode("utf-8", "surrogatepass") + b"\0")


def combine(digests: list[str]) -> str:
    """One digest of the processes' digests, in shard order."""
    return hashlib.blake2b("/".join(digests).encode(), digest_size=20).hexdigest()


@lru_cache(maxsize=1)
def code_key() -> str:
    """A digest of the index package's code and word lists, Whoosh's and Sastrawi's versions.

    Any edit of the package changes it, so a rebuild after an upgrade (or a
    change of analysis) always writes its segments again.
    """
    package = Path(__file__).resolve().parent
    hasher = hashlib.blake2b(digest_size=20)
    for path in sorted([*package.glob("*.py"), *package.joinpath("data").glob("*")]):
        hasher.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for name in ("whoosh-reloaded", "PySastrawi"):
        hasher.update(f"{name}={metadata.version(name)}\0".encode())
    return hasher.hexdigest()


@dataclass(frozen=True)
class Fingerprint:
    """The code, the documents and the Whoosh commit (``toc``) of a generation's segments."""

    code: str
    documents: str
    toc: int

    @classmethod
    def read(cls, gen_dir: Path) -> Fingerprint | None:
        """The generation's fingerprint, or None (none written, or unreadable)."""
        try:
            data = json.loads((gen_dir / FINGERPRINT_FILE).read_text())
            return cls(
                code=str(data["code"]), documents=str(data["documents"]), toc=int(data["toc"])
            )
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def write(self, gen_dir: Path) -> None:
        """Write it atomically."""
        tmp = gen_dir / (FINGERPRINT_FILE + ".tmp")
        tmp.write_text(json.dumps(asdict(self)))
        os.replace(tmp, gen_dir / FINGERPRINT_FILE)


def link_files(source: Path, target: Path, names: list[str]) -> None:
    """Hard-link (or, where links fail, copy) ``names`` from ``source`` into ``target``.

    Segment files never change once written, so two generations can share them.
    """
    for name in names:
        try:
            os.link(source / name, target / name)
        except OSError:
            with open(source / name, "rb") as src, open(target / name, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
