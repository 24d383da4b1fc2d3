"""The Khan Daun Penh One Window Service Office: its public fee board, and one permit.

Run it from the repository's root::

    python examples/cambodian_office.py

Cambodia's One Window Service Offices post every service's fee and service time on a
board in the hall, in Khmer, so that nobody pays more than the posted fee.  This script
loads the Cambodian sample catalogue (``examples/cambodia``), prints that board in Khmer
and English from the catalogue (fixed fees, fees that depend on an answer, and tiered
fees, through `Service.fees_for`), then walks one small construction permit through the
``owso-permit`` workflow: receipt just before Pchum Ben, verification, the Khan's
technical review, the governor's approval and collection, with the public status in
Khmer and English at each step.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from onestop import (
    Actor,
    ChannelKind,
    DocumentRef,
    Duration,
    Fee,
    Mall,
    Person,
    Service,
    TimeUnit,
    calendar_for,
    default_validators,
    load_catalogue,
)
from onestop.storage import from_url

ICT = ZoneInfo("Asia/Phnom_Penh")
CATALOGUE = Path(__file__).with_name("cambodia")
KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")

OWNER = Actor(id="citizen-2207", roles={"applicant"})
COUNTER = Actor(id="owso-dp-front-02", roles={"front_office"})
VERIFIER = Actor(id="owso-dp-verifier-01", roles={"verifier"})
TECHNICAL = Actor(id="khan-dp-construction-04", roles={"agency_officer"})
GOVERNOR = Actor(id="khan-dp-deputy-governor-02", roles={"approver"})


class KhmerIdCard:
    """Format of a Khmer national identity card number (``kh-nid``): nine digits.

    A format check only: just the General Department of Identification can say whether
    a number was issued.  Problems never quote the number.
    """

    @property
    def scheme(self) -> str:
        return "kh-nid"

    def validate(self, number: str, /) -> list[str]:
        if len(number) == 9 and number.isascii() and number.isdigit():
            return []
        return [f"must be 9 digits 0-9 (got {len(number)} characters)"]


class ManualClock:
    """A clock this script sets by hand (a `onestop.ports.events.Clock`), in Phnom Penh time."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def set(self, month: int, day: int, hour: int, minute: int = 0) -> None:
        self.current = datetime(2025, month, day, hour, minute, tzinfo=ICT)


def money(amount: Decimal, language: str) -> str:
    """``២០០,០០០ រៀល`` in Khmer, ``KHR 200,000`` in English."""
    text = f"{amount:,}"
    return f"{text.translate(KHMER_DIGITS)} រៀល" if language == "km" else f"KHR {text}"


def number(value: Decimal, language: str) -> str:
    """A number in Khmer or Western digits."""
    text = f"{value:,}"
    return text.translate(KHMER_DIGITS) if language == "km" else text


def service_time(duration: Duration, language: str) -> str:
    """``១០ ថ្ងៃធ្វើការ`` in Khmer, ``10 working days`` in English."""
    if language == "en":
        return str(duration)
    unit = "ថ្ងៃធ្វើការ" if duration.unit is TimeUnit.WORKING_DAYS else "ម៉ោងធ្វើការ"
    return f"{str(duration.amount).translate(KHMER_DIGITS)} {unit}"


def fee_lines(service: Service, fee: Fee, language: str) -> list[str]:
    """One fee as the board shows it: a fixed amount, or one line per tier."""
    label = fee.label.get(language)
    if fee.amount is not None:
        return [f"    • {label} — {money(fee.amount, language)}"]
    field = service.field(fee.basis or "")
    basis = field.label.get(language) if field else fee.basis
    lines = [f"    • {label} ({basis})"]
    previous: Decimal | None = None
    for tier in fee.tiers:
        if tier.up_to is not None:
            bound = "រហូតដល់" if language == "km" else "up to"
            span = f"{bound} {number(tier.up_to, language)}"
        else:
            bound = "លើសពី" if language == "km" else "over"
            span = f"{bound} {number(previous or Decimal(0), language)}"
        lines.append(f"        - {span} — {money(tier.amount, language)}")
        previous = tier.up_to
    return lines


def print_fee_board(mall: Mall, at: datetime) -> None:
    """Print every service's posted fees and service time, in Khmer and then English."""
    print("តារាងថ្លៃសេវា និងរយៈពេលផ្តល់សេវា / Posted fees and service times")
    for service in mall.catalogue.current_services(at=at):
        print()
        for language in ("km", "en"):
            word = "រយៈពេលផ្តល់សេវា៖" if language == "km" else "service time:"
            norm = service_time(service.service_norm, language)
            print(f"  [{language}] {service.name.get(language)} ({word} {norm})")
            for fee in service.fees_for(ChannelKind.COUNTER):
                for line in fee_lines(service, fee, language):
                    print(line)


