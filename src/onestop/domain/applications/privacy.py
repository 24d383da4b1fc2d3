"""Commands on an application's personal data: legal holds, and recording an erasure.

`onestop.domain.applications.commands.decide` takes them like every other command and
checks first that the actor holds one of the workflow's officer roles in the
application's agency (`RoleNotAllowed` otherwise); `privacy_event` then checks the rest
and builds the event.  None of the events changes the application's state, SLA clock or
tracked status, and each is taken whether the application is open or closed:

* `PlaceLegalHold`: a hold with a new id (at most `MAX_HOLD_ID` visible ASCII
  characters: a case or order reference, never personal data) and a reason code;
  refused once the data was erased.
* `LiftLegalHold`: lifts a hold on the application; an unknown id is refused.
* `ErasePersonalData`: records the erasure of the application's subjects under a legal
  basis, if `onestop.domain.applications.erasure.erasure_refusal` finds no rule keeping
  the data (`ErasureRefused` names the rule otherwise).  The caller destroys the
  subjects' keys; this only decides and records.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from onestop.domain.applications.application import (
    Application,
    ErasureRecorded,
    LegalHoldLifted,
    LegalHoldPlaced,
)
from onestop.domain.applications.erasure import erasure_refusal, retention_of, subjects_of
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.common.formats import CODE, KEY, kind_of, text_problem
from onestop.domain.common.kinds import check_instant, check_type
from onestop.domain.workflow.engine import Actor
from onestop.exceptions import CommandRefused, InvalidApplication, Problem

__all__ = [
    "MAX_HOLD_ID",
    "MAX_LEGAL_BASIS",
    "ErasePersonalData",
    "LiftLegalHold",
    "PlaceLegalHold",
    "privacy_event",
]

MAX_HOLD_ID = 128
"""The longest hold id, in characters (`onestop.domain.common.formats.KEY`)."""
MAX_LEGAL_BASIS = 200
"""The longest legal basis of an erasure, in characters."""


@attrs.frozen(kw_only=True)
class PlaceLegalHold:
    """Place a legal hold: the application's personal data may not be erased until it is lifted.

    Attributes:
        hold_id: A new id for the hold (a case or order reference).
        reason: A reason code (``litigation``, ``audit``, ``court_order``).
        actor: The officer placing it.
    """

    hold_id: str
    reason: str
    actor: Actor


@attrs.frozen(kw_only=True)
class LiftLegalHold:
    """Lift the legal hold placed with *hold_id*."""

    hold_id: str
    actor: Actor


@attrs.frozen(kw_only=True)
class ErasePersonalData:
    """Record the erasure of the application's personal data.

    Attributes:
        legal_basis: The law or decision it rests on, one line of at most
            `MAX_LEGAL_BASIS` characters (never personal data).
        actor: The officer erasing it.
        overriding: Whether the legal basis overrides the service's keep period.
    """

    legal_basis: str
    actor: Actor
    overriding: bool = False


PrivacyCommand = PlaceLegalHold | LiftLegalHold | ErasePersonalData


def privacy_event(
    application: Application,
    command: PrivacyCommand,
    /,
    *,
    role: str | None,
    catalogue: Catalogue,
    at: datetime,
) -> LegalHoldPlaced | LegalHoldLifted | ErasureRecorded:
    """Return the event *command* records on *application* at *at*, its actor acting in *role*.

    Raises:
        InvalidApplication: If a hold id, reason code or legal basis is malformed.
        CommandRefused: If a hold id is placed twice, or lifted while not on, or a hold
            is placed on erased data.
        ErasureRefused: If a rule keeps the data (`erasure_refusal`).
        ServiceNotFound: If the catalogue lacks the application's service version.
        InvalidValue: If an argument is not of its type (`NaiveDatetime` for a naive *at*).
    """
    check_type(application, Application, field="application")
    check_type(command, (PlaceLegalHold, LiftLegalHold, ErasePersonalData), field="command")
    check_type(command.actor, Actor, field="actor")
    check_type(role, (str, type(None)), field="role")
    check_type(catalogue, Catalogue, field="catalogue")
    check_instant(at, field="at")
    if isinstance(command, ErasePersonalData):
        return _erase(application, command, role=role, catalogue=catalogue, at=at)
    problems = _problems("hold_id", KEY.problem(command.hold_id))
    if isinstance(command, PlaceLegalHold):
        reason = CODE.problem(command.reason)
        problems += _problems("reason", None if reason is None else f"a reason code {reason}")
    if problems:
        raise InvalidApplication(problems)
    held = {hold.hold_id for hold in application.holds}
    actor = command.actor.id
    if isinstance(command, LiftLegalHold):
        if command.hold_id not in held:
            raise CommandRefused(command="lift_legal_hold", reason="no such legal hold is on it")
        return LegalHoldLifted(hold_id=command.hold_id, actor=actor, role=role, at=at)
    if command.hold_id in held:
        raise CommandRefused(command="place_legal_hold", reason="a hold with this id is on it")
    if application.erased is not None:
        raise CommandRefused(command="place_legal_hold", reason="its personal data was erased")
    return LegalHoldPlaced(
        hold_id=command.hold_id, reason=command.reason, actor=actor, role=role, at=at
    )


def _erase(
    application: Application,
    command: ErasePersonalData,
    *,
    role: str | None,
    catalogue: Catalogue,
    at: datetime,
) -> ErasureRecorded:
    basis: object = command.legal_basis
    reason = text_problem(basis, max_length=MAX_LEGAL_BASIS)
    if reason is None and isinstance(basis, str) and not basis.strip():
        reason = "a legal basis needs text"
    problems = _problems("legal_basis", reason)
    overriding: object = command.overriding
    if not isinstance(overriding, bool):
        problems += _problems("overriding", f"expected a boolean, not {kind_of(overriding)}")
    if problems:
        raise InvalidApplication(problems)
    refusal = erasure_refusal(
        application, retention_of(catalogue, application), now=at, overriding=command.overriding
    )
    if refusal is not None:
        raise refusal.error(application.id)
    return ErasureRecorded(
        subjects=subjects_of(application),
        legal_basis=command.legal_basis,
        actor=command.actor.id,
        role=role,
        at=at,
    )


def _problems(path: str, reason: str | None) -> list[Problem]:
    return [] if reason is None else [Problem(path=path, message=reason)]
