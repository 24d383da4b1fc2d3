"""Legal holds, the erasure record and the pure rules deciding whether data may be erased."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from application_support import CITIZEN, START, Canary, answers, documents, officer
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.domain.applications.application import (
    ActionTaken,
    Application,
    ErasureRecorded,
    Event,
    LegalHoldLifted,
    LegalHoldPlaced,
    Submitted,
)
from onestop.domain.applications.commands import (
    ErasePersonalData,
    LiftLegalHold,
    PlaceLegalHold,
    Submit,
    Withdraw,
    decide,
    find_workflow,
)
from onestop.domain.applications.erasure import (
    ErasureRule,
    erasure_due,
    erasure_refusal,
    retention_of,
    subjects_of,
)
from onestop.domain.applications.tracking import public_status
from onestop.domain.catalogue.model import Catalogue, ChannelKind
from onestop.domain.catalogue.retention import CalendarUnit, Retention, RetentionPeriod
from onestop.domain.workflow.model import ClockMode
from onestop.exceptions import (
    CommandRefused,
    ErasureRefused,
    InvalidApplication,
    InvalidValue,
    NaiveDatetime,
    RoleNotAllowed,
)
from onestop.usecases.applications.codec import decode_event, encode_event, notice

CANARY = Canary.new()
OFFICER = officer("officer-1", "verifier")
FIVE_YEARS = Retention(keep_after_closing=RetentionPeriod(5, CalendarUnit.YEARS))
ARCHIVE = Retention(archive=True)


def _submitted(catalogue: Catalogue) -> Submitted:
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
    [event] = decide(None, command, catalogue=catalogue, at=START)
    assert isinstance(event, Submitted)
    return event


def _rejected(at: datetime) -> ActionTaken:
    return ActionTaken(
        action="reject",
        source="processing",
        target="rejected",
        clock=ClockMode.STOPPED,
        inputs={"reason": "incomplete"},
        actor="officer-2",
        role="approver",
        at=at,
    )


def _hold(hold_id: str = "case-1", at: datetime = START) -> LegalHoldPlaced:
    return LegalHoldPlaced(hold_id=hold_id, reason="litigation", actor="officer-1", at=at)


def _erased(at: datetime = START) -> ErasureRecorded:
    return ErasureRecorded(
        subjects=("app-1/applicant",), legal_basis="UU 27/2022", actor="officer-1", at=at
    )


def _closed(catalogue: Catalogue, at: datetime, *more: Event) -> Application:
    return Application.from_events([_submitted(catalogue), _rejected(at), *more])


# --- the events ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        _hold(),
        LegalHoldLifted(hold_id="case-1", actor="officer-1", role="verifier", at=START),
        _erased(),
    ],
)
def test_each_new_event_reads_back_from_its_stored_body(event: Event) -> None:
    """A hold, a lifted hold and an erasure encode and decode back equal."""
    body = encode_event("app-1", event)
    assert decode_event("app-1", event.kind, body) == event


def test_holds_fold_into_the_open_holds_and_erasure_into_its_record(catalogue: Catalogue) -> None:
    """Placed holds are listed until lifted; the erasure event is kept as `erased`."""
    lifted = LegalHoldLifted(hold_id="case-1", actor="officer-1", at=START)
    application = _closed(catalogue, START, _hold("case-1"), _hold("case-2"), lifted, _erased())
    assert [h.hold_id for h in application.holds] == ["case-2"]
    assert application.erased == _erased()


positions = st.lists(
    st.tuples(st.integers(min_value=0, max_value=3), st.sampled_from(["hold", "lift", "erase"])),
    max_size=5,
)


@settings(max_examples=60, deadline=None)
@given(positions)
def test_holds_and_erasures_change_no_state_clock_or_tracking(
    catalogue: Catalogue, inserted: list[tuple[int, str]]
) -> None:
    """Wherever they fall in a stream, the new events leave state, clock and status as they were."""
    later = START + timedelta(days=2)
    base: list[Event] = [_submitted(catalogue), _rejected(later)]
    events = list(base)
    for position, kind in inserted:
        at = START + timedelta(hours=position)
        new: Event = {"hold": _hold(at=at), "lift": _lift(at), "erase": _erased(at)}[kind]
        events.insert(min(1 + position, len(events)), new)
    before, after = Application.from_events(base), Application.from_events(events)
    calendar = _calendar()
    workflow = find_workflow(catalogue, before.workflow, before.workflow_version)
    assert (after.state, after.clock, after.is_closed, after.closed_at) == (
        before.state,
        before.clock,
        before.is_closed,
        before.closed_at,
    )
    assert after.pauses() == before.pauses()
    assert after.deadline(calendar) == before.deadline(calendar)
    status = {"catalogue": catalogue, "workflow": workflow, "language": "en"}
    assert public_status(after, deadline=after.deadline(calendar), **status) == public_status(
        before, deadline=before.deadline(calendar), **status
    )


def _lift(at: datetime) -> LegalHoldLifted:
    return LegalHoldLifted(hold_id="case-1", actor="officer-1", at=at)


def _calendar() -> Any:
    from onestop.calendars import calendar_for

    return calendar_for("ID", years=[2025])


def test_the_notice_of_an_erasure_names_no_subject(catalogue: Catalogue) -> None:
    """What transports see of an erasure is its kind and instant, not its subjects or basis."""
    application = _closed(catalogue, START, _erased())
    body = notice(application, _erased(), application.version).decode()
    assert "personal_data_erased" in body
    assert "UU 27/2022" not in body


@pytest.mark.parametrize(
    "arguments",
    [
        {"subjects": "app-1/applicant"},
        {"subjects": (1,)},
        {"legal_basis": None},
        {"at": datetime(2025, 1, 1)},  # noqa: DTZ001 - naive on purpose
    ],
)
def test_an_erasure_event_of_wrong_types_cannot_be_built(arguments: dict[str, Any]) -> None:
    """A subject that is no tuple of text, a missing basis or a naive instant is refused."""
    values: dict[str, Any] = {
        "subjects": ("app-1/applicant",),
        "legal_basis": "x",
        "actor": "a",
        "at": START,
    }
    values.update(arguments)
    with pytest.raises((InvalidValue, NaiveDatetime)):
        ErasureRecorded(**values)


# --- the rules ---------------------------------------------------------------------------


def test_an_open_application_may_not_be_erased(catalogue: Catalogue) -> None:
    """Before a final state or a withdrawal the refusal names the rule 'open'."""
    application = Application.from_events([_submitted(catalogue)])
    refusal = erasure_refusal(application, None, now=START, overriding=True)
    assert refusal is not None
    assert refusal.rule is ErasureRule.OPEN


def test_a_legal_hold_keeps_the_data_even_overriding(catalogue: Catalogue) -> None:
    """A hold refuses erasure by 'legal_hold', whatever the retention or legal right."""
    application = _closed(catalogue, START, _hold())
    refusal = erasure_refusal(application, None, now=START, overriding=True)
    assert refusal is not None
    assert refusal.rule == "legal_hold"
    assert "case-1" in refusal.detail


def test_an_archive_rule_keeps_the_data_even_overriding(catalogue: Catalogue) -> None:
    """An archive retention refuses erasure by 'archive', even by an overriding right."""
    application = _closed(catalogue, START)
    refusal = erasure_refusal(application, ARCHIVE, now=START + timedelta(days=10**5))
    assert refusal is not None
    assert refusal.rule is ErasureRule.ARCHIVE
    assert erasure_refusal(application, ARCHIVE, now=START, overriding=True) == refusal


def test_the_keep_period_refuses_until_it_ends_unless_overridden(catalogue: Catalogue) -> None:
    """Within the keep period the rule is 'retention' with its end; an overriding right passes."""
    application = _closed(catalogue, START)
    refusal = erasure_refusal(application, FIVE_YEARS, now=START + timedelta(days=365))
    assert refusal is not None
    assert refusal.rule is ErasureRule.RETENTION
    assert refusal.until == FIVE_YEARS.keep_after_closing.end(START)  # type: ignore[union-attr]
    assert erasure_refusal(application, FIVE_YEARS, now=START, overriding=True) is None


def test_erased_data_is_not_erased_twice(catalogue: Catalogue) -> None:
    """Once erased, the refusal names 'erased' before any other rule."""
    application = _closed(catalogue, START, _erased())
    refusal = erasure_refusal(application, None, now=START)
    assert refusal is not None
    assert refusal.rule is ErasureRule.ERASED


def test_the_refusal_becomes_an_error_without_personal_data(catalogue: Catalogue) -> None:
    """ErasureRefused carries the id and rule, and its message quotes no personal data."""
    application = Application.from_events([_submitted(catalogue)])
    refusal = erasure_refusal(application, None, now=START)
    assert refusal is not None
    error = refusal.error(application.id)
    assert (error.application_id, error.rule) == ("app-1", "open")
    assert CANARY.leaks(str(error) + repr(error) + repr(application)) == []


keep_periods = st.builds(
    RetentionPeriod, st.integers(min_value=0, max_value=50), st.sampled_from(CalendarUnit)
)
closings = st.datetimes(
    min_value=datetime(2025, 7, 15),  # noqa: DTZ001 - made aware by timezones=
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@settings(max_examples=200, deadline=None)
@given(keep_periods, closings, st.integers(min_value=-(10**6), max_value=10**6))
def test_erasure_is_due_exactly_when_the_keep_period_has_ended(
    catalogue: Catalogue, period: RetentionPeriod, closed: datetime, offset: int
) -> None:
    """Due when closed_at plus the period is at or before now, and not one microsecond sooner."""
    application = _closed(catalogue, closed)
    end = period.end(closed)
    assert end is not None
    now = end + timedelta(microseconds=offset)
    retention = Retention(keep_after_closing=period)
    assert erasure_due(application, retention, now=now) == (offset >= 0)
    refusal = erasure_refusal(application, retention, now=now)
    assert (refusal is None) == (offset >= 0)


def test_a_leap_day_closing_is_due_on_the_last_of_february(catalogue: Catalogue) -> None:
    """Closed on 29 February 2028 with one year to keep: due at 28 February 2029, same time."""
    closed = datetime(2028, 2, 29, 8, tzinfo=UTC)
    application = _closed(catalogue, closed)
    one_year = Retention(keep_after_closing=RetentionPeriod(1, CalendarUnit.YEARS))
    due = datetime(2029, 2, 28, 8, tzinfo=UTC)
    assert erasure_due(application, one_year, now=due)
    assert not erasure_due(application, one_year, now=due - timedelta(microseconds=1))


def test_a_keep_period_past_the_year_9999_is_never_due(catalogue: Catalogue) -> None:
    """A period ending past 9999 is refused by 'retention' with no end, never due, no crash."""
    application = _closed(catalogue, START)
    forever = Retention(keep_after_closing=RetentionPeriod(9999, CalendarUnit.YEARS))
    now = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    assert not erasure_due(application, forever, now=now)
    refusal = erasure_refusal(application, forever, now=now)
    assert refusal is not None
    assert refusal.rule is ErasureRule.RETENTION
    assert refusal.until is None


@pytest.mark.parametrize(
    ("more", "retention"),
    [((), None), ((), ARCHIVE), ((_hold(),), FIVE_YEARS), ((_erased(),), FIVE_YEARS)],
)
def test_nothing_is_due_without_a_period_under_a_hold_or_once_erased(
    catalogue: Catalogue, more: tuple[Event, ...], retention: Retention | None
) -> None:
    """No rule, an archive, a hold or an earlier erasure: the sweep never finds it due."""
    application = _closed(catalogue, START, *more)
    assert not erasure_due(application, retention, now=datetime(9000, 1, 1, tzinfo=UTC))


def test_an_open_application_is_never_due(catalogue: Catalogue) -> None:
    """An application still open is not due, however long ago it was received."""
    application = Application.from_events([_submitted(catalogue)])
    assert not erasure_due(application, FIVE_YEARS, now=datetime(9000, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("application", "retention", "now", "overriding"),
    [
        (None, None, START, False),
        ("app-1", None, START, False),
        ("closed", "5 years", START, False),
        ("closed", None, datetime(2025, 1, 1), False),  # noqa: DTZ001 - naive on purpose
        ("closed", None, "2025-01-01T00:00:00+00:00", False),
        ("closed", None, START, 1),
    ],
)
def test_the_rules_refuse_arguments_of_wrong_types(
    catalogue: Catalogue, application: Any, retention: Any, now: Any, overriding: Any
) -> None:
    """Anything but an application, a retention or None, an aware instant and a bool is refused."""
    if application == "closed":
        application = _closed(catalogue, START)
    with pytest.raises((InvalidValue, NaiveDatetime)):
        erasure_refusal(application, retention, now=now, overriding=overriding)
    if overriding is False:
        with pytest.raises((InvalidValue, NaiveDatetime)):
            erasure_due(application, retention, now=now)


def test_subjects_are_the_applicant_and_the_representative(catalogue: Catalogue) -> None:
    """An application without a representative has one subject, named by its id."""
    application = Application.from_events([_submitted(catalogue)])
    assert subjects_of(application) == ("app-1/applicant",)


def test_the_service_retention_wins_over_the_catalogue_default(catalogue: Catalogue) -> None:
    """retention_of gives the service version's rule, else the catalogue's default."""
    application = Application.from_events([_submitted(catalogue)])
    assert retention_of(catalogue, application) is None
    with_default = attrs.evolve(catalogue, retention=ARCHIVE)
    assert retention_of(with_default, application) == ARCHIVE
    service = attrs.evolve(with_default.services[0], retention=FIVE_YEARS)
    both = attrs.evolve(with_default, services=(service, *with_default.services[1:]))
    assert retention_of(both, application) == FIVE_YEARS


# --- the commands ------------------------------------------------------------------------


def _decide(
    catalogue: Catalogue, application: Application, command: Any, at: datetime = START
) -> Any:
    [event] = decide(application, command, catalogue=catalogue, at=at)
    return event


def test_an_officer_places_and_lifts_a_hold_on_an_open_application(catalogue: Catalogue) -> None:
    """An officer's hold is recorded with their role; lifting it leaves no hold."""
    application = Application.from_events([_submitted(catalogue)])
    placed = _decide(
        catalogue,
        application,
        PlaceLegalHold(hold_id="KPK/2025/7", reason="court_order", actor=OFFICER),
    )
    assert (placed.hold_id, placed.role) == ("KPK/2025/7", "verifier")
    held = application.apply(placed)
    lifted = _decide(catalogue, held, LiftLegalHold(hold_id="KPK/2025/7", actor=OFFICER))
    assert held.apply(lifted).holds == ()


