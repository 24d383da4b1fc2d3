"""What only the SQLite adapter does: settings, schema, migrations, URLs, plans, errors."""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from onestop.domain.time.sla import SlaStatus
from onestop.exceptions import (
    ConcurrencyConflict,
    ConfigurationError,
    InvalidStoreInput,
    StorageError,
    StorageUnavailable,
)
from onestop.ports.events import Append, Batch, BatchStore, SummaryOrder, SummaryQuery
from onestop.storage import _sqlite_sql, from_url
from onestop.storage.sqlite import SQLiteStore, _translate_errors
from onestop.storage.sqlite_schema import (
    MIGRATIONS_TABLE,
    Migration,
    migrate,
    schema_version,
    shipped_migrations,
    split_statements,
)
from onestop.testing.contracts import T0, make_commit, make_event


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "centre.sqlite3"


@pytest.fixture
def store(path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore.open(path) as store:
        yield store


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def _pragma(store: SQLiteStore, name: str) -> object:
    return store._connection.execute(f"PRAGMA {name}").fetchone()[0]


# --- settings ---------------------------------------------------------------------


def test_file_database_uses_wal(store: SQLiteStore) -> None:
    """A file database is switched to WAL journal mode."""
    assert _pragma(store, "journal_mode") == "wal"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_new_database_is_readable_by_its_owner_only(path: Path) -> None:
    """A database file the store makes, its WAL beside it and a backup copy are mode 0600,
    whatever the umask: they hold staff secrets' digests and application numbers."""
    old = os.umask(0o022)
    try:
        with SQLiteStore.open(path) as store:
            store.commit(make_commit("app-1"))
            store.backup(path.with_name("copy.sqlite3"))
            modes = {p.name: p.stat().st_mode & 0o777 for p in path.parent.iterdir() if p.is_file()}
    finally:
        os.umask(old)
    assert modes["centre.sqlite3"] == modes["centre.sqlite3-wal"] == 0o600
    assert modes["copy.sqlite3"] == 0o600


def test_an_existing_database_keeps_its_permissions(path: Path) -> None:
    """A file already there is opened as it is: its owner chose its mode."""
    with SQLiteStore.open(path):
        pass
    path.chmod(0o640)
    with SQLiteStore.open(path):
        pass
    assert path.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("how", ["removed", "replaced"])
def test_a_write_to_a_database_file_removed_under_it_is_refused(path: Path, how: str) -> None:
    """Once its file is removed (or another put in its place), a write is a StorageError
    and nothing is recorded: commits would otherwise go to a file no one opens again."""
    with SQLiteStore.open(path) as store:
        store.commit(make_commit("app-1"))
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        if how == "replaced":
            SQLiteStore.open(path).close()
        with pytest.raises(StorageError, match="removed or replaced"):
            store.commit(make_commit("app-2"))
        with pytest.raises(StorageError, match="removed or replaced"), store.atomically():
            pass
    with SQLiteStore.open(path) as reopened:
        assert reopened.read("app-2") == ()


def test_a_store_opened_by_a_relative_path_writes_after_a_change_of_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store opened as ``mall.sqlite3`` in one directory keeps writing to that file
    after the process moves to another: the file was not removed or replaced."""
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path)
    with SQLiteStore.open("mall.sqlite3") as store:
        store.commit(make_commit("app-1"))
        monkeypatch.chdir(tmp_path / "elsewhere")
        store.commit(make_commit("app-2"))
        assert [e.stream_id for e in store.read("app-2")] == ["app-2"]
    assert not (tmp_path / "elsewhere" / "mall.sqlite3").exists()


def test_synchronous_is_full_by_default(store: SQLiteStore) -> None:
    """Commits are fsynced (synchronous=FULL, level 2) unless asked otherwise."""
    assert _pragma(store, "synchronous") == 2


def test_synchronous_normal_on_request(path: Path) -> None:
    """synchronous="NORMAL" sets level 1."""
    with SQLiteStore.open(path, synchronous="NORMAL") as store:
        assert _pragma(store, "synchronous") == 1


def test_foreign_keys_are_on(store: SQLiteStore) -> None:
    """foreign_keys is ON for the store's connection (SQLite's default is OFF)."""
    assert _pragma(store, "foreign_keys") == 1


def test_busy_timeout_is_set(path: Path) -> None:
    """The busy timeout is given in seconds and set in milliseconds."""
    with SQLiteStore.open(path, busy_timeout=2.5) as store:
        assert _pragma(store, "busy_timeout") == 2500


@pytest.mark.parametrize(
    "options", [{"synchronous": "OFF"}, {"busy_timeout": -1.0}, {"busy_timeout": float("nan")}]
)
def test_invalid_settings_are_refused(path: Path, options: dict[str, object]) -> None:
    """A synchronous level other than FULL or NORMAL, or a negative timeout, is refused."""
    with pytest.raises(ConfigurationError):
        SQLiteStore.open(path, **options)  # type: ignore[arg-type]


def test_unopenable_file_is_a_storage_error(tmp_path: Path) -> None:
    """A file in a missing directory raises StorageError with the driver's error as cause."""
    with pytest.raises(StorageError) as caught:
        SQLiteStore.open(tmp_path / "missing" / "centre.sqlite3")
    assert isinstance(caught.value.__cause__, sqlite3.Error)


