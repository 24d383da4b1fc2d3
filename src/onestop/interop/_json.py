"""JSON text in chunks, byte for byte what `json.dumps` writes for the whole value.

The exports stream: a document is a head (``{"@context": ..., "@graph": [``), items
written one group at a time, and a tail, so the whole document is never held in memory
as one value or one string.  `dumps` encodes one item where it sits in the document,
so that joining the chunks gives exactly
``json.dumps(document, ensure_ascii=False, indent=indent)``.

With an indent the standard library falls back to its pure-Python encoder; `dumps`
encodes the few JSON types the exports use (dicts with text keys, lists, text,
integers, booleans and ``None``) directly and is about twice as fast.  Without an
indent it is the C encoder's own output.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from json.encoder import encode_basestring  # the C encoder's, when it is available
from typing import Any

__all__ = ["array", "dumps", "document"]


def dumps(value: Any, *, indent: int | None, level: int = 0) -> str:
    """Encode *value* as `json.dumps` does when *value* sits *level* containers deep.

    With ``indent=None`` this is ``json.dumps(value, ensure_ascii=False)``.
    """
    if indent is None:
        return json.dumps(value, ensure_ascii=False)
    return _indented(value, " " * indent, "\n" + " " * (indent * level))


def _indented(value: Any, step: str, newline: str) -> str:
    # `newline` is a line break followed by the indentation of the line *value* ends on.
    # Text, the commonest value by far, is encoded in place rather than by a call.
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = newline + step
        items = [
            encode_basestring(key)
            + ": "
            + (encode_basestring(item) if type(item) is str else _indented(item, step, inner))
            for key, item in value.items()
        ]
        return "{" + inner + ("," + inner).join(items) + newline + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        inner = newline + step
        encoded = [
            encode_basestring(item) if type(item) is str else _indented(item, step, inner)
            for item in value
        ]
        return "[" + inner + ("," + inner).join(encoded) + newline + "]"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return int.__repr__(value)
    return json.dumps(value, ensure_ascii=False)  # floats and others, as the library does


def array(groups: Iterable[Sequence[str]], *, indent: int | None, level: int = 0) -> Iterator[str]:
    """Yield a JSON array sitting *level* containers deep, one chunk per group of items.

    Each item of *groups* is a group of array items already encoded by `dumps` at
    ``level + 1``; an empty group writes nothing.
    """
    if indent is None:
        separator, opening, closing = ", ", "[", "]"
    else:
        inner = "\n" + " " * (indent * (level + 1))
        separator, opening, closing = "," + inner, "[" + inner, "\n" + " " * (indent * level) + "]"
    first = True
    for group in groups:
        if not group:
            continue
        yield (opening if first else separator) + separator.join(group)
        first = False
    yield "[]" if first else closing


def document(
    head: Mapping[str, Any], key: str, groups: Iterable[Sequence[str]], *, indent: int | None
) -> Iterator[str]:
    """Yield ``{**head, key: [...]}`` as JSON text in chunks; *groups* as for `array`.

    The items of *groups* are encoded by `dumps` at level 2 (inside the array inside
    the document).
    """
    if indent is None:
        opening, key_separator, closing = "{", ", ", "}"
    else:
        opening, key_separator, closing = "{\n" + " " * indent, ",\n" + " " * indent, "\n}"
    parts = [
        encode_basestring(k) + ": " + dumps(v, indent=indent, level=1) for k, v in head.items()
    ]
    parts.append(encode_basestring(key) + ": ")
    yield opening + key_separator.join(parts)
    yield from array(groups, indent=indent, level=1)
    yield closing
