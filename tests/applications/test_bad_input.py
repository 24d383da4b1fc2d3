"""Every malformed command raises a typed error naming the field or rule, and changes nothing."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs
import pytest
from application_support import (
    CITIZEN,
    WIB,
    Canary,
    answers,
    document,
    documents,
    officer,
    snapshot,
)

from onestop.domain.applications.application import Verdict
from onestop.domain.common.parties import Person
from onestop.exceptions import (
    ApplicationNotFound,
    ChannelNotOffered,
    CommandRefused,
    ConcurrencyConflict,
    InvalidApplication,
    MissingInput,
    OnestopError,
    RoleNotAllowed,
    SeparationOfDutiesViolation,
    ServiceNotFound,
    TransitionNotAllowed,
)
from onestop.storage.memory import MemoryStore
from onestop.usecases.mall import Mall

VERIFIER = officer("verifier-1", "verifier")
PROCESSOR = officer("processor-1", "processor")
APPROVER = officer("approver-1", "approver")
FRONT_OFFICE = officer("front-1", "front_office")
CANARY = Canary.new()


def _submit(mall: Mall, **overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "channel": "online",
        "applicant": CANARY.person(),
        "answers": answers(CANARY),
        "documents": documents(),
        "actor": CITIZEN,
    }
    arguments.update(overrides)
    return mall.submit("izin-usaha", **arguments).application_id


def _refused(
    store: MemoryStore, error: type[OnestopError], attempt: Callable[[], object]
) -> OnestopError:
    """Run *attempt*, expect *error*, check that nothing was written and nothing leaked."""
    before = snapshot(store)
    with pytest.raises(error) as caught:
        attempt()
    assert snapshot(store) == before
    assert CANARY.leaks(str(caught.value) + repr(caught.value)) == []
    return caught.value


def _verified(mall: Mall, app_id: str) -> None:
    mall.check_document(app_id, "ktp", verdict=Verdict.VERIFIED, actor=VERIFIER)
    mall.check_document(app_id, "foto", verdict=Verdict.VERIFIED, actor=VERIFIER)
    mall.act(app_id, "verify", actor=VERIFIER)


def test_unknown_service(mall: Mall, store: MemoryStore) -> None:
    """An unknown service code raises ServiceNotFound naming the code."""
    error = _refused(
        store,
        ServiceNotFound,
        lambda: mall.submit(
            "izin-terbang", channel="online", applicant=CANARY.person(), answers={}, actor=CITIZEN
        ),
    )
    assert isinstance(error, ServiceNotFound)
    assert error.code == "izin-terbang"


@pytest.mark.parametrize(("channel", "named"), [("courier", "courier"), ("teleport", None)])
def test_channel_not_offered(
    mall: Mall, store: MemoryStore, channel: str, named: str | None
) -> None:
    """A channel the service is not offered through raises ChannelNotOffered listing the offered."""
    error = _refused(store, ChannelNotOffered, lambda: _submit(mall, channel=channel))
    assert isinstance(error, ChannelNotOffered)
    assert (error.channel, error.offered) == (named, ("online", "counter"))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("floor_area", 36.5),
        ("floor_area", "thirty"),
        ("floor_area", True),
        ("birth_date", "17-03-1985"),
        ("birth_date", datetime(1985, 3, 17, tzinfo=WIB)),
        ("has_npwp", "yes"),
        ("activities", "food"),
        ("activities", ["food", "food"]),
        ("activities", ["mining"]),
        ("applicant_type", "alien"),
        ("business_name", 42),
        ("home_address", "x" * 10_001),
    ],
)
def test_wrong_type(mall: Mall, store: MemoryStore, field: str, value: object) -> None:
    """An answer of the wrong type is refused, naming its field and never quoting it."""
    error = _refused(
        store, InvalidApplication, lambda: _submit(mall, answers=answers(CANARY, **{field: value}))
    )
    assert isinstance(error, InvalidApplication)
    assert error.fields == (f"answers.{field}",)
    assert str(value) not in str(error) or isinstance(value, bool)


def test_every_problem_is_listed(mall: Mall, store: MemoryStore) -> None:
    """All problems come in one error: missing, wrong-typed and undeclared answers together."""
    bad = answers(CANARY, floor_area=1.5, mother_name=CANARY.name)
    del bad["business_name"]
    error = _refused(store, InvalidApplication, lambda: _submit(mall, answers=bad))
    assert isinstance(error, InvalidApplication)
    assert set(error.fields) == {
        "answers.business_name",
        "answers.floor_area",
        "answers.mother_name",
    }


def test_missing_required_answer(mall: Mall, store: MemoryStore) -> None:
    """A required answer left out (or blank) is refused, naming the field."""
    error = _refused(
        store, InvalidApplication, lambda: _submit(mall, answers=answers(CANARY, business_name=" "))
    )
    assert isinstance(error, InvalidApplication)
    assert error.fields == ("answers.business_name",)
    assert "required" in error.problems[0].message


def test_undeclared_field_is_refused_not_stored(mall: Mall, store: MemoryStore) -> None:
    """An answer to a field the form does not declare is refused; its value is not echoed."""
    error = _refused(
        store,
        InvalidApplication,
        lambda: _submit(mall, answers=answers(CANARY, mothers_nik=CANARY.nik)),
    )
    assert isinstance(error, InvalidApplication)
    assert error.fields == ("answers.mothers_nik",)


def test_malformed_identity_number(mall: Mall, store: MemoryStore) -> None:
    """A NIK that breaks its format rules is refused, naming the field and never the number."""
    person = Person.of(identity_number="3171019999990000", identity_scheme="id-nik", name="Ani")
    error = _refused(store, InvalidApplication, lambda: _submit(mall, applicant=person))
    assert isinstance(error, InvalidApplication)
    assert error.fields == ("applicant.identity_number",)
    assert "3171019999990000" not in str(error)
    assert "99999" not in str(error)


def test_document_hash_mismatch(mall: Mall, store: MemoryStore) -> None:
    """A document whose bytes do not match its declared hash is refused, naming the hash."""
    ktp, foto = documents()
    forged = attrs.evolve(ktp, content=b"other bytes!!!!!!!!!!!!!!")
    forged = attrs.evolve(forged, size=len(b"other bytes!!!!!!!!!!!!!!"))
    error = _refused(store, InvalidApplication, lambda: _submit(mall, documents=[forged, foto]))
    assert isinstance(error, InvalidApplication)
    assert error.fields == ("documents[0].sha256",)


def test_missing_upload(mall: Mall, store: MemoryStore) -> None:
    """A requirement that applies and can only be uploaded must come with the submission."""
    _, foto = documents()
    error = _refused(store, InvalidApplication, lambda: _submit(mall, documents=[foto]))
    assert isinstance(error, InvalidApplication)
    assert error.fields == ("documents.ktp",)


def test_document_for_requirement_that_does_not_apply(mall: Mall, store: MemoryStore) -> None:
    """A document for a requirement that does not apply to the answers is refused."""
    deed = document("akta", "akta-pendirian", b"deed")
    error = _refused(
        store, InvalidApplication, lambda: _submit(mall, documents=[*documents(), deed])
    )
    assert isinstance(error, InvalidApplication)
    assert error.fields == ("documents[2].requirement",)


def test_bad_idempotency_key(mall: Mall, store: MemoryStore) -> None:
    """An empty, over-long or non-ASCII idempotency key is refused."""
    for key in ("", "k" * 256, "kunci rahasia", "ключ"):
        error = _refused(
            store, InvalidApplication, functools.partial(_submit, mall, idempotency_key=key)
        )
        assert isinstance(error, InvalidApplication)
        assert error.fields == ("idempotency_key",)


def test_stale_expected_version(mall: Mall, store: MemoryStore) -> None:
    """Acting on an outdated version raises ConcurrencyConflict with both versions."""
    app_id = _submit(mall)
    mall.check_document(app_id, "ktp", verdict="verified", actor=VERIFIER)
    error = _refused(
        store,
        ConcurrencyConflict,
        lambda: mall.act(
            app_id, "send_back", actor=VERIFIER, inputs={"reason": "x"}, expected_version=1
        ),
    )
    assert isinstance(error, ConcurrencyConflict)
    assert (error.stream_id, error.expected, error.actual) == (app_id, 1, 2)


def test_action_in_final_state(mall: Mall, store: MemoryStore) -> None:
    """Nothing can be done in a final state; the error says the state is final."""
    app_id = _submit(mall)
    _verified(mall, app_id)
    mall.act(app_id, "process", actor=PROCESSOR)
    mall.act(app_id, "reject", actor=APPROVER, inputs={"reason": "zoning"})
    error = _refused(store, CommandRefused, lambda: mall.act(app_id, "issue", actor=FRONT_OFFICE))
    assert isinstance(error, CommandRefused)
    assert "closed" in error.reason


def test_actor_without_the_role(mall: Mall, store: MemoryStore) -> None:
    """An actor without the action's role gets RoleNotAllowed; allowed lists what they may do."""
    app_id = _submit(mall)
    error = _refused(store, RoleNotAllowed, lambda: mall.act(app_id, "verify", actor=PROCESSOR))
    assert isinstance(error, RoleNotAllowed)
    assert (error.action, error.state, error.allowed) == ("verify", "submitted", ())


