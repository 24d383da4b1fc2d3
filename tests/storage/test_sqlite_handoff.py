"""A SQLite store's waits under a hand-off (``onestop.storage._handoff``).

`onestop serve` runs writes on its event loop and hands their waits (the store's lock,
``BEGIN IMMEDIATE`` while another process writes, the ``COMMIT``) to a thread.  These
tests give the store a hand-off of their own and check which steps reach it, what the
same thread may do meanwhile, and that a failed wait leaves nothing half-written.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from pathlib import Path
from typing import Any

import pytest

from onestop.exceptions import StorageError, StorageUnavailable
from onestop.storage._handoff import WriteLock, blocking, handing_off
from onestop.storage.sqlite import SQLiteStore
from onestop.testing.contracts import make_commit


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A store on a fresh file."""
    with SQLiteStore.open(tmp_path / "mall.sqlite3") as opened:
        yield opened


class Recording:
    """A hand-off that runs each step in a thread of its own and records its statement."""

    def __init__(self, before: Callable[[str], None] | None = None) -> None:
        self.steps: list[str] = []
        self._before = before
        self._pool = ThreadPoolExecutor(1)

    def __call__(self, step: Callable[[], Any]) -> Any:
        args = getattr(step, "args", ())
        name = args[0] if args and isinstance(args[0], str) else getattr(step, "__name__", "?")
        self.steps.append(name)
        if self._before is not None:
            self._before(name)
        return self._pool.submit(step).result()


def _under(hand_off: Callable[[Callable[[], Any]], Any], call: Callable[[], Any]) -> Any:
    def run() -> Any:
        handing_off(hand_off)
        return call()

    return copy_context().run(run)


def test_without_a_hand_off_every_wait_runs_in_place() -> None:
    """`blocking` calls its step in the caller's thread when no hand-off is set."""
    assert blocking(threading.get_ident) == threading.get_ident()


def test_a_commit_under_a_hand_off_hands_off_only_its_commit(store: SQLiteStore) -> None:
    """A commit's statements run in place; only its ``COMMIT`` reaches the hand-off
    (SQLite's write lock was free, so ``BEGIN IMMEDIATE`` did not wait)."""
    hand_off = Recording()
    _under(hand_off, lambda: store.commit(make_commit("app-1")))
    assert hand_off.steps == ["COMMIT"]
    assert [event.version for event in store.read("app-1")] == [1]


def test_a_begin_waits_through_the_hand_off_while_another_process_writes(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """While another connection holds SQLite's write lock, ``BEGIN IMMEDIATE`` is handed
    off and waits there (with the store's busy timeout) for the lock; the connection's
    busy timeout is the same afterwards."""
    (timeout_before,) = store._connection.execute("PRAGMA busy_timeout").fetchone()
    other = sqlite3.connect(
        tmp_path / "mall.sqlite3", isolation_level=None, check_same_thread=False
    )
    other.execute("BEGIN IMMEDIATE")
    releaser = threading.Timer(0.3, other.execute, ("COMMIT",))
    releaser.start()
    try:
        hand_off = Recording()
        _under(hand_off, lambda: store.commit(make_commit("app-1")))
    finally:
        releaser.join()
        other.close()
    assert hand_off.steps == ["BEGIN IMMEDIATE", "COMMIT"]
    assert store._connection.execute("PRAGMA busy_timeout").fetchone() == (timeout_before,)
    assert [event.version for event in store.read("app-1")] == [1]


def test_a_failed_commit_through_the_hand_off_leaves_nothing(store: SQLiteStore) -> None:
    """A ``COMMIT`` the hand-off fails is rolled back whole and its error raised; the
    next write goes through."""

    def failing(step: Callable[[], Any]) -> Any:
        if getattr(step, "args", ()) == ("COMMIT",):
            raise StorageUnavailable("the disk went away")
        return step()

    with pytest.raises(StorageUnavailable, match="the disk went away"):
        _under(failing, lambda: store.commit(make_commit("app-1")))
    assert store.read("app-1") == ()
    assert store.summary("app-1") is None
    assert [event.version for event in store.commit(make_commit("app-1"))] == [1]


def test_while_a_commit_is_handed_off_its_thread_reads_the_last_commit_and_cannot_write(
    store: SQLiteStore,
) -> None:
    """While an ``atomically`` block's ``COMMIT`` is handed off, the same thread (an event
    loop serving other requests) reads what was committed before it, not the block's
    writes, and a write of that thread is refused at once instead of waiting for ever."""
    store.commit(make_commit("app-0"))
    seen: dict[str, object] = {}

    def meanwhile(name: str) -> None:
        if name != "COMMIT":
            return
        seen["read"] = [event.version for event in store.read("app-1")]
        try:
            store.commit(make_commit("app-2"))
        except StorageError as error:
            seen["write"] = str(error)

    def block() -> None:
        with store.atomically():
            store.commit(make_commit("app-1"))

    _under(Recording(before=meanwhile), block)
    assert seen["read"] == []
    assert "held by a write of this same thread" in str(seen["write"])
    assert [event.version for event in store.read("app-1")] == [1]
    assert store.read("app-2") == ()


def test_a_write_lock_taken_again_by_its_holder_is_refused_at_once() -> None:
    """A `WriteLock` taken again by the thread holding it raises `StorageError` instead of
    waiting for a release only that thread could make."""
    lock = WriteLock()
    started = time.monotonic()
    with lock, pytest.raises(StorageError, match="held by a write of this same thread"):
        lock.__enter__()
    assert time.monotonic() - started < 5


def test_a_write_lock_held_elsewhere_is_waited_for_through_the_hand_off() -> None:
    """A `WriteLock` another thread holds is waited for through the hand-off, and taken
    once that thread lets go."""
    lock = WriteLock()
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(10)
    threading.Timer(0.2, release.set).start()
    hand_off = Recording()

    def take() -> bool:
        with lock:
            return True

    try:
        assert _under(hand_off, take)
    finally:
        release.set()
        holder.join()
    assert hand_off.steps == ["acquire"]
