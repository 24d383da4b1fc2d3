"""Reading an upload chunk by chunk: its size limit, its type, its metadata scrubbed.

`Intake` takes an upload's chunks as they come and gives back the bytes to keep; it
never holds the whole file (at most one JPEG segment, 64 KiB, and the last 64 KiB of
what it kept, for the polyglot check).  It:

* counts the bytes and refuses the upload (`DocumentTooLarge`) at the first byte beyond
  the limit;
* sniffs the media type from the first bytes (`onestop.domain.documents.media`) and
  refuses a type that is not allowed, or that the declared type or the name contradicts;
* rewrites images without their metadata:

  - **JPEG**: every ``APPn`` segment but ``APP0`` (JFIF, without a thumbnail), ``APP2``
    (the ICC colour profile) and ``APP14`` (Adobe's colour transform), each recognised by
    its identifier, is dropped, and every comment
    (``COM``): EXIF (``APP1``, with its GPS IFD), XMP (``APP1``), IPTC (``APP13``) and
    the makers' own.  Also whatever follows the end-of-image marker (some phones append
    their own metadata there).  The whole EXIF goes, orientation included: a photo taken
    sideways may show sideways, which a person can turn; keeping a rewritten EXIF would
    mean parsing TIFF structures written by every camera maker;
  - **PNG**: every ancillary chunk but those that say how to show the pixels (``tRNS``,
    ``gAMA``, ``cHRM``, ``sRGB``, ``iCCP``, ``sBIT``, ``pHYs``, ``bKGD``, ``cICP``...) is
    dropped: ``eXIf``, ``tEXt``, ``zTXt`` and ``iTXt`` (where XMP, GPS included, lives),
    ``tIME`` and the animation chunks; and whatever follows ``IEND``.  Every chunk's
    CRC is checked;
  - **PDF** is kept as it is: it is **not** scrubbed, and a PDF can carry location data
    (a photo embedded as it was taken keeps its EXIF; XMP metadata may hold GPS tags), so
    a scan app's PDF should be re-rendered upstream where that matters;

* refuses a file that does not hold together (`MalformedDocument`): a JPEG or PNG that
  ends before its end marker, a PDF with no ``%%EOF`` in its last kilobyte;
* refuses a polyglot: a kept file whose last 64 KiB holds a ZIP end-of-central-directory
  record, which makes a ZIP reader open it as an archive (`UnsupportedMediaType` with
  ``sniffed`` set to what the start shows);
* computes the size and the SHA-256 of the bytes kept.

>>> intake = Intake(limit=1000, declared="application/pdf", file_name="form.pdf")
>>> kept = intake.feed(b"%PDF-1.7\\n") + intake.feed(b"1 0 obj\\n%%EOF\\n") + intake.finish()
>>> intake.media_type, intake.size == len(kept)
('application/pdf', True)
"""

from __future__ import annotations

import hashlib
import re
import zlib
from typing import Final

from onestop.domain.common.formats import int_problem, kind_of
from onestop.domain.documents.media import SNIFF_BYTES, agreeing_type, declared_type, sniff
from onestop.exceptions import (
    DocumentTooLarge,
    InvalidValue,
    MalformedDocument,
    UnsupportedMediaType,
)

__all__ = ["MAX_LIMIT", "Intake"]

MAX_LIMIT: Final = 1 << 40
"""The largest size limit an `Intake` takes (1 TiB)."""

_TAIL: Final = 65_535 + 22
"""How far from the end a ZIP reader looks for the end of the central directory."""

_ZIP_END: Final = b"PK\x05\x06"
_FILL: Final = re.compile(rb"\xff+")
_NOT_DATA: Final = re.compile(rb"\xff(?![\x00\xd0-\xd7])")  # in a scan: a marker, or fill
_PDF_EOF_WINDOW: Final = 1024


