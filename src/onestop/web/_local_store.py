"""Litestar's `FileStore`, its file operations done at once on the event loop.

The limits store (`onestop.web._app.limits_store`: the anonymous-submission counts, the
in-flight markers of submissions) is a directory on the machine's own disk.  Litestar's
`FileStore` sends every operation of it to a thread (``anyio.Path``): a ``get`` and a
``set`` of the submission limit made four hops and back, more CPU than the writes
themselves (``benchmarks/README.md``, third round).  `LocalFileStore` keeps the same
files, written the same way (a temporary file renamed over the entry), so workers of
either kind share them, but opens, reads, writes and renames them directly: system calls
on a local file that take microseconds, never a wait on another process's work.

A temporary file renamed over the entry makes a write whole for every reader, but costs
a journalled change of the directory (about 0.2 ms on ext4).  The submission limit,
whose readers and writers all hold one lock (`onestop.web._limits.StoreLock`), writes
its window in place instead (`LocalFileStore.overwrite`, some microseconds); the sweep of
expired entries (`LocalFileStore.delete_expired`), which takes no lock, passes over an
entry it cannot read rather than failing.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from datetime import timedelta

import msgspec
from litestar.stores.base import StorageObject
from litestar.stores.file import FileStore

__all__ = ["ENTRY_NAME", "LocalFileStore"]

ENTRY_NAME = re.compile(r"[0-9a-f]{64}(?:\.tmp[a-z0-9_]+)?")
"""The name of a file a `FileStore` writes: an entry (the BLAKE2s of its key) or the
temporary file it renames over one.  A sweep removes nothing else: the directory may be
one the operator keeps other files in."""


class LocalFileStore(FileStore):
    """A `FileStore` whose operations run on the caller's thread, without a hop."""

    UNREADABLE_FOR = 3600
    """Seconds after which `delete_expired` removes a file it cannot read."""

    def with_namespace(self, namespace: str) -> LocalFileStore:
        """Return a store of the same kind in a sub-directory *namespace* (alphanumeric)."""
        if not namespace.isalnum():
            raise ValueError(f"Invalid namespace: {namespace!r}")
        return LocalFileStore(self.path / namespace)

    def _read(self, key: str) -> StorageObject | None:
        try:
            with open(self._path_from_key(key), "rb") as file:
                return StorageObject.from_bytes(file.read())
        except FileNotFoundError:
            return None

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        """Store *value* under *key*, expiring after *expires_in* (seconds) if given."""
        os.makedirs(self.path, exist_ok=True)
        data = value.encode("utf-8") if isinstance(value, str) else value
        self._write_sync(self._path_from_key(key), StorageObject.new(data, expires_in))

    async def overwrite(
        self, key: str, value: bytes, expires_in: int | timedelta | None = None
    ) -> None:
        """Store *value* under *key* by writing its file in place, not renaming a new one.

        Only for a key whose every reader and writer holds one lock across processes
        while it reads or writes: without it a reader may see a write half done.
        """
        path = self._path_from_key(key)
        data = StorageObject.new(value, expires_in).to_bytes()
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except FileNotFoundError:  # the directory is not there (yet, or any more)
            os.makedirs(self.path, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            os.pwrite(fd, data, 0)
            if os.fstat(fd).st_size > len(data):
                os.ftruncate(fd, len(data))
        finally:
            os.close(fd)

    async def delete_expired(self) -> None:
        """Remove the expired entries, and unreadable files older than `UNREADABLE_FOR`
        (left by a writer killed in the middle); pass over younger unreadable ones (a
        write in progress), and every file not named as an entry (`ENTRY_NAME`)."""
        now = time.time()
        try:
            with os.scandir(self.path) as entries:
                files = [
                    entry
                    for entry in entries
                    if ENTRY_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)
                ]
        except FileNotFoundError:  # nothing was ever stored: nothing to remove
            return
        for entry in files:
            try:
                with open(entry.path, "rb") as file:
                    raw = file.read()
                modified = entry.stat().st_mtime
            except OSError:  # gone since, or not ours to read
                continue
            try:
                expired = StorageObject.from_bytes(raw).expired
            except msgspec.MsgspecError:  # a write in progress, or one a kill cut short
                expired = now - modified > self.UNREADABLE_FOR
            if expired:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        """The value under *key*, or ``None`` if there is none or it expired (then removed);
        *renew_for* pushes an expiring value's expiry that far from now."""
        stored = self._read(key)
        if stored is None:
            return None
        if stored.expired:
            await self.delete(key)
            return None
        if renew_for and stored.expires_at:
            await self.set(key, stored.data, expires_in=renew_for)
        return stored.data

    async def delete(self, key: str) -> None:
        """Remove *key*'s value, if there is one."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path_from_key(key))

    async def exists(self, key: str) -> bool:
        """Whether *key* has a value (expired or not, as `FileStore.exists` says)."""
        return os.path.exists(self._path_from_key(key))

    async def expires_in(self, key: str) -> int | None:
        """Seconds until *key*'s value expires, or ``None`` (no value, or no expiry: as
        Litestar's `Store` promises, where its `FileStore` answers -1)."""
        stored = self._read(key)
        return None if stored is None or stored.expires_at is None else stored.expires_in
