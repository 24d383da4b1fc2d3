"""A Jakarta building owner applies for a certificate of fitness for use (SLF), end to end.

Run it from the repository's root::

    python examples/jakarta_walkthrough.py

It loads the Jakarta sample catalogue, wires a `Mall` over an in-memory store and a
clock the script moves by hand, and walks one application through the `licence-review`
workflow: submission online with documents, one document sent back for correction
(the SLA clock pauses), resubmission, verification, the technical review at the
agency, approval by an officer other than the verifier, and issue.  At each step it
prints the public status in Indonesian and English, and at the end the SLA report.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from onestop import Actor, DocumentRef, Mall, Person, calendar_for, load_catalogue
from onestop.exceptions import SeparationOfDutiesViolation
from onestop.storage import from_url

WIB = ZoneInfo("Asia/Jakarta")
CATALOGUE = Path(__file__).with_name("jakarta")

APPLICANT = Actor(id="citizen-0042", roles={"applicant"})
FRONT_OFFICE = Actor(id="mpp-front-07", roles={"front_office"})
SENIOR = Actor(id="dpmptsp-senior-03", roles={"verifier", "approver"})
TECHNICAL = Actor(id="citata-officer-11", roles={"agency_officer"})
HEAD = Actor(id="dpmptsp-head-01", roles={"approver"})


class ScriptClock:
    """A clock this script sets by hand, so the walkthrough spans several working days."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def at(self, day: int, hour: int, minute: int = 0) -> None:
        self.current = datetime(2025, 7, day, hour, minute, tzinfo=WIB)


def scan(requirement: str, evidence_type: str, content: bytes) -> DocumentRef:
    """A document reference with the SHA-256 of its bytes, as an upload form makes one."""
    return DocumentRef(
        requirement=requirement,
        evidence_type=evidence_type,
        sha256=hashlib.sha256(content).hexdigest(),
        media_type="application/pdf",
        size=len(content),
        content=content,
    )


def show(mall: Mall, number: str, secret: str, title: str) -> None:
    """Print the public status, as the applicant sees it, in Indonesian and English."""
    print(f"\n== {title}")
    for language in ("id", "en"):
        status = mall.track(number, secret, language=language)
        if status.closed:
            due = "(selesai / closed)"
        elif status.due is None:
            due = "(jam berhenti / clock paused)"
        else:
            due = status.due.strftime("%a %d %b %Y %H:%M")
        print(f"  [{language}] {status.label} | due {due}")
        for needed in status.needed:
            print(
                f"       needed: {needed.label}" + (f" ({needed.reason})" if needed.reason else "")
            )
    history = mall.track(number, secret, language="en").history
    print("  history: " + " -> ".join(step.state for step in history))


def main() -> None:
    """Walk one SLF application from submission to issue."""
    clock = ScriptClock(datetime(2025, 7, 14, 9, 0, tzinfo=WIB))
    mall = Mall(
        catalogue=load_catalogue(CATALOGUE),
        store=from_url("memory://"),
        clock=clock,
        calendars={"*": calendar_for("ID", years=[2025, 2026])},
    )
    owner = Person.of(
        identity_number="3171015708850003",
        identity_scheme="id-nik",
        name="Dewi Lestari",
        phone="+6281200000000",
    )
    receipt = mall.submit(
        "slf",
        channel="online",
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
            scan("pbg", "pbg", b"PBG decree"),
            scan("laporan", "laporan-kelaikan-fungsi", b"inspection report, unsigned"),
        ],
        actor=APPLICANT,
        idempotency_key="slf-form-20250714-0900",
    )
    number, app = receipt.number, receipt.application_id
    secret = receipt.lookup_secret or ""  # shown once, on the first receipt
    print(f"Submitted {number}; due {receipt.due:%a %d %b %Y %H:%M} WIB")
    show(mall, number, secret, "1. Submitted online")

    clock.at(14, 10)
    mall.act(app, "receive", actor=FRONT_OFFICE)
    mall.check_document(app, "ktp", verdict="verified", actor=SENIOR)
    mall.check_document(app, "pbg", verdict="verified", actor=SENIOR)
    mall.check_document(app, "laporan", verdict="rejected", reason="unsigned", actor=SENIOR)
    clock.at(14, 10, 30)
    mall.act(app, "send_back", actor=SENIOR, inputs={"reason": "Laporan belum ditandatangani"})
    show(mall, number, secret, "2. One document sent back: the clock pauses")

    clock.at(15, 11)
    mall.attach_document(
        app,
        scan("laporan", "laporan-kelaikan-fungsi", b"inspection report, signed"),
        actor=APPLICANT,
    )
    clock.at(15, 11, 5)
    mall.act(app, "resubmit", actor=APPLICANT)
    show(mall, number, secret, "3. Corrected and resubmitted: the due date moves")

    clock.at(15, 13)
    mall.check_document(app, "laporan", verdict="verified", actor=SENIOR)
    mall.act(app, "verify", actor=SENIOR)
    clock.at(17, 9)
    mall.act(app, "recommend", actor=TECHNICAL, inputs={"verdict": "fit_for_use"})
    show(mall, number, secret, "4. Verified, then reviewed at the technical agency")

    clock.at(18, 10)
    try:
        mall.act(app, "approve", actor=SENIOR)
    except SeparationOfDutiesViolation as refused:
        print(f"\n   refused: {refused}")
    mall.act(app, "approve", actor=HEAD)
    clock.at(18, 14)
    mall.act(app, "publish", actor=FRONT_OFFICE)
    show(mall, number, secret, "5. Approved by another officer, and issued")

    print("\nDeadline, explained:")
    for line in mall.deadline(app).trace:
        print(f"  {line}")
    print(f"Audit chain intact: {mall.verify(app).ok}")
    for row in mall.sla_report():
        print(
            f"SLA {row.agency}/{row.service}: on time {row.on_time}, late {row.late}, "
            f"paused {row.paused}"
        )


if __name__ == "__main__":
    main()
