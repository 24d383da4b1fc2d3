"""Calendars declared in the catalogue: what a mall's offices work on, as data.

A catalogue's ``[[calendars]]`` sections (see :doc:`/reference/catalogue-format`) are held
as `CalendarDeclaration` values: the time zone, the country (and subdivision and
holiday categories) whose public holidays close the offices, the opening hours, how a
day-counted limit counts, extra closures and days worked despite a listed holiday.
They are pure data: turning one into a `onestop.domain.time.versions.CalendarVersion`
(holiday dates and their names from the `holidays` package) is the adapter's work
(``onestop.calendars``), never the domain's.

**Scopes and inheritance.**  A declaration without ``agency`` covers the whole mall
(scope ``"*"``); one with ``agency`` covers that agency and the agencies below it
without their own.  `merged` gives the whole declaration in force for an agency on a
day: it starts from the mall's declarations, then those of the agency's root, ...,
then the agency's own; within a scope, versions apply in order of
`CalendarDeclaration.effective_from` (then ``version``).  Each later declaration
replaces the keys it gives and inherits those it does not; ``hours`` are merged day by
day (a day given ``[]`` is closed); ``closures`` and ``working_days`` add up, a later
declaration winning for a day both name (a closure decreed after a working day closes it,
and the other way round).  A later version of a scope therefore gives only what changes
(a joint leave day decreed in June).

`check_calendars` returns every problem of the declarations at once, with their paths.

>>> from datetime import date
>>> mall = CalendarDeclaration(
...     version=1, effective_from=date(2025, 1, 1), time_zone="Asia/Jakarta", country="ID",
... )
>>> samsat = CalendarDeclaration(
...     agency="samsat", version=1, effective_from=date(2025, 1, 1),
...     hours=CalendarHours(sat=("08:00-12:00",)),
... )
>>> found = merged([mall, samsat], ["samsat"], date(2025, 3, 1))
>>> found.country, found.hours.sat
('ID', ('08:00-12:00',))
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence

import attrs

from onestop.domain.common.formats import CATALOGUE_CODE, kind_of, preview
from onestop.domain.common.kinds import typed_fields
from onestop.domain.time.hours import DAY_NAMES, WeeklyHours
from onestop.domain.time.hours import parse_span as read_span
from onestop.domain.time.versions import MALL_SCOPE
from onestop.domain.time.zones import zone_problem
from onestop.exceptions import InvalidCalendar, Problem

__all__ = [
    "DAYS",
    "RECEIPT_DAY_RULES",
    "CalendarClosure",
    "CalendarCounting",
    "CalendarDeclaration",
    "CalendarHours",
    "WorkingDay",
    "change_days",
    "check_calendars",
    "merged",
    "parse_span",
]

DAYS = DAY_NAMES
"""The keys of `CalendarHours`, Monday first (ISO weekday = index + 1)."""

RECEIPT_DAY_RULES = ("excluded", "included")
"""The values of `CalendarCounting.receipt_day`."""


def parse_span(text: object, /) -> tuple[dt.time, dt.time]:
    """Read an opening span such as ``"07:30-12:00"`` (local wall-clock, start before end).

    A span lies within one day: the latest closing is ``23:59``
    (`onestop.domain.time.hours.parse_span`, which reads it).

    Raises:
        InvalidCalendar: If *text* is not ``HH:MM-HH:MM`` with a start before the end.
    """
    start, end = read_span(text)
    if end <= start:
        raise InvalidCalendar(field="hours", reason=f"{preview(text)} ends before it starts")
    return start, end


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class CalendarHours:
    """Opening hours per weekday, as ``HH:MM-HH:MM`` spans in the calendar's zone.

    A day given ``()`` is closed; a day not given (``None``) inherits from the
    declaration above, and is closed when no declaration gives it.  Several spans make
    a break: ``("07:30-12:00", "13:00-16:00")``.
    """

    mon: tuple[str, ...] | None = None
    tue: tuple[str, ...] | None = None
    wed: tuple[str, ...] | None = None
    thu: tuple[str, ...] | None = None
    fri: tuple[str, ...] | None = None
    sat: tuple[str, ...] | None = None
    sun: tuple[str, ...] | None = None

    def spans(self) -> dict[int, tuple[tuple[dt.time, dt.time], ...]]:
        """The spans of each ISO weekday given (1 = Monday), parsed and sorted.

        Raises:
            InvalidCalendar: If a span is malformed (`parse_span`).
        """
        found: dict[int, tuple[tuple[dt.time, dt.time], ...]] = {}
        for number, day in enumerate(DAYS, start=1):
            given = getattr(self, day)
            if given is not None:
                found[number] = tuple(sorted(parse_span(span) for span in given))
        return found


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class CalendarCounting:
    """How a limit counted in days counts.

    Attributes:
        receipt_day: ``"excluded"`` (the N-th working day *after* the day of receipt
            ends the limit) or ``"included"`` (the day of receipt is day 1).
        hours_up_to_days: Limits of up to this many days are counted in working hours
            from receipt, ``hours_per_day`` a day; ``None`` (or 0) for never.
        hours_per_day: The working hours a day of such a limit is worth (default 8).

    See `onestop.domain.time.hours.LimitCounting`, which the adapter makes of it.
    """

    receipt_day: str = "excluded"
    hours_up_to_days: int | None = None
    hours_per_day: int | None = None


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class CalendarClosure:
    """An extra closure: a whole day (``date``), or a span (``from``/``until``).

    Attributes:
        reason: Why the office is closed, shown with the day.
        date: The whole day closed.
        start: The first instant closed, local wall-clock in the zone (``from`` in files).
        until: The first instant open again, local wall-clock in the zone.
    """

    reason: str
    date: dt.date | None = None
    start: dt.datetime | None = None
    until: dt.datetime | None = None


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class WorkingDay:
    """A day the `holidays` package lists as a holiday but the offices work."""

    date: dt.date
    reason: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class CalendarDeclaration:
    """One ``[[calendars]]`` section: a version of the calendar of the mall or an agency.

    Attributes:
        agency: The agency it covers (with those below it), or ``None`` for the mall.
        version: From 1, increasing with `effective_from` within a scope.
        effective_from: The first day it is in force.
        time_zone: The IANA zone; required for the mall's first version; an agency's
            calendar is always in the agency's own zone (`Agency.time_zone`).
        country: The ISO 3166-1 code whose public holidays close the offices.
        subdivision: A subdivision code of *country*, for regional holidays.
        categories: The `holidays` categories that close the offices (``("public",)``
            when no declaration gives them).
        language: The language of holiday names (a tag such as ``ar`` or ``en-US``), if
            the `holidays` package has it (it names them ``ar_EG``, ``en_US``).
        hours: Opening hours; Monday-Friday (the country's work week) 08:00-16:00 when
            no declaration gives any.
        counting: How day-counted limits count.
        closures: Extra closures.
        working_days: Listed holidays on which the offices work.
    """

    version: int
    effective_from: dt.date
    agency: str | None = None
    time_zone: str | None = None
    country: str | None = None
    subdivision: str | None = None
    categories: tuple[str, ...] | None = None
    language: str | None = None
    hours: CalendarHours | None = None
    counting: CalendarCounting | None = None
    closures: tuple[CalendarClosure, ...] = ()
    working_days: tuple[WorkingDay, ...] = ()

    @property
    def scope(self) -> str:
        """``"*"`` for the mall, else the agency's code."""
        return MALL_SCOPE if self.agency is None else self.agency


def _declarations(value: object) -> tuple[CalendarDeclaration, ...]:
    """*value* as a tuple of declarations, or `InvalidCalendar` naming what is wrong."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidCalendar(
            field="calendars", reason=f"expected declarations, not {kind_of(value)}"
        )
    found = tuple(value)
    for item in found:
        if not isinstance(item, CalendarDeclaration):
            raise InvalidCalendar(
                field="calendars",
                reason=f"expected CalendarDeclaration values, not {kind_of(item)}",
            )
    return found


def _codes(value: object) -> tuple[str, ...]:
    """*value* as a tuple of agency codes, or `InvalidCalendar`."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidCalendar(
            field="lineage", reason=f"expected agency codes, not {kind_of(value)}"
        )
    found = tuple(value)
    if not all(isinstance(code, str) for code in found):
        raise InvalidCalendar(field="lineage", reason="expected agency codes as text")
    return found


