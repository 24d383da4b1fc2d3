"""Applications stay on the workflow version they started under; changes can be polled."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs
import pytest
from application_support import (
    CITIZEN,
    START,
    WIB,
    Canary,
    CountingIds,
    ManualClock,
    answers,
    documents,
    officer,
)

from onestop.domain.applications.commands import find_workflow
from onestop.domain.catalogue.model import Catalogue
from onestop.exceptions import TransitionNotAllowed
from onestop.storage.memory import MemoryStore
from onestop.usecases.mall import Mall

VERIFIER = officer("verifier-1", "verifier")
CANARY = Canary.new()


def _submit(mall: Mall) -> str:
    return mall.submit(
        "izin-usaha",
        channel="online",
        applicant=CANARY.person(),
        answers=answers(CANARY),
        documents=documents(),
        actor=CITIZEN,
    ).application_id


def _with_version_2(catalogue: Catalogue) -> Catalogue:
    """Publish version 2 of the licence workflow, where ``send_back`` is called ``return``."""
    v1 = find_workflow(catalogue, "licence", 1)
    transitions = tuple(
        attrs.evolve(t, action="return") if t.action == "send_back" else t for t in v1.transitions
    )
    v2 = attrs.evolve(v1, version=2, transitions=transitions)
    return attrs.evolve(catalogue, workflows=(*catalogue.workflows, v2))


def test_applications_stay_on_their_workflow_version(catalogue: Catalogue) -> None:
    """After version 2 is published, old applications follow version 1 and new ones version 2."""
    store, clock = MemoryStore(), ManualClock()
    old = _submit(Mall(catalogue=catalogue, store=store, clock=clock, ids=CountingIds()))
    mall = Mall(catalogue=_with_version_2(catalogue), store=store, clock=clock, ids=CountingIds(5))
    new = _submit(mall)

    mall.act(old, "send_back", actor=VERIFIER, inputs={"reason": "Foto buram"})
    with pytest.raises(TransitionNotAllowed):
        mall.act(new, "send_back", actor=VERIFIER, inputs={"reason": "Foto buram"})
    mall.act(new, "return", actor=VERIFIER, inputs={"reason": "Foto buram"})

    assert mall.application(old).workflow_version == 1
    assert mall.application(new).workflow_version == 2
    assert mall.application(old).state == mall.application(new).state == "returned"


def test_changed_since_lists_updates_in_order(mall: Mall, clock: ManualClock) -> None:
    """Polling for changes gives applications updated after an instant, oldest update first."""
    first = _submit(mall)
    clock.advance(minutes=5)
    second = _submit(mall)
    clock.advance(minutes=5)
    mall.assign(first, "verifier-1", actor=VERIFIER)

    page = mall.changed(START + timedelta(minutes=1))

    assert [row.stream_id for row in page.items] == [second, first]
    assert page.items[1].updated_at == datetime(2025, 7, 14, 9, 10, tzinfo=WIB)
