"""Applicants, representatives and the personal data they carry.

A value that identifies a person (an identity number, a name, a phone number, an
address, a birth date) is wrapped in `Personal`.  Its ``repr()``, ``str()`` and
``format()`` never show the value, so it cannot leak by accident into a log line, an
exception message, a debugger's summary or an f-string; `Personal.reveal` is the only
way to the value, and a reader sees at once where personal data is used.

It is a guard against *accidents*, not encryption: the value sits in memory in
plain text, `pickle` and `Personal.reveal` give it back, and the storage adapters must
still encrypt it at rest.

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

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Generic, Protocol, TypeAlias, TypeVar, final

import attrs

from onestop.exceptions import InvalidIdentityNumber, InvalidValue, UnknownIdentityScheme

__all__ = [
    "MASK",
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
    "default_validators",
    "personal_fields",
]

T_co = TypeVar("T_co", covariant=True)
"""The type of the value a `Personal` holds."""

MASK = "<personal data>"
"""What `Personal` shows instead of its value, always, whatever the value."""


@final
class Personal(Generic[T_co]):
    """A value that identifies a person, masked wherever it could leak by accident.

    ``repr()``, ``str()`` and ``format()`` (so f-strings and ``%`` formatting too)
    give `MASK`, never the value or any part of it.  Two `Personal` values are equal,
    and hash alike, when the values they hold are, so domain objects that hold them
    compare as usual.  Copying and pickling keep the value.

    This stops accidental leaks through reprs, logs and error messages.  It is not
    encryption: the value is in memory in plain text, and a pickle holds it.

    Args:
        value: The personal value.
    """

    __slots__ = ("_value",)
    _value: T_co

    def __init__(self, value: T_co) -> None:
        object.__setattr__(self, "_value", value)

    def reveal(self) -> T_co:
        """Return the value.  Every use of personal data goes through this call."""
        return self._value

    def __repr__(self) -> str:
        """Return `MASK`."""
        return MASK

    def __str__(self) -> str:
        """Return `MASK`."""
        return MASK

    def __format__(self, format_spec: str) -> str:
        """Return `MASK`, whatever the format spec."""
        return MASK

    def __eq__(self, other: object) -> bool:
        """Compare the values held, if *other* is `Personal` too."""
        if isinstance(other, Personal):
            return bool(self._value == other._value)
        return NotImplemented

    def __hash__(self) -> int:
        """Hash the value held (so it must be hashable, as `str` and `date` are)."""
        return hash((Personal, self._value))

    def __setattr__(self, name: str, value: object) -> None:
        """Refuse: `Personal` is immutable."""
        raise attrs.exceptions.FrozenInstanceError

    def __delattr__(self, name: str) -> None:
        """Refuse: `Personal` is immutable."""
        raise attrs.exceptions.FrozenInstanceError

    def __reduce__(self) -> tuple[type[Personal[Any]], tuple[T_co]]:
        """Pickle and copy as ``Personal(value)``."""
        return (Personal, (self._value,))


_Validator: TypeAlias = Callable[[object, "attrs.Attribute[Any]", object], None]


def _personal_of(kind: type, *, optional: bool) -> _Validator:
    """Build an attrs validator: a `Personal` holding a *kind*, never a bare value.

    Its error names the field and the types involved, never the value.
    """

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and optional:
            return
        if not isinstance(value, Personal):
            raise InvalidValue(
                field=attribute.name,
                reason=f"must be wrapped in Personal, not a bare {type(value).__name__}",
            )
        inner = value.reveal()
        if not isinstance(inner, kind) or (kind is date and isinstance(inner, datetime)):
            raise InvalidValue(
                field=attribute.name,
                reason=f"must hold a {kind.__name__}, not a {type(inner).__name__}",
            )

    return check


_SCHEME = re.compile(r"^[a-z]{2,8}-[a-z0-9-]{1,24}$")


def _check_scheme(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not _SCHEME.match(value):
        raise InvalidValue(
            field=attribute.name,
            reason=f"{value!r} is not a scheme code such as 'id-nik' (country, hyphen, name)",
        )


def _non_empty(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(field=attribute.name, reason="must be a non-empty string")


def _wrap(value: Any) -> Any:
    return value if value is None or isinstance(value, Personal) else Personal(value)


@attrs.frozen(kw_only=True)
class Person:
    """A natural person: an applicant, a representative or an organisation's contact.

    Every field that identifies the person is `Personal`, so ``repr(person)`` shows
    `MASK` in their place.  Build one from plain values with `Person.of`.

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

        Raises:
            onestop.exceptions.InvalidValue: If a value has the wrong type or the scheme
                is not a scheme code; the message never quotes a personal value.
        """
        return cls(
            identity_number=_wrap(identity_number),
            identity_scheme=identity_scheme,
            name=_wrap(name),
            phone=_wrap(phone),
            email=_wrap(email),
            address=_wrap(address),
            birth_date=_wrap(birth_date),
        )


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
    valid_until: date | None = None

    def is_valid_on(self, day: date, /) -> bool:
        """Return whether the authorisation still holds on *day*."""
        return self.valid_until is None or day <= self.valid_until


Applicant: TypeAlias = Person | Organisation
"""Whoever an application is for, which is a natural person or an organisation."""


def personal_fields(obj: object, /) -> list[str]:
    """List the paths of the `Personal` values inside *obj*, in field order.

    Paths follow attributes, mapping keys and list positions, e.g. ``name`` or
    ``contact_person.identity_number``; the empty path is *obj* itself.  Fields that
    could hold personal data but are ``None`` are not listed: transports use this to
    strip what is there, and tests to find every canary.

    >>> personal_fields(Person.of(identity_number="1", identity_scheme="id-nik", name="Ani"))
    ['identity_number', 'name']
    """
    found: list[str] = []
    _walk(obj, "", found, set())
    return found


def _join(path: str, segment: str) -> str:
    return f"{path}.{segment}" if path else segment


def _walk(obj: object, path: str, found: list[str], active: set[int]) -> None:
    if isinstance(obj, Personal):
        found.append(path)
        return
    if id(obj) in active:
        return
    active.add(id(obj))
    try:
        cls = type(obj)
        if attrs.has(cls):
            for field in attrs.fields(cls):
                _walk(getattr(obj, field.name), _join(path, field.name), found, active)
        elif isinstance(obj, Mapping):
            for key, value in obj.items():
                _walk(value, f"{path}[{key!r}]", found, active)
        elif isinstance(obj, list | tuple | frozenset | set):
            for index, item in enumerate(obj):
                _walk(item, f"{path}[{index}]", found, active)
    finally:
        active.discard(id(obj))


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
        validator = self._by_scheme.get(scheme)
        if validator is None:
            raise UnknownIdentityScheme(scheme, known=self.schemes)
        text = number.reveal() if isinstance(number, Personal) else number
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
        """Check *person*'s identity number against its scheme (see `validate`)."""
        self.validate(person.identity_scheme, person.identity_number)


