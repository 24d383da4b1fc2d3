"""Parse the bytes of one catalogue file into plain data, within fixed bounds.

Every catalogue document, whether a file on disk or a version published to a store,
is read here, and only here, under the same limits:

* **Size.**  A file larger than `MAX_FILE_BYTES` is refused unread.
* **Depth.**  A document whose arrays and tables nest more than `MAX_DEPTH` levels deep
  is refused *before* anything recursive touches it: the JSON or TOML text is scanned
  for brackets by a loop (neither `json` nor `tomllib` is called on too deep a text),
  and the parsed data is measured again by a loop, since a TOML dotted key
  (``a.b.c.d = 1``) nests tables without brackets.  Nothing downstream (structuring,
  copying, checking) ever meets deeper data, so no input reaches Python's recursion
  limit.
* **Duplicate keys.**  JSON allows a key twice in one object and keeps the last; a
  catalogue file may not, as TOML forbids it: each repeated key is a problem naming the
  key and its path.
* **Text.**  The bytes must be UTF-8 (a byte-order mark is skipped), with no NUL byte;
  ``NaN`` and ``Infinity`` are not JSON numbers.

`parse_document` returns the data together with every problem found; it raises nothing
for bad content.

>>> data, problems = parse_document(b'{"a": 1, "a": 2}', name="c.json")
>>> [str(p) for p in problems]
["c.json: a: key 'a' is given more than once"]
>>> parse_document(b"[" * 100 + b"]" * 100, name="c.json")[1][0].message
'nested too deeply: more than 32 levels of arrays and tables (line 1, column 33)'
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any, Literal

from onestop.domain.common.formats import kind_of, preview
from onestop.domain.common.kinds import check_type
from onestop.exceptions import InvalidValue, Problem
from onestop.serialization import key_path

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "check_depth", "parse_document"]

MAX_FILE_BYTES = 8 * 1024 * 1024
"""The largest catalogue file read (8 MiB); a larger one is refused without being parsed."""

MAX_DEPTH = 32
"""The deepest nesting of arrays and tables a catalogue document may have.

