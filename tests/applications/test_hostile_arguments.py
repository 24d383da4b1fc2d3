"""Arguments of the wrong type or size are refused with a typed error that never echoes them.

Each test names one call the public-surface harness (``tests/hardening``) drove into an
untyped error, and says what it does now.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from application_support import CITIZEN, START, Canary, answers, documents
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.calendars import calendar_for
from onestop.domain.applications.application import Application
from onestop.domain.applications.commands import Submit, decide
from onestop.domain.applications.submission import submit
from onestop.domain.applications.tracking import Outcome, SlaOutcome, sla_report
from onestop.domain.catalogue.model import Catalogue, ChannelKind
from onestop.domain.common.parties import Representative, personal_fields
from onestop.exceptions import (
    AgencyNotFound,
    ApplicationNotFound,
    ConfigurationError,
    InvalidValue,
    NaiveDatetime,
    OnestopError,
)
from onestop.storage.memory import MemoryStore
from onestop.usecases.applications.cache import Deadlines
from onestop.usecases.applications.codec import digest, secret_digest
from onestop.usecases.applications.writer import (
    DEFAULT_NUMBERING,
    allocate_number,
    at_risk_instant,
    fold_stream,
    load_application,
    summarize,
)
from onestop.usecases.mall import Mall
from onestop.usecases.mall_support import check_instant

CANARY = Canary.new()
JAKARTA = calendar_for("ID", years=[2025])
HUGE = "x" * 70_000


@pytest.fixture(scope="module")
def application(catalogue: Catalogue) -> Application:
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


# --- digests -------------------------------------------------------------------------------


def test_a_digest_is_of_bytes_only() -> None:
    """digest() refuses text with InvalidValue; a bytearray or memoryview is its bytes."""
    with pytest.raises(InvalidValue):
        digest("text, not bytes")  # type: ignore[arg-type]
    assert digest(bytearray(b"abc")) == digest(memoryview(b"abc")) == digest(b"abc")


@given(st.text())
def test_a_secret_digest_is_the_digest_of_any_text(secret: str) -> None:
    """Any text hashes, lone surrogates included; ordinary text hashes as its UTF-8."""
    found = secret_digest(secret)
    assert len(found) == 64
    if not any("\ud800" <= c <= "\udfff" for c in secret):
        assert found == digest(secret.encode())


def test_tracking_with_a_secret_holding_a_lone_surrogate_is_not_found(mall: Mall) -> None:
    """Mall.track with a surrogate in the secret is ApplicationNotFound, not UnicodeEncodeError."""
    receipt = mall.submit(
        "izin-usaha",
        channel="online",
        applicant=CANARY.person(),
        answers=answers(CANARY),
        documents=documents(),
        actor=CITIZEN,
    )
    with pytest.raises(ApplicationNotFound):
        mall.track(receipt.number, "\ud834\ud803", language="en")


# --- recording ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "error", "field"),
    [
        ({"year": 10**5000}, InvalidValue, "year"),
        ({"year": True}, InvalidValue, "year"),
        ({"year": 0}, InvalidValue, "year"),
        ({"agency": "dpmptsp\r\n"}, InvalidValue, "agency"),
        ({"service": b"izin-usaha"}, InvalidValue, "service"),
        ({"pattern": b"{seq}"}, ConfigurationError, None),
    ],
    ids=["huge year", "bool year", "year 0", "agency with CRLF", "service as bytes", "bytes"],
)
def test_a_number_is_allocated_from_codes_and_a_year_only(
    arguments: dict[str, Any], error: type[OnestopError], field: str | None
) -> None:
    """allocate_number refuses a year beyond 1..9999, a code that is not one, a bad pattern."""
    given = {"pattern": DEFAULT_NUMBERING, "agency": "dpmptsp", "service": "izin-usaha"}
    given |= {"year": 2025} | arguments
    with pytest.raises(error) as caught:
        allocate_number(MemoryStore(), given.pop("pattern"), **given)
    assert getattr(caught.value, "field", None) == field
    assert "0" * 100 not in str(caught.value)


@pytest.mark.parametrize(
    "share",
    [-3.8e16, 1e308, 0.0, 1.0, float("nan"), True, 10**400, -(10**400), "0.2"],
    ids=["-3.8e16", "1e308", "0.0", "1.0", "nan", "True", "10**400", "-10**400", "text"],
)
def test_an_at_risk_share_lies_between_0_and_1(application: Application, share: Any) -> None:
    """at_risk_instant, Deadlines.at_risk_from and summarize refuse any other share."""
    deadline = application.deadline(JAKARTA)
    for call in (
        lambda: at_risk_instant(deadline, JAKARTA, START, share),
        lambda: Deadlines(size=4).at_risk_from(deadline, JAKARTA, START, share),
        lambda: summarize(application, calendar=JAKARTA, now=START, at_risk_share=share),
    ):
        with pytest.raises(InvalidValue) as caught:
            call()
        assert caught.value.field in ("share", "at_risk_share")


@pytest.mark.parametrize("now", [date(2025, 7, 14), "2025-07-14", datetime(2025, 7, 14)])  # noqa: DTZ001
def test_a_read_model_row_is_made_at_an_instant(application: Application, now: Any) -> None:
    """summarize and at_risk_from refuse a date, text or a naive datetime as now, typed."""
    deadline = application.deadline(JAKARTA)
    with pytest.raises((InvalidValue, NaiveDatetime)):
        summarize(application, calendar=JAKARTA, now=now, at_risk_share=0.2)
    with pytest.raises((InvalidValue, NaiveDatetime)):
        Deadlines(size=4).at_risk_from(deadline, JAKARTA, now, 0.2)


@pytest.mark.parametrize("records", [[["a"]], "abc", 5, [None]])
def test_folding_records_that_are_not_stored_events_is_refused(records: Any) -> None:
    """fold_stream refuses what is not a sequence of StoredEvent values with InvalidValue."""
    with pytest.raises(InvalidValue):
        fold_stream("app-1", records)


def test_a_huge_id_asked_for_is_not_repeated() -> None:
    """ApplicationNotFound shortens an id it was asked for."""
    with pytest.raises(ApplicationNotFound) as caught:
        load_application(MemoryStore(), "9" * 1001)
    assert "9" * 100 not in str(caught.value)


def test_a_huge_agency_asked_for_is_not_repeated(mall: Mall) -> None:
    """AgencyNotFound, from the Mall's calendar and its reports, shortens the code."""
    for call in (
        lambda: mall.calendar(HUGE),
        lambda: mall.sla_report(agency=HUGE),
        lambda: mall.worklist(agency=HUGE),
    ):
        with pytest.raises(AgencyNotFound) as caught:
            call()
        assert len(str(caught.value)) < 200


