"""A small, seeded Jakarta mall over one store: the state every hostile call starts from.

`build_world` opens a `Mall` and a `CourierDesk` on the store it is given, with a clock
and ids that count, and plays the same few commands on it every time: the Jakarta
catalogue published, an SLF applied for online and half checked, another applied for
through the AJIB courier and carried from the citizen's door to the counter and out
again, a relay's position recorded.  Played on a `MemoryStore`, an `SQLiteStore` and a
`PostgresStore`, it leaves the three in the same state, id for id.

`snapshot` reads back everything a store holds that the harness can name, so that a
refused call can be shown to have changed nothing, and the three adapters compared.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from onestop.calendars import calendar_for
from onestop.domain.applications.forms import DocumentRef
from onestop.domain.common.parties import Person, Personal
from onestop.domain.courier.handoffs import (
    Confirmation,
    Handoff,
    ManifestItem,
    Packet,
    Party,
    PartyKind,
    Place,
)
from onestop.domain.courier.jobs import TimeWindow
from onestop.domain.workflow.engine import Actor
from onestop.ports.events import EventStore, SummaryOrder, SummaryQuery, storable_text
from onestop.usecases.catalogue.loading import load_catalogue
from onestop.usecases.catalogue.publishing import publish_catalogue
from onestop.usecases.courier.desk import CourierDesk
from onestop.usecases.mall import Mall
from onestop.usecases.privacy import PrivacyDesk

ROOT = Path(__file__).parents[2]
JAKARTA = ROOT / "examples" / "jakarta"
CATALOGUE = load_catalogue(JAKARTA)
CALENDARS = {"*": calendar_for("ID", years=[2025, 2026])}
WIB = ZoneInfo("Asia/Jakarta")
START = datetime(2025, 7, 14, 9, 0, tzinfo=WIB)
OTP_KEY = b"surface-harness-otp-key-32-bytes"
MASTER_KEY = bytes(range(100, 132))
"""The master key of every world's sealing mall (the same in each, so the seed replays)."""
SEALED_NIK = "3171014403900007"
"""The identity number of the seed's one sealed applicant, for the privacy desk's calls."""
CONSUMER = "surface-relay"

APPLICANT = Actor(id="citizen-0042", roles={"applicant"})
FRONT = Actor(id="mpp-front-07", roles={"front_office"})
VERIFIER = Actor(id="dpmptsp-verifier-03", roles={"verifier"})
TECHNICAL = Actor(id="citata-officer-11", roles={"agency_officer"})
HEAD = Actor(id="dpmptsp-head-01", roles={"approver"})
RIDER = Actor(id="ajib-rider-17", roles={"courier"})
ACTORS = (APPLICANT, FRONT, VERIFIER, TECHNICAL, HEAD, RIDER)

COURIER = Party(PartyKind.COURIER, RIDER.id)
COUNTER = Party(PartyKind.OFFICER, FRONT.id)
MALL_PLACE = Place("MPP Jakarta, AJIB counter", "-6.1754", "106.8272")


