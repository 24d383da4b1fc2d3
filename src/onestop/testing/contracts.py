"""The contract every `onestop.ports.events.EventStore` keeps, as a pytest class to subclass.

Each test turns one promise of the port's docstrings (or one behaviour of
`onestop.storage.memory.MemoryStore`, the executable specification) into a check.
Subclass `EventStoreContract` in your adapter's tests and override its ``store``
fixture so that it yields a new, empty store; pytest collects the subclass (its name
starts with ``Test``) but never this class itself::

    class TestMyStore(EventStoreContract):
        @pytest.fixture
        def store(self, tmp_path):
            with MyStore.open(tmp_path / "store.db") as store:
                yield store

`EventStoreContract` inherits the tests of
`onestop.testing.catalogue_contracts.CatalogueStoreContract`: a storage adapter keeps
the catalogue's published versions too (`onestop.ports.catalogue.CatalogueStore`);
those of `onestop.testing.input_contracts.StoreInputContract`: every adapter
refuses the same input with `onestop.exceptions.InvalidStoreInput`, before any I/O;
and those of `onestop.testing.integrity_contracts.StoreIntegrityContract`: order,
hashes and large bodies are kept, and writers racing in threads lose nothing.
An adapter that implements `onestop.ports.events.BatchStore` subclasses
`onestop.testing.batch_contracts.BatchStoreContract` too.

`onestop.testing.comparison` adds a Hypothesis state machine that runs random
sequences of calls against an adapter and `MemoryStore` and compares every answer.
This module needs pytest (and the package's ``tests`` dependencies); see
:doc:`/how-to/write-a-storage-adapter`.

The builders of `onestop.testing.records` (re-exported here) make valid records with
little typing; the contracts use them, and so can your own tests.
"""

# ruff: noqa: S101 - a test suite asserts

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

from onestop.domain.time.sla import SlaStatus
from onestop.exceptions import ConcurrencyConflict, StorageError
from onestop.ports.events import EventStore, NewEvent, SequenceClaim, SummaryOrder, SummaryQuery
from onestop.testing.batch_contracts import BatchStoreContract
from onestop.testing.catalogue_contracts import CatalogueStoreContract
from onestop.testing.input_contracts import StoreInputContract
from onestop.testing.integrity_contracts import StoreIntegrityContract
from onestop.testing.records import (
    T0,
    make_append,
    make_batch,
    make_commit,
    make_event,
    make_key,
    make_summary,
    page_all,
    summary_ids,
)

__all__ = [
    "T0",
    "BatchStoreContract",
    "CatalogueStoreContract",
    "EventStoreContract",
    "StoreInputContract",
    "StoreIntegrityContract",
    "make_append",
    "make_batch",
    "make_commit",
    "make_event",
    "make_key",
    "make_summary",
    "page_all",
    "summary_ids",
]

_JAKARTA = timezone(timedelta(hours=7))


def _snapshot(store: EventStore, streams: tuple[str, ...] = ("a", "b")) -> tuple[object, ...]:
    return (
        tuple(store.read(s) for s in streams),
        tuple(store.summary(s) for s in streams),
        store.notifications(limit=1000),
        store.idempotency("k"),
        store.sequence("n"),
    )


_CALLS: dict[str, Callable[[EventStore], object]] = {
    "commit": lambda s: s.commit(make_commit("z")),
    "read": lambda s: s.read("a"),
    "summary": lambda s: s.summary("a"),
    "find_number": lambda s: s.find_number("N/a"),
    "summaries": lambda s: s.summaries(SummaryQuery()),
    "idempotency": lambda s: s.idempotency("k"),
    "sequence": lambda s: s.sequence("n"),
    "notifications": lambda s: s.notifications(),
    "position": lambda s: s.position("relay"),
    "record_position": lambda s: s.record_position("relay", 9),
}


