"""What the staff desk is set with and answers: its sign-in policy, sessions, tokens, codes.

`SignInPolicy` fixes the lockout (failures per account and per client in a sliding
window, counted in the store so that several workers share them), the session
lifetimes (idle and absolute) and the password rules.  `SignedIn`, `IssuedToken` and
`SecondFactorEnrolment` carry a secret in clear, once: their reprs never show it.

>>> SignInPolicy().max_failures, SignInPolicy().window
(5, datetime.timedelta(seconds=900))
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from onestop.domain.common.formats import int_problem, kind_of
from onestop.domain.staff import StaffIdentity
from onestop.exceptions import InvalidValue

__all__ = [
    "IssuedToken",
    "SecondFactorEnrolment",
    "SignInPolicy",
    "SignedIn",
]


def _count(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    reason = int_problem(value, minimum=1, maximum=1_000_000)
    if reason is not None:
        raise InvalidValue(field=attribute.name, reason=reason)


def _span(_: object, attribute: attrs.Attribute[timedelta], value: object) -> None:
    if type(value) is not timedelta:
        raise InvalidValue(
            field=attribute.name, reason=f"expected a timedelta, not {kind_of(value)}"
        )
    if not timedelta(seconds=1) <= value <= timedelta(days=366):
        raise InvalidValue(field=attribute.name, reason="must be from 1 second to 366 days")


@attrs.frozen(kw_only=True)
class SignInPolicy:
    """How sign-ins are throttled, how long sessions last, what a password must be.

    Attributes:
        max_failures: Failed sign-ins of one account within `window` that lock it
            (default 5): the next sign-in, even with the right password, is refused
            with `onestop.exceptions.AccountLocked` until the oldest ages out.
        window: The sliding window failures are counted in (default 15 minutes).
        max_client_failures: Failed sign-ins from one client (an address) within
            `window` that lock every sign-in from it (default 50).
        session_idle: A session not used for this long ends (default 30 minutes).
        session_absolute: A session ends this long after sign-in, used or not
            (default 12 hours).
        min_password: The fewest characters of a password (default 12).
        max_password: The most characters of a password (default 1024).
        totp_issuer: The issuer an authenticator app shows (default ``onestop``).
        max_parallel_hashes: The most Argon2 computations one desk runs at once
            (default 4); more sign-ins wait their turn, so that a flood of them cannot
            make a worker allocate Argon2's memory (64 MiB each) without bound.

    Raises:
        InvalidValue: If a count is not an integer of 1 to 1,000,000, a span not a
            `timedelta` of 1 second to 366 days, the idle span longer than the absolute
            one, or the password bounds not 8 <= min <= max <= 4096.
    """

    max_failures: int = attrs.field(default=5, validator=_count)
    window: timedelta = attrs.field(default=timedelta(minutes=15), validator=_span)
    max_client_failures: int = attrs.field(default=50, validator=_count)
    session_idle: timedelta = attrs.field(default=timedelta(minutes=30), validator=_span)
    session_absolute: timedelta = attrs.field(default=timedelta(hours=12), validator=_span)
    min_password: int = attrs.field(default=12, validator=_count)
    max_password: int = attrs.field(default=1024, validator=_count)
    totp_issuer: str = attrs.field(default="onestop")
    max_parallel_hashes: int = attrs.field(default=4, validator=_count)

    def __attrs_post_init__(self) -> None:
        if self.session_idle > self.session_absolute:
            raise InvalidValue(field="session_idle", reason="must not exceed session_absolute")
        if not 8 <= self.min_password <= self.max_password <= 4096:
            raise InvalidValue(
                field="min_password", reason="must be 8 <= min_password <= max_password <= 4096"
            )
        given: object = self.totp_issuer
        if not isinstance(given, str) or not 1 <= len(given) <= 64 or not given.isprintable():
            raise InvalidValue(field="totp_issuer", reason="must be 1 to 64 printable characters")


@attrs.frozen(kw_only=True)
class SignedIn:
    """A sign-in that succeeded: the session for the browser's cookie, shown once.

    Attributes:
        session: The session token, in clear (only its digest is kept).
        csrf: A token for the CSRF double-submit cookie of this session.
        identity: Who signed in, with the roles in force now.
        expires_at: When the session ends at the latest, if used.
    """

    session: str = attrs.field(repr=False)
    csrf: str = attrs.field(repr=False)
    identity: StaffIdentity
    expires_at: datetime


@attrs.frozen(kw_only=True)
class IssuedToken:
    """An API token just issued: the token in clear is shown here once, never again.

    Attributes:
        token_id: Its id, to revoke it by.
        token: The bearer token, in clear (only its digest is kept).
        expires_at: When it stops working; ``None`` for until revoked.
    """

    token_id: str
    token: str = attrs.field(repr=False)
    expires_at: datetime | None


@attrs.frozen(kw_only=True)
class SecondFactorEnrolment:
    """A TOTP second factor being enrolled: the seed to put in an authenticator app.

    Enrolment ends with `onestop.usecases.staff.StaffDesk.confirm_second_factor` and
    a code the app shows.

    Attributes:
        secret: The seed, in base32 (shown once).
        uri: The ``otpauth://`` URI to show as a QR code (it holds the seed).
    """

    secret: str = attrs.field(repr=False)
    uri: str = attrs.field(repr=False)
