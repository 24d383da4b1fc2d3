"""Small value objects shared by the catalogue, workflows and applications.

`Money` holds a `Decimal` amount and an ISO 4217 currency code; floats are refused,
because a fee of ``0.1 + 0.2`` rupiah is a bug.  `Duration` is a time limit counted in
working days or working hours of a calendar.  `Period` is a calendar validity such as
"five years" for a passport, written as an ISO 8601 duration (``P5Y``).

>>> Money.of("50000", "IDR")
Money(amount=Decimal('50000'), currency='IDR')
>>> Duration.parse("3 working days")
Duration(amount=3, unit=<TimeUnit.WORKING_DAYS: 'working_days'>)
>>> Period.parse("P1Y6M").months
18
"""

from __future__ import annotations

import enum
import re
from decimal import Decimal, InvalidOperation

import attrs

from onestop.exceptions import InvalidValue

__all__ = ["Duration", "Money", "Period", "TimeUnit", "parse_amount"]

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_DURATION = re.compile(r"^\s*(\d{1,6})\s+working\s+(day|days|hour|hours)\s*$")
_PERIOD = re.compile(r"^P(?!$)(?:(\d{1,3})Y)?(?:(\d{1,4})M)?(?:(\d{1,5})D)?$")
_AMOUNT = re.compile(r"^\d{1,18}(?:\.\d{1,6})?$")


def parse_amount(value: object, *, field: str = "amount") -> Decimal:
    """Return *value* as a non-negative `Decimal`.

    Accepts a `Decimal`, an `int` or a plain decimal string (``"1500.50"``).  Floats,
    booleans, negative numbers, exponents and NaN are refused.

    Raises:
        InvalidValue: Naming *field* and what is wrong.
    """
    if isinstance(value, bool | float):
        kind = "a boolean" if isinstance(value, bool) else "a float"
        raise InvalidValue(
            field=field, reason=f"money must be an integer or a decimal string, not {kind}"
        )
    if isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        if not _AMOUNT.match(value.strip()):
            raise InvalidValue(
                field=field,
                reason=f"{value!r} is not a plain decimal amount such as '1500' or '12.50'",
            )
        try:
            result = Decimal(value.strip())
        except InvalidOperation as exc:  # pragma: no cover - the pattern already guards this
            raise InvalidValue(field=field, reason=f"{value!r} is not a number") from exc
    else:
        raise InvalidValue(field=field, reason=f"expected an amount, not {type(value).__name__}")
    if not result.is_finite():
        raise InvalidValue(field=field, reason="amount must be finite")
    if result < 0:
        raise InvalidValue(field=field, reason="amount must not be negative")
    return result


def _check_currency(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not _CURRENCY.match(value):
        raise InvalidValue(
            field=attribute.name, reason=f"{value!r} is not an ISO 4217 code such as 'IDR'"
        )


def _amount(value: object) -> Decimal:
    return parse_amount(value)


@attrs.frozen
class Money:
    """An amount of money in one currency.

    Attributes:
        amount: A non-negative `Decimal`, never a float.
        currency: An ISO 4217 code (``IDR``, ``KHR``, ``KRW``, ``USD``).
    """

    amount: Decimal = attrs.field(converter=_amount)
    currency: str = attrs.field(validator=_check_currency)

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        """Build from an amount given as a `Decimal`, `int` or decimal string."""
        return cls(amount, currency)

    def __str__(self) -> str:
        """Render as ``IDR 50000``."""
        return f"{self.currency} {self.amount}"


class TimeUnit(enum.Enum):
    """How a time limit is counted on a work calendar."""

    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"


def _positive(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidValue(
            field=attribute.name, reason=f"must be a positive integer, not {value!r}"
        )


@attrs.frozen
class Duration:
    """A time limit in working days or working hours.

    Attributes:
        amount: A positive whole number.
        unit: What is counted.
    """

    amount: int = attrs.field(validator=_positive)
    unit: TimeUnit = attrs.field(validator=attrs.validators.instance_of(TimeUnit))

    @classmethod
    def working_days(cls, amount: int) -> Duration:
        """A limit of *amount* working days."""
        return cls(amount, TimeUnit.WORKING_DAYS)

    @classmethod
    def working_hours(cls, amount: int) -> Duration:
        """A limit of *amount* working hours."""
        return cls(amount, TimeUnit.WORKING_HOURS)

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse ``"5 working days"`` or ``"8 working hours"``.

        Raises:
            InvalidValue: If *text* is not of that form.
        """
        match = _DURATION.match(text)
        if match is None:
            raise InvalidValue(
                field="duration",
                reason=f"{text!r} is not of the form '5 working days' or '8 working hours'",
            )
        unit = TimeUnit.WORKING_DAYS if match.group(2).startswith("day") else TimeUnit.WORKING_HOURS
        return cls(int(match.group(1)), unit)

    def in_hours(self, *, hours_per_day: int) -> int:
        """Return this limit in working hours, given a working day's length."""
        if self.unit is TimeUnit.WORKING_HOURS:
            return self.amount
        return self.amount * hours_per_day

    def exceeds(self, other: Duration, *, hours_per_day: int = 8) -> bool:
        """Return whether this limit is longer than *other*, comparing in hours."""
        mine = self.in_hours(hours_per_day=hours_per_day)
        return mine > other.in_hours(hours_per_day=hours_per_day)

    def __str__(self) -> str:
        """Render as ``5 working days``."""
        noun = "day" if self.unit is TimeUnit.WORKING_DAYS else "hour"
        return f"{self.amount} working {noun}{'' if self.amount == 1 else 's'}"


@attrs.frozen
class Period:
    """A calendar period such as a permit's validity, written as ISO 8601 (``P5Y``).

    Attributes:
        years: Whole years.
        months: Whole months.
        days: Whole days.
    """

    years: int = 0
    months_part: int = 0
    days: int = 0

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse an ISO 8601 date duration: ``P5Y``, ``P6M``, ``P1Y6M``, ``P30D``.

        Raises:
            InvalidValue: If *text* is not such a duration.
        """
        match = _PERIOD.match(text)
        if match is None:
            raise InvalidValue(
                field="validity",
                reason=f"{text!r} is not an ISO 8601 period such as 'P5Y', 'P6M' or 'P30D'",
            )
        years, months, days = (int(g) if g else 0 for g in match.groups())
        return cls(years, months, days)

    @property
    def months(self) -> int:
        """The whole period in months, ignoring days."""
        return self.years * 12 + self.months_part

    def __str__(self) -> str:
        """Render as ISO 8601, e.g. ``P1Y6M``."""
        text = "P"
        text += f"{self.years}Y" if self.years else ""
        text += f"{self.months_part}M" if self.months_part else ""
        text += f"{self.days}D" if self.days else ""
        return text if text != "P" else "P0D"
