"""The document desk: uploads limited, sniffed, scrubbed, scanned and sealed, then kept.

`DocumentDesk` is what the citizen API calls with an upload's stream.  It reads the
upload chunk by chunk (`onestop.domain.documents.scrub.Intake`: the size limit, the
media type sniffed from the bytes, the image metadata stripped), feeds a malware
`Scanner` if one is set, seals the bytes for the application's data subject and hands
them to a `DocumentStore`, which keeps them whole or not at all.

**Sealed for the data subject.**  A document attached to an application is sealed under
the key of ``<application id>/applicant`` (`onestop.domain.common.subjects`), so that
erasing the applicant's personal data (`onestop.usecases.privacy.PrivacyDesk.erase`
destroys that key) leaves the document unreadable: its bytes, its file name and its
SHA-256.  An upload not attached yet is sealed under a subject of its own,
``upload-<document id>/applicant``; `DocumentDesk.attach` re-seals it for the
application.  Documents are never deduplicated: two citizens who send the same file get
two documents, sealed under two keys, so that the store shows no one that they sent the
same file, and erasing one of them destroys their copy only.

**The sealed format** (version 1).  The plaintext is cut into chunks of `CHUNK` bytes;
chunk *i* is sealed with `onestop.ports.keys.PersonalDataKeys.seal` (AES-SIV under the
subject's data key) with the associated data ``onestop/document/v1 NUL <document id>
NUL <i as 8 bytes> <1 if last else 0>``; the last chunk (maybe empty) says so.  The
stored stream is ``ONESTOP-DOC1\\n`` then, per chunk, its token's length (4 bytes, big
endian) and the token.  So a chunk cannot be moved to another place, another document
or another subject, and a document cut short or lengthened does not open.  Tokens are
base64 text: a stored document is about a third larger than its plaintext.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol

import attrs

from onestop.domain.common.formats import int_problem, kind_of, text_problem
from onestop.domain.common.subjects import subject_id
from onestop.domain.documents.media import safe_file_name
from onestop.domain.documents.scrub import MAX_LIMIT, Intake
from onestop.exceptions import (
    DocumentNotFound,
    InvalidValue,
    MalwareFound,
    OnestopError,
    PersonalDataErased,
    StorageError,
)
from onestop.ports.documents import (
    DocumentRecord,
    DocumentStore,
    Scan,
    Scanner,
    check_document_id,
    is_document_id,
)
from onestop.ports.events import Clock
from onestop.ports.keys import PersonalDataKeys, SubjectKeyStore
from onestop.usecases._scanning import guarded_scan

__all__ = ["CHUNK", "DEFAULT_LIMIT", "FORMAT", "Document", "DocumentDesk", "Readable"]

CHUNK: Final = 64 * 1024
"""How many plaintext bytes each sealed chunk holds (the last may hold fewer)."""

DEFAULT_LIMIT: Final = 20 * 1024 * 1024
"""The size limit of an upload unless the desk is given another (20 MiB)."""

FORMAT: Final = b"ONESTOP-DOC1\n"
"""The first bytes of every stored document, which name the sealed format's version."""

_MAX_TOKEN = 4 * (CHUNK + 16 + 2) // 3 + 64
_SWEEP_PAGE = 500


class Readable(Protocol):
    """A binary file-like object: what `DocumentDesk.put` reads with ``read(size)``."""

    def read(self, size: int, /) -> bytes:
        """Return at most *size* bytes; ``b""`` at the end."""
        ...