_INHERITED = ("time_zone", "country", "subdivision", "categories", "language", "counting")


def _ordered(
    calendars: Sequence[CalendarDeclaration], lineage: Sequence[str], day: dt.date | None
) -> list[CalendarDeclaration]:
    """The declarations that apply, mall first, then from the root down, oldest first."""
    found: list[CalendarDeclaration] = []
    for scope in (MALL_SCOPE, *reversed(lineage)):
        found += sorted(
            (c for c in calendars if c.scope == scope and (day is None or c.effective_from <= day)),
            key=lambda c: (c.effective_from, c.version),
        )
    return found


def merged(
    calendars: Sequence[CalendarDeclaration], lineage: Sequence[str], day: dt.date, /
) -> CalendarDeclaration | None:
    """The whole declaration in force on *day* for an agency, inheritance applied.

    Args:
        calendars: Every declaration of the catalogue.
        lineage: The agency's code, then its parent's, ... up to the root (empty for
            the mall itself).
        day: The day asked about.

    Returns ``None`` when no declaration is in force on *day*.  The result's
    ``agency``, ``version`` and ``effective_from`` are those of the last declaration
    applied; its keys are merged as the module docstring says.
    """
    if type(day) is not dt.date:
        raise InvalidCalendar(field="day", reason=f"expected a date, not {kind_of(day)}")
    found = _ordered(_declarations(calendars), _codes(lineage), day)
    if not found:
        return None
    values: dict[str, object] = {}
    hours: dict[str, tuple[str, ...]] = {}
    closures: list[CalendarClosure] = []
    working: list[WorkingDay] = []
    any_hours = False
    for declaration in found:
        for key in _INHERITED:
            if getattr(declaration, key) is not None:
                values[key] = getattr(declaration, key)
        if declaration.hours is not None:
            any_hours = True
            for d in DAYS:
                if getattr(declaration.hours, d) is not None:
                    hours[d] = getattr(declaration.hours, d)
        # A later declaration wins over an earlier one for the same day: its closure
        # cancels an earlier working day, and its working day an earlier closure.
        closed = {c.date for c in declaration.closures if c.date is not None}
        opened = {w.date for w in declaration.working_days}
        working = [w for w in working if w.date not in closed]
        closures = [c for c in closures if c.date is None or c.date not in opened]
        closures += [c for c in declaration.closures if c not in closures]
        working += [w for w in declaration.working_days if w not in working]
    last = found[-1]
    return attrs.evolve(
        last,
        hours=CalendarHours(**{d: hours.get(d, ()) for d in DAYS}) if any_hours else None,
        closures=tuple(closures),
        working_days=tuple(working),
        **values,  # type: ignore[arg-type]
    )


