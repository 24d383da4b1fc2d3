"""Who may see and manage what: the one place staff authorisation is decided.

Pure functions over a `onestop.domain.staff.StaffIdentity` (what authentication found:
the roles in force now, per agency) and what is asked for:

* **Reading an application** (`may_read`, `require_read`): any role in force at the
  application's agency, or mall-wide.  An application of another agency is answered
  exactly like a missing one (`onestop.exceptions.ApplicationNotFound`), so that ids
  of other agencies' applications cannot be probed (IDOR).
* **Its personal data** (`may_see_personal_data`, `require_personal_data`): a role at
  the agency other than ``inspector``, ``personal_data``, ``staff_admin`` and
  ``courier``; or ``inspector`` together with ``personal_data`` there.  An inspector
  alone sees histories and chains, not who applied; a courier sees only the address of
  a job it has claimed (`may_see_job_address`).
* **Worklists** (`worklist_agencies`): the agencies whose applications a member of
  staff may list, for `onestop.ports.events.SummaryQuery.agencies`, so that the store
  filters in the query itself; ``None`` for every agency.
* **Courier handoffs** (`may_hand_over`): the job's own courier (holding ``courier``
  at the agency), or an officer holding a workflow role there; never an inspector, an
  administrator or another courier.
* **Accounts** (`may_administer`, `may_manage`): ``staff_admin`` mall-wide manages
  every account and grants anywhere; ``staff_admin`` at an agency grants and revokes
  only there, and manages only accounts whose every assignment, revoked ones too, is at
  agencies it administers (an account with no role yet: mall-wide admins only).

`AccessLog` appends to the access record (`onestop.ports.staff.StaffStore.record_access`)
each read of personal data: who, which application, what, through which route, when.

>>> from onestop.domain.common.actors import Actor, Grant
>>> from onestop.domain.staff import StaffIdentity
>>> eve = StaffIdentity(account_id="eve", method="password", actor=Actor(
...     id="eve", grants={Grant("inspector", agency="dpmptsp")}))
>>> may_see_personal_data(eve, "dpmptsp"), worklist_agencies(eve)
(False, frozenset({'dpmptsp'}))
"""

from __future__ import annotations

from datetime import datetime

from onestop.domain.common.actors import Actor
from onestop.domain.common.formats import CATALOGUE_CODE
from onestop.domain.common.kinds import check_type
from onestop.domain.staff import StaffAccount, StaffIdentity
from onestop.exceptions import ApplicationNotFound, NotAuthorised
from onestop.ports.events import Clock, Summary
from onestop.ports.staff import AccessRecord, StaffStore

__all__ = [
    "ADMIN",
    "INSPECTOR",
    "PERSONAL_DATA",
    "STAFF_ROLES",
    "COURIER",
    "AccessLog",
    "administered",
    "may_administer",
    "may_hand_over",
    "may_manage",
    "may_read",
    "may_see_job_address",
    "may_see_personal_data",
    "require_personal_data",
    "require_read",
    "worklist_agencies",
]

ADMIN = "staff_admin"
"""The role that manages accounts and grants: mall-wide, or at one agency."""

INSPECTOR = "inspector"
"""The read-only role: histories and chains, no personal data unless `PERSONAL_DATA` too."""

PERSONAL_DATA = "personal_data"
"""Granted beside `INSPECTOR` at an agency, lets the inspector see personal data there."""

COURIER = "courier"
"""The role of the mall's couriers."""

STAFF_ROLES = frozenset({ADMIN, INSPECTOR, PERSONAL_DATA, COURIER})
"""The roles onestop adds to the workflow roles a catalogue declares."""

_BLIND = frozenset({ADMIN, INSPECTOR, PERSONAL_DATA, COURIER})
"""Roles that do not, alone, show personal data."""


def _identity(identity: object) -> StaffIdentity:
    return check_type(identity, StaffIdentity, field="identity")


def _agency(agency: object) -> str | None:
    return None if agency is None else CATALOGUE_CODE.check(agency, field="agency")


