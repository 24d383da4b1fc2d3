"""Applicants, representatives and the personal data they carry.

A value that identifies a person (an identity number, a name, a phone number, an
address, a birth date) is wrapped in `Personal`.  Its ``repr()``, ``str()`` and
``format()`` never show the value, so it cannot leak by accident into a log line, an
exception message, a debugger's summary or an f-string; `Personal.reveal` is the only
way to the value, and a reader sees at once where personal data is used.

It is a guard against *accidents*, not encryption: the value sits in memory in
plain text, and `pickle` and `Personal.reveal` give it back.  Stored events seal it
under the data subject's key when the mall has keys (`onestop.usecases.streams`); read
back after erasure it is `Personal.erased`, read without keys `Personal.withheld`.

>>> nik = Personal("3171011708450001")
>>> nik
<personal data>
>>> f"NIK {nik}"
'NIK <personal data>'
>>> nik.reveal()
'3171011708450001'

Identity numbers are checked by pluggable `IdentityValidator`\\ s, one per numbering
scheme, held in an immutable `IdentityValidators` registry:

>>> validators = default_validators()
>>> validators.problems("id-nik", "3171011708450001")
[]
>>> validators.validate("id-nik", "3171011708450000")
Traceback (most recent call last):
...
onestop.exceptions.InvalidIdentityNumber: not a valid id-nik number: digits 13-16 (serial) ...

The validators check the *format* of a number only.  None of these numbers has a
check digit a computer could verify offline, and no format check can tell whether a
number was ever issued, or to whom: only the issuing registry (Dukcapil, for the NIK)
can.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Protocol, TypeAlias, overload

import attrs

from onestop.domain.common.contacts import normalise_email, normalise_phone
from onestop.domain.common.formats import IDENTITY_SCHEME, MAX_NAME, kind_of, preview, text_problem
from onestop.domain.common.identity_schemes import NIK_PROVINCES, IndonesianNIK, KoreanRRN
from onestop.domain.common.kinds import check_type
from onestop.domain.common.personal import ERASED_MASK, MASK, Personal
from onestop.exceptions import InvalidIdentityNumber, InvalidValue, UnknownIdentityScheme

__all__ = [
    "ERASED_MASK",
    "MASK",
    "MAX_ADDRESS",
    "NIK_PROVINCES",
    "Applicant",
    "IdentityValidator",
    "IdentityValidators",
    "IndonesianNIK",
    "KoreanRRN",
    "Organisation",
    "Person",
    "Personal",
    "Representative",
    "check_party",
    "default_validators",
    "personal_fields",
]

MAX_ADDRESS = 500
"""The longest postal address, in characters; it may run over several lines."""
_MAX_NUMBER = 64  # a business number, an identity number
_MAX_REFERENCE = 256  # a power of attorney's document id or hash


_Validator: TypeAlias = Callable[[object, "attrs.Attribute[Any]", object], None]


def _personal_of(kind: type, *, optional: bool) -> _Validator:
    """Build an attrs validator: a `Personal` holding a *kind*, never a bare value.

    An erased or withheld `Personal` passes (it holds nothing to check).  Its error
    names the field and the types involved, never the value.
    """

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and optional:
            return
        if not isinstance(value, Personal):
            raise InvalidValue(
                field=attribute.name,
                reason=f"must be wrapped in Personal, not a bare {type(value).__name__}",
            )
        if not value.is_available:  # erased, or read without keys: nothing to check
            return
        inner = value.reveal()
        if not isinstance(inner, kind) or (kind is date and isinstance(inner, datetime)):
            raise InvalidValue(
                field=attribute.name,
                reason=f"must hold a {kind.__name__}, not a {type(inner).__name__}",
            )

    return check


def _check_scheme(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    IDENTITY_SCHEME.check(value, field=attribute.name)


def _non_empty(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(field=attribute.name, reason="must be a non-empty string")


def _wrap(value: Any) -> Any:
    return value if value is None or isinstance(value, Personal) else Personal(value)


@attrs.frozen(kw_only=True)
class Person:
    """A natural person: an applicant, a representative or an organisation's contact.

    Every field that identifies the person is `Personal`, so ``repr(person)`` shows
    `MASK` in their place.  Build one from plain values with `Person.of`, which also
    checks what the fields hold (`check_party`); the constructor checks their types
    only, so that a person recorded in an application's history always reads back.

    Attributes:
        identity_number: The number on the person's identity document.
        identity_scheme: Which numbering scheme it follows, e.g. ``id-nik``, ``kr-rrn``;
            `IdentityValidators` checks the number against it.
        name: The full name, as on the identity document.
        phone: A phone number, if given.
        email: An e-mail address, if given.
        address: A postal address, if given.
        birth_date: The date of birth, if given.
    """

    identity_number: Personal[str] = attrs.field(validator=_personal_of(str, optional=False))
    identity_scheme: str = attrs.field(validator=_check_scheme)
    name: Personal[str] = attrs.field(validator=_personal_of(str, optional=False))
    phone: Personal[str] | None = attrs.field(
        default=None, validator=_personal_of(str, optional=True)
    )
    email: Personal[str] | None = attrs.field(
        default=None, validator=_personal_of(str, optional=True)
    )
    address: Personal[str] | None = attrs.field(
        default=None, validator=_personal_of(str, optional=True)
    )
    birth_date: Personal[date] | None = attrs.field(
        default=None, validator=_personal_of(date, optional=True)
    )

    @classmethod
    def of(
        cls,
        *,
        identity_number: str | Personal[str],
        identity_scheme: str,
        name: str | Personal[str],
        phone: str | Personal[str] | None = None,
        email: str | Personal[str] | None = None,
        address: str | Personal[str] | None = None,
        birth_date: date | Personal[date] | None = None,
    ) -> Person:
        """Build a person from plain values, wrapping each personal one in `Personal`.

        >>> ani = Person.of(identity_number="3171015708450001", identity_scheme="id-nik", name="A")
        >>> ani
        Person(identity_number=<personal data>, identity_scheme='id-nik', name=<personal data>, ...)
        >>> ani.name.reveal()
        'A'

        The phone number must be in international form and is kept in E.164 form
        (``+62 812-3456-7890`` becomes ``+6281234567890``); the e-mail address is
        normalised as `onestop.domain.common.contacts.normalise_email` says.

        Raises:
            onestop.exceptions.InvalidValue: If a value has the wrong type, the scheme
                is not a scheme code, or a value breaks a rule of `check_party` (the
                first found); the message never quotes a personal value.
        """
        person = cls(
            identity_number=_wrap(identity_number),
            identity_scheme=identity_scheme,
            name=_wrap(name),
            phone=_wrap(phone),
            email=_wrap(email),
            address=_wrap(address),
            birth_date=_wrap(birth_date),
        )
        checked, problems = check_party(person)
        if problems:
            field, reason = problems[0]
            raise InvalidValue(field=field, reason=reason)
        return checked


def _optional_person(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Person):
        raise InvalidValue(
            field=attribute.name, reason=f"must be a Person or None, not {type(value).__name__}"
        )


def _person(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Person):
        raise InvalidValue(
            field=attribute.name, reason=f"must be a Person, not {type(value).__name__}"
        )


def _is_day(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _optional_day(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not _is_day(value):
        raise InvalidValue(
            field=attribute.name, reason=f"expected a date or None, not {kind_of(value)}"
        )


@attrs.frozen(kw_only=True)
class Organisation:
    """A company, foundation or other body applying through its contact person.

    Its business number and name are public registry data, not personal data.  A sole
    trader's business number can identify a person: apply as a `Person` then.

    Attributes:
        business_number: The registry number, e.g. an Indonesian NIB or a company NPWP.
        name: The registered name.
        contact_person: Who acts for it, if known.
    """

    business_number: str = attrs.field(validator=_non_empty)
    name: str = attrs.field(validator=_non_empty)
    contact_person: Person | None = attrs.field(default=None, validator=_optional_person)


@attrs.frozen(kw_only=True)
class Representative:
    """A person acting for an applicant under a power of attorney (surat kuasa).

    Attributes:
        person: Who acts.
        authorisation: A reference to the power of attorney: a document id or the
            hash of the scanned document, never its content.
        valid_until: The last day it is valid, or ``None`` when it does not expire.
    """

    person: Person = attrs.field(validator=_person)
    authorisation: str = attrs.field(validator=_non_empty)
    valid_until: date | None = attrs.field(default=None, validator=_optional_day)

    def is_valid_on(self, day: date, /) -> bool:
        """Return whether the authorisation still holds on *day*.

        Raises:
            InvalidValue: If *day* is not a `date` (a `datetime` is not one: compare
                its ``.date()`` in the time zone that matters).
        """
        if not _is_day(day):
            raise InvalidValue(field="day", reason=f"expected a date, not {kind_of(day)}")
        return self.valid_until is None or day <= self.valid_until


Applicant: TypeAlias = Person | Organisation
"""Whoever an application is for, which is a natural person or an organisation."""

_Problems: TypeAlias = list[tuple[str, str]]


@overload
def check_party(party: Person, /) -> tuple[Person, _Problems]: ...
@overload
def check_party(party: Organisation, /) -> tuple[Organisation, _Problems]: ...
@overload
def check_party(party: Representative, /) -> tuple[Representative, _Problems]: ...
def check_party(
    party: Person | Organisation | Representative, /
) -> tuple[Person | Organisation | Representative, _Problems]:
    """Check what a party's fields hold, beyond their types; normalise phone and e-mail.

    A name is text of at most `onestop.domain.common.formats.MAX_NAME` characters on one line
    (no NUL, no control character, no lone surrogate); an address at most `MAX_ADDRESS`
    characters, line breaks allowed; a phone number valid in international form (kept
    in E.164); an e-mail address of valid syntax; a business number and an
    authorisation reference one line of text.  A representative's person and an
    organisation's contact person are checked too.

    Returns:
        The party with its phone number and e-mail address normalised, and
        ``(field, reason)`` for every problem (``contact_person.phone``); the reasons
        never quote a value.

    Raises:
        InvalidValue: If *party* is not a `Person`, an `Organisation` or a
            `Representative` (a representative's person, an organisation's contact
            person, not a `Person`).
    """
    check_type(party, (Person, Organisation, Representative), field="party")
    problems: _Problems = []
    if isinstance(party, Representative):
        person, found = check_party(party.person)
        problems += [(f"person.{field}", reason) for field, reason in found]
        _text(problems, "authorisation", party.authorisation, _MAX_REFERENCE)
        return attrs.evolve(party, person=person), problems
    if isinstance(party, Organisation):
        _text(problems, "name", party.name, MAX_NAME)
        _text(problems, "business_number", party.business_number, _MAX_NUMBER)
        if party.contact_person is None:
            return party, problems
        person, found = check_party(party.contact_person)
        problems += [(f"contact_person.{field}", reason) for field, reason in found]
        return attrs.evolve(party, contact_person=person), problems
    _text(problems, "name", party.name.reveal(), MAX_NAME)
    if party.address is not None:
        _text(problems, "address", party.address.reveal(), MAX_ADDRESS, multiline=True)
    changes: dict[str, Any] = {}
    for field, normalise in (("phone", normalise_phone), ("email", normalise_email)):
        held: Personal[str] | None = getattr(party, field)
        if held is None:
            continue
        kept, reason = normalise(held.reveal())
        if kept is None:
            what = "phone number" if field == "phone" else "e-mail address"
            problems.append((field, f"the {what} {reason}"))
        elif kept != held.reveal():
            changes[field] = Personal(kept)
    return (attrs.evolve(party, **changes) if changes else party), problems


def _text(
    problems: _Problems,
    field: str,
    value: object,
    limit: int,
    *,
    multiline: bool = False,
) -> None:
    reason = text_problem(value, max_length=limit, multiline=multiline)
    if reason is not None:
        problems.append((field, reason))


def personal_fields(obj: object, /) -> list[str]:
    """List the paths of the `Personal` values inside *obj*, in field order.

    Paths follow attributes, mapping keys and list positions, e.g. ``name`` or
    ``contact_person.identity_number``; the empty path is *obj* itself.  Fields that
    could hold personal data but are ``None`` are not listed: transports use this to
    strip what is there, and tests to find every canary.  Any depth of nesting is
    walked (without recursion), and a value that contains itself is walked once; a
    mapping key shows as `onestop.domain.common.formats.preview` gives it (shortened if long).

    >>> personal_fields(Person.of(identity_number="1", identity_scheme="id-nik", name="Ani"))
    ['identity_number', 'name']
    """
    found: list[str] = []
    # Depth first, in field order: each entry is a value and its path, or an _Exit that
    # takes a container off the path of containers being walked (to stop at cycles).
    todo: list[tuple[object, str] | _Exit] = [(obj, "")]
    active: set[int] = set()
    while todo:
        item = todo.pop()
        if isinstance(item, _Exit):
            active.discard(item.ident)
            continue
        value, path = item
        if isinstance(value, Personal):
            found.append(path)
            continue
        children = _children(value, path)
        if not children or id(value) in active:
            continue
        active.add(id(value))
        todo.append(_Exit(id(value)))
        todo.extend(reversed(children))
    return found


@attrs.frozen
class _Exit:
    """Marks, on `personal_fields`' stack, where the walk leaves a container."""

    ident: int


