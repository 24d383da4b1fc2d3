"""The contract every `onestop.ports.documents.DocumentStore` keeps, as a pytest class.

Subclass `DocumentStoreContract` and override its ``store`` fixture so that it yields
a new, empty store; override `traces` to list what the store left on its medium
besides its documents (temporary files), so that "nothing is left" is checked there::

    class TestMyDocuments(DocumentStoreContract):
        @pytest.fixture
        def store(self, tmp_path):
            yield MyDocuments(tmp_path)

The tests drive the store directly and through a `onestop.usecases.documents.DocumentDesk`
sealing with a `onestop.privacy.Keyring` over a memory key store.  This module needs pytest.
"""

# ruff: noqa: S101 - a test suite asserts

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from onestop.domain.common.subjects import subject_id
from onestop.exceptions import (
    DocumentNotFound,
    DocumentTooLarge,
    InvalidStoreInput,
    MalformedDocument,
    MalwareFound,
    PersonalDataErased,
    StorageError,
    UnsupportedMediaType,
)
from onestop.ports.documents import DocumentRecord, DocumentStore
from onestop.privacy import KeyCachePolicy, Keyring, StaticKeyProvider
from onestop.storage.memory import MemoryStore
from onestop.testing.documents import (
    EICAR,
    GPS_MARK,
    EicarScanner,
    jpeg_markers,
    png_chunks,
    sample_jpeg,
    sample_pdf,
    sample_png,
)
from onestop.usecases.documents import CHUNK, DocumentDesk

__all__ = ["D0", "DocumentStoreContract", "MovingClock"]

D0 = datetime(2025, 7, 14, 2, 0, tzinfo=UTC)
"""The instant the contract's desk starts at."""


class MovingClock:
    """A clock at `D0` that a test moves by setting `at`."""

    def __init__(self) -> None:
        """Start at `D0`."""
        self.at = D0
        """The instant `now` tells."""

    def now(self) -> datetime:
        """Return `at`."""
        return self.at


class _Failing(Exception):
    """Raised by an upload that breaks in the middle."""


def _breaking(data: bytes, *, after: int) -> Iterator[bytes]:
    for start in range(0, len(data), 1000):
        if start >= after:
            raise _Failing
        yield data[start : start + 1000]


def _record(document_id: str, *, application_id: str | None = None) -> DocumentRecord:
    return DocumentRecord(
        document_id=document_id,
        application_id=application_id,
        media_type="application/pdf",
        size=3,
        created_at=D0,
        sealed="s2.opaque",
    )


