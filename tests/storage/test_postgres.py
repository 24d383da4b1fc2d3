"""`PostgresStore`: the port's behaviour on PostgreSQL, its schema, errors, concurrency, crashes.

Every store here lives in a fresh schema with a random name, dropped when the test
ends.  The tests need ``ONESTOP_TEST_POSTGRES_URL``; without it they are skipped (and
fail when ``ONESTOP_REQUIRE_SERVICES=1``, see ``tests/conftest.py``).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import attrs
import psycopg
import psycopg_pool
import pytest
from hypothesis import settings
from psycopg import sql

from onestop.exceptions import (
    ConcurrencyConflict,
    ConfigurationError,
    StorageError,
    StorageUnavailable,
)
from onestop.ports.events import (
    Append,
    Batch,
    BatchStore,
    Commit,
    EventStore,
    IdempotencyRecord,
    SequenceClaim,
)
from onestop.storage import from_url
from onestop.storage._postgres_pages import AFTER, ORDER_BY
from onestop.storage.memory import MemoryStore
from onestop.storage.postgres import PostgresStore, _split_url, translate_db_errors
from onestop.storage.postgres_history import HISTORY_STATEMENTS
from onestop.storage.postgres_keys import KEY_STATEMENTS
from onestop.storage.postgres_schema import (
    BOOTSTRAP,
    MIGRATIONS_TABLE,
    ORDER_KEYS,
    SLA_FILTERS,
    STATEMENTS,
    commit_params,
    migrate,
    shipped_migrations,
)
from onestop.storage.postgres_staff import STAFF_STATEMENTS
from onestop.testing import contracts
from onestop.testing.comparison import make_comparison_machine
from onestop.testing.contracts import T0, EventStoreContract, make_commit, make_event

pytestmark = pytest.mark.postgres

StoreFactory = Callable[..., PostgresStore]


def fresh_schema() -> str:
    """A schema name no other test uses."""
    return f"onestop_test_{secrets.token_hex(6)}"


def drop_schema(url: str, schema: str) -> None:
    """Drop *schema* and everything in it."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def new_store(postgres_url: str) -> Iterator[StoreFactory]:
    """Open stores in fresh schemas; close them and drop their schemas afterwards."""
    opened: list[PostgresStore] = []
    schemas: list[str] = []

    def factory(**options: Any) -> PostgresStore:
        schema = options.pop("schema", None) or fresh_schema()
        schemas.append(schema)
        store = PostgresStore.connect(postgres_url, schema=schema, **options)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()
    for schema in dict.fromkeys(schemas):
        drop_schema(postgres_url, schema)


@pytest.fixture
def store(new_store: StoreFactory) -> PostgresStore:
    """A store in a fresh schema."""
    return new_store()


def commit(
    stream_id: str,
    expected: int,
    *,
    events: int = 1,
    body: bytes | None = None,
    key: str | None = None,
    claim: SequenceClaim | None = None,
    number: str | None = None,
) -> Commit:
    """A commit of *events* events to *stream_id* at *expected*, with a key and a claim."""
    record = None
    if key is not None:
        record = IdempotencyRecord(key=key, stream_id=stream_id, request_digest="d", recorded_at=T0)
    changes: dict[str, Any] = {"number": number} if number is not None else {}
    made = make_commit(stream_id, expected, events, idempotency=record, sequence=claim, **changes)
    if body is None:
        return made
    bodies = tuple(make_event("acted", body=body, notice=body) for _ in made.events)
    return attrs.evolve(made, events=bodies)


