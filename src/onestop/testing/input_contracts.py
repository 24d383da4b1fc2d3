"""The contract of what every store refuses, and how, as a pytest class to subclass.

Every adapter must accept and refuse exactly the same input (see
`onestop.ports.checks`): a record or argument no store could keep raises
`onestop.exceptions.InvalidStoreInput` naming the field, before any I/O, and writes
nothing; a lookup or filter by text no store holds finds nothing.  `StoreInputContract`
turns that into tests; `onestop.testing.contracts.EventStoreContract` inherits them, so
an adapter's contract subclass runs them with the rest.

This module needs pytest and Hypothesis; see :doc:`/how-to/write-a-storage-adapter`.
"""

# ruff: noqa: S101 - a test suite asserts

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestop.domain.common.formats import INT64_MAX
from onestop.domain.time.sla import SlaStatus
from onestop.exceptions import ConcurrencyConflict, InvalidStoreInput
from onestop.ports.checks import INT32_MAX, MAX_STORED_TEXT
from onestop.ports.events import EventStore, SequenceClaim, SummaryOrder, SummaryQuery
from onestop.testing.records import (
    T0,
    make_commit,
    make_event,
    make_key,
    make_summary,
    summary_ids,
)

__all__ = ["StoreInputContract"]

_NAIVE = datetime(2025, 1, 1)  # noqa: DTZ001 - naive on purpose


class _BrokenZone(tzinfo):
    """A time zone whose offset is no valid one: 30 hours, or text."""

    def __init__(self, offset: object) -> None:
        self._offset = offset

    def utcoffset(self, dt: datetime | None) -> Any:
        """The offset it was given, valid or not."""
        return self._offset

    def dst(self, dt: datetime | None) -> timedelta | None:
        """None."""
        return None

    def tzname(self, dt: datetime | None) -> str:
        """Its name."""
        return "broken"


# Each malformed commit, as the changes made to make_commit("a"), and the field named.
_MALFORMED: dict[str, tuple[dict[str, Any], str]] = {
    "no-events": ({"events": ()}, "events"),
    "events-not-a-tuple": ({"events": make_event()}, "events"),
    "other-stream": ({"summary": make_summary("other")}, "summary.stream_id"),
    "wrong-version": ({"summary": make_summary("a", version=2)}, "summary.version"),
    "negative": ({"expected_version": -1, "summary": make_summary("a", 0)}, "expected_version"),
    "version-true": ({"expected_version": True}, "expected_version"),
    "version-beyond-64-bits": (
        {"expected_version": 2**63, "summary": make_summary("a", 2**63 + 1)},
        "expected_version",
    ),
    "no-room-for-the-events": (
        {"expected_version": INT64_MAX, "summary": make_summary("a", 2**63)},
        "expected_version",
    ),
    "version-as-text": ({"expected_version": "0"}, "expected_version"),
    "summary-version-true": ({"summary": make_summary("a", version=True)}, "summary.version"),
    "service-version-beyond-32-bits": (
        {"summary": make_summary("a", service_version=2**31)},
        "summary.service_version",
    ),
    "service-version-true": (
        {"summary": make_summary("a", service_version=True)},
        "summary.service_version",
    ),
    "suspended-not-a-bool": ({"summary": make_summary("a", suspended=2)}, "summary.suspended"),
    "naive": ({"recorded_at": _NAIVE}, "recorded_at"),
    "instant-as-text": ({"recorded_at": "2025-07-14T02:00:00Z"}, "recorded_at"),
    "zone-of-30-hours": (
        {"recorded_at": datetime(2025, 1, 1, tzinfo=_BrokenZone(timedelta(hours=30)))},
        "recorded_at",
    ),
    "zone-of-text": (
        {"recorded_at": datetime(2025, 1, 1, tzinfo=_BrokenZone("+07"))},
        "recorded_at",
    ),
    "naive-due": ({"summary": make_summary("a", due=_NAIVE)}, "summary.due"),
    "nul-in-state": ({"summary": make_summary("a", state="sub\x00mitted")}, "summary.state"),
    "surrogate-in-agency": (
        {"summary": make_summary("a", agency="dpmptsp\ud800")},
        "summary.agency",
    ),
    "line-break-in-assignee": (
        {"summary": make_summary("a", assignee="officer-ana\n")},
        "summary.assignee",
    ),
    "nul-in-kind": ({"events": (make_event(kind="submitted\x00"),)}, "events[0].kind"),
    "stream-id-not-text": ({"stream_id": 7, "summary": make_summary(7)}, "stream_id"),  # type: ignore[arg-type]
    "body-as-text": ({"events": (attrs.evolve(make_event(), body="{}"),)}, "events[0].body"),  # type: ignore[arg-type]
    "notice-as-bytearray": (
        {"events": (attrs.evolve(make_event(), notice=bytearray(b"{}")),)},  # type: ignore[arg-type]
        "events[0].notice",
    ),
    "claim-true": ({"sequence": SequenceClaim(name="n", value=True)}, "sequence.value"),
    "claim-beyond-64-bits": ({"sequence": SequenceClaim(name="n", value=2**63)}, "sequence.value"),
    "naive-key": (
        {"idempotency": attrs.evolve(make_key(), recorded_at=_NAIVE)},
        "idempotency.recorded_at",
    ),
}

