"""Formats of identifiers, codes, text and numbers: checked here, once, for every module.

Every identifier and code onestop keeps is checked by one of the `TextFormat` values
below, never by a regular expression of its own:

* **The whole string.**  A format matches with `re.fullmatch`.  The pattern
  ``^...$`` with `re.match` accepts a final line break, because ``$`` matches before it,
  which made ``"officer-ana\\n"`` a second officer.
* **ASCII where the format is ASCII.**  Patterns say ``[0-9]``, never ``\\d``, which
  matches the digits of every script (Arabic-Indic, full-width, Khmer, ...).
* **A length cap**, and no control characters or surrounding white space.

**Identities compare as identities.**  The ids that separation of duties, custody and
assignment compare (`ACTOR_ID`: an officer, an applicant's account, a courier, a system)
have one canonical form: lower-case ASCII letters, digits and ``._:-``.  A change of
case, a decomposed accent, a zero-width joiner or a Cyrillic look-alike letter is not
canonical, so it is refused, never folded: nobody can become a second officer by
spelling their id differently.  Opaque keys chosen by a client (`KEY`: idempotency keys,
payment references, handoff ids) are visible ASCII and compared exactly, case included.

Free text (names, notes, labels) is checked by `check_text`: no NUL or other control
character (notes may hold line breaks and tabs), no lone surrogate, and a length cap, so
that every text that passes can be stored by every adapter and exported as UTF-8.
Links (a website, a law's address) are checked by `uri_problem` / `check_uri`: an
absolute URI whose scheme is on the caller's list (``javascript:`` and ``file:`` never
are), with no white space or hidden character anywhere.
Integers that reach a store are checked by `check_int`: never a `bool`, and within what
a 64-bit database column holds.

Messages name what is wrong and where, but never quote a value that may be personal
data (an id, a name); codes are quoted, shortened by `preview`.

>>> ACTOR_ID.matches("officer-ana")
True
>>> ACTOR_ID.matches("officer-ana\\n")
False
>>> ACTOR_ID.check("Officer-Ana", field="actor.id")
Traceback (most recent call last):
  ...
onestop.exceptions.InvalidValue: actor.id: has upper-case letters; an actor id is lower case
>>> to_ascii_digits("\u0661\u0662\u0663", languages=("ar",))
'123'
"""

from __future__ import annotations

import enum
import math
import re
import unicodedata
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

import attrs

from onestop.exceptions import InvalidValue, NaiveDatetime

__all__ = [
    "ACTOR_ID",
    "CATALOGUE_CODE",
    "CODE",
    "CURRENCY",
    "DECIMAL",
    "FIELD_NAME",
    "IDENTITY_SCHEME",
    "INT64_MAX",
    "INT64_MIN",
    "KEY",
    "MAX_NAME",
    "MAX_SECONDS",
    "MAX_URI",
    "MEDIA_TYPE",
    "ROLE",
    "SEAL_ID",
    "SHA256_HEX",
    "TextFormat",
    "check_instant",
    "check_int",
    "check_member",
    "check_type",
    "check_text",
    "check_uri",
    "int_problem",
    "kind_of",
    "local_digits",
    "parse_number",
    "preview",
    "seconds_problem",
    "text_problem",
    "to_ascii_digits",
    "uri_problem",
]

INT64_MAX = 2**63 - 1
"""The largest integer every store holds (a signed 64-bit column)."""

INT64_MIN = -(2**63)
"""The smallest integer every store holds (a signed 64-bit column)."""

MAX_NAME = 200
"""The longest name (of a person, an organisation or a place), in characters."""

_PREVIEW = 40


def preview(value: object, /, *, limit: int = _PREVIEW) -> str:
    """Return a short ``repr`` of *value* for a message: at most about *limit* characters.

    >>> preview("a" * 4000)
    "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'... (4000 characters)"
    >>> preview(10**4000)
    'an integer of 4001 digits'
    """
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        digits = len(str(abs(value))) if abs(value) < 10**_PREVIEW else _digit_count(value)
        return repr(value) if digits <= limit else f"an integer of {digits} digits"
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}... ({len(value)} characters)"
    return f"a value of type {type(value).__name__}"


