"""GeoReport v2 error bodies for onestop's exceptions (`open311_errors`, `open311_status`)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from open311_support import AT, CATALOGUE, NIK, form

from onestop.exceptions import (
    AgencyNotFound,
    ApplicationNotFound,
    ChannelNotOffered,
    CommandRefused,
    ConcurrencyConflict,
    DocumentTooLarge,
    IdempotencyConflict,
    InvalidApplication,
    InvalidIdentityNumber,
    InvalidValue,
    Problem,
    ServiceNotFound,
    StorageUnavailable,
    UnknownIdentityScheme,
    UnsupportedMediaType,
)
from onestop.interop.open311_forms import parse_request_form
from onestop.interop.open311_requests import MAX_ERRORS, open311_errors, open311_status


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ServiceNotFound("izin-x"), 404),
        (AgencyNotFound("atlantis"), 404),
        (ApplicationNotFound("app-1"), 404),
        (InvalidApplication([Problem(path="first_name", message="is required")]), 400),
        (InvalidValue(field="fields", reason="expected a mapping"), 400),
        (ChannelNotOffered(service="s", channel="online", offered=["counter"]), 400),
        (CommandRefused(command="submit", reason="no workflow"), 400),
        (InvalidIdentityNumber(scheme="id-nik", problems=["bad"]), 400),
        (UnknownIdentityScheme("xx-yy"), 400),
        (IdempotencyConflict(application_id="app-1"), 422),
        (ConcurrencyConflict(stream_id="s", expected=1, actual=2), 409),
        (StorageUnavailable("down"), 503),
        (DocumentTooLarge(limit=10, size=11), 413),
        (UnsupportedMediaType(declared="a/b", sniffed=None, reason="no"), 415),
        (RuntimeError("boom"), 500),
        (KeyError("secret"), 500),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_each_error_has_its_status_in_every_entry(error: BaseException, status: int) -> None:
    """The HTTP status and every entry's code agree, and match the kind of error."""
    body = open311_errors(error)
    assert open311_status(error) == status
    assert body
    assert all(entry["code"] == status for entry in body)
    assert all(set(entry) == {"code", "description"} for entry in body)


def test_an_unknown_error_says_nothing_of_itself() -> None:
    """A bug's message (which may hold anything) never reaches the client."""
    body = open311_errors(RuntimeError(f"leaked {NIK}"))
    assert NIK not in json.dumps(body)


def test_an_invalid_application_lists_each_problem_by_its_georeport_name() -> None:
    """Our paths become the form's keys: answers.x -> attribute[x], applicant.name -> first_name."""
    error = InvalidApplication(
        [
            Problem(path="answers.floor_area", message="must be at least 1"),
            Problem(path="applicant.name", message="is empty"),
            Problem(path="applicant.identity_number", message="not a valid id-nik number"),
        ]
    )
    assert [entry["description"] for entry in open311_errors(error)] == [
        "attribute[floor_area]: must be at least 1",
        "first_name: is empty",
        "attribute[applicant.identity_number]: not a valid id-nik number",
    ]


def test_the_entries_are_capped() -> None:
    """At most MAX_ERRORS entries, then one saying how many more."""
    error = InvalidApplication(
        [Problem(path=f"p{i}", message="bad") for i in range(MAX_ERRORS + 7)]
    )
    body = open311_errors(error)
    assert len(body) == MAX_ERRORS + 1
    assert body[-1]["description"] == "and 7 more problem(s)"


def test_a_service_not_found_does_not_echo_the_code_sent() -> None:
    """The code a client typed (it could be anything) is not repeated in the body."""
    assert NIK not in json.dumps(open311_errors(ServiceNotFound(NIK)))


def test_a_refused_form_gives_a_body_without_its_values() -> None:
    """The parser's refusal of a form full of personal data gives a body free of it."""
    fields = form(email=f"{NIK} at home", phone=NIK, **{"attribute[floor_area]": f"{NIK}x"})
    with pytest.raises(InvalidApplication) as caught:
        parse_request_form(fields, catalogue=CATALOGUE, at=AT)
    body = open311_errors(caught.value)
    assert len(body) == 3
    assert NIK not in json.dumps(body)


@settings(max_examples=200, deadline=None)
@given(st.text(), st.text())
def test_descriptions_are_one_short_printable_line(path: str, message: str) -> None:
    """Whatever a problem holds, each description is one printable line of at most 300 chars."""
    for entry in open311_errors(InvalidApplication([Problem(path=path, message=message)])):
        text = entry["description"]
        assert isinstance(text, str)
        assert len(text) <= 300
        assert text.isprintable()
