"""Errors of staff accounts: who they are, how they sign in, and what they may do."""

from __future__ import annotations

from onestop.exceptions._base import NotFound, OnestopError, _shown


class StaffError(OnestopError):
    """A staff account command or a sign-in was refused; nothing was recorded."""


class AccountNotFound(NotFound, StaffError):
    """No staff account has this id.

    Attributes:
        account_id: The id looked up.
    """

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        super().__init__(f"no staff account {_shown(account_id)}")


class AccountExists(StaffError):
    """A staff account with this id exists already.

    Attributes:
        account_id: The id.
    """

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        super().__init__(f"the staff account {_shown(account_id)} exists already")


class SignInRefused(StaffError):
    """A sign-in failed: the account, its password or its code is not right.

    One answer whatever was wrong, so that it does not tell which accounts exist; it
    names no account.
    """

    def __init__(self) -> None:
        super().__init__("the account, password or code is not right")


class AccountLocked(StaffError):
    """Too many sign-ins failed for this account (or from this client) lately.

    The right password is refused too until the failures age out of the window.

    Attributes:
        retry_after: Seconds after which a sign-in may be tried again.
    """

    def __init__(self, *, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many failed sign-ins; try again in {retry_after} seconds")


class SecondFactorRequired(StaffError):
    """The password is right, and the account needs a one-time code from its authenticator."""

    def __init__(self) -> None:
        super().__init__("a one-time code from the account's authenticator is needed")


class NotAuthorised(StaffError):
    """The acting member of staff may not do this.

    Attributes:
        action: What was refused (``grant``, ``read personal data``, ...).
        reason: Why, in words without personal data.
    """

    def __init__(self, *, action: str, reason: str) -> None:
        self.action = action
        self.reason = reason
        super().__init__(f"{_shown(action)} not authorised: {reason}")


class WeakPassword(StaffError, ValueError):
    """A new password does not meet the password policy; it is never quoted.

    Attributes:
        reason: What is wrong with it.
    """

    def __init__(self, *, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the password is refused: {reason}")
