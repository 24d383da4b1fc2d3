-- onestop SQLite schema, version 1.
--
-- Instants are INTEGER microseconds since 1970-01-01T00:00:00Z (UTC); booleans are 0 or 1.
-- Every table is STRICT (SQLite 3.37+), so a wrong type is an error, never a coercion.
-- Applied in one transaction by onestop.storage.sqlite.migrate, which records it in
-- onestop_schema_migrations.

-- The read-model row of each stream (application), rewritten by every commit to it.
-- due_key orders by due date with paused and closed rows (no due date) last.
CREATE TABLE summaries (
    stream_id       TEXT    NOT NULL PRIMARY KEY,
    number          TEXT    NOT NULL UNIQUE,
    service         TEXT    NOT NULL,
    service_version INTEGER NOT NULL,
    agency          TEXT    NOT NULL,
    channel         TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    assignee        TEXT,
    received        INTEGER NOT NULL,
    due             INTEGER,
    at_risk_from    INTEGER,
    suspended       INTEGER NOT NULL CHECK (suspended IN (0, 1)),
    closed          INTEGER NOT NULL CHECK (closed IN (0, 1)),
    version         INTEGER NOT NULL CHECK (version >= 1),
    updated_at      INTEGER NOT NULL,
    due_key         INTEGER NOT NULL
        GENERATED ALWAYS AS (coalesce(due, 9223372036854775807)) VIRTUAL
) STRICT;

-- Worklists and overdue lists: open rows, earliest due first (a range on due_key).
CREATE INDEX summaries_by_due ON summaries (closed, due_key, stream_id);
CREATE INDEX summaries_by_agency ON summaries (agency, closed, due_key, stream_id);
CREATE INDEX summaries_by_state ON summaries (state, closed, due_key, stream_id);
CREATE INDEX summaries_by_assignee ON summaries (assignee, closed, due_key, stream_id);
-- Polling for changes (changed_since, least recently updated first).
CREATE INDEX summaries_by_update ON summaries (updated_at, stream_id);

-- Every event of every stream (applications, and streams without a read-model row
-- such as courier jobs); its position is its place in the notification log, assigned
-- in commit order inside the write transaction (writers are serialised).
CREATE TABLE events (
    position      INTEGER NOT NULL PRIMARY KEY,
    stream_id     TEXT    NOT NULL,
    version       INTEGER NOT NULL CHECK (version >= 1),
    kind          TEXT    NOT NULL,
    body          BLOB    NOT NULL,
    hash          TEXT    NOT NULL,
    previous_hash TEXT    NOT NULL,
    notice        BLOB    NOT NULL,
    recorded_at   INTEGER NOT NULL,
    UNIQUE (stream_id, version)
) STRICT;

-- The notification log relays read: one entry per event, in commit order.
CREATE VIEW notifications (position, stream_id, version, kind, body, recorded_at) AS
    SELECT position, stream_id, version, kind, notice, recorded_at FROM events;

-- What each idempotency key (a digest) did the first time.
CREATE TABLE idempotency (
    key            TEXT    NOT NULL PRIMARY KEY,
    stream_id      TEXT    NOT NULL,
    request_digest TEXT    NOT NULL,
    recorded_at    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Named counters (application numbers per agency, service and year).
CREATE TABLE sequences (
    name  TEXT    NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL CHECK (value >= 1)
) STRICT, WITHOUT ROWID;

-- How far each consumer (relay) has processed the notification log.
CREATE TABLE positions (
    consumer TEXT    NOT NULL PRIMARY KEY,
    position INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
