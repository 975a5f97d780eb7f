"""A fresh `warta serve` for a benchmark: start, query over HTTP, measure its workers, stop."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
from harness import out_dir, percentiles, warta_command

WARM_UP = ("pemilu", "banjir jakarta", "harga beras", "presiden jokowi", "gempa bumi")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``warta serve`` on a free loopback port, as a context manager."""

    def __init__(
        self, data_dir: Path, workers: int = 2, threads: int = 4, log: str | Path = "serve"
    ):
        """``log``: a file for the server's output, or a name for bench/out/logs/NAME.log."""
        self.data_dir, self.port = Path(data_dir), free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.args = [*warta_command(), "--data-dir", str(data_dir), "serve"]
        self.args += ["--port", str(self.port), "--workers", str(workers)]
        self.args += ["--threads", str(threads)]
        self.log_path = log if isinstance(log, Path) else out_dir("logs") / f"{log}.log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        # The server's output goes to a file: an unread pipe would fill and stall it.
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(self.args, stdout=self._log, stderr=subprocess.STDOUT)
        self.started = time.perf_counter()
        self._wait_until_up()
        return self

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()

    def _wait_until_up(self) -> None:
        for _ in range(600):
            if self.proc.poll() is not None:
                raise SystemExit(
                    f"warta serve exited with {self.proc.returncode}; see {self.log_path}."
                )
            try:
                self.get("/health")
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"warta serve did not answer /health within 60 s; see {self.log_path}.")

    def get(self, path: str, timeout: float = 60) -> tuple[int, bytes]:
        """GET ``path`` on a new connection (the server closes each after one answer)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def search(self, query: str) -> tuple[float, str | None]:
        """One /api/search (first page, with snippets): milliseconds and a problem, if any."""
        path = "/api/search?" + urllib.parse.urlencode({"q": query})
        started = time.perf_counter()
        try:
            status, body = self.get(path)
        except (OSError, http.client.HTTPException) as e:
            return (time.perf_counter() - started) * 1000, f"{type(e).__name__} for {query!r}"
        ms = (time.perf_counter() - started) * 1000
        if status != 200:
            return ms, f"HTTP {status} for {query!r}"
        if "hits" not in json.loads(body):
            return ms, f"no hits in the answer for {query!r}"
        return ms, None

    def warm_up(self, queries=WARM_UP, rounds: int = 4) -> float:
        """Open every worker's searcher: concurrent requests reach every process.

        A process accepts only while it has a free thread, so more concurrent
        requests than one process has threads reach the others too.
        """
        started = time.perf_counter()
        paths = [q for _ in range(rounds) for q in queries]
        with ThreadPoolExecutor(max_workers=len(paths)) as pool:
            list(pool.map(self.search, paths))
        return time.perf_counter() - started

    def workers(self) -> list[psutil.Process]:
        """The serving processes: the forked workers, or the server itself with one worker."""
        root = psutil.Process(self.proc.pid)
        return root.children() or [root]

    def uss_mb(self) -> list[float]:
        """Private memory (USS) of each worker, in MB."""
        return [round(p.memory_full_info().uss / 2**20, 1) for p in self.workers()]

    def rss_mb(self) -> float:
        """Resident memory of the whole server (parent and workers), in MB."""
        root = psutil.Process(self.proc.pid)
        return round(sum(p.memory_info().rss for p in [root, *root.children()]) / 2**20, 1)


def time_sequential(server: Server, pairs: list[tuple[str, str]]) -> dict:
    """Send (kind, query) pairs one after another; p50/p95/p99 per kind, and problems."""
    samples: dict[str, list[float]] = {}
    problems = []
    for kind, query in pairs:
        ms, problem = server.search(query)
        samples.setdefault(kind, []).append(ms)
        if problem:
            problems.append(problem)
    return _summary(samples, problems)


def time_concurrent(server: Server, pairs: list[tuple[str, str]], clients: int) -> dict:
    """Send (kind, query) pairs from ``clients`` threads, each query once."""
    samples: dict[str, list[float]] = {}
    problems: list[str] = []
    lock = threading.Lock()

    def one(pair: tuple[str, str]) -> None:
        ms, problem = server.search(pair[1])
        with lock:
            samples.setdefault(pair[0], []).append(ms)
            if problem:
                problems.append(problem)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, pairs))
    summary = _summary(samples, problems)
    summary["queries_per_s"] = round(len(pairs) / (time.perf_counter() - started), 1)
    return summary


def _summary(samples: dict[str, list[float]], problems: list[str]) -> dict:
    every = [ms for values in samples.values() for ms in values]
    kinds = {kind: percentiles(values) for kind, values in sorted(samples.items())}
    return {**kinds, "all": percentiles(every), "errors": len(problems), "problems": problems[:5]}
