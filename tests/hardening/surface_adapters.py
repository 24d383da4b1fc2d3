"""The three storage adapters, each with a store in the seeded state, refilled fast.

A memory store replays the seed's writes; an SQLite store is a copy of a seeded file;
a PostgreSQL store's tables are refilled from a seeded template schema.  A `Station`
keeps one adapter's store and refills it only after a call wrote to it.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from surface_harness import PG_SCHEMA, POSTGRES_URL, Seed
from surface_world import PostgresSchema, World, fingerprint, snapshot

from onestop.storage.memory import MemoryStore

# --- adapters: a store in the seeded state, fast -------------------------------------------


class Adapter:
    """One storage adapter: makes stores that hold the seed."""

    name: str

    def fresh(self) -> Any:
        """A store holding exactly the seed."""
        raise NotImplementedError

    def close(self) -> None:
        """Release everything."""


class MemoryAdapter(Adapter):
    """Memory stores, the seed replayed into each."""

    name = "memory"

    def __init__(self, seed: Seed) -> None:
        self.seed = seed

    def fresh(self) -> Any:
        return self.seed.replay(MemoryStore())


class SQLiteAdapter(Adapter):
    """SQLite stores, each a copy of a seeded file."""

    name = "sqlite"

    def __init__(self, seed: Seed, directory: Path) -> None:
        from onestop.storage.sqlite import SQLiteStore

        self.directory = directory
        self.template = directory / "template.sqlite3"
        with SQLiteStore.open(self.template, synchronous="NORMAL") as store:
            seed.replay(store)
        self.current: Any = None
        self.count = 0

    def fresh(self) -> Any:
        from onestop.storage.sqlite import SQLiteStore

        self.close()
        self.count += 1
        path = self.directory / f"world-{self.count}.sqlite3"
        shutil.copyfile(self.template, path)
        self.current = SQLiteStore.open(path, synchronous="NORMAL")
        return self.current

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            Path(self.current.path).unlink(missing_ok=True)
            self.current = None


class PostgresAdapter(Adapter):
    """One PostgreSQL store whose tables are refilled from a seeded template schema."""

    name = "postgres"

    def __init__(self, seed: Seed, url: str) -> None:
        import psycopg

        self.template = PostgresSchema(url)
        self.live = PostgresSchema(url)
        with self.template.open() as store:
            seed.replay(store)
        self.store = self.live.open()
        self.admin = psycopg.connect(url, autocommit=True)

    def fresh(self) -> Any:
        from psycopg import sql
        from surface_world import POSTGRES_HEADS, POSTGRES_TABLES

        from onestop.exceptions import StorageError

        try:
            self.store.position("surface-open?")
        except StorageError:  # a call closed it
            self.store = self.live.open()
        statements = [
            sql.SQL("TRUNCATE {} RESTART IDENTITY").format(
                sql.SQL(", ").join(sql.Identifier(self.live.schema, t) for t in POSTGRES_TABLES)
            )
        ]
        for table in POSTGRES_TABLES:
            statements.append(
                sql.SQL("INSERT INTO {} OVERRIDING SYSTEM VALUE SELECT * FROM {}").format(
                    sql.Identifier(self.live.schema, table),
                    sql.Identifier(self.template.schema, table),
                )
            )
        statements.append(  # the access record's positions go on from the template's
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence({}, 'position'),"
                " coalesce(max(position), 0) + 1, false) FROM {}"
            ).format(
                sql.Literal(f"{self.live.schema}.access_records"),
                sql.Identifier(self.live.schema, "access_records"),
            )
        )
        for head in POSTGRES_HEADS:
            statements.append(
                sql.SQL("UPDATE {} SET position = (SELECT position FROM {})").format(
                    sql.Identifier(self.live.schema, head),
                    sql.Identifier(self.template.schema, head),
                )
            )
        with self.admin.transaction():
            for statement in statements:
                self.admin.execute(statement)
        return self.store

    def close(self) -> None:
        self.store.close()
        self.admin.close()
        self.live.drop()
        self.template.drop()


@dataclass
class Station:
    """One adapter's store, refilled from the seed only after a call wrote to it."""

    adapter: Adapter
    seed: Seed
    store: Any = None
    before: object = None
    print: object = None

    def ready(self) -> World:
        """A new mall and desk over the store, which holds exactly the seed.

        The mall and desk are new for every call, so that nothing one call left in
        memory (a cache, a count of wrong codes) reaches the next.
        """
        if self.store is None:
            self.store = self.adapter.fresh()
            self.before = snapshot(self.store)
            self.print = fingerprint(self.store)
        return self.seed.attach(self.adapter.name, self.store)

    def wrote(self) -> bool:
        """Whether the store changed since it was refilled.

        The fingerprint sees every commit, publication and position; the memory store,
        the executable specification and not transactional, is compared in full.
        """
        if fingerprint(self.store) != self.print:
            return True
        return self.adapter.name == "memory" and snapshot(self.store) != self.before

    def changed(self) -> None:
        """The last call wrote: the next `ready` starts again from the seed."""
        self.store = None


@contextlib.contextmanager
def stations(seed: Seed, directory: Path) -> Iterator[list[Station]]:
    """A station for memory, SQLite and PostgreSQL, closed at the end."""
    adapters: list[Adapter] = [MemoryAdapter(seed), SQLiteAdapter(seed, directory)]
    if POSTGRES_URL:
        adapters.append(PostgresAdapter(seed, POSTGRES_URL))
    try:
        yield [Station(adapter, seed) for adapter in adapters]
    finally:
        for adapter in adapters:
            adapter.close()
        if POSTGRES_URL:
            PostgresSchema(POSTGRES_URL, PG_SCHEMA).drop()
