"""A mid-year calendar change moves due dates through recorded events; every reader agrees.

The scenario: the mall counts on Jakarta's calendar (version 1).  On Tuesday 15 July
2025 a decree adds a joint leave day on Friday 18 July (version 2, in force from that
day).  An application received on Monday 14 July with a limit of 5 working days was
due on Monday 21 July 16:00; on version 2 it is due on Tuesday 22 July 16:00.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from application_support import (
    CATALOGUE,
    CITIZEN,
    START,
    WIB,
    Canary,
    CountingIds,
    ManualClock,
    answers,
    documents,
    officer,
)
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from onestop.calendars import calendar_for
from onestop.cli import cli
from onestop.domain.applications.events import DeadlineRecounted
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.time.calendar import WorkCalendar
from onestop.domain.time.sla import SlaStatus
from onestop.domain.time.versions import CalendarVersion
from onestop.exceptions import ConcurrencyConflict, TransitionNotAllowed
from onestop.ports.events import Commit, EventStore
from onestop.storage import from_url
from onestop.usecases.mall import Mall

VERIFIER = officer("verifier-1", "verifier")
PROCESSOR = officer("processor-1", "processor")
APPROVER = officer("approver-1", "approver")
FRONT_OFFICE = officer("front-1", "front_office")
OPERATOR = officer("calendar-ops")
CANARY = Canary.new()

JAKARTA = calendar_for("ID", years=range(2020, 2028))
VERSION_1 = CalendarVersion(version=1, effective_from=date(2025, 1, 1), calendar=JAKARTA)
VERSION_2 = CalendarVersion(
    version=2,
    effective_from=date(2025, 7, 15),
    calendar=attrs.evolve(JAKARTA, holidays=JAKARTA.holidays | {date(2025, 7, 18)}),
    reasons=[(date(2025, 7, 18), "cuti bersama")],
)
DECREED = datetime(2025, 7, 15, 10, 0, tzinfo=WIB)
OLD_DUE = datetime(2025, 7, 21, 16, 0, tzinfo=WIB)
NEW_DUE = datetime(2025, 7, 22, 16, 0, tzinfo=WIB)
BETWEEN = datetime(2025, 7, 22, 10, 0, tzinfo=WIB)  # after the old due date, before the new


def _postgres() -> EventStore:
    from onestop.storage.postgres import PostgresStore

    url = os.environ["ONESTOP_TEST_POSTGRES_URL"]
    return PostgresStore.connect(url, schema=f"onestop_test_{secrets.token_hex(6)}", max_size=2)


def _drop(store: EventStore) -> None:
    import psycopg
    from psycopg import sql

    schema = store.schema  # type: ignore[attr-defined]
    store.close()
    with psycopg.connect(os.environ["ONESTOP_TEST_POSTGRES_URL"], autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


_POSTGRES = pytest.mark.skipif(
    not os.environ.get("ONESTOP_TEST_POSTGRES_URL"), reason="ONESTOP_TEST_POSTGRES_URL is not set"
)


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=[_POSTGRES, pytest.mark.postgres])]
)
def kept(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[EventStore, str]]:
    """A store of each kind, and its URL (for the command line)."""
    if request.param == "memory":
        store = from_url("memory://")
        yield store, "memory://"
        store.close()
    elif request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'mall.sqlite3'}"
        store = from_url(url)
        yield store, url
        store.close()
    else:
        store = _postgres()
        yield store, ""
        _drop(store)


def _mall(catalogue: Catalogue, store: EventStore, clock: ManualClock) -> Mall:
    return Mall(
        catalogue=catalogue, store=store, clock=clock, calendars={"*": JAKARTA}, ids=CountingIds()
    )


@pytest.fixture
def on_store(catalogue: Catalogue, kept: tuple[EventStore, str], clock: ManualClock) -> Mall:
    return _mall(catalogue, kept[0], clock)


def _submit(mall: Mall) -> tuple[str, str, str]:
    receipt = mall.submit(
        "izin-usaha",
        channel="online",
        applicant=CANARY.person(),
        answers=answers(CANARY),
        documents=documents(),
        actor=CITIZEN,
    )
    assert receipt.lookup_secret is not None
    return receipt.application_id, receipt.number, receipt.lookup_secret


def _issue(mall: Mall, app_id: str) -> None:
    mall.check_document(app_id, "ktp", verdict="verified", actor=VERIFIER)
    mall.check_document(app_id, "foto", verdict="verified", actor=VERIFIER)
    for action, actor in (
        ("verify", VERIFIER),
        ("process", PROCESSOR),
        ("approve", APPROVER),
        ("issue", FRONT_OFFICE),
    ):
        mall.act(app_id, action, actor=actor)


def _dues(mall: Mall, app_id: str, number: str, secret: str) -> set[datetime | None]:
    """The due date as each reader gives it: worklist row, deadline, tracking."""
    rows = {row.stream_id: row for row in mall.worklist(limit=500).items}
    return {
        rows[app_id].due,
        mall.deadline(app_id).due,
        mall.track(number, secret, language="en").due,
    }


def _report(mall: Mall, at: datetime) -> tuple[int, int, int, int]:
    rows = mall.sla_report(now=at)
    return (
        sum(r.open for r in rows),
        sum(r.overdue for r in rows),
        sum(r.on_time for r in rows),
        sum(r.late for r in rows),
    )


def test_a_calendar_change_moves_open_due_dates_through_recorded_events(
    on_store: Mall, clock: ManualClock
) -> None:
    """Before the recount every reader says Monday; after it, every reader says Tuesday."""
    mall = on_store
    app_id, number, secret = _submit(mall)
    assert _dues(mall, app_id, number, secret) == {OLD_DUE}
    assert _report(mall, BETWEEN) == (0, 1, 0, 0)

    clock.set(DECREED)
    moved = mall.recount_deadlines([VERSION_1, VERSION_2], actor=OPERATOR)

    assert moved == (app_id,)
    assert _dues(mall, app_id, number, secret) == {NEW_DUE}
    assert _report(mall, BETWEEN) == (1, 0, 0, 0)
    assert [row.stream_id for row in mall.overdue().items] == []
    event = mall.application(app_id).events[-1]
    assert isinstance(event, DeadlineRecounted)
    assert (event.scope, event.version, event.due_before, event.due_after) == (
        "*",
        2,
        OLD_DUE,
        NEW_DUE,
    )
    assert date(2025, 7, 18) in event.calendar.holidays
    assert mall.verify(app_id).ok


def test_a_closed_application_is_not_moved(on_store: Mall, clock: ManualClock) -> None:
    """An application decided before the change keeps its events, its due date and verdict."""
    mall = on_store
    app_id, _, _ = _submit(mall)
    _issue(mall, app_id)
    version = mall.application(app_id).version
    before = (mall.deadline(app_id).due, _report(mall, BETWEEN))

    clock.set(DECREED)
    assert mall.recount_deadlines([VERSION_1, VERSION_2], actor=OPERATOR) == ()

    assert mall.application(app_id).version == version
    assert (mall.deadline(app_id).due, _report(mall, BETWEEN)) == before


def test_a_second_recount_moves_nothing(mall: Mall, clock: ManualClock) -> None:
    """Recounting is idempotent: the same versions again append no event."""
    app_id, _, _ = _submit(mall)
    clock.set(DECREED)
    mall.recount_deadlines([VERSION_1, VERSION_2], actor=OPERATOR)
    version = mall.application(app_id).version

    assert mall.recount_deadlines([VERSION_1, VERSION_2], actor=OPERATOR) == ()
    assert mall.application(app_id).version == version


def test_a_change_that_moves_no_due_date_records_nothing(mall: Mall, clock: ManualClock) -> None:
    """A closure after every due date moves nothing, so nothing is recorded."""
    app_id, _, _ = _submit(mall)
    later = attrs.evolve(JAKARTA, holidays=JAKARTA.holidays | {date(2025, 12, 26)})
    version_3 = CalendarVersion(version=3, effective_from=date(2025, 7, 15), calendar=later)
    clock.set(DECREED)

    assert mall.recount_deadlines([VERSION_1, version_3], actor=OPERATOR) == ()
    assert mall.application(app_id).version == 1


def test_the_recount_is_in_the_public_history_with_a_label(mall: Mall, clock: ManualClock) -> None:
    """The citizen's page lists the move, labelled in the language served."""
    _, number, secret = _submit(mall)
    clock.set(DECREED)
    mall.recount_deadlines([VERSION_1, VERSION_2], actor=OPERATOR)

    steps = mall.track(number, secret, language="id").history

    assert steps[-1].state == "deadline_recounted"
    assert steps[-1].label == "Tenggat waktu diubah karena perubahan kalender"
    assert steps[-1].at == DECREED


