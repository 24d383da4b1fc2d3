"""Random call sequences against a store and `MemoryStore`, compared answer by answer.

`make_comparison_machine` builds a Hypothesis `RuleBasedStateMachine` from a function
that opens a new, empty store.  Each step makes one call (a commit that may conflict,
a batch of appends when the store is a `onestop.ports.events.BatchStore`, a read, a
page-through of the read model, a look at the notification log, a position update, a
catalogue publication and its read-back when the store is a
`onestop.ports.catalogue.CatalogueStore`, ...) on both stores and asserts that they
answered the same, errors included: a `ConcurrencyConflict` must name the same stream
and versions, an `InvalidStoreInput` the same field, and a `StorageError` must be
raised by both (any other error fails the test).  Now and then a call carries what no
store keeps (a `bool` as a number, an integer beyond 64 bits, text with a NUL), which
both must refuse alike.  Cursors are
opaque, so pages are compared by their rows, following each store's own cursors.

    TestMyStoreMatchesMemory = make_comparison_machine(MyStore.open_temporary).TestCase

It needs Hypothesis and pytest; see :doc:`/how-to/write-a-storage-adapter`.
"""

# ruff: noqa: S101 - a test asserts

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar, TypeVar

import attrs
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from onestop.domain.time.sla import SlaStatus
from onestop.exceptions import (
    ConcurrencyConflict,
    InvalidStoreInput,
    StorageError,
    StorageUnavailable,
)
from onestop.ports.catalogue import CatalogueStore, catalogue_digest
from onestop.ports.events import (
    Append,
    Batch,
    BatchStore,
    Commit,
    EventStore,
    IdempotencyRecord,
    NewEvent,
    SequenceClaim,
    Summary,
    SummaryOrder,
    SummaryQuery,
)
from onestop.storage.memory import MemoryStore

__all__ = ["EventStoreComparison", "make_comparison_machine"]

_T = TypeVar("_T")
_T0 = datetime(2025, 7, 14, 2, 0, tzinfo=UTC)
_STREAMS = ("a", "b", "c", "d", "e", "f")
_JOBS = ("job-1", "job-2", "packet-1")  # streams without a read-model row, for batches
_KEYS = ("k1", "k2", "k3")
_COUNTERS = ("n1", "n2")
_CONSUMERS = ("relay", "mirror")
_CATALOGUES = (b'{"catalogue":1}', b'{"catalogue":2}', b'{"catalogue":3}')
_AGENCIES = ("dpmptsp", "disdukcapil", "samsat")
_SERVICES = ("siup", "ktp", "stnk")
_STATES = ("submitted", "verified", "approved", "issued")
_ZONES = (UTC, timezone(timedelta(hours=7)), timezone(timedelta(hours=-3, minutes=-30)))

# Instants on a coarse grid, so that equal due dates and instants exactly at `now`
# (the boundaries of every filter) are common; now and then a microsecond off it.
_instants = st.builds(
    lambda hours, micros, zone: (_T0 + timedelta(hours=hours, microseconds=micros)).astimezone(
        zone
    ),
    st.sampled_from([0, 0, 12, 12, -12, 24, -24, 36]),
    st.sampled_from([0, 0, 0, 0, 1, -1]),
    st.sampled_from(_ZONES),
)
_maybe_instants = st.none() | _instants

# What no store keeps, drawn now and then: a bool, negative and 64-bit-overflowing ints.
_HOSTILE_INTS = (True, False, -1, 2**63, 2**70, -(2**70))
_afters = st.one_of(st.integers(-1, 6), st.integers(-1, 30), st.sampled_from(_HOSTILE_INTS))
_NOWS = (_T0, _T0 + timedelta(hours=12))


def _rarely(strategy: st.SearchStrategy[_T]) -> st.SearchStrategy[_T | None]:
    """None three times in four, else a value of *strategy*."""
    return st.one_of(st.none(), st.none(), st.none(), strategy)


