"""The AJIB walkthrough at the domain level: pickup at home, the agency, the permit home again.

One journey is played once per module: a pickup is booked and collected at the
citizen's door with their one-time code, carried to the mall's counter, taken to the
agency by a second courier; the agency seals the permit, a courier takes it out, the
first visit fails, the second delivers it against the citizen's code.  Each test
checks one thing about that journey.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from courier_support import (
    ADDRESS,
    AGENCY,
    AGENCY_OFFICER,
    APP,
    CITIZEN,
    COUNTER,
    COURIER,
    DESK,
    DOCUMENTS,
    DOOR,
    KEY,
    MALL,
    OTHER_COURIER,
    PERMIT,
    T0,
    citizen_confirms,
    code_for,
    handoff,
    minutes,
    sha,
    staff,
)

from onestop.domain.common.audit import verify_chain
from onestop.domain.common.parties import Personal
from onestop.domain.courier.custody import CustodyLedger, seal
from onestop.domain.courier.flow import (
    TrackingStatus,
    collect,
    dwell_times,
    hand_over,
    tracking_label,
    tracking_status,
)
from onestop.domain.courier.handoffs import Confirmation, Packet
from onestop.domain.courier.jobs import (
    AttemptOutcome,
    CourierJob,
    JobKind,
    JobStatus,
    TimeWindow,
    book,
    claim,
    courier_fact,
    record_attempt,
    reschedule,
)
from onestop.domain.workflow.guards import Facts, courier_delivered
from onestop.exceptions import AlreadyDelivered
from onestop.interop.epcis import EPCIS_CONTEXT, epcis_document

DAY2 = T0.replace(day=12)
DAY3 = T0.replace(day=13)


@dataclass
class Journey:
    """Everything the walkthrough produced, step by step."""

    statuses: list[tuple[str, TrackingStatus]] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    jobs: dict[str, CourierJob] = field(default_factory=dict)
    documents: CustodyLedger | None = None
    permit: CustodyLedger | None = None

    def see(self, step: str, job: CourierJob, ledger: CustodyLedger | None) -> None:
        self.statuses.append((step, tracking_status(job, ledger)))


def _play() -> Journey:
    journey = Journey()

    # 1. A pickup is booked for a window at the applicant's address, and claimed.
    window = TimeWindow(T0 + minutes(60), T0 + minutes(180))
    pickup = book(
        "job-pickup",
        APP,
        JobKind.PICKUP,
        at=T0,
        actor="citizen:acct-4711",
        window=window,
        address=Personal(ADDRESS),
    )
    journey.see("booked", pickup, None)
    pickup = claim(pickup, COURIER.id, T0 + minutes(5), pickup.version)

    # 2. At the door the citizen reads out the code sent as the courier arrived.
    at = T0 + minutes(70)
    code, issued = code_for("h-pickup", at - minutes(2))
    journey.codes.append(code)
    packet = Packet("S-DOCS-1", DOCUMENTS, len(DOCUMENTS))
    step = collect(
        pickup,
        packet,
        handoff_id="h-pickup",
        citizen=Confirmation.by_code(CITIZEN, code, issued),
        courier=staff(COURIER),
        at=at,
        proof_sha256=sha("signature at the door"),
        otp_key=KEY,
        place=DOOR,
    )
    assert step.job is not None
    pickup, documents = step.job, step.ledger
    journey.see("collected", pickup, documents)

    # 3. The courier hands the packet to the counter officer at the mall.
    to_counter = handoff("h-counter", staff(COURIER), staff(COUNTER), T0 + minutes(130))
    step = hand_over(documents, to_counter, job=pickup)
    assert step.job is not None
    pickup, documents = step.job, step.ledger
    journey.see("at the counter", pickup, documents)

    # 4. A second courier carries it from the mall to the agency's desk.
    leg = book("job-leg", APP, JobKind.LEG_TO_AGENCY, at=T0 + minutes(140), actor="o-counter-3")
    leg = claim(leg, OTHER_COURIER.id, T0 + minutes(141), leg.version)
    out = handoff("h-leg-out", staff(COUNTER), staff(OTHER_COURIER), T0 + minutes(150))
    step = hand_over(documents, out, job=leg)
    assert step.job is not None
    leg, documents = step.job, step.ledger
    journey.see("on the way to the agency", leg, documents)
    arrive = handoff("h-leg-in", staff(OTHER_COURIER), staff(DESK), T0 + minutes(200), place=AGENCY)
    step = hand_over(documents, arrive, job=leg)
    assert step.job is not None
    leg, documents = step.job, step.ledger
    journey.see("at the agency", leg, documents)

    # 5. The permit is issued and sealed at the agency; a delivery is booked and claimed.
    permit = seal(
        Packet("S-PERMIT-1", PERMIT, len(PERMIT)),
        application_id=APP,
        by=staff(AGENCY_OFFICER),
        at=DAY2.replace(hour=10),
        place=AGENCY,
    )
    delivery = book(
        "job-delivery",
        APP,
        JobKind.DELIVERY,
        at=DAY2.replace(hour=10, minute=5),
        actor="o-dpmptsp-9",
        window=TimeWindow(DAY2.replace(hour=13), DAY2.replace(hour=15)),
        address=Personal(ADDRESS),
    )
    delivery = claim(delivery, COURIER.id, DAY2.replace(hour=11), delivery.version)
    journey.see("permit issued", delivery, permit)

    # 6. The agency officer hands the permit to the courier.
    take = handoff(
        "h-permit-out",
        staff(AGENCY_OFFICER),
        staff(COURIER),
        DAY2.replace(hour=12, minute=30),
        place=AGENCY,
        scanned=PERMIT,
    )
    step = hand_over(permit, take, job=delivery)
    assert step.job is not None
    delivery, permit = step.job, step.ledger
    journey.see("out for delivery", delivery, permit)

    # 7. Nobody is home; a new window is booked for the next morning.
    delivery = record_attempt(
        delivery,
        AttemptOutcome.NO_ONE_HOME,
        courier_id=COURIER.id,
        at=DAY2.replace(hour=13, minute=40),
    )
    journey.see("first visit failed", delivery, permit)
    delivery = reschedule(
        delivery,
        TimeWindow(DAY3.replace(hour=9), DAY3.replace(hour=11)),
        at=DAY2.replace(hour=14),
        actor="citizen:acct-4711",
    )
    journey.see("rescheduled", delivery, permit)

    # 8. Delivered at the second visit, against the citizen's code for this handoff.
    at = DAY3.replace(hour=9, minute=20)
    code, issued = code_for("h-deliver", at - minutes(3))
    journey.codes.append(code)
    give = handoff(
        "h-deliver",
        staff(COURIER),
        Confirmation.by_code(CITIZEN, code, issued),
        at,
        place=DOOR,
        scanned=PERMIT,
    )
    step = hand_over(permit, give, job=delivery, otp_key=KEY)
    assert step.job is not None
    delivery, permit = step.job, step.ledger
    journey.see("delivered", delivery, permit)

    journey.jobs = {"pickup": pickup, "leg": leg, "delivery": delivery}
    journey.documents, journey.permit = documents, permit
    return journey


@pytest.fixture(scope="module")
def journey() -> Journey:
    return _play()


def _ledgers(journey: Journey) -> tuple[CustodyLedger, CustodyLedger]:
    assert journey.documents is not None
    assert journey.permit is not None
    return journey.documents, journey.permit


def test_citizen_sees_each_step_of_the_journey(journey: Journey) -> None:
    """The tracking status follows the journey from the booked pickup to the delivery."""
    assert [status.value for _, status in journey.statuses] == [
        "pickup_scheduled",
        "picked_up",
        "at_agency",
        "picked_up",
        "at_agency",
        "at_agency",
        "out_for_delivery",
        "attempt_failed",
        "out_for_delivery",
        "delivered",
    ]


def test_each_status_has_an_indonesian_label(journey: Journey) -> None:
    """Every status the citizen saw reads in Indonesian."""
    labels = [tracking_label(status, "id") for _, status in journey.statuses]
    assert labels[0] == "Penjemputan dijadwalkan"
    assert labels[-1] == "Telah diterima"


def test_documents_pass_from_hand_to_hand(journey: Journey) -> None:
    """The documents pass from the collecting courier to the counter, the leg courier, the desk."""
    documents, _ = _ledgers(journey)
    holders = [documents.events[0].custodian]  # type: ignore[union-attr]
    holders += [event.receiver.party for event in documents.events[1:]]  # type: ignore[union-attr]
    assert holders == [COURIER, COUNTER, OTHER_COURIER, DESK]
    assert documents.custodian == DESK


def test_both_ledgers_verify_with_the_audit_verifier(journey: Journey) -> None:
    """Each packet's ledger is an unbroken hash chain that audit.verify_chain accepts."""
    for ledger in _ledgers(journey):
        assert verify_chain(ledger.entries).ok
        assert ledger.verify().ok


