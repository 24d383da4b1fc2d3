"""The catalogue port: a store keeps every published version of the catalogue.

A catalogue version is a snapshot of the whole catalogue, as published at one instant:
its canonical bytes (`onestop.usecases.catalogue.publishing.canonical_catalogue` makes them), their
SHA-256 digest, and a number the store assigns, 1, 2, 3 and so on, without gaps.  A
version never changes once published; a newer one replaces it as the latest.  The
store never interprets the bytes.

Publishing is optimistic, like appending to an event stream: the publisher says which
version it decided on (`CatalogueStore.publish_catalogue`'s ``expected_version``, 0
while there is none), and a store that has moved on since raises
`onestop.exceptions.ConcurrencyConflict`.  Publishing the latest version's content
again writes nothing and returns the latest version, so a retried publication is safe.

The three shipped stores (`onestop.storage.memory.MemoryStore`, ``SQLiteStore`` and
``PostgresStore``) implement `CatalogueStore` beside `onestop.ports.events.EventStore`;
`onestop.testing.catalogue_contracts.CatalogueStoreContract` turns each promise below
into a test.

>>> from datetime import UTC, datetime
>>> content = b'{"catalogue":{}}'
>>> catalogue_digest(content)
'9db0304a7bce872598e4c4351df2c1543b5239b4243ac68dda55846433e271ad'
>>> version = CatalogueVersion(
...     version=1, digest=catalogue_digest(content), content=content,
...     recorded_at=datetime(2025, 7, 14, 2, 0, tzinfo=UTC), label="July fees",
... )
>>> version.info().size
16
>>> CatalogueVersion(version=1, digest="0" * 64, content=content, recorded_at=version.recorded_at)
Traceback (most recent call last):
...
onestop.exceptions.InvalidValue: digest: is not the SHA-256 of the content
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

import attrs

from onestop.domain.common.formats import SHA256_HEX, check_int, preview
from onestop.domain.common.kinds import check_type
from onestop.exceptions import (
    ConcurrencyConflict,
    InvalidStoreInput,
    InvalidValue,
    NaiveDatetime,
    StorageError,
)

__all__ = [
    "CATALOGUE_STREAM",
    "MAX_CATALOGUE_BYTES",
    "MAX_LABEL",
    "MAX_LISTING",
    "MAX_VERSION",
    "CatalogueStore",
    "CatalogueVersion",
    "CatalogueVersionInfo",
    "catalogue_digest",
    "check_listing",
    "check_publication",
    "check_version_number",
    "next_catalogue_version",
    "stored_catalogue_version",
]

CATALOGUE_STREAM = "catalogue"
"""The name a `ConcurrencyConflict` gives the catalogue's versions (its ``stream_id``)."""

MAX_CATALOGUE_BYTES = 64 * 1024 * 1024
"""The largest content a store accepts for one catalogue version (64 MiB)."""

MAX_LABEL = 200
"""The longest label a catalogue version may carry, in characters."""

MAX_LISTING = 1000
"""The largest ``limit`` `CatalogueStore.catalogue_versions` accepts."""

MAX_VERSION = 2**63 - 1
"""The highest version number a store can hold (it fits a signed 64-bit integer)."""


def catalogue_digest(content: bytes, /) -> str:
    """Return the SHA-256 of *content*, as 64 lowercase hexadecimal digits.

    Raises:
        onestop.exceptions.InvalidValue: If *content* is not `bytes` (text must be
            encoded first: the digest is of the bytes a store keeps).
    """
    return hashlib.sha256(check_type(content, bytes, field="content")).hexdigest()


def _check_content(content: bytes, digest: str) -> None:
    given: object = content
    if type(given) is not bytes:  # a bytearray could change after it was stored
        raise InvalidValue(field="content", reason=f"must be bytes, not {type(given).__name__}")
    if not isinstance(digest, str):
        raise InvalidValue(field="digest", reason="must be 64 lowercase hexadecimal digits")
    if not content:
        raise InvalidValue(field="content", reason="must be non-empty bytes")
    if len(content) > MAX_CATALOGUE_BYTES:
        raise InvalidValue(field="content", reason=f"is larger than {MAX_CATALOGUE_BYTES} bytes")
    if not SHA256_HEX.matches(digest):
        raise InvalidValue(field="digest", reason="must be 64 lowercase hexadecimal digits")
    if catalogue_digest(content) != digest:
        raise InvalidValue(field="digest", reason="is not the SHA-256 of the content")


