-- onestop SQLite schema, version 2: the published versions of the catalogue.
--
-- Applied in one transaction by onestop.storage.sqlite_schema.migrate, with its row in
-- onestop_schema_migrations, so a version-1 database gains the table whole or not at all.

-- One row per published catalogue version, numbered 1, 2, 3, ... without gaps: the
-- store gives each the latest number plus one inside its BEGIN IMMEDIATE transaction,
-- and the primary key refuses a number twice.  content is the canonical serialised
-- catalogue, kept byte for byte; digest is its SHA-256 in hexadecimal.
CREATE TABLE catalogue_versions (
    version     INTEGER NOT NULL PRIMARY KEY CHECK (version >= 1),
    digest      TEXT    NOT NULL CHECK (length(digest) = 64),
    content     BLOB    NOT NULL,
    recorded_at INTEGER NOT NULL,
    label       TEXT
) STRICT;
