"""What a store must keep whole under load: order, hashes, large bodies, a gap-free log, races.

`onestop.testing.contracts.EventStoreContract` inherits `StoreIntegrityContract`, so
every adapter's contract subclass runs these tests with the rest; a class of its own
keeps `onestop.testing.contracts` short.  Each test is a mistake an adapter makes easily
and the other contract tests miss: ordering by a version or position kept as text
(``"10" < "2"``), keeping one event's hashes for all (the other tests' events share
theirs), cutting a large body at a column's limit, taking a notification position
before a commit is refused (a database sequence does that), and checking a stream's
version, an idempotency key or a counter outside the writing transaction, which loses
events when commits race.

The races run in threads on the one store the ``store`` fixture yields: a store must
be safe to share between threads, as `onestop.storage.memory.MemoryStore` is.  An
adapter's own tests should race several processes too (see
:doc:`/how-to/write-a-storage-adapter`).  This module needs pytest.
"""

# ruff: noqa: S101 - a test suite asserts

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest

from onestop.exceptions import ConcurrencyConflict, InvalidStoreInput, StorageError
from onestop.ports.events import EventStore, NewEvent, SequenceClaim, StoredEvent
from onestop.testing.records import make_commit, make_key

__all__ = ["StoreIntegrityContract", "race"]

_RACERS = 4
_ROUNDS = 12
_LARGE = 4 * 1024 * 1024  # larger than a 1 MiB column or message limit


def _chained(stream_id: str, expected: int, count: int) -> tuple[NewEvent, ...]:
    """Events whose hashes and bodies name their stream and version, each its own."""
    return tuple(
        NewEvent(
            kind=f"kind-{v}",
            body=b'{"v":%d}' % v,
            hash=f"{stream_id}-hash-{v}",
            previous_hash=f"{stream_id}-hash-{v - 1}",
            notice=b'{"n":%d}' % v,
        )
        for v in range(expected + 1, expected + count + 1)
    )


def race(count: int, attempt: Callable[[int], object]) -> list[object]:
    """Run ``attempt(i)`` for *i* in ``range(count)``, each in a thread, all started at once.

    Returns what each returned or raised, in the order of *i*.
    """
    barrier = threading.Barrier(count)
    outcomes: list[object] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = attempt(index)
        except Exception as exc:  # noqa: BLE001 - returned to the test, never hidden
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _untyped(outcomes: list[object]) -> list[object]:
    return [
        o for o in outcomes if isinstance(o, Exception) and not isinstance(o, ConcurrencyConflict)
    ]


