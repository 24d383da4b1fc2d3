"""Small value objects shared by the catalogue, workflows and applications.

`Money` holds a `Decimal` amount and an ISO 4217 currency code; floats are refused,
because a fee of ``0.1 + 0.2`` rupiah is a bug, and so are more digits after the point
than the currency's minor unit (`onestop.domain.common.currencies`).  `totals` adds
amounts per currency, never across currencies.  `Duration` is a time limit counted in
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
from collections.abc import Iterable
from decimal import Decimal

import attrs

from onestop.domain.common.currencies import MINOR_UNITS, currency_problem
from onestop.domain.common.formats import check_int, int_problem, kind_of, preview
from onestop.domain.common.kinds import check_type, typed_fields
from onestop.exceptions import AmountTooPrecise, InvalidValue

__all__ = [
    "MAX_AMOUNT",
    "MAX_AMOUNT_PLACES",
    "MAX_DURATION",
    "Duration",
    "Money",
    "Period",
    "TimeUnit",
    "check_places",
    "amount_text",
    "currency_problem",
    "parse_amount",
    "totals",
]

MAX_AMOUNT = 10**18 - 1
"""The largest whole amount of money; an amount has at most 18 digits before the point."""
MAX_AMOUNT_PLACES = 6
"""The most digits an amount may have after the decimal point."""
MAX_DURATION = 999_999
"""The longest time limit, in working days or working hours."""

# Whole-string patterns over ASCII digits only: "\u0661\u0660 working days" is not a duration.
_DURATION = re.compile(r"\s*([0-9]{1,6})\s+working\s+(day|days|hour|hours)\s*", re.ASCII)
_PERIOD = re.compile(r"P(?!\Z)(?:([0-9]{1,3})Y)?(?:([0-9]{1,4})M)?(?:([0-9]{1,5})D)?", re.ASCII)
_AMOUNT = re.compile(r"[0-9]{1,18}(?:\.[0-9]{1,6})?", re.ASCII)
_PLAIN = re.compile(r"-?[0-9]+(?:\.[0-9]{1,6})?", re.ASCII)
_PERIOD_LIMITS = {"years": 999, "months_part": 9999, "days": 99999}


def parse_amount(value: object, *, field: str = "amount") -> Decimal:
    """Return *value* as a non-negative `Decimal` of at most 18 digits before the point.

    Accepts a `Decimal`, an `int` or a plain decimal string of ASCII digits
    (``"1500.50"``), with at most `MAX_AMOUNT_PLACES` digits after the point.  Floats,
    booleans, negative numbers, exponents, NaN, other scripts' digits (``"\uff11\uff10\uff10"``)
    and amounts above `MAX_AMOUNT` are refused.

    Raises:
        InvalidValue: Naming *field* and what is wrong.
    """
    if isinstance(value, bool | float):
        kind = "a boolean" if isinstance(value, bool) else "a float"
        raise InvalidValue(
            field=field, reason=f"money must be an integer or a decimal string, not {kind}"
        )
    if isinstance(value, int):
        if not -MAX_AMOUNT <= value <= MAX_AMOUNT:
            raise InvalidValue(field=field, reason=_too_large(value))
        result = Decimal(value)
    elif isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        if not _AMOUNT.fullmatch(value):
            raise InvalidValue(
                field=field,
                reason=f"{preview(value)} is not a plain decimal amount such as '1500' or '12.50'",
            )
        result = Decimal(value)
    else:
        raise InvalidValue(field=field, reason=f"expected an amount, not {type(value).__name__}")
    if not result.is_finite():
        raise InvalidValue(field=field, reason="amount must be finite")
    if result < 0:
        raise InvalidValue(field=field, reason="amount must not be negative")
    if result >= MAX_AMOUNT + 1:
        raise InvalidValue(field=field, reason=_too_large(value))
    if _places(result) > MAX_AMOUNT_PLACES:
        raise InvalidValue(
            field=field,
            reason=f"amount has more than {MAX_AMOUNT_PLACES} digits after the decimal point",
        )
    return result


def amount_text(amount: Decimal, /) -> str:
    """Return a finite `Decimal` as plain text, in the form `parse_amount` reads back.

    ``str`` keeps a `Decimal`'s own form where that form is plain (``"1500.00"``), so that
    stored amounts keep their bytes; an exponent (``1E+2``), a negative zero, or trailing
    zeros beyond `MAX_AMOUNT_PLACES` digits are written plainly, equal in value.

    >>> amount_text(Decimal("1E+2")), amount_text(Decimal("0.1885800"))
    ('100', '0.18858')

    Raises:
        InvalidValue: If *amount* is not a finite `Decimal`.
    """
    check_type(amount, Decimal, field="amount")
    if not amount.is_finite():
        raise InvalidValue(field="amount", reason="amount must be finite")
    text = str(amount)
    if _PLAIN.fullmatch(text) and not (amount.is_zero() and amount.is_signed()):
        return text
    plain = format(abs(amount) if amount.is_zero() else amount, "f")
    return plain.rstrip("0").rstrip(".") if "." in plain else plain


def _whole(pattern: re.Pattern[str], value: object) -> re.Match[str] | None:
    """Match *pattern* on the whole of *value*, or return ``None`` if it is not text."""
    return pattern.fullmatch(value) if isinstance(value, str) else None


def check_places(amount: Decimal, currency: str, *, field: str = "amount") -> Decimal:
    """Return *amount* if it has no more digits after the point than *currency* allows.

    Trailing zeros do not count: ``1500.00`` won is 1500 won.

    Raises:
        AmountTooPrecise: Naming *field*, the currency and its minor unit.
        InvalidValue: If *currency* is not an ISO 4217 currency, or *amount* not a `Decimal`.
    """
    check_type(amount, Decimal, field=field)
    reason = currency_problem(currency)
    if reason is not None:
        raise InvalidValue(field="currency", reason=reason)
    if amount.is_finite() and _places(amount) > MINOR_UNITS[currency]:
        raise AmountTooPrecise(field=field, currency=currency, minor_units=MINOR_UNITS[currency])
    return amount


def _check_currency(instance: Money, attribute: attrs.Attribute[str], value: object) -> None:
    reason = currency_problem(value)
    if reason is not None:
        raise InvalidValue(field=attribute.name, reason=reason)
    check_places(instance.amount, instance.currency)


def _places(amount: Decimal) -> int:
    """Count *amount*'s digits after the point, trailing zeros aside, without arithmetic.

    (`Decimal.normalize` would round ``1E-999999999`` to zero in the default context.)
    """
    _, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # noqa: S101 - the amount is finite
    significant = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return 0 if not any(digits) else max(0, -(exponent + significant))


def _too_large(value: object) -> str:
    return f"amount must have at most 18 digits before the point, not {preview(value)}"


def _amount(value: object) -> Decimal:
    return parse_amount(value)


@attrs.frozen(field_transformer=typed_fields)
class Money:
    """An amount of money in one currency.

    Attributes:
        amount: A non-negative `Decimal`, never a float, with no more digits after
            the point than the currency's minor unit (`AmountTooPrecise`).
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


