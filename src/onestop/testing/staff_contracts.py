"""The contract every `onestop.ports.staff.StaffStore` keeps, as a pytest class to subclass.

Each test turns one promise of the port (or one behaviour of the memory store, the
executable specification) into a check.  Subclass `StaffStoreContract` in your
adapter's tests and override its ``store`` fixture so that it yields a new, empty
store; override ``twin`` too, so that it opens a second store on the same database
(another connection), and the race tests make two connections race::

    class TestMyStaff(StaffStoreContract):
        @pytest.fixture
        def store(self, tmp_path):
            with MyStore.open(tmp_path / "store.db") as store:
                yield store

This module needs pytest.
"""

# ruff: noqa: S101 - a test suite asserts

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from onestop.exceptions import InvalidStoreInput
from onestop.ports.staff import AccessEntry, AccessRecord, StaffSecret, StaffStore

__all__ = ["S0", "StaffStoreContract", "make_access", "make_secret"]

S0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
"""The instant the contract's secrets are made at."""

WINDOW = timedelta(minutes=15)
"""The window the contract counts failures in."""

_RACERS = 8


def make_secret(
    key: str = "password:ana",
    *,
    account_id: str = "ana",
    kind: str = "password",
    data: bytes = b"$argon2id$fake",
    at: datetime = S0,
    expires_at: datetime | None = None,
) -> StaffSecret:
    """Return a `StaffSecret` made at *at* (by default a password hash of account ``ana``)."""
    return StaffSecret(
        key=key, account_id=account_id, kind=kind, data=data, created_at=at, expires_at=expires_at
    )


def make_access(
    application_id: str = "app-1",
    *,
    actor_id: str = "ana",
    what: str = "applicant",
    route: str = "GET /api/v1/applications/{id}",
    at: datetime = S0,
    request_id: str = "",
) -> AccessRecord:
    """Return an `AccessRecord` of *actor_id* reading *application_id*'s personal data."""
    return AccessRecord(
        actor_id=actor_id,
        application_id=application_id,
        what=what,
        route=route,
        at=at,
        request_id=request_id,
    )


_HOSTILE: dict[str, Callable[[Any], object]] = {
    "a secret that is text": lambda s: s.put_secret("password:ana"),
    "a key that is bytes": lambda s: s.secret(b"k", at=S0),
    "an empty key": lambda s: s.secret("", at=S0),
    "a huge key": lambda s: s.secret("k" * 100_000, at=S0),
    "a naive instant": lambda s: s.secret("k", at=datetime(2026, 1, 1)),  # noqa: DTZ001
    "an instant that is text": lambda s: s.failures("k", at="2026-01-01", window=WINDOW),
    "a window of zero": lambda s: s.count_failure("k", at=S0, window=timedelta(0)),
    "a negative window": lambda s: s.failures("k", at=S0, window=-WINDOW),
    "a window of seconds as a number": lambda s: s.failures("k", at=S0, window=900),
    "a huge window": lambda s: s.failures("k", at=S0, window=timedelta(days=10_000)),
    "deleting with no filter": lambda s: s.delete_secrets(),
    "renewing with a naive expiry": lambda s: s.renew_secret(
        "k",
        expires_at=datetime(2026, 1, 1),  # noqa: DTZ001
    ),
    "renewing a key that is bytes": lambda s: s.renew_secret(b"k", expires_at=S0),
    "an account that is not an id": lambda s: s.secrets_of("Ana Smith"),
    "a kind that is not a name": lambda s: s.secrets_of("ana", kind="Pass Word"),
    "records that are one record": lambda s: s.record_access(make_access()),
    "a record that is text": lambda s: s.record_access(["ana read app-1"]),
    "a negative after": lambda s: s.access_records(after=-1),
    "a limit of 0": lambda s: s.access_records(limit=0),
    "a huge limit": lambda s: s.access_records(limit=2**70),
    "a limit that is a boolean": lambda s: s.access_records(limit=True),
    "a sweep with a naive instant": lambda s: s.sweep_staff(
        at=datetime(2026, 1, 1),  # noqa: DTZ001
        window=WINDOW,
    ),
}