# Hypothesis tests here run once per adapter (subclass), on a fixture they never change:
# each example is refused before any I/O.
_SHARED = (HealthCheck.function_scoped_fixture, HealthCheck.differing_executors)

# Integers no store holds (and things that are not integers at all).
_not_a_stored_int = st.one_of(
    st.booleans(),
    st.integers(max_value=-1),
    st.integers(min_value=INT64_MAX),  # INT64_MAX leaves no room for the commit's event
    st.floats(allow_nan=False),
    st.text(max_size=3),
    st.none(),
)

# Text no store keeps: empty, too long, or holding a control character or a lone surrogate.
_not_stored_text = st.one_of(
    st.just(""),
    st.text(min_size=MAX_STORED_TEXT + 1, max_size=MAX_STORED_TEXT + 3),
    st.builds(
        lambda head, bad, tail: head + bad + tail,
        st.text(max_size=5),
        st.sampled_from(["\x00", "\n", "\t", "\x7f", "\x1b", "\ud800", "\udfff", "\x85"]),
        st.text(max_size=5),
    ),
)

# Each malformed query, as the changes made to SummaryQuery(), and the field named.
_MALFORMED_QUERIES: dict[str, tuple[dict[str, Any], str]] = {
    "agencies-as-text": ({"agencies": "dpmptsp"}, "agencies"),
    "agency-not-text": ({"agencies": ("x", 7)}, "agencies[1]"),
    "services-as-a-dict": ({"services": {"x": 1}}, "services"),
    "state-none": ({"states": (None,)}, "states[0]"),
    "assignee-not-text": ({"assignee": 7}, "assignee"),
    "order-as-text": ({"order": "due"}, "order"),
    "sla-as-text": ({"sla": "overdue", "now": T0}, "sla"),
    "include-closed-as-text": ({"include_closed": "yes"}, "include_closed"),
    "naive-due-before": ({"due_before": _NAIVE}, "due_before"),
    "changed-since-as-text": ({"changed_since": "2025-07-14"}, "changed_since"),
    "now-after-year-9999": (
        {"now": datetime.max.replace(tzinfo=timezone(timedelta(hours=-14)))},
        "now",
    ),
}


