"""`PostgresStore` worklists: the indexes of migration 3, the plans they allow, the fan-out.

The plans are checked with ``EXPLAIN``, never with timings.  The tables here are small,
and on a small table PostgreSQL rightly prefers to sort a few rows, so the plans are
made with sorting disabled (``enable_sort``).  Disabling sorting only makes sorts
expensive: a plan without a ``Sort`` node proves an index gives the rows in the
statement's order.  Every store lives in a fresh schema, dropped when the tests end;
they need ``ONESTOP_TEST_POSTGRES_URL`` and are skipped without it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql

from onestop.domain.time.sla import SlaStatus
from onestop.ports.events import SummaryOrder, SummaryQuery, decode_cursor
from onestop.storage._postgres_pages import FAN_OUT, page_statement
from onestop.storage.memory import MemoryStore
from onestop.storage.postgres import PostgresStore
from onestop.storage.postgres_schema import MIGRATIONS_TABLE, _apply, _bootstrap, shipped_migrations
from onestop.testing.contracts import T0, make_commit, page_all

pytestmark = pytest.mark.postgres

WORKLIST_INDEXES = {
    "summaries_agency_due": "(agency, closed, due, stream_id)",
    "summaries_state_due": "(state, closed, due, stream_id)",
    "summaries_assignee_due": "(assignee, closed, due, stream_id) WHERE (assignee IS NOT NULL)",
}
"""Each index of migration 3 and the end of its definition, as ``pg_indexes`` shows it."""

INDEX_OIDS = (
    "SELECT c.relname, c.oid FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace"
    " WHERE n.nspname = %s AND c.relname LIKE 'summaries\\_%%\\_due' ORDER BY c.relname"
)
"""The name and object id of each index of migration 3 in a schema."""

POPULATE = """
INSERT INTO {s}.summaries (stream_id, number, service, service_version, agency, channel,
    state, assignee, received, due, at_risk_from, suspended, closed, version, updated_at)
SELECT 'app-' || lpad(g::text, 5, '0'), 'N-' || g, 'izin-usaha', 1, 'agency-' || g %% 10,
       'online', (ARRAY['submitted', 'in_review', 'approved', 'collected'])[1 + g / 10 %% 4],
       CASE WHEN g %% 3 = 0 THEN NULL ELSE 'officer-' || g %% 7 END, %(t0)s,
       CASE WHEN g %% 9 = 0 THEN NULL ELSE %(t0)s + g %% 500 * interval '1 hour' END,
       NULL, false, g %% 5 = 0, 1, %(t0)s
FROM generate_series(1, 4000) AS g
"""
"""Four thousand rows over ten agencies, four states and seven officers."""


def _drop(url: str, schema: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(scope="module")
def worklists(postgres_url: str) -> Iterator[PostgresStore]:
    """A store whose read model holds four thousand rows, analysed."""
    name = f"onestop_test_{secrets.token_hex(6)}"
    try:
        with PostgresStore.connect(postgres_url, schema=name) as store:
            with psycopg.connect(postgres_url, autocommit=True) as conn:
                target = sql.Identifier(name)
                conn.execute(sql.SQL(POPULATE).format(s=target), {"t0": T0})
                conn.execute(sql.SQL("ANALYZE {}.summaries").format(target))
            yield store
    finally:
        _drop(postgres_url, name)


def _plan(url: str, store: PostgresStore, query: SummaryQuery) -> list[dict[str, Any]]:
    """The nodes of the plan of *query*'s page, as the store would send it, sorting disabled."""
    after = decode_cursor(query.cursor, query.order)
    statement, params = page_statement(query, after, sql.Identifier(store.schema))
    with psycopg.connect(url) as conn:
        conn.execute("SET LOCAL enable_sort = off")
        row = conn.execute(sql.SQL("EXPLAIN (FORMAT JSON) {}").format(statement), params).fetchone()
    assert row is not None
    nodes: list[dict[str, Any]] = []
    pending = [row[0][0]["Plan"]]
    while pending:
        node = pending.pop()
        nodes.append(node)
        pending.extend(node.get("Plans", []))
    return nodes


def _scans(nodes: list[dict[str, Any]]) -> list[str]:
    """The index each index scan of a plan reads, in no particular order."""
    return sorted(n["Index Name"] for n in nodes if n["Node Type"].startswith("Index"))


def _sorts(nodes: list[dict[str, Any]]) -> list[str]:
    """The node types that sort (Sort, Incremental Sort)."""
    return [n["Node Type"] for n in nodes if "Sort" in n["Node Type"]]


