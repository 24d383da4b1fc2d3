"""The Egyptian example: Arabic and English, EGP, a Sunday-Thursday week in Africa/Cairo.

The catalogue is data files only: the work calendar (``calendars.toml``) and the national
ID number's format (``identity_schemes``) are declared there, and the tests use them as
``examples/egyptian_office.py`` does, with no Python calendar or validator.  The due dates
below were worked out by hand (weekend, opening hours, DST, and the holiday dates each
comment names).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from onestop import (
    Actor,
    ChannelKind,
    DocumentRef,
    Mall,
    Person,
    calendar_versions,
    load_catalogue,
)
from onestop.cli import EXIT_OK, main
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.workflow.guards import default_guards
from onestop.domain.workflow.model import check_workflow
from onestop.exceptions import InvalidApplication
from onestop.storage import from_url

ROOT = Path(__file__).parent.parent
EGYPT = ROOT / "examples" / "egypt"
CAIRO = ZoneInfo("Africa/Cairo")
ARABIC_DIGITS = str.maketrans("0123456789", "".join(chr(0x660 + d) for d in range(10)))

CITIZEN = Actor(id="citizen-1", roles={"applicant"})
COUNTER = Actor(id="counter-1", roles={"front_office"})
VERIFIER = Actor(id="verifier-1", roles={"verifier"})
BACK_OFFICE = Actor(id="back-office-1", roles={"agency_officer"})
HEAD = Actor(id="head-1", roles={"approver"})


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current


def _mall(start: datetime) -> tuple[Mall, _Clock]:
    clock = _Clock(start)
    catalogue = load_catalogue(EGYPT)
    mall = Mall(
        catalogue=catalogue,
        store=from_url("memory://"),
        clock=clock,
        calendar_versions=calendar_versions(catalogue, years=[2024, 2025, 2026]),
    )
    return mall, clock


def _doc(requirement: str, evidence_type: str) -> DocumentRef:
    content = f"{requirement} scan".encode()
    return DocumentRef(
        requirement=requirement,
        evidence_type=evidence_type,
        sha256=hashlib.sha256(content).hexdigest(),
        media_type="application/pdf",
        size=len(content),
        content=content,
    )


_APPLICANT = Person.of(identity_number="29003150101234", identity_scheme="eg-nid", name="منى")
_EXTRACT = {"person_name": "يوسف", "mother_name": "منى", "relation": "self", "copies": 1}


@pytest.fixture(scope="module")
def egypt() -> Catalogue:
    return load_catalogue(EGYPT, known_guards=default_guards().names())


def test_egyptian_catalogue_validates_with_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    """``onestop catalogue validate examples/egypt`` finds no problem."""
    code = main(["catalogue", "validate", str(EGYPT)])
    out, err = capsys.readouterr()
    assert (code, err) == (EXIT_OK, "")
    assert out.startswith("ok: 8 agencies, 7 services")


def test_egyptian_catalogue_shape(egypt: Catalogue) -> None:
    """Arabic first, then English; every agency in Cairo; every fee in Egyptian pounds."""
    assert egypt.languages == ("ar", "en")
    assert {a.time_zone for a in egypt.agencies} == {"Africa/Cairo"}
    assert egypt.agency("civil-status").parent == "moi"
    assert all(f.currency == "EGP" for s in egypt.services for f in s.fees)


def test_the_calendar_and_the_national_id_are_declared_as_data(egypt: Catalogue) -> None:
    """The calendar and the national ID scheme come from the data files, not from Python."""
    assert sorted(p.name for p in EGYPT.iterdir() if p.suffix in {".toml", ".json"}) == [
        "calendars.toml",
        "catalogue.toml",
        "services.toml",
        "workflows.toml",
    ]
    (calendar,) = egypt.calendars
    assert (calendar.country, calendar.time_zone) == ("EG", "Africa/Cairo")
    (scheme,) = egypt.identity_schemes
    assert (scheme.code, scheme.length) == ("eg-nid", 14)


def test_a_malformed_national_id_is_refused_by_the_declared_scheme() -> None:
    """A 14-digit number with month 13 is refused with no Python validator anywhere."""
    mall, _ = _mall(datetime(2025, 10, 29, 11, 0, tzinfo=CAIRO))
    bad = Person.of(identity_number="29013150101234", identity_scheme="eg-nid", name="منى")
    with pytest.raises(InvalidApplication, match=r"applicant\.identity_number.*eg-nid"):
        mall.submit(
            "birth-certificate-extract",
            channel=ChannelKind.COUNTER,
            applicant=bad,
            answers=_EXTRACT,
            documents=[],
            actor=Actor(id="citizen-1", roles={"applicant"}),
        )


def test_every_egyptian_service_has_a_valid_workflow(egypt: Catalogue) -> None:
    """Every service names a workflow that passes validation against its limit."""
    services = egypt.current_services(at=datetime(2025, 10, 1, tzinfo=UTC))
    assert len(services) == 7
    for service in services:
        assert service.workflow is not None, service.code
        workflow = egypt.workflow(service.workflow)
        assert check_workflow(workflow, service_limit=service.time_limit) == [], service.code


def test_vehicle_licence_fee_rises_with_the_engine(egypt: Catalogue) -> None:
    """The tiered licence fee follows the engine capacity."""
    service = egypt.service("vehicle-licence-renewal", at=datetime(2025, 10, 1, tzinfo=UTC))
    due = [
        service.fees_due(ChannelKind.COUNTER, {"engine_cc": cc})[0].amount
        for cc in (1598, 1998, 2400)
    ]
    assert due == [Decimal(400), Decimal(900), Decimal(2500)]


def test_egyptian_office_runs_across_a_holiday_and_the_end_of_dst() -> None:
    """The example prints Arabic statuses, skips Armed Forces Day and the weekend, and DST."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "egyptian_office.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "due Sun 12 Oct 2025 09:30 EEST" in out
    assert "  skipped Thu 2025-10-09 (holiday)" in out
    assert (
        "[ar] مستخرج شهادة ميلاد مميكن: تم استلام الطلب | موعد الإنجاز الأحد "
        + "2025-10-12 09:30".translate(ARABIC_DIGITS)
        in out
    )
    assert (
        "رسم المستخرج (للنسخة الواحدة): "
        + "20".translate(ARABIC_DIGITS)
        + " ج.م / Extract fee (per copy): EGP 20"
        in out
    )
    assert "| المدة متوقفة (في انتظار المستندات)" in out
    assert "due Sun 2025-10-12 11:15 EEST, moved by 1 working hour 45 minutes of pauses" in out
    assert "at Wed 29 Oct 2025 11:00 EEST; due Sun 09 Nov 2025 15:00 EET" in out
    assert "[ar] استخراج بطاقة الرقم القومي أو تجديدها: تسلمه مقدم الطلب | مكتمل" in out
    assert "Audit chains intact: True" in out
    assert "SLA civil-status/national-id-card: on time 1, late 0" in out


