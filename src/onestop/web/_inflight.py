"""Submissions in flight: a marker per ``Idempotency-Key`` in the workers' shared store.

While one request under an idempotency key is being submitted, another request under
the same key (a double click, an impatient retry, the same key sent to another worker)
is answered 409 (`SubmissionInProgress`) instead of racing it.  The marker is an entry of
the limits store every worker shares (`onestop.web._app.limits_store`), keyed by a digest
of the key (the key itself is never stored), and removed when the submission ends.  It
expires on its own after `InFlight.seconds`, so a worker killed in the middle of a
submission blocks its key for that long at most.

Claiming must be atomic across processes, which Litestar's `Store` interface is not
(``get`` then ``set`` lets two workers both see no marker).  So a `FileStore` marker is
created with ``O_EXCL`` under the entry's name (the call fails if the name exists): exactly
one claimer wins, then writes the marker into it.  A marker read while it is still being
written (or left empty by a worker killed in between) is held until its file's time plus
`InFlight.seconds`.  The entry is an ordinary `StorageObject`, so ``store.get`` reads it
and honours its expiry.  A `MemoryStore` serves one process only; a lock
makes its ``get`` and ``set`` one step.  Other stores get the same lock, which makes them
atomic within a process only.

Even if two claims of an *expired* marker both won (the window is a few instructions
after a crash), nothing goes wrong: the store's own idempotency record still makes one
submission win and the other a replay; the marker only turns that race into a clear 409.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import attrs
from litestar.stores.base import StorageObject, Store
from litestar.stores.file import FileStore

from onestop.exceptions import SubmissionInProgress
from onestop.storage.documents import os_failure
from onestop.web._local_store import LocalFileStore

__all__ = ["UPLOADS", "InFlight", "holding_uploads"]


def _marker_key(scope: str, idempotency_key: str) -> str:
    digest = hashlib.sha256(f"{scope}\x00{idempotency_key}".encode()).hexdigest()[:40]
    return f"inflight:{digest}"


def _file_of(store: FileStore, key: str) -> Path:
    # FileStore names an entry's file by the BLAKE2s of its key (a test checks that
    # `store.get` reads what `_claim_file` wrote, so a change in Litestar shows).
    return Path(str(store.path)) / hashlib.blake2s(key.encode()).hexdigest()


def _read_marker(path: Path, seconds: int) -> StorageObject | None:
    try:
        return StorageObject.from_bytes(path.read_bytes())
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - unreadable: being written, or cut short by a kill
        try:  # held for a marker's life from when it was written, then stale
            written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except FileNotFoundError:
            return None
        return StorageObject(data=b"", expires_at=written + timedelta(seconds=seconds))


def _claim_file(path: Path, token: bytes, seconds: int) -> bool:
    """Make *path* the claim *token*'s marker; tell whether it was free.

    Raises:
        StorageError: If it cannot be made or written (a full disk): nothing is left.
    """
    try:
        return _claim_once(path, StorageObject.new(token, expires_in=seconds).to_bytes(), seconds)
    except OSError as exc:
        raise os_failure(exc, doing="mark a submission in flight") from exc


def _claim_once(path: Path, data: bytes, seconds: int) -> bool:
    for _ in range(3):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileNotFoundError:  # the directory is not there (yet, or any more)
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            continue
        except FileExistsError:
            held = _read_marker(path, seconds)
            if held is None:  # released meanwhile: try again, leaving whatever is there now
                continue
            if not held.expired:
                return False
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # a marker left by a worker that died: take its place
            continue
        try:
            os.write(fd, data)
        except OSError:
            path.unlink(missing_ok=True)  # an empty marker would hold the key for nothing
            raise
        finally:
            os.close(fd)
        return True
    return False


def _release_file(path: Path, token: bytes) -> None:
    held = _read_marker(path, 0)
    if held is not None and held.data == token:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


@attrs.define(kw_only=True)
class InFlight:
    """Claims and releases the in-flight marker of a submission's idempotency key.

    Attributes:
        store: The store every worker shares (the limits store).
        seconds: How long a marker lasts if its worker never removes it.
    """

    store: Store
    seconds: int
    _lock: asyncio.Lock = attrs.field(init=False, factory=asyncio.Lock)

    def key(self, scope: str, idempotency_key: str) -> str:
        """The store key of the marker of *idempotency_key* in *scope* (a digest)."""
        return _marker_key(scope, idempotency_key)

    async def claim(self, scope: str, idempotency_key: str) -> bytes | None:
        """Mark *idempotency_key* in flight; return the claim's token, or ``None`` if
        another request holds it."""
        key = self.key(scope, idempotency_key)
        token = secrets.token_hex(16).encode("ascii")
        if isinstance(self.store, FileStore):
            path = _file_of(self.store, key)
            if isinstance(self.store, LocalFileStore):  # a few system calls: no hop
                won = _claim_file(path, token, self.seconds)
            else:
                won = await anyio.to_thread.run_sync(_claim_file, path, token, self.seconds)
            return token if won else None
        async with self._lock:
            if await self.store.get(key) is not None:
                return None
            await self.store.set(key, token, expires_in=self.seconds)
        return token

    async def release(self, scope: str, idempotency_key: str, token: bytes) -> None:
        """Remove the marker of *idempotency_key* if it is still the claim *token*'s."""
        key = self.key(scope, idempotency_key)
        if isinstance(self.store, FileStore):
            if isinstance(self.store, LocalFileStore):
                _release_file(_file_of(self.store, key), token)
            else:
                await anyio.to_thread.run_sync(_release_file, _file_of(self.store, key), token)
            return
        async with self._lock:
            if await self.store.get(key) == token:
                await self.store.delete(key)


@asynccontextmanager
async def holding_key(
    inflight: InFlight, actor_id: str, idempotency_key: str | None
) -> AsyncIterator[None]:
    """Hold *actor_id*'s *idempotency_key* in flight, across workers, until the block
    ends (nothing to hold without a key).

    Raises:
        SubmissionInProgress: If another request holds it.
    """
    if idempotency_key is None:
        yield
        return
    token = await inflight.claim(actor_id, idempotency_key)
    if token is None:
        raise SubmissionInProgress
    try:
        yield
    finally:
        await inflight.release(actor_id, idempotency_key, token)


UPLOADS = "upload"
"""The in-flight scope of uploads a submission holds (actor ids have a colon; this has none)."""


@asynccontextmanager
async def holding_uploads(inflight: InFlight, document_ids: Iterable[str]) -> AsyncIterator[None]:
    """Hold each upload named, across workers, until the block ends.

    Two submissions naming one upload at once would each make an application before the
    second attach failed, leaving an application whose citizen got no receipt; the
    second is refused instead, before anything is made.

    Raises:
        SubmissionInProgress: If another submission holds one of them (``upload=True``).
    """
    held: list[tuple[str, bytes]] = []
    try:
        for document_id in dict.fromkeys(document_ids):
            claim = await inflight.claim(UPLOADS, document_id)
            if claim is None:
                raise SubmissionInProgress(upload=True)
            held.append((document_id, claim))
        yield
    finally:
        for document_id, claim in held:
            await inflight.release(UPLOADS, document_id, claim)