def change_days(
    calendars: Sequence[CalendarDeclaration], lineage: Sequence[str], /
) -> tuple[dt.date, ...]:
    """The days on which the merged calendar of an agency may change, sorted."""
    found = _ordered(_declarations(calendars), _codes(lineage), None)
    return tuple(sorted({c.effective_from for c in found}))


def check_calendars(
    calendars: Sequence[CalendarDeclaration], parents: Mapping[str, str | None], /
) -> list[Problem]:
    """Every problem of a catalogue's calendar declarations, with its path.

    Args:
        calendars: The declarations, in catalogue order (``calendars[i]`` in paths).
        parents: Each agency's code mapped to its parent's code (``None`` for a root).

    Checks scopes (a known agency), one declaration per (scope, version), versions
    increasing with ``effective_from``, a mall-wide declaration that gives the time
    zone and the country first, the hours, counting, closures and working days.  The
    country, subdivision and categories are checked by the adapter that knows the
    `holidays` package (``onestop.calendars.check_calendar_sources``).
    """
    calendars = _declarations(calendars)
    if not isinstance(parents, Mapping):
        raise InvalidCalendar(field="parents", reason=f"expected a mapping, not {kind_of(parents)}")
    problems: list[Problem] = []
    seen: dict[tuple[str, int], int] = {}
    for i, declaration in enumerate(calendars):
        path = f"calendars[{i}]"
        problems += _check_one(declaration, path, parents)
        key = (declaration.scope, declaration.version)
        if key in seen:
            problems.append(
                Problem(
                    path=f"{path}.version",
                    message=f"version {preview(declaration.version)} of the calendar of "
                    f"{_scope_name(declaration.scope)} is also declared at calendars[{seen[key]}]",
                )
            )
        else:
            seen[key] = i
    problems += _check_order(calendars)
    problems += _check_open_weeks(calendars, parents)
    mall = sorted(
        (i for i, c in enumerate(calendars) if c.agency is None),
        key=lambda i: (calendars[i].effective_from, calendars[i].version),
    )
    if calendars and not mall:
        problems.append(
            Problem(
                path="calendars",
                message="declare the mall's calendar: a [[calendars]] section without 'agency', "
                "with version, effective_from, time_zone and country",
            )
        )
    elif mall:
        first = calendars[mall[0]]
        for field in ("time_zone", "country"):
            if getattr(first, field) is None:
                problems.append(
                    Problem(
                        path=f"calendars[{mall[0]}].{field}",
                        message=f"the mall's first calendar must give {field}",
                    )
                )
    return problems