def _digit_count(value: int) -> int:
    """Count the decimal digits of a huge integer without `str` (capped by Python at 4300)."""
    magnitude = abs(value)
    estimate = max(1, int(magnitude.bit_length() * 0.30102999566398120))
    while 10**estimate <= magnitude:
        estimate += 1
    while estimate > 1 and 10 ** (estimate - 1) > magnitude:
        estimate -= 1
    return estimate


def kind_of(value: object) -> str:
    """Name the type of *value* for a message (``a boolean``, ``an integer``, ``a list``)."""
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "text"}
    return names.get(type(value), f"a value of type {type(value).__name__}")


def _character(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def _diagnose(value: str, *, max_length: int, ascii_only: bool) -> str | None:
    """Say what makes *value* unfit for any format here, or ``None``."""
    if not value:
        return "is empty"
    if len(value) > max_length:
        return f"is {len(value)} characters long, more than {max_length}"
    for index, char in enumerate(value):
        category = unicodedata.category(char)
        at = "at the end" if index == len(value) - 1 else f"at position {index + 1}"
        if char in "\r\n":
            return f"has a line break {at}"
        if category == "Cs":
            return f"has a lone surrogate {at}"
        if category == "Cc":
            return f"has a control character ({_character(char)}) {at}"
        if char.isspace() and (index == 0 or index == len(value) - 1):
            return f"has white space {at}"
        if ascii_only and not char.isascii():
            digit = " digit" if char.isdigit() else ""
            return f"has a non-ASCII{digit} character ({_character(char)}) {at}"
    return None


def _compile(pattern: str | re.Pattern[str]) -> re.Pattern[str]:
    return pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, re.ASCII)


@attrs.frozen
class TextFormat:
    """A format an identifier or a code must have, matched on the whole string.

    Attributes:
        name: What a value of this format is, for messages (``an actor id``).
        pattern: A regular expression over ASCII, matched with `re.fullmatch`.
        hint: What the format allows, for messages (``lower-case letters, ...``).
        max_length: The longest value, in characters.
        quoted: Whether messages may quote a refused value (codes: yes; ids: no).
        lower_case: Whether the format is lower case only, so that the message for a
            value with capitals says so.
    """

    name: str
    pattern: re.Pattern[str] = attrs.field(converter=_compile)
    hint: str
    max_length: int
    quoted: bool = False
    lower_case: bool = False

    def matches(self, value: object) -> bool:
        """Return whether *value* is text of this format (whole string, at most `max_length`)."""
        return (
            isinstance(value, str)
            and len(value) <= self.max_length
            and self.pattern.fullmatch(value) is not None
        )

    def problem(self, value: object) -> str | None:
        """Return why *value* is not of this format (one sentence), or ``None`` if it is."""
        if self.matches(value):
            return None
        if not isinstance(value, str):
            return f"expected {self.name} as text, not {kind_of(value)}"
        found = _diagnose(value, max_length=self.max_length, ascii_only=True)
        if found is None and self.lower_case and value != value.lower():
            found = f"has upper-case letters; {self.name} is lower case"
        if found is not None:
            return found
        shown = f"{preview(value)} is not" if self.quoted else "is not"
        return f"{shown} {self.name}: {self.hint}"

    def check(self, value: object, *, field: str) -> str:
        """Return *value* if it is of this format.

        Raises:
            InvalidValue: Naming *field* and what is wrong.
        """
        reason = self.problem(value)
        if reason is not None:
            raise InvalidValue(field=field, reason=reason)
        return value  # type: ignore[return-value]  # matches() proved it is a str

    def validator(self, _: object, attribute: attrs.Attribute[str], value: object) -> None:
        """An attrs validator: refuse what `check` refuses, naming the attribute."""
        self.check(value, field=attribute.name)

    def optional_validator(
        self, _: object, attribute: attrs.Attribute[str | None], value: object
    ) -> None:
        """An attrs validator for an optional attribute: ``None``, or what `check` accepts."""
        if value is not None:
            self.check(value, field=attribute.name)