class DocumentStoreContract:
    """Behaviour every document store must have, alone and under a `DocumentDesk`."""

    @pytest.fixture
    def store(self) -> Iterator[DocumentStore]:
        """Yield a new, empty store; adapters override this."""
        raise NotImplementedError("override the store fixture")  # pragma: no cover

    def traces(self, store: DocumentStore) -> list[str]:
        """What *store* keeps besides its documents (temporary files); adapters override."""
        return []

    @pytest.fixture
    def keys(self) -> tuple[Keyring, MemoryStore]:
        """A keyring over a memory key store (returned too, to erase subjects)."""
        key_store = MemoryStore()
        provider = StaticKeyProvider({"mk-docs": bytes(range(32))})
        return Keyring(provider, key_store, cache=KeyCachePolicy(max_keys=0)), key_store

    @pytest.fixture
    def clock(self) -> MovingClock:
        """A clock the test moves by hand."""
        return MovingClock()

    @pytest.fixture
    def desk(
        self, store: DocumentStore, keys: tuple[Keyring, MemoryStore], clock: MovingClock
    ) -> DocumentDesk:
        """A desk over the store, with a 1 MiB limit and the EICAR scanner."""
        return DocumentDesk(store, keys[0], limit=1 << 20, scanner=EicarScanner(), clock=clock)

    def _nothing_left(self, store: DocumentStore) -> None:
        assert list(store.unattached_before(D0 + timedelta(days=3650), limit=1000)) == []
        assert list(store.documents_of("app-1")) == []
        assert self.traces(store) == []

    # --- the store alone -------------------------------------------------------------

    def test_satisfies_the_port(self, store: DocumentStore) -> None:
        """The store has every method of the DocumentStore protocol."""
        assert isinstance(store, DocumentStore)

    def test_bytes_come_back_as_put(self, store: DocumentStore) -> None:
        """The bytes put come back the same, whatever the pieces."""
        data = bytes(range(256)) * 3000
        store.put("d1", [data[:5], data[5:]], record=lambda: _record("d1"))
        assert b"".join(store.read("d1")) == data
        assert store.record("d1") == _record("d1")

    def test_a_failing_put_leaves_nothing(self, store: DocumentStore) -> None:
        """An upload that breaks mid-stream leaves no document and no temporary file."""
        with pytest.raises(_Failing):
            store.put("d1", _breaking(b"x" * 10_000, after=5000), record=lambda: _record("d1"))
        with pytest.raises(DocumentNotFound):
            store.record("d1")
        self._nothing_left(store)

    def test_what_the_caller_raises_comes_out_as_it_is(self, store: DocumentStore) -> None:
        """An `OSError` the chunks or the record raise (a scanner's lost connection) is the
        caller's, not a failure of the store: it comes out unchanged, and nothing is kept."""

        def timing_out() -> Iterator[bytes]:
            yield b"x" * 1000
            raise TimeoutError("the scanner did not answer")

        def unreachable() -> DocumentRecord:
            raise ConnectionRefusedError("the scanner is down")

        with pytest.raises(TimeoutError, match="the scanner did not answer"):
            store.put("d1", timing_out(), record=lambda: _record("d1"))
        with pytest.raises(ConnectionRefusedError, match="the scanner is down"):
            store.put("d1", [b"x"], record=unreachable)
        with pytest.raises(DocumentNotFound):
            store.record("d1")
        self._nothing_left(store)

    def test_a_failing_replacement_keeps_the_old_version(self, store: DocumentStore) -> None:
        """A replacement that breaks leaves the version before it whole."""
        store.put("d1", [b"old"], record=lambda: _record("d1"))
        with pytest.raises(_Failing):
            store.put("d1", _breaking(b"y" * 10_000, after=3000), record=lambda: _record("d1"))
        assert b"".join(store.read("d1")) == b"old"
        assert self.traces(store) == []

    def test_a_record_of_another_id_is_refused(self, store: DocumentStore) -> None:
        """The record must describe the id put; otherwise nothing is kept."""
        with pytest.raises(InvalidStoreInput):
            store.put("d1", [b"abc"], record=lambda: _record("d2"))
        self._nothing_left(store)

    @pytest.mark.parametrize("hostile", ["", "../etc/passwd", "a/b", "a\x00b", "x" * 65, "é"])
    def test_hostile_ids_are_refused_or_not_found(self, store: DocumentStore, hostile: str) -> None:
        """An id that is not one is refused on put, not found on read, not deleted."""
        with pytest.raises(InvalidStoreInput):
            store.put(hostile, [b"abc"], record=lambda: _record("d1"))
        with pytest.raises(DocumentNotFound):
            store.record(hostile)
        with pytest.raises(DocumentNotFound):
            store.read(hostile)
        assert store.delete(hostile) is False

    def test_listing_and_deleting(self, store: DocumentStore) -> None:
        """Records list by application, unattached ones by age; delete says if one was there."""
        store.put("d1", [b"a"], record=lambda: _record("d1", application_id="app-1"))
        store.put("d2", [b"b"], record=lambda: _record("d2"))
        assert [r.document_id for r in store.documents_of("app-1")] == ["d1"]
        assert [r.document_id for r in store.unattached_before(D0 + timedelta(1), limit=9)] == [
            "d2"
        ]
        assert store.unattached_before(D0, limit=9) == []
        assert store.delete("d1") is True
        assert store.delete("d1") is False
        assert list(store.documents_of("app-1")) == []

    # --- under a desk ----------------------------------------------------------------

    def test_a_large_pdf_round_trips_sealed(self, desk: DocumentDesk, store: DocumentStore) -> None:
        """A PDF of several chunks comes back equal; the store holds no plaintext."""
        pdf = sample_pdf(b"Siti Rahayu", padding=3 * CHUNK)
        made = desk.put(
            [pdf[i : i + 7000] for i in range(0, len(pdf), 7000)],
            application_id="app-1",
            declared_type="application/pdf",
            file_name="ktp.pdf",
        )
        assert b"".join(desk.read(made.document_id)) == pdf
        assert (made.media_type, made.size, made.file_name) == (
            "application/pdf",
            len(pdf),
            "ktp.pdf",
        )
        assert b"Siti Rahayu" not in b"".join(store.read(made.document_id))
        assert desk.documents_of("app-1") == (made,)

    def test_gps_is_gone_from_a_stored_jpeg(self, desk: DocumentDesk) -> None:
        """A photo's EXIF (with its GPS IFD), XMP and comments are stripped; it holds together."""
        made = desk.put([sample_jpeg()], application_id="app-1", file_name="photo.jpg")
        kept = b"".join(desk.read(made.document_id))
        assert GPS_MARK not in kept
        assert b"Exif\x00\x00" not in kept
        assert 0xE1 not in jpeg_markers(kept)
        assert made.size == len(kept)

    def test_gps_is_gone_from_a_stored_png(self, desk: DocumentDesk) -> None:
        """A PNG's eXIf, iTXt and tEXt chunks and trailing bytes go; it still decodes."""
        made = desk.put([sample_png(trailer=b"junk")], application_id="app-1")
        kept = b"".join(desk.read(made.document_id))
        assert GPS_MARK not in kept
        assert png_chunks(kept) == [b"IHDR", b"IDAT", b"IEND"]

    @pytest.mark.parametrize(
        ("data", "declared", "name"),
        [
            (sample_pdf(), "image/png", "x.pdf"),
            (sample_png(), None, "photo.jpg"),
            (sample_jpeg(), None, "invoice.pdf"),
            (sample_pdf(), None, "run.exe"),
            (b"MZ\x90\x00" + b"\x00" * 100, None, None),
            (b"<html><script>", "text/html", "a.html"),
        ],
    )
    def test_a_lying_media_type_is_refused(
        self,
        desk: DocumentDesk,
        store: DocumentStore,
        data: bytes,
        declared: str | None,
        name: str | None,
    ) -> None:
        """The type is sniffed from the bytes; a declared type or extension that lies is refused."""
        with pytest.raises(UnsupportedMediaType):
            desk.put([data], declared_type=declared, file_name=name)
        self._nothing_left(store)

    def test_too_large_stops_reading_at_the_limit(
        self, desk: DocumentDesk, store: DocumentStore
    ) -> None:
        """An upload over the limit is refused having read limit + 1 bytes, and not kept."""
        upload = io.BytesIO(sample_pdf(padding=3 << 20))
        with pytest.raises(DocumentTooLarge) as raised:
            desk.put(upload)
        assert (raised.value.limit, raised.value.size) == (1 << 20, (1 << 20) + 1)
        assert upload.tell() == (1 << 20) + 1
        self._nothing_left(store)

    @pytest.mark.parametrize(
        "data",
        [sample_png()[:-20], sample_jpeg()[:-2], sample_pdf()[:-8], b"%PDF", sample_png()[:30]],
    )
    def test_truncated_files_are_refused(
        self, desk: DocumentDesk, store: DocumentStore, data: bytes
    ) -> None:
        """A file cut short is refused, and nothing is kept."""
        with pytest.raises((MalformedDocument, UnsupportedMediaType)):
            desk.put([data])
        self._nothing_left(store)

    def test_an_empty_upload_is_refused(self, desk: DocumentDesk, store: DocumentStore) -> None:
        """An empty upload is not of any allowed type."""
        with pytest.raises(UnsupportedMediaType):
            desk.put([])
        self._nothing_left(store)

    def test_a_pdf_that_is_also_a_zip_is_refused(
        self, desk: DocumentDesk, store: DocumentStore
    ) -> None:
        """A polyglot (a ZIP's end record in a PDF's tail) is refused."""
        zip_end = b"PK\x05\x06" + b"\x00" * 18
        with pytest.raises(UnsupportedMediaType, match="polyglot"):
            desk.put([sample_pdf(zip_end)])
        self._nothing_left(store)

    def test_malware_is_not_kept(self, desk: DocumentDesk, store: DocumentStore) -> None:
        """An upload the scanner refuses (the EICAR string across chunks) is not kept."""
        pdf = sample_pdf(b"x" * (CHUNK - 30) + EICAR)
        with pytest.raises(MalwareFound) as raised:
            desk.put([pdf])
        assert raised.value.signature == "Eicar-Test-Signature"
        self._nothing_left(store)

    def test_a_failing_upload_leaves_nothing(
        self, desk: DocumentDesk, store: DocumentStore
    ) -> None:
        """An upload that breaks after several sealed chunks leaves nothing."""
        pdf = sample_pdf(padding=4 * CHUNK)
        with pytest.raises(_Failing):
            desk.put(_breaking(pdf, after=3 * CHUNK), application_id="app-1")
        self._nothing_left(store)

    def test_erasing_the_subject_makes_it_unreadable(
        self, desk: DocumentDesk, keys: tuple[Keyring, MemoryStore]
    ) -> None:
        """Destroying the applicant's key (crypto-shredding) leaves the document unreadable."""
        made = desk.put([sample_pdf()], application_id="app-1", file_name="ktp.pdf")
        keyring, key_store = keys
        key_store.destroy_subject_keys([subject_id("app-1")], at=D0)
        keyring.forget([subject_id("app-1")])
        with pytest.raises(PersonalDataErased):
            desk.read(made.document_id)
        assert desk.describe(made.document_id).file_name is None

    def test_documents_are_not_deduplicated(self, desk: DocumentDesk, store: DocumentStore) -> None:
        """The same file from two applications is kept twice, sealed differently."""
        one = desk.put([sample_pdf()], application_id="app-1")
        two = desk.put([sample_pdf()], application_id="app-2")
        assert one.sha256 == two.sha256
        assert b"".join(store.read(one.document_id)) != b"".join(store.read(two.document_id))

    def test_unattached_uploads_are_swept(self, desk: DocumentDesk, clock: MovingClock) -> None:
        """The sweep removes uploads never attached once old enough; attached ones stay."""
        old = desk.put([sample_pdf()])
        kept = desk.put([sample_pdf()])
        desk.attach(kept.document_id, "app-1")
        clock.at = D0 + timedelta(hours=25)
        fresh = desk.put([sample_pdf()])
        assert desk.sweep(older_than=timedelta(hours=24)) == 1
        with pytest.raises(DocumentNotFound):
            desk.describe(old.document_id)
        assert desk.describe(fresh.document_id).application_id is None
        assert [d.document_id for d in desk.documents_of("app-1")] == [kept.document_id]
        assert b"".join(desk.read(kept.document_id)) == sample_pdf()

    @pytest.mark.parametrize(
        "name", ["../../etc/passwd.pdf", "C:\\x\\a\x00b.pdf", "\u202egpj.pdf", "\udc80.pdf"]
    )
    def test_hostile_file_names_are_kept_safe(self, desk: DocumentDesk, name: str) -> None:
        """A file name is kept without path, control or unpaired characters."""
        made = desk.put([sample_pdf()], file_name=name)
        assert made.file_name is not None
        assert not set(made.file_name) & {"/", "\\", "\x00", "\u202e", "\udc80"}
        assert made.file_name.endswith("pdf")

    # --- what was stored and then altered does not open -------------------------------

    def _tampered(self, store: DocumentStore, document_id: str, data: bytes) -> None:
        found = store.record(document_id)
        store.put(document_id, [data], record=lambda: found)

    def test_an_altered_byte_does_not_open(self, desk: DocumentDesk, store: DocumentStore) -> None:
        """A stored document with one byte changed raises StorageError when read."""
        made = desk.put([sample_pdf(padding=2 * CHUNK)], application_id="app-1")
        sealed = bytearray(b"".join(store.read(made.document_id)))
        sealed[len(sealed) // 2] ^= 0x01
        self._tampered(store, made.document_id, bytes(sealed))
        with pytest.raises(StorageError):
            b"".join(desk.read(made.document_id))

    def test_a_document_cut_short_does_not_open(
        self, desk: DocumentDesk, store: DocumentStore
    ) -> None:
        """A stored document without its last chunk raises StorageError when read."""
        made = desk.put([sample_pdf(padding=2 * CHUNK)], application_id="app-1")
        sealed = b"".join(store.read(made.document_id))
        last = sealed.rindex(b"\x00\x00", 0, len(sealed) - 10)  # inside the last length
        self._tampered(store, made.document_id, sealed[:last])
        with pytest.raises(StorageError):
            b"".join(desk.read(made.document_id))

    def test_a_chunk_of_another_document_does_not_open(
        self, desk: DocumentDesk, store: DocumentStore
    ) -> None:
        """A document given the bytes of another of the same subject does not open."""
        one = desk.put([sample_pdf(b"one")], application_id="app-1")
        two = desk.put([sample_pdf(b"two")], application_id="app-1")
        self._tampered(store, one.document_id, b"".join(store.read(two.document_id)))
        with pytest.raises(StorageError):
            b"".join(desk.read(one.document_id))

    def test_an_unknown_document_is_not_found(self, desk: DocumentDesk) -> None:
        """Reading, describing or attaching an unknown id raises DocumentNotFound."""
        for call in (desk.read, desk.describe, lambda d: desk.attach(d, "app-1")):
            with pytest.raises(DocumentNotFound):
                call("no-such-document")
        assert desk.delete("no-such-document") is False
