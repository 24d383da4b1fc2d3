"""The document store port: sealed uploads kept per application, and the malware scanner hook.

`DocumentStore` keeps each document as an opaque stream of bytes (the use case has
sealed it already: `onestop.usecases.documents`) with its `DocumentRecord`.  A store
never sees a plaintext byte, a file name or a fingerprint of the content: those are
sealed in the record's `DocumentRecord.sealed` for the application's data subject.

Promises every adapter keeps (`onestop.testing.document_contracts` checks them):

* `DocumentStore.put` is atomic: the document (or its new version, for the same id) is
  there whole, or not at all; if the chunks or the record raise, nothing is left behind
  and an older version of the same id is untouched;
* stored bytes come back as they were put, in pieces of any size;
* a document id is checked (`check_document_id`) before any I/O: one that is not an id
  is refused on `put` (`InvalidStoreInput`) and is not found elsewhere.

`Scanner` is the hook for a malware scanner: the desk feeds it every plaintext chunk
before a document is kept and asks its `Verdict` at the end.  There is no scanner by
default; `onestop.testing.EicarScanner` finds the EICAR test string.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Final, Protocol, runtime_checkable

import attrs

from onestop.domain.common.formats import kind_of, text_problem
from onestop.exceptions import InvalidStoreInput

__all__ = [
    "MAX_DOCUMENT_ID",
    "MAX_DOCUMENT_PAGE",
    "DocumentRecord",
    "DocumentStore",
    "Scan",
    "Scanner",
    "Verdict",
    "check_document_id",
    "check_record",
    "is_document_id",
]

MAX_DOCUMENT_ID: Final = 64
"""The longest document id (of ``[A-Za-z0-9_-]`` characters only, a safe file name)."""

MAX_DOCUMENT_PAGE: Final = 1000
"""The most records one listing returns."""

_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")


@attrs.frozen(kw_only=True)
class DocumentRecord:
    """What a store keeps beside a document's bytes; nothing of it is personal in clear.

    Attributes:
        document_id: The document's id (`is_document_id`).
        application_id: The application it is attached to, or ``None`` (unattached).
        media_type: The media type sniffed from its bytes (``image/png``).
        size: How many plaintext bytes it has (after its metadata was stripped).
        created_at: When it was uploaded (timezone-aware).
        sealed: Its SHA-256 and file name, sealed for its data subject (opaque here).
    """

    document_id: str
    application_id: str | None
    media_type: str
    size: int
    created_at: datetime
    sealed: str


def is_document_id(value: object) -> bool:
    """Whether *value* is a document id: 1 to 64 of ``A-Z``, ``a-z``, ``0-9``, ``_``, ``-``."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def check_document_id(value: object, /) -> str:
    """Return *value* if it is a document id.

    Raises:
        InvalidStoreInput: If it is not (never quoting a long one).
    """
    if not is_document_id(value):
        reason = "expected 1 to 64 of the characters A-Z, a-z, 0-9, _ and -"
        if not isinstance(value, str):
            reason = f"expected text, not {kind_of(value)}"
        raise InvalidStoreInput(field="document_id", reason=reason)
    return value  # type: ignore[return-value]  # is_document_id() proved it is text


def check_record(record: object, /, *, document_id: str) -> DocumentRecord:
    """Return *record* if a store may keep it for *document_id*.

    Raises:
        InvalidStoreInput: Naming the field, if it is not a `DocumentRecord` of that id,
            or one of its fields is malformed.
    """
    if not isinstance(record, DocumentRecord):
        raise InvalidStoreInput(
            field="record", reason=f"expected a DocumentRecord, not {kind_of(record)}"
        )
    if record.document_id != document_id:
        raise InvalidStoreInput(field="record.document_id", reason="is not the id put")
    if record.application_id is not None:
        problem = text_problem(record.application_id, max_length=256)
        if problem is not None:
            raise InvalidStoreInput(field="record.application_id", reason=problem)
    for field, value in (("media_type", record.media_type), ("sealed", record.sealed)):
        problem = text_problem(value, max_length=1 << 16)
        if problem is not None:
            raise InvalidStoreInput(field=f"record.{field}", reason=problem)
    if type(record.size) is not int or record.size < 0:
        raise InvalidStoreInput(field="record.size", reason="expected a count of bytes")
    created_at: object = record.created_at
    if not isinstance(created_at, datetime) or created_at.utcoffset() is None:
        raise InvalidStoreInput(field="record.created_at", reason="expected an aware datetime")
    return record


@runtime_checkable
class DocumentStore(Protocol):
    """Keeps sealed documents and their records (`onestop.storage.documents`)."""

    def put(
        self,
        document_id: str,
        chunks: Iterable[bytes],
        /,
        *,
        record: Callable[[], DocumentRecord],
    ) -> DocumentRecord:
        """Keep the bytes of *chunks* as document *document_id*, described by ``record()``.

        *record* is called once every chunk was read, and must describe *document_id*.
        The document replaces one of the same id atomically.

        Raises:
            InvalidStoreInput: If *document_id* or the record is malformed; nothing kept.
            Exception: Whatever *chunks* or *record* raise, after removing every trace.
            onestop.exceptions.StorageError: If the store fails; nothing kept.
        """
        ...

    def record(self, document_id: str, /) -> DocumentRecord:
        """Return the record of document *document_id*.

        Raises:
            onestop.exceptions.DocumentNotFound: If there is none.
        """
        ...

    def read(self, document_id: str, /) -> Iterator[bytes]:
        """Return the bytes of document *document_id*, in pieces of any size.

        Raises:
            onestop.exceptions.DocumentNotFound: If there is none (raised by this call,
                not by the first iteration).
        """
        ...

    def delete(self, document_id: str, /) -> bool:
        """Remove document *document_id*; return whether there was one."""
        ...

    def documents_of(self, application_id: str, /) -> Sequence[DocumentRecord]:
        """Return the records of the documents attached to *application_id*, oldest first."""
        ...

    def unattached_before(self, cutoff: datetime, /, *, limit: int) -> Sequence[DocumentRecord]:
        """Return at most *limit* records of unattached documents created before *cutoff*."""
        ...


@attrs.frozen(kw_only=True)
class Verdict:
    """What a malware scanner says of one document.

    Attributes:
        scanner: The scanner's name (``clamav``).
        signature: The name of what it found, or ``None`` if it found nothing.
    """

    scanner: str
    signature: str | None = None

    @property
    def clean(self) -> bool:
        """Whether the scanner found nothing."""
        return self.signature is None


class Scan(Protocol):
    """One document being scanned, chunk by chunk (as ClamAV's ``INSTREAM`` takes it)."""

    def feed(self, chunk: bytes, /) -> None:
        """Take the next plaintext chunk."""
        ...

    def verdict(self) -> Verdict:
        """Return the verdict on every chunk fed (called once, after the last)."""
        ...


@runtime_checkable
class Scanner(Protocol):
    """A malware scanner: the desk starts one `Scan` per upload, before keeping it."""

    def start(self) -> Scan:
        """Start scanning a new document."""
        ...
