"""Courier jobs and custody together: collecting, handing over, tracking, dwell time.

This is where a `CourierJob` (`onestop.domain.courier.jobs`) meets a packet's
`CustodyLedger` (`onestop.domain.courier.custody`):

* `collect` is a successful pickup: the assigned courier seals the documents at the
  door, confirmed by the citizen's one-time code, and the job starts;
* `hand_over` transfers a packet and moves its job along;
* `tracking_status` tells the citizen where things stand, as one of nine normalised
  `TrackingStatus` values (the shape parcel trackers such as AfterShip use), with
  labels in Indonesian, English and Khmer (`tracking_label`).  It is kept apart from
  the application's workflow status: a permit can be ``approved`` while its packet is
  ``out_for_delivery``;
* `dwell_times` measures how long each custodian held a packet, for the SLA report.

Each function returns new values and the events to record; it changes nothing it
is given.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType

import attrs

from onestop.domain.common.formats import KEY, SHA256_HEX, kind_of
from onestop.domain.common.kinds import check_instant, check_member, check_type
from onestop.domain.common.text import LocalizedText, is_language_tag
from onestop.domain.courier.custody import (
    AlertRaised,
    CustodyEvent,
    CustodyLedger,
    HandedOver,
    MismatchRecorded,
    seal,
    transfer,
)
from onestop.domain.courier.handoffs import Confirmation, Handoff, Packet, Party, PartyKind, Place
from onestop.domain.courier.jobs import (
    Attempt,
    AttemptOutcome,
    AttemptRecorded,
    CourierJob,
    JobCompleted,
    JobEvent,
    JobKind,
    JobReturned,
    JobStarted,
    JobStatus,
)
from onestop.domain.time.calendar import WorkCalendar
from onestop.exceptions import CourierNotAssigned, HandoffRefused, InvalidValue, JobRefused

__all__ = [
    "MAX_WORKING_SPAN",
    "TRACKING_LABELS",
    "CourierStep",
    "Dwell",
    "TrackingStatus",
    "collect",
    "dwell_times",
    "hand_over",
    "tracking_label",
    "tracking_status",
]

_CLOSED = frozenset({JobStatus.COMPLETED, JobStatus.RETURNED})


def _refuse(job: CourierJob, command: str, reason: str) -> JobRefused:
    return JobRefused(job_id=job.id, command=command, status=job.status.value, reason=reason)


@attrs.frozen(kw_only=True)
class CourierStep:
    """What `collect` and `hand_over` return: new values and the events to record.

    Attributes:
        ledger: The packet's ledger afterwards.
        job: The job afterwards, if a job was involved.
        accepted: Whether custody passed (``False`` on a manifest mismatch).
        custody_events: To append to the packet's stream (``packet:<seal id>``).
        job_events: To append to the job's stream.
        alerts: Notifications to send now (`AlertRaised`); not part of any stream.
    """

    ledger: CustodyLedger
    job: CourierJob | None
    accepted: bool
    custody_events: tuple[CustodyEvent, ...]
    job_events: tuple[JobEvent, ...] = ()
    alerts: tuple[AlertRaised, ...] = ()


def collect(
    job: CourierJob,
    packet: Packet,
    /,
    *,
    handoff_id: str,
    citizen: Confirmation,
    courier: Confirmation,
    at: datetime,
    proof_sha256: str,
    otp_key: bytes,
    place: Place | None = None,
) -> CourierStep:
    """Collect the documents at the door: the courier seals *packet* and holds it.

    The citizen confirms with the one-time code issued for *handoff_id* of this
    application; the courier with a verified PIN or credential.  The job records a
    successful visit and starts.

    Raises:
        onestop.exceptions.JobRefused: If the job is not an assigned pickup.
        onestop.exceptions.CourierNotAssigned: If *courier* is not the job's courier.
        onestop.exceptions.CustodyError: If a confirmation does not hold (a code
            problem raises a `CodeRejected` subclass).
        onestop.exceptions.InvalidValue: If an argument is of the wrong type or format.
    """
    check_type(job, CourierJob, field="job")
    check_type(packet, Packet, field="packet")
    KEY.check(handoff_id, field="handoff_id")
    check_type(citizen, Confirmation, field="citizen")
    check_type(courier, Confirmation, field="courier")
    check_instant(at, field="at")
    proof: object = proof_sha256
    SHA256_HEX.check(proof.lower() if isinstance(proof, str) else proof, field="proof_sha256")
    check_type(otp_key, bytes, field="otp_key")
    check_type(place, (Place, type(None)), field="place")
    if job.kind is not JobKind.PICKUP or job.status is not JobStatus.ASSIGNED:
        raise _refuse(job, "collect", "only an assigned pickup collects documents")
    party = courier.party
    if party.kind is not PartyKind.COURIER or party.id != job.courier_id:
        raise CourierNotAssigned(courier_id=party.id, job_id=job.id)
    job.check_time(at)
    ledger = seal(
        packet,
        application_id=job.application_id,
        by=courier,
        at=at,
        place=place if place is not None else Place.applicant_address(),
        collected=citizen,
        handoff_id=handoff_id,
        proof_sha256=proof_sha256,
        otp_key=otp_key,
    )
    done = Attempt(
        number=len(job.attempts) + 1, outcome=AttemptOutcome.DONE, courier_id=party.id, at=at
    )
    events: tuple[JobEvent, ...] = (
        AttemptRecorded(attempt=done, at=at),
        JobStarted(handoff_id=handoff_id, at=at),
    )
    return CourierStep(
        ledger=ledger,
        job=job.apply_all(events),
        accepted=True,
        custody_events=ledger.events,
        job_events=events,
    )


def _job_events(job: CourierJob, handoff: Handoff) -> tuple[tuple[JobEvent, ...], bool]:
    """The job events an accepted *handoff* brings, and whether it is a return."""
    giver, receiver = handoff.giver.party, handoff.receiver.party
    mine = {p for p in (giver, receiver) if p.kind is PartyKind.COURIER}
    for party in mine:
        if party.id != job.courier_id:
            raise CourierNotAssigned(courier_id=party.id, job_id=job.id)
    at, handoff_id = handoff.at, handoff.id
    if receiver in mine:
        if job.kind is JobKind.PICKUP:
            raise _refuse(job, "hand_over", "a pickup's courier takes documents by `collect`")
        started = () if job.started else (JobStarted(handoff_id=handoff_id, at=at),)
        return started, False
    if giver not in mine:
        raise HandoffRefused(reason="the job's courier takes no part in this handoff")
    if receiver.kind is PartyKind.CITIZEN:
        if job.kind is not JobKind.DELIVERY:
            raise _refuse(job, "hand_over", "only a delivery hands a packet to the citizen")
        done = Attempt(
            number=len(job.attempts) + 1, outcome=AttemptOutcome.DONE, courier_id=giver.id, at=at
        )
        return (
            AttemptRecorded(attempt=done, at=at),
            JobCompleted(handoff_id=handoff_id, at=at),
        ), False
    if job.kind is JobKind.DELIVERY:
        return (JobReturned(handoff_id=handoff_id, at=at),), True
    return (JobCompleted(handoff_id=handoff_id, at=at),), False


def hand_over(
    ledger: CustodyLedger,
    handoff: Handoff,
    /,
    *,
    job: CourierJob | None = None,
    otp_key: bytes | None = None,
) -> CourierStep:
    """Transfer a packet (`onestop.domain.courier.custody.transfer`) and move its courier job along.

    Pass the *job* whenever a courier gives or receives: a courier receives only as
    the job's assigned courier.  When the job's courier receives, the job starts;
    when the courier hands the packet to the citizen (a delivery) or to the office
    at the end of a pickup or a leg, the job is delivered; when a delivery's courier
    hands it back to staff, it is a `ReturnedToCounter` and the job is returned.
    Staff-to-staff handoffs need no job.

    Raises:
        onestop.exceptions.CustodyError: A subclass naming the custody rule broken.
        onestop.exceptions.JobRefused: If the job is closed, or does not fit the handoff.
        onestop.exceptions.TimeWentBackwards: If the handoff is not after the latest
            event of the ledger or the job.
        onestop.exceptions.InvalidValue: If an argument is of the wrong type.
    """
    check_type(ledger, CustodyLedger, field="ledger")
    check_type(handoff, Handoff, field="handoff")
    check_type(job, (CourierJob, type(None)), field="job")
    check_type(otp_key, (bytes, type(None)), field="otp_key")
    job_events: tuple[JobEvent, ...] = ()
    returning = False
    if job is not None:
        if job.application_id != ledger.application_id:
            raise HandoffRefused(reason="the job is for another application")
        if job.status in _CLOSED:
            raise _refuse(job, "hand_over", "the job is closed")
        job.check_time(handoff.at)
        job_events, returning = _job_events(job, handoff)
    outcome = transfer(
        ledger,
        handoff,
        otp_key=otp_key,
        assigned_courier=job.courier_id if job is not None else None,
        returning=returning,
    )
    if isinstance(outcome, MismatchRecorded):
        custody = tuple(e for e in outcome.events if not isinstance(e, AlertRaised))
        alerts = tuple(e for e in outcome.events if isinstance(e, AlertRaised))
        return CourierStep(
            ledger=outcome.ledger, job=job, accepted=False, custody_events=custody, alerts=alerts
        )
    return CourierStep(
        ledger=outcome.ledger,
        job=job.apply_all(job_events) if job is not None else None,
        accepted=True,
        custody_events=outcome.events,
        job_events=job_events,
    )


# --- tracking -------------------------------------------------------------------------


class TrackingStatus(enum.Enum):
    """Where a citizen's documents or permit are, in words a parcel tracker would use."""

    INFO_RECEIVED = "info_received"
    """A courier job is booked; nothing has moved yet."""
    PICKUP_SCHEDULED = "pickup_scheduled"
    """A pickup at the applicant's address is booked in a time window."""
    PICKED_UP = "picked_up"
    """A courier holds the documents, on the way to the office."""
    AT_AGENCY = "at_agency"
    """An office (the mall's counter or the agency) holds the packet."""
    OUT_FOR_DELIVERY = "out_for_delivery"
    """A courier holds the result, on the way to the applicant."""
    ATTEMPT_FAILED = "attempt_failed"
    """The courier's last visit failed; a new one will be booked."""
    DELIVERED = "delivered"
    """The applicant received the result."""
    RETURNED_TO_COUNTER = "returned_to_counter"
    """The job was given up after failed visits; the packet waits at the counter."""
    EXCEPTION = "exception"
    """Something is wrong (the items did not match the seal's manifest); staff are on it."""