def test_a_paused_application_counts_on_the_new_calendar_once_resumed(
    mall: Mall, clock: ManualClock
) -> None:
    """A suspended application is moved too, and its due date after resuming agrees."""
    app_id, number, secret = _submit(mall)
    clock.set(datetime(2025, 7, 14, 10, 0, tzinfo=WIB))
    mall.suspend(app_id, reason="system_outage", actor=VERIFIER)
    clock.set(DECREED)

    assert mall.recount_deadlines([VERSION_1, VERSION_2], actor=OPERATOR) == (app_id,)
    clock.set(datetime(2025, 7, 16, 10, 0, tzinfo=WIB))
    mall.resume(app_id, actor=VERIFIER)

    # two days paused, one closure: Monday 21 + 2 working days + 1 = Thursday 24
    assert _dues(mall, app_id, number, secret) == {datetime(2025, 7, 24, 16, 0, tzinfo=WIB)}


def test_the_recount_event_holds_no_personal_data(mall: Mall, clock: ManualClock) -> None:
    """Neither the stored event nor its notice holds the applicant's data."""
    app_id, _, _ = _submit(mall)
    clock.set(DECREED)
    mall.recount_deadlines([VERSION_1, VERSION_2], actor=OPERATOR)

    stored = mall.store.read(app_id)[-1]
    notices = [n for n in mall.store.notifications(limit=100) if n.stream_id == app_id]
    shown = stored.body.decode() + notices[-1].body.decode()

    assert stored.kind == "deadline_recounted"
    assert CANARY.leaks(shown) == []
    assert datetime.fromisoformat(json.loads(notices[-1].body)["due"]) == NEW_DUE


