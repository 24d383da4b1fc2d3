"""The PostgreSQL adapter's statements and its schema migrations.

The schema ships as numbered SQL files in the package (``onestop/storage/sql/postgres/
0001_initial.sql``, ...), read with `importlib.resources`, so the wheel carries them
and integrators can read them or feed them to their own tools; each names its tables
``__schema__.name``, and `migrate` puts the quoted schema name in its place.

The statements here are templates too: ``{s}`` stands for the schema, filled in once
per store by `render`.  `COMMIT` is the single statement each command sends and
`BATCH` the single statement of a batch of appends (courier jobs, packets); see
`onestop.storage.postgres` for why they are built the way they are.
`PUBLISH_CATALOGUE` is the single statement of a catalogue publication.

>>> [version for version, _, _ in shipped_migrations()]
[1, 2, 3, 4, 5]

The public names are those in ``__all__``: the migrations shipped and the table that
records them, for integrators who apply the schema with their own tool.  The
statements, `render`, `commit_params`, `batch_params` and `migrate` are the adapter's
own: `onestop.storage.postgres.PostgresStore` calls them after its checks, inside
its one error-translating context, and they let the driver's errors through.  They
are not part of the API.  (``migrate`` keeps its name because the shipped SQL files
name it, and their text is checksummed.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any, LiteralString

from onestop.domain.time.sla import SlaStatus
from onestop.exceptions import ConfigurationError, StorageError
from onestop.ports.events import Batch, Commit, SummaryOrder

MISSING_EXTRA = (
    'the PostgreSQL store needs psycopg and psycopg-pool: pip install "onestop-mall[postgres]"'
)
"""The message raised when the ``postgres`` extra is not installed."""

try:
    import psycopg
    from psycopg import sql
except ImportError as exc:  # pragma: no cover - the tests run with the extra installed
    raise ConfigurationError(MISSING_EXTRA) from exc

__all__ = ["MIGRATIONS_TABLE", "MISSING_EXTRA", "shipped_migrations"]

MIGRATIONS_TABLE = "onestop_schema_migrations"
"""The table, in the store's schema, recording each migration applied and its checksum."""

Connection = psycopg.Connection[tuple[Any, ...]]
"""A psycopg connection returning tuples, as the store uses them."""

BOOTSTRAP: tuple[LiteralString, ...] = (
    "CREATE SCHEMA IF NOT EXISTS {s}",
    (
        "CREATE TABLE IF NOT EXISTS {s}.onestop_schema_migrations (version integer"
        " PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
    ),
)
"""What `migrate` runs before the first migration: the schema and the migrations table."""

SUMMARY_COLUMNS: LiteralString = (
    "stream_id, number, service, service_version, agency, channel, state, assignee,"
    " received, due, at_risk_from, suspended, closed, version, updated_at"
)
"""The read model's columns, in `onestop.ports.events.Summary`'s order."""

