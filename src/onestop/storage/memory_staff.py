"""`MemoryStore`'s staff half: secrets, sign-in failures and the access record, in dicts.

The executable specification of `onestop.ports.staff.StaffStore`; `MemoryStore` mixes
`MemoryStaff` in and shares its one lock, so each call is atomic and isolated like
every other call of the store.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import attrs

from onestop.domain.common.formats import ACTOR_ID, ROLE
from onestop.exceptions import InvalidStoreInput
from onestop.ports.staff import (
    AccessEntry,
    AccessRecord,
    StaffSecret,
    check_access_query,
    check_failure,
    check_secret_key,
    renewal_refused,
)

__all__ = ["MemoryStaff"]


def _checked_secret(secret: object) -> StaffSecret:
    if type(secret) is not StaffSecret:
        raise InvalidStoreInput(field="secret", reason="expected a StaffSecret")
    return secret


def _checked_account(account_id: object, field: str = "account_id") -> str:
    reason = ACTOR_ID.problem(account_id)
    if reason is not None:
        raise InvalidStoreInput(field=field, reason=reason)
    return account_id  # type: ignore[return-value]  # problem() proved it is an actor id


def _checked_kind(kind: object) -> str:
    reason = ROLE.problem(kind)
    if reason is not None:
        raise InvalidStoreInput(field="kind", reason=reason)
    return kind  # type: ignore[return-value]  # problem() proved it is a role-like name


def _checked_records(records: object) -> tuple[AccessRecord, ...]:
    if isinstance(records, str | bytes) or not isinstance(records, Sequence):
        raise InvalidStoreInput(field="records", reason="expected a list of AccessRecord values")
    for index, record in enumerate(records):
        if type(record) is not AccessRecord:
            raise InvalidStoreInput(field=f"records[{index}]", reason="expected an AccessRecord")
    return tuple(records)


class MemoryStaff:
    """The `onestop.ports.staff.StaffStore` methods of `MemoryStore`, over its lock."""

    _lock: threading.Lock
    _check_open: Callable[[], None]  # MemoryStore's own: refuses a closed store

    def _init_staff(self) -> None:
        self._secrets: dict[str, StaffSecret] = {}
        self._failures: dict[str, list[datetime]] = {}
        self._access: list[AccessEntry] = []

    def put_secret(self, secret: StaffSecret, /) -> None:
        """Keep *secret* under its key; see `onestop.ports.staff.StaffStore.put_secret`."""
        secret = _checked_secret(secret)
        with self._lock:
            self._check_open()
            self._secrets[secret.key] = secret

    def renew_secret(self, key: str, /, *, expires_at: datetime) -> bool:
        """Move a kept secret's expiry; see `onestop.ports.staff.StaffStore.renew_secret`."""
        key, expires_at, _ = check_failure(key, expires_at, timedelta(seconds=1))
        with self._lock:
            self._check_open()
            found = self._secrets.get(key)
            if found is None:
                return False
            if expires_at <= found.created_at:
                raise renewal_refused()
            self._secrets[key] = attrs.evolve(found, expires_at=expires_at)
            return True

    def secret(self, key: str, /, *, at: datetime) -> StaffSecret | None:
        """Return the live secret under *key*; see `onestop.ports.staff.StaffStore.secret`."""
        key, at, _ = check_failure(key, at, timedelta(seconds=1))
        with self._lock:
            self._check_open()
            found = self._secrets.get(key)
        return found if found is not None and found.live(at) else None

    def secrets_of(self, account_id: str, /, *, kind: str | None = None) -> tuple[StaffSecret, ...]:
        """Return the account's secrets; see `onestop.ports.staff.StaffStore.secrets_of`."""
        account_id = _checked_account(account_id)
        if kind is not None:
            kind = _checked_kind(kind)
        with self._lock:
            self._check_open()
            found = [
                s
                for s in self._secrets.values()
                if s.account_id == account_id and (kind is None or s.kind == kind)
            ]
        return tuple(sorted(found, key=lambda s: s.key))

    def delete_secrets(
        self, *, key: str | None = None, account_id: str | None = None, kind: str | None = None
    ) -> int:
        """Delete the matching secrets; see `onestop.ports.staff.StaffStore.delete_secrets`."""
        if key is None and account_id is None and kind is None:
            raise InvalidStoreInput(
                field="key", reason="give at least one of key, account_id, kind"
            )
        if key is not None:
            key = check_secret_key(key)
        if account_id is not None:
            account_id = _checked_account(account_id)
        if kind is not None:
            kind = _checked_kind(kind)
        with self._lock:
            self._check_open()
            doomed = [
                k
                for k, s in self._secrets.items()
                if (key is None or k == key)
                and (account_id is None or s.account_id == account_id)
                and (kind is None or s.kind == kind)
            ]
            for k in doomed:
                del self._secrets[k]
        return len(doomed)

    def count_failure(self, key: str, /, *, at: datetime, window: timedelta) -> int:
        """Record a failure; see `onestop.ports.staff.FailureCounter.count_failure`."""
        key, at, window = check_failure(key, at, window)
        with self._lock:
            self._check_open()
            kept = [t for t in self._failures.get(key, []) if t > at - window]
            kept.append(at)
            self._failures[key] = kept
            return len(kept)  # later-stamped ones too: another caller's clock read later

    def failures(self, key: str, /, *, at: datetime, window: timedelta) -> int:
        """Count recent failures; see `onestop.ports.staff.FailureCounter.failures`."""
        key, at, window = check_failure(key, at, window)
        with self._lock:
            self._check_open()
            return sum(1 for t in self._failures.get(key, ()) if at - window < t <= at)

    def clear_failures(self, key: str, /) -> None:
        """Forget the failures under *key*; see
        `onestop.ports.staff.FailureCounter.clear_failures`."""
        key = check_secret_key(key)
        with self._lock:
            self._check_open()
            self._failures.pop(key, None)

    def record_access(self, records: Sequence[AccessRecord], /) -> None:
        """Append to the access record; see `onestop.ports.staff.StaffStore.record_access`."""
        checked = _checked_records(records)
        with self._lock:
            self._check_open()
            start = len(self._access)
            self._access.extend(
                AccessEntry(position=start + offset, record=record)
                for offset, record in enumerate(checked, start=1)
            )

    def access_records(
        self,
        *,
        application_id: str | None = None,
        actor_id: str | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> tuple[AccessEntry, ...]:
        """Page through the access record; see `onestop.ports.staff.StaffStore.access_records`."""
        after, limit = check_access_query(after, limit)
        if application_id is not None:
            application_id = check_secret_key(application_id)
        if actor_id is not None:
            actor_id = _checked_account(actor_id, "actor_id")
        with self._lock:
            self._check_open()
            found = []
            for entry in self._access[after:]:
                record = entry.record
                if (application_id is None or record.application_id == application_id) and (
                    actor_id is None or record.actor_id == actor_id
                ):
                    found.append(entry)
                    if len(found) == limit:
                        break
        return tuple(found)

    def sweep_staff(self, *, at: datetime, window: timedelta) -> int:
        """Drop expired secrets and old failures; see `StaffStore.sweep_staff`."""
        _, at, window = check_failure("sweep", at, window)
        with self._lock:
            self._check_open()
            expired = [k for k, s in self._secrets.items() if not s.live(at)]
            for k in expired:
                del self._secrets[k]
            dropped = len(expired)
            for key in list(self._failures):
                kept = [t for t in self._failures[key] if t > at - window]
                dropped += len(self._failures[key]) - len(kept)
                if kept:
                    self._failures[key] = kept
                else:
                    del self._failures[key]
        return dropped
