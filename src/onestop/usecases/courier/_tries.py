"""The wrong one-time codes typed for each citizen handoff, counted where the desk says.

`CodeTries` counts them in this process by default.  Given a
`onestop.ports.staff.FailureCounter` (the part of a staff store that counts failed
sign-ins: every onestop store is one), it counts them in the store instead, atomically
across every process that shares it, so that a server's several workers do not each
allow their own ``code_tries`` (`onestop.usecases.courier.custody.CustodyDesk`).
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime, timedelta

from onestop.domain.courier.otp import MAX_CODE_LIFETIME
from onestop.exceptions import InvalidValue, TooManyWrongCodes
from onestop.ports.staff import FailureCounter

__all__ = ["CodeTries"]

_WINDOW: timedelta = MAX_CODE_LIFETIME
"""How long a wrong code counts: as long as a code can live (a new code clears it)."""


def _key(application_id: str, handoff_id: str) -> str:
    # Digested: two ids of the longest a key allows would not fit a store's key.
    both = f"{application_id}\x00{handoff_id}".encode()
    return f"courier-code:{hashlib.sha256(both).hexdigest()}"


class CodeTries:
    """Wrong codes per handoff: `check` refuses a handoff that had *limit* of them,
    `wrong` counts one, `clear` forgets them (a new code was issued).

    Args:
        limit: Wrong codes accepted per handoff.
        counter: Where to count them; this process's memory when ``None``.

    Raises:
        InvalidValue: If *counter* is not a `FailureCounter`.
    """

    def __init__(self, limit: int, counter: object = None) -> None:
        """Accept *limit* wrong codes per handoff, counted in *counter* (or memory)."""
        if counter is not None and not isinstance(counter, FailureCounter):
            raise InvalidValue(
                field="failures", reason="must count failures (a store's count_failure)"
            )
        self._limit = limit
        self._counter: FailureCounter | None = counter
        self._wrong: dict[str, int] = {}
        self._lock = threading.Lock()

    def check(self, application_id: str, handoff_id: str, *, now: datetime) -> None:
        """Refuse the handoff if it had its limit of wrong codes.

        Raises:
            TooManyWrongCodes: If it had.
        """
        key = _key(application_id, handoff_id)
        if self._counter is not None:
            seen = self._counter.failures(key, at=now, window=_WINDOW)
        else:
            with self._lock:
                seen = self._wrong.get(key, 0)
        if seen >= self._limit:
            raise TooManyWrongCodes(handoff_id=handoff_id)

    def wrong(self, application_id: str, handoff_id: str, *, now: datetime) -> None:
        """Count one wrong code for the handoff."""
        key = _key(application_id, handoff_id)
        if self._counter is not None:
            self._counter.count_failure(key, at=now, window=_WINDOW)
            return
        with self._lock:
            self._wrong[key] = self._wrong.get(key, 0) + 1

    def clear(self, application_id: str, handoff_id: str) -> None:
        """Forget the handoff's wrong codes."""
        key = _key(application_id, handoff_id)
        if self._counter is not None:
            self._counter.clear_failures(key)
            return
        with self._lock:
            self._wrong.pop(key, None)