def test_verifier_approving(mall: Mall, store: MemoryStore) -> None:
    """The verifier approving raises SeparationOfDutiesViolation naming the earlier action."""
    app_id = _submit(mall)
    _verified(mall, app_id)
    mall.act(app_id, "process", actor=PROCESSOR)
    error = _refused(
        store, SeparationOfDutiesViolation, lambda: mall.act(app_id, "approve", actor=VERIFIER)
    )
    assert isinstance(error, SeparationOfDutiesViolation)
    assert (error.actor, error.earlier_action) == ("verifier-1", "verify")


def test_unknown_action(mall: Mall, store: MemoryStore) -> None:
    """An action the workflow does not have raises TransitionNotAllowed, not an AttributeError."""
    app_id = _submit(mall)
    error = _refused(
        store, TransitionNotAllowed, lambda: mall.act(app_id, "Approve", actor=APPROVER)
    )
    assert isinstance(error, TransitionNotAllowed)
    assert error.reason == "the workflow has no such action"


def test_missing_input(mall: Mall, store: MemoryStore) -> None:
    """Sending back without a reason raises MissingInput naming the input."""
    app_id = _submit(mall)
    error = _refused(store, MissingInput, lambda: mall.act(app_id, "send_back", actor=VERIFIER))
    assert isinstance(error, MissingInput)
    assert error.missing == ("reason",)