def test_ledgers_rebuild_from_their_events(journey: Journey) -> None:
    """Folding a ledger's stored events gives the same ledger, chain included."""
    for ledger in _ledgers(journey):
        assert CustodyLedger.from_events(ledger.events) == ledger


def test_jobs_rebuild_from_their_events(journey: Journey) -> None:
    """Folding a job's stored events gives the same job."""
    for job in journey.jobs.values():
        assert CourierJob.from_events(job.events) == job


def test_delivery_records_one_failed_visit_then_success(journey: Journey) -> None:
    """The delivery job lists the failed visit and the successful one, and is completed."""
    delivery = journey.jobs["delivery"]
    assert [a.outcome for a in delivery.attempts] == [
        AttemptOutcome.NO_ONE_HOME,
        AttemptOutcome.DONE,
    ]
    assert delivery.status is JobStatus.COMPLETED


def test_workflow_guard_sees_the_delivery(journey: Journey) -> None:
    """The courier_delivered guard passes on the facts courier_fact feeds it."""
    facts = Facts(courier_jobs=dict(courier_fact(job) for job in journey.jobs.values()))
    assert facts.courier_jobs["job-delivery"] == "delivered"
    assert facts.courier_jobs["job-pickup"] == "completed"
    assert courier_delivered(facts, None).ok


