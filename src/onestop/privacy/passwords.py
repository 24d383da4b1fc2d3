"""Staff passwords hashed with Argon2id (argon2-cffi): the `PasswordHasher` port's adapter.

`Argon2Hasher` makes PHC-format hashes (``$argon2id$v=19$m=...,t=...,p=...$salt$hash``)
with the parameters of RFC 9106's second recommended option by default (64 MiB, three
passes, four lanes), checks a password against any Argon2 hash whatever its parameters,
and says when a hash was made with other parameters than its own
(`Argon2Hasher.needs_rehash`), so that the desk replaces it at the next sign-in.  A
mismatch, a malformed hash or a hash of another algorithm is ``False``, never an
error: a sign-in that fails says nothing more.

>>> hasher = Argon2Hasher(memory_cost=8, time_cost=1, parallelism=1)  # tests only: weak
>>> hashed = hasher.hash("correct horse battery staple")
>>> hashed.startswith("$argon2id$"), hasher.verify(hashed, "correct horse battery staple")
(True, True)
>>> hasher.verify(hashed, "Tr0ub4dor&3"), hasher.verify("not a hash", "x")
(False, False)
"""

from __future__ import annotations

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from onestop.domain.common.formats import int_problem, kind_of
from onestop.exceptions import InvalidValue

__all__ = ["MAX_PASSWORD_CHARS", "Argon2Hasher"]

MAX_PASSWORD_CHARS = 4096
"""The longest password the hasher hashes or checks, in characters; a longer one never matches."""


def _check(value: object, field: str, *, minimum: int, maximum: int) -> int:
    reason = int_problem(value, minimum=minimum, maximum=maximum)
    if reason is not None:
        raise InvalidValue(field=field, reason=reason)
    return value  # type: ignore[return-value]  # int_problem() proved it is an int


def _password(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidValue(field="password", reason=f"expected text, not {kind_of(value)}")
    return value


class Argon2Hasher:
    """Argon2id password hashes: an `onestop.ports.staff.PasswordHasher`.

    Args:
        time_cost: Passes over the memory (1 to 100; default 3).
        memory_cost: Memory in KiB (8 to 4,194,304; default 65,536: 64 MiB).
        parallelism: Lanes (1 to 64; default 4).

    Raises:
        InvalidValue: If a parameter is not an integer in its range.
    """

    def __init__(
        self, *, time_cost: int = 3, memory_cost: int = 65536, parallelism: int = 4
    ) -> None:
        """Set the parameters new hashes are made with."""
        self._hasher = argon2.PasswordHasher(
            time_cost=_check(time_cost, "time_cost", minimum=1, maximum=100),
            memory_cost=_check(memory_cost, "memory_cost", minimum=8, maximum=4_194_304),
            parallelism=_check(parallelism, "parallelism", minimum=1, maximum=64),
            type=argon2.Type.ID,
        )

    def __repr__(self) -> str:
        """Show the parameters."""
        p = self._hasher
        return (
            f"<Argon2Hasher time_cost={p.time_cost} memory_cost={p.memory_cost} "
            f"parallelism={p.parallelism}>"
        )

    def hash(self, password: str, /) -> str:
        """Return a new salted Argon2id hash of *password*.

        Raises:
            InvalidValue: If *password* is not text, or longer than `MAX_PASSWORD_CHARS`,
                or has a lone surrogate (it has no UTF-8 encoding).
        """
        password = _password(password)
        if len(password) > MAX_PASSWORD_CHARS:
            reason = f"must be at most {MAX_PASSWORD_CHARS} characters long"
            raise InvalidValue(field="password", reason=reason)
        try:
            encoded = password.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidValue(field="password", reason="is not valid Unicode text") from None
        return self._hasher.hash(encoded)

    def verify(self, hashed: str, password: str, /) -> bool:
        """Return whether *password* matches *hashed*; ``False`` for anything malformed.

        Raises:
            InvalidValue: If *hashed* or *password* is not text.
        """
        if not isinstance(hashed, str):
            raise InvalidValue(field="hashed", reason=f"expected text, not {kind_of(hashed)}")
        password = _password(password)
        if len(password) > MAX_PASSWORD_CHARS or len(hashed) > 1024:
            return False
        try:
            return self._hasher.verify(hashed, password.encode("utf-8"))
        except (VerifyMismatchError, VerificationError, InvalidHashError, UnicodeEncodeError):
            return False
        except argon2.exceptions.Argon2Error:
            return False

    def needs_rehash(self, hashed: str, /) -> bool:
        """Return whether *hashed* was made with other parameters than this hasher's.

        Raises:
            InvalidValue: If *hashed* is not text.
        """
        if not isinstance(hashed, str):
            raise InvalidValue(field="hashed", reason=f"expected text, not {kind_of(hashed)}")
        try:
            return self._hasher.check_needs_rehash(hashed)
        except (InvalidHashError, ValueError):
            return True