def test_the_applicant_may_not_place_a_hold(catalogue: Catalogue) -> None:
    """A hold needs an officer's role in the application's agency."""
    application = Application.from_events([_submitted(catalogue)])
    with pytest.raises(RoleNotAllowed):
        decide(
            application,
            PlaceLegalHold(hold_id="h", reason="litigation", actor=CITIZEN),
            catalogue=catalogue,
            at=START,
        )


@pytest.mark.parametrize(
    ("hold_id", "reason", "paths"),
    [
        ("case-1", None, ["reason"]),
        ("case-1", "Court Order", ["reason"]),
        ("", "litigation", ["hold_id"]),
        ("a b", "", ["hold_id", "reason"]),
        ("x" * 129, "litigation", ["hold_id"]),
        (7, ["litigation"], ["hold_id", "reason"]),
    ],
)
def test_a_hold_needs_an_id_and_a_reason_code(
    catalogue: Catalogue, hold_id: Any, reason: Any, paths: list[str]
) -> None:
    """A missing or malformed hold id or reason is refused with every problem's path."""
    application = Application.from_events([_submitted(catalogue)])
    command = PlaceLegalHold(hold_id=hold_id, reason=reason, actor=OFFICER)
    with pytest.raises(InvalidApplication) as caught:
        decide(application, command, catalogue=catalogue, at=START)
    assert list(caught.value.fields) == paths