ACTOR_ID = TextFormat(
    "an actor id",
    r"[a-z0-9][a-z0-9._:-]*",
    "1 to 128 lower-case letters, digits and '._:-', starting with a letter or digit",
    128,
    lower_case=True,
)
"""Who acts or holds something: an officer, an applicant's account, a courier, a system.

Canonical by construction: two different strings of this format are two different actors."""

KEY = TextFormat(
    "a key",
    r"[\x21-\x7e]+",
    "1 to 128 visible ASCII characters (no spaces)",
    128,
)
"""An opaque key a client chooses: an idempotency key, a payment reference, a handoff id."""

ROLE = TextFormat(
    "a role name",
    r"[a-z][a-z0-9_]*",
    "lower-case letters, digits and '_', starting with a letter",
    64,
    quoted=True,
    lower_case=True,
)
"""A role an actor holds and a workflow declares (``verifier``, ``front_office``).

The same format on both sides: a workflow declaring ``Verifier`` is refused when it
is checked, and an `Actor` holding ``"verifier\\n"`` cannot be built, so a role an
actor holds matches a declared role exactly or not at all."""

CODE = TextFormat(
    "a code",
    r"[a-z0-9][a-z0-9_.-]*",
    "lower-case letters, digits and '_.-', starting with a letter or digit",
    64,
    quoted=True,
    lower_case=True,
)
"""A short lower-case code: a reason (``blurry_scan``), a purpose, a channel."""

CATALOGUE_CODE = TextFormat(
    "a catalogue code",
    r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    "letters, digits and '_.-', starting with a letter or digit",
    64,
    quoted=True,
)
"""The code of an agency, service, requirement, evidence type, fee or workflow.

Codes that differ only by case are refused within one catalogue (see the loader)."""

FIELD_NAME = TextFormat(
    "a field name",
    r"[a-z_][a-z0-9_]*",
    "lower-case letters, digits and '_', not starting with a digit",
    64,
    quoted=True,
    lower_case=True,
)
"""The name of a form field or a workflow input; rules refer to fields by it."""

SEAL_ID = TextFormat(
    "a seal id",
    r"[A-Za-z0-9][A-Za-z0-9._-]*",
    "letters, digits and '._-', starting with a letter or digit",
    64,
    quoted=True,
)
"""The number printed on a courier packet's tamper-evident seal."""

SHA256_HEX = TextFormat(
    "a SHA-256 digest",
    r"[0-9a-f]{64}",
    "64 lower-case hexadecimal digits",
    64,
    lower_case=True,
)
"""A SHA-256 digest in lower-case hex: a document's fingerprint, a chain hash."""

CURRENCY = TextFormat(
    "an ISO 4217 currency code",
    r"[A-Z]{3}",
    "three capital letters such as 'IDR'",
    3,
    quoted=True,
)
"""A currency code such as ``IDR``, ``KHR``, ``KRW`` or ``USD``."""

MEDIA_TYPE = TextFormat(
    "a media type",
    r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}",
    "a lower-case IANA media type such as 'application/pdf'",
    127,
    quoted=True,
    lower_case=True,
)
"""An IANA media type, lower case, without parameters (``application/pdf``)."""

IDENTITY_SCHEME = TextFormat(
    "an identity scheme",
    r"[a-z]{2,8}-[a-z0-9-]{1,24}",
    "a code such as 'id-nik' (country, hyphen, name)",
    33,
    quoted=True,
    lower_case=True,
)
"""Which national identity numbering a number follows (``id-nik``, ``kr-rrn``)."""


