"""The nodes of a parsed rule (`onestop.domain.catalogue.rules`): private, frozen values.

`parse_rule` builds them; `Rule` holds the root and checks it is one of them.
"""

from __future__ import annotations

import datetime
import enum
from decimal import Decimal
from typing import TypeAlias

import attrs

__all__: list[str] = []


class _Kind(enum.Enum):
    TEXT = "text"
    NUMBER = "a number"
    BOOLEAN = "true or false"
    DATE = "a date"


@attrs.frozen
class _Literal:
    kind: _Kind  # part of equality, so that true != 1 although True == Decimal(1)
    value: str | Decimal | bool | datetime.date


@attrs.frozen
class _Token:
    kind: str  # "name", "literal", "op", "end", a keyword or a punctuation mark
    text: str
    pos: int
    literal: _Literal | None = None


@attrs.frozen
class _Field:
    name: str


@attrs.frozen
class _List:
    items: tuple[_Literal, ...]


_Operand: TypeAlias = _Field | _Literal | _List


@attrs.frozen
class _Compare:
    field: str
    op: str
    value: _Literal
    field_first: bool = True


@attrs.frozen
class _In:
    field: str
    items: tuple[_Literal, ...]


@attrs.frozen
class _Contains:
    item: str
    field: str


@attrs.frozen
class _Truthy:
    field: str


@attrs.frozen
class _IsSet:
    field: str


@attrs.frozen
class _Not:
    child: _Node


@attrs.frozen
class _Group:
    child: _Node


@attrs.frozen
class _Junction:
    word: str  # "and" or "or"
    children: tuple[_Node, ...]


_Leaf: TypeAlias = _Compare | _In | _Contains | _Truthy | _IsSet
_Node: TypeAlias = _Leaf | _Not | _Group | _Junction
_NODES = (_Compare, _In, _Contains, _Truthy, _IsSet, _Not, _Group, _Junction)
"""Every node class, for `isinstance`."""