def tables(url: str, schema: str) -> set[str]:
    """The names of the tables in *schema*."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
    return {name for (name,) in rows}


# --- the contract, and the comparison with MemoryStore ---------------------------------


class TestPostgresStore(EventStoreContract):
    """The storage contract, each test in a fresh schema."""

    @pytest.fixture
    def store(self, new_store: StoreFactory) -> PostgresStore:
        """A new, empty store in a fresh schema."""
        return new_store()


class _ThrowawayStore(PostgresStore):
    """A store in a fresh schema that drops the schema when closed."""

    def close(self) -> None:
        """Close the pool, then drop the schema."""
        super().close()
        drop_schema(os.environ["ONESTOP_TEST_POSTGRES_URL"], self.schema)


def _throwaway_store() -> PostgresStore:
    url = os.environ["ONESTOP_TEST_POSTGRES_URL"]
    return _ThrowawayStore.connect(url, schema=fresh_schema(), max_size=1)


TestPostgresMatchesMemory = make_comparison_machine(
    _throwaway_store, name="PostgresMatchesMemory"
).TestCase
TestPostgresMatchesMemory.settings = settings(
    TestPostgresMatchesMemory.settings, max_examples=60, stateful_step_count=40
)
if not os.environ.get("ONESTOP_TEST_POSTGRES_URL"):
    TestPostgresMatchesMemory = pytest.mark.skip(reason="ONESTOP_TEST_POSTGRES_URL is not set")(
        TestPostgresMatchesMemory
    )


# --- schema and migrations -------------------------------------------------------------


def test_connect_creates_the_schema_and_records_the_migration(
    store: PostgresStore, postgres_url: str
) -> None:
    """Connecting to an empty schema creates every table and records every migration."""
    assert tables(postgres_url, store.schema) == {
        "access_head",
        "access_records",
        "catalogue_versions",
        "consumer_positions",
        "events",
        "idempotency",
        "log_head",
        "notifications",
        MIGRATIONS_TABLE,
        "sequence_claims",
        "staff_failure_keys",
        "staff_failures",
        "staff_secrets",
        "subject_index",
        "subject_keys",
        "summaries",
    }
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute(
            sql.SQL("SELECT version FROM {}.{}").format(
                sql.Identifier(store.schema), sql.Identifier(MIGRATIONS_TABLE)
            )
        ).fetchall()
    assert sorted(rows) == [(1,), (2,), (3,), (4,), (5,)]


def test_migrating_again_changes_nothing(store: PostgresStore, postgres_url: str) -> None:
    """Running the migrations on an up-to-date schema keeps its data and its version."""
    store.commit(commit("app-1", 0))
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        assert migrate(conn, store.schema) == 5
    assert [e.version for e in store.read("app-1")] == [1]


def test_concurrent_openers_apply_each_migration_once(
    new_store: StoreFactory, postgres_url: str
) -> None:
    """Eight threads opening the same new schema at once all succeed; each migration runs once."""
    schema = fresh_schema()
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def open_one() -> None:
        barrier.wait()
        try:
            new_store(schema=schema)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with psycopg.connect(postgres_url) as conn:
        count = conn.execute(
            sql.SQL("SELECT count(*) FROM {}.{}").format(
                sql.Identifier(schema), sql.Identifier(MIGRATIONS_TABLE)
            )
        ).fetchone()
    assert count == (len(shipped_migrations()),)


def test_a_schema_newer_than_the_code_is_refused(
    store: PostgresStore, new_store: StoreFactory, postgres_url: str
) -> None:
    """A schema holding a migration this onestop does not know raises ConfigurationError."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("INSERT INTO {}.{} (version, checksum) VALUES (99, 'x')").format(
                sql.Identifier(store.schema), sql.Identifier(MIGRATIONS_TABLE)
            )
        )
    with pytest.raises(ConfigurationError, match="newer than this onestop"):
        new_store(schema=store.schema)


def test_a_changed_migration_is_refused(
    store: PostgresStore, new_store: StoreFactory, postgres_url: str
) -> None:
    """A migration recorded with another checksum than the shipped one raises StorageError."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("UPDATE {}.{} SET checksum = 'edited'").format(
                sql.Identifier(store.schema), sql.Identifier(MIGRATIONS_TABLE)
            )
        )
    with pytest.raises(StorageError, match="differs from the one shipped"):
        new_store(schema=store.schema)


def test_two_malls_share_a_database_in_two_schemas(new_store: StoreFactory) -> None:
    """Stores in two schemas of one database see only their own streams and notifications."""
    first, second = new_store(), new_store()
    first.commit(commit("app-1", 0))
    assert second.read("app-1") == ()
    assert second.notifications() == ()
    second.commit(commit("app-1", 0, events=2))
    assert [e.version for e in first.read("app-1")] == [1]


FORBIDDEN = {
    "advisory locks": r"pg_advisory|pg_try_advisory",
    "LISTEN/NOTIFY": r"\blisten\b|\bnotify\b|pg_notify",
    "table locks": r"\block\s+table\b",
    "serial ids": r"\b(big|small)?serial\b|nextval|\bsequence\b|generated\s+\w+\s+as\s+identity",
    "transaction ids": r"xact_id|txid_|\bxmin\b|\bxmax\b",
    "server-side functions": r"create\s+(or\s+replace\s+)?(function|procedure|trigger)",
}


def test_the_sql_avoids_features_distributed_engines_lack() -> None:
    """No statement or migration uses advisory locks, LISTEN/NOTIFY, LOCK TABLE or serial ids."""
    migrations = [re.sub(r"--[^\n]*", "", text) for _, text, _ in shipped_migrations()]
    texts = [*migrations, *BOOTSTRAP, *STATEMENTS.values(), *ORDER_KEYS.values()]
    texts += [*SLA_FILTERS.values(), *ORDER_BY.values(), *AFTER.values()]
    texts += [*KEY_STATEMENTS.values(), *HISTORY_STATEMENTS.values(), *STAFF_STATEMENTS.values()]
    found = {
        feature
        for feature, pattern in FORBIDDEN.items()
        for text in texts
        if re.search(pattern, text, re.IGNORECASE)
    }
    assert found == set()


# --- URLs and options ------------------------------------------------------------------


def test_from_url_opens_the_schema_named_in_the_url(postgres_url: str) -> None:
    """from_url with ``?schema=`` opens a PostgresStore in that schema."""
    schema = fresh_schema()
    separator = "&" if "?" in postgres_url else "?"
    opened = from_url(f"{postgres_url}{separator}schema={schema}")
    try:
        assert isinstance(opened, PostgresStore)
        assert isinstance(opened, EventStore)
        assert opened.schema == schema
    finally:
        opened.close()
        drop_schema(postgres_url, schema)


def test_the_postgres_scheme_is_an_alias(postgres_url: str) -> None:
    """A ``postgres://`` URL opens the same kind of store as ``postgresql://``."""
    schema = fresh_schema()
    url = "postgres://" + postgres_url.partition("://")[2]
    separator = "&" if "?" in url else "?"
    opened = from_url(f"{url}{separator}schema={schema}")
    try:
        assert isinstance(opened, PostgresStore)
    finally:
        opened.close()
        drop_schema(postgres_url, schema)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://h/db?schema=mall_a", ("postgresql://h/db", "mall_a")),
        (
            "postgresql:///db?host=/run/pg&schema=x&sslmode=off",
            ("postgresql:///db?host=/run/pg&sslmode=off", "x"),
        ),
        (
            "postgresql://u:a+b%20c@h/db?options=-c%20a%3Db+c",
            ("postgresql://u:a+b%20c@h/db?options=-c%20a%3Db+c", None),
        ),
        ("postgresql://h/db?%73chema=y", ("postgresql://h/db", "y")),
    ],
)
def test_only_the_schema_parameter_is_taken_out_of_the_url(
    url: str, expected: tuple[str, str | None]
) -> None:
    """The schema comes out of the URL; every other part reaches libpq unchanged."""
    assert _split_url(url) == expected


