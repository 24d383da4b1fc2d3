"""A mall that seals personal data with a key file, written with recognisable values.

`write_world` submits one SLF application through the courier channel, with an
applicant, a representative, answers, an officer's note and a courier pickup address,
each holding a token unique to the test run, then withdraws it (so that its personal
data may be erased, by right).  `needles` lists every byte form those values could
take in a store: as typed and normalised, cased, JSON-escaped, UTF-8 and UTF-16 of the
non-ASCII letters, and every 8-digit run of the identity numbers.  `run_cli` runs the
``onestop`` command line in process, as click's test runner does.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
from click.testing import CliRunner

from onestop.calendars import calendar_for
from onestop.cli import main
from onestop.domain.applications.application import Visibility
from onestop.domain.applications.forms import DocumentRef
from onestop.domain.common.actors import Actor
from onestop.domain.common.parties import Person, Personal, Representative
from onestop.domain.courier.jobs import TimeWindow
from onestop.privacy import FileKeyProvider, Keyring
from onestop.usecases.catalogue.loading import load_catalogue
from onestop.usecases.courier.desk import CourierDesk
from onestop.usecases.courier.queries import CourierFacts
from onestop.usecases.mall import Mall
from sealing_support import forms

ROOT = Path(__file__).parents[2]
CATALOGUE = load_catalogue(ROOT / "examples" / "jakarta")
CALENDARS = {"*": calendar_for("ID", years=[2025])}
START = datetime(2025, 7, 14, 2, 0, tzinfo=UTC)
OWNER = Actor(id="citizen-0042", roles={"applicant"})

TOKEN = secrets.token_hex(4)
NIK = f"317101{41 + secrets.randbelow(28)}0885{1 + secrets.randbelow(9998):04d}"
HELPER_NIK = f"317101{11 + secrets.randbelow(17)}0479{1 + secrets.randbelow(9998):04d}"
NAME = f"Siti Ñurhäyati 李{TOKEN}"
PHONE_TYPED = "+62 812-9876-5432"
PHONE = "+6281298765432"
EMAIL = f"Siti.{TOKEN}@Mail.Example"
ADDRESS = f"Jl. Kenari Ümit {TOKEN}a No. 7"
BUILDING = f"Gedung Melati {TOKEN}b, Menteng"
COURIER_ADDRESS = f"Jl. Kurir Cendana {TOKEN}c No. 9"
NOTE = f"called Ibu Siti at home about it {TOKEN}d"
HELPER_NAME = f"Budi Wakil Ößmann {TOKEN}e"
VALUES = (NAME, EMAIL, ADDRESS, BUILDING, COURIER_ADDRESS, NOTE, HELPER_NAME)
DPO = ("--actor", "dpo-officer-1", "--role", "verifier", "--role", "front_office")
"""The officer the tests erase and hold as."""
VERIFIER = Actor(id="dpmptsp-verifier-03", roles={"verifier"})


def needles() -> Iterator[bytes]:
    """Every form a stored copy of the applicant's or representative's values could take."""
    for value in VALUES:
        yield from forms(value)
    for phone in (PHONE_TYPED, PHONE, PHONE.lstrip("+"), "081298765432"):
        yield from forms(phone)
    for number in (NIK, HELPER_NIK):
        yield from (number[i : i + 8].encode() for i in range(len(number) - 7))
    yield TOKEN.encode()


def found_in(raw: bytes) -> list[bytes]:
    """The needles *raw* holds (none, if the values were protected)."""
    return [needle for needle in needles() if needle in raw]


@attrs.frozen(kw_only=True)
class World:
    """The application written, and where its keys are."""

    application_id: str
    number: str
    secret: str
    key_file: Path


class Clock:
    """A clock that stands still at `START` unless moved."""

    def __init__(self) -> None:
        self.current = START

    def now(self) -> datetime:
        return self.current


def _scan(requirement: str, evidence_type: str) -> DocumentRef:
    content = f"{requirement} scan".encode()
    return DocumentRef(
        requirement=requirement,
        evidence_type=evidence_type,
        sha256=hashlib.sha256(content).hexdigest(),
        media_type="application/pdf",
        size=len(content),
        content=content,
    )


def sealing_mall(store: Any, key_file: Path) -> Mall:
    """A mall over *store* that seals with the master keys in *key_file*."""
    return Mall(
        catalogue=CATALOGUE,
        store=store,
        clock=Clock(),
        calendars=CALENDARS,
        courier_facts=CourierFacts(store),
        keys=Keyring(FileKeyProvider(key_file), store),
    )


def write_world(store: Any, key_file: Path, *, close: bool = True) -> World:
    """Submit, annotate, book a pickup for and (if *close*) withdraw one application."""
    mall = sealing_mall(store, key_file)
    now = mall.clock.now()
    applicant = Person.of(
        identity_number=NIK,
        identity_scheme="id-nik",
        name=NAME,
        phone=PHONE_TYPED,
        email=EMAIL,
        address=ADDRESS,
        birth_date=date(1985, 3, 17),
    )
    helper = Person.of(identity_number=HELPER_NIK, identity_scheme="id-nik", name=HELPER_NAME)
    receipt = mall.submit(
        "slf",
        channel="courier",
        applicant=applicant,
        representative=Representative(person=helper, authorisation="surat-kuasa-1"),
        answers={
            "applicant_type": "perorangan",
            "nik": NIK,
            "pbg_number": "PBG-3171-2023-000123",
            "building_address": BUILDING,
            "inspection_date": date(2025, 7, 1),
        },
        documents=[
            _scan("ktp", "ktp-el"),
            _scan("pbg", "pbg"),
            _scan("laporan", "laporan-kelaikan-fungsi"),
        ],
        actor=OWNER,
    )
    app = receipt.application_id
    mall.add_note(app, NOTE, visibility=Visibility.INTERNAL, actor=VERIFIER)
    desk = CourierDesk(mall, otp_key=b"erasure-acceptance-key-32-bytes!")
    desk.book_pickup(
        app,
        window=TimeWindow(now + timedelta(hours=1), now + timedelta(hours=3)),
        address=Personal(COURIER_ADDRESS),
        actor=OWNER,
    )
    if close:
        mall.withdraw(app, actor=OWNER)
    return World(
        application_id=app,
        number=receipt.number,
        secret=receipt.lookup_secret or "",
        key_file=key_file,
    )


@attrs.frozen
class Outcome:
    """What one command printed and its exit status."""

    code: int
    out: str
    err: str


def run_cli(args: Sequence[str]) -> Outcome:
    """Run ``onestop ARGS`` in process; return the exit status, stdout and stderr."""
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        code = main(list(args))
        return Outcome(code, out.getvalue().decode(), err.getvalue().decode())
