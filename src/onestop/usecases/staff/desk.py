"""The staff desk: accounts, role grants per agency, credentials, sign-in and identities.

`StaffDesk` is the one place staff accounts are changed and members of staff are
recognised.  Accounts and their grants are event streams
(`onestop.usecases.staff.codec`), so who granted what to whom, when and until when is
audited like an application; secrets (password hashes, TOTP seeds, sessions, API
tokens) and failed sign-ins are kept by the `onestop.ports.staff.StaffStore`.

Every command names who does it (``by``, an `onestop.domain.common.actors.Actor`:
the authenticated member of staff's ``identity.actor``) and is authorised in
`onestop.usecases.staff.authorisation`: a mall-wide ``staff_admin`` does everything;
an agency's ``staff_admin`` grants and revokes at its agency only, and manages only
accounts whose every role is at agencies it administers; no one grants a role to
themselves; a member of staff sets their own password and second factor, proving it
with the current password (or a code).  Changing credentials, or disabling the account,
ends its sessions.

>>> from datetime import UTC, datetime
>>> from onestop.domain.common.actors import Actor
>>> from onestop.privacy.passwords import Argon2Hasher
>>> from onestop.storage.memory import MemoryStore
>>> from onestop.usecases.mall_support import RandomIds
>>> class Clock:
...     def now(self): return datetime(2026, 1, 5, 9, tzinfo=UTC)
>>> store = MemoryStore()
>>> desk = StaffDesk(events=store, staff=store, clock=Clock(), ids=RandomIds(),
...                  hasher=Argon2Hasher(memory_cost=8, time_cost=1, parallelism=1))
>>> root = Actor(id="root", roles={"staff_admin"})
>>> _ = desk.add("officer-ana", by=root)
>>> _ = desk.grant("officer-ana", "verifier", agency="dpmptsp", by=root)
>>> desk.set_password("officer-ana", "a long enough passphrase", by=root)
>>> signed = desk.sign_in("officer-ana", "a long enough passphrase")
>>> desk.session(signed.session).actor.holds("verifier", agency="dpmptsp")
True
"""

from __future__ import annotations

from datetime import datetime

from onestop.domain.common.actors import Actor
from onestop.domain.common.formats import ACTOR_ID, CATALOGUE_CODE, ROLE, preview, text_problem
from onestop.domain.common.kinds import check_instant, check_type
from onestop.domain.staff import (
    RESERVED_ROLES,
    AccountAdded,
    AccountDisabled,
    AccountEnabled,
    Assignment,
    ExternalIdentity,
    IdentityLinked,
    IdentityUnlinked,
    RoleGranted,
    RoleRevoked,
    StaffAccount,
    StaffEvent,
    StaffIdentity,
    TokenInfo,
    TokenIssued,
    TokenRevoked,
    check_account_id,
)
from onestop.exceptions import (
    AccountExists,
    AccountNotFound,
    ConcurrencyConflict,
    InvalidValue,
)
from onestop.ports.events import Batch
from onestop.ports.staff import StaffSecret
from onestop.usecases.staff._core import RETRIES, digest
from onestop.usecases.staff._credentials import CredentialsDesk, actor_of, refusal
from onestop.usecases.staff._signin import identity_key
from onestop.usecases.staff.authorisation import administered, may_administer, may_manage
from onestop.usecases.staff.codec import account_appends
from onestop.usecases.staff.values import IssuedToken

__all__ = ["StaffDesk"]


_actor = actor_of
_refuse = refusal


def _label(value: object, field: str) -> str:
    reason = text_problem(value, max_length=128)
    if reason is not None:
        raise InvalidValue(field=field, reason=reason)
    return value  # type: ignore[return-value]  # text_problem() proved it is text


