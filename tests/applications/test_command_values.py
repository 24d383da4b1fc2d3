"""Every value a command carries is checked by one shared format, and refused with a typed error."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import attrs
import pytest
from application_support import CITIZEN, START, Canary, answers, document, documents, officer
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.domain.applications.application import (
    Application,
    NoteAdded,
    PaymentRecorded,
    Suspended,
    Verdict,
    Visibility,
)
from onestop.domain.applications.commands import (
    MAX_NOTE,
    Act,
    AddNote,
    Assign,
    AttachDocument,
    CheckDocument,
    RecordPayment,
    Submit,
    Suspend,
    Withdraw,
    decide,
)
from onestop.domain.catalogue.model import Catalogue, ChannelKind
from onestop.domain.common.parties import Personal
from onestop.exceptions import InvalidApplication, OnestopError
from onestop.usecases.mall import Mall

VERIFIER = officer("verifier-1", "verifier")
CANARY = Canary.new()


@pytest.fixture(scope="module")
def application(catalogue: Catalogue) -> Application:
    """A freshly submitted application, folded from its one event."""
    command = Submit(
        application_id="app-1",
        number="N/1",
        service="izin-usaha",
        channel=ChannelKind.ONLINE,
        applicant=CANARY.person(),
        answers=answers(CANARY),
        documents=tuple(documents()),
        actor=CITIZEN,
        secret_digest="0" * 64,
    )
    return Application.from_events(decide(None, command, catalogue=catalogue, at=START))


def _refused(catalogue: Catalogue, application: Application, command: object) -> tuple[str, ...]:
    """Decide *command*; expect InvalidApplication and return the paths of its problems."""
    with pytest.raises(InvalidApplication) as caught:
        decide(application, command, catalogue=catalogue, at=START)  # type: ignore[arg-type]
    assert CANARY.leaks(str(caught.value)) == []
    return caught.value.fields


def _decided(catalogue: Catalogue, application: Application, command: object) -> object:
    [event] = decide(application, command, catalogue=catalogue, at=START)  # type: ignore[arg-type]
    return event


@pytest.mark.parametrize(
    "reason",
    ["court_order\n", "Court_order", "court order", "", "c" * 65, "\u0661", 7, True],
    ids=["newline", "capital", "space", "empty", "too long", "arabic digit", "int", "bool"],
)
def test_a_reason_code_has_the_code_format(
    catalogue: Catalogue, application: Application, reason: object
) -> None:
    """A suspension's reason is a code: a trailing line break or a capital is refused."""
    command = Suspend(reason=reason, actor=VERIFIER)  # type: ignore[arg-type]
    assert _refused(catalogue, application, command) == ("reason",)


def test_a_reason_code_is_kept_as_given(catalogue: Catalogue, application: Application) -> None:
    """A well-formed reason code is recorded exactly."""
    event = _decided(catalogue, application, Suspend(reason="court_order", actor=VERIFIER))
    assert isinstance(event, Suspended)
    assert event.reason == "court_order"


@pytest.mark.parametrize(
    ("reference", "currency", "amount", "fields"),
    [
        ("BILL-1\n", "IDR", "1500", ("reference",)),
        ("BILL 1", "IDR", "1500", ("reference",)),
        ("BILL-1", "IDR\n", "1500", ("currency",)),
        ("BILL-1", "idr", "1500", ("currency",)),
        ("BILL-1", "IDR", True, ("amount",)),
        ("BILL-1", "IDR", 1.5, ("amount",)),
        (["BILL-1"], "IDR", "1500", ("reference",)),
    ],
    ids=["newline", "space", "currency newline", "lower case", "bool", "float", "a list"],
)
def test_a_payment_is_refused_field_by_field(
    catalogue: Catalogue,
    application: Application,
    reference: object,
    currency: object,
    amount: object,
    fields: tuple[str, ...],
) -> None:
    """A payment reference is a key, the currency an ISO 4217 code, the amount never a bool."""
    command = RecordPayment(
        reference=reference,  # type: ignore[arg-type]
        amount=amount,
        currency=currency,  # type: ignore[arg-type]
        actor=VERIFIER,
    )
    assert _refused(catalogue, application, command) == fields


def test_a_payment_is_recorded_exactly(catalogue: Catalogue, application: Application) -> None:
    """A payment with a visible-ASCII reference is recorded with its reference, case kept."""
    command = RecordPayment(reference="Bill-1/A", amount="1500.50", currency="IDR", actor=VERIFIER)
    event = _decided(catalogue, application, command)
    assert isinstance(event, PaymentRecorded)
    assert (event.reference, event.amount) == ("Bill-1/A", Decimal("1500.50"))