@attrs.define
class _ConflictOnce:
    """A store whose next commit of a recount fails as if another command wrote first."""

    inner: EventStore
    armed: bool = True

    def commit(self, commit: Commit) -> None:
        if self.armed and commit.events[-1].kind == "deadline_recounted":
            self.armed = False
            raise ConcurrencyConflict(
                stream_id=commit.stream_id, expected=commit.expected_version, actual=0
            )
        self.inner.commit(commit)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_conflicting_write_is_decided_again(catalogue: Catalogue, clock: ManualClock) -> None:
    """A recount that loses a race reads the stream again and records one event."""
    store = _ConflictOnce(from_url("memory://"))
    mall = _mall(catalogue, store, clock)  # type: ignore[arg-type]
    app_id, _, _ = _submit(mall)
    clock.set(DECREED)

    assert mall.recount_deadlines([VERSION_1, VERSION_2], actor=OPERATOR) == (app_id,)
    kinds = [e.kind for e in mall.application(app_id).events]
    assert kinds.count("deadline_recounted") == 1
    assert not store.armed


def _cli(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def test_the_command_line_agrees_before_and_after(
    catalogue: Catalogue, clock: ManualClock, tmp_path: Path
) -> None:
    """``onestop track`` and ``onestop sla report`` on a SQLite store agree with the API."""
    url = f"sqlite:///{tmp_path / 'mall.sqlite3'}"
    store = from_url(url)
    mall = _mall(catalogue, store, clock)
    _, number, secret = _submit(mall)
    # The mall counts on calendar_for("ID"), so the CLI is told the same (deprecated) way.
    where = ("--store", url, "--catalogue", str(CATALOGUE), "--country", "ID")

    def agree(due: datetime, open_overdue: tuple[int, int]) -> None:
        tracked = _cli("track", number, "--secret", secret, "--language", "en", *where)
        report = _cli("sla", "report", *where, "--at", BETWEEN.isoformat())
        assert (
            datetime.fromisoformat(tracked["due"])
            == due
            == mall.track(number, secret, language="en").due
        )
        assert (
            tracked["history"][-1]["label"]
            == mall.track(number, secret, language="en").history[-1].label
        )
        assert (report["total"]["open"], report["total"]["overdue"]) == open_overdue
        assert _report(mall, BETWEEN)[:2] == open_overdue

    agree(OLD_DUE, (0, 1))
    clock.set(DECREED)
    mall.recount_deadlines([VERSION_1, VERSION_2], actor=OPERATOR)
    agree(NEW_DUE, (1, 0))
    store.close()


def test_a_mall_told_no_versions_moves_nothing(mall: Mall, clock: ManualClock) -> None:
    """Without any published version there is nothing in force to move to."""
    _submit(mall)
    clock.set(DECREED)

    assert mall.recount_deadlines([], actor=OPERATOR) == ()


def test_an_agency_with_its_own_version_uses_it(mall: Mall, clock: ManualClock) -> None:
    """The version of the agency (or a parent) wins over the mall's, as `in_force` says."""
    app_id, _, _ = _submit(mall)
    agency = mall.application(app_id).agency
    own = attrs.evolve(VERSION_1, scope=agency, version=1, effective_from=date(2025, 7, 15))
    clock.set(DECREED)

    assert mall.recount_deadlines([VERSION_2, own], actor=OPERATOR) == ()
    assert mall.deadline(app_id).due == OLD_DUE


def _calendar_of(mall: Mall, app_id: str) -> WorkCalendar:
    application = mall.application(app_id)
    return application.counting_calendar(mall.calendar(application.agency))


def test_an_application_without_a_recount_counts_on_the_configured_calendar(
    mall: Mall,
) -> None:
    """A stream with no recorded calendar (any stream of an earlier release) is unchanged."""
    app_id, _, _ = _submit(mall)

    assert _calendar_of(mall, app_id) is mall.calendar(mall.application(app_id).agency)


_STEPS = st.lists(
    st.tuples(
        st.sampled_from(["suspend", "resume", "recount", "send_back", "recount"]),
        st.integers(min_value=1, max_value=3 * 24 * 60),
        st.sets(st.integers(min_value=0, max_value=20), max_size=3),
    ),
    max_size=6,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(receipt=st.integers(min_value=0, max_value=5 * 24 * 60), steps=_STEPS)
def test_every_reader_gives_the_same_due_date(
    catalogue: Catalogue, receipt: int, steps: list[tuple[str, int, set[int]]]
) -> None:
    """For random receipts, pauses and calendar changes, every reader gives one due date."""
    clock = ManualClock(START + timedelta(minutes=receipt))
    mall = _mall(catalogue, from_url("memory://"), clock)
    app_id, number, secret = _submit(mall)
    versions = [VERSION_1]
    for kind, minutes, closures in steps:
        clock.advance(minutes=minutes)
        application = mall.application(app_id)
        if kind == "suspend" and not application.is_suspended:
            mall.suspend(app_id, reason="system_outage", actor=VERIFIER)
        elif kind == "resume" and application.is_suspended:
            mall.resume(app_id, actor=VERIFIER)
        elif kind == "send_back" and not application.is_suspended:
            with contextlib.suppress(TransitionNotAllowed):  # only from the first state
                mall.act(app_id, "send_back", actor=VERIFIER, inputs={"reason": "Foto buram"})
        elif kind == "recount":
            today = clock.now().date()
            extra = {today + timedelta(days=d) for d in closures}
            latest = versions[-1]
            versions.append(
                CalendarVersion(
                    version=latest.version + 1,
                    effective_from=max(today, latest.effective_from),
                    calendar=attrs.evolve(JAKARTA, holidays=JAKARTA.holidays | extra),
                )
            )
            event("moved" if mall.recount_deadlines(versions, actor=OPERATOR) else "not moved")
        assert len(_dues(mall, app_id, number, secret)) == 1
        for later in (timedelta(0), timedelta(days=2), timedelta(days=9)):
            clock.advance(seconds=later.total_seconds())
            overdue = len(mall.worklist(sla=SlaStatus.OVERDUE, limit=500).items)
            assert overdue == _report(mall, clock.now())[1]


def test_a_recorded_calendar_with_weekly_hours_and_counting_survives_the_store(
    catalogue: Catalogue, clock: ManualClock, tmp_path: Path
) -> None:
    """A recount onto a calendar with a lunch break and a counting rule reads back equal."""
    from onestop.domain.time.hours import LimitCounting, WeeklyHours

    hours = WeeklyHours.from_text(
        {day: ["07:30-12:00", "13:00-16:00"] for day in ("mon", "tue", "wed", "thu")}
        | {"fri": ["07:30-11:30", "13:00-16:30"], "sat": ["08:00-12:00"]}
    )
    counting = LimitCounting(receipt_day="included", hours_up_to_days=2)
    richer = WorkCalendar(
        time_zone="Asia/Jakarta", hours=hours, counting=counting, holidays=JAKARTA.holidays
    )
    url = f"sqlite:///{tmp_path / 'hours.sqlite3'}"
    store = from_url(url)
    mall = _mall(catalogue, store, clock)
    app_id, number, secret = _submit(mall)
    clock.set(DECREED)
    version = CalendarVersion(version=2, effective_from=date(2025, 7, 15), calendar=richer)
    assert mall.recount_deadlines([VERSION_1, version], actor=OPERATOR) == (app_id,)
    store.close()

    reopened = from_url(url)
    try:
        again = _mall(catalogue, reopened, clock)
        recorded = again.application(app_id).events[-1]
        assert isinstance(recorded, DeadlineRecounted)
        assert (recorded.calendar.hours, recorded.calendar.counting) == (hours, counting)
        assert len(_dues(again, app_id, number, secret)) == 1
        assert again.verify(app_id).ok
    finally:
        reopened.close()


def test_a_recount_brings_back_one_due_date_after_the_calendar_resolved_differently(
    catalogue: Catalogue, clock: ManualClock, tmp_path: Path
) -> None:
    """After an upgrade resolves the configured calendar differently, a recount records the move.

    The worklist still shows the due date written at the last commit; the recount
    compares the version in force with it, records one event, and every reader agrees.
    """
    url = f"sqlite:///{tmp_path / 'upgrade.sqlite3'}"
    store = from_url(url)
    app_id, number, secret = _submit(_mall(catalogue, store, clock))
    store.close()

    upgraded = VERSION_2.calendar  # as if the new release listed 18 July 2025
    reopened = from_url(url)
    try:
        mall = Mall(
            catalogue=catalogue,
            store=reopened,
            clock=clock,
            calendars={"*": upgraded},
            ids=CountingIds(),
        )
        rows = {row.stream_id: row.due for row in mall.worklist(limit=500).items}
        assert (rows[app_id], mall.deadline(app_id).due) == (OLD_DUE, NEW_DUE)  # the drift

        clock.set(DECREED)
        version = CalendarVersion(version=1, effective_from=date(2025, 1, 1), calendar=upgraded)
        assert mall.recount_deadlines([version], actor=OPERATOR) == (app_id,)

        assert _dues(mall, app_id, number, secret) == {NEW_DUE}
        event = mall.application(app_id).events[-1]
        assert isinstance(event, DeadlineRecounted)
        assert (event.due_before, event.due_after) == (OLD_DUE, NEW_DUE)
        assert mall.recount_deadlines([version], actor=OPERATOR) == ()
    finally:
        reopened.close()
