"""`MemoryStore`, the executable specification of the `EventStore` port, and `from_url`."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from onestop.domain.time.sla import SlaStatus
from onestop.exceptions import ConcurrencyConflict, ConfigurationError, StorageError
from onestop.ports.events import (
    Commit,
    EventStore,
    IdempotencyRecord,
    NewEvent,
    SequenceClaim,
    Summary,
    SummaryOrder,
    SummaryQuery,
)
from onestop.storage import from_url
from onestop.storage.memory import MemoryStore

T0 = datetime(2025, 7, 14, 2, 0, tzinfo=UTC)


def _summary(stream_id: str, version: int = 1, **changes: Any) -> Summary:
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


def _event(kind: str = "submitted") -> NewEvent:
    return NewEvent(kind=kind, body=b"{}", hash="1" * 64, previous_hash="0" * 64, notice=b"{}")


def _commit(stream_id: str, expected: int = 0, count: int = 1, **extra: Any) -> Commit:
    summary = extra.pop("summary", None) or _summary(stream_id, expected + count)
    return Commit(
        stream_id=stream_id,
        expected_version=expected,
        events=tuple(_event() for _ in range(count)),
        summary=summary,
        recorded_at=T0,
        **extra,
    )


def test_memory_store_satisfies_the_port() -> None:
    """MemoryStore is an EventStore, structurally."""
    assert isinstance(MemoryStore(), EventStore)


def test_from_url_memory() -> None:
    """``memory://`` opens a fresh, empty memory store."""
    store = from_url("memory://")
    assert isinstance(store, MemoryStore)
    assert store.notifications() == ()


@pytest.mark.parametrize(
    "url", ["mongodb://user:hunter2@db.example/mall", "sqlite3:///x.db", "not a url"]
)
def test_from_url_unknown_scheme(url: str) -> None:
    """An unknown scheme raises ConfigurationError listing the known ones, never the URL."""
    with pytest.raises(ConfigurationError) as caught:
        from_url(url)
    assert "known: memory" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_memory_url_takes_no_options() -> None:
    """A memory URL with a path is refused rather than silently ignored."""
    with pytest.raises(ConfigurationError):
        from_url("memory:///data.db")


def test_commit_assigns_versions_and_positions() -> None:
    """Events get versions after the expected one; notifications get positions in commit order."""
    store = MemoryStore()
    store.commit(_commit("a", count=2))
    store.commit(_commit("b"))
    store.commit(_commit("a", expected=2))

    assert [e.version for e in store.read("a")] == [1, 2, 3]
    assert [(n.position, n.stream_id, n.version) for n in store.notifications()] == [
        (1, "a", 1),
        (2, "a", 2),
        (3, "b", 1),
        (4, "a", 3),
    ]
    assert store.notifications(after=3)[0].message_id == "a:3"


def test_stale_commit_writes_nothing() -> None:
    """A commit at a stale version raises ConcurrencyConflict and writes nothing at all."""
    store = MemoryStore()
    store.commit(_commit("a"))
    key = IdempotencyRecord(key="k", stream_id="a", request_digest="d", recorded_at=T0)

    with pytest.raises(ConcurrencyConflict) as caught:
        store.commit(_commit("a", idempotency=key, sequence=SequenceClaim(name="n", value=1)))

    assert (caught.value.expected, caught.value.actual) == (0, 1)
    assert len(store.read("a")) == 1
    assert store.idempotency("k") is None
    assert store.sequence("n") == 0
    assert len(store.notifications()) == 1


def test_idempotency_key_is_unique() -> None:
    """A second commit with a recorded idempotency key conflicts, naming the key."""
    store = MemoryStore()
    key = IdempotencyRecord(key="k", stream_id="a", request_digest="d", recorded_at=T0)
    store.commit(_commit("a", idempotency=key))

    with pytest.raises(ConcurrencyConflict) as caught:
        store.commit(_commit("b", idempotency=attrs.evolve(key, stream_id="b")))

    assert caught.value.stream_id == "k"
    assert store.read("b") == ()
    assert store.idempotency("k") == key


def test_sequence_claims_are_consecutive() -> None:
    """A counter can only be claimed at its next value."""
    store = MemoryStore()
    store.commit(_commit("a", sequence=SequenceClaim(name="n", value=1)))

    with pytest.raises(ConcurrencyConflict):
        store.commit(_commit("b", sequence=SequenceClaim(name="n", value=1)))
    store.commit(_commit("c", sequence=SequenceClaim(name="n", value=2)))

    assert store.sequence("n") == 2


