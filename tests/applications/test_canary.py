"""Canary personal data pushed through every flow never leaks out of the event bodies."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import structlog
from application_support import (
    CITIZEN,
    Canary,
    ManualClock,
    answers,
    document,
    documents,
    officer,
)
from structlog.testing import capture_logs

from onestop.domain.applications.application import Verdict, Visibility
from onestop.domain.common.parties import Organisation, Representative
from onestop.exceptions import OnestopError
from onestop.ports.events import SummaryQuery
from onestop.storage.memory import MemoryStore
from onestop.usecases.mall import Mall

VERIFIER = officer("verifier-1", "verifier")
PROCESSOR = officer("processor-1", "processor")
APPROVER = officer("approver-1", "approver")
FRONT_OFFICE = officer("front-1", "front_office")


def _every_flow(mall: Mall, clock: ManualClock, canary: Canary, seen: list[Any]) -> None:
    """Drive two applications through every use case, keeping every value returned."""
    helper = Canary.new()
    representative = Representative(person=helper.person(), authorisation="surat-kuasa-1")
    receipt = mall.submit(
        "izin-usaha",
        channel="online",
        applicant=canary.person(),
        representative=representative,
        answers=answers(canary),
        documents=documents(),
        actor=CITIZEN,
        idempotency_key="canary-1",
    )
    seen.append(receipt)
    app_id = receipt.application_id
    seen.append(
        mall.submit(
            "izin-usaha",
            channel="online",
            applicant=canary.person(),
            representative=representative,
            answers=answers(canary),
            documents=documents(),
            actor=CITIZEN,
            idempotency_key="canary-1",
        )
    )
    company = Organisation(
        business_number="9120001234567", name="PT Uji", contact_person=canary.person()
    )
    seen.append(
        mall.submit(
            "izin-usaha",
            channel="counter",
            applicant=company,
            answers=answers(canary, applicant_type="company"),
            documents=[*documents(), document("akta", "akta-pendirian", b"deed")],
            actor=FRONT_OFFICE,
        )
    )
    steps: list[Callable[[], object]] = [
        lambda: mall.add_note(
            app_id,
            f"NIK {canary.nik} confirmed by phone {canary.phone}",
            visibility=Visibility.INTERNAL,
            actor=VERIFIER,
        ),
        lambda: mall.check_document(
            app_id, "foto", verdict=Verdict.REJECTED, reason="blurry", actor=VERIFIER
        ),
        lambda: mall.act(app_id, "send_back", actor=VERIFIER, inputs={"reason": "Foto buram"}),
        lambda: mall.attach_document(app_id, document("foto", "pas-foto", b"sharp"), actor=CITIZEN),
        lambda: mall.act(app_id, "resubmit", actor=CITIZEN),
        lambda: mall.assign(app_id, "verifier-1", actor=VERIFIER),
        lambda: mall.suspend(app_id, reason="system_outage", actor=VERIFIER),
        lambda: mall.resume(app_id, actor=VERIFIER),
        lambda: mall.check_document(app_id, "ktp", verdict="verified", actor=VERIFIER),
        lambda: mall.check_document(app_id, "foto", verdict="verified", actor=VERIFIER),
        lambda: mall.act(app_id, "verify", actor=VERIFIER),
        lambda: mall.act(app_id, "process", actor=PROCESSOR),
        lambda: mall.act(app_id, "approve", actor=APPROVER),
        lambda: mall.act(app_id, "issue", actor=FRONT_OFFICE),
    ]
    for step in steps:
        clock.advance(hours=1)
        seen.append(step())
    seen.extend(mall.application(app_id).events)
    seen.append(mall.deadline(app_id))
    assert receipt.lookup_secret is not None
    seen.append(mall.track(receipt.number, receipt.lookup_secret, language="id"))
    seen.append(mall.worklist())
    seen.append(mall.overdue())
    seen.append(mall.sla_report(now=clock.now() + timedelta(days=30)))
    seen.append(mall.verify(app_id))
    seen.extend([mall, mall.store])


def _errors(mall: Mall, canary: Canary) -> list[OnestopError]:
    """Provoke errors with the canary in every value, and keep them."""
    attempts: list[dict[str, Any]] = [
        {"answers": answers(canary, mother_name=canary.name)},
        {"answers": answers(canary, floor_area=canary.name, business_name=canary.address)},
        {"answers": answers(canary, birth_date=canary.phone, activities=[canary.email])},
        {"answers": answers(canary, applicant_type=canary.name)},
        {"channel": canary.name},
        {"idempotency_key": canary.address},
    ]
    caught: list[OnestopError] = []
    for overrides in attempts:
        arguments: dict[str, Any] = {
            "channel": "online",
            "applicant": canary.person(),
            "answers": answers(canary),
            "documents": documents(),
            "actor": CITIZEN,
        }
        arguments.update(overrides)
        with pytest.raises(OnestopError) as error:
            mall.submit("izin-usaha", **arguments)
        caught.append(error.value)
    expired = Representative(
        person=canary.person(), authorisation="sk", valid_until=date(2000, 1, 1)
    )
    with pytest.raises(OnestopError) as error:
        mall.submit(
            "izin-usaha",
            channel="online",
            applicant=canary.person(),
            representative=expired,
            answers=answers(canary),
            documents=documents(),
            actor=CITIZEN,
        )
    caught.append(error.value)
    with pytest.raises(OnestopError) as error:
        mall.track(canary.nik, canary.name, language="id")
    caught.append(error.value)
    return caught


def test_canary_never_leaks(
    mall: Mall, store: MemoryStore, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """No canary value reaches logs, reprs, errors, the read model or notification bodies."""
    canary = Canary.new()
    seen: list[Any] = []
    caplog.set_level(logging.DEBUG)
    with capture_logs() as logs:
        structlog.get_logger("onestop").debug("canary test started")
        _every_flow(mall, clock, canary, seen)
        errors = _errors(mall, canary)

    rows = store.summaries(SummaryQuery(include_closed=True, limit=1000)).items
    notices = [n.body.decode() for n in store.notifications(limit=1000)]
    texts = {
        "logs": repr(logs[1:]) + caplog.text,
        "reprs": "\n".join(repr(v) + str(v) for v in seen),
        "errors": "\n".join(repr(e) + str(e) for e in errors),
        "read model": repr(rows),
        "notifications": "\n".join(notices),
    }

    assert {where: canary.leaks(text) for where, text in texts.items()} == {
        key: [] for key in texts
    }
    assert len(errors) == 8
    assert len(notices) >= 16


def test_canary_is_in_the_event_bodies(mall: Mall, store: MemoryStore) -> None:
    """The canary reaches the stored bodies, so the test above would see a leak."""
    canary = Canary.new()
    receipt = mall.submit(
        "izin-usaha",
        channel="online",
        applicant=canary.person(),
        answers=answers(canary),
        documents=documents(),
        actor=CITIZEN,
    )

    body = store.read(receipt.application_id)[0].body.decode()

    assert canary.nik in body
    assert canary.address in body