class _Jpeg:
    """A JPEG rewritten segment by segment without its metadata."""

    # An APPn segment is kept only when it is what its number usually holds, by its
    # identifier: JFIF (without a thumbnail), an ICC profile, Adobe's colour transform.
    _KEEP_APP: Final = {0xE0: b"JFIF\x00", 0xE2: b"ICC_PROFILE\x00", 0xEE: b"Adobe"}

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.state = "start"

    def _malformed(self, reason: str) -> MalformedDocument:
        return MalformedDocument(media_type="image/jpeg", reason=reason)

    def feed(self, data: bytes, out: bytearray) -> None:
        buffer = self.buffer
        buffer += data
        position = 0
        while True:
            if self.state == "end":
                position = len(buffer)  # what follows the end of image is dropped
                break
            if self.state == "entropy":
                # The next FF that is no stuffed byte (FF 00) and no restart marker: the
                # scan's data up to it is copied in one piece, however many those hold.
                match = _NOT_DATA.search(buffer, position)
                if match is None:
                    out += buffer[position:]
                    position = len(buffer)
                    break
                found = match.start()
                out += buffer[position:found]
                position = found
                after = _FILL.match(buffer, found).end()  # type: ignore[union-attr]
                if after >= len(buffer):
                    break  # what follows the run of FF decides: wait for it
                code = buffer[after]
                if code == 0 or 0xD0 <= code <= 0xD7:  # fill, then a stuffed byte or restart
                    out += bytes((0xFF, code))
                    position = after + 1
                    continue
                position = after - 1  # the fill is dropped; its last FF is the marker's
                self.state = "marker"
                continue
            if len(buffer) - position < 2:
                break
            if buffer[position] != 0xFF:
                raise self._malformed("a segment does not start with a marker")
            code = buffer[position + 1]
            if self.state == "start":
                if code != 0xD8:
                    raise self._malformed("it does not start with a start-of-image marker")
                out += b"\xff\xd8"
                position += 2
                self.state = "marker"
                continue
            if code == 0xFF:  # fill bytes: the run is dropped, its last FF the marker's
                position = _FILL.match(buffer, position).end() - 1  # type: ignore[union-attr]
                continue
            if code == 0xD9:
                out += b"\xff\xd9"
                position += 2
                self.state = "end"
                continue
            if 0xD0 <= code <= 0xD7 or code == 0x01:
                out += buffer[position : position + 2]
                position += 2
                continue
            if code == 0xD8:
                raise self._malformed("a second start-of-image marker")
            if code < 0xC0:  # FF 00 is a stuffed byte, 02 to BF reserved: no segment
                # A decoder reads past these two bytes; skipping a "length" after them
                # would leave unread what it finds there (an APP1 of EXIF and GPS).
                raise self._malformed("a marker code that names no segment")
            if len(buffer) - position < 4:
                break
            length = int.from_bytes(buffer[position + 2 : position + 4], "big")
            if length < 2:
                raise self._malformed("a segment's length is shorter than its own field")
            if len(buffer) - position < 2 + length:
                break
            dropped = code == 0xFE or (0xE0 <= code <= 0xEF and not self._kept(buffer, position))
            if not dropped:
                out += buffer[position : position + 2 + length]
            position += 2 + length
            if code == 0xDA:
                self.state = "entropy"
        del buffer[:position]

    def _kept(self, buffer: bytearray, position: int) -> bool:
        """Whether the APPn segment at *position* is one kept (by its identifier)."""
        code = buffer[position + 1]
        identifier = self._KEEP_APP.get(code)
        if identifier is None:
            return False
        length = int.from_bytes(buffer[position + 2 : position + 4], "big")
        body = bytes(buffer[position + 4 : position + 2 + length])
        if not body.startswith(identifier):
            return False
        # JFIF 1.x: version (2), units (1), densities (4), thumbnail width and height (1+1).
        return code != 0xE0 or (len(body) >= 14 and body[12] == 0 and body[13] == 0)

    def finish(self) -> None:
        if self.state != "end":
            raise self._malformed("it ends before its end-of-image marker (truncated)")