def test_concurrent_appends_have_one_winner() -> None:
    """Of many threads appending at the same version, exactly one wins."""
    store = MemoryStore()
    store.commit(_commit("a"))
    results: list[str] = []

    def append() -> None:
        try:
            store.commit(_commit("a", expected=1))
            results.append("won")
        except ConcurrencyConflict:
            results.append("lost")

    threads = [threading.Thread(target=append) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == ["lost"] * 15 + ["won"]
    assert len(store.read("a")) == 2


def test_records_cannot_be_changed_through_what_is_returned() -> None:
    """What the store returns is immutable, so callers cannot change what is stored."""
    store = MemoryStore()
    store.commit(_commit("a"))
    [event] = store.read("a")

    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.body = b"forged"  # type: ignore[misc]
    assert isinstance(store.read("a"), tuple)


def test_summaries_filter_and_paginate() -> None:
    """Rows come earliest due first, filtered, a page at a time with a cursor."""
    store = MemoryStore()
    for i in range(7):
        due = T0 + timedelta(days=7 - i) if i != 3 else None
        store.commit(
            _commit(f"s{i}", summary=_summary(f"s{i}", due=due, agency="a" if i % 2 else "b"))
        )
    pages = []
    cursor = None
    while True:
        page = store.summaries(SummaryQuery(limit=2, cursor=cursor))
        pages.append([row.stream_id for row in page.items])
        cursor = page.next_cursor
        if cursor is None:
            break

    assert pages == [["s6", "s5"], ["s4", "s2"], ["s1", "s0"], ["s3"]]
    only_a = store.summaries(SummaryQuery(agencies=("a",)))
    assert [row.stream_id for row in only_a.items] == ["s5", "s1", "s3"]


def test_summaries_by_sla_status() -> None:
    """The SLA filter judges each row at the instant given."""
    store = MemoryStore()
    store.commit(_commit("late", summary=_summary("late", due=T0)))
    store.commit(_commit("risky", summary=_summary("risky", at_risk_from=T0)))
    store.commit(_commit("paused", summary=_summary("paused", due=None, at_risk_from=None)))
    store.commit(_commit("done", summary=_summary("done", closed=True)))
    now = T0 + timedelta(hours=1)

    def ids(status: SlaStatus) -> list[str]:
        page = store.summaries(SummaryQuery(sla=status, now=now, include_closed=True))
        return [row.stream_id for row in page.items]

    assert ids(SlaStatus.OVERDUE) == ["late"]
    assert ids(SlaStatus.AT_RISK) == ["risky"]
    assert ids(SlaStatus.PAUSED) == ["paused"]
    assert ids(SlaStatus.ON_TRACK) == []


def test_changed_since_in_update_order() -> None:
    """Rows changed after an instant come least recently updated first."""
    store = MemoryStore()
    for i in range(3):
        at = T0 + timedelta(minutes=i)
        store.commit(_commit(f"u{i}", summary=_summary(f"u{i}", updated_at=at)))

    page = store.summaries(SummaryQuery(changed_since=T0, order=SummaryOrder.UPDATED))

    assert [row.stream_id for row in page.items] == ["u1", "u2"]


def test_foreign_cursor_is_refused() -> None:
    """A cursor the store did not hand out, or for another order, is refused."""
    store = MemoryStore()
    with pytest.raises(ValueError, match="cursor"):
        store.summaries(SummaryQuery(cursor="due|0|yesterday|x"))
    with pytest.raises(ValueError, match="cursor"):
        store.summaries(SummaryQuery(cursor="updated|0|2025-01-01T00:00:00+00:00|x"))


def test_positions_only_move_forward() -> None:
    """A consumer's tracked position never moves backwards."""
    store = MemoryStore()
    store.record_position("relay", 5)

    with pytest.raises(ConcurrencyConflict):
        store.record_position("relay", 4)

    assert store.position("relay") == 5
    assert store.position("other") == 0


def test_closed_store_refuses_work() -> None:
    """A closed store raises StorageError on every call."""
    with MemoryStore() as store:
        store.commit(_commit("a"))
    with pytest.raises(StorageError):
        store.read("a")


def test_find_number() -> None:
    """An application's row can be found by its number."""
    store = MemoryStore()
    store.commit(_commit("a"))

    row = store.find_number("N/a")

    assert row is not None
    assert row.stream_id == "a"
    assert store.find_number("N/b") is None
