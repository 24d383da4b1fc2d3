"""The ports of personal data: wrapped data keys, where they are kept, who wraps them.

Personal values in stored events are sealed with a *data key* per data subject (one
person within one application, ``<application_id>/applicant``), so that destroying
that one key erases the person's data everywhere it was stored, without rewriting the
hash-chained events (crypto-shredding).  Data keys are kept *wrapped* (encrypted) by a
*master key* that never leaves its `MasterKeyProvider` (a file, an environment variable,
a key management service).  The wrapped keys live in a `SubjectKeyStore`: the same
store as the events, so a backup of one is a backup of the other.

`PersonalDataKeys` is what the stream core seals and opens values with;
`onestop.privacy.Keyring` implements it over a provider and a store.

The store's checks live here too (`check_subject_keys`, `check_subjects`, ...): every
`SubjectKeyStore` adapter calls them first, so that memory, SQLite and PostgreSQL
refuse the same input with the same `onestop.exceptions.InvalidStoreInput`.

>>> from datetime import UTC, datetime
>>> key = SubjectKey(
...     subject="app-1/applicant",
...     wrapped=WrappedKey(master_key_id="mk-1", data=b"wrapped bytes"),
...     created_at=datetime(2026, 1, 5, tzinfo=UTC),
... )
>>> key.live, key.wrapped
(True, WrappedKey(master_key_id='mk-1'))
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol, runtime_checkable

import attrs

from onestop.domain.common.formats import int_problem, kind_of, text_problem
from onestop.domain.common.kinds import check_instant
from onestop.exceptions import InvalidStoreInput, InvalidValue, NaiveDatetime

__all__ = [
    "MAX_KEY_PAGE",
    "AtomicWrites",
    "MAX_KEY_TEXT",
    "MAX_WRAPPED_BYTES",
    "RESERVED_PREFIX",
    "MasterKeyProvider",
    "PersonalDataKeys",
    "SubjectKey",
    "SubjectKeyStore",
    "WrappedKey",
    "check_destruction",
    "check_index_row",
    "check_key_page",
    "check_subject_keys",
    "check_subjects",
    "lookup_blind",
    "lookup_subjects",
]

MAX_KEY_TEXT = 256
"""The longest subject id, master key id or blind index a store keeps, in characters."""

MAX_WRAPPED_BYTES = 8192
"""The longest wrapped data key a store keeps, in bytes (a KMS's envelope fits)."""

MAX_KEY_PAGE = 1000
"""The largest page `SubjectKeyStore.subject_keys_under` returns."""

RESERVED_PREFIX = "$"
"""Subject ids starting with it are the keyring's own (``$blind-index``), never a person's."""


def _text(value: object, field: str) -> str:
    reason = text_problem(value, max_length=MAX_KEY_TEXT)
    if reason is not None:
        raise InvalidValue(field=field, reason=reason)
    return value  # type: ignore[return-value]  # text_problem() proved it is text


def _wrapped_bytes(value: object, field: str) -> None:
    if type(value) is not bytes:
        raise InvalidValue(field=field, reason=f"expected bytes, not {kind_of(value)}")
    if not 1 <= len(value) <= MAX_WRAPPED_BYTES:
        reason = f"must be 1 to {MAX_WRAPPED_BYTES} bytes long, not {len(value)}"
        raise InvalidValue(field=field, reason=reason)


@attrs.frozen(kw_only=True)
class WrappedKey:
    """A data key wrapped by a master key; the bytes are never shown in reprs.

    Attributes:
        master_key_id: The id of the master key that wrapped it (text, 1 to 256 characters).
        data: The wrapped key, as the provider made it (1 to `MAX_WRAPPED_BYTES` bytes).

    Raises:
        InvalidValue: Naming the field, if either is not of its type and size.
    """

    master_key_id: str
    data: bytes = attrs.field(repr=False)

    def __attrs_post_init__(self) -> None:
        _text(self.master_key_id, "master_key_id")
        _wrapped_bytes(self.data, "data")


@attrs.frozen(kw_only=True)
class SubjectKey:
    """One subject's stored data key: wrapped, or destroyed (erased) at `destroyed_at`.

    A key is *live* while it holds its wrapped bytes; destroying it drops them for good
    and keeps this record as a tombstone, so that the subject stays erased.

    Attributes:
        subject: The subject's id (``<application_id>/applicant``).
        wrapped: The wrapped data key; ``None`` once destroyed.
        created_at: When the key was made.
        destroyed_at: When it was destroyed; ``None`` while it is live.

    Raises:
        InvalidValue: Naming the field, if one is not of its type, or if exactly one of
            `wrapped` and `destroyed_at` is not ``None``.
        NaiveDatetime: If an instant has no time zone.
    """

    subject: str
    wrapped: WrappedKey | None
    created_at: datetime
    destroyed_at: datetime | None = None

    def __attrs_post_init__(self) -> None:
        _text(self.subject, "subject")
        wrapped: object = self.wrapped
        if wrapped is not None and not isinstance(wrapped, WrappedKey):
            reason = f"expected a WrappedKey or None, not {kind_of(wrapped)}"
            raise InvalidValue(field="wrapped", reason=reason)
        check_instant(self.created_at, field="created_at")
        if self.destroyed_at is not None:
            check_instant(self.destroyed_at, field="destroyed_at")
        if (self.wrapped is None) != (self.destroyed_at is not None):
            reason = "a key has its wrapped bytes until it is destroyed, and none after"
            raise InvalidValue(field="destroyed_at", reason=reason)

    @property
    def live(self) -> bool:
        """Whether the key still holds its wrapped bytes (it was not destroyed)."""
        return self.wrapped is not None


@runtime_checkable
class MasterKeyProvider(Protocol):
    """Wraps and unwraps data keys with master keys it never hands out (file, env, KMS).

    The *context* is authenticated with the key (associated data): a wrapped key only
    unwraps with the context it was wrapped with, so a wrapped key copied to another
    subject does not open.  A provider that rotates its keys keeps the old ones to
    unwrap with, and wraps with `current_key_id`.
    """

    @property
    def current_key_id(self) -> str:
        """The id of the master key new data keys are wrapped with."""
        ...

    def wrap(self, key: bytes, /, *, context: bytes) -> WrappedKey:
        """Return *key* wrapped by the current master key, bound to *context*.

        Raises:
            onestop.exceptions.KeyUnavailable: If the master key cannot be used now.
        """
        ...

    def unwrap(self, wrapped: WrappedKey, /, *, context: bytes) -> bytes:
        """Return the data key *wrapped* holds, if it was wrapped with *context*.

        Raises:
            onestop.exceptions.KeyUnavailable: If its master key is missing, or it does
                not open (another context, altered bytes), or the provider is down.
        """
        ...


@runtime_checkable
class SubjectKeyStore(Protocol):
    """Where wrapped data keys and the blind index live: the same store as the events.

    Every method refuses malformed input with `onestop.exceptions.InvalidStoreInput`
    before any I/O (the ``check_*`` functions of this module), and each call is atomic.
    """

    def add_subject_keys(self, keys: Sequence[SubjectKey], /) -> Mapping[str, SubjectKey]:
        """Insert those of *keys* whose subject has no key yet; return what is stored for each.

        Two writers racing on one subject agree on one key: the second gets the first's.
        A destroyed subject stays destroyed (its tombstone is returned).  Every key
        given must be live, and name a subject once.
        """
        ...

    def subject_keys(self, subjects: Collection[str], /) -> Mapping[str, SubjectKey]:
        """Return the keys of *subjects* that are known, live or destroyed; absent ones are absent.

        A subject no store could hold (not storable text) is absent.
        """
        ...

    def destroy_subject_keys(self, subjects: Collection[str], /, *, at: datetime) -> int:
        """Wipe the wrapped bytes of *subjects* (physically) and keep a tombstone at *at*.

        A subject with no key gets a tombstone too, so no key can be made for it later;
        a destroyed one keeps its first tombstone.  Returns how many keys were live.
        """
        ...

    def rewrap_subject_keys(self, keys: Sequence[SubjectKey], /) -> int:
        """Replace the wrapped bytes of the live keys among *keys* (master key rotation).

        Only `SubjectKey.wrapped` changes; a destroyed or absent subject is left as it is
        (never revived).  Returns how many keys were replaced.
        """
        ...

    def subject_keys_under(self, master_key_id: str, /, *, limit: int) -> tuple[SubjectKey, ...]:
        """Return up to *limit* live keys still wrapped by *master_key_id*, by subject.

        Rotation pages through it: each page, rewrapped, leaves the listing.
        """
        ...

    def index_subject(self, blind: str, subject: str, /) -> None:
        """Record that blind index *blind* names *subject* (idempotent)."""
        ...

    def indexed_subjects(self, blind: str, /) -> tuple[str, ...]:
        """Return the subjects blind index *blind* names, sorted; none for an unknown one."""
        ...

    def unindex_subjects(self, subjects: Collection[str], /) -> int:
        """Remove every blind index row naming one of *subjects*; return how many were removed."""
        ...


@runtime_checkable
class AtomicWrites(Protocol):
    """A store that can make several of its writes one transaction (SQLite's, PostgreSQL's).

    `onestop.usecases.mall.Mall.submit` writes a new application's data keys, its
    blind index rows and its events in one, so a submission costs one durable commit
    instead of three, and a failed one leaves no key or index row behind.
    """

    def atomically(self) -> AbstractContextManager[None]:
        """Make this thread's writes within the block one transaction, all or nothing."""
        ...


@runtime_checkable
class PersonalDataKeys(Protocol):
    """What the stream core seals and opens personal values with (`onestop.privacy.Keyring`)."""

    def seal(self, subject: str, plaintext: bytes, /, *, context: bytes) -> str:
        """Return *plaintext* sealed under *subject*'s data key, bound to *context*.

        The subject's data key is made on first use.  The token is ASCII text, and
        deterministic (AES-SIV): the same subject, plaintext and context give the same
        token, so an event's stored body stays a function of the event and the keys.

        Raises:
            onestop.exceptions.PersonalDataErased: If the subject was erased.
            onestop.exceptions.KeyUnavailable: If the master key cannot be used.
        """
        ...

    def open(self, subject: str, token: str, /, *, context: bytes) -> bytes | None:
        """Return the plaintext *token* seals, or ``None`` if the subject was erased.

        Raises:
            onestop.exceptions.StorageError: If the token does not open (altered, or
                sealed under another subject or context), never quoting it.
            onestop.exceptions.KeyUnavailable: If the master key cannot be used.
        """
        ...

    def blind_index(self, scheme: str, number: str, /) -> str:
        """Return the keyed HMAC-SHA256 of the normalised ``scheme:number``, in hex.

        The key is kept in the store, wrapped by the master key: the index finds a
        person's subjects without the number in clear.
        """
        ...

    def forget(self, subjects: Collection[str], /) -> None:
        """Drop the cached data keys of *subjects* (called on erasure)."""
        ...


# --- what every SubjectKeyStore accepts --------------------------------------------------


def _refuse(field: str, reason: str) -> InvalidStoreInput:
    return InvalidStoreInput(field=field, reason=reason)


def _store_text(value: object, field: str) -> str:
    reason = text_problem(value, max_length=MAX_KEY_TEXT)
    if reason is not None:
        raise _refuse(field, reason)
    return value  # type: ignore[return-value]  # text_problem() proved it is text


def _sequence(value: object, field: str) -> tuple[object, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | Collection):
        raise _refuse(field, f"expected a collection, not {kind_of(value)}")
    return tuple(value)


def check_subject_keys(
    keys: Sequence[SubjectKey], /, *, live: bool = False
) -> tuple[SubjectKey, ...]:
    """Return *keys* as a tuple if a store can keep each; with *live*, each must be live.

    Raises:
        onestop.exceptions.InvalidStoreInput: Naming the key at fault (``keys[2]``).
    """
    found = _sequence(keys, "keys")
    seen: set[str] = set()
    for index, key in enumerate(found):
        if not isinstance(key, SubjectKey):
            raise _refuse(f"keys[{index}]", f"expected a SubjectKey, not {kind_of(key)}")
        if live and not key.live:
            raise _refuse(f"keys[{index}]", "a destroyed key cannot be stored or rewrapped")
        if key.subject in seen:
            raise _refuse(f"keys[{index}]", "names a subject given before in this call")
        seen.add(key.subject)
    return found  # type: ignore[return-value]  # each one was checked


def check_subjects(subjects: Collection[str], /) -> tuple[str, ...]:
    """Return *subjects* as a tuple of text a store can keep, without repeats, in order.

    Writes call it (`SubjectKeyStore.destroy_subject_keys`, `SubjectKeyStore.unindex_subjects`).

    Raises:
        onestop.exceptions.InvalidStoreInput: Naming the subject at fault (``subjects[0]``).
    """
    found = _sequence(subjects, "subjects")
    for index, subject in enumerate(found):
        _store_text(subject, f"subjects[{index}]")
    return tuple(dict.fromkeys(found))  # type: ignore[arg-type]  # each one is text


def check_destruction(subjects: Collection[str], at: datetime, /) -> tuple[str, ...]:
    """Check the arguments of `SubjectKeyStore.destroy_subject_keys`; return the subjects.

    Raises:
        onestop.exceptions.InvalidStoreInput: Naming a subject, or ``at``.
    """
    found = check_subjects(subjects)
    try:
        check_instant(at, field="at")
    except NaiveDatetime:
        raise _refuse("at", "must be timezone-aware") from None
    except InvalidValue as exc:
        raise _refuse("at", exc.reason) from None
    return found


def lookup_subjects(subjects: Collection[str], /) -> tuple[str, ...]:
    """Return the subjects of *subjects* a store could hold, without repeats, in order.

    Reads call it (`SubjectKeyStore.subject_keys`): asking for a subject no store could
    hold finds nothing; only a value that is not text is refused.

    Raises:
        onestop.exceptions.InvalidStoreInput: Naming the subject that is not text.
    """
    found = _sequence(subjects, "subjects")
    for index, subject in enumerate(found):
        if not isinstance(subject, str):
            raise _refuse(f"subjects[{index}]", f"expected text, not {kind_of(subject)}")
    kept = (s for s in found if text_problem(s, max_length=MAX_KEY_TEXT) is None)
    return tuple(dict.fromkeys(kept))  # type: ignore[arg-type]  # each one is text


def lookup_blind(blind: str, /) -> bool:
    """Whether a store could hold blind index *blind* (`SubjectKeyStore.indexed_subjects`).

    Raises:
        onestop.exceptions.InvalidStoreInput: If *blind* is not text.
    """
    if not isinstance(blind, str):
        raise _refuse("blind", f"expected text, not {kind_of(blind)}")
    return text_problem(blind, max_length=MAX_KEY_TEXT) is None


def check_index_row(blind: str, subject: str, /) -> None:
    """Refuse a blind index row a store cannot keep (`SubjectKeyStore.index_subject`).

    Raises:
        onestop.exceptions.InvalidStoreInput: Naming ``blind`` or ``subject``.
    """
    _store_text(blind, "blind")
    _store_text(subject, "subject")


def check_key_page(master_key_id: str, limit: int, /) -> bool:
    """Refuse a page size `SubjectKeyStore.subject_keys_under` cannot take.

    Returns whether a store could hold *master_key_id* (if not, the page is empty).

    Raises:
        onestop.exceptions.InvalidStoreInput: Naming ``master_key_id`` (not text) or ``limit``.
    """
    if not isinstance(master_key_id, str):
        raise _refuse("master_key_id", f"expected text, not {kind_of(master_key_id)}")
    reason = int_problem(limit, minimum=1, maximum=MAX_KEY_PAGE)
    if reason is not None:
        raise _refuse("limit", reason)
    return text_problem(master_key_id, max_length=MAX_KEY_TEXT) is None
