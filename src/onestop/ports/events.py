"""The ports onestop's use cases depend on: an event store, a clock and an id source.

`onestop.usecases.mall.Mall` imports this module and nothing under `onestop.storage`.  Adapters
satisfy these Protocols structurally; each method's docstring says what it promises, and the
contract suite in `onestop.testing.contracts` tests every promise against each adapter
(`onestop.storage.memory.MemoryStore` is the executable specification).  What every store
accepts, and refuses with `onestop.exceptions.InvalidStoreInput` before any I/O, is decided in
`onestop.ports.checks`, which every adapter calls.

The store's unit of work is `EventStore.commit`: **one call per command**, so that a command's
events, the stream's read-model row (`Summary`), its idempotency record, a claimed sequence
number and the notifications for transports are written together or not at all.  Records hold
bytes the store never interprets: events are encoded and hash-chained above it.

Streams that are not applications (a courier job, a sealed packet's custody ledger) have no
read-model row, and one courier command writes several at once (a handoff moves the packet's
ledger and the courier's job together): a store that can implements the optional `BatchStore`,
whose `BatchStore.commit_batch` appends to several such streams atomically.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

import attrs

from onestop.domain.common.formats import INT64_MAX, int_problem
from onestop.domain.common.kinds import check_instant, named_kind
from onestop.domain.time.sla import SlaStatus
from onestop.exceptions import InvalidStoreInput, InvalidValue, NaiveDatetime

__all__ = [
    "MAX_PAGE",
    "SortKey",
    "decode_cursor",
    "encode_cursor",
    "ClosingContext",
    "check_batch",
    "check_commit",
    "check_consumer",
    "storable_text",
    "Append",
    "Batch",
    "BatchStore",
    "Clock",
    "Commit",
    "EventStore",
    "IdGenerator",
    "IdempotencyRecord",
    "NewEvent",
    "Notification",
    "Page",
    "SequenceClaim",
    "StoredEvent",
    "Summary",
    "SummaryOrder",
    "SummaryQuery",
]


@attrs.frozen(kw_only=True)
class NewEvent:
    """One event to append, already encoded and chained.

    Attributes:
        kind: The event's kind tag (``submitted``).
        body: The event's canonical encoding.
        hash: Its chain hash (over the previous hash, its version and `body`).
        previous_hash: The hash of the event before it (the genesis value for the first).
        notice: Its notification's thin body: ids, number, service, state, action; no personal data.
    """

    kind: str
    body: bytes = attrs.field(repr=False)
    hash: str
    previous_hash: str
    notice: bytes = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class StoredEvent:
    """One event as stored.

    Attributes:
        stream_id: The stream (application) it belongs to.
        version: Its position in the stream, from 1.
        kind: The event's kind tag.
        body: The canonical encoding, exactly as appended.
        hash: Its chain hash.
        previous_hash: The previous event's hash.
        recorded_at: When the store committed it.
    """

    stream_id: str
    version: int
    kind: str
    body: bytes = attrs.field(repr=False)
    hash: str
    previous_hash: str
    recorded_at: datetime


@attrs.frozen(kw_only=True)
class Summary:
    """The read-model row of one application, rewritten with every commit to its stream.

    It holds no personal data: no answers, no applicant, no notes.

    Attributes:
        stream_id: The application's id.
        number: The application number.
        service: The service's code.
        service_version: The service version.
        agency: The providing agency's code.
        channel: The channel's value (``counter``).
        state: The current workflow state.
        assignee: The officer it is assigned to, if any.
        received: When it was received.
        due: Its due date, or ``None`` while the clock is paused or once closed.
        at_risk_from: When it becomes at risk (less than a fifth of the budget left),
            or ``None`` when `due` is.
        suspended: Whether a suspension is in force.
        closed: Whether it is finished (final state or withdrawn).
        version: The stream's version after the commit.
        updated_at: When the latest event happened.
    """

    stream_id: str
    number: str
    service: str
    service_version: int
    agency: str
    channel: str
    state: str
    assignee: str | None
    received: datetime
    due: datetime | None
    at_risk_from: datetime | None
    suspended: bool
    closed: bool
    version: int
    updated_at: datetime

    def sla(self, now: datetime, /) -> SlaStatus | None:
        """Where this application stands against its deadline at *now*; ``None`` once closed.

        Raises:
            onestop.exceptions.NaiveDatetime: If *now* (or `due`, `at_risk_from`) is naive.
            onestop.exceptions.InvalidValue: If one of them is not a datetime.
        """
        check_instant(now, field="now")
        if self.closed:
            return None
        if self.due is None:
            return SlaStatus.PAUSED
        moment = now.astimezone(UTC)  # one ZoneInfo's datetimes compare by wall clock
        if moment > check_instant(self.due, field="summary.due").astimezone(UTC):
            return SlaStatus.OVERDUE
        risk = self.at_risk_from and check_instant(self.at_risk_from, field="summary.at_risk_from")
        return SlaStatus.AT_RISK if risk and moment >= risk.astimezone(UTC) else SlaStatus.ON_TRACK


@attrs.frozen(kw_only=True)
class IdempotencyRecord:
    """What an idempotency key did the first time.

    Attributes:
        key: The digest of the client's scope and key (the key itself is not kept).
        stream_id: The application it created.
        request_digest: The digest of the request's canonical encoding.
        recorded_at: When it was recorded.
    """

    key: str
    stream_id: str
    request_digest: str
    recorded_at: datetime


@attrs.frozen(kw_only=True)
class SequenceClaim:
    """Claim the next value of a named counter (application numbers per agency and year).

    Attributes:
        name: The counter's name.
        value: The value claimed; the counter must stand at ``value - 1``.
    """

    name: str
    value: int


@attrs.frozen(kw_only=True)
class Commit:
    """Everything one command writes: applied atomically by `EventStore.commit`.

    Attributes:
        stream_id: The stream appended to.
        expected_version: The stream's version the command was decided on (0 if new).
        events: The events to append, as versions ``expected_version + 1`` onwards.
        summary: The stream's read-model row after the events.
        idempotency: An idempotency record to create, if the command carried a key.
        sequence: A counter value to claim, if the command allocated a number.
        recorded_at: The commit's time, stamped on the stored events.
    """

    stream_id: str
    expected_version: int
    events: tuple[NewEvent, ...]
    summary: Summary
    recorded_at: datetime
    idempotency: IdempotencyRecord | None = None
    sequence: SequenceClaim | None = None


@attrs.frozen(kw_only=True)
class Notification:
    """One entry of the global notification log, read by relays.

    Attributes:
        position: Its position in the log: increasing in commit order, from 1.
        stream_id: The stream whose event it announces.
        version: That event's version.
        kind: That event's kind tag.
        body: The thin body given with the event (`NewEvent.notice`).
        recorded_at: When it was committed.
    """

    position: int
    stream_id: str
    version: int
    kind: str
    body: bytes = attrs.field(repr=False)
    recorded_at: datetime

    @property
    def message_id(self) -> str:
        """A stable id for deliveries, so receivers can drop duplicates."""
        problem = int_problem(self.version, minimum=-INT64_MAX, maximum=INT64_MAX)
        if problem is not None:
            raise InvalidStoreInput(field="version", reason=problem)
        return f"{self.stream_id}:{self.version}"


class SummaryOrder(enum.Enum):
    """How `EventStore.summaries` orders its rows."""

    DUE = "due"
    """Earliest due date first; paused and closed ones (no due date) last; then by id."""
    UPDATED = "updated"
    """Least recently updated first and then by id, for ``changed_since`` polling."""


_ORDERS = named_kind(SummaryOrder)  # "SummaryOrder ('due', 'updated')", for refusals


@attrs.frozen(kw_only=True)
class SummaryQuery:
    """A filter over the read model; every filter given must hold.

    Attributes:
        agencies: Only these agencies' applications.
        services: Only these services.
        states: Only applications in these states.
        assignee: Only those assigned to this officer.
        include_closed: Whether finished applications are included.
        sla: Only those with this SLA status at `now`.
        due_before: Only those due strictly before this instant.
        changed_since: Only those updated strictly after this instant.
        now: The instant `sla` is judged at (required with `sla`).
        order: The order of the rows.
        limit: At most this many rows (1 to 1000).
        cursor: Continue after the page that returned this cursor.
    """

    agencies: tuple[str, ...] | None = None
    services: tuple[str, ...] | None = None
    states: tuple[str, ...] | None = None
    assignee: str | None = None
    include_closed: bool = False
    sla: SlaStatus | None = None
    due_before: datetime | None = None
    changed_since: datetime | None = None
    now: datetime | None = None
    order: SummaryOrder = SummaryOrder.DUE
    limit: int = 50
    cursor: str | None = None


@attrs.frozen(kw_only=True)
class Page:
    """One page of read-model rows.

    Attributes:
        items: The rows.
        next_cursor: Pass it as `SummaryQuery.cursor` for the next page; ``None`` at the end.
    """

    items: tuple[Summary, ...]
    next_cursor: str | None = None


MAX_PAGE = 1000
"""The largest `SummaryQuery.limit` a store accepts."""

SortKey = tuple[int, datetime, str]
"""A row's place in a keyset order: a rank (0, or 1 for "no instant"), an instant, a stream id."""


