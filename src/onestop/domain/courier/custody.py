"""Chain of custody for sealed packets of documents: who holds them, and proof of each transfer.

Original documents and issued permits are legal objects: at every moment one party
is accountable for them, and every transfer must be provable later.  A `Packet` is
sealed with a manifest of document hashes; from then on a `CustodyLedger` records,
as a hash-chained stream of custody events, who sealed it and every transfer:

* `seal` opens a ledger: the first custodian seals the packet (an officer sealing a
  permit, or a courier sealing the documents collected at a citizen's door, with the
  citizen's one-time code);
* `transfer` moves the packet from its custodian to a receiver.  Both confirm (staff
  with a verified PIN or credential, a citizen with a one-time code bound to this
  handoff and this application), the receiver counts the items, and the ledger
  records time, place, a proof hash (photo or signature) and both confirmations.

A transfer the rules refuse raises a typed `onestop.exceptions.CustodyError` (or
`TimeWentBackwards`) and changes nothing.  A transfer the rules allow answers with a
typed outcome, in the typed-state style hishel uses for multi-step protocols:
`Transferred`, or `MismatchRecorded` when the receiver's count does not match the
sealed manifest.  A mismatch is not refused silently: its ledger holds a
`ManifestMismatch` exception entry, its events carry an `AlertRaised`, and custody
stays with the giver.  Custody events hold ids, never personal data (names,
addresses, codes), so the ledger can outlive an erasure request.

The values a handoff is made of (`Party`, `Place`, `Packet`, `Confirmation`,
`Handoff`) live in `onestop.domain.courier.handoffs`, the ledger's events in
`onestop.domain.courier.custody_events` (re-exported here).  `onestop.domain.courier.flow` ties
transfers to courier jobs, tells citizens where their packet is, and measures how
long each custodian held it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

import attrs

from onestop.domain.common.audit import GENESIS, ChainReport, SealedEntry, extend_chain
from onestop.domain.common.audit import verify_chain as _verify_chain
from onestop.domain.common.formats import KEY, SHA256_HEX, preview
from onestop.domain.common.kinds import check_instant, check_type, type_validator
from onestop.domain.courier.custody_events import (
    CUSTODY_EVENT_TYPES,
    EVENT_CLASSES,
    AlertRaised,
    CustodyEvent,
    Delivered,
    HandedOver,
    ManifestMismatch,
    PacketSealed,
    ReturnedToCounter,
    custody_body,
)
from onestop.domain.courier.handoffs import (
    Confirmation,
    ConfirmationMethod,
    Confirmed,
    Handoff,
    ManifestItem,
    Packet,
    Party,
    PartyKind,
    Place,
)
from onestop.domain.courier.otp import verify_code
from onestop.exceptions import (
    AlreadyDelivered,
    CourierNotAssigned,
    HandoffRefused,
    InvalidValue,
    NotCustodian,
    TimeWentBackwards,
)

__all__ = [
    "CUSTODY_EVENT_TYPES",
    "AlertRaised",
    "CustodyEvent",
    "CustodyLedger",
    "Delivered",
    "HandedOver",
    "ManifestMismatch",
    "MismatchRecorded",
    "PacketSealed",
    "ReturnedToCounter",
    "Transferred",
    "custody_body",
    "seal",
    "transfer",
]


def _instant(_: object, attribute: attrs.Attribute[datetime], value: object) -> None:
    check_instant(value, field=attribute.name)


_CODES = type_validator(frozenset, items=str)


@attrs.frozen(kw_only=True)
class CustodyLedger:
    """A packet's custody: its hash-chained events and what follows from them.

    Build one with `seal`, or from stored events with `from_events`; `transfer` returns
    a new ledger and leaves this one as it was.

    A ledger checks what it is made of when it is built (also by ``attrs.evolve``):
    each attribute's type, that *events* start with the one `PacketSealed`, whose
    application and packet are the ledger's, and that there is one entry per event.
    It does not check formats, which `seal` and `transfer` check on input: a ledger
    folded from history an earlier release stored keeps loading.

    Raises:
        onestop.exceptions.InvalidValue: If an attribute is of the wrong type, or the
            ledger does not agree with its events.

    Attributes:
        application_id: The application the packet belongs to.
        packet: The sealed packet.
        custodian: Who holds it now.
        delivered: Whether it reached the citizen (then nothing may follow).
        latest: The instant of the latest event; every later event must be after it.
        open_mismatch: The latest manifest mismatch, until a transfer succeeds.
        used_codes: The digests of the one-time codes already used.
        handoffs: The ids of the handoffs recorded.
        events: Every event, oldest first.
        entries: The chain: one sealed entry per event, verifiable with
            `onestop.domain.common.audit.verify_chain`.
    """

    application_id: str = attrs.field(validator=type_validator(str))
    packet: Packet = attrs.field(validator=type_validator(Packet))
    custodian: Party = attrs.field(validator=type_validator(Party))
    delivered: bool = attrs.field(default=False, validator=type_validator(bool))
    latest: datetime = attrs.field(validator=_instant)
    open_mismatch: ManifestMismatch | None = attrs.field(
        default=None, validator=type_validator((ManifestMismatch, type(None)))
    )
    used_codes: frozenset[str] = attrs.field(default=frozenset(), validator=_CODES)
    handoffs: frozenset[str] = attrs.field(default=frozenset(), validator=_CODES)
    events: tuple[CustodyEvent, ...] = attrs.field(
        repr=False, validator=type_validator(tuple, items=EVENT_CLASSES)
    )
    entries: tuple[SealedEntry, ...] = attrs.field(
        repr=False, validator=type_validator(tuple, items=SealedEntry)
    )

    def __attrs_post_init__(self) -> None:
        """Check that the ledger agrees with its events."""
        first = self.events[0] if self.events else None
        if not isinstance(first, PacketSealed) or any(
            isinstance(event, PacketSealed) for event in self.events[1:]
        ):
            reason = "a ledger's events start with one 'packet_sealed'"
            raise InvalidValue(field="events", reason=reason)
        if len(self.entries) != len(self.events):
            reason = f"are {len(self.entries)}, but the ledger holds {len(self.events)} events"
            raise InvalidValue(field="entries", reason=reason)
        if self.application_id != first.application_id:
            reason = "is not the one its 'packet_sealed' event has"
            raise InvalidValue(field="application_id", reason=reason)
        if self.packet != first.packet:
            raise InvalidValue(field="packet", reason="is not the one its 'packet_sealed' sealed")

    @property
    def seal_id(self) -> str:
        """The packet's seal id, which names the ledger's stream (``packet:<seal id>``)."""
        return self.packet.seal_id

    @property
    def version(self) -> int:
        """How many events the ledger holds."""
        return len(self.events)

    @classmethod
    def from_events(cls, events: Iterable[CustodyEvent], /) -> CustodyLedger:
        """Fold stored *events*, oldest first, into the ledger.

        Raises:
            onestop.exceptions.HandoffRefused: If the stream does not start with one
                `PacketSealed`.
            onestop.exceptions.InvalidValue: If *events* is not an iterable of custody
                events.
        """
        check_type(events, Iterable, field="events")
        iterator = iter(events)
        first = next(iterator, None)
        if not isinstance(first, PacketSealed):
            raise HandoffRefused(reason="a custody stream must start with 'packet_sealed'")
        body = custody_body(first.packet.seal_id, first)
        codes = {first.collected_from.reference} if first.collected_from else set()
        ledger = cls(
            application_id=first.application_id,
            packet=first.packet,
            custodian=first.custodian,
            latest=first.at,
            used_codes=frozenset(codes),
            handoffs=frozenset({first.handoff_id} if first.handoff_id else ()),
            events=(first,),
            entries=tuple(extend_chain((body,), version=0, head=GENESIS)),
        )
        for event in iterator:
            ledger = ledger.apply(event)
        return ledger

    def apply(self, event: CustodyEvent, /) -> CustodyLedger:
        """Return the ledger after *event* (already checked by `transfer`).

        Raises:
            onestop.exceptions.HandoffRefused: If *event* is a second `PacketSealed`.
            onestop.exceptions.InvalidValue: If *event* is not a custody event.
        """
        check_type(event, EVENT_CLASSES, field="event")
        if isinstance(event, PacketSealed):
            raise HandoffRefused(reason="a custody stream holds one 'packet_sealed' only")
        previous = self.entries[-1]
        body = custody_body(self.seal_id, event)
        (entry,) = extend_chain((body,), version=previous.version, head=previous.hash)
        changes: dict[str, object] = {}
        if isinstance(event, ManifestMismatch):
            changes["open_mismatch"] = event
        else:
            codes = {c.reference for c in (event.giver, event.receiver) if _is_code(c)}
            changes["custodian"] = event.receiver.party
            changes["delivered"] = isinstance(event, Delivered)
            changes["open_mismatch"] = None
            changes["used_codes"] = self.used_codes | codes
            changes["handoffs"] = self.handoffs | {event.handoff_id}
        return attrs.evolve(
            self,
            latest=event.at,
            events=(*self.events, event),
            entries=(*self.entries, entry),
            **changes,  # type: ignore[arg-type]
        )

    def verify(self) -> ChainReport:
        """Check the chain, and that each entry's body is its event's canonical body."""
        report = _verify_chain(self.entries)
        if not report.ok:
            return report
        for index, (entry, event) in enumerate(zip(self.entries, self.events, strict=True)):
            if entry.body != custody_body(self.seal_id, event):
                return ChainReport(
                    ok=False,
                    first_bad=index,
                    version=entry.version,
                    problem="the entry's body is not its event's canonical body",
                )
        return report


def _is_code(confirmed: Confirmed) -> bool:
    return confirmed.method is ConfirmationMethod.ONE_TIME_CODE


def _confirm(
    confirmation: Confirmation,
    *,
    application_id: str,
    handoff_id: str,
    at: datetime,
    otp_key: bytes | None,
    used: frozenset[str],
) -> Confirmed:
    """Check *confirmation* and return what the ledger keeps of it."""
    party = confirmation.party
    if party.kind is PartyKind.CITIZEN:
        if confirmation.method is not ConfirmationMethod.ONE_TIME_CODE:
            raise HandoffRefused(reason="a citizen confirms with the one-time code only")
        if confirmation.issued is None or confirmation.code is None or otp_key is None:
            raise HandoffRefused(reason="a citizen's code needs its record and the code key")
        verify_code(
            confirmation.issued,
            confirmation.code,
            secret_key=otp_key,
            application_id=application_id,
            handoff_id=handoff_id,
            at=at,
            used=used,
        )
        return Confirmed(party, confirmation.method, confirmation.issued.digest)
    if not confirmation.by_staff_method or not confirmation.credential:
        raise HandoffRefused(reason=f"{party.shown} confirms with a verified PIN or credential")
    return Confirmed(party, confirmation.method, confirmation.credential)


def seal(
    packet: Packet,
    *,
    application_id: str,
    by: Confirmation,
    at: datetime,
    place: Place,
    collected: Confirmation | None = None,
    handoff_id: str | None = None,
    proof_sha256: str | None = None,
    otp_key: bytes | None = None,
) -> CustodyLedger:
    """Open the ledger of *packet*: *by* seals it and becomes its custodian.

    At a pickup, the courier seals what the citizen handed over: pass the citizen's
    confirmation as *collected*, the pickup's *handoff_id* (the code is bound to it)
    and the proof.  Use `onestop.domain.courier.flow.collect` for that: it also
    checks the courier's job.

    Raises:
        onestop.exceptions.HandoffRefused: If the sealer is a citizen, a confirmation
            is missing or of the wrong method, or a pickup lacks its handoff id or a
            proof hash of 64 hex digits.
        onestop.exceptions.CodeRejected: If the citizen's code does not confirm it.
        onestop.exceptions.InvalidValue: If an argument is of the wrong type, the
            application id or handoff id is not a key (`onestop.domain.common.formats.KEY`),
            the proof is not a SHA-256, or *at* is not an instant.
    """
    check_type(packet, Packet, field="packet")
    KEY.check(application_id, field="application_id")
    check_type(by, Confirmation, field="by")
    check_instant(at, field="at")
    check_type(place, Place, field="place")
    check_type(collected, (Confirmation, type(None)), field="collected")
    if handoff_id is not None:
        KEY.check(handoff_id, field="handoff_id")
    if by.party.kind is PartyKind.CITIZEN:
        raise HandoffRefused(reason="a citizen cannot seal a packet")
    sealed_by = _confirm(
        by, application_id=application_id, handoff_id="", at=at, otp_key=None, used=frozenset()
    )
    collected_from, proof = None, None
    if collected is not None:
        proof = proof_sha256.lower() if isinstance(proof_sha256, str) else ""
        if handoff_id is None or not SHA256_HEX.matches(proof):
            raise HandoffRefused(reason="a pickup needs its handoff id and a SHA-256 proof hash")
        if collected.party.kind is not PartyKind.CITIZEN:
            raise HandoffRefused(reason="documents are collected from a citizen")
        collected_from = _confirm(
            collected,
            application_id=application_id,
            handoff_id=handoff_id,
            at=at,
            otp_key=otp_key,
            used=frozenset(),
        )
    event = PacketSealed(
        application_id=application_id,
        packet=packet,
        custodian=by.party,
        confirmed=sealed_by,
        collected_from=collected_from,
        handoff_id=handoff_id if collected is not None else None,
        proof_sha256=proof,
        at=at,
        place=place,
    )
    return CustodyLedger.from_events((event,))


@attrs.frozen
class Transferred:
    """`transfer` succeeded: the receiver holds the packet.

    Attributes:
        ledger: The ledger after the transfer.
        events: The events to record (one custody event).
    """

    ledger: CustodyLedger
    events: tuple[CustodyEvent, ...]
    accepted: Literal[True] = attrs.field(default=True, init=False)


@attrs.frozen
class MismatchRecorded:
    """`transfer` found a manifest mismatch: recorded, alerted, custody unchanged.

    Attributes:
        ledger: The ledger with the `ManifestMismatch` entry; the giver still holds it.
        events: The events to record and send: the `ManifestMismatch`, then the
            `AlertRaised` (a notification, not a ledger entry).
    """

    ledger: CustodyLedger
    events: tuple[ManifestMismatch | AlertRaised, ...]
    accepted: Literal[False] = attrs.field(default=False, init=False)


def _differences(
    manifest: tuple[ManifestItem, ...], scanned: tuple[ManifestItem, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    expected, counted = Counter(manifest), Counter(scanned)
    missing = sorted((expected - counted).elements(), key=lambda i: (i.document, i.sha256))
    unexpected = sorted((counted - expected).elements(), key=lambda i: (i.document, i.sha256))
    return tuple(i.document for i in missing), tuple(i.document for i in unexpected)


def transfer(
    ledger: CustodyLedger,
    handoff: Handoff,
    /,
    *,
    otp_key: bytes | None = None,
    assigned_courier: str | None = None,
    returning: bool = False,
) -> Transferred | MismatchRecorded:
    """Pass the packet from its custodian to the receiver, if the rules allow it.

    The rules, in the order they are checked:

    1. nothing follows a delivery (`AlreadyDelivered`);
    2. time never runs backwards: *handoff* must be after the latest event
       (`TimeWentBackwards`);
    3. only the custodian can give (`NotCustodian`), and not to themselves: staff ids
       name one person whatever the kind of party, so an officer cannot hand a packet
       to the same id as a courier or a desk;
    4. a courier receives, or delivers to a citizen, only as *assigned_courier*: the
       courier assigned to the job (`CourierNotAssigned`);
    5. both confirm: staff by a verified PIN or credential, a citizen by the one-time
       code issued for this handoff of this application, unexpired and unused
       (`HandoffRefused`, `CodeRejected`); a handoff id is used once;
    6. the receiver's count equals the manifest; if not, the mismatch is recorded and
       alerted (`MismatchRecorded`) and the giver keeps the packet.

    A transfer to a citizen is a `Delivered`; with *returning*, a courier's transfer
    to staff is a `ReturnedToCounter`; any other is a `HandedOver`.

    Raises:
        onestop.exceptions.CustodyError: A subclass naming the rule broken; nothing
            changes, and *ledger* stays as it was.
        onestop.exceptions.InvalidValue: If an argument is of the wrong type.
    """
    check_type(ledger, CustodyLedger, field="ledger")
    check_type(handoff, Handoff, field="handoff")
    check_type(otp_key, (bytes, type(None)), field="otp_key")
    check_type(assigned_courier, (str, type(None)), field="assigned_courier")
    check_type(returning, bool, field="returning")
    at = handoff.at
    if ledger.delivered:
        raise AlreadyDelivered(seal_id=ledger.seal_id)
    if at <= ledger.latest:
        raise TimeWentBackwards(at=at, latest=ledger.latest)
    giver, receiver = handoff.giver.party, handoff.receiver.party
    if giver != ledger.custodian:
        raise NotCustodian(seal_id=ledger.seal_id, party=giver.shown)
    if giver == receiver or (giver.is_staff and receiver.is_staff and giver.id == receiver.id):
        raise HandoffRefused(reason="the giver and the receiver are the same party")
    if receiver.kind is PartyKind.COURIER and receiver.id != assigned_courier:
        raise CourierNotAssigned(courier_id=receiver.id)
    delivering = receiver.kind is PartyKind.CITIZEN and giver.kind is PartyKind.COURIER
    if delivering and giver.id != assigned_courier:
        raise CourierNotAssigned(courier_id=giver.id)
    if returning and (giver.kind is not PartyKind.COURIER or receiver.kind is PartyKind.CITIZEN):
        raise HandoffRefused(reason="only a courier returns a packet, and to staff")
    context = {
        "application_id": ledger.application_id,
        "handoff_id": handoff.id,
        "at": at,
        "otp_key": otp_key,
        "used": ledger.used_codes,
    }
    gave = _confirm(handoff.giver, **context)  # type: ignore[arg-type]
    took = _confirm(handoff.receiver, **context)  # type: ignore[arg-type]
    if handoff.id in ledger.handoffs:
        raise HandoffRefused(reason=f"handoff {preview(handoff.id)} is already recorded")
    missing, unexpected = _differences(ledger.packet.manifest, handoff.scanned)
    if missing or unexpected:
        mismatch = ManifestMismatch(
            handoff_id=handoff.id,
            giver=gave,
            receiver=took,
            expected=ledger.packet.item_count,
            counted=len(handoff.scanned),
            missing=missing,
            unexpected=unexpected,
            at=at,
            place=handoff.place,
        )
        alert = AlertRaised(
            alert="manifest_mismatch",
            seal_id=ledger.seal_id,
            application_id=ledger.application_id,
            handoff_id=handoff.id,
            custodian=giver,
            at=at,
        )
        return MismatchRecorded(ledger.apply(mismatch), (mismatch, alert))
    kind: type[HandedOver] = HandedOver
    if receiver.kind is PartyKind.CITIZEN:
        kind = Delivered
    elif returning:
        kind = ReturnedToCounter
    event = kind(
        handoff_id=handoff.id,
        giver=gave,
        receiver=took,
        item_count=len(handoff.scanned),
        proof_sha256=handoff.proof_sha256,
        purpose=handoff.purpose,
        at=at,
        place=handoff.place,
    )
    return Transferred(ledger.apply(event), (event,))
