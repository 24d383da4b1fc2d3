"""Limits shared by every worker: anonymous submissions and failed tracking lookups.

Both are counted in a Litestar `Store` that every worker process of one server shares
(a `FileStore` in ``limits_dir`` on one machine; a Redis or Valkey store across
machines), so that starting more workers does not multiply what a client may do.

- **Submissions and uploads** are limited per client address by Litestar's own
  `RateLimitConfig` (`submission_limit`), on the routes that create applications or keep
  documents only.
- **Failed lookups** of a tracking number are counted per client address *and* per
  number (`Limits`): a client is cut off after too many failures, and failures on one
  number from many clients are answered 429 once too many.  Only failures count, and a
  correct secret is served even when its number's count is full, so nobody can lock a
  citizen out of their own application by failing on its number.

Every count is read and written under a lock (`StoreLock`, one for submissions and one
for lookups): an ``anyio`` lock in the process and, over a `FileStore`, an exclusive
``flock`` on a file beside the counters' directory, which the workers on the machine
share.  Without it two workers (or two requests of one worker) read the same count and
each write it plus one, and a burst of concurrent guesses is never counted at all.  A
client's lookup is counted *before* it runs and given back when it succeeds
(`Limits.lookup`), so concurrent guesses cannot all pass the check before the first
failure is written.  A number's count is written only when a lookup of it fails: it
never refuses a lookup, it only decides whether a failure is answered 404 or 429, so a
successful lookup reads and writes one counter, not two.  (A hard limit per number would
let anyone lock a citizen out, numbers being sequential; the secret's 128 random bits
are what make guessing hopeless, the number's limit only slows guessing spread over many
clients.)  Over a `FileStore` the lookup counts are kept in files of their own beside it
(`CounterFiles`), counted and given back where the lookup runs (`Limits.tracked`): one
hop to a thread per lookup at most, instead of one per file read and write.  Over a
store of another kind (Redis across machines) only the process's lock applies; each
machine can then admit a few more than the limit.

The client address is the connection's peer, as the server reports it: behind a reverse
proxy, have uvicorn trust the proxy's ``X-Forwarded-For`` (``--forwarded-allow-ips``),
never the header alone.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import anyio
import attrs
import msgspec
from litestar import Request
from litestar.exceptions import SerializationException
from litestar.middleware.rate_limit import (
    DURATION_VALUES,
    CacheObject,
    RateLimitConfig,
    RateLimitMiddleware,
)
from litestar.serialization import decode_json, encode_json
from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.types import Receive, Scope, Send

from onestop.exceptions import ApplicationNotFound, Throttled
from onestop.storage.documents import os_failure
from onestop.web._counters import WINDOW, CounterFiles, full_for, refuse_when_full
from onestop.web._local_store import LocalFileStore

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the process's lock only
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "SUBMISSION_ROUTES",
    "CounterFiles",
    "Limits",
    "StoreLock",
    "client_key",
    "submission_limit",
]

_T = TypeVar("_T")

SUBMISSION_ROUTES = frozenset(
    {
        "/api/v1/applications",
        "/open311/v2/requests.json",
        "/open311/v2/requests.xml",
        "/api/v1/uploads",
    }
)
"""The paths whose POST creates an application or keeps a document: what the submission
limit counts (an upload fills the disk until it is swept, so it counts like a submission)."""


@functools.lru_cache(maxsize=4096)
def client_key(host: str, /) -> str:
    """The key a client's limits are counted under: its IPv4 address, or the /64 network of
    its IPv6 address (one subscriber holds a whole /64, so each address alone would give
    them 2**64 fresh limits).  The last 4,096 addresses' keys are remembered: parsing an
    address cost more than the rest of a tracking lookup's counting."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _client_of(request: Request[Any, Any, Any]) -> str:
    return client_key(request.client.host if request.client is not None else "unknown")


def _counts(scope: Scope) -> bool:
    """Whether the submission limit counts this request (read from the scope alone).

    `_SharedRateLimit` asks it before anything else and passes the requests it does not
    count straight on, so Litestar's ``check_throttle_handler`` is not given (it would
    ask again, through a `Request`, for every request that reaches the limiter).
    """
    # The route matched (a path spelled with a trailing or a doubled slash is routed
    # to it as well), falling back on the path for a scope not routed.
    method, path = scope.get("method"), scope.get("path_template") or scope["path"]
    # Starting a staff sign-in at the identity provider keeps a state in the store for
    # minutes: limited like a submission, so anonymous requests cannot fill the store.
    return (method == "POST" and path in SUBMISSION_ROUTES) or (
        method == "GET" and path == OIDC_START
    )


OIDC_START = "/api/v1/staff/oidc/start"
"""The route that begins a staff sign-in at an identity provider (counted as a submission)."""


_PROCESS_LOCKS: dict[str, anyio.Lock] = {}


