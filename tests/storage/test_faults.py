"""Every storage call of a write can fail: the state is then fully old or fully new.

SQLite's own I/O-error method (make the Nth call fail, for N = 1, 2, ... until the
operation completes), applied at the adapter's level (reliability plan S4): a proxy
around the `sqlite3` connection raises a driver error on its k-th ``execute`` or
``executemany``, either instead of the call (nothing done) or just after it (done, but
reported as failed).  For every k, the caller must get a typed error, the database
must hold the state from before the call or the state after it, nothing between, and
the store must work again at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from onestop.exceptions import StorageError, StorageUnavailable
from onestop.ports.events import Append, Batch, IdempotencyRecord, SequenceClaim
from onestop.storage.sqlite import SQLiteStore
from onestop.testing.contracts import T0, make_commit, make_event

_ERRORS: dict[str, tuple[Callable[[], sqlite3.Error], type[StorageError]]] = {
    "io": (lambda: sqlite3.OperationalError("disk I/O error"), StorageError),
    "full": (lambda: sqlite3.DatabaseError("database or disk is full"), StorageError),
    "locked": (lambda: sqlite3.OperationalError("database is locked"), StorageUnavailable),
}


class FaultyConnection:
    """A `sqlite3.Connection` whose k-th statement fails, before or after it runs."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        *,
        fail_at: int,
        error: Exception,
        after: bool = False,
        fail_rollback: bool = False,
    ) -> None:
        self._connection = connection
        self.fail_at = fail_at
        self.error = error
        self.after = after
        self.fail_rollback = fail_rollback
        self.calls = 0

    def _call(self, method: Callable[..., Any], *args: Any) -> Any:
        self.calls += 1
        failing = self.calls == self.fail_at
        if failing and not self.after:
            raise self.error
        result = method(*args)
        if failing:
            raise self.error
        return result

    def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        return self._call(self._connection.execute, sql, parameters)  # type: ignore[no-any-return]

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        return self._call(self._connection.executemany, sql, rows)  # type: ignore[no-any-return]

    def rollback(self) -> None:
        if self.fail_rollback:
            self.fail_rollback = False
            raise sqlite3.OperationalError("disk I/O error")
        self._connection.rollback()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A database holding one stream at version 1, a claimed counter and a position."""
    path = tmp_path / "centre.sqlite3"
    with SQLiteStore.open(path) as store:
        store.commit(make_commit("a", sequence=SequenceClaim(name="n", value=1)))
        store.record_position("relay", 1)
    return path


def _faulty(path: Path, **fault: Any) -> SQLiteStore:
    raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    raw.execute("PRAGMA foreign_keys = ON")
    return SQLiteStore(FaultyConnection(raw, **fault), path=str(path))  # type: ignore[arg-type]


def _state(path: Path) -> tuple[object, ...]:
    """Everything the store can tell, read through a connection of its own."""
    with SQLiteStore.open(path) as store:
        return (
            store.read("a"),
            store.read("job"),
            store.read("packet"),
            store.summary("a"),
            store.notifications(limit=100),
            store.idempotency("k"),
            store.sequence("n"),
            store.position("relay"),
        )


_KEY = IdempotencyRecord(key="k", stream_id="a", request_digest="d", recorded_at=T0)
_WRITES: dict[str, Callable[[SQLiteStore], object]] = {
    "commit": lambda store: store.commit(
        make_commit(
            "a", expected=1, count=2, idempotency=_KEY, sequence=SequenceClaim(name="n", value=2)
        )
    ),
    "record_position": lambda store: store.record_position("relay", 5),
    "commit_batch": lambda store: store.commit_batch(
        Batch(
            appends=(
                Append(stream_id="job", expected_version=0, events=(make_event(),) * 2),
                Append(stream_id="packet", expected_version=0, events=(make_event(),)),
            ),
            recorded_at=T0,
        )
    ),
}


def _calls(path: Path, write: str) -> int:
    """How many statements the write takes when nothing fails."""
    store = _faulty(path, fail_at=0, error=RuntimeError())
    _WRITES[write](store)
    calls = store._connection.calls  # type: ignore[attr-defined]
    store.close()
    return int(calls)


@pytest.fixture(scope="module")
def steps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    """The number of statements each write takes."""
    counts = {}
    for write in _WRITES:
        path = tmp_path_factory.mktemp(write) / "centre.sqlite3"
        with SQLiteStore.open(path) as store:
            store.commit(make_commit("a", sequence=SequenceClaim(name="n", value=1)))
            store.record_position("relay", 1)
        counts[write] = _calls(path, write)
    return counts


def _cases() -> Iterator[Any]:
    for write, most in (("commit", 7), ("record_position", 4), ("commit_batch", 6)):
        for k in range(1, most + 1):
            for after in (False, True):
                for error in _ERRORS:
                    name = f"{write}-{k}-{'after' if after else 'instead'}-{error}"
                    yield pytest.param(write, k, after, error, id=name)


def test_statement_counts(steps: dict[str, int]) -> None:
    """A full commit takes 7 statements, a position 4, a batch of two 6; the cases cover each."""
    assert steps == {"commit": 7, "record_position": 4, "commit_batch": 6}


@pytest.mark.parametrize(("write", "k", "after", "error"), list(_cases()))
def test_failure_at_any_statement_leaves_old_or_new_state(
    path: Path, write: str, k: int, after: bool, error: str
) -> None:
    """A driver error at statement k gives a typed error and a state fully old or fully new."""
    make_error, expected = _ERRORS[error]
    old = _state(path)
    store = _faulty(path, fail_at=k, error=make_error(), after=after)
    with pytest.raises(expected) as caught:
        _WRITES[write](store)
    assert isinstance(caught.value.__cause__, sqlite3.Error)
    assert not store._connection.in_transaction
    store.close()
    now = _state(path)
    new = _new_state(path.parent, write)
    assert now in (old, new)


def _new_state(folder: Path, write: str) -> tuple[object, ...]:
    """The state the write leaves when nothing fails, in a copy made from scratch."""
    path = folder / f"reference-{write}.sqlite3"
    if not path.exists():
        with SQLiteStore.open(path) as store:
            store.commit(make_commit("a", sequence=SequenceClaim(name="n", value=1)))
            store.record_position("relay", 1)
            _WRITES[write](store)
    return _state(path)


@pytest.mark.parametrize("write", list(_WRITES))
def test_store_works_again_after_a_failure(path: Path, write: str) -> None:
    """After a failed write, the same store carries out the write again."""
    store = _faulty(path, fail_at=3, error=_ERRORS["io"][0]())
    with pytest.raises(StorageError):
        _WRITES[write](store)
    _WRITES[write](store)
    store.close()
    assert _state(path) == _new_state(path.parent, write)


def test_failed_rollback_is_cleaned_up_by_the_next_write(path: Path) -> None:
    """If the rollback after a failure fails too, the next write rolls back first and succeeds."""
    store = _faulty(path, fail_at=3, error=_ERRORS["io"][0](), fail_rollback=True)
    with pytest.raises(StorageError):
        _WRITES["commit"](store)
    assert store._connection.in_transaction
    _WRITES["commit"](store)
    store.close()
    assert _state(path) == _new_state(path.parent, "commit")


@pytest.mark.parametrize(
    "read",
    [
        lambda store: store.read("a"),
        lambda store: store.summary("a"),
        lambda store: store.notifications(),
        lambda store: store.position("relay"),
    ],
    ids=["read", "summary", "notifications", "position"],
)
def test_failing_read_is_a_storage_error(path: Path, read: Callable[[SQLiteStore], object]) -> None:
    """A driver error while reading raises StorageError, the driver's error as cause."""
    store = _faulty(path, fail_at=1, error=_ERRORS["io"][0]())
    with pytest.raises(StorageError) as caught:
        read(store)
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    store.close()