def test_undeclared_input(mall: Mall, store: MemoryStore) -> None:
    """An input the action does not take is refused, naming it."""
    app_id = _submit(mall)
    error = _refused(
        store,
        InvalidApplication,
        lambda: mall.act(
            app_id, "send_back", actor=VERIFIER, inputs={"reason": "x", "nik": CANARY.nik}
        ),
    )
    assert isinstance(error, InvalidApplication)
    assert error.fields == ("inputs.nik",)


def test_rejecting_a_document_needs_a_reason_code(mall: Mall, store: MemoryStore) -> None:
    """A rejected document needs a reason code."""
    app_id = _submit(mall)
    error = _refused(
        store,
        InvalidApplication,
        lambda: mall.check_document(app_id, "foto", verdict="rejected", actor=VERIFIER),
    )
    assert isinstance(error, InvalidApplication)
    assert error.fields == ("reason",)


def test_checking_a_document_needs_an_officer(mall: Mall, store: MemoryStore) -> None:
    """The applicant cannot check their own documents."""
    app_id = _submit(mall)
    _refused(
        store,
        RoleNotAllowed,
        lambda: mall.check_document(app_id, "ktp", verdict="verified", actor=CITIZEN),
    )


def test_acting_while_suspended(mall: Mall, store: MemoryStore) -> None:
    """A suspended application takes no workflow action until resumed."""
    app_id = _submit(mall)
    mall.suspend(app_id, reason="court_order", actor=VERIFIER)
    error = _refused(
        store,
        CommandRefused,
        lambda: mall.act(app_id, "send_back", actor=VERIFIER, inputs={"reason": "x"}),
    )
    assert isinstance(error, CommandRefused)
    assert error.reason == "the application is suspended"


