"""The security review's findings on the staff desk, each pinned by a test."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pyotp
import pytest
from staff_support import PASSWORD, ROOT, T0, Clock, CountingHasher, desk, officer

from onestop.domain.common.actors import Actor, Grant
from onestop.domain.staff import AccountAdded, StaffIdentity
from onestop.exceptions import (
    AccountLocked,
    InvalidValue,
    NotAuthenticated,
    NotAuthorised,
    SignInRefused,
)
from onestop.ports.events import Summary
from onestop.ports.staff import StaffSecret
from onestop.storage.memory import MemoryStore
from onestop.usecases.staff import SignInPolicy, StaffDesk
from onestop.usecases.staff.authorisation import (
    may_manage,
    may_read,
    may_see_job_address,
    may_see_personal_data,
    worklist_agencies,
)

WRONG = "not the right password"


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.mark.parametrize(
    "reserved", ["citizen:online", "citizen:abc", "system", "cli", "agency:dpmptsp", "CLI"]
)
def test_reserved_actor_ids_are_no_account(store: MemoryStore, clock: Clock, reserved: str) -> None:
    """No account may take an id onestop acts under itself: refused naming account_id."""
    staff = desk(store, clock)
    with pytest.raises(InvalidValue) as refused:
        staff.add(reserved, by=ROOT)
    assert refused.value.field == "account_id"
    with pytest.raises(InvalidValue):
        AccountAdded(account_id=reserved, by="root", at=T0)
    assert staff.accounts() == ()


def _summary(agency: str) -> Summary:
    return Summary(
        stream_id=f"app-{agency}",
        number="N/1",
        service="izin-usaha",
        service_version=1,
        agency=agency,
        channel="online",
        state="submitted",
        assignee=None,
        received=T0,
        due=None,
        at_risk_from=None,
        suspended=False,
        closed=False,
        version=1,
        updated_at=T0,
    )


def _identity(*grants: tuple[str, str | None]) -> StaffIdentity:
    actor = Actor(id="eve", grants={Grant(role, agency=agency) for role, agency in grants})
    return StaffIdentity(account_id="eve", method="token", actor=actor)


def test_personal_data_alone_reads_nothing() -> None:
    """A personal_data grant neither lists nor reads an agency's applications by itself."""
    wide = _identity(("inspector", "dpmptsp"), ("personal_data", None))
    assert worklist_agencies(wide) == frozenset({"dpmptsp"})
    assert worklist_agencies(_identity(("personal_data", "disdik"))) == frozenset()
    other = _summary("disdik")
    assert not may_read(wide, other)


def test_a_courier_sees_only_the_address_of_its_own_job() -> None:
    """A courier sees no personal data of its agency, only the address of a job it claimed."""
    courier = _identity(("courier", "dpmptsp"))
    assert not may_see_personal_data(courier, "dpmptsp")
    assert may_see_job_address(courier, "dpmptsp", "eve")
    assert not may_see_job_address(courier, "dpmptsp", None)
    assert not may_see_job_address(courier, "dpmptsp", "someone-else")
    assert not may_see_job_address(courier, "disdik", "eve")


def test_an_agency_admin_cannot_take_over_an_account_with_no_role(
    store: MemoryStore, clock: Clock
) -> None:
    """A new account, with no role yet, is managed by a mall-wide admin only."""
    staff = desk(store, clock)
    staff.add("fresh", by=ROOT)
    boss = Actor(id="boss", grants={Grant("staff_admin", agency="dpmptsp")})
    with pytest.raises(NotAuthorised):
        staff.set_password("fresh", PASSWORD, by=boss)
    with pytest.raises(NotAuthorised):
        staff.issue_token("fresh", name="mine", by=boss)


