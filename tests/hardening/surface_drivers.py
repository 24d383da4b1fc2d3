"""How the harness drives each entry point: its parameters, live objects, owners and budget.

Three small tables, by rule rather than by entry point:

* `WIRING`: for each wiring type (a store, a mall, a clock, a transport, ...), the live
  objects that satisfy it; `LIVE` says how each is made, and whether it belongs to the
  world (so that the call runs on each storage adapter).
* `OWNERS`: for a class whose methods need a live instance rather than a real value,
  which live object that is.  Any other class's methods run on its real instances.
* `OVERRIDES`: a few parameters whose real values must stay cheap or local (a demo's
  length, a file path, a database schema, a server).  Each says why.

`plan` turns an entry point into a Hypothesis strategy of `Call`s, or raises
`Undrivable`; `perform` makes a call real in a `Context` and says how it ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import random
import sqlite3
import threading
import typing
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import attrs
from hypothesis import strategies as st
from surface_discovery import (
    KIND_METHOD,
    EntryPoint,
    public_modules,
)
from surface_values import (
    NONE_TYPE,
    Evolved,
    File,
    Live,
    Returns,
    Spec,
    Strategist,
    Undrivable,
    hostile_text,
    materialize,
)

from onestop.exceptions import OnestopError

# --- live objects -----------------------------------------------------------------------

WORLD_KEYS = frozenset(
    {"store", "mall", "desk", "relay", "callbacks", "gateway", "privacy desk", "sealing mall"}
)
"""Live objects that belong to a world: a call using one runs on every storage adapter."""

POSTGRES_KEYS = frozenset({"pg connection", "pg pool", "sql identifier"})
NATS_KEYS = frozenset({"nats"})


def _types() -> dict[str, Any]:
    from onestop.domain.common import parties
    from onestop.domain.documents import scrub
    from onestop.domain.workflow import guards
    from onestop.ports import catalogue as catalogue_store
    from onestop.ports import citizens, keys
    from onestop.ports import documents as document_ports
    from onestop.ports import events as ports
    from onestop.ports import signing as checkpoint_signing
    from onestop.ports import staff as staff_ports
    from onestop.privacy import keyring, passwords, providers
    from onestop.privacy import signing as ed25519
    from onestop.storage import documents as document_stores
    from onestop.storage import memory, sqlite
    from onestop.transport import (
        base,
        breaker,
        gateway,
        oidc,
        recording,
        relay,
        signing,
        webhook,
    )
    from onestop.transport.inbound import callbacks, idempotent
    from onestop.usecases import documents as document_desk
    from onestop.usecases import mall
    from onestop.usecases import privacy as privacy_desk
    from onestop.usecases import staff as staff_desk
    from onestop.usecases.applications import cache as folding
    from onestop.usecases.courier import custody as courier_custody
    from onestop.usecases.courier import desk as courier_desk
    from onestop.usecases.courier import wiring as courier_wiring
    from onestop.usecases.staff import _core as staff_core
    from onestop.usecases.staff import _credentials as staff_credentials
    from onestop.usecases.staff import _signin as staff_signin

    found: dict[str, Any] = {
        "EventStore": ports.EventStore,
        "BatchStore": ports.BatchStore,
        "CatalogueStore": catalogue_store.CatalogueStore,
        "ClosingContext": ports.ClosingContext,
        "MemoryStore": memory.MemoryStore,
        "SQLiteStore": sqlite.SQLiteStore,
        "Mall": mall.Mall,
        "CallbackMall": callbacks.CallbackMall,
        "ApplicationSource": gateway.ApplicationSource,
        "CustodyDesk": courier_custody.CustodyDesk,
        "CourierDesk": courier_desk.CourierDesk,
        "CourierMall": courier_wiring.CourierMall,
        "Clock": ports.Clock,
        "IdGenerator": ports.IdGenerator,
        "PersonalDataKeys": keys.PersonalDataKeys,
        "Transport": base.Transport,
        "WebhookHttpClient": webhook.HttpClient,
        "GatewayHttpClient": gateway.HttpClient,
        "IdentityHttpClient": oidc.IdentityHttpClient,
        "OpenIDConnect": oidc.OpenIDConnect,
        "ReplayCache": signing.ReplayCache,
        "DeadLetterSink": relay.DeadLetterSink,
        "CircuitBreaker": breaker.CircuitBreaker,
        "ProcessedLog": idempotent.ProcessedLog,
        "IdempotentConsumer": idempotent.IdempotentConsumer,
        "SqliteProcessedLog": idempotent.SqliteProcessedLog,
        "WebhookVerifier": signing.WebhookVerifier,
        "WebhookSigner": signing.WebhookSigner,
        "MemoryReplayCache": signing.MemoryReplayCache,
        "MemoryDeadLetters": relay.MemoryDeadLetters,
        "RecordingTransport": recording.RecordingTransport,
        "WebhookTransport": webhook.WebhookTransport,
        "Relay": relay.Relay,
        "AgencyCallbacks": callbacks.AgencyCallbacks,
        "AgencyGateway": gateway.AgencyGateway,
        "GuardRegistry": guards.GuardRegistry,
        "IdentityValidators": parties.IdentityValidators,
        "FoldedStreams": folding.FoldedStreams,
        "Deadlines": folding.Deadlines,
        "PublicStatuses": folding.PublicStatuses,
        "RandomIds": mall.RandomIds,
        "AnonymousCitizens": citizens.AnonymousCitizens,
        "SystemClock": mall.SystemClock,
        "MasterKeyProvider": keys.MasterKeyProvider,
        "SubjectKeyStore": keys.SubjectKeyStore,
        "MasterKeys": providers.LocalKeyProvider,
        "Keyring": keyring.Keyring,
        "Signer": checkpoint_signing.Signer,
        "SignatureVerifier": checkpoint_signing.SignatureVerifier,
        "Ed25519Signer": ed25519.Ed25519Signer,
        "Ed25519Verifier": ed25519.Ed25519Verifier,
        "Ed25519PrivateKey": ed25519.Ed25519PrivateKey,
        "Ed25519PublicKey": ed25519.Ed25519PublicKey,
        "PrivacyDesk": privacy_desk.PrivacyDesk,
        "DocumentDesk": document_desk.DocumentDesk,
        "DocumentStore": document_ports.DocumentStore,
        "Scanner": document_ports.Scanner,
        "FileDocuments": document_stores.FileDocuments,
        "MemoryDocuments": document_stores.MemoryDocuments,
        "Intake": scrub.Intake,
        "StaffStore": staff_ports.StaffStore,
        "FailureCounter": staff_ports.FailureCounter,
        "PasswordHasher": staff_ports.PasswordHasher,
        "Argon2Hasher": passwords.Argon2Hasher,
        "StaffDesk": staff_desk.StaffDesk,
        "SignInDesk": staff_signin.SignInDesk,
        "CredentialsDesk": staff_credentials.CredentialsDesk,
        "DeskCore": staff_core.DeskCore,
        "AccessLog": staff_desk.AccessLog,
    }
    try:
        import psycopg
        import psycopg_pool
        from psycopg import sql

        from onestop.storage import postgres, postgres_catalogue

        found |= {
            "PostgresStore": postgres.PostgresStore,
            "PostgresCatalogue": postgres_catalogue.PostgresCatalogue,
            "PgConnection": psycopg.Connection,
            "PgPool": psycopg_pool.ConnectionPool,
            "Identifier": sql.Identifier,
        }
    except ImportError:  # pragma: no cover - the postgres extra is in the test group
        pass
    try:
        from onestop.transport import nats

        found["NatsPublisher"] = nats.NatsPublisher
    except ImportError:  # pragma: no cover - the nats extra is in the test group
        pass
    return found


TYPES = _types()

WIRING_BY_NAME: dict[str, tuple[str, ...]] = {
    "EventStore": ("store",),
    "BatchStore": ("store",),
    "CatalogueStore": ("store",),
    "ClosingContext": ("store",),
    "MemoryStore": ("store",),
    "SQLiteStore": ("store",),
    "PostgresStore": ("store",),
    "Mall": ("mall",),
    "CallbackMall": ("mall",),
    "ApplicationSource": ("mall",),
    "CustodyDesk": ("desk",),
    "CourierDesk": ("desk",),
    "CourierMall": ("mall",),
    "Clock": ("clock",),
    "IdGenerator": ("ids",),
    "PersonalDataKeys": ("personal data keys",),
    "Transport": ("recording transport",),
    "WebhookHttpClient": ("http",),
    "GatewayHttpClient": ("http",),
    # A client whose every request a local OpenID Connect provider answers.
    "IdentityHttpClient": ("oidc http",),
    "ReplayCache": ("replay cache",),
    "DeadLetterSink": ("dead letters",),
    "CircuitBreaker": ("breaker",),
    "ProcessedLog": ("processed log",),
    "IdempotentConsumer": ("idempotent consumer",),
    "WebhookVerifier": ("verifier",),
    "GuardRegistry": ("guards",),
    "IdentityValidators": ("validators",),
    "FoldedStreams": ("folded streams",),
    "Deadlines": ("deadlines",),
    "PublicStatuses": ("public statuses",),
    "PgConnection": ("pg connection",),
    "PgPool": ("pg pool",),
    "Identifier": ("sql identifier",),
    # A keyring's provider and store: a static provider and a memory store of its own, so
    # that a keyring's calls stay off the worlds (the store's key methods run there).
    "MasterKeyProvider": ("key provider",),
    "SubjectKeyStore": ("key store",),
    "Signer": ("checkpoint signer",),
    "SignatureVerifier": ("checkpoint verifier",),
    "Ed25519PrivateKey": ("ed25519 private key",),
    "Ed25519PublicKey": ("ed25519 public key",),
    "DocumentStore": ("memory documents",),
    "Scanner": ("eicar scanner",),
    # A staff desk's stores: a memory store of its own (staff-sql adds the SQL adapters'
    # staff methods to the worlds).
    "StaffStore": ("staff store",),
    # A courier desk counts wrong codes in one: the staff store's failure counter.
    "FailureCounter": ("staff store",),
    "PasswordHasher": ("password hasher",),
}
"""Each wiring type, by its name in `TYPES`, and the live objects that satisfy it."""

OWNERS_BY_NAME: dict[str, str] = {
    "Mall": "mall",
    "CustodyDesk": "desk",
    "CourierDesk": "desk",
    "MemoryStore": "store",
    "SQLiteStore": "store",
    "PostgresStore": "store",
    "PostgresCatalogue": "store",
    "ClosingContext": "store",
    "FoldedStreams": "folded streams",
    "Deadlines": "deadlines",
    "PublicStatuses": "public statuses",
    "Relay": "relay",
    "AgencyCallbacks": "callbacks",
    "AgencyGateway": "gateway",
    "WebhookTransport": "webhook transport",
    "OpenIDConnect": "oidc",
    "RecordingTransport": "recording transport",
    "CircuitBreaker": "breaker",
    "MemoryReplayCache": "replay cache",
    "MemoryDeadLetters": "dead letters",
    "SqliteProcessedLog": "processed log",
    "IdempotentConsumer": "idempotent consumer",
    "WebhookSigner": "signer",
    "WebhookVerifier": "verifier",
    "RandomIds": "random ids",
    "AnonymousCitizens": "anonymous citizens",
    "SystemClock": "system clock",
    "GuardRegistry": "guards",
    "IdentityValidators": "validators",
    "NatsPublisher": "nats",
    "MasterKeys": "key provider",
    "Keyring": "keyring",
    "Ed25519Signer": "checkpoint signer",
    "Ed25519Verifier": "checkpoint verifier",
    "PrivacyDesk": "privacy desk",
    "DocumentDesk": "document desk",
    "FileDocuments": "file documents",
    "MemoryDocuments": "memory documents",
    "Intake": "intake",
    "StaffDesk": "staff desk",
    "SignInDesk": "staff desk",
    "CredentialsDesk": "staff desk",
    "DeskCore": "staff desk",
    "Argon2Hasher": "password hasher",
    "AccessLog": "access log",
}
"""Classes whose methods run on a live object, by name in `TYPES`, and which object."""

WIRING: dict[object, tuple[str, ...]] = {
    TYPES[name]: keys for name, keys in WIRING_BY_NAME.items() if name in TYPES
}
WIRING[sqlite3.Connection] = ("sqlite connection",)
WIRING[threading.Event] = ("stop event",)
WIRING[random.Random] = ("rng",)
WIRING[attrs.Attribute] = ("attribute",)
WIRING[BaseException] = ("exception",)
WIRING[Exception] = ("exception",)
WIRING[OSError] = ("os error",)
OWNERS: dict[type, str] = {TYPES[n]: key for n, key in OWNERS_BY_NAME.items() if n in TYPES}

STORE_CLASSES = tuple(
    TYPES[n]
    for n in ("MemoryStore", "SQLiteStore", "PostgresStore", "PostgresCatalogue", "ClosingContext")
    if n in TYPES
)

# --- real strings by parameter name -------------------------------------------------------

NAMES: dict[str, tuple[str, ...]] = {
    "application_id": ("application_id",),
    "stream_id": ("application_id", "job_id", "stream_id"),
    "job_id": ("job_id",),
    "seal_id": ("seal_id",),
    "handoff_id": ("handoff_id",),
    "number": ("number",),
    "secret": ("secret",),
    "service": ("service_code",),
    "service_code": ("service_code",),
    "code": ("service_code", "agency_code", "code"),
    "agency": ("agency_code",),
    "action": ("action",),
    "event": ("event",),
    "state": ("state", "name"),
    "language": ("language",),
    "requirement": ("requirement",),
    "consumer": ("consumer",),
    "role": ("role",),
    "channel": ("channel",),
    "currency": ("currency",),
    "reason": ("reason",),
    "key": ("idempotency_key", "key"),
    "idempotency_key": ("idempotency_key",),
    "url": ("url",),
    "store_url": ("url",),
    "path": ("path",),
    "source": ("path",),
    "target": ("target",),
    "resolver": ("ip",),
    "host": ("host",),
    "id": ("id",),
    "name": ("name",),
    "text": ("note",),
    "credential": ("credential",),
    "kind": ("kind",),
    "reference": ("number", "application_id"),
    "hold_id": ("hold_id",),
    "legal_basis": ("legal_basis",),
    "scheme": ("scheme",),
}
"""Where a parameter's real strings come from, by its name (the pool has the rest)."""

