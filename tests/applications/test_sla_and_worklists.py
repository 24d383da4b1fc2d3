"""SLA clocks through suspensions; worklists, overdue lists, reports, numbers, audit chain."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest
from application_support import (
    CITIZEN,
    WIB,
    Canary,
    CountingIds,
    ManualClock,
    answers,
    documents,
    officer,
)

from onestop.domain.catalogue.model import Catalogue
from onestop.domain.time.sla import SlaStatus
from onestop.exceptions import ConfigurationError
from onestop.storage.memory import MemoryStore
from onestop.usecases.mall import Mall

VERIFIER = officer("verifier-1", "verifier")
PROCESSOR = officer("processor-1", "processor")
APPROVER = officer("approver-1", "approver")
FRONT_OFFICE = officer("front-1", "front_office")
CANARY = Canary.new()


def _submit(mall: Mall, **overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "channel": "online",
        "applicant": CANARY.person(),
        "answers": answers(CANARY),
        "documents": documents(),
        "actor": CITIZEN,
    }
    arguments.update(overrides)
    return mall.submit("izin-usaha", **arguments).application_id


def _issue(mall: Mall, clock: ManualClock, app_id: str, at: datetime) -> None:
    mall.check_document(app_id, "ktp", verdict="verified", actor=VERIFIER)
    mall.check_document(app_id, "foto", verdict="verified", actor=VERIFIER)
    mall.act(app_id, "verify", actor=VERIFIER)
    mall.act(app_id, "process", actor=PROCESSOR)
    mall.act(app_id, "approve", actor=APPROVER)
    clock.set(at)
    mall.act(app_id, "issue", actor=FRONT_OFFICE)


def test_suspension_moves_the_due_date(mall: Mall, clock: ManualClock) -> None:
    """A suspension stops the clock; resuming moves the due date by the working time it took."""
    app_id = _submit(mall)
    clock.set(datetime(2025, 7, 14, 10, 0, tzinfo=WIB))
    mall.suspend(app_id, reason="system_outage", actor=VERIFIER)
    clock.set(datetime(2025, 7, 15, 10, 0, tzinfo=WIB))

    assert mall.deadline(app_id).due is None
    mall.resume(app_id, actor=VERIFIER)
    deadline = mall.deadline(app_id)

    assert deadline.paused == timedelta(hours=8)
    assert deadline.due == datetime(2025, 7, 22, 16, 0, tzinfo=WIB)
    assert any("suspended:system_outage" in line for line in deadline.trace)


def test_overlapping_pauses_count_once(mall: Mall, clock: ManualClock) -> None:
    """A suspension inside a send-back adds no paused time of its own."""
    app_id = _submit(mall)
    clock.set(datetime(2025, 7, 14, 10, 0, tzinfo=WIB))
    mall.act(app_id, "send_back", actor=VERIFIER, inputs={"reason": "Foto buram"})
    clock.set(datetime(2025, 7, 14, 11, 0, tzinfo=WIB))
    mall.suspend(app_id, reason="court_order", actor=VERIFIER)
    clock.set(datetime(2025, 7, 14, 12, 0, tzinfo=WIB))
    mall.resume(app_id, actor=VERIFIER)
    clock.set(datetime(2025, 7, 14, 13, 0, tzinfo=WIB))
    mall.act(app_id, "resubmit", actor=CITIZEN)

    assert mall.deadline(app_id).paused == timedelta(hours=3)


def test_closed_application_leaves_the_worklist(mall: Mall, clock: ManualClock) -> None:
    """Once issued, the row is closed, has no due date and leaves the open worklist."""
    app_id = _submit(mall)
    _issue(mall, clock, app_id, datetime(2025, 7, 15, 9, 0, tzinfo=WIB))

    row = mall.store.summary(app_id)

    assert row is not None
    assert (row.closed, row.due, row.state) == (True, None, "issued")
    assert mall.worklist().items == ()


def test_overdue_and_at_risk(mall: Mall, clock: ManualClock) -> None:
    """An application becomes at risk near its due date and overdue after it."""
    app_id = _submit(mall)

    clock.set(datetime(2025, 7, 21, 10, 0, tzinfo=WIB))
    assert [r.stream_id for r in mall.worklist(sla=SlaStatus.AT_RISK).items] == [app_id]
    assert mall.overdue().items == ()

    clock.set(datetime(2025, 7, 21, 16, 1, tzinfo=WIB))
    assert [r.stream_id for r in mall.overdue().items] == [app_id]


def test_late_issue_is_counted_late(mall: Mall, clock: ManualClock) -> None:
    """An application issued after its due date is late in the SLA report."""
    app_id = _submit(mall)
    _issue(mall, clock, app_id, datetime(2025, 7, 22, 9, 0, tzinfo=WIB))

    [row] = mall.sla_report()

    assert (row.on_time, row.late, row.open, row.overdue) == (0, 1, 0, 0)


def test_report_counts_open_overdue_and_withdrawn(mall: Mall, clock: ManualClock) -> None:
    """Open, overdue and withdrawn applications are counted apart."""
    _submit(mall)
    withdrawn = _submit(mall)
    mall.withdraw(withdrawn, actor=CITIZEN)
    clock.set(datetime(2025, 7, 15, 9, 0, tzinfo=WIB))
    _submit(mall)

    [row] = mall.sla_report(now=datetime(2025, 7, 21, 17, 0, tzinfo=WIB))

    assert (row.open, row.overdue, row.withdrawn) == (1, 1, 1)


def test_worklist_by_role_and_agency(mall: Mall) -> None:
    """A role's worklist holds the states it can act in; an agency's includes its sub-agencies."""
    waiting = _submit(mall)
    verified = _submit(mall)
    mall.check_document(verified, "ktp", verdict="verified", actor=VERIFIER)
    mall.check_document(verified, "foto", verdict="verified", actor=VERIFIER)
    mall.act(verified, "verify", actor=VERIFIER)

    def ids(**filters: Any) -> list[str]:
        return [row.stream_id for row in mall.worklist(**filters).items]

    assert sorted(ids(role="verifier")) == sorted([waiting, verified])
    assert ids(role="processor") == [verified]
    assert ids(role="front_office") == []
    assert sorted(ids(agency="pemprov")) == sorted([waiting, verified])
    assert ids(agency="makassar") == []
    assert ids(state="verified") == [verified]


def test_worklist_by_assignee(mall: Mall) -> None:
    """Assigned applications show in the assignee's worklist."""
    first = _submit(mall)
    _submit(mall)
    mall.assign(first, "verifier-1", actor=VERIFIER)

    assert [row.stream_id for row in mall.worklist(assignee="verifier-1").items] == [first]