The top-level table is level 1; a service's fee tier, among the deepest things a
catalogue holds, is at level 9."""

_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)
_TOML_SPECIAL = re.compile(r"[\[\]{}\"'#]")
_BASIC_STOP = re.compile(r'["\\\n]')
_SYNTAXES = ("json", "toml", None)
_TOO_DEEP = f"nested too deeply: more than {MAX_DEPTH} levels of arrays and tables"


def parse_document(
    data: bytes, *, name: str, syntax: Literal["json", "toml"] | None = None
) -> tuple[Any, list[Problem]]:
    """Parse *data*, the bytes of one catalogue document, into plain data.

    Args:
        data: The document's bytes.
        name: Names the document (a file name) for the problems' ``file``.
        syntax: ``"json"`` or ``"toml"``; ``None`` reads a document starting with
            ``{`` or ``[`` as JSON and anything else as TOML.

    Returns:
        The parsed data (``None`` if it could not be parsed) and every problem found.
        Data is returned with the problems of duplicate keys, so that the rest of the
        document can still be checked.

    Raises:
        onestop.exceptions.InvalidValue: If *data* is not `bytes`, *name* not text, or
            *syntax* not one of the values above: the caller's mistakes, not the
            document's.
    """
    check_type(data, bytes, field="data")
    check_type(name, str, field="name")
    given: object = syntax  # the caller may have passed anything
    if given not in _SYNTAXES:
        shown = preview(given) if isinstance(given, str) else kind_of(given)
        raise InvalidValue(field="syntax", reason=f"{shown} is not 'json', 'toml' or None")
    if len(data) > MAX_FILE_BYTES:
        return None, [_problem(name, f"file is larger than {MAX_FILE_BYTES} bytes")]
    if b"\x00" in data:
        return None, [_problem(name, "file is binary, not text")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [_problem(name, f"file is not UTF-8 text (bad byte at offset {exc.start})")]
    if not text.strip():
        return None, [_problem(name, "file is empty")]
    if syntax is None:
        syntax = "json" if text.lstrip()[:1] in ("{", "[") else "toml"
    scan = _json_depth if syntax == "json" else _toml_depth
    too_deep = scan(text)
    if too_deep is not None:
        return None, [_problem(name, f"{_TOO_DEEP} ({too_deep})")]
    duplicates: list[tuple[dict[str, Any], str]] = []
    try:
        if syntax == "json":
            parsed = json.loads(
                text,
                parse_constant=_refuse_constant,
                object_pairs_hook=lambda pairs: _object(pairs, duplicates),
            )
        else:
            parsed = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, ValueError) as exc:
        said = f"cannot parse: {_bounded(str(exc))}{_date_hint(text, str(exc))}"
        return None, [_problem(name, said)]
    return _measure(parsed, duplicates, name)


_AT_LINE = re.compile(r"at line ([0-9]+), column [0-9]+")
_DATE_LIKE = re.compile(r"(?<![0-9])[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date_hint(text: str, message: str) -> str:
    """A hint when the line the parser stopped on holds a date: TOML reads ``2025-13-01``,
    a day no calendar has, as a syntax error."""
    found = _AT_LINE.search(message)
    lines = text.splitlines()
    if found is None or not 0 < int(found[1]) <= len(lines):
        return ""
    if _DATE_LIKE.search(lines[int(found[1]) - 1]) is None:
        return ""
    return (
        " (a date on that line must be a calendar date: YYYY-MM-DD, a month 01 to 12, a day it has)"
    )


def check_depth(data: object, *, name: str) -> list[Problem]:
    """Return a problem if plain *data* (parsed by a caller) nests deeper than `MAX_DEPTH`.

    Measured by a loop, for data that did not come through `parse_document`.
    """
    return _measure(data, [], name)[1]


def _problem(name: str, message: str, path: str = "") -> Problem:
    return Problem(path=path, message=message, file=name)


def _bounded(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[:limit] + "..."


def _refuse_constant(name: str) -> Any:
    msg = f"{name} is not allowed"
    raise ValueError(msg)


def _object(pairs: list[tuple[str, Any]], duplicates: list[tuple[dict[str, Any], str]]) -> Any:
    """Build a JSON object, noting each key it repeats (the object is kept alive with it)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            duplicates.append((result, key))
        result[key] = value
    return result


def _position(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"line {line}, column {column}"


def _json_depth(text: str) -> str | None:
    """Return where JSON *text* first nests deeper than `MAX_DEPTH`, or ``None``.

    Brackets inside strings do not count; a loop, not recursion, does the counting.
    """
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        found = match.group()
        if found in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return _position(text, match.start())
        elif found in "]}":
            depth = max(0, depth - 1)
    return None


def _toml_depth(text: str) -> str | None:
    """Return where TOML *text* first nests brackets deeper than `MAX_DEPTH`, or ``None``.

    Brackets in strings and comments do not count.  The count never falls short of the
    nesting `tomllib` would recurse into: strings end where TOML ends them (an
    unterminated one ends the scan, as it ends the parse).
    """
    depth = 0
    pos = 0
    while (match := _TOML_SPECIAL.search(text, pos)) is not None:
        char, pos = match.group(), match.end()
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return _position(text, match.start())
        elif char in "]}":
            depth = max(0, depth - 1)
        elif char == "#":
            end = text.find("\n", pos)
            pos = len(text) if end < 0 else end + 1
        elif text.startswith(char * 2, pos):
            pos = _end_multiline(text, pos + 2, char)
        else:
            pos = _end_single(text, pos, char)
    return None


def _end_single(text: str, pos: int, quote: str) -> int:
    """Return where a one-line string opened before *pos* ends (after its quote or line)."""
    if quote == "'":
        ends = [i for i in (text.find("'", pos), text.find("\n", pos)) if i >= 0]
        return min(ends) + 1 if ends else len(text)
    while (stop := _BASIC_STOP.search(text, pos)) is not None:
        if stop.group() == "\\":
            pos = stop.end() + 1
            continue
        return stop.end()
    return len(text)


def _end_multiline(text: str, pos: int, quote: str) -> int:
    """Return where a multi-line string opened before *pos* ends, its 1-2 extra quotes too."""
    delimiter = quote * 3
    while True:
        found = text.find(delimiter, pos)
        if found < 0:
            return len(text)
        if quote == '"' and _escaped(text, found):
            pos = found + 1
            continue
        end = found + 3
        for _ in range(2):
            if text.startswith(quote, end):
                end += 1
        return end


def _escaped(text: str, index: int) -> bool:
    """Whether the character at *index* follows an odd run of backslashes."""
    start = index
    while start > 0 and text[start - 1] == "\\":
        start -= 1
    return (index - start) % 2 == 1


def _measure(
    parsed: Any, duplicates: list[tuple[dict[str, Any], str]], name: str
) -> tuple[Any, list[Problem]]:
    """Walk *parsed* with a loop: refuse it if too deep; report its duplicate keys by path."""
    repeated: dict[int, list[str]] = {}
    for owner, key in duplicates:
        repeated.setdefault(id(owner), []).append(key)
    problems: list[Problem] = []
    stack: list[tuple[Any, str, int]] = [(parsed, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = ((key_path(path, k), v) for k, v in value.items())
            for key in dict.fromkeys(repeated.get(id(value), ())):
                problems.append(
                    _problem(
                        name, f"key {preview(key)} is given more than once", key_path(path, key)
                    )
                )
        elif isinstance(value, list):
            children = ((f"{path}[{i}]", v) for i, v in enumerate(value))
        else:
            continue
        if depth > MAX_DEPTH:
            return None, [_problem(name, _TOO_DEEP, path)]
        stack.extend((v, p, depth + 1) for p, v in reversed(list(children)))
    return parsed, problems
