"""An SQLite store on a file reads through a read-only connection per thread."""

from __future__ import annotations

import gc
import shutil
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from onestop.exceptions import ConfigurationError, StorageError
from onestop.storage.sqlite import SQLiteStore
from onestop.testing.contracts import make_commit


def test_a_read_is_answered_while_another_thread_holds_a_write_transaction(
    tmp_path: Path,
) -> None:
    """A read in another thread does not wait for an open write transaction: it sees the
    last commit, not the writes still inside the transaction."""
    with SQLiteStore.open(tmp_path / "s.sqlite3") as store:
        store.commit(make_commit("a"))
        inside, done = threading.Event(), threading.Event()

        def write() -> None:
            with store.atomically():
                store.commit(make_commit("b"))
                inside.set()
                assert done.wait(10)

        with ThreadPoolExecutor(2) as pool:
            writing = pool.submit(write)
            assert inside.wait(10)
            read = pool.submit(lambda: (store.summary("a"), store.summary("b")))
            a, b = read.result(timeout=5)  # waited for the transaction before: timed out
            done.set()
            writing.result(timeout=10)
        assert a is not None
        assert b is None
        assert store.summary("b") is not None  # committed now


def test_reads_in_the_writing_thread_see_its_own_transaction(tmp_path: Path) -> None:
    """Inside `atomically`, the thread that writes reads its own uncommitted writes."""
    with SQLiteStore.open(tmp_path / "s.sqlite3") as store, store.atomically():
        store.commit(make_commit("a"))
        assert store.summary("a") is not None


def test_each_thread_reads_through_a_connection_of_its_own(tmp_path: Path) -> None:
    """Two threads reading get two read connections, neither the writer's."""
    with SQLiteStore.open(tmp_path / "s.sqlite3") as store:
        assert store.reads_apart
        seen: list[object] = []

        def connection() -> None:
            with store._reading() as used:
                seen.append(used)

        for _ in range(2):
            thread = threading.Thread(target=connection)
            thread.start()
            thread.join()
        assert len({id(c) for c in seen}) == 2
        assert store._connection not in seen


def test_read_connections_refuse_to_write(tmp_path: Path) -> None:
    """A read connection is ``query_only``: a write through it is refused."""
    with SQLiteStore.open(tmp_path / "s.sqlite3") as store, store._reading() as connection:
        assert connection.execute("PRAGMA query_only").fetchone() == (1,)


def test_a_read_after_close_is_a_storage_error_in_every_thread(tmp_path: Path) -> None:
    """Closing the store closes every thread's read connection; reading after is refused."""
    store = SQLiteStore.open(tmp_path / "s.sqlite3")
    store.commit(make_commit("a"))
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(store.summary, "a").result() is not None
        store.close()
        with pytest.raises(StorageError, match="closed"):
            pool.submit(store.summary, "a").result()
    with pytest.raises(StorageError, match="closed"):
        store.summary("a")


def test_a_read_connection_that_cannot_open_is_a_storage_error(tmp_path: Path) -> None:
    """A thread whose read connection cannot be opened (the file's folder is gone) gets a
    `StorageError`, not the driver's error."""
    folder = tmp_path / "gone"
    folder.mkdir()
    with SQLiteStore.open(folder / "s.sqlite3") as store:
        shutil.rmtree(folder)
        with ThreadPoolExecutor(1) as pool, pytest.raises(StorageError):
            pool.submit(store.summary, "a").result()


def test_a_store_in_memory_reads_through_its_one_connection() -> None:
    """A database in memory has no file for other connections: reads use the writer's."""
    with SQLiteStore.open(":memory:") as store:
        assert not store.reads_apart
        store.commit(make_commit("a"))
        with store._reading() as connection:
            assert connection is store._connection
        assert store.summary("a") is not None


def test_a_thread_that_ends_leaves_no_read_connection_open(tmp_path: Path) -> None:
    """Threads that come and go (as idle pool threads do) do not pile up connections:
    each one's read connection is closed when it ends."""
    with SQLiteStore.open(tmp_path / "s.sqlite3") as store:
        store.commit(make_commit("a"))
        for _ in range(20):
            thread = threading.Thread(target=store.summary, args=("a",))
            thread.start()
            thread.join()
        assert store._readers is not None
        gc.collect()
        assert store._readers.open_count() == 0
        store.summary("a")  # this thread's, alive
        assert store._readers.open_count() == 1


@pytest.mark.parametrize("given", [True, -1, float("nan"), float("inf"), "5", 10**9])
def test_a_read_timeout_that_is_not_seconds_is_refused(tmp_path: Path, given: object) -> None:
    """``read_timeout`` must be seconds from 0 to an hour: anything else is a typed error
    naming it, before any connection is opened."""
    connection = sqlite3.connect(tmp_path / "s.sqlite3", isolation_level=None)
    try:
        with pytest.raises(ConfigurationError, match="read_timeout"):
            SQLiteStore(connection, path=str(tmp_path / "s.sqlite3"), read_timeout=given)  # type: ignore[arg-type]
    finally:
        connection.close()


def test_a_thread_reading_after_a_change_of_directory_reads_the_same_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store opened by a relative path reads the same file from a thread that first
    reads after the working directory changed, and creates no file where it now is."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    with SQLiteStore.open("s.sqlite3") as store:
        store.commit(make_commit("a"))
        monkeypatch.chdir(tmp_path / "elsewhere")
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(store.summary, "a").result() is not None
    assert not (tmp_path / "elsewhere" / "s.sqlite3").exists()


def test_a_read_connection_never_creates_the_file(tmp_path: Path) -> None:
    """If the database file is gone, a new read connection fails; it makes no empty one."""
    path = tmp_path / "s.sqlite3"
    with SQLiteStore.open(path) as store:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        with ThreadPoolExecutor(1) as pool, pytest.raises(StorageError):
            pool.submit(store.summary, "a").result()
        assert not path.exists()