def test_a_revoked_wide_role_still_keeps_agency_admins_out(
    store: MemoryStore, clock: Clock
) -> None:
    """An account that once held a mall-wide role stays out of an agency admin's reach."""
    staff = desk(store, clock)
    staff.add("ana", by=ROOT)
    staff.grant("ana", "verifier", agency="dpmptsp", by=ROOT)
    wide = staff.grant("ana", "staff_admin", by=ROOT)
    staff.revoke("ana", wide.assignment_id, by=ROOT)
    boss = Actor(id="boss", grants={Grant("staff_admin", agency="dpmptsp")})
    assert not may_manage(boss, staff.account("ana"))


def test_a_wider_grant_revokes_tokens_their_issuer_may_no_longer_manage(
    store: MemoryStore, clock: Clock
) -> None:
    """A token an agency admin issued stops working once the account is made mall-wide."""
    staff = desk(store, clock)
    officer(staff, "boss", ("staff_admin", "dpmptsp"))
    staff.add("ana", by=ROOT)
    staff.grant("ana", "verifier", agency="dpmptsp", by=ROOT)
    boss = staff.identity("boss").actor
    theirs = staff.issue_token("ana", name="boss-made", by=boss)
    ours = staff.issue_token("ana", name="root-made", by=ROOT)
    staff.grant("ana", "staff_admin", by=ROOT)
    with pytest.raises(NotAuthenticated):
        staff.bearer(theirs.token)
    assert staff.bearer(ours.token).actor.holds("staff_admin")
    assert [t.token_id for t in staff.tokens("ana")] == [ours.token_id]


class GatedHasher(CountingHasher):
    """Counts verifications; one for *held* waits until released, to stage a race."""

    def __init__(self, held: str | None = None) -> None:
        super().__init__()
        self.held = held
        self.entered = threading.Event()
        self.release = threading.Event()
        self.active = 0
        self.most = 0
        self._count = threading.Lock()

    def verify(self, hashed: str, password: str, /) -> bool:
        with self._count:
            self.active += 1
            self.most = max(self.most, self.active)
        try:
            if password == self.held:
                self.entered.set()
                self.release.wait()
            return super().verify(hashed, password)
        finally:
            with self._count:
                self.active -= 1


def _guess(staff: StaffDesk, account: str, password: str, client: str = "") -> str:
    try:
        staff.sign_in(account, password, client=client)
    except AccountLocked:
        return "locked"
    except SignInRefused:
        return "refused"
    return "signed in"


def _together(calls: list[Callable[[], str]]) -> list[str]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_concurrent_guesses_cannot_beat_the_lockout(store: MemoryStore, clock: Clock) -> None:
    """Of 40 concurrent wrong guesses, at most max_failures reach Argon2; the account locks."""
    hasher = GatedHasher()
    staff = desk(store, clock, hasher=hasher, policy=SignInPolicy(max_parallel_hashes=40))
    officer(staff, "ana", ("verifier", "dpmptsp"))
    hasher.calls.clear()
    answers = _together([lambda: _guess(staff, "ana", WRONG) for _ in range(40)])
    assert hasher.calls.count("verify") <= 5
    assert answers.count("refused") <= 5
    with pytest.raises(AccountLocked):
        staff.sign_in("ana", PASSWORD)


def test_a_success_racing_guesses_does_not_lift_the_lock(store: MemoryStore, clock: Clock) -> None:
    """The right password checked while guesses lock the account leaves the lock in place."""
    hasher = GatedHasher(held=PASSWORD)
    staff = desk(store, clock, hasher=hasher)
    officer(staff, "ana", ("verifier", "dpmptsp"))
    with ThreadPoolExecutor(max_workers=1) as pool:
        right = pool.submit(_guess, staff, "ana", PASSWORD)
        hasher.entered.wait()
        guesses = [_guess(staff, "ana", WRONG) for _ in range(8)]
        hasher.release.set()
        assert right.result() == "signed in"
    assert guesses.count("refused") == 4
    hasher.held = None
    assert _guess(staff, "ana", PASSWORD) == "locked"


