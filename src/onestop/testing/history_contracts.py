"""The contract every `onestop.ports.history.HistoryStore` keeps, as a pytest class to subclass.

Subclass `HistoryStoreContract` in your adapter's tests and override its ``store``
fixture so that it yields a new, empty store (an `onestop.ports.events.EventStore` and
`onestop.ports.events.BatchStore` that rewrites histories)::

    class TestMyHistory(HistoryStoreContract):
        @pytest.fixture
        def store(self, tmp_path):
            with MyStore.open(tmp_path / "store.db") as store:
                yield store

This module needs pytest.
"""

# ruff: noqa: S101 - a test suite asserts

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs
import pytest

from onestop.domain.common.audit import GENESIS, SealedEntry, extend_chain, verify_chain
from onestop.exceptions import HeadMoved, InvalidStoreInput
from onestop.ports.events import Commit, NewEvent
from onestop.ports.history import HistoryStore
from onestop.testing.records import T0, make_summary

__all__ = ["HistoryStoreContract", "chained_commit"]


def chained_commit(stream_id: str, bodies: Sequence[bytes], *, head: str = GENESIS) -> Commit:
    """Return a commit of *bodies* as new events of *stream_id*, chained after *head*.

    The stream is taken to be at version ``0`` with *head* `GENESIS`, or else at the
    version of *head*'s entry, which the caller knows: pass ``head`` only with a
    stream at ``len`` of its earlier bodies (`HistoryStoreContract` does).
    """
    return _commit(stream_id, bodies, version=0, head=head)


def _commit(stream_id: str, bodies: Sequence[bytes], *, version: int, head: str) -> Commit:
    linked = extend_chain(bodies, version=version, head=head)
    events = tuple(
        NewEvent(kind="k", body=e.body, hash=e.hash, previous_hash=e.previous, notice=b"{}")
        for e in linked
    )
    return Commit(
        stream_id=stream_id,
        expected_version=version,
        events=events,
        summary=make_summary(stream_id, version + len(bodies)),
        recorded_at=T0,
    )


def _new_history(count: int, marker: bytes = b"sealed") -> tuple[SealedEntry, ...]:
    bodies = [b'{"%s":%d}' % (marker, v) for v in range(1, count + 1)]
    return tuple(extend_chain(bodies, version=0, head=GENESIS))


_HOSTILE: dict[str, Callable[[Any, str], object]] = {
    "a head that is not a hash": lambda s, h: s.rewrite_stream(
        "a", expected_head="x", entries=_new_history(2)
    ),
    "no entries": lambda s, h: s.rewrite_stream("a", expected_head=h, entries=()),
    "entries as text": lambda s, h: s.rewrite_stream("a", expected_head=h, entries="ab"),
    "an entry that is text": lambda s, h: s.rewrite_stream("a", expected_head=h, entries=["x"]),
    "a NUL in the stream id": lambda s, h: s.rewrite_stream(
        "a\x00", expected_head=h, entries=_new_history(2)
    ),
    "entries that do not chain": lambda s, h: s.rewrite_stream(
        "a",
        expected_head=h,
        entries=(_new_history(2)[0], _new_history(2, b"other")[1]),
    ),
    "entries not from version 1": lambda s, h: s.rewrite_stream(
        "a", expected_head=h, entries=_new_history(3)[1:]
    ),
    "a bytearray body": lambda s, h: s.rewrite_stream(
        "a",
        expected_head=h,
        entries=(attrs.evolve(_new_history(1)[0], body=bytearray(b"{}")),),  # type: ignore[arg-type]
    ),
}


