"""Applications as Open311 GeoReport v2 service requests (`request_entry`, `created_entry`)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from open311_support import (
    CATALOGUE,
    EMAIL,
    NAME,
    NIK,
    PHONE,
    STATE_OF_KIND,
    in_kind,
    moved,
    status_of,
    submitted,
    with_event,
)

from onestop.domain.applications.application import Application
from onestop.domain.common.text import LocalizedText
from onestop.domain.workflow.model import StateKind
from onestop.exceptions import InvalidCatalogue, InvalidValue
from onestop.interop.open311_requests import LOCATION_KEYS, created_entry, request_entry

W3C = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")
SPEC_KEYS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    *LOCATION_KEYS,
}
NOTE_KEYS = {"state", "label", "language", "closed", "suspended", "paused", "due"}
OPEN_KINDS = (
    StateKind.INITIAL,
    StateKind.ACTIVE,
    StateKind.WAITING_APPLICANT,
    StateKind.WAITING_AGENCY,
)


def entry_of(application: Application, language: str = "en") -> dict[str, Any]:
    """The request entry of *application* with its own status."""
    return request_entry(application, status=status_of(application, language), catalogue=CATALOGUE)


def notes_of(entry: dict[str, Any]) -> dict[str, Any]:
    """The structured status notes of *entry*."""
    assert isinstance(entry["status_notes"], str)
    notes = json.loads(entry["status_notes"])
    assert isinstance(notes, dict)
    return notes


def test_the_test_workflow_has_a_state_of_every_kind() -> None:
    """The mapping tests below cover every state kind, so the workflow must hold them all."""
    assert set(STATE_OF_KIND) == set(StateKind)


@pytest.mark.parametrize("kind", list(StateKind), ids=lambda k: k.value)
def test_every_state_kind_is_mapped_to_open_or_closed(kind: StateKind) -> None:
    """A state of a final kind is 'closed'; every other kind is 'open'."""
    entry = entry_of(in_kind(kind))
    assert entry["status"] == ("closed" if kind.is_final else "open")
    assert kind in OPEN_KINDS or kind.is_final


@pytest.mark.parametrize("kind", list(StateKind), ids=lambda k: k.value)
def test_the_status_notes_name_our_state_and_its_label(kind: StateKind) -> None:
    """status_notes is JSON text holding our state code and its public label."""
    application = in_kind(kind)
    notes = notes_of(entry_of(application))
    state = CATALOGUE.workflows[0].state(STATE_OF_KIND[kind])
    label = (state.public_label or state.label).get("en")
    assert (notes["state"], notes["label"], notes["closed"]) == (state.name, label, kind.is_final)


def test_a_withdrawn_application_is_closed_with_state_withdrawn() -> None:
    """Withdrawal closes an application in GeoReport, and the notes say 'withdrawn'."""
    entry = entry_of(with_event(in_kind(StateKind.ACTIVE), "withdrawn"))
    assert (entry["status"], notes_of(entry)["state"]) == ("closed", "withdrawn")


def test_a_suspended_application_stays_open_and_says_so() -> None:
    """A suspension leaves the request open; the notes carry suspended: true."""
    entry = entry_of(with_event(in_kind(StateKind.ACTIVE), "suspended"))
    assert (entry["status"], notes_of(entry)["suspended"]) == ("open", True)


def test_the_entry_has_exactly_the_spec_keys() -> None:
    """The entry holds the GeoReport v2 request keys and no others."""
    assert set(entry_of(submitted())) == SPEC_KEYS


def test_the_status_notes_have_exactly_the_documented_keys() -> None:
    """status_notes holds the keys the module documents, nothing more."""
    assert set(notes_of(entry_of(submitted()))) == NOTE_KEYS


def test_the_location_keys_and_description_are_null() -> None:
    """A mall has no incident location, and a description would be personal data."""
    entry = entry_of(submitted())
    assert all(entry[key] is None for key in (*LOCATION_KEYS, "description"))


def test_the_service_request_id_is_the_application_id_not_its_number() -> None:
    """service_request_id is the random application id; the number appears nowhere."""
    application = submitted("b7f3c2d9e1a04f5a")
    text = json.dumps(entry_of(application))
    assert entry_of(application)["service_request_id"] == "b7f3c2d9e1a04f5a"
    assert application.number not in text


def test_the_dates_are_w3c_with_the_agencys_offset() -> None:
    """Datetimes are written YYYY-MM-DDThh:mm:ss+07:00, in the agency's zone (Jakarta)."""
    entry = entry_of(moved(submitted(), "processing"))
    for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert W3C.fullmatch(entry[key]), key
        assert entry[key].endswith("+07:00")


def test_the_due_date_is_null_while_the_clock_is_paused() -> None:
    """Waiting on the applicant pauses the clock: no expected_datetime, due null."""
    entry = entry_of(in_kind(StateKind.WAITING_APPLICANT))
    assert (entry["expected_datetime"], notes_of(entry)["due"], notes_of(entry)["paused"]) == (
        None,
        None,
        True,
    )


def test_texts_are_in_the_language_served() -> None:
    """Service name, agency and label follow the status's language."""
    entry = request_entry(
        submitted(), status=status_of(submitted(), "id"), catalogue=CATALOGUE, language="id"
    )
    assert (entry["service_name"], entry["agency_responsible"], notes_of(entry)["label"]) == (
        "Izin usaha",
        "DPMPTSP",
        "Diajukan",
    )


def test_the_service_notice_names_what_the_service_issues() -> None:
    """service_notice lists the service's outputs in the language served."""
    assert entry_of(submitted())["service_notice"] == "Business licence letter"


