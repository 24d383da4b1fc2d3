"""Applications on an event store: the stream writer, the fold cache and the read queries."""