def may_read(identity: StaffIdentity, summary: Summary, /) -> bool:
    """Whether *identity* may read the application *summary* describes (not its personal data).

    Any role in force at the application's agency counts, mall-wide ones too, except
    ``personal_data``: it widens what an inspector sees, never where it reads.

    Raises:
        onestop.exceptions.InvalidValue: If an argument is of the wrong type.
    """
    _identity(identity)
    check_type(summary, Summary, field="summary")
    return bool(identity.actor.roles_in(_agency(summary.agency)) - {PERSONAL_DATA})


def may_see_personal_data(identity: StaffIdentity, agency: str, /) -> bool:
    """Whether *identity* may see the personal data of *agency*'s applications.

    A role there other than ``inspector``, ``personal_data``, ``staff_admin`` or
    ``courier`` shows it; so does ``inspector`` with ``personal_data``.  A courier sees
    the address of its own jobs only (`may_see_job_address`).

    Raises:
        onestop.exceptions.InvalidValue: If *identity* is not a `StaffIdentity` or
            *agency* not an agency code.
    """
    _identity(identity)
    roles = identity.actor.roles_in(CATALOGUE_CODE.check(agency, field="agency"))
    return bool(roles - _BLIND) or {INSPECTOR, PERSONAL_DATA} <= roles


def may_see_job_address(identity: StaffIdentity, agency: str, courier_id: str | None, /) -> bool:
    """Whether *identity* may see the address of a courier job of *agency*'s application.

    Whoever may see the agency's personal data may; so may the job's courier
    (*courier_id*, who claimed it) while it holds ``courier`` at the agency: the address
    is what its job needs, and nothing else of the application.

    Raises:
        onestop.exceptions.InvalidValue: If *identity* is not a `StaffIdentity`, *agency*
            not an agency code or *courier_id* neither ``None`` nor text.
    """
    if may_see_personal_data(identity, agency):
        return True
    if courier_id is not None:
        check_type(courier_id, str, field="courier_id")
    return courier_id == identity.account_id and COURIER in identity.actor.roles_in(agency)


def worklist_agencies(identity: StaffIdentity, /) -> frozenset[str] | None:
    """The agencies whose applications *identity* may list; ``None`` for every agency.

    A mall-wide role reaches every agency; otherwise the agencies of its grants (an
    empty set: none).  ``personal_data`` reaches no agency by itself.

    Raises:
        onestop.exceptions.InvalidValue: If *identity* is not a `StaffIdentity`.
    """
    actor = _identity(identity).actor
    if actor.roles - {PERSONAL_DATA}:
        return None
    return frozenset(
        grant.agency
        for grant in actor.grants
        if grant.agency is not None and grant.role != PERSONAL_DATA
    )


def may_hand_over(identity: StaffIdentity, agency: str, /, *, courier_id: str | None) -> bool:
    """Whether *identity* may take part in a handoff of a courier job of *agency*.

    The job's courier (*courier_id*, holding ``courier`` at *agency*) may, and so may an
    officer holding a workflow role there; ``inspector``, ``personal_data``,
    ``staff_admin`` and another courier may not.

    Raises:
        onestop.exceptions.InvalidValue: If *identity* is not a `StaffIdentity` or
            *agency* not an agency code.
    """
    _identity(identity)
    roles = identity.actor.roles_in(CATALOGUE_CODE.check(agency, field="agency"))
    if COURIER in roles and identity.account_id == courier_id:
        return True
    return bool(roles - _BLIND - {COURIER})


def require_read(identity: StaffIdentity, summary: Summary, /) -> None:
    """Refuse unless *identity* may read the application *summary* describes.

    Raises:
        onestop.exceptions.ApplicationNotFound: If it may not: the answer to an id that
            names no application, so another agency's ids cannot be probed.
        onestop.exceptions.InvalidValue: If an argument is of the wrong type.
    """
    if not may_read(identity, summary):
        raise ApplicationNotFound(summary.stream_id)


