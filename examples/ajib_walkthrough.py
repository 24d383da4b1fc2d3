"""AJIB: a building owner's documents are collected at home, and the certificate comes back.

Run it from the repository's root::

    python examples/ajib_walkthrough.py

Jakarta's AJIB officers ride to the applicant's door, collect the originals, carry
them through the agency, and bring the issued permit back.  This script wires a
`Mall` and a `CourierDesk` over one in-memory store, with a clock it moves by hand,
and follows one application for a certificate of fitness for use (SLF) through the
courier channel of the Jakarta sample catalogue:

1. the owner applies and books a pickup at home;
2. a courier claims the job and, at the door, seals the originals with the one-time
   code the owner received by SMS;
3. the courier hands the packet to the mall's counter, the counter to the agency;
4. the agency reviews and approves, seals the certificate, and hands it to a courier;
5. the first delivery visit fails (nobody home); the second one delivers against a
   new code, and only then does the application's ``deliver`` action pass its guard.

At each step it prints what the owner sees: the application's status (`Mall.track`)
and the courier status (`CourierDesk.track_courier`).  At the end it checks both
custody chains (the domain's ledger and the store agree), prints the dwell time per
custodian and exports the chain of custody as EPCIS 2.0 JSON-LD.  Codes are never
printed: in production they go to the SMS gateway only.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from onestop import (
    Actor,
    AttemptOutcome,
    Confirmation,
    CourierDesk,
    CourierFacts,
    DocumentRef,
    Handoff,
    Mall,
    ManifestItem,
    Packet,
    Party,
    PartyKind,
    Person,
    Personal,
    Place,
    TimeWindow,
    calendar_for,
    load_catalogue,
)
from onestop.exceptions import GuardFailed
from onestop.storage import from_url

WIB = ZoneInfo("Asia/Jakarta")
CATALOGUE = Path(__file__).with_name("jakarta")

OWNER = Actor(id="citizen-0042", roles={"applicant"})
FRONT_OFFICE = Actor(id="mpp-front-07", roles={"front_office"})
SENIOR = Actor(id="dpmptsp-senior-03", roles={"verifier"})
TECHNICAL = Actor(id="citata-officer-11", roles={"agency_officer"})
HEAD = Actor(id="dpmptsp-head-01", roles={"approver"})
RIDER = Actor(id="ajib-rider-17", roles={"courier"})

COURIER = Party(PartyKind.COURIER, RIDER.id)
COUNTER = Party(PartyKind.OFFICER, FRONT_OFFICE.id)
AGENCY_DESK = Party(PartyKind.AGENCY_DESK, "dpmptsp-intake")
ISSUER = Party(PartyKind.OFFICER, HEAD.id)

MALL = Place("MPP Jakarta, AJIB counter", "-6.1754", "106.8272")
AGENCY = Place("DPMPTSP DKI Jakarta, intake desk")


class ScriptClock:
    """A clock this script sets by hand, so the walkthrough spans several working days."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def at(self, day: int, hour: int, minute: int = 0) -> None:
        self.current = datetime(2025, 7, day, hour, minute, tzinfo=WIB)


def sha(content: bytes) -> str:
    """The SHA-256 of *content*: how a scan, a photo or a signature is fingerprinted."""
    return hashlib.sha256(content).hexdigest()


def scan(requirement: str, evidence_type: str, content: bytes) -> DocumentRef:
    """A document reference with the SHA-256 of its bytes, as an upload form makes one."""
    return DocumentRef(
        requirement=requirement,
        evidence_type=evidence_type,
        sha256=sha(content),
        media_type="application/pdf",
        size=len(content),
        content=content,
    )


def pin(party: Party) -> Confirmation:
    """A staff confirmation: the host checked the PIN (or badge) and passes its check's id."""
    return Confirmation.by_pin(party, f"pin-check:{party.id}")


