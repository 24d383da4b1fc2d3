"""Builders for the Open311 request tests: the catalogue, applications in any state, forms."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from onestop.calendars import calendar_for
from onestop.domain.applications.application import (
    ActionTaken,
    Application,
    Event,
    Resumed,
    Suspended,
    Withdrawn,
)
from onestop.domain.applications.submission import Submit, find_workflow, submit
from onestop.domain.applications.tracking import PublicStatus, public_status
from onestop.domain.catalogue.model import ChannelKind
from onestop.domain.common.parties import Person
from onestop.domain.workflow.engine import Actor
from onestop.domain.workflow.model import StateKind, Workflow
from onestop.usecases.catalogue.loading import load_catalogue

WIB = ZoneInfo("Asia/Jakarta")
AT = datetime(2025, 7, 14, 9, 0, tzinfo=WIB)  # a Monday with no holiday near it
CATALOGUE = load_catalogue(Path(__file__).with_name("open311_mall.toml"))
WORKFLOW: Workflow = find_workflow(CATALOGUE, "licence")
CALENDAR = calendar_for("ID", years=[2025, 2026])
CITIZEN = Actor(id="citizen-7", roles=frozenset({"applicant"}))
NIK = "3171015708850001"
NAME = "Siti Canary Rahayu"
PHONE = "+6281234567890"
EMAIL = "siti.canary@mail.example"

STATE_OF_KIND = {state.kind: state.name for state in WORKFLOW.states}
"""One state of each kind in the test workflow."""


def person() -> Person:
    """The applicant every built application has."""
    return Person.of(identity_number=NIK, identity_scheme="id-nik", name=NAME, phone=PHONE)


def submitted(application_id: str = "app-0001") -> Application:
    """A new application for ``izin-usaha``, received at `AT`."""
    command = Submit(
        application_id=application_id,
        number="DPMPTSP/IZIN-USAHA/2025/000001",
        service="izin-usaha",
        channel=ChannelKind.ONLINE,
        applicant=person(),
        answers={"business_name": "Warung Canary", "floor_area": 36},
        actor=CITIZEN,
        secret_digest=hashlib.sha256(b"secret").hexdigest(),
    )
    event = submit(command, catalogue=CATALOGUE, at=AT)
    return Application.from_events([event])


def moved(application: Application, target: str, *, hours: int = 2) -> Application:
    """*application* after an officer moved it to *target*, *hours* after its last event."""
    event = ActionTaken(
        action=f"to_{target}",
        source=application.state,
        target=target,
        clock=WORKFLOW.state(target).clock_mode,
        actor="officer-1",
        at=application.updated_at + timedelta(hours=hours),
    )
    return application.apply(event)


def with_event(application: Application, kind: str, *, hours: int = 1) -> Application:
    """*application* after a suspension, a resumption or a withdrawal."""
    at = application.updated_at + timedelta(hours=hours)
    events: dict[str, Event] = {
        "suspended": Suspended(reason="inspection", actor="officer-1", at=at),
        "resumed": Resumed(actor="officer-1", at=at),
        "withdrawn": Withdrawn(actor=CITIZEN.id, at=at),
    }
    return application.apply(events[kind])


def in_kind(kind: StateKind) -> Application:
    """An application sitting in the test workflow's state of *kind*."""
    application = submitted()
    if kind is StateKind.INITIAL:
        return application
    return moved(application, STATE_OF_KIND[kind])


def status_of(application: Application, language: str = "en") -> PublicStatus:
    """The public status of *application* in *language*."""
    return public_status(
        application,
        catalogue=CATALOGUE,
        workflow=WORKFLOW,
        deadline=application.deadline(CALENDAR),
        language=language,
    )


def form(**overrides: Any) -> dict[str, Any]:
    """A valid POST requests.json form for ``izin-usaha``; a value of None removes a key."""
    fields: dict[str, Any] = {
        "service_code": "izin-usaha",
        "first_name": "Siti",
        "last_name": "Canary Rahayu",
        "email": EMAIL,
        "phone": PHONE,
        "attribute[applicant.identity_number]": NIK,
        "attribute[applicant.identity_scheme]": "id-nik",
        "attribute[business_name]": "Warung Canary",
        "attribute[floor_area]": "36",
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}