def _check_open_weeks(
    calendars: Sequence[CalendarDeclaration], parents: Mapping[str, str | None]
) -> Iterator[Problem]:
    """A problem for each declaration whose merged week, inherited days included, is closed."""
    for i, declaration in enumerate(calendars):
        if declaration.hours is None:
            continue
        lineage: list[str] = []
        code = declaration.agency
        while code is not None and code not in lineage and code in parents:
            lineage.append(code)
            code = parents[code]
        try:
            whole = merged(calendars, lineage, declaration.effective_from)
        except InvalidCalendar:
            continue  # reported by the other checks
        if (
            whole is not None
            and whole.hours is not None
            and not any(getattr(whole.hours, day) for day in DAYS)
        ):
            yield Problem(
                path=f"calendars[{i}].hours",
                message="with the days it inherits, this calendar opens on no day of the week",
            )


def _scope_name(scope: str) -> str:
    return "the mall" if scope == MALL_SCOPE else f"agency {preview(scope)}"


def _check_order(calendars: Sequence[CalendarDeclaration]) -> Iterator[Problem]:
    indexed = sorted(enumerate(calendars), key=lambda item: (item[1].scope, item[1].version))
    for (_, before), (i, after) in itertools.pairwise(indexed):
        if (
            before.scope == after.scope
            and before.version < after.version
            and after.effective_from <= before.effective_from
        ):
            yield Problem(
                path=f"calendars[{i}].effective_from",
                message=f"version {preview(after.version)} of the calendar of "
                f"{_scope_name(after.scope)} must take effect after version "
                f"{preview(before.version)} ({before.effective_from.isoformat()})",
            )