def test_nothing_follows_the_delivery(journey: Journey) -> None:
    """Once the citizen holds the permit, no further handoff is accepted."""
    _, permit = _ledgers(journey)
    late = handoff(
        "h-late",
        citizen_confirms("h-late", DAY3.replace(hour=10)),
        staff(COUNTER),
        DAY3.replace(hour=10),
        scanned=PERMIT,
    )
    with pytest.raises(AlreadyDelivered):
        hand_over(permit, late, otp_key=KEY)


def test_dwell_times_name_each_custodian(journey: Journey) -> None:
    """Dwell time covers every custodian of the documents; the desk's span is still open."""
    documents, _ = _ledgers(journey)
    dwells = dwell_times(documents)
    assert [d.custodian for d in dwells] == [COURIER, COUNTER, OTHER_COURIER, DESK]
    assert dwells[0].duration == minutes(60)
    assert dwells[-1].end is None


def _export(journey: Journey) -> dict[str, Any]:
    document = epcis_document(_ledgers(journey), created_at=DAY3.replace(hour=12))
    text = json.dumps(document, ensure_ascii=False)
    decoded: dict[str, Any] = json.loads(text)
    return decoded


def test_epcis_export_is_a_json_epcis_document(journey: Journey) -> None:
    """The export is JSON with the EPCIS 2.0 document header and one event per ledger entry."""
    document = _export(journey)
    documents, permit = _ledgers(journey)
    assert document["@context"][0] == EPCIS_CONTEXT
    assert document["type"] == "EPCISDocument"
    assert document["schemaVersion"] == "2.0"
    events = document["epcisBody"]["eventList"]
    assert len(events) == documents.version + permit.version
    assert {event["type"] for event in events} == {"ObjectEvent"}


def test_epcis_events_carry_cbv_steps(journey: Journey) -> None:
    """Sealing is an ADD/commissioning event; every transfer is an OBSERVE/accepting one."""
    events = _export(journey)["epcisBody"]["eventList"]
    assert [(e["action"], e["bizStep"], e["disposition"]) for e in events] == [
        ("ADD", "commissioning", "active"),
        ("OBSERVE", "accepting", "in_progress"),
        ("OBSERVE", "accepting", "in_transit"),
        ("OBSERVE", "accepting", "in_progress"),
        ("ADD", "commissioning", "active"),
        ("OBSERVE", "accepting", "in_transit"),
        ("OBSERVE", "accepting", "dispensed"),
    ]


def test_epcis_export_holds_no_personal_data(journey: Journey) -> None:
    """The export holds no address, no citizen account id and no one-time code."""
    text = json.dumps(_export(journey), ensure_ascii=False)
    assert ADDRESS not in text
    assert CITIZEN.id not in text
    for code in journey.codes:
        assert f'"{code}"' not in text
    assert "urn:onestop:party:citizen" in text


