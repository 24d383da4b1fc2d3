"""A sealing mall over the test licence for the privacy desk's tests, and ways to close.

`sealed_mall` opens a `Mall` with a `Keyring` over a store, its clock a `DeskClock`
that moves only when told; the catalogue is the application tests' licence
(``tests/applications/licence.toml``), with the retention rule a test asks for.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs

from onestop.calendars import calendar_for
from onestop.domain.applications.forms import DocumentRef
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.catalogue.retention import CalendarUnit, Retention, RetentionPeriod
from onestop.domain.common.parties import Person
from onestop.domain.workflow.engine import Actor
from onestop.privacy import KeyCachePolicy, Keyring, StaticKeyProvider
from onestop.usecases.catalogue.loading import load_catalogue
from onestop.usecases.mall import Mall

LICENCE = load_catalogue(Path(__file__).parents[1] / "applications" / "licence.toml")
CALENDARS = {"*": calendar_for("ID", years=[2026, 2027])}
BEGIN = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday

CITIZEN = Actor(id="citizen-7", roles=frozenset({"applicant"}))
FRONT = Actor(id="front-1", roles=frozenset({"front_office"}))
VERIFIER = Actor(id="verifier-1", roles=frozenset({"verifier"}))
PROCESSOR = Actor(id="processor-1", roles=frozenset({"processor"}))
APPROVER = Actor(id="approver-1", roles=frozenset({"approver"}))

KEEP_30_DAYS = Retention(keep_after_closing=RetentionPeriod(30, CalendarUnit.DAYS))
ARCHIVE = Retention(archive=True)


class DeskClock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.at = BEGIN

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


class Counting:
    """Ids that count, and secrets."""

    def __init__(self) -> None:
        self.count = 0

    def new_id(self) -> str:
        self.count += 1
        return f"app-{self.count:04d}"

    def secret(self) -> str:
        self.count += 1
        return f"secret-{self.count:04d}-{'x' * 24}"


def licence(retention: Retention | None = None) -> Catalogue:
    """The test licence, its catalogue's default retention *retention*."""
    return attrs.evolve(LICENCE, retention=retention)


def sealed_mall(
    store: Any,
    *,
    clock: DeskClock,
    retention: Retention | None = None,
    provider: Any = None,
    cache_size: int = 1024,
) -> Mall:
    """A mall sealing personal data under *provider* (a new master key by default)."""
    provider = provider if provider is not None else StaticKeyProvider.generate("mk-1")
    keys = Keyring(provider, store, cache=KeyCachePolicy(max_keys=64), clock=clock)
    return Mall(
        catalogue=licence(retention),
        store=store,
        clock=clock,
        calendars=CALENDARS,
        ids=Counting(),
        keys=keys,
        cache_size=cache_size,
    )


def scan(requirement: str, evidence_type: str) -> DocumentRef:
    """An uploaded document for *requirement*."""
    content = f"{requirement} scan".encode()
    return DocumentRef(
        requirement=requirement,
        evidence_type=evidence_type,
        sha256=hashlib.sha256(content).hexdigest(),
        media_type="image/jpeg",
        size=len(content),
        content=content,
    )


DOCUMENTS = (scan("ktp", "ktp-el"), scan("foto", "pas-foto"))


def person(nik: str, name: str, address: str) -> Person:
    """A person with an Indonesian identity number."""
    return Person.of(identity_number=nik, identity_scheme="id-nik", name=name, address=address)


def answers(home_address: str) -> dict[str, Any]:
    """Valid answers for the licence, with one personal answer."""
    return {
        "applicant_type": "person",
        "business_name": "Warung Makan Sederhana",
        "home_address": home_address,
        "floor_area": 36,
    }


def reject(mall: Mall, application_id: str) -> None:
    """Drive an application through verification and processing to ``rejected`` (final)."""
    for requirement in ("ktp", "foto"):
        mall.check_document(application_id, requirement, verdict="verified", actor=VERIFIER)
    mall.act(application_id, "verify", actor=VERIFIER)
    mall.act(application_id, "process", actor=PROCESSOR)
    mall.act(application_id, "reject", actor=APPROVER, inputs={"reason": "zoning"})


def issue(mall: Mall, application_id: str) -> None:
    """Drive an application to ``issued`` (final)."""
    for requirement in ("ktp", "foto"):
        mall.check_document(application_id, requirement, verdict="verified", actor=VERIFIER)
    mall.act(application_id, "verify", actor=VERIFIER)
    mall.act(application_id, "process", actor=PROCESSOR)
    mall.act(application_id, "approve", actor=APPROVER)
    mall.act(application_id, "issue", actor=FRONT)