COMMIT: LiteralString = """
WITH summary AS (
    INSERT INTO {s}.summaries AS old ({columns})
    VALUES (%(stream_id)s, %(number)s, %(service)s, %(service_version)s, %(agency)s,
            %(channel)s, %(state)s, %(assignee)s, %(received)s, %(due)s, %(at_risk_from)s,
            %(suspended)s, %(closed)s, %(version)s, %(updated_at)s)
    ON CONFLICT (stream_id) DO UPDATE SET
        number = excluded.number, service = excluded.service,
        service_version = excluded.service_version, agency = excluded.agency,
        channel = excluded.channel, state = excluded.state, assignee = excluded.assignee,
        received = excluded.received, due = excluded.due,
        at_risk_from = excluded.at_risk_from, suspended = excluded.suspended,
        closed = excluded.closed, version = excluded.version,
        updated_at = excluded.updated_at
    RETURNING 1 AS done
), appended AS (
    INSERT INTO {s}.events (stream_id, version, previous_version, kind, body, hash,
                            previous_hash, recorded_at)
    SELECT %(stream_id)s, %(expected)s::bigint + e.n, nullif(%(expected)s::bigint + e.n - 1, 0),
           e.kind, e.body, e.hash, e.previous_hash, %(recorded_at)s
    FROM unnest(%(kinds)s::text[], %(bodies)s::bytea[], %(hashes)s::text[],
                %(previous_hashes)s::text[])
         WITH ORDINALITY AS e(kind, body, hash, previous_hash, n)
    RETURNING 1 AS done
), keyed AS (
    INSERT INTO {s}.idempotency (key, stream_id, request_digest, recorded_at)
    SELECT %(key)s::text, %(key_stream)s::text, %(key_digest)s::text, %(key_at)s::timestamptz
    WHERE %(key)s::text IS NOT NULL
    RETURNING 1 AS done
), claimed AS (
    INSERT INTO {s}.sequence_claims (name, value, previous)
    SELECT %(counter)s::text, %(value)s::bigint, nullif(%(value)s::bigint - 1, 0)
    WHERE %(counter)s::text IS NOT NULL
    RETURNING 1 AS done
), head AS (
    UPDATE {s}.log_head SET position = position + %(count)s::bigint
    WHERE id = 1
      AND (SELECT count(*) FROM summary) + (SELECT count(*) FROM appended)
          + (SELECT count(*) FROM keyed) + (SELECT count(*) FROM claimed) > 0
    RETURNING position
)
INSERT INTO {s}.notifications (position, stream_id, version, kind, body, recorded_at)
SELECT head.position - %(count)s::bigint + e.n, %(stream_id)s, %(expected)s::bigint + e.n,
       e.kind, e.notice, %(recorded_at)s
FROM head, unnest(%(kinds)s::text[], %(notices)s::bytea[]) WITH ORDINALITY AS e(kind, notice, n)
RETURNING position
"""
"""The one statement of a commit: summary, events, key, counter claim, then the log head.

The log head is moved last: its ``WHERE`` needs the counts of the other writes, so
they run first (``EXPLAIN`` shows them as init plans of the ``UPDATE``).  A committer
therefore holds the head only for the end of its statement and its commit, and every
committer takes its locks in the same order (stream, key, counter, head), so two
commits cannot deadlock.  It returns one position per event.
"""

DIAGNOSE: LiteralString = """
SELECT (SELECT coalesce(max(version), 0) FROM {s}.events WHERE stream_id = %(stream_id)s),
       (SELECT count(*) FROM {s}.idempotency WHERE key = %(key)s),
       (SELECT coalesce(max(value), 0) FROM {s}.sequence_claims WHERE name = %(counter)s),
       (SELECT stream_id FROM {s}.summaries WHERE number = %(number)s)
"""
"""What a refused commit ran into: the stream's version, whether the key is taken,
the counter's value and the owner of the application number."""

BATCH: LiteralString = """
WITH appended AS (
    INSERT INTO {s}.events (stream_id, version, previous_version, kind, body, hash,
                            previous_hash, recorded_at)
    SELECT e.stream_id, e.version, nullif(e.version - 1, 0), e.kind, e.body, e.hash,
           e.previous_hash, %(recorded_at)s
    FROM unnest(%(streams)s::text[], %(versions)s::bigint[], %(kinds)s::text[],
                %(bodies)s::bytea[], %(hashes)s::text[], %(previous_hashes)s::text[])
         AS e(stream_id, version, kind, body, hash, previous_hash)
    WHERE NOT EXISTS (
        SELECT 1 FROM {s}.summaries WHERE stream_id = ANY(%(streams)s::text[])
    )
    ORDER BY e.stream_id COLLATE "C", e.version
    RETURNING 1 AS done
), head AS (
    UPDATE {s}.log_head SET position = position + %(count)s::bigint
    WHERE id = 1 AND (SELECT count(*) FROM appended) > 0
    RETURNING position
)
INSERT INTO {s}.notifications (position, stream_id, version, kind, body, recorded_at)
SELECT head.position - %(count)s::bigint + e.n, e.stream_id, e.version, e.kind, e.notice,
       %(recorded_at)s
FROM head, unnest(%(streams)s::text[], %(versions)s::bigint[], %(kinds)s::text[],
                  %(notices)s::bytea[]) WITH ORDINALITY AS e(stream_id, version, kind, notice, n)
RETURNING position
"""
"""The one statement of a batch: every append's events, then the log head.

Its parameters are parallel arrays with one element per event, append by append
(`batch_params`), so the statement's text is the same for any batch and is prepared
once.  The same constraints as in `COMMIT` check each stream's version.  A stream
with a read-model row makes the ``NOT EXISTS`` false: no event is inserted, the head
is not moved, and the statement returns no rows (the store then raises `ValueError`).
Events are inserted in stream-id order, so two batches writing the same streams lock
their keys in the same order and cannot deadlock; the log head is moved last, as in
`COMMIT`, and the positions follow the batch's order.  It returns one position per event.
"""

