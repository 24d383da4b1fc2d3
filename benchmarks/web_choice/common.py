"""What both prototypes share: the attrs types on the wire, the store and the mall.

The request type `SubmissionRequest` is the envelope a submission endpoint would take:
every field is a real onestop type (an enum, a union of two attrs classes, `Personal`
fields inside them, a tuple of attrs values).  The response types are the real
`PublicStatus` (datetimes, optional fields, nested tuples of attrs values) and a
stand-in for `Receipt` (`Mall.submit`'s result).

`build_store(path, count)` writes a SQLite store with *count* submitted applications
and returns their (number, secret) pairs; `open_mall(path)` opens a `Mall` over it.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs

from onestop.domain.applications.forms import DocumentRef
from onestop.domain.applications.tracking import Needed, PublicStatus, PublicStep
from onestop.domain.catalogue.model import ChannelKind
from onestop.domain.common.parties import Organisation, Person
from onestop.domain.workflow.engine import Actor
from onestop.storage.sqlite import SQLiteStore
from onestop.usecases.catalogue.loading import load_catalogue
from onestop.usecases.mall import Mall

HERE = Path(__file__).resolve().parent
CATALOGUE_FILE = HERE.parent / "_storage_mall.toml"
SERVICE = "izin-usaha"
APPLICANT = Actor(id="citizen-1", roles=frozenset({"applicant"}))
START = datetime(2025, 7, 14, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))

Answer = str | int | bool


@attrs.frozen(kw_only=True)
class SubmissionRequest:
    """A submission as an online applicant would send it (the prototype's envelope)."""

    service: str
    channel: ChannelKind
    applicant: Person | Organisation
    answers: Mapping[str, Answer]
    documents: tuple[DocumentRef, ...] = ()


class TickingClock:
    """Moves 1 ms per call, from a Monday morning; thread-safe."""

    def __init__(self) -> None:
        self.current = START
        self.lock = threading.Lock()

    def now(self) -> datetime:
        with self.lock:
            self.current += timedelta(milliseconds=1)
            return self.current


def sample_status() -> PublicStatus:
    """A `PublicStatus` with every kind of field filled: the echo endpoint's body."""
    at = datetime(2025, 7, 14, 2, 0, tzinfo=UTC)
    return PublicStatus(
        number="IU/2025/000001",
        service=SERVICE,
        service_name="Izin usaha",
        state="review",
        label="Being reviewed",
        language="en",
        received=at,
        due=at + timedelta(days=5),
        paused=False,
        closed=False,
        needed=(Needed(requirement="ktp", label="Identity card", reason="blurred"),),
        history=tuple(
            PublicStep(state=s, label=s.title(), at=at + timedelta(hours=i))
            for i, s in enumerate(("draft", "submitted", "review"))
        ),
    )


def sample_submission_json() -> dict[str, object]:
    """A `SubmissionRequest` as JSON: a person applicant and one document."""
    return {
        "service": SERVICE,
        "channel": "online",
        "applicant": {
            "identity_number": "3171014108850001",
            "identity_scheme": "id-nik",
            "name": "Siti",
            "phone": None,
            "email": None,
            "address": None,
            "birth_date": None,
        },
        "answers": {"business_name": "Warung Siti", "floor_area": 36},
        "documents": [
            {
                "requirement": "ktp",
                "evidence_type": "ktp",
                "sha256": "0" * 64,
                "media_type": "application/pdf",
                "size": 1200,
            }
        ],
    }


def open_mall(path: Path) -> tuple[Mall, SQLiteStore]:
    """Open a `Mall` over the SQLite store at *path* (one connection)."""
    store = SQLiteStore.open(path, synchronous="NORMAL")
    return Mall(catalogue=load_catalogue(CATALOGUE_FILE), store=store, clock=TickingClock()), store


def build_store(path: Path, count: int) -> list[tuple[str, str]]:
    """Write *count* applications to a new SQLite store at *path*; return (number, secret)s."""
    mall, store = open_mall(path)
    pairs: list[tuple[str, str]] = []
    try:
        for i in range(count):
            receipt = mall.submit(
                SERVICE,
                channel="counter",
                applicant=Person.of(
                    identity_number=f"317101{41 + i % 28:02d}0385{1 + i % 9_999:04d}",
                    identity_scheme="id-nik",
                    name=f"Applicant {i}",
                ),
                answers={"business_name": f"Warung {i}", "floor_area": 36 + i % 50, "notes": ""},
                documents=[
                    DocumentRef(
                        requirement=code,
                        evidence_type=code,
                        sha256=f"{i:064x}",
                        media_type="application/pdf",
                        size=120_000,
                    )
                    for code in ("ktp", "npwp")
                ],
                actor=APPLICANT,
            )
            if receipt.lookup_secret is None:
                raise RuntimeError("a first submission shows its lookup secret")
            pairs.append((receipt.number, receipt.lookup_secret))
    finally:
        store.close()
    (path.parent / "pairs.json").write_text(json.dumps(pairs))
    return pairs


class PerThreadMall:
    """One `Mall` (and one store connection) per worker thread, opened on first use.

    With ``WEB_CHOICE_SHARED=1`` in the environment every thread gets the same `Mall`
    over one `SQLiteStore` (its lock serializes the store calls): the store's own
    advice, one store per process.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.local = threading.local()
        self.opened: list[SQLiteStore] = []
        self.shared: Mall | None = None
        if os.environ.get("WEB_CHOICE_SHARED") == "1":
            self.shared, store = open_mall(path)
            self.opened.append(store)

    def get(self) -> Mall:
        if self.shared is not None:
            return self.shared
        mall: Mall | None = getattr(self.local, "mall", None)
        if mall is None:
            mall, store = open_mall(self.path)
            self.local.mall = mall
            self.opened.append(store)
        return mall