DECIMAL = TextFormat(
    "a decimal number",
    r"-?[0-9]{1,30}(?:\.[0-9]{1,12})?",
    "ASCII digits with an optional leading '-' and one '.', such as '12' or '-0.5' "
    "(at most 30 digits before the point and 12 after)",
    44,
)
"""A number written in plain decimal: a form's answer, a bound on one.

No exponent, no digit grouping, no other script's digits (convert those first with
`to_ascii_digits`), no ``NaN`` or ``Infinity``.  Not quoted in messages: an answer
may be personal data."""


def text_problem(
    value: object, *, max_length: int, multiline: bool = False, empty: bool = False
) -> str | None:
    """Return why *value* is not acceptable free text, or ``None``.

    Free text is a `str` of at most *max_length* characters with no lone surrogate and
    no control character; with *multiline*, line breaks and tabs are allowed.  An empty
    string is refused unless *empty*.  The message never quotes the text.
    """
    if not isinstance(value, str):
        return f"expected text, not {kind_of(value)}"
    if not value:
        return None if empty else "is empty"
    if len(value) > max_length:
        return f"is {len(value)} characters long, more than {max_length}"
    allowed = "\t\n\r" if multiline else ""
    for index, char in enumerate(value):
        category = unicodedata.category(char)
        if category == "Cs":
            return f"has a lone surrogate at position {index + 1}"
        if category == "Cc" and char not in allowed:
            what = (
                "a NUL character" if char == "\x00" else f"a control character ({_character(char)})"
            )
            return f"has {what} at position {index + 1}"
    return None


def check_text(
    value: object, *, field: str, max_length: int, multiline: bool = False, empty: bool = False
) -> str:
    """Return *value* if `text_problem` finds nothing wrong with it.

    Raises:
        InvalidValue: Naming *field* and what is wrong (never quoting the text).
    """
    reason = text_problem(value, max_length=max_length, multiline=multiline, empty=empty)
    if reason is not None:
        raise InvalidValue(field=field, reason=reason)
    return value  # type: ignore[return-value]  # text_problem() proved it is a str


def int_problem(value: object, *, minimum: int = 0, maximum: int = INT64_MAX) -> str | None:
    """Return why *value* is not an integer from *minimum* to *maximum*, or ``None``.

    A `bool` is not an integer here, although Python says it is: ``True`` as a version
    number is a bug.  The message never quotes a huge value in full.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        return f"expected an integer, not {kind_of(value)}"
    if value < minimum:
        return f"must be at least {minimum}, not {preview(value)}"
    if value > maximum:
        bound = "2**63 - 1, the largest a store holds" if maximum == INT64_MAX else maximum
        return f"must be at most {bound}, not {preview(value)}"
    return None


def check_int(value: object, *, field: str, minimum: int = 0, maximum: int = INT64_MAX) -> int:
    """Return *value* if it is an `int` (not a `bool`) from *minimum* to *maximum*.

    Raises:
        InvalidValue: Naming *field* and what is wrong.
    """
    reason = int_problem(value, minimum=minimum, maximum=maximum)
    if reason is not None:
        raise InvalidValue(field=field, reason=reason)
    return value  # type: ignore[return-value]  # int_problem() proved it is an int


MAX_SECONDS = 10**9
"""The longest timeout, window or interval accepted, in seconds (about 31 years).

