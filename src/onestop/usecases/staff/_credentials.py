"""The staff desk's credentials half: passwords and second factors, set or changed.

A manager of an account (`onestop.usecases.staff.authorisation.may_manage`) sets its
password and second factor; a member of staff changes their own, proving it with the
current password or a code of the second factor (a wrong one counts like a failed
sign-in).  Any change of them ends the account's sessions, but the caller's own.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs
import pyotp

from onestop.domain.common.actors import Actor
from onestop.domain.common.formats import ACTOR_ID, kind_of
from onestop.domain.common.kinds import check_type
from onestop.domain.staff import (
    PasswordChanged,
    SecondFactorEnrolled,
    SecondFactorRemoved,
    StaffAccount,
)
from onestop.exceptions import InvalidValue, NotAuthorised, SignInRefused, WeakPassword
from onestop.ports.staff import StaffSecret
from onestop.usecases.staff._signin import SignInDesk, failure_key
from onestop.usecases.staff.authorisation import may_manage
from onestop.usecases.staff.values import SecondFactorEnrolment

ENROLMENT_MINUTES = 10
"""How long an enrolment of a second factor waits for its confirmation."""


def actor_of(by: object) -> Actor:
    """*by* if it is an `Actor`; `InvalidValue` naming ``by`` if not."""
    return check_type(by, Actor, field="by")


def refusal(action: str, reason: str) -> NotAuthorised:
    """The `NotAuthorised` for *action*, for *reason*."""
    return NotAuthorised(action=action, reason=reason)


class CredentialsDesk(SignInDesk):
    """The staff desk's credentials half (`onestop.usecases.staff.StaffDesk` is the whole)."""

    def _require_manage(self, action: str, by: Actor, account: StaffAccount) -> None:
        if not may_manage(by, account):
            raise refusal(action, "only a staff_admin over every agency of the account may")

    def _self_or_manager(self, action: str, account_id: str, by: Actor) -> StaffAccount:
        account = self._fresh(account_id).account
        if by.id != account_id:
            self._require_manage(action, by, account)
        return account

    def _proven(self, action: str, account: StaffAccount, by: Actor, current: object) -> None:
        """Refuse a member of staff changing their own credentials without *current*: the
        account's current password, or a code of its second factor.  A manager changing
        someone else's needs none.  A wrong one counts like a failed sign-in."""
        if by.id != account.account_id:
            return
        if current is None:
            raise refusal(action, "one's own credentials change with the current password")
        if not isinstance(current, str):
            raise InvalidValue(field="current", reason=f"expected text, not {kind_of(current)}")
        keys = ((failure_key("account", account.account_id), self._policy.max_failures),)
        now = self._now()
        self._gate(keys, now)
        seed = self._seed(account.account_id) if account.second_factor else None
        if seed is not None and self._code_matches(account.account_id, seed, current):
            self._forgive(keys, now)
            return
        typed = current if len(current) <= self._policy.max_password else None
        if not (account.has_password and typed is not None):
            raise SignInRefused
        if not self._password_matches(account.account_id, typed):
            raise SignInRefused
        self._forgive(keys, now)

    def _end_sessions(self, account_id: str, keep: object, *, at: datetime | None) -> None:
        """End the account's sessions but *keep* (a `StaffIdentity.session_id`), which
        counts as begun *at* the change (the account's `sessions_ended_at`): every session
        begun before is refused from then on, even one a late write put back."""
        for secret in self._staff.secrets_of(account_id, kind="session"):
            if keep is None or secret.key[:16] != keep:
                self._staff.delete_secrets(key=secret.key)
            elif at is not None and secret.created_at < at:
                self._staff.put_secret(attrs.evolve(secret, created_at=at))

    def _check_password(self, account_id: str, password: object) -> str:
        if not isinstance(password, str):
            raise InvalidValue(field="password", reason=f"expected text, not {kind_of(password)}")
        policy = self._policy
        if not policy.min_password <= len(password) <= policy.max_password:
            raise WeakPassword(
                reason=f"must be {policy.min_password} to {policy.max_password} characters long"
            )
        if password.strip().casefold() == account_id.casefold():
            raise WeakPassword(reason="must not be the account's id")
        if len(set(password)) < 4:
            raise WeakPassword(reason="must have at least 4 different characters")
        try:
            password.encode("utf-8")
        except UnicodeEncodeError:
            raise WeakPassword(reason="is not valid Unicode text") from None
        return password

    def set_password(
        self,
        account_id: str,
        password: str,
        *,
        by: Actor,
        current: str | None = None,
        keep: str | None = None,
    ) -> None:
        """Set *account_id*'s password (its Argon2id hash is kept; the event says only when).

        A member of staff sets their own, proving it with *current*; a manager of the
        account sets anyone's.  Every session of the account ends, but *keep*.

        Args:
            account_id: The account.
            password: The new password.
            by: Who sets it.
            current: When *by* is the account: its current password, or a code of its
                second factor.
            keep: The session not to end (`StaffIdentity.session_id` of the caller's).

        Raises:
            AccountNotFound: If there is no such account.
            NotAuthorised: If *by* is neither the account nor may manage it, or is the
                account and gave no *current*.
            SignInRefused: If *current* is not right (it counts like a failed sign-in).
            AccountLocked: If too many sign-ins failed lately.
            WeakPassword: If the password is too short or long (`SignInPolicy`), is the
                account's id, or has fewer than 4 different characters.
        """
        ACTOR_ID.check(account_id, field="account_id")
        by = actor_of(by)
        password = self._check_password(account_id, password)
        account = self._self_or_manager("set_password", account_id, by)
        self._proven("set_password", account, by, current)
        self._put_password(account_id, password, self._now())
        changed = self._write(account_id, lambda _, now: [PasswordChanged(by=by.id, at=now)])
        self._end_sessions(account_id, keep, at=changed.sessions_ended_at)

    def enrol_second_factor(
        self, account_id: str, *, by: Actor, current: str | None = None
    ) -> SecondFactorEnrolment:
        """Start enrolling a TOTP second factor: a new seed, for an authenticator app.

        It counts once confirmed (`confirm_second_factor`) within 10 minutes.  A member
        of staff enrols their own with *current* (as for `set_password`).

        Raises:
            AccountNotFound: If there is no such account.
            NotAuthorised: If *by* is neither the account nor may manage it, or is the
                account and gave no *current*.
            SignInRefused: If *current* is not right.
        """
        ACTOR_ID.check(account_id, field="account_id")
        by = actor_of(by)
        account = self._self_or_manager("enrol_second_factor", account_id, by)
        self._proven("enrol_second_factor", account, by, current)
        seed = pyotp.random_base32()
        now = self._now()
        self._staff.put_secret(
            StaffSecret(
                key=f"totp_pending:{account_id}",
                account_id=account_id,
                kind="totp_pending",
                data=self._seed_data(account_id, seed),
                created_at=now,
                expires_at=now + timedelta(minutes=ENROLMENT_MINUTES),
            )
        )
        uri = pyotp.TOTP(seed).provisioning_uri(
            name=account_id, issuer_name=self._policy.totp_issuer
        )
        return SecondFactorEnrolment(secret=seed, uri=uri)

    def confirm_second_factor(self, account_id: str, code: str, *, keep: str | None = None) -> None:
        """Confirm the enrolment with a *code* the app shows: from now on sign-in needs one.

        Every session of the account ends, but *keep* (a `StaffIdentity.session_id`).

        Raises:
            SignInRefused: If no enrolment is pending or the code does not fit.
            AccountNotFound: If there is no such account.
        """
        ACTOR_ID.check(account_id, field="account_id")
        seed = self._seed(account_id, pending=True)
        if seed is None or not self._code_matches(account_id, seed, code):
            raise SignInRefused
        now = self._now()
        self._staff.put_secret(
            StaffSecret(
                key=f"totp:{account_id}",
                account_id=account_id,
                kind="totp",
                data=self._seed_data(account_id, seed),
                created_at=now,
            )
        )
        self._staff.delete_secrets(key=f"totp_pending:{account_id}")
        changed = self._write(
            account_id, lambda _, at: [SecondFactorEnrolled(by=account_id, at=at)]
        )
        self._end_sessions(account_id, keep, at=changed.sessions_ended_at)

    def remove_second_factor(
        self,
        account_id: str,
        *,
        by: Actor,
        current: str | None = None,
        keep: str | None = None,
    ) -> None:
        """Remove *account_id*'s second factor (a lost phone): sign-in needs a password only.

        A member of staff removes their own with *current* (as for `set_password`).
        Every session of the account ends, but *keep*.

        Raises:
            AccountNotFound: If there is no such account.
            NotAuthorised: If *by* is neither the account nor may manage it, or is the
                account and gave no *current*.
            SignInRefused: If *current* is not right.
        """
        ACTOR_ID.check(account_id, field="account_id")
        by = actor_of(by)
        account = self._self_or_manager("remove_second_factor", account_id, by)
        self._proven("remove_second_factor", account, by, current)
        for kind in ("totp", "totp_pending"):
            self._staff.delete_secrets(key=f"{kind}:{account_id}")
        if account.second_factor:
            account = self._write(
                account_id,
                lambda acc, now: (
                    [SecondFactorRemoved(by=by.id, at=now)] if acc.second_factor else []
                ),
            )
        self._end_sessions(account_id, keep, at=account.sessions_ended_at)
