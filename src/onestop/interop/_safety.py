"""What an export may write: links, e-mail addresses and text are checked before they are.

A catalogue loaded from files has been checked already, but one built in Python, or a
version published before a check existed, may hold anything.  The exports write a
value exactly or refuse the catalogue with one `InvalidCatalogue` listing every
problem; nothing is silently dropped.  They refuse:

* a link (a contact page, a law's address, *spatial*) that is not an absolute URI
  with one of `LINK_SCHEMES` (``javascript:``, ``file:`` and ``data:`` never are), or
  that holds white space or a hidden character (`uri_problem`); *base* may also be a
  ``urn:``;
* an e-mail address whose syntax `onestop.domain.common.contacts.normalise_email` refuses
  (a line break, a second header after it, a display name);
* a line break in any value but a description, and a control character (other than a
  line break or a tab in a description), a lone surrogate, U+FFFE or U+FFFF (which XML
  cannot carry: GeoReport's XML answers) in any value.

Links and e-mail addresses sit in the catalogue's few agencies and laws, so they are
checked before anything is written.  Text is checked as it is written: the streaming
exports stop at the first group of items with a problem, go on checking the rest
without writing it, and then raise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Final, TypeVar

from onestop.domain.catalogue.model import Catalogue, ContactKind
from onestop.domain.common.contacts import normalise_email
from onestop.domain.common.formats import CATALOGUE_CODE, kind_of, preview, text_problem
from onestop.domain.common.uris import uri_problem
from onestop.domain.time.worktime import check_in_range
from onestop.exceptions import InvalidCatalogue, InvalidValue, OnestopError, Problem

__all__ = [
    "LINK_SCHEMES",
    "NODE_ID_SCHEMES",
    "check_arguments",
    "check_base",
    "check_code",
    "check_link",
    "check_items",
    "checked",
    "link_problems",
    "refuse_problems",
    "shaped",
]

_Item = TypeVar("_Item")

LINK_SCHEMES: Final = ("http", "https", "mailto", "tel")
"""The schemes of the links an export writes."""
NODE_ID_SCHEMES: Final = ("urn", "http", "https")
"""The schemes the *base* of an export's node ids may have."""

