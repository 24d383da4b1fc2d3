"""Courier jobs, custody ledgers and their links on an event store.

The courier side of the mall keeps three kinds of streams, none of them with a
read-model row (`onestop.ports.events.Summary` describes applications only), all written
with `onestop.ports.events.BatchStore.commit_batch`:

* ``courier-job:<job id>``: a `onestop.domain.courier.jobs.CourierJob`'s events;
* ``packet:<seal id>``: a sealed packet's custody events.  The stored entries *are*
  the ledger's entries: each event's body is `onestop.domain.courier.custody.custody_body`
  and its hash the ledger's chain hash, so `CustodyLedger.verify` and a check of
  the stored chain judge the same bytes (`verify_packet` does both, and compares);
* ``courier:<application id>``: the application's courier index: which jobs and
  packets belong to it, which packet each job carries, the records of the one-time
  codes issued (`onestop.domain.courier.otp.OneTimeCode`, never a code), and the alerts raised
  (its events and `CourierIndex` live in `onestop.usecases.courier.index`, re-exported here).

Every body is the canonical JSON of ``{"stream_id": ..., "event": ...}``, hash-chained
per stream like an application's events.  Bodies of job streams hold the applicant's
address (personal data); notification bodies (`NewEvent.notice`) never do: they
carry ids, kinds, statuses and instants only.

**History is decoded as it was written.**  New commands check every id, code and
text (`onestop.domain.common.formats`); stored events are not checked again when they are
read back, so that streams an earlier release wrote keep loading even where a rule is
stricter now (a courier id with a capital letter, a manifest listing a document
twice).  Decoding rebuilds each value field by field, with the types of its
attributes but without its validators, and `load_ledger` still checks that the
rebuilt events encode to the very bytes the chain hashed.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import cattrs

from onestop.domain.common.audit import (
    ChainReport,
    SealedEntry,
    chain_hash,
    verify_chain,
)
from onestop.domain.common.canonical import canonical_bytes
from onestop.domain.common.formats import check_int
from onestop.domain.common.kinds import check_type
from onestop.domain.common.parties import Personal
from onestop.domain.courier.custody import CUSTODY_EVENT_TYPES, CustodyEvent, CustodyLedger
from onestop.domain.courier.handoffs import items_of
from onestop.domain.courier.jobs import JOB_EVENT_TYPES, CourierJob, JobEvent
from onestop.exceptions import (
    CourierError,
    JobNotFound,
    PacketNotFound,
    StorageError,
)
from onestop.ports.events import Append, EventStore, NewEvent, StoredEvent
from onestop.usecases.courier.index import (
    INDEX_EVENT_CLASSES,
    INDEX_EVENT_TYPES,
    AlertRecorded,
    CodeIssued,
    CourierIndex,
    IndexEvent,
    JobCarries,
    JobLinked,
    PacketLinked,
)

__all__ = [
    "INDEX_EVENT_TYPES",
    "AlertRecorded",
    "CodeIssued",
    "CourierIndex",
    "IndexEvent",
    "JobCarries",
    "JobLinked",
    "PacketLinked",
    "index_append",
    "index_stream",
    "job_append",
    "job_stream",
    "load_index",
    "load_job",
    "load_ledger",
    "packet_append",
    "packet_stream",
    "verify_packet",
]

_Event = TypeVar("_Event")


def job_stream(job_id: str, /) -> str:
    """The stream of courier job *job_id*: ``courier-job:<job id>``.

    Raises:
        onestop.exceptions.InvalidValue: If *job_id* is not text (so are the other
            functions here that take an id).
    """
    check_type(job_id, str, field="job_id")
    return f"courier-job:{job_id}"


def packet_stream(seal_id: str, /) -> str:
    """The custody stream of packet *seal_id*: ``packet:<seal id>``."""
    check_type(seal_id, str, field="seal_id")
    return f"packet:{seal_id}"


def index_stream(application_id: str, /) -> str:
    """The courier index of application *application_id*: ``courier:<application id>``."""
    check_type(application_id, str, field="application_id")
    return f"courier:{application_id}"


# --- encoding and decoding ----------------------------------------------------------------


def _structure_instant(value: Any, _: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError("expected an instant")
    parsed = datetime.fromisoformat(value)
    if parsed.utcoffset() is None:
        raise TypeError("expected an aware instant")
    return parsed


def _structure_decimal(value: Any, _: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TypeError("expected a number")
    return Decimal(value)


def _is_personal(kind: Any) -> bool:
    return bool(typing.get_origin(kind) is Personal or kind is Personal)


def _structure_text(value: Any, _: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected text")
    return value


def _structure_int(value: Any, _: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("expected an integer")
    return value


def _restoring(conv: cattrs.Converter) -> Callable[[type], Callable[[Any, Any], Any]]:
    """Make structure functions that rebuild stored attrs values without their validators.

    Each attribute is structured by its type; the instance is then filled in directly,
    so that rules added since the value was written (`onestop.domain.common.formats`) do not
    stop history from loading.
    """

    def factory(cls: type) -> Callable[[Any, Any], Any]:
        fields = attrs.fields(attrs.resolve_types(cls))

        def structure(value: Any, _: Any) -> Any:
            if not isinstance(value, dict):
                raise TypeError(f"expected an object for {cls.__name__}")
            instance: Any = object.__new__(cls)
            for field in fields:
                if field.init and field.name in value:
                    item = conv.structure(value[field.name], field.type)
                elif isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
                    item = field.default.factory()
                elif field.default is not attrs.NOTHING:
                    item = field.default
                else:
                    raise TypeError(f"{cls.__name__}.{field.name} is missing")
                object.__setattr__(instance, field.name, item)
            return instance

        return structure

    return factory


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_structure_hook(datetime, _structure_instant)
    conv.register_structure_hook(Decimal, _structure_decimal)
    conv.register_structure_hook(str, _structure_text)
    conv.register_structure_hook(int, _structure_int)

    def personal(kind: Any) -> Callable[[Any, Any], Any]:
        (inner,) = typing.get_args(kind) or (str,)
        return lambda value, _: Personal(conv.structure(value, inner))

    conv.register_structure_hook_factory(attrs.has, _restoring(conv))
    conv.register_structure_hook_factory(_is_personal, personal)  # later hooks win
    return conv


_CONVERTER = _make_converter()


def _body(stream_id: str, event: object) -> bytes:
    return canonical_bytes({"stream_id": stream_id, "event": event})


def _decode(record: StoredEvent, types: Mapping[str, type[_Event]], /) -> _Event:
    """Decode a stored body: the envelope must name the record's stream and kind."""
    stream_id, kind = record.stream_id, record.kind
    try:
        envelope = json.loads(record.body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise StorageError(f"a stored event of stream {stream_id!r} is not valid JSON") from None
    if not isinstance(envelope, dict) or envelope.get("stream_id") != stream_id:
        raise StorageError(f"a stored event does not belong to stream {stream_id!r}")
    payload = envelope.get("event")
    if not isinstance(payload, dict):
        raise StorageError(f"a stored event of stream {stream_id!r} holds no event")
    if payload.get("kind") != kind or kind not in types:
        raise StorageError(f"a stored event of stream {stream_id!r} is not of kind {kind!r}")
    fields = {k: v for k, v in payload.items() if k != "kind"}
    try:
        return _CONVERTER.structure(fields, types[kind])
    except Exception:  # noqa: BLE001 - any structuring failure means a corrupt record
        raise StorageError(
            f"a stored {kind!r} event of stream {stream_id!r} does not decode"
        ) from None


def _read(store: EventStore, stream_id: str) -> tuple[StoredEvent, ...]:
    return store.read(stream_id)


def _sealed(
    events: Iterable[tuple[str, bytes, bytes]], *, version: int, head: str
) -> tuple[NewEvent, ...]:
    """Chain ``(kind, body, notice)`` triples after *version*, whose hash is *head*."""
    sealed: list[NewEvent] = []
    for kind, body, notice in events:
        version += 1
        hashed = chain_hash(head, version, body)
        sealed.append(
            NewEvent(kind=kind, body=body, hash=hashed, previous_hash=head, notice=notice)
        )
        head = hashed
    return tuple(sealed)


# --- jobs -------------------------------------------------------------------------------


def load_job(store: EventStore, job_id: str, /) -> tuple[CourierJob, str]:
    """Return courier job *job_id* folded from its stream, and the hash of its last event.

    Raises:
        JobNotFound: If there is no such job.
        StorageError: If a stored event does not decode.
    """
    records = _read(store, job_stream(job_id))
    if not records:
        raise JobNotFound(job_id)
    job = CourierJob.from_events(_decode(r, JOB_EVENT_TYPES) for r in records)
    return job, records[-1].hash


def _job_notice(job: CourierJob, event: JobEvent, version: int) -> bytes:
    return canonical_bytes(
        {
            "application_id": job.application_id,
            "job_id": job.id,
            "job_kind": job.kind,
            "status": job.status,
            "kind": event.kind,
            "version": version,
            "at": event.at,
        }
    )


def _since(value: object, *, version: int) -> int:
    """Check *since*: the version already stored, from 0 to the stream's *version*."""
    return check_int(value, field="since", maximum=version)


def job_append(job: CourierJob, *, since: int, head: str) -> Append:
    """Return the append of *job*'s events after version *since*, chained after *head*.

    Raises:
        onestop.exceptions.InvalidValue: If *job* is not a `CourierJob`, or *since* not
            an integer from 0 to the job's version.
        onestop.exceptions.ChainError: If *head* is not a SHA-256.
    """
    check_type(job, CourierJob, field="job")
    since = _since(since, version=job.version)
    stream = job_stream(job.id)
    triples = []
    state = CourierJob.from_events(job.events[:since]) if since else None
    for version, event in enumerate(job.events[since:], start=since + 1):
        state = CourierJob.from_events((event,)) if state is None else state.apply(event)
        triples.append((event.kind, _body(stream, event), _job_notice(state, event, version)))
    return Append(
        stream_id=stream, expected_version=since, events=_sealed(triples, version=since, head=head)
    )


# --- packets ----------------------------------------------------------------------------


def load_ledger(store: EventStore, seal_id: str, /) -> CustodyLedger:
    """Return packet *seal_id*'s ledger, folded from its stream and checked against it.

    Raises:
        PacketNotFound: If no packet was sealed with this id.
        StorageError: If a stored event does not decode, or the stored chain is not
            the ledger's (`verify_packet` says where); a broken chain is never extended.
    """
    records = _read(store, packet_stream(seal_id))
    if not records:
        raise PacketNotFound(seal_id)
    ledger = _fold_ledger(records)
    if _entries(records) != ledger.entries:
        raise StorageError(f"the stored chain of packet {seal_id!r} is not its ledger's")
    return ledger


def _fold_ledger(records: tuple[StoredEvent, ...]) -> CustodyLedger:
    try:
        return CustodyLedger.from_events(_decode(r, CUSTODY_EVENT_TYPES) for r in records)
    except CourierError:
        raise StorageError(
            f"the stored events of stream {records[0].stream_id!r} do not form a ledger"
        ) from None


def _entries(records: Iterable[StoredEvent]) -> tuple[SealedEntry, ...]:
    return tuple(SealedEntry(r.version, r.body, r.hash, r.previous_hash) for r in records)


def _packet_notice(ledger: CustodyLedger, event: CustodyEvent, version: int) -> bytes:
    notice: dict[str, object] = {
        "application_id": ledger.application_id,
        "seal_id": ledger.seal_id,
        "custodian": ledger.custodian.shown,
        "kind": event.kind,
        "version": version,
        "at": event.at,
    }
    if event.handoff_id is not None:
        notice["handoff_id"] = event.handoff_id
    return canonical_bytes(notice)


def packet_append(ledger: CustodyLedger, *, since: int) -> Append:
    """Return the append of *ledger*'s entries after version *since*, exactly as chained.

    Each stored event is the ledger's own entry: its body, hash and previous hash.

    Raises:
        onestop.exceptions.InvalidValue: If *ledger* is not a `CustodyLedger`, or
            *since* not an integer from 0 to the ledger's version.
    """
    check_type(ledger, CustodyLedger, field="ledger")
    since = _since(since, version=ledger.version)
    events = []
    state = CustodyLedger.from_events(ledger.events[:since]) if since else None
    for index in range(since, ledger.version):
        entry, event = ledger.entries[index], ledger.events[index]
        state = CustodyLedger.from_events((event,)) if state is None else state.apply(event)
        events.append(
            NewEvent(
                kind=event.kind,
                body=entry.body,
                hash=entry.hash,
                previous_hash=entry.previous,
                notice=_packet_notice(state, event, entry.version),
            )
        )
    return Append(
        stream_id=packet_stream(ledger.seal_id), expected_version=since, events=tuple(events)
    )


def verify_packet(store: EventStore, seal_id: str, /) -> ChainReport:
    """Check packet *seal_id*'s stored chain, its ledger's chain, and that they are the same.

    Three checks, the first failure reported: the stored entries form one chain
    (`onestop.domain.common.audit.verify_chain`); the events decode and fold into a ledger
    whose `CustodyLedger.verify` holds; each stored entry equals the ledger's.

    Raises:
        PacketNotFound: If no packet was sealed with this id.
    """
    records = _read(store, packet_stream(seal_id))
    if not records:
        raise PacketNotFound(seal_id)
    stored = _entries(records)
    report = verify_chain(stored)
    if not report.ok:
        return report
    try:
        ledger = _fold_ledger(records)
    except StorageError as exc:
        return ChainReport(ok=False, first_bad=0, version=1, problem=str(exc))
    report = ledger.verify()
    if not report.ok:
        return report
    for index, (mine, theirs) in enumerate(zip(stored, ledger.entries, strict=True)):
        if mine != theirs:
            return ChainReport(
                ok=False,
                first_bad=index,
                version=mine.version,
                problem="the stored entry is not the ledger's entry for its event",
            )
    return report


# --- the index ----------------------------------------------------------------------------


def load_index(store: EventStore, application_id: str, /) -> CourierIndex:
    """Return application *application_id*'s courier index (empty if nothing was booked).

    Raises:
        StorageError: If a stored event does not decode.
    """
    index = CourierIndex(application_id=application_id)
    for record in _read(store, index_stream(application_id)):
        index = index.apply(_decode(record, INDEX_EVENT_TYPES), record.hash)
    return index


def _index_notice(application_id: str, event: IndexEvent, version: int) -> bytes:
    notice: dict[str, object] = {
        "application_id": application_id,
        "kind": event.kind,
        "version": version,
        "at": event.at,
    }
    if isinstance(event, JobLinked):
        notice.update(job_id=event.job_id, job_kind=event.job_kind)
    elif isinstance(event, PacketLinked):
        notice["seal_id"] = event.seal_id
    elif isinstance(event, JobCarries):
        notice.update(job_id=event.job_id, seal_id=event.seal_id)
    elif isinstance(event, CodeIssued):
        notice.update(handoff_id=event.record.handoff_id, expires_at=event.record.expires_at)
        if event.job_id is not None:
            notice["job_id"] = event.job_id
    else:
        notice.update(
            alert=event.alert,
            seal_id=event.seal_id,
            handoff_id=event.handoff_id,
            custodian=event.custodian.shown,
        )
    return canonical_bytes(notice)


def index_append(index: CourierIndex, events: Iterable[IndexEvent]) -> Append:
    """Return the append of *events* to *index*'s stream, chained after its head.

    Raises:
        onestop.exceptions.InvalidValue: If *index* is not a `CourierIndex`, or *events*
            not a list of at most `onestop.domain.courier.handoffs.MAX_ITEMS` index events.
    """
    check_type(index, CourierIndex, field="index")
    events = items_of(events, field="events")  # type: ignore[assignment]  # checked next
    for number, event in enumerate(events):
        check_type(event, INDEX_EVENT_CLASSES, field=f"events[{number}]")
    stream = index_stream(index.application_id)
    triples = [
        (event.kind, _body(stream, event), _index_notice(index.application_id, event, version))
        for version, event in enumerate(events, start=index.version + 1)
    ]
    return Append(
        stream_id=stream,
        expected_version=index.version,
        events=_sealed(triples, version=index.version, head=index.head),
    )