@pytest.mark.parametrize("schema", ["Upper", "has-dash", "pg_catalog", "", "x" * 64])
def test_a_bad_schema_name_is_refused(schema: str) -> None:
    """A schema name that is not a plain lowercase SQL name raises ConfigurationError."""
    with pytest.raises(ConfigurationError, match="schema name"):
        PostgresStore.connect("postgresql://db.invalid/malls", schema=schema)


@pytest.mark.parametrize(
    ("url", "schema"),
    [
        ("postgresql://db.invalid/malls?schema=information_schema", None),
        ("postgresql://db.invalid/malls", "information_schema"),
    ],
    ids=["in-the-url", "as-a-keyword"],
)
def test_information_schema_is_refused_before_connecting(url: str, schema: str | None) -> None:
    """information_schema, PostgreSQL's own, is refused as pg_catalog is.

    Before, a superuser's store created its tables in it.
    """
    with pytest.raises(ConfigurationError, match="schema name"):
        PostgresStore.connect(url, schema=schema)


def test_two_different_schemas_are_refused() -> None:
    """A schema in the URL and another as a keyword raise ConfigurationError."""
    with pytest.raises(ConfigurationError, match="given twice"):
        PostgresStore.connect("postgresql://db.invalid/malls?schema=one", schema="two")


def test_bad_pool_sizes_are_refused() -> None:
    """A pool whose minimum exceeds its maximum raises ConfigurationError."""
    with pytest.raises(ConfigurationError, match="pool sizes"):
        PostgresStore.connect("postgresql://db.invalid/malls", min_size=3, max_size=2)


def test_connections_read_committed_whatever_the_server_default(
    new_store: StoreFactory, postgres_url: str
) -> None:
    """A session that starts serializable is switched to read committed, in UTC."""
    separator = "&" if "?" in postgres_url else "?"
    options = "options=-c%20default_transaction_isolation%3Dserializable"
    store = new_store(schema=fresh_schema(), min_size=1, max_size=1)
    strict = PostgresStore.connect(f"{postgres_url}{separator}{options}", schema=store.schema)
    try:
        with strict._pool.connection() as conn:
            isolation = conn.execute("SHOW default_transaction_isolation").fetchone()
            zone = conn.execute("SHOW TimeZone").fetchone()
    finally:
        strict.close()
    assert (isolation, zone) == (("read committed",), ("UTC",))


def test_an_unreachable_server_is_unavailable_and_the_password_not_shown() -> None:
    """A server that cannot be reached raises StorageUnavailable without the URL's password."""
    with pytest.raises(StorageUnavailable) as caught:
        PostgresStore.connect("postgresql://someone:s3cret-pw@127.0.0.1:1/db", timeout=2)
    assert isinstance(caught.value.__cause__, psycopg.OperationalError)
    assert "s3cret-pw" not in str(caught.value)


def test_import_onestop_does_not_import_psycopg() -> None:
    """``import onestop`` and ``onestop.storage`` leave psycopg unimported."""
    code = "import sys, onestop, onestop.storage; print('psycopg' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_a_missing_extra_is_a_configuration_error() -> None:
    """Without psycopg, opening a postgresql:// URL says which extra to install."""
    code = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from onestop.storage import from_url\n"
        "from onestop.exceptions import ConfigurationError\n"
        "try:\n    from_url('postgresql://localhost/db')\n"
        "except ConfigurationError as exc:\n    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert 'pip install "onestop-mall[postgres]"' in result.stdout


# --- behaviour the port states ---------------------------------------------------------


def test_a_refused_commit_gives_its_positions_back(store: PostgresStore) -> None:
    """Notification positions stay gap-free when a commit is refused in between."""
    store.commit(commit("app-1", 0))
    with pytest.raises(ConcurrencyConflict):
        store.commit(commit("app-1", 0, events=3))
    store.commit(commit("app-2", 0, events=2))
    assert [n.position for n in store.notifications()] == [1, 2, 3]


