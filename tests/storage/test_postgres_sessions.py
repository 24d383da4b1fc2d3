"""`PostgresStore`'s connections: the session every one gets, and the ones the server drops.

Every store here lives in a fresh schema with a random name, dropped when the test
ends; the tests need ``ONESTOP_TEST_POSTGRES_URL`` (see ``tests/conftest.py``).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg import sql

from onestop.exceptions import ConfigurationError
from onestop.ports.keys import SubjectKey, WrappedKey
from onestop.storage.postgres import PostgresStore
from onestop.testing.contracts import make_commit

pytestmark = pytest.mark.postgres

KHMER = "\u17a2\u17d2\u1793\u1780"
"""A Khmer word, which no single-byte encoding holds."""


def _with(url: str, parameter: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{parameter}"


# --- the session --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "parameter",
    [
        "client_encoding=latin1",
        "client_encoding=sql_ascii",
        "options=-c%20client_encoding%3DWIN1252",
    ],
    ids=["latin1", "sql-ascii", "win1252-in-options"],
)
def test_a_client_encoding_in_the_url_does_not_change_what_is_kept(
    postgres_url: str, schema: str, parameter: str
) -> None:
    """Whatever client_encoding the URL asks for, Khmer text is kept and read back as text.

    Before, LATIN1 refused it as "not valid Unicode" and SQL_ASCII read every text
    column back as bytes.
    """
    with PostgresStore.connect(_with(postgres_url, parameter), schema=schema) as store:
        stored = store.commit(make_commit(KHMER, agency=KHMER))
        assert store.read(KHMER) == stored
        summary = store.summary(KHMER)
        assert summary is not None
        assert (summary.stream_id, summary.agency) == (KHMER, KHMER)


def test_a_database_not_in_utf8_is_refused_naming_its_encoding(postgres_url: str) -> None:
    """Connecting to a LATIN1 database raises ConfigurationError naming the encoding, and
    creates nothing in it (before, it opened and refused non-Latin text on every write)."""
    name = f"onestop_test_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        try:
            admin.execute(
                sql.SQL(
                    "CREATE DATABASE {} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'"
                    " TEMPLATE template0"
                ).format(sql.Identifier(name))
            )
        except psycopg.errors.InsufficientPrivilege:  # pragma: no cover - a server's choice
            pytest.skip("the test role may not create databases")
        try:
            base, _, query = postgres_url.partition("?")
            url = base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")
            with pytest.raises(ConfigurationError, match=r"LATIN1.*UTF8"):
                PostgresStore.connect(url)
            with psycopg.connect(url) as conn:
                found = conn.execute(
                    "SELECT 1 FROM pg_namespace WHERE nspname = 'onestop'"
                ).fetchone()
            assert found is None
        finally:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def test_a_server_encoding_not_reported_at_connection_time_is_asked_for(
    postgres_url: str, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind a proxy that does not report server_encoding, the store asks for it and opens."""
    reported = psycopg.ConnectionInfo.parameter_status

    def hidden(info: psycopg.ConnectionInfo, name: str) -> str | None:
        return None if name == "server_encoding" else reported(info, name)

    monkeypatch.setattr(psycopg.ConnectionInfo, "parameter_status", hidden)
    with PostgresStore.connect(postgres_url, schema=schema) as store:
        assert store.summary("a") is None


# --- connections the server closes --------------------------------------------------------


def _terminate_idle(url: str, application: str) -> int:
    """Terminate every backend of *application*; return how many, once those have gone.

    Only the backends terminated are waited for: the pool may open new ones meanwhile.
    """
    query = "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
    with psycopg.connect(url, autocommit=True) as admin:
        pids = [pid for (pid,) in admin.execute(query, (application,)).fetchall()]
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(500):
            left = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)
            ).fetchone()
            if left == (0,):
                return len(pids)
            time.sleep(0.01)
    raise AssertionError("the backends did not end")  # pragma: no cover


@pytest.mark.parametrize("size", [1, 4])
def test_connections_the_server_closed_while_idle_are_passed_over(
    postgres_url: str, schema: str, size: int
) -> None:
    """After the server closes every idle connection of the pool (a restart, a failover,
    idle_session_timeout), the next calls succeed on new connections, atomically's too.

    Before, each closed connection failed one call with StorageUnavailable.
    """
    application = f"onestop-idle-{secrets.token_hex(4)}"
    url = _with(postgres_url, f"application_name={application}")
    with PostgresStore.connect(url, schema=schema, min_size=size, max_size=size) as store:
        store.commit(make_commit("a"))
        assert _terminate_idle(postgres_url, application) == size
        for _ in range(2 * size):
            assert store.summary("a") is not None
        assert _terminate_idle(postgres_url, application) == size
        with store.atomically():
            store.commit(make_commit("b"))
        assert store.summary("b") is not None


# --- a role with the least rights -------------------------------------------------------------


