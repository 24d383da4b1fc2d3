"""The intake of one upload: limits, sniffing, scrubbing and structure, chunk by chunk."""

from __future__ import annotations

import contextlib
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.domain.documents.media import (
    MAX_FILE_NAME,
    agreeing_type,
    declared_type,
    extension_type,
    safe_file_name,
    sniff,
)
from onestop.domain.documents.scrub import Intake
from onestop.exceptions import (
    DocumentError,
    DocumentTooLarge,
    InvalidValue,
    UnsupportedMediaType,
)
from onestop.testing.documents import (
    GPS_MARK,
    jpeg_markers,
    png_chunks,
    sample_jpeg,
    sample_pdf,
    sample_png,
)

SAMPLES = [sample_jpeg(), sample_png(), sample_pdf(b"form")]


def _kept(data: bytes, cuts: list[int], **options: object) -> bytes:
    intake = Intake(limit=1 << 20, **options)  # type: ignore[arg-type]
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    out = b"".join(intake.feed(data[a:b]) for a, b in itertools.pairwise(points))
    return out + intake.finish()


@given(sample=st.sampled_from(SAMPLES), cuts=st.lists(st.integers(min_value=0), max_size=30))
def test_the_kept_bytes_do_not_depend_on_the_chunks(sample: bytes, cuts: list[int]) -> None:
    """However an upload is cut into chunks, the same bytes are kept."""
    assert _kept(sample, cuts) == _kept(sample, [])


@given(sample=st.sampled_from(SAMPLES))
def test_scrubbing_twice_changes_nothing(sample: bytes) -> None:
    """What is kept, uploaded again, is kept as it is."""
    once = _kept(sample, [])
    assert _kept(once, []) == once


@settings(max_examples=300)
@given(
    prefix=st.sampled_from([b"", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"%PDF-"]),
    body=st.binary(max_size=400),
    cuts=st.lists(st.integers(min_value=0), max_size=5),
)
def test_hostile_bytes_raise_only_document_errors(
    prefix: bytes, body: bytes, cuts: list[int]
) -> None:
    """Random bytes, behind any magic number, are kept or refused with a DocumentError."""
    with contextlib.suppress(DocumentError):
        _kept(prefix + body, cuts)


def test_a_jpeg_loses_its_exif_gps_and_trailer() -> None:
    """EXIF (with its GPS IFD), XMP, comments and bytes after the end are dropped."""
    kept = _kept(sample_jpeg(trailer=b"PK\x05\x06" + b"\x00" * 18), [])
    assert GPS_MARK not in kept
    assert b"PK" not in kept
    assert jpeg_markers(kept) == [0xE0, 0xDB, 0xC0, 0xC4, 0xC4, 0xDA, 0xD9]


@pytest.mark.parametrize("code", [0x00, 0x02, 0x4F, 0xBF])
def test_a_jpeg_hiding_a_segment_behind_a_code_that_names_none_is_refused(code: int) -> None:
    """A marker code that names no segment (``FF 00``, a stuffed byte; ``FF 02`` to
    ``FF BF``, reserved) followed by a length is refused: a decoder reads past its two
    bytes and finds the EXIF segment (with GPS) the length would have skipped unread."""
    plain = sample_jpeg(gps=False)
    exif = sample_jpeg()[2:]  # the sample with GPS, without its start-of-image marker
    hidden = exif[: exif.index(b"\xff\xdb")]  # its APP0 and APP1 (EXIF, GPS) segments
    assert GPS_MARK in hidden
    wrapped = bytes([0xFF, code]) + (2 + len(hidden)).to_bytes(2, "big") + hidden
    with pytest.raises(DocumentError, match="names no segment"):
        _kept(plain[:2] + wrapped + plain[2:], [])


@given(
    fill=st.integers(min_value=1, max_value=3000),
    stuffed=st.integers(min_value=0, max_value=3000),
    cuts=st.lists(st.integers(min_value=0), max_size=8),
)
def test_runs_of_fill_and_stuffed_bytes_are_kept_as_one_at_a_time(
    fill: int, stuffed: int, cuts: list[int]
) -> None:
    """Fill bytes (``FF``) before a marker, in a header or after a scan, are dropped however
    long the run, and stuffed bytes (``FF 00``) in a scan kept, wherever the chunks are cut:
    the same bytes as the image without the fill."""
    plain = sample_jpeg(gps=False)
    table = plain.index(b"\xff\xdb")
    end = plain.rindex(b"\xff\xd9")
    data = b"\xff\x00" * stuffed
    clean = plain[:end] + data + plain[end:]
    padded = plain[:table] + b"\xff" * fill + plain[table:end] + data + b"\xff" * fill + plain[end:]
    assert _kept(padded, cuts) == _kept(clean, [])


