"""The staff port: credentials kept by digest, sign-in failures, and the access record.

Staff accounts and their role assignments are event streams like everything else
(hash-chained, appended through `onestop.ports.events.BatchStore`); what this port adds
is what must *not* be an immutable event:

- **Secrets** (`StaffSecret`): a browser session, an agency's API token, a password's
  Argon2id hash, a sealed second-factor seed.  Each is kept under a *key*: for a token
  or session, the SHA-256 digest of the bearer value (never the value itself); for a
  credential, ``<kind>:<account_id>``.  Secrets are replaced, expire and are deleted,
  which an event stream cannot do; a password hash is never written to the chain.
- **Failures** (`FailureCounter.count_failure`): failed sign-ins, counted atomically in the
  store in a sliding window, so that several workers (or machines, on PostgreSQL) do not
  multiply the attempts an attacker is allowed.
- **The access record** (`AccessRecord`): who read which application's personal data,
  when and through what, appended and never changed.

Every adapter refuses malformed input with `onestop.exceptions.InvalidStoreInput`
before any I/O (the ``check_*`` functions here), and each call is atomic.  The contract
suite in `onestop.testing` tests every promise against each adapter;
`onestop.storage.memory.MemoryStore` is the executable specification.

>>> from datetime import UTC, datetime
>>> s = StaffSecret(key="password:officer-ana", account_id="officer-ana", kind="password",
...                 data=b"$argon2id$...", created_at=datetime(2026, 1, 5, tzinfo=UTC))
>>> s.kind, s.expires_at
('password', None)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

import attrs

from onestop.domain.common.formats import ACTOR_ID, ROLE, int_problem, kind_of, text_problem
from onestop.domain.common.kinds import check_instant
from onestop.exceptions import InvalidStoreInput, InvalidValue, NaiveDatetime

__all__ = [
    "MAX_ACCESS_PAGE",
    "MAX_SECRET_BYTES",
    "MAX_STAFF_TEXT",
    "AccessEntry",
    "AccessRecord",
    "FailureCounter",
    "PasswordHasher",
    "StaffSecret",
    "StaffStore",
    "check_access_query",
    "check_failure",
    "renewal_refused",
    "check_secret_key",
]

MAX_STAFF_TEXT = 256
"""The longest key, account id, application id, route or purpose a staff store keeps."""

MAX_SECRET_BYTES = 65536
"""The largest secret's data a staff store keeps, in bytes."""

MAX_ACCESS_PAGE = 1000
"""The largest page `StaffStore.access_records` returns."""

MAX_WINDOW = timedelta(days=366)
"""The longest window failures are counted over."""


def _text(value: object, field: str) -> str:
    reason = text_problem(value, max_length=MAX_STAFF_TEXT)
    if reason is not None:
        raise InvalidValue(field=field, reason=reason)
    return value  # type: ignore[return-value]  # text_problem() proved it is text


