"""What the courier desk reads back: public tracking, dwell times and the packets to export.

`track_courier` tells a citizen, who holds the application's number and lookup
secret, where the documents or the permit are: one normalised
`onestop.domain.courier.flow.TrackingStatus` per courier job, with its label in the
language asked for.  It shows no address, no courier and no code.

`dwell_report` measures, from the custody ledgers, how long each custodian held each
packet (a *leg* of its journey), in wall-clock and in working time on the agency's
calendar, and sums it per custodian: the courier part of an SLA report.

`every_seal` lists the packets sealed, from the notification log, for exports and
reports that cover every packet.

`CourierFacts` reads the status of an application's courier jobs from the store, for
the ``courier_delivered`` guard of the mall's workflows: the mall is given one when it
is built (``Mall(..., courier_facts=CourierFacts(store))``), and so sees the jobs
every desk and every process writes to that store.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from onestop.domain.applications.tracking import served_language
from onestop.domain.catalogue.messages import message_text
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.common.audit import GENESIS
from onestop.domain.common.formats import kind_of
from onestop.domain.common.kinds import check_instant, check_member, check_type
from onestop.domain.courier.custody import CustodyLedger
from onestop.domain.courier.flow import (
    TrackingStatus,
    check_language,
    dwell_times,
    tracking_label,
    tracking_status,
)
from onestop.domain.courier.handoffs import PartyKind
from onestop.domain.courier.jobs import CourierJob, JobKind, TimeWindow, courier_fact
from onestop.domain.time.calendar import WorkCalendar
from onestop.exceptions import ApplicationNotFound, ConfigurationError, InvalidValue
from onestop.ports.events import EventStore
from onestop.usecases.applications.codec import secret_digest
from onestop.usecases.catalogue.built_in import shipped_texts
from onestop.usecases.courier import writer as rec
from onestop.usecases.courier.wiring import CourierMall

__all__ = [
    "CourierFacts",
    "CourierTracking",
    "CustodianDwell",
    "DwellReport",
    "JobTracking",
    "Leg",
    "dwell_report",
    "every_seal",
    "seal_ids_of",
    "track_courier",
]


# Each enum field takes its member or the member's value (``"pickup"``), or refuses both.
def _job_kind(value: object) -> JobKind:
    return check_member(JobKind, value, field="kind")


def _status(value: object) -> TrackingStatus:
    return check_member(TrackingStatus, value, field="status")


def _party_kind(value: object) -> PartyKind:
    return check_member(PartyKind, value, field="custodian_kind")


@attrs.frozen(kw_only=True)
class JobTracking:
    """Where one courier job stands, as the citizen sees it.

    Attributes:
        kind: What the job does (pickup, leg, delivery).
        status: Where things are.
        label: The status's label in the language served.
        window: The booked visit window, if any.
        failed_attempts: How many visits failed.
        updated_at: When the job last moved.
    """

    kind: JobKind = attrs.field(converter=_job_kind)
    status: TrackingStatus = attrs.field(converter=_status)
    label: str
    window: TimeWindow | None
    failed_attempts: int
    updated_at: datetime


def _tracking_status(value: object) -> TrackingStatus | None:
    return None if value is None else _status(value)


@attrs.frozen(kw_only=True)
class CourierTracking:
    """The courier side of an application's public status; no personal data.

    Attributes:
        number: The application number.
        language: The language served.
        status: The status of the job that moved last, or ``None`` without jobs.
        label: Its label, or ``None``.
        jobs: Every job, in booking order.
    """

    number: str
    language: str
    status: TrackingStatus | None = attrs.field(converter=_tracking_status)
    label: str | None
    jobs: tuple[JobTracking, ...]


def _label(status: TrackingStatus, language: str, catalogue: Catalogue | None) -> str:
    overrides = catalogue.messages if catalogue is not None else ()
    fallbacks = catalogue.languages if catalogue is not None else ("en", "id")
    found = message_text(
        f"courier.{status.value}",
        language,
        shipped=shipped_texts(),
        overrides=overrides,
        fallbacks=fallbacks,
    )
    return found or tracking_label(status, language)


def _job_tracking(
    job: CourierJob, ledger: CustodyLedger | None, language: str, catalogue: Catalogue | None
) -> JobTracking:
    status = tracking_status(job, ledger)
    return JobTracking(
        kind=job.kind,
        status=status,
        label=_label(status, language, catalogue),
        window=job.window,
        failed_attempts=job.failed_attempts,
        updated_at=job.updated_at,
    )


def track_courier(
    store: EventStore, mall: CourierMall, number: str, secret: str, /, *, language: str
) -> CourierTracking:
    """Return where application *number*'s documents or permit are, in *language*.

    Labels come from the catalogue's ``[[messages]]`` (``courier.<status>``), then from
    the texts onestop ships.  When *mall* has a ``catalogue`` (a `Mall` has), a language
    it does not declare is served in its default language, as `Mall.track` does.

    Raises:
        ApplicationNotFound: If no application has this number, or the secret does
            not match; both give the same error, as `onestop.usecases.mall.Mall.track`.
        InvalidValue: If *language* is not a BCP 47 language tag.
    """
    check_language(language, field="language")
    found: object = getattr(mall, "catalogue", None)
    catalogue = found if isinstance(found, Catalogue) else None
    if catalogue is not None:
        language = served_language(catalogue, language)
    given: tuple[object, object] = (number, secret)
    valid = isinstance(given[0], str) and isinstance(given[1], str)
    summary = store.find_number(number) if valid else None
    offered = secret_digest(secret) if valid else GENESIS
    expected = mall.application(summary.stream_id).secret_digest if summary else GENESIS
    matches = hmac.compare_digest(offered, expected)
    if summary is None or not matches:
        raise ApplicationNotFound(None)
    index = rec.load_index(store, summary.stream_id)
    jobs: list[tuple[int, JobTracking]] = []
    for order, (job_id, _) in enumerate(index.jobs):
        job, _ = rec.load_job(store, job_id)
        seal_id = index.carrying.get(job_id)
        ledger = rec.load_ledger(store, seal_id) if seal_id is not None else None
        jobs.append((order, _job_tracking(job, ledger, language, catalogue)))
    latest = max(jobs, key=lambda pair: (pair[1].updated_at, pair[0]), default=None)
    return CourierTracking(
        number=summary.number,
        language=language,
        status=latest[1].status if latest is not None else None,
        label=latest[1].label if latest is not None else None,
        jobs=tuple(tracking for _, tracking in jobs),
    )


# --- the facts of the workflow guards -----------------------------------------------------


class CourierFacts:
    """The status of an application's courier jobs, read from *store*, for workflow guards.

    Give one to the mall when it is built, over the store the courier desk writes::

        mall = Mall(catalogue=catalogue, store=store, courier_facts=CourierFacts(store))
        desk = CourierDesk(mall, otp_key=key)

    The mall's ``courier_delivered`` guard then passes once a delivery's packet is in
    the citizen's hands.  Every call reads the store, so jobs written by other desks
    and other processes are seen.

    Raises:
        ConfigurationError: If *store* is not an `onestop.ports.events.EventStore`.
    """

    def __init__(self, store: EventStore, /) -> None:
        """Read the courier jobs of *store*."""
        if not isinstance(store, EventStore):
            raise ConfigurationError(f"courier facts need an EventStore, not {kind_of(store)}")
        self._store = store

    def __repr__(self) -> str:
        """Name the store."""
        return f"CourierFacts({self._store!r})"

    def __call__(self, application_id: str, /) -> Mapping[str, str]:
        """The status of each of the application's jobs, by job id (none if it has none).

        A delivery whose packet reached the citizen is ``"delivered"``
        (`onestop.domain.courier.jobs.courier_fact`).

        Raises:
            InvalidValue: If *application_id* is not text.
            StorageError: If a stored event does not decode.
        """
        check_type(application_id, str, field="application_id")
        index = rec.load_index(self._store, application_id)
        return dict(courier_fact(rec.load_job(self._store, job_id)[0]) for job_id, _ in index.jobs)


# --- dwell time -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Leg:
    """One custodian's span of custody of one packet.

    Attributes:
        seal_id: The packet.
        application_id: Its application.
        number: 1 for the sealer's span, and so on.
        custodian: Who held it, as ``kind:id`` (`onestop.domain.courier.handoffs.Party.shown`).
        custodian_kind: What kind of party.
        start: When they received (or sealed) it.
        end: When they handed it on; for an open leg, the report's instant.
        open: Whether they still hold it.
        duration: ``end - start``.
        working: The working time in that span, on the agency's calendar.
    """

    seal_id: str
    application_id: str
    number: int
    custodian: str
    custodian_kind: PartyKind = attrs.field(converter=_party_kind)
    start: datetime
    end: datetime
    open: bool
    duration: timedelta
    working: timedelta


@attrs.frozen(kw_only=True)
class CustodianDwell:
    """How long one custodian held packets, over every leg of the report.

    Attributes:
        custodian: Who, as ``kind:id``.
        custodian_kind: What kind of party.
        legs: How many legs.
        total: The sum of their durations.
        working: The sum of their working time.
        longest: The longest single leg.
    """

    custodian: str
    custodian_kind: PartyKind = attrs.field(converter=_party_kind)
    legs: int
    total: timedelta
    working: timedelta
    longest: timedelta


@attrs.frozen(kw_only=True)
class DwellReport:
    """Dwell time per leg and per custodian.

    Attributes:
        at: The instant open legs end at.
        legs: Every leg, packet by packet, oldest first.
        custodians: One row per custodian, the longest total working time first.
    """

    at: datetime
    legs: tuple[Leg, ...]
    custodians: tuple[CustodianDwell, ...]


def _legs(ledger: CustodyLedger, until: datetime, calendar: WorkCalendar) -> list[Leg]:
    spans = dwell_times(ledger, until=until, calendar=calendar)
    legs = []
    for number, span in enumerate(spans, start=1):
        end = span.end if span.end is not None else until
        legs.append(
            Leg(
                seal_id=ledger.seal_id,
                application_id=ledger.application_id,
                number=number,
                custodian=span.custodian.shown,
                custodian_kind=span.custodian.kind,
                start=span.start,
                end=end,
                open=number == len(spans) and not ledger.delivered,
                duration=end - span.start,
                working=span.working if span.working is not None else timedelta(0),
            )
        )
    return legs


def dwell_report(
    ledgers: Iterable[CustodyLedger],
    /,
    *,
    until: datetime,
    calendar: Callable[[str], WorkCalendar],
) -> DwellReport:
    """Return the dwell time of every custodian of *ledgers*, per leg and summed.

    Args:
        ledgers: The packets' ledgers.
        until: Where the legs still open end.
        calendar: The work calendar of an application, by its id.

    Raises:
        InvalidValue: If *ledgers* is not an iterable of ledgers, *until* is not an
            instant, or *calendar* is not callable.
        NaiveDatetime: If *until* has no time zone.
    """
    check_instant(until, field="until")
    given: object = calendar
    if not callable(given):
        reason = f"expected a function, not {kind_of(given)}"
        raise InvalidValue(field="calendar", reason=reason)
    check_type(ledgers, Iterable, field="ledgers")
    ledgers = tuple(ledgers)
    for index, ledger in enumerate(ledgers):
        check_type(ledger, CustodyLedger, field=f"ledgers[{index}]")
    legs = [
        leg for ledger in ledgers for leg in _legs(ledger, until, calendar(ledger.application_id))
    ]
    by_custodian: dict[str, list[Leg]] = {}
    for leg in legs:
        by_custodian.setdefault(leg.custodian, []).append(leg)
    rows = [_custodian(held) for held in by_custodian.values()]
    rows.sort(key=lambda row: (-row.working, -row.total, row.custodian))
    return DwellReport(at=until, legs=tuple(legs), custodians=tuple(rows))


def _custodian(legs: Sequence[Leg]) -> CustodianDwell:
    return CustodianDwell(
        custodian=legs[0].custodian,
        custodian_kind=legs[0].custodian_kind,
        legs=len(legs),
        total=sum((leg.duration for leg in legs), timedelta(0)),
        working=sum((leg.working for leg in legs), timedelta(0)),
        longest=max(leg.duration for leg in legs),
    )


def every_seal(store: EventStore, /) -> tuple[str, ...]:
    """Every seal id the store holds a packet for, in sealing order.

    Read from the notification log (each packet's first event is ``packet_sealed``),
    so it costs one pass over the log: for exports and reports, not for commands.
    """
    found: list[str] = []
    position, prefix = 0, rec.packet_stream("")
    while page := store.notifications(after=position, limit=1000):
        found.extend(
            note.stream_id.removeprefix(prefix)
            for note in page
            if note.kind == "packet_sealed" and note.stream_id.startswith(prefix)
        )
        position = page[-1].position
    return tuple(found)


def seal_ids_of(value: object, /) -> tuple[str, ...]:
    """*value* as several seal ids (a list of texts), checked: not one text.

    Raises:
        InvalidValue: If *value* is a text or not iterable (``seal_ids``), or an item
            is not a text (``seal_ids[i]``).
    """
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        reason = f"expected a list of seal ids, not {kind_of(value)}"
        raise InvalidValue(field="seal_ids", reason=reason)
    wanted = tuple(value)
    for index, seal_id in enumerate(wanted):
        check_type(seal_id, str, field=f"seal_ids[{index}]")
    return wanted