def test_a_status_in_another_language_than_asked_is_refused() -> None:
    """Asking for 'en' with a status served in 'id' is an InvalidValue naming language."""
    with pytest.raises(InvalidValue) as caught:
        request_entry(
            submitted(), status=status_of(submitted(), "id"), catalogue=CATALOGUE, language="en"
        )
    assert caught.value.field == "language"


def test_the_status_of_another_application_is_refused() -> None:
    """A status whose number or closedness differs from the application's is refused."""
    other = attrs.evolve(status_of(submitted()), number="OTHER/1")
    with pytest.raises(InvalidValue) as caught:
        request_entry(submitted(), status=other, catalogue=CATALOGUE)
    assert caught.value.field == "status"


@pytest.mark.parametrize("bad", [None, "app", 3, object()])
def test_arguments_of_the_wrong_type_are_refused(bad: object) -> None:
    """An application that is not an Application raises InvalidValue, not AttributeError."""
    with pytest.raises(InvalidValue):
        request_entry(bad, status=status_of(submitted()), catalogue=CATALOGUE)  # type: ignore[arg-type]


def test_a_label_with_a_control_character_is_refused_as_a_catalogue_problem() -> None:
    """Text a catalogue built in Python smuggles in is refused, never written."""
    status = attrs.evolve(status_of(submitted()), service_name="Izin\x1busaha")
    with pytest.raises(InvalidCatalogue):
        request_entry(submitted(), status=status, catalogue=CATALOGUE)


def test_created_entry_holds_the_id_the_notice_and_no_account() -> None:
    """The POST answer's item names the new id, the service notice and account_id null."""
    service = CATALOGUE.service("izin-usaha", at=datetime.fromisoformat("2025-07-14T09:00+07:00"))
    entry = created_entry("app-0009", service=service, catalogue=CATALOGUE, language="id")
    assert entry == {
        "service_request_id": "app-0009",
        "service_notice": "Surat izin usaha",
        "account_id": None,
    }


def test_created_entry_of_a_service_issuing_nothing_has_no_notice() -> None:
    """A service with no outputs has service_notice null."""
    service = CATALOGUE.service(
        "izin-makassar", at=datetime.fromisoformat("2025-07-14T09:00+07:00")
    )
    assert created_entry("a", service=service, catalogue=CATALOGUE)["service_notice"] is None


STEPS = st.lists(
    st.sampled_from(
        [
            "processing",
            "returned",
            "consulting",
            "issued",
            "rejected",
            "suspended",
            "resumed",
            "withdrawn",
        ]
    ),
    max_size=6,
)


def walk(steps: list[str]) -> Application:
    """Apply *steps* in turn, skipping those that make no sense where the walk stands."""
    application = submitted()
    for step in steps:
        if application.is_closed:
            break
        if step in ("suspended", "resumed", "withdrawn"):
            if (step == "suspended") == application.is_suspended and step != "withdrawn":
                continue
            application = with_event(application, step)
        else:
            application = moved(application, step)
    return application


@settings(max_examples=150, deadline=None)
@given(STEPS, st.sampled_from(["en", "id"]))
def test_status_is_closed_exactly_when_the_application_is_closed(
    steps: list[str], language: str
) -> None:
    """Whatever happened, 'closed' means a final state or a withdrawal, and 'open' the rest."""
    application = walk(steps)
    entry = entry_of(application, language)
    assert (entry["status"] == "closed") == application.is_closed
    assert notes_of(entry)["suspended"] == application.is_suspended


@settings(max_examples=150, deadline=None)
@given(STEPS)
def test_no_entry_holds_personal_data_or_naive_dates(steps: list[str]) -> None:
    """No entry holds the applicant's identity number, name, phone or e-mail, and every
    date it writes carries an offset."""
    entry = entry_of(walk(steps))
    text = json.dumps(entry, ensure_ascii=False)
    assert not [needle for needle in (NIK, NAME, PHONE, EMAIL, "Warung Canary") if needle in text]
    for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert entry[key] is None or W3C.fullmatch(entry[key])
        assert entry[key] is None or datetime.fromisoformat(entry[key]).tzinfo is not None


@settings(max_examples=100, deadline=None)
@given(STEPS)
def test_updated_is_never_before_requested(steps: list[str]) -> None:
    """updated_datetime (the last public step) is never before requested_datetime."""
    entry = entry_of(walk(steps))
    requested = datetime.fromisoformat(entry["requested_datetime"])
    assert datetime.fromisoformat(entry["updated_datetime"]) >= requested


def test_an_agency_without_a_name_in_the_language_falls_back() -> None:
    """The agency's name falls back through the catalogue's languages."""
    agencies = tuple(
        attrs.evolve(a, name=LocalizedText.of(id="Hanya Indonesia")) if a.code == "dpmptsp" else a
        for a in CATALOGUE.agencies
    )
    catalogue = attrs.evolve(CATALOGUE, agencies=agencies)
    entry = request_entry(submitted(), status=status_of(submitted()), catalogue=catalogue)
    assert entry["agency_responsible"] == "Hanya Indonesia"


@pytest.mark.parametrize("bad", ["", "a b", "id\n", 7])
def test_created_entry_refuses_an_id_that_is_no_key(bad: object) -> None:
    """The new application's id must be a key, as the mall's ids are."""
    service = CATALOGUE.service(
        "izin-makassar", at=datetime.fromisoformat("2025-07-14T09:00+07:00")
    )
    with pytest.raises(InvalidValue) as caught:
        created_entry(bad, service=service, catalogue=CATALOGUE)  # type: ignore[arg-type]
    assert caught.value.field == "application_id"