@pytest.mark.parametrize(
    ("given", "kept"),
    [(Visibility.APPLICANT, Visibility.APPLICANT), ("internal", Visibility.INTERNAL)],
)
def test_a_visibility_is_the_enum_or_its_value(
    catalogue: Catalogue, application: Application, given: object, kept: Visibility
) -> None:
    """A note's visibility may be given as the enum or as its value."""
    command = AddNote(text="call back", visibility=given, actor=VERIFIER)  # type: ignore[arg-type]
    event = _decided(catalogue, application, command)
    assert isinstance(event, NoteAdded)
    assert event.visibility is kept


@pytest.mark.parametrize("visibility", ["secret", "INTERNAL", 1, None, ["internal"]])
def test_a_bad_visibility_is_an_invalid_application(
    catalogue: Catalogue, application: Application, visibility: object
) -> None:
    """Any other visibility is refused with a problem at 'visibility', not a ValueError."""
    command = AddNote(text="call back", visibility=visibility, actor=VERIFIER)  # type: ignore[arg-type]
    assert _refused(catalogue, application, command) == ("visibility",)


@pytest.mark.parametrize("verdict", ["approved", "VERIFIED", 1, None, ("verified",)])
def test_a_bad_verdict_is_an_invalid_application(
    catalogue: Catalogue, application: Application, verdict: object
) -> None:
    """A verdict that is neither Verdict nor one of its values is refused at 'verdict'."""
    command = CheckDocument(requirement="ktp", verdict=verdict, actor=VERIFIER)  # type: ignore[arg-type]
    assert _refused(catalogue, application, command) == ("verdict",)


def test_a_verdict_may_be_given_by_value(catalogue: Catalogue, application: Application) -> None:
    """'verified' is Verdict.VERIFIED."""
    command = CheckDocument(requirement="ktp", verdict="verified", actor=VERIFIER)  # type: ignore[arg-type]
    assert CheckDocument(requirement="ktp", verdict=Verdict.VERIFIED, actor=VERIFIER) == command
    _decided(catalogue, application, command)


@pytest.mark.parametrize("requirement", [["ktp"], {"ktp": 1}, "KTP\n", "k" * 65, 7])
def test_a_bad_requirement_code_is_an_invalid_application(
    catalogue: Catalogue, application: Application, requirement: object
) -> None:
    """The requirement a verdict is for is a catalogue code; an unhashable one is no TypeError."""
    command = CheckDocument(requirement=requirement, verdict=Verdict.VERIFIED, actor=VERIFIER)  # type: ignore[arg-type]
    assert _refused(catalogue, application, command) == ("requirement",)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "a\x00b", "a\x1bb", "\ud800", "x" * (MAX_NOTE + 1), 42, None],
    ids=["empty", "blank", "NUL", "escape", "lone surrogate", "too long", "int", "none"],
)
def test_a_note_is_storable_text(
    catalogue: Catalogue, application: Application, text: object
) -> None:
    """A note is text of at most MAX_NOTE characters with no control character but line breaks."""
    command = AddNote(text=text, visibility=Visibility.INTERNAL, actor=VERIFIER)  # type: ignore[arg-type]
    assert _refused(catalogue, application, command) == ("text",)


def test_a_note_keeps_its_line_breaks(catalogue: Catalogue, application: Application) -> None:
    """Line breaks and tabs are part of a note and are kept."""
    text = "Applicant called.\r\n\tWill bring the original."
    command = AddNote(text=text, visibility=Visibility.INTERNAL, actor=VERIFIER)
    event = _decided(catalogue, application, command)
    assert isinstance(event, NoteAdded)
    assert event.text.reveal() == text


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (Act(action=["send_back"], actor=VERIFIER), "action"),  # type: ignore[arg-type]
        (Act(action="send_back", actor=VERIFIER, inputs=["reason"]), "inputs"),  # type: ignore[arg-type]
        (Act(action="send_back", actor=VERIFIER, inputs={"reason": "a\x00b"}), "inputs.reason"),
        (Act(action="send_back", actor=VERIFIER, inputs={"reason": 5}), "inputs.reason"),
        (Withdraw(actor=CITIZEN, reason="changed mind"), "reason"),
        (Assign(assignee=7, actor=VERIFIER), "assignee"),  # type: ignore[arg-type]
        (AttachDocument(document="ktp.pdf", actor=CITIZEN), "document"),
        ("verify", "command"),
        (None, "command"),
    ],
    ids=[
        "action not text",
        "inputs not a mapping",
        "input with NUL",
        "input not text",
        "reason with a space",
        "assignee not text",
        "document not a reference",
        "a string for a command",
        "none",
    ],
)
def test_malformed_commands_are_invalid_applications(
    catalogue: Catalogue, application: Application, command: object, field: str
) -> None:
    """Whatever is wrong with a command's values is an InvalidApplication naming the field."""
    assert _refused(catalogue, application, command) == (field,)