def scan(requirement: str, evidence_type: str, content: bytes) -> DocumentRef:
    """A reference to the scan the counter makes of a document shown in the original."""
    return DocumentRef(
        requirement=requirement,
        evidence_type=evidence_type,
        sha256=hashlib.sha256(content).hexdigest(),
        media_type="application/pdf",
        size=len(content),
        content=content,
    )


def show(mall: Mall, number_: str, secret: str, title: str) -> None:
    """Print the public status, as the applicant sees it, in Khmer and English."""
    print(f"\n== {title}")
    for language in ("km", "en"):
        status = mall.track(number_, secret, language=language)
        if status.closed:
            due = "បានបញ្ចប់" if language == "km" else "closed"
        elif status.due is None:
            due = "ផ្អាករាប់ពេល" if language == "km" else "clock paused"
        else:
            when = f"{status.due:%Y-%m-%d %H:%M}"
            due = f"ថ្ងៃផុតកំណត់ {when.translate(KHMER_DIGITS)}" if language == "km" else f"due {when}"
        print(f"  [{language}] {status.label} | {due}")
    history = mall.track(number_, secret, language="en").history
    print("  history: " + " -> ".join(step.state for step in history))


def main() -> None:
    """Print the fee board, then take one construction permit from receipt to collection."""
    clock = ManualClock(datetime(2025, 9, 18, 9, 0, tzinfo=ICT))
    mall = Mall(
        catalogue=load_catalogue(CATALOGUE),
        store=from_url("memory://"),
        clock=clock,
        calendars={"*": calendar_for("KH", years=[2025, 2026])},
        validators=default_validators().with_validator(KhmerIdCard()),
    )
    print_fee_board(mall, clock.now())

    # Thursday 18 September 2025: a three-storey house of 180 m², filed at the counter.
    answers: dict[str, object] = {
        "owner_name": "សុខ ចាន់ធី",
        "id_number": "010123456",
        "site_address": "ផ្លូវ ១៣, សង្កាត់វត្តភ្នំ, ខណ្ឌដូនពេញ",
        "building_use": "residential",
        "floor_area": 180,
        "floors": 3,
    }
    documents = [
        scan("id-card", "id-card", b"ID card"),
        scan("land-title", "land-title", b"land title"),
        scan("plans", "building-plans", b"plans"),
        scan("structure", "structural-drawings", b"structural drawings"),
        scan("neighbours", "neighbour-consent", b"neighbours' consent"),
    ]
    owner = Person.of(identity_number="010123456", identity_scheme="kh-nid", name="សុខ ចាន់ធី")
    receipt = mall.submit(
        "construction-permit-small",
        channel="counter",
        applicant=owner,
        answers=answers,
        documents=documents,
        actor=OWNER,
    )
    number_, app = receipt.number, receipt.application_id
    secret = receipt.lookup_secret or ""
    service = mall.catalogue.service("construction-permit-small", at=clock.now())
    for amount in service.fees_due(ChannelKind.COUNTER, answers):
        km, en = money(amount.amount, "km"), money(amount.amount, "en")
        print(f"\nថ្លៃសេវាត្រូវបង់៖ {km} / Fee to pay: {en}")
    print(f"Received {number_}; due {receipt.due:%a %d %b %Y %H:%M} (Pchum Ben skipped)")
    show(mall, number_, secret, "1. បានទទួលពាក្យ / Received")

    clock.set(9, 18, 9, 20)
    mall.act(app, "accept", actor=COUNTER)
    clock.set(9, 19, 10, 0)
    for document in documents:
        mall.check_document(app, document.requirement, verdict="verified", actor=VERIFIER)
    mall.act(app, "verify", actor=VERIFIER)
    show(mall, number_, secret, "2. ឯកសារគ្រប់គ្រាន់ / File complete: technical review")

    clock.set(9, 29, 14, 0)
    mall.act(app, "recommend", actor=TECHNICAL, inputs={"verdict": "conforms"})
    clock.set(9, 30, 10, 0)
    mall.act(app, "approve", actor=GOVERNOR)
    show(mall, number_, secret, "3. បានអនុម័ត / Approved: ready for collection")

    clock.set(10, 2, 9, 0)
    mall.act(app, "hand_over", actor=COUNTER)
    show(mall, number_, secret, "4. បានប្រគល់ / Collected")

    print("\nDeadline, explained:")
    for line in mall.deadline(app).trace:
        print(f"  {line}")
    for row in mall.sla_report():
        print(f"SLA {row.agency}/{row.service}: on time {row.on_time}, late {row.late}")


if __name__ == "__main__":
    main()
