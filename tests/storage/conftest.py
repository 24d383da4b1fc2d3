"""Fixtures shared by the storage tests."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

BehindUncommitted = Callable[[str, bytes, Mapping[str, object], Callable[[Any], object]], object]
"""Run a call on a PostgreSQL store while another transaction holds a write uncommitted."""


@pytest.fixture
def behind_uncommitted(postgres_url: str) -> BehindUncommitted:
    """Make a store call that has to wait for another transaction's uncommitted write.

    The function returned takes the store's schema, a statement and its parameters,
    and the call to make.  Another transaction runs the statement and holds it
    uncommitted; the call runs in a thread, on a store of its own in that schema,
    until it waits on a lock; then the other transaction commits.  It returns what
    the call returned or raised.
    """
    import psycopg

    from onestop.storage.postgres import PostgresStore

    def run(
        schema: str, statement: bytes, params: Mapping[str, object], call: Callable[[Any], object]
    ) -> object:
        application = f"onestop-held-{secrets.token_hex(4)}"
        separator = "&" if "?" in postgres_url else "?"
        racer = PostgresStore.connect(
            f"{postgres_url}{separator}application_name={application}", schema=schema
        )
        outcome: list[object] = []

        def make_the_call() -> None:
            try:
                outcome.append(call(racer))
            except BaseException as exc:  # noqa: BLE001 - returned to the test
                outcome.append(exc)

        try:
            with psycopg.connect(postgres_url) as holder:
                holder.execute(statement, params)
                thread = threading.Thread(target=make_the_call)
                thread.start()
                with psycopg.connect(postgres_url, autocommit=True) as watch:
                    for _ in range(500):
                        waiting = watch.execute(
                            "SELECT 1 FROM pg_stat_activity"
                            " WHERE application_name = %s AND wait_event_type = 'Lock'",
                            (application,),
                        ).fetchone()
                        if waiting is not None:
                            break
                        time.sleep(0.01)
                assert waiting is not None, "the call never waited for the other transaction"
                holder.commit()
            thread.join()
        finally:
            racer.close()
        return outcome[0]

    return run


@pytest.fixture
def schema(postgres_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema name; the schema is dropped afterwards."""
    from psycopg import connect, sql

    name = f"onestop_test_{secrets.token_hex(6)}"
    yield name
    with connect(postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