def test_a_stale_writer_conflicts_at_any_version(store: PostgresStore) -> None:
    """A commit decided on an older or a newer version than stored raises ConcurrencyConflict."""
    store.commit(commit("app-1", 0, events=2))
    for expected in (0, 1, 3, 7):
        with pytest.raises(ConcurrencyConflict) as caught:
            store.commit(commit("app-1", expected))
        assert (caught.value.expected, caught.value.actual) == (expected, 2)


def test_a_number_held_by_another_stream_is_a_storage_error(store: PostgresStore) -> None:
    """A summary taking another stream's application number raises StorageError."""
    store.commit(commit("app-1", 0, number="N/1"))
    with pytest.raises(StorageError, match="application number") as caught:
        store.commit(commit("app-2", 0, number="N/1"))
    assert not isinstance(caught.value, ConcurrencyConflict)
    assert isinstance(caught.value.__cause__, psycopg.errors.UniqueViolation)
    assert store.read("app-2") == ()


def test_a_reconnection_gives_up_after_the_pool_timeout(new_store: StoreFactory) -> None:
    """After an outage the pool tries to reconnect for `timeout` seconds at most (not
    psycopg_pool's 300), so that a request once the database is back starts afresh."""
    store = new_store(timeout=4.0)
    assert store._pool.reconnect_timeout == 4.0


def test_a_closed_store_refuses_every_call(new_store: StoreFactory) -> None:
    """After close, calls raise StorageError."""
    closed = new_store()
    closed.close()
    with pytest.raises(StorageError, match="closed"):
        closed.read("app-1")


def test_repr_shows_the_schema_only(store: PostgresStore) -> None:
    """The repr names the schema and never the URL."""
    assert repr(store) == f"<PostgresStore schema={store.schema!r}>"


def test_a_commit_is_one_round_trip(new_store: StoreFactory, tmp_path: Any) -> None:
    """Once its statement is prepared, a commit costs one round trip (one Sync) to the server."""
    store = new_store(min_size=1, max_size=1)
    for version in range(6):  # psycopg prepares a statement on its fifth use
        store.commit(commit("app-1", version))
    trace = tmp_path / "libpq.trace"
    with trace.open("w") as sink:
        with store._pool.connection() as conn:
            conn.pgconn.trace(sink.fileno())
            conn.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
        store.commit(commit("app-1", 6, key="key-1", claim=SequenceClaim(name="n", value=1)))
        with store._pool.connection() as conn:
            conn.pgconn.untrace()
    lines = trace.read_text().splitlines()
    sent = [line.split("\t")[2].split(" ")[0] for line in lines if line.startswith("F\t")]
    assert sent.count("Sync") == 1
    assert "Query" not in sent


# --- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (psycopg.errors.SerializationFailure, StorageUnavailable),
        (psycopg.errors.DeadlockDetected, StorageUnavailable),
        (psycopg.errors.AdminShutdown, StorageUnavailable),
        (psycopg.errors.QueryCanceled, StorageUnavailable),
        (psycopg.OperationalError, StorageUnavailable),
        (psycopg.errors.UniqueViolation, StorageError),
        (psycopg.errors.DataError, StorageError),
        (psycopg.errors.UndefinedTable, StorageError),
        (psycopg.InterfaceError, StorageError),
        (psycopg_pool.PoolTimeout, StorageUnavailable),
        (psycopg_pool.PoolClosed, StorageError),
    ],
)
def test_driver_errors_are_translated(
    error: type[psycopg.Error], expected: type[StorageError]
) -> None:
    """Each psycopg error becomes its onestop error, with the driver's error as the cause."""
    raised = error("the driver's message")
    with pytest.raises(expected) as caught, translate_db_errors():
        raise raised
    assert type(caught.value) is expected
    assert caught.value.__cause__ is raised


def test_a_unique_violation_on_a_key_is_a_conflict(store: PostgresStore) -> None:
    """A taken idempotency key raises ConcurrencyConflict caused by a UniqueViolation."""
    store.commit(commit("app-1", 0, key="key-1"))
    with pytest.raises(ConcurrencyConflict) as caught:
        store.commit(commit("app-2", 0, key="key-1"))
    assert caught.value.stream_id == "key-1"
    assert isinstance(caught.value.__cause__, psycopg.errors.UniqueViolation)


def test_text_the_driver_cannot_encode_is_a_storage_error() -> None:
    """Text psycopg cannot encode (a lone surrogate) becomes StorageError where errors translate."""
    with pytest.raises(StorageError, match="not valid Unicode") as caught, translate_db_errors():
        "app-\ud800".encode()
    assert isinstance(caught.value.__cause__, UnicodeEncodeError)


# --- concurrency -----------------------------------------------------------------------

WRITERS = 8
ATTEMPTS = 1000
APPS = tuple(f"app-{n}" for n in range(10))


