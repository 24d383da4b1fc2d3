"""Helpers shared by the application tests: a manual clock, counting ids, canaries, documents."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from onestop.domain.applications.forms import DocumentRef
from onestop.domain.common.parties import Person
from onestop.domain.workflow.engine import Actor
from onestop.ports.events import SummaryQuery
from onestop.storage.memory import MemoryStore

WIB = ZoneInfo("Asia/Jakarta")
CATALOGUE = Path(__file__).with_name("licence.toml")
START = datetime(2025, 7, 14, 9, 0, tzinfo=WIB)  # a Monday with no holiday near it


@attrs.define
class ManualClock:
    """A clock that only moves when told to."""

    current: datetime = START

    def now(self) -> datetime:
        return self.current

    def set(self, moment: datetime) -> None:
        self.current = moment

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@attrs.define
class CountingIds:
    """Deterministic ids and secrets, so failures are easy to read."""

    count: int = 0

    def new_id(self) -> str:
        self.count += 1
        return f"app-{self.count:04d}"

    def secret(self) -> str:
        return f"secret-{self.count + 1:04d}-" + secrets.token_hex(8)


def officer(actor_id: str, *roles: str) -> Actor:
    return Actor(id=actor_id, roles=frozenset(roles))


CITIZEN = officer("citizen-7", "applicant")


def document(requirement: str, evidence_type: str, content: bytes) -> DocumentRef:
    """A document reference whose declared hash matches *content*."""
    return DocumentRef(
        requirement=requirement,
        evidence_type=evidence_type,
        sha256=hashlib.sha256(content).hexdigest(),
        media_type="image/jpeg",
        size=len(content),
        content=content,
    )


def valid_nik(rng: secrets.SystemRandom | None = None) -> str:
    """A random NIK of valid format: a Jakarta woman born in 1985."""
    rng = rng or secrets.SystemRandom()
    day = rng.randint(1, 28) + 40
    month = rng.randint(1, 12)
    serial = rng.randint(1, 9999)
    return f"317101{day:02d}{month:02d}85{serial:04d}"


@attrs.frozen
class Canary:
    """Unique fake personal data for one test run."""

    nik: str
    name: str
    phone: str
    email: str
    address: str
    birth_date: date

    @classmethod
    def new(cls) -> Canary:
        token = secrets.token_hex(4)
        return cls(
            nik=valid_nik(),
            name=f"Siti Canary{token}",
            phone=f"+62812{secrets.randbelow(10**8):08d}",
            email=f"canary{token}@mail.example",
            address=f"Jl. Kanari {token} No. 7",
            birth_date=date(1985, 3, 17),
        )

    def person(self) -> Person:
        return Person.of(
            identity_number=self.nik,
            identity_scheme="id-nik",
            name=self.name,
            phone=self.phone,
            email=self.email,
            address=self.address,
            birth_date=self.birth_date,
        )

    def needles(self) -> list[str]:
        """Every form a value could leak in."""
        digits = self.nik
        found = [self.nik, self.name, self.phone, self.email, self.address]
        found += [digits[i : i + 8] for i in range(len(digits) - 7)]
        found += [self.name.lower(), self.name.upper(), self.phone.lstrip("+"), "Kanari"]
        return found

    def leaks(self, text: str) -> list[str]:
        return [needle for needle in self.needles() if needle in text]


def answers(canary: Canary | None = None, **overrides: Any) -> dict[str, Any]:
    """Valid answers for the licence, with personal-data fields from *canary*."""
    found: dict[str, Any] = {
        "applicant_type": "person",
        "business_name": "Warung Makan Sederhana",
        "floor_area": 36,
        "has_npwp": False,
        "activities": ["food", "retail"],
    }
    if canary is not None:
        found["home_address"] = canary.address
        found["birth_date"] = canary.birth_date
    found.update(overrides)
    return found


def documents() -> list[DocumentRef]:
    return [
        document("ktp", "ktp-el", b"scan of the identity card"),
        document("foto", "pas-foto", b"a blurry photograph"),
    ]


def snapshot(store: MemoryStore) -> tuple[Any, ...]:
    """Everything a command could have written, for before/after comparisons."""
    rows = store.summaries(SummaryQuery(include_closed=True, limit=1000)).items
    streams = tuple(store.read(row.stream_id) for row in rows)
    return (store.notifications(after=0, limit=10**6), rows, streams)


def all_text(values: Iterator[object]) -> str:
    return "\n".join(repr(v) + "\n" + str(v) for v in values)
