"""The events of a staff account's stream: ids, roles, agencies and instants, nothing personal.

One stream per account (``staff-<account id>``, `account_stream`) records what happened
to the account: added, a role granted or revoked, disabled or enabled, its password
changed (never the hash), a second factor enrolled or removed, an API token issued or
revoked (its id and name, never the token), an external identity linked or unlinked.
One more stream, the directory (`DIRECTORY_STREAM`), lists the accounts' ids
(`AccountListed`), so that listing accounts needs no scan of stream ids.

Every event names who did it (``by``, an actor id) and when (``at``).  The events
check their types and formats when they are built, so that nothing is written that
would not decode; the stream core decodes stored events without those checks, so
history keeps loading when a rule gets stricter.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal, TypeAlias

import attrs

from onestop.domain.common.formats import ACTOR_ID, CATALOGUE_CODE, ROLE, text_problem
from onestop.domain.common.kinds import check_instant, type_validator
from onestop.exceptions import InvalidValue

__all__ = [
    "ACCOUNT_PREFIX",
    "DIRECTORY_STREAM",
    "MAX_IDENTITY_TEXT",
    "STAFF_EVENT_TYPES",
    "AccountAdded",
    "AccountDisabled",
    "AccountEnabled",
    "AccountListed",
    "DirectoryEvent",
    "ExternalIdentity",
    "IdentityLinked",
    "IdentityUnlinked",
    "PasswordChanged",
    "RoleGranted",
    "RoleRevoked",
    "SecondFactorEnrolled",
    "SecondFactorRemoved",
    "StaffEvent",
    "TokenIssued",
    "TokenRevoked",
    "RESERVED_ACCOUNT_IDS",
    "RESERVED_ROLES",
    "RESERVED_ACCOUNT_PREFIXES",
    "account_stream",
    "check_account_id",
    "is_staff_stream",
]

ACCOUNT_PREFIX = "staff-"
"""What the stream of every staff account starts with, before the account's id."""

DIRECTORY_STREAM = "staff:directory"
"""The stream that lists every staff account's id; no account's stream has this id."""

MAX_IDENTITY_TEXT = 256
"""The longest issuer or subject of an external identity, in characters."""


RESERVED_ACCOUNT_IDS = frozenset({"system", "cli"})
"""Actor ids onestop acts under itself (``cli`` is the command line's operator), no account's."""

RESERVED_ROLES = frozenset({"applicant", "agency", "system"})
"""The roles no member of staff is granted, the citizen's, an agency's and onestop's own.

``applicant`` is taken by whoever applied, ``agency`` by an agency's back office through its
signed callbacks, ``system`` by onestop itself.  Held by staff, they would act as someone
else in the history."""

RESERVED_ACCOUNT_PREFIXES = ("citizen:", "agency:", "oidc:")
"""What no account id starts with (the actor ids of citizens and of agencies' back offices,
and the stored states of identity-provider sign-ins, ``oidc:sign-in``)."""


def check_account_id(value: object, /) -> str:
    """*value* if it may name a new staff account: an actor id, none onestop reserves.

    A member of staff must never act under the id of a citizen (``citizen:<subject>``),
    an agency (``agency:<code>``), the system or the command line's operator.

    Raises:
        InvalidValue: If it is not an actor id, or a reserved one (field ``account_id``).
    """
    account_id = ACTOR_ID.check(value, field="account_id")
    folded = account_id.casefold()
    if folded in RESERVED_ACCOUNT_IDS or folded.startswith(RESERVED_ACCOUNT_PREFIXES):
        raise InvalidValue(field="account_id", reason="is reserved for onestop's own actors")
    return account_id


def account_stream(account_id: str, /) -> str:
    """The stream of staff account *account_id*: ``staff-<account id>``.

    Raises:
        InvalidValue: If *account_id* is not an actor id.
    """
    return ACCOUNT_PREFIX + ACTOR_ID.check(account_id, field="account_id")


def is_staff_stream(stream_id: object, /) -> bool:
    """Whether *stream_id* is a staff stream (an account's, or the directory).

    Relays keep their notifications to themselves: who holds which role is not news
    for an agency's webhook.
    """
    return isinstance(stream_id, str) and (
        stream_id.startswith(ACCOUNT_PREFIX) or stream_id == DIRECTORY_STREAM
    )


