"""The custody half of the courier desk: one-time codes, seals, handoffs and deliveries.

`CustodyDesk` records every transfer of a sealed packet of a mall's applications:
the seal at the citizen's door (confirmed by the citizen's one-time code), handoffs
at the counter, to the agency and to couriers, and the delivery of the permit back to
the citizen.  Use it through `onestop.usecases.courier.desk.CourierDesk`, which adds the
courier jobs' bookings and claims and the read side.

Each use case reads what it needs, asks the pure domain (`onestop.domain.courier.flow`,
`onestop.domain.courier.custody`) for the events, and writes them with **one** atomic
`onestop.ports.events.BatchStore.commit_batch`: the packet's custody entries, the courier
job's progress and the application's courier index (`onestop.usecases.courier.writer`)
together or not at all.  A refused handoff raises a typed `onestop.exceptions.CustodyError`
(or `JobRefused`, `TimeWentBackwards`) and writes nothing; a manifest mismatch is
recorded, with an ``alert_raised`` notification.  When another command wrote the same
streams first, the use case is decided again on fresh state, up to the desk's ``retries``.
The desk reads the applications through `onestop.usecases.courier.wiring.CourierMall`
and writes through the ports it is given; it never changes the mall.

A citizen's side of a handoff is always checked against the code record on file for
that handoff, never against a record the caller brings: issued before the handoff's
instant, unexpired by the desk's clock, and not spent on another of the application's
packets.  A courier hands over only the packet its job carries.  Tries are counted per
handoff, each before its code is compared: after ``code_tries`` of them that did not go
through, the handoff is refused (`TooManyWrongCodes`) until a new code is issued.
Nothing here logs; codes are never stored or shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TypeVar

import attrs

from onestop.domain.common.audit import GENESIS, ChainReport
from onestop.domain.common.formats import KEY, check_int, int_problem, preview
from onestop.domain.common.kinds import check_type
from onestop.domain.courier.custody import CustodyLedger, seal
from onestop.domain.courier.flow import CourierStep, collect
from onestop.domain.courier.flow import hand_over as transfer_with_job
from onestop.domain.courier.handoffs import (
    Confirmation,
    ConfirmationMethod,
    Handoff,
    ManifestItem,
    Packet,
    Party,
    PartyKind,
    Place,
    items_of,
)
from onestop.domain.courier.jobs import CourierJob, JobKind, JobStarted, JobStatus
from onestop.domain.courier.otp import (
    DEFAULT_CODE_LIFETIME,
    MAX_CODE_LIFETIME,
    MIN_KEY_BYTES,
    issue_code,
)
from onestop.exceptions import (
    CodeAlreadyUsed,
    CodeExpired,
    CodeNotIssued,
    ConcurrencyConflict,
    HandoffRefused,
    InvalidValue,
    JobRefused,
    PacketNotFound,
)
from onestop.ports.events import Clock, EventStore, IdGenerator
from onestop.ports.staff import FailureCounter
from onestop.usecases.courier import writer as rec
from onestop.usecases.courier._tries import CodeTries
from onestop.usecases.courier.wiring import CourierMall, wire

__all__ = ["DEFAULT_CODE_TRIES", "CustodyDesk"]

DEFAULT_CODE_TRIES = 5
"""Wrong codes typed for one handoff before the desk refuses it until a new code is issued."""

_T = TypeVar("_T")
_MAX_TRIES = 100
_CLOSED = frozenset({JobStatus.COMPLETED, JobStatus.RETURNED})
_DOOR = frozenset({JobKind.PICKUP, JobKind.DELIVERY})


class CustodyDesk:
    """Codes, seals and handoffs of sealed packets (`onestop.usecases.courier.desk.CourierDesk`).

    Args:
        mall: The applications the packets belong to: a `onestop.usecases.mall.Mall`,
            or anything with its `onestop.usecases.courier.wiring.CourierMall` queries.
            The desk only reads it.
        otp_key: The secret the citizens' one-time codes are derived with (at least
            16 bytes; use 32 random ones, kept like a password).
        store: Where the courier streams are kept; a `onestop.ports.events.BatchStore`.
            The mall's when ``None``.
        clock: Tells the time of each command; the mall's when ``None``.
        ids: Makes job ids; the mall's when ``None``.
        retries: How many times a command is decided again when another command
            wrote the same streams first; the mall's when ``None``, else 5.
        code_tries: Tries of a citizen's code per handoff that may fail (a wrong code,
            or a try refused for another reason once its code was taken) before the
            handoff is locked until a new code is issued (1 to 100).  Each try is
            counted before its code is compared, so racing requests cannot compare more.
        failures: Where the tries are counted: a store that counts failures
            (`onestop.ports.staff.FailureCounter`, as every onestop store does),
            atomically across every process sharing it; this process's memory when
            ``None`` (then each process allows its own *code_tries*).

    Every id a command is given is checked before anything is read: a job, seal or
    application id must be text (an unknown one is not found), a new id must have its
    format (`onestop.domain.common.formats`), and an argument of the wrong type raises
    `InvalidValue` naming it.

    Raises:
        ConfigurationError: If a port is missing or of the wrong kind, or the store
            cannot write several streams atomically.
        InvalidValue: If *mall* lacks the `CourierMall` queries, *otp_key* is too
            short, *retries* is not 0 to 100, or *code_tries* not 1 to 100.
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
        key: object = otp_key
        if not isinstance(key, bytes) or len(key) < MIN_KEY_BYTES:
            raise InvalidValue(field="otp_key", reason=f"must be at least {MIN_KEY_BYTES} bytes")
        tries_problem = int_problem(code_tries, minimum=1, maximum=_MAX_TRIES)
        if tries_problem is not None:
            raise InvalidValue(field="code_tries", reason=tries_problem)
        self._mall = mall
        self._work = work
        self._store = work.store
        self._key = otp_key
        self._tries = CodeTries(code_tries, failures)

    def __repr__(self) -> str:
        """Name the store, never the key."""
        return f"<{type(self).__name__} store={self._store!r}>"

    # --- one-time codes ---------------------------------------------------------------

    def issue_handoff_code(
        self, job_id: str, handoff_id: str, /, *, lifetime: timedelta = DEFAULT_CODE_LIFETIME
    ) -> str:
        """Issue the citizen's one-time code for handoff *handoff_id* of a pickup or delivery.

        Only the code's record (its binding, expiry and keyed digest) is stored; the
        code is returned once, for the SMS gateway or the tracking page, and never
        logged.  A new code for the same handoff replaces the earlier one.

        Raises:
            JobNotFound: If there is no such job.
            JobRefused: If the job is not an open pickup or delivery.
            InvalidValue: If *handoff_id* is not a key (`onestop.domain.common.formats.KEY`),
                or *lifetime* is not a positive `timedelta` of at most
                `onestop.domain.courier.otp.MAX_CODE_LIFETIME`.
        """
        _check_code_request(handoff_id, lifetime)
        job = rec.load_job(self._store, job_id, keys=self._work.keys)[0]
        if job.kind not in _DOOR or job.status in _CLOSED:
            raise JobRefused(
                job_id=job.id,
                command="issue_handoff_code",
                status=job.status.value,
                reason="codes are for the citizen's handoffs of open pickups and deliveries",
            )
        return self._issue(job.application_id, job.id, handoff_id, lifetime)

    def issue_counter_code(
        self,
        application_id: str,
        handoff_id: str,
        /,
        *,
        lifetime: timedelta = DEFAULT_CODE_LIFETIME,
    ) -> str:
        """Issue the citizen's code for a handoff at the counter, outside any courier job.

        For the citizen who comes in to collect the permit: the officer hands the
        packet over with `hand_over`, the citizen confirming with this code.

        Raises:
            ApplicationNotFound: If there is no such application.
            InvalidValue: If *handoff_id* is not a key, or *lifetime* is not a positive
                `timedelta` of at most `onestop.domain.courier.otp.MAX_CODE_LIFETIME`.
        """
        _check_code_request(handoff_id, lifetime)
        self._application(application_id)
        return self._issue(application_id, None, handoff_id, lifetime)

    def _issue(
        self, application_id: str, job_id: str | None, handoff_id: str, lifetime: timedelta
    ) -> str:
        def attempt() -> str:
            now = self._work.now()
            try:
                expires_at = now + lifetime
            except OverflowError:
                reason = "the code would expire after the year 9999"
                raise InvalidValue(field="lifetime", reason=reason) from None
            code, record = issue_code(self._key, application_id, handoff_id, expires_at)
            index = rec.load_index(self._store, application_id)
            issued = rec.CodeIssued(job_id=job_id, record=record, at=now)
            self._work.commit(now, rec.index_append(index, [issued]))
            self._tries.clear(application_id, handoff_id)
            return code

        return self._work.retrying(attempt)

    def _application(self, application_id: object) -> None:
        """Check that *application_id* names an application.

        Raises:
            InvalidValue: If it is not text.
            ApplicationNotFound: If there is no such application.
        """
        check_type(application_id, str, field="application_id")
        self._mall.application(application_id)  # type: ignore[arg-type]  # checked

    def _citizen(
        self,
        index: rec.CourierIndex,
        handoff_id: str,
        code: str,
        *,
        job_id: str | None,
        at: datetime,
        now: datetime,
        party: Party | None = None,
    ) -> Confirmation:
        """The citizen's confirmation with *code*, against the record on file for the handoff:
        issued for the same job (or none) before the handoff's *at*, unexpired at *now*."""
        issued = index.codes.get(handoff_id)
        if issued is None or issued.job_id != job_id or at < issued.at:
            raise CodeNotIssued(handoff_id=handoff_id)
        if now >= issued.record.expires_at:
            raise CodeExpired(handoff_id=handoff_id, expired_at=issued.record.expires_at)
        who = party if party is not None else Party(PartyKind.CITIZEN, index.application_id)
        return Confirmation.by_code(who, code, issued.record)

    def _spent(self, index: rec.CourierIndex, seal_id: str, handoff_id: str) -> None:
        """Refuse a code whose handoff another packet of the application recorded."""
        for other in index.packets:
            if other != seal_id and handoff_id in rec.load_ledger(self._store, other).handoffs:
                raise CodeAlreadyUsed(handoff_id=handoff_id)

    def _counting(
        self, application_id: str, handoff_id: str, step: Callable[[], _T], *, code: bool
    ) -> _T:
        """Run *step*; with a citizen's *code* in it, take a try first (refused when the
        handoff is out of tries) and forget the tries once it went through.  A try whose
        step fails (a wrong code, or any other refusal) stays counted."""
        if not code:
            return step()
        self._tries.take(application_id, handoff_id, now=self._work.now())
        result = step()
        self._tries.passed(application_id, handoff_id)
        return result

    # --- custody ----------------------------------------------------------------------

    def seal(
        self, application_id: str, packet: Packet, /, *, by: Confirmation, place: Place
    ) -> CustodyLedger:
        """An office seals *packet* (the issued permit) and becomes its first custodian.

        Raises:
            ApplicationNotFound: If there is no such application.
            HandoffRefused: If the seal id was used already, or the sealer is a citizen
                or did not confirm with a verified PIN or credential.
            InvalidValue: If an argument is of the wrong type.
        """
        check_type(packet, Packet, field="packet")
        check_type(by, Confirmation, field="by")
        check_type(place, Place, field="place")
        self._application(application_id)

        def attempt() -> CustodyLedger:
            now = self._work.now()
            self._require_new_seal(packet.seal_id)
            ledger = seal(packet, application_id=application_id, by=by, at=now, place=place)
            index = rec.load_index(self._store, application_id)
            linked = rec.PacketLinked(seal_id=packet.seal_id, at=now)
            self._work.commit(
                now, rec.packet_append(ledger, since=0), rec.index_append(index, [linked])
            )
            return ledger

        return self._work.retrying(attempt)

    def _require_new_seal(self, seal_id: str) -> None:
        if self._store.read(rec.packet_stream(seal_id)):
            raise HandoffRefused(reason=f"seal {preview(seal_id)} was used for another packet")

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

        The citizen reads out the code issued for *handoff_id*
        (`issue_handoff_code`); the courier confirms with a PIN the host verified.

        Raises:
            JobNotFound: If there is no such job.
            JobRefused: If the job is not an assigned pickup.
            CourierNotAssigned: If *courier* is not the job's courier.
            HandoffRefused: If the seal id was used already.
            CodeRejected: A subclass saying why the code does not confirm the pickup
                (`CodeNotIssued`, `WrongCode`, `CodeExpired`, `TooManyWrongCodes`...).
            ConcurrencyConflict: If *expected_version* is given and not the job's (as
                for `hand_over`).
            InvalidValue: If an argument is of the wrong type or format.
        """
        check_type(job_id, str, field="job_id")
        check_expected_version(expected_version)
        check_type(packet, Packet, field="packet")
        KEY.check(handoff_id, field="handoff_id")
        check_type(courier, Confirmation, field="courier")
        check_type(citizen_code, str, field="citizen_code")
        check_type(place, (Place, type(None)), field="place")

        def attempt() -> CourierStep:
            now = self._work.now()
            job, head = rec.load_job(self._store, job_id, keys=self._work.keys)
            require_version(job, expected_version)
            self._require_new_seal(packet.seal_id)
            index = rec.load_index(self._store, job.application_id)
            citizen = self._citizen(index, handoff_id, citizen_code, job_id=job.id, at=now, now=now)
            step = self._counting(
                job.application_id,
                handoff_id,
                code=True,
                step=lambda: collect(
                    job,
                    packet,
                    handoff_id=handoff_id,
                    citizen=citizen,
                    courier=courier,
                    at=now,
                    proof_sha256=proof_sha256,
                    otp_key=self._key,
                    place=place,
                ),
            )
            assert step.job is not None  # noqa: S101 - collect always moves the job
            links: list[rec.IndexEvent] = [
                rec.PacketLinked(seal_id=packet.seal_id, at=now),
                rec.JobCarries(job_id=job.id, seal_id=packet.seal_id, at=now),
            ]
            self._work.commit(
                now,
                rec.job_append(step.job, since=job.version, head=head, keys=self._work.keys),
                rec.packet_append(step.ledger, since=0),
                rec.index_append(index, links),
            )
            return step

        return self._work.retrying(attempt)

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

        Name the courier's *job_id* whenever a courier gives or receives: the job
        starts when its courier takes the packet, and is done when the courier hands
        it over at the job's destination.  A citizen's side is checked against the
        code on file for the handoff, whatever record the caller attached.  A count
        that does not match the manifest is not refused: it is recorded, the giver
        keeps the packet, and an ``alert_raised`` notification goes out
        (``CourierStep.accepted`` is then false).  With *expected_version*, the handoff
        is recorded only on that version of job *job_id*: not after another change of
        the job (a failed visit, another handoff) decided since the caller last read it.

        Raises:
            PacketNotFound: If no packet was sealed with this id.
            JobNotFound: If there is no such job.
            CustodyError: A subclass naming the custody rule broken (`NotCustodian`,
                `CourierNotAssigned`, `AlreadyDelivered`, `HandoffRefused`, a
                `CodeRejected`).
            JobRefused: If the job is closed or does not fit the handoff.
            TimeWentBackwards: If the handoff is not after the latest recorded event.
            ConcurrencyConflict: If *expected_version* is given and not the job's.
            InvalidValue: If an argument is of the wrong type, or *expected_version* is
                given without *job_id*.
        """
        check_type(seal_id, str, field="seal_id")
        check_type(handoff, Handoff, field="handoff")
        check_type(job_id, (str, type(None)), field="job_id")
        check_expected_version(expected_version)
        if expected_version is not None and job_id is None:
            raise InvalidValue(field="expected_version", reason="names a version of job_id")

        def attempt() -> CourierStep:
            now = self._work.now()
            return self._transfer(seal_id, handoff, job_id, now=now, expected=expected_version)

        return self._work.retrying(attempt)

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

        The citizen confirms with the code issued for *handoff_id* and counts the
        items (*scanned*); the job is then delivered, which the ``courier_delivered``
        guard of the application's workflow sees.

        Raises:
            JobNotFound: If there is no such job.
            JobRefused: If the job's courier carries no packet, or the job is closed.
            CustodyError: A subclass naming the custody rule broken, as `hand_over`.
            ConcurrencyConflict: If *expected_version* is given and not the job's.
            InvalidValue: If an argument is of the wrong type or format.
        """
        check_type(job_id, str, field="job_id")
        check_expected_version(expected_version)
        KEY.check(handoff_id, field="handoff_id")
        check_type(courier, Confirmation, field="courier")
        check_type(citizen_code, str, field="citizen_code")
        check_type(place, (Place, type(None)), field="place")
        items = items_of(scanned, field="scanned")

        def attempt() -> CourierStep:
            now = self._work.now()
            job, _ = rec.load_job(self._store, job_id, keys=self._work.keys)
            require_version(job, expected_version)
            seal_id = rec.load_index(self._store, job.application_id).carrying.get(job.id)
            if seal_id is None:
                raise JobRefused(
                    job_id=job.id,
                    command="deliver",
                    status=job.status.value,
                    reason="the job's courier carries no packet",
                )
            citizen = Confirmation(  # `_transfer` attaches the code's record on file
                party=Party(PartyKind.CITIZEN, job.application_id),
                method=ConfirmationMethod.ONE_TIME_CODE,
                code=citizen_code,
            )
            handoff = Handoff(
                id=handoff_id,
                giver=courier,
                receiver=citizen,
                at=now,
                place=place if place is not None else Place.applicant_address(),
                proof_sha256=proof_sha256,
                scanned=items,
                purpose="delivery",
            )
            return self._transfer(seal_id, handoff, job.id, now=now, expected=expected_version)

        return self._work.retrying(attempt)

    def _transfer(
        self,
        seal_id: str,
        handoff: Handoff,
        job_id: str | None,
        *,
        now: datetime,
        expected: int | None = None,
    ) -> CourierStep:
        ledger = rec.load_ledger(self._store, seal_id)
        job, head = (
            rec.load_job(self._store, job_id, keys=self._work.keys)
            if job_id is not None
            else (None, GENESIS)
        )
        if job is not None:
            if job.application_id != ledger.application_id:  # as if there were none: another
                raise PacketNotFound(seal_id)  # application's packets are not to be probed
            require_version(job, expected)
        if handoff.at > now:
            raise HandoffRefused(reason="the handoff is dated after the desk's clock")
        index = rec.load_index(self._store, ledger.application_id)
        sides: dict[str, Confirmation] = {}
        for side in ("giver", "receiver"):
            confirmation: Confirmation = getattr(handoff, side)
            party, method = confirmation.party, confirmation.method
            if party.kind is PartyKind.CITIZEN and method is ConfirmationMethod.ONE_TIME_CODE:
                sides[side] = self._citizen(
                    index,
                    handoff.id,
                    confirmation.code or "",
                    job_id=job_id,
                    party=confirmation.party,
                    at=handoff.at,
                    now=now,
                )
        if sides:
            self._spent(index, seal_id, handoff.id)
        carrier = handoff.giver.party.kind is PartyKind.COURIER and job_id is not None
        if carrier and index.carrying.get(job_id or "") != seal_id:  # what it carries only
            raise HandoffRefused(reason=f"job {preview(job_id)} does not carry {preview(seal_id)}")
        checked = attrs.evolve(
            handoff,
            giver=sides.get("giver", handoff.giver),
            receiver=sides.get("receiver", handoff.receiver),
        )
        step = self._counting(
            ledger.application_id,
            handoff.id,
            code=bool(sides),
            step=lambda: transfer_with_job(ledger, checked, job=job, otp_key=self._key),
        )
        links: list[rec.IndexEvent] = [attrs.evolve(alert, at=now) for alert in step.alerts]
        appends = [rec.packet_append(step.ledger, since=ledger.version)]
        if job is not None and step.job is not None:
            appends.append(
                rec.job_append(step.job, since=job.version, head=head, keys=self._work.keys)
            )
            if any(isinstance(e, JobStarted) for e in step.job_events):
                links.append(rec.JobCarries(job_id=job.id, seal_id=seal_id, at=now))
        self._work.commit(now, *appends, rec.index_append(index, links))
        return step

    # --- reading ----------------------------------------------------------------------

    def ledger(self, seal_id: str, /) -> CustodyLedger:
        """Return packet *seal_id*'s custody ledger, checked against the stored chain.

        Raises:
            PacketNotFound: If no packet was sealed with this id.
        """
        return rec.load_ledger(self._store, seal_id)

    def verify_packet(self, seal_id: str, /) -> ChainReport:
        """Check the packet's stored chain and its ledger, and that they are the same chain.

        Raises:
            PacketNotFound: If no packet was sealed with this id.
        """
        return rec.verify_packet(self._store, seal_id)


def check_expected_version(expected: object) -> None:
    """Refuse (`InvalidValue`) an *expected_version* neither ``None`` nor a version number."""
    if expected is not None:
        check_int(expected, field="expected_version")


def require_version(job: CourierJob, expected: int | None) -> None:
    """Refuse (`ConcurrencyConflict`) to change *job* unless it is at version *expected*
    (when given), what the caller decided on: not retried, the caller must read it again."""
    if expected is not None and job.version != expected:
        raise ConcurrencyConflict(
            stream_id=f"courier-job:{job.id}", expected=expected, actual=job.version
        )


def _check_code_request(handoff_id: object, lifetime: object) -> None:
    """Check a code request's handoff id and lifetime before anything is read."""
    KEY.check(handoff_id, field="handoff_id")
    check_type(lifetime, timedelta, field="lifetime")
    if not timedelta(0) < lifetime <= MAX_CODE_LIFETIME:  # type: ignore[operator]
        limit = MAX_CODE_LIFETIME
        raise InvalidValue(field="lifetime", reason=f"must be positive and at most {limit}")
