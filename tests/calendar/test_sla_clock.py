"""SLA clocks: due dates, pauses, statuses and traces."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest

from onestop.domain.common.values import Duration
from onestop.domain.time.calendar import WorkCalendar
from onestop.domain.time.sla import (
    Deadline,
    Pause,
    SlaStatus,
    due_date,
    remaining_working_time,
    status_at,
)
from onestop.exceptions import InvalidCalendar, NaiveDatetime
from onestop.usecases.applications.writer import at_risk_instant

WIB = ZoneInfo("Asia/Jakarta")
FIVE_DAYS = Duration.working_days(5)


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WIB)


@pytest.fixture
def jakarta() -> WorkCalendar:
    return WorkCalendar(time_zone="Asia/Jakarta", holidays={date(2025, 3, 28)}, name="MPP")


def pause(start: datetime, end: datetime | None = None, reason: str = "applicant") -> Pause:
    return Pause(start=start, end=end, reason=reason)


class TestDueDate:
    def test_working_days_end_at_the_close_of_the_last_day(self, jakarta: WorkCalendar) -> None:
        """Five working days from Monday 3 March end at the close of Monday 10 March."""
        deadline = due_date(jakarta, received=wib(2025, 3, 3, 10, 15), limit=FIVE_DAYS)
        assert deadline.due == wib(2025, 3, 10, 16)
        assert deadline.paused == timedelta(0)
        assert not deadline.is_paused

    def test_the_budget_includes_the_rest_of_the_receipt_day(self, jakarta: WorkCalendar) -> None:
        """The budget of a days limit is the open time from receipt to the due instant."""
        deadline = due_date(jakarta, received=wib(2025, 3, 3, 10, 15), limit=FIVE_DAYS)
        assert deadline.budget == timedelta(hours=5, minutes=45) + 5 * timedelta(hours=8)

    def test_the_budget_of_an_hours_limit_is_those_hours(self, jakarta: WorkCalendar) -> None:
        """The budget of eight working hours is eight hours."""
        limit = Duration.working_hours(8)
        deadline = due_date(jakarta, received=wib(2025, 3, 3, 17), limit=limit)
        assert deadline.budget == timedelta(hours=8)
        assert deadline.due == wib(2025, 3, 4, 16)

    def test_the_trace_explains_each_step(self, jakarta: WorkCalendar) -> None:
        """The trace names receipt, calendar, counting start, skipped days and the due instant."""
        deadline = due_date(jakarta, received=wib(2025, 3, 24, 10, 15), limit=FIVE_DAYS)
        assert deadline.trace == (
            "received Mon 2025-03-24 10:15 WIB",
            "calendar MPP: Mon-Fri 08:00-16:00 Asia/Jakarta",
            "counting 5 working days from Tue 2025-03-25",
            "skipped Fri 2025-03-28 (holiday)",
            "skipped 2 weekend days",
            "due Tue 2025-04-01 16:00 WIB, the close of working day 5",
        )
        assert deadline.explain() == "\n".join(deadline.trace)

    def test_a_receipt_on_a_holiday_is_noted(self, jakarta: WorkCalendar) -> None:
        """The trace says when the day of receipt is not a working day."""
        deadline = due_date(jakarta, received=wib(2025, 3, 28, 9), limit=FIVE_DAYS)
        assert "receipt day Fri 2025-03-28 is not a working day (holiday)" in deadline.trace

    def test_an_hours_limit_received_after_hours_names_the_next_opening(
        self, jakarta: WorkCalendar
    ) -> None:
        """The trace says counting starts at the next opening."""
        limit = Duration.working_hours(2)
        deadline = due_date(jakarta, received=wib(2025, 3, 3, 17), limit=limit)
        assert "counting 2 working hours from the next opening, Tue 2025-03-04 08:00 WIB" in (
            deadline.trace
        )

    def test_closures_in_range_are_traced(self, jakarta: WorkCalendar) -> None:
        """A closure between receipt and due instant appears in the trace with its reason."""
        flooded = jakarta.with_closure(wib(2025, 3, 4, 12), wib(2025, 3, 5, 12), reason="flood")
        deadline = due_date(flooded, received=wib(2025, 3, 3, 9), limit=FIVE_DAYS)
        assert "closed Tue 2025-03-04 12:00 WIB to Wed 2025-03-05 12:00 WIB (flood)" in (
            deadline.trace
        )

    def test_consecutive_closed_days_are_traced_as_one_run(self, jakarta: WorkCalendar) -> None:
        """Days a closure shuts in a row appear as one line, from the first to the last."""
        flooded = jakarta.with_closure(wib(2025, 3, 4), wib(2025, 3, 7), reason="flood")
        deadline = due_date(flooded, received=wib(2025, 3, 3, 9), limit=FIVE_DAYS)
        assert "skipped Tue 2025-03-04 to Thu 2025-03-06 (closed)" in deadline.trace

    def test_a_naive_receipt_is_refused(self, jakarta: WorkCalendar) -> None:
        """A naive receipt raises NaiveDatetime naming received."""
        with pytest.raises(NaiveDatetime) as caught:
            due_date(jakarta, received=datetime(2025, 3, 3, 9), limit=FIVE_DAYS)  # noqa: DTZ001
        assert caught.value.argument == "received"


class TestPauses:
    def test_a_finished_pause_moves_the_due_instant_by_its_working_time(
        self, jakarta: WorkCalendar
    ) -> None:
        """A pause from Wednesday 09:00 to Friday 11:00 covers 18 working hours and adds them."""
        paused = [pause(wib(2025, 3, 5, 9), wib(2025, 3, 7, 11), "waiting_applicant")]
        deadline = due_date(jakarta, received=wib(2025, 3, 3, 10), limit=FIVE_DAYS, pauses=paused)
        assert deadline.paused == timedelta(hours=18)
        assert deadline.due == wib(2025, 3, 13, 10)
        assert (
            "paused Wed 2025-03-05 09:00 WIB to Fri 2025-03-07 11:00 WIB (waiting_applicant): "
            "2 working days 2 hours added"
        ) in deadline.trace

    def test_overlapping_pauses_are_not_counted_twice(self, jakarta: WorkCalendar) -> None:
        """Two overlapping pauses move the deadline as much as their union."""
        received = wib(2025, 3, 3, 10)
        overlapping = [
            pause(wib(2025, 3, 4, 9), wib(2025, 3, 4, 13), "applicant"),
            pause(wib(2025, 3, 4, 11), wib(2025, 3, 4, 15), "suspended"),
        ]
        union = [pause(wib(2025, 3, 4, 9), wib(2025, 3, 4, 15))]
        first = due_date(jakarta, received=received, limit=FIVE_DAYS, pauses=overlapping)
        second = due_date(jakarta, received=received, limit=FIVE_DAYS, pauses=union)
        assert first.due == second.due
        assert first.paused == timedelta(hours=6)
        assert first.pauses[0].reason == "applicant, suspended"

    def test_a_pause_before_receipt_is_ignored(self, jakarta: WorkCalendar) -> None:
        """A pause that ended before receipt changes nothing, and the trace says so."""
        early = [pause(wib(2025, 3, 2, 9), wib(2025, 3, 3, 9))]
        deadline = due_date(jakarta, received=wib(2025, 3, 3, 10), limit=FIVE_DAYS, pauses=early)
        assert deadline.due == wib(2025, 3, 10, 16)
        assert any(line.endswith("ignored: it ended before receipt") for line in deadline.trace)

    def test_a_pause_straddling_receipt_counts_from_receipt(self, jakarta: WorkCalendar) -> None:
        """Only the part of a pause after receipt is added."""
        straddling = [pause(wib(2025, 3, 3, 8), wib(2025, 3, 3, 12))]
        received = wib(2025, 3, 3, 10)
        deadline = due_date(jakarta, received=received, limit=FIVE_DAYS, pauses=straddling)
        assert deadline.paused == timedelta(hours=2)
        assert deadline.due == wib(2025, 3, 11, 10)

    def test_a_pause_after_the_clock_ran_out_is_ignored(self, jakarta: WorkCalendar) -> None:
        """A pause that starts after the due instant does not move it."""
        late = [pause(wib(2025, 3, 11, 9), wib(2025, 3, 12, 9))]
        deadline = due_date(jakarta, received=wib(2025, 3, 3, 10), limit=FIVE_DAYS, pauses=late)
        assert deadline.due == wib(2025, 3, 10, 16)
        assert deadline.pauses == ()

    def test_an_open_pause_leaves_the_due_instant_unknown(self, jakarta: WorkCalendar) -> None:
        """While a pause is open, due is None and remaining holds the clock's working time."""
        received, stopped = wib(2025, 3, 3, 10), wib(2025, 3, 5, 12)
        deadline = due_date(jakarta, received=received, limit=FIVE_DAYS, pauses=[pause(stopped)])
        assert deadline.is_paused
        assert deadline.due is None
        assert deadline.paused_since == stopped
        assert deadline.remaining == deadline.budget - jakarta.working_time_between(
            received, stopped
        )

    def test_ending_an_open_pause_fixes_the_due_instant_from_the_remaining_time(
        self, jakarta: WorkCalendar
    ) -> None:
        """Once the pause ends, the due instant is the remaining working time after its end."""
        received, stopped, resumed = wib(2025, 3, 3, 10), wib(2025, 3, 5, 12), wib(2025, 3, 12, 9)
        open_ = due_date(jakarta, received=received, limit=FIVE_DAYS, pauses=[pause(stopped)])
        closed = due_date(
            jakarta, received=received, limit=FIVE_DAYS, pauses=[pause(stopped, resumed)]
        )
        assert open_.remaining is not None
        assert closed.due == jakarta.add_working_time(resumed, open_.remaining)

    def test_pauses_must_not_end_before_they_start(self) -> None:
        """A pause ending before its start is refused."""
        with pytest.raises(InvalidCalendar):
            pause(wib(2025, 3, 5, 12), wib(2025, 3, 5, 11))

    def test_pauses_need_aware_instants(self) -> None:
        """A naive pause end raises NaiveDatetime naming end."""
        with pytest.raises(NaiveDatetime) as caught:
            pause(wib(2025, 3, 5, 12), datetime(2025, 3, 5, 13))  # noqa: DTZ001
        assert caught.value.argument == "end"