def test_repr_shows_the_path_not_the_content(store: SQLiteStore, path: Path) -> None:
    """The repr names the file and the synchronous level."""
    assert repr(store) == f"<SQLiteStore {str(path)!r} synchronous=FULL>"


# --- schema and migrations --------------------------------------------------------


def test_every_table_is_strict(store: SQLiteStore) -> None:
    """Every onestop table is STRICT."""
    tables = store._connection.execute(
        "SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND type = 'table' "
        "AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    assert {name for name, _ in tables} >= {"events", "summaries", "idempotency", "sequences"}
    assert all(strict == 1 for _, strict in tables)


def test_strict_table_refuses_wrong_types(store: SQLiteStore) -> None:
    """Text in an INTEGER column is an error, not a silent coercion."""
    with pytest.raises(sqlite3.IntegrityError, match="cannot store TEXT"):
        store._connection.execute("INSERT INTO sequences VALUES ('n', 'x')")


def test_migrations_ship_in_the_package() -> None:
    """The SQL files are package data, numbered from 1."""
    steps = shipped_migrations()
    assert [step.version for step in steps] == list(range(1, len(steps) + 1))
    assert "CREATE TABLE events" in steps[0].sql


def test_opening_twice_applies_migrations_once(path: Path) -> None:
    """Opening an up-to-date database changes nothing: one row per migration."""
    SQLiteStore.open(path).close()
    with SQLiteStore.open(path) as store:
        store.commit(make_commit("a"))
    connection = _raw(path)
    rows = connection.execute(f"SELECT version FROM {MIGRATIONS_TABLE}").fetchall()  # noqa: S608
    connection.close()
    assert rows == [(step.version,) for step in shipped_migrations()]


def test_failing_migration_leaves_the_version_unchanged(path: Path) -> None:
    """A migration that fails half-way is rolled back whole; the version stays."""
    SQLiteStore.open(path).close()
    shipped = shipped_migrations()
    broken = Migration(
        version=len(shipped) + 1, name="broken", sql="CREATE TABLE extra (x INTEGER);\nNOT SQL;"
    )
    connection = _raw(path)
    with pytest.raises(sqlite3.OperationalError) as caught:
        migrate(connection, [*shipped, broken])
    assert schema_version(connection) == len(shipped)
    assert connection.execute("SELECT 1 FROM sqlite_schema WHERE name = 'extra'").fetchone() is None
    assert not connection.in_transaction
    connection.close()
    assert any(f"{broken.version:04d}_broken" in note for note in caught.value.__notes__)


def test_new_migration_is_applied_on_open(path: Path) -> None:
    """A later migration is applied to a database at an earlier version."""
    SQLiteStore.open(path).close()
    shipped = shipped_migrations()
    extra = Migration(
        version=len(shipped) + 1, name="extra", sql="CREATE TABLE extra (x INTEGER) STRICT;"
    )
    connection = _raw(path)
    assert migrate(connection, [*shipped, extra]) == extra.version
    connection.close()


def test_edited_migration_is_detected(path: Path) -> None:
    """An applied migration whose text changed since raises StorageError."""
    SQLiteStore.open(path).close()
    first, *later = shipped_migrations()
    edited = Migration(version=1, name="initial", sql=first.sql + "\n-- edit")
    connection = _raw(path)
    with pytest.raises(StorageError, match="changed after it was applied"):
        migrate(connection, [edited, *later])
    connection.close()


def test_newer_database_is_refused(path: Path) -> None:
    """A database migrated by a newer onestop raises StorageError on open."""
    SQLiteStore.open(path).close()
    connection = _raw(path)
    connection.execute(
        f"INSERT INTO {MIGRATIONS_TABLE} VALUES (99, 'future', '', '')"  # noqa: S608
    )
    connection.close()
    with pytest.raises(StorageError, match="newer"):
        SQLiteStore.open(path)


def test_statements_split_like_sqlite() -> None:
    """Semicolons in strings and trigger bodies do not split a statement."""
    sql = (
        "CREATE TABLE t (x TEXT DEFAULT ';');\n"
        "CREATE TRIGGER r AFTER INSERT ON t BEGIN\n  SELECT 1;\n  SELECT 2;\nEND;\n-- end\n"
    )
    assert len(split_statements(sql)) == 2


def test_incomplete_statement_is_refused() -> None:
    """SQL ending in the middle of a statement raises StorageError, a typed error."""
    with pytest.raises(StorageError, match="incomplete"):
        split_statements("CREATE TABLE t (x INTEGER);\nCREATE TABLE u (")


# --- URLs and plugins ---------------------------------------------------------------


def test_from_url_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """sqlite:///name opens a file relative to the working directory."""
    monkeypatch.chdir(tmp_path)
    store = from_url("sqlite:///centre.sqlite3")
    assert isinstance(store, SQLiteStore)
    store.close()
    assert (tmp_path / "centre.sqlite3").exists()


def test_from_url_absolute_path_with_options(path: Path) -> None:
    """sqlite:////abs/path opens that file, with options from the query."""
    store = from_url(f"sqlite:///{path}?synchronous=normal&busy_timeout=1")
    assert isinstance(store, SQLiteStore)
    assert (store.path, store.synchronous) == (str(path), "NORMAL")
    assert _pragma(store, "busy_timeout") == 1000
    store.close()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite://:memory:", "sqlite:///:memory:"])
def test_from_url_in_memory(url: str) -> None:
    """sqlite:// and sqlite://:memory: open an in-memory database."""
    store = from_url(url)
    assert isinstance(store, SQLiteStore)
    assert store.path == ":memory:"
    store.close()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://user:hunter2@host/db",
        "sqlite:///db?password=hunter2",
        "sqlite:///db?busy_timeout=hunter2",
        "sqlite:///db?synchronous=OFF",
        "sqlite:///db?&&",
    ],
)
def test_bad_sqlite_url_is_refused_without_echo(url: str) -> None:
    """A malformed sqlite URL raises ConfigurationError that never repeats the secret."""
    with pytest.raises(ConfigurationError) as caught:
        from_url(url)
    assert "hunter2" not in str(caught.value)