def test_argon2_work_is_bounded_per_desk(store: MemoryStore, clock: Clock) -> None:
    """Sign-ins flooding in wait their turn: no more hashes run at once than the policy says."""
    hasher = GatedHasher()
    staff = desk(store, clock, hasher=hasher, policy=SignInPolicy(max_parallel_hashes=2))
    for n in range(12):
        officer(staff, f"officer-{n}")
    hasher.most = 0
    _together([lambda n=n: _guess(staff, f"officer-{n}", WRONG) for n in range(12)])
    assert hasher.most <= 2


class LockstepStore:
    """A store whose reads of the last used TOTP step wait for each other: a staged race."""

    def __init__(self, inner: MemoryStore) -> None:
        self._inner = inner
        self.barrier: threading.Barrier | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def secret(self, key: str, /, *, at: datetime) -> StaffSecret | None:
        found = self._inner.secret(key, at=at)
        if key.startswith("totp_used:") and self.barrier is not None:
            self.barrier.wait(timeout=30)
        return found


def test_one_totp_code_signs_in_once_even_at_the_same_moment(
    store: MemoryStore, clock: Clock
) -> None:
    """Two sign-ins racing with one code: exactly one gets in, the other is refused."""
    racing = LockstepStore(store)
    staff = desk(racing, clock)
    officer(staff, "ana")
    seed = staff.enrol_second_factor("ana", by=ROOT).secret
    totp = pyotp.TOTP(seed)
    staff.confirm_second_factor("ana", totp.at(clock.at))
    clock.move(seconds=60)
    code = totp.at(clock.at)
    racing.barrier = threading.Barrier(2)

    def attempt() -> str:
        try:
            staff.sign_in("ana", PASSWORD, code=code)
        except SignInRefused:
            return "refused"
        return "signed in"

    assert sorted(_together([attempt, attempt])) == ["refused", "signed in"]


def test_a_new_password_ends_every_other_session(store: MemoryStore, clock: Clock) -> None:
    """Changing one's password keeps the caller's session and ends the others."""
    staff = desk(store, clock)
    officer(staff, "ana")
    mine, stolen = staff.sign_in("ana", PASSWORD), staff.sign_in("ana", PASSWORD)
    staff.set_password(
        "ana",
        "a brand new passphrase",
        by=mine.identity.actor,
        current=PASSWORD,
        keep=mine.identity.session_id,
    )
    assert staff.session(mine.session).account_id == "ana"
    with pytest.raises(NotAuthenticated):
        staff.session(stolen.session)


def test_an_admin_reset_ends_every_session(store: MemoryStore, clock: Clock) -> None:
    """A manager resetting a password, or the second factor, ends the account's sessions."""
    staff = desk(store, clock)
    officer(staff, "ana")
    first = staff.sign_in("ana", PASSWORD)
    staff.set_password("ana", "a brand new passphrase", by=ROOT)
    with pytest.raises(NotAuthenticated):
        staff.session(first.session)
    second = staff.sign_in("ana", "a brand new passphrase")
    staff.remove_second_factor("ana", by=ROOT)
    with pytest.raises(NotAuthenticated):
        staff.session(second.session)


def test_ones_own_credentials_change_only_with_the_current_password(
    store: MemoryStore, clock: Clock
) -> None:
    """A stolen session alone cannot change the password or the second factor."""
    staff = desk(store, clock)
    officer(staff, "ana")
    ana = staff.identity("ana").actor
    with pytest.raises(NotAuthorised):
        staff.set_password("ana", "a brand new passphrase", by=ana)
    with pytest.raises(SignInRefused):
        staff.set_password("ana", "a brand new passphrase", by=ana, current=WRONG)
    with pytest.raises(NotAuthorised):
        staff.enrol_second_factor("ana", by=ana)
    with pytest.raises(NotAuthorised):
        staff.remove_second_factor("ana", by=ana)
    staff.set_password("ana", "a brand new passphrase", by=ana, current=PASSWORD)
    staff.sign_in("ana", "a brand new passphrase")
