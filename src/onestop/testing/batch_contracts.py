"""The contract every `onestop.ports.events.BatchStore` keeps, as a pytest class to subclass.

A store that appends to several streams at once (the courier desk needs it) subclasses
`BatchStoreContract` beside `onestop.testing.contracts.EventStoreContract`, with the
same ``store`` fixture::

    class TestMyBatchStore(BatchStoreContract):
        @pytest.fixture
        def store(self, tmp_path):
            with MyStore.open(tmp_path / "store.db") as store:
                yield store

Each test is one promise of `onestop.ports.events.BatchStore.commit_batch`, as
`onestop.storage.memory.MemoryStore` keeps it.  This module needs pytest and
Hypothesis; see :doc:`/how-to/write-a-storage-adapter`.
"""

# ruff: noqa: S101 - a test suite asserts

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestop.domain.common.formats import INT64_MAX
from onestop.exceptions import ConcurrencyConflict, InvalidStoreInput
from onestop.ports.events import Append, Batch, BatchStore, EventStore
from onestop.testing.records import T0, make_append, make_batch, make_commit, make_event

__all__ = ["BatchStoreContract"]

_STREAMS = ("job", "packet", "app", "other")

# Each malformed batch, and the field its InvalidStoreInput names.
_MALFORMED: dict[str, tuple[Any, str]] = {
    "no-appends": (make_batch(), "appends"),
    "appends-not-a-tuple": (Batch(appends=make_append("job"), recorded_at=T0), "appends"),  # type: ignore[arg-type]
    "a-stream-named-twice": (
        make_batch(make_append("job"), make_append("job", 1)),
        "appends[1].stream_id",
    ),
    "an-append-without-events": (
        make_batch(Append(stream_id="job", expected_version=0, events=())),
        "appends[0].events",
    ),
    "a-negative-version": (make_batch(make_append("job", -1)), "appends[0].expected_version"),
    "a-version-true": (
        make_batch(attrs.evolve(make_append("job"), expected_version=True)),
        "appends[0].expected_version",
    ),
    "a-version-beyond-64-bits": (
        make_batch(make_append("job", 2**63)),
        "appends[0].expected_version",
    ),
    "no-room-for-the-events": (
        make_batch(make_append("job", INT64_MAX - 1, 2)),
        "appends[0].expected_version",
    ),
    "a-naive-instant": (
        make_batch(make_append("job"), recorded_at=datetime(2025, 7, 14)),  # noqa: DTZ001
        "recorded_at",
    ),
    "an-instant-before-year-1": (
        make_batch(
            make_append("job"), recorded_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=9)))
        ),
        "recorded_at",
    ),
    "a-stream-id-with-a-nul": (make_batch(make_append("jo\x00b")), "appends[0].stream_id"),
    "a-stream-id-not-text": (
        make_batch(attrs.evolve(make_append("job"), stream_id=7)),  # type: ignore[arg-type]
        "appends[0].stream_id",
    ),
    "a-body-as-text": (
        make_batch(
            attrs.evolve(make_append("job"), events=(attrs.evolve(make_event(), body="{}"),))  # type: ignore[arg-type]
        ),
        "appends[0].events[0].body",
    ),
    "an-append-that-is-not-one": (make_batch(make_commit("job")), "appends[0]"),  # type: ignore[arg-type]
    "not-a-batch": (make_append("job"), "batch"),
}

_SHARED = (HealthCheck.function_scoped_fixture, HealthCheck.differing_executors)


def _state(store: EventStore) -> tuple[object, ...]:
    return (
        tuple(store.read(s) for s in _STREAMS),
        tuple(store.summary(s) for s in _STREAMS),
        store.notifications(limit=1000),
    )