class HandClock:
    """A clock the world moves by hand; every world's clock shows the same times."""

    def __init__(self, start: datetime = START) -> None:
        self.current = start

    def now(self) -> datetime:
        """Return the current instant."""
        return self.current

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward and return the new instant."""
        self.current += timedelta(**delta)
        return self.current


class CountingIds:
    """Ids and secrets that count, so that every world makes the same ones."""

    def __init__(self) -> None:
        self.count = 0

    def new_id(self) -> str:
        """Return the next id."""
        self.count += 1
        return f"surface-{self.count:04d}"

    def secret(self) -> str:
        """Return the next secret."""
        self.count += 1
        return f"secret-{self.count:04d}-{hashlib.sha256(str(self.count).encode()).hexdigest()}"


def sha(text: str) -> str:
    """The SHA-256 of *text*, in hex."""
    return hashlib.sha256(text.encode()).hexdigest()


def scan(requirement: str, evidence_type: str) -> DocumentRef:
    """A document for *requirement*, as an upload form makes one."""
    content = f"{requirement} scan".encode()
    return DocumentRef(
        requirement=requirement,
        evidence_type=evidence_type,
        sha256=hashlib.sha256(content).hexdigest(),
        media_type="application/pdf",
        size=len(content),
        content=content,
    )


def pin(party: Party) -> Confirmation:
    """A staff confirmation by PIN."""
    return Confirmation.by_pin(party, f"pin-ok:{party.id}")


ANSWERS = {
    "applicant_type": "perorangan",
    "nik": "3171015708850003",
    "pbg_number": "PBG-3171-2023-000123",
    "building_address": "Jl. Contoh No. 1, Jakarta Selatan",
    "inspection_date": date(2025, 7, 1),
}
DOCUMENTS = (
    scan("ktp", "ktp-el"),
    scan("pbg", "pbg"),
    scan("laporan", "laporan-kelaikan-fungsi"),
)
ORIGINALS = (ManifestItem("pbg", sha("PBG original")), ManifestItem("form", sha("AJIB form")))


def sealing_mall(store: Any, clock: HandClock, ids: CountingIds) -> Mall:
    """A mall over *store* that seals personal data, with the worlds' one master key."""
    from onestop.privacy import KeyCachePolicy, Keyring, StaticKeyProvider

    provider = StaticKeyProvider({"mk-surface-world": MASTER_KEY})
    keys = Keyring(provider, store, cache=KeyCachePolicy(max_keys=8), clock=clock)
    return Mall(
        catalogue=CATALOGUE, store=store, clock=clock, calendars=CALENDARS, ids=ids, keys=keys
    )


def owner() -> Person:
    """The applicant, the same in every world."""
    return Person.of(
        identity_number=ANSWERS["nik"],
        identity_scheme="id-nik",
        name="Dewi Lestari",
        address="Jl. Contoh No. 1, Jakarta Selatan",
    )


@dataclass
class World:
    """A mall, its courier desk and everything the seed made, over one store.

    Attributes:
        name: The adapter's name (``memory``, ``sqlite``, ``postgres``).
        store: The store.
        mall: The mall over it.
        desk: The courier desk over the mall.
        privacy: The data protection desk over a mall that seals, on the same store.
        clock: The clock both use.
        ids: The ids both use.
        texts: Strings the seed made, by what they are (``application_id``, ...).
        made: Objects the seed made, for the harness's pools of real instances.
    """

    name: str
    store: Any
    mall: Mall
    desk: CourierDesk
    privacy: PrivacyDesk
    clock: HandClock
    ids: CountingIds
    texts: dict[str, list[str]] = field(default_factory=dict)
    made: list[object] = field(default_factory=list)

    def note(self, kind: str, *values: str) -> None:
        """Remember strings the seed made, under *kind*."""
        self.texts.setdefault(kind, []).extend(values)