def _join(path: str, segment: str) -> str:
    return f"{path}.{segment}" if path else segment


def _children(obj: object, path: str) -> list[tuple[object, str]]:
    """The values directly inside *obj*, with their paths, in order."""
    cls = type(obj)
    if attrs.has(cls):
        return [(getattr(obj, f.name), _join(path, f.name)) for f in attrs.fields(cls)]
    if isinstance(obj, Mapping):
        return [(value, f"{path}[{preview(key)}]") for key, value in obj.items()]
    if isinstance(obj, list | tuple | frozenset | set):
        return [(item, f"{path}[{index}]") for index, item in enumerate(obj)]
    return []


class IdentityValidator(Protocol):
    """Checks numbers of one identity numbering scheme.

    Implement it for a scheme onestop does not know and register it with
    `IdentityValidators.with_validator`.  A problem must describe the rule broken
    without quoting the number or any part of it: problems end up in error messages.
    """

    @property
    def scheme(self) -> str:
        """The scheme's code, e.g. ``id-nik``."""
        ...

    def validate(self, number: str, /) -> list[str]:
        """Return every problem with *number*'s format; an empty list when it is fine."""
        ...


def _frozen_mapping(
    validators: Mapping[str, IdentityValidator],
) -> Mapping[str, IdentityValidator]:
    return MappingProxyType(dict(validators))


