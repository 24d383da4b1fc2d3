-- onestop PostgreSQL schema, migration 1: event streams, read model and notification log.
--
-- Every name is qualified with the schema; the runner replaces __schema__ with the
-- quoted schema name chosen at connect time, so several malls can share a database.
-- The SQL avoids advisory locks, LISTEN/NOTIFY, LOCK TABLE and serial ids, so that it
-- also suits Postgres-compatible distributed engines.

-- One row per event.  The primary key makes two writers that both decided on
-- version n unable to both append n + 1; the self-referencing foreign key makes a
-- writer that claims a version the stream has not reached fail too.  Both abort the
-- command's single statement, so nothing of it is written.
CREATE TABLE __schema__.events (
    stream_id text COLLATE "C" NOT NULL,
    version bigint NOT NULL,
    previous_version bigint,
    kind text NOT NULL,
    body bytea NOT NULL,
    hash text NOT NULL,
    previous_hash text NOT NULL,
    recorded_at timestamptz NOT NULL,
    CONSTRAINT events_pkey PRIMARY KEY (stream_id, version),
    CONSTRAINT events_follow_previous
        FOREIGN KEY (stream_id, previous_version) REFERENCES __schema__.events (stream_id, version),
    CONSTRAINT events_previous_version CHECK (
        (version = 1 AND previous_version IS NULL) OR previous_version = version - 1
    )
);

-- The read model: one row per stream, replaced by every commit to it.
CREATE TABLE __schema__.summaries (
    stream_id text COLLATE "C" NOT NULL,
    number text COLLATE "C" NOT NULL,
    service text COLLATE "C" NOT NULL,
    service_version integer NOT NULL,
    agency text COLLATE "C" NOT NULL,
    channel text COLLATE "C" NOT NULL,
    state text COLLATE "C" NOT NULL,
    assignee text COLLATE "C",
    received timestamptz NOT NULL,
    due timestamptz,
    at_risk_from timestamptz,
    suspended boolean NOT NULL,
    closed boolean NOT NULL,
    version bigint NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT summaries_pkey PRIMARY KEY (stream_id),
    CONSTRAINT summaries_number_key UNIQUE (number)
);
CREATE INDEX summaries_due ON __schema__.summaries (closed, due, stream_id);
CREATE INDEX summaries_updated ON __schema__.summaries (updated_at, stream_id);

-- Idempotency records: the key (a digest) may be recorded once.
CREATE TABLE __schema__.idempotency (
    key text COLLATE "C" NOT NULL,
    stream_id text COLLATE "C" NOT NULL,
    request_digest text NOT NULL,
    recorded_at timestamptz NOT NULL,
    CONSTRAINT idempotency_pkey PRIMARY KEY (key)
);

-- Counters (application numbers), one row per value claimed.  The primary key lets a
-- value be claimed once; the foreign key lets it be claimed only after the one before.
CREATE TABLE __schema__.sequence_claims (
    name text COLLATE "C" NOT NULL,
    value bigint NOT NULL,
    previous bigint,
    CONSTRAINT sequence_claims_pkey PRIMARY KEY (name, value),
    CONSTRAINT sequence_claims_follow_previous
        FOREIGN KEY (name, previous) REFERENCES __schema__.sequence_claims (name, value),
    CONSTRAINT sequence_claims_previous CHECK (
        (value = 1 AND previous IS NULL) OR previous = value - 1
    )
);

-- The head of the notification log: one row holding the last position given out.
-- A commit moves it forward in its own transaction, so committers queue on this row
-- and positions follow commit order without gaps.
CREATE TABLE __schema__.log_head (
    id integer NOT NULL,
    position bigint NOT NULL,
    CONSTRAINT log_head_pkey PRIMARY KEY (id),
    CONSTRAINT log_head_single_row CHECK (id = 1)
);
INSERT INTO __schema__.log_head (id, position) VALUES (1, 0);

-- The global notification log that relays read.
CREATE TABLE __schema__.notifications (
    position bigint NOT NULL,
    stream_id text COLLATE "C" NOT NULL,
    version bigint NOT NULL,
    kind text NOT NULL,
    body bytea NOT NULL,
    recorded_at timestamptz NOT NULL,
    CONSTRAINT notifications_pkey PRIMARY KEY (position)
);

-- How far each relay got.
CREATE TABLE __schema__.consumer_positions (
    consumer text COLLATE "C" NOT NULL,
    position bigint NOT NULL,
    CONSTRAINT consumer_positions_pkey PRIMARY KEY (consumer)
);