def _write_concurrently(url: str, schema: str, writer: int, start: Any) -> dict[str, Any]:
    """In a child process: try ATTEMPTS commits on random APPS, each at the version read."""
    rng = random.Random(writer)
    successes: list[tuple[str, int, int, int]] = []
    conflicts = 0
    untyped: list[str] = []
    with PostgresStore.connect(url, schema=schema, max_size=1) as store:
        start.wait()
        for attempt in range(ATTEMPTS):
            app = rng.choice(APPS)
            row = store.summary(app)
            version = row.version if row is not None else 0
            body = json.dumps([writer, attempt]).encode()
            try:
                store.commit(commit(app, version, body=body))
            except ConcurrencyConflict:
                conflicts += 1
            except Exception as exc:  # noqa: BLE001 - what the test asserts never happens
                untyped.append(repr(exc))
            else:
                successes.append((app, version + 1, writer, attempt))
    return {"successes": successes, "conflicts": conflicts, "untyped": untyped}


def _read_along(store: PostgresStore, done: threading.Event, seen: list[int]) -> None:
    """Poll the log while writers commit; record every position in the order read."""
    while True:
        finished = done.is_set()
        batch = store.notifications(after=seen[-1] if seen else 0, limit=500)
        seen.extend(n.position for n in batch)
        if finished and not batch:
            return


@pytest.mark.slow
def test_eight_processes_lose_no_update_and_log_in_commit_order(
    store: PostgresStore, postgres_url: str
) -> None:
    """8 processes x 1,000 attempts on 10 applications: no lost update, a gap-free log.

    Every attempt ends as a success or a ConcurrencyConflict; each application's
    version equals its successful commits and its history's length; the events hold
    exactly the successes; and a reader polling all along never sees a position out
    of order or skipped, so positions follow commit order.
    """
    for app in APPS:
        store.commit(commit(app, 0, body=b"[-1, -1]"))
    context = multiprocessing.get_context("spawn")
    seen: list[int] = []
    done = threading.Event()
    reader = threading.Thread(target=_read_along, args=(store, done, seen))
    with context.Manager() as manager, context.Pool(WRITERS) as pool:
        start = manager.Event()
        pending = [
            pool.apply_async(_write_concurrently, (postgres_url, store.schema, w, start))
            for w in range(WRITERS)
        ]
        reader.start()
        time.sleep(0.5)
        start.set()
        results = [result.get(timeout=300) for result in pending]
    done.set()
    reader.join()

    assert [r["untyped"] for r in results] == [[]] * WRITERS
    successes = [tuple(s) for r in results for s in r["successes"]]
    conflicts = sum(r["conflicts"] for r in results)
    assert len(successes) + conflicts == WRITERS * ATTEMPTS
    assert len({(app, version) for app, version, _, _ in successes}) == len(successes)
    recorded: set[tuple[str, int, int, int]] = set()
    for app in APPS:
        history = store.read(app)
        ours = [s for s in successes if s[0] == app]
        assert store.summary(app) is not None
        assert store.summary(app).version == len(history) == len(ours) + 1  # type: ignore[union-attr]
        recorded |= {(app, e.version, *json.loads(e.body)) for e in history[1:]}
    assert recorded == set(successes)
    total = len(APPS) + len(successes)
    assert seen == list(range(1, total + 1))
    log = store.notifications(limit=total + 1)
    assert [(n.stream_id, n.version) for n in log if n.stream_id == APPS[0]] == [
        (APPS[0], v) for v in range(1, len(store.read(APPS[0])) + 1)
    ]


def test_racing_submissions_do_not_deadlock(store: PostgresStore) -> None:
    """Eight threads claiming the same counter values and keys only ever conflict.

    Each commit creates a stream and claims a counter value and an idempotency key
    that other threads claim too; locks are taken in one order, so no commit fails
    with a deadlock, and each value and key is claimed exactly once.
    """
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def submit(thread: int) -> None:
        barrier.wait()
        for value in range(1, 41):
            target = commit(
                f"app-{thread}-{value}",
                0,
                key=f"key-{value}",
                claim=SequenceClaim(name="counter", value=store.sequence("counter") + 1),
            )
            try:
                store.commit(target)
                outcomes.append("ok")
            except ConcurrencyConflict:
                outcomes.append("conflict")
            except StorageError as exc:
                outcomes.append(repr(exc))

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(outcomes) <= {"ok", "conflict"}
    assert outcomes.count("ok") == store.sequence("counter")
    assert len(store.notifications(limit=1000)) == outcomes.count("ok")


# --- crashes ---------------------------------------------------------------------------

KILLS = 20


def _terminate_when_waiting(url: str, application: str) -> None:
    """Terminate the backend of *application* once it waits on a lock inside its statement."""
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(500):
            row = conn.execute(
                "SELECT pid FROM pg_stat_activity"
                " WHERE application_name = %s AND wait_event_type = 'Lock'",
                (application,),
            ).fetchone()
            if row is not None:
                conn.execute("SELECT pg_terminate_backend(%s)", row)
                return
            time.sleep(0.01)
    raise AssertionError("the writer never blocked")  # pragma: no cover


