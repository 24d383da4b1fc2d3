"""One-time codes that let a citizen confirm one courier handoff of one application.

`issue_code` derives a short numeric code from a secret key and what the code is
for: the application, the handoff and the expiry.  The citizen gets the code (by
SMS, on the tracking page); the domain keeps only a `OneTimeCode` record: the
binding, the expiry, and a keyed digest of the code.  `verify_code` checks a code
typed at the door against such a record, and says precisely why it does not fit.

>>> from datetime import UTC, datetime
>>> key = b"k" * 32
>>> expires = datetime(2025, 3, 10, 9, 10, tzinfo=UTC)
>>> code, issued = issue_code(key, "app-1", "h-pickup", expires)
>>> len(code), issued.handoff_id
(6, 'h-pickup')
>>> verify_code(issued, code, secret_key=key, application_id="app-1",
...             handoff_id="h-pickup", at=datetime(2025, 3, 10, 9, 0, tzinfo=UTC))
>>> verify_code(issued, code, secret_key=key, application_id="app-2",
...             handoff_id="h-pickup", at=datetime(2025, 3, 10, 9, 0, tzinfo=UTC))
Traceback (most recent call last):
...
onestop.exceptions.CodeForAnotherApplication: the one-time code was issued for another ...

The code is the RFC 4226 dynamic truncation of an HMAC-SHA256 over the binding, so
it is deterministic: issuing again with the same arguments gives the same code.  The
digest is another HMAC-SHA256, over the binding and the code, so a leaked record
does not give the code away to anyone without the key.  HMAC is computed with
`hashlib` (RFC 2104), as the domain imports no other cryptography.

What a code cannot do alone: six digits are guessed once in a million tries, so the
host must limit wrong attempts per handoff (lock after a few) and keep lifetimes
short (`DEFAULT_CODE_LIFETIME`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Container
from datetime import datetime, timedelta

import attrs

from onestop.domain.common.canonical import canonical_bytes
from onestop.domain.common.formats import KEY, SHA256_HEX, int_problem, kind_of
from onestop.domain.common.kinds import check_instant
from onestop.exceptions import (
    CodeAlreadyUsed,
    CodeExpired,
    CodeForAnotherApplication,
    CodeForAnotherHandoff,
    InvalidValue,
    WrongCode,
)

__all__ = [
    "DEFAULT_CODE_LIFETIME",
    "MAX_CODE_LIFETIME",
    "MIN_KEY_BYTES",
    "OneTimeCode",
    "issue_code",
    "verify_code",
]

DEFAULT_CODE_LIFETIME = timedelta(minutes=10)
"""A suggested lifetime for a code sent as the courier arrives (our choice, not a law)."""

MAX_CODE_LIFETIME = timedelta(days=7)
"""The longest lifetime the courier desk gives a code (a week, for a visit booked ahead)."""

MIN_KEY_BYTES = 16
"""The shortest secret key accepted (128 bits); use 32 random bytes."""

_BLOCK = 64
_INNER = bytes(0x36 for _ in range(_BLOCK))
_OUTER = bytes(0x5C for _ in range(_BLOCK))


def _hmac_sha256(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 (RFC 2104) with `hashlib` alone."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(k ^ p for k, p in zip(key, _INNER, strict=True)) + message)
    outer = hashlib.sha256(bytes(k ^ p for k, p in zip(key, _OUTER, strict=True)))
    outer.update(inner.digest())
    return outer.digest()


def _same(a: str, b: str) -> bool:
    """Compare two digests in time that does not depend on where they differ."""
    if len(a) != len(b):
        return False
    difference = 0
    for x, y in zip(a.encode(), b.encode(), strict=True):
        difference |= x ^ y
    return difference == 0


def _binding(application_id: str, handoff_id: str, expires_at: datetime) -> bytes:
    return canonical_bytes(
        {"application_id": application_id, "handoff_id": handoff_id, "expires_at": expires_at}
    )


def _digest(key: bytes, binding: bytes, code: str) -> str:
    return _hmac_sha256(key, b"onestop-otp-digest-v1\x00" + binding + code.encode()).hex()


def _check_key(secret_key: object) -> bytes:
    if not isinstance(secret_key, bytes) or len(secret_key) < MIN_KEY_BYTES:
        raise InvalidValue(
            field="secret_key", reason=f"must be at least {MIN_KEY_BYTES} bytes of secret"
        )
    return secret_key


def _instant(_: object, attribute: attrs.Attribute[datetime], value: object) -> None:
    check_instant(value, field=attribute.name)


@attrs.frozen(kw_only=True)
class OneTimeCode:
    """The record of an issued code: what it is for, until when, and its keyed digest.

    Never the code itself.  Keep it until the handoff is done or the code expired.

    Attributes:
        application_id: The application the code confirms a handoff of (a key,
            `onestop.domain.common.formats.KEY`).
        handoff_id: The handoff it confirms (a key).
        expires_at: The instant it stops being valid.
        digest: The keyed digest of the code and its binding (not in the repr).
    """

    application_id: str = attrs.field(validator=KEY.validator)
    handoff_id: str = attrs.field(validator=KEY.validator)
    expires_at: datetime = attrs.field(validator=_instant)
    digest: str = attrs.field(validator=SHA256_HEX.validator, repr=False)


def issue_code(
    secret_key: bytes,
    application_id: str,
    handoff_id: str,
    expires_at: datetime,
    *,
    digits: int = 6,
) -> tuple[str, OneTimeCode]:
    """Return a code for the citizen and the record the domain keeps of it.

    Args:
        secret_key: The host's secret (at least `MIN_KEY_BYTES`); rotate it with care,
            as records issued under an old key no longer verify.
        application_id: The application whose handoff the code confirms.
        handoff_id: The handoff it confirms.
        expires_at: When it stops being valid (timezone-aware).
        digits: The code's length, 6 to 8.

    Raises:
        onestop.exceptions.InvalidValue: If the key is too short, an id is not a key
            (`onestop.domain.common.formats.KEY`), *expires_at* is not an instant, or *digits*
            is not 6, 7 or 8.
        onestop.exceptions.NaiveDatetime: If *expires_at* has no time zone.
    """
    key = _check_key(secret_key)
    if int_problem(digits, minimum=6, maximum=8) is not None:
        raise InvalidValue(field="digits", reason="must be 6, 7 or 8")
    KEY.check(application_id, field="application_id")
    KEY.check(handoff_id, field="handoff_id")
    check_instant(expires_at, field="expires_at")
    binding = _binding(application_id, handoff_id, expires_at)
    mac = _hmac_sha256(key, b"onestop-otp-code-v1\x00" + binding)
    offset = mac[-1] & 0x0F
    number = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    code = str(number % 10**digits).zfill(digits)
    record = OneTimeCode(
        application_id=application_id,
        handoff_id=handoff_id,
        expires_at=expires_at,
        digest=_digest(key, binding, code),
    )
    return code, record


def verify_code(
    issued: OneTimeCode,
    code: str,
    /,
    *,
    secret_key: bytes,
    application_id: str,
    handoff_id: str,
    at: datetime,
    used: Container[str] = frozenset(),
) -> None:
    """Check that *code* answers *issued*, and that *issued* is for this handoff, now.

    The checks, in order: the record's application and handoff are the ones being
    confirmed; its digest is not in *used* (the digests of codes already spent); it
    has not expired at *at*; the code, with the record's binding, gives its digest
    (which also catches a record whose fields were altered).

    Raises:
        onestop.exceptions.CodeForAnotherApplication: The record is for another application.
        onestop.exceptions.CodeForAnotherHandoff: The record is for another handoff.
        onestop.exceptions.CodeAlreadyUsed: The code was used already (a replay).
        onestop.exceptions.CodeExpired: *at* is at or after its expiry.
        onestop.exceptions.WrongCode: The code does not match, or is not text.
        onestop.exceptions.InvalidValue: If *issued* is not a `OneTimeCode`, an id is
            not a key, *at* is not an instant, or *used* is not a container.
    """
    key = _check_key(secret_key)
    record: object = issued
    if not isinstance(record, OneTimeCode):
        raise InvalidValue(field="issued", reason=f"expected a OneTimeCode, not {kind_of(issued)}")
    KEY.check(application_id, field="application_id")
    KEY.check(handoff_id, field="handoff_id")
    check_instant(at, field="at")
    spent: object = used
    if not isinstance(spent, Container) or isinstance(spent, str | bytes | bytearray):
        reason = f"expected a set of digests, not {kind_of(used)}"
        raise InvalidValue(field="used", reason=reason)
    if issued.application_id != application_id:
        raise CodeForAnotherApplication(handoff_id=handoff_id)
    if issued.handoff_id != handoff_id:
        raise CodeForAnotherHandoff(handoff_id=handoff_id)
    if issued.digest in used:
        raise CodeAlreadyUsed(handoff_id=handoff_id)
    if at >= issued.expires_at:
        raise CodeExpired(handoff_id=handoff_id, expired_at=issued.expires_at)
    given: object = code
    typed = given.strip() if isinstance(given, str) else ""
    binding = _binding(issued.application_id, issued.handoff_id, issued.expires_at)
    if not typed.isascii() or not typed.isdigit() or not 6 <= len(typed) <= 8:
        raise WrongCode(handoff_id=handoff_id)
    if not _same(_digest(key, binding, typed), issued.digest):
        raise WrongCode(handoff_id=handoff_id)
