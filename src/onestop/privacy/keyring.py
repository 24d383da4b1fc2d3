"""The keyring: personal values sealed per subject, keys cached, blind indexes, rotation.

`Keyring` implements `onestop.ports.keys.PersonalDataKeys` over a master key provider
and a subject key store.  Each subject gets its own 64-byte data key on first use,
kept in the store wrapped by the provider's current master key; erasing the subject
destroys that wrapped key, after which its values open as ``None``.

**The cache policy** (`KeyCachePolicy`).  Unwrapping a data key calls the provider,
which may be a key management service a network hop away, so unwrapped keys are kept
in memory: at most `KeyCachePolicy.max_keys` of them, the least recently used dropped
first, each for at most `KeyCachePolicy.ttl` after it was unwrapped (then it is
unwrapped again, so a revoked master key stops working within the TTL).  That a subject
was erased is cached the same way.  `Keyring.forget` drops subjects at once: the erase
use case calls it.  A ``max_keys`` of 0 caches nothing.  The blind index key is held for
the keyring's life.

>>> from onestop.privacy import StaticKeyProvider
>>> from onestop.storage.memory import MemoryStore
>>> keyring = Keyring(StaticKeyProvider.generate("mk-1"), MemoryStore())
>>> token = keyring.seal("app-1/applicant", "Siti".encode(), context=b"app-1")
>>> keyring.open("app-1/applicant", token, context=b"app-1")
b'Siti'
>>> len(keyring.blind_index("id-nik", "3171 0157 0845 0001"))
64
"""

from __future__ import annotations

import hmac
import os
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Final

import attrs

from onestop.domain.common.formats import int_problem, kind_of, text_problem
from onestop.domain.common.subjects import ROLES, subject_id, subject_parts
from onestop.exceptions import InvalidValue, KeyUnavailable, PersonalDataErased, StorageError
from onestop.ports.events import Clock
from onestop.ports.keys import (
    MAX_KEY_PAGE,
    MAX_KEY_TEXT,
    RESERVED_PREFIX,
    MasterKeyProvider,
    SubjectKey,
    SubjectKeyStore,
)
from onestop.privacy.cipher import DataKey, check_bytes, new_data_key

__all__ = [
    "BLIND_INDEX_SUBJECT",
    "ROLES",
    "KeyCachePolicy",
    "Keyring",
    "RotationReport",
    "normalised_identity",
    "subject_id",
    "subject_parts",
]

BLIND_INDEX_SUBJECT: Final = "$blind-index"
"""The reserved subject under which the blind index key is stored (never a person's)."""

_MAX_CACHE = 10_000_000
_MAX_TTL = timedelta(days=1)


