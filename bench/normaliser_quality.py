"""How well the HTML normaliser reads real pages: title, date and body per page.

Runs over the saved pages in ``../shared/html`` (hand-checked expectations in
its MANIFEST.json) and the feeds in ``../shared/feeds``. Not part of the test
suite: the pages are third-party data and stay out of the repository.

    python bench/normaliser_quality.py [--shared DIR] [-v]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from datetime import datetime
from pathlib import Path

from crawler.feeds import parse_feed
from crawler.html_normaliser import decode_html, parse_page

DEFAULT_SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "`": "'", "–": "-", "—": "-"})


def flat(text: str) -> str:
    """Compare text the way the manifest was checked: one space, plain quotes and dashes."""
    text = unicodedata.normalize("NFC", text or "").translate(_QUOTES)
    return re.sub(r"\s+", " ", text).strip()


def same_minute(got: str | None, want: str) -> bool:
    if not got:
        return False
    try:
        a, b = datetime.fromisoformat(got), datetime.fromisoformat(want)
    except ValueError:
        return False
    if a.tzinfo is None or b.tzinfo is None:
        return a.date() == b.date()
    return abs((a - b).total_seconds()) < 60


def words(text: str) -> Counter:
    return Counter(re.findall(r"\w+", flat(text).lower()))


def body_f1(html_dir: Path, entry: dict, body: str) -> float | None:
    """Word-level F1 of the body against the page's full gold text, when it has one."""
    gold_name = (entry.get("full_body_gold") or "").split(" ", 1)[0]
    gold_path = html_dir / gold_name
    if not gold_name or not gold_path.is_file():
        return None
    gold, got = words(gold_path.read_text(encoding="utf-8")), words(body)
    overlap = sum((gold & got).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(gold.values())
    return 2 * precision * recall / (precision + recall)


def check_page(html_dir: Path, entry: dict) -> dict:
    """Parse one page and compare it with its manifest entry."""
    html, _ = decode_html((html_dir / entry["file"]).read_bytes())
    page = parse_page(html, entry.get("url"))
    body = flat(page.body)
    missing = [s for s in entry.get("must_contain", []) if flat(s) not in body]
    leaked = [s for s in entry.get("must_not_contain", []) if flat(s) in body]
    return {
        "file": entry["file"],
        "title": flat(page.title) == flat(entry["title"]),
        "date": same_minute(page.published, entry["date"]),
        "must": not missing,
        "must_not": not leaked,
        "f1": body_f1(html_dir, entry, page.body),
        # Loose: the gold author field also names editors and sources in free text.
        "author": bool(page.author)
        and page.author.split()[0].casefold() in entry.get("author", "").casefold(),
        "got_author": page.author,
        "got_title": page.title,
        "got_date": page.published,
        "missing": missing,
        "leaked": leaked,
    }


def report_pages(html_dir: Path, verbose: bool) -> None:
    entries = json.loads((html_dir / "MANIFEST.json").read_text(encoding="utf-8"))
    results = [check_page(html_dir, entry) for entry in entries]
    print(f"{'page':22} title date must must_not body-F1 author")
    for r in results:
        marks = " ".join("ok " if r[k] else "NO " for k in ("title", "date", "must", "must_not"))
        f1 = f"{r['f1']:.2f}" if r["f1"] is not None else "  - "
        author = "ok" if r["author"] else ("--" if r["got_author"] is None else "NO")
        print(f"{r['file']:22} {marks}    {f1}    {author}")
        if verbose:
            if not r["title"]:
                print(f"    title: {r['got_title']!r}")
            if not r["date"]:
                print(f"    date: {r['got_date']!r}")
            for s in r["missing"]:
                print(f"    missing: {s[:90]!r}")
            for s in r["leaked"]:
                print(f"    leaked: {s[:90]!r}")
    n = len(results)
    totals = {k: sum(r[k] for r in results) for k in ("title", "date", "must", "must_not")}
    perfect = sum(all(r[k] for k in totals) for r in results)
    print(
        f"\nTotal over {n} pages: title {totals['title']}/{n}, date {totals['date']}/{n}, "
        f"body must_contain {totals['must']}/{n}, body must_not_contain {totals['must_not']}/{n}, "
        f"all four {perfect}/{n}."
    )
    authors = sum(r["author"] for r in results)
    missing = sum(r["got_author"] is None for r in results)
    print(
        f"Author (loose: first name found in the gold byline): {authors}/{n}, "
        f"none found {missing}, other {n - authors - missing}."
    )
    scored = [r["f1"] for r in results if r["f1"] is not None]
    if scored:
        print(
            f"Body word F1 against the full gold text ({len(scored)} pages): mean "
            f"{sum(scored) / len(scored):.3f}, lowest {min(scored):.2f}."
        )


def report_feeds(feed_dir: Path) -> None:
    print(f"\n{'feed':28} entries dated")
    total = dated = 0
    for path in sorted(feed_dir.glob("*.xml")):
        entries = parse_feed(path.read_bytes(), path.as_uri())
        with_date = sum(1 for e in entries if e.published)
        total, dated = total + len(entries), dated + with_date
        print(f"{path.name:28} {len(entries):7} {with_date:5}")
    print(f"Feeds: {total} entries, {dated} with a date.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared/ folder")
    parser.add_argument("-v", "--verbose", action="store_true", help="show what went wrong")
    args = parser.parse_args()
    html_dir, feed_dir = args.shared / "html", args.shared / "feeds"
    if not (html_dir / "MANIFEST.json").is_file():
        print(
            f"No saved pages at {html_dir} (MANIFEST.json missing): nothing to measure. "
            "Pass --shared DIR to point at the shared folder."
        )
        return 0
    report_pages(html_dir, args.verbose)
    if feed_dir.is_dir():
        report_feeds(feed_dir)
    else:
        print(f"\nNo feeds at {feed_dir}; skipped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
