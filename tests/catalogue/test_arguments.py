"""Loading, parsing, digesting and publishing refuse arguments of the wrong kind, typed.

A path is input too: one holding a NUL or a lone surrogate, one too long for the file
system, or one that is not text is a `CatalogueReadError`, never a `ValueError` or an
`OSError` of the operating system's, and its message stays short.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from onestop.domain.catalogue.checks import check_catalogue
from onestop.exceptions import CatalogueReadError, InvalidValue, StorageError
from onestop.ports.catalogue import (
    catalogue_digest,
    next_catalogue_version,
    stored_catalogue_version,
)
from onestop.serialization import key_path
from onestop.storage.memory import MemoryStore
from onestop.usecases.catalogue.files import parse_document
from onestop.usecases.catalogue.loading import load_catalogue, read_catalogue
from onestop.usecases.catalogue.publishing import publish_catalogue, published_catalogue

MINIMAL = Path(__file__).parent / "valid" / "minimal.toml"
CONTENT = b'{"catalogue":{}}'
AT = datetime(2025, 7, 14, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    "path",
    ["\x00jakarta", "\ud800jakarta", "jakarta\udfff", "\U0001f600" * 1001, "", b"minimal.toml", 5],
    ids=["nul", "high-surrogate", "low-surrogate", "too-long", "empty", "bytes", "int"],
)
@pytest.mark.parametrize("read", [load_catalogue, read_catalogue])
def test_a_path_no_file_can_have_is_a_read_error(read: Any, path: object) -> None:
    """A NUL, a lone surrogate, a name too long, or not text: CatalogueReadError, briefly."""
    with pytest.raises(CatalogueReadError) as caught:
        read(MINIMAL, path)
    assert len(str(caught.value)) < 300
    str(caught.value).encode("ascii", "backslashreplace")  # the message prints


def test_a_path_object_still_loads() -> None:
    """An os.PathLike and text both name a catalogue file."""
    assert load_catalogue(MINIMAL) == load_catalogue(str(MINIMAL))


def test_publishing_a_path_that_is_bytes_is_a_read_error() -> None:
    """publish_catalogue refuses a bytes path before writing anything."""
    store = MemoryStore()
    with pytest.raises(CatalogueReadError):
        publish_catalogue(store, b"minimal.toml")  # type: ignore[arg-type]
    assert store.latest_catalogue() is None


@pytest.mark.parametrize("guards", [[b"forward"], "forward", [["forward"]], 5])
def test_known_guards_that_are_not_names_are_refused(guards: object) -> None:
    """check_catalogue, and so the loader and published_catalogue, refuse such guards."""
    catalogue = load_catalogue(MINIMAL)
    with pytest.raises(InvalidValue) as caught:
        check_catalogue(catalogue, known_guards=guards)  # type: ignore[arg-type]
    assert caught.value.field.startswith("known_guards")
    store = MemoryStore()
    publish_catalogue(store, catalogue)
    with pytest.raises(InvalidValue):
        published_catalogue(store, known_guards=guards)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: parse_document(memoryview(b"{}"), name="c.json"), "data"),
        (lambda: parse_document("{}", name="c.json"), "data"),
        (lambda: parse_document(b"{}", name=b"c.json"), "name"),
        (lambda: parse_document(b"{}", name="c.json", syntax=b"json"), "syntax"),
        (lambda: parse_document(b"{}", name="c.json", syntax="yaml"), "syntax"),
        (lambda: catalogue_digest("text, not bytes"), "content"),
        (lambda: key_path(["services"], "name"), "path"),
    ],
)
def test_the_callers_wrong_type_is_invalid_value(call: Any, field: str) -> None:
    """Text for bytes, bytes for text, an unknown syntax: InvalidValue naming the argument."""
    with pytest.raises(InvalidValue) as caught:
        call()
    assert caught.value.field == field


def test_a_key_of_any_kind_makes_a_short_one_line_path() -> None:
    """A nested dict or a huge integer as a key is named by its kind, not printed."""
    nested: dict[str, object] = {}
    inner = nested
    for _ in range(5000):
        inner["a"] = {}
        inner = inner["a"]  # type: ignore[assignment]
    assert key_path("services[0]", nested) == 'services[0]["a value of type dict"]'
    assert key_path("a", 10**5000) == 'a["an integer of 5001 digits"]'
    assert key_path("a", 5) == 'a["5"]'


@pytest.mark.parametrize(
    ("numbers", "field"),
    [
        ({"latest": 10**5000, "expected_version": 0}, "latest"),
        ({"latest": 0, "expected_version": -(10**5000)}, "expected_version"),
        ({"latest": True, "expected_version": 1}, "latest"),
        ({"latest": 2**63 - 1, "expected_version": 2**63 - 1}, "latest"),
    ],
)
def test_a_version_number_no_store_holds_is_refused(numbers: dict[str, Any], field: str) -> None:
    """next_catalogue_version refuses a huge, boolean or last version, briefly, by name."""
    latest = numbers.pop("latest")
    with pytest.raises(InvalidValue) as caught:
        next_catalogue_version(
            latest,
            CONTENT,
            digest=catalogue_digest(CONTENT),
            recorded_at=AT,
            label=None,
            **numbers,
        )
    assert caught.value.field == field
    assert len(str(caught.value)) < 200


def test_a_stored_version_with_a_huge_number_is_damaged_storage() -> None:
    """A row read back with a version no store holds is a StorageError with a short message."""
    with pytest.raises(StorageError) as caught:
        stored_catalogue_version(
            version=-(10**5000),
            digest=catalogue_digest(CONTENT),
            content=CONTENT,
            recorded_at=AT,
            label=None,
        )
    assert len(str(caught.value)) < 200
