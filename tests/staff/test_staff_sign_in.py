"""Signing in: passwords, lockout kept in the store, TOTP (RFC 6238), sessions, identities."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from staff_support import PASSWORD, ROOT, Clock, CountingHasher, desk, officer, store_text

from onestop.domain.common.actors import Actor
from onestop.domain.staff import ExternalIdentity
from onestop.exceptions import (
    AccountLocked,
    InvalidValue,
    NotAuthenticated,
    SecondFactorRequired,
    SignInRefused,
)
from onestop.ports.staff import StaffSecret
from onestop.privacy import Keyring, StaticKeyProvider
from onestop.storage.memory import MemoryStore
from onestop.usecases.staff import SignInPolicy

WRONG = "not the right password"


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _refusal(call: object) -> tuple[type[BaseException], str]:
    try:
        call()  # type: ignore[operator]
    except Exception as exc:  # noqa: BLE001 - comparing the refusals is the point
        return type(exc), str(exc)
    raise AssertionError("not refused")


def test_the_right_password_signs_in(store: MemoryStore, clock: Clock) -> None:
    """The right password gives a session whose identity holds the roles in force."""
    staff = desk(store, clock)
    officer(staff, "ana", ("verifier", "dpmptsp"))
    signed = staff.sign_in("ana", PASSWORD)
    assert signed.identity.method == "password"
    assert signed.identity.actor.holds("verifier", agency="dpmptsp")
    assert staff.session(signed.session).session_id == signed.identity.session_id
    assert PASSWORD not in repr(signed)
    assert signed.session not in repr(signed)


def test_unknown_account_and_wrong_password_answer_alike_after_the_same_work(
    store: MemoryStore, clock: Clock
) -> None:
    """An unknown account, a wrong password and a disabled account: one error, one Argon2 check."""
    hasher = CountingHasher()
    staff = desk(store, clock, hasher=hasher)
    officer(staff, "ana")
    officer(staff, "bob")
    staff.disable("bob", by=ROOT)
    staff.sign_in("ana", PASSWORD)  # makes the dummy hash once
    refusals, work = [], []
    for account, password in (("ana", WRONG), ("ghost", WRONG), ("bob", PASSWORD), ("Bad Id", "x")):
        hasher.calls.clear()
        refusals.append(_refusal(lambda a=account, p=password: staff.sign_in(a, p)))
        work.append(list(hasher.calls))
    assert len(set(refusals)) == 1
    assert refusals[0][0] is SignInRefused
    assert "ana" not in refusals[0][1]
    assert work == [["verify"]] * 4


def test_too_many_failures_lock_even_the_right_password(store: MemoryStore, clock: Clock) -> None:
    """After max_failures wrong passwords the right one is refused with AccountLocked."""
    staff = desk(store, clock)
    officer(staff, "ana")
    for _ in range(5):
        with pytest.raises(SignInRefused):
            staff.sign_in("ana", WRONG)
    with pytest.raises(AccountLocked) as locked:
        staff.sign_in("ana", PASSWORD)
    assert locked.value.retry_after == 900
    clock.move(minutes=15)
    assert staff.sign_in("ana", PASSWORD).identity.account_id == "ana"


def test_a_lockout_holds_across_workers(store: MemoryStore, clock: Clock) -> None:
    """Failures on several desks over one store add up: the fifth locks the account on all."""
    workers = [desk(store, clock) for _ in range(5)]
    officer(workers[0], "ana")
    for worker in workers:
        with pytest.raises(SignInRefused):
            worker.sign_in("ana", WRONG)
    with pytest.raises(AccountLocked):
        desk(store, clock).sign_in("ana", PASSWORD)


def test_unknown_accounts_lock_like_known_ones(store: MemoryStore, clock: Clock) -> None:
    """Guessing at an unknown account locks it the same way, so locking reveals nothing."""
    staff = desk(store, clock)
    for _ in range(5):
        with pytest.raises(SignInRefused):
            staff.sign_in("ghost", WRONG)
    with pytest.raises(AccountLocked):
        staff.sign_in("ghost", WRONG)


def test_a_client_with_too_many_failures_is_locked_out(store: MemoryStore, clock: Clock) -> None:
    """Failures from one client across many accounts lock that client, not others."""
    staff = desk(store, clock, policy=SignInPolicy(max_client_failures=3))
    officer(staff, "ana")
    for name in ("u1", "u2", "u3"):
        with pytest.raises(SignInRefused):
            staff.sign_in(name, WRONG, client="203.0.113.9")
    with pytest.raises(AccountLocked):
        staff.sign_in("ana", PASSWORD, client="203.0.113.9")
    assert staff.sign_in("ana", PASSWORD, client="198.51.100.1").identity.account_id == "ana"


def test_a_clients_own_success_does_not_reset_its_failures(
    store: MemoryStore, clock: Clock
) -> None:
    """A client spraying wrong passwords over other accounts, and signing in to its own
    now and then, is still locked out at the client's limit: its success forgives only
    its own account, not the failures it sprayed."""
    staff = desk(store, clock, policy=SignInPolicy(max_client_failures=4))
    officer(staff, "ana")
    outcomes = []
    for n in range(6):
        try:
            staff.sign_in(f"victim-{n}", WRONG, client="203.0.113.9")
        except (SignInRefused, AccountLocked) as refused:
            outcomes.append(type(refused).__name__)
        if n % 2:
            try:
                staff.sign_in("ana", PASSWORD, client="203.0.113.9")
            except AccountLocked:
                outcomes.append("own locked")
    assert outcomes[:4] == ["SignInRefused"] * 4
    assert "AccountLocked" in outcomes[4:]


def test_a_success_clears_the_account_failures(store: MemoryStore, clock: Clock) -> None:
    """A sign-in that succeeds forgets the account's earlier failures."""
    staff = desk(store, clock)
    officer(staff, "ana")
    for _ in range(4):
        with pytest.raises(SignInRefused):
            staff.sign_in("ana", WRONG)
    staff.sign_in("ana", PASSWORD)
    for _ in range(4):
        with pytest.raises(SignInRefused):
            staff.sign_in("ana", WRONG)
    staff.sign_in("ana", PASSWORD)