def test_calendar_takes_the_agency_time_zone(mall: Mall) -> None:
    """A shared calendar is read in each agency's own time zone."""
    assert mall.calendar("dpmptsp").time_zone == "Asia/Jakarta"
    assert mall.calendar("makassar").time_zone == "Asia/Makassar"


def test_custom_numbering(catalogue: Catalogue) -> None:
    """The number pattern is configurable and its counter runs per agency, service and year."""
    mall = Mall(
        catalogue=catalogue,
        store=MemoryStore(),
        clock=ManualClock(),
        ids=CountingIds(),
        numbering="{year}-{service}-{seq:04d}",
    )
    assert (
        mall.submit(
            "izin-usaha",
            channel="online",
            applicant=CANARY.person(),
            answers=answers(),
            documents=documents(),
            actor=CITIZEN,
        ).number
        == "2025-izin-usaha-0001"
    )


@pytest.mark.parametrize("pattern", ["{agency}/{year}", "{agency}/{nik}/{seq}", "{seq:q}", "{"])
def test_bad_numbering(catalogue: Catalogue, pattern: str) -> None:
    """A number pattern without {seq}, with unknown fields, or malformed is refused at wiring."""
    with pytest.raises(ConfigurationError):
        Mall(catalogue=catalogue, store=MemoryStore(), numbering=pattern)


def test_concurrent_submissions_get_distinct_numbers(catalogue: Catalogue) -> None:
    """Submissions racing for the same counter all succeed with distinct, gapless numbers."""
    mall = Mall(catalogue=catalogue, store=MemoryStore(), clock=ManualClock(), retries=50)
    numbers: list[str] = []

    def submit() -> None:
        numbers.append(
            mall.submit(
                "izin-usaha",
                channel="online",
                applicant=CANARY.person(),
                answers=answers(),
                documents=documents(),
                actor=CITIZEN,
            ).number
        )

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(numbers) == [f"dpmptsp/izin-usaha/2025/{i:06d}" for i in range(1, 9)]


def test_tampering_is_found(mall: Mall, store: MemoryStore) -> None:
    """Changing one byte of a stored event breaks the chain at that event."""
    app_id = _submit(mall)
    mall.check_document(app_id, "ktp", verdict="verified", actor=VERIFIER)
    mall.assign(app_id, "verifier-1", actor=VERIFIER)
    assert mall.verify(app_id).ok
    stream = store._streams[app_id]
    forged = attrs.evolve(stream[1], body=stream[1].body.replace(b"verified", b"rejected"))
    store._streams[app_id] = (stream[0], forged, stream[2])

    report = mall.verify(app_id)

    assert (report.ok, report.first_bad, report.version) == (False, 1, 2)


def test_notifications_are_thin(mall: Mall, store: MemoryStore) -> None:
    """Each event gives one notification naming the application, state and action only."""
    app_id = _submit(mall)
    mall.act(app_id, "send_back", actor=VERIFIER, inputs={"reason": "Foto buram"})

    bodies = [n.body for n in store.notifications()]

    assert len(bodies) == 2
    assert b'"action":"send_back"' in bodies[1]
    assert b'"effects":["notify_applicant"]' in bodies[1]
    assert b"Foto buram" not in bodies[1]
    assert b'"state":"returned"' in bodies[1]
