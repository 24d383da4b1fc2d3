"""What every store accepts: the checks adapters make before any I/O, in one place.

Each `onestop.ports.events.EventStore` adapter (and `onestop.ports.events.BatchStore`) calls these
first, so that memory, SQLite, PostgreSQL and third-party stores accept and refuse
exactly the same input, with the same `onestop.exceptions.InvalidStoreInput` naming the
field at fault:

* **Integers** that reach a store are `int`, never `bool` (``True`` as a version is a
  bug, not version 1), within what a signed 64-bit column holds
  (`onestop.domain.common.formats.INT64_MAX`); a service version within a 32-bit one
  (`INT32_MAX`).  A stream's version after a commit must fit too.
* **Text** kept in a column (ids, numbers, codes, hashes, the names of counters and
  consumers) is 1 to `MAX_STORED_TEXT` characters with no NUL or other control
  character and no lone surrogate (`onestop.domain.common.formats.text_problem`): every
  database stores it, and it fits every index.
* **Instants** are timezone-aware `datetime` values that exist in UTC (years 1 to 9999
  there), so that every store gives them back.
* **Bytes** (event bodies and notices) are `bytes`, which cannot change once stored, of
  at most `MAX_STORED_BYTES`.

Reading is asking, not writing: a key no store could hold finds nothing
(`onestop.ports.events.storable_text`), a version or position to read after is clamped to
what a store holds (`read_after`), and a query filter value that no store could hold
matches nothing (`check_query`).  Only their types are refused.

>>> from onestop.testing.contracts import make_commit
>>> import attrs
>>> check_commit(attrs.evolve(make_commit("a"), expected_version=True))
Traceback (most recent call last):
...
onestop.exceptions.InvalidStoreInput: expected_version: expected an integer, not a boolean
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NoReturn

import attrs

from onestop.domain.common.formats import INT64_MAX, int_problem, kind_of, text_problem
from onestop.domain.time.sla import SlaStatus
from onestop.exceptions import InvalidStoreInput
from onestop.ports.events import (
    MAX_PAGE,
    Append,
    Batch,
    Commit,
    IdempotencyRecord,
    NewEvent,
    SequenceClaim,
    Summary,
    SummaryOrder,
    SummaryQuery,
    storable_text,
)

__all__ = [
    "INT32_MAX",
    "MAX_STORED_BYTES",
    "MAX_STORED_TEXT",
    "READ_MODEL_ROW",
    "check_batch",
    "check_commit",
    "check_consumer",
    "check_position",
    "check_query",
    "notification_window",
    "read_after",
]

MAX_STORED_TEXT = 256
"""The longest text a store keeps in a column, in characters.

Four bytes a character in UTF-8 at worst, two such columns fit a PostgreSQL index
entry (at most 2,704 bytes) with room to spare."""

MAX_STORED_BYTES = 64 * 1024 * 1024
"""The largest event body or notice a store keeps, in bytes (64 MiB)."""

INT32_MAX = 2**31 - 1
"""The largest service version a store keeps (a 32-bit column)."""

READ_MODEL_ROW = "the stream has a read-model row; a batch appends only to streams without one"
"""The reason of the `InvalidStoreInput` a batch naming an application's stream raises."""

_SUMMARY_TEXT = ("number", "service", "agency", "channel", "state")
_SUMMARY_INSTANTS = ("received", "updated_at")
_SUMMARY_OPTIONAL_INSTANTS = ("due", "at_risk_from")
_QUERY_INSTANTS = ("due_before", "changed_since", "now")


def _fail(field: str, reason: str) -> NoReturn:
    raise InvalidStoreInput(field=field, reason=reason)


def _record(value: object, kind: type, field: str) -> None:
    if not isinstance(value, kind):
        _fail(field, f"expected {kind.__name__}, not {kind_of(value)}")