def _actor(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    ACTOR_ID.check(value, field=attribute.name)


def _new_account(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    check_account_id(value)


def _instant(_: object, attribute: attrs.Attribute[datetime], value: object) -> None:
    check_instant(value, field=attribute.name)


def _maybe_instant(_: object, attribute: attrs.Attribute[datetime | None], value: object) -> None:
    if value is not None:
        check_instant(value, field=attribute.name)


def _role(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    ROLE.check(value, field=attribute.name)


def _agency(_: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None:
        CATALOGUE_CODE.check(value, field=attribute.name)


def _identity_text(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    reason = text_problem(value, max_length=MAX_IDENTITY_TEXT)
    if reason is not None:
        raise InvalidValue(field=attribute.name, reason=reason)


def _token_id(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    reason = text_problem(value, max_length=128)
    if reason is not None:
        raise InvalidValue(field=attribute.name, reason=reason)


@attrs.frozen(kw_only=True)
class ExternalIdentity:
    """Who an identity provider says a member of staff is: its issuer and its subject.

    An OpenID Connect ``iss`` and ``sub``: the subject is the provider's stable,
    pseudonymous id of the person, never a name or an e-mail address.

    Attributes:
        issuer: The provider (its issuer URL), 1 to 256 characters.
        subject: The provider's id of the person, 1 to 256 characters.

    Raises:
        InvalidValue: If either is not text of 1 to 256 characters with no control
            character.
    """

    issuer: str = attrs.field(validator=_identity_text)
    subject: str = attrs.field(validator=_identity_text)


@attrs.frozen(kw_only=True)
class AccountAdded:
    """The account was made (with no role, no password and no token).

    Attributes:
        account_id: The account's id (an actor id, never a name).
        by: Who made it.
        at: When.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["account_added"] = attrs.field(default="account_added", init=False)
    account_id: str = attrs.field(validator=_new_account)
    by: str = attrs.field(validator=_actor)
    at: datetime = attrs.field(validator=_instant)


@attrs.frozen(kw_only=True)
class RoleGranted:
    """A role was granted, at one agency or mall-wide, from one instant, perhaps to another.

    Attributes:
        assignment_id: The assignment's id, to revoke it by.
        role: The role (a role name).
        agency: The agency's catalogue code; ``None`` for the whole mall.
        valid_from: When the role starts to count.
        valid_until: When it stops counting; ``None`` for until revoked.
        by: Who granted it.
        at: When it was granted.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["role_granted"] = attrs.field(default="role_granted", init=False)
    assignment_id: str = attrs.field(validator=_token_id)
    role: str = attrs.field(validator=_role)
    agency: str | None = attrs.field(validator=_agency)
    valid_from: datetime = attrs.field(validator=_instant)
    valid_until: datetime | None = attrs.field(validator=_maybe_instant)
    by: str = attrs.field(validator=_actor)
    at: datetime = attrs.field(validator=_instant)


@attrs.frozen(kw_only=True)
class RoleRevoked:
    """An assignment was revoked: its role stops counting at once.

    Attributes:
        assignment_id: The assignment revoked.
        by: Who revoked it.
        at: When.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["role_revoked"] = attrs.field(default="role_revoked", init=False)
    assignment_id: str = attrs.field(validator=_token_id)
    by: str = attrs.field(validator=_actor)
    at: datetime = attrs.field(validator=_instant)


@attrs.frozen(kw_only=True)
class AccountDisabled:
    """The account was disabled: it cannot sign in, its sessions and tokens stop working."""

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["account_disabled"] = attrs.field(default="account_disabled", init=False)
    by: str = attrs.field(validator=_actor)
    at: datetime = attrs.field(validator=_instant)


@attrs.frozen(kw_only=True)
class AccountEnabled:
    """The account was enabled again."""

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["account_enabled"] = attrs.field(default="account_enabled", init=False)
    by: str = attrs.field(validator=_actor)
    at: datetime = attrs.field(validator=_instant)


@attrs.frozen(kw_only=True)
class PasswordChanged:
    """The account's password was set or changed; the hash is kept by the store, not here."""

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["password_changed"] = attrs.field(default="password_changed", init=False)
    by: str = attrs.field(validator=_actor)
    at: datetime = attrs.field(validator=_instant)


@attrs.frozen(kw_only=True)
class SecondFactorEnrolled:
    """A TOTP second factor was confirmed; the seed is kept by the store, sealed."""

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["second_factor_enrolled"] = attrs.field(
        default="second_factor_enrolled", init=False
    )
    by: str = attrs.field(validator=_actor)
    at: datetime = attrs.field(validator=_instant)


@attrs.frozen(kw_only=True)
class SecondFactorRemoved:
    """The second factor was removed."""

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["second_factor_removed"] = attrs.field(
        default="second_factor_removed", init=False
    )
    by: str = attrs.field(validator=_actor)
    at: datetime = attrs.field(validator=_instant)


@attrs.frozen(kw_only=True)
class TokenIssued:
    """An API token was issued; its digest is kept by the store, the token by its holder.

    Attributes:
        token_id: The token's id (not the token).
        name: What it is for, such as ``back-office``: a label, not personal data.
        expires_at: When it stops working; ``None`` for until revoked.
        by: Who issued it.
        at: When.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["token_issued"] = attrs.field(default="token_issued", init=False)
    token_id: str = attrs.field(validator=_token_id)
    name: str = attrs.field(validator=_token_id)
    expires_at: datetime | None = attrs.field(validator=_maybe_instant)
    by: str = attrs.field(validator=_actor)
    at: datetime = attrs.field(validator=_instant)


@attrs.frozen(kw_only=True)
class TokenRevoked:
    """An API token was revoked."""

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["token_revoked"] = attrs.field(default="token_revoked", init=False)
    token_id: str = attrs.field(validator=_token_id)
    by: str = attrs.field(validator=_actor)
    at: datetime = attrs.field(validator=_instant)


@attrs.frozen(kw_only=True)
class IdentityLinked:
    """An external identity was linked: its provider may sign the account in."""

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["identity_linked"] = attrs.field(default="identity_linked", init=False)
    identity: ExternalIdentity = attrs.field(validator=type_validator(ExternalIdentity))
    by: str = attrs.field(validator=_actor)
    at: datetime = attrs.field(validator=_instant)


@attrs.frozen(kw_only=True)
class IdentityUnlinked:
    """An external identity was unlinked."""

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["identity_unlinked"] = attrs.field(default="identity_unlinked", init=False)
    identity: ExternalIdentity = attrs.field(validator=type_validator(ExternalIdentity))
    by: str = attrs.field(validator=_actor)
    at: datetime = attrs.field(validator=_instant)


@attrs.frozen(kw_only=True)
class AccountListed:
    """The directory's one event: an account was added, under this id.

    Attributes:
        account_id: The account's id.
        at: When.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["account_listed"] = attrs.field(default="account_listed", init=False)
    account_id: str = attrs.field(validator=_actor)
    at: datetime = attrs.field(validator=_instant)


StaffEvent: TypeAlias = (
    AccountAdded
    | RoleGranted
    | RoleRevoked
    | AccountDisabled
    | AccountEnabled
    | PasswordChanged
    | SecondFactorEnrolled
    | SecondFactorRemoved
    | TokenIssued
    | TokenRevoked
    | IdentityLinked
    | IdentityUnlinked
)
"""An event of a staff account's stream."""

DirectoryEvent: TypeAlias = AccountListed
"""An event of the directory stream."""

STAFF_EVENT_TYPES: dict[str, type[StaffEvent]] = {
    str(attrs.fields(cls).kind.default): cls
    for cls in (
        AccountAdded,
        RoleGranted,
        RoleRevoked,
        AccountDisabled,
        AccountEnabled,
        PasswordChanged,
        SecondFactorEnrolled,
        SecondFactorRemoved,
        TokenIssued,
        TokenRevoked,
        IdentityLinked,
        IdentityUnlinked,
    )
}
"""Each staff account event class by its ``kind``."""
