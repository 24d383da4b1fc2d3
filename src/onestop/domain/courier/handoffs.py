"""The parts of a custody handoff: parties, places, sealed packets and confirmations.

These are plain values; `onestop.domain.courier.custody` records them in a packet's ledger.
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
import itertools
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation

import attrs

from onestop.domain.common.canonical import canonical_bytes
from onestop.domain.common.formats import (
    ACTOR_ID,
    CODE,
    KEY,
    MAX_NAME,
    SEAL_ID,
    SHA256_HEX,
    check_text,
    int_problem,
    kind_of,
)
from onestop.domain.common.kinds import check_instant, check_member, type_validator
from onestop.domain.courier.otp import OneTimeCode
from onestop.exceptions import InvalidPacket, InvalidValue

__all__ = [
    "MAX_ITEMS",
    "Confirmation",
    "ConfirmationMethod",
    "Confirmed",
    "Handoff",
    "ManifestItem",
    "Packet",
    "Party",
    "PartyKind",
    "Place",
    "items_of",
]

MAX_ITEMS = 1000
"""The most documents one packet's manifest, or one receiver's count, may list."""


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) and value.isascii() else value


def _instant(_: object, attribute: attrs.Attribute[datetime], value: object) -> None:
    check_instant(value, field=attribute.name)


def items_of(value: object, *, field: str) -> tuple[object, ...]:
    """Return *value*, a list or tuple of at most `MAX_ITEMS` things, as a tuple.

    Raises:
        onestop.exceptions.InvalidValue: If *value* is not a list, tuple or other
            sequence-like iterable (text and mappings are refused), or is too long.
    """
    if isinstance(value, str | bytes | bytearray | Mapping) or not isinstance(value, Iterable):
        raise InvalidValue(field=field, reason=f"expected a list of items, not {kind_of(value)}")
    items = tuple(itertools.islice(value, MAX_ITEMS + 1))
    if len(items) > MAX_ITEMS:
        raise InvalidValue(field=field, reason=f"lists more than {MAX_ITEMS} items")
    return items


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


def _party_kind(value: object) -> PartyKind:
    return check_member(PartyKind, value, field="kind")


def _party_id(party: object, _: attrs.Attribute[str], value: object) -> None:
    if getattr(party, "kind", None) is PartyKind.CITIZEN:
        KEY.check(value, field="id")
    else:
        ACTOR_ID.check(value, field="id")


@attrs.frozen
class Party:
    """One side of a transfer, by kind and id.

    The id is an account or staff id, never a name or an identity number; for a
    citizen use a pseudonymous id (the courier desk uses the application's id).
    Messages and exports show a citizen as ``citizen`` only.

    Staff (officers, couriers, agency desks) are named by their actor id
    (`onestop.domain.common.formats.ACTOR_ID`: lower-case ASCII, canonical), so that one
    person cannot pass for two by writing their id in capitals, with a final line
    break or with a look-alike letter; a citizen's id is an opaque key
    (`onestop.domain.common.formats.KEY`).

    >>> Party("courier", "C-17")
    Traceback (most recent call last):
    ...
    onestop.exceptions.InvalidValue: id: has upper-case letters; an actor id is lower case

    Attributes:
        kind: What kind of party (a `PartyKind`, or its value such as ``"courier"``).
        id: Its id within its kind.
    """

    kind: PartyKind = attrs.field(converter=_party_kind)
    id: str = attrs.field(validator=_party_id)

    @property
    def shown(self) -> str:
        """How errors and reports name the party, as in ``courier:c-17`` or ``citizen``."""
        return "citizen" if self.kind is PartyKind.CITIZEN else f"{self.kind.value}:{self.id}"

    @property
    def is_staff(self) -> bool:
        """Whether the party is staff (an officer, a courier or a desk), named by an actor id."""
        return self.kind is not PartyKind.CITIZEN


_MAX_DIGITS = 20
"""The most significant digits a coordinate may have (a millimetre needs about 11)."""


def _coordinate(value: object, *, field: str, limit: int) -> Decimal | None:
    if value is None:
        return None
    number: Decimal | None = None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(max(-1000, min(value, 1000)))  # out of range either way
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str) and len(value) <= 2 * _MAX_DIGITS:
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite():
        raise InvalidValue(field=field, reason="must be a finite number of degrees")
    if not -limit <= number <= limit:
        raise InvalidValue(field=field, reason=f"must be from -{limit} to {limit}")
    _, digits, exponent = number.as_tuple()
    if len(digits) > _MAX_DIGITS or not isinstance(exponent, int) or exponent < -_MAX_DIGITS:
        raise InvalidValue(field=field, reason=f"has more than {_MAX_DIGITS} digits")
    return number


def _latitude(value: object) -> Decimal | None:
    return _coordinate(value, field="lat", limit=90)


def _longitude(value: object) -> Decimal | None:
    return _coordinate(value, field="lon", limit=180)


def _label(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not check_text(value, field=attribute.name, max_length=MAX_NAME).strip():
        raise InvalidValue(field=attribute.name, reason="is blank")


@attrs.frozen
class Place:
    """Where a transfer happened: a label, and coordinates for public places.

    The ledger keeps places for good: never put a citizen's address or the
    coordinates of a home in one.  Use `Place.applicant_address` at the door; the
    address itself stays on the courier job, as personal data.

    Attributes:
        label: A short public name (``MPP Jakarta, counter 12``): one line of at most
            `onestop.domain.common.formats.MAX_NAME` characters, no control characters.
        lat: Latitude in degrees, if known (a `Decimal`, an `int`, a `float` or text).
        lon: Longitude in degrees, if known.
    """

    label: str = attrs.field(validator=_label)
    lat: Decimal | None = attrs.field(default=None, converter=_latitude)
    lon: Decimal | None = attrs.field(default=None, converter=_longitude)

    def __attrs_post_init__(self) -> None:
        """Check that both coordinates or neither are given."""
        if (self.lat is None) != (self.lon is None):
            raise InvalidValue(field="lat", reason="give both lat and lon, or neither")

    @classmethod
    def applicant_address(cls) -> Place:
        """The applicant's address, named but never spelled out."""
        return cls("applicant's address")


@attrs.frozen
class ManifestItem:
    """One document in a packet, by reference and fingerprint.

    Attributes:
        document: A reference to the document (a requirement code, a document id): a
            key (`onestop.domain.common.formats.KEY`).
        sha256: The SHA-256 of its scan, in hex (stored in lower case).
    """

    document: str = attrs.field(validator=KEY.validator)
    sha256: str = attrs.field(converter=_lower, validator=SHA256_HEX.validator)


@attrs.frozen
class _Unusable:
    """A manifest that is not a list of items: `Packet` reports why, with the seal's id."""

    reason: str


def _manifest(value: object) -> object:
    try:
        return items_of(value, field="manifest")
    except InvalidValue as refused:
        return _Unusable(refused.reason)


@attrs.frozen
class Packet:
    """A sealed packet of documents: the seal's id and what the packet must contain.

    >>> item = ManifestItem("ktp", "ab" * 32)
    >>> Packet("S-1", (item,), 2)
    Traceback (most recent call last):
    ...
    onestop.exceptions.InvalidPacket: packet 'S-1' is invalid: item_count is 2 but ...

    A document is listed once: a repeated reference, or a repeated SHA-256 (the same
    scan under two references), is refused.

    Attributes:
        seal_id: The id printed on the tamper-evident seal (letters, digits, ``.-_``;
            `onestop.domain.common.formats.SEAL_ID`).
        manifest: The documents inside, with their hashes (at most `MAX_ITEMS`).
        item_count: How many items the sealer counted; must equal the manifest's length.

    Raises:
        onestop.exceptions.InvalidPacket: Listing every problem found.
    """

    seal_id: str
    manifest: tuple[ManifestItem, ...] = attrs.field(converter=_manifest)
    item_count: int

    def __attrs_post_init__(self) -> None:
        """Check the seal id, the count, every item, and that no document is listed twice."""
        problems = []
        seal_problem = SEAL_ID.problem(self.seal_id)
        if seal_problem is not None:
            problems.append(f"seal_id {seal_problem}")
        manifest: object = self.manifest
        if not isinstance(manifest, tuple):
            reason = manifest.reason if isinstance(manifest, _Unusable) else kind_of(manifest)
            problems.append(f"manifest {reason}")
            manifest = ()
        items: tuple[object, ...] = manifest
        if not items and isinstance(self.manifest, tuple):
            problems.append("the manifest is empty")
        count_problem = int_problem(self.item_count)
        if count_problem is not None:
            problems.append(f"item_count {count_problem}")
        elif self.item_count != len(items) and isinstance(self.manifest, tuple):
            problems.append(f"item_count is {self.item_count} but the manifest lists {len(items)}")
        problems.extend(_item_problems(items))
        if problems:
            raise InvalidPacket(seal_id="?" if seal_problem else self.seal_id, problems=problems)

    @property
    def digest(self) -> str:
        """The SHA-256 of the manifest's canonical encoding (one fingerprint for the contents)."""
        return hashlib.sha256(canonical_bytes(self.manifest)).hexdigest()


def _item_problems(items: tuple[object, ...]) -> list[str]:
    """What is wrong with the manifest's items: a non-item, or a document listed twice."""
    problems: list[str] = []
    documents: dict[str, int] = {}
    hashes: dict[str, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, ManifestItem):
            problems.append(f"manifest[{index}] is not a ManifestItem but {kind_of(item)}")
            continue
        if item.document in documents:
            first = documents[item.document]
            problems.append(f"manifest[{index}] lists the document of manifest[{first}] again")
        elif item.sha256 in hashes:
            first = hashes[item.sha256]
            problems.append(f"manifest[{index}] has the same SHA-256 as manifest[{first}]")
        documents.setdefault(item.document, index)
        hashes.setdefault(item.sha256, index)
    return problems


class ConfirmationMethod(enum.Enum):
    """How a party confirmed a transfer."""

    PIN = "pin"
    """Staff typed their PIN; the host verified it and passes the credential's id."""
    CREDENTIAL = "credential"
    """Staff presented a credential (badge, signed token); the host verified it."""
    ONE_TIME_CODE = "one_time_code"
    """A citizen gave the one-time code issued for this handoff (`onestop.domain.courier.otp`)."""


def _method(value: object) -> ConfirmationMethod:
    return check_member(ConfirmationMethod, value, field="method")


_MAX_CODE = 64


def _code(_: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > _MAX_CODE):
        reason = f"expected the code typed in, as text of at most {_MAX_CODE} characters"
        raise InvalidValue(field=attribute.name, reason=reason)


@attrs.frozen(kw_only=True)
class Confirmation:
    """One party's confirmation of a transfer, as the host hands it to the domain.

    Build one with `by_pin`, `by_credential` or `by_code`.  Staff credentials are
    verified by the host before they get here; a citizen's code is verified by
    `transfer` against the `OneTimeCode` it answers.  The code is never kept.

    Attributes:
        party: Who confirms.
        method: How (a `ConfirmationMethod`, or its value such as ``"pin"``).
        credential: The id of the verified credential (PIN and credential methods), a
            key (`onestop.domain.common.formats.KEY`); it is kept in the ledger.
        code: The one-time code typed in (not in the repr).
        issued: The record of the code it answers.
    """

    party: Party = attrs.field(validator=type_validator(Party))
    method: ConfirmationMethod = attrs.field(converter=_method)
    credential: str | None = attrs.field(default=None, validator=KEY.optional_validator)
    code: str | None = attrs.field(default=None, repr=False, validator=_code)
    issued: OneTimeCode | None = attrs.field(
        default=None, validator=type_validator((OneTimeCode, type(None)))
    )

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

    party: Party = attrs.field(validator=type_validator(Party))
    method: ConfirmationMethod = attrs.field(converter=_method)
    reference: str = attrs.field(validator=KEY.validator)


def _scan(value: object) -> tuple[object, ...]:
    items = items_of(value, field="scanned")
    for index, item in enumerate(items):
        if not isinstance(item, ManifestItem):
            reason = f"expected a ManifestItem, not {kind_of(item)}"
            raise InvalidValue(field=f"scanned[{index}]", reason=reason)
    return items


def _purpose(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if value != "":
        CODE.check(value, field=attribute.name)


@attrs.frozen(kw_only=True)
class Handoff:
    """A transfer of a packet from its custodian to a receiver, as both confirm it.

    Attributes:
        id: The handoff's id, a key (`onestop.domain.common.formats.KEY`); a citizen's
            one-time code is bound to it.
        giver: The custodian's confirmation.
        receiver: The receiver's confirmation.
        at: When it happened (timezone-aware).
        place: Where.
        proof_sha256: The SHA-256 of the proof (a photo, a signature image).
        scanned: What the receiver counted or scanned, to compare with the manifest
            (at most `MAX_ITEMS`).
        purpose: Why, as a short code (``to_agency``, ``permit_delivery``), if given:
            lower-case letters, digits and ``_.-`` (`onestop.domain.common.formats.CODE`), so
            no free text reaches the ledger.
    """

    id: str = attrs.field(validator=KEY.validator)
    giver: Confirmation = attrs.field(validator=type_validator(Confirmation))
    receiver: Confirmation = attrs.field(validator=type_validator(Confirmation))
    at: datetime = attrs.field(validator=_instant)
    place: Place = attrs.field(validator=type_validator(Place))
    proof_sha256: str = attrs.field(converter=_lower, validator=SHA256_HEX.validator)
    scanned: tuple[ManifestItem, ...] = attrs.field(converter=_scan)
    purpose: str = attrs.field(default="", validator=_purpose)