DIAGNOSE_BATCH: LiteralString = """
SELECT EXISTS (SELECT 1 FROM {s}.summaries AS s WHERE s.stream_id = b.stream_id),
       (SELECT coalesce(max(e.version), 0) FROM {s}.events AS e WHERE e.stream_id = b.stream_id)
FROM unnest(%(streams)s::text[]) WITH ORDINALITY AS b(stream_id, n)
ORDER BY b.n
"""
"""What a refused batch ran into: for each append's stream, in the batch's order,
whether it has a read-model row and its version."""

PUBLISH_CATALOGUE: LiteralString = """
WITH head AS (
    SELECT latest.version, c.digest, c.recorded_at, c.label
    FROM (SELECT coalesce(max(version), 0) AS version FROM {s}.catalogue_versions) AS latest
    LEFT JOIN {s}.catalogue_versions AS c ON c.version = latest.version
), inserted AS (
    INSERT INTO {s}.catalogue_versions (version, digest, content, recorded_at, label)
    SELECT head.version + 1, %(digest)s::text, %(content)s::bytea, %(recorded_at)s::timestamptz,
           %(label)s::text
    FROM head
    WHERE head.version = %(expected)s::bigint AND head.digest IS DISTINCT FROM %(digest)s::text
    RETURNING version
)
SELECT head.version, head.digest, head.recorded_at, head.label, (SELECT version FROM inserted)
FROM head
"""
"""The one statement of a catalogue publication.

It reads the latest version and, if that is the one the publisher expected and its
digest differs, inserts the next; it returns the latest version's number, digest,
instant and label as read, and the number inserted (``NULL`` if none).  Two publishers
racing on the same version both insert the same number: the primary key makes the
second wait for the first and then fail, and the store reports a
`onestop.exceptions.ConcurrencyConflict` (or, when the winner published the same
content, returns the winner's version).
"""

STATEMENTS: Mapping[str, LiteralString] = {
    "commit": COMMIT,
    "diagnose": DIAGNOSE,
    "batch": BATCH,
    "diagnose_batch": DIAGNOSE_BATCH,
    "read": "SELECT version, kind, body, hash, previous_hash, recorded_at FROM {s}.events"
    " WHERE stream_id = %s AND version > %s ORDER BY version",
    "summary": "SELECT {columns} FROM {s}.summaries WHERE stream_id = %s",
    "number": "SELECT {columns} FROM {s}.summaries WHERE number = %s",
    "idempotency": "SELECT key, stream_id, request_digest, recorded_at FROM {s}.idempotency"
    " WHERE key = %s",
    "sequence": "SELECT coalesce(max(value), 0) FROM {s}.sequence_claims WHERE name = %s",
    "notifications": "SELECT position, stream_id, version, kind, body, recorded_at"
    " FROM {s}.notifications WHERE position > %s ORDER BY position LIMIT %s",
    "publish_catalogue": PUBLISH_CATALOGUE,
    "catalogue_head": "SELECT coalesce(max(version), 0) FROM {s}.catalogue_versions",
    "catalogue_version": "SELECT version, digest, content, recorded_at, label"
    " FROM {s}.catalogue_versions WHERE version = %s",
    "latest_catalogue": "SELECT version, digest, content, recorded_at, label"
    " FROM {s}.catalogue_versions ORDER BY version DESC LIMIT 1",
    "catalogue_versions": "SELECT version, digest, octet_length(content), recorded_at, label"
    " FROM {s}.catalogue_versions WHERE version > %s ORDER BY version LIMIT %s",
    "position": "SELECT position FROM {s}.consumer_positions WHERE consumer = %s",
    "record_position": "INSERT INTO {s}.consumer_positions AS old (consumer, position)"
    " VALUES (%s, %s) ON CONFLICT (consumer) DO UPDATE SET position = excluded.position"
    " WHERE old.position <= excluded.position RETURNING position",
}
"""Every fixed statement of the store, by name."""