def _labels(**by_status: dict[str, str]) -> Mapping[TrackingStatus, LocalizedText]:
    return MappingProxyType(
        {TrackingStatus(name): LocalizedText.of(texts) for name, texts in by_status.items()}
    )


TRACKING_LABELS: Mapping[TrackingStatus, LocalizedText] = _labels(
    info_received={
        "id": "Informasi diterima",
        "en": "Information received",
        "km": "បានទទួលព័ត៌មាន",
    },
    pickup_scheduled={
        "id": "Penjemputan dijadwalkan",
        "en": "Pickup scheduled",
        "km": "បានកំណត់ពេលមកយកឯកសារ",
    },
    picked_up={"id": "Dokumen sudah dijemput", "en": "Picked up", "km": "បានមកយកឯកសាររួចហើយ"},
    at_agency={"id": "Di instansi", "en": "At the agency", "km": "នៅស្ថាប័ន"},
    out_for_delivery={
        "id": "Sedang diantar",
        "en": "Out for delivery",
        "km": "កំពុងដឹកជញ្ជូនមកជូន",
    },
    attempt_failed={
        "id": "Kunjungan kurir gagal",
        "en": "Attempt failed",
        "km": "ការប៉ុនប៉ងមិនបានសម្រេច",
    },
    delivered={"id": "Telah diterima", "en": "Delivered", "km": "បានប្រគល់ជូនរួចរាល់"},
    returned_to_counter={
        "id": "Dikembalikan ke loket",
        "en": "Returned to the counter",
        "km": "បានបញ្ជូនត្រឡប់ទៅបញ្ជរវិញ",
    },
    exception={"id": "Ada kendala", "en": "Needs attention", "km": "មានបញ្ហា"},
)
"""The built-in label of each status in Indonesian (``id``), English (``en``) and Khmer (``km``).

The Khmer labels should be reviewed by a native speaker before they face the public.
"""