Longer than any sensible setting, and within what `threading` waits for and a
`datetime.timedelta` holds."""


def seconds_problem(
    value: object, *, positive: bool = False, maximum: float = MAX_SECONDS
) -> str | None:
    """Return why *value* is not a number of seconds, or ``None``.

    A number of seconds is an `int` (not a `bool`) or a finite `float`, from 0 (above 0
    with *positive*) to *maximum*.  A huge integer is compared as it is, never turned
    into a float first (``math.isfinite(10**400)`` raises `OverflowError`), and the
    message never quotes it in full.

    >>> seconds_problem(2.5), seconds_problem(0, positive=True)
    (None, 'must be above 0 seconds, not 0')
    >>> seconds_problem(10**400)
    'must be at most 1000000000 seconds, not an integer of 401 digits'

    A *maximum* that is not a number from 0 (`math.inf` is one), or a *positive* that
    is not a `bool`, raises `InvalidValue`: those are the caller's mistakes.
    """
    bound: object = maximum  # the caller may have passed anything
    if isinstance(bound, bool) or not isinstance(bound, int | float) or not bound >= 0:
        raise InvalidValue(field="maximum", reason="expected a number of seconds from 0")
    flag: object = positive
    if not isinstance(flag, bool):
        raise InvalidValue(field="positive", reason=f"expected a boolean, not {kind_of(flag)}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"expected a number of seconds, not {kind_of(value)}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number of seconds, not {value!r}"
    shown = preview(value) if isinstance(value, int) else repr(value)
    if value < 0 or (positive and value == 0):
        return f"must be {'above' if positive else 'at least'} 0 seconds, not {shown}"
    if value > maximum:
        limit = (
            preview(maximum)
            if isinstance(maximum, int)
            else (int(maximum) if maximum.is_integer() else maximum)
        )
        return f"must be at most {limit} seconds, not {shown}"
    return None


_NUMBER_LIMIT = 10**30  # DECIMAL's 30 digits before the point


def parse_number(value: object, *, field: str) -> int | Decimal:
    """Return *value* as an exact number: an `int`, or a `Decimal` for a fraction.

    Accepts an `int` (not a `bool`) or a finite `Decimal` of at most 30 digits before
    the point and 12 after, or text of format `DECIMAL` (which becomes a `Decimal`).
    A float is refused: ``0.1`` is not the number a person wrote.

    Raises:
        InvalidValue: Naming *field* and what is wrong, never quoting the value.
    """
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        return _refuse_number(field, f"expected a number, not {kind_of(value)}")
    if isinstance(value, int):
        if -_NUMBER_LIMIT < value < _NUMBER_LIMIT:
            return value
        return _refuse_number(field, "has more than 30 digits")
    if isinstance(value, str):
        reason = DECIMAL.problem(value)
        if reason is not None:
            return _refuse_number(field, reason)
        return Decimal(value)
    if not value.is_finite():
        return _refuse_number(field, "must be a finite number")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # noqa: S101 - finite, so not 'n', 'N' or 'F'
    if value and value.adjusted() >= 30:  # no arithmetic: 1E+999999999 must not overflow
        return _refuse_number(field, "has more than 30 digits before the point")
    if exponent < -12:
        return _refuse_number(field, "has more than 12 digits after the point")
    return value


def _refuse_number(field: str, reason: str) -> int:
    raise InvalidValue(field=field, reason=reason)


# The zero of each decimal digit set a language's writers type, by primary language subtag.
# Full-width digits come from the input methods of Chinese, Japanese and Korean.
_DIGIT_ZEROS: dict[str, tuple[int, ...]] = {
    "ar": (0x0660, 0x06F0),  # Arabic-Indic, and the extended (Persian) forms
    "fa": (0x06F0, 0x0660),
    "ur": (0x06F0,),
    "ps": (0x06F0, 0x0660),
    "km": (0x17E0,),  # Khmer
    "th": (0x0E50,),  # Thai
    "lo": (0x0ED0,),  # Lao
    "my": (0x1040,),  # Myanmar
    "hi": (0x0966,),  # Devanagari
    "mr": (0x0966,),
    "ne": (0x0966,),
    "bn": (0x09E6,),  # Bengali
    "bo": (0x0F20,),  # Tibetan
    "zh": (0xFF10,),  # full width
    "ja": (0xFF10,),
    "ko": (0xFF10,),
}


def local_digits(languages: Iterable[str]) -> dict[int, int]:
    """Return a `str.translate` table from the digits *languages* write to ASCII digits.

    Only the digit sets of the languages given are mapped: a Khmer form converts Khmer
    digits, and refuses Arabic-Indic ones as not numbers.

    >>> "\u17e1\u17e2".translate(local_digits(["km"]))
    '12'
    """
    table: dict[int, int] = {}
    for tag in languages:
        primary = tag.split("-", 1)[0].lower()
        for zero in _DIGIT_ZEROS.get(primary, ()):
            table.update({zero + n: ord("0") + n for n in range(10)})
    return table


def to_ascii_digits(text: str, *, languages: Iterable[str]) -> str:
    """Return *text* with the digits of *languages* replaced by ASCII digits ``0-9``.

    Other characters, other scripts' digits included, are left as they are, for the
    caller's format check to refuse.
    """
    return text.translate(local_digits(languages))


_Member = TypeVar("_Member", bound=enum.Enum)
_Value = TypeVar("_Value")


def check_type(value: object, kind: type[_Value] | tuple[type, ...], *, field: str) -> _Value:
    """Return *value* if it is an instance of *kind* (a class, or a tuple of classes).

    For the arguments of public calls, so that a wrong type is refused by name
    instead of failing later with an `AttributeError` or a `TypeError`.

    Raises:
        InvalidValue: Naming *field*, the type expected and the type given.
    """
    if not isinstance(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        names = " or ".join("None" if k is type(None) else k.__name__ for k in kinds)
        raise InvalidValue(field=field, reason=f"expected {names}, not {kind_of(value)}")
    return value  # type: ignore[return-value]  # isinstance() proved it


def check_member(kind: type[_Member], value: object, *, field: str) -> _Member:
    """Return the member of the enum *kind* that *value* is, or whose value *value* is.

    ``check_member(JobKind, "pickup", field="kind")`` gives ``JobKind.PICKUP``, as does
    ``JobKind.PICKUP`` itself; anything else is refused with the values allowed, where
    ``JobKind("bad")`` would raise a bare `ValueError`.

    Raises:
        InvalidValue: Naming *field* and the values allowed.
    """
    if isinstance(value, kind):
        return value
    if isinstance(value, str | int) and not isinstance(value, bool | enum.Enum):
        for member in kind:
            if type(member.value) is type(value) and member.value == value:
                return member
    allowed = ", ".join(repr(member.value) for member in kind)
    shown = preview(value) if isinstance(value, str) else kind_of(value)
    raise InvalidValue(field=field, reason=f"{shown} is not one of {allowed}")


def check_instant(value: object, *, field: str) -> datetime:
    """Return *value* if it is a timezone-aware `datetime` that is an instant in UTC.

    An instant is refused when it has no time zone, when its time zone gives no valid
    offset, or when it lies outside the years 1 to 9999 once converted to UTC (such as
    ``datetime.min`` in Jakarta), which no store or export can write.  Adding a
    duration to an instant that passes can still leave the years 1 to 9999: callers
    that do so catch `OverflowError`.

    Raises:
        NaiveDatetime: If *value* has no time zone.
        InvalidValue: If *value* is not a datetime, or not an instant in UTC.
    """
    if not isinstance(value, datetime):
        reason = f"expected a timezone-aware datetime, not {kind_of(value)}"
        raise InvalidValue(field=field, reason=reason)
    try:
        offset = value.utcoffset()
        if offset is not None:
            value.astimezone(UTC)
    except OverflowError:
        raise InvalidValue(field=field, reason="lies outside the years 1 to 9999 in UTC") from None
    except (ArithmeticError, TypeError, ValueError):
        raise InvalidValue(field=field, reason="its time zone gives no valid UTC offset") from None
    if offset is None:
        raise NaiveDatetime(field)
    return value


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
    lone surrogate, private-use or unassigned character, backslash or any of ``<>"`{}|^``,
    starting with a scheme (compared without case: ``JavaScript:`` is ``javascript:``).
    An ``http`` or ``https`` URI must name a host (``https://host...``).  Browsers
    drop white space and controls inside a scheme (``java\nscript:``), which is why
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
        given: object = field  # the caller may have passed anything
        shown = field if isinstance(given, str) and len(field) <= 64 else preview(given)
        raise InvalidValue(field=shown, reason=reason)
    return value  # type: ignore[return-value]  # uri_problem() proved it is a str