class StoreLock:
    """An async lock on a store's counters, shared by the process and, over a
    `FileStore`, by every process on the machine (an exclusive ``flock``)."""

    def __init__(self, store: Store, *, name: str) -> None:
        """Lock the counters of one kind (*name*: ``submissions``, ``lookups``) in *store*,
        so that a flood of one kind does not queue the other."""
        directory = store.path if isinstance(store, FileStore) else None
        # Beside the store's directory, not in it: the store reads every file it holds.
        self._file = (
            None if directory is None or fcntl is None else Path(f"{directory}.lock-{name}")
        )
        key = str(self._file) if self._file is not None else f"store:{id(store)}:{name}"
        self._lock = _PROCESS_LOCKS.setdefault(key, anyio.Lock())
        self._fd: int | None = None
        self._inline = isinstance(store, LocalFileStore)

    async def __aenter__(self) -> None:
        """Take the process's lock, then the machine's (in a thread, as it blocks, unless
        the store is a `LocalFileStore`, whose operations are all made on the loop)."""
        await self._lock.acquire()
        if self._file is None:
            return
        try:
            # Over a `LocalFileStore` at once: another worker holds it for microseconds.
            self._fd = (
                self._take(self._file)
                if self._inline
                else await anyio.to_thread.run_sync(self._take, self._file)
            )
        except BaseException:
            self._lock.release()
            raise

    @staticmethod
    def _take(path: Path) -> int:
        """The lock file *path*, open and locked (never a link followed, a FIFO waited on).

        Raises:
            StorageError: If it cannot be opened or locked.
        """
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600)
        except OSError as exc:
            raise os_failure(exc, doing="take the limits' lock") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException as exc:
            os.close(fd)
            if isinstance(exc, OSError):
                raise os_failure(exc, doing="take the limits' lock") from exc
            raise
        return fd

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Give both locks back."""
        try:
            if self._fd is not None:
                fd, self._fd = self._fd, None
                os.close(fd)  # closing the descriptor releases the flock
        finally:
            self._lock.release()


class _SharedRateLimit(RateLimitMiddleware):
    """Litestar's rate limiter, counting under a `StoreLock` instead of its own
    per-process lock, so that the workers' counts add up, passing every request it does
    not count straight on, and keeping each window's count as a number.

    Litestar stores a timestamp per request of the current window and reads only how
    many there are (the window is fixed: it starts over at ``reset``); decoding and
    encoding that list whole on every counted request made a submission's cost grow
    with the limit (at a million a minute, about a millisecond).  The window, the
    lock, the 429 and the ``RateLimit-*`` headers stay Litestar's; only what is
    stored is ``{"count": n, "reset": r}``.  A record in Litestar's own form (from an
    earlier version, within its window) is read by its length; one that cannot be read
    starts a new window rather than failing the request.  Over a `LocalFileStore` shared
    under a ``flock`` the window is written in place (`LocalFileStore.overwrite`): every
    reader and writer of it holds that lock.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _counts(scope):  # most requests: no `Request` built, no check awaited
            await self.app(scope, receive, send)
            return
        if not isinstance(self._lock, StoreLock):
            self._lock = StoreLock(
                self.config.get_store_from_app(scope["litestar_app"]), name="submissions"
            )  # type: ignore[assignment]
        await super().__call__(scope, receive, send)

    async def retrieve_cached_history(self, key: str, store: Store) -> CacheObject:
        """The current window of *key*: as many entries as requests counted in it."""
        now = int(time.time())
        try:
            stored = await store.get(key)
        except msgspec.MsgspecError:  # a write cut short (a worker killed): a new window
            stored = None
        count, reset = _window_of(stored)
        if reset <= now:
            return CacheObject(history=[], reset=now + DURATION_VALUES[self.unit])
        # no more entries than the limit: that is all the check and the headers tell apart
        return CacheObject(history=[reset] * min(count, self.max_requests), reset=reset)

    async def set_cached_history(self, key: str, cache_object: CacheObject, store: Store) -> None:
        """Count one more request in *cache_object*'s window and store the count."""
        cache_object.history.append(int(time.time()))
        record = encode_json({"count": len(cache_object.history), "reset": cache_object.reset})
        if isinstance(store, LocalFileStore) and fcntl is not None:  # under the machine's lock
            await store.overwrite(key, record, expires_in=DURATION_VALUES[self.unit])
        else:
            await store.set(key, record, expires_in=DURATION_VALUES[self.unit])


def _window_of(stored: bytes | None) -> tuple[int, int]:
    """The count and end of a stored window, ``(0, 0)`` (over) if absent or unreadable."""
    if not stored:
        return 0, 0
    try:
        record = decode_json(stored)
    except SerializationException:
        return 0, 0
    if not isinstance(record, dict):
        return 0, 0
    reset, count = record.get("reset"), record.get("count")
    if isinstance(record.get("history"), list):  # Litestar's own form
        count = len(record["history"])
    if type(reset) is not int or type(count) is not int or count < 0:
        return 0, 0
    return count, reset


def submission_limit(per_minute: int, *, store: str = "limits") -> RateLimitConfig:
    """Litestar's rate limit on anonymous submissions: *per_minute* per client address."""
    return RateLimitConfig(
        rate_limit=("minute", per_minute),
        identifier_for_request=_client_of,
        store=store,
        middleware_class=_SharedRateLimit,
    )


