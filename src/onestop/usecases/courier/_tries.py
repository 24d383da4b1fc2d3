"""The tries of a citizen's one-time code for each handoff, counted where the desk says.

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
    """Tries of a citizen's code per handoff: `take` counts one before the code is
    compared and refuses a handoff out of tries, `passed` forgets them once a code went
    through, `clear` once a new code is issued.

    A try is counted *before* its code is compared, in one atomic count
    (`FailureCounter.count_failure` returns each concurrent caller its own number), so
    however many requests race on one handoff, no more than *limit* codes are ever
    compared: counting a wrong code only after comparing it let each of *n* racing
    requests pass the check first, *n* - 1 more tries than the limit.

    Args:
        limit: Tries per handoff that do not go through (a wrong code, or a try refused
            after its code was taken for any other reason).
        counter: Where to count them; this process's memory when ``None``.

    Raises:
        InvalidValue: If *counter* is not a `FailureCounter`.
    """

    def __init__(self, limit: int, counter: object = None) -> None:
        """Accept *limit* tries per handoff, counted in *counter* (or memory)."""
        if counter is not None and not isinstance(counter, FailureCounter):
            raise InvalidValue(
                field="failures", reason="must count failures (a store's count_failure)"
            )
        self._limit = limit
        self._counter: FailureCounter | None = counter
        self._tries: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, application_id: str, handoff_id: str, *, now: datetime) -> None:
        """Count one try of a code for the handoff, before the code is compared.

        Raises:
            TooManyWrongCodes: If the handoff had its *limit* of tries: this one is
                not to be compared.
        """
        key = _key(application_id, handoff_id)
        if self._counter is not None:
            taken = self._counter.count_failure(key, at=now, window=_WINDOW)
        else:
            with self._lock:
                taken = self._tries[key] = self._tries.get(key, 0) + 1
        if taken > self._limit:
            raise TooManyWrongCodes(handoff_id=handoff_id)

    def passed(self, application_id: str, handoff_id: str) -> None:
        """Forget the handoff's tries: a code taken for it went through."""
        self.clear(application_id, handoff_id)

    def clear(self, application_id: str, handoff_id: str) -> None:
        """Forget the handoff's tries (a new code was issued)."""
        key = _key(application_id, handoff_id)
        if self._counter is not None:
            self._counter.clear_failures(key)
            return
        with self._lock:
            self._tries.pop(key, None)
