"""The input checks of the SQL staff stores, beside those of `onestop.ports.staff` (private).

Each refuses what `onestop.storage.memory.MemoryStore` refuses, with
`onestop.exceptions.InvalidStoreInput` naming the argument, before any I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from onestop.domain.common.formats import ACTOR_ID, ROLE, TextFormat, kind_of, text_problem
from onestop.domain.common.kinds import check_instant
from onestop.exceptions import InvalidStoreInput, InvalidValue, NaiveDatetime
from onestop.ports.staff import (
    MAX_STAFF_TEXT,
    AccessRecord,
    StaffSecret,
    check_access_query,
    check_failure,
    check_secret_key,
)


def _format(value: object, form: TextFormat, field: str) -> str:
    reason = form.problem(value)
    if reason is not None:
        raise InvalidStoreInput(field=field, reason=reason)
    return value  # type: ignore[return-value]  # problem() proved it is text


def _text(value: object, field: str) -> str:
    reason = text_problem(value, max_length=MAX_STAFF_TEXT)
    if reason is not None:
        raise InvalidStoreInput(field=field, reason=reason)
    return value  # type: ignore[return-value]  # text_problem() proved it is text


def instant_at(value: object, field: str = "at") -> datetime:
    """Return *value* if it is an instant a store keeps."""
    try:
        return check_instant(value, field=field)
    except (InvalidValue, NaiveDatetime) as exc:
        raise InvalidStoreInput(field=field, reason=str(exc)) from None


def secret(value: object) -> StaffSecret:
    """Return *value* if it is a `StaffSecret` (its own validators checked its fields)."""
    if type(value) is not StaffSecret:
        reason = f"expected a StaffSecret, not {kind_of(value)}"
        raise InvalidStoreInput(field="secret", reason=reason)
    return value


def lookup(key: object, at: object) -> tuple[str, datetime]:
    """Check the arguments of `StaffStore.secret`."""
    return check_secret_key(key), instant_at(at)


def account_filter(account_id: object, kind: object) -> tuple[str, str | None]:
    """Check the arguments of `StaffStore.secrets_of`."""
    checked = _format(account_id, ACTOR_ID, "account_id")
    return checked, None if kind is None else _format(kind, ROLE, "kind")


def deletion(key: object, account_id: object, kind: object) -> tuple[str | None, ...]:
    """Check the filters of `StaffStore.delete_secrets`: at least one, each well formed."""
    if key is None and account_id is None and kind is None:
        raise InvalidStoreInput(field="key", reason="give at least one of key, account_id, kind")
    return (
        None if key is None else check_secret_key(key),
        None if account_id is None else _format(account_id, ACTOR_ID, "account_id"),
        None if kind is None else _format(kind, ROLE, "kind"),
    )


def records(value: object) -> tuple[AccessRecord, ...]:
    """Check the argument of `StaffStore.record_access`: a sequence of `AccessRecord`."""
    if not isinstance(value, Sequence) or isinstance(value, (str, bytes, bytearray)):
        reason = f"expected a sequence, not {kind_of(value)}"
        raise InvalidStoreInput(field="records", reason=reason)
    for index, record in enumerate(value):
        if type(record) is not AccessRecord:
            reason = f"expected an AccessRecord, not {kind_of(record)}"
            raise InvalidStoreInput(field=f"records[{index}]", reason=reason)
    return tuple(value)


def access_query(
    application_id: object, actor_id: object, after: object, limit: object
) -> tuple[str | None, str | None, int, int]:
    """Check the arguments of `StaffStore.access_records`."""
    application = None if application_id is None else _text(application_id, "application_id")
    actor = None if actor_id is None else _format(actor_id, ACTOR_ID, "actor_id")
    start, size = check_access_query(after, limit)
    return application, actor, start, size


def sweep(at: object, window: object) -> tuple[datetime, timedelta]:
    """Check the arguments of `StaffStore.sweep_staff` (as `check_failure` does)."""
    _, instant, span = check_failure("sweep", at, window)
    return instant, span
