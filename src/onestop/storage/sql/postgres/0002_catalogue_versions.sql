-- onestop PostgreSQL schema, migration 2: the published versions of the catalogue.
--
-- Applied in its own transaction by onestop.storage.postgres_schema.migrate, which
-- records it in onestop_schema_migrations; a schema at migration 1 gains the table
-- whole or not at all.  Every name is qualified with the schema, as in migration 1.

-- One row per published catalogue version, numbered 1, 2, 3, ... without gaps.  A
-- publisher's statement numbers its row the latest version plus one; two publishers
-- that both decided on version n collide on the primary key, and the second one's
-- statement is aborted (the store reports a ConcurrencyConflict).  The number is
-- never taken from a serial column, so it follows the order publications commit in.
CREATE TABLE __schema__.catalogue_versions (
    version bigint NOT NULL,
    digest text COLLATE "C" NOT NULL,
    content bytea NOT NULL,
    recorded_at timestamptz NOT NULL,
    label text,
    CONSTRAINT catalogue_versions_pkey PRIMARY KEY (version),
    CONSTRAINT catalogue_versions_version CHECK (version >= 1),
    CONSTRAINT catalogue_versions_digest CHECK (digest ~ '^[0-9a-f]{64}$')
);
