"""The kind of a value, checked: its type, enum member, instant, and numbers as written.

`onestop.domain.common.formats` checks what text looks like; this module checks everything
else a public call or a value object may be handed by mistake, each with
`onestop.exceptions.InvalidValue` (or `NaiveDatetime`) naming the argument:

* **Types.**  `check_type` refuses a value of another type than the one declared (bytes
  for text, a list for a `Catalogue`), `check_member` a value that is not a member of an
  enum (or the value of one), `check_instant` a datetime that is naive or outside what
  UTC can hold, `check_date` a datetime where a day is meant, and `check_strings` a
  string (or anything but a collection of strings) where a collection of them is.
* **Value objects.**  A class made with ``field_transformer=typed_fields`` refuses,
  when it is built or evolved, a field's value of another type than the field declares.
* **Numbers as people write them.**  `parse_number` reads an exact number from an
  `int`, a `Decimal` or plain decimal text (`onestop.domain.common.formats.DECIMAL`), never a
  float; `to_ascii_digits` first turns the digits a language writes (Khmer, Arabic-Indic,
  full width) into ASCII ones, for that language only.

>>> to_ascii_digits("\\u0661\\u0662\\u0663", languages=("ar",))
'123'
>>> check_member(enum.Enum("Kind", {"PICKUP": "pickup"}), "pickup", field="kind").name
'PICKUP'
"""

from __future__ import annotations

import enum
import math
import types
import typing
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from onestop.domain.common.formats import DECIMAL, kind_of, preview
from onestop.exceptions import InvalidValue, NaiveDatetime

