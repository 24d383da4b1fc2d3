"""Canonical JSON: equal values give equal bytes, so their hashes can be chained.

`canonical_bytes` is what the audit trail (`onestop.domain.common.audit`) hashes: the stored
body of every event and handoff goes through it.  Values made of plain data (text,
integers, decimals, instants, lists and string-keyed tables, which is what the event
codec produces) take a fast path; anything else, and anything the fast path doubts,
goes through the exact encoder, which gives the same bytes or names the path of what
it refuses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from uuid import UUID

import attrs

from onestop.domain.common.parties import Personal
from onestop.exceptions import NotCanonical

__all__ = ["canonical_bytes"]

_MAX_DEPTH = 100
_MAX_DIGITS = 1000
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')
_SURROGATE = re.compile("[\ud800-\udfff]")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")  # matched whole, with fullmatch
_MAX_PATH = 120


def canonical_bytes(value: object, /) -> bytes:
    """Encode *value* as canonical JSON text in UTF-8: equal values give equal bytes.

    The output follows RFC 8785 (JSON Canonicalization Scheme) in spirit: object keys
    sorted by their UTF-16 code units, no whitespace, strings escaped as JSON requires
    and nothing more (``"``, ``\\``, control characters; everything else is literal
    UTF-8).  Values are encoded as:

    * ``None``, `bool`, `str`: ``null``, ``true``/``false``, a JSON string;
    * `int` and `Decimal`: a JSON number in plain notation with no exponent and no
      trailing zeros, so ``Decimal("1.50")``, ``Decimal("15E-1")`` and ``1.5`` in any
      form give ``1.5``, and ``Decimal(5)`` gives the same as ``5``.  Numbers are exact:
      unlike RFC 8785 they are not rounded to a double.  NaN, infinities and numbers
      of more than 1,000 digits are refused;
    * `date`: ``"YYYY-MM-DD"``; an aware `datetime`: converted to UTC,
      ``"YYYY-MM-DDTHH:MM:SS.ffffffZ"`` (equal instants in any zone encode alike);
    * `UUID`: its hyphenated lower-case form; an `Enum` member: its value;
    * `list` and `tuple`: an array; `set` and `frozenset`: an array sorted by the
      elements' encodings;
    * a `Mapping` with `str` keys, and an attrs instance (its attributes by name,
      leaving out those with ``eq=False``): an object;
    * `Personal`: the value it holds.  The chain must commit to the real data, so the
      bytes contain it in plain text: treat them as personal data, and keep personal
      values out of bodies that must outlive an erasure (chain an id or a digest).

    >>> canonical_bytes({"b": [1, Decimal("2.50")], "a": "é\\n"})
    b'{"a":"\\xc3\\xa9\\\\n","b":[1,2.5]}'

    Raises:
        onestop.exceptions.NotCanonical: For a float (use `Decimal`), a naive datetime,
            a non-string key, a lone surrogate, a value nested too deeply, or a type
            with no encoding; it names the path, never the value.
    """
    parts: list[str] = []
    try:
        _fast(value, parts, 0)
        return "".join(parts).encode("utf-8")
    except (_Doubt, NotCanonical, UnicodeEncodeError, TypeError):
        parts.clear()
    _encode(value, "$", parts, 0, masked=False)
    return "".join(parts).encode("utf-8")


class _Doubt(Exception):
    """The fast path met a value it leaves to the exact encoder."""


_SMALL_INT = 10**15


def _fast(value: object, out: list[str], depth: int) -> None:
    """Encode plain data as `_encode` would, without tracking paths; raise `_Doubt` else.

    Only exact built-in types are taken (enums aside), object keys must be ASCII (so
    that code-point order is UTF-16 order), integers small; the caller encodes the
    text to UTF-8, which fails on a lone surrogate.
    """
    kind = type(value)
    if isinstance(value, str) and kind is str:
        if _NEEDS_ESCAPE.search(value):
            value = _NEEDS_ESCAPE.sub(lambda m: _ESCAPES.get(m[0], f"\\u{ord(m[0]):04x}"), value)
        out.append(f'"{value}"')
    elif isinstance(value, dict) and kind is dict:
        if depth >= _MAX_DEPTH:
            raise _Doubt
        keys = list(value)
        if any(type(key) is not str or not key.isascii() for key in keys):
            raise _Doubt  # checked before sorting, which would compare foreign keys
        out.append("{")
        first = True
        for key in sorted(keys):
            if first:
                first = False
            else:
                out.append(",")
            if _NEEDS_ESCAPE.search(key):
                raise _Doubt
            item = value[key]
            if type(item) is str and not _NEEDS_ESCAPE.search(item):
                out.append(f'"{key}":"{item}"')  # the commonest member, inline
            else:
                out.append(f'"{key}":')
                _fast(item, out, depth + 1)
        out.append("}")
    elif isinstance(value, list | tuple) and (kind is list or kind is tuple):
        if depth >= _MAX_DEPTH:
            raise _Doubt
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _fast(item, out, depth + 1)
        out.append("]")
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int) and kind is int:
        if not -_SMALL_INT < value < _SMALL_INT:
            raise _Doubt
        out.append(str(value))
    elif isinstance(value, datetime) and kind is datetime:
        out.append(_string(_instant(value, "$"), "$"))
    elif isinstance(value, Decimal) and kind is Decimal:
        out.append(_decimal(value, "$"))
    elif isinstance(value, Enum) and depth < _MAX_DEPTH:
        _fast(value.value, out, depth + 1)
    else:
        raise _Doubt


def _refuse(path: str, reason: str) -> NotCanonical:
    if len(path) > _MAX_PATH:  # deep inside: keep the message short
        path = f"{path[: _MAX_PATH // 2]}...{path[-_MAX_PATH // 2 :]}"
    return NotCanonical(path=path, reason=reason)


def _encode(value: object, path: str, out: list[str], depth: int, *, masked: bool) -> None:
    if depth > _MAX_DEPTH:
        raise _refuse(path, f"nested more than {_MAX_DEPTH} levels deep")
    if isinstance(value, Personal):
        _encode(value.reveal(), path, out, depth + 1, masked=True)
    elif value is None:
        out.append("null")
    elif isinstance(value, Enum):
        _encode(value.value, path, out, depth + 1, masked=masked)
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, int):
        out.append(_integer(value, path))
    elif isinstance(value, float):
        raise _refuse(path, "floats have no canonical encoding; use Decimal")
    elif isinstance(value, Decimal):
        out.append(_decimal(value, path))
    elif isinstance(value, str):
        out.append(_string(value, path))
    elif isinstance(value, datetime):
        out.append(_string(_instant(value, path), path))
    elif isinstance(value, date):
        out.append(f'"{value.year:04d}-{value.month:02d}-{value.day:02d}"')
    elif isinstance(value, UUID):
        out.append(f'"{value}"')
    elif isinstance(value, Mapping):
        _object(value.items(), path, out, depth, masked=masked)
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, _index(path, index, masked=masked), out, depth + 1, masked=masked)
        out.append("]")
    elif isinstance(value, set | frozenset):
        items = sorted(
            "".join(_encoded(item, _index(path, None, masked=masked), depth, masked=masked))
            for item in value
        )
        out.append("[" + ",".join(items) + "]")
    elif attrs.has(cls := type(value)):
        pairs = [(a.name, getattr(value, a.name)) for a in attrs.fields(cls) if a.eq]
        _object(pairs, path, out, depth, masked=masked)
    else:
        hint = "; pass bytes as a hex string" if isinstance(value, bytes | bytearray) else ""
        raise _refuse(path, f"{type(value).__name__} has no canonical encoding{hint}")


def _encoded(value: object, path: str, depth: int, *, masked: bool) -> list[str]:
    parts: list[str] = []
    _encode(value, path, parts, depth + 1, masked=masked)
    return parts


def _object(
    items: Iterable[tuple[object, object]], path: str, out: list[str], depth: int, *, masked: bool
) -> None:
    pairs: list[tuple[bytes, str, object]] = []
    for key, item in items:
        if not isinstance(key, str):
            raise _refuse(path, f"object keys must be strings, not {type(key).__name__}")
        if _SURROGATE.search(key):
            raise _refuse(path, "an object key holds a lone surrogate, which UTF-8 cannot encode")
        pairs.append((key.encode("utf-16-be"), key, item))
    pairs.sort(key=lambda pair: pair[0])
    out.append("{")
    for index, (_, key, item) in enumerate(pairs):
        if index:
            out.append(",")
        out.append(_string(key, path))
        out.append(":")
        _encode(item, _member(path, key, masked=masked), out, depth + 1, masked=masked)
    out.append("}")


def _member(path: str, key: str, *, masked: bool) -> str:
    if masked:
        return path
    return f"{path}.{key}" if _PLAIN_KEY.fullmatch(key) else f"{path}[<key>]"


def _index(path: str, index: int | None, *, masked: bool) -> str:
    if masked:
        return path
    return f"{path}[{'*' if index is None else index}]"


def _string(text: str, path: str) -> str:
    if _SURROGATE.search(text):
        raise _refuse(path, "a string holds a lone surrogate, which UTF-8 cannot encode")
    escaped = _NEEDS_ESCAPE.sub(lambda m: _ESCAPES.get(m[0], f"\\u{ord(m[0]):04x}"), text)
    return f'"{escaped}"'


def _integer(value: int, path: str) -> str:
    if value.bit_length() > _MAX_DIGITS * 10 // 3:
        raise _refuse(path, f"numbers of more than {_MAX_DIGITS} digits are refused")
    text = str(value)
    if len(text.lstrip("-")) > _MAX_DIGITS:
        raise _refuse(path, f"numbers of more than {_MAX_DIGITS} digits are refused")
    return text


def _decimal(value: Decimal, path: str) -> str:
    if not value.is_finite():
        raise _refuse(path, "NaN and infinities have no canonical encoding")
    sign, digit_tuple, exponent = value.as_tuple()
    if not isinstance(exponent, int):  # pragma: no cover - finite decimals have one
        raise _refuse(path, "NaN and infinities have no canonical encoding")
    digits = "".join(map(str, digit_tuple)).lstrip("0")
    if not digits:
        return "0"
    stripped = digits.rstrip("0")
    exponent += len(digits) - len(stripped)
    digits = stripped
    if max(len(digits) + exponent, -exponent) > _MAX_DIGITS:
        raise _refuse(path, f"numbers of more than {_MAX_DIGITS} digits are refused")
    if exponent >= 0:
        text = digits + "0" * exponent
    else:
        padded = digits.rjust(-exponent + 1, "0")
        text = f"{padded[:exponent]}.{padded[exponent:]}"
    return f"-{text}" if sign else text


def _instant(value: datetime, path: str) -> str:
    try:
        offset = value.utcoffset()
        utc = value.astimezone(UTC) if offset is not None else value
    except OverflowError:
        raise _refuse(path, "the datetime is outside the years 1-9999 in UTC") from None
    except (ArithmeticError, TypeError, ValueError):
        raise _refuse(path, "the datetime's time zone gives no valid UTC offset") from None
    if offset is None:
        raise _refuse(path, "a datetime without a time zone is not an instant; add tzinfo")
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond:06d}Z"
    )
