"""The staff desk's core: its wiring, the fold of accounts kept per worker, and appends.

A desk keeps, per account, the account folded at the version it last read, and on
every call reads only the events after that version (`EventStore.read` with
``after``): one store query per identity resolution, whatever the number of grants,
and a grant or revoke made by another worker is seen on the very next call.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from onestop.domain.common.audit import GENESIS
from onestop.domain.common.formats import ACTOR_ID
from onestop.domain.common.kinds import check_type
from onestop.domain.staff import (
    DIRECTORY_STREAM,
    StaffAccount,
    StaffEvent,
    StaffIdentity,
    account_stream,
)
from onestop.exceptions import (
    AccountNotFound,
    ConcurrencyConflict,
    InvalidValue,
    NotAuthenticated,
)
from onestop.ports.events import Batch, BatchStore, Clock, EventStore, IdGenerator
from onestop.ports.keys import PersonalDataKeys
from onestop.ports.staff import PasswordHasher, StaffStore
from onestop.usecases import streams
from onestop.usecases.staff.codec import DIRECTORY, Folded, account_appends, fold_more
from onestop.usecases.staff.values import SignInPolicy

RETRIES = 5
"""How many times a command is decided again after another writer moved its stream."""

MAX_CACHED = 10_000
"""The most accounts a desk keeps folded; beyond it, the oldest are dropped."""


def digest(value: str, /) -> str:
    """The SHA-256 hex digest a bearer value (session, token) is kept under."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


class DeskCore:
    """What every part of the staff desk shares: ports, policy and the folded accounts."""

    def __init__(
        self,
        *,
        events: EventStore,
        staff: StaffStore,
        clock: Clock,
        ids: IdGenerator,
        hasher: PasswordHasher,
        seals: PersonalDataKeys | None = None,
        policy: SignInPolicy | None = None,
    ) -> None:
        """Wire the desk; see `onestop.usecases.staff.StaffDesk`."""
        self._events = check_type(events, EventStore, field="events")
        if not isinstance(events, BatchStore):
            raise InvalidValue(field="events", reason="must also be a BatchStore (commit_batch)")
        self._batches: BatchStore = events
        self._staff = check_type(staff, StaffStore, field="staff")
        self._clock = check_type(clock, Clock, field="clock")
        self._ids = check_type(ids, IdGenerator, field="ids")
        self._hasher = check_type(hasher, PasswordHasher, field="hasher")
        if seals is not None:
            check_type(seals, PersonalDataKeys, field="seals")
        self._seals = seals
        self._policy = (
            SignInPolicy() if policy is None else check_type(policy, SignInPolicy, field="policy")
        )
        self._lock = threading.Lock()
        self._hashing = threading.BoundedSemaphore(self._policy.max_parallel_hashes)
        self._folded: dict[str, Folded] = {}
        self._directory: tuple[int, str, tuple[str, ...]] = (0, GENESIS, ())
        self._dummy: str | None = None

    def __repr__(self) -> str:
        """Say how many accounts are kept folded; never an id or a secret."""
        return f"<StaffDesk folded={len(self._folded)}>"

    @property
    def policy(self) -> SignInPolicy:
        """The sign-in policy."""
        return self._policy

    def _now(self) -> datetime:
        return self._clock.now()

    # --- reading ------------------------------------------------------------------------

    def _fresh(self, account_id: str, /) -> Folded:
        """The account folded up to its stream's last event: one read, of the new events."""
        stream = account_stream(account_id)
        with self._lock:
            cached = self._folded.get(account_id)
        after = 0 if cached is None else cached.account.version
        records = self._events.read(stream, after=after)
        folded = fold_more(cached, records)
        if folded is None:
            raise AccountNotFound(account_id)
        if records:
            self._keep(folded)
        return folded

    def _keep(self, folded: Folded) -> None:
        account_id = folded.account.account_id
        with self._lock:
            known = self._folded.get(account_id)
            if known is not None and known.account.version >= folded.account.version:
                return
            if known is None and len(self._folded) >= MAX_CACHED:
                del self._folded[next(iter(self._folded))]
            self._folded[account_id] = folded

    def _directory_now(self) -> tuple[int, str, tuple[str, ...]]:
        with self._lock:
            version, head, ids = self._directory
        records = self._events.read(DIRECTORY_STREAM, after=version)
        if not records:
            return version, head, ids
        more = DIRECTORY.fold(
            DIRECTORY_STREAM, streams.events_of(DIRECTORY, DIRECTORY_STREAM, records)
        )
        fresh = (records[-1].version, records[-1].hash, ids + more)
        with self._lock:
            if self._directory[0] < fresh[0]:
                self._directory = fresh
        return fresh

    def _identity_of(
        self,
        account_id: str,
        *,
        method: str,
        session_id: str | None = None,
        begun_at: datetime | None = None,
    ) -> StaffIdentity:
        """The identity of an active account, fresh; `NotAuthenticated` if unknown or
        disabled, or if a session *begun_at* then began before its sessions ended (a
        credentials change the session's own store entry may have outlived)."""
        if not ACTOR_ID.matches(account_id):
            raise NotAuthenticated
        try:
            folded = self._fresh(account_id)
        except AccountNotFound:
            raise NotAuthenticated from None
        account = folded.account
        if not account.active:
            raise NotAuthenticated
        ended = account.sessions_ended_at
        if begun_at is not None and ended is not None and begun_at < ended:
            raise NotAuthenticated
        return StaffIdentity(
            account_id=account_id,
            actor=account.actor(self._now()),
            method=method,
            session_id=session_id,
            account_version=account.version,
        )

    # --- writing ------------------------------------------------------------------------

    def _write(
        self,
        account_id: str,
        decide: Callable[[StaffAccount, datetime], Sequence[StaffEvent]],
    ) -> StaffAccount:
        """Decide events on the fresh account and append them; decide again if it moved."""
        conflict: ConcurrencyConflict | None = None
        for _ in range(RETRIES):
            folded = self._fresh(account_id)
            now = self._now()
            events = decide(folded.account, now)
            if not events:
                return folded.account
            appends = account_appends(folded, events, at=now)
            try:
                stored = self._batches.commit_batch(Batch(appends=appends, recorded_at=now))
            except ConcurrencyConflict as exc:
                conflict = exc
                continue
            after = fold_more(folded, stored)
            if after is None:  # pragma: no cover - events were appended
                raise AccountNotFound(account_id)
            self._keep(after)
            return after.account
        assert conflict is not None  # noqa: S101 - the loop ran and each try conflicted
        raise conflict
