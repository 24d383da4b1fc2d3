"""What every `onestop.ports.keys.SubjectKeyStore` accepts: the checks before any I/O (private).

The memory, SQLite and PostgreSQL stores call these first, so that they accept and
refuse the same input with the same `onestop.exceptions.InvalidStoreInput`, naming
the argument at fault and never quoting a subject, a blind index value or key bytes:

* a subject, a blind index value and a master key id are text a store keeps in a
  column (`onestop.ports.checks.MAX_STORED_TEXT` characters at most, no control
  character, no lone surrogate);
* a collection of subjects is a list, tuple, set or frozenset of such text (a `str`
  is refused: it is a collection of characters, and a mistake);
* keys are `SubjectKey` values, each subject once per call, live (wrapped, not
  destroyed), with `bytes` of at most `MAX_WRAPPED_BYTES` and timezone-aware instants;
* a page size is an integer from 1 to `onestop.ports.events.MAX_PAGE`.

Reading is asking: a subject or blind value no store could hold finds nothing
(`readable`), as the event store's look-ups do.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NoReturn

from onestop.domain.common.formats import int_problem, kind_of, text_problem
from onestop.exceptions import InvalidStoreInput
from onestop.ports.checks import MAX_STORED_TEXT
from onestop.ports.events import MAX_PAGE, storable_text
from onestop.ports.keys import SubjectKey, WrappedKey

__all__ = [
    "MAX_WRAPPED_BYTES",
    "check_instant",
    "check_keys",
    "check_limit",
    "check_subjects",
    "check_text",
    "readable",
]

MAX_WRAPPED_BYTES = 1024
"""The longest wrapped data key a store keeps, in bytes (an AES-GCM wrap takes about 60)."""


def _fail(field: str, reason: str) -> NoReturn:
    raise InvalidStoreInput(field=field, reason=reason)


def check_text(field: str, value: object) -> str:
    """Return *value* if it is text every store keeps in a column."""
    reason = text_problem(value, max_length=MAX_STORED_TEXT)
    if reason is not None:
        _fail(field, reason)
    return value  # type: ignore[return-value]  # text_problem() proved it is a str


def check_instant(field: str, value: object) -> datetime:
    """Return *value* if it is a timezone-aware instant within the years 1 to 9999 in UTC."""
    if not isinstance(value, datetime):
        _fail(field, f"expected a timezone-aware datetime, not {kind_of(value)}")
    if value.utcoffset() is None:
        _fail(field, "must be timezone-aware")
    try:
        value.astimezone(UTC)
    except OverflowError:
        _fail(field, "lies outside the years 1 to 9999 in UTC")
    return value


def _collection(field: str, values: object) -> tuple[object, ...]:
    if not isinstance(values, list | tuple | set | frozenset):
        _fail(field, f"expected a list, tuple or set, not {kind_of(values)}")
    return tuple(values)


def check_subjects(values: object, *, field: str = "subjects") -> tuple[str, ...]:
    """Return the distinct subjects of *values*, sorted, each checked with `check_text`."""
    subjects = _collection(field, values)
    return tuple(
        sorted({check_text(f"{field}[{index}]", value) for index, value in enumerate(subjects)})
    )


def readable(values: object, *, field: str = "subjects") -> tuple[str, ...]:
    """Return the distinct subjects of *values* a store could hold, sorted; refuse bad types."""
    subjects = _collection(field, values)
    for index, value in enumerate(subjects):
        if not isinstance(value, str):
            _fail(f"{field}[{index}]", f"expected text, not {kind_of(value)}")
    return tuple(sorted({value for value in subjects if storable_text(value)}))  # type: ignore[misc]


def check_keys(values: object, *, field: str = "keys") -> tuple[SubjectKey, ...]:
    """Return the live keys of *values*, sorted by subject; each subject at most once.

    Sorting makes every writer touch rows in one order, so writers never deadlock.
    """
    if not isinstance(values, Sequence) or isinstance(values, str | bytes):
        _fail(field, f"expected a sequence of SubjectKey, not {kind_of(values)}")
    seen: set[str] = set()
    for index, key in enumerate(values):
        at = f"{field}[{index}]"
        if not isinstance(key, SubjectKey):
            _fail(at, f"expected a SubjectKey, not {kind_of(key)}")
        subject = check_text(f"{at}.subject", key.subject)
        if subject in seen:
            _fail(f"{at}.subject", "names a subject given earlier in the same call")
        seen.add(subject)
        check_instant(f"{at}.created_at", key.created_at)
        if key.destroyed_at is not None or key.wrapped is None:
            _fail(at, "must be a live key (wrapped, not destroyed)")
        if not isinstance(key.wrapped, WrappedKey):
            _fail(f"{at}.wrapped", f"expected a WrappedKey, not {kind_of(key.wrapped)}")
        check_text(f"{at}.wrapped.master_key_id", key.wrapped.master_key_id)
        data = key.wrapped.data
        if type(data) is not bytes:
            _fail(f"{at}.wrapped.data", f"expected bytes, not {kind_of(data)}")
        if not 1 <= len(data) <= MAX_WRAPPED_BYTES:
            _fail(f"{at}.wrapped.data", f"must hold 1 to {MAX_WRAPPED_BYTES} bytes")
    return tuple(sorted(values, key=lambda key: key.subject))


def check_limit(limit: object) -> int:
    """Return *limit* if it is a page size from 1 to `MAX_PAGE`."""
    reason = int_problem(limit, minimum=1, maximum=MAX_PAGE)
    if reason is not None:
        _fail("limit", reason)
    return limit  # type: ignore[return-value]  # int_problem() proved it