@pytest.mark.slow
def test_a_backend_killed_mid_transaction_leaves_nothing_half_applied(
    new_store: StoreFactory, postgres_url: str
) -> None:
    """20 writers' backends terminated inside their transaction write nothing; retries do.

    Half the kills strike while the writer waits for the log head (its stream, key and
    counter rows written), half while it waits for its stream's row; each writer gets
    StorageUnavailable, nothing of its command is stored, and its retry is stored once.
    """
    application = f"onestop-crash-{secrets.token_hex(4)}"
    separator = "&" if "?" in postgres_url else "?"
    store = new_store(min_size=1, max_size=1)
    writer = PostgresStore.connect(
        f"{postgres_url}{separator}application_name={application}", schema=store.schema
    )
    table = {0: "log_head", 1: "summaries"}
    store.commit(commit("app-1", 0))
    try:
        for kill in range(1, KILLS + 1):
            app = "app-1" if kill % 2 else f"new-{kill}"
            row = store.summary(app)
            expected = row.version if row is not None else 0
            key = f"key-{kill}"
            claim = SequenceClaim(name="counter", value=kill)
            target = commit(app, expected, events=2, key=key, claim=claim)
            before = store.notifications(limit=1000)
            with psycopg.connect(postgres_url) as blocker:
                blocker.execute(
                    sql.SQL("SELECT 1 FROM {}.{} FOR UPDATE").format(
                        sql.Identifier(store.schema), sql.Identifier(table[kill % 2])
                    )
                )
                killer = threading.Thread(
                    target=_terminate_when_waiting, args=(postgres_url, application)
                )
                killer.start()
                with pytest.raises(StorageUnavailable) as caught:
                    writer.commit(target)
                killer.join()
                blocker.rollback()
            assert isinstance(caught.value.__cause__, psycopg.OperationalError)
            assert store.notifications(limit=1000) == before
            assert store.idempotency(key) is None
            assert store.sequence("counter") == kill - 1
            assert len(store.read(app)) == expected
            writer.commit(target)
            assert len(store.read(app)) == expected + 2
        log = store.notifications(limit=1000)
        assert [n.position for n in log] == list(range(1, 2 * KILLS + 2))
        assert store.sequence("counter") == KILLS
        assert store.summary("app-1").version == KILLS + 1  # type: ignore[union-attr]
    finally:
        writer.close()


# --- batches (onestop.ports.events.BatchStore) ------------------------------------------------
#
# `commit_batch` is checked against `MemoryStore`, the executable specification: the
# same batches on both stores must store the same events and notifications and raise
# the same errors, with the same attributes.


def append(stream_id: str, expected: int, events: int = 1, *, tag: str = "") -> Append:
    """An append of *events* events to *stream_id* at *expected*; bodies name the version."""
    made = tuple(
        make_event(
            f"job-{v}", body=b'{"v":%d,"t":"%s"}' % (v, tag.encode()), notice=b'{"n":%d}' % v
        )
        for v in range(expected + 1, expected + events + 1)
    )
    return Append(stream_id=stream_id, expected_version=expected, events=made)


def batch(*appends: Append) -> Batch:
    """A batch of *appends* at T0."""
    return Batch(appends=appends, recorded_at=T0)


def outcome(store: BatchStore, target: Batch) -> tuple[object, ...]:
    """What committing *target* did: the events stored, or the error and its attributes."""
    try:
        return ("stored", store.commit_batch(target))
    except ConcurrencyConflict as exc:
        return ("conflict", exc.stream_id, exc.expected, exc.actual, str(exc))
    except ValueError as exc:
        return ("refused", str(exc))


def state(store: EventStore, streams: tuple[str, ...]) -> tuple[object, ...]:
    """Every stream's events and summary, and the whole notification log."""
    return (
        tuple(store.read(s) for s in streams),
        tuple(store.summary(s) for s in streams),
        store.notifications(limit=1000),
    )


STREAMS = ("app-1", "courier-job:j", "packet:p", "courier:app-1", "courier-job:k")


def prepared(store: EventStore) -> None:
    """An application with a read-model row, a job at version 2 and a packet at version 1."""
    assert isinstance(store, BatchStore)
    store.commit(make_commit("app-1", 0, 1))
    store.commit_batch(batch(append("courier-job:j", 0, 2), append("packet:p", 0)))


SCENARIOS = {
    "new and existing streams": batch(append("courier-job:k", 0, 3), append("courier-job:j", 2)),
    "stale first stream": batch(append("courier-job:j", 1), append("packet:p", 1)),
    "stale second stream": batch(append("courier-job:j", 2), append("packet:p", 0)),
    "second stream ahead": batch(append("courier-job:j", 2, 2), append("packet:p", 5)),
    "new stream expected ahead": batch(append("courier-job:k", 1)),
    "application stream second": batch(append("courier-job:j", 2), append("app-1", 1)),
    "application stream first, conflict second": batch(append("app-1", 1), append("packet:p", 0)),
    "conflict first, application stream second": batch(
        append("courier-job:j", 0), append("app-1", 1)
    ),
    "application stream alone": batch(append("app-1", 1)),
    "application stream at a stale version": batch(append("app-1", 0)),
}