class EventStoreContract(CatalogueStoreContract, StoreInputContract, StoreIntegrityContract):
    """Behaviour every `onestop.ports.events.EventStore` must have, and its catalogue versions'.

    Subclass it (as ``TestMyStore``) and override `store`; see the module docstring.
    The tests it inherits from `CatalogueStoreContract` check the same store as an
    `onestop.ports.catalogue.CatalogueStore`; those from `StoreInputContract`, that it
    refuses what every store refuses; those from `StoreIntegrityContract`, that order,
    hashes, large bodies and the log stay whole, and that racing threads lose nothing.
    """

    @pytest.fixture
    def store(self) -> Iterator[EventStore]:
        """Yield a new, empty store, and close it afterwards; adapters override this."""
        raise NotImplementedError("override the store fixture")  # pragma: no cover

    # --- commit and read ------------------------------------------------------------

    def test_satisfies_the_port(self, store: EventStore) -> None:
        """The store has every method of the EventStore protocol."""
        assert isinstance(store, EventStore)

    def test_commit_returns_the_stored_events(self, store: EventStore) -> None:
        """Commit returns the events as stored, numbered from expected_version + 1."""
        commit = make_commit("a", count=2)
        stored = store.commit(commit)
        assert [(e.stream_id, e.version, e.kind) for e in stored] == [
            ("a", 1, "submitted"),
            ("a", 2, "submitted"),
        ]
        assert [(e.body, e.hash, e.previous_hash) for e in stored] == [
            (n.body, n.hash, n.previous_hash) for n in commit.events
        ]
        assert all(e.recorded_at == T0 for e in stored)

    def test_read_returns_what_commit_returned(self, store: EventStore) -> None:
        """Reading a stream gives back exactly the events its commits returned."""
        first = store.commit(make_commit("a", count=2))
        second = store.commit(make_commit("a", expected=2))
        assert store.read("a") == first + second

    def test_read_after_skips_earlier_versions(self, store: EventStore) -> None:
        """read(after=n) returns only the events above version n."""
        store.commit(make_commit("a", count=3))
        assert [e.version for e in store.read("a", after=1)] == [2, 3]
        assert store.read("a", after=3) == ()

    def test_read_unknown_stream_is_empty(self, store: EventStore) -> None:
        """An unknown stream reads as an empty tuple, not an error."""
        assert store.read("nobody") == ()

    def test_bodies_round_trip_byte_for_byte(self, store: EventStore) -> None:
        """Event bodies and notices come back exactly, whatever bytes they hold."""
        body = bytes(range(256)) + b"\x00"
        event = NewEvent(kind="k", body=body, hash="h", previous_hash="p", notice=b"\x00\xff")
        store.commit(attrs.evolve(make_commit("a"), events=(event,)))
        assert store.read("a")[0].body == body
        assert store.notifications()[0].body == b"\x00\xff"

    def test_instants_round_trip_as_the_same_instants(self, store: EventStore) -> None:
        """Instants given in any time zone come back equal (the same instant)."""
        at = datetime(2025, 7, 14, 9, 30, 0, 123456, tzinfo=_JAKARTA)
        store.commit(make_commit("a", recorded_at=at, updated_at=at, due=at, at_risk_from=at))
        row = store.summary("a")
        assert row is not None
        assert (row.updated_at, row.due, row.at_risk_from) == (at, at, at)
        assert store.read("a")[0].recorded_at == at
        assert store.notifications()[0].recorded_at == at

    # --- conflicts and atomicity ------------------------------------------------------

    def test_stale_version_conflicts(self, store: EventStore) -> None:
        """A commit at an outdated version raises ConcurrencyConflict naming both versions."""
        store.commit(make_commit("a", count=2))
        with pytest.raises(ConcurrencyConflict) as caught:
            store.commit(make_commit("a", expected=1))
        assert (caught.value.stream_id, caught.value.expected, caught.value.actual) == ("a", 1, 2)

    def test_version_ahead_conflicts(self, store: EventStore) -> None:
        """A commit expecting a version the stream has not reached conflicts too."""
        with pytest.raises(ConcurrencyConflict) as caught:
            store.commit(make_commit("a", expected=3))
        assert (caught.value.expected, caught.value.actual) == (3, 0)
        assert store.read("a") == ()

    def test_conflicting_commit_writes_nothing(self, store: EventStore) -> None:
        """A refused commit leaves events, summary, key, counter and log as they were."""
        store.commit(make_commit("a"))
        before = _snapshot(store)
        stale = make_commit(
            "a", count=2, idempotency=make_key(), sequence=SequenceClaim(name="n", value=1)
        )
        with pytest.raises(ConcurrencyConflict):
            store.commit(stale)
        assert _snapshot(store) == before

    def test_idempotency_record_is_kept(self, store: EventStore) -> None:
        """The idempotency record given with a commit can be read back by its key."""
        store.commit(make_commit("a", idempotency=make_key()))
        assert store.idempotency("k") == make_key()
        assert store.idempotency("other") is None

    def test_repeated_idempotency_key_conflicts(self, store: EventStore) -> None:
        """A key already recorded raises ConcurrencyConflict naming the key; nothing is written."""
        store.commit(make_commit("a", idempotency=make_key()))
        with pytest.raises(ConcurrencyConflict) as caught:
            store.commit(make_commit("b", idempotency=make_key(stream_id="b")))
        assert caught.value.stream_id == "k"
        assert (store.read("b"), store.summary("b")) == ((), None)
        assert store.idempotency("k") == make_key()

    def test_sequence_claim_moves_the_counter(self, store: EventStore) -> None:
        """Claiming a counter's next value moves the counter there."""
        assert store.sequence("n") == 0
        store.commit(make_commit("a", sequence=SequenceClaim(name="n", value=1)))
        store.commit(make_commit("b", sequence=SequenceClaim(name="n", value=2)))
        assert store.sequence("n") == 2

    @pytest.mark.parametrize("value", [1, 3])
    def test_sequence_claim_must_be_the_next_value(self, store: EventStore, value: int) -> None:
        """A claim of a taken or skipped value conflicts, naming the counter; nothing is written."""
        store.commit(make_commit("a", sequence=SequenceClaim(name="n", value=1)))
        with pytest.raises(ConcurrencyConflict) as caught:
            store.commit(make_commit("b", sequence=SequenceClaim(name="n", value=value)))
        assert (caught.value.stream_id, caught.value.expected, caught.value.actual) == (
            "n",
            value - 1,
            1,
        )
        assert (store.sequence("n"), store.read("b")) == (1, ())

    def test_application_number_belongs_to_one_stream(self, store: EventStore) -> None:
        """A summary reusing another stream's number raises StorageError; nothing is written."""
        store.commit(make_commit("a"))
        with pytest.raises(StorageError):
            store.commit(make_commit("b", number="N/a"))
        assert store.read("b") == ()

    # --- the read model -------------------------------------------------------------

    def test_summary_is_written_with_the_events(self, store: EventStore) -> None:
        """The commit's summary is the stream's read-model row afterwards."""
        commit = make_commit("a", assignee="officer-1")
        store.commit(commit)
        assert store.summary("a") == commit.summary
        assert store.summary("nobody") is None

    def test_summary_is_replaced_by_the_next_commit(self, store: EventStore) -> None:
        """Each commit replaces the stream's row as a whole."""
        store.commit(make_commit("a", assignee="officer-1"))
        later = make_commit("a", expected=1, state="verified", due=None, at_risk_from=None)
        store.commit(later)
        assert store.summary("a") == later.summary

    def test_find_number(self, store: EventStore) -> None:
        """A row is found by its application number; an unknown number gives None."""
        store.commit(make_commit("a"))
        assert store.find_number("N/a") == store.summary("a")
        assert store.find_number("N/b") is None

    def test_renumbered_stream_is_found_by_its_new_number(self, store: EventStore) -> None:
        """When a stream's number changes, only the new number finds it."""
        store.commit(make_commit("a"))
        store.commit(make_commit("a", expected=1, number="N/a-2"))
        assert store.find_number("N/a") is None
        assert store.find_number("N/a-2") == store.summary("a")

    def test_closed_rows_are_left_out_by_default(self, store: EventStore) -> None:
        """Finished applications appear only with include_closed."""
        store.commit(make_commit("open"))
        store.commit(make_commit("done", closed=True, due=None, at_risk_from=None))
        assert summary_ids(store) == ["open"]
        assert summary_ids(store, include_closed=True) == ["open", "done"]

    @pytest.mark.parametrize(
        ("field", "query"),
        [
            ("agency", {"agencies": ("x", "y")}),
            ("service", {"services": ("x", "y")}),
            ("state", {"states": ("x", "y")}),
            ("assignee", {"assignee": "x"}),
        ],
    )
    def test_filter_by_value(self, store: EventStore, field: str, query: Any) -> None:
        """Agency, service, state and assignee filters keep only the rows with those values."""
        for stream, value in (("a", "x"), ("b", "y"), ("c", "z")):
            changes: dict[str, Any] = {field: value}
            store.commit(make_commit(stream, **changes))
        expected = ["a"] if field == "assignee" else ["a", "b"]
        assert summary_ids(store, **query) == expected

    @pytest.mark.parametrize("field", ["agencies", "states"])
    def test_a_repeated_filter_value_counts_once(self, store: EventStore, field: str) -> None:
        """Naming a value twice in a filter gives each row once, page after page."""
        column = {"agencies": "agency", "states": "state"}[field]
        for stream, value in (("a", "x"), ("b", "y"), ("c", "x")):
            changes: dict[str, Any] = {column: value}
            store.commit(make_commit(stream, **changes))
        seen: list[str] = []
        cursor: str | None = None
        repeated: dict[str, Any] = {field: ("x", "y", "x")}
        for _ in range(10):
            page = store.summaries(SummaryQuery(limit=1, cursor=cursor, **repeated))
            seen.extend(row.stream_id for row in page.items)
            if (cursor := page.next_cursor) is None:
                break
        assert sorted(seen) == ["a", "b", "c"]
        assert cursor is None

    def test_empty_filter_matches_nothing(self, store: EventStore) -> None:
        """An empty tuple of agencies (or services, or states) matches no row."""
        store.commit(make_commit("a"))
        assert summary_ids(store, agencies=()) == []
        assert summary_ids(store, services=(), states=("submitted",)) == []

    @pytest.mark.parametrize("status", list(SlaStatus))
    def test_filter_by_sla_status(self, store: EventStore, status: SlaStatus) -> None:
        """The SLA filter keeps the open rows in that status at now, and never closed ones."""
        now = T0 + timedelta(days=3)
        rows: dict[SlaStatus, dict[str, Any]] = {
            SlaStatus.OVERDUE: {"due": now - timedelta(seconds=1)},
            SlaStatus.AT_RISK: {"due": now, "at_risk_from": now},
            SlaStatus.ON_TRACK: {"due": now + timedelta(days=1)},
            SlaStatus.PAUSED: {"due": None, "at_risk_from": None},
        }
        for name, changes in rows.items():
            store.commit(make_commit(name.value, **changes))
        store.commit(make_commit("closed", closed=True, **rows[status]))
        assert summary_ids(store, sla=status, now=now, include_closed=True) == [status.value]

    def test_due_before_is_strict_and_skips_rows_without_a_due_date(
        self, store: EventStore
    ) -> None:
        """due_before keeps rows due strictly before it; rows without a due date never match."""
        store.commit(make_commit("early", due=T0))
        store.commit(make_commit("exact", due=T0 + timedelta(hours=1)))
        store.commit(make_commit("paused", due=None, at_risk_from=None))
        assert summary_ids(store, due_before=T0 + timedelta(hours=1)) == ["early"]

    def test_due_dates_compare_as_instants_across_a_daylight_saving_change(
        self, store: EventStore
    ) -> None:
        """A row due at the repeated 01:30 of New York's autumn change (``fold=1``, 06:30 UTC)
        is not due before 01:45 of the first pass (05:45 UTC), nor overdue then: the store
        compares instants, not the wall clock two datetimes of one zone share."""
        zone = ZoneInfo("America/New_York")
        due = datetime(2025, 11, 2, 1, 30, fold=1, tzinfo=zone)
        before = datetime(2025, 11, 2, 1, 45, fold=0, tzinfo=zone)
        store.commit(make_commit("dst", due=due, at_risk_from=None))
        assert summary_ids(store, due_before=before) == []
        assert summary_ids(store, sla=SlaStatus.OVERDUE, now=before) == []

    def test_changed_since_is_strict(self, store: EventStore) -> None:
        """changed_since keeps rows updated strictly after it."""
        for minute in range(3):
            at = T0 + timedelta(minutes=minute)
            store.commit(make_commit(f"u{minute}", updated_at=at))
        assert summary_ids(store, changed_since=T0 + timedelta(minutes=1)) == ["u2"]

    def test_filters_combine(self, store: EventStore) -> None:
        """Every filter given must hold."""
        store.commit(make_commit("a", agency="x", state="verified"))
        store.commit(make_commit("b", agency="x", state="submitted"))
        store.commit(make_commit("c", agency="y", state="verified"))
        assert summary_ids(store, agencies=("x",), states=("verified",)) == ["a"]

    def test_due_order_puts_rows_without_due_date_last(self, store: EventStore) -> None:
        """DUE order: earliest due first, ties by id, rows without a due date last."""
        store.commit(make_commit("p", due=None, at_risk_from=None))
        store.commit(make_commit("b", due=T0))
        store.commit(make_commit("a", due=T0))
        store.commit(make_commit("c", due=T0 - timedelta(days=1)))
        store.commit(make_commit("o", due=None, at_risk_from=None))
        assert summary_ids(store) == ["c", "a", "b", "o", "p"]

    def test_updated_order(self, store: EventStore) -> None:
        """UPDATED order: least recently updated first, ties by id."""
        store.commit(make_commit("b", updated_at=T0))
        store.commit(make_commit("c", updated_at=T0 - timedelta(hours=1)))
        store.commit(make_commit("a", updated_at=T0))
        assert summary_ids(store, order=SummaryOrder.UPDATED) == ["c", "a", "b"]

    @pytest.mark.parametrize("order", list(SummaryOrder))
    @pytest.mark.parametrize("limit", [1, 4, 23])
    def test_pages_cover_every_row_once(
        self, store: EventStore, order: SummaryOrder, limit: int
    ) -> None:
        """Following the cursors yields every matching row once, in order, with full pages."""
        for i in range(23):
            due = None if i % 5 == 0 else T0 + timedelta(hours=i % 4)
            store.commit(make_commit(f"s{i:02d}", due=due, updated_at=T0 + timedelta(i % 3)))
        whole = summary_ids(store, order=order, limit=1000)
        pages = page_all(store, SummaryQuery(order=order, limit=limit))
        assert [s for page in pages for s in page] == whole
        assert len(whole) == 23
        assert all(len(page) == limit for page in pages[:-1])
        assert 1 <= len(pages[-1]) <= limit

    def test_pages_are_stable_when_rows_are_added(self, store: EventStore) -> None:
        """A row added before the cursor is not shown; one added after it is; none repeats."""
        for i in range(1, 6):
            store.commit(make_commit(f"s{i}", due=T0 + timedelta(days=i)))
        first = store.summaries(SummaryQuery(limit=2))
        store.commit(make_commit("early", due=T0))
        store.commit(make_commit("late", due=T0 + timedelta(days=9)))
        rest = page_all(store, SummaryQuery(limit=2, cursor=first.next_cursor))
        assert [row.stream_id for row in first.items] == ["s1", "s2"]
        assert [s for page in rest for s in page] == ["s3", "s4", "s5", "late"]

    def test_last_page_has_no_cursor(self, store: EventStore) -> None:
        """A page that reaches the end has no next cursor, even when it is exactly full."""
        store.commit(make_commit("a"))
        store.commit(make_commit("b"))
        assert store.summaries(SummaryQuery(limit=2)).next_cursor is None
        assert store.summaries(SummaryQuery(limit=1)).next_cursor is not None

    def test_largest_page(self, store: EventStore) -> None:
        """A limit of 1000 is allowed."""
        store.commit(make_commit("a"))
        assert len(store.summaries(SummaryQuery(limit=1000)).items) == 1

    # --- notifications and positions ------------------------------------------------

    def test_one_notification_per_event_in_commit_order(self, store: EventStore) -> None:
        """Each event gets a notification, positioned from 1 in commit order."""
        store.commit(make_commit("a", count=2))
        store.commit(make_commit("b", recorded_at=T0 + timedelta(1)))
        store.commit(make_commit("a", expected=2))
        assert [(n.position, n.stream_id, n.version, n.kind) for n in store.notifications()] == [
            (1, "a", 1, "submitted"),
            (2, "a", 2, "submitted"),
            (3, "b", 1, "submitted"),
            (4, "a", 3, "submitted"),
        ]
        bodies = [n.body for n in store.notifications()]
        assert bodies == [b'{"n":1}', b'{"n":2}', b'{"n":1}', b'{"n":3}']
        assert store.notifications()[2].recorded_at == T0 + timedelta(1)

    def test_notifications_after_and_limit(self, store: EventStore) -> None:
        """notifications(after, limit) returns at most limit entries above position after."""
        store.commit(make_commit("a", count=5))
        assert [n.position for n in store.notifications(after=1, limit=2)] == [2, 3]
        assert [n.position for n in store.notifications(after=3)] == [4, 5]
        assert store.notifications(after=5) == ()

    def test_message_ids_name_the_event(self, store: EventStore) -> None:
        """A notification's message id is its stream id and version."""
        store.commit(make_commit("a", count=2))
        assert [n.message_id for n in store.notifications()] == ["a:1", "a:2"]

    def test_positions_start_at_zero_per_consumer(self, store: EventStore) -> None:
        """A consumer that never recorded a position is at 0; consumers are independent."""
        store.record_position("relay", 4)
        assert (store.position("relay"), store.position("mirror")) == (4, 0)

    def test_position_may_move_forward_or_stay(self, store: EventStore) -> None:
        """A consumer's position can be recorded again at the same or a higher value."""
        store.record_position("relay", 4)
        store.record_position("relay", 4)
        store.record_position("relay", 7)
        assert store.position("relay") == 7

    def test_position_never_moves_back(self, store: EventStore) -> None:
        """A lower position raises ConcurrencyConflict and keeps the recorded one."""
        store.record_position("relay", 5)
        with pytest.raises(ConcurrencyConflict) as caught:
            store.record_position("relay", 4)
        assert (caught.value.stream_id, caught.value.expected, caught.value.actual) == (
            "relay",
            4,
            5,
        )
        assert store.position("relay") == 5

    # --- copies and closing ---------------------------------------------------------

    @pytest.mark.parametrize(
        "get",
        [
            lambda s: s.read("a")[0],
            lambda s: s.summary("a"),
            lambda s: s.summaries(SummaryQuery()).items[0],
            lambda s: s.notifications()[0],
            lambda s: s.idempotency("k"),
        ],
        ids=["event", "summary", "page-row", "notification", "idempotency"],
    )
    def test_returned_records_are_frozen_copies(
        self, store: EventStore, get: Callable[[EventStore], Any]
    ) -> None:
        """Records handed out cannot be changed, so what is stored cannot change through them."""
        store.commit(make_commit("a", idempotency=make_key()))
        record = get(store)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            record.stream_id = "forged"
        assert get(store) == record

    def test_returned_collections_are_tuples(self, store: EventStore) -> None:
        """Events, notifications and page rows come in tuples, which cannot be changed."""
        store.commit(make_commit("a"))
        assert isinstance(store.read("a"), tuple)
        assert isinstance(store.notifications(), tuple)
        assert isinstance(store.summaries(SummaryQuery()).items, tuple)

    @pytest.mark.parametrize("call", list(_CALLS))
    def test_closed_store_refuses_every_call(self, store: EventStore, call: str) -> None:
        """After close, every method raises StorageError."""
        store.commit(make_commit("a"))
        store.close()
        with pytest.raises(StorageError):
            _CALLS[call](store)

    def test_close_twice(self, store: EventStore) -> None:
        """Closing a closed store does nothing."""
        store.close()
        store.close()