class StoreIntegrityContract:
    """Order, hashes, large bodies, a gap-free log and racing writers, on every store.

    Subclass `onestop.testing.contracts.EventStoreContract`, which inherits these tests,
    or this class with a ``store`` fixture yielding a new, empty store.
    """

    @pytest.fixture
    def store(self) -> Iterator[EventStore]:
        """Yield a new, empty store, and close it afterwards; adapters override this."""
        raise NotImplementedError("override the store fixture")  # pragma: no cover

    def test_each_event_keeps_its_own_hashes(self, store: EventStore) -> None:
        """Every event comes back with the hash and previous hash it was appended with."""
        store.commit(attrs.evolve(make_commit("a", count=3), events=_chained("a", 0, 3)))
        store.commit(attrs.evolve(make_commit("a", 3, 2), events=_chained("a", 3, 2)))
        chain = [(e.version, e.kind, e.hash, e.previous_hash) for e in store.read("a")]
        expected = [(v, f"kind-{v}", f"a-hash-{v}", f"a-hash-{v - 1}") for v in range(1, 6)]
        assert chain == expected, "the hash chain was not kept: each event has its own hashes"

    def test_a_long_stream_reads_in_version_order(self, store: EventStore) -> None:
        """Versions and log positions past 9 come back in numeric order, not as text sorts them."""
        store.commit(make_commit("a", count=5))
        for version in range(5, 12):
            store.commit(make_commit("a", version))
        versions = [e.version for e in store.read("a")]
        assert versions == list(range(1, 13)), "read must order events by version as a number"
        assert [e.body for e in store.read("a")] == [b'{"v":%d}' % v for v in range(1, 13)]
        assert [e.version for e in store.read("a", after=9)] == [10, 11, 12]
        positions = [n.position for n in store.notifications()]
        assert positions == list(range(1, 13)), "the log must be ordered by position as a number"
        assert [n.position for n in store.notifications(after=8, limit=3)] == [9, 10, 11]

    def test_large_bodies_round_trip_whole(self, store: EventStore) -> None:
        """An event body and a notice of a few megabytes come back whole, to the last byte."""
        body = b"0123456789abcdef" * (_LARGE // 16) + b"end"
        notice = b"n" * (_LARGE // 4) + b"end"
        event = NewEvent(kind="k", body=body, hash="h", previous_hash="p", notice=notice)
        store.commit(attrs.evolve(make_commit("a"), events=(event,)))
        kept = store.read("a")[0].body
        assert (len(kept), kept[-3:]) == (len(body), b"end"), "a large body was cut"
        assert kept == body
        assert store.notifications()[0].body == notice, "a large notice was cut"

    def test_a_refused_commit_leaves_no_gap_in_the_log(self, store: EventStore) -> None:
        """Commits refused for any reason take no log position: the next commit's is the next."""
        first = SequenceClaim(name="n", value=1)
        store.commit(make_commit("a", idempotency=make_key(), sequence=first))
        refusals: list[tuple[Any, type[Exception]]] = [
            (make_commit("a"), ConcurrencyConflict),
            (make_commit("b", idempotency=make_key(stream_id="b")), ConcurrencyConflict),
            (make_commit("b", sequence=first), ConcurrencyConflict),
            (make_commit("b", number="N/a"), StorageError),
            (make_commit("b", count=0), InvalidStoreInput),
        ]
        for commit, error in refusals:
            with pytest.raises(error):
                store.commit(commit)
        store.commit(make_commit("b"))
        positions = [(n.position, n.stream_id) for n in store.notifications()]
        assert positions == [(1, "a"), (2, "b")], "a refused commit must not use up a position"

    def test_racing_appends_lose_nothing(self, store: EventStore) -> None:
        """Threads appending at the version they read: each commit wins or conflicts, none is lost.

        The stream then holds exactly the winners' events, at versions 1, 2, 3, ...
        with one notification each.
        """
        store.commit(make_commit("a"))
        winners: list[StoredEvent] = []
        for round_ in range(_ROUNDS):
            version = len(store.read("a"))

            def append(racer: int, version: int = version, round_: int = round_) -> object:
                body = b'{"round":%d,"racer":%d}' % (round_, racer)
                commit = make_commit("a", version)
                event = attrs.evolve(commit.events[0], body=body)
                return store.commit(attrs.evolve(commit, events=(event,)))

            outcomes = race(_RACERS, append)
            assert _untyped(outcomes) == [], "a racing commit must win or raise ConcurrencyConflict"
            won = [o for o in outcomes if isinstance(o, tuple)]
            assert len(won) == 1, f"{len(won)} commits at version {version} all won; one may"
            winners.extend(won[0])
        stream = store.read("a")
        assert [e.version for e in stream] == list(range(1, _ROUNDS + 2)), (
            "racing commits left the stream with missing or repeated versions"
        )
        assert stream[1:] == tuple(winners), "the stream does not hold what the winners were told"
        assert len(store.notifications(limit=1000)) == _ROUNDS + 1
        assert store.summary("a") is not None
        assert store.summary("a").version == _ROUNDS + 1  # type: ignore[union-attr]

    @pytest.mark.parametrize("claim", ["idempotency", "sequence"])
    def test_racing_claims_let_one_commit_win(self, store: EventStore, claim: str) -> None:
        """Threads claiming one idempotency key, or one counter value, for new streams: one wins."""

        def commit(racer: int) -> object:
            stream = f"s{racer}"
            if claim == "idempotency":
                return store.commit(make_commit(stream, idempotency=make_key(stream_id=stream)))
            return store.commit(make_commit(stream, sequence=SequenceClaim(name="n", value=1)))

        for round_ in range(_ROUNDS // 3):

            def attempt(racer: int, round_: int = round_) -> object:
                return commit(racer + round_ * _RACERS)

            outcomes = race(_RACERS, attempt)
            assert _untyped(outcomes) == [], "a racing commit must win or raise ConcurrencyConflict"
            won = sum(isinstance(o, tuple) for o in outcomes)
            assert won == (1 if round_ == 0 else 0), f"{won} commits took the same {claim} claim"
        assert len(store.notifications(limit=1000)) == 1
