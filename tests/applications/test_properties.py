"""Random command sequences keep every invariant of an application and its stream."""

from __future__ import annotations

from application_support import (
    CITIZEN,
    Canary,
    CountingIds,
    ManualClock,
    answers,
    document,
    documents,
    officer,
    snapshot,
)
from hypothesis import event, given, settings
from hypothesis import strategies as st

from onestop.domain.applications.commands import find_workflow
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.workflow.engine import Actor, allowed_actions
from onestop.exceptions import OnestopError
from onestop.storage.memory import MemoryStore
from onestop.usecases.mall import Mall

CANARY = Canary.new()
ACTORS = (
    CITIZEN,
    officer("verifier-1", "verifier"),
    officer("verifier-2", "verifier", "approver"),
    officer("processor-1", "processor"),
    officer("approver-1", "approver"),
    officer("front-1", "front_office"),
)
ACTIONS = ("send_back", "resubmit", "verify", "process", "approve", "reject", "issue", "fly")

actors = st.sampled_from(ACTORS)
commands = st.one_of(
    st.tuples(st.just("act"), st.sampled_from(ACTIONS), actors, st.booleans()),
    st.tuples(st.just("check"), st.sampled_from(["ktp", "foto"]), actors, st.booleans()),
    st.tuples(st.just("attach"), st.just("foto"), actors, st.booleans()),
    st.tuples(st.just("suspend"), st.just("outage"), actors, st.booleans()),
    st.tuples(st.just("resume"), st.just(""), actors, st.booleans()),
)


def _run(mall: Mall, app_id: str, command: tuple[str, str, Actor, bool]) -> None:
    kind, name, actor, flag = command
    if kind == "act":
        needs_reason = name in ("send_back", "reject")
        mall.act(app_id, name, actor=actor, inputs={"reason": "r"} if flag == needs_reason else {})
    elif kind == "check":
        verdict = "verified" if flag else "rejected"
        mall.check_document(app_id, name, verdict=verdict, reason="bad_scan", actor=actor)
    elif kind == "attach":
        mall.attach_document(app_id, document("foto", "pas-foto", b"again"), actor=actor)
    elif kind == "suspend":
        mall.suspend(app_id, reason=name, actor=actor)
    elif kind == "resume":
        mall.resume(app_id, actor=actor)
    else:
        mall.withdraw(app_id, actor=actor)


INTENTS = ("move",) * 70 + ("anything",) * 25 + ("withdraw",)
"""What a step tries; moving on comes first, so that shrinking heads towards it."""
VERDICTS = (True, True, True, False)
FORWARD = ("resubmit", "verify", "process", "approve", "issue", "send_back", "reject")


def _step(data: st.DataObject, mall: Mall, app_id: str) -> tuple[str, str, Actor, bool]:
    """Draw a command: mostly one that moves the application on, sometimes anything at all."""
    application = mall.application(app_id)
    intent = data.draw(st.sampled_from(INTENTS))
    if intent == "withdraw":
        return ("withdraw", "", data.draw(actors), True)
    if intent == "anything":
        drawn: tuple[str, str, Actor, bool] = data.draw(commands)
        return drawn
    pending = [c for c in ("ktp", "foto") if application.verdict(c) != "verified"]
    if pending and application.state == "submitted":
        checker = data.draw(st.sampled_from(ACTORS[1:3]))
        return ("check", pending[0], checker, data.draw(st.sampled_from(VERDICTS)))
    workflow = find_workflow(mall.catalogue, "licence", 1)
    facts = application.facts()
    moves = sorted(
        (
            (FORWARD.index(action), action, actor)
            for actor in ACTORS
            for action in allowed_actions(workflow, application.state, actor, facts)
        ),
        key=lambda move: move[0],
    )
    if not moves:
        drawn = data.draw(commands)
        return drawn  # noqa: RET504 - typed
    _, action, actor = data.draw(st.sampled_from(moves[:3]))
    return ("act", action, actor, True)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), length=st.integers(0, 30))
def test_invariants_hold(catalogue: Catalogue, data: st.DataObject, length: int) -> None:
    """State is declared, versions count events, refusals write nothing, duties stay apart."""
    store = MemoryStore()
    clock = ManualClock()
    mall = Mall(catalogue=catalogue, store=store, clock=clock, ids=CountingIds())
    app_id = mall.submit(
        "izin-usaha",
        channel="online",
        applicant=CANARY.person(),
        answers=answers(CANARY),
        documents=documents(),
        actor=CITIZEN,
    ).application_id
    workflow = find_workflow(catalogue, "licence", 1)
    closed_at_version: int | None = None
    for _ in range(length):
        step = _step(data, mall, app_id)
        clock.advance(minutes=37)
        before = snapshot(store)
        try:
            _run(mall, app_id, step)
        except OnestopError:
            assert snapshot(store) == before
        application = mall.application(app_id)
        if closed_at_version is not None:
            assert application.version == closed_at_version
        elif application.is_closed:
            closed_at_version = application.version

    application = mall.application(app_id)
    event("withdrawn" if application.withdrawal else f"ended in {application.state}")
    assert workflow.has_state(application.state)
    assert application.version == len(store.read(app_id)) == len(application.events)
    assert mall.verify(app_id).ok
    taken = {(s.action, s.actor) for s in application.steps}
    verifiers = {who for action, who in taken if action == "verify"}
    approvers = {who for action, who in taken if action == "approve"}
    assert not verifiers & approvers
    row = store.summary(app_id)
    assert row is not None
    assert (row.state, row.version, row.closed) == (
        application.state,
        application.version,
        application.is_closed,
    )