def _install_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    """Put a distribution with an ``onestop.storage`` entry point on sys.path."""
    info = tmp_path / "site" / "fakestore-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakestore\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[onestop.storage]\nfake = {target}\n")
    (tmp_path / "site" / "fakestore.py").write_text(
        "from onestop.storage.memory import MemoryStore\n"
        "def open_store(url):\n    return MemoryStore()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delitem(sys.modules, "fakestore", raising=False)


def test_plugin_scheme_is_opened_by_its_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scheme registered in the onestop.storage entry-point group opens through it."""
    _install_plugin(tmp_path, monkeypatch, "fakestore:open_store")
    store = from_url("fake://anything")
    assert type(store).__name__ == "MemoryStore"


def test_plugin_scheme_is_listed_as_known(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The unknown-scheme error lists plugin schemes with the built-in ones."""
    _install_plugin(tmp_path, monkeypatch, "fakestore:open_store")
    with pytest.raises(ConfigurationError, match="fake, memory"):
        from_url("nope://x")


def test_broken_plugin_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plugin that cannot be imported raises ConfigurationError, with the cause kept."""
    _install_plugin(tmp_path, monkeypatch, "fakestore:no_such_function")
    with pytest.raises(ConfigurationError, match="could not be loaded") as caught:
        from_url("fake://x")
    assert isinstance(caught.value.__cause__, AttributeError)


# --- behaviour particular to SQLite ---------------------------------------------------


def test_data_survives_reopening(path: Path) -> None:
    """What was committed is there after the store is closed and opened again."""
    with SQLiteStore.open(path) as store:
        stored = store.commit(make_commit("a", count=2))
    with SQLiteStore.open(path) as store:
        assert store.read("a") == stored
        assert [n.position for n in store.notifications()] == [1, 2]


def test_instants_come_back_in_utc(store: SQLiteStore) -> None:
    """Instants are returned in UTC, equal to the instants stored."""
    at = datetime(2025, 7, 14, 9, 0, tzinfo=timezone(timedelta(hours=7)))
    store.commit(make_commit("a", recorded_at=at))
    [event] = store.read("a")
    assert (event.recorded_at, event.recorded_at.tzinfo) == (at, UTC)


def test_integer_beyond_64_bits_is_refused_before_the_driver(store: SQLiteStore) -> None:
    """SQLite holds 64-bit integers; a larger one is refused by the port's check, untouched."""
    with pytest.raises(InvalidStoreInput, match="2\\*\\*63") as caught:
        store.record_position("relay", 2**70)
    assert caught.value.__cause__ is None


def test_backup_copies_a_consistent_snapshot(store: SQLiteStore, tmp_path: Path) -> None:
    """backup() writes a database that opens with the same content."""
    store.commit(make_commit("a", count=3))
    store.backup(tmp_path / "copy.sqlite3")
    with SQLiteStore.open(tmp_path / "copy.sqlite3") as copy:
        assert copy.read("a") == store.read("a")
        assert copy.summary("a") == store.summary("a")


def test_busy_database_raises_storage_unavailable(path: Path) -> None:
    """A write blocked by another writer past the busy timeout raises StorageUnavailable."""
    with SQLiteStore.open(path, busy_timeout=0.05) as store:
        other = _raw(path)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StorageUnavailable) as caught:
                store.commit(make_commit("a"))
        finally:
            other.rollback()
            other.close()
        assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
        store.commit(make_commit("a"))  # usable again once the other writer is done
        assert len(store.read("a")) == 1


