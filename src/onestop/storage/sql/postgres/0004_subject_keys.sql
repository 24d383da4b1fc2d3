-- onestop PostgreSQL schema, migration 4: subjects' data keys and the blind index.
--
-- Applied in its own transaction by onestop.storage.postgres_schema.migrate, which
-- records it in onestop_schema_migrations.  Every name is qualified with the schema,
-- as in migration 1.

-- One row per subject (a person within one application): its data key, wrapped by the
-- master key master_key_id, while it lives; once destroyed, wrapped and master_key_id
-- are NULL and destroyed_at says when (a tombstone, so the subject stays erased).  The
-- primary key makes two writers racing on one subject end with one key.
CREATE TABLE __schema__.subject_keys (
    subject text COLLATE "C" NOT NULL,
    master_key_id text COLLATE "C",
    wrapped bytea,
    created_at timestamptz NOT NULL,
    destroyed_at timestamptz,
    CONSTRAINT subject_keys_pkey PRIMARY KEY (subject),
    CONSTRAINT subject_keys_destroyed CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL)),
    CONSTRAINT subject_keys_master CHECK ((wrapped IS NULL) = (master_key_id IS NULL))
);

-- Master key rotation pages through the live keys of one master key, by subject.
CREATE INDEX subject_keys_under ON __schema__.subject_keys (master_key_id, subject)
    WHERE wrapped IS NOT NULL;

-- The blind index: a keyed hash of an identity number (blind) leads to the subjects
-- holding it; rows are deleted on erasure.
CREATE TABLE __schema__.subject_index (
    blind text COLLATE "C" NOT NULL,
    subject text COLLATE "C" NOT NULL,
    CONSTRAINT subject_index_pkey PRIMARY KEY (blind, subject)
);

CREATE INDEX subject_index_subject ON __schema__.subject_index (subject);
