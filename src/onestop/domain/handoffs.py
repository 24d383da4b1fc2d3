"""The parts of a custody handoff: parties, places, sealed packets and confirmations.

These are plain values; `onestop.domain.custody` records them in a packet's ledger.
They hold ids, never personal data: a `Party` is named by kind and id, a `Place` by a
public label, a `Packet` by its seal and the hashes of its documents.  The one value
that may hold something secret, a citizen's one-time code in a `Confirmation`, keeps
it out of its repr and never reaches the ledger (`Confirmed` keeps a digest instead).

>>> courier = Party(PartyKind.COURIER, "c-17")
>>> Confirmation.by_pin(courier, "pin-check-2291")
Confirmation(party=Party(kind=<PartyKind.COURIER: 'courier'>, id='c-17'), method=..., ...)
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import attrs

from onestop.domain.calendar import require_aware
from onestop.domain.canonical import canonical_bytes
from onestop.domain.otp import OneTimeCode
from onestop.exceptions import InvalidPacket, InvalidValue

__all__ = [
    "Confirmation",
    "ConfirmationMethod",
    "Confirmed",
    "Handoff",
    "ManifestItem",
    "Packet",
    "Party",
    "PartyKind",
    "Place",
]

_ID = re.compile(r"^[\x21-\x7e]{1,128}$")
_SEAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_PURPOSE = re.compile(r"^[a-z0-9_.-]{0,64}$")


def _identifier(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not _ID.match(value):
        raise InvalidValue(field=attribute.name, reason="must be 1-128 printable ASCII characters")


def _sha256(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not _HEX64.match(value):
        raise InvalidValue(field=attribute.name, reason="must be a SHA-256: 64 hex digits")


def _purpose(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not _PURPOSE.match(value):
        raise InvalidValue(field=attribute.name, reason="must be a short code: a-z, 0-9, '_.-'")


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _aware(_: object, attribute: attrs.Attribute[datetime], value: object) -> None:
    require_aware(value, attribute.name)


class PartyKind(enum.Enum):
    """Who can hold a packet."""

    OFFICER = "officer"
    """A counter or back-office officer of the mall or an agency."""
    COURIER = "courier"
    """A courier (AJIB officer) carrying packets between the citizen and the offices."""
    CITIZEN = "citizen"
    """The applicant, or whoever the applicant sent, at the door."""
    AGENCY_DESK = "agency_desk"
    """An agency's receiving desk, accountable as a unit."""


@attrs.frozen
class Party:
    """One side of a transfer, by kind and id.

    The id is an account or staff id, never a name or an identity number; for a
    citizen use a pseudonymous id (the applicant's account id).  Messages and exports
    show a citizen as ``citizen`` only.

    Attributes:
        kind: What kind of party.
        id: Its id within its kind.
    """

    kind: PartyKind = attrs.field(validator=attrs.validators.instance_of(PartyKind))
    id: str = attrs.field(validator=_identifier)

    @property
    def shown(self) -> str:
        """How errors and reports name the party, as in ``courier:c-17`` or ``citizen``."""
        return "citizen" if self.kind is PartyKind.CITIZEN else f"{self.kind.value}:{self.id}"


def _coordinate(value: object) -> Decimal | None:
    if value is None:
        return None
    number: Decimal | None = None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            number = Decimal(str(value).strip())
        except ArithmeticError:
            number = None
    if number is None or not number.is_finite():
        raise InvalidValue(field="coordinate", reason="must be a finite number of degrees")
    return number