def build_world(name: str, store: EventStore) -> World:
    """Seed *store* with the same small mall every time and return the world around it."""
    clock, ids = HandClock(), CountingIds()
    mall = Mall(catalogue=CATALOGUE, store=store, clock=clock, calendars=CALENDARS, ids=ids)
    desk = CourierDesk(mall, otp_key=OTP_KEY)
    privacy = PrivacyDesk(sealing_mall(store, clock, ids))
    world = World(name, store, mall, desk, privacy, clock, ids)
    made = world.made
    made.append(publish_catalogue(store, CATALOGUE, clock=clock, label="seed"))  # type: ignore[arg-type]

    online = mall.submit(
        "slf",
        channel="online",
        applicant=owner(),
        answers=ANSWERS,
        documents=DOCUMENTS,
        actor=APPLICANT,
        idempotency_key="surface-online-1",
    )
    world.note("application_id", online.application_id)
    world.note("number", online.number)
    world.note("secret", online.lookup_secret or "")
    world.note("idempotency_key", "surface-online-1")
    clock.advance(minutes=30)
    made.append(mall.act(online.application_id, "receive", actor=FRONT))
    mall.check_document(online.application_id, "ktp", verdict="verified", actor=VERIFIER)
    made.append(
        mall.add_note(online.application_id, "Diperiksa", visibility="internal", actor=FRONT)
    )

    clock.advance(minutes=30)
    courier = mall.submit(
        "slf",
        channel="courier",
        applicant=owner(),
        answers=ANSWERS,
        documents=DOCUMENTS,
        actor=APPLICANT,
    )
    app = courier.application_id
    world.note("application_id", app)
    world.note("number", courier.number)
    world.note("secret", courier.lookup_secret or "")
    made.extend([online, courier])
    start = clock.now()
    window = TimeWindow(start + timedelta(hours=1), start + timedelta(hours=3))
    pickup = desk.book_pickup(app, window=window, address=Personal("Jl. Kanari 7"), actor=APPLICANT)
    desk.claim(pickup.id, RIDER)
    clock.advance(minutes=65)
    code = desk.issue_handoff_code(pickup.id, "h-pickup")
    clock.advance(minutes=5)
    seal_id = f"S-{app}"
    made.append(
        desk.seal_and_collect(
            pickup.id,
            Packet(seal_id, ORIGINALS, 2),
            handoff_id="h-pickup",
            courier=pin(COURIER),
            citizen_code=code,
            proof_sha256=sha("signature"),
        )
    )
    to_counter = Handoff(
        id="h-counter-in",
        giver=pin(COURIER),
        receiver=pin(COUNTER),
        at=clock.advance(minutes=30),
        place=MALL_PLACE,
        proof_sha256=sha("h-counter-in"),
        scanned=ORIGINALS,
    )
    made.append(desk.hand_over(seal_id, to_counter, job_id=pickup.id))
    delivery = desk.book_delivery(app, actor=FRONT)
    desk.claim(delivery.id, RIDER)
    made.append(desk.job(delivery.id))
    desk.issue_handoff_code(delivery.id, "h-door")
    desk.issue_counter_code(app, "h-counter")
    world.note("job_id", pickup.id, delivery.id)
    world.note("seal_id", seal_id)
    world.note("handoff_id", "h-pickup", "h-counter-in", "h-door", "h-counter")
    store.record_position(CONSUMER, 1)
    world.note("consumer", CONSUMER)
    clock.advance(minutes=1)
    made.append(desk.ledger(seal_id))
    made.append(mall.application(app))
    made.append(mall.deadline(app))
    made.append(mall.track(courier.number, courier.lookup_secret or "", language="en"))
    made.append(desk.track_courier(courier.number, courier.lookup_secret or "", language="en"))
    made.append(mall.verify(app))
    made.append(mall.worklist())
    made.append(mall.sla_report())
    made.append(desk.jobs(app))
    made.append(desk.dwell_report(seal_ids=[seal_id]))
    made.append(desk.epcis([seal_id]))
    _seal_one(world)
    return world


def _seal_one(world: World) -> None:
    """Through the sealing mall: an application submitted, noted, withdrawn (so closed, and
    erasable), and one submitted and left open, both by the same sealed applicant."""
    sealing = world.privacy._mall
    person = Person.of(
        identity_number=SEALED_NIK,
        identity_scheme="id-nik",
        name="Rina Kusuma",
        address="Jl. Sealed No. 9, Jakarta",
    )
    answers = {**ANSWERS, "nik": SEALED_NIK}
    for key in ("surface-sealed-1", "surface-sealed-2"):
        world.clock.advance(minutes=5)
        receipt = sealing.submit(
            "slf",
            channel="online",
            applicant=person,
            answers=answers,
            documents=DOCUMENTS,
            actor=APPLICANT,
            idempotency_key=key,
        )
        world.note("application_id", receipt.application_id)
        world.note("number", receipt.number)
    first = world.texts["application_id"][-2]
    sealing.add_note(first, "Rina called", visibility="internal", actor=FRONT)
    world.clock.advance(minutes=5)
    world.made.append(sealing.withdraw(first, reason="applicant_request", actor=APPLICANT))
    held = world.texts["number"][-1]
    world.made.append(world.privacy.place_hold(held, "hold-1", reason="court_order", actor=FRONT))
    world.note("hold_id", "hold-1")
    world.note("identity_number", SEALED_NIK)


# --- reading a store back ---------------------------------------------------------------


def _all_summaries(store: Any) -> tuple[Any, ...]:
    rows: list[Any] = []
    cursor = None
    while True:
        page = store.summaries(
            SummaryQuery(include_closed=True, order=SummaryOrder.UPDATED, limit=1000, cursor=cursor)
        )
        rows.extend(page.items)
        if page.next_cursor is None:
            return tuple(rows)
        cursor = page.next_cursor