def _text(field: str, value: object, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    reason = text_problem(value, max_length=MAX_STORED_TEXT)
    if reason is not None:
        _fail(field, reason)


def _int(field: str, value: object, *, minimum: int = 0, maximum: int = INT64_MAX) -> int:
    reason = int_problem(value, minimum=minimum, maximum=maximum)
    if reason is not None:
        _fail(field, reason)
    return value  # type: ignore[return-value]  # int_problem() proved it is an int


def _whole(field: str, value: object) -> int:
    """Return *value* if it is an `int` and not a `bool`, whatever its size."""
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(field, f"expected an integer, not {kind_of(value)}")
    return value


def _instant(field: str, value: object, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    if not isinstance(value, datetime):
        _fail(field, f"expected a timezone-aware datetime, not {kind_of(value)}")
    try:
        offset = value.utcoffset()
        if offset is not None:
            value.astimezone(UTC)
    except OverflowError:
        _fail(field, "lies outside the years 1 to 9999 in UTC")
    except (ArithmeticError, TypeError, ValueError):  # a tzinfo of 30 hours, or of text
        _fail(field, "its time zone gives no valid UTC offset")
    if offset is None:
        _fail(field, "must be timezone-aware")


def _flag(field: str, value: object) -> None:
    if not isinstance(value, bool):
        _fail(field, f"expected a boolean, not {kind_of(value)}")


def _bytes(field: str, value: object) -> None:
    if type(value) is not bytes:  # a bytearray could change after it was stored
        _fail(field, f"expected bytes, not {kind_of(value)}")
    if len(value) > MAX_STORED_BYTES:
        _fail(field, f"is {len(value)} bytes long, more than {MAX_STORED_BYTES}")


def _events(field: str, events: object) -> tuple[NewEvent, ...]:
    if not isinstance(events, tuple | list):
        _fail(field, f"expected a tuple of events, not {kind_of(events)}")
    if not events:
        _fail(field, "a commit or append needs at least one event")
    for index, event in enumerate(events):
        at = f"{field}[{index}]"
        _record(event, NewEvent, at)
        _text(f"{at}.kind", event.kind)
        _text(f"{at}.hash", event.hash)
        _text(f"{at}.previous_hash", event.previous_hash)
        _bytes(f"{at}.body", event.body)
        _bytes(f"{at}.notice", event.notice)
    return tuple(events)


def _after_events(field: str, expected: object, count: int) -> int:
    """Check an expected version, and that the version after *count* events fits."""
    start = _int(field, expected)
    if start > INT64_MAX - count:
        _fail(field, f"leaves no room for {count} more version(s) below 2**63")
    return start


def _summary(row: Summary) -> None:
    _text("summary.stream_id", row.stream_id)
    for name in _SUMMARY_TEXT:
        _text(f"summary.{name}", getattr(row, name))
    _text("summary.assignee", row.assignee, optional=True)
    _int("summary.service_version", row.service_version, minimum=1, maximum=INT32_MAX)
    _int("summary.version", row.version, minimum=1)
    for name in _SUMMARY_INSTANTS:
        _instant(f"summary.{name}", getattr(row, name))
    for name in _SUMMARY_OPTIONAL_INSTANTS:
        _instant(f"summary.{name}", getattr(row, name), optional=True)
    _flag("summary.suspended", row.suspended)
    _flag("summary.closed", row.closed)


def check_commit(commit: Commit, /) -> None:
    """Refuse a malformed *commit* with `InvalidStoreInput`, before any I/O.

    Every adapter calls this first in `onestop.ports.events.EventStore.commit`.  A commit needs
    events; its expected version is an integer from 0 that leaves room for them below
    2**63; its summary belongs to its stream and holds the stream's version after it;
    and every integer, text, instant and byte string in it is one every store keeps
    (see the module's docstring), in the summary, the events, the idempotency record
    and the counter claim alike.

    Raises:
        InvalidStoreInput: Naming the first field at fault (``expected_version``,
            ``summary.assignee``, ``events[1].body``, ...).
    """
    _record(commit, Commit, "commit")
    events = _events("events", commit.events)
    start = _after_events("expected_version", commit.expected_version, len(events))
    _text("stream_id", commit.stream_id)
    _instant("recorded_at", commit.recorded_at)
    _record(commit.summary, Summary, "summary")
    _summary(commit.summary)
    if commit.summary.stream_id != commit.stream_id:
        _fail("summary.stream_id", "the summary belongs to another stream")
    if commit.summary.version != start + len(events):
        _fail("summary.version", "must be the stream's version after the commit")
    key = commit.idempotency
    if key is not None:
        _record(key, IdempotencyRecord, "idempotency")
        _text("idempotency.key", key.key)
        _text("idempotency.stream_id", key.stream_id)
        _text("idempotency.request_digest", key.request_digest)
        _instant("idempotency.recorded_at", key.recorded_at)
    claim = commit.sequence
    if claim is not None:
        _record(claim, SequenceClaim, "sequence")
        _text("sequence.name", claim.name)
        _int("sequence.value", claim.value, minimum=1)


def check_batch(batch: Batch, /) -> None:
    """Refuse a malformed *batch* with `InvalidStoreInput`, before any I/O.

    Every adapter calls this first in `onestop.ports.events.BatchStore.commit_batch`: a batch
    needs at least one append, names each stream once, gives each append events and
    an expected version with room for them (as `check_commit` does), and carries a
    timezone-aware instant.

    Raises:
        InvalidStoreInput: Naming the first field at fault (``appends[1].stream_id``).
    """
    _record(batch, Batch, "batch")
    appends = batch.appends
    if not isinstance(appends, tuple | list):
        _fail("appends", f"expected a tuple of appends, not {kind_of(appends)}")
    if not appends:
        _fail("appends", "a batch needs at least one append")
    seen: set[str] = set()
    for index, append in enumerate(appends):
        at = f"appends[{index}]"
        _record(append, Append, at)
        _text(f"{at}.stream_id", append.stream_id)
        if append.stream_id in seen:
            _fail(f"{at}.stream_id", "a batch names each stream once")
        seen.add(append.stream_id)
        events = _events(f"{at}.events", append.events)
        _after_events(f"{at}.expected_version", append.expected_version, len(events))
    _instant("recorded_at", batch.recorded_at)


def check_consumer(consumer: str, /) -> None:
    """Refuse a consumer name that is not text a store keeps (see the module's docstring).

    Every adapter calls this first in `onestop.ports.events.EventStore.record_position`.

    Raises:
        InvalidStoreInput: Naming ``consumer``.
    """
    _text("consumer", consumer)


def check_position(position: int, /) -> int:
    """Return *position* if it is a notification position a store keeps: 0 to 2**63 - 1.

    Raises:
        InvalidStoreInput: Naming ``position``.
    """
    return _int("position", position)


def read_after(after: int, /, *, field: str = "after") -> int:
    """Return *after*, a version or position to read after, clamped to ``0..2**63 - 1``.

    Every integer is a fair question (nothing lies above 2**63 - 1, everything above
    -1), but only an integer: a `bool` or anything else is refused.

    Raises:
        InvalidStoreInput: If *after* is not an `int`, or is a `bool`.
    """
    return min(max(_whole(field, after), 0), INT64_MAX)


def notification_window(after: int, limit: int, /) -> tuple[int, int]:
    """Return the *after* and *limit* of `onestop.ports.events.EventStore.notifications`, checked.

    *after* is clamped as by `read_after`; *limit* must be an integer from 1, and is
    clamped to 2**63 - 1.

    Raises:
        InvalidStoreInput: Naming ``after`` or ``limit``.
    """
    start = read_after(after)
    if _whole("limit", limit) < 1:
        _fail("limit", "must be at least 1")
    return start, min(limit, INT64_MAX)


def _filter(field: str, values: object) -> tuple[str, ...] | None:
    if values is None:
        return None
    if not isinstance(values, tuple | list | set | frozenset):
        _fail(field, f"expected a tuple of text, not {kind_of(values)}")
    kept: list[str] = []
    for index, value in enumerate(values):
        if not isinstance(value, str):
            _fail(f"{field}[{index}]", f"expected text, not {kind_of(value)}")
        if storable_text(value):  # a value no store holds matches no row
            kept.append(value)
    return tuple(kept)


def check_query(query: SummaryQuery, /) -> SummaryQuery:
    """Check *query* and return it as every store can run it, before any I/O.

    Every adapter calls this first in `onestop.ports.events.EventStore.summaries` and runs the
    query it returns: the limit is an integer from 1 to `onestop.ports.events.MAX_PAGE`, the
    order a `onestop.ports.events.SummaryOrder`, the SLA status a
    `onestop.domain.time.sla.SlaStatus` given with ``now``, the instants timezone-aware, the
    filters tuples of text.  A filter value that no store could hold matches no row,
    so it is dropped (an assignee such as that makes the query match nothing), and the
    filters come back as tuples.

    Raises:
        InvalidStoreInput: Naming the attribute at fault (``limit``, ``agencies[2]``,
            ``now``, ...).
    """
    _record(query, SummaryQuery, "query")
    _int("limit", query.limit, minimum=1, maximum=MAX_PAGE)
    if not isinstance(query.order, SummaryOrder):
        _fail("order", f"expected a SummaryOrder, not {kind_of(query.order)}")
    if query.sla is not None and not isinstance(query.sla, SlaStatus):
        _fail("sla", f"expected an SlaStatus, not {kind_of(query.sla)}")
    _flag("include_closed", query.include_closed)
    for name in _QUERY_INSTANTS:
        _instant(name, getattr(query, name), optional=True)
    if query.sla is not None and query.now is None:
        _fail("now", "an sla filter needs now")
    if query.cursor is not None and not isinstance(query.cursor, str):
        _fail("cursor", f"expected the text of a cursor, not {kind_of(query.cursor)}")
    agencies = _filter("agencies", query.agencies)
    services = _filter("services", query.services)
    states = _filter("states", query.states)
    assignee: object = query.assignee
    if assignee is not None and not isinstance(assignee, str):
        _fail("assignee", f"expected text, not {kind_of(assignee)}")
    if assignee is not None and not storable_text(assignee):
        assignee, agencies = None, ()  # no row has such an assignee: match nothing
    return attrs.evolve(
        query, agencies=agencies, services=services, states=states, assignee=assignee
    )
