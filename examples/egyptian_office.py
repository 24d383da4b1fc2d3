"""A birth certificate extract across Armed Forces Day, and an ID card across the end of DST.

Run it from the repository's root::

    python examples/egyptian_office.py

It loads the Egyptian sample catalogue (``examples/egypt``, Arabic and English), wires a
`Mall` over an in-memory store, the catalogue's work calendar and a clock the script moves
by hand, and walks two applications at the Giza technological centre:

- a mother asks on Wednesday 8 October 2025 at 13:30 for her son's computerised birth
  certificate extract, due within three working hours.  The centre closes at 15:00; the
  next day is Armed Forces Day (observed), then comes the Friday-Saturday weekend, so the
  clock resumes on Sunday 12 October.  Her ID card has expired, so the counter asks for a
  valid one and the clock pauses until she comes back on Sunday.
- a man renews his national ID card on Wednesday 29 October 2025, seven working days:
  Egypt leaves daylight saving time at midnight after Thursday 30 October, so the receipt
  is stamped EEST (UTC+3) and the due date EET (UTC+2).

Everything about Egypt comes from the data files: the work calendar (Sunday to
Thursday, EG public and government holidays, ``examples/egypt/calendars.toml``) and the
national ID number's format (``identity_schemes`` in ``catalogue.toml``); no Python
calendar or validator is written here.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from onestop import (
    Actor,
    ChannelKind,
    DocumentRef,
    Mall,
    Person,
    calendar_versions,
    load_catalogue,
)
from onestop.storage import from_url

CAIRO = ZoneInfo("Africa/Cairo")
CATALOGUE = Path(__file__).with_name("egypt")
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
WEEKDAYS_AR = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")

MOTHER = Actor(id="citizen-4410", roles={"applicant"})
COUNTER = Actor(id="giza-tc-counter-07", roles={"front_office"})
VERIFIER = Actor(id="giza-civil-status-02", roles={"verifier"})
DATA_CENTRE = Actor(id="csa-data-centre-11", roles={"agency_officer"})
HEAD = Actor(id="giza-civil-status-head-01", roles={"approver"})

EXPIRED_CARD = "بطاقة الرقم القومي منتهية الصلاحية (the national ID card has expired)"


class ManualClock:
    """A clock this script sets by hand (a `onestop.ports.events.Clock`), in Cairo time."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def set(self, month: int, day: int, hour: int, minute: int = 0) -> None:
        self.current = datetime(2025, month, day, hour, minute, tzinfo=CAIRO)


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


def stamp(moment: datetime, language: str) -> str:
    """The weekday and Arabic-Indic digits in Arabic, ``Sun 12 Oct 2025 09:30 EEST`` in English."""
    local = moment.astimezone(CAIRO)
    if language == "ar":
        text = f"{local:%Y-%m-%d %H:%M}".translate(ARABIC_DIGITS)
        return f"{WEEKDAYS_AR[local.weekday()]} {text}"
    return f"{local:%a %d %b %Y %H:%M %Z}"


def money(amount: Decimal, language: str) -> str:
    """Arabic-Indic digits and ``ج.م`` in Arabic, ``EGP 50`` in English."""
    return f"{amount:,} ج.م".translate(ARABIC_DIGITS) if language == "ar" else f"EGP {amount:,}"


def fees(mall: Mall, service_code: str, answers: dict[str, object], at: datetime) -> None:
    """Print the fees due for *answers* at the counter, in Arabic and English."""
    service = mall.catalogue.service(service_code, at=at)
    for fee in service.fees_for(ChannelKind.COUNTER):
        due = fee.due(answers)
        if due is not None:
            ar, en = money(due.amount, "ar"), money(due.amount, "en")
            print(f"{fee.label.get('ar')}: {ar} / {fee.label.get('en')}: {en}")


def show(mall: Mall, number: str, secret: str, title: str) -> None:
    """Print the public status, as the applicant sees it, in Arabic and English."""
    print(f"\n== {title}")
    for language in ("ar", "en"):
        status = mall.track(number, secret, language=language)
        if status.closed:
            due = "مكتمل" if language == "ar" else "closed"
        elif status.due is None:
            due = "المدة متوقفة (في انتظار المستندات)" if language == "ar" else "clock paused"
        else:
            due = ("موعد الإنجاز " if language == "ar" else "due ") + stamp(status.due, language)
        print(f"  [{language}] {status.service_name}: {status.label} | {due}")
    history = mall.track(number, secret, language="ar").history
    print("  history: " + " -> ".join(step.state for step in history))


