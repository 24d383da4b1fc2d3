"""The courier desk: AJIB's use cases (bookings, claims, codes, handoffs) over the mall's store.

A `CourierDesk` runs the courier service of a mall: it books pickups, legs and
deliveries for applications, lets one courier claim each job, issues the citizen's
one-time codes, and records every transfer of a sealed packet (it holds a
`onestop.usecases.courier.custody.CustodyDesk` for those, and hands them on to it).
Like the mall, each use case reads what it needs, asks the pure domain
(`onestop.domain.courier.jobs`, `onestop.domain.courier.flow`,
`onestop.domain.courier.custody`) for the events, and writes them with **one** atomic
`onestop.ports.events.BatchStore.commit_batch`: a handoff's custody entry, the courier
job's progress and the application's courier index are stored together or not at all.
A refused command raises a typed error and writes nothing.
How the streams are laid out is in `onestop.usecases.courier.writer`; the read side
(public tracking, dwell times) is in `onestop.usecases.courier.queries`.

The desk reads the applications through `onestop.usecases.courier.wiring.CourierMall`
(a `onestop.usecases.mall.Mall` is one) and never changes the mall.  For a workflow's
``deliver`` action to pass once the permit is in the citizen's hands, give the mall
the courier facts when it is built::

    mall = Mall(catalogue=catalogue, store=store, courier_facts=CourierFacts(store))
    desk = CourierDesk(mall, otp_key=key)

(`onestop.usecases.courier.queries.CourierFacts`; `CourierDesk.courier_facts` reads the same.)

Nothing here logs.  The one-time code `CourierDesk.issue_handoff_code` returns is
shown once, for the SMS gateway; only its keyed digest is stored.  The applicant's
address stays in the job's events; reprs, errors, notifications and the public
tracking status never carry it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from onestop.domain.common.audit import GENESIS, ChainReport
from onestop.domain.common.formats import kind_of
from onestop.domain.common.kinds import check_instant, check_member, check_type
from onestop.domain.common.parties import Personal
from onestop.domain.courier.custody import CustodyLedger
from onestop.domain.courier.flow import CourierStep
from onestop.domain.courier.handoffs import Confirmation, Handoff, ManifestItem, Packet, Place
from onestop.domain.courier.jobs import (
    DEFAULT_MAX_ATTEMPTS,
    AttemptOutcome,
    CourierJob,
    JobKind,
    TimeWindow,
    book,
    claim,
    record_attempt,
    reschedule,
)
from onestop.domain.courier.otp import DEFAULT_CODE_LIFETIME
from onestop.domain.time.calendar import WorkCalendar
from onestop.domain.workflow.engine import Actor
from onestop.exceptions import CommandRefused, InvalidValue, JobRefused
from onestop.interop.epcis import epcis_document, packet_urn
from onestop.ports.events import Clock, EventStore, IdGenerator
from onestop.ports.staff import FailureCounter
from onestop.usecases.courier import writer as rec
from onestop.usecases.courier.custody import (
    DEFAULT_CODE_TRIES,
    CustodyDesk,
    check_expected_version,
    require_version,
)
from onestop.usecases.courier.queries import (
    CourierFacts,
    CourierTracking,
    DwellReport,
    dwell_report,
    every_seal,
    seal_ids_of,
    track_courier,
)
from onestop.usecases.courier.wiring import CourierMall, wire

__all__ = ["COURIER_ROLE", "CourierDesk"]

COURIER_ROLE = "courier"
"""The role an actor needs to claim a job and to record a visit."""

_DOOR = frozenset({JobKind.PICKUP, JobKind.DELIVERY})


class CourierDesk:
    """The courier service of a mall: the use cases of couriers, counter staff and citizens.

    Bookings, claims and visits are here; codes, seals, handoffs and deliveries are
    handed on to the `onestop.usecases.courier.custody.CustodyDesk` it holds, over the
    same mall and ports.  Building a desk changes nothing of the mall.

    Args:
        mall: The applications the jobs serve: a `onestop.usecases.mall.Mall`, or
            anything with its `onestop.usecases.courier.wiring.CourierMall` queries.
        otp_key: The secret the citizens' one-time codes are derived with (at least
            16 bytes; use 32 random ones, kept like a password).
        store: Where the courier streams are kept; a `onestop.ports.events.BatchStore`.
            The mall's when ``None``.
        clock: Tells the time of each command; the mall's when ``None``.
        ids: Makes job ids; the mall's when ``None``.
        retries: How many times a command is decided again when another command
            wrote the same streams first; the mall's when ``None``, else 5.
        code_tries: Tries of a citizen's code per handoff that may fail before it is
            locked until a new code is issued (`CustodyDesk`), counted in *failures*
            (every process sharing that store together, as `onestop serve`'s workers)
            or, when ``None``, in this process.

    Raises:
        ConfigurationError: If a port is missing or of the wrong kind, or the store
            cannot write several streams atomically.
        InvalidValue: If *mall* lacks the `CourierMall` queries, *otp_key* is too
            short, or *retries* or *code_tries* is out of range.
    """

    def __init__(
        self,
        mall: CourierMall,
        *,
        otp_key: bytes,
        store: EventStore | None = None,
        clock: Clock | None = None,
        ids: IdGenerator | None = None,
        retries: int | None = None,
        code_tries: int = DEFAULT_CODE_TRIES,
        failures: FailureCounter | None = None,
    ) -> None:
        """Wire the desk to *mall* and its ports; see the class docstring."""
        work = wire(mall, store=store, clock=clock, ids=ids, retries=retries)
        self._custody = CustodyDesk(
            mall, otp_key=otp_key, store=work.store, clock=work.clock, ids=work.ids,
            retries=work.retries, code_tries=code_tries, failures=failures,
        )  # fmt: skip
        self._mall = mall
        self._work = work
        self._store = work.store
        self._facts = CourierFacts(work.store)

    def __repr__(self) -> str:
        """Name the store, never the key."""
        return f"<{type(self).__name__} store={self._store!r}>"

    # --- bookings ---------------------------------------------------------------------

    def book_pickup(
        self,
        application_id: str,
        /,
        *,
        window: TimeWindow,
        address: Personal[str],
        actor: Actor,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> CourierJob:
        """Book a pickup of the application's documents at *address*, in *window*.

        Raises:
            ApplicationNotFound: If there is no such application.
            CommandRefused: If the application is closed.
            InvalidValue: If the address is not `Personal` or *max_attempts* is not 1-10.
        """
        return self._book(
            application_id, JobKind.PICKUP, actor, window, address, max_attempts=max_attempts
        )

    def book_delivery(
        self,
        application_id: str,
        /,
        *,
        actor: Actor,
        window: TimeWindow | None = None,
        address: Personal[str] | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> CourierJob:
        """Book the delivery of the application's result, to the pickup's address by default.

        Raises:
            ApplicationNotFound: If there is no such application.
            CommandRefused: If the application is closed.
            InvalidValue: If no address is given and none is on record.
        """
        if address is None:
            address = self._address_on_record(application_id)
        return self._book(
            application_id, JobKind.DELIVERY, actor, window, address, max_attempts=max_attempts
        )

    def book_leg(
        self,
        application_id: str,
        /,
        *,
        actor: Actor,
        kind: JobKind = JobKind.LEG_TO_AGENCY,
        window: TimeWindow | None = None,
    ) -> CourierJob:
        """Book a leg between the mall and the agency (``leg_to_agency`` or ``leg_to_mall``).

        Raises:
            ApplicationNotFound: If there is no such application.
            CommandRefused: If the application is closed.
            InvalidValue: If *kind* is not a leg (a `JobKind` or its value).
        """
        leg = check_member(JobKind, kind, field="kind")
        if leg in _DOOR:
            raise InvalidValue(field="kind", reason="a leg is leg_to_agency or leg_to_mall")
        return self._book(application_id, leg, actor, window, None)

    def _book(
        self,
        application_id: str,
        kind: JobKind,
        actor: Actor,
        window: TimeWindow | None,
        address: Personal[str] | None,
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> CourierJob:
        check_type(actor, Actor, field="actor")
        check_type(application_id, str, field="application_id")
        if self._mall.application(application_id).is_closed:
            raise CommandRefused(command=f"book_{kind.value}", reason="the application is closed")
        job_id = self._work.ids.new_id()

        def attempt() -> CourierJob:
            now = self._work.now()
            job = book(
                job_id,
                application_id,
                kind,
                at=now,
                actor=actor.id,
                window=window,
                address=address,
                max_attempts=max_attempts,
            )
            index = rec.load_index(self._store, application_id)
            linked = rec.JobLinked(job_id=job_id, job_kind=kind, at=now)
            self._work.commit(
                now,
                rec.job_append(job, since=0, head=GENESIS, keys=self._work.keys),
                rec.index_append(index, [linked]),
            )
            return job

        return self._work.retrying(attempt)

    def _address_on_record(self, application_id: str) -> Personal[str]:
        for job in reversed(self.jobs(application_id)):
            if job.address is not None:
                return job.address
        raise InvalidValue(field="address", reason="no address is on record: give one")

    # --- jobs -------------------------------------------------------------------------

    def claim(
        self, job_id: str, courier: Actor, /, *, expected_version: int | None = None
    ) -> CourierJob:
        """Assign the job to *courier*: when several try at once, exactly one wins.

        The claim is appended at the version it was decided on; a courier who lost
        the race reloads, and the domain answers `AlreadyClaimed`.

        Raises:
            JobNotFound: If there is no such job.
            JobRefused: If *courier* lacks the ``courier`` role.
            AlreadyClaimed: If the job was claimed first (also by the same courier).
            ConcurrencyConflict: If *expected_version* is given and stale.
            InvalidValue: If *courier* is not an `Actor` with an actor id, or
                *expected_version* is not an integer from 0 to 2**63 - 1.
        """
        check_type(courier, Actor, field="courier")

        def attempt() -> CourierJob:
            now = self._work.now()
            job, head = rec.load_job(self._store, job_id, keys=self._work.keys)
            self._require_courier(job, courier, "claim")
            version = expected_version if expected_version is not None else job.version
            claimed = claim(job, courier.id, now, version)
            self._work.commit(
                now, rec.job_append(claimed, since=job.version, head=head, keys=self._work.keys)
            )
            return claimed

        return self._work.retrying(attempt)

    def record_attempt(
        self,
        job_id: str,
        outcome: AttemptOutcome | str,
        /,
        *,
        courier: Actor,
        expected_version: int | None = None,
    ) -> CourierJob:
        """Record a failed visit by the job's courier (``no_one_home``, ``refused``, ...).

        With *expected_version*, only on that version of the job: a visit recorded
        twice (a retried request) or after the job changed is refused, not counted.

        Raises:
            JobNotFound: If there is no such job.
            JobRefused: If the outcome is ``done`` (a success is proven by a handoff),
                or the job is not out.
            CourierNotAssigned: If *courier* is not the job's courier.
            ConcurrencyConflict: If *expected_version* is given and not the job's.
            InvalidValue: If *outcome* is not an `AttemptOutcome` or its value,
                *courier* is not an `Actor`, or *expected_version* is not an integer
                from 0 to 2**63 - 1.
        """
        result = check_member(AttemptOutcome, outcome, field="outcome")
        check_type(courier, Actor, field="courier")
        check_expected_version(expected_version)

        def attempt() -> CourierJob:
            now = self._work.now()
            job, head = rec.load_job(self._store, job_id, keys=self._work.keys)
            self._require_courier(job, courier, "record_attempt")
            require_version(job, expected_version)
            visited = record_attempt(job, result, courier_id=courier.id, at=now)
            self._work.commit(
                now, rec.job_append(visited, since=job.version, head=head, keys=self._work.keys)
            )
            return visited

        return self._work.retrying(attempt)

    def reschedule(self, job_id: str, window: TimeWindow, /, *, actor: Actor) -> CourierJob:
        """Book a new window; after a failed visit this sends the job out again.

        Raises:
            JobNotFound: If there is no such job.
            JobRefused: If the job is closed or returning, or the window is over.
            InvalidValue: If *window* is not a `TimeWindow`, or *actor* not an `Actor`.
        """
        check_type(window, TimeWindow, field="window")
        check_type(actor, Actor, field="actor")

        def attempt() -> CourierJob:
            now = self._work.now()
            job, head = rec.load_job(self._store, job_id, keys=self._work.keys)
            moved = reschedule(job, window, at=now, actor=actor.id)
            self._work.commit(
                now, rec.job_append(moved, since=job.version, head=head, keys=self._work.keys)
            )
            return moved

        return self._work.retrying(attempt)

    def _require_courier(self, job: CourierJob, actor: Actor, command: str) -> None:
        """Refuse *actor* unless it holds the courier role mall-wide or for the job's agency."""
        if COURIER_ROLE in actor.roles:
            return
        agency = self._mall.application(job.application_id).agency
        if not actor.holds(COURIER_ROLE, agency=agency):
            raise JobRefused(
                job_id=job.id,
                command=command,
                status=job.status.value,
                reason="it needs an actor with the courier role, for the application's agency",
            )

    # --- custody: handed on to the CustodyDesk -----------------------------------------

    def issue_handoff_code(
        self, job_id: str, handoff_id: str, /, *, lifetime: timedelta = DEFAULT_CODE_LIFETIME
    ) -> str:
        """Issue the citizen's one-time code for handoff *handoff_id* of a pickup or delivery.

        See `onestop.usecases.courier.custody.CustodyDesk.issue_handoff_code`.
        """
        return self._custody.issue_handoff_code(job_id, handoff_id, lifetime=lifetime)

    def issue_counter_code(
        self,
        application_id: str,
        handoff_id: str,
        /,
        *,
        lifetime: timedelta = DEFAULT_CODE_LIFETIME,
    ) -> str:
        """Issue the citizen's code for a handoff at the counter, outside any courier job.

        See `onestop.usecases.courier.custody.CustodyDesk.issue_counter_code`.
        """
        return self._custody.issue_counter_code(application_id, handoff_id, lifetime=lifetime)

    def seal(
        self, application_id: str, packet: Packet, /, *, by: Confirmation, place: Place
    ) -> CustodyLedger:
        """An office seals *packet* (the issued permit) and becomes its first custodian.

        See `onestop.usecases.courier.custody.CustodyDesk.seal`.
        """
        return self._custody.seal(application_id, packet, by=by, place=place)

    def seal_and_collect(
        self,
        job_id: str,
        packet: Packet,
        /,
        *,
        handoff_id: str,
        courier: Confirmation,
        citizen_code: str,
        proof_sha256: str,
        place: Place | None = None,
        expected_version: int | None = None,
    ) -> CourierStep:
        """At the door: the pickup's courier seals the documents, confirmed by the citizen's code.

        See `onestop.usecases.courier.custody.CustodyDesk.seal_and_collect`.
        """
        return self._custody.seal_and_collect(
            job_id,
            packet,
            handoff_id=handoff_id,
            courier=courier,
            citizen_code=citizen_code,
            proof_sha256=proof_sha256,
            place=place,
            expected_version=expected_version,
        )

    def hand_over(
        self,
        seal_id: str,
        handoff: Handoff,
        /,
        *,
        job_id: str | None = None,
        expected_version: int | None = None,
    ) -> CourierStep:
        """Record a transfer of packet *seal_id*: at the counter, to the agency, to a courier.

        See `onestop.usecases.courier.custody.CustodyDesk.hand_over`.
        """
        return self._custody.hand_over(
            seal_id, handoff, job_id=job_id, expected_version=expected_version
        )

    def deliver(
        self,
        job_id: str,
        /,
        *,
        handoff_id: str,
        courier: Confirmation,
        citizen_code: str,
        proof_sha256: str,
        scanned: Iterable[ManifestItem],
        place: Place | None = None,
        expected_version: int | None = None,
    ) -> CourierStep:
        """At the door: the delivery's courier hands the packet it carries to the citizen.

        See `onestop.usecases.courier.custody.CustodyDesk.deliver`.
        """
        return self._custody.deliver(
            job_id,
            handoff_id=handoff_id,
            courier=courier,
            citizen_code=citizen_code,
            proof_sha256=proof_sha256,
            scanned=scanned,
            place=place,
            expected_version=expected_version,
        )

    def ledger(self, seal_id: str, /) -> CustodyLedger:
        """Return packet *seal_id*'s custody ledger, checked against the stored chain.

        See `onestop.usecases.courier.custody.CustodyDesk.ledger`.
        """
        return self._custody.ledger(seal_id)

    def verify_packet(self, seal_id: str, /) -> ChainReport:
        """Check the packet's stored chain and its ledger, and that they are the same chain.

        See `onestop.usecases.courier.custody.CustodyDesk.verify_packet`.
        """
        return self._custody.verify_packet(seal_id)

    # --- reading ----------------------------------------------------------------------

    def job(self, job_id: str, /) -> CourierJob:
        """Return the job's current state.

        Raises:
            JobNotFound: If there is no such job.
        """
        return rec.load_job(self._store, job_id, keys=self._work.keys)[0]

    def jobs(self, application_id: str, /) -> tuple[CourierJob, ...]:
        """Return the application's courier jobs, in booking order (none if it has none).

        Raises:
            InvalidValue: If *application_id* is not text.
        """
        index = rec.load_index(self._store, application_id)
        return tuple(self.job(job_id) for job_id, _ in index.jobs)

    def courier_facts(self, application_id: str, /) -> Mapping[str, str]:
        """The status of each of the application's jobs, by job id, for workflow guards.

        A delivery whose packet reached the citizen is ``"delivered"``
        (`onestop.domain.courier.jobs.courier_fact`); the same as
        `onestop.usecases.courier.queries.CourierFacts` over the desk's store.

        Raises:
            InvalidValue: If *application_id* is not text.
        """
        return self._facts(application_id)

    def track_courier(self, number: str, secret: str, /, *, language: str) -> CourierTracking:
        """Return where application *number*'s documents or permit are, in *language*.

        Holds no personal data: no address, no courier, no code
        (`onestop.usecases.courier.queries.track_courier`).

        Raises:
            ApplicationNotFound: If no application has this number, or the secret does
                not match; both give the same error, as `onestop.usecases.mall.Mall.track`.
            InvalidValue: If *language* is not a BCP 47 language tag.
        """
        return track_courier(self._store, self._mall, number, secret, language=language)

    def dwell_report(
        self,
        *,
        application_id: str | None = None,
        seal_ids: Iterable[str] | None = None,
        until: datetime | None = None,
    ) -> DwellReport:
        """How long each custodian held each packet: per leg, and summed per custodian.

        Working time is counted on the work calendar of each application's agency.

        Args:
            application_id: Only this application's packets.
            seal_ids: Only these packets (else every packet sealed, or the application's).
            until: Where open legs end; the clock's time when ``None``.

        Raises:
            InvalidValue: If *application_id* or a seal id is not text, *seal_ids* is
                one text rather than several, or *until* is not an instant.
            NaiveDatetime: If *until* has no time zone.
            PacketNotFound: If a seal id names no packet.
        """
        check_type(application_id, (str, type(None)), field="application_id")
        if until is not None:
            check_instant(until, field="until")
        now = until if until is not None else self._work.now()
        ledgers = self._ledgers(application_id, seal_ids)
        calendars = {ledger.application_id: self._calendar(ledger) for ledger in ledgers}
        return dwell_report(ledgers, until=now, calendar=calendars.__getitem__)

    def epcis(
        self,
        seal_ids: Iterable[str] | None = None,
        /,
        *,
        packet_uri: Callable[[str], str] = packet_urn,
    ) -> dict[str, Any]:
        """Export the custody events of *seal_ids* (every packet when ``None``) as EPCIS 2.0.

        See `onestop.interop.epcis.epcis_document`.

        Raises:
            InvalidValue: If a seal id is not text, *seal_ids* is one text rather than
                several, or *packet_uri* is not callable.
            PacketNotFound: If a seal id names no packet.
        """
        if not callable(packet_uri):
            raise InvalidValue(
                field="packet_uri", reason=f"expected a function, not {kind_of(packet_uri)}"
            )
        ledgers = self._ledgers(None, seal_ids)
        return epcis_document(ledgers, created_at=self._work.now(), packet_uri=packet_uri)

    def _ledgers(
        self, application_id: str | None, seal_ids: Iterable[str] | None
    ) -> tuple[CustodyLedger, ...]:
        if seal_ids is not None:
            wanted = seal_ids_of(seal_ids)
        elif application_id is not None:
            wanted = rec.load_index(self._store, application_id).packets
        else:
            wanted = every_seal(self._store)
        return tuple(self.ledger(seal_id) for seal_id in wanted)

    def _calendar(self, ledger: CustodyLedger) -> WorkCalendar:
        return self._mall.calendar(self._mall.application(ledger.application_id).agency)
