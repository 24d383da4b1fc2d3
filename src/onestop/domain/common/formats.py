"""Formats of identifiers, codes, free text and stored integers: checked here, once.

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
Integers that reach a store are checked by `check_int`: never a `bool`, and within what
a 64-bit database column holds.

Two sibling modules check the rest: `onestop.domain.common.kinds` the kind of a value (its
type, an enum member, an instant, the types of a value object's fields) and numbers as
people write them (`parse_number`, with their own digits), and `onestop.domain.common.uris`
links (`check_uri`).

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
"""

from __future__ import annotations

import re
import unicodedata

import attrs

from onestop.exceptions import InvalidValue

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
    "MAX_PREVIEW",
    "MEDIA_TYPE",
    "ROLE",
    "SEAL_ID",
    "SHA256_HEX",
    "TextFormat",
    "check_int",
    "check_text",
    "int_problem",
    "kind_of",
    "preview",
    "preview_path",
    "text_problem",
]

INT64_MAX = 2**63 - 1
"""The largest integer every store holds (a signed 64-bit column)."""

INT64_MIN = -(2**63)
"""The smallest integer every store holds (a signed 64-bit column)."""

MAX_NAME = 200
"""The longest name (of a person, an organisation or a place), in characters."""

_PREVIEW = 40
MAX_PREVIEW = 1000
"""The longest `preview` a message may ask for, in characters."""


def preview_path(path: object, /, *, limit: int = 160) -> str:
    """Return a ``repr`` of the file path *path* for a message, keeping its end if long.

    A path is told by its end (the file's own name), so a long one loses its start:

    >>> preview_path("/srv/" + "a/" * 100 + "land-office.toml", limit=20)
    "'...a/a/land-office.toml'"

    What is not text is shown as `preview` shows it.

    Raises:
        InvalidValue: If *limit* is not an integer from 1 to `MAX_PREVIEW`.
    """
    bad_limit = int_problem(limit, minimum=1, maximum=MAX_PREVIEW)
    if bad_limit is not None:
        raise InvalidValue(field="limit", reason=bad_limit)
    if not isinstance(path, str):
        return preview(path)
    return repr(path if len(path) <= limit else f"...{path[-limit:]}")


def preview(value: object, /, *, limit: int = _PREVIEW) -> str:
    """Return a short ``repr`` of *value* for a message: at most about *limit* characters.

    >>> preview("a" * 4000)
    "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'... (4000 characters)"
    >>> preview(10**4000)
    'an integer of 4001 digits'

    Raises:
        InvalidValue: If *limit* is not an integer from 1 to `MAX_PREVIEW`.
    """
    bad_limit = int_problem(limit, minimum=1, maximum=MAX_PREVIEW)
    if bad_limit is not None:
        raise InvalidValue(field="limit", reason=bad_limit)
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


_SUSPECT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
"""Every character of the categories ``Cc`` (C0 and C1 controls) and ``Cs`` (surrogates),
and the two noncharacters XML 1.0 cannot carry, U+FFFE and U+FFFF."""
_SUSPECT_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
"""The same, without the tab and the line breaks free text may hold on several lines."""