def _check_cache_size(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    reason = int_problem(value, minimum=0, maximum=_MAX_CACHE)
    if reason is not None:
        raise InvalidValue(field=attribute.name, reason=reason)


def _check_ttl(_: object, attribute: attrs.Attribute[timedelta], value: object) -> None:
    if not isinstance(value, timedelta):
        raise InvalidValue(
            field=attribute.name, reason=f"expected a timedelta, not {kind_of(value)}"
        )
    if not timedelta(0) <= value <= _MAX_TTL:
        raise InvalidValue(field=attribute.name, reason="must be from 0 to one day")


@attrs.frozen(kw_only=True)
class KeyCachePolicy:
    """How many unwrapped data keys a `Keyring` keeps in memory, and for how long.

    Attributes:
        max_keys: The most kept at once (0 to 10,000,000; 0 keeps none); the least
            recently used is dropped first.
        ttl: How long one is kept after it was unwrapped (0 to one day).

    Raises:
        InvalidValue: Naming the field, if one is out of its range or of the wrong type.
    """

    max_keys: int = attrs.field(default=10_000, validator=_check_cache_size)
    ttl: timedelta = attrs.field(default=timedelta(minutes=5), validator=_check_ttl)


@attrs.frozen(kw_only=True)
class RotationReport:
    """What `Keyring.rotate` did.

    Attributes:
        current_key_id: The master key every live data key is now wrapped by.
        rewrapped: How many keys were rewrapped, by the master key id they had.
    """

    current_key_id: str
    rewrapped: Mapping[str, int]

    @property
    def total(self) -> int:
        """How many keys were rewrapped in all."""
        return sum(self.rewrapped.values())


class _SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


_ERASED: Final = "erased"
"""The cached value of a subject whose key was destroyed."""


@attrs.define
class _Cache:
    """The least recently used unwrapped keys, each until its TTL runs out."""

    policy: KeyCachePolicy
    entries: OrderedDict[str, tuple[DataKey | str, datetime]] = attrs.field(factory=OrderedDict)
    lock: threading.Lock = attrs.field(factory=threading.Lock)
    drops: int = 0
    """How many times `drop` was called: an opener made before a drop stops using its key."""

    def get(self, subject: str, now: datetime) -> DataKey | str | None:
        with self.lock:
            found = self.entries.get(subject)
            if found is None:
                return None
            if now - found[1] >= self.policy.ttl or now < found[1]:
                del self.entries[subject]
                return None
            self.entries.move_to_end(subject)
            return found[0]

    def put(self, subject: str, key: DataKey | str, now: datetime) -> None:
        if self.policy.max_keys == 0:
            return
        with self.lock:
            self.entries[subject] = (key, now)
            self.entries.move_to_end(subject)
            while len(self.entries) > self.policy.max_keys:
                self.entries.popitem(last=False)

    def drop(self, subjects: Collection[str]) -> None:
        with self.lock:
            self.drops += 1
            for subject in subjects:
                self.entries.pop(subject, None)


def _wrap_context(subject: str) -> bytes:
    return b"onestop/data-key/v1\x00" + subject.encode("utf-8")


def _value_context(subject: str, context: bytes) -> bytes:
    """The one associated data item a value is sealed with: bound to *subject* and *context*.

    A subject id holds no NUL (it is checked text), so the item tells them apart.
    """
    return b"onestop/value/v2\x00" + subject.encode("utf-8") + b"\x00" + context


def _check_subject(subject: object, *, reserved: bool = False) -> str:
    reason = text_problem(subject, max_length=MAX_KEY_TEXT)
    if reason is None and not reserved and str(subject).startswith(RESERVED_PREFIX):
        reason = f"may not start with {RESERVED_PREFIX!r}: such subjects are reserved"
    if reason is not None:
        raise InvalidValue(field="subject", reason=reason)
    return subject  # type: ignore[return-value]  # text_problem() proved it is text


def normalised_identity(scheme: object, number: object) -> bytes:
    """The one form of an identity number under its scheme that the blind index reads,
    and that says whether two numbers are the same person's: NFKC, the scheme folded in
    case and trimmed, the number without spaces, ``-``, ``.`` and ``/``, in upper case
    (``900101-1234567`` is ``9001011234567``; ``ab 123456`` is ``AB123456``).

    Raises:
        onestop.exceptions.InvalidValue: If either is not text, too long, holds a control
            character, or holds nothing once normalised.
    """
    parts = []
    for field, value, limit in (("scheme", scheme, 64), ("number", number, MAX_KEY_TEXT)):
        reason = text_problem(value, max_length=limit)
        if reason is not None:
            raise InvalidValue(field=field, reason=reason)
        plain = unicodedata.normalize("NFKC", value)  # type: ignore[arg-type]  # it is text
        if field == "scheme":
            plain = plain.strip().casefold()
        else:
            plain = "".join(c for c in plain if not c.isspace() and c not in "-./").upper()
        if not plain or (":" in plain and field == "scheme"):
            raise InvalidValue(field=field, reason="holds no character of a scheme or number")
        parts.append(plain)
    return ":".join(parts).encode("utf-8")


class Keyring:
    """Seals and opens personal values with a data key per subject, kept wrapped in a store.

    Implements `onestop.ports.keys.PersonalDataKeys`.  Threads may share one keyring.
    """

    def __init__(
        self,
        provider: MasterKeyProvider,
        store: SubjectKeyStore,
        *,
        cache: KeyCachePolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Seal with *provider*'s master keys and *store*'s subject keys.

        Args:
            provider: Wraps and unwraps the data keys.
            store: Keeps the wrapped data keys and the blind index.
            cache: How many unwrapped keys to keep, for how long (default `KeyCachePolicy()`).
            clock: Tells the time for the cache's TTL and keys' creation (default: UTC now).

        Raises:
            InvalidValue: If *cache* is not a `KeyCachePolicy`.
        """
        policy = KeyCachePolicy() if cache is None else cache
        if not isinstance(policy, KeyCachePolicy):
            raise InvalidValue(
                field="cache", reason=f"expected a KeyCachePolicy, not {kind_of(cache)}"
            )
        self._provider = provider
        self._store = store
        self._clock: Clock = _SystemClock() if clock is None else clock
        self._cache = _Cache(policy)
        self._index_key: bytes | None = None

    def __repr__(self) -> str:
        """Show the policy and how many keys are cached, never a key."""
        policy = self._cache.policy
        return (
            f"<Keyring cached={len(self._cache.entries)} max_keys={policy.max_keys} "
            f"ttl={policy.ttl}>"
        )

    def __reduce__(self) -> tuple[object, ...]:
        """Refuse to pickle: unwrapped keys never leave the process."""
        raise TypeError("a Keyring cannot be pickled")

    @property
    def cache_policy(self) -> KeyCachePolicy:
        """The cache policy this keyring follows."""
        return self._cache.policy

    def _now(self) -> datetime:
        return self._clock.now()

    def _checked(self, subject: object) -> str:
        """*subject*, checked; one the cache holds was checked before it was put there.

        Checking a subject id walks its characters, which costs more than opening a
        value: a mall opens several per event it decodes, all of one or two subjects.
        """
        if type(subject) is str and subject in self._cache.entries:
            return subject
        return _check_subject(subject)

    def _unwrap(self, stored: SubjectKey) -> DataKey | str:
        if stored.wrapped is None:
            return _ERASED
        return DataKey(self._provider.unwrap(stored.wrapped, context=_wrap_context(stored.subject)))

    def _data_key(self, subject: str, *, create: bool) -> DataKey | str | None:
        """The subject's key, `_ERASED`, or ``None`` if it has none (and *create* is false)."""
        now = self._now()
        cached = self._cache.get(subject, now)
        if cached is not None:
            return cached
        stored = self._store.subject_keys((subject,)).get(subject)
        if stored is None and not create:
            return None
        if stored is None:
            raw = new_data_key()
            wrapped = self._provider.wrap(raw, context=_wrap_context(subject))
            made = SubjectKey(subject=subject, wrapped=wrapped, created_at=now)
            stored = self._store.add_subject_keys((made,))[subject]
            found: DataKey | str = DataKey(raw) if stored == made else self._unwrap(stored)
        else:
            found = self._unwrap(stored)
        self._cache.put(subject, found, now)
        return found

    def seal(self, subject: str, plaintext: bytes, /, *, context: bytes) -> str:
        """Return *plaintext* sealed under *subject*'s data key, bound to *context* and *subject*.

        The subject's key is made on first use; the token is deterministic ASCII text.

        Raises:
            InvalidValue: If *subject* is not a subject id (or is reserved), or
                *plaintext* or *context* is not bytes.
            PersonalDataErased: If the subject was erased.
            KeyUnavailable: If the master key cannot be used.
        """
        subject = self._checked(subject)
        associated = _value_context(subject, check_bytes(context, "context"))
        check_bytes(plaintext, "plaintext")
        key = self._data_key(subject, create=True)
        if not isinstance(key, DataKey):
            raise PersonalDataErased(subject=subject)
        return key.seal(plaintext, context=associated)

    def open(self, subject: str, token: str, /, *, context: bytes) -> bytes | None:
        """Return the plaintext *token* seals, or ``None`` if *subject* was erased.

        Raises:
            InvalidValue: If *subject* is not a subject id, *token* not text or
                *context* not bytes.
            StorageError: If *token* does not open, or the subject has no key; the token
                is never quoted.
            KeyUnavailable: If the master key cannot be used.
        """
        if type(subject) is str and type(token) is str and type(context) is bytes:
            # A live key the cache holds: its subject was checked when it was put there.
            found = self._cache.get(subject, self._now())
            if isinstance(found, DataKey):
                return found.open(token, context=_value_context(subject, context))
        subject = self._checked(subject)
        associated = _value_context(subject, check_bytes(context, "context"))
        if not isinstance(token, str):
            raise InvalidValue(field="token", reason=f"expected text, not {kind_of(token)}")
        key = self._data_key(subject, create=False)
        if key is None:
            raise StorageError("a sealed value names a subject that has no data key")
        if not isinstance(key, DataKey):
            return None
        return key.open(token, context=associated)

    def opener(self, subject: str, /) -> Callable[[str, bytes], bytes | None] | None:
        """*subject*'s cached live key as a function ``(token, context) -> plaintext``.

        ``None`` if the cache holds no live key of *subject* (then `open` unwraps it).
        The stream core asks once per event and drops the function when the event is
        decoded, so that an event's values of one subject cost one cache look-up.  The
        function opens as `open` does; after `forget` of any subject it goes through
        `open` again (so an erased subject's values open as ``None``).  Hold it no
        longer than one unit of work: the cache's TTL is checked when it is made.

        Raises:
            InvalidValue: If *subject* is not text.
        """
        if type(subject) is not str:
            raise InvalidValue(field="subject", reason=f"expected text, not {kind_of(subject)}")
        cache = self._cache
        found = cache.get(subject, self._now())
        if not isinstance(found, DataKey):
            return None
        key, prefix, drops = found, _value_context(subject, b""), cache.drops

        def opened(token: str, context: bytes) -> bytes | None:
            if cache.drops != drops or type(context) is not bytes:
                return self.open(subject, token, context=context)
            return key.open(token, context=prefix + context)

        return opened

    def blind_index(self, scheme: str, number: str, /) -> str:
        """Return the HMAC-SHA256 of the normalised ``scheme:number``, in hex.

        The scheme is case-folded; spaces, ``-``, ``.`` and ``/`` are dropped from the
        number, which is upper-cased (both after NFKC), so ``3171-0157 0845 0001`` and
        ``3171015708450001`` index alike.  The key (32 random bytes) is made on first use
        and kept in the store under `BLIND_INDEX_SUBJECT`, wrapped by the master key.

        Raises:
            InvalidValue: If *scheme* or *number* is not text, or holds nothing to index.
            KeyUnavailable: If the master key cannot be used, or the index key was destroyed.
        """
        message = normalised_identity(scheme, number)
        return hmac.new(self._blind_key(), message, "sha256").hexdigest()

    def _blind_key(self) -> bytes:
        if self._index_key is not None:
            return self._index_key
        subject, context = BLIND_INDEX_SUBJECT, _wrap_context(BLIND_INDEX_SUBJECT)
        stored = self._store.subject_keys((subject,)).get(subject)
        if stored is None:
            wrapped = self._provider.wrap(os.urandom(32), context=context)
            made = SubjectKey(subject=subject, wrapped=wrapped, created_at=self._now())
            stored = self._store.add_subject_keys((made,))[subject]
        if stored.wrapped is None:
            raise KeyUnavailable(key_id=None, reason="the blind index key was destroyed")
        self._index_key = self._provider.unwrap(stored.wrapped, context=context)
        return self._index_key

    def forget(self, subjects: Collection[str], /) -> None:
        """Drop the cached keys of *subjects* (the erase use case calls it).

        Raises:
            InvalidValue: If *subjects* is not a collection of text.
        """
        if isinstance(subjects, str | bytes) or not isinstance(subjects, Collection):
            raise InvalidValue(
                field="subjects", reason=f"expected a collection, not {kind_of(subjects)}"
            )
        found = tuple(subjects)
        for index, subject in enumerate(found):
            if not isinstance(subject, str):
                raise InvalidValue(
                    field=f"subjects[{index}]", reason=f"expected text, not {kind_of(subject)}"
                )
        self._cache.drop(found)

    def rotate(self, *, retired: Collection[str] | None = None, page: int = 500) -> RotationReport:
        """Rewrap every live data key wrapped by a *retired* master key under the current one.

        Events are not touched: only the wrapped keys in the store change, page by page
        (`onestop.ports.keys.SubjectKeyStore.subject_keys_under`).  It may be stopped and
        run again: what was rewrapped stays so.  Afterwards the retired master keys may
        be removed from the provider.

        Args:
            retired: The master key ids to move away from; by default every id the
                provider has (its ``key_ids``) but the current one.
            page: How many keys to rewrap at a time (1 to 1,000).

        Raises:
            InvalidValue: If *retired* is not given and the provider has no ``key_ids``,
                or an argument is malformed.
            KeyUnavailable: If a key does not unwrap, or the provider wraps with a
                retired key.
        """
        reason = int_problem(page, minimum=1, maximum=MAX_KEY_PAGE)
        if reason is not None:
            raise InvalidValue(field="page", reason=reason)
        current = self._provider.current_key_id
        olds = self._retired(retired, current)
        counts: dict[str, int] = {}
        for old in olds:
            counts[old] = 0
            while keys := self._store.subject_keys_under(old, limit=page):
                moved = tuple(self._rewrapped(key, old) for key in keys)
                counts[old] += self._store.rewrap_subject_keys(moved)
        return RotationReport(current_key_id=current, rewrapped=counts)

    def _retired(self, retired: Collection[str] | None, current: str) -> tuple[str, ...]:
        if retired is None:
            known = getattr(self._provider, "key_ids", None)
            if not isinstance(known, tuple | list):
                reason = "the provider lists no key_ids: name the retired master key ids"
                raise InvalidValue(field="retired", reason=reason)
            retired = known
        if isinstance(retired, str | bytes) or not isinstance(retired, Collection):
            raise InvalidValue(
                field="retired", reason=f"expected a collection, not {kind_of(retired)}"
            )
        given = tuple(retired)
        for index, key_id in enumerate(given):
            problem = text_problem(key_id, max_length=MAX_KEY_TEXT)
            if problem is not None:
                raise InvalidValue(field=f"retired[{index}]", reason=problem)
        return tuple(k for k in dict.fromkeys(given) if k != current)

    def _rewrapped(self, key: SubjectKey, old: str) -> SubjectKey:
        if key.wrapped is None:  # subject_keys_under lists live keys only
            raise StorageError("the store listed a destroyed key for rotation")
        context = _wrap_context(key.subject)
        wrapped = self._provider.wrap(
            self._provider.unwrap(key.wrapped, context=context), context=context
        )
        if wrapped.master_key_id == old:
            raise KeyUnavailable(key_id=old, reason="the provider still wraps with a retired key")
        return attrs.evolve(key, wrapped=wrapped)