def _scrub(problem: str, number: str) -> str:
    """Mask *number*, and its digits run together, wherever a validator quoted them."""
    digits = "".join(c for c in number if c.isdigit())
    for secret in sorted({number.strip(), digits}, key=len, reverse=True):
        if len(secret) >= 4:
            problem = problem.replace(secret, MASK)
    return problem


NIK_PROVINCES: Mapping[str, str] = MappingProxyType(
    {
        "11": "Aceh",
        "12": "Sumatera Utara",
        "13": "Sumatera Barat",
        "14": "Riau",
        "15": "Jambi",
        "16": "Sumatera Selatan",
        "17": "Bengkulu",
        "18": "Lampung",
        "19": "Kepulauan Bangka Belitung",
        "21": "Kepulauan Riau",
        "31": "DKI Jakarta",
        "32": "Jawa Barat",
        "33": "Jawa Tengah",
        "34": "DI Yogyakarta",
        "35": "Jawa Timur",
        "36": "Banten",
        "51": "Bali",
        "52": "Nusa Tenggara Barat",
        "53": "Nusa Tenggara Timur",
        "61": "Kalimantan Barat",
        "62": "Kalimantan Tengah",
        "63": "Kalimantan Selatan",
        "64": "Kalimantan Timur",
        "65": "Kalimantan Utara",
        "71": "Sulawesi Utara",
        "72": "Sulawesi Tengah",
        "73": "Sulawesi Selatan",
        "74": "Sulawesi Tenggara",
        "75": "Gorontalo",
        "76": "Sulawesi Barat",
        "81": "Maluku",
        "82": "Maluku Utara",
        "91": "Papua",
        "92": "Papua Barat",
        "93": "Papua Selatan",
        "94": "Papua Tengah",
        "95": "Papua Pegunungan",
        "96": "Papua Barat Daya",
    }
)
"""The 38 province codes of the Ministry of Home Affairs (Kemendagri), which Dukcapil uses.

93-96 are the provinces created in 2022.  A NIK keeps the code of the place it was
first issued, so people living in those provinces may well hold a 91 or 92 NIK.
Statistics Indonesia (BPS) numbers the Papua provinces differently: do not mix the lists.
"""

_NIK = re.compile(r"^[0-9]{16}$")
_RRN = re.compile(r"^[0-9]{6}-?[0-9]{7}$")


