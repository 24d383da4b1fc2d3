"""What the staff tests share: a clock to move, a weak (fast) hasher, desks over one store."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from onestop.domain.common.actors import Actor
from onestop.privacy.passwords import Argon2Hasher
from onestop.storage.memory import MemoryStore
from onestop.usecases.staff import SignInPolicy, StaffDesk

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ROOT = Actor(id="root", roles={"staff_admin"})
PASSWORD = "correct horse battery staple"  # noqa: S105 - a test password


class Clock:
    """A clock that stands still until moved."""

    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def move(self, **delta: float) -> None:
        self.at += timedelta(**delta)


class Ids:
    """Counting ids and random-looking secrets, distinct each call."""

    def __init__(self) -> None:
        self._count = itertools.count(1)

    def new_id(self) -> str:
        return f"id-{next(self._count)}"

    def secret(self) -> str:
        return f"S3cret{next(self._count):026d}"


class CountingHasher:
    """A weak Argon2 hasher that counts its calls (the Argon2 work done)."""

    def __init__(self) -> None:
        self._inner = Argon2Hasher(memory_cost=8, time_cost=1, parallelism=1)
        self.calls: list[str] = []

    def hash(self, password: str, /) -> str:
        self.calls.append("hash")
        return self._inner.hash(password)

    def verify(self, hashed: str, password: str, /) -> bool:
        self.calls.append("verify")
        return self._inner.verify(hashed, password)

    def needs_rehash(self, hashed: str, /) -> bool:
        return self._inner.needs_rehash(hashed)


class Counting:
    """Wraps a store and counts the calls made to it, by method name."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if not callable(value):
            return value

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return value(*args, **kwargs)

        return counted


def desk(
    store: Any, clock: Clock, *, hasher: Any = None, policy: SignInPolicy | None = None, **kw: Any
) -> StaffDesk:
    """A desk over *store* (events and staff alike)."""
    return StaffDesk(
        events=store,
        staff=store,
        clock=clock,
        ids=Ids(),
        hasher=hasher or CountingHasher(),
        policy=policy,
        **kw,
    )


def officer(
    staff: StaffDesk, account_id: str, *grants: tuple[str, str | None], password: str = PASSWORD
) -> None:
    """Add *account_id* with a password and *grants* (role, agency)."""
    staff.add(account_id, by=ROOT)
    for role, agency in grants:
        staff.grant(account_id, role, agency=agency, by=ROOT)
    staff.set_password(account_id, password, by=ROOT)


def store_text(store: MemoryStore) -> bytes:
    """Every byte a memory store holds: events, notices, secrets (data and keys), failures."""
    parts: list[bytes] = []
    for records in store._streams.values():
        parts.extend(r.body for r in records)
    parts.extend(n.body for n in store._log)
    for key, secret in store._secrets.items():
        parts.extend((key.encode(), secret.key.encode(), secret.data))
    parts.extend(k.encode() for k in store._failures)
    return b"\n".join(parts)


Call = Callable[[], object]