def require_personal_data(identity: StaffIdentity, summary: Summary, /) -> None:
    """Refuse unless *identity* may read the application and its personal data.

    Raises:
        onestop.exceptions.ApplicationNotFound: If it may not read the application.
        onestop.exceptions.NotAuthorised: If it may read it, but not its personal data.
        onestop.exceptions.InvalidValue: If an argument is of the wrong type.
    """
    require_read(identity, summary)
    if not may_see_personal_data(identity, summary.agency):
        raise NotAuthorised(
            action="read personal data",
            reason="no role at the application's agency shows personal data",
        )


def administered(actor: Actor, /) -> frozenset[str] | None:
    """The agencies *actor* administers accounts at; ``None`` for every one (mall-wide).

    Raises:
        onestop.exceptions.InvalidValue: If *actor* is not an `Actor`.
    """
    check_type(actor, Actor, field="actor")
    if ADMIN in actor.roles:
        return None
    return frozenset(g.agency for g in actor.grants if g.role == ADMIN and g.agency is not None)


def may_administer(actor: Actor, agency: str | None, /) -> bool:
    """Whether *actor* may grant and revoke roles at *agency* (``None``: mall-wide roles).

    Raises:
        onestop.exceptions.InvalidValue: If *actor* is not an `Actor` or *agency* neither
            ``None`` nor an agency code.
    """
    agencies = administered(actor)
    agency = _agency(agency)
    return agencies is None or (agency is not None and agency in agencies)


def may_manage(actor: Actor, account: StaffAccount, /) -> bool:
    """Whether *actor* may manage *account*: disable it, set its password, issue its tokens.

    A mall-wide ``staff_admin`` manages every account.  An agency's ``staff_admin``
    manages an account that holds or held at least one assignment, every one of which
    (in force, future, expired or revoked) is at an agency it administers.  So an
    account with no role yet, or one that ever held a mall-wide role or a role at
    another agency, is managed by a mall-wide ``staff_admin`` only: an agency's admin
    cannot take over an account about to be (or once) given wider powers.

    Raises:
        onestop.exceptions.InvalidValue: If an argument is of the wrong type.
    """
    agencies = administered(actor)
    check_type(account, StaffAccount, field="account")
    if agencies is None:
        return True
    held = account.assignments + account.revoked
    if not agencies or not held:
        return False
    return all(a.agency is not None and a.agency in agencies for a in held)


class AccessLog:
    """Records each read of personal data by a member of staff in the access record.

    Args:
        staff: The store that keeps the record.
        clock: Tells when the read happened.

    Raises:
        onestop.exceptions.InvalidValue: If *staff* is not a `StaffStore` or *clock*
            not a `onestop.ports.events.Clock`.
    """

    def __init__(self, *, staff: StaffStore, clock: Clock) -> None:
        """Record into *staff*, at *clock*'s time."""
        self._staff = check_type(staff, StaffStore, field="staff")
        self._clock = check_type(clock, Clock, field="clock")

    def __repr__(self) -> str:
        """Name the class only."""
        return "<AccessLog>"

    def record(
        self,
        identity: StaffIdentity,
        application_id: str,
        what: str,
        route: str,
        request_id: str = "",
    ) -> AccessRecord:
        """Append that *identity* read *what* of application *application_id* through *route*.

        Args:
            identity: Who read.
            application_id: The application whose personal data was read.
            what: What was read, a role-like name (``applicant``, ``answers``, ``document``).
            route: Through what: an HTTP route template or a command name.
            request_id: The request's id, to match the access log; may be empty.

        Returns:
            The record appended.

        Raises:
            onestop.exceptions.InvalidValue: If an argument is malformed.
            onestop.exceptions.StorageError: If the store cannot append it.
        """
        _identity(identity)
        at: datetime = self._clock.now()
        record = AccessRecord(
            actor_id=identity.account_id,
            application_id=application_id,
            what=what,
            route=route,
            at=at,
            request_id=request_id,
        )
        self._staff.record_access([record])
        return record
