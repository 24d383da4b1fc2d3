"""The harness's session: the seed, its pools, the live objects, and the adapters' worlds.

The seed is played once, on a `MemoryStore` that records every write; its real objects
become the pools arguments are drawn from.  Each storage adapter then gets a store in
that seeded state (`Adapter.fresh`): a memory store replays the writes, an SQLite store
is a copy of a seeded file, a PostgreSQL store's tables are refilled from a seeded
template schema.  A world is rebuilt only when a call wrote to its store.
"""

from __future__ import annotations

import contextlib
import functools
import os
import random
import re
import secrets
import shutil
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import attrs
from hypothesis import strategies as st
from surface_drivers import EXTRA_TEXTS, NAMES, WIRING, Planner
from surface_hostile import files
from surface_values import Live, Pools, Strategist, hostile_text
from surface_world import (
    ACTORS,
    CALENDARS,
    CATALOGUE,
    CONSUMER,
    OTP_KEY,
    ROOT,
    SEALED_NIK,
    START,
    CountingIds,
    HandClock,
    World,
    build_world,
    sealing_mall,
)

from onestop.privacy.signing import Ed25519PrivateKey, Ed25519Signer, write_key_files
from onestop.storage.memory import MemoryStore
from onestop.usecases.catalogue.loading import catalogue_to_dict
from onestop.usecases.courier.desk import CourierDesk
from onestop.usecases.mall import Mall
from onestop.usecases.privacy import PrivacyDesk

CHECKPOINT_SIGNER = Ed25519Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
"""The key the harness signs checkpoints with (a fixed one: the runs repeat)."""
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - the docs' test secret
NATS_URL = os.environ.get("ONESTOP_TEST_NATS_URL", "")
POSTGRES_URL = os.environ.get("ONESTOP_TEST_POSTGRES_URL", "")
_TAG = secrets.token_hex(4)
PG_SCHEMA = f"onestop_surface_{_TAG}_c"
"""The one schema hostile calls of ``PostgresStore.connect`` may create; dropped at the end."""


# --- the seed -----------------------------------------------------------------------------


