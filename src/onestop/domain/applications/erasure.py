"""May an application's personal data be erased now, and if not, which rule keeps it?

Pure decisions over an `Application` and its service's `Retention`
(`onestop.domain.catalogue.retention`); the use cases that erase (destroy the subjects'
data keys and record `ErasureRecorded`) and sweep ask them first.

`erasure_refusal` names the first rule that keeps the data, in this order:

* ``erased``: it was erased already;
* ``open``: the application is not closed, i.e. it is neither in a final state of its
  workflow nor withdrawn (each `ActionTaken` records the clock of the state it entered,
  and a workflow's final states, and only they, stop the clock: `Application.is_closed`);
* ``legal_hold``: a legal hold is on it (`Application.holds`);
* ``archive``: the service's retention keeps its data for good;
* ``retention``: the keep period after closing has not run out, unless the erasure is
  one by a legal right that overrides retention (*overriding*).

An application closes at the instant of the event that closed it (the action entering a
final state, or the withdrawal): `Application.closed_at`.  With no retention rule at all
(``None``), nothing is kept after closing by the catalogue, and nothing is ever *due*: the
sweep erases only what a keep period says.

`erasure_due` is the sweep's question: closed, not erased, no hold, not archived, and
``closed_at + keep_after_closing <= now``.  A keep period that ends past the year 9999
never ends (`RetentionPeriod.end` gives ``None``), so such data is never due.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from onestop.domain.applications.application import Application
from onestop.domain.applications.submission import find_service
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.catalogue.retention import Retention
from onestop.domain.common._typed import of
from onestop.domain.common.formats import preview
from onestop.domain.common.kinds import check_instant, check_type
from onestop.domain.common.subjects import subject_id
from onestop.exceptions import ErasureRefused

__all__ = [
    "ErasureRule",
    "Refusal",
    "erasure_due",
    "erasure_refusal",
    "retention_of",
    "subjects_of",
]


class ErasureRule(enum.StrEnum):
    """The rule that keeps an application's personal data (`ErasureRefused.rule`)."""

    ERASED = "erased"
    """It was erased already."""
    OPEN = "open"
    """The application is not closed (not in a final state, not withdrawn)."""
    LEGAL_HOLD = "legal_hold"
    """A legal hold is on it."""
    ARCHIVE = "archive"
    """The service's retention keeps it for good."""
    RETENTION = "retention"
    """The keep period after closing has not run out."""
    UNSEALED = "unsealed"
    """Its personal data is stored in plain text (written before the mall had keys), so
    destroying keys would not erase it: seal the store first.  The privacy desk finds
    this rule in the store; `erasure_refusal` never returns it."""


@attrs.frozen(kw_only=True)
class Refusal:
    """Why an erasure is refused now.

    Attributes:
        rule: The rule that keeps the data.
        detail: More words, never personal data (a state name, hold ids, a date).
        until: For ``retention``, when the keep period runs out (``None`` if past the
            year 9999); otherwise ``None``.
    """

    rule: ErasureRule = attrs.field(validator=of(ErasureRule))
    detail: str = attrs.field(validator=of(str))
    until: datetime | None = attrs.field(default=None, validator=of(datetime, optional=True))

    def error(self, application_id: str, /) -> ErasureRefused:
        """The `ErasureRefused` to raise for this refusal of *application_id*'s erasure."""
        rule = self.rule.value
        return ErasureRefused(application_id=application_id, rule=rule, detail=self.detail)


def _check(application: object, retention: object, now: object) -> None:
    check_type(application, Application, field="application")
    check_type(retention, (Retention, type(None)), field="retention")
    check_instant(now, field="now")


def erasure_refusal(
    application: Application,
    retention: Retention | None,
    /,
    *,
    now: datetime,
    overriding: bool = False,
) -> Refusal | None:
    """Return why *application*'s personal data may not be erased at *now*, or ``None``.

    Args:
        application: The application.
        retention: Its service's retention rule (`retention_of`), or ``None`` for none.
        now: The instant of the erasure.
        overriding: Whether the erasure rests on a legal right that overrides the keep
            period (an order, the data subject's right where the law gives it); it
            never overrides an archive rule, a legal hold or an open application.

    Raises:
        InvalidValue: If an argument is not of its type (`NaiveDatetime` for a naive *now*).
    """
    _check(application, retention, now)
    check_type(overriding, bool, field="overriding")
    if application.erased is not None:
        return Refusal(rule=ErasureRule.ERASED, detail="its personal data was erased already")
    closed_at = application.closed_at
    if not application.is_closed or closed_at is None:
        detail = f"it is still open, in state {preview(application.state)}"
        return Refusal(rule=ErasureRule.OPEN, detail=detail)
    if application.holds:
        ids = ", ".join(repr(hold.hold_id) for hold in application.holds)
        return Refusal(rule=ErasureRule.LEGAL_HOLD, detail=f"legal hold(s) {ids} are on it")
    if retention is None:
        return None
    if retention.archive:
        return Refusal(rule=ErasureRule.ARCHIVE, detail="the service keeps it for good")
    period = retention.keep_after_closing
    if overriding or period is None:
        return None
    until = period.end(closed_at)
    if until is not None and until <= now:
        return None
    shown = until.isoformat() if until is not None else "after the year 9999"
    detail = f"it is kept {period} after closing, until {shown}"
    return Refusal(rule=ErasureRule.RETENTION, detail=detail, until=until)


def erasure_due(application: Application, retention: Retention | None, /, *, now: datetime) -> bool:
    """Return whether the retention sweep should erase *application*'s personal data at *now*.

    It is due when the application is closed, not erased, under no legal hold, its
    retention is a keep period (not an archive, not ``None``), and that period after
    `Application.closed_at` has ended at or before *now*.

    Raises:
        InvalidValue: If an argument is not of its type (`NaiveDatetime` for a naive *now*).
    """
    _check(application, retention, now)
    if retention is None or retention.keep_after_closing is None:
        return False
    return erasure_refusal(application, retention, now=now) is None


def retention_of(catalogue: Catalogue, application: Application, /) -> Retention | None:
    """The retention rule of *application*'s service version, else the catalogue's default.

    Raises:
        ServiceNotFound: If the catalogue has no such version of the service.
        InvalidValue: If *catalogue* or *application* is not of its type.
    """
    check_type(catalogue, Catalogue, field="catalogue")
    check_type(application, Application, field="application")
    service = find_service(catalogue, application.service, application.service_version)
    return service.retention if service.retention is not None else catalogue.retention


def subjects_of(application: Application, /) -> tuple[str, ...]:
    """The data subjects of *application*: ``"<id>/applicant"``, and its representative's.

    Raises:
        InvalidValue: If *application* is not an `Application`.
    """
    check_type(application, Application, field="application")
    subjects = [subject_id(application.id, "applicant")]
    if application.representative is not None:
        subjects.append(subject_id(application.id, "representative"))
    return tuple(subjects)
