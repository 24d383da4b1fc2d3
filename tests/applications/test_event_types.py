"""Events and applications check the types of their fields when built, never their formats.

An event is built by a command from checked values, or rebuilt from stored history.  A
wrong type is refused when it is built, with `InvalidValue` naming the field, so that
nothing reading it later fails with an `AttributeError`; formats are the commands'
business, so history stored under a looser check keeps loading
(``test_actor_ids.test_a_history_written_before_ids_were_checked_still_loads``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from application_support import CITIZEN, START, Canary, answers, documents
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.domain.applications.application import (
    ActionTaken,
    Application,
    DocumentAttached,
    DocumentChecked,
    Event,
    NoteAdded,
    PaymentRecorded,
    Submitted,
    Verdict,
    Visibility,
)
from onestop.domain.catalogue.model import ChannelKind
from onestop.domain.common.parties import Personal
from onestop.domain.common.values import Duration
from onestop.domain.workflow.model import ClockMode
from onestop.exceptions import InvalidValue, NaiveDatetime, OnestopError
from onestop.usecases.applications.codec import decode_event, encode_event
from onestop.usecases.mall import Mall

CANARY = Canary.new()


@pytest.fixture
def submitted(mall: Mall) -> Submitted:
    """The `Submitted` event of a real application, with answers and documents."""
    receipt = mall.submit(
        "izin-usaha",
        channel="online",
        applicant=CANARY.person(),
        answers=answers(CANARY),
        documents=documents(),
        actor=CITIZEN,
    )
    first = mall.application(receipt.application_id).events[0]
    assert isinstance(first, Submitted)
    return first


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("documents", "pending"),
        ("documents", ["pending"]),
        ("answers", [("business_name", "x")]),
        ("answers", {"opened": datetime(2025, 1, 1, tzinfo=START.tzinfo)}),
        ("answers", {3: "x"}),
        ("required", "ktp"),
        ("channel", "online"),
        ("clock", "running"),
        ("time_limit", "5 working days"),
        ("service_version", True),
        ("workflow_version", 2**63),
        ("applicant", "Ani"),
        ("representative", CITIZEN),
        ("secret_digest", b"0" * 64),
        ("actor", None),
        ("at", date(2025, 7, 14)),
    ],
)
def test_a_submitted_event_refuses_a_field_of_the_wrong_type(
    submitted: Submitted, field: str, value: object
) -> None:
    """A field of the wrong type is InvalidValue naming it, not a crash in a converter."""
    with pytest.raises(InvalidValue) as caught:
        attrs.evolve(submitted, **{field: value})
    assert caught.value.field.split("[")[0] == field


def test_an_event_refuses_a_naive_instant(submitted: Submitted) -> None:
    """An event's instant must have a time zone."""
    with pytest.raises(NaiveDatetime):
        attrs.evolve(submitted, at=datetime(2025, 7, 14, 9))  # noqa: DTZ001 - naive on purpose


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (
            lambda: DocumentChecked(requirement="ktp", verdict="verified", actor="o", at=START),
            "verdict",
        ),
        (
            lambda: PaymentRecorded(reference="r", amount=1.5, currency="IDR", actor="o", at=START),
            "amount",
        ),
        (
            lambda: ActionTaken(
                action="a", source="s", target="t", clock="running", actor="o", at=START
            ),
            "clock",
        ),
        (lambda: DocumentAttached(document="ktp.pdf", actor="o", at=START), "document"),
    ],
    ids=["verdict as text", "amount as float", "clock as text", "document as text"],
)
def test_an_enum_an_amount_or_a_document_must_have_its_type(make: Any, field: str) -> None:
    """Enum fields take members, not their values; an amount is a Decimal, never a float."""
    with pytest.raises(InvalidValue) as caught:
        make()
    assert caught.value.field == field