class StoreInputContract:
    """What every `onestop.ports.EventStore` refuses with `InvalidStoreInput`, or finds nothing for.

    Subclass it with a ``store`` fixture yielding a new, empty store (or subclass
    `onestop.testing.contracts.EventStoreContract`, which inherits these tests).

    Besides the tests listed here, two Hypothesis properties (not listed: the API
    docs leave out ``@given`` tests) check that any expected version no store holds (a
    bool, a non-integer, an integer outside 0 to 2**63 - 1) and any text no store keeps
    (empty, too long, a control character, a lone surrogate), in every text column,
    are refused alike, with a short message that never quotes the text.
    """

    @pytest.fixture
    def store(self) -> Iterator[EventStore]:
        """Yield a new, empty store, and close it afterwards; adapters override this."""
        raise NotImplementedError("override the store fixture")  # pragma: no cover

    # --- commits -----------------------------------------------------------------------

    @pytest.mark.parametrize(("changes", "field"), _MALFORMED.values(), ids=_MALFORMED.keys())
    def test_malformed_commit_is_refused(
        self, store: EventStore, changes: dict[str, Any], field: str
    ) -> None:
        """A commit no store could keep raises InvalidStoreInput naming its field; none is kept."""
        with pytest.raises(InvalidStoreInput) as caught:
            store.commit(attrs.evolve(make_commit("a"), **changes))
        assert caught.value.field == field
        assert isinstance(caught.value, ValueError)
        assert caught.value.__cause__ is None  # refused before any I/O
        assert (store.notifications(), store.summary("a")) == ((), None)

    @pytest.mark.parametrize("commit", [None, "a", make_summary("a")], ids=["none", "text", "row"])
    def test_a_commit_that_is_not_a_commit_is_refused(self, store: EventStore, commit: Any) -> None:
        """Something other than a Commit raises InvalidStoreInput, not AttributeError."""
        with pytest.raises(InvalidStoreInput):
            store.commit(commit)

    @settings(max_examples=30, deadline=None, suppress_health_check=_SHARED)
    @given(version=_not_a_stored_int)
    def test_an_expected_version_no_store_holds_is_refused(
        self, store: EventStore, version: object
    ) -> None:
        """A bool, a non-int or an int outside 0..2**63-1 as expected_version is refused alike.

        The message never shows a bool as a number ("at version 0, not 1") nor a huge
        value in full.
        """
        with pytest.raises(InvalidStoreInput) as caught:
            store.commit(attrs.evolve(make_commit("a"), expected_version=version))  # type: ignore[arg-type]
        assert caught.value.field == "expected_version"
        assert len(str(caught.value)) < 200
        assert store.notifications() == ()

    @settings(max_examples=30, deadline=None, suppress_health_check=_SHARED)
    @given(text=_not_stored_text)
    def test_text_no_store_keeps_is_refused_in_every_column(
        self, store: EventStore, text: str
    ) -> None:
        """Empty, over-long, control-character or lone-surrogate text is refused in any column.

        The message never quotes the text, which may be personal data.
        """
        for changes, field in (
            ({"stream_id": text, "summary": make_summary(text)}, "stream_id"),
            ({"summary": make_summary("a", assignee=text)}, "summary.assignee"),
            ({"summary": make_summary("a", number=text)}, "summary.number"),
            ({"events": (make_event(kind=text),)}, "events[0].kind"),
            ({"sequence": SequenceClaim(name=text, value=1)}, "sequence.name"),
            ({"idempotency": make_key(key=text)}, "idempotency.key"),
        ):
            with pytest.raises(InvalidStoreInput) as caught:
                store.commit(attrs.evolve(make_commit("a"), **changes))
            assert caught.value.field == field
            assert not text or text not in str(caught.value)
        assert store.notifications() == ()

    def test_the_longest_text_and_largest_integers_are_kept(self, store: EventStore) -> None:
        """Text of MAX_STORED_TEXT characters in any script, and the largest integers, are kept."""
        longest = ("\u0627\u17a2\U0001f600a" * MAX_STORED_TEXT)[:MAX_STORED_TEXT]
        commit = attrs.evolve(
            make_commit(longest, service_version=INT32_MAX, number=longest, assignee=longest),
            sequence=SequenceClaim(name=longest, value=1),
        )
        stored = store.commit(commit)
        assert store.read(longest) == stored
        assert store.summary(longest) == commit.summary
        assert store.sequence(longest) == 1
        store.record_position(longest, INT64_MAX)
        assert store.position(longest) == INT64_MAX
        last = make_commit("b", expected=INT64_MAX - 1)
        with pytest.raises(ConcurrencyConflict) as caught:  # fits, but the stream is at 0
            store.commit(last)
        assert (caught.value.expected, caught.value.actual) == (INT64_MAX - 1, 0)

    @pytest.mark.parametrize(
        "at",
        [
            datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
            datetime.max.replace(tzinfo=timezone(timedelta(hours=-14))),
        ],
        ids=["before-year-1", "after-year-9999"],
    )
    def test_an_instant_outside_utc_years_1_to_9999_is_refused(
        self, store: EventStore, at: datetime
    ) -> None:
        """An instant that does not exist in UTC is refused: no store could give it back."""
        for changes, field in (
            ({"recorded_at": at}, "recorded_at"),
            ({"summary": make_summary("a", updated_at=at)}, "summary.updated_at"),
            ({"summary": make_summary("a", due=at)}, "summary.due"),
        ):
            with pytest.raises(InvalidStoreInput) as caught:
                store.commit(attrs.evolve(make_commit("a"), **changes))
            assert caught.value.field == field
        assert store.notifications() == ()

    def test_sla_filter_needs_now(self, store: EventStore) -> None:
        """An SLA filter without now raises InvalidStoreInput naming now."""
        with pytest.raises(InvalidStoreInput, match="now") as caught:
            store.summaries(SummaryQuery(sla=SlaStatus.OVERDUE))
        assert caught.value.field == "now"

    @pytest.mark.parametrize(
        ("changes", "field"), _MALFORMED_QUERIES.values(), ids=_MALFORMED_QUERIES.keys()
    )
    def test_malformed_query_is_refused(
        self, store: EventStore, changes: dict[str, Any], field: str
    ) -> None:
        """A query with a value of the wrong kind raises InvalidStoreInput naming it."""
        store.commit(make_commit("a"))
        with pytest.raises(InvalidStoreInput) as caught:
            store.summaries(attrs.evolve(SummaryQuery(), **changes))
        assert caught.value.field == field

    def test_a_query_that_is_not_a_query_is_refused(self, store: EventStore) -> None:
        """Something other than a SummaryQuery raises InvalidStoreInput, not AttributeError."""
        with pytest.raises(InvalidStoreInput):
            store.summaries({"limit": 5})  # type: ignore[arg-type]

    def test_filter_values_no_store_holds_match_nothing(self, store: EventStore) -> None:
        """A filter value with a NUL or a lone surrogate matches no row, on every store alike."""
        store.commit(make_commit("a", agency="x", state="s", assignee="ana"))
        store.commit(make_commit("b", agency="y", state="s"))
        assert summary_ids(store, agencies=("x\x00",)) == []
        assert summary_ids(store, agencies=("x\ud800", "y")) == ["b"]
        assert summary_ids(store, states=["s", "s\x00"]) == ["a", "b"]
        assert summary_ids(store, assignee="ana\ud800") == []
        assert summary_ids(store, assignee="ana\x00", agencies=("x",)) == []

    @pytest.mark.parametrize(
        "cursor",
        [
            "",
            "nonsense",
            "due|0|yesterday|x",
            "e30",
            "%%%",
            "due|0|2025-07-14T02:00:00Z|a\x00",
            "W" * 10_000,
            "\u0661\u0662",
            7,
        ],
    )
    def test_invalid_cursor_is_refused(self, store: EventStore, cursor: Any) -> None:
        """A cursor the store did not return raises InvalidStoreInput naming the cursor."""
        with pytest.raises(InvalidStoreInput, match="cursor") as caught:
            store.summaries(SummaryQuery(cursor=cursor))
        assert caught.value.field == "cursor"

    def test_cursor_of_another_order_is_refused(self, store: EventStore) -> None:
        """A cursor returned for one order raises ValueError when used with the other."""
        store.commit(make_commit("a"))
        store.commit(make_commit("b"))
        cursor = store.summaries(SummaryQuery(limit=1)).next_cursor
        with pytest.raises(InvalidStoreInput, match="cursor"):
            store.summaries(SummaryQuery(order=SummaryOrder.UPDATED, cursor=cursor))

    @pytest.mark.parametrize("limit", [-1, 0, 1001, True, "5", 1.5, 2**70])
    def test_limit_out_of_range_is_refused(self, store: EventStore, limit: Any) -> None:
        """A page limit that is not an integer from 1 to 1000 raises InvalidStoreInput."""
        with pytest.raises(InvalidStoreInput, match="limit") as caught:
            store.summaries(SummaryQuery(limit=limit))
        assert caught.value.field == "limit"

    @pytest.mark.parametrize("limit", [0, -(2**70), True, 1.5, "5", None])
    def test_notification_limit_that_is_not_an_integer_from_1_is_refused(
        self, store: EventStore, limit: Any
    ) -> None:
        """A notification limit below 1, or not an int (a bool is not one), is refused."""
        with pytest.raises(InvalidStoreInput, match="limit") as caught:
            store.notifications(limit=limit)
        assert caught.value.field == "limit"

    def test_any_integer_is_a_fair_after_or_limit(self, store: EventStore) -> None:
        """Reading after any integer, or with any limit from 1, answers as the log stands."""
        store.commit(make_commit("a", count=3))
        assert [e.version for e in store.read("a", after=-(2**70))] == [1, 2, 3]
        assert store.read("a", after=2**70) == ()
        assert [n.position for n in store.notifications(after=-5, limit=2**70)] == [1, 2, 3]
        assert store.notifications(after=2**64) == ()

    @pytest.mark.parametrize("after", [True, False, "1", 1.0, None])
    def test_after_that_is_not_an_integer_is_refused(self, store: EventStore, after: Any) -> None:
        """read and notifications refuse an after that is not an int; True is not version 1."""
        store.commit(make_commit("a", count=2))
        for call in (
            lambda: store.read("a", after=after),
            lambda: store.notifications(after=after),
        ):
            with pytest.raises(InvalidStoreInput) as caught:
                call()
            assert caught.value.field == "after"

    @pytest.mark.parametrize(
        "text",
        ["a\x00", "a\ud800", 7, None, ["a"]],
        ids=["nul", "surrogate", "int", "none", "list"],
    )
    def test_lookups_of_text_no_database_stores_find_nothing(
        self, store: EventStore, text: Any
    ) -> None:
        """Looking up a key no store holds (a NUL, a lone surrogate, not text) finds nothing."""
        store.commit(make_commit("a"))
        assert store.read(text) == ()
        assert store.summary(text) is None
        assert store.find_number(text) is None
        assert store.idempotency(text) is None
        assert store.sequence(text) == 0
        assert store.position(text) == 0

    @pytest.mark.parametrize(
        "consumer",
        ["relay\x00", "relay\ud800", "relay\n", "", "r" * (MAX_STORED_TEXT + 1), 5],
        ids=["nul", "surrogate", "line-break", "empty", "too-long", "int"],
    )
    def test_consumer_name_no_database_stores_is_refused(
        self, store: EventStore, consumer: Any
    ) -> None:
        """A consumer name no store keeps raises InvalidStoreInput and records nothing."""
        with pytest.raises(InvalidStoreInput, match="consumer"):
            store.record_position(consumer, 1)
        assert store.position("relay") == 0

    @pytest.mark.parametrize("position", [True, -1, 2**63, "5", 1.0, None])
    def test_position_no_store_holds_is_refused(self, store: EventStore, position: Any) -> None:
        """A position that is not an int from 0 to 2**63 - 1 is refused; the recorded one stays."""
        store.record_position("relay", 1)
        with pytest.raises(InvalidStoreInput) as caught:
            store.record_position("relay", position)
        assert caught.value.field == "position"
        assert store.position("relay") == 1