class StaffStoreContract:
    """Behaviour every `onestop.ports.staff.StaffStore` must have.

    Subclass it (as ``TestMyStaff``) and override `store` and `twin`; see the module
    docstring.
    """

    @pytest.fixture
    def store(self) -> Iterator[StaffStore]:
        """Yield a new, empty store, and close it afterwards; adapters override this."""
        raise NotImplementedError("override the store fixture")  # pragma: no cover

    @pytest.fixture
    def twin(self, store: StaffStore) -> StaffStore:
        """Another store on the same database (the same object unless overridden)."""
        return store

    def test_satisfies_the_port(self, store: StaffStore) -> None:
        """The store has every method of the StaffStore protocol."""
        assert isinstance(store, StaffStore)

    # --- secrets --------------------------------------------------------------------

    def test_a_secret_comes_back_as_given(self, store: StaffStore) -> None:
        """A secret put under its key is read back equal, data and instants included."""
        jakarta = datetime(2026, 1, 5, 16, 0, 0, 123456, tzinfo=timezone(timedelta(hours=7)))
        secret = make_secret(
            data=bytes(range(256)), at=jakarta, expires_at=jakarta + timedelta(hours=1)
        )
        store.put_secret(secret)
        assert store.secret("password:ana", at=jakarta) == secret

    def test_an_unknown_key_is_none(self, store: StaffStore) -> None:
        """Reading a key never put gives ``None``, quotes and the longest key included."""
        store.put_secret(make_secret())
        for key in ("password:bob", "x" * 256, "'; DROP TABLE x; --"):
            assert store.secret(key, at=S0) is None

    def test_putting_again_replaces(self, store: StaffStore) -> None:
        """A second secret under the same key replaces the first."""
        store.put_secret(make_secret(data=b"first"))
        store.put_secret(make_secret(data=b"second"))
        found = store.secret("password:ana", at=S0)
        assert found is not None
        assert found.data == b"second"
        assert len(store.secrets_of("ana")) == 1

    def test_an_expired_secret_is_not_returned(self, store: StaffStore) -> None:
        """A secret is returned before its expiry only; `secrets_of` still lists it."""
        end = S0 + timedelta(minutes=30)
        store.put_secret(make_secret("session-digest", kind="session", expires_at=end))
        assert store.secret("session-digest", at=end - timedelta(microseconds=1)) is not None
        assert store.secret("session-digest", at=end) is None
        assert [s.key for s in store.secrets_of("ana")] == ["session-digest"]

    def test_renewing_moves_a_kept_secrets_expiry_only(self, store: StaffStore) -> None:
        """`renew_secret` moves the expiry of the secret under the key and says so; the rest
        of the secret is kept as it was."""
        end = S0 + timedelta(minutes=30)
        secret = make_secret("session-digest", kind="session", data=b"s", expires_at=end)
        store.put_secret(secret)
        later = end + timedelta(minutes=30)
        assert store.renew_secret("session-digest", expires_at=later) is True
        assert store.secret("session-digest", at=end) == attrs.evolve(secret, expires_at=later)

    def test_renewing_to_before_its_creation_is_refused(self, store: StaffStore) -> None:
        """An expiry not after the secret's ``created_at`` is refused with
        `InvalidStoreInput` naming ``expires_at``, and the secret is kept as it was."""
        secret = make_secret("session-digest", kind="session", expires_at=S0 + WINDOW)
        store.put_secret(secret)
        for moment in (S0, S0 - timedelta(days=1)):
            with pytest.raises(InvalidStoreInput) as refused:
                store.renew_secret("session-digest", expires_at=moment)
            assert refused.value.field == "expires_at"
        assert store.secret("session-digest", at=S0) == secret

    def test_renewing_a_deleted_secret_does_not_write_it_back(
        self, store: StaffStore, twin: StaffStore
    ) -> None:
        """A secret deleted (through either store on the database) is not brought back by a
        renewal: `renew_secret` answers ``False`` and nothing is kept under the key."""
        end = S0 + timedelta(minutes=30)
        store.put_secret(make_secret("session-digest", kind="session", expires_at=end))
        twin.delete_secrets(key="session-digest")
        assert store.renew_secret("session-digest", expires_at=end + timedelta(hours=1)) is False
        assert store.secret("session-digest", at=S0) is None
        assert store.secrets_of("ana") == ()

    def test_secrets_of_filters_by_account_and_kind(self, store: StaffStore) -> None:
        """`secrets_of` lists one account's secrets, of one kind if asked, by key."""
        store.put_secret(make_secret("t2", kind="token"))
        store.put_secret(make_secret("t1", kind="token"))
        store.put_secret(make_secret("password:ana"))
        store.put_secret(make_secret("password:bob", account_id="bob"))
        assert [s.key for s in store.secrets_of("ana")] == ["password:ana", "t1", "t2"]
        assert [s.key for s in store.secrets_of("ana", kind="token")] == ["t1", "t2"]
        assert store.secrets_of("carol") == ()

    def test_delete_by_every_filter(self, store: StaffStore) -> None:
        """Deleting matches every filter given, and counts what it deleted."""
        store.put_secret(make_secret("s1", kind="session"))
        store.put_secret(make_secret("s2", kind="session"))
        store.put_secret(make_secret("s3", account_id="bob", kind="session"))
        store.put_secret(make_secret("password:ana"))
        assert store.delete_secrets(account_id="ana", kind="session") == 2
        assert store.delete_secrets(key="s3", account_id="ana") == 0
        assert store.delete_secrets(key="s3") == 1
        assert store.delete_secrets(kind="session") == 0
        assert [s.key for s in store.secrets_of("ana")] == ["password:ana"]

    # --- failures -------------------------------------------------------------------

    def test_failures_are_counted_in_the_window(self, store: StaffStore) -> None:
        """`count_failure` returns the failures after ``at - window``, this one included."""
        counts = [
            store.count_failure("acct:ana", at=S0 + timedelta(minutes=m), window=WINDOW)
            for m in (0, 5, 10, 15, 16)
        ]
        assert counts == [1, 2, 3, 3, 4]
        assert store.failures("acct:ana", at=S0 + timedelta(minutes=16), window=WINDOW) == 4
        assert store.failures("acct:ana", at=S0 + timedelta(hours=1), window=WINDOW) == 0
        assert store.failures("acct:bob", at=S0, window=WINDOW) == 0

    def test_a_count_includes_failures_stamped_later(self, store: StaffStore) -> None:
        """A failure counted after another whose clock read later (two callers racing)
        gets the next count, not the same one: the lock's limit is not overshot."""
        first = store.count_failure("acct:ana", at=S0 + timedelta(seconds=1), window=WINDOW)
        second = store.count_failure("acct:ana", at=S0, window=WINDOW)
        assert (first, second) == (1, 2)

    def test_clearing_forgets_one_key(self, store: StaffStore) -> None:
        """`clear_failures` forgets one key's failures and no other's."""
        store.count_failure("a", at=S0, window=WINDOW)
        store.count_failure("b", at=S0, window=WINDOW)
        store.clear_failures("a")
        store.clear_failures("never-failed")
        assert store.failures("a", at=S0, window=WINDOW) == 0
        assert store.failures("b", at=S0, window=WINDOW) == 1

    def test_racing_failures_each_get_their_own_count(
        self, store: StaffStore, twin: StaffStore
    ) -> None:
        """Concurrent failures on one key, over two connections, return distinct counts."""
        stores = [store, twin] * (_RACERS // 2)
        with ThreadPoolExecutor(max_workers=_RACERS) as pool:
            counts = list(
                pool.map(
                    lambda s: s.count_failure("acct:ana", at=S0, window=WINDOW),
                    stores,
                )
            )
        assert sorted(counts) == list(range(1, _RACERS + 1))
        assert twin.failures("acct:ana", at=S0, window=WINDOW) == _RACERS

    def test_a_twin_sees_secrets_and_failures(self, store: StaffStore, twin: StaffStore) -> None:
        """What one connection writes, another reads at once: secrets and failures."""
        store.put_secret(make_secret())
        store.count_failure("acct:ana", at=S0, window=WINDOW)
        assert twin.secret("password:ana", at=S0) == make_secret()
        assert twin.failures("acct:ana", at=S0, window=WINDOW) == 1
        twin.delete_secrets(key="password:ana")
        assert store.secret("password:ana", at=S0) is None

    # --- the access record ------------------------------------------------------------

    def test_access_records_come_back_in_order(self, store: StaffStore) -> None:
        """Records appended come back in order, at increasing positions, equal to those given."""
        records = [make_access(f"app-{n}", request_id=f"r{n}") for n in range(3)]
        store.record_access(records[:2])
        store.record_access(records[2:])
        entries = store.access_records()
        assert [e.record for e in entries] == records
        positions = [e.position for e in entries]
        assert positions == sorted(positions)
        assert len(set(positions)) == 3
        assert all(isinstance(e, AccessEntry) for e in entries)

    def test_access_records_filter_and_page(self, store: StaffStore) -> None:
        """Filters by application and actor, paging by position and limit."""
        store.record_access(
            [
                make_access("app-1", actor_id="ana"),
                make_access("app-2", actor_id="ana"),
                make_access("app-1", actor_id="bob"),
            ]
        )
        assert [e.record.actor_id for e in store.access_records(application_id="app-1")] == [
            "ana",
            "bob",
        ]
        assert [e.record.application_id for e in store.access_records(actor_id="ana")] == [
            "app-1",
            "app-2",
        ]
        first = store.access_records(limit=1)
        assert len(first) == 1
        rest = store.access_records(after=first[0].position)
        assert [e.record.actor_id for e in rest] == ["ana", "bob"]

    def test_an_empty_append_records_nothing(self, store: StaffStore) -> None:
        """Appending no record leaves the access record empty."""
        store.record_access([])
        assert store.access_records() == ()

    # --- sweeping ----------------------------------------------------------------------

    def test_sweeping_drops_expired_secrets_and_old_failures(self, store: StaffStore) -> None:
        """A sweep deletes expired secrets and failures before the window; keeps the rest.

        The count includes at least the expired secret (old failures may have been
        dropped already, as `FailureCounter.count_failure` allows).
        """
        store.put_secret(make_secret("old", kind="session", expires_at=S0 + timedelta(minutes=1)))
        store.put_secret(make_secret("password:ana"))
        store.count_failure("k", at=S0, window=WINDOW)
        later = S0 + timedelta(hours=1)
        store.count_failure("k", at=later, window=WINDOW)
        assert store.sweep_staff(at=later, window=WINDOW) >= 1
        assert [s.key for s in store.secrets_of("ana")] == ["password:ana"]
        assert store.failures("k", at=later, window=WINDOW) == 1

    # --- hostile input -------------------------------------------------------------------

    @pytest.mark.parametrize("call", list(_HOSTILE.values()), ids=list(_HOSTILE))
    def test_hostile_input_is_refused_with_a_typed_error(
        self, store: StaffStore, call: Callable[[Any], object]
    ) -> None:
        """Malformed input is refused with `InvalidStoreInput`, before any write."""
        with pytest.raises(InvalidStoreInput):
            call(store)
        assert store.secrets_of("ana") == ()
        assert store.access_records() == ()
