"""Every value a catalogue holds, checked once, in one walk: types, text, codes, integers.

`check_contents` walks a `onestop.domain.catalogue.model.Catalogue` with a loop (never
recursion) and checks each value against the type its class declares:

* **Text.**  Every string is checked by one format of `onestop.domain.common.formats`: codes
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
import functools
import math
import types
import typing
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs

from onestop.domain.catalogue.calendars import CalendarDeclaration
from onestop.domain.catalogue.model import (
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
from onestop.domain.catalogue.retention import Retention, RetentionPeriod
from onestop.domain.catalogue.rules import Rule
from onestop.domain.common.formats import (
    CATALOGUE_CODE,
    FIELD_NAME,
    INT64_MIN,
    MAX_NAME,
    int_problem,
    kind_of,
    text_problem,
)
from onestop.domain.common.text import LocalizedText
from onestop.domain.common.values import Duration, Period, currency_problem
from onestop.domain.workflow.model import Workflow
from onestop.exceptions import Problem

__all__ = ["INT_MIN", "check_contents"]

INT_MIN = INT64_MIN
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
    (Retention, "legal_basis"): _code,
    (FormField, "name"): _field_name,
    (FormField, "evidence_type"): _code,
    (FormField, "region"): _unchecked,  # checked by the form checks (a phone region)
    (Choice, "value"): _text,
    (Workflow, "code"): _code,
    (CalendarDeclaration, "agency"): _unchecked,  # checked by check_calendars
    (CalendarDeclaration, "time_zone"): _zone,
}

# The smallest value of the integer attributes whose smallest is not `INT_MIN`.
_MINIMUMS: dict[tuple[type, str], int] = {(Service, "version"): 1, (Workflow, "version"): 1}

# Value objects that refuse a bad value when they are made: nothing inside to walk.
_SELF_CHECKED: tuple[type, ...] = (LocalizedText, Rule, Duration, Period, RetentionPeriod)


_Found = tuple[bool, str] | None  # (a wrong type?, the message), or nothing wrong
_Stack = list[tuple[object, str, "_Visit"]]
_Visit = Callable[[object, str, _Stack], _Found]


def check_contents(catalogue: Catalogue, /) -> tuple[list[Problem], bool]:
    """Check every value *catalogue* holds; return the problems and whether types are right.

    When a value has the wrong type (a catalogue built in Python can hold anything),
    the second item is ``False``: checks that read the catalogue's values must not run.
    """
    problems: list[Problem] = []
    typed = True
    stack: _Stack = [(catalogue, "", _plan(Catalogue, None))]
    while stack:
        value, path, visit = stack.pop()
        found = visit(value, path, stack)
        if found is not None:
            wrong_type, message = found
            typed = typed and not wrong_type
            problems.append(Problem(path=path, message=message))
    return problems, typed


@functools.cache
def _plan(hint: Any, owner: tuple[type, str] | None) -> _Visit:
    """Return how to check a value declared *hint* (in attribute *owner*), built once."""
    if hint is Any:
        return lambda _, __, ___: None
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return _optional(hint, owner)
    if typing.get_origin(hint) is tuple:
        return _tuple(hint, owner)
    if hint is bool:
        return lambda value, _, __: None if isinstance(value, bool) else _wrong(bool, value)
    if hint is int:
        minimum = _MINIMUMS.get(owner, INT_MIN) if owner else INT_MIN
        return lambda value, _, __: _integer(value, minimum)
    if hint is float:
        return lambda value, _, __: _number(value)
    if hint is str:
        check = _FORMATS.get(owner, _text) if owner else _text
        return lambda value, _, __: _string(value, check)
    if not isinstance(hint, type):
        return lambda _, __, ___: None  # a declared type this walk does not know
    if attrs.has(hint) and not issubclass(hint, _SELF_CHECKED):
        return _instance(hint)
    exact_date = hint is datetime.date
    return lambda value, _, __: (
        _wrong(hint, value)
        if not isinstance(value, hint) or (exact_date and type(value) is datetime.datetime)
        else None
    )


def _optional(hint: Any, owner: tuple[type, str] | None) -> _Visit:
    options = [a for a in typing.get_args(hint) if a is not type(None)]
    nullable = len(options) < len(typing.get_args(hint))
    inner = _plan(options[0], owner) if len(options) == 1 else _plan(Any, owner)

    def visit(value: object, path: str, stack: _Stack) -> _Found:
        if value is None:
            return None if nullable else _wrong(hint, value)
        return inner(value, path, stack)

    return visit


def _tuple(hint: Any, owner: tuple[type, str] | None) -> _Visit:
    args = typing.get_args(hint)
    homogeneous = len(args) == 2 and args[1] is Ellipsis
    plans = [_plan(args[0], owner)] if homogeneous else [_plan(a, owner) for a in args]

    def visit(value: object, path: str, stack: _Stack) -> _Found:
        if not isinstance(value, tuple):
            return _wrong(hint, value)
        if not homogeneous and len(value) != len(args):
            return True, f"expected {len(args)} items, not {len(value)}"
        for i in reversed(range(len(value))):
            stack.append((value[i], f"{path}[{i}]", plans[0] if homogeneous else plans[i]))
        return None

    return visit


def _instance(cls: type) -> _Visit:
    fields: list[tuple[str, _Visit]] = []

    def visit(value: object, path: str, stack: _Stack) -> _Found:
        if not isinstance(value, cls):
            return _wrong(cls, value)
        if not fields:  # built on first use (a class may refer to itself), then kept
            hints = typing.get_type_hints(cls)
            fields[:] = [
                (f.name, _plan(hints[f.name], (cls, f.name)))
                for f in reversed(attrs.fields(cls))
                if f.init
            ]
        prefix = f"{path}." if path else ""
        stack.extend((getattr(value, name), prefix + name, plan) for name, plan in fields)
        return None

    return visit


def _string(value: object, check: _Check) -> _Found:
    if not isinstance(value, str):
        return _wrong(str, value)
    reason = check(value)
    return None if reason is None else (False, reason)


def _integer(value: object, minimum: int) -> _Found:
    if isinstance(value, bool) or not isinstance(value, int):
        return _wrong(int, value)
    reason = int_problem(value, minimum=minimum)  # at most INT64_MAX
    return None if reason is None else (False, reason)


def _number(value: object) -> _Found:
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
