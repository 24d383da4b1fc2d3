"""How to reach an agency, and where to read a law: checked by kind when they are made.

A catalogue's contacts and legal URIs are exported to other systems (Open311,
CPSV-AP) and shown to applicants as links, so each is checked when it is made: a
website or a law's URI is an absolute ``https`` or ``http`` URL, never ``javascript:``
or ``file:`` (`url_problem`); an e-mail address is one address
with no line break, and an international phone number a valid one, both as
`onestop.domain.common.contacts` checks them (``email-validator`` and ``phonenumbers``, the
DNS never asked); a national or short number (``112``) is ASCII digits; a postal
address is text.  `onestop.domain.catalogue.model` exports these names too.

>>> ContactPoint(kind=ContactKind.WEBSITE, value="https://jakarta.go.id").value
'https://jakarta.go.id'
>>> ContactPoint(kind=ContactKind.WEBSITE, value="file:///etc/passwd")
Traceback (most recent call last):
  ...
onestop.exceptions.InvalidValue: value: must be an absolute https or http URL, not a 'file:' one
"""

from __future__ import annotations

import enum
import re
import unicodedata

import attrs

from onestop.domain.common.contacts import normalise_email, normalise_phone
from onestop.domain.common.formats import kind_of, preview, text_problem
from onestop.domain.common.kinds import typed_fields
from onestop.domain.common.text import LocalizedText
from onestop.exceptions import InvalidValue

__all__ = [
    "MAX_ADDRESS",
    "MAX_URL",
    "ContactKind",
    "ContactPoint",
    "LegalResource",
    "check_uri",
    "url_problem",
]


class ContactKind(enum.Enum):
    """How to reach an agency."""

    PHONE = "phone"
    EMAIL = "email"
    WEBSITE = "website"
    ADDRESS = "address"


MAX_URL = 2048
"""The longest URL (a website, a law's URI), in characters."""

_URL_SCHEMES = ("https", "http")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]")


def url_problem(value: object) -> str | None:
    """Return why *value* is not a web address a catalogue may publish, or ``None``.

    A URL is absolute, ``https`` or ``http`` (never ``javascript:``, ``data:`` or
    ``file:``), names a host in ASCII (an international domain name in punycode, so
    that no look-alike letter can pose as another host), carries no user name or
    password, and holds no white space, control or invisible formatting character (at
    most `MAX_URL` characters).  Its path may hold other scripts' letters, as an IRI:
    ``https://www.law.go.kr/법령/여권법``.

    >>> url_problem("https://dpmptsp.jakarta.go.id/layanan")
    >>> url_problem("javascript:alert(1)")
    "must be an absolute https or http URL, not a 'javascript:' one"
    """
    if not isinstance(value, str):
        return f"expected a URL as text, not {kind_of(value)}"
    found = text_problem(value, max_length=MAX_URL)
    if found is not None:
        return found
    for index, char in enumerate(value):
        if char.isspace() or unicodedata.category(char) == "Cf":
            name = f"U+{ord(char):04X} {unicodedata.name(char, '')}".rstrip()
            what = "white space" if char.isspace() else f"an invisible {name}"
            return f"has {what} at position {index + 1}"
    scheme, colon, rest = value.partition(":")
    if not colon or scheme.lower() not in _URL_SCHEMES:
        shown = f"a {preview(scheme.lower() + ':')} one" if colon else "a relative one"
        return f"must be an absolute https or http URL, not {shown}"
    if not rest.startswith("//"):
        return "must name a host after '//'"
    authority = re.split(r"[/?#]", rest[2:], maxsplit=1)[0]
    if "@" in authority:
        return "must not carry a user name or password"
    host, _, port = (
        authority.rpartition(":") if not authority.endswith("]") else (authority, "", "")
    )
    if not host and not port.isdigit():
        host, port = port, ""
    if not host or host.startswith(".") or ".." in host:
        return "must name a host after '//'"
    if not host.isascii():
        return "names a host with non-ASCII letters; write it in punycode (xn--...)"
    if not _HOST.fullmatch(host):
        return "names a host that is not a domain name or an IP address"
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        return "has a port that is not a number from 1 to 65535"
    return None


MAX_ADDRESS = 500
"""The longest postal address a contact may give, in characters."""

_SHORT_NUMBER = re.compile(r"[0-9(][0-9 ().-]*[0-9]", re.ASCII)


def _phone_problem(value: object) -> str | None:
    """An international number as `onestop.domain.common.contacts.normalise_phone` checks it, or
    a national or short one (``112``, ``(021) 3822968``) of 3 to 15 ASCII digits."""
    if isinstance(value, str) and not value.startswith("+"):
        reason = text_problem(value, max_length=40)
        if reason is None and not (
            _SHORT_NUMBER.fullmatch(value) and 3 <= sum(c.isdigit() for c in value) <= 15
        ):
            reason = "is not a national number: 3 to 15 digits 0-9, spaces and '-.()'"
        return reason
    return normalise_phone(value)[1]


def _address_problem(value: object) -> str | None:
    return text_problem(value, max_length=MAX_ADDRESS, multiline=True)


_CONTACT_CHECKS = {
    ContactKind.PHONE: _phone_problem,
    ContactKind.EMAIL: lambda value: normalise_email(value)[1],
    ContactKind.WEBSITE: url_problem,
    ContactKind.ADDRESS: _address_problem,
}


def _check_contact(instance: ContactPoint, _: attrs.Attribute[str], value: object) -> None:
    reason = _CONTACT_CHECKS.get(instance.kind, _address_problem)(value)
    if reason is not None:
        raise InvalidValue(field="value", reason=reason)


def check_uri(_: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    """An attrs validator: ``None``, or a URL `url_problem` accepts."""
    reason = None if value is None else url_problem(value)
    if reason is not None:
        raise InvalidValue(field=attribute.name, reason=reason)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class ContactPoint:
    """One way to reach an agency, checked by its kind when it is made.

    Contacts are exported (Open311, CPSV-AP) and shown as links, so nothing else passes:
    no ``javascript:`` link, no line break in an e-mail address.

    Attributes:
        kind: A phone number, an e-mail address, a website or a postal address.
        value: An international phone number that is valid for its country, or a
            national or short one (``112``); an e-mail address, its syntax checked by
            ``email-validator`` (`onestop.domain.common.contacts`); a website, an absolute
            https or http URL (`url_problem`); or a postal
            address, text of at most `MAX_ADDRESS` characters, lines allowed.
        label: What the contact is for, in several languages.

    Raises:
        onestop.exceptions.InvalidValue: If *value* is not of its *kind*.
    """

    kind: ContactKind
    value: str = attrs.field(validator=_check_contact)
    label: LocalizedText | None = None


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class LegalResource:
    """A law or regulation a service rests on (CPSV-AP's LegalResource; ELI where known).

    Attributes:
        code: A stable code, unique in the catalogue.
        title: The law's title.
        uri: Where to read it: an absolute https or http URL
            (`url_problem`), checked when it is made.
    """

    code: str
    title: LocalizedText
    uri: str | None = attrs.field(default=None, validator=check_uri)