EXAMPLES: dict[str, Event] = {
    "submitted": Submitted(
        application_id="app-1",
        number="dpmptsp/izin-usaha/2025/000001",
        service="izin-usaha",
        service_version=1,
        agency="dpmptsp",
        channel=ChannelKind.ONLINE,
        workflow="izin",
        workflow_version=1,
        state="submitted",
        clock=ClockMode.RUNNING,
        time_limit=Duration.working_days(5),
        answers={
            "business_name": "Warung",
            "floor_area": Decimal("36.5"),
            "employees": 3,
            "has_npwp": False,
            "activities": ("food", "retail"),
            "birth_date": date(1985, 8, 17),
        },
        documents=documents(),
        required=("ktp", "foto"),
        applicant=CANARY.person(),
        secret_digest="0" * 64,
        actor="citizen-7",
        role="applicant",
        at=START,
    ),
    "action_taken": ActionTaken(
        action="verify",
        source="a",
        target="b",
        clock=ClockMode.RUNNING,
        inputs={"reason": "x"},
        effects=("notify_applicant",),
        actor="o",
        at=START,
    ),
    "document_attached": DocumentAttached(document=documents()[0], actor="o", at=START),
    "document_checked": DocumentChecked(
        requirement="ktp", verdict=Verdict.REJECTED, reason="blurry", actor="o", at=START
    ),
    "note_added": NoteAdded(
        text=Personal("n"), visibility=Visibility.INTERNAL, actor="o", at=START
    ),
    "payment_recorded": PaymentRecorded(
        reference="r-1", amount=Decimal("15000"), currency="IDR", actor="o", at=START
    ),
}

HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
    st.binary(max_size=8),
    st.dates(),
    st.datetimes(),
    st.decimals(allow_nan=False),
    st.lists(st.text(max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.iterables(st.text(max_size=3), max_size=3),
)


@settings(max_examples=1000)
@given(data=st.data())
def test_any_field_of_an_event_is_refused_typed_or_kept_and_read_back(
    data: st.DataObject,
) -> None:
    """Whatever replaces one field of an event, it is refused with an OnestopError, or the
    event is kept and reads back equal from its stored bytes."""
    kind = data.draw(st.sampled_from(sorted(EXAMPLES)))
    event = EXAMPLES[kind]
    field = data.draw(st.sampled_from([f.name for f in attrs.fields(type(event)) if f.init]))
    value = data.draw(HOSTILE)
    try:
        changed = attrs.evolve(event, **{field: value})
        body = encode_event("app-1", changed)
    except OnestopError:
        return
    assert decode_event("app-1", kind, body) == changed


def test_an_application_built_directly_equals_the_folded_one(
    mall: Mall, submitted: Submitted
) -> None:
    """The constructor, which checks every field, accepts exactly what folding produces."""
    folded = mall.application(submitted.application_id)
    values = {f.name: getattr(folded, f.name) for f in attrs.fields(Application) if f.init}
    built = Application(**values)
    assert built == folded
    assert built.pauses() == folded.pauses()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("channel", "online"),
        ("events", ()),
        ("events", "submitted"),
        ("documents", {"ktp": "pending"}),
        ("checks", ["verified"]),
        ("version", 0),
        ("received", date(2025, 7, 14)),
    ],
)
def test_an_application_refuses_a_field_of_the_wrong_type(
    mall: Mall, submitted: Submitted, field: str, value: object
) -> None:
    """An application built by hand checks its fields as its events do."""
    folded = mall.application(submitted.application_id)
    with pytest.raises(InvalidValue) as caught:
        attrs.evolve(folded, **{field: value})
    assert caught.value.field.split("[")[0] == field


def test_an_application_holds_one_submitted_event_first(mall: Mall, submitted: Submitted) -> None:
    """Events that do not start with Submitted, or hold two, are refused."""
    folded = mall.application(submitted.application_id)
    for events in ((submitted, submitted), (EXAMPLES["note_added"], submitted)):
        with pytest.raises(InvalidValue):
            attrs.evolve(folded, events=events)
