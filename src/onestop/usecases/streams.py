"""One event-stream core for every aggregate: encode, chain, decode, upcast, load and verify.

Every aggregate the mall keeps (applications, courier jobs, custody ledgers, the
courier index of an application) is a stream of events in an
`onestop.ports.events.EventStore`, and each is written and read here, the same way:

* **encode**: an event's stored body is `onestop.domain.common.audit.event_body`, the
  canonical JSON of ``{"stream_id": ..., "event": ...}`` (and ``"schema": n`` for a
  shape at schema version *n* above 1), so equal events in the same stream give equal
  bytes and an event copied into another stream no longer verifies;
* **chain**: `chain` seals the bodies after the stream's head with
  `onestop.domain.common.audit.extend_chain`, the one chain loop, over
  `onestop.domain.common.audit.chain_hash`, the one chain function;
* **decode**: `decode` checks the envelope, upcasts an old shape to the current one and
  structures it with a strict converter (`onestop.serialization.make_converter`); an
  error names the paths of the bad fields, never their values;
* **load** and **verify**: `load` folds a stream into its aggregate, `verify` checks its
  chain, `audit` both.

What differs from one aggregate to the next is described by a `StreamType`: its stream
ids, its event classes by kind, its converter, what it stores of an event, how its
events fold, and its upcasters.

**Personal data is sealed.**  Given `onestop.ports.keys.PersonalDataKeys`, `encode`
stores every `onestop.domain.common.parties.Personal` value sealed under its data
subject's key (``{"$sealed": {"subject": S, "token": T}}``, `onestop.usecases.sealing`
says how), and `decode`, `load`, `events_of` and `audit` open them with the keys they
are given.  The keys seal deterministically, so a stored body stays a function of the
event and the keys; the hash chain covers the sealed bytes, so destroying a subject's
key (erasure) never breaks a chain.  A value whose subject was erased reads as
`Personal.erased`; without keys every sealed value reads as `Personal.withheld`, so a
chain is verified and folded without any key.  A body with no sealed value (a store
written before, or by a mall without keys) reads as it always did.

**Schema versions.**  An event class carries the version of its stored shape as
``SCHEMA_VERSION`` (1 when it has none: `schema_version`).  Bodies written before
versions existed hold no ``"schema"`` key and are version 1.  When a shape changes,
its class's version goes up and its `StreamType` registers an upcaster from the old
version, keyed by kind and version: a function that takes the stored fields (a
table) and the stream id and returns the fields of the next version.  Reading applies
them one by one up to the current version, so old streams are read as today's events
while their stored bytes, and so their hash chains, never change.  A body from a newer
release than this one (a version above the current) is refused, not guessed at.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Generic, Protocol, Self, TypeVar, runtime_checkable

import attrs
import cattrs

from onestop.domain.common.audit import (
    GENESIS,
    ChainReport,
    SealedEntry,
    event_body,
    extend_chain,
    verify_chain,
)
from onestop.domain.common.formats import kind_of, preview
from onestop.domain.common.kinds import check_type, type_validator
from onestop.exceptions import InvalidValue, KeyUnavailable, OnestopError, StorageError
from onestop.ports.events import EventStore, NewEvent, StoredEvent
from onestop.ports.keys import PersonalDataKeys
from onestop.serialization import problems_from, restoring
from onestop.usecases.sealing import (
    check_keys,
    opening_scope,
    register_personal,
    sealing_scope,
)

__all__ = [
    "Aggregate",
    "StreamType",
    "Upcaster",
    "audit",
    "chain",
    "decode",
    "encode",
    "entries",
    "events_of",
    "folding",
    "load",
    "register_personal",
    "restoring",
    "schema_version",
    "verify",
]

EventT = TypeVar("EventT")
"""The event type of a stream type."""

AggregateT = TypeVar("AggregateT")
"""The aggregate a stream type folds its events into."""

Upcaster = Callable[[dict[str, Any], str], dict[str, Any]]
"""Turns the stored fields of one schema version into the next's, given the stream id."""