@pytest.mark.parametrize(
    ("received", "service", "due"),
    [
        # Thursday before the weekend: 1 hour on Thursday, 2 on Sunday.
        ((2025, 5, 15, 14, 0), "birth-certificate-extract", (2025, 5, 18, 10, 0)),
        # Eid al-Fitr 2025: Saturday 29 March to Tuesday 1 April (government days included).
        ((2025, 3, 27, 14, 0), "birth-certificate-extract", (2025, 4, 2, 10, 0)),
        # Received after closing: the three hours start on Sunday morning.
        ((2025, 5, 15, 16, 0), "birth-certificate-extract", (2025, 5, 18, 11, 0)),
        # Eid al-Adha 2025: Thursday 5 (Arafah) to Monday 9 June closed; 7th day Wed 18.
        ((2025, 6, 4, 10, 0), "national-id-card", (2025, 6, 18, 15, 0)),
        # Across the end of daylight saving time (midnight after Thursday 30 October).
        ((2025, 10, 29, 11, 0), "national-id-card", (2025, 11, 9, 15, 0)),
    ],
    ids=["weekend", "eid-al-fitr", "after-hours", "eid-al-adha", "dst-end"],
)
def test_egyptian_due_dates_worked_out_by_hand(
    received: tuple[int, ...], service: str, due: tuple[int, ...]
) -> None:
    """Due dates count Sunday-Thursday 08:00-15:00 in Cairo, less the declared holidays."""
    mall, _ = _mall(datetime(*received, tzinfo=CAIRO))
    answers = _EXTRACT if service == "birth-certificate-extract" else {"reason": "renewal"}
    receipt = mall.submit(
        service, channel="counter", applicant=_APPLICANT, answers=answers, actor=CITIZEN
    )
    assert receipt.due == datetime(*due, tzinfo=CAIRO)


def test_an_egyptian_application_is_decided_and_closed_on_time() -> None:
    """An ID card renewal goes from the counter to collection; the SLA report counts it."""
    mall, clock = _mall(datetime(2025, 10, 29, 11, 0, tzinfo=CAIRO))
    receipt = mall.submit(
        "national-id-card",
        channel="counter",
        applicant=_APPLICANT,
        answers={"reason": "renewal"},
        documents=[_doc("old-card", "national-id-card")],
        actor=CITIZEN,
    )
    app = receipt.application_id
    mall.act(app, "accept", actor=COUNTER)
    mall.check_document(app, "old-card", verdict="verified", actor=VERIFIER)
    mall.act(app, "verify", actor=VERIFIER)
    clock.current = datetime(2025, 11, 2, 10, 0, tzinfo=CAIRO)
    mall.act(app, "recommend", actor=BACK_OFFICE, inputs={"verdict": "printed"})
    mall.act(app, "approve", actor=HEAD)
    mall.act(app, "hand_over", actor=COUNTER)
    assert mall.application(app).state == "collected"
    [row] = mall.sla_report()
    assert (row.service, row.on_time, row.late) == ("national-id-card", 1, 0)


def test_the_calendar_closes_on_friday_and_saturday_and_eid() -> None:
    """Friday and Saturday are the weekend; the government category adds an Eid day."""
    mall, _ = _mall(datetime(2025, 10, 1, tzinfo=CAIRO))
    calendar = mall.calendar("civil-status")
    assert not calendar.is_working_day(date(2025, 10, 10))  # Friday
    assert not calendar.is_working_day(date(2025, 10, 11))  # Saturday
    assert calendar.is_working_day(date(2025, 10, 12))  # Sunday
    assert not calendar.is_working_day(date(2025, 4, 1))  # Eid al-Fitr, government only
