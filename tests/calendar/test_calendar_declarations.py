"""Calendars declared in catalogue files: loading, every problem at once, resolution, the Mall."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from onestop import Duration, Mall, WorkCalendar, calendar_versions
from onestop.calendars import check_calendar_sources, non_working_days
from onestop.exceptions import ConfigurationError, InvalidCatalogue
from onestop.storage.memory import MemoryStore
from onestop.usecases.catalogue.loading import (
    catalogue_from_data,
    dump_catalogue,
    load_catalogue,
    read_catalogue,
)
from onestop.usecases.catalogue.publishing import publish_catalogue, published_catalogue

HEAD = """
[catalogue]
name = { en = "Test mall" }
languages = ["en"]

[[agencies]]
code = "hq"
name = { en = "Head office" }
kind = "national"
time_zone = "Europe/Berlin"

[[agencies]]
code = "branch"
name = { en = "Branch" }
kind = "regional"
time_zone = "Europe/Berlin"
parent = "hq"
"""

GOOD = """
[[calendars]]
version = 1
effective_from = 2025-01-01
time_zone = "Europe/Berlin"
country = "DE"
subdivision = "BY"
categories = ["public"]
counting = { receipt_day = "included", hours_up_to_days = 5 }
[calendars.hours]
mon = ["08:00-12:00", "13:00-16:00"]
tue = ["08:00-16:00"]
[[calendars.closures]]
date = 2025-12-24
reason = "Christmas Eve"
[[calendars.closures]]
from = 2025-03-03T08:00:00
until = 2025-03-03T12:00:00
reason = "Staff meeting"
[[calendars.working_days]]
date = 2025-01-06
reason = "Epiphany worked"

[[calendars]]
version = 2
effective_from = 2025-06-02
[[calendars.closures]]
date = 2025-10-02
reason = "Decree of June"

[[calendars]]
agency = "branch"
version = 1
effective_from = 2025-01-01
[calendars.hours]
sat = ["09:00-12:00"]
"""

HOSTILE = """
[[calendars]]
version = 1
effective_from = 2025-01-01
country = "QQ"
[calendars.hours]
mon = ["17:00-09:00", "lunch"]
tue = ["08:00-12:00", "11:00-16:00"]
wed = ["08:00-12:00", "12:00-16:00"]
[[calendars.closures]]
reason = "no day"
[[calendars.closures]]
from = 2025-03-03T08:00:00
reason = "no end"

[[calendars]]
version = 1
effective_from = 2025-02-01
time_zone = "Europe/Berlin"

[[calendars]]
version = 2
effective_from = 2024-06-01
counting = { receipt_day = "sometimes", hours_up_to_days = -1, hours_per_day = 25 }