# Characters no one-line value holds: controls, line breaks of every kind, surrogates,
# and the noncharacters U+FFFE and U+FFFF.
_NOT_IN_A_LINE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
# What a description may not hold either: the same, less line breaks and tabs.
_NOT_IN_TEXT: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Beyond ASCII, the characters of those that JSON writes as they are.
_RAW_BEYOND_ASCII: Final = re.compile(r"[\x80-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def _suspect(encoded: str) -> bool:
    """Whether JSON text may hold one of the characters above.

    JSON escapes U+0000 to U+001F, and every escape starts with a backslash; the rest
    it writes as they are.  `str.isascii` costs nothing, so the search beyond ASCII
    runs only on the few texts that have such characters at all.
    """
    return (
        "\\" in encoded
        or "\x7f" in encoded
        or (not encoded.isascii() and _RAW_BEYOND_ASCII.search(encoded) is not None)
    )


_WRONG_SHAPE: Final = (
    AttributeError,
    IndexError,
    KeyError,
    OverflowError,
    RecursionError,
    TypeError,
    ValueError,
)


class catalogue_shape:  # noqa: N801 - used as a function: ``with catalogue_shape():``
    """Turn a failure to read the catalogue inside a ``with`` block into `InvalidValue`.

    The catalogue's classes do not check the types of their fields, so one built in
    Python may hold a list where a tuple of agencies belongs, or text where a service
    does.  Reading such a value fails with an `AttributeError` or a `TypeError`; the
    export raises `InvalidValue` on ``catalogue`` instead, the original error as its
    cause.  Errors of onestop's own pass through unchanged.
    """

    __slots__ = ()

    def __enter__(self) -> None:
        """Enter the block; nothing to set up."""

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Raise `InvalidValue` in place of a failure to read the catalogue."""
        if kind is None or issubclass(kind, OnestopError) or not issubclass(kind, _WRONG_SHAPE):
            return
        raise InvalidValue(
            field="catalogue",
            reason=f"holds a value of the wrong type or form ({kind.__name__}); build it "
            "from the classes of onestop.domain.catalogue.model, or load it from files",
        ) from error


def shaped(items: Iterable[_Item]) -> Iterator[_Item]:
    """Yield *items*, reading them inside `catalogue_shape`."""
    with catalogue_shape():
        yield from items


def check_arguments(catalogue: object, at: object) -> datetime:
    """Check an export's catalogue and moment; return the moment in UTC.

    Raises:
        InvalidValue: If *catalogue* is not a `Catalogue`.
        NaiveDatetime: If *at* has no time zone.
        DateOutOfRange: If *at* lies outside 0001-01-02 .. 9999-12-30 UTC.
    """
    if not isinstance(catalogue, Catalogue):
        raise InvalidValue(
            field="catalogue", reason=f"expected a Catalogue, not {kind_of(catalogue)}"
        )
    return check_in_range(at, "at")


def check_code(value: object, argument: str) -> str:
    """Return *value* if it is a catalogue code, else raise `InvalidValue` naming *argument*."""
    return CATALOGUE_CODE.check(value, field=argument)


def check_base(value: object, argument: str = "base") -> str:
    """Return *value* if node ids may be built under it, else raise `InvalidValue`.

    An absolute ``http``, ``https`` or ``urn`` IRI (`NODE_ID_SCHEMES`) that ends where
    a node's own part may follow: ``/`` or ``#`` for the web schemes, ``:`` for a URN
    (``https://data.example.gov`` would make ``https://data.example.govservice:...``).
    """
    base = check_link(value, argument, schemes=NODE_ID_SCHEMES)
    ends = (":",) if base[:4].lower() == "urn:" else ("/", "#")
    if not base.endswith(ends):
        raise InvalidValue(
            field=argument,
            reason=f"must end with {' or '.join(repr(e) for e in ends)}, "
            "so that node ids extend it",
        )
    return base


def check_link(value: object, argument: str, *, schemes: Sequence[str] = LINK_SCHEMES) -> str:
    """Return *value* if it is a link an export may write, else raise `InvalidValue`."""
    reason = uri_problem(value, schemes=schemes)
    if reason is not None:
        raise InvalidValue(field=argument, reason=reason)
    return value  # type: ignore[return-value]  # uri_problem() proved it is a str


def link_problems(catalogue: Catalogue) -> list[Problem]:
    """Every contact and law address of *catalogue* that an export may not write."""
    problems: list[Problem] = []
    for i, agency in enumerate(catalogue.agencies):
        for j, contact in enumerate(agency.contacts):
            path = f"agencies[{i}].contacts[{j}].value"
            if contact.kind is ContactKind.WEBSITE:
                reason = uri_problem(contact.value, schemes=LINK_SCHEMES)
            elif contact.kind is ContactKind.EMAIL:
                reason = normalise_email(contact.value)[1]
            else:
                reason = _text_problem(contact.value, multiline=contact.kind is ContactKind.ADDRESS)
            if reason is not None:
                problems.append(Problem(path=path, message=reason))
    for i, resource in enumerate(catalogue.legal_resources):
        if resource.uri is not None:
            reason = uri_problem(resource.uri, schemes=LINK_SCHEMES)
            if reason is not None:
                problems.append(Problem(path=f"legal_resources[{i}].uri", message=reason))
    return problems


def refuse_problems(problems: Sequence[Problem]) -> None:
    """Raise `InvalidCatalogue` listing *problems*, if there are any."""
    if problems:
        raise InvalidCatalogue(problems)


def _text_problem(value: object, *, multiline: bool) -> str | None:
    if not isinstance(value, str):
        return f"expected text, not {kind_of(value)}"
    found = (_NOT_IN_TEXT if multiline else _NOT_IN_A_LINE).search(value)
    if found is None:
        return None
    index = found.start() + 1
    if found.group() in "\r\n\x85\u2028\u2029":
        return f"has a line break at position {index}; only a description may hold one"
    return text_problem(value, max_length=len(value), multiline=multiline) or (
        f"has a control character at position {index}"
    )


def _walk(
    value: Any, prop: str, key: str, multiline: frozenset[str], found: list[tuple[str, str]]
) -> None:
    if isinstance(value, str):
        reason = _text_problem(value, multiline=prop in multiline and key in (prop, "@value"))
        if reason is not None:
            found.append((prop, reason))
    elif isinstance(value, Mapping):
        for inner, item in value.items():
            _walk(item, prop if inner.startswith("@") else inner, inner, multiline, found)
    elif isinstance(value, list):
        for item in value:
            _walk(item, prop, key, multiline, found)


def _node_problems(node: Mapping[str, Any], where: str, multiline: frozenset[str]) -> list[Problem]:
    found: list[tuple[str, str]] = []
    for key, value in node.items():
        _walk(value, key, key, multiline, found)
    return [Problem(path=f"{where}.{prop}", message=reason) for prop, reason in found]


def _where(node: Mapping[str, Any], index: int, prefix: str, identifier: str) -> str:
    code = node.get(identifier)
    if isinstance(code, str) and not _NOT_IN_A_LINE.search(code):
        return f"{prefix}[{index}] ({preview(code)})"
    return f"{prefix}[{index}]"


def checked(
    groups: Iterable[Sequence[Mapping[str, Any]]],
    *,
    encode: Callable[[Mapping[str, Any]], str],
    multiline: frozenset[str],
    prefix: str,
    identifier: str,
) -> Iterator[list[str]]:
    """Yield each group of items encoded, once its text is checked; raise at the end.

    Each item is encoded with *encode*; encoded text with nothing that may stand for
    a control character passes at once, the rest is walked value by value.  After a
    group with a problem nothing more is yielded, but every later item is still
    checked, so that `InvalidCatalogue` lists every problem.  A problem's path is
    *prefix*, the item's position and its *identifier* (a code), then the property.

    Raises:
        InvalidCatalogue: After the last group, if any item had a problem.
    """
    problems: list[Problem] = []
    index = 0
    for group in groups:
        encoded = [] if problems else [encode(item) for item in group]
        suspect = problems or any(_suspect(text) for text in encoded)
        for item in group:
            if suspect:
                where = _where(item, index, prefix, identifier)
                problems.extend(_node_problems(item, where, multiline))
            index += 1
        if not problems:
            yield encoded
    refuse_problems(problems)


def check_items(
    items: Sequence[Mapping[str, Any]], *, multiline: frozenset[str], prefix: str, identifier: str
) -> None:
    """Check every value of *items*, as `checked` does; raise `InvalidCatalogue` if any fails."""
    problems: list[Problem] = []
    for index, item in enumerate(items):
        if _suspect(json.dumps(item, ensure_ascii=False)):
            where = _where(item, index, prefix, identifier)
            problems.extend(_node_problems(item, where, multiline))
    refuse_problems(problems)