def _check_label(label: str | None) -> None:
    if label is None:
        return
    if not isinstance(label, str):
        raise InvalidValue(field="label", reason=f"must be text, not {type(label).__name__}")
    if not label.strip() or len(label) > MAX_LABEL:
        raise InvalidValue(field="label", reason=f"must be 1 to {MAX_LABEL} characters, not blank")
    if not label.isprintable():
        raise InvalidValue(field="label", reason="must not hold control characters or line breaks")


def _check_instant(recorded_at: datetime) -> None:
    if not isinstance(recorded_at, datetime):
        raise InvalidValue(field="recorded_at", reason="must be a timezone-aware datetime")
    if recorded_at.utcoffset() is None:
        raise NaiveDatetime("recorded_at")
    try:
        recorded_at.astimezone(UTC)
    except OverflowError:  # a store could not give it back
        raise InvalidValue(
            field="recorded_at", reason="lies outside the years 1 to 9999 in UTC"
        ) from None


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@attrs.frozen(kw_only=True)
class CatalogueVersionInfo:
    """What is known about one catalogue version, without its content.

    Attributes:
        version: Its number, from 1.
        digest: The SHA-256 of its content, in hexadecimal.
        size: The length of its content, in bytes.
        recorded_at: When it was published.
        label: A short note from the publisher (``"fees from 1 October"``), if any.
    """

    version: int
    digest: str
    size: int
    recorded_at: datetime
    label: str | None = None


@attrs.frozen(kw_only=True)
class CatalogueVersion:
    """One published catalogue version: its number, its canonical bytes and their digest.

    It checks itself when made, so a version read back from a store whose bytes were
    damaged cannot pass as intact.

    Attributes:
        version: Its number, from 1, assigned by the store.
        digest: The SHA-256 of `content`, in hexadecimal.
        content: The canonical serialised catalogue, exactly as published.
        recorded_at: When it was published (timezone-aware).
        label: A short note from the publisher, if any (at most `MAX_LABEL` characters).

    Raises:
        onestop.exceptions.InvalidValue: If `digest` is not the SHA-256 of `content`,
            `content` is empty or too large, `version` is not from 1 to `MAX_VERSION`,
            or `label` is blank, too long or holds control characters; ``.field``
            names the attribute.
        onestop.exceptions.NaiveDatetime: If `recorded_at` has no time zone.
    """

    version: int
    digest: str
    content: bytes = attrs.field(repr=False)
    recorded_at: datetime
    label: str | None = None

    def __attrs_post_init__(self) -> None:
        """Check the version number, the content against its digest, the instant and label."""
        if not _is_count(self.version) or not 1 <= self.version <= MAX_VERSION:
            raise InvalidValue(field="version", reason=f"must be from 1 to {MAX_VERSION}")
        _check_content(self.content, self.digest)
        _check_instant(self.recorded_at)
        _check_label(self.label)

    @property
    def size(self) -> int:
        """The length of `content`, in bytes."""
        return len(self.content)

    def info(self) -> CatalogueVersionInfo:
        """Return what `CatalogueStore.catalogue_versions` lists about this version."""
        return CatalogueVersionInfo(
            version=self.version,
            digest=self.digest,
            size=self.size,
            recorded_at=self.recorded_at,
            label=self.label,
        )


def check_publication(
    content: bytes,
    /,
    *,
    digest: str,
    expected_version: int,
    recorded_at: datetime,
    label: str | None,
) -> None:
    """Refuse a malformed publication, before any I/O.

    Every adapter calls this first in `CatalogueStore.publish_catalogue`, so that all
    of them refuse the same publications with the same errors.

    Raises:
        onestop.exceptions.InvalidValue: If *digest* is not the SHA-256 of *content*,
            *content* is empty or larger than `MAX_CATALOGUE_BYTES`,
            *expected_version* is negative, or *label* is blank, too long or holds
            control characters; ``.field`` names the argument.
        onestop.exceptions.NaiveDatetime: If *recorded_at* has no time zone.
    """
    _check_content(content, digest)
    if not _is_count(expected_version) or not 0 <= expected_version < MAX_VERSION:
        raise InvalidValue(field="expected_version", reason=f"must be from 0 to {MAX_VERSION - 1}")
    _check_instant(recorded_at)
    _check_label(label)


