"""`warta serve` for real: worker processes share the port and stop together."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(c) for c in text.split()]


def serve_command(data_dir, port: int, *options: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "web.cli",
        "--data-dir",
        str(data_dir),
        "serve",
        "--port",
        str(port),
        *options,
    ]


def get_json(url: str) -> dict:
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"no answer from {url}")


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_and_stops_on_sigterm(indexed_data_dir, workers):
    port = free_port()
    server = subprocess.Popen(
        serve_command(indexed_data_dir, port, "--workers", str(workers)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        health = get_json(f"http://127.0.0.1:{port}/health")
        assert health["documents"] == 7
        found = get_json(f"http://127.0.0.1:{port}/api/search?q=banjir")
        assert found["hits"][0]["id"] == "bekasi-banjir"
        workers_seen = children(server.pid)
        assert len(workers_seen) == (workers if workers > 1 else 0)
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=20)
    assert f"at http://127.0.0.1:{port}/" in output
    for pid in workers_seen:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_serve_on_a_taken_port_says_so(indexed_data_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            serve_command(indexed_data_dir, port),
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert done.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in done.stderr


def test_workers_answer_one_request_per_connection_and_never_stall(indexed_data_dir):
    """With one thread per process, parallel requests still all get answers quickly:
    a busy process stops accepting and the other (or the next free one) takes over."""
    port = free_port()
    command = serve_command(indexed_data_dir, port, "--workers", "2", "--threads", "1")
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        get_json(f"{base}/health")

        def fetch(i):
            query = ["banjir", "korea", "kirim", "pasukan"][i % 4]
            started = time.monotonic()
            with urllib.request.urlopen(f"{base}/api/search?q={query}", timeout=10) as r:
                body = json.loads(r.read())
                return r.headers["Connection"], "hits" in body, time.monotonic() - started

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(fetch, range(24)))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    assert all(connection == "close" and ok for connection, ok, _ in answers)
    # A stalled accept loop would wait for its one-second select timeout.
    assert max(seconds for _, _, seconds in answers) < 5


def test_serve_reads_the_settings_from_the_environment(indexed_data_dir):
    port = free_port()
    env = {**os.environ, "WARTA_PORT": str(port), "WARTA_MAX_QUERY_CHARS": "20"}
    command = [sys.executable, "-m", "web.cli", "--data-dir", str(indexed_data_dir), "serve"]
    server = subprocess.Popen(
        [*command, "--workers", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        assert get_json(f"http://127.0.0.1:{port}/health")["status"] == "ok"
        url = f"http://127.0.0.1:{port}/api/search?q={'b' * 21}"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 400
        error = json.loads(refused.value.read())["error"]
        assert error == "Parameter 'q' must be at most 20 characters long."
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=20)