@functools.lru_cache(maxsize=4096)  # a client's key is digested for each of its lookups
def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@attrs.define(kw_only=True)
class Limits:
    """Counts failed lookups in a shared store and refuses once there are too many.

    Attributes:
        store: The store shared by the workers.
        lookups_per_minute: Failures allowed per client, and per number, per minute.
    """

    store: Store
    lookups_per_minute: int
    _files: CounterFiles | None = attrs.field(init=False, default=None)

    def __attrs_post_init__(self) -> None:
        if isinstance(self.store, FileStore) and fcntl is not None:
            self._files = CounterFiles(self.store)

    async def tracked(
        self, *, client: str, number: str, call: Callable[[], _T], inline: bool = False
    ) -> _T:
        """Run the blocking lookup *call* in a thread, counted as `lookup` counts it.

        *inline*: run it on the event loop instead, counters and all, when the store
        answers without waiting for a writer (`Runtime.local_store`): a hop to a thread
        and back cost more CPU than the lookup itself.  Over counter files it then runs
        holding their lock (`CounterFiles.counting`): a lookup that succeeds reads one
        counter and writes none; the machine's other workers wait for the lookup's
        fraction of a millisecond.

        Raises:
            Throttled: As `lookup`.
        """
        files = self._files
        if files is None:
            async with self.lookup(client=client, number=number):
                return await anyio.to_thread.run_sync(call)
        client_key, number_key = (k.replace(":", "-") for k in self._keys(client, number))
        limit = self.lookups_per_minute

        if inline:  # nothing else of this process runs meanwhile: the lock held throughout
            return files.counting(client_key, number_key, limit=limit, call=call)

        def counted() -> _T:
            files.take(client_key, limit=limit)
            try:
                found = call()
            except ApplicationNotFound:
                wait = files.fail(number_key, limit=limit)
                if wait is not None:
                    raise Throttled(limit="lookups", retry_after=wait) from None
                raise
            except BaseException:
                files.give_back(client_key)
                raise
            files.give_back(client_key)
            return found

        return await anyio.to_thread.run_sync(counted)

    def close(self) -> None:
        """Close the counter files kept open, if any (the server is stopping)."""
        if self._files is not None:
            self._files.close()

    def sweep(self) -> None:
        """Remove expired counters: the lookup files, and the store's expired entries."""
        if self._files is not None:
            self._files.sweep()
        if isinstance(self.store, FileStore):
            anyio.run(self.store.delete_expired)

    @staticmethod
    def client_of(request: Request[Any, Any, Any]) -> str:
        """The client's key (`client_key`) from its address, as the server saw it."""
        return _client_of(request)

    def _keys(self, client: str, number: str) -> tuple[str, str]:
        # Numbers and addresses are kept hashed: the store holds no application number.
        return f"lookup:client:{_digest(client)}", f"lookup:number:{_digest(number)}"

    async def _count(self, key: str) -> tuple[int, int]:
        raw = await self.store.get(key)
        if raw is None:
            return 0, int(time.time()) + WINDOW
        count, _, reset = raw.decode("ascii", "replace").partition(":")
        if not count.isdigit() or not reset.isdigit() or int(reset) <= time.time():
            return 0, int(time.time()) + WINDOW
        return int(count), int(reset)

    @asynccontextmanager
    async def lookup(self, *, client: str, number: str) -> AsyncIterator[None]:
        """Count a lookup from *client* as failed while it runs, and give it back unless
        it fails with `ApplicationNotFound`; count a failure on *number* when it does.

        Raises:
            Throttled: Before the lookup, after too many failures from *client*; after
                it, when it failed and *number* has had too many failures already.
        """
        client_key, number_key = self._keys(client, number)
        async with StoreLock(self.store, name="lookups"):
            count, reset = await self._count(client_key)
            refuse_when_full(count, reset, self.lookups_per_minute, time.time())
            await self._write(client_key, count + 1, reset)
        try:
            yield
        except ApplicationNotFound:
            wait = await self._fail(number_key)
            if wait is not None:
                raise Throttled(limit="lookups", retry_after=wait) from None
            raise
        except BaseException:
            await self._give_back(client_key)
            raise
        await self._give_back(client_key)

    async def _write(self, key: str, count: int, reset: int) -> None:
        left = max(1, reset - int(time.time()))
        await self.store.set(key, f"{count}:{reset}".encode("ascii"), expires_in=left)

    async def _fail(self, key: str) -> int | None:
        wait: int | None = None
        with anyio.CancelScope(shield=True):
            async with StoreLock(self.store, name="lookups"):
                count, reset = await self._count(key)
                wait = full_for(count, reset, self.lookups_per_minute, time.time())
                if wait is None:
                    await self._write(key, count + 1, reset)
        return wait

    async def _give_back(self, key: str) -> None:
        with anyio.CancelScope(shield=True):
            async with StoreLock(self.store, name="lookups"):
                count, reset = await self._count(key)
                if count > 0:
                    await self._write(key, count - 1, reset)