def totals(amounts: Iterable[Money], /) -> tuple[Money, ...]:
    """Add *amounts* up per currency: one `Money` per currency, in order of currency code.

    Amounts in different currencies are never added together: a fee quoted in riel
    and in US dollars gives one total in each.

    >>> totals([Money.of(5, "USD"), Money.of(40000, "KHR"), Money.of("2.50", "USD")])
    (Money(amount=Decimal('40000'), currency='KHR'), Money(amount=Decimal('7.50'), currency='USD'))

    Raises:
        InvalidValue: If *amounts* is not a collection of `Money`, or a total would
            exceed `MAX_AMOUNT`.
    """
    given: object = amounts  # a caller may pass anything
    if isinstance(given, str | bytes) or not isinstance(given, Iterable):
        reason = f"expected a collection of Money, not {kind_of(given)}"
        raise InvalidValue(field="amounts", reason=reason)
    sums: dict[str, Decimal] = {}
    for index, money in enumerate(given):
        check_type(money, Money, field=f"amounts[{index}]")
        sums[money.currency] = sums.get(money.currency, Decimal(0)) + money.amount
    return tuple(Money(sums[code], code) for code in sorted(sums))


class TimeUnit(enum.Enum):
    """How a time limit is counted on a work calendar."""

    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"


def _positive(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    reason = int_problem(value, minimum=1, maximum=MAX_DURATION)
    if reason is not None:
        raise InvalidValue(field=attribute.name, reason=reason)


def _period_part(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    reason = int_problem(value, maximum=_PERIOD_LIMITS[attribute.name])
    if reason is not None:
        raise InvalidValue(field=attribute.name, reason=reason)


@attrs.frozen(field_transformer=typed_fields)
class Duration:
    """A time limit in working days or working hours.

    Attributes:
        amount: A whole number from 1 to `MAX_DURATION`.
        unit: What is counted.
    """

    amount: int = attrs.field(validator=_positive)
    unit: TimeUnit

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
        match = _whole(_DURATION, text)
        if match is None:
            raise InvalidValue(
                field="duration",
                reason=f"{preview(text)} is not of the form '5 working days' or '8 working hours'",
            )
        unit = TimeUnit.WORKING_DAYS if match.group(2).startswith("day") else TimeUnit.WORKING_HOURS
        return cls(int(match.group(1)), unit)

    def in_hours(self, *, hours_per_day: int) -> int:
        """Return this limit in working hours, given a working day's length.

        Raises:
            InvalidValue: If *hours_per_day* is not a whole number of hours from 1 to 24.
        """
        check_int(hours_per_day, field="hours_per_day", minimum=1, maximum=24)
        if self.unit is TimeUnit.WORKING_HOURS:
            return self.amount
        return self.amount * hours_per_day

    def exceeds(self, other: Duration, *, hours_per_day: int = 8) -> bool:
        """Return whether this limit is longer than *other*, comparing in hours.

        Raises:
            InvalidValue: If *other* is not a `Duration`, or *hours_per_day* not from 1 to 24.
        """
        check_type(other, Duration, field="other")
        mine = self.in_hours(hours_per_day=hours_per_day)
        return mine > other.in_hours(hours_per_day=hours_per_day)

    def __str__(self) -> str:
        """Render as ``5 working days``."""
        noun = "day" if self.unit is TimeUnit.WORKING_DAYS else "hour"
        return f"{self.amount} working {noun}{'' if self.amount == 1 else 's'}"


@attrs.frozen(field_transformer=typed_fields)
class Period:
    """A calendar period such as a permit's validity, written as ISO 8601 (``P5Y``).

    Attributes:
        years: Whole years, at most 999.
        months_part: Whole months, at most 9999.
        days: Whole days, at most 99999.
    """

    years: int = attrs.field(default=0, validator=_period_part)
    months_part: int = attrs.field(default=0, validator=_period_part)
    days: int = attrs.field(default=0, validator=_period_part)

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse an ISO 8601 date duration: ``P5Y``, ``P6M``, ``P1Y6M``, ``P30D``.

        Raises:
            InvalidValue: If *text* is not such a duration.
        """
        match = _whole(_PERIOD, text)
        if match is None:
            raise InvalidValue(
                field="validity",
                reason=f"{preview(text)} is not an ISO 8601 period such as 'P5Y', 'P6M' or 'P30D'",
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
