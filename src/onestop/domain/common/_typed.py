"""Checks of the *types* of a value object's fields, for attrs validators and converters.

The value objects other code reads without looking again (application events, the
`onestop.domain.applications.application.Application` folded from them, workflows, SLA outcomes)
check the types of their fields when they are built.  A wrong type is refused there,
with `InvalidValue` naming the field, rather than later with an `AttributeError` or a
`TypeError` far from the mistake (``documents="pending"`` failing at
``"pending".without_content()``).

They check types, never formats.  Whether an id is an actor id or a code a code is
checked by the commands that make these objects (`onestop.domain.common.formats`), once, where
a value enters: events are also rebuilt from stored history, and history written under
an earlier, looser check must keep loading.  A type never changed, so checking it
costs old history nothing.

>>> import attrs
>>> @attrs.frozen
... class Note:
...     lines: tuple[str, ...] = attrs.field(converter=as_tuple, validator=items_of(str))
>>> Note(["a", "b"]).lines
('a', 'b')
>>> Note("ab")
Traceback (most recent call last):
  ...
onestop.exceptions.InvalidValue: lines: expected a list or tuple of str, not text
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, TypeAlias

import attrs

from onestop.domain.common.formats import INT64_MAX, int_problem, kind_of, preview
from onestop.domain.common.kinds import check_instant, named_kind
from onestop.exceptions import InvalidValue

__all__ = [
    "as_mapping",
    "as_tuple",
    "check_items",
    "count",
    "instant",
    "items_of",
    "mapping_of",
    "of",
]

_Validator: TypeAlias = Callable[[Any, "attrs.Attribute[Any]", Any], None]
_Kind: TypeAlias = type | tuple[type, ...]


def _names(kind: _Kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join("None" if k is type(None) else named_kind(k) for k in kinds)


def _fits(value: object, kind: _Kind) -> bool:
    """Whether *value* is a *kind*; a `bool` is no `int`, and a `datetime` no `date`."""
    if not isinstance(value, kind):
        return False
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False
    return not (isinstance(value, datetime) and date in kinds and datetime not in kinds)


def _refuse(field: str, kind: _Kind, value: object) -> InvalidValue:
    return InvalidValue(field=field, reason=f"expected {_names(kind)}, not {kind_of(value)}")


def of(kind: _Kind, *, optional: bool = False) -> _Validator:
    """An attrs validator: the value is a *kind* (or ``None``, if *optional*).

    A `bool` is not accepted for an `int`, nor a `datetime` for a `date`, unless
    *kind* names them.
    """

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and optional:
            return
        if not _fits(value, kind):
            raise _refuse(attribute.name, (*_tuple(kind), type(None)) if optional else kind, value)

    return check


def _tuple(kind: _Kind) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def as_tuple(value: Any) -> Any:
    """An attrs converter: a list, tuple or iterator becomes a tuple; anything else is
    left as it is, for the field's validator to refuse (a string is not a list of
    its characters)."""
    if isinstance(value, list | tuple | Iterator):
        return tuple(value)
    return value


def items_of(kind: _Kind) -> _Validator:
    """An attrs validator: the value is a tuple whose every item is a *kind*.

    Use it after `as_tuple`; the field of a refusal names the item (``sources[2]``).
    """

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        check_items(value, kind, field=attribute.name)

    return check


def check_items(value: object, kind: _Kind, *, field: str) -> tuple[Any, ...]:
    """Return *value* if it is a tuple whose every item is a *kind*.

    Raises:
        InvalidValue: Naming *field*, or the item (``field[2]``) of the wrong type.
    """
    if not isinstance(value, tuple):
        reason = f"expected a list or tuple of {_names(kind)}, not {kind_of(value)}"
        raise InvalidValue(field=field, reason=reason)
    for index, item in enumerate(value):
        if not _fits(item, kind):
            raise _refuse(f"{field}[{index}]", kind, item)
    return value


def as_mapping(value: Any) -> Any:
    """An attrs converter: a mapping becomes a read-only copy; anything else is left
    for the field's validator to refuse."""
    if isinstance(value, Mapping):
        return MappingProxyType(dict(value))
    return value


def mapping_of(key: _Kind, item: _Kind | Callable[[object], bool]) -> _Validator:
    """An attrs validator: a mapping of *key* to *item* (a type, or a predicate).

    The field of a refusal names the entry (``answers['floor_area']``), the key
    shortened; a key that is not a *key* is not quoted.
    """
    predicate = item if callable(item) and not isinstance(item, type) else None

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        name = attribute.name
        if not isinstance(value, Mapping):
            raise InvalidValue(field=name, reason=f"expected a mapping, not {kind_of(value)}")
        for entry_key, entry in value.items():
            if not _fits(entry_key, key):
                raise InvalidValue(
                    field=name, reason=f"has a key of {kind_of(entry_key)}, not {_names(key)}"
                )
            if predicate is not None:
                if not predicate(entry):
                    where = f"{name}[{preview(entry_key)}]"
                    raise InvalidValue(field=where, reason=f"cannot hold {kind_of(entry)}")
            elif not _fits(entry, item):  # type: ignore[arg-type]  # a type, not a predicate
                where = f"{name}[{preview(entry_key)}]"
                raise _refuse(where, item, entry)  # type: ignore[arg-type]

    return check


def count(*, minimum: int = 0) -> _Validator:
    """An attrs validator: an `int` (not a `bool`) from *minimum* to 2**63 - 1."""

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        reason = int_problem(value, minimum=minimum, maximum=INT64_MAX)
        if reason is not None:
            raise InvalidValue(field=attribute.name, reason=reason)

    return check


def instant(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An attrs validator: a timezone-aware `datetime` within the years 1 to 9999 in UTC.

    Raises:
        NaiveDatetime: If it has no time zone.
        InvalidValue: If it is not a datetime, or not an instant in UTC.
    """
    check_instant(value, field=attribute.name)