def text_problem(
    value: object, *, max_length: int, multiline: bool = False, empty: bool = False
) -> str | None:
    """Return why *value* is not acceptable free text, or ``None``.

    Free text is a `str` of at most *max_length* characters with no lone surrogate, no
    control character and neither U+FFFE nor U+FFFF (which XML 1.0 cannot carry); with
    *multiline*, line breaks and tabs are allowed.  An empty string is refused unless
    *empty*.  The message never quotes the text.

    Raises:
        InvalidValue: If *max_length* is not an integer from 0 (the caller's mistake).
    """
    bad_length = int_problem(max_length)
    if bad_length is not None:  # the caller's mistake, not the value's
        raise InvalidValue(field="max_length", reason=bad_length)
    if not isinstance(value, str):
        return f"expected text, not {kind_of(value)}"
    if not value:
        return None if empty else "is empty"
    if len(value) > max_length:
        return f"is {len(value)} characters long, more than {max_length}"
    if (_SUSPECT_MULTILINE if multiline else _SUSPECT).search(value) is None:
        return None  # no control character or surrogate anywhere: the usual case, in C
    allowed = "\t\n\r" if multiline else ""
    for index, char in enumerate(value):
        category = unicodedata.category(char)
        if category == "Cs":
            return f"has a lone surrogate at position {index + 1}"
        if char in "\ufffe\uffff":
            return f"has the noncharacter U+{ord(char):04X} at position {index + 1}"
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

    Raises:
        InvalidValue: If *minimum* or *maximum* is not an integer (a bool is not one).
    """
    bounds: tuple[tuple[str, object], ...] = (("minimum", minimum), ("maximum", maximum))
    for name, bound in bounds:
        if isinstance(bound, bool) or not isinstance(bound, int):
            raise InvalidValue(field=name, reason=f"expected an integer, not {kind_of(bound)}")
    if isinstance(value, bool) or not isinstance(value, int):
        return f"expected an integer, not {kind_of(value)}"
    if value < minimum:
        return f"must be at least {preview(minimum)}, not {preview(value)}"
    if value > maximum:
        largest = "2**63 - 1, the largest a store holds"
        bound = largest if maximum == INT64_MAX else preview(maximum)
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
    """Compile a format's pattern, refusing what is not a valid pattern over text."""
    given: object = pattern  # the caller may have passed anything
    if isinstance(given, re.Pattern) and isinstance(given.pattern, str):
        return pattern  # type: ignore[return-value]  # a compiled pattern over text
    if not isinstance(given, str):
        raise InvalidValue(
            field="pattern", reason=f"expected a regular expression, not {kind_of(given)}"
        )
    try:
        return re.compile(given, re.ASCII)
    except (re.error, RecursionError, OverflowError) as exc:  # RecursionError: deep groups
        reason = f"is not a valid regular expression ({type(exc).__name__})"
        raise InvalidValue(field="pattern", reason=reason) from None


def _name_text(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    check_text(value, field=attribute.name, max_length=MAX_NAME)


def _hint_text(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    check_text(value, field=attribute.name, max_length=MAX_NAME * 2)


def _positive(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    check_int(value, field=attribute.name, minimum=1)


def _flag(_: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidValue(field=attribute.name, reason=f"expected a boolean, not {kind_of(value)}")


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

    Raises:
        InvalidValue: If *pattern* is not a regular expression over text that compiles,
            *name* or *hint* not one line of text, *max_length* not a positive integer,
            or a flag not a `bool`.
    """

    name: str = attrs.field(validator=_name_text)
    pattern: re.Pattern[str] = attrs.field(converter=_compile)
    hint: str = attrs.field(validator=_hint_text)
    max_length: int = attrs.field(validator=_positive)
    quoted: bool = attrs.field(default=False, validator=_flag)
    lower_case: bool = attrs.field(default=False, validator=_flag)

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
"""Who acts or holds something, such as an officer, an applicant's account or a courier.

Canonical by construction: two different strings of this format are two different actors."""

KEY = TextFormat(
    "a key",
    r"[\x21-\x7e]+",
    "1 to 128 visible ASCII characters (no spaces)",
    128,
)
"""An opaque key a client chooses, such as an idempotency key or a payment reference."""

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
"""A short lower-case code, such as a reason (``blurry_scan``), a purpose or a channel."""

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
"""A SHA-256 digest in lower-case hex, such as a document's fingerprint or a chain hash."""

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
"""A number written in plain decimal, such as a form's answer or a bound on one.

No exponent, no digit grouping, no other script's digits (convert those first with
`onestop.domain.common.kinds.to_ascii_digits`), no ``NaN`` or ``Infinity``.  Not quoted in
messages: an answer may be personal data."""