def encode_cursor(key: SortKey, order: SummaryOrder, /) -> str:
    """Return the opaque cursor that continues after the row at *key* in *order*.

    Raises:
        InvalidStoreInput: If *order* is not a `SummaryOrder`, or *key* is not a sort
            key of a row a store keeps: a tuple of a rank (0 or 1), a timezone-aware
            instant and a stream id that is text a store keeps.
    """
    given: object = key
    ordered: object = order
    if not isinstance(ordered, SummaryOrder) or not (isinstance(given, tuple) and len(given) == 3):
        raise InvalidStoreInput(field="key", reason=f"expected a sort key and a {_ORDERS}")
    rank, instant, stream_id = key
    if type(rank) is not int or rank not in (0, 1):
        raise InvalidStoreInput(field="key[0]", reason="a rank is 0 or 1")
    try:
        check_instant(instant, field="key[1]")
    except (InvalidValue, NaiveDatetime):
        raise InvalidStoreInput(field="key[1]", reason="expected an aware instant") from None
    if not storable_text(stream_id) or len(stream_id) > 4000:
        raise InvalidStoreInput(field="key[2]", reason="expected a stream id a store keeps")
    return f"{order.value}|{rank}|{instant.isoformat()}|{stream_id}"


def decode_cursor(cursor: str | None, order: SummaryOrder, /) -> SortKey | None:
    """Return the sort key *cursor* continues after, or ``None`` for the first page.

    Raises:
        InvalidStoreInput: If *order* is no `SummaryOrder`, or *cursor* not made for it.
    """
    ordered: object = order
    if not isinstance(ordered, SummaryOrder):
        raise InvalidStoreInput(field="order", reason=f"expected a {_ORDERS}")
    if cursor is None:
        return None
    wrong = InvalidStoreInput(
        field="cursor", reason="the cursor was not returned by this store for this order"
    )
    given: object = cursor
    if not isinstance(given, str) or len(cursor) > 4096:  # longer than any cursor made
        raise wrong
    parts = cursor.split("|", 3)
    if len(parts) != 4 or parts[0] != order.value or parts[1] not in ("0", "1"):
        raise wrong
    try:
        instant = datetime.fromisoformat(parts[2])
    except ValueError:
        raise wrong from None
    if instant.utcoffset() is None or not storable_text(parts[3]):
        raise wrong
    return (int(parts[1]), instant, parts[3])