def test_sessions_end_when_idle(store: MemoryStore, clock: Clock) -> None:
    """A session unused for session_idle ends; one used keeps going."""
    staff = desk(store, clock)
    officer(staff, "ana")
    signed = staff.sign_in("ana", PASSWORD)
    for _ in range(4):
        clock.move(minutes=20)
        staff.session(signed.session)
    clock.move(minutes=30)
    with pytest.raises(NotAuthenticated):
        staff.session(signed.session)


def test_sessions_end_at_their_absolute_expiry(store: MemoryStore, clock: Clock) -> None:
    """However often used, a session ends session_absolute after sign-in."""
    staff = desk(store, clock)
    officer(staff, "ana")
    signed = staff.sign_in("ana", PASSWORD)
    assert signed.expires_at == clock.at + timedelta(hours=12)
    for _ in range(12 * 3 - 1):
        clock.move(minutes=20)
        staff.session(signed.session)
    clock.move(minutes=20)
    with pytest.raises(NotAuthenticated):
        staff.session(signed.session)


def test_signing_out_ends_the_session(store: MemoryStore, clock: Clock) -> None:
    """After sign-out the session is not known; signing out again is no error."""
    staff = desk(store, clock)
    officer(staff, "ana")
    signed = staff.sign_in("ana", PASSWORD)
    staff.sign_out(signed.session)
    staff.sign_out(signed.session)
    with pytest.raises(NotAuthenticated):
        staff.session(signed.session)


class _SignedOutWhileRead(MemoryStore):
    """A store in which a sign-out lands between a request's read of its session and the
    renewal it then writes (another request, on another thread or worker)."""

    def secret(self, key: str, /, *, at: datetime) -> StaffSecret | None:
        found = super().secret(key, at=at)
        if found is not None and found.kind == "session":
            self.delete_secrets(key=key)
        return found


def test_a_renewal_racing_a_sign_out_does_not_bring_the_session_back(clock: Clock) -> None:
    """A request that read its session just before another signed it out, and renews it
    (a quarter of an hour after sign-in), is served, but the session stays ended."""
    store = _SignedOutWhileRead()
    staff = desk(store, clock)
    officer(staff, "ana")
    signed = staff.sign_in("ana", PASSWORD)
    clock.move(minutes=15)
    assert staff.session(signed.session).account_id == "ana"
    assert [s.kind for s in store.secrets_of("ana")] == ["password"]
    with pytest.raises(NotAuthenticated):
        staff.session(signed.session)


@pytest.mark.parametrize("token", ["", "x", "\ud800", "a" * 100_000, 7, None, b"bytes"])
def test_unknown_bearers_are_not_authenticated(
    store: MemoryStore, clock: Clock, token: object
) -> None:
    """Anything that is not a known session or token gives NotAuthenticated."""
    staff = desk(store, clock)
    for call in (staff.session, staff.bearer):
        with pytest.raises(NotAuthenticated):
            call(token)  # type: ignore[arg-type]


