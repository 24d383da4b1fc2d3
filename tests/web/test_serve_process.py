"""``onestop serve`` as a real process: on SQLite and PostgreSQL, the demo served, shutdown."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from web_support import SRC, ServerProcess, free_port, kia_body, new_key, settings_for

from onestop.testing.documents import sample_pdf


def _round_trip(url: str) -> None:
    """Submit through plain httpx, then track the application with the receipt's secret."""
    with httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/readyz").status_code == 200
        sent = client.post(
            "/api/v1/applications", json=kia_body(), headers={"Idempotency-Key": new_key()}
        )
        assert sent.status_code == 201, sent.text
        receipt = sent.json()
        status = client.get(
            "/api/v1/tracking",
            params={"number": receipt["number"]},
            headers={"Lookup-Secret": receipt["lookup_secret"]},
        )
        assert status.status_code == 200, status.text
        assert status.json()["number"] == receipt["number"]


def test_serve_on_sqlite_submits_and_tracks(tmp_path: Path) -> None:
    """A real server on a fresh SQLite store takes a submission and tracks it."""
    with ServerProcess(settings_for(tmp_path)) as server:
        _round_trip(server.url)


@pytest.mark.postgres
def test_serve_on_postgresql_with_two_workers(tmp_path: Path, fresh_schema: str) -> None:
    """Two worker processes on a fresh PostgreSQL schema take submissions and track them,
    and stop with status 0 on SIGTERM."""
    settings = settings_for(tmp_path, store_url=fresh_schema, workers=2)
    with ServerProcess(settings, extra=("--threads", "12")) as server:
        for _ in range(4):  # a new connection each time, as from separate clients
            _round_trip(server.url)
    assert server.process is not None
    assert server.process.returncode == 0, server.log()[-2000:]


@pytest.mark.postgres
def test_a_postgresql_pool_holds_a_connection_per_thread(tmp_path: Path, fresh_schema: str) -> None:
    """A worker's PostgreSQL pool may hold as many connections as it has threads."""
    from onestop.web._runtime import open_store

    store = open_store(settings_for(tmp_path, store_url=fresh_schema, threads=24))
    try:
        assert store._pool.max_size == 24  # type: ignore[attr-defined]
    finally:
        store.close()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not answer /healthz in 60 seconds")


def test_demo_serve_tracks_a_demo_application(tmp_path: Path) -> None:
    """``onestop demo --serve`` serves its store: the demo's example application is tracked
    with its number and secret, and a new submission is taken."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    out, err = tmp_path / "out.json", tmp_path / "err.log"
    command = [sys.executable, "-m", "onestop", "demo", "--per-day", "4", "--follow-up", "1"]
    command += ["--json", "--serve", "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": str(SRC), "PYTHONUNBUFFERED": "1"}
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(command, cwd=tmp_path, stdout=stdout, stderr=stderr, env=env)
    try:
        _wait_healthy(url, process, err)
        example = json.loads(out.read_text())["tracking_example"]
        status = httpx.get(
            f"{url}/api/v1/tracking",
            params={"number": example["number"]},
            headers={"Lookup-Secret": example["secret"]},
        )
        assert status.status_code == 200, status.text
        assert status.json()["number"] == example["number"]
        _round_trip(url)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code == 0, err.read_text()[-2000:]


def test_sigterm_lets_a_slow_request_finish_and_closes_the_store(tmp_path: Path) -> None:
    """SIGTERM while an upload is still streaming: the upload finishes (201), the server
    exits 0, and the SQLite store is left closed (no WAL file, no lock)."""
    settings = settings_for(tmp_path)
    document = sample_pdf(b"slow", padding=64 * 1024)
    parts = [document[i : i + 8192] for i in range(0, len(document), 8192)]
    started = threading.Event()
    answer: list[httpx.Response] = []

    def slowly() -> Iterator[bytes]:
        for index, part in enumerate(parts):
            yield part
            if index == 0:
                started.set()
            time.sleep(0.25)

    with ServerProcess(settings) as server:

        def upload() -> None:
            answer.append(
                httpx.post(
                    f"{server.url}/api/v1/uploads",
                    content=slowly(),
                    headers={"Content-Type": "application/pdf"},
                    timeout=60,
                )
            )

        sender = threading.Thread(target=upload)
        sender.start()
        assert started.wait(30)
        time.sleep(0.5)  # the request is in flight, its body half sent
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        sender.join(60)
        code = server.process.wait(timeout=30)
    assert answer, "the upload got no answer"
    assert answer[0].status_code == 201, answer[0].text
    assert code == 0, server.log()[-2000:]
    database = Path(settings.store_url.removeprefix("sqlite:///"))
    assert not Path(f"{database}-wal").exists() or Path(f"{database}-wal").stat().st_size == 0
    with sqlite3.connect(database, timeout=0) as conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")


def test_the_libraries_log_lines_are_json_too(tmp_path: Path) -> None:
    """A warning of uvicorn's own (a graceful stop that ran out of time) reaches stderr as
    one JSON line naming its logger and level, as the access log's events are."""
    settings = settings_for(tmp_path)
    started = threading.Event()

    def stalled() -> Iterator[bytes]:
        yield b"%PDF-1.7\n"
        started.set()
        time.sleep(30)  # never finished before the stop's time runs out

    with ServerProcess(settings, extra=("--shutdown-timeout", "1")) as server:

        def upload() -> None:
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(
                    f"{server.url}/api/v1/uploads",
                    content=stalled(),
                    headers={"Content-Type": "application/pdf"},
                    timeout=60,
                )

        threading.Thread(target=upload, daemon=True).start()
        assert started.wait(30)
        time.sleep(0.5)
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=30)
        lines = server.log().splitlines()
    (stop,) = [line for line in lines if "graceful shutdown exceeded" in line]
    event = json.loads(stop)
    assert event["logger"] == "uvicorn.error"
    assert event["level"] == "error"
    assert event["event"] == "Cancel 1 running task(s), timeout graceful shutdown exceeded"