def tracking_label(
    status: TrackingStatus, language: str, /, *, fallbacks: Iterable[str] = ("en", "id")
) -> str:
    """Return *status*'s label in *language*, falling back through *fallbacks*.

    >>> tracking_label(TrackingStatus.OUT_FOR_DELIVERY, "id-ID")
    'Sedang diantar'
    >>> tracking_label(TrackingStatus.DELIVERED, "ko")
    'Delivered'

    Raises:
        onestop.exceptions.InvalidValue: If *status* is not a `TrackingStatus` or its
            value, or a language is not a BCP 47 tag.
    """
    found = check_member(TrackingStatus, status, field="status")
    check_language(language, field="language")
    chain = tuple(check_type(fallbacks, Iterable, field="fallbacks"))
    for index, tag in enumerate(chain):
        check_language(tag, field=f"fallbacks[{index}]")
    return TRACKING_LABELS[found].get(language, fallbacks=chain)


def check_language(value: object, *, field: str) -> str:
    """Return *value* if it is a well-formed BCP 47 language tag (``id``, ``en-US``, ``km``).

    Raises:
        onestop.exceptions.InvalidValue: Naming *field*; the tag is not quoted.
    """
    if not isinstance(value, str):
        raise InvalidValue(field=field, reason=f"expected a language tag, not {kind_of(value)}")
    if not (value.isascii() and value.strip() == value and is_language_tag(value)):
        raise InvalidValue(field=field, reason="is not a BCP 47 language tag such as 'en-US'")
    return value


