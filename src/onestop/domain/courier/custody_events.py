"""The events of a packet's custody ledger, and the bytes the ledger chains for each.

A packet's ledger (`onestop.domain.courier.custody.CustodyLedger`) is a stream of these
frozen events: `PacketSealed` first, then a `HandedOver` (or its kinds `Delivered`
and `ReturnedToCounter`) per transfer, and a `ManifestMismatch` where a receiver's
count did not match the seal's manifest.  They hold ids, never personal data.
`custody_body` is what the ledger hashes for each: the canonical JSON of the event
with the packet's stream id.  `AlertRaised` is not a ledger entry but a
notification to send.

They are recorded by `onestop.domain.courier.custody.seal` and `transfer`, which check every
value's format first.  The classes themselves check types only (a party is a `Party`,
a count an integer a store holds, an instant an aware `datetime`), not formats: new
events are built from values history holds, and history an earlier release stored
keeps loading and being extended.  Each class carries the version of its stored
shape, ``SCHEMA_VERSION`` (`onestop.usecases.streams` upcasts older ones).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import ClassVar, Literal, TypeAlias

import attrs

from onestop.domain.common.audit import event_body
from onestop.domain.common.formats import int_problem
from onestop.domain.common.kinds import check_instant, check_type, type_validator
from onestop.domain.courier.handoffs import Confirmed, Packet, Party, Place
from onestop.exceptions import InvalidValue

__all__ = [
    "CUSTODY_EVENT_TYPES",
    "AlertRaised",
    "CustodyEvent",
    "Delivered",
    "HandedOver",
    "ManifestMismatch",
    "PacketSealed",
    "ReturnedToCounter",
    "custody_body",
]


def _aware(_: object, attribute: attrs.Attribute[datetime], value: object) -> None:
    check_instant(value, field=attribute.name)


def _count(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    problem = int_problem(value)
    if problem is not None:
        raise InvalidValue(field=attribute.name, reason=problem)


_TEXT = type_validator(str)
_OPTIONAL_TEXT = type_validator((str, type(None)))
_CONFIRMED = type_validator(Confirmed)
_PARTY = type_validator(Party)
_PLACE = type_validator(Place)
_DOCUMENTS = type_validator(tuple, items=str)


@attrs.frozen(kw_only=True)
class PacketSealed:
    """The packet was sealed: the first entry of its ledger, naming its first custodian.

    Attributes:
        application_id: The application the packet belongs to.
        packet: The packet, with its manifest.
        custodian: Who sealed it and now holds it.
        confirmed: The custodian's confirmation.
        collected_from: The citizen's confirmation, when sealed at pickup.
        handoff_id: The pickup handoff's id, when sealed at pickup.
        proof_sha256: The proof of the pickup, if any.
        at: When.
        place: Where.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["packet_sealed"] = attrs.field(default="packet_sealed", init=False)
    application_id: str = attrs.field(validator=_TEXT)
    packet: Packet = attrs.field(validator=type_validator(Packet))
    custodian: Party = attrs.field(validator=_PARTY)
    confirmed: Confirmed = attrs.field(validator=_CONFIRMED)
    collected_from: Confirmed | None = attrs.field(
        default=None, validator=type_validator((Confirmed, type(None)))
    )
    handoff_id: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    proof_sha256: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    at: datetime = attrs.field(validator=_aware)
    place: Place = attrs.field(validator=_PLACE)


