"""Where a worker runs the blocking core (docs/explanation/web-framework.md).

On a local store (SQLite, memory) reads run on the event loop itself, and so does a
write when no other is under way, with only its waits (the ``COMMIT`` and its ``fsync``)
in a thread (``onestop-waits``); writes that come meanwhile run whole in the worker's
writer thread; over a store across a network (PostgreSQL), both run in the
worker's thread pool.  These tests record the thread each call of the mall, and each
statement of the SQLite writer's connection, is made in.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import pytest
from web_support import in_process, kia_body, new_key, settings_for, staff_accounts

from onestop.storage._handoff import blocking
from onestop.storage.sqlite import SQLiteStore
from onestop.usecases.mall import Mall
from onestop.web._runtime import Runtime

OFFICER = {"officer": ("front_office", "verifier")}


def _on_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _where() -> str:
    return "loop" if _on_loop() else threading.current_thread().name


class Statements:
    """The thread each statement of a runtime's SQLite writer connection ran in."""

    def __init__(self, runtime: Runtime) -> None:
        self.seen: list[tuple[str, str]] = []
        store = runtime.mall.store
        assert isinstance(store, SQLiteStore)
        store._connection.set_trace_callback(self._record)

    def _record(self, statement: str) -> None:
        self.seen.append((statement.split(None, 1)[0].upper(), _where()))

    def threads(self, *, commits: bool) -> set[str]:
        """Where the ``COMMIT`` statements ran (*commits*), or all the others."""
        return {where for first, where in self.seen if (first == "COMMIT") is commits}


