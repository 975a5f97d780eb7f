"""``warta search --since-last FILE``: only the articles that are new since the last run.

For scripts that follow a search (a cron job mailing new coverage, say). The
state file remembers the search it follows, when it last ran and what it
printed. "New" means new to the archive: added to the store after the last
run, whatever the article's publication date, so an article crawled late is
still reported once. Each run looks at the ``SCAN`` newest matching articles
(by publication date). The first run prints nothing new and starts the file.
The file is replaced atomically (written beside it, then renamed), so a
killed run leaves the previous state whole.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawler.store import Store

from .results import SearchResult
from .settings import DEFAULT_LIMITS

SCAN = DEFAULT_LIMITS.max_page_size
# Store times have whole seconds, and an article is stamped a moment before its commit:
# a run looks this far back and skips what the last run already saw.
OVERLAP_SECONDS = 5
STATE_VERSION = 1


class AlertStateError(Exception):
    """The state file cannot be used; the message says why and what to do."""


def now() -> str:
    """The start of a run, as the state records it: a little early (``OVERLAP_SECONDS``)."""
    return (datetime.now(UTC) - timedelta(seconds=OVERLAP_SECONDS)).isoformat(timespec="seconds")


def read_state(path: Path, search: dict) -> dict | None:
    """The state of the last run of ``search``, or None before the first run."""
    try:
        state = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise AlertStateError(
            f"{path} is not a --since-last state file ({e}). Give another file name."
        ) from e
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        raise AlertStateError(f"{path} is not a --since-last state file. Give another file name.")
    if state.get("search") != search:
        raise AlertStateError(
            f"{path} follows another search ({state.get('search')}). Use one file per search."
        )
    return state


def write_state(path: Path, state: dict) -> None:
    """Replace the state file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(state, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def only_new(
    result: SearchResult, path: Path, search: dict, data_dir, started: str
) -> SearchResult:
    """``result`` with only the hits added to the archive since the last run; saves the state.

    ``started``: when this run began (``now()``, taken before it searched).
    """
    state = read_state(path, search)
    with Store.open(data_dir) as store:
        added = {hit.id: getattr(store.get_stored(hit.id), "added", "") for hit in result.hits}
    if state is None:
        fresh = []
        notice = (
            f"First run: {result.total} articles match now. From the next run on, only "
            "articles added to the archive after this one are printed."
        )
    else:
        seen = set(state.get("seen", []))
        fresh = [h for h in result.hits if added[h.id] >= state["since"] and h.id not in seen]
        notice = None if fresh else "No new articles since the last run."
    write_state(
        path,
        {
            "version": STATE_VERSION,
            "search": search,
            "since": started,
            # What this run saw that the next could count again.
            "seen": [h.id for h in result.hits if added[h.id] >= started],
        },
    )
    return replace(result, hits=fresh, total=len(fresh), notice=notice, facets={})
