"""The document desk when something fails under it: a full disk, a scanner, a sweep's race."""

from __future__ import annotations

import resource
import signal
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from onestop.exceptions import (
    InvalidValue,
    MalformedDocument,
    ScannerUnavailable,
    StorageUnavailable,
    UnsupportedMediaType,
)
from onestop.ports.documents import DocumentRecord, Verdict
from onestop.privacy import Keyring, StaticKeyProvider
from onestop.storage import FileDocuments, MemoryStore
from onestop.testing import sample_pdf
from onestop.usecases.documents import DocumentDesk


class _Clock:
    def __init__(self) -> None:
        self.at = datetime.fromisoformat("2026-03-02T09:00:00+07:00")

    def now(self) -> datetime:
        return self.at


def _desk(folder: Path, **options: Any) -> tuple[DocumentDesk, MemoryStore]:
    store = MemoryStore()
    keys = Keyring(StaticKeyProvider.generate("mk-1"), store)
    store_of_documents = options.pop("documents", None) or FileDocuments(folder)
    return DocumentDesk(store_of_documents, keys, key_store=store, **options), store


def _live_keys(store: MemoryStore) -> list[str]:
    return [k.subject for k in store.subject_keys_under("mk-1", limit=1000) if k.live]


def test_a_refusal_on_a_full_disk_is_still_the_refusal(tmp_path: Path) -> None:
    """When closing the refused upload's file fails too (disk full), the refusal is raised."""
    desk, _ = _desk(tmp_path / "documents")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    before = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes fail with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, hard))  # no byte more fits in a file
    try:
        with pytest.raises(UnsupportedMediaType):
            desk.put([b"GIF89a" + bytes(100)])
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, before)
    assert list((tmp_path / "documents").rglob("*.part")) == []


class _Failing:
    """A scanner failing at *where* (start, feed or verdict) as a client library does."""

    def __init__(self, where: str) -> None:
        self.where = where

    def start(self) -> _Failing:
        if self.where == "start":
            raise ConnectionRefusedError(111, "Connection refused")
        return self

    def feed(self, chunk: bytes, /) -> None:
        if self.where == "feed":
            raise ConnectionResetError(104, "Connection reset by peer")

    def verdict(self) -> Verdict:
        if self.where == "verdict":
            return None  # type: ignore[return-value]  # a scanner with no answer
        return Verdict(scanner="test")


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        ("start", "ConnectionRefusedError"),
        ("feed", "ConnectionResetError"),
        ("verdict", "a verdict that is a value of type NoneType"),
    ],
)
def test_a_failing_scanner_is_scanner_unavailable_and_nothing_is_kept(
    tmp_path: Path, where: str, reason: str
) -> None:
    """A scanner that cannot be reached, drops the line or gives no verdict: nothing kept."""
    desk, _ = _desk(tmp_path / "documents", scanner=_Failing(where))
    with pytest.raises(ScannerUnavailable) as caught:
        desk.put([sample_pdf(b"ktp")], application_id="app-1")
    assert caught.value.reason == reason
    assert desk.documents_of("app-1") == ()
    assert list((tmp_path / "documents").glob("*.doc")) == []


def test_a_refused_upload_leaves_no_live_key(tmp_path: Path) -> None:
    """An unattached upload refused after a chunk was sealed destroys the key it made."""
    desk, store = _desk(tmp_path / "documents")
    with pytest.raises(MalformedDocument):
        desk.put([b"%PDF-1.7\n" + b"%" * 150_000])  # a sealed chunk, then no %%EOF
    assert _live_keys(store) == []


class _Watched:
    """A document store that lets a test act at one moment of the desk's work."""

    def __init__(self, inner: FileDocuments) -> None:
        self.inner = inner
        self.after_listing: Any = None
        self.on_record: Any = None
        self.failing_deletes: set[str] = set()

    def put(self, document_id: str, chunks: Any, /, *, record: Any) -> DocumentRecord:
        return self.inner.put(document_id, chunks, record=record)

    def record(self, document_id: str, /) -> DocumentRecord:
        if self.on_record is not None:
            self.on_record()
        return self.inner.record(document_id)

    def read(self, document_id: str, /) -> Iterator[bytes]:
        return self.inner.read(document_id)

    def delete(self, document_id: str, /) -> bool:
        if document_id in self.failing_deletes:
            raise StorageUnavailable("the disk went away")
        return self.inner.delete(document_id)

    def documents_of(self, application_id: str, /) -> Any:
        return self.inner.documents_of(application_id)

    def unattached_before(self, cutoff: datetime, /, *, limit: int) -> Any:
        found = self.inner.unattached_before(cutoff, limit=limit)
        if self.after_listing is not None:
            act, self.after_listing = self.after_listing, None
            act()
        return found

    def replace_record(self, record: DocumentRecord, /) -> None:
        self.inner.replace_record(record)

    def replace(self, document_id: str, chunks: Any, /, *, record: Any) -> DocumentRecord:
        return self.inner.replace(document_id, chunks, record=record)


