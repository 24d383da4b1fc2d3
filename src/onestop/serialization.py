"""One cattrs converter for catalogue files, stores and the wire.

`make_converter` builds a converter that is *strict* at trust boundaries: it never
coerces a value into the type it wanted (``{}`` does not become the string ``"{}"``,
``1.5`` does not become the integer ``1``, a dict does not become an empty tuple), it
refuses unknown keys, and it collects every error instead of stopping at the first.
`problems_from` turns its errors into `onestop.exceptions.Problem` objects with paths
such as ``services[3].fees[0].amount``.

Value objects travel as the text a person would write: a `Duration` as
``"5 working days"``, a `Period` as ``"P5Y"``, a keep period as ``"5 years"``, a rule
as its source, money amounts as decimal strings, dates in ISO 8601, enums by value and
localized text as a table of language tags.
"""

from __future__ import annotations

import collections.abc
import datetime as dt
import enum
import json
import re
import typing
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import attrs
import cattrs
from cattrs.errors import ForbiddenExtraKeysError
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from onestop.domain.catalogue.calendars import CalendarClosure
from onestop.domain.catalogue.retention import RetentionPeriod
from onestop.domain.catalogue.rules import Rule, parse_rule
from onestop.domain.common.formats import preview
from onestop.domain.common.kinds import check_type, parse_number
from onestop.domain.common.text import LocalizedText
from onestop.domain.common.values import Duration, Period, amount_text, parse_amount
from onestop.exceptions import CatalogueError, InvalidValue, Problem

__all__ = ["key_path", "make_converter", "problems_from", "restoring"]


class _WrongType(TypeError):
    """A value of the wrong JSON/TOML type; the message names what was expected."""


def _type_name(value: object) -> str:
    names = {
        dict: "a table",
        list: "an array",
        tuple: "an array",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a float",
        type(None): "nothing",
    }
    return names.get(type(value), f"a {type(value).__name__}")


def _strict(kind: type, label: str) -> Callable[[Any, Any], Any]:
    def hook(value: Any, _: Any) -> Any:
        if type(value) is not kind:
            raise _WrongType(f"expected {label}, got {_type_name(value)}")
        return value

    return hook


def _structure_text(value: Any, _: Any) -> LocalizedText:
    if not isinstance(value, dict):
        raise _WrongType(f"expected a table of language tags to text, got {_type_name(value)}")
    for tag, text in value.items():
        if not isinstance(text, str):
            raise _WrongType(
                f"text for language {preview(tag)} must be a string, got {_type_name(text)}"
            )
    return LocalizedText(value)


def _from_text(parse: Callable[[str], Any], label: str) -> Callable[[Any, Any], Any]:
    def hook(value: Any, _: Any) -> Any:
        if not isinstance(value, str):
            raise _WrongType(f"expected {label}, got {_type_name(value)}")
        return parse(value)

    return hook


