"""The periods an application's SLA clock was stopped, kept up to date as its events fold.

`Application.pauses` used to walk every event of the stream on each call, and a
deadline is counted at every write: on a long stream (the benchmark's endless
send-back loop adds a pause per round) that walk cost more than the rest of the
action.  `ClockTrail` holds the pauses found so far and the ones still open, and
`ClockTrail.after` takes one more event, so folding a stream keeps the trail at the
cost of each new event.  `ClockTrail.of` folds a whole stream: the one definition of
when the clock stops, used by both.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import datetime

import attrs

from onestop.domain.applications.events import (
    ActionTaken,
    Event,
    Resumed,
    Submitted,
    Suspended,
    Withdrawn,
)
from onestop.domain.time.sla import Pause
from onestop.domain.workflow.model import ClockMode

_Open = tuple[datetime, str] | None
"""A pause still open: when it began and why."""


def _start_of(pause: Pause) -> datetime:
    return pause.start


def _insert(found: tuple[Pause, ...], pause: Pause) -> tuple[Pause, ...]:
    """*found* with *pause* after every pause that starts no later (a stable sort's order)."""
    at = bisect.bisect_right(found, pause.start, key=_start_of)
    return (*found[:at], pause, *found[at:])


@attrs.frozen
class ClockTrail:
    """Where an application's clock stands after the events folded so far.

    Attributes:
        closed: The pauses that ended, oldest start first (ties in the order they ended).
        state_pause: The pause of a state whose clock is paused, while in it.
        suspension: The suspension in force, as a pause.
        stopped: Whether the clock stopped for good (nothing after counts).
    """

    closed: tuple[Pause, ...] = ()
    state_pause: _Open = None
    suspension: _Open = None
    stopped: bool = False

    @classmethod
    def start(cls, first: Event) -> ClockTrail:
        """The trail after a stream's first event (a `Submitted`)."""
        if isinstance(first, Submitted) and first.clock is ClockMode.PAUSED:
            return cls(state_pause=(first.at, f"state:{first.state}"))
        return cls()

    @classmethod
    def of(cls, events: Sequence[Event]) -> ClockTrail:
        """The trail of a whole stream, *events* oldest first."""
        trail = cls.start(events[0])
        for event in events[1:]:
            trail = trail.after(event)
        return trail

    def after(self, event: Event) -> ClockTrail:
        """The trail once *event* happened."""
        if self.stopped:
            return self
        if isinstance(event, Withdrawn) or (
            isinstance(event, ActionTaken) and event.clock is ClockMode.STOPPED
        ):
            closed = self.closed
            for item in (self.state_pause, self.suspension):
                if item is not None:
                    closed = _insert(closed, Pause(start=item[0], end=event.at, reason=item[1]))
            return ClockTrail(closed, stopped=True)
        if isinstance(event, ActionTaken):
            paused = event.clock is ClockMode.PAUSED
            closed, state_pause = self.closed, self.state_pause
            if state_pause is not None and (not paused or event.target != event.source):
                ended = Pause(start=state_pause[0], end=event.at, reason=state_pause[1])
                closed, state_pause = _insert(closed, ended), None
            if paused and state_pause is None:
                state_pause = (event.at, f"state:{event.target}")
            return ClockTrail(closed, state_pause, self.suspension)
        if isinstance(event, Suspended) and self.suspension is None:
            return ClockTrail(
                self.closed, self.state_pause, (event.at, f"suspended:{event.reason}")
            )
        if isinstance(event, Resumed) and self.suspension is not None:
            start, reason = self.suspension
            ended = Pause(start=start, end=event.at, reason=reason)
            return ClockTrail(_insert(self.closed, ended), self.state_pause, None)
        return self

    def pauses(self) -> tuple[Pause, ...]:
        """Every pause, oldest start first; the open ones (at most two) have no end."""
        found = self.closed
        for item in (self.state_pause, self.suspension):
            if item is not None:
                found = _insert(found, Pause(start=item[0], reason=item[1]))
        return found