def test_the_csrf_token_belongs_to_its_session(store: MemoryStore, clock: Clock) -> None:
    """The CSRF token issued with a session matches it, and no other session."""
    staff = desk(store, clock)
    officer(staff, "ana")
    first, second = staff.sign_in("ana", PASSWORD), staff.sign_in("ana", PASSWORD)
    assert staff.csrf_matches(first.session, first.csrf)
    assert not staff.csrf_matches(first.session, second.csrf)
    assert not staff.csrf_matches(first.session, "")


# --- TOTP --------------------------------------------------------------------------------

RFC_SEED = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [  # RFC 6238 appendix B, SHA-1, the last six of its eight digits
    (59, "287082"),
    (1111111109, "081804"),
    (1111111111, "050471"),
    (1234567890, "005924"),
    (2000000000, "279037"),
]


@pytest.mark.parametrize(("unix", "code"), RFC_VECTORS)
def test_totp_codes_follow_rfc_6238(store: MemoryStore, unix: int, code: str) -> None:
    """With the RFC's seed, the desk accepts the RFC's code at the RFC's instant."""
    clock = Clock(datetime.fromtimestamp(unix, tz=UTC))
    staff = desk(store, clock)
    officer(staff, "ana")
    staff.enrol_second_factor("ana", by=Actor(id="ana"), current=PASSWORD)
    store.put_secret(
        StaffSecret(
            key="totp_pending:ana",
            account_id="ana",
            kind="totp_pending",
            data=b"plain:" + RFC_SEED.encode(),
            created_at=clock.at,
        )
    )
    staff.confirm_second_factor("ana", code)
    assert staff.account("ana").second_factor


def _enrolled(store: MemoryStore, clock: Clock, **kw: object) -> tuple[object, pyotp.TOTP]:
    staff = desk(store, clock, **kw)
    officer(staff, "ana")
    seed = staff.enrol_second_factor("ana", by=Actor(id="ana"), current=PASSWORD).secret
    totp = pyotp.TOTP(seed)
    staff.confirm_second_factor("ana", totp.at(clock.at))
    clock.move(seconds=30)
    return staff, totp


def test_a_second_factor_needs_a_code(store: MemoryStore, clock: Clock) -> None:
    """With TOTP enrolled, the password alone asks for a code; the right code signs in."""
    staff, totp = _enrolled(store, clock)
    with pytest.raises(SecondFactorRequired):
        staff.sign_in("ana", PASSWORD)  # type: ignore[attr-defined]
    signed = staff.sign_in("ana", PASSWORD, code=totp.at(clock.at))  # type: ignore[attr-defined]
    assert signed.identity.method == "password+totp"


def test_a_wrong_or_replayed_code_is_a_failure(store: MemoryStore, clock: Clock) -> None:
    """A wrong code, or a code used already, is refused like a wrong password."""
    staff, totp = _enrolled(store, clock)
    code = totp.at(clock.at)
    staff.sign_in("ana", PASSWORD, code=code)  # type: ignore[attr-defined]
    for bad in (code, "000000" if code != "000000" else "111111", "12345", "abcdef"):
        with pytest.raises(SignInRefused):
            staff.sign_in("ana", PASSWORD, code=bad)  # type: ignore[attr-defined]


def test_a_sealed_seed_is_not_in_the_store(store: MemoryStore, clock: Clock) -> None:
    """With keys, the TOTP seed is sealed: the store does not hold it, and sign-in works."""
    keys = Keyring(store=store, provider=StaticKeyProvider({"m1": b"\x07" * 32}))
    staff, totp = _enrolled(store, clock, seals=keys)
    assert totp.secret.encode() not in store_text(store)
    staff.sign_in("ana", PASSWORD, code=totp.at(clock.at))  # type: ignore[attr-defined]


def test_removing_the_second_factor(store: MemoryStore, clock: Clock) -> None:
    """After removal the password alone signs in again."""
    staff, _ = _enrolled(store, clock)
    staff.remove_second_factor("ana", by=ROOT)  # type: ignore[attr-defined]
    assert staff.sign_in("ana", PASSWORD).identity.method == "password"  # type: ignore[attr-defined]


# --- external identities -----------------------------------------------------------------

ISSUER = "https://login.example.go.id"


def test_a_linked_identity_signs_in(store: MemoryStore, clock: Clock) -> None:
    """A provider's identity linked to an account signs it in; unlinked, it is refused."""
    staff = desk(store, clock)
    officer(staff, "ana", ("verifier", "dpmptsp"))
    who = ExternalIdentity(issuer=ISSUER, subject="248289761001")
    staff.link_identity("ana", who, by=ROOT)
    signed = staff.sign_in_external(who)
    assert (signed.identity.account_id, signed.identity.method) == ("ana", "oidc")
    staff.unlink_identity("ana", who, by=ROOT)
    with pytest.raises(SignInRefused):
        staff.sign_in_external(who)