class Where:
    """The threads the mall's calls were made in, by method: ``loop`` or the thread's name."""

    def __init__(self, patch: pytest.MonkeyPatch, *names: str, on: type = Mall) -> None:
        self.seen: dict[str, list[str]] = {name: [] for name in names}
        for name in names:
            patch.setattr(on, name, self._recording(name, getattr(on, name)))

    def _recording(self, name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(owner: Any, *args: Any, **kwargs: Any) -> Any:
            self.seen[name].append(_where())
            return real(owner, *args, **kwargs)

        return recorded


@pytest.fixture
def officer(tmp_path: Path) -> Iterator[tuple[Any, str, str]]:
    """An in-process client on SQLite, an officer's token, and an application's id."""
    settings = settings_for(tmp_path)
    tokens = staff_accounts(settings, OFFICER)
    with in_process(settings) as client:
        sent = client.post(
            "/api/v1/applications", json=kia_body(), headers={"Idempotency-Key": new_key()}
        )
        assert sent.status_code == 201, sent.text
        yield client, tokens["officer"], sent.json()["application_id"]


def _act(client: Any, token: str, application: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    version = client.get(f"/api/v1/applications/{application}", headers=headers)
    assert version.status_code == 200, version.text
    headers["If-Match"] = version.headers["ETag"]
    return client.post(
        f"/api/v1/applications/{application}/actions", json={"action": "accept"}, headers=headers
    )


def test_on_sqlite_an_action_runs_on_the_loop_and_only_its_commit_in_the_writer(
    officer: tuple[Any, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite the reads before an action (the officer's GET, the action's access and
    version check) and the action itself run on the event loop, its statements too, and
    only its ``COMMIT`` (the wait for the disk) in a thread (``onestop-waits``)."""
    client, token, application = officer
    where = Where(monkeypatch, "application", "act")
    rows = Where(monkeypatch, "summary", on=SQLiteStore)
    statements = Statements(client.app.state.runtime)
    answer = _act(client, token, application)
    assert answer.status_code == 200, answer.text
    assert set(where.seen["application"]) == {"loop"}
    assert where.seen["act"] == ["loop"]
    before_the_action = rows.seen["summary"][:2]  # the GET's check, then the action's
    assert before_the_action == ["loop", "loop"]
    assert statements.threads(commits=True) == {"onestop-waits_0"}
    assert statements.threads(commits=False) == {"loop"}
    assert ("BEGIN", "loop") in statements.seen


def test_on_sqlite_every_submission_of_a_worker_commits_in_one_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Submissions on SQLite made one after another run on the event loop, and every
    one's ``COMMIT`` in the same thread (``onestop-waits``)."""
    where = Where(monkeypatch, "submit")
    with in_process(settings_for(tmp_path)) as client:
        # The sweeper's first sweep (at start, in a thread of its own) commits too.
        assert client.app.state.sweeper.wait_for(1, timeout=30)
        statements = Statements(client.app.state.runtime)
        for n in range(3):
            body = kia_body(nik=f"317101250190000{n + 1}")
            sent = client.post(
                "/api/v1/applications", json=body, headers={"Idempotency-Key": new_key()}
            )
            assert sent.status_code == 201, sent.text
    assert where.seen["submit"] == ["loop"] * 3
    commits = [where for first, where in statements.seen if first == "COMMIT"]
    assert len(commits) >= 3
    assert set(commits) == {"onestop-waits_0"}


def test_on_sqlite_tracking_runs_on_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tracking lookup on SQLite is answered on the event loop, without a thread."""
    with in_process(settings_for(tmp_path)) as client:
        receipt = client.post(
            "/api/v1/applications", json=kia_body(), headers={"Idempotency-Key": new_key()}
        ).json()
        where = Where(monkeypatch, "track")
        found = client.get(
            "/api/v1/tracking",
            params={"number": receipt["number"]},
            headers={"Lookup-Secret": receipt["lookup_secret"]},
        )
    assert found.status_code == 200, found.text
    assert where.seen["track"] == ["loop"]


def test_over_a_remote_store_reads_and_actions_run_in_the_pool(
    officer: tuple[Any, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the store is not local, neither the reads nor the action run on the loop or
    in a writer thread of their own: both go to the worker's thread pool."""
    client, token, application = officer
    monkeypatch.setattr(Runtime, "local_store", property(lambda _: False))
    where = Where(monkeypatch, "application", "act")
    answer = _act(client, token, application)
    assert answer.status_code == 200, answer.text
    threads = where.seen["application"] + where.seen["act"]
    assert "loop" not in threads
    assert not any(name.startswith("onestop-writer") for name in threads)


def test_a_failed_write_leaves_the_writer_serving(
    officer: tuple[Any, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An action that fails is answered with its problem, and the next action goes
    through the same writer."""
    client, token, application = officer
    real = Mall.act
    failures = iter([True])

    def failing_once(mall: Mall, *args: Any, **kwargs: Any) -> Any:
        if next(failures, False):
            raise ValueError("the writer fails once")
        return real(mall, *args, **kwargs)

    monkeypatch.setattr(Mall, "act", failing_once)
    assert _act(client, token, application).status_code == 500
    assert _act(client, token, application).status_code == 200


def test_closing_the_runtime_stops_its_writer_thread(tmp_path: Path) -> None:
    """After the worker stops, no writer thread of it is left running."""
    with in_process(settings_for(tmp_path)) as client:
        sent = client.post(
            "/api/v1/applications", json=kia_body(), headers={"Idempotency-Key": new_key()}
        )
        assert sent.status_code == 201
        runtime: Runtime = client.app.state.runtime
        writer = runtime._writer
        assert writer is not None
    assert runtime._writer is None
    assert all(not t.name.startswith("onestop-writer") or not t.is_alive() for t in writer._threads)


def test_a_cancelled_write_is_waited_for_before_the_caller_lets_go(tmp_path: Path) -> None:
    """A request cancelled while its write runs (the time limit's 503) resumes only once
    the write is over, so what it holds (its in-flight marker, its uploads) is never let
    go while the write still runs."""
    runtime = Runtime.start(settings_for(tmp_path))
    finished: list[float] = []

    def slow() -> None:
        time.sleep(0.4)
        finished.append(time.monotonic())

    async def scenario() -> float:
        with anyio.move_on_after(0.05):
            await runtime.write(slow)
        return time.monotonic()

    try:
        resumed = anyio.run(scenario)
    finally:
        runtime.close()
    assert finished
    assert resumed >= finished[0]


def test_the_staff_routes_blocking_handlers_run_in_a_pool_sized_by_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The staff routes' blocking handlers run in the worker's pool of ``--threads``
    threads, however many of them are busy at once, not in asyncio's default pool."""
    settings = settings_for(tmp_path, threads=2)
    tokens = staff_accounts(settings, OFFICER)
    with in_process(settings) as client:
        sent = client.post(
            "/api/v1/applications", json=kia_body(), headers={"Idempotency-Key": new_key()}
        )
        assert sent.status_code == 201, sent.text
        where = Where(monkeypatch, "application")
        headers = {"Authorization": f"Bearer {tokens['officer']}"}
        target = f"/api/v1/staff/applications/{sent.json()['application_id']}"
        assert client.get(target, headers=headers).status_code == 200

        def busy() -> str:
            time.sleep(0.2)
            return threading.current_thread().name

        async def six_at_once() -> set[str]:
            loop = asyncio.get_running_loop()
            return set(await asyncio.gather(*(loop.run_in_executor(None, busy) for _ in range(6))))

        names = client.blocking_portal.call(six_at_once)
    assert where.seen["application"] == ["onestop-blocking_0"]
    assert len(names) == 2
    assert all(name.startswith("onestop-blocking") for name in names)


def test_while_a_write_waits_in_a_thread_the_loop_serves_others(tmp_path: Path) -> None:
    """A write's wait (a ``blocking`` step: its ``COMMIT``) runs in a thread while
    the event loop goes on: here the wait ends only when another task on the loop lets it."""
    runtime = Runtime.start(settings_for(tmp_path))
    let_go = threading.Event()

    def write() -> tuple[str, bool, str]:
        before = _where()
        waited = blocking(lambda: (let_go.wait(10), threading.current_thread().name))
        return before, waited[0], waited[1]

    async def scenario() -> tuple[str, bool, str]:
        async def other() -> None:
            await anyio.sleep(0.05)
            let_go.set()

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(other)
            return await runtime.write(write)

    try:
        where, let_through, waited_in = anyio.run(scenario)
    finally:
        runtime.close()
    assert (where, let_through, waited_in) == ("loop", True, "onestop-waits_0")


def test_writes_started_at_once_run_on_the_loop_one_at_a_time_the_others_in_the_writer(
    tmp_path: Path,
) -> None:
    """Of writes started at once on one worker, the first runs on the loop and those that
    come while it is under way run whole in the writer thread; none finds the store held
    by another on the loop's own thread, and every one commits."""
    runtime = Runtime.start(settings_for(tmp_path))
    store = runtime.mall.store
    assert isinstance(store, SQLiteStore)
    now = datetime.now(UTC)
    ran: list[str] = []

    def count(key: str) -> tuple[str, int]:
        ran.append(_where())
        return key, store.count_failure(key, at=now, window=timedelta(minutes=5))

    async def scenario() -> list[tuple[str, int]]:
        keys = ["a", "b", "a", "c", "a"]
        return list(await asyncio.gather(*(runtime.write(partial(count, k)) for k in keys)))

    try:
        counts = anyio.run(scenario)
    finally:
        runtime.close()
    assert sorted(counts) == [("a", 1), ("a", 2), ("a", 3), ("b", 1), ("c", 1)]
    assert ran == ["loop"] + ["onestop-writer_0"] * 4