ORDER_KEYS: Mapping[SummaryOrder, LiteralString] = {
    SummaryOrder.DUE: "CASE WHEN due IS NULL THEN 1 ELSE 0 END,"
    " coalesce(due, '9999-12-31 23:59:59.999999+00'::timestamptz), stream_id",
    SummaryOrder.UPDATED: "0::integer, updated_at, stream_id",
}
"""Each order's sort key as ``(rank, instant, stream_id)``, as `MemoryStore` sorts.

A page selects it with each row, to make the cursor, but sorts by the same order as
the indexes hold it (``onestop.storage._postgres_pages.ORDER_BY``), which no index
can serve when written this way."""
SLA_FILTERS: Mapping[SlaStatus, LiteralString] = {
    SlaStatus.PAUSED: "due IS NULL",
    SlaStatus.OVERDUE: "due < %(now)s",
    SlaStatus.AT_RISK: "due >= %(now)s AND at_risk_from <= %(now)s",
    SlaStatus.ON_TRACK: "due >= %(now)s AND (at_risk_from IS NULL OR at_risk_from > %(now)s)",
}
"""The condition for each SLA status at ``%(now)s``, as `onestop.ports.events.Summary.sla`."""


def render(template: LiteralString, schema: sql.Identifier) -> bytes:
    """Fill the schema into a statement *template* and return it ready to send."""
    return sql.SQL(template).format(s=schema, columns=sql.SQL(SUMMARY_COLUMNS)).as_bytes(None)


def commit_params(commit: Commit) -> dict[str, object]:
    """The parameters of `COMMIT`, by name: the summary's columns, the events as arrays."""
    summary = commit.summary
    key = commit.idempotency
    claim = commit.sequence
    events = commit.events
    return {
        "stream_id": commit.stream_id,
        "number": summary.number,
        "service": summary.service,
        "service_version": summary.service_version,
        "agency": summary.agency,
        "channel": summary.channel,
        "state": summary.state,
        "assignee": summary.assignee,
        "received": summary.received,
        "due": summary.due,
        "at_risk_from": summary.at_risk_from,
        "suspended": summary.suspended,
        "closed": summary.closed,
        "version": summary.version,
        "updated_at": summary.updated_at,
        "expected": commit.expected_version,
        "count": len(events),
        "kinds": [event.kind for event in events],
        "bodies": [event.body for event in events],
        "hashes": [event.hash for event in events],
        "previous_hashes": [event.previous_hash for event in events],
        "notices": [event.notice for event in events],
        "recorded_at": commit.recorded_at,
        "key": key.key if key is not None else None,
        "key_stream": key.stream_id if key is not None else None,
        "key_digest": key.request_digest if key is not None else None,
        "key_at": key.recorded_at if key is not None else None,
        "counter": claim.name if claim is not None else None,
        "value": claim.value if claim is not None else None,
    }


def batch_params(batch: Batch) -> dict[str, object]:
    """The parameters of `BATCH`: parallel arrays, one element per event, in batch order."""
    rows = [
        (append.stream_id, append.expected_version + offset, event)
        for append in batch.appends
        for offset, event in enumerate(append.events, start=1)
    ]
    return {
        "streams": [stream_id for stream_id, _, _ in rows],
        "versions": [version for _, version, _ in rows],
        "kinds": [event.kind for _, _, event in rows],
        "bodies": [event.body for _, _, event in rows],
        "hashes": [event.hash for _, _, event in rows],
        "previous_hashes": [event.previous_hash for _, _, event in rows],
        "notices": [event.notice for _, _, event in rows],
        "count": len(rows),
        "recorded_at": batch.recorded_at,
    }


