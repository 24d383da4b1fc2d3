"""Links a catalogue or an export may carry: absolute URIs of the schemes a caller allows.

`uri_problem` / `check_uri` accept an absolute URI whose scheme is on the caller's list
(``javascript:`` and ``file:`` never are), with no white space or hidden character
anywhere, of at most `MAX_URI` characters.  `onestop.domain.common.contact_points` checks the
web addresses a catalogue publishes by its own, narrower rule (``https`` and ``http``
with a host in ASCII).

>>> check_uri("https://example.go.id/layanan", field="website")
'https://example.go.id/layanan'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

from onestop.domain.common.formats import int_problem, kind_of, preview
from onestop.exceptions import InvalidValue

__all__ = ["MAX_URI", "check_uri", "uri_problem"]

_URI_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):", re.ASCII)
_URI_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\ud800-\udfff\\<>\"`{}|^]")
MAX_URI = 2048
"""The longest URI accepted, in characters."""


def uri_problem(
    value: object, *, schemes: Collection[str] = ("http", "https"), max_length: int = MAX_URI
) -> str | None:
    """Return why *value* is not an absolute URI with one of *schemes*, or ``None``.

    *schemes* are written in lower case, e.g. ``("http", "https", "mailto")``.  A
    *max_length* that is not a positive integer, or *schemes* that is not a collection,
    raises `InvalidValue`: those are the caller's mistakes, not the value's.

    A URI here is one line of text of at most *max_length* characters with no white
    space, control or format character (bidirectional overrides, zero-width joiners),
    lone surrogate, private-use or unassigned character, backslash, backquote or any of ``<>"{}|^``,
    starting with a scheme (compared without case: ``JavaScript:`` is ``javascript:``).
    An ``http`` or ``https`` URI must name a host (``https://host...``).  Browsers
    drop white space and controls inside a scheme (``java\\nscript:``), which is why
    no such character is accepted anywhere.  The message quotes the scheme, never the URI.

    >>> uri_problem("https://example.go.id/layanan")
    >>> uri_problem("javascript:alert(1)")
    "has the scheme 'javascript'; allowed: http, https"
    """
    limit = int_problem(max_length, minimum=1)
    if limit is not None:
        raise InvalidValue(field="max_length", reason=limit)
    if isinstance(schemes, str) or not isinstance(schemes, Collection):
        raise InvalidValue(field="schemes", reason=f"expected scheme names, not {kind_of(schemes)}")
    if not isinstance(value, str):
        return f"expected a URI as text, not {kind_of(value)}"
    if not value:
        return "is empty"
    if len(value) > max_length:
        return f"is {len(value)} characters long, more than {max_length}"
    unsafe = _URI_UNSAFE.search(value)
    index = unsafe.start() if unsafe is not None else _unsafe_beyond_ascii(value)
    if index is not None:
        char = value[index]
        what = (
            "a line break"
            if char in "\r\n\x85\u2028\u2029"
            else "white space"
            if char.isspace()
            else f"the character {_character(char)}"
        )
        return f"has {what} at position {index + 1}; a URI has none"
    found = _URI_SCHEME.match(value)
    if found is None:
        return "is not an absolute URI: it does not start with a scheme such as 'https:'"
    scheme = found.group(1).lower()
    if scheme not in schemes:
        given: Collection[object] = schemes  # the caller may have passed anything
        names = sorted(
            s if isinstance(s, str) and len(s) <= 32 and s.isprintable() else "?" for s in given
        )
        allowed = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
        return f"has the scheme {preview(scheme)}; allowed: {allowed}"
    if scheme in {"http", "https"}:
        rest = value[found.end() :]
        host = rest[2:].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rpartition("@")[2]
        if not rest.startswith("//") or not host or host.startswith(":"):
            return f"names no host: an {scheme} URI starts with '{scheme}://' and a host"
    return None


_INVISIBLE = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp", "Zs"})


def _unsafe_beyond_ascii(value: str) -> int | None:
    """The index of the first non-ASCII space, control, format, private or unassigned character."""
    if value.isascii():
        return None
    for index, char in enumerate(value):
        if not char.isascii() and unicodedata.category(char) in _INVISIBLE:
            return index
    return None


def check_uri(
    value: object,
    *,
    field: str,
    schemes: Collection[str] = ("http", "https"),
    max_length: int = MAX_URI,
) -> str:
    """Return *value* if `uri_problem` finds nothing wrong with it.

    Raises:
        InvalidValue: Naming *field* and what is wrong (quoting the scheme only).
    """
    reason = uri_problem(value, schemes=schemes, max_length=max_length)
    if reason is not None:
        raise InvalidValue(field=field, reason=reason)
    return value  # type: ignore[return-value]  # uri_problem() proved it is a str


def _character(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")
