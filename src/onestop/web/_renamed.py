"""Response fields whose JSON key is not a Python name (``$schema``, ``minLength``).

A field declared with `wire_name` is written under that key by the API's converter
(`register_renamed`) and described under it in the OpenAPI document (`RenamedSchema`),
so the attrs class stays the one description of the wire.  Only responses use it:
nothing is read back through these names.  A class marked `described` (or with a renamed
field) is described in the OpenAPI document with its docstring's text before
``Attributes:``, so that what a body can and cannot say reaches the reader of the document.

>>> import attrs, cattrs
>>> @attrs.frozen(kw_only=True)
... class Example:
...     min_length: int | None = wire_name("minLength")
>>> conv = cattrs.Converter()
>>> register_renamed(conv)
>>> conv.unstructure(Example(min_length=1)), conv.unstructure(Example())
({'minLength': 1}, {})
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

if TYPE_CHECKING:  # Litestar's schema creator lives in a private module: named, not imported
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.openapi.spec import Schema

__all__ = ["WIRE_NAME", "RenamedSchema", "described", "register_renamed", "wire_name"]

C = TypeVar("C", bound=type[Any])

_DESCRIBED: set[type[Any]] = set()

WIRE_NAME = "onestop.web.wire_name"
"""The attrs metadata key holding a field's JSON key."""


def wire_name(name: str, /, *, required: bool = False) -> Any:
    """Return an attrs field written as *name* in JSON.

    Without *required* it defaults to ``None``, which the converter leaves out.
    """
    if required:
        return attrs.field(metadata={WIRE_NAME: name})
    return attrs.field(default=None, metadata={WIRE_NAME: name})


def described(cl: C, /) -> C:
    """Mark the attrs class *cl* to be described in the OpenAPI document by its docstring."""
    _DESCRIBED.add(cl)
    return cl


def _description(cl: type[Any]) -> str | None:
    text = inspect.getdoc(cl) or ""
    return text.split("Attributes:")[0].strip().replace("\n", " ") or None


def _names(cl: type[Any]) -> dict[str, str]:
    return {f.name: f.metadata.get(WIRE_NAME, f.name) for f in attrs.fields(cl)}


def _is_renamed(kind: Any) -> bool:
    return (
        isinstance(kind, type)
        and attrs.has(kind)
        and any(WIRE_NAME in f.metadata for f in attrs.fields(kind))
    )


def register_renamed(conv: cattrs.Converter, /) -> None:
    """Make *conv* write fields declared with `wire_name` under their JSON keys
    (leaving out fields equal to their default)."""

    def factory(cl: type[Any]) -> Any:
        renames: dict[str, Any] = {
            name: override(rename=wire, omit_if_default=True)
            for name, wire in _names(cl).items()
            if wire != name
        }
        return make_dict_unstructure_fn(cl, conv, _cattrs_omit_if_default=True, **renames)

    conv.register_unstructure_hook_factory(_is_renamed, factory)


class RenamedSchema(OpenAPISchemaPlugin):
    """Describe classes with `wire_name` fields under their JSON keys, and `described`
    classes with their docstrings.

    It must come before Litestar's attrs plugin, which would use the Python names.
    """

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        """Whether the field's type is an attrs class with a renamed field, or described."""
        kind = field_definition.annotation
        return _is_renamed(kind) or (isinstance(kind, type) and kind in _DESCRIBED)

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        """The component schema, properties under their JSON keys."""
        kind = field_definition.type_
        hints = field_definition.get_type_hints(include_extras=True, resolve_generics=True)
        names = _names(kind)
        fields = attrs.fields(kind)
        schema = schema_creator.create_component_schema(
            field_definition,
            required=sorted(names[f.name] for f in fields if f.default is attrs.NOTHING),
            property_fields={
                names[f.name]: FieldDefinition.from_kwarg(hints[f.name], names[f.name])
                for f in fields
            },
        )
        schema.description = _description(kind)
        return schema
