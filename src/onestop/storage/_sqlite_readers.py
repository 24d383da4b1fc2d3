"""Read-only connections of one `onestop.storage.sqlite.SQLiteStore`, one per thread.

A store on a file writes through one connection, one writer at a time.  Its reads
go through `Readers` instead: each thread that reads gets a connection of its own,
opened on its first read with ``query_only`` on.  In WAL mode a reader sees the last
committed state and never waits for the writer, so a read no longer queues behind
another thread's commit and its ``fsync``: an event loop can answer a lookup itself
while a commit waits for the disk (`onestop.web` does; see
``docs/explanation/web-framework.md``).  A database in memory has one connection only, so its
store reads through the writer's.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from onestop.exceptions import StorageError
from onestop.storage._sqlite_open import translate_errors


class Readers:
    """Per-thread read-only connections to the database file *path*.

    Args:
        path: The database file (never ``:memory:``); it exists and is in WAL mode.
        timeout: The busy timeout of each connection, in seconds.
    """

    def __init__(self, path: str, *, timeout: float) -> None:
        """Open nothing yet: each thread opens its connection on its first read."""
        # Absolute, and read-only: a thread opening its connection later reads the same
        # file whatever the working directory is then, and never creates one.  The URI
        # names the file's bytes (percent-encoded), so no file name is mistaken.
        self._uri = f"file:{quote(os.fsencode(os.path.abspath(path)), safe='/')}?mode=ro"
        self._timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        # Weakly: a thread's connection is closed when the thread ends (its locals go),
        # so threads that come and go (anyio's idle ones) leave no connection open.
        self._open: weakref.WeakSet[_ReadConnection] = weakref.WeakSet()
        self._closed = False

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self._uri,
            uri=True,
            timeout=self._timeout,
            isolation_level=None,
            check_same_thread=False,
            factory=_ReadConnection,
        )
        try:
            connection.execute("PRAGMA query_only = ON")
        except BaseException:
            connection.close()
            raise
        with self._lock:
            if self._closed:
                connection.close()
                raise StorageError("the store is closed")
            self._open.add(connection)
        return connection

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """Yield this thread's read connection, opening it first if need be.

        Raises:
            StorageError: If the store is closed, or SQLite fails (translated).
        """
        with translate_errors():
            if self._closed:
                raise StorageError("the store is closed")
            connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
            if connection is None:
                connection = self._local.connection = self._connect()
            yield connection

    def close(self) -> None:
        """Close every thread's connection; later reads raise `StorageError`."""
        with self._lock:
            self._closed = True
            connections = list(self._open)
            self._open = weakref.WeakSet()
        for connection in connections:
            connection.close()

    def open_count(self) -> int:
        """How many read connections are open (of threads still alive)."""
        with self._lock:
            return len(self._open)


class _ReadConnection(sqlite3.Connection):
    """A read connection: an `sqlite3.Connection` that can be referred to weakly."""
