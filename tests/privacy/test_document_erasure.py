"""Erasing an application with the privacy desk leaves its uploaded documents unreadable."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from privacy_desk_support import (
    CITIZEN,
    DOCUMENTS,
    FRONT,
    DeskClock,
    answers,
    person,
    sealed_mall,
)

from onestop.exceptions import PersonalDataErased
from onestop.storage import FileDocuments, MemoryStore
from onestop.testing import sample_pdf
from onestop.usecases.documents import DocumentDesk
from onestop.usecases.privacy import PrivacyDesk


def test_erasure_crypto_shreds_the_documents(tmp_path: Path) -> None:
    """After PrivacyDesk.erase, the application's documents no longer open; another's do."""
    clock, store = DeskClock(), MemoryStore()
    mall = sealed_mall(store, clock=clock)
    assert mall.keys is not None
    privacy = PrivacyDesk(mall)
    documents = DocumentDesk(FileDocuments(tmp_path / "documents"), mall.keys, clock=clock)
    ids = []
    for nik in ("3171015708850003", "3171014403900007"):
        receipt = mall.submit(
            "izin-usaha",
            channel="online",
            applicant=person(nik, "Siti Rahayu", "Jl. Kanari 7"),
            answers=answers("Jl. Kanari 7"),
            documents=DOCUMENTS,
            actor=CITIZEN,
        )
        ids.append(receipt.application_id)
    erased, kept = (
        documents.put([sample_pdf(b"ktp")], application_id=i, file_name="ktp.pdf") for i in ids
    )
    mall.withdraw(ids[0], reason="applicant_request", actor=CITIZEN)
    privacy.erase(ids[0], legal_basis="UU 27/2022 art. 8", actor=FRONT)
    with pytest.raises(PersonalDataErased):
        documents.read(erased.document_id)
    assert documents.describe(erased.document_id).sha256 is None
    assert b"".join(documents.read(kept.document_id)) == sample_pdf(b"ktp")


def test_a_document_file_copied_over_another_is_refused(tmp_path: Path) -> None:
    """Another application's document put in this one's place is a StorageError, not its bytes."""
    from onestop.exceptions import StorageError

    clock = DeskClock()
    mall = sealed_mall(MemoryStore(), clock=clock)
    assert mall.keys is not None
    folder = tmp_path / "documents"
    documents = DocumentDesk(FileDocuments(folder), mall.keys, clock=clock)
    first = documents.put([sample_pdf(b"one")], application_id="app-1", file_name="a.pdf")
    second = documents.put([sample_pdf(b"two")], application_id="app-2", file_name="b.pdf")
    (folder / f"{first.document_id}.doc").write_bytes(
        (folder / f"{second.document_id}.doc").read_bytes()
    )
    with pytest.raises(StorageError):
        b"".join(documents.read(first.document_id))
    with pytest.raises(StorageError):
        documents.describe(first.document_id)


def test_a_document_repr_shows_no_personal_data(tmp_path: Path) -> None:
    """Neither the uploader's file name nor the content's hash appears in a Document's repr."""
    clock = DeskClock()
    mall = sealed_mall(MemoryStore(), clock=clock)
    assert mall.keys is not None
    documents = DocumentDesk(FileDocuments(tmp_path / "documents"), mall.keys, clock=clock)
    kept = documents.put([sample_pdf(b"ktp")], application_id="app-1", file_name="Siti KTP.pdf")
    assert kept.file_name == "Siti KTP.pdf"
    assert "Siti" not in repr(kept)
    assert kept.sha256 is not None
    assert kept.sha256 not in repr(kept)


def test_attaching_sweeping_and_deleting_destroy_the_upload_keys(tmp_path: Path) -> None:
    """With the key store given, an upload's own key dies once it is attached, swept or deleted.

    So a backup copy taken before it was attached cannot be read once the application's
    key is destroyed: nothing but that application's key opens the document.
    """
    clock, store = DeskClock(), MemoryStore()
    mall = sealed_mall(store, clock=clock)
    assert mall.keys is not None
    folder, backup = tmp_path / "documents", tmp_path / "backup"
    documents = DocumentDesk(FileDocuments(folder), mall.keys, clock=clock, key_store=store)
    uploads = [documents.put([sample_pdf(bytes([n]))], file_name=f"{n}.pdf") for n in range(3)]
    kept = documents.put([sample_pdf(b"kept")], file_name="kept.pdf")
    subjects = {d.document_id: f"upload-{d.document_id}/applicant" for d in [*uploads, kept]}
    assert all(store.subject_keys([s])[s].live for s in subjects.values())
    backup.mkdir()
    name = f"{uploads[0].document_id}.doc"
    (backup / name).write_bytes((folder / name).read_bytes())

    documents.attach(uploads[0].document_id, "app-1")
    assert documents.delete(uploads[1].document_id)
    clock.advance(days=2)
    assert documents.sweep(older_than=timedelta(days=1)) == 2  # uploads[2] and kept
    for document_id, subject in subjects.items():
        assert not store.subject_keys([subject])[subject].live, document_id

    store.destroy_subject_keys(["app-1/applicant"], at=clock.now())
    mall.keys.forget(["app-1/applicant"])  # type: ignore[attr-defined]
    from_backup = DocumentDesk(FileDocuments(backup), mall.keys, clock=clock)
    assert from_backup.describe(uploads[0].document_id).file_name is None
    with pytest.raises(PersonalDataErased):
        b"".join(from_backup.read(uploads[0].document_id))
