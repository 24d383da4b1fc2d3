"""The document store contract, run on the memory and the filesystem stores."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from onestop.ports.documents import DocumentStore
from onestop.storage.documents import FileDocuments, MemoryDocuments
from onestop.testing.document_contracts import DocumentStoreContract
from onestop.testing.documents import sample_pdf


class TestMemoryDocuments(DocumentStoreContract):
    """The memory store keeps the contract."""

    @pytest.fixture
    def store(self) -> Iterator[DocumentStore]:
        """A new memory store."""
        return MemoryDocuments()


class TestFileDocuments(DocumentStoreContract):
    """The filesystem store keeps the contract, leaving no temporary file."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[DocumentStore]:
        """A new store in a fresh directory."""
        return FileDocuments(tmp_path / "documents")

    def traces(self, store: DocumentStore) -> list[str]:
        """The files of its temporary folder."""
        assert isinstance(store, FileDocuments)
        return os.listdir(store.directory / "tmp")


def test_stored_files_are_private_and_named_by_id(tmp_path: Path) -> None:
    """A stored file has mode 0600 and is named by the document's id only."""
    store = FileDocuments(tmp_path)
    from onestop.ports.documents import DocumentRecord
    from onestop.testing.document_contracts import D0

    record = DocumentRecord(
        document_id="d1",
        application_id=None,
        media_type="application/pdf",
        size=1,
        created_at=D0,
        sealed="s2.x",
    )
    store.put("d1", [sample_pdf()], record=lambda: record)
    assert sorted(os.listdir(tmp_path)) == ["d1.doc", "tmp"]
    assert stat.S_IMODE((tmp_path / "d1.doc").stat().st_mode) == 0o600


def test_partial_files_left_by_a_killed_writer_are_removed_after_an_hour(tmp_path: Path) -> None:
    """A new FileDocuments removes tmp/*.part files older than an hour, and keeps fresh ones."""
    FileDocuments(tmp_path / "docs")
    stale = tmp_path / "docs" / "tmp" / "abc.0123456789abcdef.part"
    fresh = tmp_path / "docs" / "tmp" / "def.0123456789abcdef.part"
    stale.write_bytes(b"sealed")
    fresh.write_bytes(b"sealed")
    hour_and_a_bit = os.stat(stale).st_mtime - 3700
    os.utime(stale, (hour_and_a_bit, hour_and_a_bit))
    FileDocuments(tmp_path / "docs")
    assert not stale.exists()
    assert fresh.exists()


def test_old_files_in_tmp_not_named_as_partial_files_stay(tmp_path: Path) -> None:
    """A new FileDocuments removes only the partial files it names (``<id>.<16 hex>.part``)
    from its ``tmp`` folder: an operator's file ending in ``.part``, however old, stays."""
    (tmp_path / "docs" / "tmp").mkdir(parents=True)
    theirs = [
        tmp_path / "docs" / "tmp" / name
        for name in ("film.part", "a.b.0123456789abcdef.part", "abc.0123456789ABCDEF.part")
    ]
    for path in theirs:
        path.write_bytes(b"their own")
        hours_ago = os.stat(path).st_mtime - 3 * 3600
        os.utime(path, (hours_ago, hours_ago))
    FileDocuments(tmp_path / "docs")
    assert all(path.exists() for path in theirs)