def test_a_png_keeps_only_how_to_show_its_pixels() -> None:
    """Only IHDR, IDAT and IEND are left of the sample PNG, every CRC right."""
    assert png_chunks(_kept(sample_png(), [])) == [b"IHDR", b"IDAT", b"IEND"]


def test_a_png_with_a_wrong_crc_is_refused() -> None:
    """A PNG chunk whose CRC does not match is malformed."""
    data = bytearray(sample_png(gps=False))
    data[29] ^= 0xFF  # inside IHDR's CRC
    with pytest.raises(DocumentError, match="CRC"):
        _kept(bytes(data), [])


def test_the_limit_is_checked_on_every_chunk() -> None:
    """The first byte beyond the limit raises, with how much was read."""
    intake = Intake(limit=10)
    intake.feed(b"%PDF-1234")
    with pytest.raises(DocumentTooLarge) as raised:
        intake.feed(b"56")
    assert (raised.value.limit, raised.value.size) == (10, 11)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.4", "application/pdf"),
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"RIFF\x00\x00\x00\x00WEBP", None),
        (b"II*\x00", None),
        (b"PK\x03\x04", None),
        (b"", None),
    ],
)
def test_sniffing_reads_magic_numbers(head: bytes, expected: str | None) -> None:
    """Only the allowed types' magic numbers are recognised."""
    assert sniff(head) == expected


def test_declared_types_are_normalised() -> None:
    """Parameters and case go, aliases are named, octet-stream declares nothing."""
    assert declared_type("IMAGE/JPG; q=1") == "image/jpeg"
    assert declared_type("application/octet-stream") is None
    assert extension_type("archive.tar.PDF") == ("pdf", "application/pdf")
    assert extension_type(".pdf") is None


def test_a_declared_type_that_agrees_is_accepted() -> None:
    """A declared type and an extension that agree with the bytes pass."""
    assert agreeing_type("image/png", declared="image/png", file_name="a.png") == "image/png"
    with pytest.raises(UnsupportedMediaType) as raised:
        agreeing_type("image/png", declared=None, file_name="a.jpeg")
    assert (raised.value.declared, raised.value.sniffed) == ("image/jpeg", "image/png")


@given(st.text(max_size=2000))
def test_safe_file_names_are_safe(name: str) -> None:
    """A kept name has no path separator or invisible character, and is short and stable."""
    safe = safe_file_name(name)
    assert safe
    assert len(safe) <= MAX_FILE_NAME
    assert not set(safe) & {"/", "\\", "\x00", "\n", "\u202e"}
    assert not safe.startswith(".")
    assert safe_file_name(safe) == safe


def test_intake_refuses_what_is_not_bytes() -> None:
    """A chunk that is text, or a limit out of range, is an InvalidValue."""
    with pytest.raises(InvalidValue):
        Intake(limit=1).feed("%PDF")  # type: ignore[arg-type]
    with pytest.raises(InvalidValue):
        Intake(limit=0)


def _segment(code: int, body: bytes) -> bytes:
    return bytes([0xFF, code]) + (len(body) + 2).to_bytes(2, "big") + body


def test_a_jpeg_keeps_app0_app2_and_app14_only_as_what_they_usually_hold() -> None:
    """A JFXX thumbnail or FlashPix data smuggled in APP0 or APP2 is dropped, GPS and all."""
    thumbnail = sample_jpeg()  # carries its own EXIF with a GPS IFD
    jfif_with_thumbnail = b"JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x01\x01" + b"\x00\x00\x00"
    smuggled = (
        _segment(0xE0, b"JFXX\x00\x10" + thumbnail)
        + _segment(0xE2, b"FPXR\x00" + GPS_MARK)
        + _segment(0xE0, jfif_with_thumbnail)
    )
    original = sample_jpeg()
    kept = _kept(original[:2] + smuggled + original[2:], [])
    assert GPS_MARK not in kept
    assert b"JFXX" not in kept
    assert b"FPXR" not in kept
    assert jfif_with_thumbnail not in kept
    assert jpeg_markers(kept) == [0xE0, 0xDB, 0xC0, 0xC4, 0xC4, 0xDA, 0xD9]


def test_refusals_quote_no_part_of_a_name() -> None:
    """An empty upload or a lying name is refused without quoting the header or the name."""
    header = 'application/octet-stream; name="Siti Rahayu KTP.jpg"'
    with pytest.raises(UnsupportedMediaType) as empty:
        Intake(limit=100, declared=header).finish()
    assert empty.value.declared is None
    assert "Siti" not in str(empty.value)
    with pytest.raises(UnsupportedMediaType) as named:
        _kept(sample_pdf(b"ktp"), [], file_name="KTP.siti-rahayu-1990")
    assert "siti" not in str(named.value).lower()