@attrs.frozen(eq=False)
class IdentityValidators:
    """An immutable registry of identity validators, one per scheme.

    >>> IdentityValidators().with_validator(IndonesianNIK()).schemes
    ('id-nik',)
    """

    _by_scheme: Mapping[str, IdentityValidator] = attrs.field(
        factory=dict, converter=_frozen_mapping, alias="by_scheme"
    )

    @property
    def schemes(self) -> tuple[str, ...]:
        """The schemes that have a validator, sorted."""
        return tuple(sorted(self._by_scheme))

    def with_validator(self, validator: IdentityValidator, /) -> IdentityValidators:
        """Return a registry with *validator* added, replacing any for its scheme."""
        return IdentityValidators(by_scheme={**self._by_scheme, validator.scheme: validator})

    def problems(self, scheme: str, number: str | Personal[str], /) -> list[str]:
        """Return every problem with *number* under *scheme*; empty when it is fine.

        The problems never contain the number, even when a validator quotes it.

        Raises:
            onestop.exceptions.UnknownIdentityScheme: If no validator has *scheme*.
        """
        given: object = scheme
        validator = self._by_scheme.get(scheme) if isinstance(given, str) else None
        if validator is None:
            shown = given if isinstance(given, str) else preview(given)  # quoted once, by it
            raise UnknownIdentityScheme(shown, known=self.schemes)
        text: object = number.reveal() if isinstance(number, Personal) else number
        if not isinstance(text, str):
            return [f"expected the number as text, not {kind_of(text)}"]
        return [_scrub(problem, text) for problem in validator.validate(text)]

    def validate(self, scheme: str, number: str | Personal[str], /) -> None:
        """Check *number* under *scheme*.

        Raises:
            onestop.exceptions.InvalidIdentityNumber: Listing every problem; its message
                never contains the number.
            onestop.exceptions.UnknownIdentityScheme: If no validator has *scheme*.
        """
        problems = self.problems(scheme, number)
        if problems:
            raise InvalidIdentityNumber(scheme=scheme, problems=problems)

    def validate_person(self, person: Person, /) -> None:
        """Check *person*'s identity number against its scheme (see `validate`).

        Raises:
            InvalidValue: If *person* is not a `Person`.
        """
        check_type(person, Person, field="person")
        self.validate(person.identity_scheme, person.identity_number)


def _scrub(problem: str, number: str) -> str:
    """Mask *number*, and its digits run together, wherever a validator quoted them."""
    digits = "".join(c for c in number if c.isdigit())
    for secret in sorted({number.strip(), digits}, key=len, reverse=True):
        if len(secret) >= 4:
            problem = problem.replace(secret, MASK)
    return problem


def default_validators() -> IdentityValidators:
    """Return a registry with the validators onestop ships: `IndonesianNIK`, `KoreanRRN`."""
    return IdentityValidators().with_validator(IndonesianNIK()).with_validator(KoreanRRN())