def handoff(
    handoff_id: str,
    giver: Party,
    receiver: Party,
    at: datetime,
    *,
    place: Place,
    scanned: tuple[ManifestItem, ...],
) -> Handoff:
    """A handoff between two staff members, both confirming, with a photo as proof."""
    return Handoff(
        id=handoff_id,
        giver=pin(giver),
        receiver=pin(receiver),
        at=at,
        place=place,
        proof_sha256=sha(f"photo of {handoff_id}".encode()),
        scanned=scanned,
    )


def show(mall: Mall, desk: CourierDesk, number: str, secret: str, title: str) -> None:
    """Print what the owner sees: the application's status and the courier status."""
    print(f"\n== {title}")
    for language in ("id", "en"):
        status = mall.track(number, secret, language=language)
        courier = desk.track_courier(number, secret, language=language)
        print(f"  [{language}] {status.label} | courier: {courier.label or '-'}")


def main() -> None:
    """Follow one SLF application from the owner's door to the owner's door."""
    clock = ScriptClock(datetime(2025, 7, 14, 9, 0, tzinfo=WIB))
    store = from_url("memory://")
    mall = Mall(
        catalogue=load_catalogue(CATALOGUE),
        store=store,
        clock=clock,
        calendars={"*": calendar_for("ID", years=[2025, 2026])},
        courier_facts=CourierFacts(store),  # the deliver guard reads the desk's jobs
    )
    desk = CourierDesk(mall, otp_key=secrets.token_bytes(32))
    sms_outbox: list[str] = []  # stands in for the SMS gateway; never printed

    owner = Person.of(
        identity_number="3171015708850003",
        identity_scheme="id-nik",
        name="Dewi Lestari",
        phone="+6281200000000",
    )
    receipt = mall.submit(
        "slf",
        channel="courier",
        applicant=owner,
        answers={
            "applicant_type": "perorangan",
            "nik": "3171015708850003",
            "pbg_number": "PBG-3171-2023-000123",
            "building_address": "Jl. Contoh No. 1, Jakarta Selatan",
            "inspection_date": date(2025, 7, 1),
        },
        documents=[
            scan("ktp", "ktp-el", b"KTP scan"),
            scan("pbg", "pbg", b"PBG decree scan"),
            scan("laporan", "laporan-kelaikan-fungsi", b"inspection report, signed"),
        ],
        actor=OWNER,
    )
    number, app = receipt.number, receipt.application_id
    secret = receipt.lookup_secret or ""
    home = Personal("Jl. Contoh No. 1, Kebayoran Baru, Jakarta Selatan")
    pickup = desk.book_pickup(
        app,
        window=TimeWindow(clock.now() + timedelta(hours=1), clock.now() + timedelta(hours=3)),
        address=home,
        actor=OWNER,
    )
    print(f"Applied for an SLF through AJIB: {number}")
    show(mall, desk, number, secret, "1. Applied; pickup booked for 10:00-12:00")

    clock.at(14, 9, 20)
    desk.claim(pickup.id, RIDER)
    clock.at(14, 10, 25)
    sms_outbox.append(desk.issue_handoff_code(pickup.id, "h-pickup"))
    originals = (
        ManifestItem("pbg", sha(b"PBG original")),
        ManifestItem("serah-terima-ajib", sha(b"AJIB handover form, signed")),
    )
    clock.at(14, 10, 30)
    desk.seal_and_collect(
        pickup.id,
        Packet("S-AJIB-0001", originals, len(originals)),
        handoff_id="h-pickup",
        courier=pin(COURIER),
        citizen_code=sms_outbox[-1],  # the owner reads the code out at the door
        proof_sha256=sha(b"owner's signature on the tablet"),
    )
    show(mall, desk, number, secret, "2. Originals sealed at the door with the owner's code")

    clock.at(14, 11, 15)
    desk.hand_over(
        "S-AJIB-0001",
        handoff("h-counter", COURIER, COUNTER, clock.now(), place=MALL, scanned=originals),
        job_id=pickup.id,
    )
    mall.act(app, "receive", actor=FRONT_OFFICE)
    mall.attach_document(
        app, scan("serah-terima-ajib", "ajib-serah-terima", b"signed form"), actor=FRONT_OFFICE
    )
    clock.at(14, 13, 0)
    desk.hand_over(
        "S-AJIB-0001",
        handoff("h-agency", COUNTER, AGENCY_DESK, clock.now(), place=AGENCY, scanned=originals),
    )
    show(mall, desk, number, secret, "3. At the counter, then handed to the agency")

    clock.at(14, 14, 0)
    for requirement in ("ktp", "pbg", "laporan", "serah-terima-ajib"):
        mall.check_document(app, requirement, verdict="verified", actor=SENIOR)
    mall.act(app, "verify", actor=SENIOR)
    clock.at(15, 10, 0)
    mall.act(app, "recommend", actor=TECHNICAL, inputs={"verdict": "fit_for_use"})
    mall.act(app, "approve", actor=HEAD)
    permit = (
        ManifestItem("slf", sha(b"SLF certificate, signed")),
        ManifestItem("pbg", sha(b"PBG original")),  # the original goes back with it
    )
    desk.seal(app, Packet("S-AJIB-0002", permit, len(permit)), by=pin(ISSUER), place=AGENCY)
    mall.act(app, "dispatch", actor=FRONT_OFFICE)
    show(mall, desk, number, secret, "4. Approved; the certificate is sealed for delivery")

    clock.at(15, 13, 0)
    delivery = desk.book_delivery(
        app,
        window=TimeWindow(clock.now() + timedelta(hours=1), clock.now() + timedelta(hours=3)),
        actor=FRONT_OFFICE,
    )
    desk.claim(delivery.id, RIDER)
    clock.at(15, 13, 30)
    desk.hand_over(
        "S-AJIB-0002",
        handoff("h-out-1", ISSUER, COURIER, clock.now(), place=AGENCY, scanned=permit),
        job_id=delivery.id,
    )
    mall.act(app, "pick_up", actor=RIDER)
    show(mall, desk, number, secret, "5. The courier takes the certificate out")

    clock.at(15, 14, 40)
    desk.record_attempt(delivery.id, AttemptOutcome.NO_ONE_HOME, courier=RIDER)
    mall.act(app, "delivery_failed", actor=RIDER, inputs={"reason": "no one home"})
    show(mall, desk, number, secret, "6. Nobody home: the visit failed")

    clock.at(15, 16, 0)
    tomorrow = datetime(2025, 7, 16, 9, 0, tzinfo=WIB)
    desk.reschedule(delivery.id, TimeWindow(tomorrow, tomorrow + timedelta(hours=2)), actor=OWNER)
    clock.at(16, 8, 45)
    mall.act(app, "pick_up", actor=RIDER)
    try:
        mall.act(app, "deliver", actor=RIDER)
    except GuardFailed as refused:
        print(f"\n   refused before the door: {refused.reason}")

    clock.at(16, 9, 20)
    sms_outbox.append(desk.issue_handoff_code(delivery.id, "h-deliver"))
    clock.at(16, 9, 25)
    desk.deliver(
        delivery.id,
        handoff_id="h-deliver",
        courier=pin(COURIER),
        citizen_code=sms_outbox[-1],
        proof_sha256=sha(b"owner's signature on delivery"),
        scanned=permit,
    )
    mall.act(app, "deliver", actor=RIDER)
    show(mall, desk, number, secret, "7. Delivered against the owner's code; application closed")

    print("\nCustody chains:")
    for seal_id in ("S-AJIB-0001", "S-AJIB-0002"):
        stored, ledger = desk.verify_packet(seal_id), desk.ledger(seal_id).verify()
        print(f"  {seal_id}: store ok {stored.ok}, ledger ok {ledger.ok}")
    print(f"Application audit chain intact: {mall.verify(app).ok}")

    print("\nDwell time per custodian (working time):")
    for row in desk.dwell_report(until=clock.now()).custodians:
        print(f"  {row.custodian:<28} {row.legs} leg(s)  {row.working}")

    document = json.loads(json.dumps(desk.epcis()))
    steps = [event["bizStep"] for event in document["epcisBody"]["eventList"]]
    print(f"\nEPCIS 2.0 export: {len(steps)} events ({', '.join(steps)})")


if __name__ == "__main__":
    main()