class RecordingStore(MemoryStore):
    """A `MemoryStore` that keeps every write, to replay them on other adapters."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def commit(self, commit: Any, /) -> Any:
        """Record, then commit."""
        self.writes.append(("commit", (commit,), {}))
        return super().commit(commit)

    def commit_batch(self, batch: Any, /) -> Any:
        """Record, then commit the batch."""
        self.writes.append(("commit_batch", (batch,), {}))
        return super().commit_batch(batch)

    def record_position(self, consumer: str, position: int, /) -> None:
        """Record, then record the position."""
        self.writes.append(("record_position", (consumer, position), {}))
        super().record_position(consumer, position)

    def add_subject_keys(self, keys: Any, /) -> Any:
        """Record, then add the subject keys."""
        self.writes.append(("add_subject_keys", (keys,), {}))
        return super().add_subject_keys(keys)

    def index_subject(self, blind: str, subject: str, /) -> None:
        """Record, then index the subject."""
        self.writes.append(("index_subject", (blind, subject), {}))
        super().index_subject(blind, subject)

    def publish_catalogue(self, *args: Any, **kwargs: Any) -> Any:
        """Record, then publish."""
        self.writes.append(("publish_catalogue", args, kwargs))
        return super().publish_catalogue(*args, **kwargs)


@dataclass
class Seed:
    """What the seed wrote, and the world it left."""

    world: World
    writes: list[tuple[str, tuple[Any, ...], dict[str, Any]]]
    clock_at: Any
    ids_count: int

    def replay(self, store: Any) -> Any:
        """Write the seed to an empty *store*; return it."""
        for name, args, kwargs in self.writes:
            getattr(store, name)(*args, **kwargs)
        return store

    def attach(self, name: str, store: Any) -> World:
        """A world around *store*, which holds the seed: a new mall and desk, same clock and ids."""
        clock, ids = HandClock(self.clock_at), CountingIds()
        ids.count = self.ids_count
        mall = Mall(catalogue=CATALOGUE, store=store, clock=clock, calendars=CALENDARS, ids=ids)
        desk = CourierDesk(mall, otp_key=OTP_KEY)
        privacy = PrivacyDesk(sealing_mall(store, clock, ids))
        texts, made = self.world.texts, self.world.made
        return World(name, store, mall, desk, privacy, clock, ids, texts, made)


def make_seed() -> Seed:
    """Play the seed once, on a recording memory store."""
    store = RecordingStore()
    world = build_world("seed", store)
    return Seed(world, list(store.writes), world.clock.now(), world.ids.count)


# --- pools and the strategist ---------------------------------------------------------------


def _texts(seed: Seed) -> dict[str, list[str]]:
    texts = {key: list(values) for key, values in seed.world.texts.items()}
    for key, values in EXTRA_TEXTS.items():
        texts.setdefault(key, []).extend(values)
    texts["service_code"] += [s.code for s in CATALOGUE.services]
    texts["agency_code"] = [a.code for a in CATALOGUE.agencies]
    texts["requirement"] = sorted({r.code for s in CATALOGUE.services for r in s.requirements})
    texts["state"] = sorted({s.name for w in CATALOGUE.workflows for s in w.states})
    texts["action"] += sorted({t.action for w in CATALOGUE.workflows for t in w.transitions})
    texts["event"] = sorted(
        {t.event for w in CATALOGUE.workflows for t in w.transitions if t.event}
    )
    texts["id"] = [actor.id for actor in ACTORS]
    return texts


def extra_roots(seed: Seed, scratch: Path) -> list[object]:
    """Real objects the seed does not reach, made here with their own constructors.

    Files are read from *scratch*, so that a path they hold (a problem's file), drawn
    for a call that makes a directory or a store, names a place inside it."""
    from datetime import timedelta

    from nats.aio.msg import Msg
    from surface_world import COUNTER, COURIER, MALL_PLACE, ORIGINALS, owner, pin, sha

    from onestop.calendars import calendar_for, calendar_versions
    from onestop.domain.applications.submission import Submit
    from onestop.domain.applications.tracking import Needed, sla_outcome
    from onestop.domain.catalogue.identity import DeclaredValidator, IdentityScheme
    from onestop.domain.catalogue.rules import parse_rule
    from onestop.domain.common import formats
    from onestop.domain.common.parties import (
        IndonesianNIK,
        KoreanRRN,
        Representative,
        default_validators,
    )
    from onestop.domain.common.values import Duration, Money
    from onestop.domain.courier.handoffs import Handoff
    from onestop.domain.courier.otp import issue_code
    from onestop.domain.time.calendar import WorkCalendar
    from onestop.domain.time.hours import LimitCounting, WeeklyHours
    from onestop.domain.time.sla import Pause
    from onestop.domain.workflow.guards import documents_verified
    from onestop.domain.workflow.versions import MigrationPlan, WorkflowSet
    from onestop.storage.sqlite_schema import shipped_migrations
    from onestop.transport.base import OutboundMessage
    from onestop.transport.gateway import AgencyEndpoint
    from onestop.transport.inbound.callbacks import CallbackRoute
    from onestop.transport.relay import DeadLetter, RetryPolicy
    from onestop.transport.webhook import WebhookEndpoint
    from onestop.usecases.applications.codec import APPLICATIONS
    from onestop.usecases.catalogue.identity import identity_validators, stdnum_check
    from onestop.usecases.catalogue.loading import read_catalogue
    from onestop.usecases.checkpoints import checkpoint_bytes, make_checkpoint
    from onestop.usecases.courier.writer import INDEXES, JOBS, PACKETS

    world = seed.world
    store = world.store
    app_id = world.texts["application_id"][1]
    application = world.mall.application(app_id)
    notes = store.notifications(limit=1000)
    message = OutboundMessage.from_notification(notes[-1])
    workflow = CATALOGUE.workflows[0]
    rule = parse_rule('applicant_type == "perorangan" and not foreign')
    at = world.clock.now()
    stream_types = [APPLICATIONS, JOBS, PACKETS, INDEXES]
    schemes = (
        IdentityScheme(
            code="eg-national-id",
            name=CATALOGUE.name,
            pattern="[23][0-9]{13}",
            length=14,
            strip=" -",
            checksum="luhn",
        ),
        IdentityScheme(code="xx-isbn", name=CATALOGUE.name, checksum="mod11", weights=(3, 2, 1)),
        IdentityScheme(code="nl-bsn", name=CATALOGUE.name, max_length=9, stdnum="nl.bsn"),
    )
    checkpoint = make_checkpoint(store, CHECKPOINT_SIGNER, now=at, store_id="surface")
    return [
        *_identity_roots(),
        checkpoint,
        checkpoint_bytes(checkpoint),
        CATALOGUE,
        ACTORS,
        stream_types,
        [kind.converter for kind in stream_types],
        [args for _, args, _ in seed.writes],
        notes,
        [store.read(stream) for stream in sorted({n.stream_id for n in notes})],
        application.facts(),
        documents_verified(application.facts(), None),
        rule,
        CATALOGUE.services[0].requirements[0].applies({"applicant_type": "perorangan"}),
        Pause(start=at - timedelta(days=1), end=at, reason="waiting_on_applicant"),
        WeeklyHours.from_text({"mon": ["07:30-12:00", "13:00-16:00"], "sat": ["08:00-12:00"]}),
        LimitCounting(receipt_day="included", hours_up_to_days=5),
        WorkCalendar(
            time_zone="Asia/Seoul",
            hours=WeeklyHours.from_text({"fri": ["09:00-12:00", "13:00-18:00"]}),
            counting=LimitCounting(receipt_day="included", hours_up_to_days=5),
        ),
        sla_outcome(application, calendar=CALENDARS["*"], now=at),
        Needed(requirement="ktp", label="KTP", reason="unsigned"),
        pin(COURIER),
        Handoff(
            id="h-extra",
            giver=pin(COURIER),
            receiver=pin(COUNTER),
            at=at,
            place=MALL_PLACE,
            proof_sha256=sha("h-extra"),
            scanned=ORIGINALS,
        ),
        Representative(person=owner(), authorisation="surat-kuasa-01"),
        IndonesianNIK(),
        KoreanRRN(),
        default_validators(),
        schemes,
        [DeclaredValidator(scheme, stdnum_check(scheme.stdnum or "")) for scheme in schemes],
        identity_validators(schemes),
        Submit(
            application_id="surface-9999",
            number="dpmptsp-dki/slf/2025/000099",
            service="slf",
            channel="online",
            applicant=owner(),
            answers={"applicant_type": "perorangan"},
            actor=ACTORS[0],
            secret_digest=sha("secret"),
        ),
        WorkflowSet(workflows=tuple(CATALOGUE.workflows)),
        MigrationPlan(source=workflow, target=workflow),
        read_catalogue(scratch / "several_defects.toml")[1],
        shipped_migrations(),
        message,
        DeadLetter(
            message=message,
            transport="recording",
            reason="rejected",
            error="410",
            attempts=1,
            at=at,
        ),
        CallbackRoute("action", "recommend"),
        AgencyEndpoint(code="dpmptsp-dki", base_url="https://agency.example.org"),
        WebhookEndpoint("https://hooks.example.org/onestop", secrets=[WEBHOOK_SECRET]),
        Msg(
            None,
            subject="onestop.events.submitted",
            data=b"{}",
            headers={"Nats-Msg-Id": "surface-0002:1"},
        ),  # type: ignore[arg-type]
        [getattr(formats, name) for name in formats.__all__],
        calendar_for("KR", years=[2025]),
        calendar_versions(CATALOGUE, years=[2025]),
        _declared_calendar(),
        "07:30-12:00",
        Duration.working_days(5),
        Money.of("15000", "IDR"),
        RetryPolicy(),
        issue_code(OTP_KEY, app_id, "h-door", START + timedelta(minutes=10)),
    ]


def _declared_calendar() -> object:
    """An agency's calendar declaration with every key given (hours, closures, ...)."""
    from datetime import date, datetime

    from onestop.domain.catalogue import calendars as declared

    return declared.CalendarDeclaration(
        agency=CATALOGUE.agencies[0].code,
        version=2,
        effective_from=date(2025, 6, 2),
        categories=("public", "government"),
        hours=declared.CalendarHours(mon=("07:30-12:00", "13:00-16:00"), sat=()),
        counting=declared.CalendarCounting(receipt_day="included", hours_up_to_days=5),
        closures=(
            declared.CalendarClosure(date=date(2025, 12, 24), reason="Joint leave"),
            declared.CalendarClosure(
                start=datetime(2025, 8, 17, 8),  # noqa: DTZ001 - local wall-clock time
                until=datetime(2025, 8, 17, 12),  # noqa: DTZ001 - local wall-clock time
                reason="Ceremony",
            ),
        ),
        working_days=(declared.WorkingDay(date=date(2025, 5, 13), reason="Open"),),
    )


@dataclass(repr=False)
class Session:
    """Everything the harness builds once per test process."""

    def __repr__(self) -> str:
        return f"<surface session in {self.scratch}>"

    scratch: Path
    seed: Seed
    pools: Pools
    strategist: Strategist
    planner: Planner


def make_session(scratch: Path) -> Session:
    """Seed, harvest and plan, with scratch files under *scratch*."""
    seed = make_seed()
    for name in ("jakarta", "cambodia"):
        shutil.copytree(ROOT / "examples" / name, scratch / name, dirs_exist_ok=True)
    shutil.copy(ROOT / "tests" / "catalogue" / "valid" / "minimal.toml", scratch / "minimal.toml")
    broken = sorted((ROOT / "tests" / "catalogue" / "broken").iterdir())
    for path in broken:
        shutil.copy(path, scratch / path.name)
    roots = [*seed.world.made, *extra_roots(seed, scratch)]
    texts = _texts(seed)
    texts["path"] += [path.name for path in broken]
    write_key_files(scratch / "signing-key.pem")
    texts["path"] += ["signing-key.pem", "signing-key.pem.pub"]
    pools = Pools.harvest(roots, texts)
    strategist = Strategist(pools, WIRING, NAMES, files(scratch))
    planner = Planner(strategist, overrides(strategist))
    return Session(scratch, seed, pools, strategist, planner)


# --- overrides: parameters whose real values must stay cheap and local --------------------


def _not_a_schema_name(value: object) -> bool:
    return not (isinstance(value, str) and re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", value))


def _local(value: object) -> bool:
    """No host a hostile URL might name is looked up or connected to."""
    return not (isinstance(value, str) and "://" in value and "127.0.0.1" not in value)


def _ours(value: object) -> bool:
    """A local URL (`_local`) that still names a schema of this run: `PG_SCHEMA`, or one
    a hostile variant grew from it, which `drop_our_schemas` removes at the end."""
    return _local(value) and (not isinstance(value, str) or f"schema={PG_SCHEMA}" in value)


def drop_our_schemas() -> None:
    """Drop every schema of this run (`PG_SCHEMA` and what hostile variants grew from it)."""
    if not POSTGRES_URL:
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        names = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)", (PG_SCHEMA,)
        ).fetchall()
        for (name,) in names:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


