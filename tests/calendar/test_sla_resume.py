"""A deadline counted on from an earlier one (``due_date(..., since=...)``) is the
deadline counted afresh, and only the pauses added since are walked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_sla_properties import limits, scenarios

from onestop.domain.common.values import Duration
from onestop.domain.time import worktime
from onestop.domain.time.calendar import WorkCalendar
from onestop.domain.time.sla import Deadline, Pause, due_date
from onestop.exceptions import InvalidCalendar

WIB = ZoneInfo("Asia/Jakarta")
JAKARTA = WorkCalendar(time_zone="Asia/Jakarta")
RECEIVED = datetime(2026, 3, 2, 9, tzinfo=WIB)
LIMIT = Duration.working_days(10)


def _stages(received: datetime, steps: list[tuple[int, int, bool]]) -> list[list[Pause]]:
    """The pauses a stream would hold after each step: a pause is recorded open first,
    then, unless it is the last and stays open, closed in the next stage.  A step is
    (minutes after the previous pause's start, minutes long, recorded open first)."""
    stages: list[list[Pause]] = []
    pauses: list[Pause] = []
    start = received - timedelta(hours=2)
    for gap, length, open_first in steps:
        start += timedelta(minutes=gap)
        reason = f"r{len(pauses) % 3}"
        if open_first:
            stages.append([*pauses, Pause(start=start, reason=reason)])
        pauses.append(Pause(start=start, end=start + timedelta(minutes=length), reason=reason))
        stages.append(list(pauses))
    return stages


steps = st.lists(
    st.tuples(st.integers(0, 3 * 24 * 60), st.integers(0, 2 * 24 * 60), st.booleans()),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(scenarios(), limits, steps, st.data())
def test_counting_on_from_any_earlier_deadline_is_counting_afresh(
    scenario: tuple[WorkCalendar, datetime],
    limit: Duration,
    plan: list[tuple[int, int, bool]],
    data: st.DataObject,
) -> None:
    """Whatever earlier stage the count goes on from (overlapping, touching, ignored and
    open pauses included), the deadline equals the one counted from receipt."""
    calendar, received = scenario
    stages = _stages(received, plan)
    fresh = [
        due_date(calendar, received=received, limit=limit, pauses=p, explain=False) for p in stages
    ]
    for index, pauses in enumerate(stages):
        earlier = data.draw(st.integers(0, index), label="since stage")
        resumed = due_date(
            calendar,
            received=received,
            limit=limit,
            pauses=pauses,
            explain=False,
            since=fresh[earlier],
        )
        assert resumed == fresh[index]


def test_a_resumed_count_walks_only_the_new_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """With forty closed pauses counted, adding a forty-first measures working time three
    times (the span counted, the gap, the pause) instead of eighty-odd."""
    walks = []
    between = worktime.Ruler.between

    def counted(self: worktime.Ruler, a: datetime, b: datetime) -> timedelta:
        walks.append((a, b))
        return between(self, a, b)

    limit = Duration.working_days(60)  # long enough for every pause to count
    stages = _stages(RECEIVED, [(24 * 60, 60, False)] * 41)
    earlier = due_date(JAKARTA, received=RECEIVED, limit=limit, pauses=stages[-2], explain=False)
    monkeypatch.setattr(worktime.Ruler, "between", counted)
    due_date(JAKARTA, received=RECEIVED, limit=limit, pauses=stages[-1], explain=False)
    afresh = len(walks)
    walks.clear()
    resumed = due_date(
        JAKARTA, received=RECEIVED, limit=limit, pauses=stages[-1], explain=False, since=earlier
    )
    assert len(resumed.pauses) == 41
    assert afresh > 80
    assert len(walks) == 3


def test_with_a_trace_the_count_starts_over() -> None:
    """Asked to explain, the count walks every pause: the trace equals the one without *since*."""
    stages = _stages(RECEIVED, [(24 * 60, 90, True)] * 4)
    earlier = due_date(JAKARTA, received=RECEIVED, limit=LIMIT, pauses=stages[-3], explain=False)
    resumed = due_date(JAKARTA, received=RECEIVED, limit=LIMIT, pauses=stages[-1], since=earlier)
    assert resumed == due_date(JAKARTA, received=RECEIVED, limit=LIMIT, pauses=stages[-1])
    assert resumed.trace


def _made_by_hand(**fields: object) -> Deadline:
    values: dict[str, object] = {
        "received": RECEIVED,
        "limit": LIMIT,
        "budget": timedelta(hours=80),
        "due": None,
    }
    return Deadline(**{**values, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "since",
    [
        _made_by_hand(),
        _made_by_hand(due=None, paused_since=RECEIVED, remaining=timedelta(0)),
        _made_by_hand(due=RECEIVED, pauses=(Pause(start=RECEIVED, reason="open"),)),
        _made_by_hand(
            due=RECEIVED + timedelta(days=30),
            pauses=(Pause(start=RECEIVED, end=RECEIVED + timedelta(hours=1), reason="x"),),
            budget=timedelta(0),
        ),
    ],
)
def test_a_deadline_made_by_hand_does_not_change_the_answer(since: Deadline) -> None:
    """A *since* no count could have produced makes the count start over: same answer."""
    pauses = _stages(RECEIVED, [(24 * 60, 90, False)] * 3)[-1]
    expected = due_date(JAKARTA, received=RECEIVED, limit=LIMIT, pauses=pauses, explain=False)
    got = due_date(
        JAKARTA, received=RECEIVED, limit=LIMIT, pauses=pauses, explain=False, since=since
    )
    assert got == expected


@pytest.mark.parametrize(
    ("since", "reason"),
    [
        ("yesterday", "expected a Deadline, not"),
        (True, "expected a Deadline, not a boolean"),
        (
            due_date(JAKARTA, received=RECEIVED + timedelta(hours=1), limit=LIMIT),
            "another receipt, limit or time zone",
        ),
        (
            due_date(JAKARTA, received=RECEIVED, limit=Duration.working_days(11)),
            "another receipt, limit or time zone",
        ),
        (
            due_date(WorkCalendar(time_zone="Asia/Jayapura"), received=RECEIVED, limit=LIMIT),
            "another receipt, limit or time zone",
        ),
    ],
)
def test_a_since_of_another_count_is_refused(since: object, reason: str) -> None:
    """*since* must be a deadline of this receipt, limit and zone: else InvalidCalendar."""
    with pytest.raises(InvalidCalendar) as caught:
        due_date(JAKARTA, received=RECEIVED, limit=LIMIT, since=since)  # type: ignore[arg-type]
    assert caught.value.field == "since"
    assert reason in str(caught.value)


def test_a_receipt_written_in_another_zone_is_the_same_receipt() -> None:
    """The same instant written in UTC counts on from a deadline received in WIB."""
    earlier = due_date(JAKARTA, received=RECEIVED, limit=LIMIT, explain=False)
    same = due_date(
        JAKARTA, received=RECEIVED.astimezone(UTC), limit=LIMIT, explain=False, since=earlier
    )
    assert same == earlier


@pytest.mark.parametrize("zoned", [False, True])
@pytest.mark.parametrize("hour", [0, 1])  # 02:30 CEST, then 02:30 CET of the repeated hour
def test_a_receipt_in_the_repeated_hour_is_counted_on(zoned: bool, hour: int) -> None:
    """A receipt in the hour a fall-back repeats (given in UTC or in the calendar's zone)
    is counted on from an earlier deadline as afresh, not refused as another receipt."""
    berlin = WorkCalendar(time_zone="Europe/Berlin")
    received = datetime(2024, 10, 27, hour, 30, tzinfo=UTC)
    if zoned:
        received = received.astimezone(ZoneInfo("Europe/Berlin"))
    limit = Duration.working_days(5)
    pause = Pause(
        start=datetime(2024, 10, 28, 8, tzinfo=UTC),
        end=datetime(2024, 10, 28, 10, tzinfo=UTC),
        reason="r0",
    )
    first = due_date(berlin, received=received, limit=limit, explain=False)
    on = due_date(
        berlin, received=received, limit=limit, pauses=[pause], explain=False, since=first
    )
    fresh = due_date(berlin, received=received, limit=limit, pauses=[pause], explain=False)
    assert (on.due, on.budget, on.paused) == (fresh.due, fresh.budget, fresh.paused)