def _account(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    ACTOR_ID.check(value, field=attribute.name)


def _kind(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    ROLE.check(value, field=attribute.name)


def _key(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    _text(value, attribute.name)


def _data(_: object, attribute: attrs.Attribute[bytes], value: object) -> None:
    if type(value) is not bytes:
        raise InvalidValue(field=attribute.name, reason=f"expected bytes, not {kind_of(value)}")
    if len(value) > MAX_SECRET_BYTES:
        reason = f"must be at most {MAX_SECRET_BYTES} bytes long, not {len(value)}"
        raise InvalidValue(field=attribute.name, reason=reason)


def _instant(_: object, attribute: attrs.Attribute[datetime], value: object) -> None:
    check_instant(value, field=attribute.name)


def _maybe_instant(_: object, attribute: attrs.Attribute[datetime | None], value: object) -> None:
    if value is not None:
        check_instant(value, field=attribute.name)


@attrs.frozen(kw_only=True)
class StaffSecret:
    """One secret of one staff account, kept under its key; its data never shown in reprs.

    Attributes:
        key: Where it is kept: the SHA-256 hex digest of a bearer value (session,
            token), or ``<kind>:<account_id>`` for a credential (1 to 256 characters).
        account_id: The account it belongs to (`onestop.domain.common.formats.ACTOR_ID`).
        kind: What it is, a role-like name: ``session``, ``token``, ``password``, ``totp``.
        data: Its bytes, opaque to the store (at most `MAX_SECRET_BYTES`).
        created_at: When it was made.
        expires_at: When it stops being returned; ``None`` for never.

    Raises:
        InvalidValue: Naming the field, if one is not of its type and size, or
            `expires_at` is not after `created_at`.
        NaiveDatetime: If an instant has no time zone.
    """

    key: str = attrs.field(validator=_key)
    account_id: str = attrs.field(validator=_account)
    kind: str = attrs.field(validator=_kind)
    data: bytes = attrs.field(repr=False, validator=_data)
    created_at: datetime = attrs.field(validator=_instant)
    expires_at: datetime | None = attrs.field(default=None, validator=_maybe_instant)

    def __attrs_post_init__(self) -> None:
        if self.expires_at is not None and self.expires_at <= self.created_at:
            raise InvalidValue(field="expires_at", reason="must be after created_at")

    def live(self, at: datetime, /) -> bool:
        """Whether the secret has not expired at *at*.

        Raises:
            NaiveDatetime: If *at* has no time zone.
            InvalidValue: If *at* is not a datetime.
        """
        check_instant(at, field="at")
        return self.expires_at is None or at < self.expires_at


@attrs.frozen(kw_only=True)
class AccessRecord:
    """One read of personal data by a member of staff: who, what, when and through what.

    It names the application, never the personal data read.

    Attributes:
        actor_id: The account that read (`onestop.domain.common.formats.ACTOR_ID`).
        application_id: The application whose personal data was read.
        what: What was read, a role-like name: ``applicant``, ``answers``, ``document``.
        route: Through what: an HTTP route template, a command name (1 to 256 characters).
        at: When.
        request_id: The request's id, to match the record with the access log; may be empty.
    """

    actor_id: str = attrs.field(validator=_account)
    application_id: str = attrs.field(validator=_key)
    what: str = attrs.field(validator=_kind)
    route: str = attrs.field(validator=_key)
    at: datetime = attrs.field(validator=_instant)
    request_id: str = attrs.field(default="")

    def __attrs_post_init__(self) -> None:
        if self.request_id:
            _text(self.request_id, "request_id")
        elif not isinstance(self.request_id, str):
            raise InvalidValue(
                field="request_id", reason=f"expected text, not {kind_of(self.request_id)}"
            )


@attrs.frozen(kw_only=True)
class AccessEntry:
    """An `AccessRecord` as stored, with its position in the record (from 1, increasing).

    Attributes:
        position: Its position: increasing in the order records were appended.
        record: The record.
    """

    position: int
    record: AccessRecord


def _refuse(field: str, reason: str) -> InvalidStoreInput:
    return InvalidStoreInput(field=field, reason=reason)


def check_secret_key(key: object, /) -> str:
    """Return *key* if a staff store can look a secret up by it.

    Raises:
        InvalidStoreInput: If it is not text of 1 to `MAX_STAFF_TEXT` characters.
    """
    reason = text_problem(key, max_length=MAX_STAFF_TEXT)
    if reason is not None:
        raise _refuse("key", reason)
    return key  # type: ignore[return-value]  # text_problem() proved it is text


def renewal_refused() -> InvalidStoreInput:
    """The refusal of `StaffStore.renew_secret` to an expiry not after the secret's
    ``created_at``, alike in every store."""
    return _refuse("expires_at", "is not after the secret's created_at")


def check_failure(key: object, at: object, window: object, /) -> tuple[str, datetime, timedelta]:
    """Check the arguments of `FailureCounter.count_failure` and `~FailureCounter.failures`.

    Raises:
        InvalidStoreInput: If *key* is not a storable key, *at* not an aware datetime in
            the years 1 to 9999, or *window* not a `timedelta` of one microsecond to
            `MAX_WINDOW`.
    """
    checked = check_secret_key(key)
    try:
        instant = check_instant(at, field="at")
    except (InvalidValue, NaiveDatetime) as exc:
        raise _refuse("at", str(exc)) from None
    if type(window) is not timedelta or not timedelta(0) < window <= MAX_WINDOW:
        raise _refuse("window", f"must be a timedelta of more than 0 and at most {MAX_WINDOW}")
    if instant - window < datetime.min.replace(tzinfo=instant.tzinfo):
        raise _refuse("window", "reaches before the year 1")
    return checked, instant, window


def check_access_query(after: object, limit: object, /) -> tuple[int, int]:
    """Check the paging arguments of `StaffStore.access_records`.

    Raises:
        InvalidStoreInput: If *after* is not an int of at least 0, or *limit* not an int
            of 1 to `MAX_ACCESS_PAGE`.
    """
    reason = int_problem(after)
    if reason is not None:
        raise _refuse("after", reason)
    reason = int_problem(limit, minimum=1, maximum=MAX_ACCESS_PAGE)
    if reason is not None:
        raise _refuse("limit", reason)
    return after, limit  # type: ignore[return-value]  # int_problem() proved both ints


@runtime_checkable
class FailureCounter(Protocol):
    """The part of a `StaffStore` that counts failures per key, atomically across every
    process sharing it: failed sign-ins, and the wrong one-time codes the courier desk
    counts (`onestop.usecases.courier.desk.CourierDesk`'s ``failures``)."""

    def count_failure(self, key: str, /, *, at: datetime, window: timedelta) -> int:
        """Record one failure under *key* at *at*; return the failures after ``at - window``:
        this one, those before it in the window, and any recorded at a later instant (a
        concurrent caller whose clock read later, and whose count went first).

        Atomic across every process sharing the store: *n* concurrent calls on one key
        return *n* different counts, whatever order their clocks were read in.  Failures
        older than the window may be dropped.
        """
        ...

    def failures(self, key: str, /, *, at: datetime, window: timedelta) -> int:
        """Return the failures recorded under *key* in ``(at - window, at]``."""
        ...

    def clear_failures(self, key: str, /) -> None:
        """Forget every failure recorded under *key* (after a successful sign-in, or once a
        new code is issued)."""
        ...


@runtime_checkable
class StaffStore(FailureCounter, Protocol):
    """Where staff secrets, sign-in failures and the access record live: the event store.

    Every method refuses malformed input with `onestop.exceptions.InvalidStoreInput`
    before any I/O, and is atomic.  Instants are kept to the microsecond.
    """

    def put_secret(self, secret: StaffSecret, /) -> None:
        """Keep *secret* under its key, replacing whatever was kept there."""
        ...

    def renew_secret(self, key: str, /, *, expires_at: datetime) -> bool:
        """Move the expiry of the secret kept under *key* to *expires_at*; tell whether
        one was kept there.  A secret deleted meanwhile is not written back (a session
        renewed by a request while another signs it out stays ended).

        Raises:
            InvalidStoreInput: If *expires_at* is not after the kept secret's
                ``created_at`` (nothing is changed), or an argument is malformed.
        """
        ...

    def secret(self, key: str, /, *, at: datetime) -> StaffSecret | None:
        """Return the secret kept under *key*; ``None`` if there is none or it expired at *at*."""
        ...

    def secrets_of(self, account_id: str, /, *, kind: str | None = None) -> tuple[StaffSecret, ...]:
        """Return the account's secrets (of *kind* only, if given), expired ones too, by key."""
        ...

    def delete_secrets(
        self, *, key: str | None = None, account_id: str | None = None, kind: str | None = None
    ) -> int:
        """Delete the secrets matching every filter given (at least one); return how many.

        Raises:
            InvalidStoreInput: If no filter is given, or one is malformed.
        """
        ...

    def record_access(self, records: Sequence[AccessRecord], /) -> None:
        """Append *records* to the access record, in order, all or none."""
        ...

    def access_records(
        self,
        *,
        application_id: str | None = None,
        actor_id: str | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> tuple[AccessEntry, ...]:
        """Return up to *limit* entries after position *after*, in order, matching the filters."""
        ...

    def sweep_staff(self, *, at: datetime, window: timedelta) -> int:
        """Delete secrets expired at *at* and failures before ``at - window``; return how many."""
        ...


@runtime_checkable
class PasswordHasher(Protocol):
    """Hashes passwords and checks them: Argon2id in `onestop.privacy.passwords.Argon2Hasher`.

    A hash is text that names its algorithm and parameters (the PHC string format), so
    that a hash made with older parameters is still checked, and can be replaced.
    """

    def hash(self, password: str, /) -> str:
        """Return a new salted hash of *password*."""
        ...

    def verify(self, hashed: str, password: str, /) -> bool:
        """Return whether *password* is the one *hashed* was made from; a mismatch is ``False``."""
        ...

    def needs_rehash(self, hashed: str, /) -> bool:
        """Return whether *hashed* was made with weaker parameters than the hasher's own."""
        ...
