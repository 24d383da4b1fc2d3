"""A sealed submission writes its data keys, blind index rows and events in one transaction
(SQLite and PostgreSQL): one commit, and nothing left behind when it fails."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import psycopg.sql
import pytest
from privacy_desk_support import CITIZEN, DOCUMENTS, DeskClock, answers, person, sealed_mall

from onestop.domain.common.subjects import subject_id
from onestop.exceptions import StorageError
from onestop.ports.events import SummaryQuery
from onestop.storage.sqlite import SQLiteStore
from onestop.usecases.mall import Mall


def _submit(mall: Mall, nik: str) -> str:
    receipt = mall.submit(
        "izin-usaha",
        channel="online",
        applicant=person(nik, "Siti Rahayu", "Jl. Kanari 7"),
        answers=answers("Jl. Kanari 7"),
        documents=DOCUMENTS,
        actor=CITIZEN,
    )
    return receipt.application_id


def _statements(store: SQLiteStore) -> list[str]:
    seen: list[str] = []
    store._connection.set_trace_callback(seen.append)
    return seen


def _rows(store: SQLiteStore) -> tuple[int, int]:
    connection = store._connection
    keys = connection.execute("SELECT count(*) FROM subject_keys").fetchone()[0]
    index = connection.execute("SELECT count(*) FROM subject_index").fetchone()[0]
    return keys, index


def test_a_sealed_submission_on_sqlite_commits_once(tmp_path: Path) -> None:
    """After the blind index key exists, a submission is one BEGIN IMMEDIATE and one COMMIT,
    its data key and blind index row inside it."""
    with SQLiteStore.open(tmp_path / "mall.sqlite3") as store:
        mall = sealed_mall(store, clock=DeskClock())
        _submit(mall, "3171015708850003")  # makes the blind index key, in its own commit
        seen = _statements(store)
        application_id = _submit(mall, "3171014403900007")
        store._connection.set_trace_callback(None)
        assert [s for s in seen if s in ("BEGIN IMMEDIATE", "COMMIT")] == [
            "BEGIN IMMEDIATE",
            "COMMIT",
        ]
        assert any(s.startswith("INSERT INTO subject_keys") for s in seen)
        assert any(s.startswith("INSERT INTO subject_index") for s in seen)
        assert store.subject_keys([subject_id(application_id, "applicant")])


def _pg_rows(store: Any) -> tuple[int, int]:
    counted = []
    with store._connection() as cursor:
        for table in ("subject_keys", "subject_index"):
            query = psycopg.sql.SQL("SELECT count(*) FROM {}.{}").format(
                psycopg.sql.Identifier(store.schema), psycopg.sql.Identifier(table)
            )
            counted.append(cursor.execute(query).fetchone()[0])
    return counted[0], counted[1]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def counted_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Any, Callable[[Any], tuple[int, int]]]]:
    """A store (SQLite, or PostgreSQL in a fresh schema) and how to count its key rows."""
    if request.param == "sqlite":
        with SQLiteStore.open(tmp_path / "mall.sqlite3") as store:
            yield store, _rows
        return
    from onestop.storage.postgres import PostgresStore

    url = request.getfixturevalue("postgres_url")
    schema = f"onestop_test_{secrets.token_hex(6)}"
    try:
        with PostgresStore.connect(url, schema=schema) as store:
            yield store, _pg_rows
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                psycopg.sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                    psycopg.sql.Identifier(schema)
                )
            )


def test_a_failed_sealed_submission_leaves_no_key_or_index_row(
    counted_store: tuple[Any, Callable[[Any], tuple[int, int]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the events' commit fails, the data key and blind index row made for the
    application are rolled back with it (SQLite and PostgreSQL); the next submission
    commits whole."""
    store, rows = counted_store
    mall = sealed_mall(store, clock=DeskClock())
    _submit(mall, "3171015708850003")
    before = rows(store)

    def failing(*_: Any, **__: Any) -> None:
        raise StorageError("the disk is full")

    monkeypatch.setattr(type(store), "commit", failing)
    with pytest.raises(StorageError):
        _submit(mall, "3171014403900007")
    monkeypatch.undo()
    assert rows(store) == before
    assert len(store.summaries(SummaryQuery()).items) == 1  # only the first application
    application_id = _submit(mall, "3171014403900007")
    assert store.subject_keys([subject_id(application_id, "applicant")])
    assert rows(store)[0] > before[0]
