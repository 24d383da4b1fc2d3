"""Where a store's waits run: in the caller's thread, or handed to another one.

A write to an SQLite file is work in memory between three waits: for the store's lock
(another thread of this process is writing), for SQLite's write lock (``BEGIN
IMMEDIATE``: another process is writing) and for the disk (``COMMIT``: its ``fsync`` at
``synchronous=FULL``).  A caller that runs writes on an event loop
(``onestop.web``'s ``Runtime.write``) sets a hand-off with `handing_off`: a function that
runs each such wait elsewhere and lets the loop serve other requests meanwhile, while
the work in memory stays where it was called and takes no turns at the interpreter's
lock with a second thread.  Without one (everywhere else) a wait runs in place.

Code run under a hand-off must never wait on the event loop it was called from: a
store's lock held by a write whose ``COMMIT`` was handed off is refused to the same
thread (`WriteLock`) instead of waiting for ever.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextvars import ContextVar, Token
from functools import partial
from typing import Any, TypeVar

from onestop.exceptions import StorageError

__all__ = ["WriteLock", "begin_immediate", "blocking", "commit", "handing_off"]

_T = TypeVar("_T")
HandOff = Callable[[Callable[[], Any]], Any]
_HAND_OFF: ContextVar[HandOff | None] = ContextVar("onestop_hand_off", default=None)


def handing_off(hand_off: HandOff, /) -> Token[HandOff | None]:
    """Make *hand_off* run the waits of this context (see the module); return the token
    that `ContextVar.reset` takes to undo it.  *hand_off* gets a call taking no
    arguments and returns what the call returned, or raises what it raised."""
    return _HAND_OFF.set(hand_off)


def blocking(step: Callable[[], _T], /) -> _T:
    """Run *step*, a call that may wait on a lock or the disk, through this context's
    hand-off; in place without one."""
    hand_off = _HAND_OFF.get()
    return step() if hand_off is None else hand_off(step)


def begin_immediate(connection: sqlite3.Connection, /) -> None:
    """Run ``BEGIN IMMEDIATE`` on *connection*.

    Under a hand-off it is tried in place first, without waiting: only when another
    process holds SQLite's write lock is it run again through the hand-off, with the
    connection's own busy timeout.
    """
    if _HAND_OFF.get() is None:
        connection.execute("BEGIN IMMEDIATE")
        return
    (milliseconds,) = connection.execute("PRAGMA busy_timeout").fetchone()
    connection.execute("PRAGMA busy_timeout = 0")
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
            raise
    else:
        return
    finally:
        connection.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
    blocking(partial(connection.execute, "BEGIN IMMEDIATE"))


def commit(connection: sqlite3.Connection, /) -> None:
    """Run ``COMMIT`` on *connection* through this context's hand-off (in place without)."""
    blocking(partial(connection.execute, "COMMIT"))


class WriteLock:
    """A lock held across a write's waits (a store's, or a number counter's turn): a
    thread waits for it through its hand-off.

    Taken again by the thread that holds it (an event loop running a second write while
    the first one's ``COMMIT`` was handed off), it raises `StorageError` at once instead
    of waiting for a release that only that same thread could make.
    """

    __slots__ = ("_holder", "_lock")

    def __init__(self) -> None:
        """Make a released lock."""
        self._lock = threading.Lock()
        self._holder: int | None = None

    def __enter__(self) -> None:
        """Take the lock, waiting through the hand-off if another thread holds it.

        Raises:
            StorageError: If this thread holds it already.
        """
        if not self._lock.acquire(blocking=False):
            if self._holder == threading.get_ident():
                raise StorageError(
                    "held by a write of this same thread, waiting for its hand-off: two"
                    " writes must not run on one event loop at once"
                )
            blocking(self._lock.acquire)
        self._holder = threading.get_ident()

    def __exit__(self, *_: object) -> None:
        """Release the lock."""
        self._holder = None
        self._lock.release()