class TestStatus:
    received = wib(2025, 3, 3, 10)

    def deadline(self, calendar: WorkCalendar, *pauses: Pause) -> Deadline:
        return due_date(calendar, received=self.received, limit=FIVE_DAYS, pauses=pauses)

    def test_a_fresh_deadline_is_on_track(self, jakarta: WorkCalendar) -> None:
        """At receipt the deadline is on track."""
        assert status_at(self.deadline(jakarta), jakarta, self.received) is SlaStatus.ON_TRACK

    def test_near_the_end_the_deadline_is_at_risk(self, jakarta: WorkCalendar) -> None:
        """With less than 20% of the budget left, the deadline is at risk."""
        deadline = self.deadline(jakarta)
        assert status_at(deadline, jakarta, wib(2025, 3, 10, 9)) is SlaStatus.AT_RISK

    def test_the_at_risk_share_can_be_chosen(self, jakarta: WorkCalendar) -> None:
        """A smaller at-risk share keeps the same moment on track."""
        deadline = self.deadline(jakarta)
        now = wib(2025, 3, 10, 9)
        assert status_at(deadline, jakarta, now, at_risk_below=0.1) is SlaStatus.ON_TRACK

    @pytest.mark.parametrize(
        "after", [timedelta(0), timedelta(hours=2), timedelta(hours=16)]
    )  # the instant itself (closing time), the closed evening after it, the next opening
    def test_the_read_models_at_risk_instant_is_at_risk(
        self, jakarta: WorkCalendar, after: timedelta
    ) -> None:
        """From the instant the read model stores as at risk on, status_at says at risk,
        the closed night right after it included; a working minute before, on track."""
        received = wib(2025, 3, 3, 8)
        limit = Duration.working_days(3)
        deadline = due_date(jakarta, received=received, limit=limit, explain=False)
        start = at_risk_instant(deadline, jakarta, received, 0.25)
        assert start == wib(2025, 3, 5, 16)  # closing time: the night follows
        assert status_at(deadline, jakarta, start + after, at_risk_below=0.25) is (
            SlaStatus.AT_RISK
        )
        before = start - timedelta(minutes=1)
        assert status_at(deadline, jakarta, before, at_risk_below=0.25) is SlaStatus.ON_TRACK

    def test_the_due_instant_itself_is_not_overdue(self, jakarta: WorkCalendar) -> None:
        """At exactly the due instant the application is not yet overdue."""
        deadline = self.deadline(jakarta)
        assert deadline.due is not None
        assert status_at(deadline, jakarta, deadline.due) is SlaStatus.AT_RISK

    def test_after_the_due_instant_it_is_overdue(self, jakarta: WorkCalendar) -> None:
        """A moment after the due instant, even at a weekend, is overdue."""
        deadline = self.deadline(jakarta)
        assert status_at(deadline, jakarta, wib(2025, 3, 15, 9)) is SlaStatus.OVERDUE

    def test_inside_a_finished_pause_the_status_is_paused(self, jakarta: WorkCalendar) -> None:
        """During a recorded pause the clock is paused."""
        deadline = self.deadline(jakarta, pause(wib(2025, 3, 4, 9), wib(2025, 3, 5, 9)))
        assert status_at(deadline, jakarta, wib(2025, 3, 4, 12)) is SlaStatus.PAUSED

    def test_an_open_pause_is_paused(self, jakarta: WorkCalendar) -> None:
        """After an open pause starts, the status is paused, however late it is."""
        deadline = self.deadline(jakarta, pause(wib(2025, 3, 4, 9)))
        assert status_at(deadline, jakarta, wib(2025, 6, 1, 9)) is SlaStatus.PAUSED

    def test_the_at_risk_share_must_be_a_fraction(self, jakarta: WorkCalendar) -> None:
        """An at-risk share outside 0-1 is refused."""
        with pytest.raises(InvalidCalendar):
            status_at(self.deadline(jakarta), jakarta, self.received, at_risk_below=1.5)

    def test_remaining_time_is_zero_at_the_due_instant(self, jakarta: WorkCalendar) -> None:
        """The working time left is zero at the due instant."""
        deadline = self.deadline(jakarta, pause(wib(2025, 3, 4, 9), wib(2025, 3, 5, 9)))
        assert deadline.due is not None
        assert remaining_working_time(deadline, jakarta, deadline.due) == timedelta(0)

    def test_remaining_time_is_negative_when_overdue(self, jakarta: WorkCalendar) -> None:
        """After the due instant, the remaining time is minus the working time since."""
        deadline = self.deadline(jakarta)
        late = remaining_working_time(deadline, jakarta, wib(2025, 3, 11, 10))
        assert late == -timedelta(hours=2)

    def test_remaining_time_before_receipt_is_the_budget(self, jakarta: WorkCalendar) -> None:
        """Before receipt the whole budget is left."""
        deadline = self.deadline(jakarta)
        early = remaining_working_time(deadline, jakarta, wib(2025, 3, 1, 10))
        assert early == deadline.budget


@pytest.mark.parametrize("explain", [True, False])
def test_a_deadline_on_the_last_day_of_year_9999_is_computed(explain: bool) -> None:
    """A deadline due on 31 December 9999 is found, with or without its trace."""
    deadline = due_date(
        WorkCalendar(time_zone="Asia/Jakarta"),
        received=wib(9999, 12, 30, 15),
        limit=Duration.working_hours(2),
        explain=explain,
    )
    assert deadline.due == wib(9999, 12, 31, 9)


def test_the_trace_is_all_that_explain_changes_with_an_early_pause(jakarta: WorkCalendar) -> None:
    """A pause that ended before receipt is only mentioned in the trace."""
    received = wib(2025, 3, 3, 9)
    early = Pause(start=wib(2025, 2, 20, 9), end=wib(2025, 2, 21, 9), reason="applicant")
    limit = Duration.working_days(5)
    traced = due_date(jakarta, received=received, limit=limit, pauses=[early])
    bare = due_date(jakarta, received=received, limit=limit, pauses=[early], explain=False)
    assert any("ended before receipt" in line for line in traced.trace)
    assert bare.trace == ()
    assert attrs.evolve(traced, trace=()) == bare