def _birth_date_exists(day: int, month: int, years: Iterable[int]) -> bool:
    for year in years:
        try:
            date(year, month, day)
        except ValueError:
            continue
        return True
    return False


@attrs.frozen
class IndonesianNIK:
    """Format rules of Indonesia's Nomor Induk Kependudukan (``id-nik``).

    A NIK is 16 digits, ``PPKKCC DDMMYY SSSS``, printed without separators:

    * ``PP`` (digits 1-2): the province where it was first issued, one of `NIK_PROVINCES`;
    * ``KK`` (3-4): the regency (kabupaten, 01-69) or city (kota, 71-99), never 00;
    * ``CC`` (5-6): the district (kecamatan), never 00;
    * ``DD`` (7-8): day of birth, plus 40 for women (01-31 or 41-71);
    * ``MM`` (9-10): month of birth; ``YY`` (11-12): the year's last two digits.  The
      date must exist in 19YY or 20YY (so 29 February needs a leap year);
    * ``SSSS`` (13-16): a serial starting at 0001, never 0000.

    This checks the format only: a NIK has no check digit, so a well-formed number may
    never have been issued.  Only Dukcapil can say whether it belongs to someone.  The
    NIK also gives away the holder's sex and birth date: keep it `Personal`.
    Separators are refused; strip spaces and dots before validating.
    """

    @property
    def scheme(self) -> str:
        """``id-nik``."""
        return "id-nik"

    def validate(self, number: str, /) -> list[str]:
        """Return every rule *number* breaks; an empty list when its format is valid."""
        if not _NIK.match(number):
            return [f"must be exactly 16 digits 0-9 with no separators (got {len(number)} chars)"]
        problems: list[str] = []
        if number[0:2] not in NIK_PROVINCES:
            problems.append("digits 1-2 are not a province code in use")
        if number[2:4] == "00":
            problems.append("digits 3-4 (regency or city) must not be 00")
        if number[4:6] == "00":
            problems.append("digits 5-6 (district) must not be 00")
        day, month, year = int(number[6:8]), int(number[8:10]), int(number[10:12])
        day = day - 40 if day > 40 else day
        if not 1 <= day <= 31:
            problems.append("digits 7-8 (day of birth, plus 40 for women) must be 01-31 or 41-71")
        elif not 1 <= month <= 12:
            problems.append("digits 9-10 (month of birth) must be 01-12")
        elif not _birth_date_exists(day, month, (1900 + year, 2000 + year)):
            problems.append("digits 7-12 are not a birth date that exists in 19YY or 20YY")
        if number[12:16] == "0000":
            problems.append("digits 13-16 (serial) must not be 0000")
        return problems


# The 7th digit of a Korean RRN gives the century of birth (and sex, and for 5-8,
# registration as a foreign resident).
_RRN_CENTURY = {"9": 1800, "0": 1800, "1": 1900, "2": 1900, "5": 1900, "6": 1900}


@attrs.frozen
class KoreanRRN:
    """Format rules of the Republic of Korea's resident registration number (``kr-rrn``).

    An RRN is 13 digits, written ``YYMMDD-SXXXXXX`` (the hyphen is optional here):

    * ``YYMMDD``: the date of birth;
    * ``S`` (digit 7): sex and century: 9, 0 for 1800s births; 1, 2 (citizens) and 5, 6
      (foreign residents) for the 1900s; 3, 4, 7, 8 for the 2000s.  The date must exist
      in that century;
    * ``XXXXXX``: six more digits.

    Numbers issued before October 2020 end in a check digit; since then the last six
    digits are random, and people can be issued a new number, so the check digit is
    not verified.  This checks the format only.  Korea's Personal Information
    Protection Act restricts collecting RRNs at all: ask whether you need one.
    """

    @property
    def scheme(self) -> str:
        """``kr-rrn``."""
        return "kr-rrn"

    def validate(self, number: str, /) -> list[str]:
        """Return every rule *number* breaks; an empty list when its format is valid."""
        if not _RRN.match(number):
            return [
                f"must be 13 digits 0-9, hyphen after the sixth optional (got {len(number)} chars)"
            ]
        digits = number.replace("-", "")
        century = _RRN_CENTURY.get(digits[6], 2000)
        year, month, day = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
        if not _birth_date_exists(day, month, (century + year,)):
            return ["digits 1-6 are not a birth date that exists in the century digit 7 gives"]
        return []


def default_validators() -> IdentityValidators:
    """Return a registry with the validators onestop ships: `IndonesianNIK`, `KoreanRRN`."""
    return IdentityValidators().with_validator(IndonesianNIK()).with_validator(KoreanRRN())
