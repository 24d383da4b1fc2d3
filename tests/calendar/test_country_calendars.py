"""Ready-made country calendars from the `holidays` package: Indonesia, Korea, Cambodia."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from onestop.calendars import calendar_for, supported_countries
from onestop.domain.common.values import Duration
from onestop.domain.time.calendar import Closure
from onestop.domain.time.sla import due_date
from onestop.exceptions import CalendarError, InvalidCalendar, UnsupportedCountry

WIB = ZoneInfo("Asia/Jakarta")

IDUL_FITRI_2025 = [date(2025, 3, 31), date(2025, 4, 1)]
JOINT_LEAVE_2025 = [date(2025, 4, 2), date(2025, 4, 3), date(2025, 4, 4), date(2025, 4, 7)]


class TestIndonesia:
    def test_idul_fitri_2025_is_not_a_working_day(self) -> None:
        """Idul Fitri 1446 H (31 March and 1 April 2025) closes public offices."""
        calendar = calendar_for("ID", years=[2025])
        assert [calendar.is_working_day(day) for day in IDUL_FITRI_2025] == [False, False]

    def test_cuti_bersama_2025_is_not_a_working_day(self) -> None:
        """The joint leave days around Idul Fitri 2025 close public offices too."""
        calendar = calendar_for("ID", years=[2025])
        assert not any(calendar.is_working_day(day) for day in JOINT_LEAVE_2025)

    def test_joint_leave_can_be_left_out(self) -> None:
        """With include_joint_leave=False, joint leave days are working days."""
        calendar = calendar_for("ID", years=[2025], include_joint_leave=False)
        assert all(calendar.is_working_day(day) for day in JOINT_LEAVE_2025)
        assert not calendar.is_working_day(date(2025, 3, 31))

    def test_a_deadline_skips_lebaran_2025(self) -> None:
        """Three working days from Thursday 27 March 2025 end on Thursday 10 April."""
        calendar = calendar_for("ID", years=[2025])
        received = datetime(2025, 3, 27, 10, tzinfo=WIB)
        deadline = due_date(calendar, received=received, limit=Duration.working_days(3))
        assert deadline.due == datetime(2025, 4, 10, 16, tzinfo=WIB)
        skipped = [line for line in deadline.trace if line.startswith("skipped ")]
        assert skipped == [
            "skipped Fri 2025-03-28 (holiday)",
            "skipped Sat 2025-03-29 (holiday)",
            "skipped Mon 2025-03-31 (holiday)",
            "skipped Tue 2025-04-01 (holiday)",
            "skipped Wed 2025-04-02 (holiday)",
            "skipped Thu 2025-04-03 (holiday)",
            "skipped Fri 2025-04-04 (holiday)",
            "skipped Mon 2025-04-07 (holiday)",
            "skipped 3 weekend days",
        ]

    def test_default_zone_is_jakarta_and_others_can_be_chosen(self) -> None:
        """Indonesia defaults to WIB; an office in Makassar gets WITA."""
        assert calendar_for("ID", years=[2025]).time_zone == "Asia/Jakarta"
        makassar = calendar_for("ID", years=[2025], time_zone="Asia/Makassar")
        assert makassar.name == "ID Asia/Makassar"
        assert makassar.stamp(datetime(2025, 3, 3, 2, tzinfo=ZoneInfo("UTC"))).endswith("WITA")

    def test_the_work_week_follows_the_weekend(self) -> None:
        """Indonesian public offices work Monday to Friday."""
        assert calendar_for("ID", years=[2025]).work_week == (1, 2, 3, 4, 5)

    def test_hours_and_closures_are_passed_through(self) -> None:
        """Opening hours and closures given are kept on the calendar."""
        flood = Closure(
            start=datetime(2025, 2, 3, 7, tzinfo=WIB),
            end=datetime(2025, 2, 3, 17, tzinfo=WIB),
            reason="flood",
        )
        calendar = calendar_for(
            "ID", years=[2025], day_start=time(7, 30), day_end=time(15, 30), closures=[flood]
        )
        assert (calendar.day_start, calendar.day_end) == (time(7, 30), time(15, 30))
        assert calendar.closures == (flood,)
        assert not calendar.is_working_day(date(2025, 2, 3))


class TestKorea:
    def test_chuseok_2025_is_skipped(self) -> None:
        """One working day from 2 October 2025 skips Foundation Day, Chuseok and Hangul Day."""
        calendar = calendar_for("KR", years=[2025])
        seoul = ZoneInfo("Asia/Seoul")
        due = calendar.add(datetime(2025, 10, 2, 10, tzinfo=seoul), Duration.working_days(1))
        assert due == datetime(2025, 10, 10, 16, tzinfo=seoul)
        assert calendar.time_zone == "Asia/Seoul"


class TestCambodia:
    def test_khmer_new_year_2025_is_skipped(self) -> None:
        """One working day from Friday 11 April 2025 skips Khmer New Year (14-16 April)."""
        calendar = calendar_for("KH", years=[2025])
        phnom_penh = ZoneInfo("Asia/Phnom_Penh")
        due = calendar.add(datetime(2025, 4, 11, 10, tzinfo=phnom_penh), Duration.working_days(1))
        assert due == datetime(2025, 4, 17, 16, tzinfo=phnom_penh)


class TestErrors:
    def test_unknown_country_lists_the_supported_ones(self) -> None:
        """An unsupported country raises UnsupportedCountry naming every supported code."""
        with pytest.raises(UnsupportedCountry) as caught:
            calendar_for("FR", years=[2025])
        assert caught.value.supported == ("ID", "KH", "KR")
        assert "ID, KH, KR" in str(caught.value)
        assert isinstance(caught.value, LookupError)
        assert isinstance(caught.value, CalendarError)

    def test_country_codes_are_case_insensitive(self) -> None:
        """A lower-case code is accepted."""
        assert calendar_for("kh", years=[2025]).time_zone == "Asia/Phnom_Penh"

    def test_supported_countries_are_sorted(self) -> None:
        """supported_countries lists the codes in order."""
        assert supported_countries() == ("ID", "KH", "KR")

    def test_unknown_subdivision_is_refused(self) -> None:
        """A subdivision the country does not have raises InvalidCalendar on subdiv."""
        with pytest.raises(InvalidCalendar) as caught:
            calendar_for("ID", years=[2025], subdiv="XX")
        assert caught.value.field == "subdiv"

    @pytest.mark.parametrize("years", [[], [1800], ["2025"]])
    def test_years_must_be_given_and_plausible(self, years: list[object]) -> None:
        """No years, or something that is not a plausible year, raises InvalidCalendar."""
        with pytest.raises(InvalidCalendar) as caught:
            calendar_for("ID", years=years)  # type: ignore[arg-type]
        assert caught.value.field == "years"
