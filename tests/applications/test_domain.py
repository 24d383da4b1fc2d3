"""The pure application domain: form checks, folding events, deciding, projecting, encoding."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import attrs
import pytest
from application_support import CITIZEN, START, WIB, Canary, answers, document, documents, officer
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.applications.application import Application, NoteAdded, Submitted, Visibility
from onestop.domain.applications.commands import AddNote, Submit, decide, find_workflow
from onestop.domain.applications.forms import check_answer, check_submission, requirement_statuses
from onestop.domain.applications.tracking import public_status
from onestop.domain.catalogue.model import Catalogue, ChannelKind, FieldType, FormField
from onestop.domain.common.formats import text_problem
from onestop.domain.common.parties import Organisation, Personal, Representative
from onestop.domain.common.text import LocalizedText
from onestop.domain.time.calendar import WorkCalendar
from onestop.exceptions import CommandRefused, InvalidApplication, StorageError
from onestop.usecases.applications.codec import decode_event, encode_event, notice

CANARY = Canary.new()


def _submitted(catalogue: Catalogue, **overrides: object) -> Submitted:
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
    }
    arguments.update(overrides)
    [event] = decide(None, Submit(**arguments), catalogue=catalogue, at=START)  # type: ignore[arg-type]
    assert isinstance(event, Submitted)
    return event


def test_numbers_dates_and_choices_are_normalised(catalogue: Catalogue) -> None:
    """Decimal strings become Decimals, ISO dates become dates, choice lists become tuples."""
    service = catalogue.service("izin-usaha", at=START)
    submission = check_submission(
        service,
        ChannelKind.ONLINE,
        answers(floor_area="36.50", birth_date="1985-03-17", activities=["food"], has_npwp=None),
        documents(),
    )

    assert submission.answers["floor_area"] == Decimal("36.50")
    assert submission.answers["birth_date"] == date(1985, 3, 17)
    assert submission.answers["activities"] == ("food",)
    assert "has_npwp" not in submission.answers
    assert all(d.content is None for d in submission.documents)


def test_requirements_explain_why_they_apply(catalogue: Catalogue) -> None:
    """Each requirement says whether it applies to the answers, and why."""
    service = catalogue.service("izin-usaha", at=START)

    statuses = requirement_statuses(service, ChannelKind.ONLINE, answers(has_npwp=True))

    assert [(s.code, s.applies) for s in statuses] == [
        ("ktp", True),
        ("npwp", True),
        ("akta", False),
        ("foto", True),
    ]
    assert "false" in statuses[2].explanation.text


def test_document_field_checks_evidence_type(catalogue: Catalogue) -> None:
    """A document answer must be a DocumentRef of the field's evidence type."""
    photo = FormField(
        name="photo",
        label=LocalizedText.of(en="Photo"),
        type=FieldType.DOCUMENT,
        evidence_type="pas-foto",
    )
    good = document("photo", "pas-foto", b"face")

    assert check_answer(photo, good) == (good.without_content(), None)
    assert check_answer(photo, document("photo", "ktp-el", b"card"))[1] == (
        "expected a document of evidence type 'pas-foto'"
    )
    assert check_answer(photo, "face.jpg")[1] == "expected a DocumentRef, got text"


def test_a_stream_must_start_with_submission() -> None:
    """Folding events that do not start with Submitted is refused."""
    note = NoteAdded(text=Personal("x"), visibility=Visibility.INTERNAL, actor="a", at=START)
    with pytest.raises(CommandRefused):
        Application.from_events([note])
    with pytest.raises(CommandRefused):
        Application.from_events([])


def test_deciding_changes_nothing(catalogue: Catalogue) -> None:
    """A command returns events; the application it was decided on is unchanged."""
    application = Application.from_events([_submitted(catalogue)])
    before = attrs.asdict(application, recurse=False)

    events = decide(
        application,
        AddNote(text="checked", visibility=Visibility.INTERNAL, actor=officer("v", "verifier")),
        catalogue=catalogue,
        at=START,
    )

    assert len(events) == 1
    assert attrs.asdict(application, recurse=False) == before


def test_reprs_hide_personal_data(catalogue: Catalogue) -> None:
    """Events, applications and commands show no answers, applicant or note text."""
    event = _submitted(catalogue)
    application = Application.from_events([event])
    note = NoteAdded(text=Personal(CANARY.nik), visibility=Visibility.INTERNAL, actor="a", at=START)

    text = repr(event) + repr(application) + repr(note)

    assert CANARY.leaks(text) == []


