"""Catalogue versions on PostgreSQL: the upgrade of migration-1 schemas, and racing publishers.

Every store lives in a fresh schema, dropped when the test ends.  The tests need
``ONESTOP_TEST_POSTGRES_URL``; without it they are skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import sql

from onestop.exceptions import ConcurrencyConflict
from onestop.ports.catalogue import CatalogueVersion, catalogue_digest
from onestop.storage.postgres import PostgresStore
from onestop.storage.postgres_schema import (
    MIGRATIONS_TABLE,
    _apply,
    _bootstrap,
    shipped_migrations,
)
from onestop.testing.catalogue_contracts import publish, race_publications
from onestop.testing.contracts import T0

pytestmark = pytest.mark.postgres

PUBLISHERS = 8
ROUNDS = 15
WINNER = "the winner"


@pytest.fixture
def store(postgres_url: str, schema: str) -> Iterator[PostgresStore]:
    """A store in the fresh schema."""
    with PostgresStore.connect(postgres_url, schema=schema, max_size=PUBLISHERS) as opened:
        yield opened


def _applied(url: str, schema: str) -> list[int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            sql.SQL("SELECT version FROM {}.{} ORDER BY version").format(
                sql.Identifier(schema), sql.Identifier(MIGRATIONS_TABLE)
            )
        ).fetchall()
    return [version for (version,) in rows]


# --- the upgrade from migration 1 -----------------------------------------------------


def test_a_schema_at_migration_1_is_upgraded_on_connect(postgres_url: str, schema: str) -> None:
    """Connecting to a schema at migration 1 adds the catalogue versions and keeps the data."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        _bootstrap(conn, schema)
        _apply(conn, schema, shipped_migrations()[:1])
        conn.execute(
            sql.SQL("INSERT INTO {}.consumer_positions VALUES ('relay', 7)").format(
                sql.Identifier(schema)
            )
        )
    assert _applied(postgres_url, schema) == [1]
    with PostgresStore.connect(postgres_url, schema=schema) as store:
        assert store.position("relay") == 7
        assert publish(store, b"first").version == 1
    assert _applied(postgres_url, schema) == [1, 2, 3, 4, 5]


# --- publishers racing ----------------------------------------------------------------


def test_racing_publishers_of_different_catalogues_have_one_winner(store: PostgresStore) -> None:
    """Eight threads publish different content at the same version: one wins, seven conflict."""
    contents = [
        [b"publisher %d round %d" % (p, r) for r in range(ROUNDS)] for p in range(PUBLISHERS)
    ]
    outcomes = race_publications([store] * PUBLISHERS, contents)
    for round_, seen in enumerate(outcomes, start=1):
        assert Counter(seen) == {f"v{round_}": 1, "conflict": PUBLISHERS - 1}
    versions = store.catalogue_versions(limit=1000)
    assert [v.version for v in versions] == list(range(1, ROUNDS + 1))


def test_racing_publishers_of_the_same_catalogue_all_get_its_version(
    store: PostgresStore,
) -> None:
    """Eight threads publish the same content at the same version: all get the one version."""
    contents = [[b"round %d" % r for r in range(ROUNDS)] for _ in range(PUBLISHERS)]
    outcomes = race_publications([store] * PUBLISHERS, contents)
    for round_, seen in enumerate(outcomes, start=1):
        assert seen == [f"v{round_}"] * PUBLISHERS
    assert len(store.catalogue_versions(limit=1000)) == ROUNDS


def _lose_the_race(store: PostgresStore, race: Callable[..., object], content: bytes) -> object:
    """Publish *content* at version 0 while another transaction holds version 1 uncommitted.

    The other transaction runs the store's own statement for ``b"winner"``, labelled,
    and commits once the publication waits on the primary key; return what the
    publication returned or raised.
    """
    params = {
        "content": b"winner",
        "digest": catalogue_digest(b"winner"),
        "expected": 0,
        "recorded_at": T0,
        "label": WINNER,
    }
    return race(
        store.schema,
        store._sql["publish_catalogue"],
        params,
        lambda loser: publish(loser, content, 0),
    )


def test_a_publisher_losing_the_race_for_its_number_conflicts(
    store: PostgresStore, behind_uncommitted: Callable[..., object]
) -> None:
    """A publication that collides on the version's key raises ConcurrencyConflict, as on memory.

    Both publications decided on version 0; the store's waits on the primary key until
    the other commits, then fails, and reports the version it lost to.
    """
    outcome = _lose_the_race(store, behind_uncommitted, b"loser")
    assert isinstance(outcome, ConcurrencyConflict)
    assert (outcome.expected, outcome.actual) == (0, 1)
    assert isinstance(outcome.__cause__, psycopg.errors.UniqueViolation)
    assert [v.digest for v in store.catalogue_versions()] == [catalogue_digest(b"winner")]


def test_a_publisher_losing_to_the_same_content_gets_the_winners_version(
    store: PostgresStore, behind_uncommitted: Callable[..., object]
) -> None:
    """A publication that loses its number to the same content returns the winner's version."""
    outcome = _lose_the_race(store, behind_uncommitted, b"winner")
    assert isinstance(outcome, CatalogueVersion)
    assert (outcome.version, outcome.label, outcome.recorded_at) == (1, WINNER, T0)
    assert len(store.catalogue_versions()) == 1
