"""Dates, numbers and money in the reader's locale, with Babel (an adapter).

The domain keeps instants, decimals and currency codes; how a Khmer, Korean, Arabic or
Indonesian reader writes them is a matter of presentation, which this module does with
`Babel <https://babel.pocoo.org>`_ and its CLDR data.  Babel is imported on first use,
so ``import onestop`` does not load it.

A language tag is looked up as given (``en-GB``), then by its shorter prefixes (``en``);
a language CLDR does not know at all is formatted as English (``en``), a documented
fallback so that a catalogue in a rare language still shows its dates.

>>> from datetime import datetime
>>> from decimal import Decimal
>>> from zoneinfo import ZoneInfo
>>> at = datetime(2025, 7, 21, 16, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
>>> format_datetime(at, "en")
'Jul 21, 2025, 4:00:00\\u202fPM'
>>> format_money(Decimal("50000"), "IDR", "id")
'Rp50.000'
>>> format_number(Decimal("1234.5"), "id")
'1.234,5'
"""

from __future__ import annotations

import contextlib
import decimal
import functools
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from onestop.domain.common.currencies import currency_problem
from onestop.domain.common.formats import kind_of
from onestop.domain.common.text import is_language_tag, language_fallbacks
from onestop.exceptions import InvalidValue

if TYPE_CHECKING:
    from babel import Locale

__all__ = ["format_date", "format_datetime", "format_money", "format_number", "locale_of"]

Width = Literal["short", "medium", "long", "full"]
_WIDTHS = ("short", "medium", "long", "full")


def _check_language(language: object) -> str:
    if not isinstance(language, str) or not is_language_tag(language):
        shown = kind_of(language) if not isinstance(language, str) else "this text"
        raise InvalidValue(field="language", reason=f"{shown} is not a BCP 47 language tag")
    return language


def _check_width(width: object) -> Width:
    if width not in _WIDTHS:
        raise InvalidValue(field="width", reason=f"expected one of {', '.join(_WIDTHS)}")
    return width  # type: ignore[return-value]  # one of the literals, checked above


@functools.lru_cache(maxsize=64)
def _locale(language: str) -> Locale:
    from babel import Locale, UnknownLocaleError

    for prefix in language_fallbacks(language):
        try:
            return Locale.parse(prefix, sep="-")
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")


def locale_of(language: str, /) -> str:
    """Return the CLDR locale *language* is formatted in (``km``, ``en_GB``, or ``en``).

    Raises:
        InvalidValue: If *language* is not a BCP 47 language tag.
    """
    return str(_locale(_check_language(language)))


def format_datetime(value: datetime, language: str, /, *, width: Width = "medium") -> str:
    """Return the aware *value* as a reader of *language* writes it, in its own time zone.

    Raises:
        InvalidValue: If *value* is not an aware `datetime.datetime`, *language* not a
            language tag, or *width* not ``short``, ``medium``, ``long`` or ``full``.
    """
    from babel import dates

    given: object = value
    if not isinstance(given, datetime) or given.tzinfo is None:
        reason = f"expected a datetime with a time zone, not {kind_of(value)}"
        raise InvalidValue(field="value", reason=reason)
    locale = _locale(_check_language(language))
    chosen = _check_width(width)
    return dates.format_datetime(value, format=chosen, tzinfo=value.tzinfo, locale=locale)


def format_date(value: date, language: str, /, *, width: Width = "medium") -> str:
    """Return the calendar date *value* as a reader of *language* writes it.

    Raises:
        InvalidValue: If *value* is not a `datetime.date`, *language* not a language
            tag, or *width* not one of the four widths.
    """
    from babel import dates

    if not isinstance(value, date):
        raise InvalidValue(field="value", reason=f"expected a date, not {kind_of(value)}")
    locale = _locale(_check_language(language))
    return dates.format_date(value, format=_check_width(width), locale=locale)


def format_number(value: Decimal | int, language: str, /) -> str:
    """Return *value* with the digits, grouping and decimal sign of *language*.

    Raises:
        InvalidValue: If *value* is not a finite `decimal.Decimal` or an `int` (of at
            most 28 digits before and after the decimal sign), or
            *language* is not a language tag.
    """
    from babel import numbers

    checked = _check_amount(value)
    locale = _locale(_check_language(language))
    with _formatting():
        return numbers.format_decimal(checked, locale=locale)


def format_money(amount: Decimal | int, currency: str, language: str, /) -> str:
    """Return *amount* of *currency* (ISO 4217) as a reader of *language* writes it.

    The symbol, its place and the grouping are the locale's; the amount is never rounded:
    CLDR shows some currencies with fewer decimals than ISO 4217 gives them (none for
    the rupiah), so a fee of ``Decimal("12500.50")`` IDR is written ``'Rp12.500,5'``, not
    ``'Rp12.501'``.  ``format_money(Decimal("4000"), "KHR", "km")`` gives ``'4,000.00៛'``,
    and ``format_money(Decimal("50000"), "IDR", "id")`` ``'Rp50.000'``.

    Raises:
        InvalidValue: If *amount* is not a finite `decimal.Decimal` or an `int` (of at
            most 28 digits before and after the decimal sign),
            *currency* not an ISO 4217 currency, or *language* not a language tag.
    """
    from babel import numbers

    checked = _check_amount(amount)
    problem = currency_problem(currency)
    if problem is not None:
        raise InvalidValue(field="currency", reason=problem)
    locale = _locale(_check_language(language))
    with _formatting():
        return numbers.format_currency(checked, currency, locale=locale, decimal_quantization=False)


_DIGITS = 28
"""The most digits before, or after, the decimal sign of a number formatted (every amount
a mall keeps fits many times over); more would write out a wall of digits."""
_LARGEST = 10**_DIGITS


@contextlib.contextmanager
def _formatting() -> Iterator[None]:
    # Babel works in a context of 28 significant digits: a number of more, digits before
    # and after the decimal sign together, cannot be formatted.
    try:
        yield
    except decimal.InvalidOperation:
        reason = "has more significant digits than can be formatted (28 at most)"
        raise InvalidValue(field="amount", reason=reason) from None


def _check_amount(value: object) -> Decimal | int:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InvalidValue(field="amount", reason=f"expected a Decimal, not {kind_of(value)}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise InvalidValue(field="amount", reason="expected a finite number")
    if value and (abs(value) >= _LARGEST or (isinstance(value, Decimal) and _too_fine(value))):
        reason = f"must have at most {_DIGITS} digits before and after the decimal sign"
        raise InvalidValue(field="amount", reason=reason)
    return value


def _too_fine(value: Decimal) -> bool:
    exponent = value.as_tuple().exponent
    return isinstance(exponent, int) and exponent < -_DIGITS
