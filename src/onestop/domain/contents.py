"""Every value a catalogue holds, checked once, in one walk: types, text, codes, integers.

`check_contents` walks a `onestop.domain.catalogue.Catalogue` with a loop (never
recursion) and checks each value against the type its class declares:

* **Text.**  Every string is checked by one format of `onestop.domain.formats`: codes
  by `CATALOGUE_CODE`, form field names by `FIELD_NAME`, currencies as ISO 4217 codes,
  and any other string (a keyword, a choice's value, a state's name) as one line of
  free text of at most `MAX_NAME` characters (`text_problem`: no NUL or other control
  character, no lone surrogate).  Localized texts, rules, durations and periods check
  themselves when they are made; contacts and legal URIs too.
* **Integers.**  Every `int` is checked by `int_problem`: never a `bool`, and within a
  signed 64-bit column (the versions of services and workflows from 1).
* **Types.**  A catalogue built in Python can hold anything; a value of another type
  than its attribute declares is a problem, so the checks that follow never meet one.

So that every text a catalogue holds can be stored by every adapter and exported as
UTF-8, and every integer stored by SQLite and PostgreSQL as it is in memory.
"""

from __future__ import annotations

import datetime
import enum
import math
import types
import typing
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs

from onestop.domain.catalogue import (
    Agency,
    Catalogue,
    Choice,
    ContactPoint,
    EvidenceType,
    Fee,
    FormField,
    LegalResource,
    LifeEvent,
    Output,
    Requirement,
    Service,
)
from onestop.domain.formats import (
    CATALOGUE_CODE,
    FIELD_NAME,
    INT64_MAX,
    MAX_NAME,
    kind_of,
    preview,
    text_problem,
)
from onestop.domain.rules import Rule
from onestop.domain.text import LocalizedText
from onestop.domain.values import Duration, Period, currency_problem
from onestop.domain.workflow import Workflow
from onestop.exceptions import Problem

__all__ = ["INT_MIN", "check_contents"]

INT_MIN = -(2**63)
"""The smallest integer a catalogue may hold (a signed 64-bit column's)."""

_Check = Callable[[str], "str | None"]


def _code(value: str) -> str | None:
    return CATALOGUE_CODE.problem(value)


def _field_name(value: str) -> str | None:
    return FIELD_NAME.problem(value)


def _text(value: str) -> str | None:
    return text_problem(value, max_length=MAX_NAME)


def _zone(value: str) -> str | None:
    return text_problem(value, max_length=64)


def _unchecked(_: str) -> str | None:
    return None  # checked by the whole-catalogue checks, with a better message


# The format of each string attribute that is not free text (a tuple's items inherit it).
_FORMATS: dict[tuple[type, str], _Check] = {
    (Catalogue, "languages"): _unchecked,
    (Agency, "code"): _code,
    (Agency, "parent"): _code,
    (Agency, "time_zone"): _zone,
    (ContactPoint, "value"): _unchecked,  # checked by its kind when it is made
    (LegalResource, "uri"): _unchecked,  # checked when it is made
    (EvidenceType, "code"): _code,
    (LegalResource, "code"): _code,
    (LifeEvent, "code"): _code,
    (Service, "code"): _code,
    (Service, "agency"): _code,
    (Service, "category"): _code,
    (Service, "life_events"): _code,
    (Service, "legal_basis"): _code,
    (Service, "workflow"): _code,
    (Output, "code"): _code,
    (Requirement, "code"): _code,
    (Requirement, "evidence_type"): _code,
    (Fee, "code"): _code,
    (Fee, "currency"): currency_problem,
    (Fee, "basis"): _field_name,
    (Fee, "legal_basis"): _code,
    (FormField, "name"): _field_name,
    (FormField, "evidence_type"): _code,
    (Choice, "value"): _text,
    (Workflow, "code"): _code,
}

# The smallest value of the integer attributes whose smallest is not `INT_MIN`.
_MINIMUMS: dict[tuple[type, str], int] = {(Service, "version"): 1, (Workflow, "version"): 1}

# Value objects that refuse a bad value when they are made: nothing inside to walk.
_SELF_CHECKED: tuple[type, ...] = (LocalizedText, Rule, Duration, Period)