def _outcome(call: Callable[[], object]) -> tuple[object, ...]:
    """What a call did: its result, or the kind of typed error it raised."""
    try:
        return ("returned", call())
    except ConcurrencyConflict as exc:
        return ("conflict", exc.stream_id, exc.expected, exc.actual)
    except StorageUnavailable:
        raise  # a transient failure is no answer: let the test fail loudly
    except InvalidStoreInput as exc:
        return ("refused", exc.field)
    except StorageError:
        return ("storage error",)


@st.composite
def _deadlines(draw: st.DrawFn) -> tuple[datetime | None, datetime | None]:
    """A due date and an at-risk instant: mostly 0, 12 or 24 hours before it."""
    due = draw(_maybe_instants)
    hours = draw(st.sampled_from([None, 0, 12, 12, 24]))
    if due is None or hours is None:
        return due, draw(_maybe_instants)
    return due, due - timedelta(hours=hours)


# What a commit's summary holds besides its stream and version, in Summary's order;
# the first item names the stream whose number it takes (None: its own).
_ROWS = st.tuples(
    st.sampled_from([None] * 12 + list(_STREAMS)),
    st.sampled_from(_SERVICES),
    st.integers(1, 2),
    st.sampled_from(_AGENCIES),
    st.sampled_from(["online", "counter"]),
    st.sampled_from(_STATES),
    st.sampled_from([None, "ani", "budi"]),
    _instants,
    _deadlines(),
    st.booleans(),
    st.sampled_from([False, False, True]),
    _instants,
)
_EVENTS = st.lists(
    st.tuples(
        st.sampled_from(["submitted", "acted", "noted"]),
        st.binary(max_size=8),
        st.binary(max_size=4),
    ),
    min_size=1,
    max_size=3,
)
# An idempotency key (None: one made from the stream and version), a request digest
# and a time; and a counter with the step of the claim from its current value.
_KEYS_GIVEN = _rarely(
    st.tuples(st.sampled_from([None, None, None, *_KEYS]), st.sampled_from(["d1", "d2"]), _instants)
)
_CLAIMS = _rarely(st.tuples(st.sampled_from(_COUNTERS), st.sampled_from([1] * 6 + [0, 2])))


def _summary(stream: str, version: int, row: tuple[Any, ...]) -> Summary:
    owner, service, service_version, agency, channel, state, assignee = row[:7]
    received, (due, at_risk_from), suspended, closed, updated_at = row[7:]
    return Summary(
        stream_id=stream,
        number=f"N/{owner or stream}",
        service=service,
        service_version=service_version,
        agency=agency,
        channel=channel,
        state=state,
        assignee=assignee,
        received=received,
        due=due,
        at_risk_from=at_risk_from,
        suspended=suspended,
        closed=closed,
        version=version,
        updated_at=updated_at,
    )


def _catalogues(store: EventStore) -> CatalogueStore:
    assert isinstance(store, CatalogueStore)
    return store


def _queries() -> st.SearchStrategy[SummaryQuery]:
    def values(pool: tuple[str, ...]) -> st.SearchStrategy[tuple[str, ...] | None]:
        return _rarely(st.lists(st.sampled_from(pool), max_size=2, unique=True).map(tuple))

    return st.builds(
        SummaryQuery,
        agencies=values(_AGENCIES),
        services=values(_SERVICES),
        states=values(_STATES),
        assignee=_rarely(st.sampled_from(["ani", "budi"])),
        include_closed=st.booleans(),
        sla=st.none() | st.sampled_from(list(SlaStatus)),
        due_before=_rarely(_instants),
        changed_since=_rarely(_instants),
        now=st.sampled_from([*_NOWS, *_NOWS, None]),
        order=st.sampled_from(list(SummaryOrder)),
        limit=st.sampled_from([1, 1, 2, 3, 7, 1000, 0]),
    )


def _all_pages(store: EventStore, query: SummaryQuery) -> list[tuple[tuple[Summary, ...], bool]]:
    pages = []
    cursor = None
    for _ in range(100):
        page = store.summaries(attrs.evolve(query, cursor=cursor))
        pages.append((page.items, page.next_cursor is None))
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return pages