class _Loader:
    """A pyld document loader that serves the EPCIS context from a small inline copy."""

    EPCIS = "https://ref.gs1.org/epcis/"
    CBV = "https://ref.gs1.org/cbv/"

    def context(self) -> dict[str, Any]:
        def vocab(prefix: str) -> dict[str, Any]:
            return {"@type": "@vocab", "@context": {"@vocab": self.CBV + prefix}}

        def sources(name: str) -> dict[str, Any]:
            return {
                "@id": f"epcis:{name}List",
                "@container": "@set",
                "@context": {
                    name: {"@id": "epcis:sourceOrDestination", "@type": "@id"},
                    "type": {
                        "@id": "epcis:sourceOrDestinationType",
                        "@type": "@vocab",
                        "@context": {"@vocab": self.CBV + "SDT-"},
                    },
                },
            }

        return {
            "@context": {
                "@version": 1.1,
                "epcis": self.EPCIS,
                "xsd": "http://www.w3.org/2001/XMLSchema#",
                "id": "@id",
                "type": "@type",
                "EPCISDocument": "epcis:EPCISDocument",
                "ObjectEvent": "epcis:ObjectEvent",
                "schemaVersion": "epcis:schemaVersion",
                "creationDate": {"@id": "epcis:creationDate", "@type": "xsd:dateTime"},
                "epcisBody": "epcis:epcisBody",
                "eventList": {"@id": "epcis:eventList", "@container": "@set"},
                "eventID": "@id",
                "eventTime": {"@id": "epcis:eventTime", "@type": "xsd:dateTimeStamp"},
                "eventTimeZoneOffset": "epcis:eventTimeZoneOffset",
                "epcList": {"@id": "epcis:epcList", "@type": "@id", "@container": "@set"},
                "action": "epcis:action",
                "bizStep": {"@id": "epcis:bizStep", **vocab("BizStep-")},
                "disposition": {"@id": "epcis:disposition", **vocab("Disp-")},
                "readPoint": {"@id": "epcis:readPoint", "@type": "@id"},
                "bizLocation": {"@id": "epcis:bizLocation", "@type": "@id"},
                "sourceList": sources("source"),
                "destinationList": sources("destination"),
                "persistentDisposition": {"@id": "epcis:persistentDisposition"},
            }
        }

    def __call__(self, url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        assert url == EPCIS_CONTEXT, f"only the EPCIS context is served offline, not {url}"
        return {"contextUrl": None, "documentUrl": url, "document": self.context()}


def test_epcis_export_expands_as_json_ld(journey: Journey) -> None:
    """Expanded offline with pyld, every event keeps its packet, CBV step and both parties."""
    jsonld = pytest.importorskip("pyld.jsonld")
    expanded = jsonld.expand(_export(journey), {"documentLoader": _Loader()})
    epcis, cbv = _Loader.EPCIS, _Loader.CBV
    body = expanded[0][epcis + "epcisBody"][0]
    events = body[epcis + "eventList"]
    assert len(events) == 7
    delivered = events[-1]
    assert delivered["@type"] == [epcis + "ObjectEvent"]
    assert delivered[epcis + "bizStep"] == [{"@id": cbv + "BizStep-accepting"}]
    assert delivered[epcis + "disposition"] == [{"@id": cbv + "Disp-dispensed"}]
    assert delivered[epcis + "epcList"] == [{"@id": "urn:onestop:packet:S-PERMIT-1"}]
    destination = delivered[epcis + "destinationList"][0]
    assert destination[epcis + "sourceOrDestinationType"] == [{"@id": cbv + "SDT-possessing_party"}]
    assert destination[epcis + "sourceOrDestination"] == [{"@id": "urn:onestop:party:citizen"}]
    assert delivered["https://onestop-mall.readthedocs.io/ns/custody#handoffId"] == [
        {"@value": "h-deliver"}
    ]


def test_mall_place_is_a_geo_uri(journey: Journey) -> None:
    """A handoff at the mall is read at the mall's geo URI, also its business location."""
    events = _export(journey)["epcisBody"]["eventList"]
    at_counter = events[1]
    assert at_counter["readPoint"] == {"id": f"geo:{MALL.lat},{MALL.lon}"}
    assert at_counter["bizLocation"] == at_counter["readPoint"]
