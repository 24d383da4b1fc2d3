"""Separation of duties and agency scope hold for identities from the staff desk, via Mall.act."""

from __future__ import annotations

import pytest
from application_support import CITIZEN, Canary, answers, documents

from onestop.domain.applications.application import Verdict
from onestop.domain.common.actors import Actor
from onestop.exceptions import RoleNotAllowed, SeparationOfDutiesViolation
from onestop.privacy.passwords import Argon2Hasher
from onestop.storage.memory import MemoryStore
from onestop.usecases.mall import Mall
from onestop.usecases.mall_support import RandomIds
from onestop.usecases.staff import StaffDesk

ROOT = Actor(id="root", roles={"staff_admin"})


@pytest.fixture
def staff(store: MemoryStore, mall: Mall) -> StaffDesk:
    desk = StaffDesk(
        events=store,
        staff=store,
        clock=mall.clock,
        ids=RandomIds(),
        hasher=Argon2Hasher(memory_cost=8, time_cost=1, parallelism=1),
    )
    desk.add("ana", by=ROOT)
    for role in ("verifier", "processor", "approver"):
        desk.grant("ana", role, agency="dpmptsp", by=ROOT)
    desk.add("oki", by=ROOT)
    desk.grant("oki", "verifier", agency="makassar", by=ROOT)
    return desk


def _submitted(mall: Mall) -> str:
    canary = Canary.new()
    return mall.submit(
        "izin-usaha",
        channel="online",
        applicant=canary.person(),
        answers=answers(canary),
        documents=documents(),
        actor=CITIZEN,
    ).application_id


def test_one_officer_cannot_verify_and_approve(mall: Mall, staff: StaffDesk) -> None:
    """An account holding verifier and approver verifies, then is refused the approval."""
    ana = staff.identity("ana").actor
    app = _submitted(mall)
    for requirement in ("ktp", "foto"):
        mall.check_document(app, requirement, verdict=Verdict.VERIFIED, actor=ana)
    mall.act(app, "verify", actor=ana)
    mall.act(app, "process", actor=ana)
    with pytest.raises(SeparationOfDutiesViolation):
        mall.act(app, "approve", actor=ana)


def test_another_agencys_officer_cannot_act(mall: Mall, staff: StaffDesk) -> None:
    """An account granted at makassar is refused on a dpmptsp application."""
    app = _submitted(mall)
    with pytest.raises(RoleNotAllowed):
        mall.act(app, "send_back", actor=staff.identity("oki").actor, inputs={"reason": "x"})


def test_a_revoked_role_cannot_act(mall: Mall, staff: StaffDesk) -> None:
    """After the verifier grant is revoked, the next identity cannot send back."""
    app = _submitted(mall)
    (grant,) = [a for a in staff.account("ana").assignments if a.role == "verifier"]
    staff.revoke("ana", grant.assignment_id, by=ROOT)
    with pytest.raises(RoleNotAllowed):
        mall.act(app, "send_back", actor=staff.identity("ana").actor, inputs={"reason": "x"})