class StaffDesk(CredentialsDesk):
    """Staff accounts and role grants, sign-in, sessions, API tokens and identities.

    Args:
        events: The event store (a `onestop.ports.events.BatchStore` too) keeping the
            account streams.
        staff: The store keeping secrets, failed sign-ins and the access record (the
            same store, usually).
        clock: Tells the time.
        ids: Makes ids, sessions and tokens (unguessable).
        hasher: Hashes passwords (`onestop.privacy.passwords.Argon2Hasher`).
        seals: Keys to seal TOTP seeds with (`onestop.privacy.Keyring`); ``None``
            keeps them in plain text in the store.
        policy: Lockout, session lifetimes and password rules (`SignInPolicy`).

    Raises:
        InvalidValue: If an argument is not of its port's type.
    """

    # --- reading -----------------------------------------------------------------------

    def account(self, account_id: str, /) -> StaffAccount:
        """The account *account_id*, folded from its stream now.

        Raises:
            AccountNotFound: If there is no such account.
            InvalidValue: If *account_id* is not an actor id.
        """
        return self._fresh(account_id).account

    def accounts(self) -> tuple[StaffAccount, ...]:
        """Every account, in the order added."""
        _, _, ids = self._directory_now()
        return tuple(self._fresh(account_id).account for account_id in ids)

    def identity(self, account_id: str, /) -> StaffIdentity:
        """The identity of active account *account_id* now (method ``account``).

        Raises:
            onestop.exceptions.NotAuthenticated: If there is no such active account.
        """
        return self._identity_of(_label(account_id, "account_id"), method="account")

    def tokens(self, account_id: str, /) -> tuple[TokenInfo, ...]:
        """The API tokens of *account_id* not revoked (never the tokens themselves).

        Raises:
            AccountNotFound: If there is no such account.
        """
        return self.account(account_id).tokens

    # --- accounts ------------------------------------------------------------------------

    def add(self, account_id: str, *, by: Actor) -> StaffAccount:
        """Add account *account_id*: no role, no password, no token yet.

        Raises:
            AccountExists: If an account has this id already.
            NotAuthorised: If *by* is no ``staff_admin`` (mall-wide or at an agency).
            InvalidValue: If *account_id* is not an actor id, or one onestop reserves
                (``system``, ``cli``, ``citizen:...``, ``agency:...``).
        """
        check_account_id(account_id)
        by = _actor(by)
        if administered(by) == frozenset():
            raise _refuse("add", "only a staff_admin adds accounts")
        for _ in range(RETRIES):
            try:
                self._fresh(account_id)
            except AccountNotFound:
                pass
            else:
                raise AccountExists(account_id)
            version, head, _ = self._directory_now()
            now = self._now()
            added = AccountAdded(account_id=account_id, by=by.id, at=now)
            appends = account_appends(None, (added,), at=now, directory=(version, head))
            try:
                self._batches.commit_batch(Batch(appends=appends, recorded_at=now))
            except ConcurrencyConflict:
                continue
            return self._fresh(account_id).account
        raise AccountExists(account_id)

    def grant(
        self,
        account_id: str,
        role: str,
        *,
        agency: str | None = None,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        by: Actor,
    ) -> Assignment:
        """Grant *role* to *account_id* at *agency* (``None``: mall-wide), from when until when.

        Args:
            account_id: The account.
            role: The role name (a workflow's role, ``staff_admin``, ``inspector``,
                ``personal_data`` or ``courier``).
            agency: The agency's catalogue code; ``None`` for every agency.
            valid_from: When it starts to count; ``None`` for now.
            valid_until: When it stops counting; ``None`` for until revoked.
            by: Who grants it.

        Returns:
            The assignment, with its id to revoke it by.

        Raises:
            AccountNotFound: If there is no such account.
            NotAuthorised: If *by* is not a ``staff_admin`` of *agency* (mall-wide for a
                mall-wide role), or grants to themselves.
            InvalidValue: If an argument is malformed, *role* is one of `RESERVED_ROLES`
                (``applicant``, ``agency``, ``system``: no member of staff's), or
                *valid_until* is not after *valid_from*.
        """
        ACTOR_ID.check(account_id, field="account_id")
        ROLE.check(role, field="role")
        if role in RESERVED_ROLES:
            raise InvalidValue(
                field="role",
                reason=f"{preview(role)} is not a staff role: it is the applicant's, an agency's "
                "back office's or onestop's own",
            )
        if agency is not None:
            CATALOGUE_CODE.check(agency, field="agency")
        for name, instant in (("valid_from", valid_from), ("valid_until", valid_until)):
            if instant is not None:
                check_instant(instant, field=name)
        by = _actor(by)
        if by.id == account_id:
            raise _refuse("grant", "no one grants a role to themselves")
        if not may_administer(by, agency):
            raise _refuse("grant", "only a staff_admin of the agency grants its roles")
        assignment_id = self._ids.new_id()

        def decide(account: StaffAccount, now: datetime) -> list[StaffEvent]:
            start = now if valid_from is None else valid_from
            if valid_until is not None and valid_until <= start:
                raise InvalidValue(field="valid_until", reason="must be after valid_from")
            return [
                RoleGranted(
                    assignment_id=assignment_id,
                    role=role,
                    agency=agency,
                    valid_from=start,
                    valid_until=valid_until,
                    by=by.id,
                    at=now,
                )
            ]

        account = self._write(account_id, decide)
        granted = account.assignment(assignment_id)
        if granted is None:  # pragma: no cover - it was just appended
            raise AccountNotFound(account_id)
        self._fence(account, by)
        return granted

    def _still_manages(self, issuer: str, account: StaffAccount, now: datetime) -> bool:
        """Whether *issuer* (who issued a credential) may still manage *account*.

        The account itself does; so does an issuer that is no account (the command
        line's operator, acting outside the accounts).
        """
        if issuer == account.account_id:
            return True
        try:
            folded = self._fresh(issuer)
        except (AccountNotFound, InvalidValue):
            return True
        return may_manage(folded.account.actor(now), account)

    def _fence(self, account: StaffAccount, by: Actor) -> None:
        """After a grant, revoke the API tokens whose issuer may no longer manage *account*.

        An agency's admin may issue a token for an officer of its agency; once a
        mall-wide admin grants that officer a wider role, the token would let the
        agency's admin act with powers it may not grant.
        """
        now = self._now()
        stale = [
            token.token_id
            for token in account.tokens
            if token.issued_by != by.id and not self._still_manages(token.issued_by, account, now)
        ]
        for token_id in stale:
            self._drop_token(account.account_id, token_id, by)

    def revoke(self, account_id: str, assignment_id: str, *, by: Actor) -> None:
        """Revoke assignment *assignment_id* of *account_id*: it stops counting at once.

        Revoking an assignment revoked already does nothing.

        Raises:
            AccountNotFound: If there is no such account.
            NotAuthorised: If *by* is not a ``staff_admin`` of the assignment's agency.
        """
        ACTOR_ID.check(account_id, field="account_id")
        _label(assignment_id, "assignment_id")
        by = _actor(by)

        def decide(account: StaffAccount, now: datetime) -> list[StaffEvent]:
            held = account.assignment(assignment_id)
            if held is None:
                return []
            if not may_administer(by, held.agency):
                raise _refuse("revoke", "only a staff_admin of the agency revokes its roles")
            return [RoleRevoked(assignment_id=assignment_id, by=by.id, at=now)]

        self._write(account_id, decide)

    def _toggle(self, account_id: str, by: Actor, *, enable: bool) -> None:
        action = "enable" if enable else "disable"
        ACTOR_ID.check(account_id, field="account_id")
        by = _actor(by)

        def decide(account: StaffAccount, now: datetime) -> list[StaffEvent]:
            self._require_manage(action, by, account)
            if account.active == enable:
                return []
            event = AccountEnabled if enable else AccountDisabled
            return [event(by=by.id, at=now)]

        self._write(account_id, decide)
        if not enable:
            self._staff.delete_secrets(account_id=account_id, kind="session")

    def disable(self, account_id: str, *, by: Actor) -> None:
        """Disable *account_id*: it cannot sign in, and its sessions and tokens stop working.

        Raises:
            AccountNotFound: If there is no such account.
            NotAuthorised: If *by* may not manage the account.
        """
        self._toggle(account_id, by, enable=False)

    def enable(self, account_id: str, *, by: Actor) -> None:
        """Enable *account_id* again (its tokens work again; sessions were ended).

        Raises:
            AccountNotFound: If there is no such account.
            NotAuthorised: If *by* may not manage the account.
        """
        self._toggle(account_id, by, enable=True)

    def issue_token(
        self,
        account_id: str,
        *,
        name: str,
        expires_at: datetime | None = None,
        by: Actor,
    ) -> IssuedToken:
        """Issue an API token for *account_id* (an agency's back office): shown once.

        Only its SHA-256 digest is kept; the event records its id and *name*.

        Raises:
            AccountNotFound: If there is no such account.
            NotAuthorised: If *by* may not manage the account.
            InvalidValue: If *name* is not 1 to 128 characters, or *expires_at* is not
                in the future.
        """
        ACTOR_ID.check(account_id, field="account_id")
        _label(name, "name")
        by = _actor(by)
        if expires_at is not None:
            check_instant(expires_at, field="expires_at")
        self._require_manage("issue_token", by, self.account(account_id))
        now = self._now()
        if expires_at is not None and expires_at <= now:
            raise InvalidValue(field="expires_at", reason="must be in the future")
        token_id, token = self._ids.new_id(), "ost_" + self._ids.secret() + self._ids.secret()
        self._staff.put_secret(
            StaffSecret(
                key=digest(token),
                account_id=account_id,
                kind="token",
                data=token_id.encode("ascii"),
                created_at=now,
                expires_at=expires_at,
            )
        )
        self._write(
            account_id,
            lambda _, at: [
                TokenIssued(token_id=token_id, name=name, expires_at=expires_at, by=by.id, at=at)
            ],
        )
        return IssuedToken(token_id=token_id, token=token, expires_at=expires_at)

    def revoke_token(self, account_id: str, token_id: str, *, by: Actor) -> None:
        """Revoke API token *token_id*: it stops working on the next request.

        Raises:
            AccountNotFound: If there is no such account.
            NotAuthorised: If *by* is neither the account nor may manage it.
        """
        ACTOR_ID.check(account_id, field="account_id")
        _label(token_id, "token_id")
        by = _actor(by)
        self._self_or_manager("revoke_token", account_id, by)
        self._drop_token(account_id, token_id, by)

    def _drop_token(self, account_id: str, token_id: str, by: Actor) -> None:
        for secret in self._staff.secrets_of(account_id, kind="token"):
            if secret.data == token_id.encode("utf-8", "surrogatepass"):
                self._staff.delete_secrets(key=secret.key)
        self._write(
            account_id,
            lambda acc, now: (
                [TokenRevoked(token_id=token_id, by=by.id, at=now)]
                if acc.token(token_id) is not None
                else []
            ),
        )

    # --- external identities ----------------------------------------------------------------

    def link_identity(self, account_id: str, identity: ExternalIdentity, *, by: Actor) -> None:
        """Let *identity*'s provider sign *account_id* in (`sign_in_external`).

        Raises:
            AccountNotFound: If there is no such account.
            AccountExists: If *identity* is linked to another account.
            NotAuthorised: If *by* may not manage the account.
        """
        ACTOR_ID.check(account_id, field="account_id")
        check_type(identity, ExternalIdentity, field="identity")
        by = _actor(by)
        self._require_manage("link_identity", by, self.account(account_id))
        now = self._now()
        key = identity_key(identity)
        linked = self._staff.secret(key, at=now)
        if linked is not None and linked.account_id != account_id:
            raise AccountExists(linked.account_id)
        self._staff.put_secret(
            StaffSecret(
                key=key,
                account_id=account_id,
                kind="identity",
                data=b"",
                created_at=now,
            )
        )
        self._write(
            account_id,
            lambda acc, at: (
                []
                if identity in acc.identities
                else [IdentityLinked(identity=identity, by=by.id, at=at)]
            ),
        )

    def unlink_identity(self, account_id: str, identity: ExternalIdentity, *, by: Actor) -> None:
        """Stop *identity*'s provider from signing *account_id* in, and end the account's
        sessions (those it began among them), as a password change does.

        Raises:
            AccountNotFound: If there is no such account.
            NotAuthorised: If *by* may not manage the account.
        """
        ACTOR_ID.check(account_id, field="account_id")
        check_type(identity, ExternalIdentity, field="identity")
        by = _actor(by)
        account = self.account(account_id)
        self._require_manage("unlink_identity", by, account)
        key = identity_key(identity)
        self._staff.delete_secrets(key=key, account_id=account_id)
        changed = self._write(
            account_id,
            lambda acc, at: (
                [IdentityUnlinked(identity=identity, by=by.id, at=at)]
                if identity in acc.identities
                else []
            ),
        )
        if identity in account.identities:  # its sessions end, as a password change's do
            self._end_sessions(account_id, None, at=changed.sessions_ended_at)