def test_unlinking_an_identity_ends_the_sessions_it_began(store: MemoryStore, clock: Clock) -> None:
    """Unlinking a provider's identity ends the account's sessions, the one that identity
    began among them, even one a late write put back."""
    staff = desk(store, clock)
    officer(staff, "ana", ("verifier", "dpmptsp"))
    who = ExternalIdentity(issuer=ISSUER, subject="248289761001")
    staff.link_identity("ana", who, by=ROOT)
    signed = staff.sign_in_external(who)
    (session,) = _sessions(store, "ana")
    clock.move(minutes=4)
    staff.unlink_identity("ana", who, by=ROOT)
    assert _sessions(store, "ana") == ()
    store.put_secret(session)  # a renewal that read it before the unlinking writes it back
    with pytest.raises(NotAuthenticated):
        staff.session(signed.session)


def test_an_identity_links_one_account(store: MemoryStore, clock: Clock) -> None:
    """Linking an identity linked to another account is refused."""
    staff = desk(store, clock)
    officer(staff, "ana")
    officer(staff, "bob")
    who = ExternalIdentity(issuer=ISSUER, subject="1")
    staff.link_identity("ana", who, by=ROOT)
    with pytest.raises(Exception, match="exists"):
        staff.link_identity("bob", who, by=ROOT)


def test_unknown_identities_and_bad_values_are_refused(store: MemoryStore, clock: Clock) -> None:
    """An identity linked to nothing is refused; a value that is not one is InvalidValue."""
    staff = desk(store, clock)
    with pytest.raises(SignInRefused):
        staff.sign_in_external(ExternalIdentity(issuer=ISSUER, subject="nobody"))
    with pytest.raises(InvalidValue):
        staff.sign_in_external("ana")  # type: ignore[arg-type]


def _sessions(store: MemoryStore, account_id: str) -> tuple[StaffSecret, ...]:
    return store.secrets_of(account_id, kind="session")


@pytest.mark.parametrize("change", ["password", "disable"])
def test_a_session_put_back_after_its_account_changed_stays_ended(
    store: MemoryStore, clock: Clock, change: str
) -> None:
    """A session a late write put back (another worker renewing it while the password was
    reset, or the account disabled) is still over: it began before its account's
    sessions ended."""
    staff = desk(store, clock)
    officer(staff, "ana")
    signed = staff.sign_in("ana", PASSWORD)
    (session,) = _sessions(store, "ana")
    clock.move(minutes=4)
    if change == "password":
        staff.set_password("ana", "a new password after a leak", by=ROOT)
    else:
        staff.disable("ana", by=ROOT)
        staff.enable("ana", by=ROOT)
    store.put_secret(session)  # the renewal that read it before the change writes it back
    with pytest.raises(NotAuthenticated):
        staff.session(signed.session)


def test_a_sign_in_proven_before_a_password_reset_gets_no_session(
    store: MemoryStore, clock: Clock
) -> None:
    """A sign-in whose old password was checked while another worker reset it gets no
    session that works: it is refused as the reset ends every earlier session."""
    other = desk(store, clock)
    officer(other, "ana")

    class Resetting(CountingHasher):
        armed = True

        def verify(self, hashed: str, password: str, /) -> bool:
            matched = super().verify(hashed, password)
            if self.armed and password == PASSWORD:  # the reset lands mid sign-in
                self.armed = False
                clock.move(seconds=1)
                other.set_password("ana", "a new password after a leak", by=ROOT)
            return matched

    staff = desk(store, clock, hasher=Resetting())
    with pytest.raises(NotAuthenticated):
        staff.sign_in("ana", PASSWORD)
    assert all(s.created_at < clock.now() for s in _sessions(store, "ana"))


def test_the_callers_own_session_outlives_its_password_change(
    store: MemoryStore, clock: Clock
) -> None:
    """Changing one's own password keeps the session it was changed from (``keep``), even
    once a later write puts an older copy of it back; the other sessions end."""
    staff = desk(store, clock)
    officer(staff, "ana")
    mine = staff.sign_in("ana", PASSWORD)
    other = staff.sign_in("ana", PASSWORD)
    clock.move(minutes=4)
    ana = staff.session(mine.session).actor
    staff.set_password(
        "ana",
        "a new password after a leak",
        by=ana,
        current=PASSWORD,
        keep=mine.identity.session_id,
    )
    assert staff.session(mine.session).account_id == "ana"
    with pytest.raises(NotAuthenticated):
        staff.session(other.session)
