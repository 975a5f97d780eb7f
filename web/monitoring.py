"""Health you can see: ``/sumber`` (each source's crawl health, in Indonesian),
``/metrics`` (Prometheus text) and the index freshness ``/health`` reports.

Numbers that come from the store and the index (articles, crawl rounds and
failures per source, the index's age and pending changes) are read when
Prometheus scrapes, by a collector, so every ``warta serve`` worker process
answers the same. The search latency histogram is measured here, in a request
hook around the search endpoints, and lives in the memory of the process
that answered: with ``--workers N`` a scrape shows one worker's searches,
unless ``PROMETHEUS_MULTIPROC_DIR`` names a directory the workers share (then
prometheus_client sums them; see the README).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

from flask import Blueprint, Flask, current_app, g, render_template, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from crawler import Store
from crawler.cli import read_sources
from crawler.dates import WIB
from crawler.health import HealthWarning, parse_time, source_status
from crawler.sources import SourcesError
from index import WartaIndexError, index_path, index_state

from .handles import get_searcher, get_store
from .template_filters import MONTHS

bp = Blueprint("monitoring", __name__)

# Endpoints whose time is a search's time, and the label each gets.
SEARCH_ENDPOINTS = {"views.search_page": "page", "api.search": "api", "atom.search_feed": "feed"}
SEARCH_ARGS = ("q", "source", "from", "to")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MAX_REASON_CHARS = 80


def index_freshness(data_dir: str, store: Store) -> dict:
    """Store changes the index has not taken in yet, and when it was last brought up to date."""
    state = index_state(index_path(data_dir))
    when = parse_time(state.get("updated") or state.get("built"))
    return {
        "pending_changes": max(0, store.seq - int(state.get("seq", 0))) if state else store.seq,
        "last_update": when.astimezone(WIB).isoformat(timespec="seconds") if when else None,
    }


# -- /sumber ------------------------------------------------------------------


def waktu(moment: datetime | None) -> str:
    """An instant as an Indonesian reads it: '30 November 2026 16:35 WIB' (as the other pages)."""
    if moment is None:
        return "belum pernah"
    local = moment.astimezone(WIB)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} {local:%H:%M} WIB"


def _persen(share: float | None) -> str:
    return "belum ada pembanding" if share is None else f"biasanya {share:.0%}"


_SINYAL = {
    "not_articles": "halaman yang didaftarkan feed atau sitemap tidak menghasilkan teks artikel",
    "short_body": "artikel baru berisi kurang dari 300 karakter",
    "no_date": "artikel baru tanpa tanggal terbit",
    "no_author": "artikel baru tanpa nama penulis",
    "seen_title": "artikel baru berjudul sama dengan artikel yang sudah ada",
}


def peringatan(warning: HealthWarning) -> str:
    """A health warning in Indonesian."""
    if warning.kind == "failing":
        which = "Putaran terakhir" if warning.rounds == 1 else f"{warning.rounds} putaran terakhir"
        return f"{which} gagal: {warning.detail}."
    if warning.kind == "never":
        return "Belum pernah dirayapi."
    if warning.kind == "stale":
        return (
            f"Tidak ada perayapan yang berhasil sejak {waktu(warning.since)}. "
            "Apakah `warta watch` berjalan?"
        )
    hint = " Mungkin tata letak situsnya berubah." if warning.signal == "not_articles" else ""
    return (
        f"{warning.share:.0%} {_SINYAL[warning.signal]} akhir-akhir ini "
        f"({_persen(warning.usual)}).{hint}"
    )


@bp.get("/sumber")
def sources_page():
    """Each source's health: last successful crawl, articles in 24 hours and 7 days, failures."""
    try:
        sources = read_sources(current_app.config["DATA_DIR"])
    except SourcesError as e:
        return render_template("sumber.html", statuses=[], problem=str(e)), 200
    statuses = source_status(get_store(), sources)
    return render_template("sumber.html", statuses=statuses, problem=None)


# -- /metrics -------------------------------------------------------------------


class StoreCollector:
    """Numbers from the store and the index, read at scrape time."""

    def __init__(self, app: Flask):
        self.app = app

    def describe(self):
        return []  # nothing is read when the collector is registered

    def collect(self):
        data_dir = self.app.config["DATA_DIR"]
        with Store.open(data_dir) as store:
            yield GaugeMetricFamily(
                "warta_articles_stored", "Articles in the store.", value=store.count()
            )
            freshness = index_freshness(data_dir, store)
            totals = store.round_totals()
        yield from self._index(data_dir, freshness)
        rounds = CounterMetricFamily(
            "warta_crawl_rounds",
            "Crawl rounds per source and outcome.",
            labels=["source", "status"],
        )
        failures = CounterMetricFamily(
            "warta_crawl_failures",
            "Failed requests per source and reason.",
            labels=["source", "reason"],
        )
        for entry in totals:
            for status, count in sorted(entry["rounds"].items()):
                rounds.add_metric([entry["source"], status], count)
            for reason, count in sorted(entry["failures"].items()):
                failures.add_metric([entry["source"], reason[:MAX_REASON_CHARS]], count)
        yield rounds
        yield failures

    def _index(self, data_dir: str, freshness: dict):
        yield GaugeMetricFamily(
            "warta_index_pending_changes",
            "Store changes not yet in the index.",
            value=freshness["pending_changes"],
        )
        state = index_state(index_path(data_dir))
        when = parse_time(state.get("updated") or state.get("built"))
        if when is not None:
            age = (datetime.now(UTC) - when).total_seconds()
            yield GaugeMetricFamily(
                "warta_index_age_seconds",
                "Seconds since the index was last brought up to date.",
                value=age,
            )
        try:
            with self.app.app_context():
                searcher = get_searcher()
                searcher.refresh()
                documents = searcher.doc_count
        except WartaIndexError:
            return
        yield GaugeMetricFamily(
            "warta_articles_indexed", "Documents in the index.", value=documents
        )


def _registry(app: Flask) -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(app.extensions["warta.latency"])
    registry.register(StoreCollector(app))
    return registry


@bp.get("/metrics")
def metrics():
    """Prometheus text: articles, index age, crawl rounds and failures, search latency."""
    registry = current_app.extensions.get("warta.metrics")
    if registry is None:
        registry = current_app.extensions["warta.metrics"] = _registry(current_app)
    return generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST}


def _started() -> None:
    if request.endpoint in SEARCH_ENDPOINTS:
        g.warta_search_started = time.perf_counter()


def _finished(response):
    started = g.pop("warta_search_started", None)
    kind = SEARCH_ENDPOINTS.get(request.endpoint or "")
    if started is not None and (kind != "page" or any(request.args.get(a) for a in SEARCH_ARGS)):
        latency = current_app.extensions["warta.latency"]
        latency.labels(kind).observe(time.perf_counter() - started)
    return response


def register(app: Flask) -> None:
    """The /sumber and /metrics pages and the search latency hook."""
    app.extensions["warta.latency"] = Histogram(
        "warta_search_seconds",
        "Seconds to answer a search (page, API or feed), in this process.",
        ["kind"],
        buckets=LATENCY_BUCKETS,
        registry=None,
    )
    app.register_blueprint(bp)
    app.before_request(_started)
    app.after_request(_finished)
    app.add_template_filter(waktu)
    app.add_template_filter(peringatan)