def _utc(value: object) -> object:
    """Datetimes compared as instants: adapters may hand them back in another zone."""
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return ("instant", value.timestamp(), value.microsecond)
    return value


def _plain(record: object) -> object:
    """A record as a comparable tuple of its fields, instants as instants."""
    import attrs

    if attrs.has(type(record)):
        fields = attrs.fields(type(record))
        return (type(record).__name__, *((f.name, _plain(getattr(record, f.name))) for f in fields))
    if isinstance(record, tuple):
        return tuple(_plain(item) for item in record)
    return _utc(record)


def snapshot(store: Any) -> object:
    """Everything *store* holds that can be named: log, streams, rows, versions, positions."""
    notes = store.notifications(after=0, limit=1000)
    streams = sorted({n.stream_id for n in notes})
    versions = store.catalogue_versions(after=0, limit=1000)
    return _plain(
        (
            notes,
            tuple(store.read(stream) for stream in streams),
            _all_summaries(store),
            tuple(versions),
            tuple(store.catalogue_version(v.version) for v in versions),
            store.position(CONSUMER),
        )
    )


def fingerprint(store: Any) -> object:
    """A cheap summary that changes with every write: the log, the versions, the position."""
    notes = store.notifications(after=0, limit=1000)
    versions = store.catalogue_versions(after=0, limit=1000)
    return (len(notes), _plain(notes[-1:]), _plain(tuple(versions)), store.position(CONSUMER))


def lookups(store: Any, texts: Iterable[str]) -> object:
    """Each text every adapter can look up, looked up as a consumer, a counter and a key.

    The harness passes the text arguments of a call, so that a position, counter or
    idempotency record the call wrote under a new name is seen too.
    """
    found = []
    for text in sorted({t for t in texts if storable_text(t)})[:4]:
        found.append(
            (text, store.position(text), store.sequence(text), _plain(store.idempotency(text)))
        )
    return tuple(found)


# --- the three adapters -----------------------------------------------------------------


def memory_store() -> Any:
    """A new, empty `MemoryStore`."""
    from onestop.storage.memory import MemoryStore

    return MemoryStore()


def sqlite_store(directory: Path) -> Any:
    """A new, empty `SQLiteStore` in a file under *directory*."""
    from onestop.storage.sqlite import SQLiteStore

    path = directory / f"surface-{secrets.token_hex(6)}.sqlite3"
    return SQLiteStore.open(path, synchronous="NORMAL")


POSTGRES_TABLES = (
    "events",
    "summaries",
    "notifications",
    "idempotency",
    "sequence_claims",
    "consumer_positions",
    "catalogue_versions",
    "subject_keys",
    "subject_index",
    "staff_secrets",
    "staff_failure_keys",
    "staff_failures",
    "access_records",
)
"""The tables the harness empties and refills; the single-row heads are set instead."""

POSTGRES_HEADS = ("log_head", "access_head")
"""The single-row tables holding the last position given out."""


@dataclass
class PostgresSchema:
    """A throwaway schema for the harness, emptied between examples and dropped at the end."""

    url: str
    schema: str = field(default_factory=lambda: f"onestop_surface_{secrets.token_hex(6)}")

    def open(self) -> Any:
        """Open a store in the schema (creating it the first time), empty."""
        from onestop.storage.postgres import PostgresStore

        store = PostgresStore.connect(self.url, schema=self.schema, max_size=2)
        self.empty()
        return store

    def empty(self) -> None:
        """Delete every row, and set the log's head back to 0."""
        import psycopg
        from psycopg import sql

        names = sql.SQL(", ").join(sql.Identifier(self.schema, table) for table in POSTGRES_TABLES)
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql.SQL("TRUNCATE {}").format(names))
            for head in POSTGRES_HEADS:
                conn.execute(
                    sql.SQL("UPDATE {} SET position = 0").format(sql.Identifier(self.schema, head))
                )

    def drop(self) -> None:
        """Drop the schema and everything in it."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.schema))
            )


def postgres_url() -> str | None:
    """The PostgreSQL server for tests, or ``None``."""
    return os.environ.get("ONESTOP_TEST_POSTGRES_URL") or None


Opener = Callable[[], Any]
