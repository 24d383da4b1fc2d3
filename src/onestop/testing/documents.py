"""Sample uploads and a test malware scanner, for testing document stores and desks.

* `EicarScanner`: a `onestop.ports.documents.Scanner` that finds the EICAR anti-virus
  test string (`EICAR`), as every real scanner does, so that a test can show that an
  upload a scanner refuses is not kept;
* `sample_pdf`, `sample_jpeg` and `sample_png` build small, well-formed files; the
  JPEG carries an EXIF segment with a GPS position and the PNG an ``eXIf`` chunk and
  XMP text with one (`GPS_MARK` is in both), so that a test can show they are stripped;
* `png_chunks` and `jpeg_markers` walk a file's structure, checking it holds together.
"""

from __future__ import annotations

import struct
import zlib
from typing import Final

from onestop.ports.documents import Scan, Verdict

__all__ = [
    "EICAR",
    "GPS_MARK",
    "EicarScanner",
    "jpeg_markers",
    "png_chunks",
    "sample_jpeg",
    "sample_pdf",
    "sample_png",
]

EICAR: Final = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
"""The EICAR anti-virus test string, harmless and found by every scanner."""

GPS_MARK: Final = b"GPS-106.8272E-6.1754S"
"""Bytes the samples' location metadata holds, and stripped files must not."""


class _EicarScan:
    def __init__(self, name: str) -> None:
        self._name = name
        self._tail = b""
        self._found = False

    def feed(self, chunk: bytes, /) -> None:
        window = self._tail + chunk
        self._found = self._found or EICAR in window
        self._tail = window[-len(EICAR) :]

    def verdict(self) -> Verdict:
        signature = "Eicar-Test-Signature" if self._found else None
        return Verdict(scanner=self._name, signature=signature)


class EicarScanner:
    """A scanner that finds the EICAR test string anywhere in a document (across chunks)."""

    def __init__(self, name: str = "eicar") -> None:
        """Name itself *name* in its verdicts."""
        self.name = name
        self.started = 0
        """How many scans it started."""

    def start(self) -> Scan:
        """Start scanning a new document."""
        self.started += 1
        return _EicarScan(self.name)


def sample_pdf(body: bytes = b"", *, padding: int = 0) -> bytes:
    """A small PDF holding *body* in a comment, *padding* bytes longer, ending in ``%%EOF``."""
    return (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%"
        + body
        + b"\n"
        + b"% " * (padding // 2)
        + b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _exif_with_gps() -> bytes:
    # A big-endian TIFF: IFD0 with Orientation and the GPS IFD's pointer; the GPS IFD
    # with GPSLatitudeRef and a maker's note holding GPS_MARK.
    gps_offset = 8 + 2 + 2 * 12 + 4
    ifd0 = struct.pack(">H", 2)
    ifd0 += struct.pack(">HHII", 0x0112, 3, 1, 1 << 16)
    ifd0 += struct.pack(">HHII", 0x8825, 4, 1, gps_offset)
    ifd0 += struct.pack(">I", 0)
    data_offset = gps_offset + 2 + 2 * 12 + 4
    gps = struct.pack(">H", 2)
    gps += struct.pack(">HH", 0x0001, 2) + struct.pack(">I", 2) + b"S\x00\x00\x00"
    gps += struct.pack(">HHII", 0x001B, 7, len(GPS_MARK), data_offset)
    gps += struct.pack(">I", 0)
    return b"Exif\x00\x00" + b"MM\x00\x2a" + struct.pack(">I", 8) + ifd0 + gps + GPS_MARK


def sample_jpeg(*, gps: bool = True, trailer: bytes = b"") -> bytes:
    """A small baseline JPEG (8x8, grey); with an EXIF GPS position if *gps*; *trailer* after it."""
    jfif = _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    exif = _segment(0xE1, _exif_with_gps()) if gps else b""
    xmp = _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>" + GPS_MARK + b"</x>")
    comment = _segment(0xFE, b"taken at " + GPS_MARK) if gps else b""
    dqt = _segment(0xDB, b"\x00" + bytes([1] * 64))
    sof = _segment(0xC0, b"\x08\x00\x08\x00\x08\x01\x01\x11\x00")
    dht_dc = _segment(0xC4, b"\x00" + bytes([1] + [0] * 15) + b"\x00")
    dht_ac = _segment(0xC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00")
    sos = _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    entropy = b"\x00\x12\xff\x00\x34"
    middle = (exif + xmp) if gps else b""
    return (
        (b"\xff\xd8" + jfif + middle + comment + dqt + sof + dht_dc + dht_ac + sos + entropy)
        + b"\xff\xd9"
        + trailer
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def sample_png(*, gps: bool = True, trailer: bytes = b"") -> bytes:
    """A 1x1 grey PNG; with ``eXIf`` and XMP ``iTXt`` GPS chunks if *gps*; *trailer* after it."""
    ihdr = _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    meta = b""
    if gps:
        meta = _chunk(b"eXIf", _exif_with_gps()[6:])
        meta += _chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + GPS_MARK)
        meta += _chunk(b"tEXt", b"Comment\x00" + GPS_MARK)
    idat = _chunk(b"IDAT", zlib.compress(b"\x00\x80"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + meta + idat + _chunk(b"IEND", b"") + trailer


def png_chunks(data: bytes) -> list[bytes]:
    """The chunk types of PNG *data*, every CRC checked and the pixels decompressed.

    Raises:
        AssertionError: If *data* is not a whole, valid PNG.
    """
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"  # noqa: S101
    position, kinds, pixels = 8, [], b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + body), f"bad CRC in {kind!r}"  # noqa: S101
        kinds.append(kind)
        if kind == b"IDAT":
            pixels += body
        position += 12 + length
    assert kinds[0] == b"IHDR", "the first chunk is not IHDR"  # noqa: S101
    assert kinds[-1] == b"IEND", "the last chunk is not IEND"  # noqa: S101
    zlib.decompress(pixels)
    return kinds


def jpeg_markers(data: bytes) -> list[int]:
    """The segment markers of JPEG *data* up to its end of image.

    Raises:
        AssertionError: If *data* does not hold together (start, segments, scan, end).
    """
    assert data[:2] == b"\xff\xd8", "not a JPEG start of image"  # noqa: S101
    position, markers = 2, []
    while True:
        assert data[position] == 0xFF, "a segment does not start with a marker"  # noqa: S101
        marker = data[position + 1]
        markers.append(marker)
        if marker == 0xD9:
            assert position + 2 == len(data), "bytes after the end of image"  # noqa: S101
            return markers
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length
        if marker == 0xDA:
            while not (
                data[position] == 0xFF and data[position + 1] not in (0, *range(0xD0, 0xD8))
            ):
                position += 1
