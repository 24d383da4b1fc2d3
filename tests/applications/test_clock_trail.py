"""`Application.pauses`, kept as the events fold (`ClockTrail`), is what a walk over the
whole stream finds, for any stream of transitions, suspensions and withdrawals."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs
from application_support import START
from hypothesis import given, settings
from hypothesis import strategies as st
from test_event_types import EXAMPLES

from onestop.domain.applications._clock_trail import ClockTrail
from onestop.domain.applications.application import (
    ActionTaken,
    Application,
    Event,
    Resumed,
    Submitted,
    Suspended,
    Withdrawn,
)
from onestop.domain.time.sla import Pause
from onestop.domain.workflow.model import ClockMode

STATES = ("submitted", "returned", "review", "done")


def _walk(events: tuple[Event, ...]) -> tuple[Pause, ...]:
    """The pauses as the first release found them: one walk over every event (the oracle)."""
    found: list[Pause] = []
    state_pause: tuple[datetime, str] | None = None
    suspension: tuple[datetime, str] | None = None
    first = events[0]
    if isinstance(first, Submitted) and first.clock is ClockMode.PAUSED:
        state_pause = (first.at, f"state:{first.state}")
    for event in events[1:]:
        if isinstance(event, Withdrawn) or (
            isinstance(event, ActionTaken) and event.clock is ClockMode.STOPPED
        ):
            found.extend(
                Pause(start=item[0], end=event.at, reason=item[1])
                for item in (state_pause, suspension)
                if item is not None
            )
            state_pause = suspension = None
            break
        if isinstance(event, ActionTaken):
            paused = event.clock is ClockMode.PAUSED
            if state_pause is not None and (not paused or event.target != event.source):
                found.append(Pause(start=state_pause[0], end=event.at, reason=state_pause[1]))
                state_pause = None
            if paused and state_pause is None:
                state_pause = (event.at, f"state:{event.target}")
        elif isinstance(event, Suspended) and suspension is None:
            suspension = (event.at, f"suspended:{event.reason}")
        elif isinstance(event, Resumed) and suspension is not None:
            found.append(Pause(start=suspension[0], end=event.at, reason=suspension[1]))
            suspension = None
    found.extend(
        Pause(start=item[0], reason=item[1])
        for item in (state_pause, suspension)
        if item is not None
    )
    found.sort(key=lambda p: p.start)
    return tuple(found)


def _submitted(clock: ClockMode) -> Submitted:
    submitted = EXAMPLES["submitted"]
    assert isinstance(submitted, Submitted)
    return attrs.evolve(submitted, clock=clock)


step = st.one_of(
    st.tuples(
        st.just("act"), st.sampled_from(STATES), st.sampled_from(list(ClockMode)), st.booleans()
    ),
    st.tuples(st.just("suspend"), st.sampled_from(["court_order", "outage"])),
    st.tuples(st.just("resume")),
    st.tuples(st.just("withdraw")),
)


@st.composite
def streams(draw: st.DrawFn) -> tuple[Event, ...]:
    """A stream: a submission, then transitions (some to the same state), suspensions,
    resumptions and withdrawals, seconds apart or at the same instant, in any order."""
    events: list[Event] = [_submitted(draw(st.sampled_from(list(ClockMode))))]
    at, state = START, "submitted"
    for item in draw(st.lists(step, max_size=30)):
        at += timedelta(seconds=draw(st.sampled_from([0, 1, 3600, 86_400])))
        if item[0] == "act":
            _, target, clock, stay = item
            target = state if stay else target
            events.append(
                ActionTaken(action="go", source=state, target=target, clock=clock, actor="o", at=at)
            )
            state = target
        elif item[0] == "suspend":
            events.append(Suspended(reason=item[1], actor="o", at=at))
        elif item[0] == "resume":
            events.append(Resumed(actor="o", at=at))
        else:
            events.append(Withdrawn(actor="o", at=at))
    return tuple(events)


@settings(max_examples=400, deadline=None)
@given(streams())
def test_the_trail_finds_what_a_walk_over_the_stream_finds(events: tuple[Event, ...]) -> None:
    """After every event, the folded application's pauses equal the walk's, in order."""
    application = Application.from_events(events[:1])
    assert application.pauses() == _walk(events[:1])
    for index in range(1, len(events)):
        application = application.apply(events[index])
        assert application.pauses() == _walk(events[: index + 1])


@settings(max_examples=100, deadline=None)
@given(streams())
def test_a_trail_of_the_whole_stream_is_the_folded_one(events: tuple[Event, ...]) -> None:
    """`ClockTrail.of` (for an application built directly) equals the trail kept while folding."""
    assert ClockTrail.of(events) == Application.from_events(events)._trail
