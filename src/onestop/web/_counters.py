"""Failed tracking lookups counted in files, shared by the workers on one machine.

`onestop.web._limits.Limits` counts a client's and a number's failed lookups here when
its store is a `FileStore` (the limits' directory): each counter a small file beside that
directory, in ``<limits-dir>.lookups/``, read and written under a ``flock`` every worker
shares (see `CounterFiles`).  Counters are opened without following a link and without
waiting (``O_NOFOLLOW``, ``O_NONBLOCK``): one that is not a regular file is refused, never
written through nor waited on.
"""

from __future__ import annotations

import os
import re
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from litestar.stores.file import FileStore

from onestop.exceptions import ApplicationNotFound, StorageError, Throttled
from onestop.storage.documents import os_failure

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the counters need a FileStore's flock
    fcntl = None  # type: ignore[assignment]

__all__ = ["WINDOW", "CounterFiles", "full_for", "refuse_when_full"]

_T = TypeVar("_T")

WINDOW = 60
"""Seconds of a lookup counter's window."""
_RECORD = 32  # bytes of a counter file: "count:reset", padded
_OPEN = os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK  # a link or a FIFO planted: refused


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
                    self._fd = _regular(os.open(self._lock_file, _OPEN | os.O_CREAT, 0o600))
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
        try:
            fd = _regular(os.open(self._directory / key, _OPEN | os.O_CREAT, 0o600))
        except FileNotFoundError:  # its directory was removed: make it again
            self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = _regular(os.open(self._directory / key, _OPEN | os.O_CREAT, 0o600))
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
            return 0, int(now) + WINDOW
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
            refuse_when_full(count, reset, limit, now)
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
        wait = full_for(count, reset, limit, now)
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
            refuse_when_full(count, reset, limit, now)
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
                    fd = _regular(os.open(path, _OPEN))
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
                except (OSError, StorageError):  # gone, or not a counter of ours
                    continue
        return removed


def full_for(count: int, reset: int, limit: int, now: float) -> int | None:
    """The seconds until a counter's window ends if its *count* has reached *limit*, else
    ``None``: the one rule of every lookup count, a client's or a number's."""
    return max(1, reset - int(now)) if count >= limit else None


def refuse_when_full(count: int, reset: int, limit: int, now: float) -> None:
    """`Throttled` if a client's *count* of lookups in its window has reached *limit*."""
    if (wait := full_for(count, reset, limit, now)) is not None:
        raise Throttled(limit="lookups", retry_after=wait)


def _regular(fd: int) -> int:
    """*fd* if it is a regular file's; else it is closed, and `StorageError` raised."""
    if stat.S_ISREG(os.fstat(fd).st_mode):
        return fd
    os.close(fd)
    raise StorageError("cannot count a failed lookup: a counter is not a regular file")