def test_submission_needs_an_aware_time(catalogue: Catalogue) -> None:
    """Deciding at a naive instant is refused."""
    with pytest.raises(ValueError, match="at"):
        decide(
            None,
            Submit(
                application_id="a",
                number="n",
                service="izin-usaha",
                channel="online",
                applicant=CANARY.person(),
                answers=answers(),
                documents=documents(),
                actor=CITIZEN,
                secret_digest="0" * 64,
            ),
            catalogue=catalogue,
            at=datetime(2025, 7, 14, 9, 0),  # noqa: DTZ001 - the point of the test
        )


def test_expired_representative_is_refused(catalogue: Catalogue) -> None:
    """A representative whose authorisation has expired cannot submit for the applicant."""
    expired = Representative(
        person=Canary.new().person(), authorisation="sk-1", valid_until=date(2025, 7, 13)
    )
    with pytest.raises(InvalidApplication) as caught:
        _submitted(catalogue, representative=expired)
    assert caught.value.fields == ("representative.valid_until",)


def test_public_status_falls_back_to_the_catalogue_language(catalogue: Catalogue) -> None:
    """A language the catalogue lacks falls back to its first language."""
    application = Application.from_events([_submitted(catalogue)])
    workflow = find_workflow(catalogue, "licence", 1)

    status = public_status(
        application,
        catalogue=catalogue,
        workflow=workflow,
        deadline=application.deadline(WorkCalendar(time_zone="Asia/Jakarta")),
        language="km",
    )

    assert (status.label, status.service_name) == ("Diajukan", "Izin usaha")
    assert status.due == datetime(2025, 7, 21, 16, 0, tzinfo=WIB)


def test_every_event_round_trips(catalogue: Catalogue) -> None:
    """Encoding then decoding an event gives it back, for people and organisations alike."""
    company = Organisation(
        business_number="9120001234567", name="PT Uji", contact_person=CANARY.person()
    )
    helper = Representative(person=Canary.new().person(), authorisation="sk-1")
    for event in (
        _submitted(catalogue),
        _submitted(
            catalogue,
            applicant=company,
            representative=helper,
            answers=answers(applicant_type="company", floor_area=Decimal("1.50")),
            documents=(*documents(), document("akta", "akta-pendirian", b"deed")),
        ),
    ):
        assert decode_event("app-1", "submitted", encode_event("app-1", event)) == event


def test_corrupt_bodies_are_storage_errors(catalogue: Catalogue) -> None:
    """A body that is not JSON, from another stream, or of another kind raises StorageError."""
    body = encode_event("app-1", _submitted(catalogue))
    for stream, kind, data in (
        ("app-1", "submitted", b"{not json"),
        ("app-2", "submitted", body),
        ("app-1", "withdrawn", body),
        ("app-1", "submitted", body.replace(b'"service_version":1', b'"service_version":"x"')),
    ):
        with pytest.raises(StorageError) as caught:
            decode_event(stream, kind, data)
        assert CANARY.leaks(str(caught.value)) == []


def test_notice_is_thin(catalogue: Catalogue) -> None:
    """A notification body names the application and service, never the applicant."""
    event = _submitted(catalogue)

    body = notice(Application.from_events([event]), event, 1).decode()

    assert '"number":"N/1"' in body
    assert '"channel":"online"' in body
    assert CANARY.leaks(body) == []


@given(text=st.text(min_size=1, max_size=50))
def test_any_text_answer_round_trips(catalogue: Catalogue, text: str) -> None:
    """Text an applicant types comes back from the store unchanged, or is refused up front.

    A one-line text answer holds no control character and no lone surrogate; anything
    else is an InvalidApplication naming the field, never a failure in the store.
    """
    if not text.strip():
        return
    if text_problem(text, max_length=1_000) is not None:
        with pytest.raises(InvalidApplication) as caught:
            _submitted(catalogue, answers=answers(business_name=text))
        assert caught.value.fields == ("answers.business_name",)
        return
    event = _submitted(catalogue, answers=answers(business_name=text))

    decoded = decode_event("app-1", "submitted", encode_event("app-1", event))

    assert isinstance(decoded, Submitted)
    assert decoded.answers["business_name"] == text