class _Png:
    """A PNG rewritten chunk by chunk without its metadata, every CRC checked."""

    _KEEP: Final = frozenset(
        {
            b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB",
            b"iCCP", b"sBIT", b"pHYs", b"bKGD", b"hIST", b"cICP", b"mDCV", b"cLLI",
            b"mDCv", b"cLLi",
        }
    )  # fmt: skip
    _SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.state = "signature"
        self.remaining = 0
        self.keep = False
        self.kind = b""
        self.crc = 0
        self.chunks = 0

    def _malformed(self, reason: str) -> MalformedDocument:
        return MalformedDocument(media_type="image/png", reason=reason)

    def feed(self, data: bytes, out: bytearray) -> None:
        buffer = self.buffer
        buffer += data
        position = 0
        while True:
            available = len(buffer) - position
            if self.state == "end":
                position = len(buffer)  # what follows IEND is dropped
                break
            if self.state == "signature":
                if available < 8:
                    break
                if bytes(buffer[position : position + 8]) != self._SIGNATURE:
                    raise self._malformed("its signature is damaged")
                out += self._SIGNATURE
                position += 8
                self.state = "header"
            elif self.state == "header":
                if available < 8:
                    break
                length = int.from_bytes(buffer[position : position + 4], "big")
                kind = bytes(buffer[position + 4 : position + 8])
                if length > 0x7FFFFFFF or not kind.isalpha() or not kind.isascii():
                    raise self._malformed("a chunk's header is not valid")
                if self.chunks == 0 and kind != b"IHDR":
                    raise self._malformed("its first chunk is not IHDR")
                critical = kind[:1].isupper()
                if critical and kind not in self._KEEP:
                    raise self._malformed("it has a critical chunk of an unknown type")
                self.chunks += 1
                self.keep, self.kind, self.remaining = kind in self._KEEP, kind, length
                self.crc = zlib.crc32(kind)
                if self.keep:
                    out += buffer[position : position + 8]
                position += 8
                self.state = "data"
            elif self.state == "data":
                take = min(self.remaining, available)
                piece = buffer[position : position + take]
                self.crc = zlib.crc32(piece, self.crc)
                if self.keep:
                    out += piece
                position += take
                self.remaining -= take
                if self.remaining:
                    break
                self.state = "crc"
            else:  # "crc"
                if available < 4:
                    break
                crc = buffer[position : position + 4]
                if int.from_bytes(crc, "big") != self.crc:
                    raise self._malformed("a chunk's CRC does not match its content")
                if self.keep:
                    out += crc
                position += 4
                self.state = "end" if self.kind == b"IEND" else "header"
        del buffer[:position]

    def finish(self) -> None:
        if self.state != "end":
            raise self._malformed("it ends before its IEND chunk (truncated)")


class _Pdf:
    """A PDF kept as it is; it must end with ``%%EOF`` in its last kilobyte."""

    def __init__(self) -> None:
        self.tail = bytearray()

    def feed(self, data: bytes, out: bytearray) -> None:
        out += data
        self.tail += data
        if len(self.tail) > 2 * _PDF_EOF_WINDOW:
            del self.tail[:-_PDF_EOF_WINDOW]

    def finish(self) -> None:
        if b"%%EOF" not in self.tail[-_PDF_EOF_WINDOW:]:
            reason = "it has no %%EOF marker at its end (truncated)"
            raise MalformedDocument(media_type="application/pdf", reason=reason)


_FORMATS: Final[dict[str, type[_Jpeg | _Png | _Pdf]]] = {
    "image/jpeg": _Jpeg,
    "image/png": _Png,
    "application/pdf": _Pdf,
}