def test_resume_when_not_suspended(mall: Mall, store: MemoryStore) -> None:
    """Resuming an application that is not suspended is refused."""
    app_id = _submit(mall)
    _refused(store, CommandRefused, lambda: mall.resume(app_id, actor=VERIFIER))


def test_withdrawn_application_takes_no_action(mall: Mall, store: MemoryStore) -> None:
    """After withdrawal nothing more can happen to the application but notes."""
    app_id = _submit(mall)
    mall.withdraw(app_id, actor=CITIZEN, reason="changed_mind")
    error = _refused(store, CommandRefused, lambda: mall.act(app_id, "verify", actor=VERIFIER))
    assert isinstance(error, CommandRefused)
    assert error.reason == "the application was withdrawn"


def test_unknown_application(mall: Mall, store: MemoryStore) -> None:
    """Acting on an id that does not exist raises ApplicationNotFound."""
    _refused(store, ApplicationNotFound, lambda: mall.act("app-9999", "verify", actor=VERIFIER))


def test_wrong_secret_looks_like_unknown_number(mall: Mall) -> None:
    """A wrong secret and an unknown number raise the same error, revealing nothing."""
    receipt = mall.submit(
        "izin-usaha",
        channel="online",
        applicant=CANARY.person(),
        answers=answers(CANARY),
        documents=documents(),
        actor=CITIZEN,
    )
    with pytest.raises(ApplicationNotFound) as wrong_secret:
        mall.track(receipt.number, "guess", language="id")
    with pytest.raises(ApplicationNotFound) as unknown:
        mall.track("dpmptsp/izin-usaha/2025/999999", "guess", language="id")

    assert str(wrong_secret.value) == str(unknown.value)
    assert wrong_secret.value.reference is None


def test_not_a_person(mall: Mall, store: MemoryStore) -> None:
    """An applicant that is not a Person or Organisation is refused, naming the field."""
    error = _refused(store, InvalidApplication, lambda: _submit(mall, applicant={"name": "x"}))
    assert isinstance(error, InvalidApplication)
    assert error.fields == ("applicant",)


def test_the_applicant_cannot_replace_a_verified_document(mall: Mall, store: MemoryStore) -> None:
    """Once an officer verified a requirement's document, its applicant's new document for
    it is refused (CommandRefused) and nothing is written: the workflow may have gone on on
    the strength of that check.  Rejected first, it may be replaced; an officer may
    replace a verified one."""
    app_id = _submit(mall)
    _verified(mall, app_id)
    fresh = document("ktp", "ktp-el", b"another scan")
    error = _refused(
        store, CommandRefused, lambda: mall.attach_document(app_id, fresh, actor=CITIZEN)
    )
    assert "verified" in str(error)
    mall.attach_document(app_id, fresh, actor=FRONT_OFFICE)  # an officer may
    mall.check_document(app_id, "foto", verdict=Verdict.REJECTED, reason="blurry", actor=VERIFIER)
    replaced = mall.attach_document(
        app_id, document("foto", "pas-foto", b"a sharp photograph"), actor=CITIZEN
    )
    assert "foto" not in replaced.checks