def birth_certificate(mall: Mall, clock: ManualClock) -> str:
    """Wednesday 8 October, 13:30: an extract due in three working hours, paused once."""
    mother = Person.of(identity_number="29003150101234", identity_scheme="eg-nid", name="منى أحمد")
    answers: dict[str, object] = {
        "person_name": "يوسف محمد علي حسن",
        "mother_name": "منى أحمد",
        "relation": "relative",
        "copies": 1,
    }
    receipt = mall.submit(
        "birth-certificate-extract",
        channel="counter",
        applicant=mother,
        answers=answers,
        documents=[scan("national-id", "national-id-card", b"expired card")],
        actor=MOTHER,
    )
    number, app = receipt.number, receipt.application_id
    secret = receipt.lookup_secret or ""
    print()
    fees(mall, "birth-certificate-extract", answers, clock.now())
    print(f"Received {number}; due {stamp(receipt.due, 'en')}")
    for line in receipt.deadline:
        print(f"  {line}")
    show(mall, number, secret, "1. تم الاستلام / Received")

    clock.set(10, 8, 13, 35)
    mall.act(app, "accept", actor=COUNTER)
    clock.set(10, 8, 13, 45)
    mall.check_document(app, "national-id", verdict="rejected", reason="expired", actor=COUNTER)
    mall.act(app, "request_correction", actor=COUNTER, inputs={"reason": EXPIRED_CARD})
    show(mall, number, secret, "2. استكمال المستندات: توقفت المدة / Sent back: the clock stops")

    # Sunday 12 October: she comes back with her new card.
    clock.set(10, 12, 8, 30)
    mall.attach_document(app, scan("national-id", "national-id-card", b"new card"), actor=MOTHER)
    mall.act(app, "resubmit", actor=MOTHER)
    show(mall, number, secret, "3. تم الاستكمال / Completed: the rest runs on Sunday")

    clock.set(10, 12, 8, 40)
    mall.check_document(app, "national-id", verdict="verified", actor=COUNTER)
    mall.act(app, "issue", actor=COUNTER)
    show(mall, number, secret, "4. تم الإصدار / Issued")
    print("\nDeadline of the extract, explained:")
    for line in mall.deadline(app).trace:
        print(f"  {line}")
    return app


def id_card(mall: Mall, clock: ManualClock) -> str:
    """Wednesday 29 October, 11:00: a card renewal due after the end of DST."""
    clock.set(10, 29, 11, 0)
    man = Person.of(identity_number="28507011401233", identity_scheme="eg-nid", name="محمد علي")
    answers: dict[str, object] = {"reason": "renewal", "urgent": False}
    receipt = mall.submit(
        "national-id-card",
        channel="counter",
        applicant=man,
        answers=answers,
        documents=[scan("old-card", "national-id-card", b"old card")],
        actor=MOTHER,
    )
    number, app = receipt.number, receipt.application_id
    secret = receipt.lookup_secret or ""
    print()
    fees(mall, "national-id-card", answers, clock.now())
    print(f"Received {number} at {stamp(clock.now(), 'en')}; due {stamp(receipt.due, 'en')}")
    show(mall, number, secret, "5. تجديد البطاقة / ID card renewal")

    clock.set(10, 29, 11, 10)
    mall.act(app, "accept", actor=COUNTER)
    clock.set(10, 29, 12, 0)
    mall.check_document(app, "old-card", verdict="verified", actor=VERIFIER)
    mall.act(app, "verify", actor=VERIFIER)
    clock.set(11, 3, 10, 0)
    mall.act(app, "recommend", actor=DATA_CENTRE, inputs={"verdict": "printed"})
    clock.set(11, 4, 9, 0)
    mall.act(app, "approve", actor=HEAD)
    clock.set(11, 5, 10, 0)
    mall.act(app, "hand_over", actor=COUNTER)
    show(mall, number, secret, "6. تم التسليم / Collected")
    return app


def main() -> None:
    """Walk the extract across the holiday and the weekend, then the ID card across DST."""
    clock = ManualClock(datetime(2025, 10, 8, 13, 30, tzinfo=CAIRO))
    catalogue = load_catalogue(CATALOGUE)
    mall = Mall(
        catalogue=catalogue,
        store=from_url("memory://"),
        clock=clock,
        calendar_versions=calendar_versions(catalogue, years=[2024, 2025, 2026]),
    )
    calendar = mall.calendar("civil-status")
    print("The centre from Wednesday 8 to Sunday 12 October 2025:")
    for day, kind in calendar.day_kinds(date(2025, 10, 8), date(2025, 10, 12)):
        print(f"  {day:%a %d %b}: {kind.value}")

    apps = [birth_certificate(mall, clock), id_card(mall, clock)]

    print(f"\nAudit chains intact: {all(mall.verify(app).ok for app in apps)}")
    for row in mall.sla_report():
        print(f"SLA {row.agency}/{row.service}: on time {row.on_time}, late {row.late}")


if __name__ == "__main__":
    main()
