"""Document stores: in memory (the executable specification) and on the filesystem.

Both implement `onestop.ports.documents.DocumentStore` and keep the same promises
(`onestop.testing.document_contracts`).  They keep what the desk gives them: sealed
bytes and a record with nothing personal in clear.

`FileDocuments` keeps each document in one file of its directory, ``<id>.doc``: the
sealed bytes, then the record as JSON and the record's length (4 bytes), so that a
document and its record are written and replaced together.  A file is written to a
temporary file of the ``tmp`` folder (mode ``0600``, never following a link), flushed
to disk, then renamed over its place: a reader sees the old version or the new one,
never half of one.  File names come from document ids (``[A-Za-z0-9_-]``), never from
a user's input.  Listing the documents of an application reads every record: fine for
a mall's tens of thousands of documents, not for millions.

`os_failure` is the one place where an `OSError` becomes a `StorageError`.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Final

from onestop.domain.common.formats import int_problem, kind_of, preview_path
from onestop.exceptions import (
    DocumentNotFound,
    InvalidStoreInput,
    StorageError,
    StorageUnavailable,
)
from onestop.ports.documents import (
    MAX_DOCUMENT_PAGE,
    DocumentRecord,
    check_document_id,
    check_record,
    is_document_id,
)

__all__ = ["FileDocuments", "MemoryDocuments", "os_failure"]

_PIECE: Final = 256 * 1024
_STALE_PART_SECONDS: Final = 3600.0
_PART_SUFFIX: Final = re.compile(r"[0-9a-f]{16}\.part")  # after the id: secrets.token_hex(8)
"""How old a partial file must be before a new `FileDocuments` removes it (a writer's
file is written to continuously, so one an hour old was left by a killed process)."""
_TRANSIENT: Final = frozenset(
    {errno.EAGAIN, errno.EINTR, errno.EIO, errno.ETIMEDOUT, errno.ESTALE, errno.EBUSY}
)
_NO_SPACE: Final = frozenset({errno.ENOSPC, errno.EDQUOT})
_DENIED: Final = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


def os_failure(error: OSError, /, *, doing: str) -> StorageError:
    """Return the `StorageError` that *error* is, while *doing* something (for the message).

    Disk full and permission denied are `StorageError`; an interrupted or timed out
    I/O, a busy or stale file are `StorageUnavailable` (retrying may succeed).  The
    message names what was done and the system's reason, not the file's content.
    """
    code = getattr(error, "errno", None)
    if code in _NO_SPACE:
        return StorageError(f"cannot {doing}: no space left")
    if code in _DENIED:
        return StorageError(f"cannot {doing}: permission denied")
    if code in _TRANSIENT:
        return StorageUnavailable(f"cannot {doing} now: {error.strerror or 'I/O error'}")
    return StorageError(f"cannot {doing}: {getattr(error, 'strerror', None) or 'OS error'}")


def _check_page(cutoff: object, limit: object) -> None:
    if not isinstance(cutoff, datetime) or cutoff.utcoffset() is None:
        raise InvalidStoreInput(field="cutoff", reason="expected an aware datetime")
    reason = int_problem(limit, minimum=1, maximum=MAX_DOCUMENT_PAGE)
    if reason is not None:
        raise InvalidStoreInput(field="limit", reason=reason)


def _check_application(application_id: object) -> str:
    if not isinstance(application_id, str):
        raise InvalidStoreInput(
            field="application_id", reason=f"expected text, not {kind_of(application_id)}"
        )
    return application_id


def _oldest_first(records: Iterable[DocumentRecord]) -> list[DocumentRecord]:
    return sorted(records, key=lambda r: (r.created_at, r.document_id))


class MemoryDocuments:
    """A `DocumentStore` in memory: the executable specification.  Threads may share it."""

    def __init__(self) -> None:
        """Start empty."""
        self._documents: dict[str, tuple[DocumentRecord, bytes]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        """Show how many documents it holds."""
        return f"<MemoryDocuments documents={len(self._documents)}>"

    def put(
        self,
        document_id: str,
        chunks: Iterable[bytes],
        /,
        *,
        record: Callable[[], DocumentRecord],
    ) -> DocumentRecord:
        """Keep *chunks* as *document_id*, described by ``record()``; all or nothing."""
        check_document_id(document_id)
        data = bytearray()
        for chunk in chunks:
            if not isinstance(chunk, bytes | bytearray | memoryview):
                raise InvalidStoreInput(
                    field="chunks", reason=f"expected bytes, not {kind_of(chunk)}"
                )
            data += chunk
        made = check_record(record(), document_id=document_id)
        with self._lock:
            self._documents[document_id] = (made, bytes(data))
        return made

    def _found(self, document_id: str) -> tuple[DocumentRecord, bytes]:
        found = self._documents.get(document_id) if is_document_id(document_id) else None
        if found is None:
            raise DocumentNotFound(document_id=str(document_id))
        return found

    def record(self, document_id: str, /) -> DocumentRecord:
        """Return the record of *document_id*, or raise `DocumentNotFound`."""
        return self._found(document_id)[0]

    def read(self, document_id: str, /) -> Iterator[bytes]:
        """Return the bytes of *document_id*, or raise `DocumentNotFound`."""
        data = self._found(document_id)[1]
        return iter([data[i : i + _PIECE] for i in range(0, len(data), _PIECE)])

    def delete(self, document_id: str, /) -> bool:
        """Remove *document_id*; return whether it was there."""
        if not is_document_id(document_id):
            return False
        with self._lock:
            return self._documents.pop(document_id, None) is not None

    def documents_of(self, application_id: str, /) -> list[DocumentRecord]:
        """Return the records attached to *application_id*, oldest first."""
        _check_application(application_id)
        with self._lock:
            found = [r for r, _ in self._documents.values() if r.application_id == application_id]
        return _oldest_first(found)

    def unattached_before(self, cutoff: datetime, /, *, limit: int) -> list[DocumentRecord]:
        """Return at most *limit* unattached records created before *cutoff*, oldest first."""
        _check_page(cutoff, limit)
        with self._lock:
            found = [
                r
                for r, _ in self._documents.values()
                if r.application_id is None and r.created_at < cutoff
            ]
        return _oldest_first(found)[:limit]


def _record_json(record: DocumentRecord) -> bytes:
    return json.dumps(
        {
            "document_id": record.document_id,
            "application_id": record.application_id,
            "media_type": record.media_type,
            "size": record.size,
            "created_at": record.created_at.isoformat(),
            "sealed": record.sealed,
        },
        ensure_ascii=True,
        separators=(",", ":"),
    ).encode("ascii")


def _record_from(data: bytes) -> DocumentRecord:
    try:
        found = json.loads(data)
        return DocumentRecord(
            document_id=found["document_id"],
            application_id=found["application_id"],
            media_type=found["media_type"],
            size=found["size"],
            created_at=datetime.fromisoformat(found["created_at"]),
            sealed=found["sealed"],
        )
    except (ValueError, KeyError, TypeError):
        raise StorageError("a stored document's record is damaged") from None


class FileDocuments:
    """A `DocumentStore` in a directory: the default.  Threads and processes may share it."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        """Keep documents in *directory*, made (mode ``0700``) if missing.

        Partial files a killed writer left in its ``tmp`` folder more than an hour ago
        are removed (they are sealed, so this only frees the disk).

        Raises:
            InvalidStoreInput: If *directory* is not a path.
            StorageError: If it cannot be made or is not a directory.
        """
        given: object = directory
        if not isinstance(given, str | os.PathLike):
            reason = f"expected a path, not {kind_of(given)}"
            raise InvalidStoreInput(field="directory", reason=reason)
        try:
            encoded = os.fsencode(given)
        except (UnicodeError, TypeError):
            reason = "is not a path the system can name"
            raise InvalidStoreInput(field="directory", reason=reason) from None
        if not encoded or b"\x00" in encoded:
            reason = "must be a path, without NUL characters"
            raise InvalidStoreInput(field="directory", reason=reason)
        self.directory = Path(directory)
        self._tmp = self.directory / "tmp"
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._tmp.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            doing = f"make the document directory {preview_path(str(self.directory))}"
            raise os_failure(exc, doing=doing) from exc
        self._remove_stale_parts(older_than=_STALE_PART_SECONDS)

    def _remove_stale_parts(self, *, older_than: float) -> None:
        """Remove the partial files (named as `put` names them) of ``tmp`` not written to for
        *older_than* seconds; any other file there stays, however old."""
        cutoff = time.time() - older_than
        try:
            for part in self._tmp.glob("*.part"):
                with contextlib.suppress(FileNotFoundError):
                    if _is_part_name(part.name) and part.lstat().st_mtime < cutoff:
                        part.unlink()
        except OSError as exc:
            raise os_failure(exc, doing="clear the document directory's partial files") from exc

    def __repr__(self) -> str:
        """Show the directory."""
        return f"<FileDocuments {str(self.directory)!r}>"

    def _path(self, document_id: str) -> Path:
        return self.directory / f"{document_id}.doc"

    def put(
        self,
        document_id: str,
        chunks: Iterable[bytes],
        /,
        *,
        record: Callable[[], DocumentRecord],
    ) -> DocumentRecord:
        """Keep *chunks* as *document_id*, described by ``record()``; all or nothing."""
        check_document_id(document_id)
        temporary = self._tmp / f"{document_id}.{secrets.token_hex(8)}.part"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        try:
            descriptor = os.open(temporary, flags, 0o600)
        except OSError as exc:
            raise os_failure(exc, doing="write a document") from exc
        given = _Given(chunks, record)
        try:
            with os.fdopen(descriptor, "wb") as file:
                for chunk in given.chunks():
                    file.write(_bytes(chunk))
                made = check_record(given.record(), document_id=document_id)
                tail = _record_json(made)
                file.write(tail + len(tail).to_bytes(4, "big"))
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self._path(document_id))
        except OSError as exc:
            _remove(temporary)
            if given.error is not None:  # the caller's own failure, as it is, even when
                raise given.error from None  # closing the file then failed too (disk full)
            raise os_failure(exc, doing="write a document") from exc
        except BaseException as exc:
            _remove(temporary)
            if given.error is not None and given.error is not exc:
                raise given.error from None
            raise
        _sync_directory(self.directory)
        return made

    def _layout(self, document_id: str) -> tuple[DocumentRecord, int]:
        """The record of *document_id* and how many bytes of its file are the document."""
        if not is_document_id(document_id):
            raise DocumentNotFound(document_id=str(document_id))
        try:
            with self._path(document_id).open("rb") as file:
                end = file.seek(0, os.SEEK_END)
                if end < 4:
                    raise StorageError("a stored document's file is cut short")
                file.seek(end - 4)
                length = int.from_bytes(file.read(4), "big")
                if length > min(end - 4, 1 << 20):
                    raise StorageError("a stored document's record is damaged")
                file.seek(end - 4 - length)
                found = _record_from(file.read(length))
        except FileNotFoundError:
            raise DocumentNotFound(document_id=document_id) from None
        except OSError as exc:
            raise os_failure(exc, doing="read a document") from exc
        return found, end - 4 - length

    def record(self, document_id: str, /) -> DocumentRecord:
        """Return the record of *document_id*, or raise `DocumentNotFound`."""
        return self._layout(document_id)[0]

    def read(self, document_id: str, /) -> Iterator[bytes]:
        """Return the bytes of *document_id*, or raise `DocumentNotFound`.

        The file is opened on the first iteration (and closed at the last), so an
        iterator never iterated holds no file open.
        """
        self._layout(document_id)
        return self._pieces(document_id)

    def _pieces(self, document_id: str) -> Iterator[bytes]:
        try:
            with self._path(document_id).open("rb") as file:
                end = file.seek(0, os.SEEK_END)
                file.seek(max(end - 4, 0))
                left = end - 4 - int.from_bytes(file.read(4), "big")
                file.seek(0)
                while left > 0:
                    piece = file.read(min(_PIECE, left))
                    if not piece:
                        raise StorageError("a stored document's file is cut short")
                    left -= len(piece)
                    yield piece
        except FileNotFoundError:
            raise DocumentNotFound(document_id=document_id) from None
        except OSError as exc:
            raise os_failure(exc, doing="read a document") from exc

    def delete(self, document_id: str, /) -> bool:
        """Remove *document_id*; return whether it was there."""
        if not is_document_id(document_id):
            return False
        try:
            self._path(document_id).unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise os_failure(exc, doing="delete a document") from exc
        return True

    def _records(self, *, readable_only: bool = False) -> Iterator[DocumentRecord]:
        try:
            names = sorted(os.listdir(self.directory))
        except OSError as exc:
            raise os_failure(exc, doing="list the documents") from exc
        passed: tuple[type[Exception], ...] = (
            (DocumentNotFound, StorageError) if readable_only else (DocumentNotFound,)
        )
        for name in names:
            stem, dot, suffix = name.rpartition(".")
            if dot and suffix == "doc" and is_document_id(stem):
                with contextlib.suppress(*passed):  # deleted meanwhile (or damaged)
                    yield self.record(stem)

    def documents_of(self, application_id: str, /) -> list[DocumentRecord]:
        """Return the records attached to *application_id*, oldest first."""
        _check_application(application_id)
        return _oldest_first(r for r in self._records() if r.application_id == application_id)

    def unattached_before(self, cutoff: datetime, /, *, limit: int) -> list[DocumentRecord]:
        """Return at most *limit* unattached records created before *cutoff*, oldest first.

        A file whose record cannot be read (damaged, or not one of ours) is passed over:
        it stops neither the sweep of the others nor, since it is never listed, any.
        """
        _check_page(cutoff, limit)
        found = (
            r
            for r in self._records(readable_only=True)
            if r.application_id is None and r.created_at < cutoff
        )
        return _oldest_first(found)[:limit]


def _bytes(chunk: object) -> bytes | bytearray | memoryview:
    if not isinstance(chunk, bytes | bytearray | memoryview):
        raise InvalidStoreInput(field="chunks", reason=f"expected bytes, not {kind_of(chunk)}")
    return chunk


def _is_part_name(name: str) -> bool:
    """Whether *name* is one `FileDocuments.put` gives a partial file: ``<id>.<16 hex>.part``."""
    document_id, _, rest = name.partition(".")
    return is_document_id(document_id) and _PART_SUFFIX.fullmatch(rest) is not None


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _sync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


class _Given:
    """The caller's chunks and record, noting whether a failure was theirs: what they
    raise (an `OSError` of a scanner's connection too) is not the store's to translate."""

    def __init__(self, chunks: Iterable[bytes], record: Callable[[], DocumentRecord]) -> None:
        self._chunks = chunks
        self._record = record
        self.error: BaseException | None = None

    def chunks(self) -> Iterator[bytes]:
        """Yield the caller's chunks."""
        iterator = iter(self._chunks)
        while True:
            try:
                chunk = next(iterator)
            except StopIteration:
                return
            except BaseException as exc:
                self.error = exc
                raise
            yield chunk

    def record(self) -> DocumentRecord:
        """Call the caller's record."""
        try:
            return self._record()
        except BaseException as exc:
            self.error = exc
            raise
