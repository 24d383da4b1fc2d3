"""Publishing a catalogue to a store: canonical bytes, idempotence, versions and refusals."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from onestop.exceptions import CatalogueVersionNotFound, ConcurrencyConflict, InvalidCatalogue
from onestop.ports.catalogue import catalogue_digest
from onestop.storage.memory import MemoryStore
from onestop.usecases.catalogue.loading import dump_catalogue, load_catalogue
from onestop.usecases.catalogue.publishing import (
    canonical_catalogue,
    publish_catalogue,
    published_catalogue,
)

ROOT = Path(__file__).parent.parent.parent
JAKARTA = ROOT / "examples" / "jakarta"
BROKEN = Path(__file__).parent / "broken" / "dangling_agency.toml"
T0 = datetime(2025, 7, 14, 2, 0, tzinfo=UTC)


class FixedClock:
    """A clock that always says T0."""

    def now(self) -> datetime:
        """Return T0."""
        return T0


@pytest.fixture
def changed(tmp_path: Path) -> Path:
    """A copy of the Jakarta catalogue whose mall has another English name."""
    target = tmp_path / "jakarta"
    shutil.copytree(JAKARTA, target)
    header = target / "catalogue.toml"
    text = header.read_text(encoding="utf-8")
    assert 'en = "Jakarta' in text
    header.write_text(text.replace('en = "Jakarta', 'en = "Greater Jakarta', 1), encoding="utf-8")
    return target


# --- canonical bytes ------------------------------------------------------------------


def test_the_same_catalogue_gives_the_same_bytes() -> None:
    """Loading the same files twice gives byte-identical canonical content."""
    assert canonical_catalogue(load_catalogue(JAKARTA)) == canonical_catalogue(
        load_catalogue(JAKARTA)
    )


def test_the_bytes_do_not_depend_on_the_files_layout(tmp_path: Path) -> None:
    """A directory of TOML files and one JSON file of the same catalogue give the same bytes."""
    single = tmp_path / "catalogue.json"
    single.write_text(dump_catalogue(load_catalogue(JAKARTA)), encoding="utf-8")
    assert canonical_catalogue(load_catalogue(single)) == canonical_catalogue(
        load_catalogue(JAKARTA)
    )


def test_the_bytes_load_back_as_an_equal_catalogue(tmp_path: Path) -> None:
    """The canonical content, saved as a .json file, loads as an equal catalogue."""
    catalogue = load_catalogue(JAKARTA)
    saved = tmp_path / "published.json"
    saved.write_bytes(canonical_catalogue(catalogue))
    assert load_catalogue(saved) == catalogue


def test_a_changed_catalogue_gives_other_bytes(changed: Path) -> None:
    """Changing one text of the catalogue changes its canonical content."""
    assert canonical_catalogue(load_catalogue(changed)) != canonical_catalogue(
        load_catalogue(JAKARTA)
    )


# --- publishing ---------------------------------------------------------------------


def test_the_first_publication_is_version_1() -> None:
    """A catalogue published to an empty store becomes version 1, at the clock's time."""
    store = MemoryStore()
    published = publish_catalogue(store, JAKARTA, clock=FixedClock(), label="opening day")
    content = canonical_catalogue(load_catalogue(JAKARTA))
    assert published.created
    assert (published.version.version, published.version.recorded_at) == (1, T0)
    assert (published.version.content, published.version.digest) == (
        content,
        catalogue_digest(content),
    )
    assert published.version.label == "opening day"


def test_an_unchanged_catalogue_is_not_published_again() -> None:
    """Publishing the same catalogue again, from a path or loaded, writes nothing."""
    store = MemoryStore()
    first = publish_catalogue(store, JAKARTA, clock=FixedClock())
    again = publish_catalogue(store, load_catalogue(JAKARTA), label="again")
    assert not again.created
    assert again.version == first.version
    assert len(store.catalogue_versions()) == 1


def test_a_changed_catalogue_is_the_next_version(changed: Path) -> None:
    """A changed catalogue becomes version 2; version 1 stays as it was."""
    store = MemoryStore()
    first = publish_catalogue(store, JAKARTA)
    second = publish_catalogue(store, changed)
    assert (second.created, second.version.version) == (True, 2)
    assert store.catalogue_version(1) == first.version


def test_a_publication_reviewed_against_an_old_version_conflicts(changed: Path) -> None:
    """With expected_version older than the latest, publishing raises ConcurrencyConflict."""
    store = MemoryStore()
    publish_catalogue(store, JAKARTA)
    with pytest.raises(ConcurrencyConflict) as caught:
        publish_catalogue(store, changed, expected_version=0)
    assert (caught.value.expected, caught.value.actual) == (0, 1)
    assert len(store.catalogue_versions()) == 1


def test_an_invalid_catalogue_is_not_published() -> None:
    """A path to an invalid catalogue raises InvalidCatalogue and publishes nothing."""
    store = MemoryStore()
    with pytest.raises(InvalidCatalogue):
        publish_catalogue(store, BROKEN)
    assert store.latest_catalogue() is None


def test_without_a_clock_the_system_time_is_used() -> None:
    """Without a clock, the version is stamped with the current time, in UTC."""
    store = MemoryStore()
    before = datetime.now(UTC)
    published = publish_catalogue(store, JAKARTA)
    assert before <= published.version.recorded_at <= datetime.now(UTC) + timedelta(seconds=1)


# --- reading a published version back -----------------------------------------------


def test_the_latest_published_catalogue_loads_back_equal(changed: Path) -> None:
    """The latest version loads as the catalogue last published."""
    store = MemoryStore()
    publish_catalogue(store, JAKARTA, clock=FixedClock())
    publish_catalogue(store, changed, clock=FixedClock())

    assert published_catalogue(store) == load_catalogue(changed)
    assert published_catalogue(store, 1) == load_catalogue(JAKARTA)


@pytest.mark.parametrize(
    ("version", "message"),
    [(None, "no catalogue has been published"), (3, "no catalogue version 3")],
)
def test_a_missing_version_is_not_found(version: int | None, message: str) -> None:
    """Asking an empty store for the latest, or any store for an unknown number, is NotFound."""
    store = MemoryStore()
    if version is not None:
        publish_catalogue(store, JAKARTA, clock=FixedClock())
    with pytest.raises(CatalogueVersionNotFound, match=message) as caught:
        published_catalogue(store, version)
    assert caught.value.version == version


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not json", "not JSON"), (b'{"services": []}', "[catalogue]"), (b"[1, 2]", "top level")],
)
def test_content_that_is_not_a_catalogue_is_invalid(content: bytes, message: str) -> None:
    """Stored bytes that do not load as a catalogue raise InvalidCatalogue naming the version."""
    store = MemoryStore()
    store.publish_catalogue(
        content, digest=catalogue_digest(content), expected_version=0, recorded_at=T0
    )
    with pytest.raises(InvalidCatalogue) as caught:
        published_catalogue(store)
    assert {problem.file for problem in caught.value.problems} == {"catalogue version 1"}
    assert message in str(caught.value)