@pytest.fixture
def plain_role(postgres_url: str) -> Iterator[str]:
    """A new login role with no right to create schemas in the database, dropped afterwards."""
    name = f"onestop_test_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        try:
            admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
        except psycopg.errors.InsufficientPrivilege:  # pragma: no cover - a server's choice
            pytest.skip("the test role may not create roles")
        try:
            yield name
        finally:
            admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def _as(url: str, role: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{role}@{rest.rpartition('@')[2]}"


def test_a_role_given_its_schema_by_an_administrator_opens_the_store(
    postgres_url: str, schema: str, plain_role: str
) -> None:
    """A role that owns a schema made for it, but may not create schemas, opens and uses it.

    Before, CREATE SCHEMA IF NOT EXISTS asked for the right to create schemas even
    though the schema existed, and the store never opened.
    """
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(
                sql.Identifier(schema), sql.Identifier(plain_role)
            )
        )
    with PostgresStore.connect(_as(postgres_url, plain_role), schema=schema) as store:
        store.commit(make_commit("a"))
        assert store.summary("a") is not None


def test_a_role_that_may_not_create_the_schema_is_a_configuration_error(
    postgres_url: str, schema: str, plain_role: str
) -> None:
    """A role that may not create the missing schema gets ConfigurationError, not a retry."""
    with pytest.raises(ConfigurationError, match="permission denied"):
        PostgresStore.connect(_as(postgres_url, plain_role), schema=schema)


# --- writers on several subjects ----------------------------------------------------------


def _key(subject: str) -> SubjectKey:
    return SubjectKey(
        subject=subject,
        wrapped=WrappedKey(master_key_id="m", data=b"k" * 32),
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize("write", ["add", "destroy"])
def test_writers_naming_subjects_in_opposite_orders_do_not_deadlock(
    postgres_url: str, schema: str, write: str
) -> None:
    """Two writers of the subjects a, m, z, in opposite orders, both waiting on m held by a
    third transaction, both succeed when it rolls back: rows are written in subject order.

    Before, each inserted in the order given, and one of them failed with
    StorageUnavailable (a deadlock).
    """
    application = f"onestop-order-{secrets.token_hex(4)}"
    url = _with(postgres_url, f"application_name={application}")
    with PostgresStore.connect(url, schema=schema, max_size=2) as store:

        def call(subjects: list[str]) -> object:
            if write == "add":
                return store.add_subject_keys([_key(s) for s in subjects])
            return store.destroy_subject_keys(subjects, at=datetime(2025, 1, 2, tzinfo=UTC))

        outcomes: list[object] = []

        def run(subjects: list[str]) -> None:
            try:
                outcomes.append(call(subjects))
            except Exception as exc:  # noqa: BLE001 - asserted below
                outcomes.append(exc)

        table = sql.Identifier(schema, "subject_keys")
        with psycopg.connect(postgres_url) as holder:
            holder.execute(
                sql.SQL(
                    "INSERT INTO {} (subject, created_at, destroyed_at) VALUES ('m', now(), now())"
                ).format(table)
            )
            threads = [
                threading.Thread(target=run, args=(order,))
                for order in (["a", "m", "z"], ["z", "m", "a"])
            ]
            for thread in threads:
                thread.start()
            _wait_for_waiters(postgres_url, application, 2)
            holder.rollback()
            for thread in threads:
                thread.join()
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        assert set(store.subject_keys(["a", "m", "z"])) == {"a", "m", "z"}


def _wait_for_waiters(url: str, application: str, count: int) -> None:
    with psycopg.connect(url, autocommit=True) as watch:
        for _ in range(500):
            (waiting,) = watch.execute(  # type: ignore[misc]
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE application_name = %s AND wait_event_type = 'Lock'",
                (application,),
            ).fetchone()
            if waiting == count:
                return
            time.sleep(0.01)
    raise AssertionError(f"{count} calls never waited")  # pragma: no cover


def test_a_sweep_and_a_failure_counter_on_one_key_do_not_deadlock(
    postgres_url: str, schema: str
) -> None:
    """A sweep deleting a key's old failure and a counter on that key, both waiting on
    the failure's row, both succeed when it is let go.

    Before, the sweep took the failure's row and then the key's, the counter the
    other way round, and one of them failed with StorageUnavailable (a deadlock).
    """
    application = f"onestop-sweep-{secrets.token_hex(4)}"
    url = _with(postgres_url, f"application_name={application}")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    window = timedelta(minutes=5)
    now = start + timedelta(minutes=10)
    with PostgresStore.connect(url, schema=schema, max_size=2) as store:
        store.count_failure("k", at=start, window=window)
        outcomes: list[object] = []

        def run(call: Callable[[], object]) -> None:
            try:
                outcomes.append(call())
            except Exception as exc:  # noqa: BLE001 - asserted below
                outcomes.append(exc)

        sweep = threading.Thread(
            target=run, args=(lambda: store.sweep_staff(at=now, window=window),)
        )
        count = threading.Thread(
            target=run, args=(lambda: store.count_failure("k", at=now, window=window),)
        )
        with psycopg.connect(postgres_url) as holder:
            holder.execute(
                sql.SQL("SELECT 1 FROM {} FOR UPDATE").format(
                    sql.Identifier(schema, "staff_failures")
                )
            )
            sweep.start()
            _wait_for_waiters(postgres_url, application, 1)
            count.start()
            _wait_for_waiters(postgres_url, application, 2)
            holder.rollback()
            sweep.join()
            count.join()
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        assert store.failures("k", at=now, window=window) == 1
