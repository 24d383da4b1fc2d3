"""Who may read what: agency scope, the inspector without personal data, the access record."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from staff_support import ROOT, Clock, desk

from onestop.domain.common.actors import Actor, Grant
from onestop.domain.staff import StaffIdentity
from onestop.exceptions import ApplicationNotFound, InvalidValue, NotAuthorised
from onestop.ports.events import Summary
from onestop.storage.memory import MemoryStore
from onestop.usecases.staff import (
    AccessLog,
    may_read,
    may_see_personal_data,
    require_personal_data,
    require_read,
    worklist_agencies,
)

AT = datetime(2026, 1, 5, 9, tzinfo=UTC)


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
        received=AT,
        due=None,
        at_risk_from=None,
        suspended=False,
        closed=False,
        version=1,
        updated_at=AT,
    )


def _who(*grants: Grant, roles: tuple[str, ...] = ()) -> StaffIdentity:
    actor = Actor(id="someone", roles=roles, grants=grants)
    return StaffIdentity(account_id="someone", actor=actor, method="password")


VERIFIER = _who(Grant("verifier", agency="dpmptsp"))
INSPECTOR = _who(Grant("inspector", agency="dpmptsp"))
CLEARED = _who(Grant("inspector", agency="dpmptsp"), Grant("personal_data", agency="dpmptsp"))
ADMIN = _who(Grant("staff_admin", agency="dpmptsp"))


def test_an_officer_reads_only_own_agency() -> None:
    """A grant at one agency reads its applications and not another's."""
    assert may_read(VERIFIER, _summary("dpmptsp"))
    assert not may_read(VERIFIER, _summary("makassar"))


def test_another_agencys_application_looks_missing() -> None:
    """Reading another agency's application raises ApplicationNotFound, as for a missing one."""
    with pytest.raises(ApplicationNotFound) as missing:
        require_read(VERIFIER, _summary("makassar"))
    assert str(missing.value) == str(ApplicationNotFound("app-makassar"))


@pytest.mark.parametrize(
    ("identity", "sees"),
    [(VERIFIER, True), (INSPECTOR, False), (CLEARED, True), (ADMIN, False)],
    ids=["verifier", "inspector", "inspector+personal_data", "staff_admin"],
)
def test_who_sees_personal_data(identity: StaffIdentity, sees: bool) -> None:
    """Officers see personal data; an inspector only with personal_data; an admin never."""
    assert may_see_personal_data(identity, "dpmptsp") is sees
    assert not may_see_personal_data(identity, "makassar")


def test_the_inspector_reads_the_history_but_not_personal_data() -> None:
    """An inspector may read an application, and is refused its personal data."""
    require_read(INSPECTOR, _summary("dpmptsp"))
    with pytest.raises(NotAuthorised):
        require_personal_data(INSPECTOR, _summary("dpmptsp"))
    require_personal_data(CLEARED, _summary("dpmptsp"))


def test_worklists_name_the_granted_agencies() -> None:
    """Worklists reach the agencies granted, or every agency with a mall-wide role."""
    both = _who(Grant("verifier", agency="a1"), Grant("approver", agency="a2"))
    assert worklist_agencies(both) == frozenset({"a1", "a2"})
    assert worklist_agencies(_who(roles=("approver",))) is None
    assert worklist_agencies(_who()) == frozenset()


def test_bad_arguments_are_invalid_values() -> None:
    """Arguments of the wrong type are refused with InvalidValue."""
    with pytest.raises(InvalidValue):
        may_read("ana", _summary("a"))  # type: ignore[arg-type]
    with pytest.raises(InvalidValue):
        may_see_personal_data(VERIFIER, "not an agency!")


def test_the_access_record_names_who_read_what() -> None:
    """Each recorded read is kept: who, which application, what, through which route, when."""
    store, clock = MemoryStore(), Clock()
    staff = desk(store, clock)
    staff.add("ana", by=ROOT)
    staff.grant("ana", "verifier", agency="dpmptsp", by=ROOT)
    log = AccessLog(staff=store, clock=clock)
    log.record(staff.identity("ana"), "app-1", "applicant", "GET /applications/{id}", "req-9")
    (entry,) = store.access_records(application_id="app-1")
    record = entry.record
    assert (record.actor_id, record.what, record.request_id, record.at) == (
        "ana",
        "applicant",
        "req-9",
        clock.at,
    )