def test_a_sweep_keeps_an_upload_attached_since_it_was_listed(tmp_path: Path) -> None:
    """An upload attached between the sweep's listing and its delete is kept, attached."""
    clock = _Clock()
    watched = _Watched(FileDocuments(tmp_path / "documents"))
    desk, _ = _desk(tmp_path, documents=watched, clock=clock)
    upload = desk.put([sample_pdf(b"ktp")], file_name="ktp.pdf")
    clock.at += timedelta(days=2)
    watched.after_listing = lambda: desk.attach(upload.document_id, "app-9")
    assert desk.sweep(older_than=timedelta(days=1)) == 0
    assert [d.document_id for d in desk.documents_of("app-9")] == [upload.document_id]
    assert b"".join(desk.read(upload.document_id)) == sample_pdf(b"ktp")


def test_two_racing_attaches_give_the_upload_to_one_application(tmp_path: Path) -> None:
    """Of two attaches of one upload to two applications at once, one wins, one is refused."""
    watched = _Watched(FileDocuments(tmp_path / "documents"))
    desk, _ = _desk(tmp_path, documents=watched)
    upload = desk.put([sample_pdf(b"ktp")])
    first_in, second_in = threading.Event(), threading.Event()

    def meet() -> None:  # the first attach waits a while for the second to read too
        if not first_in.is_set():
            first_in.set()
            second_in.wait(0.5)
        else:
            second_in.set()

    watched.on_record = meet
    results: dict[str, str] = {}

    def attach(application_id: str) -> None:
        try:
            desk.attach(upload.document_id, application_id)
            results[application_id] = "attached"
        except InvalidValue:
            results[application_id] = "refused"

    first = threading.Thread(target=attach, args=("app-a",))
    first.start()
    assert first_in.wait(5)
    second = threading.Thread(target=attach, args=("app-b",))
    second.start()
    first.join(10)
    second.join(10)
    watched.on_record = None
    assert sorted(results.values()) == ["attached", "refused"]
    winner = next(a for a, r in results.items() if r == "attached")
    assert [d.document_id for d in desk.documents_of(winner)] == [upload.document_id]


def test_a_sweep_that_fails_midway_leaves_no_live_key_behind(tmp_path: Path) -> None:
    """A delete failing in a sweep leaves no key alive of an upload already deleted or listed."""
    clock = _Clock()
    watched = _Watched(FileDocuments(tmp_path / "documents"))
    desk, store = _desk(tmp_path, documents=watched, clock=clock)
    uploads = [desk.put([sample_pdf(bytes([n]))]) for n in range(3)]
    clock.at += timedelta(days=2)
    watched.failing_deletes = {uploads[1].document_id}
    with pytest.raises(StorageUnavailable):
        desk.sweep(older_than=timedelta(days=1))
    live = _live_keys(store)
    for upload in uploads:  # deleted, or its delete failed: its key is gone first
        on_disk = (tmp_path / "documents" / f"{upload.document_id}.doc").exists()
        if not on_disk or upload is uploads[1]:
            assert f"upload-{upload.document_id}/applicant" not in live
    watched.failing_deletes = set()
    desk.sweep(older_than=timedelta(days=1))
    assert list((tmp_path / "documents").glob("*.doc")) == []
    assert _live_keys(store) == []


def test_a_damaged_file_stops_no_sweep(tmp_path: Path) -> None:
    """A ``.doc`` file whose record cannot be read (cut to nothing) is passed over by the
    sweep, which still removes the uploads it can read."""
    clock = _Clock()
    folder = tmp_path / "documents"
    desk, _ = _desk(folder, clock=clock)
    kept = desk.put([sample_pdf(b"one")])
    damaged = desk.put([sample_pdf(b"two")])
    (folder / f"{damaged.document_id}.doc").write_bytes(b"")
    clock.at += timedelta(days=2)
    assert desk.sweep(older_than=timedelta(days=1)) == 1
    assert not (folder / f"{kept.document_id}.doc").exists()
    assert (folder / f"{damaged.document_id}.doc").exists()