NATS_STREAM = f"SURFACE_{_TAG.upper()}"
"""The JetStream stream this run's publishers make (`drop_our_stream` deletes it)."""


def drop_our_stream() -> None:
    """Delete this run's JetStream stream (`NATS_STREAM`), if a publisher made it."""
    if not NATS_URL:
        return
    import asyncio

    import nats
    from nats.js.errors import NotFoundError

    async def drop() -> None:
        client = await nats.connect(NATS_URL, connect_timeout=2, max_reconnect_attempts=0)
        try:
            with contextlib.suppress(NotFoundError):
                await client.jetstream().delete_stream(NATS_STREAM)
        finally:
            await client.close()

    asyncio.run(drop())


def _inside(value: object) -> bool:
    """A relative path that stays inside the working directory (the scratch folder)."""
    return isinstance(value, str) and not value.startswith(("/", "~")) and ".." not in value


def overrides(strategist: Strategist) -> dict[tuple[str, str], st.SearchStrategy[object]]:
    """The few parameters that get their own values, each for the reason given."""
    small = st.sampled_from([0, 1, 2, -1, True, 1.5, float("nan"), "1", None])
    # Every URL names the harness's schema (the bare URL would make the default schema,
    # ``onestop``, in the test database and leave it there).
    urls = [f"{POSTGRES_URL}?schema={PG_SCHEMA}"] if POSTGRES_URL else ["x"]
    pg_url = st.sampled_from(urls) | hostile_text(st.sampled_from(urls)).filter(_ours)
    schema = st.just(PG_SCHEMA) | hostile_text(st.just(PG_SCHEMA)).filter(_not_a_schema_name)
    nats = [NATS_URL or "nats://127.0.0.1:4222"]
    identity = st.just(SEALED_NIK) | hostile_text(st.just(SEALED_NIK))
    catalogue_data = st.sampled_from([catalogue_to_dict(CATALOGUE)]) | strategist.hostile(
        object, "data"
    )
    found: dict[tuple[str, str], st.SearchStrategy[object]] = {
        # A demo of many days, or many arrivals a day, takes minutes: keep it to a few.
        ("onestop.cli.demo.run_demo", "days"): small,
        ("onestop.cli.demo.run_demo", "applications_per_day"): small,
        ("onestop.cli.demo.run_demo", "follow_up_days"): small,
        ("onestop.cli.demo.run_demo", "progress"): st.none(),
        # A pool of many connections would take the test server's every connection.
        ("onestop.storage.postgres.PostgresStore.connect", "min_size"): small,
        ("onestop.storage.postgres.PostgresStore.connect", "max_size"): small,
        ("onestop.storage.postgres.PostgresStore.connect", "timeout"): st.sampled_from(
            [1.0, 0.0, -1.0, float("nan"), float("inf"), True, 10**400]
        ),
        # Only the test server, and only the harness's own schema, may be connected to.
        ("onestop.storage.postgres.PostgresStore.connect", "url"): pg_url,
        ("onestop.storage.postgres.PostgresStore.connect", "schema"): schema,
        ("onestop.storage.postgres.open_url", "url"): pg_url,
        # A NATS publisher connects to the test server only.
        ("onestop.transport.nats.NatsPublisher", "servers"): st.sampled_from(nats)
        | hostile_text(st.sampled_from(nats)).filter(_local),
        ("onestop.transport.nats.NatsPublisher", "timeout"): st.sampled_from(
            [0.5, 0, -1, float("nan")]
        ),
        # A new key pair is written in the scratch folder (the working directory), never above it.
        ("onestop.privacy.signing.write_key_files", "path"): st.sampled_from(
            ["new-key.pem", "jakarta/new-key.pem", "jakarta/catalogue.toml", "missing/key.pem"]
        )
        | hostile_text(st.just("key.pem")).filter(_inside),
        # A catalogue's data: the real one as parsed, or anything at all.
        ("onestop.usecases.catalogue.loading.catalogue_from_data", "data"): catalogue_data,
        # A desk over the sealing mall (it refuses the world's plain one), and the sealed
        # applicant's identity number where a method wants one, not an application's.
        ("onestop.usecases.privacy.PrivacyDesk", "mall"): st.sampled_from(
            [Live("sealing mall"), Live("mall")]
        ),
        **{
            (f"onestop.usecases.privacy.PrivacyDesk.{name}", "number"): identity
            for name in ("applications_of", "erase_person", "export")
        },
    }
    return found


