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
import stat
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import msgspec
from litestar.stores.base import StorageObject
from litestar.stores.file import FileStore

from onestop.domain.common.formats import preview_path
from onestop.exceptions import ConfigurationError, StorageError
from onestop.storage.documents import os_failure

__all__ = ["ENTRY_NAME", "LocalFileStore", "private_directory"]

ENTRY_NAME = re.compile(r"[0-9a-f]{64}(?:\.tmp[a-z0-9_]+)?")
"""The name of a file a `FileStore` writes: an entry (the BLAKE2s of its key) or the
temporary file it renames over one.  A sweep removes nothing else: the directory may be
one the operator keeps other files in."""


def private_directory(path: Path, /, *, setting: str) -> None:
    """Make the directory *path* (mode ``0700``) if missing, and refuse one that another
    user could put files in: the server's shared state lives there, named predictably, so
    a link planted under one of its names would have the server write through it.

    Raises:
        ConfigurationError: If it cannot be made, is not a directory, belongs to another
            user or may be written by its group or others.  *setting* names the option.
    """
    shown = preview_path(str(path))
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        found = path.stat()
    except OSError as exc:
        raise ConfigurationError(
            f"{setting}: the directory {shown} cannot be made: {exc.strerror}"
        ) from None
    if not stat.S_ISDIR(found.st_mode):
        raise ConfigurationError(f"{setting}: {shown} is not a directory")
    user = getattr(os, "geteuid", None)
    if user is None:  # pragma: no cover - Windows: its ACLs, not modes, say who may write
        return
    if found.st_uid != user():
        raise ConfigurationError(
            f"{setting}: the directory {shown} belongs to user {found.st_uid}, not to the "
            f"server's ({user()}): give one of the server's own"
        )
    if found.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigurationError(
            f"{setting}: the directory {shown} may be written by other users (mode "
            f"{stat.S_IMODE(found.st_mode):04o}): make it the server's alone (chmod go-w)"
        )


_OWN = os.O_NOFOLLOW | os.O_NONBLOCK  # an entry is never read or written through a link


class LocalFileStore(FileStore):
    """A `FileStore` whose operations run on the caller's thread, without a hop.

    Its reads and writes raise `StorageError` where the system refuses them (a full
    disk), and follow no link planted under an entry's name.
    """

    UNREADABLE_FOR = 3600
    """Seconds after which `delete_expired` removes a file it cannot read."""

    def with_namespace(self, namespace: str) -> LocalFileStore:
        """Return a store of the same kind in a sub-directory *namespace* (alphanumeric)."""
        if not namespace.isalnum():
            raise ValueError(f"Invalid namespace: {namespace!r}")
        return LocalFileStore(self.path / namespace)

    def _read(self, key: str) -> StorageObject | None:
        try:
            fd = os.open(self._path_from_key(key), os.O_RDONLY | _OWN)
        except FileNotFoundError:
            return None
        except OSError as exc:  # a link planted under the entry's name is ELOOP
            raise os_failure(exc, doing="read a limits entry") from exc
        try:
            with os.fdopen(fd, "rb") as file:
                return StorageObject.from_bytes(file.read())
        except OSError as exc:
            raise os_failure(exc, doing="read a limits entry") from exc

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        """Store *value* under *key*, expiring after *expires_in* (seconds) if given.

        Raises:
            StorageError: If it cannot be written (a full disk).
        """
        data = value.encode("utf-8") if isinstance(value, str) else value
        target = self._path_from_key(key)
        try:
            os.makedirs(self.path, exist_ok=True)
            # As `FileStore._write_sync` writes it, but a failure is told, not passed over.
            fd, temporary = tempfile.mkstemp(dir=self.path, prefix=f"{target.name}.tmp")
            try:
                try:
                    os.write(fd, StorageObject.new(data, expires_in).to_bytes())
                finally:
                    os.close(fd)
                os.replace(temporary, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError as exc:
            raise os_failure(exc, doing="write a limits entry") from exc

    async def overwrite(
        self, key: str, value: bytes, expires_in: int | timedelta | None = None
    ) -> None:
        """Store *value* under *key* by writing its file in place, not renaming a new one.

        Only for a key whose every reader and writer holds one lock across processes
        while it reads or writes: without it a reader may see a write half done.

        Raises:
            StorageError: If it cannot be written (a full disk), or is not a regular file.
        """
        path = self._path_from_key(key)
        data = StorageObject.new(value, expires_in).to_bytes()
        try:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | _OWN, 0o600)
            except FileNotFoundError:  # the directory is not there (yet, or any more)
                os.makedirs(self.path, exist_ok=True)
                fd = os.open(path, os.O_RDWR | os.O_CREAT | _OWN, 0o600)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise StorageError("cannot write a limits entry: it is not a regular file")
                os.pwrite(fd, data, 0)
                if os.fstat(fd).st_size > len(data):
                    os.ftruncate(fd, len(data))
            finally:
                os.close(fd)
        except OSError as exc:
            raise os_failure(exc, doing="write a limits entry") from exc

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