def tracking_status(job: CourierJob, ledger: CustodyLedger | None = None, /) -> TrackingStatus:
    """Return what the citizen sees of *job*, with the *ledger* of its packet if there is one.

    An open manifest mismatch shows as ``exception``; then the job's own outcome
    (returned, a failed visit, delivered) wins; otherwise the packet's custodian says
    where things are: a courier (``picked_up`` on the way in, ``out_for_delivery`` on
    the way out), an office (``at_agency``) or the citizen (``delivered``).

    Raises:
        onestop.exceptions.InvalidValue: If the ledger belongs to another application,
            or an argument is of the wrong type.
    """
    check_type(job, CourierJob, field="job")
    check_type(ledger, (CustodyLedger, type(None)), field="ledger")
    if ledger is not None and ledger.application_id != job.application_id:
        raise InvalidValue(field="ledger", reason="belongs to another application than the job")
    inbound = job.kind in (JobKind.PICKUP, JobKind.LEG_TO_AGENCY)
    carrying = TrackingStatus.PICKED_UP if inbound else TrackingStatus.OUT_FOR_DELIVERY
    if ledger is not None and ledger.open_mismatch is not None:
        return TrackingStatus.EXCEPTION
    if job.status is JobStatus.RETURNED:
        return TrackingStatus.RETURNED_TO_COUNTER
    if job.status in (JobStatus.ATTEMPT_FAILED, JobStatus.RETURNING):
        return TrackingStatus.ATTEMPT_FAILED
    if job.status is JobStatus.COMPLETED:
        delivery = job.kind is JobKind.DELIVERY
        return TrackingStatus.DELIVERED if delivery else TrackingStatus.AT_AGENCY
    if ledger is None:
        if job.status is JobStatus.IN_PROGRESS:
            return carrying
        if job.kind is JobKind.PICKUP:
            return TrackingStatus.PICKUP_SCHEDULED
        return TrackingStatus.INFO_RECEIVED
    holder = ledger.custodian.kind
    if holder is PartyKind.COURIER:
        return carrying
    if holder is PartyKind.CITIZEN:
        return TrackingStatus.DELIVERED
    return TrackingStatus.AT_AGENCY


