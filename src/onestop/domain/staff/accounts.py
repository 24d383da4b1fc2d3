"""A staff account, folded from its events: its status, its role assignments, its credentials.

`StaffAccount` is what an account's stream says (`onestop.domain.staff.events`):
whether it is active, which roles it holds at which agency and from when to when
(`Assignment`), which external identities may sign it in, whether it has a second
factor and which API tokens it has.  `StaffAccount.actor` is the
`onestop.domain.common.actors.Actor` it acts as at an instant: the roles in force then,
and none while the account is disabled.

>>> from datetime import UTC, datetime
>>> from onestop.domain.staff.events import AccountAdded, RoleGranted
>>> at = datetime(2026, 1, 5, tzinfo=UTC)
>>> ana = StaffAccount.from_events([
...     AccountAdded(account_id="officer-ana", by="admin", at=at),
...     RoleGranted(assignment_id="a1", role="verifier", agency="dpmptsp", valid_from=at,
...                 valid_until=None, by="admin", at=at),
... ])
>>> ana.actor(at).holds("verifier", agency="dpmptsp"), ana.version
(True, 2)
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import Self

import attrs

from onestop.domain.common.actors import Actor, Grant
from onestop.domain.common.formats import ACTOR_ID
from onestop.domain.common.kinds import check_instant, check_member, typed_fields
from onestop.domain.staff.events import (
    AccountAdded,
    AccountDisabled,
    AccountEnabled,
    ExternalIdentity,
    IdentityLinked,
    IdentityUnlinked,
    PasswordChanged,
    RoleGranted,
    RoleRevoked,
    SecondFactorEnrolled,
    SecondFactorRemoved,
    StaffEvent,
    TokenIssued,
    TokenRevoked,
)
from onestop.exceptions import InvalidValue

__all__ = [
    "AccountStatus",
    "Assignment",
    "StaffAccount",
    "StaffIdentity",
    "TokenInfo",
]


class AccountStatus(enum.StrEnum):
    """Whether an account may sign in and act."""

    ACTIVE = "active"
    """It may sign in, and its roles in force count."""

    DISABLED = "disabled"
    """It may not sign in; its sessions and tokens stop working; it holds no role."""


def _status(value: object) -> AccountStatus:
    return check_member(AccountStatus, value, field="status")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Assignment:
    """One role held at one agency (or mall-wide), from one instant, perhaps until another.

    Attributes:
        assignment_id: Its id, to revoke it by.
        role: The role name.
        agency: The agency's catalogue code; ``None`` for the whole mall.
        valid_from: When it starts to count.
        valid_until: When it stops counting (excluded); ``None`` for until revoked.
        granted_by: Who granted it (an actor id).
        granted_at: When it was granted.
    """

    assignment_id: str
    role: str
    agency: str | None
    valid_from: datetime
    valid_until: datetime | None
    granted_by: str
    granted_at: datetime

    def in_force(self, at: datetime, /) -> bool:
        """Whether the role counts at *at*: from `valid_from`, before `valid_until`.

        Raises:
            InvalidValue: If *at* is not a datetime.
            onestop.exceptions.NaiveDatetime: If it has no time zone.
        """
        check_instant(at, field="at")
        return self.valid_from <= at and (self.valid_until is None or at < self.valid_until)

    @property
    def grant(self) -> Grant:
        """The `Grant` it gives while in force."""
        return Grant(self.role, agency=self.agency)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class TokenInfo:
    """An API token of an account, as its events say: never the token itself.

    Attributes:
        token_id: Its id.
        name: What it is for.
        issued_at: When it was issued.
        issued_by: Who issued it.
        expires_at: When it stops working; ``None`` for until revoked.
    """

    token_id: str
    name: str
    issued_at: datetime
    issued_by: str
    expires_at: datetime | None

    def live(self, at: datetime, /) -> bool:
        """Whether the token has not expired at *at*."""
        check_instant(at, field="at")
        return self.expires_at is None or at < self.expires_at


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class StaffAccount:
    """A staff account as its stream says: status, assignments, identities, credentials.

    Attributes:
        account_id: Its id (an actor id: the id it acts under, never a name).
        status: Whether it may sign in.
        assignments: The roles granted and not revoked (in force or not yet, or
            expired), in the order granted.
        revoked: The assignments revoked, in the order revoked: who may manage the
            account remembers them (`onestop.usecases.staff.authorisation.may_manage`).
        identities: The external identities linked to it.
        second_factor: Whether a TOTP second factor is enrolled.
        has_password: Whether a password was ever set.
        tokens: Its API tokens not revoked (expired ones too), in the order issued.
        version: How many events its stream holds.
        added_at: When it was added.
        added_by: Who added it.
        sessions_ended_at: When its credentials last changed (a password set, a second
            factor enrolled or removed, an identity provider's identity unlinked) or it
            was disabled: a session begun before then is over, even one a late write
            put back.
    """

    account_id: str = attrs.field(validator=ACTOR_ID.validator)
    status: AccountStatus = attrs.field(default=AccountStatus.ACTIVE, converter=_status)
    assignments: tuple[Assignment, ...] = ()
    revoked: tuple[Assignment, ...] = ()
    identities: tuple[ExternalIdentity, ...] = ()
    second_factor: bool = False
    has_password: bool = False
    tokens: tuple[TokenInfo, ...] = ()
    version: int = 0
    added_at: datetime | None = None
    added_by: str | None = None
    sessions_ended_at: datetime | None = None

    @classmethod
    def from_events(cls, events: Iterable[StaffEvent], /) -> Self:
        """Fold *events*, oldest first (an `AccountAdded` first), into an account.

        Raises:
            InvalidValue: If the first event is not an `AccountAdded`, or a later one is.
        """
        folded: Self | None = None
        for event in events:
            if folded is None:
                if not isinstance(event, AccountAdded):
                    raise InvalidValue(field="events", reason="do not start with account_added")
                folded = cls(
                    account_id=event.account_id, version=1, added_at=event.at, added_by=event.by
                )
            else:
                folded = folded.apply(event)
        if folded is None:
            raise InvalidValue(field="events", reason="are empty")
        return folded

    def apply(self, event: StaffEvent, /) -> Self:
        """Return the account after *event*.

        Raises:
            InvalidValue: If *event* is an `AccountAdded` (an account is added once) or
                not a staff event.
        """
        version = self.version + 1
        if isinstance(event, RoleGranted):
            assignment = Assignment(
                assignment_id=event.assignment_id,
                role=event.role,
                agency=event.agency,
                valid_from=event.valid_from,
                valid_until=event.valid_until,
                granted_by=event.by,
                granted_at=event.at,
            )
            return attrs.evolve(self, assignments=(*self.assignments, assignment), version=version)
        if isinstance(event, RoleRevoked):
            kept = tuple(a for a in self.assignments if a.assignment_id != event.assignment_id)
            gone = tuple(a for a in self.assignments if a.assignment_id == event.assignment_id)
            return attrs.evolve(
                self, assignments=kept, revoked=(*self.revoked, *gone), version=version
            )
        if isinstance(event, AccountDisabled | AccountEnabled):
            status = (
                AccountStatus.DISABLED
                if isinstance(event, AccountDisabled)
                else AccountStatus.ACTIVE
            )
            ended = event.at if isinstance(event, AccountDisabled) else self.sessions_ended_at
            return attrs.evolve(self, status=status, version=version, sessions_ended_at=ended)
        if isinstance(event, PasswordChanged):
            return attrs.evolve(
                self, has_password=True, version=version, sessions_ended_at=event.at
            )
        if isinstance(event, SecondFactorEnrolled | SecondFactorRemoved):
            enrolled = isinstance(event, SecondFactorEnrolled)
            return attrs.evolve(
                self, second_factor=enrolled, version=version, sessions_ended_at=event.at
            )
        if isinstance(event, TokenIssued):
            token = TokenInfo(
                token_id=event.token_id,
                name=event.name,
                issued_at=event.at,
                issued_by=event.by,
                expires_at=event.expires_at,
            )
            return attrs.evolve(self, tokens=(*self.tokens, token), version=version)
        if isinstance(event, TokenRevoked):
            kept_tokens = tuple(t for t in self.tokens if t.token_id != event.token_id)
            return attrs.evolve(self, tokens=kept_tokens, version=version)
        if isinstance(event, IdentityLinked):
            identities = (*(i for i in self.identities if i != event.identity), event.identity)
            return attrs.evolve(self, identities=identities, version=version)
        if isinstance(event, IdentityUnlinked):  # a credential gone: its sessions too
            left = tuple(i for i in self.identities if i != event.identity)
            return attrs.evolve(self, identities=left, version=version, sessions_ended_at=event.at)
        if isinstance(event, AccountAdded):
            raise InvalidValue(field="event", reason="an account is added once")
        raise InvalidValue(field="event", reason="is not a staff account event")

    @property
    def active(self) -> bool:
        """Whether the account may sign in and act."""
        return self.status is AccountStatus.ACTIVE

    def assignment(self, assignment_id: str, /) -> Assignment | None:
        """The assignment *assignment_id*, or ``None`` if it is not (or no longer) held."""
        for held in self.assignments:
            if held.assignment_id == assignment_id:
                return held
        return None

    def token(self, token_id: str, /) -> TokenInfo | None:
        """The token *token_id*, or ``None`` if it was never issued or was revoked."""
        for token in self.tokens:
            if token.token_id == token_id:
                return token
        return None

    def in_force(self, at: datetime, /) -> tuple[Assignment, ...]:
        """The assignments in force at *at*; none while the account is disabled."""
        check_instant(at, field="at")
        if not self.active:
            return ()
        return tuple(a for a in self.assignments if a.in_force(at))

    def actor(self, at: datetime, /) -> Actor:
        """The actor this account acts as at *at*: its id and the roles in force then.

        A disabled account holds no role.

        Raises:
            InvalidValue: If *at* is not a datetime.
            onestop.exceptions.NaiveDatetime: If it has no time zone.
        """
        return Actor(id=self.account_id, grants=frozenset(a.grant for a in self.in_force(at)))


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class StaffIdentity:
    """Who a request comes from, as authentication found: what authorisation reads.

    Attributes:
        account_id: The account signed in.
        actor: What it acts as now: its id and the roles in force.
        method: How it was authenticated: ``password``, ``password+totp``, ``token``,
            ``oidc``; ``account`` when looked up by id
            (`onestop.usecases.staff.StaffDesk.identity`).
        session_id: A prefix of the session's digest, to name the session (never the
            session itself); ``None`` for a token or a lookup.
        account_version: The version of the account's stream it was folded from.
    """

    account_id: str = attrs.field(validator=ACTOR_ID.validator)
    actor: Actor
    method: str
    session_id: str | None = None
    account_version: int = 0