class ClosingContext:
    """A base for adapters: used in a ``with`` block, the adapter is closed at its end."""

    def close(self) -> None:
        """Release the adapter's resources (adapters override this)."""

    def __enter__(self) -> Self:
        """Return the adapter itself."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the adapter."""
        self.close()


@runtime_checkable
class EventStore(Protocol):
    """Keeps event streams and, atomically with them, everything a command writes.

    Every method raises `onestop.exceptions.StorageError` (or its transient subclass
    `StorageUnavailable`) when the adapter itself fails; the driver's error is the ``__cause__``.
    Every method refuses input no store accepts with `onestop.exceptions.InvalidStoreInput`,
    before any I/O, by the checks of `onestop.ports.checks`, so that every adapter accepts and
    refuses the same input.  Returned records are copies: mutating them changes nothing stored.
    """

    def commit(self, commit: Commit, /) -> tuple[StoredEvent, ...]:
        """Apply *commit* atomically and return the stored events.

        All or nothing: the events (versions ``expected_version + 1`` onwards), the summary
        row (replacing the stream's), the idempotency record, the sequence claim and one
        notification per event, positioned in commit order.

        Raises:
            ConcurrencyConflict: If the stream is not at ``expected_version``; if the
                idempotency key is recorded already (``stream_id`` is then the key); or if the
                counter does not stand at ``sequence.value - 1`` (``stream_id`` is then the
                counter's name).  Nothing is written.
            InvalidStoreInput: If the commit is malformed (`onestop.ports.checks.check_commit`).
                Nothing is written.
            StorageError: If another stream's row holds the summary's application number.
                Nothing is written.
        """
        ...

    def read(self, stream_id: str, /, *, after: int = 0) -> tuple[StoredEvent, ...]:
        """Return the stream's events with a version above *after*, in order (empty if none).

        *after* is any `int` (`onestop.ports.checks.read_after`); a stream id no store
        holds finds nothing.
        """
        ...

    def summary(self, stream_id: str, /) -> Summary | None:
        """Return the stream's read-model row, or ``None``."""
        ...

    def find_number(self, number: str, /) -> Summary | None:
        """Return the read-model row of the application numbered *number*, or ``None``."""
        ...

    def summaries(self, query: SummaryQuery, /) -> Page:
        """Return one page of the rows matching *query*, in its order.

        Raises:
            InvalidStoreInput: If the cursor is not one this store returned, or the
                query is malformed (`onestop.ports.checks.check_query`: the limit is
                out of range, ``sla`` is given without ``now``, an instant is naive,
                ...).
        """
        ...

    def idempotency(self, key: str, /) -> IdempotencyRecord | None:
        """Return the record of idempotency key *key* (a digest), or ``None``."""
        ...

    def sequence(self, name: str, /) -> int:
        """Return the counter *name*'s current value (0 if never claimed)."""
        ...

    def notifications(self, *, after: int = 0, limit: int = 100) -> tuple[Notification, ...]:
        """Return up to *limit* notifications with a position above *after*, in order.

        Raises:
            InvalidStoreInput: If *after* or *limit* is not an `int` (a `bool` is not
                one), or *limit* is below 1 (`onestop.ports.checks.notification_window`).
        """
        ...

    def position(self, consumer: str, /) -> int:
        """Return the last position *consumer* recorded as processed (0 if none)."""
        ...

    def record_position(self, consumer: str, position: int, /) -> None:
        """Record that *consumer* processed the log up to *position*.

        Raises:
            ConcurrencyConflict: If *position* is below the one recorded already.
            InvalidStoreInput: If *consumer* is not text a store keeps, or *position*
                is not an integer from 0 to 2**63 - 1.
        """
        ...

    def close(self) -> None:
        """Release the adapter's resources; it cannot be used afterwards."""
        ...