# --- dwell time -----------------------------------------------------------------------

MAX_WORKING_SPAN = timedelta(days=36525)
"""The longest span of custody whose working time `dwell_times` counts: a century."""


def _working(
    calendar: WorkCalendar, start: datetime, end: datetime, duration: timedelta, *, field: str
) -> timedelta:
    """The working time from *start* to *end*, refused for spans too long or too late to count."""
    if duration > MAX_WORKING_SPAN:
        reason = "a span of custody longer than a century has no working time to count"
        raise InvalidValue(field=field, reason=reason)
    try:
        return calendar.working_time_between(start, end)
    except OverflowError:
        reason = "a span of custody ending near the year 9999 has no working time to count"
        raise InvalidValue(field=field, reason=reason) from None


@attrs.frozen(kw_only=True)
class Dwell:
    """How long one custodian held the packet: one leg of its journey.

    Attributes:
        custodian: Who held it.
        start: When they received it (or sealed it).
        end: When they handed it on; ``None`` while they still hold it and no
            ``until`` was given.
        duration: ``end - start``, or ``None`` when open.
        working: The working time in that span, when a calendar was given.
    """

    custodian: Party
    start: datetime
    end: datetime | None
    duration: timedelta | None
    working: timedelta | None = None


def dwell_times(
    ledger: CustodyLedger,
    /,
    *,
    until: datetime | None = None,
    calendar: WorkCalendar | None = None,
) -> tuple[Dwell, ...]:
    """Return each custodian's span of custody, oldest first, for SLA reports.

    A custodian who held the packet twice has two spans.  The current custodian's span
    ends at *until*, or stays open; it is empty when *until* is before its start.  A
    delivered packet's citizen has no span: the journey ended.  With *calendar*, each
    closed span also gets its working time, which is counted day by day: a span of
    more than `MAX_WORKING_SPAN` is refused rather than counted for minutes.

    Raises:
        onestop.exceptions.InvalidValue: If an argument is of the wrong type, *until*
            is not an instant, or a span to count on *calendar* is longer than
            `MAX_WORKING_SPAN` or ends too near the year 9999 to count.
        onestop.exceptions.NaiveDatetime: If *until* has no time zone.
    """
    check_type(ledger, CustodyLedger, field="ledger")
    if until is not None:
        check_instant(until, field="until")
    check_type(calendar, (WorkCalendar, type(None)), field="calendar")
    spans: list[Dwell] = []
    holder, since = ledger.events[0].custodian, ledger.events[0].at  # type: ignore[union-attr]

    def close(end: datetime | None) -> None:
        if end is not None and end < since:
            end = since
        duration = end - since if end is not None else None
        working = None
        if calendar is not None and end is not None and duration is not None:
            working = _working(
                calendar, since, end, duration, field="until" if end is until else "ledger"
            )
        spans.append(
            Dwell(custodian=holder, start=since, end=end, duration=duration, working=working)
        )

    for event in ledger.events[1:]:
        if isinstance(event, HandedOver):
            close(event.at)
            holder, since = event.receiver.party, event.at
    if not ledger.delivered:
        close(until)
    return tuple(spans)