def next_catalogue_version(
    latest: int,
    content: bytes,
    /,
    *,
    digest: str,
    expected_version: int,
    recorded_at: datetime,
    label: str | None,
) -> CatalogueVersion:
    """Return the version a publication adds after version *latest*, as adapters store it.

    Adapters call this once they know the latest version and that its digest is not
    *digest* (which would make the publication return the latest version instead).

    Raises:
        onestop.exceptions.ConcurrencyConflict: If *latest* is not *expected_version*.
        onestop.exceptions.InvalidValue: If *latest* or *expected_version* is not a
            version number from 0 to ``MAX_VERSION - 1``, or the version made is not
            valid (`CatalogueVersion`).
    """
    check_int(latest, field="latest", maximum=MAX_VERSION - 1)
    check_int(expected_version, field="expected_version", maximum=MAX_VERSION - 1)
    if latest != expected_version:
        raise ConcurrencyConflict(
            stream_id=CATALOGUE_STREAM, expected=expected_version, actual=latest
        )
    return CatalogueVersion(
        version=latest + 1, digest=digest, content=content, recorded_at=recorded_at, label=label
    )


def stored_catalogue_version(
    *, version: int, digest: str, content: bytes, recorded_at: datetime, label: str | None
) -> CatalogueVersion:
    """Return the `CatalogueVersion` an adapter read back from its storage.

    Raises:
        onestop.exceptions.StorageError: If the stored row no longer holds a valid
            version (its content does not match its digest, say): the storage was
            altered, which is not a caller's mistake.
    """
    try:
        return CatalogueVersion(
            version=version, digest=digest, content=content, recorded_at=recorded_at, label=label
        )
    except (InvalidValue, NaiveDatetime) as exc:
        raise StorageError(
            f"stored catalogue version {preview(version)} is damaged: {exc}"
        ) from None


def check_listing(*, after: int, limit: int) -> int:
    """Check a listing's *limit* and return *after* clamped to ``0..MAX_VERSION``.

    Raises:
        InvalidStoreInput: If *limit* is not an integer from 1 to `MAX_LISTING`, or
            *after* is not an integer (a `bool` is not one).
    """
    if not _is_count(limit) or not 1 <= limit <= MAX_LISTING:
        raise InvalidStoreInput(field="limit", reason=f"must be an integer from 1 to {MAX_LISTING}")
    if not _is_count(after):
        raise InvalidStoreInput(field="after", reason="must be a version number (an int)")
    return min(max(after, 0), MAX_VERSION)


def check_version_number(version: int, /) -> None:
    """Refuse a *version* to look up that is not an int (any int is a valid question).

    Raises:
        InvalidStoreInput: If *version* is not an `int` (a `bool` is not one either).
    """
    if not _is_count(version):
        raise InvalidStoreInput(field="version", reason="must be a version number (an int)")


@runtime_checkable
class CatalogueStore(Protocol):
    """Keeps the published versions of the catalogue, numbered from 1 without gaps.

    Every method raises `onestop.exceptions.StorageError` (or its transient subclass
    `StorageUnavailable`) when the adapter itself fails, and after `close`.  Returned
    versions are frozen values, in tuples.
    """

    def publish_catalogue(
        self,
        content: bytes,
        /,
        *,
        digest: str,
        expected_version: int,
        recorded_at: datetime,
        label: str | None = None,
    ) -> CatalogueVersion:
        """Store *content* as version ``expected_version + 1`` and return that version.

        If the latest version's digest is *digest*, nothing is written and the latest
        version is returned as it was stored (with its own instant and label),
        whatever *expected_version* says: a retried publication finds its own.  Older
        content published again (a roll-back) becomes a new version.

        Args:
            content: The canonical serialised catalogue; the store keeps it byte for byte.
            digest: The SHA-256 of *content*, in hexadecimal (`catalogue_digest`).
            expected_version: The latest version the publisher decided on; 0 if none.
            recorded_at: The publication's instant, timezone-aware.
            label: A short note (at most `MAX_LABEL` characters), or ``None``.

        Raises:
            ConcurrencyConflict: If the latest version is not *expected_version*
                (``stream_id`` is `CATALOGUE_STREAM`).  Nothing is written.
            InvalidValue: If the publication is malformed (`check_publication`).
            NaiveDatetime: If *recorded_at* has no time zone.
        """
        ...

    def catalogue_version(self, version: int, /) -> CatalogueVersion | None:
        """Return catalogue version *version*, or ``None`` if there is no such version.

        Raises:
            InvalidStoreInput: If *version* is not an `int` (a `bool` is not one).
        """
        ...

    def latest_catalogue(self) -> CatalogueVersion | None:
        """Return the latest catalogue version, or ``None`` before the first is published."""
        ...

    def catalogue_versions(
        self, *, after: int = 0, limit: int = 100
    ) -> tuple[CatalogueVersionInfo, ...]:
        """Return what is known of up to *limit* versions numbered above *after*, in order.

        Raises:
            InvalidStoreInput: If *limit* is not from 1 to `MAX_LISTING`, or *after* is
                not an `int`.
        """
        ...

    def close(self) -> None:
        """Release the adapter's resources; it cannot be used afterwards."""
        ...