EXTRA_TEXTS: dict[str, list[str]] = {
    "service_code": ["slf", "pbg", "ktp-el", "sim-a"],
    "action": ["receive", "verify", "approve", "publish", "send_back", "resubmit", "recommend"],
    "language": ["id", "en", "km"],
    "role": ["verifier", "approver", "front_office", "applicant", "courier", "agency_officer"],
    "channel": ["online", "counter", "courier", "post"],
    "currency": ["IDR", "USD"],
    "reason": ["unsigned", "incomplete", "missing-document"],
    "url": ["memory://", "sqlite:///surface.sqlite3", "sqlite://:memory:"],
    "path": ["jakarta", "jakarta/catalogue.toml", "cambodia", "minimal.toml"],
    "target": ["backup.sqlite3", "dump.json", "dump.toml"],
    "ip": ["93.184.216.34"],
    "host": ["hooks.example.org", "93.184.216.34", "127.0.0.1"],
    "note": ["Diperiksa", "Dokumen lengkap\nterima kasih"],
    "credential": ["pin-ok:mpp-front-07"],
    "kind": ["submitted", "acted"],
    "legal_basis": ["UU 27/2022 art. 8", "retention period ended"],
    "scheme": ["id-nik", "passport"],
}


# --- the plan of a call -------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    """One parameter of an entry point, with its resolved type."""

    name: str
    kind: inspect._ParameterKind
    annotation: object
    optional: bool


