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
  (its events and `CourierIndex` live in `onestop.domain.courier.index`, re-exported here).

Every stream is one `onestop.usecases.streams.StreamType` (`JOBS`, `PACKETS`,
`INDEXES`), encoded, chained, decoded and verified by the stream core as an
application's stream is.  Bodies of job streams hold the applicant's address
(personal data, sealed under the applicant's subject when the desk has keys);
notification bodies (`NewEvent.notice`) never do: they carry ids,
kinds, statuses and instants only.

**History is decoded as it was written.**  New commands check every id, code and
text (`onestop.domain.common.formats`); stored events are not checked again when they are
read back, so that streams an earlier release wrote keep loading even where a rule is
stricter now (a courier id with a capital letter, a manifest listing a document
twice).  Decoding is strict about types and names the path of a bad field
(`onestop.serialization.restoring`), but rebuilds each value without its
validators, and `load_ledger` still checks that the rebuilt events encode to the
very bytes the chain hashed.  The index's alerts were stored without the
application's id before the two alert events became one
(`onestop.domain.courier.custody_events.AlertRaised`, schema version 2): reading
upcasts them, taking the id from the stream.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import attrs
import cattrs

from onestop.domain.common.audit import ChainReport
from onestop.domain.common.canonical import canonical_bytes
from onestop.domain.common.formats import check_int, preview
from onestop.domain.common.kinds import check_type
from onestop.domain.common.parties import Personal
from onestop.domain.common.subjects import subject_id
from onestop.domain.courier.custody import CUSTODY_EVENT_TYPES, CustodyEvent, CustodyLedger
from onestop.domain.courier.handoffs import items_of
from onestop.domain.courier.index import (
    INDEX_EVENT_CLASSES,
    INDEX_EVENT_TYPES,
    AlertRaised,
    CodeIssued,
    CourierIndex,
    IndexEvent,
    JobCarries,
    JobLinked,
    PacketLinked,
)
from onestop.domain.courier.jobs import JOB_EVENT_TYPES, CourierJob, JobEvent
from onestop.exceptions import (
    CourierError,
    JobNotFound,
    PacketNotFound,
    StorageError,
)
from onestop.ports.events import Append, EventStore, NewEvent
from onestop.ports.keys import PersonalDataKeys
from onestop.serialization import make_converter, restoring
from onestop.usecases import streams
from onestop.usecases.sealing import seal_stored

AlertRecorded = AlertRaised
"""The index's alert event, by its old name: it is `AlertRaised` now (one alert event)."""

__all__ = [
    "INDEXES",
    "INDEX_EVENT_TYPES",
    "JOBS",
    "PACKETS",
    "AlertRaised",
    "AlertRecorded",
    "CodeIssued",
    "CourierIndex",
    "IndexEvent",
    "JobCarries",
    "JobLinked",
    "PacketLinked",
    "index_append",
    "index_events",
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


def job_stream(job_id: str, /) -> str:
    """The stream of courier job *job_id*: ``courier-job:<job id>``.

    Raises:
        onestop.exceptions.InvalidValue: If *job_id* is not text (so are the other
            functions here that take an id).
    """
    check_type(job_id, str, field="job_id")
    return JOBS.stream_id(job_id)


def packet_stream(seal_id: str, /) -> str:
    """The custody stream of packet *seal_id*: ``packet:<seal id>``."""
    check_type(seal_id, str, field="seal_id")
    return PACKETS.stream_id(seal_id)


def index_stream(application_id: str, /) -> str:
    """The courier index of application *application_id*: ``courier:<application id>``."""
    check_type(application_id, str, field="application_id")
    return INDEXES.stream_id(application_id)


# --- the stream types --------------------------------------------------------------------


def _structure_decimal(value: Any, _: Any) -> Decimal:
    """A stored coordinate: a number, read exactly (`Decimal`), never a boolean or text."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TypeError("expected a number")
    return Decimal(value)


def _make_converter() -> cattrs.Converter:
    conv = restoring(streams.register_personal(make_converter()))
    conv.register_structure_hook(Decimal, _structure_decimal)
    return conv


_CONVERTER = _make_converter()


def _itself(event: object) -> object:
    return event


def _sealed_fields(event: object) -> object:
    """A job event as stored: itself, or its attributes with each `Personal` one sealed.

    The table has the attributes the canonical encoding of the event would have, so
    without keys (`onestop.usecases.sealing.seal_stored` gives the value itself) the
    bytes are the event's own.
    """
    fields: tuple[attrs.Attribute[Any], ...] = attrs.fields(type(event))  # type: ignore[arg-type]
    pairs = [(a.name, getattr(event, a.name)) for a in fields if a.eq]
    if not any(isinstance(value, Personal) for _, value in pairs):
        return event
    return {
        name: seal_stored(value.reveal()) if isinstance(value, Personal) else value
        for name, value in pairs
    }


def _fold_ledger(stream_id: str, events: Iterator[CustodyEvent]) -> CustodyLedger:
    try:
        return CustodyLedger.from_events(events)
    except CourierError:
        raise StorageError(
            f"the stored events of stream {preview(stream_id)} do not form a ledger"
        ) from None


def _fold_index(stream_id: str, events: Iterator[IndexEvent]) -> CourierIndex:
    index = CourierIndex(application_id=stream_id.removeprefix(INDEXES.prefix))
    for event in events:
        index = index.apply(event)
    return index


def _alert_with_application(fields: dict[str, Any], stream_id: str) -> dict[str, Any]:
    """Upcast an index alert of schema version 1: add the application's id, from the stream."""
    return {**fields, "application_id": stream_id.removeprefix(INDEXES.prefix)}


def _courier(
    name: str, prefix: str, types: Any, fold: Any, **options: Any
) -> streams.StreamType[Any, Any]:
    """A courier stream type: its events are stored as they are, read by `_CONVERTER`."""
    options.setdefault("payload", _itself)
    return streams.StreamType(
        name=name, prefix=prefix, event_types=types, converter=_CONVERTER, fold=fold, **options
    )


JOBS: streams.StreamType[JobEvent, CourierJob] = _courier(
    "courier job",
    "courier-job:",
    JOB_EVENT_TYPES,
    streams.folding(CourierJob),
    missing=JobNotFound,
    payload=_sealed_fields,
)
"""Courier job streams, ``courier-job:<job id>``, folded into `CourierJob`."""

PACKETS: streams.StreamType[CustodyEvent, CustodyLedger] = _courier(
    "custody ledger", "packet:", CUSTODY_EVENT_TYPES, _fold_ledger, missing=PacketNotFound
)
"""Custody streams, ``packet:<seal id>``, folded into `CustodyLedger`."""

INDEXES: streams.StreamType[IndexEvent, CourierIndex] = _courier(
    "courier index",
    "courier:",
    INDEX_EVENT_TYPES,
    _fold_index,
    upcasters={("alert_raised", 1): _alert_with_application},
)
"""Courier index streams, ``courier:<application id>``, folded into `CourierIndex`.

An empty one folds into an empty index; alerts of schema version 1 are upcast.
"""


# --- jobs -------------------------------------------------------------------------------


def load_job(
    store: EventStore, job_id: str, /, *, keys: PersonalDataKeys | None = None
) -> tuple[CourierJob, str]:
    """Return courier job *job_id* folded from its stream, and the hash of its last event.

    A sealed address is opened with *keys* (withheld without, erased after erasure).

    Raises:
        JobNotFound: If there is no such job.
        StorageError: If a stored event does not decode.
    """
    job_stream(job_id)
    return streams.load(store, JOBS, job_id, keys=keys)


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


def job_append(
    job: CourierJob, *, since: int, head: str, keys: PersonalDataKeys | None = None
) -> Append:
    """Return the append of *job*'s events after version *since*, chained after *head*.

    With *keys* the address is sealed under the application's applicant subject
    (`onestop.usecases.sealing.subject_id`), as the application's own data is.

    Raises:
        onestop.exceptions.InvalidValue: If *job* is not a `CourierJob`, or *since* not
            an integer from 0 to the job's version.
        onestop.exceptions.ChainError: If *head* is not a SHA-256.
    """
    check_type(job, CourierJob, field="job")
    since = _since(since, version=job.version)
    stream = job_stream(job.id)
    subject = subject_id(job.application_id) if keys is not None else None
    triples = []
    state = CourierJob.from_events(job.events[:since]) if since else None
    for version, event in enumerate(job.events[since:], start=since + 1):
        state = CourierJob.from_events((event,)) if state is None else state.apply(event)
        body = streams.encode(JOBS, stream, event, keys=keys, subject=subject)
        triples.append((event.kind, body, _job_notice(state, event, version)))
    return Append(
        stream_id=stream,
        expected_version=since,
        events=streams.chain(triples, version=since, head=head),
    )


# --- packets ----------------------------------------------------------------------------


def load_ledger(store: EventStore, seal_id: str, /) -> CustodyLedger:
    """Return packet *seal_id*'s ledger, folded from its stream and checked against it.

    Raises:
        PacketNotFound: If no packet was sealed with this id.
        StorageError: If a stored event does not decode, or the stored chain is not
            the ledger's (`verify_packet` says where); a broken chain is never extended.
    """
    records = store.read(packet_stream(seal_id))
    if not records:
        raise PacketNotFound(seal_id)
    ledger = PACKETS.fold(
        records[0].stream_id, streams.events_of(PACKETS, records[0].stream_id, records)
    )
    if streams.entries(records) != ledger.entries:
        raise StorageError(f"the stored chain of packet {preview(seal_id)} is not its ledger's")
    return ledger


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
    stream_id = packet_stream(seal_id)
    records = store.read(stream_id)
    if not records:
        raise PacketNotFound(seal_id)
    stored = streams.entries(records)
    report = streams.audit(PACKETS, stream_id, records)
    if not report.ok:
        return report
    ledger = PACKETS.fold(stream_id, streams.events_of(PACKETS, stream_id, records))
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
    index, head = streams.load(store, INDEXES, application_id)
    return attrs.evolve(index, head=head)


def index_events(store: EventStore, application_id: str, /) -> tuple[IndexEvent, ...]:
    """Return the events of application *application_id*'s courier index, oldest first.

    Old shapes are upcast (an alert of schema version 1 gains the application's id).

    Raises:
        StorageError: If a stored event does not decode.
        onestop.exceptions.InvalidValue: If *application_id* is not text.
    """
    stream_id = index_stream(application_id)
    return tuple(streams.events_of(INDEXES, stream_id, store.read(stream_id)))


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
        (
            event.kind,
            streams.encode(INDEXES, stream, event),
            _index_notice(index.application_id, event, version),
        )
        for version, event in enumerate(events, start=index.version + 1)
    ]
    return Append(
        stream_id=stream,
        expected_version=index.version,
        events=streams.chain(triples, version=index.version, head=index.head),
    )
