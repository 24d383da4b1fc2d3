"""Work calendars from the `holidays` package: the catalogue's declared ones, and ready-made ones.

**Declared calendars.**  `calendar_versions` resolves a catalogue's ``[[calendars]]``
(`onestop.domain.catalogue.calendars`) into the
`onestop.domain.time.versions.CalendarVersion` values a `onestop.usecases.mall.Mall`
counts on (``Mall(calendar_versions=...)``), for any country the `holidays` package
knows, with the holidays' names as reasons; `check_calendar_sources` reports the
countries, subdivisions, categories and languages it does not know, as catalogue
problems with their paths; `non_working_days` lists a year's non-working days with
their reasons (``onestop calendar show``).  `holidays` is imported when first used.

**Ready-made calendars.**  `calendar_for` builds a
`onestop.domain.time.calendar.WorkCalendar` for a country's public offices: its weekend,
its public holidays for the years asked and, for Indonesia, the *cuti bersama* joint
leave days on which government offices close.  It is an adapter: the domain never
imports `holidays`; it receives the dates as data.

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

* A calendar from `calendar_for` knows only the holidays of the *years* it was built
  for, and takes any other year as one without holidays.  Build it for the year after
  the last receipt too, or deadlines that cross New Year will not skip the next
  year's holidays.  (A calendar from `calendar_versions` refuses to count in a year
  it does not list: `onestop.domain.time.calendar.WorkCalendar.holiday_years`.)
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

from collections.abc import Iterable, Sequence
from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from onestop.domain.catalogue.calendars import (
    DAYS,
    CalendarCounting,
    CalendarDeclaration,
    change_days,
    merged,
)
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.common.formats import MAX_NAME, kind_of, preview
from onestop.domain.common.kinds import check_type
from onestop.domain.time.calendar import Closure, WorkCalendar
from onestop.domain.time.hours import LimitCounting, WeeklyHours
from onestop.domain.time.versions import MALL_SCOPE, CalendarVersion, in_force
from onestop.exceptions import (
    InvalidCalendar,
    InvalidCatalogue,
    InvalidValue,
    Problem,
    UnsupportedCountry,
)

__all__ = [
    "CountryProfile",
    "calendar_for",
    "calendar_versions",
    "check_calendar_sources",
    "counted_years",
    "non_working_days",
    "package_language",
    "supported_countries",
]


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
    import holidays  # noqa: PLC0415 - an adapter's dependency, loaded when used

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


# --- calendars declared in the catalogue ------------------------------------------------


def _table(declaration: CalendarDeclaration, years: tuple[int, ...]) -> Any:
    """The `holidays` table of a merged declaration (country, subdivision, categories)."""
    import holidays  # noqa: PLC0415 - an adapter's dependency, loaded when used

    country = declaration.country or ""
    language = declaration.language
    if language is not None:
        known = holidays.country_holidays(country).supported_languages
        language = package_language(language, known, country=country) or language
    return holidays.country_holidays(
        country,
        subdiv=declaration.subdivision,
        years=years,
        categories=declaration.categories or ("public",),
        language=language,
    )


def package_language(tag: str, known: Iterable[str], *, country: str = "") -> str | None:
    """The language code of the `holidays` package that the language tag *tag* means.

    The package names languages as ``ar_EG``, ``en_US``, ``fr``; a catalogue uses BCP 47
    tags (``ar``, ``en-US``).  An exact match wins (case and ``-``/``_`` aside); else a
    language with the same primary subtag, the one of *country* first (``ar`` in Egypt
    is ``ar_EG``), then the first in sorted order.  ``None`` if none matches.

    >>> package_language("ar", ["ar_EG", "en_US", "fr"], country="EG")
    'ar_EG'
    >>> package_language("en-us", ["ar_EG", "en_US", "fr"])
    'en_US'
    >>> package_language("km", ["ar_EG", "en_US"]) is None
    True
    """
    given: object = tag
    listed: Iterable[object] = known
    if not isinstance(given, str) or not isinstance(country, str):
        return None
    options = sorted(k for k in listed if isinstance(k, str))
    wanted = tag.replace("-", "_").casefold()
    for option in options:
        if option.casefold() == wanted:
            return option
    primary = wanted.split("_")[0]
    same = [o for o in options if o.casefold().split("_")[0] == primary]
    local = [o for o in same if o.casefold().endswith(f"_{country.casefold()}")]
    found = local or same
    return found[0] if found else None


def _resolve(
    declaration: CalendarDeclaration,
    *,
    scope: str,
    number: int,
    time_zone: str,
    years: tuple[int, ...],
) -> CalendarVersion:
    """One `CalendarVersion` from a merged declaration, with holiday names as reasons."""
    first, last = _listed_years(declaration.country or "", years)
    table = _table(declaration, tuple(range(first, last + 1)))
    reasons: dict[date, str] = {day: str(name) for day, name in table.items()}
    zone = ZoneInfo(time_zone)
    closures: list[Closure] = []
    for closure in declaration.closures:
        if closure.date is not None:
            reasons[closure.date] = (
                f"{reasons[closure.date]}; {closure.reason}"
                if closure.date in reasons
                else closure.reason
            )
        elif closure.start is not None and closure.until is not None:
            closures.append(
                Closure(
                    start=closure.start.replace(tzinfo=zone),
                    end=closure.until.replace(tzinfo=zone),
                    reason=closure.reason,
                )
            )
    for working in declaration.working_days:
        reasons.pop(working.date, None)
    week: dict[str, Any]
    if declaration.hours is None:
        weekend = {day + 1 for day in table.weekend}  # holidays counts Monday as 0
        week = {"work_week": tuple(day for day in range(1, 8) if day not in weekend)}
    else:
        given = {d: getattr(declaration.hours, d) for d in DAYS if getattr(declaration.hours, d)}
        week = {"hours": WeeklyHours.from_text(given)}
    counting = declaration.counting or CalendarCounting()
    calendar = WorkCalendar(
        time_zone=time_zone,
        **week,
        counting=LimitCounting(
            receipt_day="included" if counting.receipt_day == "included" else "excluded",
            hours_up_to_days=counting.hours_up_to_days or 0,
            hours_per_day=counting.hours_per_day or 8,
        ),
        holidays=frozenset(reasons),
        closures=closures,
        name=f"{declaration.country} {time_zone} ({scope} v{number})",
        holiday_years=(first, last),
    )
    return CalendarVersion(
        scope=scope,
        version=number,
        effective_from=declaration.effective_from,
        calendar=calendar,
        reasons=[(day, reason[:MAX_NAME]) for day, reason in reasons.items()],
    )


def _listed_years(country: str, years: tuple[int, ...]) -> tuple[int, int]:
    """The first and last of *years* (and every year between) the `holidays` package lists
    holidays of *country* for.

    Raises:
        InvalidCalendar: If it lists none of them, naming the years it covers.
    """
    import holidays  # noqa: PLC0415 - an adapter's dependency, loaded when used

    table = holidays.country_holidays(country)
    covered = (int(table.start_year), int(table.end_year))
    first, last = max(years[0], covered[0]), min(years[-1], covered[1])
    if first > last:
        asked = str(years[0]) if len(years) == 1 else f"{years[0]} to {years[-1]}"
        raise InvalidCalendar(
            field="years",
            reason=f"the holidays package lists {country} holidays from {covered[0]} "
            f"to {covered[1]} only, not in {asked}",
        )
    return first, last


def counted_years(catalogue: Catalogue, /, *, around: int) -> range:
    """The years whose holidays a mall counting deadlines around the year *around* needs.

    From the year before the first declared version takes effect (or five years before
    *around*, if earlier, for applications received then) to two years after *around*
    (for deadlines and pauses that run into them).  The command line and the demo
    resolve calendars over these years; a deadline counted past them would not skip
    the holidays of a year not read.

    Raises:
        InvalidValue: If *catalogue* is not a `Catalogue`, or *around* not a year.
    """
    check_type(catalogue, Catalogue, field="catalogue")
    year: object = around
    if isinstance(year, bool) or not isinstance(year, int) or not 1905 <= year <= 2195:
        raise InvalidValue(field="around", reason=f"{preview(around)} is not a year")
    starts = [c.effective_from.year for c in catalogue.calendars] or [around]
    return range(max(min(min(starts) - 1, around - 5), 1900), around + 3)


def calendar_versions(catalogue: Catalogue, *, years: Iterable[int]) -> tuple[CalendarVersion, ...]:
    """Resolve a catalogue's ``[[calendars]]`` into the versions a `Mall` counts on.

    Each scope that declares a calendar (the mall, ``"*"``, and each agency with its
    own ``[[calendars]]``) gets one `CalendarVersion` per day its merged calendar may
    change (`onestop.domain.catalogue.calendars.change_days`: its own versions' and
    those of the scopes above it, from its own first version on), numbered 1, 2, ...
    in that order.  Holidays come from the `holidays` package by country, subdivision
    and categories, named (in the declared language) in `CalendarVersion.reasons`, with
    the declared closures added and the declared working days taken out.  An agency's
    calendar is in the agency's own time zone.

    Args:
        catalogue: A loaded catalogue.
        years: The years whose holidays to include: cover every year a deadline may
            reach, e.g. from the year before the first ``effective_from`` to the year
            after the last day you count to (the CLI uses `counted_years`).  Every year
            from the first to the last given is read.

    Each calendar knows the years it lists holidays for
    (`WorkCalendar.holiday_years`): *years*, less those the `holidays` package has no
    holidays of for the declared country (it lists none after 2100, nor before a
    country's first year).  A deadline, pause or SLA judgement that needs a day of
    another year raises `onestop.exceptions.DateOutOfRange` naming the years listed,
    instead of counting that year as one without holidays.

    Returns ``()`` for a catalogue without ``[[calendars]]``.

    Raises:
        InvalidCatalogue: If a declaration names a country, subdivision, category or
            language the `holidays` package does not know (`check_calendar_sources`),
            listing every such problem.
        InvalidCalendar: If *years* is empty or holds something that is not a year, or
            the `holidays` package lists none of them for a declared country (naming
            the years it covers).
    """
    check_type(catalogue, Catalogue, field="catalogue")
    wanted = _years(years)
    if not catalogue.calendars:
        return ()
    problems = check_calendar_sources(catalogue)
    if problems:
        raise InvalidCatalogue(problems)
    declared = catalogue.calendars
    found: list[CalendarVersion] = []
    scopes = dict.fromkeys(c.scope for c in declared)
    scopes.update(dict.fromkeys(_zoned_apart(catalogue, tuple(scopes))))
    for scope in scopes:
        lineage = [] if scope == MALL_SCOPE else catalogue.lineage(scope)
        first = min(c.effective_from for c in declared if c.scope in (*lineage, MALL_SCOPE))
        zone = None if scope == MALL_SCOPE else catalogue.agency(scope).time_zone
        days = [day for day in change_days(declared, lineage) if day >= first]
        for number, day in enumerate(days, start=1):
            merged_here = merged(declared, lineage, day)
            if merged_here is None or merged_here.time_zone is None:
                continue  # no mall-wide calendar in force yet: check_calendars says so
            found.append(
                _resolve(
                    attrs.evolve(merged_here, effective_from=day),
                    scope=scope,
                    number=number,
                    time_zone=zone or merged_here.time_zone,
                    years=wanted,
                )
            )
    return tuple(found)


def _zoned_apart(catalogue: Catalogue, scopes: tuple[str, ...]) -> list[str]:
    """Agencies with no calendar of their own, in another zone than the one they inherit.

    They get versions of their own, resolved in their zone, so that an inherited
    part-day closure (``08:00-12:00``) is read on their wall clock, as their own
    declarations would be, not shifted from the mall's.
    """
    mall = [c for c in catalogue.calendars if c.agency is None and c.time_zone is not None]
    mall_zone = min(mall, key=lambda c: (c.effective_from, c.version)).time_zone if mall else None
    apart: list[str] = []
    for agency in catalogue.agencies:
        if agency.code in scopes:
            continue
        nearest = next((code for code in catalogue.lineage(agency.code) if code in scopes), None)
        zone = mall_zone if nearest is None else catalogue.agency(nearest).time_zone
        if zone is not None and agency.time_zone != zone:
            apart.append(agency.code)
    return apart


def check_calendar_sources(catalogue: Catalogue) -> list[Problem]:
    """Every declared country, subdivision, category or language `holidays` does not know.

    The loader of the CLI runs it with the catalogue's own checks, so that these
    problems are reported with the others, with their paths (``calendars[2].country``);
    `calendar_versions` runs it too.
    """
    import holidays  # noqa: PLC0415 - an adapter's dependency, loaded when used

    check_type(catalogue, Catalogue, field="catalogue")
    supported = holidays.list_supported_countries()
    problems: list[Problem] = []
    for i, declaration in enumerate(catalogue.calendars):
        path = f"calendars[{i}]"
        codes = {agency.code for agency in catalogue.agencies}
        agency = declaration.agency
        lineage = () if agency is None else catalogue.lineage(agency) if agency in codes else ()
        whole = merged(catalogue.calendars, lineage, declaration.effective_from)
        code = whole.country if whole is not None else declaration.country
        if code is None or code not in supported:
            if declaration.country is not None:
                problems.append(
                    Problem(
                        path=f"{path}.country",
                        message=f"{preview(declaration.country)} is not a country the holidays "
                        "package knows (an ISO 3166-1 alpha-2 code in capitals, such as 'ID')",
                    )
                )
            continue
        table = holidays.country_holidays(code)
        given = (
            ("subdivision", declaration.subdivision, supported[code]),
            ("language", declaration.language, table.supported_languages),
        )
        for key, value, known in given:
            if key == "language" and value is not None:
                value = value if package_language(value, known, country=code) is None else None
            if value is not None and value not in known:
                problems.append(
                    Problem(
                        path=f"{path}.{key}",
                        message=f"{preview(value)} is not a {key} of {code} the holidays package "
                        f"knows; known: {', '.join(known) or 'none'}",
                    )
                )
        for j, category in enumerate(declaration.categories or ()):
            if category not in table.supported_categories:
                problems.append(
                    Problem(
                        path=f"{path}.categories[{j}]",
                        message=f"{preview(category)} is not a holiday category of {code}; "
                        f"known: {', '.join(sorted(table.supported_categories))}",
                    )
                )
    return problems


def non_working_days(
    catalogue: Catalogue, *, year: int, agency: str | None = None
) -> tuple[tuple[date, str], ...]:
    """Every day of *year* the catalogue's calendar lists as not worked, with its reason.

    The days are the public holidays of the declared country and categories (on any
    weekday, weekends included) and the declared whole-day closures, less the declared
    working days, each read from the version in force on that day for *agency* (the
    mall's calendar when ``None``).  Weekends are not listed: the opening hours say
    which days are worked.  ``onestop calendar show`` prints them.

    Raises:
        AgencyNotFound: If the catalogue has no agency *agency*.
        InvalidCalendar: If *year* is not a year from 1901 to 2199, or one the `holidays`
            package has no holidays for in the declared country (it lists none after
            2100, say): an empty list would be silently wrong.
        InvalidCatalogue: As `calendar_versions`.
    """
    check_type(catalogue, Catalogue, field="catalogue")
    given: object = year  # a caller may give anything
    if isinstance(given, bool) or not isinstance(given, int) or not 1901 <= given <= 2199:
        raise InvalidCalendar(
            field="year", reason=f"{preview(year)} is not a year from 1901 to 2199"
        )
    lineage = [] if agency is None else catalogue.lineage(agency)
    _check_listed_year(catalogue, lineage, year)
    versions = calendar_versions(catalogue, years=(year - 1, year, year + 1))
    found: list[tuple[date, str]] = []
    day = date(year, 1, 1)
    while day.year == year:
        version = in_force(versions, lineage, day)
        reason = None if version is None else version.reason(day)
        if reason is not None:
            found.append((day, reason))
        day += timedelta(days=1)
    return tuple(found)


def _check_listed_year(catalogue: Catalogue, lineage: Sequence[str], year: int) -> None:
    """Refuse a *year* outside the years the `holidays` package lists for the country
    declared in force in it (from the first to the last day of *year*)."""
    import holidays  # noqa: PLC0415 - an adapter's dependency, loaded when used

    for day in (date(year, 1, 1), date(year, 12, 31)):
        declared = merged(catalogue.calendars, lineage, day)
        if declared is None or not declared.country:
            continue
        table = holidays.country_holidays(declared.country)
        first, last = int(table.start_year), int(table.end_year)
        if not first <= year <= last:
            raise InvalidCalendar(
                field="year",
                reason=(
                    f"the holidays package lists {declared.country} holidays from {first} "
                    f"to {last} only, not in {year}"
                ),
            )
