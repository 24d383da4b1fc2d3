"""The media types a document may have, sniffed from its bytes; names made safe to keep.

A document's media type is what its first bytes show (its *magic number*), never what
its name or its uploader says.  Only three are allowed (`MEDIA_TYPES`): PDF, JPEG and
PNG, the formats a scanner, a phone and a browser all produce.  WebP, HEIC and TIFF are
refused: they can carry location metadata in places this module does not rewrite (TIFF
*is* the EXIF container), and a phone or a browser can convert them before uploading.

>>> sniff(b"%PDF-1.7 ...")
'application/pdf'
>>> sniff(b"MZ\\x90\\x00") is None
True
>>> agreeing_type("application/pdf", declared="image/png", file_name="scan.pdf")
Traceback (most recent call last):
...
onestop.exceptions.UnsupportedMediaType: unsupported document (declared 'image/png', ...
>>> safe_file_name("../../etc/passwd\\x00.pdf")
'passwd.pdf'
"""

from __future__ import annotations

import unicodedata
from typing import Final

from onestop.domain.common.formats import kind_of, preview
from onestop.exceptions import InvalidValue, UnsupportedMediaType

__all__ = [
    "MAX_FILE_NAME",
    "MEDIA_TYPES",
    "SNIFF_BYTES",
    "agreeing_type",
    "declared_type",
    "extension_type",
    "safe_file_name",
    "sniff",
]

MEDIA_TYPES: Final = ("application/pdf", "image/jpeg", "image/png")
"""The media types a document may have (the allow-list), by IANA name."""

SNIFF_BYTES: Final = 8
"""How many first bytes `sniff` needs to tell every allowed type."""

MAX_FILE_NAME: Final = 255
"""The most characters a kept file name has; a longer one is cut (its extension kept)."""

_MAGIC: Final = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)

_EXTENSIONS: Final = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "jpe": "image/jpeg",
    "jfif": "image/jpeg",
    "png": "image/png",
}

_ALIASES: Final = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
}

_UNDECLARED: Final = ("", "application/octet-stream", "binary/octet-stream")
"""Declared types that say nothing: what a browser sends for a file it cannot name."""

_DROPPED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def sniff(head: bytes) -> str | None:
    """Return the allowed media type *head* (a document's first bytes) shows, or ``None``.

    Raises:
        InvalidValue: If *head* is not bytes.
    """
    if not isinstance(head, bytes | bytearray | memoryview):
        raise InvalidValue(field="head", reason=f"expected bytes, not {kind_of(head)}")
    first = bytes(head[:SNIFF_BYTES])
    for magic, media_type in _MAGIC:
        if first.startswith(magic):
            return media_type
    return None


def declared_type(declared: str | None) -> str | None:
    """Return *declared* (a ``Content-Type``) as a bare lower-case type, or ``None``.

    Parameters (``; charset=...``) are dropped, aliases (``image/jpg``) named by their
    IANA name; an empty type or ``application/octet-stream`` declares nothing.

    Raises:
        InvalidValue: If *declared* is neither text nor ``None``.
    """
    if declared is None:
        return None
    if not isinstance(declared, str):
        raise InvalidValue(field="declared", reason=f"expected text, not {kind_of(declared)}")
    bare = declared.split(";", 1)[0].strip().lower()
    if bare in _UNDECLARED:
        return None
    return _ALIASES.get(bare, bare[:128])


def extension_type(file_name: str | None) -> tuple[str, str | None] | None:
    """Return the extension of *file_name* and the allowed type it names (or ``None``).

    ``None`` if the name has no extension.

    >>> extension_type("photo.JPG")
    ('jpg', 'image/jpeg')
    >>> extension_type("setup.exe")
    ('exe', None)

    Raises:
        InvalidValue: If *file_name* is neither text nor ``None``.
    """
    if file_name is None:
        return None
    if not isinstance(file_name, str):
        raise InvalidValue(field="file_name", reason=f"expected text, not {kind_of(file_name)}")
    base = safe_file_name(file_name)
    stem, dot, extension = base.rpartition(".")
    if not dot or not stem or not extension:
        return None
    extension = extension.lower()
    return extension, _EXTENSIONS.get(extension)


def agreeing_type(sniffed: str | None, *, declared: str | None, file_name: str | None) -> str:
    """Return *sniffed* if it is allowed and the declared type and the name agree with it.

    Raises:
        UnsupportedMediaType: If the bytes show no allowed type, or the declared type or
            the file name's extension names another (or a type that is not allowed).
        InvalidValue: If *declared* or *file_name* is neither text nor ``None``.
    """
    claimed = declared_type(declared)
    if sniffed is None or sniffed not in MEDIA_TYPES:
        reason = f"the bytes are none of the allowed types ({', '.join(MEDIA_TYPES)})"
        raise UnsupportedMediaType(declared=claimed, sniffed=None, reason=reason)
    if claimed is not None and claimed != sniffed:
        reason = "the declared media type disagrees with the bytes"
        raise UnsupportedMediaType(declared=claimed, sniffed=sniffed, reason=reason)
    named = extension_type(file_name)
    if named is not None and named[1] != sniffed:
        shown = f" {preview(named[0])}" if named[1] is not None else ""  # a known one: no name part
        reason = f"the file name's extension{shown} disagrees with the bytes"
        raise UnsupportedMediaType(declared=named[1], sniffed=sniffed, reason=reason)
    return sniffed


def safe_file_name(file_name: str) -> str:
    """Return *file_name* made safe to keep and show as metadata (never used as a path).

    Only its last path component is kept (after ``/`` or ``\\``); control, format,
    surrogate, private-use and unassigned characters are dropped (NUL, bidirectional
    overrides...), the rest put in NFC; leading dots and spaces go, and a name longer
    than `MAX_FILE_NAME` is cut, keeping its extension.  An empty result is ``document``.

    Raises:
        InvalidValue: If *file_name* is not text.
    """
    if not isinstance(file_name, str):
        raise InvalidValue(field="file_name", reason=f"expected text, not {kind_of(file_name)}")
    last = file_name[-4 * MAX_FILE_NAME :].replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(c for c in last if unicodedata.category(c) not in _DROPPED_CATEGORIES)
    name = unicodedata.normalize("NFC", kept).strip().lstrip(". ").strip()
    if len(name) > MAX_FILE_NAME:
        _, dot, extension = name.rpartition(".")
        tail = dot + extension if dot and len(extension) <= 16 else ""
        name = name[: MAX_FILE_NAME - len(tail)] + tail
    return name or "document"