# --- the migration ---------------------------------------------------------------------


def test_migration_3_adds_the_worklist_indexes(postgres_url: str, schema: str) -> None:
    """A schema at migration 2 gains migration 3's three worklist indexes on connect."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        _bootstrap(conn, schema)
        _apply(conn, schema, shipped_migrations()[:2])
    PostgresStore.connect(postgres_url, schema=schema).close()
    with psycopg.connect(postgres_url) as conn:
        versions = conn.execute(
            sql.SQL("SELECT version FROM {}.{} ORDER BY version").format(
                sql.Identifier(schema), sql.Identifier(MIGRATIONS_TABLE)
            )
        ).fetchall()
        indexes = dict(
            conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes"
                " WHERE schemaname = %s AND tablename = 'summaries'",
                (schema,),
            ).fetchall()
        )
    assert versions == [(1,), (2,), (3,), (4,), (5,)]
    for name, columns in WORKLIST_INDEXES.items():
        assert indexes[name].endswith(f"USING btree {columns}")


def test_indexes_built_beforehand_are_kept(postgres_url: str, schema: str) -> None:
    """Indexes built with CREATE INDEX CONCURRENTLY before the upgrade are kept by migration 3."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        _bootstrap(conn, schema)
        _apply(conn, schema, shipped_migrations()[:2])
        for name, columns in WORKLIST_INDEXES.items():
            statement = f"CREATE INDEX CONCURRENTLY {name} ON {schema}.summaries {columns}"
            conn.execute(statement.encode())
        built = conn.execute(INDEX_OIDS, (schema,)).fetchall()
    PostgresStore.connect(postgres_url, schema=schema).close()
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute(INDEX_OIDS, (schema,)).fetchall() == built
    assert len(built) == len(WORKLIST_INDEXES)


# --- the plans -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (SummaryQuery(agencies=("agency-7",)), "summaries_agency_due"),
        (SummaryQuery(states=("in_review",)), "summaries_state_due"),
        (SummaryQuery(assignee="officer-3"), "summaries_assignee_due"),
        (SummaryQuery(sla=SlaStatus.OVERDUE, now=T0 + timedelta(days=5)), "summaries_due"),
    ],
    ids=["agency", "state", "assignee", "overdue"],
)
def test_a_worklist_page_reads_one_index_in_order(
    worklists: PostgresStore, postgres_url: str, query: SummaryQuery, index: str
) -> None:
    """The first page for one agency, state or officer, or of overdue rows, reads one index."""
    nodes = _plan(postgres_url, worklists, query)
    assert _scans(nodes) == [index]
    assert _sorts(nodes) == []


def test_three_agencies_are_merged_from_three_index_ranges(
    worklists: PostgresStore, postgres_url: str
) -> None:
    """A page for three agencies, one named twice, merges one agency-index scan per agency."""
    query = SummaryQuery(agencies=("agency-1", "agency-4", "agency-1", "agency-8"))
    nodes = _plan(postgres_url, worklists, query)
    assert [n["Node Type"] for n in nodes].count("Merge Append") == 1
    assert _scans(nodes) == ["summaries_agency_due"] * 3
    assert _sorts(nodes) == []


def test_a_later_page_starts_each_index_range_at_the_cursor(
    worklists: PostgresStore, postgres_url: str
) -> None:
    """Past the first page, the cursor bounds each agency's index scan instead of filtering it."""
    query = SummaryQuery(agencies=("agency-1", "agency-4"), limit=20)
    for _ in range(3):
        cursor = worklists.summaries(query).next_cursor
        query = SummaryQuery(agencies=query.agencies, limit=20, cursor=cursor)
    nodes = _plan(postgres_url, worklists, query)
    scans = [n for n in nodes if n["Node Type"].startswith("Index")]
    bounded = [n for n in scans if "ROW(due, stream_id) >" in n.get("Index Cond", "")]
    assert len(bounded) == 2
    assert all("Filter" not in n for n in scans)
    assert _sorts(nodes) == []


def test_a_page_with_closed_rows_is_one_statement(
    worklists: PostgresStore, postgres_url: str
) -> None:
    """With closed rows included, several agencies and a cursor give one statement, one bound.

    No index holds that order, so each branch of a split would scan and sort the
    matching rows again.
    """
    query = SummaryQuery(agencies=("agency-1", "agency-4", "agency-8"), include_closed=True)
    cursor = worklists.summaries(query).next_cursor
    assert cursor is not None
    query = SummaryQuery(agencies=query.agencies, include_closed=True, cursor=cursor)
    statement, _ = page_statement(
        query, decode_cursor(cursor, query.order), sql.Identifier(worklists.schema)
    )
    with psycopg.connect(postgres_url) as conn:
        text = statement.as_string(conn)
    assert "UNION ALL" not in text
    assert text.count(") > (") == 1


