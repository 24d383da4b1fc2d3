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
import re
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
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
    {"/api/v1/applications", "/open311/v2/requests.json", "/api/v1/uploads"}
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


_WINDOW = 60
_RECORD = 32  # bytes of a counter file: "count:reset", padded


def _counts(scope: Scope) -> bool:
    """Whether the submission limit counts this request (read from the scope alone).

    `_SharedRateLimit` asks it before anything else and passes the requests it does not
    count straight on, so Litestar's ``check_throttle_handler`` is not given (it would
    ask again, through a `Request`, for every request that reaches the limiter).
    """
    method, path = scope.get("method"), scope["path"]
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
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
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


_COUNTER = re.compile(r"lookup-(?:client|number)-[0-9a-f]{32}")  # `_keys`; sweep only these


class CounterFiles:
    """Lookup counters in files beside a `FileStore`'s directory, read and written by
    blocking calls under one lock per process and an exclusive ``flock`` shared by the
    machine's workers (the lock file `StoreLock` uses for lookups).

    A counter is a file holding ``count:reset`` (the instant its window ends), padded
    to a fixed width and overwritten in place (no rename, no removal: a file-system
    metadata change per lookup queued every lookup behind the lock); a missing,
    unreadable or expired one counts 0.  The last `OPEN_COUNTERS` counters used stay
    open: a lookup's two counts then cost no ``open`` and ``close`` each.  One that a
    sweep (of any worker) removed is opened again: under the lock, an open counter
    whose file has no name left (``st_nlink`` 0) is not the counter any more.
    """

    OPEN_COUNTERS = 256
    """How many counters stay open between lookups (the most recently used)."""

    def __init__(self, store: FileStore) -> None:
        """Keep the counters of *store*'s lookups beside its directory."""
        self._directory = Path(f"{store.path}.lookups")
        self._lock_file = Path(f"{store.path}.lock-lookups")
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._open_counters: OrderedDict[str, int] = OrderedDict()
        self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # A counter that cannot be read or written (a directory made read-only, a full
        # disk) is the store's typed failure, as a document's is, not an internal error.
        try:
            with self._lock:
                if self._fd is None:
                    self._fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
        except OSError as exc:
            raise os_failure(exc, doing="count a failed lookup") from exc

    def _open(self, key: str) -> int:
        """*key*'s counter, open (call under `_locked`)."""
        kept = self._open_counters
        fd = kept.get(key)
        if fd is not None:
            if os.fstat(fd).st_nlink:
                kept.move_to_end(key)
                return fd
            del kept[key]  # swept since: its file is gone
            os.close(fd)
        fd = os.open(self._directory / key, os.O_RDWR | os.O_CREAT, 0o600)
        kept[key] = fd
        if len(kept) > self.OPEN_COUNTERS:
            os.close(kept.popitem(last=False)[1])
        return fd

    def close(self) -> None:
        """Close the counters kept open (they are opened again when next used)."""
        with self._lock:
            while self._open_counters:
                os.close(self._open_counters.popitem()[1])

    @staticmethod
    def _read(fd: int, now: float) -> tuple[int, int]:
        count, _, reset = os.pread(fd, _RECORD, 0).decode("ascii", "replace").partition(":")
        count, reset = count.strip(), reset.strip()
        if not count.isdigit() or not reset.isdigit() or int(reset) <= now:
            return 0, int(now) + _WINDOW
        return int(count), int(reset)

    @staticmethod
    def _write(fd: int, count: int, reset: int) -> None:
        os.pwrite(fd, f"{count}:{reset}".ljust(_RECORD).encode("ascii"), 0)

    def take(self, key: str, *, limit: int) -> None:
        """Count one more on the client's *key*, before its lookup runs.

        Raises:
            Throttled: If it is at *limit* already (nothing is counted then).
        """
        with self._locked():
            fd = self._open(key)
            now = time.time()
            count, reset = self._read(fd, now)
            _refuse_when_full(count, reset, limit, now)
            self._write(fd, count + 1, reset)

    def give_back(self, key: str) -> None:
        """Count one less on the client's *key* (not below 0): its lookup did not fail."""
        with self._locked():
            fd = self._open(key)
            count, reset = self._read(fd, time.time())
            if count > 0:
                self._write(fd, count - 1, reset)

    def fail(self, key: str, *, limit: int) -> int | None:
        """Count a failed lookup on the number's *key*, unless it is at *limit* already.

        Returns:
            ``None`` when counted; when at *limit*, the seconds until its window ends.
        """
        with self._locked():
            return self._fail(key, limit, time.time())

    def _fail(self, key: str, limit: int, now: float) -> int | None:
        fd = self._open(key)
        count, reset = self._read(fd, now)
        wait = _full_for(count, reset, limit, now)
        if wait is None:
            self._write(fd, count + 1, reset)
        return wait

    def counting(self, client: str, number: str, *, limit: int, call: Callable[[], _T]) -> _T:
        """Run the lookup *call* holding the lock, for a lookup that does not wait: the
        client's count is read before it, and the counts are written only if it fails.

        Returns:
            What *call* returned.

        Raises:
            Throttled: Before *call*, if the client's count is at *limit*; after it, if it
                failed and the number's count is at *limit* (the client's is counted).
            ApplicationNotFound: If *call* failed, counted on the client and the number.
        """
        with self._locked():
            fd = self._open(client)
            now = time.time()
            count, reset = self._read(fd, now)
            _refuse_when_full(count, reset, limit, now)
            try:
                return call()
            except ApplicationNotFound:
                self._write(fd, count + 1, reset)
                wait = self._fail(number, limit, now)
                if wait is not None:
                    raise Throttled(limit="lookups", retry_after=wait) from None
                raise

    def sweep(self) -> int:
        """Remove the counters whose window ended; return how many (they count 0 anyway)."""
        removed = 0
        now = time.time()
        for path in [p for p in self._directory.iterdir() if _COUNTER.fullmatch(p.name)]:
            # Locked per counter (microseconds): lookups on the loops must not wait long.
            with self._locked():
                try:
                    fd = os.open(path, os.O_RDONLY)
                    try:
                        count, _ = self._read(fd, now)
                    finally:
                        os.close(fd)
                    if count == 0:
                        path.unlink()
                        removed += 1
                        kept = self._open_counters.pop(path.name, None)
                        if kept is not None:
                            os.close(kept)
                except OSError:
                    continue
        return removed


