"""Custody ledgers as a GS1 EPCIS 2.0 JSON-LD document: one ``ObjectEvent`` per custody event.

`epcis_document` turns the ledgers of one or more sealed packets
(`onestop.domain.courier.custody.CustodyLedger`) into an ``EPCISDocument``, a plain dict
ready for `json.dumps`, so that an ombudsman, an auditor or another agency's EPCIS
repository can read the chain of custody with standard tools.

How custody events map onto EPCIS and the CBV 2.0 vocabulary:

=======================  =======  ===============  =================================
custody event            action   ``bizStep``      ``disposition``
=======================  =======  ===============  =================================
packet sealed            ADD      commissioning    active
handed over to courier   OBSERVE  accepting        in_transit
handed over to staff     OBSERVE  accepting        in_progress
delivered (to citizen)   OBSERVE  accepting        dispensed
returned to counter      OBSERVE  accepting        returned
manifest mismatch        OBSERVE  inspecting       mismatch_quantity (counts differ)
                                                   or mismatch_instance (same count,
                                                   other documents); also set as
                                                   ``persistentDisposition``
=======================  =======  ===============  =================================

Sealing gives the packet its identifier (CBV *commissioning*); every transfer is a
change of possession (CBV *accepting*), the disposition saying what state the packet
is in afterwards.  ``sourceList`` and ``destinationList`` name the giver and the
receiver as ``possessing_party``: custody is possession, and ownership of documents
and permits never changes hands, so ``owning_party`` is not used.  A packet sealed
at a pickup names the citizen as its source.

Identifiers (a private ``urn:onestop:`` namespace, documented here):

* a packet is ``urn:onestop:packet:<seal id>`` (`packet_urn`); a mall with a GS1
  company prefix can use a GIAI instead, ``urn:epc:id:giai:<prefix>.<seal id>``
  (`giai_urn`);
* a party is ``urn:onestop:party:<kind>:<id>``; a citizen is ``urn:onestop:party:citizen``,
  without an id, since the packet belongs to one application's applicant;
* a place is a ``geo:<lat>,<lon>`` URI (RFC 5870) when it has coordinates, else
  ``urn:onestop:place:<label, percent-encoded>``; it is the ``readPoint``, and the
  ``bizLocation`` while an office holds the packet;
* an event is ``urn:onestop:custody:<seal id>:<version>``.

Extension fields under the ``onestop`` prefix (`ONESTOP_NAMESPACE`) carry the ledger's
chain hashes, the handoff id, how each side confirmed, and the proof hash, so the
export can be checked against the ledger.  No names, addresses, identity numbers or
codes appear: the ledger holds none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import quote

from onestop.domain.common.audit import SealedEntry
from onestop.domain.common.formats import check_text, kind_of
from onestop.domain.common.kinds import check_instant, check_type
from onestop.domain.courier.custody import (
    CustodyEvent,
    CustodyLedger,
    Delivered,
    ManifestMismatch,
    PacketSealed,
    ReturnedToCounter,
)
from onestop.domain.courier.handoffs import Confirmed, Party, PartyKind, Place
from onestop.exceptions import InvalidValue

__all__ = [
    "EPCIS_CONTEXT",
    "ONESTOP_NAMESPACE",
    "epcis_document",
    "giai_urn",
    "object_events",
    "packet_urn",
    "party_urn",
    "place_uri",
]

EPCIS_CONTEXT: Final = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
"""The EPCIS 2.0 JSON-LD context every document names first."""

ONESTOP_NAMESPACE: Final = "https://onestop-mall.readthedocs.io/ns/custody#"
"""The namespace of the ``onestop:`` extension fields."""

_STAFF = frozenset({PartyKind.OFFICER, PartyKind.AGENCY_DESK})
_MAX_ID = 256


def packet_urn(seal_id: str, /) -> str:
    """Return ``urn:onestop:packet:<seal id>``.

    >>> packet_urn("S-2025-0001")
    'urn:onestop:packet:S-2025-0001'

    Raises:
        onestop.exceptions.InvalidValue: If *seal_id* is not text a URN can hold.
    """
    _text(seal_id, field="seal_id")
    return f"urn:onestop:packet:{quote(seal_id, safe='')}"


def giai_urn(company_prefix: str, /) -> Callable[[str], str]:
    """Return a function naming packets as GS1 GIAIs under *company_prefix*.

    >>> giai_urn("8991234")("S-1")
    'urn:epc:id:giai:8991234.S-1'

    Raises:
        onestop.exceptions.InvalidValue: If *company_prefix* is not 6 to 12 ASCII digits;
            the function returned raises it for a seal id that is not text or is too
            long for a GIAI.
    """
    given: object = company_prefix
    if not (
        isinstance(given, str) and given.isascii() and given.isdigit() and 6 <= len(given) <= 12
    ):
        raise InvalidValue(
            field="company_prefix", reason="must be a GS1 company prefix: 6-12 digits"
        )

    def name(seal_id: str) -> str:
        _text(seal_id, field="seal_id")
        if len(company_prefix) + len(seal_id) > 30:
            raise InvalidValue(field="seal_id", reason="too long for a GIAI (30 characters)")
        return f"urn:epc:id:giai:{company_prefix}.{seal_id}"

    return name


def party_urn(party: Party, /) -> str:
    """Return the party's URN; a citizen's id is left out.

    >>> party_urn(Party(PartyKind.COURIER, "c-17"))
    'urn:onestop:party:courier:c-17'

    Raises:
        onestop.exceptions.InvalidValue: If *party* is not a `Party`.
    """
    check_type(party, Party, field="party")
    if party.kind is PartyKind.CITIZEN:
        return "urn:onestop:party:citizen"
    return f"urn:onestop:party:{party.kind.value}:{quote(party.id, safe='')}"


def place_uri(place: Place, /) -> str:
    """Return a ``geo:`` URI for a place with coordinates, else a URN from its label.

    >>> place_uri(Place("MPP Jakarta", "-6.1754", "106.8272"))
    'geo:-6.1754,106.8272'
    >>> place_uri(Place("MPP Jakarta, counter 3"))
    'urn:onestop:place:MPP%20Jakarta%2C%20counter%203'

    Raises:
        onestop.exceptions.InvalidValue: If *place* is not a `Place`.
    """
    check_type(place, Place, field="place")
    if place.lat is not None and place.lon is not None:
        return f"geo:{place.lat},{place.lon}"
    return f"urn:onestop:place:{quote(place.label, safe='')}"


def _text(value: object, *, field: str) -> str:
    """Check that *value* is text a URN can hold, percent-encoded: no surrogate, NUL or control.

    Line breaks pass, as ids an earlier release stored may end with one.
    """
    return check_text(value, field=field, max_length=_MAX_ID, multiline=True)


def _offset(at: datetime) -> str:
    offset = check_instant(at, field="at").utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _time(at: datetime) -> str:
    _offset(at)
    return at.isoformat(timespec="milliseconds")


def _what(event: CustodyEvent) -> tuple[str, str, str]:
    """The action, bizStep and disposition of *event*."""
    if isinstance(event, PacketSealed):
        return "ADD", "commissioning", "active"
    if isinstance(event, ManifestMismatch):
        same_count = event.expected == event.counted
        return "OBSERVE", "inspecting", "mismatch_instance" if same_count else "mismatch_quantity"
    if isinstance(event, Delivered):
        return "OBSERVE", "accepting", "dispensed"
    if isinstance(event, ReturnedToCounter):
        return "OBSERVE", "accepting", "returned"
    courier = event.receiver.party.kind is PartyKind.COURIER
    return "OBSERVE", "accepting", "in_transit" if courier else "in_progress"


def _parties(event: CustodyEvent) -> tuple[Party | None, Party, Party]:
    """The giver (if any), the receiver, and who holds the packet afterwards."""
    if isinstance(event, PacketSealed):
        source = event.collected_from.party if event.collected_from is not None else None
        return source, event.custodian, event.custodian
    holder = event.giver.party if isinstance(event, ManifestMismatch) else event.receiver.party
    return event.giver.party, event.receiver.party, holder


def _confirmations(event: CustodyEvent) -> dict[str, str]:
    pairs: list[tuple[str, Confirmed | None]]
    if isinstance(event, PacketSealed):
        pairs = [
            ("sealerConfirmation", event.confirmed),
            ("citizenConfirmation", event.collected_from),
        ]
    else:
        pairs = [("giverConfirmation", event.giver), ("receiverConfirmation", event.receiver)]
    return {f"onestop:{name}": c.method.value for name, c in pairs if c is not None}


def _uri(packet_uri: Callable[[str], str], seal_id: str) -> str:
    uri: object = packet_uri(seal_id)
    if not isinstance(uri, str):
        reason = f"returned {kind_of(uri)} for a packet, not text"
        raise InvalidValue(field="packet_uri", reason=reason)
    return uri


def _object_event(
    event: CustodyEvent, entry: SealedEntry, seal_id: str, packet_uri: Callable[[str], str]
) -> dict[str, Any]:
    action, step, disposition = _what(event)
    source, destination, holder = _parties(event)
    body: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventID": f"urn:onestop:custody:{quote(seal_id, safe='')}:{entry.version}",
        "eventTime": _time(event.at),
        "eventTimeZoneOffset": _offset(event.at),
        "epcList": [_uri(packet_uri, seal_id)],
        "action": action,
        "bizStep": step,
        "disposition": disposition,
        "readPoint": {"id": place_uri(event.place)},
    }
    if holder.kind in _STAFF:
        body["bizLocation"] = {"id": place_uri(event.place)}
    if isinstance(event, ManifestMismatch):
        body["persistentDisposition"] = {"set": [disposition]}
        body["onestop:expectedCount"] = event.expected
        body["onestop:countedCount"] = event.counted
    if source is not None:
        body["sourceList"] = [{"type": "possessing_party", "source": party_urn(source)}]
    body["destinationList"] = [{"type": "possessing_party", "destination": party_urn(destination)}]
    handoff_id = event.handoff_id
    if handoff_id is not None:
        body["onestop:handoffId"] = handoff_id
    proof = event.proof_sha256 if not isinstance(event, ManifestMismatch) else None
    if proof is not None:
        body["onestop:proofSha256"] = proof
    body.update(_confirmations(event))
    body["onestop:chainVersion"] = entry.version
    body["onestop:chainHash"] = entry.hash
    body["onestop:previousHash"] = entry.previous
    return body


def object_events(
    ledger: CustodyLedger, /, *, packet_uri: Callable[[str], str] = packet_urn
) -> list[dict[str, Any]]:
    """Return one EPCIS ``ObjectEvent`` per event of *ledger*, oldest first.

    Raises:
        onestop.exceptions.InvalidValue: If *ledger* is not a `CustodyLedger`, or
            *packet_uri* is not a function that names a packet with text.
    """
    check_type(ledger, CustodyLedger, field="ledger")
    _check_callable(packet_uri)
    return [
        _object_event(event, entry, ledger.seal_id, packet_uri)
        for event, entry in zip(ledger.events, ledger.entries, strict=True)
    ]


def epcis_document(
    ledgers: Iterable[CustodyLedger],
    /,
    *,
    created_at: datetime,
    packet_uri: Callable[[str], str] = packet_urn,
) -> dict[str, Any]:
    """Return an EPCIS 2.0 ``EPCISDocument`` holding the events of every ledger given.

    Events come ledger by ledger, each ledger's oldest first, so each packet's chain
    reads in order.

    Args:
        ledgers: The packets' custody ledgers.
        created_at: The document's ``creationDate`` (timezone-aware; the caller's clock).
        packet_uri: How to name a packet from its seal id: `packet_urn` (the default)
            or a `giai_urn`.

    Raises:
        onestop.exceptions.NaiveDatetime: If *created_at* has no time zone.
        onestop.exceptions.InvalidValue: If *created_at* is not an instant, *ledgers*
            is not an iterable of `CustodyLedger`, or *packet_uri* is not a function
            that names a packet with text.
    """
    check_instant(created_at, field="created_at")
    check_type(ledgers, Iterable, field="ledgers")
    _check_callable(packet_uri)
    events = [event for ledger in ledgers for event in object_events(ledger, packet_uri=packet_uri)]
    return {
        "@context": [EPCIS_CONTEXT, {"onestop": ONESTOP_NAMESPACE}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": _time(created_at),
        "epcisBody": {"eventList": events},
    }


def _check_callable(packet_uri: object) -> None:
    if not callable(packet_uri):
        reason = f"expected a function, not {kind_of(packet_uri)}"
        raise InvalidValue(field="packet_uri", reason=reason)
