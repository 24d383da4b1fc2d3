-- onestop PostgreSQL schema, migration 3: indexes for worklists by agency, state and assignee.
--
-- Applied in its own transaction by onestop.storage.postgres_schema.migrate, which
-- records it in onestop_schema_migrations.  Every name is qualified with the schema,
-- as in migration 1.
--
-- A worklist is the open rows of one agency, state or officer, earliest due first:
-- PostgresStore.summaries filters on the column with "=", adds NOT closed, and orders by
-- "due NULLS LAST, stream_id", which is the order of these indexes past their first two
-- columns (ascending, NULLs last, is PostgreSQL's default).  So a page is one range of
-- one index, read from its start or from the cursor's row, and costs the same however
-- many rows the table holds; a filter on several agencies (or states) reads one range per
-- value and merges them.  summaries_due, from migration 1, serves the overdue list and
-- the worklist of every agency in the same way.
--
-- Upgrading a large table: CREATE INDEX blocks writes to summaries (commits wait, reads
-- go on) until all three indexes are built.  The migration runs in one transaction, so
-- it cannot use CREATE INDEX CONCURRENTLY.  To avoid the pause, build the indexes first
-- with CREATE INDEX CONCURRENTLY, the names and columns below, and check they are valid;
-- IF NOT EXISTS then makes this migration skip them.
CREATE INDEX IF NOT EXISTS summaries_agency_due
    ON __schema__.summaries (agency, closed, due, stream_id);
CREATE INDEX IF NOT EXISTS summaries_state_due
    ON __schema__.summaries (state, closed, due, stream_id);
-- Unassigned rows are never looked up by officer, so they stay out of this one.
CREATE INDEX IF NOT EXISTS summaries_assignee_due
    ON __schema__.summaries (assignee, closed, due, stream_id) WHERE assignee IS NOT NULL;
