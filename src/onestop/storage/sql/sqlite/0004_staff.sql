-- onestop SQLite schema, version 4: staff secrets, sign-in failures, the access record.
--
-- Applied in one transaction by onestop.storage.sqlite_schema.migrate, with its row in
-- onestop_schema_migrations, so a version-3 database gains the tables whole or not at all.
-- Instants are integer microseconds since the Unix epoch, as elsewhere.

-- One row per secret of a staff account (a session, an API token, a password hash, a
-- second-factor seed), kept under its key: the SHA-256 digest of a bearer value, or
-- '<kind>:<account_id>' for a credential.  Rows are replaced and deleted with
-- PRAGMA secure_delete=ON, and the WAL is checkpointed after, so old data leaves the file.
CREATE TABLE staff_secrets (
    key        TEXT    NOT NULL PRIMARY KEY,
    account_id TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    data       BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    CHECK (expires_at IS NULL OR expires_at > created_at)
) STRICT;

-- An account's secrets (of one kind), by key; and the expired ones, for the sweep.
CREATE INDEX staff_secrets_account ON staff_secrets (account_id, kind, key);
CREATE INDEX staff_secrets_expiry ON staff_secrets (expires_at) WHERE expires_at IS NOT NULL;

-- One row per failed sign-in under a key (an account, a client), counted in a sliding
-- window; two failures may share an instant.  Counting runs in a BEGIN IMMEDIATE
-- transaction, so processes sharing the file count one at a time.
CREATE TABLE staff_failures (
    key TEXT    NOT NULL,
    at  INTEGER NOT NULL
) STRICT;

CREATE INDEX staff_failures_key ON staff_failures (key, at);
CREATE INDEX staff_failures_at ON staff_failures (at);

-- Who read which application's personal data, when and through what: appended, never
-- changed.  AUTOINCREMENT never gives a position out twice.
CREATE TABLE access_records (
    position       INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    actor_id       TEXT    NOT NULL,
    application_id TEXT    NOT NULL,
    what           TEXT    NOT NULL,
    route          TEXT    NOT NULL,
    at             INTEGER NOT NULL,
    request_id     TEXT    NOT NULL
) STRICT;

-- Paging through one application's record, or one actor's, by position.
CREATE INDEX access_records_application ON access_records (application_id, position);
CREATE INDEX access_records_actor ON access_records (actor_id, position);