@runtime_checkable
class Aggregate(Protocol):
    """What a stream folds into: built from its first events, and moved on by each next one.

    `onestop.domain.applications.application.Application`,
    `onestop.domain.courier.jobs.CourierJob` and
    `onestop.domain.courier.custody.CustodyLedger` are aggregates; the courier index
    starts empty instead (`onestop.domain.courier.index.CourierIndex`).
    """

    @classmethod
    def from_events(cls, events: Iterable[Any], /) -> Self:
        """Fold *events*, oldest first, into a new aggregate."""

    def apply(self, event: Any, /) -> Self:
        """Return the aggregate after *event*."""


def folding(aggregate: type[Aggregate], /) -> Callable[[str, Iterator[Any]], Any]:
    """The *fold* of a `StreamType` whose events fold by *aggregate*'s ``from_events``.

    Raises:
        onestop.exceptions.InvalidValue: If *aggregate* is not a class with
            ``from_events`` and ``apply``.
    """
    given: object = aggregate
    if not (isinstance(given, type) and issubclass(given, Aggregate)):
        reason = f"must be a class with from_events and apply, not {kind_of(aggregate)}"
        raise InvalidValue(field="aggregate", reason=reason)
    from_events = aggregate.from_events

    def fold(_: str, events: Iterator[Any], /) -> Any:
        return from_events(events)

    return fold


def schema_version(event_type: type, /) -> int:
    """The schema version of *event_type*'s stored shape: its ``SCHEMA_VERSION``, or 1."""
    version = getattr(event_type, "SCHEMA_VERSION", 1)
    return version if isinstance(version, int) and not isinstance(version, bool) else 1