@attrs.frozen(kw_only=True)
class Document:
    """A stored document, as the desk describes it.

    Attributes:
        document_id: Its id (a random UUID).
        application_id: The application it is attached to, or ``None`` (unattached).
        media_type: The media type sniffed from its bytes.
        size: How many bytes it has (after its metadata was stripped).
        sha256: The SHA-256 of those bytes, in hex; ``None`` once its subject was erased.
        file_name: The uploader's file name, made safe (metadata only, never a path);
            ``None`` once its subject was erased.
        created_at: When it was uploaded.
    """

    document_id: str
    application_id: str | None
    media_type: str
    size: int
    sha256: str | None = attrs.field(repr=False)  # personal data: never in a repr
    file_name: str | None = attrs.field(repr=False)
    created_at: datetime

    @property
    def attached(self) -> bool:
        """Whether it is attached to an application."""
        return self.application_id is not None


class _SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def _subject(record: DocumentRecord) -> str:
    if record.application_id is None:
        return subject_id(f"upload-{record.document_id}")
    return subject_id(record.application_id)


def _chunk_context(document_id: str, index: int, last: bool) -> bytes:
    return (
        b"onestop/document/v1\x00"
        + document_id.encode("ascii")
        + b"\x00"
        + index.to_bytes(8, "big")
        + (b"\x01" if last else b"\x00")
    )


def _details_context(document_id: str) -> bytes:
    return b"onestop/document-details/v1\x00" + document_id.encode("ascii")


def _pieces(upload: object, limit: int) -> Iterator[bytes]:
    """The upload's chunks; a file-like object is read no further than *limit* + 1 bytes."""
    read = getattr(upload, "read", None)
    if callable(read):
        total = 0
        while total <= limit:
            piece = read(min(CHUNK, limit + 1 - total))
            if not piece:
                return
            total += len(piece)
            yield piece
        return
    if isinstance(upload, str | bytes | bytearray | memoryview) or not isinstance(upload, Iterable):
        raise InvalidValue(
            field="upload",
            reason=f"expected an iterable of bytes or a binary file, not {kind_of(upload)}",
        )
    yield from upload


