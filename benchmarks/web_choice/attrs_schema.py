"""What Starlette would need us to write: JSON Schema (OpenAPI 3.1) from attrs classes.

Neither apispec (marshmallow) nor spectree (pydantic, msgspec) reads attrs classes,
and msgspec's own generator refuses `Person | Organisation`; this walker is the code
onestop would own under Starlette.  apispec then only assembles the document.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from collections.abc import Mapping
from typing import Any

import attrs

from onestop.domain.common.parties import Personal

_SCALARS: Mapping[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    bytes: {"type": "string", "contentEncoding": "base64"},
    dt.datetime: {"type": "string", "format": "date-time"},
    dt.date: {"type": "string", "format": "date"},
}


def schema_of(kind: Any, components: dict[str, Any]) -> dict[str, Any]:
    """The schema of *kind*; attrs classes and enums go to *components* by name."""
    if kind in _SCALARS:
        return dict(_SCALARS[kind])
    if kind is type(None):
        return {"type": "null"}
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        return {"oneOf": [schema_of(arg, components) for arg in args]}
    if origin is Personal:
        return schema_of(args[0] if args else str, components)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return {"type": "array", "items": schema_of(args[0], components)}
    if origin in (Mapping, dict, typing.Mapping):
        return {"type": "object", "additionalProperties": schema_of(args[1], components)}
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        components[kind.__name__] = {"type": "string", "enum": [m.value for m in kind]}
        return {"$ref": f"#/components/schemas/{kind.__name__}"}
    if isinstance(kind, type) and attrs.has(kind):
        if kind.__name__ not in components:
            components[kind.__name__] = {}  # a placeholder against recursion
            hints = typing.get_type_hints(kind)
            fields = [f for f in attrs.fields(kind) if f.repr or f.default is attrs.NOTHING]
            components[kind.__name__] = {
                "type": "object",
                "title": kind.__name__,
                "properties": {f.name: schema_of(hints[f.name], components) for f in fields},
                "required": sorted(f.name for f in fields if f.default is attrs.NOTHING),
                "additionalProperties": False,
            }
        return {"$ref": f"#/components/schemas/{kind.__name__}"}
    raise TypeError(f"no JSON Schema for {kind!r}")