# --- the fan-out gives MemoryStore's pages ---------------------------------------------


@pytest.fixture(scope="module")
def twins(postgres_url: str) -> Iterator[tuple[PostgresStore, MemoryStore]]:
    """A PostgreSQL store and a MemoryStore holding the same 90 rows."""
    name = f"onestop_test_{secrets.token_hex(6)}"
    try:
        with PostgresStore.connect(postgres_url, schema=name) as store, MemoryStore() as memory:
            for i in range(90):
                due = None if i % 6 == 0 else T0 + timedelta(hours=i % 7)
                commit = make_commit(
                    f"r{i:02d}",
                    agency=f"a{i % 4}",
                    state=f"s{i % 3}",
                    assignee="ani" if i % 5 == 0 else None,
                    due=due,
                    at_risk_from=None if due is None else due - timedelta(hours=2),
                    closed=i % 11 == 0,
                    updated_at=T0 + timedelta(minutes=i % 13),
                )
                store.commit(commit)
                memory.commit(commit)
            # Ids that C collation and Python must order alike (case, digits, non-ASCII).
            for k, stream_id in enumerate(("R07", "r07a", "Z", "\u00e41", "\u65e5", "0r")):
                due = None if k == 2 else T0 + timedelta(hours=k % 3)
                commit = make_commit(
                    stream_id,
                    agency=f"a{k % 4}",
                    state=f"s{k % 3}",
                    due=due,
                    at_risk_from=None if due is None else due - timedelta(hours=2),
                    closed=k == 5,
                    updated_at=T0 + timedelta(minutes=k),
                )
                store.commit(commit)
                memory.commit(commit)
            yield store, memory
    finally:
        _drop(postgres_url, name)


NOW = T0 + timedelta(hours=3)
MANY = (*(f"x{i}" for i in range(FAN_OUT)), "a1", "a3")
FANNED_QUERIES: dict[str, dict[str, Any]] = {
    "agencies repeated": {"agencies": ("a1", "a3", "a1", "a0")},
    "an unknown agency": {"agencies": ("a2", "nobody")},
    "states, one agency": {"states": ("s1", "s2", "s1"), "agencies": ("a2",)},
    "states, closed too": {"states": ("s0", "s2"), "include_closed": True},
    "agencies, overdue": {"agencies": ("a0", "a3"), "sla": SlaStatus.OVERDUE, "now": NOW},
    "agencies, paused": {"agencies": ("a0", "a3"), "sla": SlaStatus.PAUSED, "now": NOW},
    "agencies, due before": {"agencies": ("a0", "a1"), "due_before": NOW},
    "agencies, officer": {"agencies": ("a0", "a1", "a2"), "assignee": "ani"},
    "agencies, by update": {"agencies": ("a0", "a1", "a0"), "order": SummaryOrder.UPDATED},
    "agencies, closed too": {"agencies": ("a0", "a3", "a0"), "include_closed": True},
    "agencies, at risk": {"agencies": ("a1", "a2"), "sla": SlaStatus.AT_RISK, "now": NOW},
    "agencies, on track": {"agencies": ("a1", "a2"), "sla": SlaStatus.ON_TRACK, "now": NOW},
    "more than FAN_OUT agencies": {"agencies": MANY},
    "more than FAN_OUT states": {"states": ("s0", *MANY), "agencies": ("a1", "a2")},
    "more than FAN_OUT states, one agency": {"states": ("s0", *MANY), "agencies": ("a1",)},
}


@pytest.mark.parametrize("limit", [1, 4, 25])
@pytest.mark.parametrize("changes", FANNED_QUERIES.values(), ids=FANNED_QUERIES.keys())
def test_fanned_out_pages_match_memory_store(
    twins: tuple[PostgresStore, MemoryStore], changes: dict[str, Any], limit: int
) -> None:
    """Paging through several agencies or states, some repeated, gives MemoryStore's pages."""
    store, memory = twins
    query = SummaryQuery(limit=limit, **changes)
    expected = page_all(memory, query)
    assert page_all(store, query) == expected
    assert sum(map(len, expected)) > 0