class HistoryStoreContract:
    """The promises of `onestop.ports.history.HistoryStore`, one test each."""

    @pytest.fixture
    def store(self) -> Any:
        """A new, empty store; adapters' test classes override this."""
        pytest.skip("override the store fixture")  # pragma: no cover

    def _two(self, store: Any) -> str:
        """Write a stream ``a`` of two events and return its head."""
        stored = store.commit(chained_commit("a", [b'{"plain":1}', b'{"plain":2}']))
        return str(stored[-1].hash)

    def test_the_store_is_a_history_store(self, store: Any) -> None:
        """The store implements the HistoryStore protocol."""
        assert isinstance(store, HistoryStore)

    def test_a_rewrite_replaces_bodies_and_hashes_and_keeps_the_rest(self, store: Any) -> None:
        """After a rewrite, read() returns the new bodies and hashes, same kinds and instants."""
        head = self._two(store)
        before = store.read("a")
        new = _new_history(2)
        returned = store.rewrite_stream("a", expected_head=head, entries=new)
        after = store.read("a")
        assert after == returned
        assert [(e.body, e.hash, e.previous_hash) for e in after] == [
            (n.body, n.hash, n.previous) for n in new
        ]
        assert [(e.kind, e.version, e.recorded_at) for e in after] == [
            (e.kind, e.version, e.recorded_at) for e in before
        ]
        assert verify_chain(
            [SealedEntry(e.version, e.body, e.hash, e.previous_hash) for e in after]
        ).ok

    def test_a_rewrite_leaves_the_summary_and_notifications(self, store: Any) -> None:
        """The read-model row and the notification log are the same after a rewrite."""
        head = self._two(store)
        summary, log = store.summary("a"), store.notifications()
        store.rewrite_stream("a", expected_head=head, entries=_new_history(2))
        assert (store.summary("a"), store.notifications()) == (summary, log)

    def test_a_rewritten_stream_takes_appends_after_its_new_head(self, store: Any) -> None:
        """A commit chained after the new head appends at the next version."""
        head = self._two(store)
        new = store.rewrite_stream("a", expected_head=head, entries=_new_history(2))
        stored = store.commit(_commit("a", [b'{"v":3}'], version=2, head=new[-1].hash))
        assert stored[0].version == 3
        records = store.read("a")
        assert verify_chain(
            [SealedEntry(e.version, e.body, e.hash, e.previous_hash) for e in records]
        ).ok

    def test_a_moved_head_is_refused_and_nothing_written(self, store: Any) -> None:
        """A head that is not the stream's last hash raises HeadMoved; the stream is unchanged."""
        head = self._two(store)
        store.commit(_commit("a", [b'{"v":3}'], version=2, head=head))
        before = store.read("a")
        with pytest.raises(HeadMoved) as moved:
            store.rewrite_stream("a", expected_head=head, entries=_new_history(2))
        assert (moved.value.stream_id, moved.value.expected, moved.value.actual) == ("a", 2, 3)
        assert store.read("a") == before

    def test_a_count_that_differs_is_refused(self, store: Any) -> None:
        """Entries fewer than the stream's events raise HeadMoved, even with the right head."""
        head = self._two(store)
        with pytest.raises(HeadMoved):
            store.rewrite_stream("a", expected_head=head, entries=_new_history(1))

    def test_an_empty_stream_is_refused(self, store: Any) -> None:
        """A stream with no events has no head to rewrite: HeadMoved."""
        with pytest.raises(HeadMoved):
            store.rewrite_stream("nothing", expected_head=GENESIS, entries=_new_history(1))

    def test_a_batch_stream_is_rewritten_too(self, store: Any) -> None:
        """A stream without a read-model row (a courier job) is rewritten like any other."""
        from onestop.ports.events import Append, Batch  # noqa: PLC0415 - only here

        linked = extend_chain([b'{"job":1}'], version=0, head=GENESIS)
        event = NewEvent(
            kind="j", body=linked[0].body, hash=linked[0].hash, previous_hash=GENESIS, notice=b"{}"
        )
        store.commit_batch(
            Batch(
                appends=(Append(stream_id="job", expected_version=0, events=(event,)),),
                recorded_at=T0,
            )
        )
        new = _new_history(1)
        store.rewrite_stream("job", expected_head=linked[0].hash, entries=new)
        assert store.read("job")[0].body == new[0].body

    @pytest.mark.parametrize("case", sorted(_HOSTILE))
    def test_malformed_rewrites_are_refused_before_any_write(self, store: Any, case: str) -> None:
        """A malformed rewrite raises InvalidStoreInput and changes nothing."""
        head = self._two(store)
        before = store.read("a")
        with pytest.raises(InvalidStoreInput):
            _HOSTILE[case](store, head)
        assert store.read("a") == before
