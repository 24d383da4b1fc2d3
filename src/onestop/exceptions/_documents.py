"""Errors of the document store: uploads refused, documents not found.

None of them quotes a document's bytes or its file name (which may be personal data):
they name a document by its id, a media type by its IANA name and a limit by its number.
"""

from __future__ import annotations

from onestop.exceptions._base import NotFound, OnestopError, TransientError, _shown


class DocumentError(OnestopError):
    """An upload was refused, or a stored document cannot be had; nothing was kept."""


class DocumentTooLarge(DocumentError, ValueError):
    """An upload is larger than the limit; reading stopped at the first byte beyond it.

    Attributes:
        limit: The most bytes an upload may have.
        size: How many bytes were read when it was refused: at most ``limit + 1`` from
            a file, at most the chunk that crossed the limit from an iterable of chunks
            (the rest of the upload is never read).
    """

    def __init__(self, *, limit: int, size: int) -> None:
        self.limit = limit
        self.size = size
        super().__init__(f"the document is larger than the limit of {limit} bytes")


class UnsupportedMediaType(DocumentError, ValueError):
    """An upload's bytes are not of an allowed media type, or disagree with what it claims.

    The media type is sniffed from the bytes; a declared type or a file name extension
    that names another type is refused (a "lying" media type), and so is a file that is
    two things at once (a polyglot, such as a PDF that is also a ZIP archive).

    Attributes:
        declared: The media type the uploader declared (or the one its file name's
            extension names), or ``None`` if it declared none.
        sniffed: The media type the bytes show, or ``None`` if none of the allowed ones.
        reason: What is wrong, in words without the document's content.
    """

    def __init__(self, *, declared: str | None, sniffed: str | None, reason: str) -> None:
        self.declared = declared
        self.sniffed = sniffed
        self.reason = reason
        super().__init__(
            f"unsupported document (declared {_shown(declared)}, "
            f"bytes show {_shown(sniffed)}): {reason}"
        )


class MalformedDocument(DocumentError, ValueError):
    """An upload's bytes start as an allowed type but do not hold together (truncated...).

    Attributes:
        media_type: The media type sniffed from its first bytes.
        reason: What is wrong with its structure, in words without its content.
    """

    def __init__(self, *, media_type: str, reason: str) -> None:
        self.media_type = media_type
        self.reason = reason
        super().__init__(f"a malformed {media_type} document: {reason}")


class MalwareFound(DocumentError):
    """A malware scanner found something in an upload, which was not kept.

    Attributes:
        scanner: The scanner's name.
        signature: The name of what it found (``Eicar-Test-Signature``).
    """

    def __init__(self, *, scanner: str, signature: str) -> None:
        self.scanner = scanner
        self.signature = signature
        super().__init__(f"scanner {_shown(scanner)} found {_shown(signature)}: not kept")


class ScannerUnavailable(DocumentError, TransientError):
    """The malware scanner failed (unreachable, or answered no verdict); nothing was kept.

    Attributes:
        reason: What failed (the error's class), never the document's bytes.
    """

    def __init__(self, *, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the malware scanner failed ({_shown(reason)}): not kept")


class DocumentNotFound(NotFound):
    """No document has this id (or it was deleted, or swept away unattached).

    Attributes:
        document_id: The id asked for.
    """

    def __init__(self, *, document_id: str) -> None:
        self.document_id = document_id
        super().__init__(f"no document {_shown(document_id)}")
