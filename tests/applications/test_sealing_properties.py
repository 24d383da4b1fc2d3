"""Sealing round-trips any personal value, and erasing one subject leaves the others readable."""

from __future__ import annotations

from typing import Any

import attrs
from application_support import (
    CATALOGUE,
    CITIZEN,
    START,
    CountingIds,
    ManualClock,
    answers,
    documents,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.domain.applications.application import NoteAdded, Submitted, Visibility
from onestop.domain.common.parties import Person, Personal, Representative
from onestop.domain.common.subjects import subject_id
from onestop.storage.memory import MemoryStore
from onestop.usecases import streams
from onestop.usecases.applications.codec import APPLICATIONS
from onestop.usecases.catalogue.loading import load_catalogue
from onestop.usecases.mall import Mall
from sealing_support import FakeKeys

APP = "app-0001"
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)


def _base() -> Submitted:
    mall = Mall(
        catalogue=load_catalogue(CATALOGUE),
        store=MemoryStore(),
        clock=ManualClock(START),
        ids=CountingIds(),
    )
    receipt = mall.submit(
        "izin-usaha",
        channel="online",
        applicant=Person.of(identity_number="3171011708450001", identity_scheme="id-nik", name="A"),
        answers=answers(),
        documents=documents(),
        actor=CITIZEN,
    )
    first = mall.application(receipt.application_id).events[0]
    assert isinstance(first, Submitted)
    return first


BASE = _base()


def _person(number: str, name: str, address: str | None) -> Person:
    return Person(
        identity_number=Personal(number),
        identity_scheme="id-nik",
        name=Personal(name),
        address=None if address is None else Personal(address),
    )


@st.composite
def _events(draw: Any) -> tuple[Submitted, NoteAdded]:
    applicant = _person(draw(TEXT), draw(TEXT), draw(st.none() | TEXT))
    helper = _person(draw(TEXT), draw(TEXT), draw(st.none() | TEXT))
    submitted = attrs.evolve(
        BASE,
        application_id=APP,
        applicant=applicant,
        representative=Representative(person=helper, authorisation="kuasa-1"),
        answers={"business_name": draw(TEXT), "remarks": draw(TEXT)},
    )
    note = NoteAdded(text=Personal(draw(TEXT)), visibility=Visibility.INTERNAL, actor="o", at=START)
    return submitted, note


def _round_trip(events: tuple[Any, ...], keys: FakeKeys) -> list[Any]:
    bodies = [
        streams.encode(APPLICATIONS, APP, e, keys=keys, subject=subject_id(APP)) for e in events
    ]
    return [
        streams.decode(APPLICATIONS, APP, e.kind, body, keys=keys)
        for e, body in zip(events, bodies, strict=True)
    ]


@settings(max_examples=60, deadline=None)
@given(_events())
def test_sealed_events_decode_to_themselves(events: tuple[Submitted, NoteAdded]) -> None:
    """Any Unicode personal values, sealed and opened with the same keys, come back equal."""
    keys = FakeKeys()

    assert _round_trip(events, keys) == list(events)


@settings(max_examples=60, deadline=None)
@given(_events())
def test_an_erased_subject_is_unreadable_and_the_other_readable(
    events: tuple[Submitted, NoteAdded],
) -> None:
    """Erasing the applicant erases their fields, answers and notes, not the representative."""
    keys = FakeKeys()
    bodies = [
        streams.encode(APPLICATIONS, APP, e, keys=keys, subject=subject_id(APP)) for e in events
    ]
    keys.erase(subject_id(APP))

    submitted, note = (
        streams.decode(APPLICATIONS, APP, e.kind, body, keys=keys)
        for e, body in zip(events, bodies, strict=True)
    )

    assert isinstance(submitted, Submitted)
    assert isinstance(submitted.applicant, Person)
    assert isinstance(note, NoteAdded)
    applicant = submitted.applicant
    assert all(p.is_erased for p in (applicant.identity_number, applicant.name, note.text))
    assert applicant.address is None or applicant.address.is_erased
    assert dict(submitted.answers) == {}
    assert submitted.representative == events[0].representative