class BatchStoreContract:
    """Behaviour every `onestop.ports.events.BatchStore` must have.

    Subclass it (as ``TestMyBatchStore``) and override `store`; see the module docstring.

    Besides the tests listed here, a Hypothesis property (not listed: the API docs
    leave out ``@given`` tests) checks that any expected version no store holds in an
    append (a bool, a non-integer, an integer outside 0 to 2**63 - 1) is refused alike.
    """

    @pytest.fixture
    def store(self) -> Iterator[BatchStore]:
        """Yield a new, empty store, and close it afterwards; adapters override this."""
        raise NotImplementedError("override the store fixture")  # pragma: no cover

    def test_satisfies_the_batch_port(self, store: BatchStore) -> None:
        """The store has the commit_batch method of the BatchStore protocol."""
        assert isinstance(store, BatchStore)

    def test_a_batch_stores_every_append_in_order(self, store: Any) -> None:
        """The events come back append by append, as read returns them, one notification each."""
        stored = store.commit_batch(make_batch(make_append("packet", 0, 2), make_append("job")))
        assert [(e.stream_id, e.version) for e in stored] == [
            ("packet", 1),
            ("packet", 2),
            ("job", 1),
        ]
        assert store.read("packet") + store.read("job") == stored
        assert [(n.position, n.stream_id, n.version) for n in store.notifications()] == [
            (1, "packet", 1),
            (2, "packet", 2),
            (3, "job", 1),
        ]
        assert (store.summary("packet"), store.summary("job")) == (None, None)

    def test_a_stale_stream_conflicts_and_nothing_is_written(self, store: Any) -> None:
        """A stream not at its expected version raises ConcurrencyConflict naming the first one."""
        store.commit_batch(make_batch(make_append("job"), make_append("packet")))
        before = _state(store)
        with pytest.raises(ConcurrencyConflict) as caught:
            store.commit_batch(make_batch(make_append("other"), make_append("packet", 0)))
        assert (caught.value.stream_id, caught.value.expected, caught.value.actual) == (
            "packet",
            0,
            1,
        )
        assert _state(store) == before

    def test_an_application_stream_is_refused(self, store: Any) -> None:
        """A stream with a read-model row raises InvalidStoreInput naming it; nothing is written."""
        store.commit(make_commit("app"))
        before = _state(store)
        with pytest.raises(InvalidStoreInput, match="read-model row") as caught:
            store.commit_batch(make_batch(make_append("job"), make_append("app", 1)))
        assert caught.value.field == "appends[1].stream_id"
        assert isinstance(caught.value, ValueError)
        assert _state(store) == before

    @pytest.mark.parametrize(("batch", "field"), _MALFORMED.values(), ids=_MALFORMED.keys())
    def test_a_malformed_batch_is_refused(self, store: Any, batch: Any, field: str) -> None:
        """A batch no store could keep raises InvalidStoreInput naming the field; none is kept."""
        with pytest.raises(InvalidStoreInput) as caught:
            store.commit_batch(batch)
        assert caught.value.field == field
        assert caught.value.__cause__ is None
        assert store.notifications() == ()

    @settings(max_examples=25, deadline=None, suppress_health_check=_SHARED)
    @given(
        version=st.one_of(
            st.booleans(),
            st.integers(max_value=-1),
            st.integers(min_value=INT64_MAX),
            st.floats(allow_nan=False),
            st.none(),
        )
    )
    def test_an_expected_version_no_store_holds_is_refused(
        self, store: Any, version: object
    ) -> None:
        """A bool, a non-int or an int outside 0..2**63-1 is refused alike, never shown as 1."""
        append = attrs.evolve(make_append("job"), expected_version=version)  # type: ignore[arg-type]
        with pytest.raises(InvalidStoreInput) as caught:
            store.commit_batch(make_batch(append))
        assert caught.value.field == "appends[0].expected_version"
        assert len(str(caught.value)) < 200
        assert store.notifications() == ()

    def test_batches_and_commits_share_one_log(self, store: Any) -> None:
        """Commits and batches interleave in one gap-free log, in the order applied."""
        store.commit(make_commit("app", count=2))
        store.commit_batch(make_batch(make_append("job", 0, 2)))
        store.commit(make_commit("app", expected=2))
        assert [(n.position, n.stream_id) for n in store.notifications()] == [
            (1, "app"),
            (2, "app"),
            (3, "job"),
            (4, "job"),
            (5, "app"),
        ]
