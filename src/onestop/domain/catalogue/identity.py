"""Identity numbering schemes declared as data, and the validators made from them.

A catalogue declares the identity numbers its applicants may give in its
``identity_schemes`` section, so that a country onestop has never seen needs no Python
to accept its national id::

    [[identity_schemes]]
    code = "eg-national-id"
    name = { ar = "الرقم القومي", en = "National ID number" }
    pattern = "[23][0-9]{13}"
    length = 14
    strip = " -"

An `IdentityScheme` checks, in this order: the characters of *strip* are removed; what
remains must be printable ASCII, of the declared *length* (or from *min_length* to
*max_length*, at most `MAX_IDENTITY_LENGTH`), match the *pattern* as a whole, pass the
*checksum* (one of `onestop.domain.common.checksums.CHECKSUMS`), and pass the
``python-stdnum`` validator named by *stdnum* (looked up outside the domain, by
`onestop.usecases.catalogue.identity`).

**Patterns are checked safe before they are used.**  A pattern is a regular expression in
a small subset of Python's: literals, escaped punctuation, ``.``, ``\\d``, ``\\w``, ``\\s``
(ASCII only), character classes, groups ``( )`` and ``(?: )``, alternation and the
quantifiers ``? * + {m} {m,n}``.  Refused: backreferences, lookarounds, flags, a
repeated group that holds a variable quantifier or an alternation (``(a+)+``,
``(a|aa)*``: the shapes of catastrophic backtracking), more than four variable
quantifiers or eight alternatives, and patterns over 200 characters.  With numbers
capped at 64 characters, a pattern that passes matches in bounded time.
A *length* the pattern cannot match is refused too.

>>> scheme = IdentityScheme(
...     code="eg-national-id",
...     name=LocalizedText({"en": "National ID number"}),
...     pattern="[23][0-9]{13}",
...     length=14,
...     strip=" -",
... )
>>> DeclaredValidator(scheme).validate("2990101-0123456")
[]
>>> DeclaredValidator(scheme).validate("19901010123456")
['does not have the form the eg-national-id scheme declares']
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence

import attrs

from onestop.domain.common.checksums import CHECKSUMS, checksum_problem
from onestop.domain.common.formats import IDENTITY_SCHEME, check_text, kind_of, preview
from onestop.domain.common.text import LocalizedText
from onestop.exceptions import ConfigurationError, InvalidValue, Problem

__all__ = [
    "MAX_IDENTITY_LENGTH",
    "MAX_PATH",
    "DeclaredValidator",
    "IdentityScheme",
    "check_identity_schemes",
    "pattern_widths",
]

MAX_IDENTITY_LENGTH = 64
"""The longest identity number a declared scheme checks, separators removed."""
MAX_PATH = 1000
"""The longest *path* `check_identity_schemes` takes (every problem's path begins with it)."""
_MAX_RAW = 4 * MAX_IDENTITY_LENGTH
_MAX_PATTERN = 200
_MAX_VARIABLE = 4
_MAX_BARS = 8
_MAX_DEPTH = 8
_STDNUM_NAME = re.compile(r"[a-z][a-z0-9_]{0,30}(?:\.[a-z][a-z0-9_]{0,30}){0,3}", re.ASCII)
_PRINTABLE = frozenset(chr(c) for c in range(0x20, 0x7F))
_CLASS_ESCAPES = frozenset("dDwWsS")
_ZERO_ESCAPES = frozenset("bBAZ")


@attrs.frozen(kw_only=True)
class IdentityScheme:
    """An identity numbering scheme, declared in a catalogue (see the module's docs).

    Attributes:
        code: The scheme's code, as applicants' ``identity_scheme`` names it: a country
            code, a hyphen and a name (``eg-national-id``).
        name: The scheme's name, in each of the catalogue's languages.
        pattern: A regular expression the whole number must match, or ``None``.
        length: The exact number of characters, separators removed, or ``None``.
        min_length: The fewest characters, when *length* is not given.
        max_length: The most characters, when *length* is not given.
        strip: Characters removed before any check (separators such as ``" -"``).
        checksum: A check-digit algorithm of `onestop.domain.common.checksums.CHECKSUMS`.
        weights: The ``mod11`` weights, one per character, check character included.
        stdnum: The name of a ``python-stdnum`` module (``kr.rrn``) whose ``validate``
            the number must pass.
    """

    code: str
    name: LocalizedText
    pattern: str | None = None
    length: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    strip: str | None = None
    checksum: str | None = None
    weights: tuple[int, ...] = ()
    stdnum: str | None = None

    def bounds(self) -> tuple[int, int]:
        """The fewest and the most characters a number may have, separators removed."""
        if self.length is not None:
            return self.length, self.length
        low = self.min_length if self.min_length is not None else 1
        high = self.max_length if self.max_length is not None else MAX_IDENTITY_LENGTH
        return low, high


def pattern_widths(pattern: str, /) -> tuple[int, int | None]:
    """Return the fewest and the most characters *pattern* matches (``None``: no most).

    Raises:
        onestop.exceptions.InvalidValue: If *pattern* is not in the safe subset the
            module's docs describe; its reason says why.
    """
    try:
        return _widths(pattern)
    except ValueError as error:
        raise InvalidValue(field="pattern", reason=str(error)) from None


def _widths(pattern: object) -> tuple[int, int | None]:
    if not isinstance(pattern, str):
        raise ValueError(f"must be text, not {kind_of(pattern)}")  # noqa: TRY004 - one error
    if len(pattern) > _MAX_PATTERN:
        raise ValueError(f"must be at most {_MAX_PATTERN} characters")
    parser = _Parser(pattern)
    low, high, _ = parser.alternation(0)
    if parser.at < len(pattern):
        raise ValueError("has a ')' that closes no group")
    if parser.variable > _MAX_VARIABLE:
        raise ValueError(f"has more than {_MAX_VARIABLE} variable quantifiers")
    if parser.bars > _MAX_BARS:
        raise ValueError(f"has more than {_MAX_BARS} alternatives ('|')")
    try:
        re.compile(pattern, re.ASCII)
    except (re.error, RecursionError, OverflowError) as error:
        raise ValueError(f"is not a regular expression: {error}") from None
    return low, high


_Width = tuple[int, int | None, bool]  # fewest, most (None: unbounded), ambiguous


class _Parser:
    """A recursive-descent reader of the safe pattern subset (depth capped)."""

    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.at = 0
        self.variable = 0
        self.bars = 0

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def alternation(self, depth: int) -> _Width:
        if depth > _MAX_DEPTH:
            raise ValueError(f"nests groups deeper than {_MAX_DEPTH}")
        low, high, ambiguous = self.sequence(depth)
        while self.peek() == "|":
            self.at += 1
            self.bars += 1
            other_low, other_high, _ = self.sequence(depth)
            low = min(low, other_low)
            high = None if high is None or other_high is None else max(high, other_high)
            ambiguous = True
        return low, high, ambiguous

    def sequence(self, depth: int) -> _Width:
        low, ambiguous = 0, False
        high: int | None = 0
        while self.peek() not in ("", "|", ")"):
            atom = self.atom(depth)
            atom_low, atom_high, atom_ambiguous = self.quantified(atom)
            low += atom_low
            high = None if high is None or atom_high is None else high + atom_high
            ambiguous = ambiguous or atom_ambiguous
        return low, high, ambiguous

    def atom(self, depth: int) -> _Width:
        char = self.peek()
        self.at += 1
        if char == "(":
            if self.text.startswith("?", self.at):
                if not self.text.startswith("?:", self.at):
                    raise ValueError("may use only plain groups '( )' and '(?: )'")
                self.at += 2
            inner = self.alternation(depth + 1)
            if self.peek() != ")":
                raise ValueError("has a group that is never closed")
            self.at += 1
            return inner
        if char == "[":
            self.character_class()
            return 1, 1, False
        if char == "\\":
            escaped = self.peek()
            self.at += 1
            if escaped in _CLASS_ESCAPES or (
                escaped and not escaped.isalnum() and escaped.isascii()
            ):
                return 1, 1, False
            if escaped in _ZERO_ESCAPES:
                return 0, 0, False
            raise ValueError("may escape only punctuation and \\d \\w \\s \\b (no backreference)")
        if char in "^$":
            return 0, 0, False
        if char in "*+?{":
            raise ValueError("has a quantifier with nothing to repeat")
        if char in "}]" or not char.isprintable():
            raise ValueError(
                f"must escape {char!r}" if char.isprintable() else "has a control char"
            )
        return 1, 1, False

    def character_class(self) -> None:
        start = self.at
        if self.peek() == "^":
            self.at += 1
        if self.peek() == "]":
            self.at += 1
        while self.peek() not in ("", "]"):
            if self.peek() == "[" or self.text[self.at : self.at + 2] in ("--", "&&", "~~", "||"):
                raise ValueError("has a character class with '[', '--', '&&', '~~' or '||'")
            self.at += 2 if self.peek() == "\\" else 1
        if self.peek() != "]" or self.at == start:
            raise ValueError("has a character class that is never closed")
        self.at += 1

    def quantified(self, atom: _Width) -> _Width:
        bounds = self.quantifier()
        if bounds is None:
            return atom
        least, most = bounds
        low, high, ambiguous = atom
        if (most is None or most > 1) and ambiguous:
            raise ValueError(
                "repeats a group holding a variable quantifier or '|' (catastrophic backtracking)"
            )
        if self.peek() in ("?", "+"):  # lazy or possessive
            self.at += 1
        if least != most:
            self.variable += 1
        new_high = None if most is None or high is None else high * most
        if most == 0 or high == 0:
            new_high = 0
        return low * least, new_high, ambiguous or least != most

    def quantifier(self) -> tuple[int, int | None] | None:
        char = self.peek()
        if char in ("*", "+", "?"):
            self.at += 1
            return {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
        if char != "{":
            return None
        end = self.text.find("}", self.at)
        body = self.text[self.at + 1 : end] if end > 0 else ""
        match = re.fullmatch(r"([0-9]{0,2})(,?)([0-9]{0,2})", body, re.ASCII)
        if match is None or not (match[1] or match[3]) or (match[2] == "" and not match[1]):
            raise ValueError("has a '{' that is not a count such as {3} or {2,5} (at most 64)")
        self.at = end + 1
        least = int(match[1] or 0)
        most = int(match[3]) if match[3] else (None if match[2] else least)
        if least > MAX_IDENTITY_LENGTH or (most is not None and not least <= most <= 64):
            raise ValueError("has a count above 64, or a {m,n} with m above n")
        return least, most


def check_identity_schemes(
    schemes: Sequence[IdentityScheme], /, *, path: str = "identity_schemes"
) -> list[Problem]:
    """Return every problem with the declared *schemes*, each with its path.

    Checks each code's format and that no two schemes share one; each pattern (the safe
    subset, `pattern_widths`); the lengths (from 1 to `MAX_IDENTITY_LENGTH`, *length*
    or *min_length*/*max_length*, and one the pattern can match); the checksum's name
    and its weights; the stdnum module's name (its existence is checked by the
    catalogue loader, outside the domain); and that each scheme checks something.

    Raises:
        InvalidValue: If *schemes* is text rather than a sequence of schemes, or *path*
            is not text of at most `MAX_PATH` characters (each problem's path repeats it).
    """
    check_text(path, field="path", max_length=MAX_PATH, empty=True)
    given: object = schemes
    if isinstance(given, str | bytes) or not isinstance(given, Sequence):
        raise InvalidValue(field="schemes", reason=f"expected a sequence, not {kind_of(given)}")
    problems: list[Problem] = []
    items: Sequence[object] = given
    for i, scheme in enumerate(items):
        where = f"{path}[{i}]"
        if not isinstance(scheme, IdentityScheme):
            problems.append(
                Problem(path=where, message=f"expected an identity scheme, not {kind_of(scheme)}")
            )
            continue
        problems += (
            Problem(path=f"{where}.{f}" if f else where, message=m)
            for f, m in _scheme_problems(scheme)
        )
    codes = Counter(s.code for s in items if isinstance(s, IdentityScheme))
    for i, scheme in enumerate(items):
        if isinstance(scheme, IdentityScheme) and codes[scheme.code] > 1:
            first = next(j for j, s in enumerate(items) if getattr(s, "code", None) == scheme.code)
            if first != i:
                message = (
                    f"identity scheme {preview(scheme.code)} is declared twice "
                    f"(first at {path}[{first}])"
                )
                problems.append(Problem(path=f"{path}[{i}].code", message=message))
    return problems


_TEXT_FIELDS = ("code", "pattern", "strip", "checksum", "stdnum")
_WHOLE_FIELDS = ("length", "min_length", "max_length")


def _type_problems(scheme: IdentityScheme) -> Iterator[tuple[str, str]]:
    """A field of the wrong kind (a scheme built in code, not loaded): checked first."""
    for field in _TEXT_FIELDS:
        value = getattr(scheme, field)
        if not isinstance(value, str) and (value is not None or field == "code"):
            yield field, f"expected text, not {kind_of(value)}"
    for field in _WHOLE_FIELDS:
        value = getattr(scheme, field)
        if value is not None and type(value) is not int:
            yield field, f"expected a whole number, not {kind_of(value)}"
    weights: object = scheme.weights
    if not isinstance(weights, tuple) or any(type(w) is not int for w in weights):
        yield "weights", f"expected a tuple of whole numbers, not {kind_of(weights)}"
    name: object = scheme.name
    if not isinstance(name, LocalizedText):
        yield "name", f"expected localized text, not {kind_of(name)}"


def _scheme_problems(scheme: IdentityScheme) -> Iterator[tuple[str, str]]:
    typed = list(_type_problems(scheme))
    if typed:  # the checks below compare and measure values of the declared kinds
        yield from typed
        return
    code_problem = IDENTITY_SCHEME.problem(scheme.code)
    if code_problem is not None:
        yield "code", code_problem
    yield from _length_problems(scheme)
    widths: tuple[int, int | None] | None = None
    if scheme.pattern is not None:
        try:
            widths = pattern_widths(scheme.pattern)
        except InvalidValue as error:
            yield "pattern", f"the pattern {error.reason}"
    if widths is not None:
        yield from _contradiction(scheme, widths)
    if scheme.checksum is not None and scheme.checksum not in CHECKSUMS:
        yield (
            "checksum",
            f"unknown checksum {preview(scheme.checksum)}; known: {', '.join(CHECKSUMS)}",
        )
    if scheme.checksum == "mod11" and not scheme.weights:
        yield "weights", "the mod11 checksum needs weights, one per character"
    if scheme.weights and scheme.checksum != "mod11":
        yield "weights", "weights are used by the mod11 checksum only"
    if scheme.weights and not (1 <= len(scheme.weights) <= MAX_IDENTITY_LENGTH):
        yield "weights", f"give from 1 to {MAX_IDENTITY_LENGTH} weights"
    low, high = scheme.bounds()
    if scheme.checksum == "mod11" and scheme.weights and not low <= len(scheme.weights) <= high:
        sizes = f"{preview(low)} to {preview(high)}"
        yield "weights", f"{len(scheme.weights)} weights, but numbers have {sizes} characters"
    if scheme.stdnum is not None and not _STDNUM_NAME.fullmatch(scheme.stdnum):
        yield "stdnum", "must be a python-stdnum module name such as 'kr.rrn'"
    if scheme.strip is not None and not all(
        c in _PRINTABLE and not c.isalnum() for c in scheme.strip
    ):
        yield "strip", "must hold only ASCII punctuation and spaces"
    declared = (scheme.pattern, scheme.length, scheme.min_length, scheme.max_length)
    if all(v is None for v in (*declared, scheme.checksum, scheme.stdnum)):
        yield "", "the scheme checks nothing: give a pattern, a length, a checksum or stdnum"


def _length_problems(scheme: IdentityScheme) -> Iterator[tuple[str, str]]:
    for field in ("length", "min_length", "max_length"):
        value = getattr(scheme, field)
        if value is not None and not 1 <= value <= MAX_IDENTITY_LENGTH:
            yield field, f"must be from 1 to {MAX_IDENTITY_LENGTH}"
    if scheme.length is not None and (scheme.min_length, scheme.max_length) != (None, None):
        yield "length", "give either length, or min_length and max_length, not both"
    low, high = scheme.bounds()
    if low > high:
        yield "min_length", "must not be above max_length"


def _contradiction(
    scheme: IdentityScheme, widths: tuple[int, int | None]
) -> Iterator[tuple[str, str]]:
    least, most = widths
    low, high = scheme.bounds()
    if (most is not None and most < low) or least > high:
        matches = f"{least}" if least == most else f"{least} to {'any' if most is None else most}"
        field = "length" if scheme.length is not None else "pattern"
        never = f"{preview(low)} to {preview(high)}"  # a scheme built in Python: any size
        yield field, f"the pattern matches {matches} characters, never {never}"


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.ASCII)


@attrs.frozen
class DeclaredValidator:
    """Checks numbers of a declared `IdentityScheme`; an `IdentityValidator`.

    Attributes:
        declaration: The scheme, checked by `check_identity_schemes` when the
            validator is made.
        external: The check of a ``stdnum`` scheme, returning a problem or ``None``
            (`onestop.usecases.catalogue.identity` makes it); ``None`` for a scheme
            without ``stdnum``.

    Raises:
        ConfigurationError: If the declaration has a problem, or a ``stdnum`` scheme
            is given no *external* check (or another scheme one).
    """

    declaration: IdentityScheme
    external: Callable[[str], str | None] | None = None

    def __attrs_post_init__(self) -> None:
        """Refuse a declaration with a problem, so that `validate` never meets one."""
        found = check_identity_schemes((self.declaration,), path="declaration")
        if found:
            raise ConfigurationError(
                f"invalid identity scheme: {found[0].path}: {found[0].message}"
            )
        if (self.declaration.stdnum is None) != (self.external is None):
            raise ConfigurationError(
                "a stdnum identity scheme needs its external check, and only such a scheme"
            )

    @property
    def scheme(self) -> str:
        """The declared scheme's code."""
        return self.declaration.code

    def validate(self, number: str, /) -> list[str]:
        """Return every rule *number* breaks; an empty list when it is valid.

        No message quotes the number or any part of it.
        """
        given: object = number
        if not isinstance(given, str):
            return [f"expected the number as text, not {kind_of(given)}"]
        declaration = self.declaration
        if len(number) > _MAX_RAW:
            return [f"must be at most {MAX_IDENTITY_LENGTH} characters (got {len(number)})"]
        if declaration.strip:
            number = number.translate({ord(c): None for c in declaration.strip})
        if not all(c in _PRINTABLE for c in number):
            return ["must hold only ASCII letters, digits and punctuation"]
        low, high = declaration.bounds()
        if not low <= len(number) <= high:
            wanted = f"{low}" if low == high else f"from {low} to {high}"
            return [f"must be {wanted} characters long (got {len(number)})"]
        if declaration.pattern is not None and not _compiled(declaration.pattern).fullmatch(number):
            return [f"does not have the form the {declaration.code} scheme declares"]
        problems: list[str] = []
        if declaration.checksum is not None:
            problem = checksum_problem(declaration.checksum, number, weights=declaration.weights)
            if problem is not None:
                problems.append(problem)
        if self.external is not None and not problems:
            problem = self.external(number)
            if problem is not None:
                problems.append(problem)
        return problems