class DocumentDesk:
    """Takes uploads, keeps them sealed per application, gives them back and sweeps them.

    Threads may share one desk if its store and keys may be shared.
    """

    def __init__(
        self,
        store: DocumentStore,
        keys: PersonalDataKeys,
        *,
        limit: int = DEFAULT_LIMIT,
        scanner: Scanner | None = None,
        clock: Clock | None = None,
        key_store: SubjectKeyStore | None = None,
    ) -> None:
        """Keep documents in *store*, sealed with *keys*.

        Args:
            store: Where the sealed documents are kept.
            keys: What seals them (`onestop.privacy.Keyring`).
            limit: The most bytes an upload may have (1 to 2**40; default 20 MiB).
            scanner: The malware scanner every upload is fed to before it is kept, or
                ``None`` (the default): no scanning.
            clock: Tells the time of uploads and sweeps (default: UTC now).
            key_store: The store of *keys*' subject keys.  Given, the key an upload was
                sealed with before it was attached (``upload-<id>/applicant``) is
                destroyed once it is attached, swept or deleted, so that no earlier copy
                of it (a backup) stays readable after the application is erased.  Without
                it, those keys stay in the key store (documented as a limit).

        Raises:
            InvalidValue: If *limit* is out of range.
        """
        reason = int_problem(limit, minimum=1, maximum=MAX_LIMIT)
        if reason is not None:
            raise InvalidValue(field="limit", reason=reason)
        self._store = store
        self._keys = keys
        self.limit = limit
        self._scanner = scanner
        self._clock: Clock = _SystemClock() if clock is None else clock
        self._key_store = key_store
        self._attaching = threading.Lock()  # attach and the sweep's delete, one at a time

    def put(
        self,
        upload: Iterable[bytes] | Readable,
        *,
        application_id: str | None = None,
        declared_type: str | None = None,
        file_name: str | None = None,
    ) -> Document:
        """Keep *upload* (chunks, or a binary file) as a new document, and describe it.

        Args:
            upload: The bytes, as an iterable of chunks or an object with ``read``.
            application_id: The application it belongs to, or ``None`` (unattached until
                `attach`; swept after a while).
            declared_type: The media type the uploader declared (``Content-Type``).
            file_name: The uploader's file name (kept made safe, as metadata only).

        Raises:
            DocumentTooLarge: At the first byte beyond the limit.
            UnsupportedMediaType: If the bytes are of no allowed type, the declared
                type or the name's extension names another, or it is a polyglot.
            MalformedDocument: If it does not hold together (truncated...).
            MalwareFound: If the scanner found something.
            InvalidValue: If an argument is malformed.
            PersonalDataErased: If the application's subject was erased.
            StorageError: If the store fails.

        Whatever it raises, nothing was kept.
        """
        if application_id is not None:
            subject_id(application_id)  # checks it
        intake = Intake(limit=self.limit, declared=declared_type, file_name=file_name)
        document_id = _new_id()
        name = safe_file_name(file_name) if file_name is not None else "document"
        created_at = self._clock.now()
        pieces = _pieces(upload, self.limit)
        sealer = self._sealer(document_id, application_id, intake, name, created_at)
        try:
            stored = self._store.put(document_id, sealer.chunks(pieces), record=sealer.describe)
        except BaseException:
            if application_id is None and sealer.index:  # a key was made for nothing kept
                with contextlib.suppress(OnestopError):  # the refusal is what to answer
                    self._shred_subjects([sealer.subject])
            raise
        return self._described(stored)

    def _sealer(
        self,
        document_id: str,
        application_id: str | None,
        intake: Intake,
        name: str,
        created_at: datetime,
    ) -> _Sealer:
        scan = guarded_scan(self._scanner) if self._scanner is not None else None
        return _Sealer(
            keys=self._keys,
            document_id=document_id,
            application_id=application_id,
            intake=intake,
            name=name,
            created_at=created_at,
            scan=scan,
        )

    def describe(self, document_id: str) -> Document:
        """Describe document *document_id* (its sha256 and file name opened).

        Raises:
            DocumentNotFound: If there is none.
        """
        return self._described(self._record(document_id))

    def read(self, document_id: str) -> Iterator[bytes]:
        """Return the plaintext of document *document_id*, chunk by chunk.

        Every chunk is checked as it is opened; a document altered, cut short or
        lengthened raises `StorageError` (from the chunk where it shows).

        Raises:
            DocumentNotFound: If there is none (from this call).
            PersonalDataErased: If its subject was erased (from this call).
        """
        record = self._record(document_id)
        subject = _subject(record)
        described = self._described(record)
        if described.sha256 is None:
            raise PersonalDataErased(subject=subject)
        raw = self._store.read(document_id)
        return self._opened(record, subject, described.sha256, raw)

    def _opened(
        self, record: DocumentRecord, subject: str, sha256: str, raw: Iterator[bytes]
    ) -> Iterator[bytes]:
        frames = _frames(raw)
        digest = hashlib.sha256()
        index, size, last = 0, 0, False
        for token in frames:
            if last:
                raise StorageError("a stored document goes on after its last chunk")
            last = False
            plain = None
            for flag in (False, True):
                context = _chunk_context(record.document_id, index, flag)
                try:
                    plain = self._keys.open(subject, token, context=context)
                except StorageError:
                    continue
                last = flag
                break
            else:
                raise StorageError("a stored document's chunk does not open")
            if plain is None:
                raise PersonalDataErased(subject=subject)
            digest.update(plain)
            size += len(plain)
            index += 1
            if plain:
                yield plain
        if not last or size != record.size:
            raise StorageError("a stored document ends before its last chunk")
        if digest.hexdigest() != sha256:
            raise StorageError("a stored document's bytes do not match its SHA-256")

    def attach(self, document_id: str, application_id: str) -> Document:
        """Attach unattached document *document_id* to *application_id*, re-sealing it.

        Attaching it again to the same application changes nothing.

        Raises:
            DocumentNotFound: If there is none.
            InvalidValue: If it is attached to another application already, or
                *application_id* is not an application id.
        """
        subject_id(application_id)
        with self._attaching:
            return self._attach(document_id, application_id)

    def _attach(self, document_id: str, application_id: str) -> Document:
        record = self._record(document_id)
        if record.application_id == application_id:
            return self._described(record)
        if record.application_id is not None:
            raise InvalidValue(
                field="document_id", reason="is attached to another application already"
            )
        current = self._described(record)
        intake = Intake(limit=MAX_LIMIT, declared=record.media_type)
        name = current.file_name or "document"
        sealer = _Sealer(
            keys=self._keys,
            document_id=document_id,
            application_id=application_id,
            intake=intake,
            name=name,
            created_at=record.created_at,
            scan=None,
        )
        stored = self._store.put(
            document_id, sealer.chunks(self.read(document_id)), record=sealer.describe
        )
        self._shred([record])
        return self._described(stored)

    def delete(self, document_id: str) -> bool:
        """Remove document *document_id*; return whether there was one."""
        if not is_document_id(document_id):
            return False
        try:
            record = self._store.record(document_id)
        except DocumentNotFound:
            return False
        removed = self._store.delete(document_id)
        self._shred([record])
        return removed

    def documents_of(self, application_id: str) -> tuple[Document, ...]:
        """Describe the documents attached to *application_id*, oldest first.

        Raises:
            InvalidValue: If *application_id* is not an application id.
        """
        subject_id(application_id)
        return tuple(self._described(r) for r in self._store.documents_of(application_id))

    def sweep(self, *, older_than: timedelta) -> int:
        """Remove the uploads never attached, made more than *older_than* ago; count them.

        Raises:
            InvalidValue: If *older_than* is not a timedelta of zero or more.
        """
        given: object = older_than
        if not isinstance(given, timedelta) or given < timedelta(0):
            raise InvalidValue(field="older_than", reason="expected a timedelta of 0 or more")
        try:
            cutoff = self._clock.now() - older_than
        except OverflowError:
            return 0
        removed = 0
        while found := self._store.unattached_before(cutoff, limit=_SWEEP_PAGE):
            for listed in found:
                with self._attaching:  # not between an attach's read and its write
                    try:
                        record = self._store.record(listed.document_id)
                    except DocumentNotFound:
                        continue
                    if record.application_id is not None:  # attached since it was listed
                        continue
                    self._shred([record])  # the key first: a failed delete leaves no key
                    removed += self._store.delete(record.document_id)
            if len(found) < _SWEEP_PAGE:
                break
        return removed

    def _shred(self, records: Iterable[DocumentRecord]) -> None:
        """Destroy the keys uploads were sealed with before they were attached, if told how."""
        if self._key_store is None:
            return
        self._shred_subjects([_subject(r) for r in records if r.application_id is None])

    def _shred_subjects(self, subjects: list[str]) -> None:
        if self._key_store is None:
            return
        if subjects:
            self._key_store.destroy_subject_keys(subjects, at=self._clock.now())
            forget = getattr(self._keys, "forget", None)
            if callable(forget):
                forget(subjects)

    def _record(self, document_id: str) -> DocumentRecord:
        """The stored record of *document_id*, checked to be that document's own.

        Raises:
            DocumentNotFound: If there is none.
            StorageError: If the record found names another document (a file copied
                over another's place).
        """
        record = self._store.record(_known(document_id))
        if record.document_id != document_id:
            raise StorageError("a stored document's record names another document")
        return record

    def _described(self, record: DocumentRecord) -> Document:
        subject = _subject(record)
        opened = self._keys.open(
            subject, record.sealed, context=_details_context(record.document_id)
        )
        sha256, name = None, None
        if opened is not None:
            sha256, _, name = opened.decode("utf-8").partition("\n")
        return Document(
            document_id=record.document_id,
            application_id=record.application_id,
            media_type=record.media_type,
            size=record.size,
            sha256=sha256,
            file_name=name,
            created_at=record.created_at,
        )


