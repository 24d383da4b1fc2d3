"""Phone numbers and e-mail addresses: checked by well-kept libraries, kept in one form.

Neither is checked by a regular expression of ours.  Phone numbers go through
`phonenumbers` (Google's libphonenumber metadata, updated with each numbering plan
change) and e-mail addresses through `email-validator`, for their syntax only: no DNS
lookup, no network, nothing that would make the domain impure.

**Phone numbers** are kept in E.164 form (``+6281234567890``):

* Without a default region, a number must be international, starting with ``+`` and
  the country code (``+62 812-3456-7890``).
* With one (a form field's ``region = "ID"``), a national number is read as that
  country's (``0812-3456-7890`` is ``+6281234567890``); international ones are still
  accepted, from any country.
* The number must be valid for its country and type, as the library's metadata says
  (``is_valid_number``); a number of more than 15 digits never is.
* Before the library sees it, the text may hold only ASCII digits, spaces and
  ``+ - . ( )``: a line break, a letter (``1-800-FLOWERS``) or another script's digit is
  refused here, although the library would read them.  A form converts the digits of
  its own languages first (see `onestop.domain.applications.forms`).

**E-mail addresses** are kept as the library normalises them (the domain in lower
case and in Unicode, the local part as given, both in NFC).  Quoted local parts, IP
address literals and special-use domains (``.test``, ``.local``, ...) are refused.

Messages say what is wrong without quoting the number or the address: they are
personal data.

>>> normalise_phone("0812-3456-7890", region="ID")
('+6281234567890', None)
>>> normalise_phone("+1-800-FLOWERS")
(None, "may hold only digits 0-9, spaces and '+-.()', not letters or other characters")
>>> normalise_email("Ana@Example.COM")
('Ana@example.com', None)
"""

from __future__ import annotations

import email_validator
import phonenumbers

from onestop.domain.common.formats import text_problem
from onestop.exceptions import InvalidValue

__all__ = [
    "MAX_EMAIL",
    "MAX_PHONE",
    "check_email",
    "check_phone",
    "normalise_email",
    "normalise_phone",
    "region_problem",
]

MAX_PHONE = 40
"""The longest phone number text accepted, in characters, spaces and punctuation included."""
MAX_EMAIL = 254
"""The longest e-mail address, in characters (RFC 5321's limit on a path)."""

_PHONE_CHARACTERS = frozenset("0123456789 +-.()")
_PARSE_ERRORS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "has no valid country code; "
    "give it in international form, starting with + and the country code",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "is not a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "is too short",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "is too short",
    phonenumbers.NumberParseException.TOO_LONG: "is too long",
}


def region_problem(region: object) -> str | None:
    """Return why *region* is not a region the phone metadata knows (``ID``), or ``None``."""
    if isinstance(region, str) and region in phonenumbers.SUPPORTED_REGIONS:
        return None
    if not isinstance(region, str):
        return f"expected a region code as text, not {type(region).__name__}"
    shown = repr(region) if len(region) <= 8 else "it"
    return f"{shown} is not an ISO 3166 region code with a numbering plan, such as 'ID' or 'KH'"


def normalise_phone(value: object, *, region: str | None = None) -> tuple[str | None, str | None]:
    """Return ``(number in E.164, None)`` if *value* is a valid phone number, else ``(None, why)``.

    Args:
        value: The number as typed.
        region: The country a national number is read as (ISO 3166, ``ID``); without
            it only international numbers (``+62 ...``) are accepted.
    """
    reason = text_problem(value, max_length=MAX_PHONE)
    if reason is not None:
        return None, reason
    assert isinstance(value, str)  # noqa: S101 - text_problem proved it
    if not _PHONE_CHARACTERS.issuperset(value):
        return None, "may hold only digits 0-9, spaces and '+-.()', not letters or other characters"
    if region is None and not value.lstrip().startswith("+"):
        return None, "must be in international form, starting with + and the country code"
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        return None, _PARSE_ERRORS.get(exc.error_type, "is not a phone number")
    if not phonenumbers.is_valid_number(number):
        where = f"in region {region} or " if region else ""
        return None, f"is not a valid phone number {where}in international form"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def normalise_email(value: object) -> tuple[str | None, str | None]:
    """Return ``(normalised address, None)`` if *value*'s syntax is valid, else ``(None, why)``.

    Only the syntax is checked (``check_deliverability=False``): nothing is looked up.
    """
    reason = text_problem(value, max_length=MAX_EMAIL)
    if reason is not None:
        return None, reason
    assert isinstance(value, str)  # noqa: S101 - text_problem proved it
    try:
        checked = email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return None, "is not a valid e-mail address"
    return checked.normalized, None


def check_phone(value: object, *, field: str, region: str | None = None) -> str:
    """Return *value* in E.164 form; see `normalise_phone`.

    Raises:
        InvalidValue: Naming *field* and what is wrong, never the number.
    """
    number, reason = normalise_phone(value, region=region)
    if number is None:
        raise InvalidValue(field=field, reason=reason or "is not a phone number")
    return number


def check_email(value: object, *, field: str) -> str:
    """Return *value* normalised; see `normalise_email`.

    Raises:
        InvalidValue: Naming *field* and what is wrong, never the address.
    """
    address, reason = normalise_email(value)
    if address is None:
        raise InvalidValue(field=field, reason=reason or "is not a valid e-mail address")
    return address