__all__ = [
    "MAX_SECONDS",
    "seconds_problem",
    "check_items",
    "type_validator",
    "check_date",
    "check_instant",
    "check_member",
    "check_strings",
    "check_type",
    "local_digits",
    "named_kind",
    "parse_number",
    "to_ascii_digits",
]
# `typed_fields` is an attrs hook that runs when a class is defined, never on input: the
# value objects of `onestop.domain` use it, but it is not part of the public surface.

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

    Raises:
        InvalidValue: If *languages* is not a collection of text (`check_strings`).
    """
    table: dict[int, int] = {}
    for tag in check_strings(languages, field="languages"):
        primary = tag.split("-", 1)[0].lower()
        for zero in _DIGIT_ZEROS.get(primary, ()):
            table.update({zero + n: ord("0") + n for n in range(10)})
    return table


def to_ascii_digits(text: str, *, languages: Iterable[str]) -> str:
    """Return *text* with the digits of *languages* replaced by ASCII digits ``0-9``.

    Other characters, other scripts' digits included, are left as they are, for the
    caller's format check to refuse.

    Raises:
        InvalidValue: If *text* is not a `str`, or *languages* not a collection of text.
    """
    return check_type(text, str, field="text").translate(local_digits(languages))


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
        names = " or ".join("None" if k is type(None) else named_kind(k) for k in kinds)
        raise InvalidValue(field=field, reason=f"expected {names}, not {kind_of(value)}")
    return value  # type: ignore[return-value]  # isinstance() proved it


def named_kind(kind: type) -> str:
    """A type's name for a message; an enum's with its values (``Verdict ('ok', ...)``)."""
    if issubclass(kind, enum.Enum):
        return f"{kind.__name__} ({', '.join(repr(member.value) for member in kind)})"
    return kind.__name__


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


def check_date(value: object, *, field: str) -> date:
    """Return *value* if it is a calendar day: a `date` that is not a `datetime`.

    Python makes every `datetime` a `date` too, but the two do not compare: a datetime
    where a day is meant fails later with a `TypeError`, so it is refused here.

    Raises:
        InvalidValue: Naming *field*, if *value* is not a `date` or is a `datetime`.
    """
    if not isinstance(value, date) or isinstance(value, datetime):
        what = "a date and time" if isinstance(value, datetime) else kind_of(value)
        raise InvalidValue(field=field, reason=f"expected a date, not {what}")
    return value


def check_strings(value: object, *, field: str) -> tuple[str, ...]:
    """Return the strings *value* holds, as a tuple, if it is a collection of `str`.

    For parameters such as ``languages: Iterable[str]``.  A `str` itself is refused
    (iterating it would give its characters), as are `bytes` and any item that is not a
    `str`; *value* is read once, so a one-shot iterator will do.

    Raises:
        InvalidValue: Naming *field*, or ``field[i]`` for the first item that is not text.
    """
    if isinstance(value, str | bytes | bytearray) or not isinstance(value, Iterable):
        raise InvalidValue(
            field=field, reason=f"expected a collection of text, not {kind_of(value)}"
        )
    items = tuple(value)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise InvalidValue(
                field=f"{field}[{index}]", reason=f"expected text, not {kind_of(item)}"
            )
    return items


# --- value objects that check their fields' types ---------------------------------------

_Problem = tuple[str, str] | None  # (the path below the field, what is wrong), or nothing
_Check = Callable[[object], _Problem]
_NONE = type(None)


def typed_fields(cls: type, fields: list[attrs.Attribute[Any]]) -> list[attrs.Attribute[Any]]:
    """An attrs ``field_transformer``: every field refuses a value not of its declared type.

    ``@attrs.frozen(field_transformer=typed_fields)`` gives each field a validator, run
    before the field's own, that raises `InvalidValue` naming the field (and the item:
    ``channels[2]``) when a value is not of the type the field declares.  So a value
    object built or evolved in Python with a string where a tuple of services belongs
    is refused when it is made, not by an `AttributeError` in a method later.  Only
    types are checked; formats (a code's spelling) are left to the object's own checks.

    Declared types may be classes (an `int` is never a `bool`, a `date` never a
    `datetime`), ``X | None`` and other unions of them, ``tuple[X, ...]`` and
    ``tuple[X, Y]``, `Literal` values and `Any`.  Another declaration raises
    `TypeError` when the class is defined.
    """
    hints = typing.get_type_hints(cls)
    return [
        field.evolve(validator=_with(_TypeCheck(_checker(hints[field.name])), field.validator))
        for field in fields
    ]


def _with(first: _TypeCheck, then: Any) -> Any:
    return first if then is None else attrs.validators.and_(first, then)


class _TypeCheck:
    """The validator `typed_fields` gives a field."""

    __slots__ = ("check",)

    def __init__(self, check: _Check) -> None:
        self.check = check

    def __call__(self, _: object, attribute: attrs.Attribute[Any], value: object) -> None:
        found = self.check(value)
        if found is not None:
            below, reason = found
            raise InvalidValue(field=attribute.name + below, reason=reason)


def _checker(hint: Any) -> _Check:
    """How to check a value declared *hint*."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is object:
        return lambda _: None
    if origin is typing.Union or isinstance(hint, types.UnionType):
        return _union(hint, args)
    if origin is tuple:
        return _tuple(args)
    if origin is typing.Literal:
        allowed = ", ".join(repr(a) for a in args)
        return lambda v: None if v in args else ("", f"expected one of {allowed}")
    if hint is int:
        return lambda v: None if type(v) is not bool and isinstance(v, int) else _wrong(hint, v)
    if hint is date:
        return lambda v: (
            None if type(v) is not datetime and isinstance(v, date) else _wrong(hint, v)
        )
    if isinstance(hint, type):
        return lambda v: None if isinstance(v, hint) else _wrong(hint, v)
    msg = f"typed_fields cannot check a field declared {hint!r}"
    raise TypeError(msg)


def _union(hint: Any, args: tuple[Any, ...]) -> _Check:
    options = [_checker(arm) for arm in args if arm is not _NONE]
    nullable = _NONE in args

    def check(value: object) -> _Problem:
        if value is None:
            return None if nullable else _wrong(hint, value)
        if any(option(value) is None for option in options):
            return None
        return _wrong(hint, value)

    return check


def _tuple(args: tuple[Any, ...]) -> _Check:
    if len(args) == 2 and args[1] is Ellipsis:
        item = _checker(args[0])

        def homogeneous(value: object) -> _Problem:
            if type(value) is not tuple:
                return "", f"expected a tuple, not {kind_of(value)}"
            for index, element in enumerate(value):
                found = item(element)
                if found is not None:
                    return f"[{index}]{found[0]}", found[1]
            return None

        return homogeneous
    items = [_checker(arg) for arg in args]

    def fixed(value: object) -> _Problem:
        if type(value) is not tuple or len(value) != len(items):
            return "", f"expected a tuple of {len(items)} items, not {kind_of(value)}"
        for index, (check, element) in enumerate(zip(items, value, strict=True)):
            found = check(element)
            if found is not None:
                return f"[{index}]{found[0]}", found[1]
        return None

    return fixed


def _wrong(hint: Any, value: object) -> tuple[str, str]:
    given = "a date and time" if isinstance(value, datetime) else kind_of(value)
    return "", f"expected {_describe(hint)}, not {given}"


def _describe(hint: Any) -> str:
    """Name a declared type for a message: ``a Service``, ``a date or None``."""
    if typing.get_origin(hint) is typing.Union or isinstance(hint, types.UnionType):
        return " or ".join(_describe(arm) for arm in typing.get_args(hint))
    names = {int: "an integer", bool: "a boolean", str: "text", _NONE: "None", date: "a date"}
    if hint in names:
        return names[hint]
    if typing.get_origin(hint) is tuple:
        return "a tuple"
    name = getattr(hint, "__name__", "a value")
    if isinstance(hint, type) and issubclass(hint, enum.Enum):  # name the values too
        name += f" ({', '.join(repr(member.value) for member in hint)})"
    return f"{'an' if name[:1] in 'AEIOU' else 'a'} {name}"


def check_items(
    value: object,
    kind: type | tuple[type, ...],
    *,
    field: str,
    container: type | tuple[type, ...] = tuple,
) -> object:
    """Return *value* if it is a *container* (a `tuple` unless said) of instances of *kind*.

    For the collections a value object holds: a list, a one-shot iterator or text where
    a tuple of attempts belongs is refused by name, and so is an item of another type
    (named by its position, as in ``attempts[2]``).

    Raises:
        InvalidValue: Naming *field* (or the item) and the types expected and given.
    """
    collection: Iterable[object] = check_type(value, container, field=field)
    if not isinstance(collection, Iterable):  # a *container* that holds nothing
        raise InvalidValue(field=field, reason=f"expected a collection, not {kind_of(value)}")
    for index, item in enumerate(collection):
        if not isinstance(item, kind):
            check_type(item, kind, field=f"{field}[{index}]")
    return value


def type_validator(
    kind: type | tuple[type, ...], /, *, items: type | tuple[type, ...] | None = None
) -> Callable[[object, attrs.Attribute[Any], object], None]:
    """An attrs validator: the value is an instance of *kind* (`check_type`).

    With *items*, the value is a *kind* collection of instances of *items*
    (`check_items`).  It names the attribute and raises `InvalidValue`, where
    ``attrs.validators.instance_of`` raises a bare `TypeError`.
    """

    def validate(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if items is None:
            check_type(value, kind, field=attribute.name)
        else:
            check_items(value, items, field=attribute.name, container=kind)

    return validate


MAX_SECONDS = 10**9
"""The longest timeout, window or interval accepted, in seconds (about 31 years).

Longer than any sensible setting, and within what `threading` waits for and a
`datetime.timedelta` holds."""


def seconds_problem(
    value: object, *, positive: bool = False, maximum: float = MAX_SECONDS
) -> str | None:
    """Return why *value* is not a number of seconds, or ``None``.

    A number of seconds is an `int` (not a `bool`) or a finite `float`, from 0 (above 0
    with *positive*) to *maximum*.  A huge integer is compared as it is, never turned
    into a float first (``math.isfinite(10**400)`` raises `OverflowError`), and the
    message never quotes it in full.

    >>> seconds_problem(2.5), seconds_problem(0, positive=True)
    (None, 'must be above 0 seconds, not 0')
    >>> seconds_problem(10**400)
    'must be at most 1000000000 seconds, not an integer of 401 digits'

    A *maximum* that is not a number from 0 (`math.inf` is one), or a *positive* that
    is not a `bool`, raises `InvalidValue`: those are the caller's mistakes.
    """
    bound: object = maximum  # the caller may have passed anything
    if isinstance(bound, bool) or not isinstance(bound, int | float) or not bound >= 0:
        raise InvalidValue(field="maximum", reason="expected a number of seconds from 0")
    flag: object = positive
    if not isinstance(flag, bool):
        raise InvalidValue(field="positive", reason=f"expected a boolean, not {kind_of(flag)}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"expected a number of seconds, not {kind_of(value)}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number of seconds, not {value!r}"
    shown = preview(value) if isinstance(value, int) else repr(value)
    if value < 0 or (positive and value == 0):
        return f"must be {'above' if positive else 'at least'} 0 seconds, not {shown}"
    if value > maximum:
        limit = (
            preview(maximum)
            if isinstance(maximum, int)
            else (int(maximum) if maximum.is_integer() else maximum)
        )
        return f"must be at most {limit} seconds, not {shown}"
    return None