def test_a_huge_argument_name_is_not_repeated() -> None:
    """The Mall's instant check names the argument, shortened when it is huge."""
    for value in (datetime(2025, 7, 14), datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))):  # noqa: DTZ001
        with pytest.raises((NaiveDatetime, InvalidValue)) as caught:
            check_instant(value, argument=HUGE)
        assert len(str(caught.value)) < 200


# --- the domain -----------------------------------------------------------------------------


def test_a_submission_is_made_at_an_instant_within_the_years_1_to_9999(
    catalogue: Catalogue,
) -> None:
    """submit() refuses an instant that is before the year 1 in UTC, not an OverflowError."""
    command = Submit(
        application_id="app-2",
        number="N/2",
        service="izin-usaha",
        channel=ChannelKind.ONLINE,
        applicant=CANARY.person(),
        answers=answers(CANARY),
        actor=CITIZEN,
        secret_digest="0" * 64,
    )
    at = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=23, minutes=59)))
    with pytest.raises(InvalidValue) as caught:
        submit(command, catalogue=catalogue, at=at)
    assert caught.value.field == "at"


def test_a_representative_is_valid_until_a_day() -> None:
    """valid_until and is_valid_on take dates, never datetimes: InvalidValue, not TypeError."""
    person = CANARY.person()
    with pytest.raises(InvalidValue):
        Representative(person=person, authorisation="sk-1", valid_until=datetime.now(tz=UTC))
    representative = Representative(
        person=person, authorisation="sk-1", valid_until=date(2026, 1, 1)
    )
    with pytest.raises(InvalidValue):
        representative.is_valid_on(START)
    assert representative.is_valid_on(date(2025, 12, 31))


def test_personal_fields_walks_any_depth() -> None:
    """A value nested far past the recursion limit is walked, not a RecursionError."""
    from onestop.domain.common.parties import Personal

    nested: object = Personal("x")
    for _ in range(50_000):
        nested = (nested,)
    assert personal_fields(nested) == ["[0]" * 50_000]
    assert personal_fields(({10**5000: 1},)) == []


def _outcome(**changes: Any) -> SlaOutcome:
    base = SlaOutcome(
        application_id="a",
        agency="dpmptsp",
        service="izin-usaha",
        outcome=Outcome.OPEN,
        due=None,
        closed_at=None,
        paused=timedelta(0),
    )
    return attrs.evolve(base, **changes)


