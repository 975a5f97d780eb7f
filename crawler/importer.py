"""Read articles from files: plain text, JSON Lines (optionally gzipped), saved pages, WARC."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from .article import Article, Rejection
from .dates import with_time_of_day
from .saved import read_html_file, read_warc_file
from .text_normaliser import clean_text, parse_text

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_LINE_CHARS = 5 * 1024 * 1024


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in (".jsonl.gz", ".jsonl", ".txt", ".warc.gz", ".warc", ".html", ".htm"):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


SUPPORTED = (".txt", ".jsonl", ".jsonl.gz", ".html", ".htm", ".warc", ".warc.gz")


def find_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path | Rejection]:
    """Expand files and directories into the importable files they hold."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and _suffix(child) in SUPPORTED:
                    yield child
        elif path.is_file():
            if _suffix(path) in SUPPORTED:
                yield path
            else:
                yield Rejection(str(path), f"unsupported file type; use one of {SUPPORTED}")
        else:
            yield Rejection(str(path), "no such file or directory")


def read_text_file(path: Path) -> Iterator[Article | Rejection]:
    if path.stat().st_size > MAX_FILE_BYTES:
        yield Rejection(str(path), f"larger than {MAX_FILE_BYTES // 2**20} MB")
        return
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        yield Rejection(str(path), "binary data, not text")
        return
    article = parse_text(text, article_id=path.name.rsplit(".", 1)[0])
    if not article.body:
        yield Rejection(str(path), "no article text")
        return
    yield article


def _optional(record: dict, key: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    value = clean_text(str(value)).strip()
    return value or None


def article_from_record(record: dict, where: str) -> Article | Rejection:
    """Turn one JSON object into an Article, or say why it cannot be one."""
    if not isinstance(record, dict):
        return Rejection(where, "not a JSON object")
    body = _optional(record, "body")
    if not body:
        return Rejection(where, "no body")
    article_id = _optional(record, "id") or _optional(record, "url")
    if not article_id:
        return Rejection(where, "no id and no url")
    parsed = parse_text(body, article_id=article_id, title=_optional(record, "title"))
    return Article(
        id=article_id,
        title=parsed.title,
        title_derived=parsed.title_derived,
        body=parsed.body,
        url=_optional(record, "url"),
        source=_optional(record, "source") or parsed.source,
        published=with_time_of_day(
            _optional(record, "date") or _optional(record, "published"), _optional(record, "time")
        ),
        author=_optional(record, "author"),
    )


def _bounded_lines(stream) -> Iterator[str | None]:
    """Lines of a text stream, never holding more than MAX_LINE_CHARS of one in memory.

    An over-long line (a gzip bomb, a runaway record) is skipped to its end and
    yields None in its place.
    """
    while True:
        line = stream.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        if len(line) <= MAX_LINE_CHARS or line.endswith("\n"):
            yield line
            continue
        while line and not line.endswith("\n"):
            line = stream.readline(MAX_LINE_CHARS)
        yield None


def read_jsonl_file(path: Path) -> Iterator[Article | Rejection]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(_bounded_lines(lines), 1):
                where = f"{path}:{number}"
                if line is None:
                    yield Rejection(where, f"line longer than {MAX_LINE_CHARS // 2**20} MB")
                    continue
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as e:
                    yield Rejection(where, f"invalid JSON ({e.msg})")
                    continue
                yield article_from_record(record, where)
    except (OSError, EOFError) as e:
        yield Rejection(str(path), f"cannot read the file ({e})")


def read_path(path: Path) -> Iterator[Article | Rejection]:
    """Every article (or rejection) one file holds."""
    try:
        suffix = _suffix(path)
        if suffix == ".txt":
            yield from read_text_file(path)
        elif suffix in (".html", ".htm"):
            yield from read_html_file(path)
        elif suffix in (".warc", ".warc.gz"):
            yield from read_warc_file(path)
        else:
            yield from read_jsonl_file(path)
    except OSError as e:
        yield Rejection(str(path), f"cannot read the file ({e.strerror or e})")


class UrlClaims:
    """The URLs one import has given to an article: one article per URL.

    A later article of the same import with a claimed URL under another id is
    rejected (the store would let it replace the first, and importing the
    same files again would then replace back and forth).
    """

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def check(self, article: Article, where: object) -> Article | Rejection:
        """The article, or why it is rejected; claims its URL."""
        if not article.url:
            return article
        first = self.ids.setdefault(article.url, article.id)
        if first == article.id:
            return article
        return Rejection(
            f"{where} (id {article.id})",
            f"the same URL as article {first} earlier in this import (one article per URL)",
        )

    def replaced(self, replacements: list[tuple]) -> list[tuple]:
        """The replacements this import made, of those the store recorded meanwhile."""
        return [r for r in replacements if r[2] is not None and self.ids.get(r[2]) == r[1]]
