"""How long a service's applications keep their personal data once they are closed.

Retention is catalogue data: a service's ``[retention]`` table (or the catalogue's
default, ``[catalogue.retention]``) says either how long personal data is kept after an
application closes (``keep_after_closing = "5 years"``) or that it is kept for good
(``archive = true``, an archive rule: erasure is refused).  The decisions that read it
live in `onestop.domain.applications.erasure`.

A keep period is counted in *calendar* days, months or years: working days, which a
work calendar defines only for the years it knows, mean nothing years after closing,
and are refused.

>>> RetentionPeriod.parse("10 years")
RetentionPeriod(amount=10, unit=<CalendarUnit.YEARS: 'years'>)
>>> from datetime import UTC, datetime
>>> RetentionPeriod.parse("1 year").end(datetime(2024, 2, 29, 9, 0, tzinfo=UTC))
datetime.datetime(2025, 2, 28, 9, 0, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

import enum
import re
from datetime import UTC, date, datetime, timedelta

import attrs

from onestop.domain.common.formats import int_problem, preview
from onestop.domain.common.kinds import check_instant, typed_fields
from onestop.exceptions import InvalidValue

__all__ = ["MAX_RETENTION", "CalendarUnit", "Retention", "RetentionPeriod"]

MAX_RETENTION = 9999
"""The largest amount of a keep period, in its unit (``9999 years`` reaches past 9999)."""

_PERIOD = re.compile(r"\s*([0-9]{1,6})\s+(day|days|month|months|year|years)\s*", re.ASCII)
_WORKING = re.compile(r".*\bworking\b.*", re.ASCII | re.IGNORECASE | re.DOTALL)
_LAST_YEAR = 9999  # datetime.MAXYEAR
_FORM = "such as '30 days', '6 months' or '5 years'"


class CalendarUnit(enum.Enum):
    """What a keep period counts: calendar days, months or years."""

    DAYS = "days"
    MONTHS = "months"
    YEARS = "years"


def _amount(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    reason = int_problem(value, maximum=MAX_RETENTION)
    if reason is not None:
        raise InvalidValue(field=attribute.name, reason=reason)


@attrs.frozen(field_transformer=typed_fields)
class RetentionPeriod:
    """A keep period in calendar days, months or years, such as ``5 years``.

    Attributes:
        amount: A whole number from 0 (erasable as soon as the application closes) to
            `MAX_RETENTION`.
        unit: What is counted.
    """

    amount: int = attrs.field(validator=_amount)
    unit: CalendarUnit

    @classmethod
    def parse(cls, text: str) -> RetentionPeriod:
        """Parse ``"30 days"``, ``"6 months"``, ``"1 year"`` or ``"5 years"``.

        Raises:
            InvalidValue: If *text* is not of that form; working days or hours are
                refused with a message saying why.
        """
        given: object = text
        match = _PERIOD.fullmatch(given) if isinstance(given, str) else None
        if match is None:
            if isinstance(given, str) and _WORKING.fullmatch(given[:200]):
                reason = (
                    "a keep period is counted in calendar days, months or years, not in "
                    f"working time (which no calendar defines for years ahead): write one {_FORM}"
                )
            else:
                reason = f"{preview(text)} is not a keep period {_FORM}"
            raise InvalidValue(field="keep_after_closing", reason=reason)
        word = match.group(2)
        unit = CalendarUnit.DAYS if word.startswith("day") else CalendarUnit(word.rstrip("s") + "s")
        amount = int(match.group(1))
        too_long = int_problem(amount, maximum=MAX_RETENTION)
        if too_long is not None:
            raise InvalidValue(field="keep_after_closing", reason=too_long)
        return cls(amount, unit)

    def end(self, start: datetime, /) -> datetime | None:
        """Return the instant this period after *start* ends, in UTC; ``None`` past year 9999.

        Months and years move the calendar date (in UTC) and keep the time of day; a
        day the month lacks becomes its last day (one year after 29 February 2024 is
        28 February 2025; one month after 31 January is the end of February).  An end
        beyond the last instant a `datetime` holds is ``None``: never reached.

        Raises:
            NaiveDatetime: If *start* has no time zone.
            InvalidValue: If *start* is not a datetime, or not an instant in UTC.
        """
        check_instant(start, field="start")
        utc = start.astimezone(UTC)
        if self.unit is CalendarUnit.DAYS:
            try:
                return utc + timedelta(days=self.amount)
            except OverflowError:
                return None
        months = self.amount * (12 if self.unit is CalendarUnit.YEARS else 1)
        year, month = divmod(utc.month - 1 + months, 12)
        year += utc.year
        if year > _LAST_YEAR:
            return None
        day = min(utc.day, _days_in(year, month + 1))
        return utc.replace(year=year, month=month + 1, day=day)

    def __str__(self) -> str:
        """Render as ``5 years`` (``1 year`` for one)."""
        noun = self.unit.value
        return f"{self.amount} {noun[:-1] if self.amount == 1 else noun}"


def _days_in(year: int, month: int) -> int:
    """How many days *month* of *year* has."""
    if month == 12:  # December: the next month is in another year
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Retention:
    """A service's retention rule: how long personal data is kept once an application closes.

    Exactly one of the two is given (the catalogue checks refuse both and neither):
    `keep_after_closing`, after which the retention sweep erases the data, or
    ``archive=True``, which keeps it for good and refuses every erasure.

    Attributes:
        keep_after_closing: How long after closing the data is kept, or ``None``.
        archive: Whether the data is kept for good (an archive rule).
        legal_basis: Codes of the catalogue's legal resources that set the rule.
    """

    keep_after_closing: RetentionPeriod | None = None
    archive: bool = False
    legal_basis: tuple[str, ...] = ()