[[calendars]]
agency = "nowhere"
version = 1
effective_from = 2025-01-01
time_zone = "Europe/Paris"
categories = []
"""


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "mall.toml"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def test_a_declared_calendar_loads_with_every_key(tmp_path: Path) -> None:
    """Hours, counting, closures (whole day and span) and working days are loaded as declared."""
    catalogue = load_catalogue(_write(tmp_path, GOOD))
    first = catalogue.calendars[0]
    assert first.hours is not None
    assert first.hours.mon == ("08:00-12:00", "13:00-16:00")
    assert first.counting is not None
    assert first.counting.receipt_day == "included"
    assert first.closures[1].start == datetime(2025, 3, 3, 8)  # noqa: DTZ001 - wall-clock
    assert catalogue.calendars[2].scope == "branch"


def test_every_problem_of_hostile_declarations_is_reported_at_once(tmp_path: Path) -> None:
    """Scope, duplicates, order, hours, counting and closures are all reported, with paths."""
    _, problems = read_catalogue(_write(tmp_path, HOSTILE))
    paths = {p.path for p in problems}
    assert {
        "calendars[2].time_zone",  # the mall's earliest version gives no zone
        "calendars[0].hours.mon[0]",
        "calendars[0].hours.mon[1]",
        "calendars[0].hours.tue",
        "calendars[0].hours.wed",  # spans that touch are one span
        "calendars[0].closures[0]",
        "calendars[0].closures[1]",
        "calendars[1].version",
        "calendars[2].effective_from",
        "calendars[2].counting.receipt_day",
        "calendars[2].counting.hours_up_to_days",
        "calendars[2].counting.hours_per_day",
        "calendars[3].agency",
        "calendars[3].time_zone",
        "calendars[3].categories",
    } <= paths
    assert all(p.file is not None for p in problems)


def test_unknown_countries_and_categories_are_problems_of_the_adapter(tmp_path: Path) -> None:
    """A country, subdivision, category or language the holidays package lacks is named."""
    body = GOOD.replace('subdivision = "BY"', 'subdivision = "ZZ"').replace(
        'categories = ["public"]', 'categories = ["public", "pirate"]\nlanguage = "tlh"'
    )
    catalogue = load_catalogue(_write(tmp_path, body))
    paths = {p.path for p in check_calendar_sources(catalogue)}
    assert paths == {
        "calendars[0].subdivision",
        "calendars[0].categories[1]",
        "calendars[0].language",
    }
    with pytest.raises(InvalidCatalogue):
        calendar_versions(catalogue, years=[2025])


def test_declarations_round_trip_through_dump_and_publishing(tmp_path: Path) -> None:
    """dump_catalogue and a published catalogue give back equal declarations."""
    catalogue = load_catalogue(_write(tmp_path, GOOD))
    again = catalogue_from_data(json.loads(dump_catalogue(catalogue)), source="dump")
    assert again.calendars == catalogue.calendars
    store = MemoryStore()
    publish_catalogue(store, catalogue)
    assert published_catalogue(store).calendars == catalogue.calendars


def test_resolution_names_holidays_and_applies_closures_and_working_days(tmp_path: Path) -> None:
    """Holiday names are reasons; a closure is added, a working day taken out."""
    catalogue = load_catalogue(_write(tmp_path, GOOD))
    days = dict(non_working_days(catalogue, year=2025))
    assert days[date(2025, 12, 24)] == "Christmas Eve"
    assert date(2025, 1, 6) not in days  # Epiphany, a Bavarian holiday, declared worked
    assert date(2025, 12, 25) in days
    assert date(2025, 10, 2) in days  # version 2, from June
    assert date(2025, 10, 2) not in dict(
        non_working_days(
            catalogue.__class__(
                name=catalogue.name,
                languages=catalogue.languages,
                agencies=catalogue.agencies,
                calendars=catalogue.calendars[:1],
            ),
            year=2025,
        )
    )


def test_an_agency_inherits_the_mall_calendar_and_adds_its_hours(tmp_path: Path) -> None:
    """The branch works Saturday mornings, with the mall's holidays and weekday hours."""
    catalogue = load_catalogue(_write(tmp_path, GOOD))
    versions = calendar_versions(catalogue, years=[2025])
    branch = [v for v in versions if v.scope == "branch"]
    assert [v.effective_from for v in branch] == [date(2025, 1, 1), date(2025, 6, 2)]
    hours = branch[0].calendar.hours
    assert hours is not None
    assert hours.work_week == (1, 2, 6)
    assert hours.spans(1) == ((time(8), time(12)), (time(13), time(16)))
    assert date(2025, 10, 2) in branch[1].calendar.holidays


def test_the_mall_counts_on_the_version_in_force(tmp_path: Path) -> None:
    """Mall.calendar picks the version in force on the day asked, per agency."""
    catalogue = load_catalogue(_write(tmp_path, GOOD))
    mall = Mall(
        catalogue=catalogue,
        store=MemoryStore(),
        calendar_versions=calendar_versions(catalogue, years=[2025]),
    )
    before = mall.calendar("hq", at=datetime(2025, 5, 1, tzinfo=UTC))
    after = mall.calendar("hq", at=datetime(2025, 7, 1, tzinfo=UTC))
    assert date(2025, 10, 2) not in before.holidays
    assert date(2025, 10, 2) in after.holidays
    with pytest.raises(ConfigurationError, match="in force"):
        mall.calendar("hq", at=datetime(2024, 7, 1, tzinfo=UTC))


def test_a_mall_over_declared_calendars_refuses_to_count_on_none(tmp_path: Path) -> None:
    """A catalogue with [[calendars]] and a Mall given none: ConfigurationError naming the fix."""
    catalogue = load_catalogue(_write(tmp_path, GOOD))
    mall = Mall(catalogue=catalogue, store=MemoryStore())
    with pytest.raises(ConfigurationError, match="calendar_versions"):
        mall.calendar("hq")


def _mall_calendar(example: str) -> WorkCalendar:
    root = Path(__file__).parent.parent.parent / "examples" / example
    versions = calendar_versions(load_catalogue(root), years=[2025])
    (version,) = [v for v in versions if v.scope == "*"]
    return version.calendar


def test_the_korean_example_counts_short_limits_in_hours_across_lunch() -> None:
    """3 days from Mon 10:00 KST are 24 working hours at 8 a day: due Thu 10:00 (by hand)."""
    seoul = ZoneInfo("Asia/Seoul")
    due = _mall_calendar("korea").add(
        datetime(2025, 10, 13, 10, tzinfo=seoul), Duration.working_days(3)
    )
    assert due == datetime(2025, 10, 16, 10, tzinfo=seoul)