def _check_one(
    declaration: CalendarDeclaration, path: str, parents: Mapping[str, str | None]
) -> Iterator[Problem]:
    if declaration.agency is not None:
        if declaration.agency not in parents:
            problem = CATALOGUE_CODE.problem(declaration.agency) or "no agency has this code"
            yield Problem(
                path=f"{path}.agency",
                message=f"{preview(declaration.agency)}: {problem}",
            )
        if declaration.time_zone is not None:
            yield Problem(
                path=f"{path}.time_zone",
                message="an agency's calendar is in the agency's own time_zone; "
                "give it in the [[agencies]] section",
            )
    elif declaration.time_zone is not None:
        zone = zone_problem(declaration.time_zone)
        if zone is not None:
            yield Problem(path=f"{path}.time_zone", message=zone)
    if not 1 <= declaration.version <= 2**31 - 1:
        yield Problem(path=f"{path}.version", message="a version is a number from 1")
    if declaration.country is not None and not (
        len(declaration.country) == 2 and declaration.country.isascii()
    ):
        yield Problem(
            path=f"{path}.country",
            message=f"{preview(declaration.country)} is not an ISO 3166-1 code such as 'ID'",
        )
    if declaration.categories == ():
        yield Problem(path=f"{path}.categories", message="give at least one category")
    yield from _check_hours(declaration.hours, f"{path}.hours")
    yield from _check_counting(declaration.counting, f"{path}.counting")
    for j, closure in enumerate(declaration.closures):
        yield from _check_closure(closure, f"{path}.closures[{j}]")
    days = [w.date for w in declaration.working_days]
    for j, working in enumerate(declaration.working_days):
        if days.index(working.date) != j:
            yield Problem(
                path=f"{path}.working_days[{j}].date",
                message=f"{working.date.isoformat()} is listed twice",
            )


def _check_hours(hours: CalendarHours | None, path: str) -> Iterator[Problem]:
    if hours is None:
        return
    for day in DAYS:
        texts = getattr(hours, day) or ()
        wrong = False
        for j, text in enumerate(texts):
            try:
                parse_span(text)
            except InvalidCalendar as exc:
                wrong = True
                yield Problem(path=f"{path}.{day}[{j}]", message=exc.reason)
        if texts and not wrong:
            try:
                WeeklyHours.from_text({day: texts})
            except InvalidCalendar as exc:
                yield Problem(path=f"{path}.{day}", message=exc.reason)


def _check_counting(counting: CalendarCounting | None, path: str) -> Iterator[Problem]:
    if counting is None:
        return
    if counting.receipt_day not in RECEIPT_DAY_RULES:
        yield Problem(
            path=f"{path}.receipt_day",
            message=f"{preview(counting.receipt_day)} is not 'excluded' or 'included'",
        )
    limit, hours = counting.hours_up_to_days, counting.hours_per_day
    if limit is not None and not 0 <= limit <= 999_999:
        yield Problem(
            path=f"{path}.hours_up_to_days", message=f"{limit} is not a number of days from 0"
        )
    if hours is not None and not 1 <= hours <= 24:
        yield Problem(
            path=f"{path}.hours_per_day", message=f"{hours} is not a number of hours from 1 to 24"
        )


_FIRST_DAY = dt.date(1, 1, 2)
_LAST_DAY = dt.date(9999, 12, 30)
"""The days a closure's wall-clock time may fall on: told in UTC in every zone
(`onestop.domain.time.worktime.EARLIEST` to `LATEST`, give or take a day's offset)."""


def _check_closure(closure: CalendarClosure, path: str) -> Iterator[Problem]:
    spans = closure.start is not None or closure.until is not None
    if (closure.date is None) == (not spans):
        yield Problem(path=path, message="give either date, or from and until")
    elif spans and (closure.start is None or closure.until is None):
        yield Problem(path=path, message="a closure with from needs until, and one with until from")
    elif closure.start is not None and closure.until is not None:
        for key, value in (("from", closure.start), ("until", closure.until)):
            if value.tzinfo is not None:
                yield Problem(
                    path=f"{path}.{key}",
                    message="give local wall-clock time without a UTC offset "
                    "(the calendar's zone is used)",
                )
            elif not _FIRST_DAY <= value.date() <= _LAST_DAY:
                yield Problem(
                    path=f"{path}.{key}",
                    message=f"{value.isoformat()} lies outside the days onestop counts in, "
                    f"{_FIRST_DAY} to {_LAST_DAY}",
                )
        naive = closure.start.tzinfo is None and closure.until.tzinfo is None
        if naive and closure.until <= closure.start:
            yield Problem(path=f"{path}.until", message="a closure must end after it starts")
    if not closure.reason.strip():
        yield Problem(path=f"{path}.reason", message="give the reason for the closure")
