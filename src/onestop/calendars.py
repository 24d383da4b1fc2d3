"""Ready-made work calendars for the countries onestop is used in, from the `holidays` package.

`calendar_for` builds a `onestop.domain.time.calendar.WorkCalendar` for a country's public
offices: its weekend, its public holidays for the years asked and, for Indonesia, the
*cuti bersama* joint leave days on which government offices close.  It is an adapter:
the domain never imports `holidays`; it receives the dates as data.

Supported countries, with their default zones:

======= ==================== =================================================
Code    Default zone         Holiday categories used
======= ==================== =================================================
``ID``  ``Asia/Jakarta``     ``public``, plus ``government`` (cuti bersama)
``KR``  ``Asia/Seoul``       ``public`` (substitute holidays included)
``KH``  ``Asia/Phnom_Penh``  ``public``
======= ==================== =================================================

Indonesia's joint leave days come from the `holidays` package's ``government``
category, which follows the yearly SKB 3 Menteri (joint decree of three ministers);
no table of dates is kept here.

Caveats:

* A calendar knows only the holidays of the *years* it was built for.  Build it for
  the year after the last receipt too, or deadlines that cross New Year will not
  skip the next year's holidays.
* Lunar and Islamic holidays of future years are estimates until a decree fixes them,
  and decrees change joint leave days.  Add corrections with
  `WorkCalendar.with_holidays` and closures with `WorkCalendar.with_closure`.
* Indonesia spans three zones (WIB ``Asia/Jakarta``, WITA ``Asia/Makassar``, WIT
  ``Asia/Jayapura``): give the office's zone as *time_zone*.

>>> from datetime import date
>>> jakarta = calendar_for("ID", years=[2025])
>>> jakarta.is_working_day(date(2025, 3, 31)), jakarta.is_working_day(date(2025, 4, 2))
(False, False)
>>> calendar_for("ID", years=[2025], include_joint_leave=False).is_working_day(date(2025, 4, 2))
True
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time

import attrs
import holidays

from onestop.domain.common.formats import kind_of, preview
from onestop.domain.time.calendar import Closure, WorkCalendar
from onestop.exceptions import InvalidCalendar, UnsupportedCountry

__all__ = ["CountryProfile", "calendar_for", "supported_countries"]


@attrs.frozen(kw_only=True)
class CountryProfile:
    """How onestop reads one country's holidays.

    Attributes:
        code: ISO 3166-1 alpha-2 code, e.g. ``ID``.
        time_zone: The zone used when none is given (the capital's).
        categories: The `holidays` categories of days on which public offices close.
        joint_leave_categories: Extra categories for joint leave days, dropped when
            ``include_joint_leave=False``.
    """

    code: str
    time_zone: str
    categories: tuple[str, ...] = ("public",)
    joint_leave_categories: tuple[str, ...] = ()


_PROFILES: dict[str, CountryProfile] = {
    profile.code: profile
    for profile in (
        CountryProfile(
            code="ID",
            time_zone="Asia/Jakarta",
            joint_leave_categories=("government",),
        ),
        CountryProfile(code="KH", time_zone="Asia/Phnom_Penh"),
        CountryProfile(code="KR", time_zone="Asia/Seoul"),
    )
}


def supported_countries() -> tuple[str, ...]:
    """The country codes `calendar_for` accepts, sorted."""
    return tuple(sorted(_PROFILES))


def _years(years: object) -> tuple[int, ...]:
    if isinstance(years, str | bytes) or not isinstance(years, Iterable):
        raise InvalidCalendar(field="years", reason=f"expected years, not {kind_of(years)}")
    found: set[int] = set()
    for year in years:
        if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2200:
            raise InvalidCalendar(
                field="years", reason=f"{preview(year)} is not a year from 1900 to 2200"
            )
        found.add(year)
    if not found:
        raise InvalidCalendar(field="years", reason="give at least one year")
    return tuple(sorted(found))


def _country(country: object) -> str:
    """The upper-case code of *country*, if it is two ASCII letters."""
    if not isinstance(country, str):
        raise InvalidCalendar(
            field="country", reason=f"expected a country code as text, not {kind_of(country)}"
        )
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        raise InvalidCalendar(
            field="country",
            reason=f"{preview(country)} is not an ISO 3166-1 alpha-2 code such as 'ID'",
        )
    return country.upper()


def calendar_for(
    country: str,
    *,
    years: Iterable[int],
    subdiv: str | None = None,
    time_zone: str | None = None,
    include_joint_leave: bool = True,
    closures: Iterable[Closure] = (),
    work_week: Iterable[int] | None = None,
    day_start: time = time(8),
    day_end: time = time(16),
    name: str | None = None,
) -> WorkCalendar:
    """Build the work calendar of a country's public offices for *years*.

    Args:
        country: ISO 3166-1 alpha-2 code: ``ID`` (Indonesia), ``KR`` (Korea) or
            ``KH`` (Cambodia); case does not matter.
        years: The years whose holidays to include; cover every year a deadline
            may reach.
        subdiv: A subdivision code the `holidays` package knows for *country*, for
            regional holidays.
        time_zone: The office's IANA zone; the country's default (see the table
            above) when ``None``.
        include_joint_leave: Whether joint leave days (Indonesia's *cuti bersama*)
            close the office.  No effect for countries without them.
        closures: Ad-hoc closures to include.
        work_week: ISO weekdays worked; by default every day that is not the
            country's weekend.
        day_start: Opening time (default 08:00).
        day_end: Closing time (default 16:00).
        name: A label for traces; by default ``"<country> <time zone>"``.

    Raises:
        UnsupportedCountry: If *country* is not supported; it lists those that are.
        InvalidCalendar: If *country* is not two ASCII letters, *years* is empty or
            wrong, *subdiv* is unknown, or the zone, week, hours or closures are invalid.
    """
    code = _country(country)
    if subdiv is not None and not isinstance(subdiv, str):
        raise InvalidCalendar(
            field="subdiv", reason=f"expected a subdivision code as text, not {kind_of(subdiv)}"
        )
    profile = _PROFILES.get(code)
    if profile is None:
        raise UnsupportedCountry(code, supported=supported_countries())
    categories = profile.categories
    if include_joint_leave:
        categories += profile.joint_leave_categories
    try:
        table = holidays.country_holidays(
            code, subdiv=subdiv, years=_years(years), categories=categories
        )
    except NotImplementedError as exc:
        known = ", ".join(holidays.list_supported_countries().get(code, [])) or "none"
        raise InvalidCalendar(
            field="subdiv",
            reason=f"{preview(subdiv)} is not a subdivision of {code}; known: {known}",
        ) from exc
    if work_week is None:
        weekend = {day + 1 for day in table.weekend}  # holidays counts Monday as 0
        work_week = tuple(day for day in range(1, 8) if day not in weekend)
    zone = time_zone if time_zone is not None else profile.time_zone
    days: set[date] = set(table)
    return WorkCalendar(
        time_zone=zone,
        work_week=work_week,  # the converter makes it a tuple, or refuses it
        day_start=day_start,
        day_end=day_end,
        holidays=frozenset(days),
        closures=closures,  # the converter sorts it into a tuple, or refuses it
        name=name if name is not None else f"{code} {zone}",
    )