def shipped_migrations() -> list[tuple[int, str, str]]:
    """Return the migrations shipped, as ``(version, SQL, SHA-256 of the SQL)``, in order."""
    folder = resources.files("onestop.storage") / "sql" / "postgres"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            text = entry.read_text(encoding="utf-8")
            checksum = hashlib.sha256(text.encode()).hexdigest()
            found.append((int(entry.name.split("_", 1)[0]), text, checksum))
    return sorted(found)


def migrate(conn: Connection, schema: str) -> int:
    """Bring *schema* up to date on *conn* (in autocommit mode); return its version.

    Creates the schema and the ``onestop_schema_migrations`` table if missing, then applies
    each migration not yet recorded, in its own transaction, inserting its row first:
    a concurrent opener applying the same migration waits on that row's key and then
    finds it done.  Running it again changes nothing.

    Raises:
        ConfigurationError: If the database holds a migration this version of onestop
            does not know (the schema is newer than the code).
        StorageError: If a migration applied earlier differs from the one shipped.
    """
    name = sql.Identifier(schema)
    known = shipped_migrations()
    applied = _applied(conn, name)
    if applied is None:
        _bootstrap(conn, schema)
        applied = {}
    if any(applied.get(version) != checksum for version, _, checksum in known):
        _apply(conn, schema, known)
        applied = _applied(conn, name) or {}
    latest = max((version for version, _, _ in known), default=0)
    newest = max(applied, default=0)
    if newest > latest:
        raise ConfigurationError(
            f"schema {schema!r} is at version {newest}, newer than this onestop"
            f" knows ({latest}); upgrade onestop"
        )
    return latest


def _applied(conn: Connection, name: sql.Identifier) -> dict[int, str] | None:
    """Return the migrations recorded in the schema, or ``None`` if there is no table yet."""
    query = sql.SQL("SELECT version, checksum FROM {s}.onestop_schema_migrations").format(s=name)
    try:
        return dict(conn.execute(query))
    except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
        return None


_CREATED_CONCURRENTLY = (
    psycopg.errors.UniqueViolation,
    psycopg.errors.DuplicateObject,
    psycopg.errors.DuplicateSchema,
    psycopg.errors.DuplicateTable,
)
"""What ``CREATE ... IF NOT EXISTS`` can raise when another session creates the same
object at the same moment (the check is not atomic with the creation)."""


def _bootstrap(conn: Connection, schema: str) -> None:
    """Create the schema (unless it exists) and the migrations table; openers may race.

    ``CREATE SCHEMA IF NOT EXISTS`` needs the right to create schemas in the database
    even when the schema exists, which a role given a schema of its own by an
    administrator (``CREATE SCHEMA mall AUTHORIZATION onestop``) lacks: so it is only
    sent for a schema that is missing.
    """
    name = sql.Identifier(schema)
    found = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    for statement in BOOTSTRAP[1:] if found is not None else BOOTSTRAP:
        for attempt in range(5):
            try:
                conn.execute(sql.SQL(statement).format(s=name))
                break
            except _CREATED_CONCURRENTLY:  # the other opener created it first
                if attempt == 4:
                    raise


def _apply(conn: Connection, schema: str, known: Sequence[tuple[int, str, str]]) -> None:
    """Apply each migration not yet recorded, in its own transaction, row first."""
    name = sql.Identifier(schema)
    for version, text, checksum in known:
        with conn.transaction():
            claimed = conn.execute(
                sql.SQL(
                    "INSERT INTO {s}.onestop_schema_migrations (version, checksum) VALUES (%s, %s)"
                    " ON CONFLICT (version) DO NOTHING RETURNING version"
                ).format(s=name),
                (version, checksum),
            ).fetchone()
            if claimed is not None:
                script = text.replace("__schema__", name.as_string(None))
                conn.execute(script.encode())
                continue
            row = conn.execute(
                sql.SQL(
                    "SELECT checksum FROM {s}.onestop_schema_migrations WHERE version = %s"
                ).format(s=name),
                (version,),
            ).fetchone()
            if row is None or row[0] != checksum:
                raise StorageError(
                    f"migration {version} in schema {schema!r} differs from the one shipped"
                )
