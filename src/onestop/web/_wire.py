"""The wire format of the HTTP API: onestop's strict converter as Litestar's DTO.

Request bodies are read as strict JSON (`read_json`: UTF-8, no duplicate keys, no
``NaN``, no lone surrogates, nesting at most `MAX_DEPTH` deep) and structured into our
attrs classes by the same converter the stores and the catalogue loader use
(`onestop.serialization.make_converter`): no value is coerced into the type it should
have been, unknown keys are refused, and a `Person` is told from an `Organisation`.
Responses are unstructured by it too.  The OpenAPI schemas still come from the attrs
classes, through Litestar's attrs plugin and the schema plugins below, so the document
describes exactly what the converter accepts.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Generator
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

import cattrs
from litestar.dto import AbstractDTO, DTOFieldDefinition
from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import Parameter
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

from onestop.domain.common.parties import Personal
from onestop.domain.common.text import LocalizedText
from onestop.exceptions import InvalidRequest, Problem
from onestop.serialization import make_converter, problems_from
from onestop.usecases.sealing import register_personal
from onestop.web._renamed import register_renamed

if TYPE_CHECKING:  # Litestar's schema creator lives in a private module: named, not imported
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.openapi.spec import Reference

__all__ = [
    "END",
    "MAX_DEPTH",
    "DuplicateKey",
    "PathId",
    "AnswerValue",
    "Body",
    "ConverterDTO",
    "read_json",
    "schema_plugins",
    "structure",
    "unique_keys",
    "web_converter",
]

MAX_DEPTH = 32
"""The deepest nesting of arrays and objects a request body may have."""

MAX_VALUES = 5_000
"""The most keys and values (each string, number, array and object) a request body may
hold: far more than any request of the API needs, and few enough that a body refused
item by item (100,000 empty objects in 400 KB) cannot hold a worker for seconds."""

MAX_PROBLEMS = 100
"""The most problems a refused body is answered with; the last one counts the rest."""

_WHOLE_DIGITS = 30  # digits of a whole number written 1e29 or 100.0 and read as an int

END = r"(?![\s\S])"
"""The end of the text in a parameter's or a schema's ``pattern``, alike in ECMA-262 and
in Python, whose ``$`` also matches before a final line break (``"en\n"``)."""

PathId = Annotated[str, Parameter(min_length=1, max_length=128, pattern=rf"^[\x21-\x7e]+{END}")]
"""An id in a path, an application's, a courier job's or a handoff's, of 1 to 128 visible
ASCII characters (what the id itself must be is checked where it is used)."""

T = TypeVar("T")


def _is_personal(kind: Any) -> bool:
    return bool(typing.get_origin(kind) is Personal or kind is Personal)


def web_converter() -> cattrs.Converter:
    """Return the converter of the HTTP API: `make_converter`'s, with `Personal` values
    read as the plain values they wrap (a client never sends sealed data), and fields
    declared with `onestop.web._renamed.wire_name` written under their JSON keys."""
    conv = register_personal(make_converter())

    def factory(kind: Any) -> Any:
        (inner,) = typing.get_args(kind) or (str,)
        hook = conv.get_structure_hook(inner)
        return lambda value, _: Personal(hook(value, inner))

    conv.register_structure_hook_factory(_is_personal, factory)
    conv.register_structure_hook_func(lambda kind: kind == AnswerValue, _answer)
    register_renamed(conv)  # response keys that are not Python names ($schema, minLength)
    return conv


AnswerValue = str | int | bool | tuple[str, ...]
"""An answer on the wire: text, a whole number, true or false, or a list of choices."""


def _answer(value: Any, _: Any) -> AnswerValue:
    if type(value) in (str, int, bool):
        return value  # type: ignore[no-any-return]
    if type(value) is list and all(type(item) is str for item in value):
        return tuple(value)
    if type(value) is float:  # not whole (`read_json` makes a whole one an int)
        raise ValueError("a decimal answer is sent as a JSON string, such as the text 12.50")
    raise ValueError("an answer is text, a whole number, true or false, or a list of texts")


CONVERTER = web_converter()


def _number(text: str) -> int | float:
    """A JSON number written with a fraction or an exponent: an `int` if its value is a
    whole number (``10.0``, ``1e2``: JSON Schema's ``integer`` holds them), else a
    `float`, which the fields that take numbers refuse.  A whole value of more than
    `_WHOLE_DIGITS` digits stays a float, refused alike."""
    value = Decimal(text)
    if value == value.to_integral_value() and value.adjusted() < _WHOLE_DIGITS:
        return int(value)
    return float(text)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


class DuplicateKey(ValueError):
    """A JSON object gives *key* twice (`unique_keys`); Python's parser keeps the last."""

    def __init__(self, key: str) -> None:
        super().__init__("a key is given twice in one object")
        self.key = key


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` of `json.loads` refusing a key given twice (`DuplicateKey`)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKey(key)
        result[key] = value
    return result


def _check_shape(value: Any) -> str | None:
    """What makes *value* (parsed JSON) unacceptable whatever its schema, or ``None``."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    seen = 0
    while pending:
        item, depth = pending.pop()
        seen += 1
        if seen > MAX_VALUES:
            return f"it holds more than {MAX_VALUES:,} keys and values"
        if depth > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} deep"
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "a string holds a lone surrogate"
        elif isinstance(item, dict):
            pending.extend((inner, depth + 1) for inner in (*item.keys(), *item.values()))
        elif isinstance(item, list):
            pending.extend((inner, depth + 1) for inner in item)
    return None


def read_json(raw: bytes, /, *, where: str = "body") -> Any:
    """Parse *raw* as one strict JSON value.

    Raises:
        InvalidRequest: With status 400, if *raw* is not UTF-8, not JSON, has a key twice
            in an object, ``NaN`` or ``Infinity``, a lone surrogate, or nesting deeper
            than `MAX_DEPTH`, or more than `MAX_VALUES` keys and values.
    """
    try:
        value = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=unique_keys,
            parse_float=_number,
            parse_constant=_refuse_constant,
        )
    except UnicodeDecodeError:
        reason = "is not UTF-8 text"
    except RecursionError:
        reason = f"is nested more than {MAX_DEPTH} deep"
    except ValueError as exc:
        reason = f"is not strict JSON: {str(exc).split(':')[0]}"
    else:
        problem = _check_shape(value)
        if problem is None:
            return value
        reason = f"is not acceptable: {problem}"
    raise InvalidRequest([Problem(path=where, message=reason)], status=400)


def structure(value: Any, kind: type[T], /, *, where: str = "body") -> T:
    """Structure *value* into *kind* with `CONVERTER`.

    Raises:
        InvalidRequest: With status 422, listing every problem (the first `MAX_PROBLEMS`,
            then how many more), if it does not fit.
    """
    try:
        return CONVERTER.structure(value, kind)
    except (cattrs.BaseValidationError, ValueError, TypeError) as exc:
        problems = problems_from(exc, path=where) or [
            Problem(path=where, message="does not match its schema")
        ]
        shown = [_scrubbed(p) for p in problems[:MAX_PROBLEMS]]
        if len(problems) > MAX_PROBLEMS:
            more = f"and {len(problems) - MAX_PROBLEMS:,} more problems, not listed"
            shown.append(Problem(path=where, message=more))
        raise InvalidRequest(shown) from None


_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'" + r'|"(?:[^"\\]|\\.)*"')
_SEGMENT = re.compile(r"\[([^\]]*)\]|(\.?)([^.\[]+)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}|[0-9]{1,9}")


def _scrubbed(problem: Problem) -> Problem:
    """*problem* without the values sent: quoted text is dropped from its message (the
    converter quotes what it refused), and a path segment that is not a plain field name
    or index, or that is an unknown key the client sent, is shown as ``?``."""
    message = " ".join(_QUOTED.sub("", problem.message).split())[:200] or "is not acceptable"
    segments = list(_SEGMENT.finditer(problem.path))
    # An unknown key is the client's own, however much it looks like a field's name
    # (``nik_3171012501900001``): the path names the object it was sent in, not the key.
    unknown = problem.message.startswith("unknown key")
    parts: list[str] = []
    for i, found in enumerate(segments):
        index, dot, name = found.groups()
        hidden = unknown and i == len(segments) - 1
        if index is not None:
            parts.append(f"[{index if _NAME.fullmatch(index) and not hidden else '?'}]")
        else:
            parts.append(f"{dot}{name if _NAME.fullmatch(name) and not hidden else '?'}")
    return Problem(path="".join(parts)[:200] or "body", message=message)


class ConverterDTO(AbstractDTO[T], Generic[T]):
    """A Litestar DTO whose work a cattrs converter does: no msgspec transfer model."""

    @classmethod
    def generate_field_definitions(
        cls, model_type: type[Any]
    ) -> Generator[DTOFieldDefinition, None, None]:
        """None: the converter, not a transfer model, does the work."""
        yield from ()

    @classmethod
    def create_for_field_definition(
        cls, field_definition: FieldDefinition, handler_id: str, backend_cls: Any = None
    ) -> None:
        """Build no msgspec transfer model."""
        return


class Body(ConverterDTO[T], Generic[T]):
    """Bodies in and out through `CONVERTER`; schemas from the attrs class."""

    @classmethod
    def create_openapi_schema(
        cls, field_definition: FieldDefinition, handler_id: str, schema_creator: SchemaCreator
    ) -> Reference | Schema:
        """The schema of the attrs class itself."""
        return schema_creator.for_field_definition(FieldDefinition.from_annotation(cls.model_type))

    def decode_bytes(self, value: bytes) -> Any:
        """Read a request body into the model."""
        return structure(read_json(value), self.model_type)

    def decode_builtins(self, value: dict[str, Any]) -> Any:
        """Structure already parsed data into the model."""
        return structure(value, self.model_type)

    def data_to_encodable_type(self, data: Any) -> Any:
        """Unstructure a response."""
        return CONVERTER.unstructure(data)


class _PersonalSchema(OpenAPISchemaPlugin):
    """`Personal[X]` is described as X (Litestar would write ``{}``)."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return _is_personal(field_definition.annotation)

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        (inner,) = field_definition.inner_types or (FieldDefinition.from_annotation(str),)
        found = schema_creator.for_field_definition(inner)
        return found if isinstance(found, Schema) else Schema(one_of=[found])


class _AmountSchema(OpenAPISchemaPlugin):
    """An amount of money travels as decimal text (``"1500.50"``), never as a float."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return field_definition.annotation is Decimal

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        return Schema(
            type=OpenAPIType.STRING,
            pattern=r"^[0-9]{1,18}(\.[0-9]{1,6})?$",
            description="An amount of money as decimal text.",
        )


class _TextSchema(OpenAPISchemaPlugin):
    """A `LocalizedText` is an object of language tag to text."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return field_definition.annotation is LocalizedText

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        return Schema(
            type=OpenAPIType.OBJECT,
            additional_properties=Schema(type=OpenAPIType.STRING),
            description="Text by BCP 47 language tag.",
        )


def schema_plugins() -> list[OpenAPISchemaPlugin]:
    """Return the schema plugins for the types the converter writes specially."""
    return [_PersonalSchema(), _AmountSchema(), _TextSchema()]
