"""Timer and event transitions fired through the mall, by the system actor."""

from __future__ import annotations

from datetime import datetime

import pytest
from application_support import CITIZEN, WIB, Canary, ManualClock, answers, documents, officer

from onestop.domain.applications.application import Verdict
from onestop.domain.workflow.model import Trigger
from onestop.exceptions import TransitionNotAllowed
from onestop.usecases.mall import Mall

VERIFIER = officer("verifier-1", "verifier")
PROCESSOR = officer("processor-1", "processor")


def _processing(mall: Mall, clock: ManualClock) -> str:
    """Submit on Mon 14 July 2025; bring the application to processing on Wed 16 July, 09:00."""
    receipt = mall.submit(
        "izin-usaha",
        channel="online",
        applicant=Canary.new().person(),
        answers=answers(),
        documents=documents(),
        actor=CITIZEN,
        idempotency_key="automatic-1",
    )
    app_id = receipt.application_id
    clock.set(datetime(2025, 7, 15, 10, 0, tzinfo=WIB))
    mall.check_document(app_id, "ktp", verdict=Verdict.VERIFIED, actor=VERIFIER)
    mall.check_document(app_id, "foto", verdict=Verdict.VERIFIED, actor=VERIFIER)
    mall.act(app_id, "verify", actor=VERIFIER)
    clock.set(datetime(2025, 7, 16, 9, 0, tzinfo=WIB))
    mall.act(app_id, "process", actor=PROCESSOR)
    return app_id


def test_timer_does_not_fire_before_its_delay(mall: Mall, clock: ManualClock) -> None:
    """Two working days and seven hours in the state are not yet the three days a timer waits."""
    app_id = _processing(mall, clock)
    clock.set(datetime(2025, 7, 18, 15, 0, tzinfo=WIB))  # Fri: 2 days 6 h of work since Wed 09:00

    assert mall.fire_timers() == ()
    assert mall.application(app_id).state == "processing"


def test_timer_fires_once_its_delay_passed(mall: Mall, clock: ManualClock) -> None:
    """Three working days after entering the state, the deemed approval fires as the system."""
    app_id = _processing(mall, clock)
    clock.set(datetime(2025, 7, 21, 9, 30, tzinfo=WIB))  # Mon: Wed, Thu, Fri, Mon 08:00-09:30

    assert mall.fire_timers() == (app_id,)
    step = mall.application(app_id).steps[-1]
    assert (step.action, step.trigger, step.actor) == ("deemed_approval", Trigger.TIMER, "system")
    assert mall.application(app_id).state == "approved"
    assert mall.verify(app_id).ok


def test_firing_timers_twice_moves_nothing_more(mall: Mall, clock: ManualClock) -> None:
    """A second pass at the same instant finds nothing due: firing is idempotent per state."""
    _processing(mall, clock)
    clock.set(datetime(2025, 7, 21, 9, 30, tzinfo=WIB))
    mall.fire_timers()
    version = len(mall.store.notifications(after=0, limit=1000))

    assert mall.fire_timers() == ()
    assert len(mall.store.notifications(after=0, limit=1000)) == version


def test_an_agency_event_fires_its_transition(mall: Mall, clock: ManualClock) -> None:
    """The agency's 'agency.approved' event moves a processing application to approved."""
    app_id = _processing(mall, clock)

    application = mall.notify_event(app_id, "agency.approved")

    assert application.state == "approved"
    assert application.steps[-1].trigger is Trigger.EVENT


def test_an_event_nobody_listens_for_is_refused(mall: Mall, clock: ManualClock) -> None:
    """An event the current state does not listen for raises and records nothing."""
    app_id = _processing(mall, clock)
    before = mall.application(app_id).version

    with pytest.raises(TransitionNotAllowed, match="no transition of this state listens"):
        mall.notify_event(app_id, "agency.rejected")
    assert mall.application(app_id).version == before