def _new_id() -> str:
    return secrets.token_hex(16)


def _known(document_id: object) -> str:
    if not is_document_id(document_id):
        if not isinstance(document_id, str):
            raise InvalidValue(
                field="document_id", reason=f"expected text, not {kind_of(document_id)}"
            )
        raise DocumentNotFound(document_id=document_id)
    return check_document_id(document_id)


def _frames(raw: Iterator[bytes]) -> Iterator[str]:
    """The tokens of a stored document's stream, whatever the sizes of its pieces."""
    buffer = bytearray()
    started = False
    for piece in raw:
        buffer += piece
        if not started:
            if len(buffer) < len(FORMAT):
                continue
            if bytes(buffer[: len(FORMAT)]) != FORMAT:
                raise StorageError("a stored document is not of a known format")
            del buffer[: len(FORMAT)]
            started = True
        while len(buffer) >= 4:
            length = int.from_bytes(buffer[:4], "big")
            if length > _MAX_TOKEN:
                raise StorageError("a stored document's chunk is too long")
            if len(buffer) < 4 + length:
                break
            token = bytes(buffer[4 : 4 + length])
            del buffer[: 4 + length]
            try:
                yield token.decode("ascii")
            except UnicodeDecodeError:
                raise StorageError("a stored document's chunk is not a token") from None
    if not started or buffer:
        raise StorageError("a stored document is cut short")


