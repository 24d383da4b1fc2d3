"""The staff desk: accounts and grants as events, who may manage whom, revokes seen at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from staff_support import PASSWORD, ROOT, T0, Clock, Counting, desk, officer, store_text

from onestop.domain.common.actors import Actor, Grant
from onestop.domain.staff import DIRECTORY_STREAM, ExternalIdentity
from onestop.exceptions import (
    AccountExists,
    AccountNotFound,
    InvalidValue,
    NotAuthenticated,
    NotAuthorised,
    WeakPassword,
)
from onestop.storage.memory import MemoryStore
from onestop.usecases.staff.codec import verify_staff


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_an_account_and_its_grant_are_events_naming_who_and_when(
    store: MemoryStore, clock: Clock
) -> None:
    """Adding and granting append events with the granter's id; the directory lists the id."""
    staff = desk(store, clock)
    staff.add("ana", by=ROOT)
    granted = staff.grant("ana", "verifier", agency="dpmptsp", by=ROOT)
    assert [r.kind for r in store.read("staff-ana")] == ["account_added", "role_granted"]
    assert [r.kind for r in store.read(DIRECTORY_STREAM)] == ["account_listed"]
    assert (granted.granted_by, granted.granted_at, granted.agency) == ("root", T0, "dpmptsp")
    assert [a.account_id for a in staff.accounts()] == ["ana"]


def test_adding_twice_is_refused(store: MemoryStore, clock: Clock) -> None:
    """An id is one account: adding it again raises AccountExists."""
    staff = desk(store, clock)
    staff.add("ana", by=ROOT)
    with pytest.raises(AccountExists):
        desk(store, clock).add("ana", by=ROOT)


def test_a_revoke_is_seen_by_another_desk_on_its_next_call(
    store: MemoryStore, clock: Clock
) -> None:
    """A second worker's desk, which folded the grant before, sees the revoke on its next call."""
    first, second = desk(store, clock), desk(store, clock)
    officer(first, "ana", ("verifier", "dpmptsp"))
    signed = second.sign_in("ana", PASSWORD)
    assert second.session(signed.session).actor.holds("verifier", agency="dpmptsp")
    (held,) = first.account("ana").assignments
    first.revoke("ana", held.assignment_id, by=ROOT)
    assert not second.session(signed.session).actor.holds("verifier", agency="dpmptsp")
    assert not second.identity("ana").actor.grants


@pytest.mark.parametrize("grants", [1, 10, 100])
def test_one_store_read_per_identity_whatever_the_grants(
    store: MemoryStore, clock: Clock, grants: int
) -> None:
    """A session and a token each resolve in the same few store calls for 1, 10 or 100 grants."""
    staff = desk(store, clock)
    officer(staff, "ana")
    for n in range(grants):
        staff.grant("ana", "verifier", agency=f"agency-{n}", by=ROOT)
    token = staff.issue_token("ana", name="back-office", by=ROOT).token
    signed = staff.sign_in("ana", PASSWORD)
    counted = Counting(store)
    worker = desk(counted, clock)
    worker.session(signed.session)  # a first call folds the whole stream, in one read
    counted.calls.clear()
    staff.grant("ana", "approver", agency="dpmptsp", by=ROOT)
    assert worker.session(signed.session).actor.holds("approver", agency="dpmptsp")
    assert counted.calls == ["secret", "read"]
    counted.calls.clear()
    worker.bearer(token)
    assert counted.calls == ["secret", "read"]


def test_grants_count_only_within_their_validity(store: MemoryStore, clock: Clock) -> None:
    """A grant counts from valid_from and stops at valid_until."""
    staff = desk(store, clock)
    staff.add("ana", by=ROOT)
    staff.grant(
        "ana",
        "approver",
        valid_from=T0 + timedelta(days=1),
        valid_until=T0 + timedelta(days=2),
        by=ROOT,
    )
    assert not staff.identity("ana").actor.holds("approver")
    clock.move(days=1)
    assert staff.identity("ana").actor.holds("approver")
    clock.move(days=1)
    assert not staff.identity("ana").actor.holds("approver")


def test_an_agency_admin_grants_only_at_its_agency(store: MemoryStore, clock: Clock) -> None:
    """An agency's staff_admin grants there, not at another agency nor mall-wide."""
    staff = desk(store, clock)
    staff.add("ana", by=ROOT)
    admin = Actor(id="boss", grants={Grant("staff_admin", agency="dpmptsp")})
    staff.grant("ana", "verifier", agency="dpmptsp", by=admin)
    for agency in ("makassar", None):
        with pytest.raises(NotAuthorised):
            staff.grant("ana", "verifier", agency=agency, by=admin)