@pytest.mark.parametrize("target", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_a_batch_does_what_memory_store_does(store: PostgresStore, target: Batch) -> None:
    """Each batch stores the same events or raises the same error as on MemoryStore."""
    memory = MemoryStore()
    prepared(memory)
    prepared(store)
    assert outcome(store, target) == outcome(memory, target)
    assert state(store, STREAMS) == state(memory, STREAMS)


def test_a_batch_stores_every_append_and_returns_them_in_order(store: PostgresStore) -> None:
    """The events come back append by append, as read returns them, with one notice each."""
    stored = store.commit_batch(
        batch(append("packet:p", 0, 2, tag="x"), append("courier-job:j", 0, tag="y"))
    )
    assert [(e.stream_id, e.version) for e in stored] == [
        ("packet:p", 1),
        ("packet:p", 2),
        ("courier-job:j", 1),
    ]
    assert store.read("packet:p") + store.read("courier-job:j") == stored
    assert [(n.position, n.stream_id, n.version, n.body) for n in store.notifications()] == [
        (1, "packet:p", 1, b'{"n":1}'),
        (2, "packet:p", 2, b'{"n":2}'),
        (3, "courier-job:j", 1, b'{"n":1}'),
    ]
    assert all(store.summary(s) is None for s in ("packet:p", "courier-job:j"))


@pytest.mark.parametrize("expected", [0, 1, 3, 9])
def test_a_conflict_in_the_second_stream_writes_nothing_of_the_first(
    store: PostgresStore, expected: int
) -> None:
    """A stale or ahead second stream raises ConcurrencyConflict naming it; nothing is written.

    The positions the refused batch would have taken are given back: the next batch
    continues the log without a gap.
    """
    store.commit_batch(batch(append("courier-job:j", 0), append("packet:p", 0, 2)))
    before = state(store, STREAMS)
    with pytest.raises(ConcurrencyConflict) as caught:
        store.commit_batch(batch(append("courier-job:j", 1, 2), append("packet:p", expected)))
    assert (caught.value.stream_id, caught.value.expected, caught.value.actual) == (
        "packet:p",
        expected,
        2,
    )
    assert isinstance(caught.value.__cause__, psycopg.errors.IntegrityError)
    assert state(store, STREAMS) == before
    store.commit_batch(batch(append("courier-job:j", 1), append("packet:p", 2)))
    assert [n.position for n in store.notifications()] == [1, 2, 3, 4, 5]


def test_the_first_conflicting_stream_is_named(store: PostgresStore) -> None:
    """When several streams are stale, the error names the first in the batch's order."""
    store.commit_batch(batch(append("courier-job:j", 0), append("packet:p", 0)))
    with pytest.raises(ConcurrencyConflict) as caught:
        store.commit_batch(batch(append("packet:p", 0), append("courier-job:j", 0)))
    assert caught.value.stream_id == "packet:p"


def test_an_application_stream_is_refused_and_nothing_written(store: PostgresStore) -> None:
    """A stream with a read-model row raises ValueError, with the other appends not written."""
    store.commit(make_commit("app-1", 0, 1))
    before = state(store, STREAMS)
    with pytest.raises(ValueError, match="read-model row") as caught:
        store.commit_batch(batch(append("courier:app-1", 0), append("app-1", 1)))
    assert caught.value.__cause__ is None  # refused by the statement, not by the driver
    assert state(store, STREAMS) == before
    store.commit_batch(batch(append("courier:app-1", 0)))
    assert [n.position for n in store.notifications()] == [1, 2]


def test_a_batch_losing_a_new_stream_to_an_application_gets_memory_stores_error(
    store: PostgresStore, behind_uncommitted: Callable[..., object]
) -> None:
    """A batch that finds an application's first commit in flight is refused as on MemoryStore.

    The application's commit is held open in a transaction; the batch, started before
    it is committed, does not see its read-model row and waits on the event's key.
    Once the commit is done, the key refuses the batch and the store finds the
    read-model row: ValueError, as MemoryStore (applying the commit first) raises.
    """
    caught = behind_uncommitted(
        store.schema,
        store._sql["commit"],
        commit_params(make_commit("app-1", 0, 1)),
        lambda writer: writer.commit_batch(batch(append("courier:app-1", 0), append("app-1", 0))),
    )
    assert isinstance(caught, ValueError)
    assert "read-model row" in str(caught)
    assert isinstance(caught.__cause__, psycopg.errors.UniqueViolation)
    assert store.read("courier:app-1") == ()
    assert [n.stream_id for n in store.notifications()] == ["app-1"]


MALFORMED = {
    "no appends": Batch(appends=(), recorded_at=T0),
    "a stream named twice": batch(append("courier-job:j", 0), append("courier-job:j", 1)),
    "an append without events": batch(Append(stream_id="j", expected_version=0, events=())),
    "a negative version": batch(append("courier-job:j", -1)),
    "a naive instant": Batch(appends=(append("j", 0),), recorded_at=T0.replace(tzinfo=None)),
}


@pytest.mark.parametrize("target", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_batch_is_refused_before_any_io(new_store: StoreFactory, target: Batch) -> None:
    """A malformed batch raises MemoryStore's ValueError, even on a closed store."""
    closed = new_store()
    closed.close()
    assert outcome(closed, target) == outcome(MemoryStore(), target)
    assert outcome(closed, target)[0] == "refused"


def test_batches_and_commits_share_one_log_in_commit_order(store: PostgresStore) -> None:
    """Commits and batches interleave in one gap-free log, each in the order it was applied."""
    store.commit(make_commit("app-1", 0, 2))
    store.commit_batch(batch(append("courier:app-1", 0), append("courier-job:j", 0, 2)))
    store.commit(make_commit("app-1", 2, 1))
    store.commit_batch(batch(append("courier-job:j", 2)))
    later = batch(append("packet:p", 0))
    store.commit_batch(attrs.evolve(later, recorded_at=T0 + timedelta(hours=1)))
    assert [(n.position, n.stream_id, n.version) for n in store.notifications()] == [
        (1, "app-1", 1),
        (2, "app-1", 2),
        (3, "courier:app-1", 1),
        (4, "courier-job:j", 1),
        (5, "courier-job:j", 2),
        (6, "app-1", 3),
        (7, "courier-job:j", 3),
        (8, "packet:p", 1),
    ]
    assert store.notifications(after=7)[0].recorded_at == T0 + timedelta(hours=1)
    assert store.read("packet:p")[0].recorded_at == T0 + timedelta(hours=1)


def test_a_batch_is_one_round_trip(new_store: StoreFactory, tmp_path: Any) -> None:
    """Once its statement is prepared, a batch of any shape costs one round trip (one Sync)."""
    store = new_store(min_size=1, max_size=1)
    for version in range(6):  # psycopg prepares a statement on its fifth use
        store.commit_batch(batch(append("courier-job:j", version)))
    trace = tmp_path / "libpq.trace"
    with trace.open("w") as sink:
        with store._pool.connection() as conn:
            conn.pgconn.trace(sink.fileno())
            conn.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
        store.commit_batch(
            batch(append("courier-job:j", 6), append("packet:p", 0, 3), append("courier:a", 0))
        )
        with store._pool.connection() as conn:
            conn.pgconn.untrace()
    lines = trace.read_text().splitlines()
    sent = [line.split("\t")[2].split(" ")[0] for line in lines if line.startswith("F\t")]
    assert sent.count("Sync") == 1
    assert "Query" not in sent
    assert "Parse" not in sent


BATCHERS = 8
ROUNDS = 40
EVENTS = 20


def test_racing_batches_on_shared_streams_neither_deadlock_nor_interleave(
    store: PostgresStore,
) -> None:
    """Eight threads append to the same two streams at once, half naming them the other way.

    In each round every thread reads the streams' versions, then all of them commit
    20 events to each stream together: exactly one batch is stored and the seven
    others raise ConcurrencyConflict, never a deadlock (StorageUnavailable), since
    every batch locks its streams' keys in one order (inserted in the order given,
    this test deadlocks).  Each stored batch's notifications are adjacent, in its
    order, and a reader polling all along sees the positions in order, gap-free.
    """
    outcomes: list[str] = []
    barrier = threading.Barrier(BATCHERS)
    seen: list[int] = []
    done = threading.Event()
    streams = ("courier-job:j", "packet:p")

    def run(thread: int) -> None:
        for attempt in range(ROUNDS):
            versions = [len(store.read(s)) for s in streams]
            notice = f"{thread}-{attempt}".encode()
            pair = [
                Append(
                    stream_id=s, expected_version=v, events=(make_event(notice=notice),) * EVENTS
                )
                for s, v in zip(streams, versions, strict=True)
            ]
            barrier.wait()
            try:
                store.commit_batch(batch(*(pair if thread % 2 else pair[::-1])))
                outcomes.append("stored")
            except ConcurrencyConflict:
                outcomes.append("conflict")
            except Exception as exc:  # noqa: BLE001 - what the test asserts never happens
                outcomes.append(repr(exc))
            barrier.wait()

    reader = threading.Thread(target=_read_along, args=(store, done, seen))
    reader.start()
    threads = [threading.Thread(target=run, args=(n,)) for n in range(BATCHERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    reader.join()
    assert set(outcomes) <= {"stored", "conflict"}, set(outcomes)
    assert (outcomes.count("stored"), outcomes.count("conflict")) == (
        ROUNDS,
        ROUNDS * (BATCHERS - 1),
    )
    assert len(store.read("courier-job:j")) == len(store.read("packet:p")) == ROUNDS * EVENTS
    log = store.notifications(limit=1000) + store.notifications(after=1000, limit=1000)
    assert [n.position for n in log] == list(range(1, 2 * ROUNDS * EVENTS + 1)) == seen
    for start in range(0, len(log), 2 * EVENTS):
        stored = log[start : start + 2 * EVENTS]
        assert len({n.body for n in stored}) == 1
        first = stored[0].stream_id
        assert [n.stream_id == first for n in stored] == [True] * EVENTS + [False] * EVENTS
    assert len({n.body for n in log}) == ROUNDS


def test_a_batch_returns_a_tuple_of_frozen_events(store: PostgresStore) -> None:
    """The returned events are a tuple of frozen values: changing them changes nothing stored."""
    stored = store.commit_batch(batch(append("courier-job:j", 0)))
    assert type(stored) is tuple
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        stored[0].version = 2  # type: ignore[misc]
    assert store.read("courier-job:j") == stored


class TestPostgresBatchStore(contracts.BatchStoreContract):
    """The batch contract, each test in a fresh schema."""

    @pytest.fixture
    def store(self, new_store: StoreFactory) -> PostgresStore:
        """A new, empty store in a fresh schema."""
        return new_store()
