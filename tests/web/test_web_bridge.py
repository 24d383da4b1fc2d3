"""`onestop.web._bridge.on_loop`: a blocking write on the event loop, its waits in a thread."""

from __future__ import annotations

import asyncio
import contextvars
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.exceptions import ConcurrencyConflict
from onestop.storage._handoff import blocking
from onestop.storage.sqlite import SQLiteStore
from onestop.testing.contracts import make_commit
from onestop.web._bridge import Writes, on_loop


def _thread() -> str:
    return threading.current_thread().name


def test_the_call_runs_on_the_loop_and_its_waits_in_the_executor() -> None:
    """The call runs in the loop's thread, each `blocking` step in the executor's, and
    the call's result comes back."""
    executor = ThreadPoolExecutor(1, thread_name_prefix="test-writer")

    def write() -> tuple[str, str, str]:
        return _thread(), blocking(_thread), blocking(_thread)

    try:
        result = asyncio.run(on_loop(write, executor))
    finally:
        executor.shutdown()
    assert result == ("MainThread", "test-writer_0", "test-writer_0")


def test_a_failed_wait_is_raised_in_the_call_which_decides() -> None:
    """An error raised by a wait is raised inside the call at the wait; the call may
    handle it and go on."""
    executor = ThreadPoolExecutor(1)

    def fail() -> None:
        raise OSError("the disk is full")

    def write() -> str:
        try:
            blocking(fail)
        except OSError as error:
            return f"handled: {error}"
        return "not raised"

    try:
        assert asyncio.run(on_loop(write, executor)) == "handled: the disk is full"
    finally:
        executor.shutdown()


def test_an_error_of_the_call_is_raised_to_the_caller() -> None:
    """An error the call raises after a wait reaches the awaiting caller as it is."""
    executor = ThreadPoolExecutor(1)

    def write() -> None:
        blocking(lambda: None)
        raise LookupError("no such application")

    try:
        with pytest.raises(LookupError, match="no such application"):
            asyncio.run(on_loop(write, executor))
    finally:
        executor.shutdown()


def test_waits_after_the_writer_stopped_still_run() -> None:
    """A write still under way when its writer thread is stopped (the worker stopping)
    runs its remaining waits in the loop's default executor instead of failing."""
    executor = ThreadPoolExecutor(1)
    executor.shutdown()

    def write() -> int:
        return blocking(lambda: 40) + blocking(lambda: 2)

    assert asyncio.run(on_loop(write, executor)) == 42


def test_a_wait_outside_a_bridged_write_runs_in_place() -> None:
    """Called outside `on_loop`, a `blocking` step runs in the caller's own thread."""
    assert blocking(_thread) == _thread()


def test_a_thread_started_with_the_writes_context_waits_in_place() -> None:
    """A thread started inside the write with a copy of its context (as
    ``anyio.to_thread.run_sync`` does) runs its waits in place, not through the loop."""
    executor = ThreadPoolExecutor(1, thread_name_prefix="test-writer")

    def write() -> str | None:
        context = contextvars.copy_context()
        found: list[str] = []
        helper = threading.Thread(
            target=lambda: found.append(context.run(blocking, _thread)), name="helper"
        )
        helper.start()
        helper.join(10)
        return found[0] if found else None

    try:
        assert asyncio.run(on_loop(write, executor)) == "helper"
    finally:
        executor.shutdown()


@settings(max_examples=40, deadline=None)
@given(
    writes=st.lists(
        st.tuples(st.sampled_from(["app-a", "app-b"]), st.integers(0, 3)),
        min_size=1,
        max_size=10,
    )
)
def test_writes_started_at_once_keep_exactly_the_commits_that_succeeded(
    writes: list[tuple[str, int]],
) -> None:
    """Writes started at once through `Writes` (one on the loop, the others in the writer
    thread), some on a stale version, keep exactly the commits that succeeded: each
    stream's versions are those the successful writes were given, one to its last."""
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteStore.open(Path(folder) / "mall.sqlite3")
        writer, waits = ThreadPoolExecutor(1), ThreadPoolExecutor(1)

        async def scenario() -> list[tuple[str, int | None]]:
            queue = Writes(writer, waits)

            async def write(stream: str, expected: int) -> tuple[str, int | None]:
                call = partial(store.commit, make_commit(stream, expected))
                try:
                    stored = await queue.run(call)
                except ConcurrencyConflict:
                    return stream, None
                return stream, stored[0].version

            return list(await asyncio.gather(*(write(*given) for given in writes)))

        try:
            outcomes = asyncio.run(scenario())
            kept = {s: [e.version for e in store.read(s)] for s in ("app-a", "app-b")}
        finally:
            writer.shutdown()
            waits.shutdown()
            store.close()
    for stream, versions in kept.items():
        given = sorted(v for s, v in outcomes if s == stream and v is not None)
        assert given == versions == list(range(1, len(versions) + 1))