@attrs.frozen(kw_only=True)
class HandedOver:
    """Custody passed from *giver* to *receiver*; both confirmed and the count matched.

    Attributes:
        handoff_id: The handoff's id.
        giver: The giver's confirmation.
        receiver: The receiver's confirmation; the receiver is now the custodian.
        item_count: How many items the receiver counted.
        proof_sha256: The SHA-256 of the proof.
        purpose: Why, if given.
        at: When.
        place: Where.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["handed_over"] = attrs.field(default="handed_over", init=False)
    handoff_id: str = attrs.field(validator=_TEXT)
    giver: Confirmed = attrs.field(validator=_CONFIRMED)
    receiver: Confirmed = attrs.field(validator=_CONFIRMED)
    item_count: int = attrs.field(validator=_count)
    proof_sha256: str = attrs.field(validator=_TEXT)
    purpose: str = attrs.field(default="", validator=_TEXT)
    at: datetime = attrs.field(validator=_aware)
    place: Place = attrs.field(validator=_PLACE)


@attrs.frozen(kw_only=True)
class Delivered(HandedOver):
    """The packet reached the citizen: the last transfer; nothing may follow."""

    kind: Literal["delivered"] = attrs.field(default="delivered", init=False)  # type: ignore[assignment]


@attrs.frozen(kw_only=True)
class ReturnedToCounter(HandedOver):
    """A courier brought the packet back to the counter, undelivered."""

    kind: Literal["returned_to_counter"] = attrs.field(  # type: ignore[assignment]
        default="returned_to_counter", init=False
    )


@attrs.frozen(kw_only=True)
class ManifestMismatch:
    """An exception: the receiver's count did not match the manifest, so custody did not pass.

    Attributes:
        handoff_id: The refused handoff's id.
        giver: The giver's confirmation; the giver remains the custodian.
        receiver: The receiver's confirmation (who found the mismatch).
        expected: How many items the manifest lists.
        counted: How many the receiver counted.
        missing: Document references in the manifest but not counted (one per copy).
        unexpected: Document references counted but not in the manifest, or whose hash
            differs from the manifest's.
        at: When.
        place: Where.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["manifest_mismatch"] = attrs.field(default="manifest_mismatch", init=False)
    handoff_id: str = attrs.field(validator=_TEXT)
    giver: Confirmed = attrs.field(validator=_CONFIRMED)
    receiver: Confirmed = attrs.field(validator=_CONFIRMED)
    expected: int = attrs.field(validator=_count)
    counted: int = attrs.field(validator=_count)
    missing: tuple[str, ...] = attrs.field(validator=_DOCUMENTS)
    unexpected: tuple[str, ...] = attrs.field(validator=_DOCUMENTS)
    at: datetime = attrs.field(validator=_aware)
    place: Place = attrs.field(validator=_PLACE)


CustodyEvent: TypeAlias = (
    PacketSealed | HandedOver | Delivered | ReturnedToCounter | ManifestMismatch
)
"""Anything a custody ledger records."""

CUSTODY_EVENT_TYPES: Mapping[str, type[CustodyEvent]] = MappingProxyType(
    {
        "packet_sealed": PacketSealed,
        "handed_over": HandedOver,
        "delivered": Delivered,
        "returned_to_counter": ReturnedToCounter,
        "manifest_mismatch": ManifestMismatch,
    }
)
"""Each custody event class by its ``kind`` tag."""

EVENT_CLASSES = tuple(CUSTODY_EVENT_TYPES.values())
"""The custody event classes, for `isinstance` checks."""


@attrs.frozen(kw_only=True)
class AlertRaised:
    """Someone must look at a packet now: not a ledger entry, but a notification to send.

    The courier index of the application records it too
    (`onestop.domain.courier.index`), so the alert is one event wherever it goes.  Its
    schema version is 2: version 1, which index streams stored before, lacked the
    application's id (the stream names it; reading upcasts it).

    Attributes:
        alert: What happened (``manifest_mismatch``).
        seal_id: The packet.
        application_id: Its application.
        handoff_id: The handoff where it happened.
        custodian: Who still holds the packet.
        at: When.
    """

    SCHEMA_VERSION: ClassVar[int] = 2
    """The version of its stored shape, 2, which holds the application's id."""

    kind: Literal["alert_raised"] = attrs.field(default="alert_raised", init=False)
    alert: str = attrs.field(validator=_TEXT)
    seal_id: str = attrs.field(validator=_TEXT)
    application_id: str = attrs.field(validator=_TEXT)
    handoff_id: str = attrs.field(validator=_TEXT)
    custodian: Party = attrs.field(validator=_PARTY)
    at: datetime = attrs.field(validator=_aware)


def custody_body(seal_id: str, event: CustodyEvent, /) -> bytes:
    """Return the canonical bytes the ledger chains for *event* of packet *seal_id*.

    The packet's id is part of the body, so an entry copied into another packet's
    ledger no longer verifies.

    Raises:
        onestop.exceptions.InvalidValue: If *seal_id* is not text or *event* is not a
            custody event.
    """
    check_type(seal_id, str, field="seal_id")
    check_type(event, EVENT_CLASSES, field="event")
    return event_body(f"packet:{seal_id}", event)