@attrs.frozen
class _Slot:
    """What the walk knows of a value: where it is, its declared type and its owner."""

    path: str
    hint: Any
    owner: tuple[type, str] | None


def check_contents(catalogue: Catalogue, /) -> tuple[list[Problem], bool]:
    """Check every value *catalogue* holds; return the problems and whether types are right.

    When a value has the wrong type (a catalogue built in Python can hold anything),
    the second item is ``False``: checks that read the catalogue's values must not run.
    """
    problems: list[Problem] = []
    typed = True
    stack: list[tuple[object, _Slot]] = [(catalogue, _Slot("", Catalogue, None))]
    while stack:
        value, slot = stack.pop()
        found = _check(value, slot, stack)
        if found is not None:
            wrong_type, message = found
            typed = typed and not wrong_type
            problems.append(Problem(path=slot.path, message=message))
    return problems, typed


def _check(
    value: object, slot: _Slot, stack: list[tuple[object, _Slot]]
) -> tuple[bool, str] | None:
    """Check one value; push what it holds.  Return ``(wrong type?, message)`` or ``None``."""
    hint = slot.hint
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None if len(options) < len(typing.get_args(hint)) else _wrong(hint, value)
        hint = options[0] if len(options) == 1 else Any
    if typing.get_origin(hint) is tuple:
        return _tuple(value, slot, hint, stack)
    if hint is Any:
        return None
    if hint is bool:
        return None if isinstance(value, bool) else _wrong(hint, value)
    if hint is int:
        return _integer(value, slot)
    if hint is float:
        return _number(value)
    if hint is str:
        if not isinstance(value, str):
            return _wrong(hint, value)
        reason = _FORMATS.get(slot.owner, _text)(value) if slot.owner else _text(value)
        return None if reason is None else (False, reason)
    if not isinstance(hint, type):
        return None  # a declared type this walk does not know; nothing to check
    if not isinstance(value, hint) or (hint is datetime.date and type(value) is datetime.datetime):
        return _wrong(hint, value)
    if issubclass(hint, _SELF_CHECKED) or not attrs.has(hint):
        return None
    hints = _hints(hint)
    for field in reversed(attrs.fields(hint)):
        if field.init:
            child = f"{slot.path}.{field.name}" if slot.path else field.name
            stack.append(
                (getattr(value, field.name), _Slot(child, hints[field.name], (hint, field.name)))
            )
    return None


def _tuple(
    value: object, slot: _Slot, hint: Any, stack: list[tuple[object, _Slot]]
) -> tuple[bool, str] | None:
    if not isinstance(value, tuple):
        return _wrong(hint, value)
    args = typing.get_args(hint)
    if len(args) == 2 and args[1] is Ellipsis:
        items = [args[0]] * len(value)
    elif len(args) == len(value):
        items = list(args)
    else:
        return True, f"expected {len(args)} items, not {len(value)}"
    for i in reversed(range(len(value))):
        stack.append((value[i], _Slot(f"{slot.path}[{i}]", items[i], slot.owner)))
    return None


def _integer(value: object, slot: _Slot) -> tuple[bool, str] | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return _wrong(int, value)
    minimum = _MINIMUMS.get(slot.owner, INT_MIN) if slot.owner else INT_MIN
    if not minimum <= value <= INT64_MAX:
        bound = "2**63 - 1, the largest a store holds"
        if value < minimum:
            return False, f"must be at least {minimum}, not {preview(value)}"
        return False, f"must be at most {bound}, not {preview(value)}"
    return None


def _number(value: object) -> tuple[bool, str] | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return _wrong(float, value)
    if isinstance(value, float) and not math.isfinite(value):
        return False, "must be a finite number"
    return None


def _wrong(hint: Any, value: object) -> tuple[bool, str]:
    return True, f"expected {_describe(hint)}, not {kind_of(value)}"


def _describe(hint: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "text"}
    if hint in names:
        return names[hint]
    if typing.get_origin(hint) is tuple:
        return "a tuple"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return f"a {hint.__name__} member"
    name = getattr(hint, "__name__", str(hint))
    return f"{'an' if name[:1] in 'AEIOU' else 'a'} {name}"


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The declared types of *cls*'s attributes, resolved once."""
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]