def _label(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise InvalidValue(field=attribute.name, reason="must be 1-200 characters")


@attrs.frozen
class Place:
    """Where a transfer happened: a label, and coordinates for public places.

    The ledger keeps places for good: never put a citizen's address or the
    coordinates of a home in one.  Use `Place.applicant_address` at the door; the
    address itself stays on the courier job, as personal data.

    Attributes:
        label: A short public name (``MPP Jakarta, counter 12``).
        lat: Latitude in degrees, if known.
        lon: Longitude in degrees, if known.
    """

    label: str = attrs.field(validator=_label)
    lat: Decimal | None = attrs.field(default=None, converter=_coordinate)
    lon: Decimal | None = attrs.field(default=None, converter=_coordinate)

    def __attrs_post_init__(self) -> None:
        """Check that both coordinates or neither are given, and their ranges."""
        if (self.lat is None) != (self.lon is None):
            raise InvalidValue(field="lat", reason="give both lat and lon, or neither")
        if self.lat is not None and not (-90 <= self.lat <= 90):
            raise InvalidValue(field="lat", reason="must be from -90 to 90")
        if self.lon is not None and not (-180 <= self.lon <= 180):
            raise InvalidValue(field="lon", reason="must be from -180 to 180")

    @classmethod
    def applicant_address(cls) -> Place:
        """The applicant's address, named but never spelled out."""
        return cls("applicant's address")


@attrs.frozen
class ManifestItem:
    """One document in a packet, by reference and fingerprint.

    Attributes:
        document: A reference to the document (a requirement code, a document id).
        sha256: The SHA-256 of its scan, in hex (stored in lower case).
    """

    document: str = attrs.field(validator=_identifier)
    sha256: str = attrs.field(converter=_lower)


def _manifest(value: Iterable[ManifestItem]) -> tuple[ManifestItem, ...]:
    return tuple(value)


@attrs.frozen
class Packet:
    """A sealed packet of documents: the seal's id and what the packet must contain.

    >>> item = ManifestItem("ktp", "ab" * 32)
    >>> Packet("S-1", (item,), 2)
    Traceback (most recent call last):
    ...
    onestop.exceptions.InvalidPacket: packet 'S-1' is invalid: item_count is 2 but ...

    Attributes:
        seal_id: The id printed on the tamper-evident seal (letters, digits, ``.-_``).
        manifest: The documents inside, with their hashes.
        item_count: How many items the sealer counted; must equal the manifest's length.

    Raises:
        onestop.exceptions.InvalidPacket: Listing every problem found.
    """

    seal_id: str
    manifest: tuple[ManifestItem, ...] = attrs.field(converter=_manifest)
    item_count: int

    def __attrs_post_init__(self) -> None:
        """Check the seal id, the count and every hash."""
        problems = []
        given: object = self.seal_id
        seal_id = given if isinstance(given, str) else ""
        if not _SEAL.match(seal_id):
            problems.append("seal_id must be 1-64 letters, digits, '.', '-' or '_'")
        if not self.manifest:
            problems.append("the manifest is empty")
        if self.item_count != len(self.manifest):
            problems.append(
                f"item_count is {self.item_count} but the manifest lists {len(self.manifest)}"
            )
        items: tuple[object, ...] = self.manifest
        for index, item in enumerate(items):
            if not isinstance(item, ManifestItem) or not _HEX64.match(str(item.sha256)):
                problems.append(f"manifest[{index}] is not a document with a 64-hex-digit SHA-256")
        if problems:
            raise InvalidPacket(seal_id=seal_id or "?", problems=problems)

    @property
    def digest(self) -> str:
        """The SHA-256 of the manifest's canonical encoding (one fingerprint for the contents)."""
        return hashlib.sha256(canonical_bytes(self.manifest)).hexdigest()


class ConfirmationMethod(enum.Enum):
    """How a party confirmed a transfer."""

    PIN = "pin"
    """Staff typed their PIN; the host verified it and passes the credential's id."""
    CREDENTIAL = "credential"
    """Staff presented a credential (badge, signed token); the host verified it."""
    ONE_TIME_CODE = "one_time_code"
    """A citizen gave the one-time code issued for this handoff (see `onestop.domain.otp`)."""


@attrs.frozen(kw_only=True)
class Confirmation:
    """One party's confirmation of a transfer, as the host hands it to the domain.

    Build one with `by_pin`, `by_credential` or `by_code`.  Staff credentials are
    verified by the host before they get here; a citizen's code is verified by
    `transfer` against the `OneTimeCode` it answers.  The code is never kept.

    Attributes:
        party: Who confirms.
        method: How.
        credential: The id of the verified credential (PIN and credential methods).
        code: The one-time code typed in (not in the repr).
        issued: The record of the code it answers.
    """

    party: Party
    method: ConfirmationMethod
    credential: str | None = None
    code: str | None = attrs.field(default=None, repr=False)
    issued: OneTimeCode | None = None

    @property
    def by_staff_method(self) -> bool:
        """Whether the method is one staff use (a verified PIN or credential)."""
        return self.method in (ConfirmationMethod.PIN, ConfirmationMethod.CREDENTIAL)

    @classmethod
    def by_pin(cls, party: Party, credential: str) -> Confirmation:
        """Staff confirmed with a PIN the host verified; *credential* names that check."""
        return cls(party=party, method=ConfirmationMethod.PIN, credential=credential)

    @classmethod
    def by_credential(cls, party: Party, credential: str) -> Confirmation:
        """Staff confirmed with a credential the host verified."""
        return cls(party=party, method=ConfirmationMethod.CREDENTIAL, credential=credential)

    @classmethod
    def by_code(cls, party: Party, code: str, issued: OneTimeCode) -> Confirmation:
        """A citizen confirmed with *code*, which claims to answer *issued*."""
        return cls(party=party, method=ConfirmationMethod.ONE_TIME_CODE, code=code, issued=issued)


@attrs.frozen
class Confirmed:
    """What the ledger keeps of a confirmation: who, how, and a reference, never a code.

    Attributes:
        party: Who confirmed.
        method: How.
        reference: The verified credential's id, or the digest of the code's record.
    """

    party: Party
    method: ConfirmationMethod
    reference: str


def _scan(value: Iterable[ManifestItem]) -> tuple[ManifestItem, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class Handoff:
    """A transfer of a packet from its custodian to a receiver, as both confirm it.

    Attributes:
        id: The handoff's id; a citizen's one-time code is bound to it.
        giver: The custodian's confirmation.
        receiver: The receiver's confirmation.
        at: When it happened.
        place: Where.
        proof_sha256: The SHA-256 of the proof (a photo, a signature image).
        scanned: What the receiver counted or scanned, to compare with the manifest.
        purpose: Why, as a short code (``to_agency``, ``permit_delivery``), if given:
            lower-case letters, digits and ``_.-``, so no free text reaches the ledger.
    """

    id: str = attrs.field(validator=_identifier)
    giver: Confirmation
    receiver: Confirmation
    at: datetime = attrs.field(validator=_aware)
    place: Place
    proof_sha256: str = attrs.field(converter=_lower, validator=_sha256)
    scanned: tuple[ManifestItem, ...] = attrs.field(converter=_scan)
    purpose: str = attrs.field(default="", validator=_purpose)
