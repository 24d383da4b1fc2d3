"""Staff accounts, roles per agency, sign-in, and who may see what.

The package re-exports `onestop.usecases.staff.desk` (`StaffDesk`: accounts, grants,
credentials, sign-in, sessions and API tokens), `onestop.usecases.staff.values`
(`SignInPolicy` and what the desk answers), `onestop.usecases.staff.authorisation`
(the functions that decide who may read, see personal data and list what, and
`AccessLog`), and the identity authentication yields
(`onestop.domain.staff.StaffIdentity`).  The explanation is
``docs/explanation/staff-and-roles.md``.
"""

from __future__ import annotations

from onestop.domain.staff import ExternalIdentity, StaffAccount, StaffIdentity
from onestop.usecases.staff.authorisation import (
    ADMIN,
    COURIER,
    INSPECTOR,
    PERSONAL_DATA,
    STAFF_ROLES,
    AccessLog,
    administered,
    may_administer,
    may_manage,
    may_read,
    may_see_job_address,
    may_see_personal_data,
    require_personal_data,
    require_read,
    worklist_agencies,
)
from onestop.usecases.staff.desk import StaffDesk
from onestop.usecases.staff.values import (
    IssuedToken,
    SecondFactorEnrolment,
    SignedIn,
    SignInPolicy,
)

__all__ = [
    "ADMIN",
    "COURIER",
    "INSPECTOR",
    "PERSONAL_DATA",
    "STAFF_ROLES",
    "AccessLog",
    "ExternalIdentity",
    "IssuedToken",
    "SecondFactorEnrolment",
    "SignedIn",
    "SignInPolicy",
    "StaffAccount",
    "StaffDesk",
    "StaffIdentity",
    "administered",
    "may_administer",
    "may_manage",
    "may_read",
    "may_see_job_address",
    "may_see_personal_data",
    "require_personal_data",
    "require_read",
    "worklist_agencies",
]