def test_a_hold_id_is_placed_once_and_lifted_only_while_on(catalogue: Catalogue) -> None:
    """Placing a hold id that is on, or lifting one that is not, is refused."""
    application = _closed(catalogue, START, _hold("case-1"))
    with pytest.raises(CommandRefused, match="is on it"):
        _decide(
            catalogue, application, PlaceLegalHold(hold_id="case-1", reason="audit", actor=OFFICER)
        )
    with pytest.raises(CommandRefused, match="no such legal hold"):
        _decide(catalogue, application, LiftLegalHold(hold_id="case-9", actor=OFFICER))


def test_no_hold_is_placed_on_erased_data(catalogue: Catalogue) -> None:
    """Once erased there is nothing to hold: placing a hold is refused."""
    application = _closed(catalogue, START, _erased())
    with pytest.raises(CommandRefused, match="erased"):
        _decide(catalogue, application, PlaceLegalHold(hold_id="h", reason="audit", actor=OFFICER))


def test_an_erasure_is_decided_by_the_rules_and_recorded(catalogue: Catalogue) -> None:
    """Erasing a withdrawn application records its subjects; an open one names 'open'."""
    application = Application.from_events([_submitted(catalogue)])
    command = ErasePersonalData(legal_basis="UU 27/2022 art. 8", actor=OFFICER)
    with pytest.raises(ErasureRefused) as caught:
        decide(application, command, catalogue=catalogue, at=START)
    assert caught.value.rule == "open"
    withdrawn = application.apply(_decide(catalogue, application, Withdraw(actor=CITIZEN)))
    event = _decide(catalogue, withdrawn, command)
    assert isinstance(event, ErasureRecorded)
    assert (event.subjects, event.legal_basis, event.role) == (
        ("app-1/applicant",),
        "UU 27/2022 art. 8",
        "verifier",
    )


