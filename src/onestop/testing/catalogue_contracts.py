"""The contract every `onestop.ports.catalogue.CatalogueStore` keeps, as a pytest class.

Each test turns one promise of the port's docstrings (or one behaviour of
`onestop.storage.memory.MemoryStore`, the executable specification) into a check.
`onestop.testing.contracts.EventStoreContract` inherits every test here, so a storage
adapter's contract subclass checks its catalogue versions too.  A store that keeps
only catalogue versions subclasses `CatalogueStoreContract` alone and provides a
``store`` fixture that yields a new, empty store::

    class TestMyCatalogueStore(CatalogueStoreContract):
        @pytest.fixture
        def store(self, tmp_path):
            with MyCatalogueStore.open(tmp_path / "store.db") as store:
                yield store

`race_publications` lets publishers race on one store, for an adapter's own
concurrency tests.  This module needs pytest; see :doc:`/how-to/write-a-storage-adapter`.
"""

# ruff: noqa: S101 - a test suite asserts

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from onestop.exceptions import (
    ConcurrencyConflict,
    InvalidStoreInput,
    InvalidValue,
    NaiveDatetime,
    StorageError,
)
from onestop.ports.catalogue import (
    CATALOGUE_STREAM,
    MAX_LABEL,
    MAX_LISTING,
    CatalogueStore,
    CatalogueVersion,
    CatalogueVersionInfo,
    catalogue_digest,
)

__all__ = ["CatalogueStoreContract", "publish", "race_publications"]

_T0 = datetime(2025, 7, 14, 2, 0, tzinfo=UTC)
_JAKARTA = timezone(timedelta(hours=7))
_FIRST = b'{"catalogue":{"name":{"en":"first"}}}'
_SECOND = b'{"catalogue":{"name":{"en":"second"}}}'


def publish(
    store: CatalogueStore,
    content: bytes,
    expected: int = 0,
    *,
    recorded_at: datetime = _T0,
    label: str | None = None,
) -> CatalogueVersion:
    """Publish *content* on *store* after version *expected*, with its own digest."""
    return store.publish_catalogue(
        content,
        digest=catalogue_digest(content),
        expected_version=expected,
        recorded_at=recorded_at,
        label=label,
    )


def race_publications(
    stores: Sequence[CatalogueStore], contents: Sequence[Sequence[bytes]]
) -> list[list[str]]:
    """Let publishers race, round after round, each in a thread; return every round's outcomes.

    Publisher *i* publishes ``contents[i][r]`` in round *r* on ``stores[i]`` (the same
    store may serve several publishers), at the latest version it read before the
    round; all publishers start each step at once.  An outcome is ``"v<n>"`` for
    version *n* returned, ``"conflict"`` for a `ConcurrencyConflict`, or the repr of
    any other exception.

    Raises:
        ValueError: If there is not one store per list of contents, or the lists differ
            in length.
    """
    rounds = {len(mine) for mine in contents}
    if len(stores) != len(contents) or len(rounds) != 1:
        raise ValueError("give one store and one list of contents, all as long, per publisher")
    barrier = threading.Barrier(len(contents))
    outcomes: list[list[str]] = [[] for _ in range(rounds.pop())]
    lock = threading.Lock()

    def run(store: CatalogueStore, mine: Sequence[bytes]) -> None:
        for round_, content in enumerate(mine):
            barrier.wait()
            latest = store.latest_catalogue()
            barrier.wait()
            try:
                outcome = f"v{publish(store, content, latest.version if latest else 0).version}"
            except ConcurrencyConflict:
                outcome = "conflict"
            except Exception as exc:  # noqa: BLE001 - reported as an outcome, never hidden
                outcome = repr(exc)
            with lock:
                outcomes[round_].append(outcome)

    threads = [
        threading.Thread(target=run, args=pair) for pair in zip(stores, contents, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _publish_many(store: CatalogueStore, count: int) -> list[CatalogueVersion]:
    return [publish(store, b"catalogue %d" % n, n) for n in range(count)]


_CALLS: dict[str, Callable[[CatalogueStore], object]] = {
    "publish_catalogue": lambda s: publish(s, _SECOND, 1),
    "catalogue_version": lambda s: s.catalogue_version(1),
    "latest_catalogue": lambda s: s.latest_catalogue(),
    "catalogue_versions": lambda s: s.catalogue_versions(),
}

_MALFORMED: dict[str, tuple[dict[str, Any], type[Exception], str]] = {
    "empty content": ({"content": b""}, InvalidValue, "content"),
    "digest in capitals": (
        {"digest": catalogue_digest(_FIRST).upper()},
        InvalidValue,
        "digest",
    ),
    "digest too short": ({"digest": "abc"}, InvalidValue, "digest"),
    "negative expected version": ({"expected_version": -1}, InvalidValue, "expected_version"),
    "blank label": ({"label": "  "}, InvalidValue, "label"),
    "label too long": ({"label": "x" * (MAX_LABEL + 1)}, InvalidValue, "label"),
    "label with a line break": ({"label": "fees\nrise"}, InvalidValue, "label"),
    "naive instant": (
        {"recorded_at": datetime(2025, 7, 14, 2, 0)},  # noqa: DTZ001 - naive on purpose
        NaiveDatetime,
        "recorded_at",
    ),
    "content as text": ({"content": _FIRST.decode()}, InvalidValue, "content"),
    "content as a bytearray": ({"content": bytearray(_FIRST)}, InvalidValue, "content"),
    "no digest": ({"digest": None}, InvalidValue, "digest"),
    "label not text": ({"label": 5}, InvalidValue, "label"),
    "instant as text": ({"recorded_at": "2025-07-14T09:00:00+07:00"}, InvalidValue, "recorded_at"),
    "instant before year 1 in UTC": (
        {"recorded_at": datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))},
        InvalidValue,
        "recorded_at",
    ),
    "expected version True": ({"expected_version": True}, InvalidValue, "expected_version"),
    "expected version beyond 64 bits": (
        {"expected_version": 2**63},
        InvalidValue,
        "expected_version",
    ),
    "expected version as text": ({"expected_version": "0"}, InvalidValue, "expected_version"),
    "label with a lone surrogate": ({"label": "fees\ud800"}, InvalidValue, "label"),
}