def _held(path: Path, seconds: float) -> sqlite3.Connection:
    """A rollback-journal file at *path* whose write lock another connection holds for
    *seconds* (from another thread), as a worker starting beside this one would."""
    made = sqlite3.connect(path, isolation_level=None)
    made.execute("CREATE TABLE t (x)")
    made.close()
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    threading.Timer(seconds, holder.execute, ("COMMIT",)).start()
    return holder


def test_opening_waits_for_another_writer_to_switch_to_wal(path: Path) -> None:
    """A file whose write lock another connection holds for a moment is opened (switched
    to WAL) once it is let go, not refused at once as SQLite refuses the switch."""
    holder = _held(path, 0.3)
    with SQLiteStore.open(path) as store:
        (mode,) = store._connection.execute("PRAGMA journal_mode").fetchone()
    holder.close()
    assert mode == "wal"


def test_opening_gives_up_on_the_switch_after_the_busy_timeout(path: Path) -> None:
    """A write lock held longer than the busy timeout makes opening `StorageUnavailable`."""
    holder = _held(path, 1.5)
    with pytest.raises(StorageUnavailable):
        SQLiteStore.open(path, busy_timeout=0.2)
    time.sleep(1.5)
    holder.close()


def test_two_stores_on_one_file_have_one_winner(path: Path) -> None:
    """Two connections committing at the same version from two threads: one wins."""
    SQLiteStore.open(path).close()
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def write() -> None:
        with SQLiteStore.open(path) as store:
            barrier.wait()
            try:
                store.commit(make_commit("a"))
                outcomes.append("won")
            except ConcurrencyConflict:
                outcomes.append("lost")

    threads = [threading.Thread(target=write) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["lost", "won"]


def test_threads_can_share_one_store(store: SQLiteStore) -> None:
    """Calls from many threads on one store are serialised; each version is taken once."""
    outcomes: list[str] = []

    def write(version: int) -> None:
        try:
            store.commit(make_commit("a", expected=version))
            outcomes.append("won")
        except ConcurrencyConflict:
            outcomes.append("lost")

    threads = [threading.Thread(target=write, args=(v % 4,)) for v in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 16
    assert [e.version for e in store.read("a")] == list(range(1, outcomes.count("won") + 1))


def test_store_supports_batches(store: SQLiteStore) -> None:
    """SQLiteStore is a BatchStore too, for the courier desk."""
    assert isinstance(store, BatchStore)


def test_batch_is_applied_whole_in_the_order_given(store: SQLiteStore) -> None:
    """A batch appends to every stream, with notifications in the order of its appends."""
    store.commit_batch(_batch(("job", 0, 2), ("packet", 0, 1)))
    stored = store.commit_batch(_batch(("packet", 1, 1), ("job", 2, 1)))
    assert [(e.stream_id, e.version) for e in stored] == [("packet", 2), ("job", 3)]
    log = [(n.position, n.stream_id, n.version) for n in store.notifications()]
    assert log == [(1, "job", 1), (2, "job", 2), (3, "packet", 1), (4, "packet", 2), (5, "job", 3)]


def test_batch_with_a_stale_append_writes_nothing(store: SQLiteStore) -> None:
    """One append at a stale version refuses the whole batch, naming that stream."""
    store.commit_batch(_batch(("job", 0, 1)))
    with pytest.raises(ConcurrencyConflict) as caught:
        store.commit_batch(_batch(("packet", 0, 1), ("job", 0, 1)))
    assert (caught.value.stream_id, caught.value.actual) == ("job", 1)
    assert (store.read("packet"), len(store.notifications())) == ((), 1)


def test_batch_refuses_an_application_stream(store: SQLiteStore) -> None:
    """A stream with a read-model row cannot be appended to in a batch."""
    store.commit(make_commit("a"))
    with pytest.raises(ValueError, match="read-model row"):
        store.commit_batch(_batch(("job", 0, 1), ("a", 1, 1)))
    assert store.read("job") == ()


def _batch(*appends: tuple[str, int, int]) -> Batch:
    return Batch(
        appends=tuple(
            Append(stream_id=stream, expected_version=expected, events=(make_event(),) * count)
            for stream, expected, count in appends
        ),
        recorded_at=T0,
    )


# --- query plans ---------------------------------------------------------------------

_NOW = T0 + timedelta(days=2)
_PLANNED = {
    "worklist": SummaryQuery(),
    "agency": SummaryQuery(agencies=("dpmptsp",)),
    "state": SummaryQuery(states=("verified",)),
    "assignee": SummaryQuery(assignee="officer-1"),
    "overdue": SummaryQuery(sla=SlaStatus.OVERDUE, now=_NOW),
    "agency-overdue": SummaryQuery(agencies=("dpmptsp",), sla=SlaStatus.OVERDUE, now=_NOW),
    "at-risk": SummaryQuery(sla=SlaStatus.AT_RISK, now=_NOW),
    "due-before": SummaryQuery(due_before=_NOW),
    "changed": SummaryQuery(order=SummaryOrder.UPDATED, changed_since=T0, include_closed=True),
}


@pytest.mark.parametrize("after", [None, (123, "app-9")], ids=["first", "next"])
@pytest.mark.parametrize("name", list(_PLANNED))
def test_worklist_queries_use_an_index_without_sorting(
    store: SQLiteStore, name: str, after: tuple[int, str] | None
) -> None:
    """Worklist, overdue and polling pages are index range scans, never a full sort."""
    statement, parameters = _sqlite_sql.page_sql(_PLANNED[name], after)
    plan = [
        row[3] for row in store._connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
    ]
    assert all("USING INDEX" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


_FANNED = {
    "agencies": (SummaryQuery(agencies=("a", "b", "c")), "summaries_by_agency", 3),
    "states": (SummaryQuery(states=("verified", "processing")), "summaries_by_state", 2),
    "agency-states": (
        SummaryQuery(agencies=("a",), states=("verified", "processing")),
        "summaries_by_",
        2,
    ),
}


@pytest.mark.parametrize("after", [None, (123, "app-9")], ids=["first", "next"])
@pytest.mark.parametrize("name", list(_FANNED))
def test_several_agencies_or_states_read_one_index_range_each(
    store: SQLiteStore, name: str, after: tuple[int, str] | None
) -> None:
    """A filter on several values searches an index once per value, and never scans the table."""
    query, index, ranges = _FANNED[name]
    statement, parameters = _sqlite_sql.page_sql(query, after)
    plan = [
        row[3] for row in store._connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
    ]
    searches = [step for step in plan if step.startswith("SEARCH summaries")]
    assert len(searches) == ranges, plan
    assert all(index in step for step in searches), plan
    assert not any(step.startswith("SCAN summaries") for step in plan), plan


def test_a_filter_too_large_to_fan_out_stays_within_the_parameter_limit(
    store: SQLiteStore,
) -> None:
    """64 agencies by 520 services bind fewer parameters than SQLite's default limit allows."""
    query = SummaryQuery(
        agencies=tuple(f"agency-{k}" for k in range(64)),
        services=tuple(f"service-{k}" for k in range(520)),
    )
    statement, parameters = _sqlite_sql.page_sql(query, None)
    assert len(parameters) < 32_766
    assert store.summaries(query).items == ()
    assert "UNION ALL" not in statement


# --- error translation -------------------------------------------------------------

_VERSION_KEY = "UNIQUE constraint failed: events.stream_id, events.version"


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (sqlite3.IntegrityError(_VERSION_KEY), ConcurrencyConflict),
        (sqlite3.IntegrityError("UNIQUE constraint failed: summaries.number"), StorageError),
        (sqlite3.OperationalError("database is locked"), StorageUnavailable),
        (sqlite3.OperationalError("database table is locked"), StorageUnavailable),
        (sqlite3.OperationalError("disk I/O error"), StorageError),
        (sqlite3.DatabaseError("database disk image is malformed"), StorageError),
        (sqlite3.DataError("string or blob too big"), StorageError),
        (sqlite3.ProgrammingError("Cannot operate on a closed database."), StorageError),
        (sqlite3.InterfaceError("bad parameter"), StorageError),
        (OverflowError("Python int too large"), StorageError),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else "",
)
def test_driver_errors_are_translated(raised: Exception, expected: type[Exception]) -> None:
    """Each driver error becomes its onestop error, exactly, with the original as cause."""
    with pytest.raises(expected) as caught, _translate_errors(make_commit("a", expected=4)):
        raise raised
    assert type(caught.value) is expected
    assert caught.value.__cause__ is raised


def test_version_key_conflict_names_the_stream() -> None:
    """A conflict on the version key names the stream and the version expected."""
    with pytest.raises(ConcurrencyConflict) as caught, _translate_errors(make_commit("a", 4)):
        raise sqlite3.IntegrityError(_VERSION_KEY)
    assert (caught.value.stream_id, caught.value.expected) == ("a", 4)


def test_storage_unavailable_is_transient() -> None:
    """A busy database is a transient error, so retry policies catch it."""
    from onestop.exceptions import TransientError

    with pytest.raises(TransientError), _translate_errors():
        raise sqlite3.OperationalError("database is locked")


@pytest.mark.parametrize("stream_id", ["a\x00", "a\ud800"], ids=["nul", "surrogate"])
def test_a_forged_cursor_with_text_no_store_holds_is_refused(
    store: SQLiteStore, stream_id: str
) -> None:
    """A well-formed cursor whose stream id holds a NUL or a lone surrogate raises ValueError."""
    cursor = _sqlite_sql.encode_cursor(SummaryOrder.DUE, 0, stream_id)
    with pytest.raises(ValueError, match="cursor"):
        store.summaries(SummaryQuery(cursor=cursor))
