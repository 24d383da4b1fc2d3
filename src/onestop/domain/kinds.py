"""The kind of a value, checked: its type, enum member, instant, and numbers as written.

`onestop.domain.formats` checks what text looks like; this module checks everything
else a public call or a value object may be handed by mistake, each with
`onestop.exceptions.InvalidValue` (or `NaiveDatetime`) naming the argument:

* **Types.**  `check_type` refuses a value of another type than the one declared (bytes
  for text, a list for a `Catalogue`), `check_member` a value that is not a member of an
  enum (or the value of one), `check_instant` a datetime that is naive or outside what
  UTC can hold.
* **Numbers as people write them.**  `parse_number` reads an exact number from an
  `int`, a `Decimal` or plain decimal text (`onestop.domain.formats.DECIMAL`), never a
  float; `to_ascii_digits` first turns the digits a language writes (Khmer, Arabic-Indic,
  full width) into ASCII ones, for that language only.

>>> to_ascii_digits("\\u0661\\u0662\\u0663", languages=("ar",))
'123'
>>> check_member(enum.Enum("Kind", {"PICKUP": "pickup"}), "pickup", field="kind").name
'PICKUP'
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

from onestop.domain.formats import DECIMAL, kind_of, preview
from onestop.exceptions import InvalidValue, NaiveDatetime

__all__ = [
    "check_instant",
    "check_member",
    "check_type",
    "local_digits",
    "parse_number",
    "to_ascii_digits",
]

_NUMBER_LIMIT = 10**30  # DECIMAL's 30 digits before the point


def parse_number(value: object, *, field: str) -> int | Decimal:
    """Return *value* as an exact number: an `int`, or a `Decimal` for a fraction.

    Accepts an `int` (not a `bool`) or a finite `Decimal` of at most 30 digits before
    the point and 12 after, or text of format `DECIMAL` (which becomes a `Decimal`).
    A float is refused: ``0.1`` is not the number a person wrote.

    Raises:
        InvalidValue: Naming *field* and what is wrong, never quoting the value.
    """
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        return _refuse_number(field, f"expected a number, not {kind_of(value)}")
    if isinstance(value, int):
        if -_NUMBER_LIMIT < value < _NUMBER_LIMIT:
            return value
        return _refuse_number(field, "has more than 30 digits")
    if isinstance(value, str):
        reason = DECIMAL.problem(value)
        if reason is not None:
            return _refuse_number(field, reason)
        return Decimal(value)
    if not value.is_finite():
        return _refuse_number(field, "must be a finite number")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # noqa: S101 - finite, so not 'n', 'N' or 'F'
    if value and value.adjusted() >= 30:  # no arithmetic: 1E+999999999 must not overflow
        return _refuse_number(field, "has more than 30 digits before the point")
    if exponent < -12:
        return _refuse_number(field, "has more than 12 digits after the point")
    return value


def _refuse_number(field: str, reason: str) -> int:
    raise InvalidValue(field=field, reason=reason)


# The zero of each decimal digit set a language's writers type, by primary language subtag.
# Full-width digits come from the input methods of Chinese, Japanese and Korean.
_DIGIT_ZEROS: dict[str, tuple[int, ...]] = {
    "ar": (0x0660, 0x06F0),  # Arabic-Indic, and the extended (Persian) forms
    "fa": (0x06F0, 0x0660),
    "ur": (0x06F0,),
    "ps": (0x06F0, 0x0660),
    "km": (0x17E0,),  # Khmer
    "th": (0x0E50,),  # Thai
    "lo": (0x0ED0,),  # Lao
    "my": (0x1040,),  # Myanmar
    "hi": (0x0966,),  # Devanagari
    "mr": (0x0966,),
    "ne": (0x0966,),
    "bn": (0x09E6,),  # Bengali
    "bo": (0x0F20,),  # Tibetan
    "zh": (0xFF10,),  # full width
    "ja": (0xFF10,),
    "ko": (0xFF10,),
}


def local_digits(languages: Iterable[str]) -> dict[int, int]:
    """Return a `str.translate` table from the digits *languages* write to ASCII digits.

    Only the digit sets of the languages given are mapped: a Khmer form converts Khmer
    digits, and refuses Arabic-Indic ones as not numbers.

    >>> "\u17e1\u17e2".translate(local_digits(["km"]))
    '12'
    """
    table: dict[int, int] = {}
    for tag in languages:
        primary = tag.split("-", 1)[0].lower()
        for zero in _DIGIT_ZEROS.get(primary, ()):
            table.update({zero + n: ord("0") + n for n in range(10)})
    return table


def to_ascii_digits(text: str, *, languages: Iterable[str]) -> str:
    """Return *text* with the digits of *languages* replaced by ASCII digits ``0-9``.

    Other characters, other scripts' digits included, are left as they are, for the
    caller's format check to refuse.
    """
    return text.translate(local_digits(languages))


_Member = TypeVar("_Member", bound=enum.Enum)
_Value = TypeVar("_Value")


def check_type(value: object, kind: type[_Value] | tuple[type, ...], *, field: str) -> _Value:
    """Return *value* if it is an instance of *kind* (a class, or a tuple of classes).

    For the arguments of public calls, so that a wrong type is refused by name
    instead of failing later with an `AttributeError` or a `TypeError`.

    Raises:
        InvalidValue: Naming *field*, the type expected and the type given.
    """
    if not isinstance(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        names = " or ".join("None" if k is type(None) else k.__name__ for k in kinds)
        raise InvalidValue(field=field, reason=f"expected {names}, not {kind_of(value)}")
    return value  # type: ignore[return-value]  # isinstance() proved it


def check_member(kind: type[_Member], value: object, *, field: str) -> _Member:
    """Return the member of the enum *kind* that *value* is, or whose value *value* is.

    ``check_member(JobKind, "pickup", field="kind")`` gives ``JobKind.PICKUP``, as does
    ``JobKind.PICKUP`` itself; anything else is refused with the values allowed, where
    ``JobKind("bad")`` would raise a bare `ValueError`.

    Raises:
        InvalidValue: Naming *field* and the values allowed.
    """
    if isinstance(value, kind):
        return value
    if isinstance(value, str | int) and not isinstance(value, bool | enum.Enum):
        for member in kind:
            if type(member.value) is type(value) and member.value == value:
                return member
    allowed = ", ".join(repr(member.value) for member in kind)
    shown = preview(value) if isinstance(value, str) else kind_of(value)
    raise InvalidValue(field=field, reason=f"{shown} is not one of {allowed}")


def check_instant(value: object, *, field: str) -> datetime:
    """Return *value* if it is a timezone-aware `datetime` that is an instant in UTC.

    An instant is refused when it has no time zone, when its time zone gives no valid
    offset, or when it lies outside the years 1 to 9999 once converted to UTC (such as
    ``datetime.min`` in Jakarta), which no store or export can write.  Adding a
    duration to an instant that passes can still leave the years 1 to 9999: callers
    that do so catch `OverflowError`.

    Raises:
        NaiveDatetime: If *value* has no time zone.
        InvalidValue: If *value* is not a datetime, or not an instant in UTC.
    """
    if not isinstance(value, datetime):
        reason = f"expected a timezone-aware datetime, not {kind_of(value)}"
        raise InvalidValue(field=field, reason=reason)
    try:
        offset = value.utcoffset()
        if offset is not None:
            value.astimezone(UTC)
    except OverflowError:
        raise InvalidValue(field=field, reason="lies outside the years 1 to 9999 in UTC") from None
    except (ArithmeticError, TypeError, ValueError):
        raise InvalidValue(field=field, reason="its time zone gives no valid UTC offset") from None
    if offset is None:
        raise NaiveDatetime(field)
    return value