@settings(max_examples=50)
@given(st.one_of(st.text(max_size=5), st.lists(st.text(max_size=3), max_size=3), st.integers()))
def test_an_sla_report_adds_up_outcomes_only(outcomes: Any) -> None:
    """sla_report refuses text, numbers and anything but SlaOutcome values with InvalidValue."""
    if outcomes == []:
        assert sla_report(outcomes) == ()
        return
    with pytest.raises(InvalidValue):
        sla_report(outcomes)


def test_an_sla_report_refuses_paused_time_beyond_a_timedelta() -> None:
    """Paused time that adds up past timedelta.max is InvalidValue, not OverflowError."""
    big = _outcome(paused=timedelta.max)
    with pytest.raises(InvalidValue):
        sla_report([big, big])


def test_an_sla_outcome_checks_its_types() -> None:
    """An outcome given as text, or an agency that is not text, is refused when built."""
    with pytest.raises(InvalidValue):
        _outcome(outcome="open")
    with pytest.raises(InvalidValue):
        _outcome(agency=None)


# --- a value of another kind where an instance is due (found by the surface's WRONG_KINDS) ---

WRONG_KINDS = (None, "x", 0, True, {}, ())


@pytest.mark.parametrize("wrong", WRONG_KINDS, ids=repr)
def test_calls_refuse_a_value_of_another_kind_by_name(
    catalogue: Catalogue, application: Application, wrong: object
) -> None:
    """Each call given a value of another kind where an instance is due raises
    InvalidValue naming the argument, not an AttributeError."""
    from onestop.domain.applications.automatic import working_hours_in_state
    from onestop.domain.applications.forms import check_answer, check_answers
    from onestop.domain.applications.submission import role_of
    from onestop.domain.applications.tracking import sla_outcome
    from onestop.domain.workflow.engine import allowed_actions, on_event
    from onestop.domain.workflow.versions import MigrationPlan
    from onestop.usecases.applications.codec import notice
    from onestop.usecases.applications.queries import agencies_under, role_scope
    from onestop.usecases.applications.writer import last_hash
    from onestop.usecases.catalogue.loading import dump_catalogue

    workflow = catalogue.workflows[0]
    calls: dict[str, Any] = {
        "application": lambda: working_hours_in_state(wrong, JAKARTA, START),
        "calendar": lambda: sla_outcome(application, calendar=wrong, now=START),
        "field": lambda: check_answer(wrong, "answer"),
        "service": lambda: check_answers(wrong, {}),
        "workflow": lambda: role_of(CITIZEN, wrong),
        "event": lambda: notice(application, wrong, 2),
        "catalogue": lambda: role_scope(wrong, "verifier"),
        "catalogue ": lambda: agencies_under(wrong, None),
        "catalogue  ": lambda: dump_catalogue(wrong),
        "workflow ": lambda: on_event(wrong, "submitted", "agency.approved"),
        "workflow  ": lambda: allowed_actions(wrong, "submitted", CITIZEN),
        "target": lambda: MigrationPlan(source=workflow, target=wrong),
    }
    if wrong is not None:  # None is a new stream's: no application yet
        calls["application "] = lambda: decide(wrong, Submit, catalogue=catalogue, at=START)
        calls["application  "] = lambda: last_hash(MemoryStore(), wrong)
    for field, call in calls.items():
        with pytest.raises(InvalidValue) as caught:
            call()
        assert caught.value.field == field.strip(), field


# --- explored: what exploring the surface from random seeds found -------------------------


def test_a_recount_shown_at_the_end_of_time_is_out_of_range(application: Application) -> None:
    """recount with the read model's due date at 9999-12-31 UTC, which the agency's zone
    cannot tell, raises DateOutOfRange naming shown, not OverflowError."""
    from onestop.domain.applications.recount import recount
    from onestop.exceptions import DateOutOfRange

    end = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    with pytest.raises(DateOutOfRange) as caught:
        recount(
            application, JAKARTA, configured=JAKARTA, scope="*", version=2,
            actor="operator", at=START, shown=end,
        )  # fmt: skip
    assert caught.value.field == "shown"


def test_a_public_status_refuses_a_history_of_text(application: Application) -> None:
    """A PublicStatus evolved with text as its history raises InvalidValue naming history,
    so request_entry never meets it (it failed there with AttributeError)."""
    from onestop.domain.applications.tracking import PublicStatus, PublicStep

    with pytest.raises(InvalidValue) as caught:
        PublicStatus(
            number="N/1", service="izin-usaha", service_name="Izin", state="submitted",
            label="Submitted", language="en", received=START, due=None, paused=False,
            closed=False, needed=(), history="a" * 100_000,  # type: ignore[arg-type]
        )  # fmt: skip
    assert caught.value.field == "history"
    with pytest.raises(InvalidValue):
        PublicStep(state="submitted", label="Submitted", at="yesterday")  # type: ignore[arg-type]
