-- onestop PostgreSQL schema, migration 5: staff secrets, sign-in failures, the access record.
--
-- Applied in its own transaction by onestop.storage.postgres_schema.migrate, which
-- records it in onestop_schema_migrations.  Every name is qualified with the schema,
-- as in migration 1.

-- One row per secret of a staff account (a session, an API token, a password hash, a
-- second-factor seed), kept under its key: the SHA-256 digest of a bearer value, or
-- '<kind>:<account_id>' for a credential.
CREATE TABLE __schema__.staff_secrets (
    key text COLLATE "C" NOT NULL,
    account_id text COLLATE "C" NOT NULL,
    kind text COLLATE "C" NOT NULL,
    data bytea NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz,
    CONSTRAINT staff_secrets_pkey PRIMARY KEY (key),
    CONSTRAINT staff_secrets_expiry CHECK (expires_at IS NULL OR expires_at > created_at)
);

-- An account's secrets (of one kind), by key; and the expired ones, for the sweep.
CREATE INDEX staff_secrets_account ON __schema__.staff_secrets (account_id, kind, key);
CREATE INDEX staff_secrets_expires ON __schema__.staff_secrets (expires_at)
    WHERE expires_at IS NOT NULL;

-- One row per key whose failures are being counted: a counter locks it first (an
-- upsert), so counters on one key take turns and each sees the failures of the one
-- before; counters on different keys do not wait for each other.
CREATE TABLE __schema__.staff_failure_keys (
    key text COLLATE "C" NOT NULL,
    CONSTRAINT staff_failure_keys_pkey PRIMARY KEY (key)
);

-- One row per failed sign-in under a key, counted in a sliding window; two failures
-- may share an instant.
CREATE TABLE __schema__.staff_failures (
    key text COLLATE "C" NOT NULL,
    at timestamptz NOT NULL
);

CREATE INDEX staff_failures_key ON __schema__.staff_failures (key, at);
CREATE INDEX staff_failures_at ON __schema__.staff_failures (at);

-- Who read which application's personal data, when and through what: appended, never
-- changed.  Positions come from access_head, as notifications' come from log_head: an
-- append moves the head forward and holds its row until it commits, so positions follow
-- commit order without gaps, and a reader that saw position p has seen all before it.
CREATE TABLE __schema__.access_records (
    position bigint NOT NULL,
    actor_id text COLLATE "C" NOT NULL,
    application_id text COLLATE "C" NOT NULL,
    what text COLLATE "C" NOT NULL,
    route text NOT NULL,
    at timestamptz NOT NULL,
    request_id text NOT NULL,
    CONSTRAINT access_records_pkey PRIMARY KEY (position)
);

CREATE TABLE __schema__.access_head (
    id integer NOT NULL,
    position bigint NOT NULL,
    CONSTRAINT access_head_pkey PRIMARY KEY (id),
    CONSTRAINT access_head_single_row CHECK (id = 1)
);
INSERT INTO __schema__.access_head (id, position) VALUES (1, 0);

-- Paging through one application's record, or one actor's, by position.
CREATE INDEX access_records_application ON __schema__.access_records (application_id, position);
CREATE INDEX access_records_actor ON __schema__.access_records (actor_id, position);