def _callable(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None and attribute.name == "missing":
        return
    if not callable(value):
        raise InvalidValue(field=attribute.name, reason=f"must be callable, not {kind_of(value)}")


def _event_types(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_type(value, Mapping, field=attribute.name)
    for kind, cls in value.items():  # type: ignore[attr-defined]  # a mapping
        if not isinstance(kind, str) or not isinstance(cls, type):
            reason = f"maps kinds to classes, not {kind_of(kind)} to {kind_of(cls)}"
            raise InvalidValue(field=attribute.name, reason=reason)


def _upcasters(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_type(value, Mapping, field=attribute.name)
    for key, step in value.items():  # type: ignore[attr-defined]  # a mapping
        if not (
            isinstance(key, tuple)
            and len(key) == 2
            and isinstance(key[0], str)
            and type(key[1]) is int
            and callable(step)
        ):
            reason = f"maps (kind, version) pairs to upcasters, not {kind_of(key)}"
            raise InvalidValue(field=attribute.name, reason=reason)


@attrs.frozen(kw_only=True)
class StreamType(Generic[EventT, AggregateT]):
    """One kind of stream: how its events are stored, read back and folded.

    Attributes:
        name: What its aggregate is called in messages (``"courier job"``).
        prefix: What its stream ids start with before the aggregate's id
            (``"courier-job:"``; empty for applications).
        event_types: Each event class by its ``kind`` tag.
        converter: The strict converter that structures its stored events.
        payload: What is stored of an event: the table or attrs value the envelope
            holds under ``"event"``.
        fold: Folds the stream id's decoded events, oldest first, into the aggregate.
        missing: The error for a stream with no events, given the aggregate's id;
            ``None`` when an empty stream folds too (the courier index).
        upcasters: The upcaster from each old schema version, by kind and version;
            every version below a kind's current one must have one.

    Raises:
        onestop.exceptions.InvalidValue: If an attribute is of the wrong type, or an
            upcaster is missing.
    """

    name: str = attrs.field(validator=type_validator(str))
    prefix: str = attrs.field(validator=type_validator(str))
    event_types: Mapping[str, type[EventT]] = attrs.field(validator=_event_types)
    converter: cattrs.Converter = attrs.field(
        repr=False, validator=type_validator(cattrs.Converter)
    )
    payload: Callable[[EventT], object] = attrs.field(repr=False, validator=_callable)
    fold: Callable[[str, Iterator[EventT]], AggregateT] = attrs.field(
        repr=False, validator=_callable
    )
    missing: Callable[[str], Exception] | None = attrs.field(
        default=None, repr=False, validator=_callable
    )
    upcasters: Mapping[tuple[str, int], Upcaster] = attrs.field(
        factory=lambda: MappingProxyType({}), repr=False, validator=_upcasters
    )

    def __attrs_post_init__(self) -> None:
        """Check that every old schema version of every kind has its upcaster."""
        for kind, cls in self.event_types.items():
            for version in range(1, schema_version(cls)):
                if (kind, version) not in self.upcasters:
                    reason = f"lack one for {preview(kind)} from version {version}"
                    raise InvalidValue(field="upcasters", reason=reason)

    def stream_id(self, key: str, /) -> str:
        """The stream of the aggregate *key*: its prefix, then the key.

        Raises:
            onestop.exceptions.InvalidValue: If *key* is not text.
        """
        check_type(key, str, field="key")
        return f"{self.prefix}{key}"


def encode(
    stream: StreamType[EventT, Any],
    stream_id: str,
    event: EventT,
    /,
    *,
    keys: PersonalDataKeys | None = None,
    subject: str | None = None,
) -> bytes:
    """Return the stored body of *event* in *stream_id*, at its class's schema version.

    Args:
        stream: The stream type.
        stream_id: The stream the event is stored in.
        event: One of the stream type's events.
        keys: Seal personal values with these keys; ``None`` stores them in plain
            text, as releases before sealing did.
        subject: The data subject of the event's personal values
            (``"<application_id>/applicant"``); needed with *keys*.  A
            representative's person is sealed under the ``representative`` subject
            of the same application instead.

    Raises:
        onestop.exceptions.NotCanonical: If the event holds a value with no canonical
            encoding.
        onestop.exceptions.PersonalDataErased: If a personal value of the event was
            erased (history is never encoded again), or the keys refuse an erased
            subject.
        onestop.exceptions.KeyUnavailable: If the keys cannot seal.
        onestop.exceptions.InvalidValue: If *event* is not one of the stream type's
            events, *subject* is missing with keys, or an argument is of the wrong type.
    """
    check_type(stream, StreamType, field="stream")
    check_type(stream_id, str, field="stream_id")
    check_type(event, tuple(stream.event_types.values()), field="event")
    keys = check_keys(keys)
    if keys is not None and subject is None:
        raise InvalidValue(field="subject", reason="is needed to seal personal values with keys")
    with sealing_scope(keys, stream_id=stream_id, subject=subject):
        payload = stream.payload(event)
    return event_body(stream_id, payload, schema=schema_version(type(event)))


def chain(
    sealed: Iterable[tuple[str, bytes, bytes]], /, *, version: int, head: str
) -> tuple[NewEvent, ...]:
    """Seal ``(kind, body, notice)`` triples after the entry at *version*, whose hash is *head*.

    Every append of every stream is chained here, through
    `onestop.domain.common.audit.extend_chain`.

    Raises:
        onestop.exceptions.ChainError: If *head* is not a SHA-256 or *version* not an
            integer from 0.
        onestop.exceptions.InvalidValue: If *sealed* does not hold such triples.
    """
    check_type(sealed, Iterable, field="sealed")
    triples: list[tuple[str, bytes, bytes]] = []
    given: Iterable[object] = sealed
    for index, triple in enumerate(given):
        if not (
            isinstance(triple, tuple)
            and len(triple) == 3
            and isinstance(triple[0], str)
            and all(isinstance(part, bytes) for part in triple[1:])
        ):
            reason = f"expected a (kind, body, notice) triple, not {kind_of(triple)}"
            raise InvalidValue(field=f"sealed[{index}]", reason=reason)
        triples.append(triple)
    linked = extend_chain((body for _, body, _ in triples), version=version, head=head)
    return tuple(
        NewEvent(
            kind=kind, body=entry.body, hash=entry.hash, previous_hash=entry.previous, notice=n
        )
        for (kind, _, n), entry in zip(triples, linked, strict=True)
    )


_JSON = json.JSONDecoder(parse_float=Decimal)
"""Reads stored bodies, fractions as `Decimal`; one decoder, not one per `json.loads` call."""


def _refuse(stream_id: str, what: str) -> StorageError:
    return StorageError(f"a stored event of stream {preview(stream_id)} {what}")


def decode(
    stream: StreamType[EventT, Any],
    stream_id: str,
    kind: str,
    body: bytes,
    /,
    *,
    keys: PersonalDataKeys | None = None,
) -> EventT:
    """Decode *body*, a stored event of *kind* in *stream_id*, upcast to today's shape.

    Numbers are read exactly (a JSON fraction as a `Decimal`, as the canonical encoding
    wrote it); then the fields are upcast from the stored schema version to the
    current one, and structured by the stream type's strict converter.  Sealed
    personal values are opened with *keys*: an erased subject's read as
    `Personal.erased`, and every one as `Personal.withheld` without keys.

    Raises:
        onestop.exceptions.KeyUnavailable: If the keys cannot open a sealed value
            (a master key is missing, say).
        StorageError: If the body is not JSON, belongs to another stream, does not hold
            an event of *kind*, was written by a newer release (its schema version is
            above this one's), or does not decode; the message names paths, never
            values.
        onestop.exceptions.InvalidValue: If *stream* is not a `StreamType`, or the
            stream id or kind not text.
    """
    if not (isinstance(stream, StreamType) and isinstance(stream_id, str) and type(kind) is str):  # type: ignore[redundant-expr]
        check_type(stream, StreamType, field="stream")
        check_type(stream_id, str, field="stream_id")
        check_type(kind, str, field="kind")
    keys = check_keys(keys)
    try:
        envelope = _JSON.decode(body.decode("utf-8"))  # canonical bodies are UTF-8
    except (ValueError, TypeError, AttributeError, RecursionError):  # not JSON or bytes, too deep
        raise _refuse(stream_id, "is not valid JSON") from None
    if not isinstance(envelope, dict) or envelope.get("stream_id") != stream_id:
        raise StorageError(f"a stored event does not belong to stream {preview(stream_id)}")
    payload = envelope.get("event")
    if not isinstance(payload, dict) or payload.get("kind") != kind:
        raise _refuse(stream_id, f"is not of kind {preview(kind)}")
    if kind not in stream.event_types:
        raise _refuse(stream_id, f"is of kind {preview(kind)}, which no {stream.name} holds")
    event_type = stream.event_types[kind]
    fields = _upcast(stream, stream_id, kind, envelope.get("schema", 1), payload)
    try:
        with opening_scope(keys, stream_id=stream_id):
            return stream.converter.structure(fields, event_type)
    except Exception as exc:  # noqa: BLE001 - any structuring failure means a corrupt record
        unavailable = _key_failure(exc)
        if unavailable is not None:  # the keys are at fault, not the record
            raise unavailable from None
        paths = ", ".join(sorted({p.path or "(event)" for p in problems_from(exc)})[:5])
        raise StorageError(
            f"a stored {preview(kind)} event of stream {preview(stream_id)} "
            f"does not decode (at {paths})"
        ) from None


def _key_failure(exc: BaseException) -> KeyUnavailable | None:
    """The first `KeyUnavailable` in *exc*, or in the groups cattrs collects errors in."""
    if isinstance(exc, KeyUnavailable):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _key_failure(inner)
            if found is not None:
                return found
    return None


def _upcast(
    stream: StreamType[Any, Any], stream_id: str, kind: str, stored: object, payload: dict[str, Any]
) -> dict[str, Any]:
    current = schema_version(stream.event_types[kind])
    if stored == current == 1 and type(stored) is int:  # today's shape, the usual case
        return {k: v for k, v in payload.items() if k != "kind"}
    if isinstance(stored, bool) or not isinstance(stored, int) or not 1 <= stored <= current:
        raise _refuse(
            stream_id,
            f"has schema version {preview(stored)}; this release reads {preview(kind)} "
            f"events up to version {current}",
        )
    fields = {k: v for k, v in payload.items() if k != "kind"}
    for version in range(stored, current):  # each one is there: StreamType checks it
        fields = stream.upcasters[(kind, version)](fields, stream_id)
    return fields


def events_of(
    stream: StreamType[EventT, Any],
    stream_id: str,
    records: Iterable[StoredEvent],
    /,
    *,
    keys: PersonalDataKeys | None = None,
) -> Iterator[EventT]:
    """Decode stored *records* of *stream_id*, oldest first, as `decode` does (with *keys*).

    Raises:
        StorageError: If a record does not decode, or belongs to another stream.
        onestop.exceptions.InvalidValue: If an argument is of the wrong type, or a record
            not a `StoredEvent` (when the iterator reaches it).
    """
    check_type(stream, StreamType, field="stream")
    check_type(stream_id, str, field="stream_id")
    check_type(records, Iterable, field="records")
    return _decoded(stream, stream_id, records, check_keys(keys))


def _decoded(
    stream: StreamType[EventT, Any],
    stream_id: str,
    records: Iterable[StoredEvent],
    keys: PersonalDataKeys | None,
) -> Iterator[EventT]:
    for index, record in enumerate(records):
        check_type(record, StoredEvent, field=f"records[{index}]")
        yield decode(stream, stream_id, record.kind, record.body, keys=keys)


def load(
    store: EventStore,
    stream: StreamType[Any, AggregateT],
    key: str,
    /,
    *,
    keys: PersonalDataKeys | None = None,
) -> tuple[AggregateT, str]:
    """Fold the stream of aggregate *key* into the aggregate; return it and the head's hash.

    The head is `onestop.domain.common.audit.GENESIS` for an empty stream.  Sealed
    personal values are opened with *keys*, as `decode` says.

    Raises:
        Exception: The stream type's *missing* error if the stream is empty and the
            type has one (`onestop.exceptions.JobNotFound`, say).
        StorageError: If a stored event does not decode.
        onestop.exceptions.InvalidValue: If *stream* is not a `StreamType` or *key* not
            text.
    """
    check_type(stream, StreamType, field="stream")
    stream_id = stream.stream_id(key)
    keys = check_keys(keys)
    records = store.read(stream_id)
    if not records and stream.missing is not None:
        raise stream.missing(key)
    folded = stream.fold(stream_id, events_of(stream, stream_id, records, keys=keys))
    return folded, records[-1].hash if records else GENESIS


def entries(records: Iterable[StoredEvent], /) -> tuple[SealedEntry, ...]:
    """The chain entries of stored *records*: version, body, hash and previous hash.

    Raises:
        onestop.exceptions.InvalidValue: If *records* are not `StoredEvent` values.
    """
    check_type(records, Iterable, field="records")
    records = [
        check_type(record, StoredEvent, field=f"records[{index}]")
        for index, record in enumerate(records)
    ]
    return tuple(SealedEntry(r.version, r.body, r.hash, r.previous_hash) for r in records)


def verify(records: Sequence[StoredEvent], /) -> ChainReport:
    """Check the hash chain of stored *records*; the report names the first bad entry.

    Raises:
        onestop.exceptions.InvalidValue: If *records* are not `StoredEvent` values.
    """
    return verify_chain(entries(records))


def audit(
    stream: StreamType[Any, Any],
    stream_id: str,
    records: Sequence[StoredEvent],
    /,
    *,
    keys: PersonalDataKeys | None = None,
) -> ChainReport:
    """Check the stored *records* of *stream_id*: their chain, then that they decode and fold.

    A failure to decode or fold is reported (at the event that does not decode, or at
    the first for a fold), never raised.  Without *keys* sealed personal values are
    not opened (they read as withheld): a sealed stream is audited without any key.

    Raises:
        onestop.exceptions.KeyUnavailable: If *keys* are given and cannot open a value.
        onestop.exceptions.InvalidValue: If an argument is of the wrong type.
    """
    check_type(stream, StreamType, field="stream")
    check_type(stream_id, str, field="stream_id")
    keys = check_keys(keys)
    report = verify(records)
    if not report.ok:
        return report
    events = []
    for index, record in enumerate(records):
        try:
            events.append(decode(stream, stream_id, record.kind, record.body, keys=keys))
        except KeyUnavailable:
            raise
        except OnestopError as exc:
            problem = f"the event does not decode: {exc}"
            return ChainReport(ok=False, first_bad=index, version=record.version, problem=problem)
    try:
        stream.fold(stream_id, iter(events))
    except OnestopError as exc:
        problem = f"the events do not fold into a {stream.name}: {exc}"
        return ChainReport(ok=False, first_bad=0, version=1 if records else 0, problem=problem)
    return report