def _structure_date(value: Any, _: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise _WrongType("expected a date (YYYY-MM-DD), got a date and time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            if _DATE_FORM.fullmatch(value):
                raise _WrongType(f"{preview(value)} is not a calendar date (no such day)") from None
            raise _WrongType(f"{preview(value)} is not a date of the form YYYY-MM-DD") from None
    raise _WrongType(f"expected a date (YYYY-MM-DD), got {_type_name(value)}")


_DATE_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _structure_datetime(value: Any, _: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise _WrongType(f"{preview(value)} is not an ISO 8601 date and time") from None
    else:
        raise _WrongType(f"expected an ISO 8601 date and time, got {_type_name(value)}")
    if parsed.tzinfo is None:
        raise _WrongType("a date and time needs a UTC offset, e.g. 2025-01-02T08:00:00+07:00")
    return parsed


def _structure_enum(kind: type[enum.Enum]) -> Callable[[Any, Any], Any]:
    values = [str(m.value) for m in kind]

    def hook(value: Any, _: Any) -> Any:
        if not isinstance(value, str):
            raise _WrongType(f"expected one of {', '.join(values)}; got {_type_name(value)}")
        try:
            return kind(value)
        except ValueError:
            raise _WrongType(f"{preview(value)} is not one of {', '.join(values)}") from None

    return hook


def _is_tuple(t: Any) -> bool:
    return typing.get_origin(t) is tuple


def _structure_tuple_factory(conv: cattrs.Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    def factory(t: Any) -> Callable[[Any, Any], Any]:
        args = typing.get_args(t)
        homogenous = len(args) == 2 and args[1] is Ellipsis
        inner = conv.get_structure_hook(args[0]) if homogenous else None

        def hook(value: Any, _: Any) -> Any:
            if not isinstance(value, list | tuple):
                raise _WrongType(f"expected an array, got {_type_name(value)}")
            if homogenous:
                assert inner is not None  # noqa: S101 - set whenever homogenous
                return _structure_items(value, inner, args[0])
            if len(value) != len(args):
                raise _WrongType(f"expected an array of {len(args)} items, got {len(value)}")
            return _structure_items_fixed(conv, value, args)

        return hook

    return factory


_MAPPINGS = (dict, collections.abc.Mapping, collections.abc.MutableMapping)


def _is_mapping(t: Any) -> bool:
    return t in _MAPPINGS or typing.get_origin(t) in _MAPPINGS


def _structure_mapping_factory(
    conv: cattrs.Converter,
) -> Callable[[Any], Callable[[Any, Any], Any]]:
    """A table's hook: anything but a table is `_WrongType` (cattrs would call
    ``.items()`` on it and fail with ``AttributeError``)."""

    def factory(t: Any) -> Callable[[Any, Any], Any]:
        return _tables_only(conv.gen_structure_mapping(t))

    return factory


def _tables_only(inner: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """*inner*, a hook structuring a table, refusing anything else as `_WrongType`."""

    def hook(value: Any, t: Any) -> Any:
        if not isinstance(value, dict):
            raise _WrongType(f"expected a table, got {_type_name(value)}")
        return inner(value, t)

    return hook


def _structure_items(
    value: Any, inner: Callable[[Any, Any], Any], item_type: Any
) -> tuple[Any, ...]:
    out: list[Any] = []
    errors: list[Exception] = []
    for i, item in enumerate(value):
        try:
            out.append(inner(item, item_type))
        except Exception as exc:  # noqa: BLE001 - collected and re-raised as a group
            exc.__notes__ = [
                *getattr(exc, "__notes__", []),
                cattrs.IterableValidationNote(f"Structuring {item_type} @ index {i}", i, item_type),
            ]
            errors.append(exc)
    if errors:
        raise cattrs.IterableValidationError("While structuring an array", errors, tuple)
    return tuple(out)


def _structure_items_fixed(
    conv: cattrs.Converter, value: Any, args: tuple[Any, ...]
) -> tuple[Any, ...]:
    out: list[Any] = []
    errors: list[Exception] = []
    for i, (item, item_type) in enumerate(zip(value, args, strict=True)):
        try:
            out.append(conv.structure(item, item_type))
        except Exception as exc:  # noqa: BLE001 - collected and re-raised as a group
            exc.__notes__ = [
                *getattr(exc, "__notes__", []),
                cattrs.IterableValidationNote(f"Structuring {item_type} @ index {i}", i, item_type),
            ]
            errors.append(exc)
    if errors:
        raise cattrs.IterableValidationError("While structuring an array", errors, tuple)
    return tuple(out)


def make_converter() -> cattrs.Converter:
    """Return a new strict converter for onestop's value objects.

    Structuring collects every error (``detailed_validation``) and refuses unknown keys;
    pass the error to `problems_from` to get paths and messages.
    """
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True, omit_if_default=True)
    for kind, label in ((str, "a string"), (int, "an integer"), (bool, "a boolean")):
        conv.register_structure_hook(kind, _strict(kind, label))
    conv.register_structure_hook(float, _from_number)
    conv.register_structure_hook(Decimal, lambda v, _: parse_amount(v))
    conv.register_unstructure_hook(Decimal, amount_text)
    conv.register_structure_hook(LocalizedText, _structure_text)
    conv.register_unstructure_hook(LocalizedText, lambda t: t.as_dict())
    conv.register_structure_hook(
        Duration, _from_text(Duration.parse, "a duration such as '5 working days'")
    )
    conv.register_unstructure_hook(Duration, str)
    conv.register_structure_hook(
        Period, _from_text(Period.parse, "an ISO 8601 period such as 'P5Y'")
    )
    conv.register_unstructure_hook(Period, str)
    conv.register_structure_hook(
        RetentionPeriod, _from_text(RetentionPeriod.parse, "a keep period such as '5 years'")
    )
    conv.register_unstructure_hook(RetentionPeriod, str)
    conv.register_structure_hook(Rule, _from_text(parse_rule, "a rule expression"))
    conv.register_unstructure_hook(Rule, lambda r: r.source)
    conv.register_structure_hook(dt.date, _structure_date)
    conv.register_unstructure_hook(dt.date, lambda d: d.isoformat())
    conv.register_structure_hook(dt.datetime, _structure_datetime)
    conv.register_unstructure_hook(dt.datetime, lambda d: d.isoformat())
    conv.register_structure_hook_factory(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _structure_enum
    )
    conv.register_structure_hook_factory(_is_tuple, _structure_tuple_factory(conv))
    conv.register_structure_hook_factory(_is_mapping, _structure_mapping_factory(conv))
    # A form field's bound: an integer or decimal text, parsed by FormField itself.
    conv.register_structure_hook_func(lambda t: t == Decimal | int | None, _structure_number)
    conv.register_structure_hook_factory(_is_attrs_class, _structure_table_factory(conv))
    conv.register_unstructure_hook_factory(
        _is_attrs_class,
        lambda cl: make_dict_unstructure_fn(
            cl, conv, _cattrs_omit_if_default=True, **_renamed(cl, structure=False)
        ),
    )
    return conv


def _structure_local(value: Any, _: Any) -> dt.datetime:
    """A local wall-clock date and time, without a UTC offset (a calendar closure's)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise _WrongType(f"{preview(value)} is not an ISO 8601 date and time") from None
    if not isinstance(value, dt.datetime):
        raise _WrongType(f"expected a local date and time, got {_type_name(value)}")
    if value.tzinfo is not None:
        raise _WrongType("give local wall-clock time without a UTC offset")
    return value


def _renamed(cl: Any, *, structure: bool) -> dict[str, Any]:
    """The per-field overrides of a class whose file keys differ from its attributes."""
    if cl is not CalendarClosure:
        return {}
    if structure:
        return {
            "start": override(rename="from", struct_hook=_structure_local),
            "until": override(struct_hook=_structure_local),
        }
    return {"start": override(rename="from", omit_if_default=True)}


def _structure_table_factory(conv: cattrs.Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    """Structure an attrs class from a table only: an array or a string is a wrong type."""

    def factory(cl: Any) -> Callable[[Any, Any], Any]:
        return _tables_only(
            make_dict_structure_fn(
                cl, conv, _cattrs_forbid_extra_keys=True, **_renamed(cl, structure=True)
            )
        )

    return factory


def _is_attrs_class(t: Any) -> bool:
    import attrs  # noqa: PLC0415 - keep the module's import list about serialization

    return isinstance(t, type) and attrs.has(t)


def _structure_number(value: Any, _: Any) -> Decimal | int | None:
    if value is None:
        return None
    try:
        return parse_number(value, field="number")
    except InvalidValue as exc:
        raise _WrongType(exc.reason) from None


def _from_number(value: Any, _: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _WrongType(f"expected a number, got {_type_name(value)}")
    return float(value)


def problems_from(exc: BaseException, *, file: str | None = None, path: str = "") -> list[Problem]:
    """Turn a structuring error from `make_converter`'s converter into problems.

    Args:
        exc: The exception cattrs raised.
        file: The file the data came from, recorded on each problem.
        path: The path of the structured value within its document.
    """
    return [Problem(path=p, message=m, file=file) for p, m in _walk(exc, path)]


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")


def key_path(path: str, key: object) -> str:
    """Return the path of *key* inside the table at *path*: ``services[0].name``.

    A key that is not a plain name (a letter or ``_``, then letters, digits, ``_`` and
    ``-``; at most 64 characters) is written as a quoted, ASCII-escaped and shortened
    index, ``services[0]["a b"]``, so that a path is always one line of ASCII.  A key
    that is not text (data built in Python may have any) is written as `preview` shows
    it: a short integer as its digits, anything else as its type.

    Raises:
        InvalidValue: If *path* is not text.
    """
    check_type(path, str, field="path")
    if isinstance(key, str) and _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}" if path else key
    text = key if isinstance(key, str) else preview(key)
    shown = text if len(text) <= 40 else text[:40] + "..."
    return f"{path}[{json.dumps(shown)}]"


def _join(path: str, name: str) -> str:
    return key_path(path, name)


def _walk(exc: BaseException, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(exc, cattrs.IterableValidationError):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            yield from _walk(sub, f"{path}[{note.index}]")
        for sub in without:
            yield from _walk(sub, path)
    elif isinstance(exc, cattrs.ClassValidationError):
        with_notes, without = exc.group_exceptions()  # type: ignore[assignment]
        for sub, note in with_notes:
            yield from _walk(sub, _join(path, note.name))  # type: ignore[attr-defined]
        for sub in without:
            yield from _walk(sub, path)
    elif isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields):
            yield key_path(path, key), f"unknown key {preview(key)}"
    elif isinstance(exc, KeyError):
        yield path, "required key is missing"
    elif isinstance(exc, _WrongType | CatalogueError | InvalidValue):
        yield path, str(exc)
    elif isinstance(exc, ExceptionGroup):
        for sub in exc.exceptions:
            yield from _walk(sub, path)
    else:
        detail = str(exc)
        detail = detail if len(detail) <= 200 else detail[:200] + "..."
        yield path, f"invalid value ({type(exc).__name__}: {detail})"


# --- history as stored ----------------------------------------------------------------


_HASH_CACHE = "_attrs_cached_hash"
"""Where attrs keeps the hash of a ``cache_hash=True`` class (set to ``None`` by ``__init__``)."""


def restoring(conv: cattrs.Converter, /) -> cattrs.Converter:
    """Make *conv* rebuild attrs values as stored: by their attributes' types, not validators.

    Each attribute is structured by its type with *conv* (strict: no coercion), unknown
    keys are refused, and every error is collected with its path, as
    `onestop.serialization.problems_from` reads it; the instance is then filled in
    directly, so that format rules added since the value was written do not stop
    history from loading.  Returns *conv*.

    Raises:
        onestop.exceptions.InvalidValue: If *conv* is not a `cattrs.Converter`.
    """
    check_type(conv, cattrs.Converter, field="conv")

    def factory(cls: type) -> Callable[[Any, Any], Any]:
        fields = attrs.fields(attrs.resolve_types(cls))
        known = frozenset(f.name for f in fields if f.init)
        hooks: dict[str, Callable[[Any, Any], Any]] = {}  # filled on first use
        # A class with attrs' ``cache_hash`` keeps its hash in a slot ``__init__`` clears.
        caches_hash = any(_HASH_CACHE in getattr(k, "__slots__", ()) for k in cls.__mro__)

        def structure(value: Any, _: Any) -> Any:
            if not isinstance(value, dict):
                raise TypeError(f"expected a table for {cls.__name__}")
            extra = set(value) - known
            if extra:
                raise ForbiddenExtraKeysError("", cls, extra)
            instance: Any = object.__new__(cls)
            errors: list[Exception] = []
            for field in fields:
                try:
                    item = _attribute(conv, hooks, cls, field, value)
                except Exception as exc:  # noqa: BLE001 - collected and raised as a group
                    note = f"Structuring class {cls.__qualname__} @ attribute {field.name}"
                    exc.__notes__ = [
                        *getattr(exc, "__notes__", []),
                        cattrs.AttributeValidationNote(note, field.name, field.type),
                    ]
                    errors.append(exc)
                    continue
                object.__setattr__(instance, field.name, item)
            if errors:
                raise cattrs.ClassValidationError(f"While structuring {cls.__name__}", errors, cls)
            if caches_hash:
                object.__setattr__(instance, _HASH_CACHE, None)
            return instance

        return structure

    conv.register_structure_hook_factory(attrs.has, factory)
    return conv


def _attribute(
    conv: cattrs.Converter,
    hooks: dict[str, Callable[[Any, Any], Any]],
    cls: type,
    field: attrs.Attribute[Any],
    value: dict[str, Any],
) -> Any:
    if field.init and field.name in value:
        hook = hooks.get(field.name)
        if hook is None:
            hook = hooks[field.name] = conv.get_structure_hook(field.type)
        return hook(value[field.name], field.type)
    default: Any = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return default.factory()
    if field.default is not attrs.NOTHING:
        return field.default
    raise KeyError(f"{cls.__name__}.{field.name}")