@pytest.mark.parametrize("size", [-1, 2**63, 10**5000], ids=["-1", "2**63", "huge"])
def test_a_document_size_is_a_storable_count_of_bytes(
    catalogue: Catalogue, application: Application, size: object
) -> None:
    """A document's size is an int from 0 to 2**63 - 1 (its type is checked when the
    reference is built), never echoed when huge."""
    ref = attrs.evolve(document("foto", "pas-foto", b"photo"), content=None)
    command = AttachDocument(document=attrs.evolve(ref, size=size), actor=CITIZEN)
    with pytest.raises(InvalidApplication) as caught:
        decide(application, command, catalogue=catalogue, at=START)
    assert caught.value.fields == ("document.size",)
    assert "0000000000" not in str(caught.value)


_HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.binary(max_size=8),
    st.lists(st.text(max_size=4), max_size=3),
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2),
)

_COMMANDS: list[Callable[..., object]] = [
    lambda a, b: Act(action=a, actor=VERIFIER, inputs=b),
    lambda a, b: CheckDocument(requirement=a, verdict=b, actor=VERIFIER, reason=a),
    lambda a, b: AddNote(text=a, visibility=b, actor=VERIFIER),
    lambda a, _: Assign(assignee=a, actor=VERIFIER),
    lambda a, _: Suspend(reason=a, actor=VERIFIER),
    lambda a, _: Withdraw(reason=a, actor=CITIZEN),
    lambda a, b: RecordPayment(reference=a, amount=b, currency=a, actor=VERIFIER),
    lambda a, _: AttachDocument(document=a, actor=CITIZEN),
]


@settings(max_examples=300, deadline=None)
@given(which=st.integers(0, len(_COMMANDS) - 1), first=_HOSTILE, second=_HOSTILE)
def test_any_hostile_value_is_refused_with_an_onestop_error(
    catalogue: Catalogue, application: Application, which: int, first: object, second: object
) -> None:
    """Whatever a command is built from, decide returns events or raises an OnestopError."""
    try:
        command = _COMMANDS[which](first, second)
        decide(application, command, catalogue=catalogue, at=START)  # type: ignore[arg-type]
    except OnestopError:
        pass


def test_the_mall_refuses_a_bad_verdict_or_visibility_with_a_typed_error(mall: Mall) -> None:
    """Through the Mall too, 'bogus' as a verdict or a visibility is an InvalidApplication."""
    app_id = mall.submit(
        "izin-usaha",
        channel="online",
        applicant=CANARY.person(),
        answers=answers(CANARY),
        documents=documents(),
        actor=CITIZEN,
    ).application_id
    with pytest.raises(InvalidApplication) as verdict:
        mall.check_document(app_id, "ktp", verdict="bogus", actor=VERIFIER)
    with pytest.raises(InvalidApplication) as visibility:
        mall.add_note(app_id, "call back", visibility="bogus", actor=VERIFIER)
    assert (verdict.value.fields, visibility.value.fields) == (("verdict",), ("visibility",))
    noted = mall.add_note(app_id, "call back", visibility="applicant", actor=VERIFIER)
    assert noted.notes[-1].visibility is Visibility.APPLICANT


def _submit(catalogue: Catalogue, **changes: object) -> object:
    arguments: dict[str, object] = {
        "application_id": "app-1",
        "number": "N/1",
        "service": "izin-usaha",
        "channel": ChannelKind.ONLINE,
        "applicant": CANARY.person(),
        "answers": answers(CANARY),
        "documents": tuple(documents()),
        "actor": CITIZEN,
        "secret_digest": "0" * 64,
        **changes,
    }
    [event] = decide(None, Submit(**arguments), catalogue=catalogue, at=START)  # type: ignore[arg-type]
    return event


def test_a_person_built_directly_is_checked_and_normalised_on_submission(
    catalogue: Catalogue,
) -> None:
    """A Person() that skipped Person.of is checked at submission, and its contacts normalised."""
    person = attrs.evolve(CANARY.person(), phone=Personal("0812-3456-7890"))
    with pytest.raises(InvalidApplication) as caught:
        _submit(catalogue, applicant=person)
    assert caught.value.fields == ("applicant.phone",)
    spaced = attrs.evolve(CANARY.person(), phone=Personal("+62 812-3456-7890"))
    event = _submit(catalogue, applicant=spaced)
    assert event.applicant.phone == Personal("+6281234567890")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"application_id": "app-1\n"}, "application_id"),
        ({"application_id": "app 1"}, "application_id"),
        ({"number": "N/1\r\n"}, "number"),
        ({"secret_digest": "0" * 63}, "secret_digest"),
        ({"idempotency_digest": "A" * 64}, "idempotency_digest"),
        ({"documents": "ktp.pdf"}, "documents[0]"),
    ],
)
def test_the_ids_a_submission_is_recorded_under_are_checked(
    catalogue: Catalogue, changes: dict[str, object], field: str
) -> None:
    """Stream id, number and digests have their formats; a bad one is named, not stored."""
    with pytest.raises(InvalidApplication) as caught:
        _submit(catalogue, **changes)
    assert field in caught.value.fields