@dataclass(frozen=True)
class Call:
    """One drawn call: the entry point, its owner (for a method) and its arguments."""

    entry: EntryPoint = field(repr=False)
    owner: object
    args: tuple[object, ...]
    kwargs: dict[str, object]

    def __repr__(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        head = f"{self.owner!r}." if self.owner is not None else ""
        name = self.entry.attribute if self.owner is not None else self.entry.name
        return f"{head}{name}({', '.join(parts)})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints a drawn call as the call itself."""
        printer.text(repr(self))


def _namespace() -> dict[str, object]:
    space: dict[str, object] = {}
    for module in public_modules():
        space.update({k: v for k, v in vars(module).items() if not k.startswith("__")})
    space["attrs"] = _AttrsShim()
    return space


class _AttrsShim:
    """Lets ``attrs.Attribute[str]`` in a string annotation resolve."""

    class Attribute:
        def __class_getitem__(cls, item: object) -> object:
            return attrs.Attribute

    def __getattr__(self, name: str) -> object:
        return getattr(attrs, name)


_NAMESPACE: dict[str, object] | None = None


def _hints(function: Callable[..., object]) -> dict[str, object]:
    global _NAMESPACE
    with contextlib.suppress(Exception):  # resolved one by one below
        return typing.get_type_hints(function)
    if _NAMESPACE is None:
        _NAMESPACE = _namespace()
    hints: dict[str, object] = {}
    module_globals = getattr(function, "__globals__", {})
    for name, raw in getattr(function, "__annotations__", {}).items():
        if not isinstance(raw, str):
            hints[name] = raw
            continue
        try:
            hints[name] = eval(raw, {**_NAMESPACE, **module_globals, "attrs": _AttrsShim()})  # noqa: S307 - our own annotations
        except Exception as exc:
            raise Undrivable(
                f"the type hint {raw!r} of parameter {name!r} does not resolve"
            ) from exc
    return hints


def parameters(entry: EntryPoint) -> list[Parameter]:
    """The parameters a caller gives *entry*, with their types."""
    target = entry.signature_target()
    function = target.__init__ if inspect.isclass(target) else target  # type: ignore[misc]
    hints = _hints(function)
    found = []
    signature = inspect.signature(target)
    for index, parameter in enumerate(signature.parameters.values()):
        if entry.kind == KIND_METHOD and index == 0:
            continue
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        annotation = hints.get(parameter.name, object)
        found.append(
            Parameter(
                parameter.name,
                parameter.kind,
                annotation,
                parameter.default is not inspect.Parameter.empty,
            )
        )
    return found


@dataclass
class Planner:
    """Plans calls of entry points over one strategist."""

    strategist: Strategist
    overrides: dict[tuple[str, str], st.SearchStrategy[object]]

    def owner(self, entry: EntryPoint) -> st.SearchStrategy[object]:
        """The instance a method is called on: a live object, or a real instance."""
        if entry.kind != KIND_METHOD:
            return st.none()
        assert entry.owner is not None
        for cls, key in OWNERS.items():
            if issubclass(cls, entry.owner) and (cls is entry.owner or key == "store"):
                return st.just(Live(key))
        if entry.owner in OWNERS:
            return st.just(Live(OWNERS[entry.owner]))
        try:
            real = self.strategist.real(entry.owner, "self")
        except Undrivable:
            raise Undrivable(
                f"no instance of {entry.owner.__qualname__} to call {entry.attribute!r} on: add "
                "one to the seeded world (surface_world.build_world), or a live object to "
                "surface_drivers.OWNERS"
            ) from None
        if attrs.has(entry.owner) and self.strategist.pools.instances.get(entry.owner):
            return st.one_of(real, self.strategist.hostile(entry.owner, "self"))
        return real

    def argument(
        self, entry: EntryPoint, parameter: Parameter, *, only: str | None = None
    ) -> st.SearchStrategy[object]:
        """Values for one parameter: an override if it has one, else by its type.

        *only* ``"real"`` or ``"hostile"`` draws from one side (wiring is always real).
        """
        override = self.overrides.get((entry.name, parameter.name))
        if override is not None:
            return override
        tp = parameter.annotation
        if self.strategist.is_wiring(tp):
            arms = (
                typing.get_args(tp)
                if typing.get_origin(tp) in (typing.Union, type(int | None))
                else ()
            )
            if arms and NONE_TYPE in arms:
                tp = typing.Union[tuple(a for a in arms if a is not NONE_TYPE)]  # noqa: UP007
            return self.strategist.real(tp, parameter.name)
        if only == "real":
            return self.strategist.real(tp, parameter.name)
        if only == "hostile":
            return self.strategist.hostile(tp, parameter.name)
        return self.strategist.argument(tp, parameter.name)

    def plan(self, entry: EntryPoint) -> st.SearchStrategy[Call]:
        """Calls of *entry*: half of them with one hostile parameter and the rest real (the
        calls that get furthest), half with each parameter real or hostile; optional
        parameters are sometimes left out."""
        params = parameters(entry)
        owner = self.owner(entry)
        mixed = {p.name: self.argument(entry, p) for p in params}
        real = {p.name: self.argument(entry, p, only="real") for p in params}
        hostile = {p.name: self.argument(entry, p, only="hostile") for p in params}
        focus = (
            st.one_of(st.none(), st.sampled_from([p.name for p in params])) if params else st.none()
        )

        @st.composite
        def calls(draw: st.DrawFn) -> Call:
            this = draw(owner, label="self")
            target = draw(focus, label="the hostile parameter")
            args: list[object] = []
            kwargs: dict[str, object] = {}
            skipping = False
            for parameter in params:
                name = parameter.name
                given = mixed if target is None else hostile if name == target else real
                wired = self.strategist.is_wiring(parameter.annotation)
                if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
                    args.extend(draw(st.lists(given[name], max_size=3), label=name))
                    continue
                if (
                    parameter.optional
                    and not wired
                    and name != target
                    and (skipping or not draw(st.booleans(), label=f"give {name}"))
                ):
                    skipping = skipping or parameter.kind is inspect.Parameter.POSITIONAL_ONLY
                    continue
                value = draw(given[name], label=name)
                if parameter.kind is inspect.Parameter.POSITIONAL_ONLY:
                    args.append(value)
                else:
                    kwargs[name] = value
            return Call(entry, this, tuple(args), kwargs)

        return calls()


def live_keys(entry: EntryPoint) -> set[str]:
    """The live objects a call of *entry* may use: its owner's and its parameters'."""
    keys: set[str] = set()
    if entry.kind == KIND_METHOD and entry.owner is not None:
        keys |= {key for cls, key in OWNERS.items() if issubclass(cls, entry.owner)}
    for parameter in parameters(entry):
        keys |= _keys_of(parameter.annotation)
    return keys


def _keys_of(tp: object) -> set[str]:
    found: set[str] = set()
    stack = [tp]
    while stack:
        current = stack.pop()
        if isinstance(current, list):
            stack.extend(current)
            continue
        origin = typing.get_origin(current)
        if current in WIRING:
            found.update(WIRING[current])
        elif origin in WIRING:
            found.update(WIRING[origin])
        stack.extend(typing.get_args(current))
    return found


def touches_world(entry: EntryPoint) -> bool:
    """Whether *entry* runs on a world's store, so on each adapter in turn."""
    return bool(live_keys(entry) & WORLD_KEYS)


def needs(entry: EntryPoint) -> set[str]:
    """The servers *entry* needs: ``postgres``, ``nats``."""
    keys = live_keys(entry)
    found = set()
    if keys & POSTGRES_KEYS or entry.name.startswith("onestop.storage.postgres"):
        found.add("postgres")
    if keys & NATS_KEYS or entry.name.startswith("onestop.transport.nats.NatsPublisher"):
        found.add("nats")
    return found


# --- performing a call -------------------------------------------------------------------


class CallHung(BaseException):
    """A call ran for too long (a `BaseException`, so that the code under test cannot
    swallow it); `perform` reports it as a crash."""


@dataclass
class Outcome:
    """How a call ended: ``"ok"`` with a result, ``"refused"`` or ``"crashed"`` with an error."""

    kind: str
    result: object = None
    error: BaseException | None = None

    @property
    def label(self) -> str:
        """The outcome's class, for comparing adapters: ``ok`` or the error's type."""
        return "ok" if self.error is None else type(self.error).__qualname__


DEPRECATED_OPTION = r"AgencyGateway's .* is deprecated and goes in 0\.3\.0"
"""The warning of a deprecated option (`onestop.transport.gateway.AgencyGateway`'s retries)."""


def perform(call: Call, context: Any) -> Outcome:
    """Make *call* real in *context*, call it, and classify what happened."""
    entry = call.entry
    owner = materialize(call.owner, context)
    args = materialize(call.args, context)
    kwargs = materialize(call.kwargs, context)
    method = entry.kind == KIND_METHOD
    target = getattr(owner, entry.attribute) if method else entry.target  # type: ignore[arg-type]
    try:
        with warnings.catch_warnings():
            # A deprecated option given a good value warns, as documented: not a crash.
            warnings.filterwarnings("ignore", DEPRECATED_OPTION, DeprecationWarning)
            result = target(*args, **kwargs)  # type: ignore[operator]
            if inspect.iscoroutine(result):
                result = asyncio.run(asyncio.wait_for(result, 10))
    except OnestopError as exc:
        return Outcome("refused", error=exc)
    except Exception as exc:  # noqa: BLE001 - the harness reports it
        if exc is context.made.get("exception"):
            # The call raised the very error it was handed (a stream type's *missing*
            # error, say): documented, the caller's own, not a crash.
            return Outcome("refused", error=exc)
        return Outcome("crashed", error=exc)
    except CallHung as exc:
        return Outcome("crashed", error=exc)
    finally:
        context.forget_call()
    context.adopt(result)
    return Outcome("ok", result=result)


__all__ = [
    "Call",
    "Evolved",
    "File",
    "Live",
    "Outcome",
    "Parameter",
    "Planner",
    "Returns",
    "Spec",
    "hostile_text",
    "needs",
    "parameters",
    "perform",
    "touches_world",
]