def _full_for(count: int, reset: int, limit: int, now: float) -> int | None:
    """The seconds until a counter's window ends if its *count* has reached *limit*, else
    ``None``: the one rule of every lookup count, a client's or a number's."""
    return max(1, reset - int(now)) if count >= limit else None


def _refuse_when_full(count: int, reset: int, limit: int, now: float) -> None:
    """`Throttled` if a client's *count* of lookups in its window has reached *limit*."""
    if (wait := _full_for(count, reset, limit, now)) is not None:
        raise Throttled(limit="lookups", retry_after=wait)


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
            return 0, int(time.time()) + _WINDOW
        count, _, reset = raw.decode("ascii", "replace").partition(":")
        if not count.isdigit() or not reset.isdigit() or int(reset) <= time.time():
            return 0, int(time.time()) + _WINDOW
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
            _refuse_when_full(count, reset, self.lookups_per_minute, time.time())
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
                wait = _full_for(count, reset, self.lookups_per_minute, time.time())
                if wait is None:
                    await self._write(key, count + 1, reset)
        return wait

    async def _give_back(self, key: str) -> None:
        with anyio.CancelScope(shield=True):
            async with StoreLock(self.store, name="lookups"):
                count, reset = await self._count(key)
                if count > 0:
                    await self._write(key, count - 1, reset)
