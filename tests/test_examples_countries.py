"""The Korean and Cambodian examples run, and the Korean sample catalogue is sound."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from onestop.cli import EXIT_OK, main
from onestop.domain.catalogue.model import Catalogue, ChannelKind
from onestop.domain.common.values import TimeUnit
from onestop.domain.workflow.guards import default_guards
from onestop.domain.workflow.model import check_workflow
from onestop.usecases.catalogue.loading import load_catalogue

ROOT = Path(__file__).parent.parent
KOREA = ROOT / "examples" / "korea"
# The Korean example runs in October 2025; the passport's current tariff is from March 2026.
MOMENTS = (datetime(2025, 10, 2, 7, 30, tzinfo=UTC), datetime(2026, 6, 1, 0, 0, tzinfo=UTC))


def run_example(name: str) -> str:
    """Run ``examples/<name>`` as a script and return what it printed."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def korea() -> Catalogue:
    return load_catalogue(KOREA, known_guards=default_guards().names())


def test_korean_office_runs_across_chuseok_and_lunch() -> None:
    """The due date crosses closing time and Chuseok, then lunch; labels are in Korean."""
    out = run_example("korean_office.py")

    assert "Received jongno-gu/seal-certificate/2025/000001; due Fri 10 Oct 2025 10:30 KST" in out
    assert "  skipped Mon 2025-10-06 (holiday)" in out
    assert "[ko] 인감증명서 발급: 접수됨 | 처리기한 2025-10-10(금) 10:30" in out
    assert "[en] Seal certificate (registered seal impression): Received" in out
    assert "| 처리기간 정지 (보완 대기)" in out
    lunch = "closed Fri 2025-10-10 12:00 KST to Fri 2025-10-10 13:00 KST"
    assert f"{lunch} (점심시간 lunch hour)" in out
    assert "[ko] 인감증명서 발급: 본인 확인 및 구비서류 확인 중" in out
    assert "처리기한 2025-10-10(금) 14:45" in out
    assert "[ko] 처리 지연으로 민원실장에게 보고됨" in out
    assert "[ko] 인감증명서 발급: 발급 완료 | 처리 완료" in out
    assert "발급 수수료 (1통): 600원 / Issue fee (per copy): KRW 600" in out
    assert "SLA jongno-gu/seal-certificate: on time 1, late 0, paused 3:15:00" in out
    assert "SLA jongno-gu/building-register-copy: on time 0, late 1" in out


def test_cambodian_office_posts_fees_and_tracks_a_permit() -> None:
    """The fee board shows fixed and tiered fees in Khmer and English; the permit closes."""
    out = run_example("cambodian_office.py")

    assert "[km] លិខិតអនុញ្ញាតសាងសង់សំណង់ខ្នាតតូច (រយៈពេលផ្តល់សេវា៖ ១៥ ថ្ងៃធ្វើការ)" in out
    assert "    • ថ្លៃសេវា៖ ភោជនីយដ្ឋាន — ២០០,០០០ រៀល" in out
    assert "        - រហូតដល់ ១០០ — ២០០,០០០ រៀល" in out
    assert "        - over 300 — KHR 1,000,000" in out
    assert "    • Certificate fee — KHR 10,000" in out
    assert "ថ្លៃសេវាត្រូវបង់៖ ៥០០,០០០ រៀល / Fee to pay: KHR 500,000" in out
    assert "due Wed 22 Oct 2025 16:00" in out
    assert "[km] បានទទួលពាក្យស្នើសុំ | ថ្ងៃផុតកំណត់ ២០២៥-១០-២២ ១៦:០០" in out
    assert "[km] អ្នកស្នើសុំបានទទួលលិខិតអនុញ្ញាត | បានបញ្ចប់" in out
    assert "[en] Permit collected by the applicant | closed" in out
    assert "SLA owso-daun-penh/construction-permit-small: on time 1, late 0" in out


def test_korean_catalogue_validates_with_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    """``onestop catalogue validate examples/korea`` succeeds."""
    code = main(["catalogue", "validate", str(KOREA)])
    out, err = capsys.readouterr()
    assert (code, err) == (EXIT_OK, "")
    assert out.startswith("ok: 3 agencies, 6 services")


def test_korean_catalogue_shape(korea: Catalogue) -> None:
    """Korean and English, in Seoul, with 3 agencies and a tree under Seoul."""
    assert korea.languages == ("ko", "en")
    assert {a.code for a in korea.agencies} == {"mois", "seoul", "jongno-gu"}
    assert korea.agency("jongno-gu").parent == "seoul"
    assert {a.time_zone for a in korea.agencies} == {"Asia/Seoul"}
    assert all(f.currency == "KRW" for s in korea.services for f in s.fees)


@pytest.mark.parametrize("at", MOMENTS, ids=["2025-10", "2026-06"])
def test_every_current_korean_service_has_a_valid_workflow(korea: Catalogue, at: datetime) -> None:
    """Every service in effect names a workflow that passes validation against its limit."""
    services = korea.current_services(at=at)
    assert len(services) >= 5
    for service in services:
        assert service.workflow is not None, service.code
        workflow = korea.workflow(service.workflow)
        assert check_workflow(workflow, service_limit=service.time_limit) == [], service.code


def test_korean_certificates_are_due_within_working_hours(korea: Catalogue) -> None:
    """Services due "즉시" have 3 working hours; a workflow limits a state in hours."""
    for service in korea.current_services(at=MOMENTS[0]):
        if service.code != "passport":
            assert str(service.time_limit) == "3 working hours", service.code
    limits = [
        state.time_limit
        for state in korea.workflow("instant-certificate").states
        if state.time_limit is not None
    ]
    assert limits
    assert all(limit.unit is TimeUnit.WORKING_HOURS for limit in limits)


def test_korean_passport_fees_follow_each_tariff(korea: Catalogue) -> None:
    """The 10-year, 58-page passport cost 53,000, then 50,000, and 52,000 from March 2026."""
    adult = {"age": 30, "passport_kind": "multiple", "pages": "58", "reason": "first"}
    child = adult | {"age": 10}
    totals = [
        (
            service.fees_due(ChannelKind.COUNTER, adult)[0].amount,
            service.fees_due(ChannelKind.COUNTER, child)[0].amount,
        )
        for service in korea.versions("passport")
    ]
    assert totals == [
        (Decimal(53000), Decimal(45000)),
        (Decimal(50000), Decimal(42000)),
        (Decimal(52000), Decimal(44000)),
    ]
    assert korea.service("passport", at=MOMENTS[1]).version == 3
