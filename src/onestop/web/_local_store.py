"""Litestar's `FileStore`, its file operations done at once on the event loop.

The limits store (`onestop.web._app.limits_store`: the anonymous-submission counts, the
in-flight markers of submissions) is a directory on the machine's own disk.  Litestar's
`FileStore` sends every operation of it to a thread (``anyio.Path``): a ``get`` and a
``set`` of the submission limit made four hops and back, more CPU than the writes
themselves (``benchmarks/README.md``, third round).  `LocalFileStore` keeps the same
files, written the same way (a temporary file renamed over the entry), so workers of
either kind share them, but opens, reads, writes and renames them directly: system calls
on a local file that take microseconds, never a wait on another process's work.
"""

from __future__ import annotations

import contextlib
import os
from datetime import timedelta

from litestar.stores.base import StorageObject
from litestar.stores.file import FileStore

__all__ = ["LocalFileStore"]


class LocalFileStore(FileStore):
    """A `FileStore` whose operations run on the caller's thread, without a hop."""

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