def test_the_jakarta_example_breaks_longer_on_friday() -> None:
    """One working hour from Fri 11:00 WIB ends at 13:30: closed 11:30-13:00 (by hand)."""
    wib = ZoneInfo("Asia/Jakarta")
    due = _mall_calendar("jakarta").add(
        datetime(2025, 7, 18, 11, tzinfo=wib), Duration.working_hours(1)
    )
    assert due == datetime(2025, 7, 18, 13, 30, tzinfo=wib)


ORDERED = """
[[calendars]]
version = 1
effective_from = 2025-01-01
time_zone = "Asia/Jakarta"
country = "ID"

[[calendars]]
version = 2
effective_from = 2025-03-01
[[calendars.working_days]]
date = 2025-12-26
reason = "Offices open"

[[calendars]]
version = 3
effective_from = 2025-11-01
[[calendars.closures]]
date = 2025-12-26
reason = "Decree: offices closed"
"""


def test_a_later_declaration_wins_for_a_day_both_name(tmp_path: Path) -> None:
    """A closure decreed after a working day closes that day; before it, the day is worked."""
    catalogue = load_catalogue(_write(tmp_path, ORDERED))
    mall = Mall(
        catalogue=catalogue,
        store=MemoryStore(),
        calendar_versions=calendar_versions(catalogue, years=[2025]),
    )
    boxing_day = date(2025, 12, 26)
    in_march = mall.calendar("hq", at=datetime(2025, 3, 2, tzinfo=UTC))
    in_november = mall.calendar("hq", at=datetime(2025, 11, 2, tzinfo=UTC))
    assert in_march.is_working_day(boxing_day)
    assert not in_november.is_working_day(boxing_day)


def test_calendar_show_refuses_a_year_before_the_first_version(tmp_path: Path) -> None:
    """`calendar show --year` before any version is in force exits 2 naming the first day."""
    from click.testing import CliRunner

    from onestop.cli import cli

    path = _write(tmp_path, ORDERED)
    result = CliRunner().invoke(cli, ["calendar", "show", str(path), "--year", "2019"])
    assert result.exit_code == 2
    assert "no calendar is in force in 2019" in result.output
    assert "2025-01-01" in result.output


def test_the_years_counted_cover_the_first_version_and_two_years_ahead() -> None:
    """Jakarta's calendar (from 2020), counted around 2025: holidays of 2019 to 2027."""
    from onestop.calendars import counted_years
    from onestop.usecases.catalogue.loading import load_catalogue as load

    jakarta = load(Path(__file__).resolve().parents[2] / "examples" / "jakarta")
    assert counted_years(jakarta, around=2025) == range(2019, 2028)
    assert counted_years(jakarta, around=2030) == range(2019, 2033)


def test_a_version_that_closes_every_day_is_a_problem_of_the_loader(tmp_path: Path) -> None:
    """Hours that, with what they inherit, open on no day are reported with their path."""
    body = """
[[calendars]]
version = 1
effective_from = 2025-01-01
time_zone = "Asia/Jakarta"
country = "ID"

[[calendars]]
version = 2
effective_from = 2025-06-01
[calendars.hours]
mon = []
tue = []
wed = []
thu = []
fri = []
"""
    _, problems = read_catalogue(_write(tmp_path, body))
    assert [(p.path, "no day" in p.message) for p in problems] == [("calendars[1].hours", True)]


def test_an_inherited_part_day_closure_is_read_on_each_agency_wall_clock(tmp_path: Path) -> None:
    """A mall-wide 08:00-12:00 closure closes 08:00-12:00 local in an agency of another zone."""
    head = HEAD.replace(
        'time_zone = "Europe/Berlin"\nparent = "hq"', 'time_zone = "Europe/London"\nparent = "hq"'
    )
    body = """
[[calendars]]
version = 1
effective_from = 2025-01-01
time_zone = "Europe/Berlin"
country = "DE"
[calendars.hours]
mon = ["08:00-16:00"]
tue = ["08:00-16:00"]
[[calendars.closures]]
from = 2025-03-03T08:00:00
until = 2025-03-03T12:00:00
reason = "Staff meeting"
"""
    path = tmp_path / "mall.toml"
    path.write_text(head + body, encoding="utf-8")
    catalogue = load_catalogue(path)
    mall = Mall(
        catalogue=catalogue,
        store=MemoryStore(),
        calendar_versions=calendar_versions(catalogue, years=[2025]),
    )
    at = datetime(2025, 3, 3, 12, tzinfo=UTC)
    for agency, zone in (("hq", "Europe/Berlin"), ("branch", "Europe/London")):
        calendar = mall.calendar(agency, at=at)
        spans = calendar.open_hours(date(2025, 3, 3))
        local = [
            (a.astimezone(ZoneInfo(zone)).time(), b.astimezone(ZoneInfo(zone)).time())
            for a, b in spans
        ]
        assert local == [(time(12), time(16))], agency
