"""What one worker process serves with: the `Mall`, the document desk, the limits.

`Runtime.start` builds them from `ServeSettings` when the worker starts (Litestar's
lifespan), and `Runtime.close` closes the store when it stops.  One `Mall` per process,
shared by the threads that run the blocking core (docs/explanation/web-framework.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import importlib
import os
import secrets
import threading
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import anyio.to_thread
import attrs

from onestop.calendars import calendar_versions, counted_years
from onestop.domain.common.formats import preview
from onestop.exceptions import ConfigurationError
from onestop.ports.citizens import AnonymousCitizens, CitizenSignIn
from onestop.ports.documents import Scanner
from onestop.ports.events import EventStore
from onestop.ports.identity import StaffIdentityProvider
from onestop.ports.staff import StaffStore
from onestop.privacy import DEFAULT_VARIABLE, EnvKeyProvider, FileKeyProvider, Keyring
from onestop.privacy._files import read_small_file
from onestop.privacy.passwords import Argon2Hasher
from onestop.storage import from_url
from onestop.storage._handoff import WriteLock
from onestop.storage.documents import FileDocuments
from onestop.storage.memory import MemoryStore
from onestop.storage.sqlite import SQLiteStore
from onestop.usecases.catalogue.loading import load_catalogue
from onestop.usecases.courier.desk import CourierDesk
from onestop.usecases.documents import DocumentDesk
from onestop.usecases.mall import Mall, RandomIds
from onestop.usecases.mall_support import MAX_RETRIES, SystemClock
from onestop.usecases.staff import StaffDesk
from onestop.web._bridge import Writes
from onestop.web._identity import identity_provider
from onestop.web.settings import ServeSettings

__all__ = ["KeyedSecrets", "Runtime", "open_store", "staff_desk"]

_SECRET_BYTES = 32
_MAX_SECRET_FILE = 65536  # a secret file is read whole: no FIFO, device or huge file
_T = TypeVar("_T")
_GIVEN_SECRET: ContextVar[str | None] = ContextVar("onestop_lookup_secret", default=None)


class KeyedSecrets(RandomIds):
    """Random ids; lookup secrets derived from the request's idempotency key when one is set.

    `Mall.submit` keeps only a digest of the lookup secret.  So that a replayed
    submission can answer with the same receipt, secret and all, the API derives the
    secret from the server's secret and the request's idempotency key
    (`derive`), and hands it to the mall through `giving`.
    """

    def __init__(self, key: bytes) -> None:
        """Derive secrets with *key* (the server's secret)."""
        self._key = key

    def derive(self, scope: str, idempotency_key: str) -> str:
        """Return the lookup secret of the submission *idempotency_key* in *scope*."""
        mac = hmac.new(self._key, f"lookup\x00{scope}\x00{idempotency_key}".encode(), "sha256")
        return mac.hexdigest()[:32]

    @contextmanager
    def giving(self, secret: str | None) -> Iterator[None]:
        """Make `secret` return *secret* within the ``with`` block, in this context
        (``None``: a random one, as outside it)."""
        token = _GIVEN_SECRET.set(secret)
        try:
            yield
        finally:
            _GIVEN_SECRET.reset(token)

    def secret(self) -> str:
        """Return the secret given for this context, else a random one."""
        given = _GIVEN_SECRET.get()
        return given if given is not None else super().secret()


def _server_secret(settings: ServeSettings) -> bytes:
    path = settings.secret_file or settings.beside_store(".serve-secret")
    if path is None:
        raise ConfigurationError(
            "give --secret-file (ONESTOP_SERVE_SECRET_FILE): a file of at least 32 random "
            "bytes, the same for every worker; only an SQLite store keeps one beside it"
        )
    file = Path(path)
    if not file.exists() and settings.secret_file is None:
        # Written whole under another name, then linked in place: a worker starting at
        # the same moment sees no file or the whole secret, never a part of it.
        partial = file.with_name(f"{file.name}.{secrets.token_hex(8)}.part")
        try:
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                out.write(secrets.token_bytes(_SECRET_BYTES))
            try:
                os.link(partial, file)
            except FileExistsError:
                pass  # another worker made it first
            finally:
                partial.unlink()
        except OSError as exc:
            raise ConfigurationError(
                f"the server secret file cannot be made: {exc.strerror}"
            ) from None
    try:
        data = read_small_file(file, limit=_MAX_SECRET_FILE)
    except OSError as exc:
        raise ConfigurationError(
            f"the server secret file {preview(str(file))} cannot be read: {exc.strerror}"
        ) from None
    if len(data) < _SECRET_BYTES:
        raise ConfigurationError(f"the server secret file holds fewer than {_SECRET_BYTES} bytes")
    return hashlib.sha256(data).digest()


def _plugin(target: str, *, option: str, method: str) -> Any:
    """The object *target* (``module:attribute``) names, made by calling it if it is a
    class or a function of no arguments; it must have a callable *method*.

    Raises:
        ConfigurationError: Naming *option*, if it cannot be loaded, made or used.
    """
    shown = preview(target)  # a setting, but any length: quoted short
    module_name, _, attribute = target.partition(":")
    try:
        found: Any = getattr(importlib.import_module(module_name), attribute)
    except Exception as exc:  # noqa: BLE001 - importing a plugin runs its code: anything
        raise ConfigurationError(f"{option}: cannot load {shown} ({type(exc).__name__})") from None
    factory = isinstance(found, type) or (callable(found) and not hasattr(found, method))
    try:
        made = found() if factory else found
    except Exception as exc:  # noqa: BLE001 - a plugin's factory may raise anything
        raise ConfigurationError(
            f"{option}: {shown} failed to make its object ({type(exc).__name__})"
        ) from None
    if not callable(getattr(made, method, None)):
        raise ConfigurationError(f"{option}: {shown} has no {method}()")
    return made


def _citizens(target: str | None) -> CitizenSignIn:
    if target is None:
        return AnonymousCitizens()
    return cast(CitizenSignIn, _plugin(target, option="--citizen-sign-in", method="identify"))


def _scanner(target: str | None) -> Scanner | None:
    if target is None:
        return None
    return cast(Scanner, _plugin(target, option="--scanner", method="start"))


def staff_desk(store: EventStore, keys: Keyring) -> StaffDesk:
    """The staff desk over *store* (which must keep staff accounts), sealing second-factor
    seeds with *keys*: what a worker serves staff with, and what tests make accounts with.

    Raises:
        ConfigurationError: If *store* is not a `StaffStore`.
    """
    if not isinstance(store, StaffStore):
        raise ConfigurationError(
            "the store keeps no staff accounts: serve a store that does (SQLite, PostgreSQL)"
        )
    return StaffDesk(
        events=store,
        staff=store,
        clock=SystemClock(),
        ids=RandomIds(),
        hasher=Argon2Hasher(),
        seals=keys,
    )


def open_store(settings: ServeSettings) -> EventStore:
    """Open the worker's store: a PostgreSQL pool holds a connection per thread.

    A worker runs the blocking core on two pools of ``settings.threads`` threads
    (docs/explanation/web-framework.md), so its `PostgresStore` pool may hold as many
    connections (never fewer than the store's default of 10), and a thread waits for a
    connection only while both pools are busy at once.  Other stores open from their URL.
    """
    scheme = settings.store_url.partition("://")[0].lower()
    if scheme not in ("postgres", "postgresql"):
        return from_url(settings.store_url)
    from onestop.storage.postgres import PostgresStore  # noqa: PLC0415 - the postgres extra

    return PostgresStore.connect(settings.store_url, max_size=max(10, settings.threads))


def _keys_provider(settings: ServeSettings) -> Any:
    if settings.key_file is not None:
        return FileKeyProvider(settings.key_file)
    if os.environ.get(DEFAULT_VARIABLE, "").strip():
        return EnvKeyProvider()
    raise ConfigurationError(
        "the online mall seals personal data from the first submission: give the master "
        "keys with --key-file PATH (or ONESTOP_KEY_FILE), or ONESTOP_MASTER_KEY"
    )


@attrs.define(kw_only=True)
class Runtime:
    """What a worker serves with.

    Attributes:
        settings: The settings it was started with.
        mall: The mall, over the store.
        desk: The document desk, sealing uploads with the mall's keys.
        courier: The courier desk, over the mall (its one-time codes keyed by the server's
            secret).
        secrets: Derives replayable lookup secrets.
        staff: The staff desk, over the store: accounts, sign-in, sessions, API tokens.
        csrf_secret: The secret the CSRF tokens of staff sessions are derived with (from
            the server's secret: the same in every worker).
        citizens: Who signs citizens in (`AnonymousCitizens` unless configured).
        started: When the worker started.
        identity: The identity provider staff sign in with (``--oidc-issuer``), or
            ``None``: local passwords only.
    """

    settings: ServeSettings
    mall: Mall
    desk: DocumentDesk
    courier: CourierDesk
    secrets: KeyedSecrets
    staff: StaffDesk
    csrf_secret: str = attrs.field(repr=False)
    citizens: CitizenSignIn
    started: datetime
    identity: StaffIdentityProvider | None = None
    _guard: threading.Lock = attrs.field(factory=threading.Lock, init=False, repr=False)
    _counters: dict[str, WriteLock] = attrs.field(factory=dict, init=False, repr=False)
    _known: frozenset[str] | None = attrs.field(default=None, init=False, repr=False)
    _writer: ThreadPoolExecutor | None = attrs.field(default=None, init=False, repr=False)
    _waits: ThreadPoolExecutor | None = attrs.field(default=None, init=False, repr=False)
    _loop_writes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Writes] = attrs.field(
        factory=weakref.WeakKeyDictionary, init=False, repr=False
    )
    _stopped: bool = attrs.field(default=False, init=False, repr=False)

    @classmethod
    def start(cls, settings: ServeSettings, *, strict: bool = False) -> Runtime:
        """Build the runtime of one worker.

        An identity provider that cannot be reached now is logged and tried again at the
        next sign-in, unless *strict* (``onestop serve --check``): see `identity_provider`.

        Raises:
            ConfigurationError: If the catalogue, the store, the keys or a file named by
                the settings cannot be used; the message names which.
            CatalogueError: If the catalogue does not load.
        """
        catalogue = load_catalogue(settings.catalogue)
        now = datetime.now(UTC)
        if not catalogue.calendars:
            raise ConfigurationError(
                "the catalogue declares no work calendar: add a [[calendars]] section"
            )
        versions = calendar_versions(catalogue, years=counted_years(catalogue, around=now.year))
        provider = _keys_provider(settings)
        server_secret = _server_secret(settings)
        keyed = KeyedSecrets(server_secret)
        citizens = _citizens(settings.citizen_sign_in)
        scanner = _scanner(settings.scanner)
        identity = identity_provider(settings, strict=strict)
        directory = settings.documents_dir or settings.beside_store(".documents")
        if directory is None:
            raise ConfigurationError(
                "give --documents-dir (ONESTOP_SERVE_DOCUMENTS_DIR): where uploads are kept"
            )
        store = open_store(settings)
        try:
            keys = Keyring(provider, store)  # type: ignore[arg-type]
            mall = Mall(
                catalogue=catalogue,
                store=store,
                calendar_versions=versions,
                keys=keys,
                ids=keyed,
                # A submission retries when another took its number first; each retry is
                # lost only to a submission that succeeded, so as many retries as there
                # are threads that could be submitting at once always get through.
                retries=min(MAX_RETRIES, settings.workers * settings.threads + 5),
                cache_size=settings.cache_size,
            )
            staff = staff_desk(store, keys)
            desk = DocumentDesk(
                FileDocuments(directory),
                keys,
                limit=settings.upload_limit,
                scanner=scanner,
                key_store=store,  # type: ignore[arg-type]
            )
            otp_key = hmac.new(server_secret, b"courier-otp", "sha256").digest()
            # Wrong handoff codes counted in the store: every worker's together.
            courier = CourierDesk(mall, otp_key=otp_key, failures=store)  # type: ignore[arg-type]
        except BaseException:
            store.close()
            raise
        return cls(
            settings=settings,
            mall=mall,
            desk=desk,
            courier=courier,
            secrets=keyed,
            staff=staff,
            csrf_secret=hmac.new(server_secret, b"onestop-csrf", "sha256").hexdigest(),
            citizens=citizens,
            started=now,
            identity=identity,
        )

    @contextmanager
    def submitting(self, service: str) -> Iterator[None]:
        """Hold this process's turn at *service*'s number counter for one submission.

        Submissions to one service take the next number of one counter; two that read it
        at once conflict, and one does its work again.  Taking turns within a process
        leaves only the other processes to conflict with, which the mall's retries absorb.
        """
        with self._guard:  # codes the catalogue does not know share one turn: no growth
            if self._known is None:
                self._known = frozenset(self.mall.catalogue.service_codes())
            turn = service if service in self._known else ""
            lock = self._counters.setdefault(turn, WriteLock())
        with lock:
            yield

    @property
    def local_store(self) -> bool:
        """Whether the store answers from this process without waiting: SQLite on a file
        (its reads go through a connection per thread that never waits for a commit,
        `SQLiteStore.reads_apart`) or memory.  Then reads run on the event loop itself,
        and so do actions and submissions, but for their waits, unless another write is
        under way (`write`); a store across a network (PostgreSQL), or SQLite in memory,
        is called in threads."""
        store = self.mall.store
        return isinstance(store, MemoryStore) or (
            isinstance(store, SQLiteStore) and store.reads_apart
        )

    async def read(self, call: Callable[[], _T], /) -> _T:
        """Run the blocking *call*, which only reads the store, and return its result: on
        the event loop itself on a local store (`local_store`), else in the pool."""
        return call() if self.local_store else await anyio.to_thread.run_sync(call)

    async def write(self, call: Callable[[], _T], /) -> _T:
        """Run the blocking *call*, which writes to the store, and return its result.

        On a local store (`local_store`) an action or a submission of this worker runs
        on the event loop itself when no other write is under way, its waits (the
        store's lock, another process's write, the ``COMMIT`` and its ``fsync``) handed
        to a thread while the loop serves other requests; one that comes while another
        is under way runs whole in the worker's writer thread
        (`onestop.web._bridge.Writes`).  Elsewhere writes run in the worker's pool.  A
        cancelled caller still waits for *call* to end (then the cancellation goes on),
        as ``anyio.to_thread.run_sync`` does.
        """
        writes = None
        if self.local_store:
            with self._guard:
                if self._writer is None and not self._stopped:
                    self._writer = ThreadPoolExecutor(1, thread_name_prefix="onestop-writer")
                    self._waits = ThreadPoolExecutor(1, thread_name_prefix="onestop-waits")
                if self._writer is not None and self._waits is not None:
                    loop = asyncio.get_running_loop()
                    writes = self._loop_writes.get(loop)
                    if writes is None:
                        writes = self._loop_writes[loop] = Writes(self._writer, self._waits)
        if writes is None:  # a store across a network, or a worker stopping
            return await anyio.to_thread.run_sync(call)
        # Waited for even when cancelled (the time limit's 503), as anyio waits for a
        # thread: what the request holds (its in-flight marker, the uploads it names) is
        # let go only once the write is over, never while it still runs.
        with anyio.CancelScope(shield=True):
            result = await writes.run(call)
        return result  # noqa: RET504 - a shielded scope could swallow; mypy needs the return outside

    def close(self) -> None:
        """Stop the writer threads (after their last writes), then close the store."""
        with self._guard:
            writer, waits = self._writer, self._waits
            self._writer, self._waits, self._stopped = None, None, True
        for pool in (writer, waits):
            if pool is not None:
                pool.shutdown(wait=True)
        self.mall.store.close()