def test_an_erasure_within_the_keep_period_needs_an_overriding_right(catalogue: Catalogue) -> None:
    """With the service's keep period running, 'retention' refuses unless overriding."""
    kept = attrs.evolve(catalogue, retention=FIVE_YEARS)
    application = _closed(kept, START)
    with pytest.raises(ErasureRefused) as caught:
        _decide(kept, application, ErasePersonalData(legal_basis="request", actor=OFFICER))
    assert caught.value.rule == "retention"
    command = ErasePersonalData(legal_basis="court order 12/2025", actor=OFFICER, overriding=True)
    assert isinstance(_decide(kept, application, command), ErasureRecorded)


@pytest.mark.parametrize(
    ("legal_basis", "overriding", "paths"),
    [
        ("", False, ["legal_basis"]),
        ("   ", False, ["legal_basis"]),
        ("x" * 201, False, ["legal_basis"]),
        ("line\nbreak", False, ["legal_basis"]),
        (None, "yes", ["legal_basis", "overriding"]),
    ],
)
def test_an_erasure_needs_a_one_line_legal_basis(
    catalogue: Catalogue, legal_basis: Any, overriding: Any, paths: list[str]
) -> None:
    """A missing, blank, long or multi-line basis, or a non-boolean override, is refused."""
    application = _closed(catalogue, START)
    command = ErasePersonalData(legal_basis=legal_basis, actor=OFFICER, overriding=overriding)
    with pytest.raises(InvalidApplication) as caught:
        decide(application, command, catalogue=catalogue, at=START)
    assert list(caught.value.fields) == paths