@pytest.mark.parametrize("role", ["applicant", "agency", "system"])
@pytest.mark.parametrize("agency", ["dpmptsp", None])
def test_no_one_grants_a_citizens_an_agencys_or_onestops_role(
    store: MemoryStore, clock: Clock, role: str, agency: str | None
) -> None:
    """``applicant``, ``agency`` and ``system`` are refused (InvalidValue on ``role``) and
    nothing is written: held by staff they would act as the citizen (withdraw an
    application, read its personal data) or an agency's back office, in the history."""
    staff = desk(store, clock)
    staff.add("ana", by=ROOT)
    before = len(store.read("staff-ana"))
    with pytest.raises(InvalidValue) as refused:
        staff.grant("ana", role, agency=agency, by=ROOT)
    assert refused.value.field == "role"
    assert len(store.read("staff-ana")) == before


def test_an_agency_admin_manages_only_its_own_officers(store: MemoryStore, clock: Clock) -> None:
    """An agency's admin disables its officers, not an officer with a role elsewhere."""
    staff = desk(store, clock)
    officer(staff, "ana", ("verifier", "dpmptsp"))
    officer(staff, "bob", ("verifier", "dpmptsp"), ("verifier", "makassar"))
    admin = Actor(id="boss", grants={Grant("staff_admin", agency="dpmptsp")})
    staff.disable("ana", by=admin)
    with pytest.raises(NotAuthorised):
        staff.disable("bob", by=admin)


def test_no_one_grants_themselves_a_role(store: MemoryStore, clock: Clock) -> None:
    """A staff_admin cannot grant a role to their own account."""
    staff = desk(store, clock)
    staff.add("root", by=ROOT)
    with pytest.raises(NotAuthorised):
        staff.grant("root", "approver", by=ROOT)


def test_an_officer_without_admin_role_changes_nothing(store: MemoryStore, clock: Clock) -> None:
    """A plain officer may not add accounts or grant roles."""
    staff = desk(store, clock)
    staff.add("ana", by=ROOT)
    plain = Actor(id="bob", roles={"verifier"})
    with pytest.raises(NotAuthorised):
        staff.add("carol", by=plain)
    with pytest.raises(NotAuthorised):
        staff.grant("ana", "approver", by=plain)


def test_a_disabled_account_holds_nothing_and_is_not_recognised(
    store: MemoryStore, clock: Clock
) -> None:
    """Disabling ends sessions and tokens; the account's identity is refused."""
    staff = desk(store, clock)
    officer(staff, "ana", ("verifier", None))
    token = staff.issue_token("ana", name="bo", by=ROOT).token
    signed = staff.sign_in("ana", PASSWORD)
    staff.disable("ana", by=ROOT)
    for call in (lambda: staff.session(signed.session), lambda: staff.bearer(token)):
        with pytest.raises(NotAuthenticated):
            call()
    assert staff.account("ana").actor(T0).roles == frozenset()
    staff.enable("ana", by=ROOT)
    assert staff.bearer(token).actor.holds("verifier")


def test_a_revoked_token_stops_working(store: MemoryStore, clock: Clock) -> None:
    """A revoked token is refused on the next request, by any desk."""
    staff = desk(store, clock)
    officer(staff, "ana", ("verifier", None))
    issued = staff.issue_token("ana", name="bo", by=ROOT)
    assert desk(store, clock).bearer(issued.token).method == "token"
    staff.revoke_token("ana", issued.token_id, by=ROOT)
    with pytest.raises(NotAuthenticated):
        desk(store, clock).bearer(issued.token)
    assert staff.tokens("ana") == ()


def test_an_expired_token_stops_working(store: MemoryStore, clock: Clock) -> None:
    """A token is refused from its expiry on."""
    staff = desk(store, clock)
    officer(staff, "ana")
    issued = staff.issue_token("ana", name="bo", expires_at=T0 + timedelta(days=1), by=ROOT)
    staff.bearer(issued.token)
    clock.move(days=1)
    with pytest.raises(NotAuthenticated):
        staff.bearer(issued.token)


def test_no_password_or_token_is_kept_in_clear(store: MemoryStore, clock: Clock) -> None:
    """No byte of the store holds a password, a session, a CSRF token, an API token or a seed."""
    staff = desk(store, clock)
    officer(staff, "ana", ("verifier", "dpmptsp"))
    token = staff.issue_token("ana", name="bo", by=ROOT).token
    signed = staff.sign_in("ana", PASSWORD)
    seed = staff.enrol_second_factor("ana", by=Actor(id="ana"), current=PASSWORD).secret
    held = store_text(store)
    for clear in (PASSWORD, token, signed.session, signed.csrf):
        assert clear.encode() not in held
    assert seed.encode() in held  # without keys the seed is kept plain; see the sealed test


