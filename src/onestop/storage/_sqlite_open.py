"""Opening an SQLite store: its settings, its URLs, and its one error translation (private).

`onestop.storage.sqlite.SQLiteStore` checks every setting here before it touches a
file, so that a bad path, busy timeout or URL is a
`onestop.exceptions.ConfigurationError` naming the setting, never a driver's
``ValueError`` or a `StorageError` that looks like a failing disk.  Every driver error
met afterwards is translated in `translate_errors`.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote

from onestop.domain.common.formats import kind_of
from onestop.domain.common.kinds import seconds_problem
from onestop.exceptions import (
    ConcurrencyConflict,
    ConfigurationError,
    StorageError,
    StorageUnavailable,
)
from onestop.ports.events import Commit

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "MAX_BUSY_TIMEOUT",
    "check_settings",
    "database_path",
    "parse_url",
    "translate_errors",
]

DEFAULT_BUSY_TIMEOUT = 5.0
"""How many seconds a call waits for another writer before `StorageUnavailable`."""

MAX_BUSY_TIMEOUT = 3600.0
"""The longest busy timeout `SQLiteStore.open` accepts, in seconds (an hour)."""

_BUSY_CODES = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED (primary result codes)
_BUSY_WORDS = ("database is locked", "database table is locked", "database is busy")
_SECONDS = re.compile(r"[0-9]{1,7}(?:\.[0-9]{1,9})?")
_OPTIONS = ("busy_timeout", "synchronous")


@contextlib.contextmanager
def translate_errors(commit: Commit | None = None) -> Iterator[None]:
    """Re-raise the driver's errors as onestop's; the original stays in ``__cause__``.

    The one place where `sqlite3` errors become onestop errors:

    - `sqlite3.IntegrityError` on the events' ``(stream_id, version)`` key:
      `ConcurrencyConflict` (another writer appended first);
    - `sqlite3.OperationalError` "database is locked" or busy: `StorageUnavailable`,
      a transient error;
    - every other `sqlite3.Error`, and values SQLite cannot hold (integers beyond 64
      bits, text that is not valid Unicode), which the port's checks keep away:
      `StorageError`.
    """
    try:
        yield
    except sqlite3.IntegrityError as exc:
        if commit is not None and "events.stream_id, events.version" in str(exc):
            raise ConcurrencyConflict(
                stream_id=commit.stream_id,
                expected=commit.expected_version,
                actual=commit.expected_version + 1,  # at least: the next version is taken
            ) from exc
        raise StorageError(f"SQLite refused the write: {exc}") from exc
    except sqlite3.OperationalError as exc:
        if _is_busy(exc):
            raise StorageUnavailable(f"the SQLite database is busy: {exc}") from exc
        raise StorageError(f"SQLite failed: {exc}") from exc
    except sqlite3.Error as exc:
        raise StorageError(f"SQLite failed: {exc}") from exc
    except OverflowError as exc:
        raise StorageError("SQLite stores integers of at most 64 bits") from exc
    except UnicodeEncodeError as exc:
        raise StorageError("SQLite cannot store text that is not valid Unicode") from exc


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _BUSY_CODES
    return any(words in str(exc) for words in _BUSY_WORDS)


def database_path(path: object) -> str:
    """Return *path* as the text `sqlite3.connect` opens (and `SQLiteStore.path` shows).

    A path may hold what the operating system's file names hold: text, or a name
    decoded from bytes that are not UTF-8 (Python keeps those as lone surrogates, and
    the driver opens the original bytes).

    Raises:
        ConfigurationError: If *path* is not a `str` or a path-like object giving one,
            is empty, or holds a NUL character or a lone surrogate no file name holds.
            The message never repeats the path.
    """
    if not isinstance(path, str | os.PathLike):
        raise ConfigurationError(f"the SQLite path must be text or a path, not {kind_of(path)}")
    target = os.fspath(path)
    if not isinstance(target, str):
        raise ConfigurationError("the SQLite path must be text, not bytes")
    if not target or "\x00" in target:
        raise ConfigurationError("the SQLite path is empty or holds a NUL character")
    try:
        os.fsencode(target)
    except UnicodeEncodeError:
        raise ConfigurationError("the SQLite path is not a valid file name") from None
    return target


def create_private(target: str) -> None:
    """Make the database file *target* readable by its owner only, if it does not exist.

    SQLite would make it as the process's umask says (often readable by every user of
    the machine); it makes the ``-wal`` and ``-shm`` files beside it with the database
    file's own permissions.  ``:memory:`` and an existing file are left as they are.
    """
    if target == ":memory:" or os.path.exists(target):
        return
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:  # made meanwhile by another process, or not to be made: SQLite says why
        return


def check_settings(*, synchronous: object, busy_timeout: object) -> float:
    """Check `SQLiteStore.open`'s settings; return the busy timeout as a float.

    Raises:
        ConfigurationError: If *synchronous* is not ``"FULL"`` or ``"NORMAL"``, or
            *busy_timeout* is not a number of seconds from 0 to `MAX_BUSY_TIMEOUT`
            (a `bool`, NaN or infinity is not).
    """
    if synchronous not in ("FULL", "NORMAL"):
        shown = repr(synchronous) if isinstance(synchronous, str) else kind_of(synchronous)
        raise ConfigurationError(f"synchronous must be 'FULL' or 'NORMAL', not {shown[:40]}")
    problem = seconds_problem(busy_timeout, maximum=MAX_BUSY_TIMEOUT)
    if problem is not None:
        raise ConfigurationError(f"busy_timeout {problem}")
    return float(busy_timeout)  # type: ignore[arg-type]  # seconds_problem() proved it


def parse_url(url: str) -> tuple[str, dict[str, Any]]:
    """Return the path a ``sqlite:`` URL names, and its options for `SQLiteStore.open`.

    Raises:
        ConfigurationError: If the URL is not a valid ``sqlite:`` URL; the message
            never repeats it.
    """
    if not isinstance(url, str):
        raise ConfigurationError(f"a store URL must be text, not {kind_of(url)}")
    scheme, _, rest = url.partition("://")
    if scheme.lower() != "sqlite":
        raise ConfigurationError("not a sqlite:// URL")
    location, _, query = rest.partition("?")
    try:
        if location in ("", ":memory:", "/:memory:"):
            path = ":memory:"
        elif location.startswith("/"):
            path = unquote(location[1:], errors="strict")
        else:
            raise ConfigurationError(
                "a sqlite URL names no host: use sqlite:///relative/path or "
                "sqlite:////absolute/path"
            )
        pairs = parse_qsl(
            query, keep_blank_values=True, strict_parsing=bool(query), errors="strict"
        )
    except ValueError:  # UnicodeDecodeError included: %-escapes that are not UTF-8
        raise ConfigurationError("the sqlite URL is malformed") from None
    options: dict[str, Any] = {}
    for name, value in pairs:
        if name not in _OPTIONS:
            known = ", ".join(_OPTIONS)
            shown = repr(name) if name.isascii() and name.isprintable() else "(not shown)"
            raise ConfigurationError(f"unknown sqlite URL option {shown[:40]}; known: {known}")
        if name in options:
            raise ConfigurationError(f"the sqlite URL gives {name} more than once")
        if name == "synchronous":
            options[name] = value.upper() if value.isascii() else value
        elif not _SECONDS.fullmatch(value):
            raise ConfigurationError("busy_timeout must be a number of seconds, such as 2.5")
        else:
            options[name] = float(value)
    return path, options
