"""Shared cast, places, documents and builders for the courier and custody tests."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from onestop.domain.common.parties import Personal
from onestop.domain.courier.custody import CustodyLedger, seal
from onestop.domain.courier.handoffs import (
    Confirmation,
    Handoff,
    ManifestItem,
    Packet,
    Party,
    PartyKind,
    Place,
)
from onestop.domain.courier.jobs import CourierJob, JobKind, TimeWindow, book, claim
from onestop.domain.courier.otp import OneTimeCode, issue_code

WIB = ZoneInfo("Asia/Jakarta")
T0 = datetime(2025, 3, 10, 8, 0, tzinfo=WIB)
KEY = b"onestop-test-otp-key-32-bytes!!!"
APP = "app-2025-000042"
OTHER_APP = "app-2025-000043"
ADDRESS = "Jl. Kebon Sirih No. 18, RT 03/RW 05, Menteng"

COURIER = Party(PartyKind.COURIER, "c-17")
OTHER_COURIER = Party(PartyKind.COURIER, "c-23")
COUNTER = Party(PartyKind.OFFICER, "o-counter-3")
AGENCY_OFFICER = Party(PartyKind.OFFICER, "o-dpmptsp-9")
DESK = Party(PartyKind.AGENCY_DESK, "desk-dpmptsp")
CITIZEN = Party(PartyKind.CITIZEN, "acct-4711")

MALL = Place("MPP Jakarta, counter 12", "-6.1754", "106.8272")
AGENCY = Place("DPMPTSP DKI Jakarta, intake desk")
DOOR = Place.applicant_address()


def sha(text: str) -> str:
    """The SHA-256 of *text*, as a stand-in for a scan's or a photo's hash."""
    return hashlib.sha256(text.encode()).hexdigest()


DOCUMENTS = (
    ManifestItem("ktp", sha("ktp scan")),
    ManifestItem("application-form", sha("form scan")),
    ManifestItem("land-certificate", sha("certificate scan")),
)
PERMIT = (ManifestItem("pbg-permit", sha("permit scan")),)


def minutes(n: float) -> timedelta:
    """*n* minutes."""
    return timedelta(minutes=n)


def staff(party: Party) -> Confirmation:
    """A staff confirmation: couriers type a PIN, officers and desks show a credential."""
    if party.kind is PartyKind.COURIER:
        return Confirmation.by_pin(party, f"pin-ok:{party.id}")
    return Confirmation.by_credential(party, f"badge-ok:{party.id}")


LIFETIME = timedelta(minutes=10)


def code_for(
    handoff_id: str, at: datetime, *, application_id: str = APP, lifetime: timedelta = LIFETIME
) -> tuple[str, OneTimeCode]:
    """Issue the citizen's code for *handoff_id*, valid for *lifetime* from *at*."""
    return issue_code(KEY, application_id, handoff_id, at + lifetime)


def citizen_confirms(handoff_id: str, at: datetime, *, application_id: str = APP) -> Confirmation:
    """The citizen's confirmation with a good code for *handoff_id*."""
    code, issued = code_for(handoff_id, at, application_id=application_id)
    return Confirmation.by_code(CITIZEN, code, issued)


def handoff(
    handoff_id: str,
    giver: Confirmation,
    receiver: Confirmation,
    at: datetime,
    *,
    place: Place = MALL,
    scanned: tuple[ManifestItem, ...] = DOCUMENTS,
) -> Handoff:
    """A handoff with a proof hash derived from its id."""
    return Handoff(
        id=handoff_id,
        giver=giver,
        receiver=receiver,
        at=at,
        place=place,
        proof_sha256=sha(f"photo of {handoff_id}"),
        scanned=scanned,
    )


def sealed_at_counter(
    *, at: datetime = T0, items: tuple[ManifestItem, ...] = DOCUMENTS, seal_id: str = "S-0001"
) -> CustodyLedger:
    """A packet sealed by the counter officer at the mall."""
    return seal(
        Packet(seal_id, items, len(items)),
        application_id=APP,
        by=staff(COUNTER),
        at=at,
        place=MALL,
    )


def assigned_job(
    kind: JobKind,
    *,
    courier: Party = COURIER,
    at: datetime = T0,
    job_id: str = "job-1",
    max_attempts: int = 3,
    application_id: str = APP,
) -> CourierJob:
    """A job of *kind* for *application_id* (`APP`), booked and claimed by *courier* at *at*."""
    door = kind in (JobKind.PICKUP, JobKind.DELIVERY)
    job = book(
        job_id,
        application_id,
        kind,
        at=at,
        actor="officer:o-counter-3",
        window=TimeWindow(at + minutes(60), at + minutes(180)) if door else None,
        address=Personal(ADDRESS) if door else None,
        max_attempts=max_attempts,
    )
    return claim(job, courier.id, at, job.version)
