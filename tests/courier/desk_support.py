"""Shared cast, catalogue and builders for the courier desk tests.

The cast plays the AJIB journey of the Jakarta sample catalogue: an owner applying for
an SLF through the courier channel, the mall's counter, the agency and a rider.  The
applicant's name and address are canaries, unique to the test run, so that a test can
look for them in everything the desk returns, stores for transports, raises or logs.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from onestop.calendars import calendar_for
from onestop.domain.applications.forms import DocumentRef
from onestop.domain.common.parties import Person, Personal
from onestop.domain.courier.handoffs import (
    Confirmation,
    Handoff,
    ManifestItem,
    Packet,
    Party,
    PartyKind,
    Place,
)
from onestop.domain.courier.jobs import TimeWindow
from onestop.domain.workflow.engine import Actor
from onestop.storage.memory import MemoryStore
from onestop.usecases.catalogue.loading import load_catalogue
from onestop.usecases.courier.desk import CourierDesk
from onestop.usecases.courier.queries import CourierFacts
from onestop.usecases.mall import Mall

ROOT = Path(__file__).parents[2]
CATALOGUE = load_catalogue(ROOT / "examples" / "jakarta")
CALENDARS = {"*": calendar_for("ID", years=[2025])}
WIB = ZoneInfo("Asia/Jakarta")
KEY = b"courier-desk-test-key-32-bytes!!"
TOKEN = secrets.token_hex(4)
ADDRESS = f"Jl. Kanari {TOKEN} No. 7, Menteng"
NAME = f"Siti Canary{TOKEN}"

OWNER = Actor(id="citizen-0042", roles={"applicant"})
FRONT = Actor(id="mpp-front-07", roles={"front_office"})
VERIFIER = Actor(id="dpmptsp-verifier-03", roles={"verifier"})
TECHNICAL = Actor(id="citata-officer-11", roles={"agency_officer"})
HEAD = Actor(id="dpmptsp-head-01", roles={"approver"})
RIDER = Actor(id="ajib-rider-17", roles={"courier"})
OTHER_RIDER = Actor(id="ajib-rider-23", roles={"courier"})

COURIER = Party(PartyKind.COURIER, RIDER.id)
OTHER_COURIER = Party(PartyKind.COURIER, OTHER_RIDER.id)
COUNTER = Party(PartyKind.OFFICER, FRONT.id)
DESK = Party(PartyKind.AGENCY_DESK, "dpmptsp-intake")
ISSUER = Party(PartyKind.OFFICER, HEAD.id)
MALL = Place("MPP Jakarta, AJIB counter", "-6.1754", "106.8272")
AGENCY = Place("DPMPTSP intake desk")


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


ORIGINALS = (ManifestItem("pbg", sha("PBG original")), ManifestItem("form", sha("AJIB form")))
PERMIT = (ManifestItem("slf", sha("SLF certificate")), ManifestItem("pbg", sha("PBG original")))


class Clock:
    """A clock the tests move by hand."""

    def __init__(self) -> None:
        self.current = datetime(2025, 7, 14, 9, 0, tzinfo=WIB)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


def pin(party: Party) -> Confirmation:
    return Confirmation.by_pin(party, f"pin-ok:{party.id}")


def staff_handoff(
    handoff_id: str, giver: Party, receiver: Party, at: datetime, scanned: Any = ORIGINALS
) -> Handoff:
    return Handoff(
        id=handoff_id,
        giver=pin(giver),
        receiver=pin(receiver),
        at=at,
        place=MALL,
        proof_sha256=sha(handoff_id),
        scanned=scanned,
    )


def window(clock: Clock) -> TimeWindow:
    return TimeWindow(clock.now() + timedelta(hours=1), clock.now() + timedelta(hours=3))


def new_desk(store: MemoryStore | None = None) -> tuple[Mall, CourierDesk, Clock]:
    """A mall whose ``courier_delivered`` guard reads the store's courier jobs, and its desk."""
    clock, store = Clock(), store or MemoryStore()
    mall = Mall(
        catalogue=CATALOGUE,
        store=store,
        clock=clock,
        calendars=CALENDARS,
        courier_facts=CourierFacts(store),
    )
    return mall, CourierDesk(mall, otp_key=KEY), clock


def apply(mall: Mall) -> tuple[str, str, str]:
    """Apply for an SLF through the courier channel; return the id, number and secret."""
    day, serial = 40 + secrets.randbelow(28) + 1, secrets.randbelow(9999) + 1
    nik = f"317101{day:02d}0385{serial:04d}"
    owner = Person.of(identity_number=nik, identity_scheme="id-nik", name=NAME, address=ADDRESS)
    scans = [("ktp", "ktp-el"), ("pbg", "pbg"), ("laporan", "laporan-kelaikan-fungsi")]
    receipt = mall.submit(
        "slf",
        channel="courier",
        applicant=owner,
        answers={
            "applicant_type": "perorangan",
            "nik": nik,
            "pbg_number": "PBG-3171-2023-000123",
            "building_address": ADDRESS,
            "inspection_date": date(2025, 7, 1),
        },
        documents=[scan(code, kind, f"{code} scan".encode()) for code, kind in scans],
        actor=OWNER,
    )
    return receipt.application_id, receipt.number, receipt.lookup_secret or ""


def scan(requirement: str, evidence_type: str, content: bytes) -> DocumentRef:
    return DocumentRef(
        requirement=requirement,
        evidence_type=evidence_type,
        sha256=hashlib.sha256(content).hexdigest(),
        media_type="application/pdf",
        size=len(content),
        content=content,
    )


def picked_up(mall: Mall, desk: CourierDesk, clock: Clock) -> tuple[str, str]:
    """An application whose originals the rider sealed at the door; return it and the job."""
    app, _, _ = apply(mall)
    job = desk.book_pickup(app, window=window(clock), address=Personal(ADDRESS), actor=OWNER)
    desk.claim(job.id, RIDER)
    clock.advance(minutes=65)
    code = desk.issue_handoff_code(job.id, "h-pickup")
    clock.advance(minutes=5)
    desk.seal_and_collect(
        job.id,
        Packet(f"S-{app}", ORIGINALS, 2),
        handoff_id="h-pickup",
        courier=pin(COURIER),
        citizen_code=code,
        proof_sha256=sha("signature"),
    )
    return app, job.id


def snapshot(store: MemoryStore) -> tuple[Any, ...]:
    notes = store.notifications(limit=10**6)
    return notes, tuple(store.read(s) for s in sorted({n.stream_id for n in notes}))


def out_for_delivery(mall: Mall, desk: CourierDesk, clock: Clock) -> tuple[str, str, str]:
    """An application whose packet the delivery courier holds, with a door code issued.

    A counter code is issued for handoff ``h-counter`` too, outside the job.  Returns the
    seal id, the delivery job's id and the code for handoff ``h-door``.
    """
    app, pickup = picked_up(mall, desk, clock)
    seal_id = f"S-{app}"
    desk.hand_over(
        seal_id, staff_handoff("h-c", COURIER, COUNTER, clock.advance(minutes=30)), job_id=pickup
    )
    delivery = desk.book_delivery(app, actor=FRONT)
    desk.claim(delivery.id, RIDER)
    out = staff_handoff("h-o", COUNTER, COURIER, clock.advance(minutes=30))
    desk.hand_over(seal_id, out, job_id=delivery.id)
    code = desk.issue_handoff_code(delivery.id, "h-door")
    desk.issue_counter_code(app, "h-counter")
    clock.advance(minutes=1)
    return seal_id, delivery.id, code
