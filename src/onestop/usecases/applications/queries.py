"""Worklists, overdue lists and SLA reports over a catalogue and an event store.

Worklists are queries on the read model (`onestop.ports.events.Summary` rows): cheap, paged
with a cursor, and judged for SLA status at the instant asked.  An officer's role
narrows the list to the services and states in which that role can act.

The SLA report is computed from the histories themselves: each application's events
are folded and judged against its deadline on its agency's calendar, so a report never
depends on when the read model was last written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from onestop.domain.applications.application import Application
from onestop.domain.applications.submission import find_workflow
from onestop.domain.applications.tracking import SlaOutcome, SlaReportRow, sla_outcome, sla_report
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.common.formats import ACTOR_ID, ROLE, kind_of
from onestop.domain.common.kinds import check_member, check_type
from onestop.domain.time.calendar import WorkCalendar
from onestop.domain.time.sla import SlaStatus
from onestop.exceptions import InvalidValue
from onestop.ports.events import EventStore, Summary, SummaryOrder, SummaryQuery

__all__ = [
    "agencies_under",
    "changes_query",
    "every_summary",
    "report",
    "role_scope",
    "worklist_query",
]

_PAGE = 1000


def every_summary(
    store: EventStore,
    /,
    *,
    agencies: tuple[str, ...] | None = None,
    include_closed: bool = True,
    page_size: int = _PAGE,
) -> Iterator[Summary]:
    """Every read-model row of *store* (of *agencies* only, if given), open or closed.

    Rows are read *page_size* at a time, as the iterator reaches them; with
    *include_closed* false, only the open ones.
    """
    cursor: str | None = None
    while True:
        page = store.summaries(
            SummaryQuery(
                agencies=agencies, include_closed=include_closed, limit=page_size, cursor=cursor
            )
        )
        yield from page.items
        cursor = page.next_cursor
        if cursor is None:
            return


def agencies_under(catalogue: Catalogue, agency: str | None, /) -> tuple[str, ...] | None:
    """The codes of *agency* and every agency below it; ``None`` for no filter.

    Raises:
        AgencyNotFound: If the catalogue has no such agency.
        InvalidValue: If *catalogue* is not a `Catalogue`.
    """
    check_type(catalogue, Catalogue, field="catalogue")
    if agency is None:
        return None
    return tuple(a.code for a in catalogue.subagencies(agency))


def role_scope(catalogue: Catalogue, role: str, /) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The services, and the states, in which *role* can take some manual action.

    Each service is judged by the latest version of its workflow.

    Raises:
        InvalidValue: If *catalogue* is not a `Catalogue`.
    """
    check_type(catalogue, Catalogue, field="catalogue")
    services: list[str] = []
    states: set[str] = set()
    for service in catalogue.services:
        if service.workflow is None:
            continue
        workflow = find_workflow(catalogue, service.workflow)
        found = {s for t in workflow.transitions if role in t.roles for s in t.sources}
        if found:
            services.append(service.code)
            states |= found
    return tuple(dict.fromkeys(services)), tuple(sorted(states))


def worklist_query(
    catalogue: Catalogue,
    /,
    *,
    now: datetime,
    agency: str | None = None,
    role: str | None = None,
    state: str | None = None,
    assignee: str | None = None,
    sla: SlaStatus | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> SummaryQuery:
    """Build the read-model query of a worklist of open applications, earliest due first.

    Args:
        catalogue: The catalogue, for the agency tree and the workflows' roles.
        now: The instant the SLA status is judged at.
        agency: An agency code; its sub-agencies are included.
        role: Only services and states in which this role can act.
        state: Only applications in this state.
        assignee: Only those assigned to this officer.
        sla: Only those with this SLA status at *now*: a `SlaStatus` or its value.
        limit: At most this many rows.
        cursor: The `onestop.ports.events.Page.next_cursor` of the previous page.

    Raises:
        InvalidValue: If *sla* is not a `SlaStatus` or its value (the values are named),
            or *assignee* is not an actor id or *role* not a role name
            (`onestop.domain.common.formats.ACTOR_ID`, `onestop.domain.common.formats.ROLE`): an
            officer's worklist is never matched on a second spelling of an id.
        AgencyNotFound: If the catalogue has no such agency.
    """
    if assignee is not None:
        ACTOR_ID.check(assignee, field="assignee")
    if role is not None:
        ROLE.check(role, field="role")
    if sla is not None:
        sla = check_member(SlaStatus, sla, field="sla")
    services: tuple[str, ...] | None = None
    states: tuple[str, ...] | None = (state,) if state is not None else None
    if role is not None:
        services, role_states = role_scope(catalogue, role)
        states = tuple(s for s in role_states if states is None or s in states)
    return SummaryQuery(
        agencies=agencies_under(catalogue, agency),
        services=services,
        states=states,
        assignee=assignee,
        sla=sla,
        now=now,
        limit=limit,
        cursor=cursor,
    )


def changes_query(
    catalogue: Catalogue,
    since: datetime,
    /,
    *,
    agency: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> SummaryQuery:
    """Build the query of applications, open or closed, updated after *since*.

    Rows come least recently updated first, for systems that mirror the read model.
    """
    return SummaryQuery(
        agencies=agencies_under(catalogue, agency),
        include_closed=True,
        changed_since=since,
        order=SummaryOrder.UPDATED,
        limit=limit,
        cursor=cursor,
    )


def report(
    store: EventStore,
    catalogue: Catalogue,
    /,
    *,
    now: datetime,
    load: Callable[[str], Application],
    calendar: Callable[[Application], WorkCalendar],
    agency: str | None = None,
    subtree: bool = True,
) -> tuple[SlaReportRow, ...]:
    """Judge every application (open or closed) of *agency* at *now*, and add them up.

    Args:
        store: Where the applications are.
        catalogue: The catalogue, for the agency tree.
        now: The instant open applications are judged at.
        load: Folds one application from its stored stream.
        calendar: The configured work calendar of an application (its agency's, in force
            when it was received), for one that records none
            (`Application.counting_calendar`).
        agency: An agency code (its sub-agencies included), or ``None`` for all.
        subtree: Whether *agency*'s sub-agencies are included.

    Raises:
        AgencyNotFound: If the catalogue has no such agency.
        InvalidValue: If *subtree* is not a `bool`.
    """
    if type(subtree) is not bool:
        raise InvalidValue(field="subtree", reason=f"expected a bool, not {kind_of(subtree)}")
    agencies = agencies_under(catalogue, agency)
    if agency is not None and not subtree:  # checked above: the catalogue has it
        agencies = (agency,)
    outcomes: list[SlaOutcome] = []
    for row in every_summary(store, agencies=agencies):
        application = load(row.stream_id)
        counted = application.counting_calendar(calendar(application))
        outcomes.append(sla_outcome(application, calendar=counted, now=now))
    return sla_report(outcomes)