# --- the context a call runs in ------------------------------------------------------------


@dataclass
class Context:
    """The pools, a scratch folder and, for world calls, one adapter's world."""

    pools: Pools
    scratch: Path
    world: World | None = None
    opened: list[Any] = field(default_factory=list)
    made: dict[str, Any] = field(default_factory=dict)

    def live(self, key: str) -> object:
        """The live object *key* names (one per call, so a method and its arguments share it)."""
        if key not in self.made:
            self.made[key] = self._make(key)
        return self.made[key]

    def _make(self, key: str) -> object:
        world = self.world
        if key in ("store", "mall", "desk", "privacy desk", "sealing mall") and world is None:
            world = self.world = _memory_world()
        if key == "store":
            return world.store  # type: ignore[union-attr]
        if key == "mall":
            return world.mall  # type: ignore[union-attr]
        if key == "desk":
            return world.desk  # type: ignore[union-attr]
        if key == "privacy desk":
            return world.privacy  # type: ignore[union-attr]
        if key == "sealing mall":
            return world.privacy._mall  # type: ignore[union-attr]
        if key == "clock":
            return HandClock(START)
        if key == "ids":
            return CountingIds()
        if key == "personal data keys":
            from sealing_support import FakeKeys

            return FakeKeys(seed=b"surface")  # the same keys on every adapter
        if key == "recording transport":
            from onestop.transport.recording import RecordingTransport

            return RecordingTransport()
        if key == "http":
            import httpx

            client = httpx.Client(
                transport=httpx.MockTransport(lambda request: httpx.Response(200))
            )
            self.opened.append(client)
            return client
        if key == "oidc http":
            client = _oidc_provider().client()
            self.opened.append(client)
            return client
        if key == "oidc":
            from onestop.transport.oidc import OpenIDConnect

            provider = _oidc_provider()
            return OpenIDConnect(
                issuer=provider.issuer,
                client_id=provider.client_id,
                client_secret=provider.client_secret,
                http=self.live("oidc http"),  # type: ignore[arg-type]
                clock=HandClock(START),
            )
        if key == "replay cache":
            from onestop.transport.signing import MemoryReplayCache

            return MemoryReplayCache()
        if key == "dead letters":
            from onestop.transport.relay import MemoryDeadLetters

            return MemoryDeadLetters()
        if key == "breaker":
            from onestop.transport.breaker import CircuitBreaker

            return CircuitBreaker("surface")
        if key == "processed log":
            from onestop.transport.inbound.idempotent import SqliteProcessedLog

            log = SqliteProcessedLog.connect(":memory:")
            self.opened.append(log)
            return log
        if key == "idempotent consumer":
            from onestop.transport.inbound.idempotent import IdempotentConsumer

            return IdempotentConsumer(
                "surface", self.live("processed log"), lambda tx, incoming: None
            )  # type: ignore[arg-type]
        if key == "verifier":
            from onestop.transport.signing import WebhookVerifier

            return WebhookVerifier([WEBHOOK_SECRET])
        if key == "signer":
            from onestop.transport.signing import WebhookSigner

            return WebhookSigner([WEBHOOK_SECRET])
        if key in ("checkpoint signer", "checkpoint verifier", "ed25519 private key"):
            found = {"checkpoint signer": CHECKPOINT_SIGNER}
            found["checkpoint verifier"] = CHECKPOINT_SIGNER.verifier()
            return found.get(key, CHECKPOINT_SIGNER.key)
        if key == "ed25519 public key":
            return self.live("ed25519 private key").public_key()  # type: ignore[attr-defined]
        if key == "webhook transport":
            from onestop.transport.webhook import WebhookEndpoint, WebhookTransport

            endpoint = WebhookEndpoint(
                "https://hooks.example.org/onestop", secrets=[WEBHOOK_SECRET]
            )
            return WebhookTransport(
                self.live("http"),  # type: ignore[arg-type]
                endpoint,
                resolver=lambda host, port: ["93.184.216.34"],
            )
        if key == "relay":
            from onestop.transport.relay import Relay

            return Relay(
                self.live("store"),  # type: ignore[arg-type]
                {"recording": self.live("recording transport")},  # type: ignore[dict-item]
                consumer=CONSUMER,
                sleep=lambda seconds: None,
                rng=random.Random(0),
                clock=self.live("clock"),  # type: ignore[arg-type]
            )
        if key == "callbacks":
            from onestop.transport.inbound.callbacks import AgencyCallbacks, CallbackRoute

            routes = {"citata": {"recommended": CallbackRoute("action", "recommend")}}
            return AgencyCallbacks(self.live("mall"), self.live("verifier"), routes)  # type: ignore[arg-type]
        if key == "gateway":
            from onestop.transport.gateway import AgencyEndpoint, AgencyGateway

            agency = AgencyEndpoint(code="dpmptsp-dki", base_url="https://agency.example.org")
            return AgencyGateway(
                self.live("http"),  # type: ignore[arg-type]
                agency,
                applications=self.live("mall"),  # type: ignore[arg-type]
                sleep=lambda seconds: None,
            )
        if key == "guards":
            from onestop.domain.workflow.engine import DEFAULT_GUARDS

            return DEFAULT_GUARDS
        if key == "validators":
            from onestop.domain.common.parties import default_validators

            return default_validators()
        if key == "folded streams":
            from onestop.usecases.applications.cache import FoldedStreams

            return FoldedStreams(size=4)
        if key == "deadlines":
            from onestop.usecases.applications.cache import Deadlines

            return Deadlines(size=4)
        if key == "public statuses":
            from onestop.usecases.applications.cache import PublicStatuses

            return PublicStatuses(size=4)
        if key == "random ids":
            from onestop.usecases.mall import RandomIds

            return RandomIds()
        if key == "anonymous citizens":
            from onestop.ports.citizens import AnonymousCitizens

            return AnonymousCitizens()
        if key == "system clock":
            from onestop.usecases.mall import SystemClock

            return SystemClock()
        if key == "key provider":
            from onestop.privacy import StaticKeyProvider

            return StaticKeyProvider({"mk-surface": bytes(range(32))})
        if key == "key store":
            return MemoryStore()
        if key == "keyring":
            from onestop.privacy import KeyCachePolicy, Keyring

            return Keyring(
                self.live("key provider"),  # type: ignore[arg-type]
                self.live("key store"),  # type: ignore[arg-type]
                cache=KeyCachePolicy(max_keys=4),
                clock=HandClock(START),
            )
        if key == "os error":
            return OSError(28, "No space left on device")
        if key == "memory documents":
            from onestop.storage import MemoryDocuments

            return MemoryDocuments()
        if key == "file documents":
            from onestop.storage import FileDocuments

            return FileDocuments("surface-documents")  # in the scratch folder
        if key == "eicar scanner":
            from onestop.testing.documents import EicarScanner

            return EicarScanner()
        if key == "staff store":
            return MemoryStore()
        if key == "password hasher":
            from onestop.privacy.passwords import Argon2Hasher

            return Argon2Hasher(memory_cost=8, time_cost=1, parallelism=1)
        if key == "staff desk":
            from onestop.domain.common.actors import Actor
            from onestop.usecases.staff import StaffDesk

            desk = StaffDesk(
                events=self.live("staff store"),  # type: ignore[arg-type]
                staff=self.live("staff store"),  # type: ignore[arg-type]
                clock=HandClock(START),
                ids=CountingIds(),
                hasher=self.live("password hasher"),  # type: ignore[arg-type]
            )
            desk.add("officer-ana", by=Actor(id="root", roles={"staff_admin"}))
            return desk
        if key == "access log":
            from onestop.usecases.staff import AccessLog

            return AccessLog(
                staff=self.live("staff store"),  # type: ignore[arg-type]
                clock=HandClock(START),
            )
        if key == "intake":
            from onestop.domain.documents.scrub import Intake

            return Intake(limit=1 << 20)
        if key == "document desk":
            from onestop.usecases.documents import DocumentDesk

            return DocumentDesk(
                self.live("file documents"),  # type: ignore[arg-type]
                self.live("keyring"),  # type: ignore[arg-type]
                scanner=self.live("eicar scanner"),  # type: ignore[arg-type]
                clock=HandClock(START),
            )
        if key == "sqlite connection":
            connection = sqlite3.connect(":memory:", isolation_level=None)
            self.opened.append(connection)
            return connection
        if key == "stop event":
            stop = threading.Event()
            stop.set()
            return stop
        if key == "rng":
            return random.Random(0)
        if key == "attribute":
            from onestop.domain.workflow.engine import Actor

            return attrs.fields(Actor).id
        if key == "exception":
            return TimeoutError("timed out")
        if key == "nats":
            from onestop.transport.nats import NatsPublisher

            publisher = NatsPublisher(
                NATS_URL, prefix=f"surface.{_TAG}", stream=NATS_STREAM, timeout=2.0
            )
            self.opened.append(publisher)
            return publisher
        if key == "pg connection":
            import psycopg

            connection = psycopg.connect(POSTGRES_URL, autocommit=True)
            self.opened.append(connection)
            return connection
        if key == "pg pool":
            from psycopg_pool import ConnectionPool

            pool: Any = ConnectionPool(POSTGRES_URL, min_size=1, max_size=1, open=True)
            self.opened.append(pool)
            return pool
        if key == "sql identifier":
            from psycopg import sql

            return sql.Identifier(PG_SCHEMA)
        raise KeyError(key)

    def forget_call(self) -> None:
        """Close what the call opened; the world's own objects stay."""
        for thing in reversed(self.opened):
            with contextlib.suppress(Exception):
                thing.close()
        self.opened.clear()
        self.made.clear()

    def adopt(self, result: object) -> None:
        """Close a store, pool or publisher the call opened and returned."""
        world = self.world
        ours = world is not None and result in (world.store, world.mall, world.desk, world.privacy)
        close = getattr(result, "close", None)
        if not ours and callable(close) and not isinstance(result, (str, bytes)):
            with contextlib.suppress(Exception):
                close()


def _identity_roots() -> list[object]:
    """A sign-in begun at the local OpenID Connect provider, and a login it verified."""
    from onestop.domain.staff import ExternalIdentity
    from onestop.ports.identity import VerifiedLogin
    from onestop.transport.oidc import OpenIDConnect

    provider = _oidc_provider()
    with provider.client() as client:
        oidc = OpenIDConnect(
            issuer=provider.issuer,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            http=client,
            clock=HandClock(START),
        )
        begun = oidc.begin(redirect_uri="https://mall.example.test/api/v1/staff/oidc/callback")
    identity = ExternalIdentity(issuer=provider.issuer, subject="officer-0007")
    login = VerifiedLogin(identity=identity, claims={"acr": "high"})
    return [begun, login]


@functools.cache
def _oidc_provider() -> Any:
    """One local OpenID Connect provider for every call (its keys take a while to make)."""
    from onestop.testing.oidc import LocalProvider

    return LocalProvider(clock=HandClock(START))


def _memory_world() -> World:
    from surface_world import memory_store

    return build_world("memory", memory_store())
