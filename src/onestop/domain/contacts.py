"""How to reach an agency, and where to read a law: checked when they are made.

A catalogue's contacts and legal URIs are exported to other systems (Open311,
CPSV-AP) and shown to applicants as links, so each is checked by its kind when it is
made: a website or a law's URI is an absolute ``https`` or ``http`` URL (never
``javascript:`` or ``file:``), an e-mail address is one address with no line break
(the syntax checked by ``email-validator``, the DNS never asked), a phone number is
digits in a national or a possible international form (``phonenumbers``), and a
postal address is text.  The checks themselves are `onestop.domain.formats`'
`url_problem`, `email_problem` and `phone_problem`.

>>> ContactPoint(kind=ContactKind.WEBSITE, value="https://jakarta.go.id").value
'https://jakarta.go.id'
>>> ContactPoint(kind=ContactKind.EMAIL, value="ptsp@jakarta.go.id\\r\\nBcc: x@y.id")
Traceback (most recent call last):
  ...
onestop.exceptions.InvalidValue: value: has a line break at position 19
"""

from __future__ import annotations

import enum

import attrs

from onestop.domain.formats import email_problem, phone_problem, text_problem, url_problem
from onestop.domain.text import LocalizedText
from onestop.exceptions import InvalidValue

__all__ = ["MAX_ADDRESS", "ContactKind", "ContactPoint", "LegalResource", "check_uri"]


class ContactKind(enum.Enum):
    """How to reach an agency."""

    PHONE = "phone"
    EMAIL = "email"
    WEBSITE = "website"
    ADDRESS = "address"


MAX_ADDRESS = 500
"""The longest postal address a contact may give, in characters."""


def _address_problem(value: object) -> str | None:
    return text_problem(value, max_length=MAX_ADDRESS, multiline=True)


_CONTACT_CHECKS = {
    ContactKind.PHONE: phone_problem,
    ContactKind.EMAIL: email_problem,
    ContactKind.WEBSITE: url_problem,
    ContactKind.ADDRESS: _address_problem,
}


def _check_contact(instance: ContactPoint, _: attrs.Attribute[str], value: object) -> None:
    reason = _CONTACT_CHECKS.get(instance.kind, _address_problem)(value)
    if reason is not None:
        raise InvalidValue(field="value", reason=reason)


def check_uri(_: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    """An attrs validator: ``None``, or a URL `onestop.domain.formats.url_problem` accepts."""
    reason = None if value is None else url_problem(value)
    if reason is not None:
        raise InvalidValue(field=attribute.name, reason=reason)


@attrs.frozen(kw_only=True)
class ContactPoint:
    """One way to reach an agency, checked when it is made.

    Attributes:
        kind: A phone number, an e-mail address, a website or a postal address.
        value: The number (`onestop.domain.formats.phone_problem`), the address
            (`email_problem`, syntax only), the website (`url_problem`: https or
            http, absolute) or the postal address (text of at most `MAX_ADDRESS`
            characters, lines allowed).  Nothing else passes: no ``javascript:``
            link, no line break in an e-mail address.
        label: What the contact is for, in several languages.

    Raises:
        onestop.exceptions.InvalidValue: If *value* is not of its *kind*.
    """

    kind: ContactKind
    value: str = attrs.field(validator=_check_contact)
    label: LocalizedText | None = None


@attrs.frozen(kw_only=True)
class LegalResource:
    """A law or regulation a service rests on (CPSV-AP's LegalResource; ELI where known).

    Attributes:
        code: A stable code, unique in the catalogue.
        title: The law's title.
        uri: Where to read it: an absolute https or http URL
            (`onestop.domain.formats.url_problem`), checked when it is made.
    """

    code: str
    title: LocalizedText
    uri: str | None = attrs.field(default=None, validator=check_uri)