@attrs.frozen(kw_only=True)
class Append:
    """Events to append to one stream that has no read-model row (a job, a packet).

    Attributes:
        stream_id: The stream appended to.
        expected_version: The stream's version the command was decided on (0 if new).
        events: The events to append, as versions ``expected_version + 1`` onwards.
    """

    stream_id: str
    expected_version: int
    events: tuple[NewEvent, ...]


@attrs.frozen(kw_only=True)
class Batch:
    """Appends to several streams, applied atomically by `BatchStore.commit_batch`.

    Attributes:
        appends: One `Append` per stream, each stream named once.
        recorded_at: The batch's time, stamped on the stored events.
    """

    appends: tuple[Append, ...]
    recorded_at: datetime


@runtime_checkable
class BatchStore(Protocol):
    """An `EventStore` that also appends to several streams in one atomic write.

    Optional: the courier desk (`onestop.usecases.courier.desk`) needs it; applications do not.
    """

    def commit_batch(self, batch: Batch, /) -> tuple[StoredEvent, ...]:
        """Apply *batch* atomically and return the stored events, append by append.

        All or nothing: every append's events, and one notification per event,
        positioned in the order given.  Streams written this way have no read-model
        row; a stream that has one (an application) is refused.

        Raises:
            ConcurrencyConflict: If a stream is not at its ``expected_version`` (the
                first such stream is named).  Nothing is written.
            InvalidStoreInput: If the batch is malformed
                (`onestop.ports.checks.check_batch`: it is empty, an append has no
                events, a stream is named twice, ``recorded_at`` is naive, ...), or a
                stream has a read-model row.  Nothing is written.
        """
        ...


@runtime_checkable
class Clock(Protocol):
    """Tells the time; the domain never reads a clock, the use cases ask this one."""

    def now(self) -> datetime:
        """Return the current instant, timezone-aware."""
        ...


@runtime_checkable
class IdGenerator(Protocol):
    """Makes ids and secrets; both must be unguessable (never sequential)."""

    def new_id(self) -> str:
        """Return a new, unique, unguessable id (a random UUID, for example)."""
        ...

    def secret(self) -> str:
        """Return a new lookup secret with at least 128 bits of randomness."""
        ...


def check_commit(commit: Commit, /) -> None:
    """Refuse a malformed *commit* before any I/O; see `onestop.ports.checks.check_commit`.

    Raises:
        onestop.exceptions.InvalidStoreInput: Naming the field at fault.
    """
    from onestop.ports import checks as store_checks  # noqa: PLC0415 - a cycle

    store_checks.check_commit(commit)


def check_batch(batch: Batch, /) -> None:
    """Refuse a malformed *batch* before any I/O; see `onestop.ports.checks.check_batch`.

    Raises:
        onestop.exceptions.InvalidStoreInput: Naming the field at fault.
    """
    from onestop.ports import checks as store_checks  # noqa: PLC0415 - a cycle

    store_checks.check_batch(batch)


def check_consumer(consumer: str, /) -> None:
    """Refuse a consumer name no store keeps; see `onestop.ports.checks.check_consumer`.

    Raises:
        onestop.exceptions.InvalidStoreInput: Naming ``consumer``.
    """
    from onestop.ports import checks as store_checks  # noqa: PLC0415 - a cycle

    store_checks.check_consumer(consumer)


def storable_text(value: object, /) -> bool:
    """Whether *value* is text every adapter can store: no NUL character, no lone surrogate.

    Lookups use it: a key that is not such text finds nothing, on every adapter.
    """
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