class EventStoreComparison(RuleBasedStateMachine):
    """Runs each step on `MemoryStore` and on the store `factory` opens; answers must match.

    Use `make_comparison_machine` rather than subclassing by hand.

    Attributes:
        factory: Opens a new, empty store of the adapter under test.
    """

    factory: ClassVar[Callable[[], EventStore]]

    def __init__(self) -> None:
        """Open a fresh pair of stores."""
        super().__init__()
        self.spec: EventStore = MemoryStore()
        self.subject: EventStore = type(self).factory()

    def teardown(self) -> None:
        """Close both stores."""
        self.subject.close()
        self.spec.close()

    def _same(self, call: Callable[[EventStore], object]) -> tuple[object, ...]:
        expected = _outcome(lambda: call(self.spec))
        actual = _outcome(lambda: call(self.subject))
        assert actual == expected, f"the store answered {actual!r}; MemoryStore {expected!r}"
        return expected

    @initialize(data=st.data())
    def start(self, data: st.DataObject) -> None:
        """Start with every stream created, so that filters and pages have rows to work on."""
        for stream in _STREAMS:
            self._commit(data, stream, 0)

    @rule(data=st.data(), stream=st.sampled_from(_STREAMS))
    def commit(self, data: st.DataObject, stream: str) -> None:
        """Commit to a stream, usually at its version, sometimes at a stale or future one."""
        current = len(self.spec.read(stream))
        expected = data.draw(
            st.sampled_from([current] * 12 + [max(current - 1, 0), current + 1, True, 2**63]),
            label="expected",
        )
        self._commit(data, stream, expected)

    def _commit(self, data: st.DataObject, stream: str, expected: int) -> None:
        drawn = data.draw(_EVENTS, label="events")
        events = tuple(
            NewEvent(
                kind=kind,
                body=body,
                hash=f"h{stream}{version}",
                previous_hash=f"h{stream}{version - 1}",
                notice=notice,
            )
            for version, (kind, body, notice) in enumerate(drawn, start=int(expected) + 1)
        )
        summary = _summary(stream, int(expected) + len(events), data.draw(_ROWS, label="summary"))
        key = data.draw(_KEYS_GIVEN, label="idempotency")
        claim = data.draw(_CLAIMS, label="sequence claim")
        commit = Commit(
            stream_id=stream,
            expected_version=expected,
            events=events,
            summary=summary,
            recorded_at=data.draw(_instants, label="recorded_at"),
            idempotency=None
            if key is None
            else IdempotencyRecord(
                key=key[0] or f"{stream}@{expected}",
                stream_id=stream,
                request_digest=key[1],
                recorded_at=key[2],
            ),
            sequence=None
            if claim is None
            else SequenceClaim(name=claim[0], value=self.spec.sequence(claim[0]) + claim[1]),
        )
        self._same(lambda store: store.commit(commit))

    @precondition(lambda self: isinstance(self.subject, BatchStore))
    @rule(data=st.data())
    def commit_batch(self, data: st.DataObject) -> None:
        """Append to a few streams at once (courier jobs), when the store supports batches.

        Now and then a stream is named twice, is at another version, or is an
        application's (it has a read-model row): the whole batch must then be refused.
        """
        streams = data.draw(
            st.lists(st.sampled_from([*_JOBS, *_JOBS, "a"]), min_size=1, max_size=3),
            label="streams",
        )
        appends = []
        for stream in streams:
            current = len(self.spec.read(stream))
            expected = data.draw(st.sampled_from([current] * 6 + [current + 1]), label="expected")
            events = tuple(
                NewEvent(kind=kind, body=body, hash="h", previous_hash="p", notice=notice)
                for kind, body, notice in data.draw(_EVENTS, label="events")
            )
            appends.append(Append(stream_id=stream, expected_version=expected, events=events))
        batch = Batch(appends=tuple(appends), recorded_at=data.draw(_instants, label="at"))
        self._same(lambda store: store.commit_batch(batch))  # type: ignore[attr-defined]

    @rule(stream=st.sampled_from((*_STREAMS, *_JOBS, "a\x00")), after=_afters)
    def read(self, stream: str, after: int) -> None:
        """Read a stream after some version."""
        self._same(lambda store: store.read(stream, after=after))

    @rule(stream=st.sampled_from(_STREAMS))
    def summary(self, stream: str) -> None:
        """Read a stream's row."""
        self._same(lambda store: store.summary(stream))

    @rule(stream=st.sampled_from((*_STREAMS, "z")))
    def find_number(self, stream: str) -> None:
        """Find a row by number."""
        self._same(lambda store: store.find_number(f"N/{stream}"))

    @rule(queries=st.lists(_queries(), min_size=1, max_size=4))
    def summaries(self, queries: list[SummaryQuery]) -> None:
        """Page through the read model with a few sets of filters and orders."""
        for query in queries:
            self._same(functools.partial(_all_pages, query=query))

    @rule(key=st.sampled_from(_KEYS), counter=st.sampled_from(_COUNTERS))
    def keys_and_counters(self, key: str, counter: str) -> None:
        """Look up an idempotency key and a counter."""
        self._same(lambda store: (store.idempotency(key), store.sequence(counter)))

    @rule(after=_afters, limit=st.one_of(st.integers(0, 6), st.sampled_from(_HOSTILE_INTS)))
    def notifications(self, after: int, limit: int) -> None:
        """Read part of the notification log."""
        self._same(lambda store: store.notifications(after=after, limit=limit))

    @rule(
        consumer=st.sampled_from([*_CONSUMERS, *_CONSUMERS, "relay\x00", ""]),
        position=st.one_of(st.integers(0, 20), st.sampled_from(_HOSTILE_INTS)),
    )
    def record_position(self, consumer: str, position: int) -> None:
        """Record a consumer's position, sometimes a lower one."""
        self._same(lambda store: store.record_position(consumer, position))
        self._same(lambda store: store.position(consumer))

    @precondition(lambda self: isinstance(self.subject, CatalogueStore))
    @rule(
        data=st.data(),
        content=st.sampled_from(_CATALOGUES),
        label=_rarely(st.sampled_from(["fees", "Juli"])),
    )
    def publish_catalogue(self, data: st.DataObject, content: bytes, label: str | None) -> None:
        """Publish a catalogue, usually at the latest version, sometimes a stale or future one."""
        latest = _catalogues(self.spec).latest_catalogue()
        current = 0 if latest is None else latest.version
        expected = data.draw(
            st.sampled_from([current] * 4 + [max(current - 1, 0), current + 1]), label="expected"
        )
        at = data.draw(_instants, label="recorded_at")
        self._same(
            lambda store: _catalogues(store).publish_catalogue(
                content,
                digest=catalogue_digest(content),
                expected_version=expected,
                recorded_at=at,
                label=label,
            )
        )

    @precondition(lambda self: isinstance(self.subject, CatalogueStore))
    @rule(version=st.integers(-1, 6), after=st.integers(-1, 6), limit=st.integers(0, 4))
    def read_catalogues(self, version: int, after: int, limit: int) -> None:
        """Read a catalogue version, the latest one, and part of the listing."""
        self._same(lambda store: _catalogues(store).catalogue_version(version))
        self._same(lambda store: _catalogues(store).latest_catalogue())
        self._same(lambda store: _catalogues(store).catalogue_versions(after=after, limit=limit))

    @invariant()
    def same_log(self) -> None:
        """The whole notification log is the same after every step."""
        self._same(lambda store: store.notifications(limit=1000))


def make_comparison_machine(
    factory: Callable[[], EventStore], *, name: str = "StoreMatchesMemory"
) -> type[EventStoreComparison]:
    """Return a state machine comparing the stores *factory* opens with `MemoryStore`.

    Its ``TestCase`` attribute is a test case pytest collects; assign it to a name
    starting with ``Test``.  Change its ``settings`` (``max_examples``,
    ``stateful_step_count``) there; deadlines are off, since storage timing varies.

    Args:
        factory: Opens a new, empty store; called once per generated example.
        name: The machine's class name, shown in reports.
    """

    class Machine(EventStoreComparison):
        pass

    Machine.factory = staticmethod(factory)
    Machine.__name__ = Machine.__qualname__ = name
    machine: type[EventStoreComparison] = Machine
    machine.TestCase.settings = settings(
        deadline=None,
        max_examples=100,
        stateful_step_count=40,
        suppress_health_check=[HealthCheck.too_slow],
    )
    return machine