@attrs.define(kw_only=True)
class _Sealer:
    """Seals one upload's kept bytes chunk by chunk, then describes it."""

    keys: PersonalDataKeys
    document_id: str
    application_id: str | None
    intake: Intake
    name: str
    created_at: datetime
    scan: Scan | None
    index: int = 0

    @property
    def subject(self) -> str:
        """The subject the chunks are sealed for."""
        if self.application_id is None:
            return subject_id(f"upload-{self.document_id}")
        return subject_id(self.application_id)

    def _sealed(self, plain: bytes, *, last: bool) -> bytes:
        context = _chunk_context(self.document_id, self.index, last)
        token = self.keys.seal(self.subject, plain, context=context).encode("ascii")
        self.index += 1
        return len(token).to_bytes(4, "big") + token

    def chunks(self, pieces: Iterable[bytes]) -> Iterator[bytes]:
        """The sealed stream of *pieces* (raises what the intake or the scanner refuses)."""
        yield FORMAT
        pending = bytearray()
        for piece in pieces:
            pending += self.intake.feed(piece)
            while len(pending) > CHUNK:
                yield self._sealed(self._scanned(bytes(pending[:CHUNK])), last=False)
                del pending[:CHUNK]
        pending += self.intake.finish()
        while len(pending) > CHUNK:
            yield self._sealed(self._scanned(bytes(pending[:CHUNK])), last=False)
            del pending[:CHUNK]
        last = self._scanned(bytes(pending))
        self._check_verdict()
        yield self._sealed(last, last=True)

    def _scanned(self, plain: bytes) -> bytes:
        if self.scan is not None:
            self.scan.feed(plain)
        return plain

    def _check_verdict(self) -> None:
        if self.scan is None:
            return
        verdict = self.scan.verdict()
        if verdict.signature is not None:
            raise MalwareFound(scanner=verdict.scanner, signature=verdict.signature)

    def describe(self) -> DocumentRecord:
        """The record of the document sealed (called after the last chunk)."""
        problem = text_problem(self.name, max_length=1024)
        name = self.name if problem is None else "document"
        details = f"{self.intake.sha256}\n{name}".encode()
        sealed = self.keys.seal(self.subject, details, context=_details_context(self.document_id))
        assert self.intake.media_type is not None  # noqa: S101 - finish() set it
        return DocumentRecord(
            document_id=self.document_id,
            application_id=self.application_id,
            media_type=self.intake.media_type,
            size=self.intake.size,
            created_at=self.created_at,
            sealed=sealed,
        )
