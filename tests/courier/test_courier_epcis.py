"""The EPCIS 2.0 export of custody ledgers: CBV vocabulary, identifiers, no personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from courier_support import (
    CITIZEN,
    COUNTER,
    COURIER,
    DESK,
    DOCUMENTS,
    KEY,
    PERMIT,
    T0,
    citizen_confirms,
    handoff,
    minutes,
    sealed_at_counter,
    staff,
)

from onestop.domain.courier.custody import CustodyLedger, transfer
from onestop.domain.courier.handoffs import Party, PartyKind, Place
from onestop.exceptions import InvalidValue, NaiveDatetime
from onestop.interop.epcis import (
    ONESTOP_NAMESPACE,
    epcis_document,
    giai_urn,
    object_events,
    packet_urn,
    party_urn,
    place_uri,
)

LATER = T0 + minutes(30)


def _last(ledger: CustodyLedger) -> dict[str, Any]:
    return object_events(ledger)[-1]


def test_sealing_commissions_the_packet() -> None:
    """The sealing event ADDs the packet with bizStep commissioning, disposition active."""
    event = object_events(sealed_at_counter())[0]
    assert (event["action"], event["bizStep"], event["disposition"]) == (
        "ADD",
        "commissioning",
        "active",
    )
    assert event["epcList"] == ["urn:onestop:packet:S-0001"]
    assert "sourceList" not in event


def test_a_transfer_names_giver_and_receiver_as_possessing_parties() -> None:
    """A handoff lists the giver as source and the receiver as destination, both possessing."""
    ledger = transfer(
        sealed_at_counter(), handoff("h-1", staff(COUNTER), staff(DESK), LATER)
    ).ledger
    event = _last(ledger)
    assert event["sourceList"] == [
        {"type": "possessing_party", "source": "urn:onestop:party:officer:o-counter-3"}
    ]
    assert event["destinationList"] == [
        {"type": "possessing_party", "destination": "urn:onestop:party:agency_desk:desk-dpmptsp"}
    ]


def test_a_courier_receiving_puts_the_packet_in_transit() -> None:
    """A courier taking the packet is accepting/in_transit, with no business location."""
    move = handoff("h-1", staff(COUNTER), staff(COURIER), LATER)
    event = _last(transfer(sealed_at_counter(), move, assigned_courier=COURIER.id).ledger)
    assert (event["bizStep"], event["disposition"]) == ("accepting", "in_transit")
    assert "bizLocation" not in event


def test_a_short_count_is_a_quantity_mismatch() -> None:
    """A mismatch with fewer items is inspecting/mismatch_quantity, also kept as persistent."""
    move = handoff("h-1", staff(COUNTER), staff(DESK), LATER, scanned=DOCUMENTS[:2])
    event = _last(transfer(sealed_at_counter(), move).ledger)
    assert (event["bizStep"], event["disposition"]) == ("inspecting", "mismatch_quantity")
    assert event["persistentDisposition"] == {"set": ["mismatch_quantity"]}
    assert (event["onestop:expectedCount"], event["onestop:countedCount"]) == (3, 2)


def test_a_swapped_document_is_an_instance_mismatch() -> None:
    """A mismatch with the right count but another document is mismatch_instance."""
    move = handoff("h-1", staff(COUNTER), staff(DESK), LATER, scanned=(*DOCUMENTS[:2], PERMIT[0]))
    event = _last(transfer(sealed_at_counter(), move).ledger)
    assert event["disposition"] == "mismatch_instance"


def test_returns_are_returned() -> None:
    """A courier's return to the counter has disposition returned."""
    out = handoff("h-1", staff(COUNTER), staff(COURIER), LATER)
    ledger = transfer(sealed_at_counter(), out, assigned_courier=COURIER.id).ledger
    back = handoff("h-2", staff(COURIER), staff(COUNTER), LATER + minutes(60))
    ledger = transfer(ledger, back, returning=True).ledger
    assert _last(ledger)["disposition"] == "returned"


def test_events_carry_the_chain() -> None:
    """Each event carries its entry's version and hashes, linking the export to the ledger."""
    ledger = transfer(
        sealed_at_counter(), handoff("h-1", staff(COUNTER), staff(DESK), LATER)
    ).ledger
    first, second = object_events(ledger)
    assert second["onestop:previousHash"] == first["onestop:chainHash"] == ledger.entries[0].hash
    assert second["eventID"] == "urn:onestop:custody:S-0001:2"
    assert (second["onestop:giverConfirmation"], second["onestop:receiverConfirmation"]) == (
        "credential",
        "credential",
    )


def test_times_keep_their_offset() -> None:
    """eventTime is written with its UTC offset, repeated in eventTimeZoneOffset."""
    event = object_events(sealed_at_counter())[0]
    assert event["eventTime"] == "2025-03-10T08:00:00.000+07:00"
    assert event["eventTimeZoneOffset"] == "+07:00"


def test_the_document_declares_the_extension_namespace() -> None:
    """The @context maps the onestop prefix to its namespace after the EPCIS context."""
    document = epcis_document([sealed_at_counter()], created_at=LATER)
    assert document["@context"][1] == {"onestop": ONESTOP_NAMESPACE}
    assert document["creationDate"] == "2025-03-10T08:30:00.000+07:00"


def test_creation_date_must_be_aware() -> None:
    """A creation date without a time zone raises NaiveDatetime."""
    with pytest.raises(NaiveDatetime):
        epcis_document([], created_at=datetime(2025, 3, 10))  # noqa: DTZ001


def test_giai_names_packets_under_a_company_prefix() -> None:
    """With a GS1 company prefix, packets are named as GIAIs."""
    document = epcis_document(
        [sealed_at_counter()], created_at=LATER, packet_uri=giai_urn("8991234")
    )
    assert document["epcisBody"]["eventList"][0]["epcList"] == ["urn:epc:id:giai:8991234.S-0001"]


@pytest.mark.parametrize("prefix", ["12345", "1234567890123", "89912a4"])
def test_giai_needs_a_company_prefix(prefix: str) -> None:
    """A company prefix that is not 6-12 digits raises InvalidValue."""
    with pytest.raises(InvalidValue):
        giai_urn(prefix)


def test_identifiers_are_percent_encoded() -> None:
    """Ids with URI-reserved characters are percent-encoded in URNs."""
    assert packet_urn("S.1_a-b") == "urn:onestop:packet:S.1_a-b"
    assert party_urn(Party(PartyKind.OFFICER, "mpp:o-7")) == "urn:onestop:party:officer:mpp%3Ao-7"
    assert place_uri(Place("Loket 3/A")) == "urn:onestop:place:Loket%203%2FA"


def test_citizens_appear_without_their_id() -> None:
    """A delivery's destination is the citizen, never their account id."""
    give = handoff("h-give", staff(COUNTER), citizen_confirms("h-give", LATER), LATER)
    event = _last(transfer(sealed_at_counter(), give, otp_key=KEY).ledger)
    assert event["destinationList"][0]["destination"] == "urn:onestop:party:citizen"
    assert CITIZEN.id not in str(event)
    assert event["onestop:receiverConfirmation"] == "one_time_code"
