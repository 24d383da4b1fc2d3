-- onestop SQLite schema, version 3: subjects' data keys and the blind index.
--
-- Applied in one transaction by onestop.storage.sqlite_schema.migrate, with its row in
-- onestop_schema_migrations, so a version-2 database gains the tables whole or not at all.

-- One row per subject (a person within one application): its data key, wrapped by the
-- master key master_key_id, while it lives; once destroyed, wrapped and master_key_id
-- are NULL and destroyed_at says when (a tombstone, so the subject stays erased).
-- The store runs with PRAGMA secure_delete=ON, so the bytes of a destroyed key are
-- overwritten with zeros in the file, and checkpoints the WAL after destroying.
-- Instants are integer microseconds since the Unix epoch, as elsewhere.
CREATE TABLE subject_keys (
    subject       TEXT    NOT NULL PRIMARY KEY,
    master_key_id TEXT,
    wrapped       BLOB,
    created_at    INTEGER NOT NULL,
    destroyed_at  INTEGER,
    CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL)),
    CHECK ((wrapped IS NULL) = (master_key_id IS NULL))
) STRICT, WITHOUT ROWID;

-- Master key rotation pages through the live keys of one master key, by subject.
CREATE INDEX subject_keys_master ON subject_keys (master_key_id, subject)
    WHERE wrapped IS NOT NULL;

-- The blind index: a keyed hash of an identity number (blind) leads to the subjects
-- holding it.  Rows are deleted on erasure, with secure_delete, like the keys.
CREATE TABLE subject_index (
    blind   TEXT NOT NULL,
    subject TEXT NOT NULL,
    PRIMARY KEY (blind, subject)
) STRICT, WITHOUT ROWID;

CREATE INDEX subject_index_subject ON subject_index (subject);
