"""Problem details never quote what the client sent: `scrub` takes echoes out.

onestop's exceptions are built from typed attributes, never from personal data, but in
the API a typed attribute is often a value the client sent: the channel named in a body
(``'Siti Rahayu' is not one of counter, online``), an action's name, a declared media
type.  A client that puts personal data in the wrong field would get it back in an error
body, where a browser may render it and a proxy may keep it.  So before a problem is
answered, every quoted value in its detail, messages and paths that the request carried
(a header, a query or path parameter, a string, key or number of a JSON or form body), and
every unquoted run of words that equals one, is replaced by `SENT`.  Values of the
server's own (state names, allowed channels, limits) are kept: the client did not send
them.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote

from litestar import Request
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState

from onestop.web._ops import route_of

__all__ = ["SENT", "Sent"]

SENT = "(the value sent)"
"""What an echoed value is replaced by."""

_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
# onestop's messages cut a long value's repr: 'abc... (120 characters), without its closing quote.
_CUT = "... ("
_CUT_QUOTED = re.compile(r"(['\"])((?:(?!\1)[^\\]|\\.)*?\\?)\.\.\. \(\d+ characters\)")
_FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]{0,63}")
_WORD = re.compile(r"[^\s,;:()\[\].=]+")
_SHORTEST = 4  # shorter values ("id", "kia", "1") are too common to mean an echo
_MOST_WORDS = 8


def _none() -> frozenset[str]:
    return frozenset()


class Sent:
    """Every text a request carried, lower-cased, to look echoes up in."""

    def __init__(
        self, request: Request[Any, Any, Any], *, declared: Callable[[], frozenset[str]] = _none
    ) -> None:
        """Collect the texts of *request* (the body only if it was read).

        *declared* gives the words of the catalogue and the API (field names, codes,
        actions, states, closed vocabularies): a key of ``answers`` that is none of them
        is a value the client sent (``nik_3171...``), never a field's name, and a value
        that is one is never scrubbed (the schema's words are not personal data).
        """
        keys: set[str] = set()
        answer_keys: set[str] = set()
        texts = {t for t in _texts(request, keys, answer_keys) if len(t) >= _SHORTEST}
        self.haystack = "\x00".join(sorted(texts | keys))
        # A body's field names ("service", "channel") are the words of the messages too:
        # they count as echoes when quoted, and unquoted only if no field could be named so.
        named = {k for k in keys if _FIELD_NAME.fullmatch(k)}
        self.kept = declared()  # the schema's words: a service's code, an action, "give"
        undeclared = answer_keys - self.kept if answer_keys else set()
        self.exact = frozenset(texts | (keys - named) | undeclared) - self.kept

    def echoes(self, value: str) -> bool:
        """Whether *value* is, or is part of, something the request carried (and is none of
        the schema's own words, which the client may send but never makes personal)."""
        folded = value.lower()
        if len(folded) < _SHORTEST or folded in self.kept:
            return False
        return folded in self.exact or folded in self.haystack

    def scrub(self, text: str) -> str:
        """*text* with every quoted echo, and every run of words that is one, replaced."""
        text = _CUT_QUOTED.sub(lambda m: SENT if self.echoes(_cut_prefix(m)) else m[0], text)
        text = _QUOTED.sub(lambda m: SENT if self.echoes(_unquoted(m.group(0))) else m[0], text)
        words = list(_WORD.finditer(text))
        spans: list[tuple[int, int]] = []
        for first in range(len(words)):
            for last in range(min(len(words), first + _MOST_WORDS) - 1, first - 1, -1):
                start, end = words[first].start(), words[last].end()
                shown = text[start:end].lower()
                cut = text.startswith(_CUT, end) and len(shown) >= _SHORTEST
                if shown in self.exact or (cut and shown in self.haystack):
                    spans.append((start, end + (text.find(")", end) + 1 - end if cut else 0)))
                    break
        for start, end in reversed(_disjoint(spans)):
            text = text[:start] + SENT + text[end:]
        return text


def _unquoted(quoted: str) -> str:
    try:
        value = ast.literal_eval(quoted)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return quoted[1:-1]
    return value if isinstance(value, str) else quoted[1:-1]


def _cut_prefix(match: re.Match[str]) -> str:
    """The start of a value whose repr a message cut, decoded as far as it goes."""
    quote, body = match.group(1), match.group(2)
    for trim in range(11):  # the cut may fall inside an escape such as \U0001f600
        decoded = _unquoted(quote + body[: len(body) - trim] + quote)
        if decoded != body[: len(body) - trim] or "\\" not in body:
            return decoded
    return body


def _disjoint(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, end))
    return kept


def _texts(request: Request[Any, Any, Any], keys: set[str], answer_keys: set[str]) -> Iterator[str]:
    for _, value in request.headers.items():
        yield value.lower()
    for _, value in request.query_params.multi_items():
        yield str(value).lower()
    yield from _path_parameters(request)
    body = ScopeState.from_scope(request.scope).body
    if body is Empty or not body:
        return
    raw = body.decode("utf-8", "replace")
    yield raw.lower()
    try:
        parsed = json.loads(raw)
        yield from _json_texts(parsed, keys, depth=0)
        if isinstance(parsed, dict) and isinstance(parsed.get("answers"), dict):
            answer_keys.update(str(key).lower() for key in parsed["answers"])
    except (ValueError, RecursionError):
        yield from (value.lower() for _, value in parse_qsl(raw))
        yield from (part[1:-1].lower() for part in _QUOTED.findall(raw))


def _path_parameters(request: Request[Any, Any, Any]) -> Iterator[str]:
    """The path's segments the client chose: those the route's template has a parameter
    at (``/api/v1/staff/applications/{application_id}/assignee``: the id, not ``staff``
    nor ``assignee``); every segment when no route matched."""
    parts = request.scope.get("path", "").split("/")
    template = route_of(request.scope).split("/")
    matched = len(template) == len(parts) and not route_of(request.scope).startswith("(")
    for part, pattern in zip(parts, template if matched else parts, strict=True):
        if not matched or pattern.startswith("{"):
            yield unquote(part).lower()


def _json_texts(value: object, keys: set[str], *, depth: int) -> Iterator[str]:
    if depth > 64:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            keys.add(str(key).lower())
            yield from _json_texts(item, keys, depth=depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _json_texts(item, keys, depth=depth + 1)
    elif value is not None and not isinstance(value, bool):
        yield str(value).lower()