class CatalogueStoreContract:
    """Behaviour every `onestop.ports.catalogue.CatalogueStore` must have.

    Subclass it (as ``TestMyStore``) and provide a ``store`` fixture; see the module
    docstring.  Its tests ask for `catalogue_store`, which is that store.
    """

    @pytest.fixture
    def catalogue_store(self, store: Any) -> CatalogueStore:
        """The store under test: the subclass's ``store`` fixture."""
        return store  # type: ignore[no-any-return]

    # --- publishing -----------------------------------------------------------------

    def test_satisfies_the_catalogue_port(self, catalogue_store: CatalogueStore) -> None:
        """The store has every method of the CatalogueStore protocol."""
        assert isinstance(catalogue_store, CatalogueStore)

    def test_new_store_has_no_catalogue(self, catalogue_store: CatalogueStore) -> None:
        """Before the first publication there is no latest version and nothing to list."""
        assert catalogue_store.latest_catalogue() is None
        assert catalogue_store.catalogue_versions() == ()

    def test_first_publication_is_version_1(self, catalogue_store: CatalogueStore) -> None:
        """The first content published becomes version 1, with its digest, instant and label."""
        published = publish(catalogue_store, _FIRST, label="opening day")
        assert published == CatalogueVersion(
            version=1,
            digest=catalogue_digest(_FIRST),
            content=_FIRST,
            recorded_at=_T0,
            label="opening day",
        )

    def test_published_version_reads_back_equal(self, catalogue_store: CatalogueStore) -> None:
        """The version a publication returns is what the store reads back, by number and latest."""
        published = publish(catalogue_store, _FIRST)
        assert catalogue_store.catalogue_version(1) == published
        assert catalogue_store.latest_catalogue() == published

    def test_versions_are_numbered_without_gaps(self, catalogue_store: CatalogueStore) -> None:
        """Each publication at the latest version gets the next number; the last is the latest."""
        published = _publish_many(catalogue_store, 3)
        assert [v.version for v in published] == [1, 2, 3]
        assert catalogue_store.latest_catalogue() == published[-1]

    def test_republishing_the_latest_content_writes_nothing(
        self, catalogue_store: CatalogueStore
    ) -> None:
        """The latest version's content published again returns that version as it was stored."""
        first = publish(catalogue_store, _FIRST, label="first")
        again = publish(catalogue_store, _FIRST, 1, recorded_at=_T0 + timedelta(days=1))
        assert again == first
        assert [v.version for v in catalogue_store.catalogue_versions()] == [1]

    def test_a_retried_publication_finds_its_own_version(
        self, catalogue_store: CatalogueStore
    ) -> None:
        """Publishing the latest content again at the version before it returns the latest."""
        publish(catalogue_store, _FIRST)
        second = publish(catalogue_store, _SECOND, 1)
        assert publish(catalogue_store, _SECOND, 1) == second
        assert catalogue_store.latest_catalogue() == second

    def test_earlier_content_published_again_is_a_new_version(
        self, catalogue_store: CatalogueStore
    ) -> None:
        """Going back to an earlier catalogue publishes its content as the next version."""
        publish(catalogue_store, _FIRST)
        publish(catalogue_store, _SECOND, 1)
        back = publish(catalogue_store, _FIRST, 2)
        assert (back.version, back.content) == (3, _FIRST)

    # --- conflicts and refusals ---------------------------------------------------------

    def test_stale_expected_version_conflicts(self, catalogue_store: CatalogueStore) -> None:
        """New content published at an outdated version raises ConcurrencyConflict; none is kept."""
        publish(catalogue_store, _FIRST)
        with pytest.raises(ConcurrencyConflict) as caught:
            publish(catalogue_store, _SECOND, 0)
        assert (caught.value.stream_id, caught.value.expected, caught.value.actual) == (
            CATALOGUE_STREAM,
            0,
            1,
        )
        assert [v.digest for v in catalogue_store.catalogue_versions()] == [
            catalogue_digest(_FIRST)
        ]

    def test_expected_version_ahead_conflicts(self, catalogue_store: CatalogueStore) -> None:
        """Expecting a version the store has not reached conflicts too, and writes nothing."""
        with pytest.raises(ConcurrencyConflict) as caught:
            publish(catalogue_store, _FIRST, 2)
        assert (caught.value.expected, caught.value.actual) == (2, 0)
        assert catalogue_store.latest_catalogue() is None

    def test_digest_mismatch_is_refused(self, catalogue_store: CatalogueStore) -> None:
        """A digest that is not the content's SHA-256 raises InvalidValue naming the digest."""
        with pytest.raises(InvalidValue) as caught:
            catalogue_store.publish_catalogue(
                _FIRST,
                digest=catalogue_digest(_SECOND),
                expected_version=0,
                recorded_at=_T0,
            )
        assert caught.value.field == "digest"
        assert catalogue_store.latest_catalogue() is None

    @pytest.mark.parametrize("case", _MALFORMED.values(), ids=_MALFORMED.keys())
    def test_malformed_publication_is_refused(
        self, catalogue_store: CatalogueStore, case: tuple[dict[str, Any], type[Exception], str]
    ) -> None:
        """A publication with a bad argument raises a ValueError naming it; nothing is written."""
        given, error, name = case
        changes = dict(given)  # the cases are shared by every store's tests
        arguments: dict[str, Any] = {
            "digest": catalogue_digest(_FIRST),
            "expected_version": 0,
            "recorded_at": _T0,
            "label": None,
        }
        content = changes.pop("content", _FIRST)
        with pytest.raises(error) as caught:
            catalogue_store.publish_catalogue(content, **(arguments | changes))
        assert isinstance(caught.value, ValueError)
        assert name in (
            getattr(caught.value, "field", None),
            getattr(caught.value, "argument", None),
        )
        assert catalogue_store.latest_catalogue() is None

    # --- reading back -----------------------------------------------------------------

    def test_content_round_trips_byte_for_byte(self, catalogue_store: CatalogueStore) -> None:
        """The content comes back exactly, whatever bytes it holds."""
        content = bytes(range(256)) + b"\x00" + "Pelayanan Publik, សេវាសាធារណៈ".encode()
        publish(catalogue_store, content)
        version = catalogue_store.catalogue_version(1)
        assert version is not None
        assert version.content == content

    def test_large_content_round_trips(self, catalogue_store: CatalogueStore) -> None:
        """A catalogue of a few megabytes is kept whole."""
        content = b"0123456789abcdef" * (3 * 65536)
        publish(catalogue_store, content)
        latest = catalogue_store.latest_catalogue()
        assert latest is not None
        assert (latest.size, latest.content) == (len(content), content)

    def test_instant_round_trips_as_the_same_instant(self, catalogue_store: CatalogueStore) -> None:
        """An instant given in any time zone comes back equal (the same instant)."""
        at = datetime(2025, 7, 14, 9, 30, 0, 123456, tzinfo=_JAKARTA)
        publish(catalogue_store, _FIRST, recorded_at=at)
        latest = catalogue_store.latest_catalogue()
        assert latest is not None
        assert latest.recorded_at == at
        assert catalogue_store.catalogue_versions()[0].recorded_at == at

    @pytest.mark.parametrize("number", [0, -1, 2, 2**63, 2**70])
    def test_unknown_version_is_none(self, catalogue_store: CatalogueStore, number: int) -> None:
        """Asking for a version that was never published gives None, not an error."""
        publish(catalogue_store, _FIRST)
        assert catalogue_store.catalogue_version(number) is None

    # --- listing ------------------------------------------------------------------------

    def test_listing_gives_each_versions_details_in_order(
        self, catalogue_store: CatalogueStore
    ) -> None:
        """The listing holds each version's number, digest, size, instant and label, in order."""
        publish(catalogue_store, _FIRST, label="first")
        publish(catalogue_store, _SECOND, 1, recorded_at=_T0 + timedelta(hours=1))
        assert catalogue_store.catalogue_versions() == (
            CatalogueVersionInfo(
                version=1,
                digest=catalogue_digest(_FIRST),
                size=len(_FIRST),
                recorded_at=_T0,
                label="first",
            ),
            CatalogueVersionInfo(
                version=2,
                digest=catalogue_digest(_SECOND),
                size=len(_SECOND),
                recorded_at=_T0 + timedelta(hours=1),
                label=None,
            ),
        )

    def test_listing_after_and_limit(self, catalogue_store: CatalogueStore) -> None:
        """catalogue_versions(after, limit) lists at most limit versions numbered above after."""
        _publish_many(catalogue_store, 5)
        assert [v.version for v in catalogue_store.catalogue_versions(after=1, limit=2)] == [2, 3]
        assert [v.version for v in catalogue_store.catalogue_versions(after=3)] == [4, 5]
        assert catalogue_store.catalogue_versions(after=5) == ()
        assert catalogue_store.catalogue_versions(after=2**70) == ()
        assert len(catalogue_store.catalogue_versions(after=-3)) == 5

    def test_pages_cover_every_version_once(self, catalogue_store: CatalogueStore) -> None:
        """Listing page after page, from the last number seen, gives every version once."""
        _publish_many(catalogue_store, 7)
        seen: list[int] = []
        while page := catalogue_store.catalogue_versions(after=seen[-1] if seen else 0, limit=3):
            seen += [v.version for v in page]
        assert seen == [1, 2, 3, 4, 5, 6, 7]

    @pytest.mark.parametrize("limit", [-1, 0, MAX_LISTING + 1, True, "5", 1.0, 2**70])
    def test_listing_limit_out_of_range_is_refused(
        self, catalogue_store: CatalogueStore, limit: Any
    ) -> None:
        """A listing limit that is not an integer from 1 to 1000 raises InvalidStoreInput."""
        with pytest.raises(InvalidStoreInput) as caught:
            catalogue_store.catalogue_versions(limit=limit)
        assert caught.value.field == "limit"

    @pytest.mark.parametrize("after", ["1", None, 0.5, True])
    def test_listing_after_that_is_not_a_number_is_refused(
        self, catalogue_store: CatalogueStore, after: Any
    ) -> None:
        """A listing's after that is not an int raises InvalidStoreInput on every store alike."""
        with pytest.raises(InvalidStoreInput) as caught:
            catalogue_store.catalogue_versions(after=after)
        assert caught.value.field == "after"

    @pytest.mark.parametrize("number", ["1", None, 1.0, True])
    def test_version_that_is_not_a_number_is_refused(
        self, catalogue_store: CatalogueStore, number: Any
    ) -> None:
        """Looking up a version that is not an int raises InvalidStoreInput, not a driver error."""
        publish(catalogue_store, _FIRST)
        with pytest.raises(InvalidStoreInput) as caught:
            catalogue_store.catalogue_version(number)
        assert caught.value.field == "version"

    # --- values and closing -------------------------------------------------------------

    def test_returned_versions_are_frozen(self, catalogue_store: CatalogueStore) -> None:
        """Versions and listings handed out cannot be changed, nor what is stored through them."""
        publish(catalogue_store, _FIRST)
        latest = catalogue_store.latest_catalogue()
        listed = catalogue_store.catalogue_versions()
        assert isinstance(listed, tuple)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            latest.version = 7  # type: ignore[misc, union-attr]
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            listed[0].version = 7  # type: ignore[misc]
        assert catalogue_store.latest_catalogue() == latest

    @pytest.mark.parametrize("call", list(_CALLS))
    def test_closed_store_refuses_catalogue_calls(
        self, catalogue_store: CatalogueStore, call: str
    ) -> None:
        """After close, every catalogue method raises StorageError."""
        publish(catalogue_store, _FIRST)
        catalogue_store.close()
        with pytest.raises(StorageError):
            _CALLS[call](catalogue_store)
