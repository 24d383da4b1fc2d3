"""Builders of valid store records with little typing, for contract tests and your own.

`onestop.testing.contracts` re-exports them; the contracts (`EventStoreContract`,
`BatchStoreContract`, `StoreInputContract`) build every record they send with them.

>>> make_commit("a", expected=2, count=2).summary.version
4
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from onestop.ports.events import (
    Append,
    Batch,
    Commit,
    EventStore,
    IdempotencyRecord,
    NewEvent,
    SequenceClaim,
    Summary,
    SummaryQuery,
)

__all__ = [
    "T0",
    "make_append",
    "make_batch",
    "make_commit",
    "make_event",
    "make_key",
    "make_summary",
    "page_all",
    "summary_ids",
]

T0 = datetime(2025, 7, 14, 2, 0, tzinfo=UTC)
"""The instant the builders use unless told otherwise."""


def make_summary(stream_id: str, version: int = 1, **changes: Any) -> Summary:
    """Return a valid, open read-model row for *stream_id* at *version*, with *changes*."""
    row = Summary(
        stream_id=stream_id,
        number=f"N/{stream_id}",
        service="izin-usaha",
        service_version=1,
        agency="dpmptsp",
        channel="online",
        state="submitted",
        assignee=None,
        received=T0,
        due=T0 + timedelta(days=7),
        at_risk_from=T0 + timedelta(days=6),
        suspended=False,
        closed=False,
        version=version,
        updated_at=T0,
    )
    return attrs.evolve(row, **changes)


def make_event(kind: str = "submitted", *, body: bytes = b"{}", notice: bytes = b"{}") -> NewEvent:
    """Return an event to append; the store never interprets its bytes."""
    return NewEvent(kind=kind, body=body, hash="1" * 64, previous_hash="0" * 64, notice=notice)


def make_commit(
    stream_id: str,
    expected: int = 0,
    count: int = 1,
    *,
    summary: Summary | None = None,
    recorded_at: datetime = T0,
    idempotency: IdempotencyRecord | None = None,
    sequence: SequenceClaim | None = None,
    **changes: Any,
) -> Commit:
    """Return a commit of *count* events after version *expected*, with a matching summary.

    Event bodies and notices name their version (``{"v":3}``), so mix-ups show.
    *changes* go to the summary when *summary* is not given.
    """
    events = tuple(
        make_event(body=b'{"v":%d}' % v, notice=b'{"n":%d}' % v)
        for v in range(expected + 1, expected + count + 1)
    )
    return Commit(
        stream_id=stream_id,
        expected_version=expected,
        events=events,
        summary=summary or make_summary(stream_id, expected + count, **changes),
        recorded_at=recorded_at,
        idempotency=idempotency,
        sequence=sequence,
    )


def page_all(store: EventStore, query: SummaryQuery) -> list[list[str]]:
    """Follow *query*'s cursors (from its own, if any) to the end; return each page's ids."""
    pages: list[list[str]] = []
    cursor = query.cursor
    for _ in range(10_000):
        page = store.summaries(attrs.evolve(query, cursor=cursor))
        pages.append([row.stream_id for row in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor
    raise AssertionError("the pages never end")  # pragma: no cover


def make_key(key: str = "k", stream_id: str = "a") -> IdempotencyRecord:
    """Return the idempotency record of *key* (a digest, to the store), for *stream_id*."""
    return IdempotencyRecord(key=key, stream_id=stream_id, request_digest="d" * 64, recorded_at=T0)


def summary_ids(store: EventStore, **query: Any) -> list[str]:
    """Return the stream ids of the first page of ``SummaryQuery(**query)``, in order."""
    return [row.stream_id for row in store.summaries(SummaryQuery(**query)).items]


def make_append(stream_id: str, expected: int = 0, count: int = 1) -> Append:
    """Return an append of *count* events to *stream_id* after version *expected*.

    Event bodies and notices name their version, as `make_commit`'s do.
    """
    events = tuple(
        make_event(f"job-{v}", body=b'{"v":%d}' % v, notice=b'{"n":%d}' % v)
        for v in range(expected + 1, expected + count + 1)
    )
    return Append(stream_id=stream_id, expected_version=expected, events=events)


def make_batch(*appends: Append, recorded_at: datetime = T0) -> Batch:
    """Return a batch of *appends*, recorded at *recorded_at*."""
    return Batch(appends=appends, recorded_at=recorded_at)