def test_weak_passwords_are_refused(store: MemoryStore, clock: Clock) -> None:
    """Too short, the account's id, or too few different characters: WeakPassword."""
    staff = desk(store, clock)
    staff.add("officer-ana-long", by=ROOT)
    for weak in ("short", "officer-ana-long", "aaaaaaaaaaaaaaaa", "x" * 2000):
        with pytest.raises(WeakPassword):
            staff.set_password("officer-ana-long", weak, by=ROOT)


def test_someone_sets_their_own_password_only(store: MemoryStore, clock: Clock) -> None:
    """An officer sets their own password, not a colleague's."""
    staff = desk(store, clock)
    officer(staff, "ana")
    officer(staff, "bob")
    staff.set_password("ana", "another long passphrase", by=Actor(id="ana"), current=PASSWORD)
    with pytest.raises(NotAuthorised):
        staff.set_password("bob", "another long passphrase", by=Actor(id="ana"))


def test_unknown_accounts_are_not_found(store: MemoryStore, clock: Clock) -> None:
    """Reading or granting to an unknown account raises AccountNotFound."""
    staff = desk(store, clock)
    with pytest.raises(AccountNotFound):
        staff.account("ghost")
    with pytest.raises(AccountNotFound):
        staff.grant("ghost", "verifier", by=ROOT)


def test_grant_arguments_are_checked(store: MemoryStore, clock: Clock) -> None:
    """A bad role, agency or validity is refused with InvalidValue, writing nothing."""
    staff = desk(store, clock)
    staff.add("ana", by=ROOT)
    for kwargs in (
        {"role": "Verifier"},
        {"role": "verifier", "agency": "bad agency"},
        {"role": "verifier", "valid_from": T0, "valid_until": T0},
    ):
        with pytest.raises(InvalidValue):
            staff.grant("ana", by=ROOT, **kwargs)  # type: ignore[arg-type]
    assert staff.account("ana").version == 1


def test_staff_streams_verify(store: MemoryStore, clock: Clock) -> None:
    """The directory and every account's stream form intact chains."""
    staff = desk(store, clock)
    officer(staff, "ana", ("verifier", "dpmptsp"))
    staff.add("bob", by=ROOT)
    reports = verify_staff(store)
    assert [stream for stream, _ in reports] == [DIRECTORY_STREAM, "staff-ana", "staff-bob"]
    assert all(report.ok for _, report in reports)


def test_staff_events_hold_no_personal_data(store: MemoryStore, clock: Clock) -> None:
    """Event bodies and notices hold ids, roles, codes and instants; no secret of any kind."""
    staff = desk(store, clock)
    officer(staff, "ana", ("verifier", "dpmptsp"))
    staff.link_identity(
        "ana", ExternalIdentity(issuer="https://id.example", subject="s-1"), by=ROOT
    )
    bodies = b"".join(r.body for r in store.read("staff-ana"))
    assert b"$argon2" not in bodies
    assert PASSWORD.encode() not in bodies


def test_relays_never_deliver_staff_notifications(store: MemoryStore, clock: Clock) -> None:
    """A relay moves past every staff stream's notification and delivers none of them."""
    from onestop.transport.recording import RecordingTransport
    from onestop.transport.relay import Relay

    staff = desk(store, clock)
    officer(staff, "ana", ("verifier", "dpmptsp"))
    inbox = RecordingTransport()
    relay = Relay(store, {"inbox": inbox})
    relay.run_once()
    assert list(inbox.delivered) == []
    assert relay.positions()["inbox"] == len(store.notifications(limit=1000))


def test_the_store_audit_checks_staff_streams(store: MemoryStore, clock: Clock) -> None:
    """`verify_store` counts staff chains, and names a tampered one with its first bad entry."""
    import attrs

    from onestop.cli.demo import verify_store

    staff = desk(store, clock)
    officer(staff, "ana", ("verifier", "dpmptsp"))
    assert verify_store(store).chains == 2
    records = list(store._streams["staff-ana"])
    records[1] = attrs.evolve(records[1], body=records[1].body.replace(b"dpmptsp", b"makassar"))
    store._streams["staff-ana"] = tuple(records)
    audit = verify_store(store)
    assert [(b.number, b.stream, b.entry) for b in audit.broken] == [("staff", "staff-ana", 2)]
