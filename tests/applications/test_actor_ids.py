"""An officer has one id: no second spelling of it gets past separation of duties or assignment."""

from __future__ import annotations

import unicodedata

import attrs
import pytest
from application_support import CITIZEN, Canary, answers, documents, officer, snapshot
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.applications.application import Verdict
from onestop.domain.workflow.engine import Actor
from onestop.exceptions import InvalidApplication, InvalidValue, SeparationOfDutiesViolation
from onestop.storage.memory import MemoryStore
from onestop.usecases.applications.codec import decode_event, encode_event
from onestop.usecases.mall import Mall

ANA = officer("officer-ana", "verifier", "approver")
PROCESSOR = officer("processor-1", "processor")

# Spellings of "officer-ana" a person could type, paste or be tricked into.
RESPELLINGS = {
    "trailing newline": "officer-ana\n",
    "case change": "Officer-Ana",
    "decomposed accent": "officer-ana\u0301",
    "zero-width joiner": "officer\u200d-ana",
    "Cyrillic look-alike": "officer-\u0430na",
    "leading space": " officer-ana",
    "full-width letters": "\uff4f\uff46\uff46\uff49\uff43\uff45\uff52-ana",
}


def _processing(mall: Mall) -> str:
    """Submit, verify as officer-ana and process: the application waits for approval."""
    canary = Canary.new()
    app_id = mall.submit(
        "izin-usaha",
        channel="online",
        applicant=canary.person(),
        answers=answers(canary),
        documents=documents(),
        actor=CITIZEN,
    ).application_id
    mall.check_document(app_id, "ktp", verdict=Verdict.VERIFIED, actor=ANA)
    mall.check_document(app_id, "foto", verdict=Verdict.VERIFIED, actor=ANA)
    mall.act(app_id, "verify", actor=ANA)
    mall.act(app_id, "process", actor=PROCESSOR)
    return app_id


@pytest.mark.parametrize("spelling", RESPELLINGS.values(), ids=RESPELLINGS.keys())
def test_the_verifier_cannot_approve_under_another_spelling(
    mall: Mall, store: MemoryStore, spelling: str
) -> None:
    """Approving as a second spelling of the verifier's id is refused, and nothing is written."""
    app_id = _processing(mall)
    before = snapshot(store)
    with pytest.raises(InvalidValue) as caught:
        mall.act(app_id, "approve", actor=Actor(id=spelling, roles={"approver"}))
    assert caught.value.field == "actor.id"
    assert snapshot(store) == before
    with pytest.raises(SeparationOfDutiesViolation):
        mall.act(app_id, "approve", actor=officer("officer-ana", "approver"))


def test_another_officer_approves(mall: Mall) -> None:
    """The refusal above is about the id: a second officer approves the same application."""
    app_id = _processing(mall)
    approved = mall.act(app_id, "approve", actor=officer("officer-budi", "approver"))
    assert approved.state == "approved"


@pytest.mark.parametrize("spelling", RESPELLINGS.values(), ids=RESPELLINGS.keys())
def test_an_application_is_not_assigned_to_another_spelling(
    mall: Mall, store: MemoryStore, spelling: str
) -> None:
    """An assignee is an actor id too: a second spelling of one is refused, naming the field."""
    app_id = _processing(mall)
    before = snapshot(store)
    with pytest.raises(InvalidApplication) as caught:
        mall.assign(app_id, spelling, actor=ANA)
    assert caught.value.fields == ("assignee",)
    assert snapshot(store) == before


@given(st.text(max_size=12))
def test_every_actor_id_is_its_own_canonical_form(text: str) -> None:
    """An id an Actor accepts is ASCII and unchanged by NFKC, case folding and stripping.

    So two accepted ids that differ are two actors however they are displayed: no
    folding anywhere could make them one.
    """
    try:
        actor = Actor(id=text)
    except InvalidValue:
        return
    canonical = unicodedata.normalize("NFKC", actor.id).casefold().strip()
    assert actor.id.isascii()
    assert canonical == actor.id


@pytest.mark.parametrize(
    "roles",
    [{"approver\n"}, {"Approver"}, {"appr\u043ever"}, {""}, {"approver", 7}, 7, None],
    ids=["newline", "capital", "cyrillic", "empty", "not text", "an int", "none"],
)
def test_role_names_are_checked_when_an_actor_is_built(roles: object) -> None:
    """Roles follow the workflow's role-name format; anything else is an InvalidValue."""
    with pytest.raises(InvalidValue) as caught:
        Actor(id="officer-ana", roles=roles)  # type: ignore[arg-type]
    assert caught.value.field == "actor.roles"


def test_a_history_written_before_ids_were_checked_still_loads(
    mall: Mall, store: MemoryStore
) -> None:
    """Stored events keep actor ids as text: an old non-canonical one decodes and folds as written.

    Ids are checked where actors are built (commands), not where history is read, so a
    stream recorded before the check cannot become unreadable.
    """
    app_id = _processing(mall)
    application = mall.application(app_id)
    legacy = attrs.evolve(application.steps[-1], actor="Officer-Ana\n", at=application.updated_at)
    body = encode_event(app_id, legacy)
    decoded = decode_event(app_id, "action_taken", body)
    assert decoded.actor == "Officer-Ana\n"
    folded = application.apply(decoded)
    assert folded.facts().history[-1] == ("process", "Officer-Ana\n")