class Intake:
    """One upload read chunk by chunk: limited, sniffed, scrubbed, measured and hashed.

    Feed every chunk to `feed` and keep what it returns, then keep what `finish`
    returns; after `finish`, `media_type`, `size` and `sha256` describe the bytes kept.
    An intake that raised must not be fed again.
    """

    def __init__(
        self, *, limit: int, declared: str | None = None, file_name: str | None = None
    ) -> None:
        """Read an upload of at most *limit* bytes, declared as *declared*, named *file_name*.

        Raises:
            InvalidValue: If *limit* is not an integer from 1 to `MAX_LIMIT`, or
                *declared* or *file_name* is neither text nor ``None``.
        """
        reason = int_problem(limit, minimum=1, maximum=MAX_LIMIT)
        if reason is not None:
            raise InvalidValue(field="limit", reason=reason)
        for field, value in (("declared", declared), ("file_name", file_name)):
            if value is not None and not isinstance(value, str):
                raise InvalidValue(field=field, reason=f"expected text, not {kind_of(value)}")
        self.limit = limit
        self._declared = declared
        self._file_name = file_name
        self._head = b""
        self._read = 0
        self._format: _Jpeg | _Png | _Pdf | None = None
        self._hash = hashlib.sha256()
        self._tail = bytearray()
        self.media_type: str | None = None
        """The media type sniffed from the bytes, once known."""
        self.size = 0
        """How many bytes were kept so far."""

    @property
    def read(self) -> int:
        """How many bytes of the upload were read so far."""
        return self._read

    @property
    def sha256(self) -> str:
        """The SHA-256 of the bytes kept so far, in lower-case hex."""
        return self._hash.hexdigest()

    def feed(self, chunk: bytes) -> bytes:
        """Take the next *chunk* of the upload; return the bytes to keep (maybe none).

        Raises:
            InvalidValue: If *chunk* is not bytes.
            DocumentTooLarge: At the first byte beyond the limit.
            UnsupportedMediaType: Once the first bytes show no allowed type, or another
                than the declared type or the name's extension.
            MalformedDocument: If the structure is broken.
        """
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise InvalidValue(field="chunk", reason=f"expected bytes, not {kind_of(chunk)}")
        data = bytes(chunk)
        self._read += len(data)
        if self._read > self.limit:
            raise DocumentTooLarge(limit=self.limit, size=self._read)
        if self._format is None:
            self._head += data
            if len(self._head) < SNIFF_BYTES:
                return b""
            data, self._head = self._head, b""
            self._start(data)
        return self._kept(data)

    def finish(self) -> bytes:
        """End the upload; return the last bytes to keep.

        Raises:
            UnsupportedMediaType: If the upload was empty or of no allowed type, or is
                also a ZIP archive.
            MalformedDocument: If it ends before its structure does (truncated).
        """
        out = b""
        if self._format is None:
            if not self._head:
                raise UnsupportedMediaType(
                    declared=declared_type(self._declared),  # never the raw header
                    sniffed=None,
                    reason="the document is empty",
                )
            data, self._head = self._head, b""
            self._start(data)
            out = self._kept(data)
        assert self._format is not None  # noqa: S101 - _start set it
        self._format.finish()
        if _ZIP_END in self._tail[-_TAIL:]:
            reason = "it is also a ZIP archive (a polyglot)"
            raise UnsupportedMediaType(
                declared="application/zip", sniffed=self.media_type, reason=reason
            )
        return out

    def _start(self, head: bytes) -> None:
        sniffed = sniff(head)
        self.media_type = agreeing_type(sniffed, declared=self._declared, file_name=self._file_name)
        self._format = _FORMATS[self.media_type]()

    def _kept(self, data: bytes) -> bytes:
        out = bytearray()
        assert self._format is not None  # noqa: S101 - _start set it
        self._format.feed(data, out)
        kept = bytes(out)
        self._hash.update(kept)
        self.size += len(kept)
        self._tail += kept
        if len(self._tail) > 2 * _TAIL:  # trimmed now and then: tiny chunks stay cheap
            del self._tail[:-_TAIL]
        return kept
