"""Staff accounts: who holds which role at which agency, from when to when, granted by whom.

The package re-exports `onestop.domain.staff.accounts` (the account folded from its
stream, its assignments and the identity authentication yields) and
`onestop.domain.staff.events` (the events of an account's stream).  Nothing here is
personal data: an account is an id, a role a name, an agency a code.
"""

from __future__ import annotations

from onestop.domain.staff.accounts import (
    AccountStatus,
    Assignment,
    StaffAccount,
    StaffIdentity,
    TokenInfo,
)
from onestop.domain.staff.events import (
    ACCOUNT_PREFIX,
    DIRECTORY_STREAM,
    MAX_IDENTITY_TEXT,
    RESERVED_ACCOUNT_IDS,
    RESERVED_ACCOUNT_PREFIXES,
    RESERVED_ROLES,
    STAFF_EVENT_TYPES,
    AccountAdded,
    AccountDisabled,
    AccountEnabled,
    AccountListed,
    DirectoryEvent,
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
    account_stream,
    check_account_id,
    is_staff_stream,
)

__all__ = [
    "ACCOUNT_PREFIX",
    "DIRECTORY_STREAM",
    "MAX_IDENTITY_TEXT",
    "STAFF_EVENT_TYPES",
    "AccountAdded",
    "AccountDisabled",
    "AccountEnabled",
    "AccountListed",
    "AccountStatus",
    "Assignment",
    "DirectoryEvent",
    "ExternalIdentity",
    "IdentityLinked",
    "IdentityUnlinked",
    "PasswordChanged",
    "RoleGranted",
    "RoleRevoked",
    "SecondFactorEnrolled",
    "SecondFactorRemoved",
    "StaffAccount",
    "StaffEvent",
    "StaffIdentity",
    "TokenInfo",
    "TokenIssued",
    "TokenRevoked",
    "RESERVED_ACCOUNT_IDS",
    "RESERVED_ROLES",
    "RESERVED_ACCOUNT_PREFIXES",
    "account_stream",
    "check_account_id",
    "is_staff_stream",
]
