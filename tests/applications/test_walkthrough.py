"""A Jakarta applicant's licence, end to end: submission to issue, with a correction loop."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from application_support import (
    CITIZEN,
    WIB,
    Canary,
    ManualClock,
    answers,
    document,
    documents,
    officer,
)

from onestop.domain.applications.application import Verdict
from onestop.exceptions import SeparationOfDutiesViolation
from onestop.usecases.mall import Mall, Receipt

VERIFIER = officer("verifier-1", "verifier")
PROCESSOR = officer("processor-1", "processor")
APPROVER = officer("approver-1", "approver")
FRONT_OFFICE = officer("front-1", "front_office")


def _submit(mall: Mall) -> Receipt:
    return mall.submit(
        "izin-usaha",
        channel="online",
        applicant=Canary.new().person(),
        answers=answers(Canary.new()),
        documents=documents(),
        actor=CITIZEN,
        idempotency_key="walkthrough-1",
    )


def _send_back_photo(mall: Mall, clock: ManualClock, app_id: str) -> None:
    clock.set(datetime(2025, 7, 14, 10, 0, tzinfo=WIB))
    mall.check_document(app_id, "ktp", verdict=Verdict.VERIFIED, actor=VERIFIER)
    mall.check_document(
        app_id, "foto", verdict=Verdict.REJECTED, reason="blurry_photo", actor=VERIFIER
    )
    clock.set(datetime(2025, 7, 14, 10, 30, tzinfo=WIB))
    mall.act(app_id, "send_back", actor=VERIFIER, inputs={"reason": "Foto buram; unggah ulang"})


def _correct_and_resubmit(mall: Mall, clock: ManualClock, app_id: str) -> None:
    clock.set(datetime(2025, 7, 15, 11, 0, tzinfo=WIB))
    mall.attach_document(app_id, document("foto", "pas-foto", b"a sharp photograph"), actor=CITIZEN)
    clock.set(datetime(2025, 7, 15, 11, 5, tzinfo=WIB))
    mall.act(app_id, "resubmit", actor=CITIZEN)


def _verify_process_approve_issue(mall: Mall, clock: ManualClock, app_id: str) -> None:
    clock.set(datetime(2025, 7, 15, 13, 0, tzinfo=WIB))
    mall.check_document(app_id, "foto", verdict=Verdict.VERIFIED, actor=VERIFIER)
    mall.act(app_id, "verify", actor=VERIFIER)
    clock.set(datetime(2025, 7, 16, 9, 0, tzinfo=WIB))
    mall.act(app_id, "process", actor=PROCESSOR)
    clock.set(datetime(2025, 7, 17, 10, 0, tzinfo=WIB))
    mall.act(app_id, "approve", actor=APPROVER)
    clock.set(datetime(2025, 7, 17, 14, 0, tzinfo=WIB))
    mall.act(app_id, "issue", actor=FRONT_OFFICE)


def test_receipt_names_number_secret_and_due_date(mall: Mall) -> None:
    """Submitting gives a numbered receipt, a one-time secret and a due date 5 working days on."""
    receipt = _submit(mall)

    assert receipt.number == "dpmptsp/izin-usaha/2025/000001"
    assert receipt.lookup_secret
    assert receipt.due == datetime(2025, 7, 21, 16, 0, tzinfo=WIB)
    assert receipt.required_documents == ("ktp", "foto")
    assert receipt.deadline[-1].startswith("due Mon 2025-07-21 16:00")


def test_sending_back_pauses_the_clock(mall: Mall, clock: ManualClock) -> None:
    """While the application waits on the applicant its clock is paused and no due date is set."""
    receipt = _submit(mall)
    _send_back_photo(mall, clock, receipt.application_id)
    clock.set(datetime(2025, 7, 14, 15, 0, tzinfo=WIB))

    deadline = mall.deadline(receipt.application_id)
    row = mall.store.summary(receipt.application_id)

    assert deadline.due is None
    assert deadline.paused_since == datetime(2025, 7, 14, 10, 30, tzinfo=WIB)
    assert row is not None
    assert row.due is None
    assert row.state == "returned"


def test_due_date_moves_exactly_by_the_pause(mall: Mall, clock: ManualClock) -> None:
    """Resubmitting restarts the clock; the due date moves by the paused working time, 8h35."""
    receipt = _submit(mall)
    _send_back_photo(mall, clock, receipt.application_id)
    _correct_and_resubmit(mall, clock, receipt.application_id)

    deadline = mall.deadline(receipt.application_id)

    assert deadline.paused == timedelta(hours=8, minutes=35)
    assert deadline.due == datetime(2025, 7, 23, 8, 35, tzinfo=WIB)
    assert any("state:returned" in line for line in deadline.trace)


def test_verifier_cannot_approve(mall: Mall, clock: ManualClock) -> None:
    """The officer who verified may not approve: separation of duties, whatever role they hold."""
    receipt = _submit(mall)
    app_id = receipt.application_id
    _send_back_photo(mall, clock, app_id)
    _correct_and_resubmit(mall, clock, app_id)
    mall.check_document(app_id, "foto", verdict=Verdict.VERIFIED, actor=VERIFIER)
    mall.act(app_id, "verify", actor=VERIFIER)
    mall.act(app_id, "process", actor=PROCESSOR)

    with pytest.raises(SeparationOfDutiesViolation) as caught:
        mall.act(app_id, "approve", actor=VERIFIER)

    assert caught.value.earlier_action == "verify"


def test_walkthrough_ends_issued_on_time(mall: Mall, clock: ManualClock) -> None:
    """The licence is issued, the chain verifies, and the SLA report counts it on time."""
    receipt = _submit(mall)
    app_id = receipt.application_id
    _send_back_photo(mall, clock, app_id)
    _correct_and_resubmit(mall, clock, app_id)
    _verify_process_approve_issue(mall, clock, app_id)

    application = mall.application(app_id)
    [row] = mall.sla_report()

    assert application.state == "issued"
    assert application.is_closed
    assert mall.verify(app_id).ok
    assert (row.agency, row.service, row.on_time, row.late) == ("dpmptsp", "izin-usaha", 1, 0)
    assert row.paused == timedelta(hours=8, minutes=35)


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        (
            "id",
            [
                "Diajukan",
                "Perlu perbaikan berkas",
                "Diajukan",
                "Berkas diverifikasi",
                "Diproses di dinas",
                "Disetujui",
                "Izin terbit",
            ],
        ),
        (
            "en-GB",
            [
                "Submitted",
                "Your documents need correcting",
                "Submitted",
                "Documents verified",
                "Processed at the agency",
                "Approved",
                "Licence issued",
            ],
        ),
    ],
)
def test_public_status_shows_each_step(
    mall: Mall, clock: ManualClock, language: str, labels: list[str]
) -> None:
    """The public status lists every step, labelled in Indonesian or English."""
    receipt = _submit(mall)
    app_id = receipt.application_id
    _send_back_photo(mall, clock, app_id)
    _correct_and_resubmit(mall, clock, app_id)
    _verify_process_approve_issue(mall, clock, app_id)
    assert receipt.lookup_secret is not None

    status = mall.track(receipt.number, receipt.lookup_secret, language=language)

    assert [step.label for step in status.history] == labels
    assert status.label == labels[-1]
    assert status.closed
    assert status.due is None


def test_public_status_says_what_is_needed(mall: Mall, clock: ManualClock) -> None:
    """While sent back, the public status gives the officer's message and the rejected document."""
    receipt = _submit(mall)
    _send_back_photo(mall, clock, receipt.application_id)
    assert receipt.lookup_secret is not None

    status = mall.track(receipt.number, receipt.lookup_secret, language="en")

    assert status.paused
    assert [(n.requirement, n.label, n.reason) for n in status.needed] == [
        (None, "Foto buram; unggah ulang", None),
        ("foto", "Photograph", "blurry_photo"),
    ]
