"""Workflow validation: every defect class is reported, with a path and the names involved."""

from __future__ import annotations

import pytest
from workflow_samples import licence, minimal, with_states, with_transitions

from onestop.domain.common.values import Duration
from onestop.domain.workflow.guards import default_guards
from onestop.domain.workflow.model import (
    ClockMode,
    State,
    StateKind,
    Transition,
    Trigger,
    Workflow,
    check_workflow,
    validate_workflow,
)
from onestop.exceptions import InvalidValue, InvalidWorkflow, Problem


def problems_of(workflow: Workflow, **options: object) -> list[Problem]:
    return check_workflow(workflow, **options)  # type: ignore[arg-type]


def only_problem(workflow: Workflow, **options: object) -> Problem:
    problems = problems_of(workflow, **options)
    assert len(problems) == 1, problems
    return problems[0]


def rejected(workflow: Workflow, **options: object) -> InvalidWorkflow:
    with pytest.raises(InvalidWorkflow) as caught:
        validate_workflow(workflow, **options)  # type: ignore[arg-type]
    return caught.value


class TestValidDefinitions:
    def test_the_sample_is_valid(self) -> None:
        """The licence sample has no problems, with the built-in guards known."""
        assert check_workflow(licence(), known_guards=default_guards().names()) == []

    def test_validate_returns_the_workflow(self) -> None:
        """`validate_workflow` hands back the very workflow it was given when it is valid."""
        workflow = minimal()
        assert validate_workflow(workflow) is workflow

    def test_cycles_that_can_leave_are_fine(self) -> None:
        """A loop between two states is valid as long as one of them can reach a final state."""
        workflow = with_transitions(
            minimal(),
            Transition(action="back", sources=("working",), target="new", roles=("clerk",)),
        )
        assert check_workflow(workflow) == []


class TestStates:
    def test_no_initial_state(self) -> None:
        """A workflow without an initial state is rejected, naming the workflow."""
        workflow = minimal(
            states=(
                State(name="new", kind=StateKind.ACTIVE),
                State(name="working", kind=StateKind.ACTIVE),
                State(name="done", kind=StateKind.SUCCESS),
            )
        )
        error = rejected(workflow)
        assert error.workflow == "mini"
        assert [(p.path, "no state is of kind 'initial'" in p.message) for p in error.problems] == [
            ("states", True)
        ]
        assert "workflow 'mini'" in error.problems[0].message

    @pytest.mark.parametrize("version", [0, -1, 2**63, 10**50])
    def test_version_is_a_positive_integer(self, version: int) -> None:
        """A version below 1, or one no store holds, is reported without echoing it."""
        problem = only_problem(minimal(version=version))
        assert problem.path == "version"
        assert str(10**50) not in problem.message

    @pytest.mark.parametrize("version", [True, "1", 1.0, None])
    def test_a_version_that_is_no_integer_cannot_be_built(self, version: object) -> None:
        """A boolean, text or float version is the wrong type: InvalidValue when built."""
        with pytest.raises(InvalidValue) as caught:
            minimal(version=version)
        assert caught.value.field == "version"

    def test_several_initial_states(self) -> None:
        """A second initial state is reported at its own path, naming both states."""
        workflow = with_states(minimal(), State(name="also_new", kind=StateKind.INITIAL))
        problems = problems_of(workflow)
        assert problems[0].path == "states[3].kind"
        assert "'also_new'" in problems[0].message
        assert "'new'" in problems[0].message

    def test_duplicate_state_names(self) -> None:
        """A state name used twice is reported at the second one, pointing to the first."""
        workflow = with_states(minimal(), State(name="working", kind=StateKind.ACTIVE))
        problem = only_problem(workflow)
        assert problem.path == "states[3].name"
        assert "duplicate state 'working' (first at states[1])" in problem.message

    def test_no_final_state(self) -> None:
        """A workflow with no final state is reported once, not as a trap per state."""
        workflow = minimal(
            states=(
                State(name="new", kind=StateKind.INITIAL),
                State(name="working", kind=StateKind.ACTIVE),
                State(name="done", kind=StateKind.ACTIVE),
            )
        )
        problem = only_problem(workflow)
        assert (problem.path, "no state is final" in problem.message) == ("states", True)

    def test_time_limit_longer_than_the_service(self) -> None:
        """A state allowing more time than the service's statutory limit is reported."""
        slow = State(name="working", kind=StateKind.ACTIVE, time_limit=Duration.working_days(6))
        workflow = minimal(states=(minimal().states[0], slow, minimal().states[2]))
        problem = only_problem(workflow, service_limit=Duration.working_days(5))
        assert problem.path == "states[1].time_limit"
        assert "'working' allows 6 working days" in problem.message
        assert "5 working days" in problem.message

    def test_time_limit_compares_days_with_hours(self) -> None:
        """Limits in days and hours compare through the working day's length."""
        quick = State(name="working", kind=StateKind.ACTIVE, time_limit=Duration.working_hours(9))
        workflow = minimal(states=(minimal().states[0], quick, minimal().states[2]))
        one_day = Duration.working_days(1)
        assert problems_of(workflow, service_limit=one_day, hours_per_day=8) != []
        assert problems_of(workflow, service_limit=one_day, hours_per_day=9) == []

    def test_final_state_with_a_clock(self) -> None:
        """A final state may not keep the clock running, nor carry a time limit."""
        done = State(
            name="done",
            kind=StateKind.SUCCESS,
            clock=ClockMode.RUNNING,
            time_limit=Duration.working_days(1),
        )
        workflow = minimal(states=(*minimal().states[:2], done))
        assert [p.path for p in problems_of(workflow)] == [
            "states[2].clock",
            "states[2].time_limit",
        ]

    def test_clock_defaults_follow_the_kind(self) -> None:
        """Waiting on the applicant pauses the clock; finals stop it; the rest run."""
        modes = {kind: State(name="s", kind=kind).clock_mode for kind in StateKind}
        assert modes == {
            StateKind.INITIAL: ClockMode.RUNNING,
            StateKind.ACTIVE: ClockMode.RUNNING,
            StateKind.WAITING_APPLICANT: ClockMode.PAUSED,
            StateKind.WAITING_AGENCY: ClockMode.RUNNING,
            StateKind.SUCCESS: ClockMode.STOPPED,
            StateKind.FAILURE: ClockMode.STOPPED,
        }


class TestGraph:
    def test_transition_to_an_undefined_state(self) -> None:
        """A transition into a state nobody declared is reported at its target."""
        workflow = with_transitions(
            minimal(),
            Transition(action="park", sources=("working",), target="limbo", roles=("clerk",)),
        )
        problem = only_problem(workflow)
        assert problem.path == "transitions[2].target"
        assert "action 'park' leads to unknown state 'limbo'" in problem.message

    def test_transition_from_an_undefined_state(self) -> None:
        """A transition out of a state nobody declared is reported at that source."""
        workflow = with_transitions(
            minimal(),
            Transition(action="wake", sources=("limbo",), target="working", roles=("clerk",)),
        )
        problem = only_problem(workflow)
        assert problem.path == "transitions[2].sources[0]"
        assert "action 'wake' leaves unknown state 'limbo'" in problem.message

    def test_unreachable_state(self) -> None:
        """A state no path from the initial state reaches is reported."""
        workflow = with_transitions(
            with_states(minimal(), State(name="orphan", kind=StateKind.ACTIVE)),
            Transition(action="leave", sources=("orphan",), target="done", roles=("clerk",)),
        )
        problem = only_problem(workflow)
        assert problem.path == "states[3]"
        assert "state 'orphan' cannot be reached from 'new'" in problem.message

    def test_trap_state_with_no_way_out(self) -> None:
        """A non-final state without outgoing transitions is a trap."""
        workflow = with_transitions(
            with_states(minimal(), State(name="stuck", kind=StateKind.ACTIVE)),
            Transition(action="park", sources=("working",), target="stuck", roles=("clerk",)),
        )
        problem = only_problem(workflow)
        assert problem.path == "states[3]"
        assert "'stuck' is not final and has no way out" in problem.message

    def test_trap_cycle(self) -> None:
        """Two states that only lead to each other can never finish: both are reported."""
        workflow = with_transitions(
            with_states(
                minimal(),
                State(name="ping", kind=StateKind.ACTIVE),
                State(name="pong", kind=StateKind.ACTIVE),
            ),
            Transition(action="go", sources=("working",), target="ping", roles=("clerk",)),
            Transition(action="hit", sources=("ping",), target="pong", roles=("clerk",)),
            Transition(action="hit_back", sources=("pong",), target="ping", roles=("clerk",)),
        )
        problems = problems_of(workflow)
        assert [p.path for p in problems] == ["states[3]", "states[4]"]
        assert all("never reach a final state" in p.message for p in problems)

    def test_final_state_with_outgoing_transition(self) -> None:
        """Nothing may leave a final state."""
        workflow = with_transitions(
            minimal(),
            Transition(action="reopen", sources=("done",), target="working", roles=("clerk",)),
        )
        problem = only_problem(workflow)
        assert problem.path == "transitions[2].sources[0]"
        assert "final state 'done' has an outgoing transition 'reopen'" in problem.message

    def test_one_action_two_targets(self) -> None:
        """One action from one state may not lead to two different states."""
        workflow = with_transitions(
            minimal(),
            Transition(action="finish", sources=("working",), target="new", roles=("clerk",)),
        )
        problem = only_problem(workflow)
        assert problem.path == "transitions[2]"
        assert "action 'finish' from state 'working' leads to both 'done' and 'new'" in (
            problem.message
        )

    def test_one_action_declared_twice(self) -> None:
        """The same action from the same state declared twice is ambiguous, even to one target."""
        workflow = with_transitions(
            minimal(),
            Transition(action="finish", sources=("working",), target="done", roles=("clerk",)),
        )
        assert "declared twice" in only_problem(workflow).message


class TestRolesAndDuties:
    def test_undeclared_role(self) -> None:
        """A transition may only use roles the workflow declares."""
        workflow = with_transitions(
            minimal(),
            Transition(action="skip", sources=("new",), target="done", roles=("janitor",)),
        )
        problem = only_problem(workflow)
        assert problem.path == "transitions[2].roles[0]"
        assert "action 'skip' uses undeclared role 'janitor'" in problem.message

    def test_manual_action_nobody_may_take(self) -> None:
        """A manual transition with no role could never be taken."""
        workflow = with_transitions(
            minimal(), Transition(action="skip", sources=("new",), target="done")
        )
        problem = only_problem(workflow)
        assert problem.path == "transitions[2].roles"
        assert "no role may take action 'skip'" in problem.message

    def test_separation_of_duties_with_an_unknown_action(self) -> None:
        """A separation-of-duties pair must name actions of the workflow."""
        workflow = minimal(separation_of_duties=(("take", "sign"),))
        problem = only_problem(workflow)
        assert problem.path == "separation_of_duties[0]"
        assert "unknown action 'sign'" in problem.message

    @pytest.mark.parametrize("action", ["take", "finish"])
    def test_separation_of_duties_naming_one_action_twice(self, action: str) -> None:
        """A pair naming the same action twice bars nobody from anything: it is refused."""
        workflow = minimal(separation_of_duties=(("take", "finish"), (action, action)))
        error = rejected(workflow)
        assert [p.path for p in error.problems] == ["separation_of_duties[1]"]
        assert f"names action {action!r} twice" in error.problems[0].message

    def test_separation_of_duties_that_is_not_a_pair(self) -> None:
        """A rule of one or three actions, or of one string, is reported, not crashed on."""
        rules = (("take",), ["take", "finish", "take"], "tf")
        workflow = minimal(separation_of_duties=rules)  # type: ignore[arg-type]
        problems = problems_of(workflow)
        assert [p.path for p in problems] == [f"separation_of_duties[{i}]" for i in range(3)]
        assert all("two actions" in p.message for p in problems)

    def test_a_rule_naming_something_that_is_not_an_action_name_cannot_be_built(self) -> None:
        """A rule holding a list or a number where action names belong: InvalidValue naming it."""
        for rule in ((["take"], "finish"), ("take", 3)):
            with pytest.raises(InvalidValue) as caught:
                minimal(separation_of_duties=(rule,))  # type: ignore[arg-type]
            assert caught.value.field.startswith("separation_of_duties[0][")

    @pytest.mark.parametrize(
        "role",
        ["Clerk", "clerk\n", "front-office", "cl\u0435rk", "", "9clerk", "x" * 65],
        ids=["capital", "newline", "hyphen", "cyrillic", "empty", "digit first", "too long"],
    )
    def test_a_role_name_is_lower_case_ascii(self, role: str) -> None:
        """Declared roles have the one role-name format actors are checked against."""
        workflow = minimal(roles=("clerk", role))
        problem = only_problem(workflow)
        assert problem.path == "roles[1]"
        assert problem.message.startswith("workflow 'mini': role ")
        assert "x" * 41 not in problem.message

    def test_role_declared_twice(self) -> None:
        """The roles list names each role once."""
        problem = only_problem(minimal(roles=("clerk", "clerk")))
        assert problem.path == "roles[1]"


class TestTriggersAndGuards:
    def test_timer_without_after(self) -> None:
        """A timer transition needs the working time after which it fires."""
        workflow = with_transitions(
            minimal(),
            Transition(action="expire", sources=("working",), target="done", trigger=Trigger.TIMER),
        )
        problem = only_problem(workflow)
        assert problem.path == "transitions[2].after"
        assert "timer action 'expire' has no 'after' duration" in problem.message

    def test_event_without_event(self) -> None:
        """An event transition needs the name of the event it waits for."""
        workflow = with_transitions(
            minimal(),
            Transition(action="heard", sources=("working",), target="done", trigger=Trigger.EVENT),
        )
        problem = only_problem(workflow)
        assert problem.path == "transitions[2].event"
        assert "event action 'heard' names no 'event'" in problem.message

    def test_after_and_event_only_where_they_apply(self) -> None:
        """'after' on a manual action and 'event' on a timer are mistakes, and reported."""
        workflow = with_transitions(
            minimal(),
            Transition(
                action="odd",
                sources=("working",),
                target="done",
                roles=("clerk",),
                after=Duration.working_days(1),
                event="agency.approved",
            ),
        )
        assert [p.path for p in problems_of(workflow)] == [
            "transitions[2].after",
            "transitions[2].event",
        ]

    def test_breach_from_a_state_without_time_limit(self) -> None:
        """A breach transition leaves a state whose time limit can pass; it needs one."""
        workflow = with_transitions(
            minimal(),
            Transition(action="late", sources=("working",), target="done", trigger=Trigger.BREACH),
        )
        problem = only_problem(workflow)
        assert problem.path == "transitions[2].sources[0]"
        assert "'working', which has no time limit" in problem.message

    def test_two_transitions_on_one_event(self) -> None:
        """One event in one state may fire only one transition."""
        workflow = with_transitions(
            minimal(),
            Transition(
                action="heard",
                sources=("working",),
                target="done",
                trigger=Trigger.EVENT,
                event="agency.done",
            ),
            Transition(
                action="heard_again",
                sources=("working",),
                target="new",
                trigger=Trigger.EVENT,
                event="agency.done",
            ),
        )
        problem = only_problem(workflow)
        assert "event 'agency.done' in state 'working' fires both" in problem.message

    def test_unknown_guard(self) -> None:
        """With the known guards given, an unknown guard name is reported with the known ones."""
        workflow = with_transitions(
            minimal(),
            Transition(
                action="skip",
                sources=("new",),
                target="done",
                roles=("clerk",),
                guards=("field_has_value:npwp", "moon_is_full"),
            ),
        )
        assert problems_of(workflow) == []
        problem = only_problem(workflow, known_guards=default_guards().names())
        assert problem.path == "transitions[2].guards[1]"
        assert "unknown guard 'moon_is_full'" in problem.message
        assert "documents_verified" in problem.message

    def test_guard_without_a_name(self) -> None:
        """A guard reference with nothing before the colon is always a mistake."""
        workflow = with_transitions(
            minimal(),
            Transition(
                action="skip", sources=("new",), target="done", roles=("clerk",), guards=(":x",)
            ),
        )
        assert only_problem(workflow).path == "transitions[2].guards[0]"


def test_several_defects_are_all_reported() -> None:
    """One definition with many defects reports every one of them, each at its path."""
    workflow = Workflow(
        code="broken",
        version=0,
        roles=("clerk",),
        separation_of_duties=(("take", "ghost"),),
        states=(
            State(name="a", kind=StateKind.ACTIVE),
            State(name="b", kind=StateKind.ACTIVE),
            State(name="b", kind=StateKind.ACTIVE),
            State(name="end", kind=StateKind.SUCCESS, time_limit=Duration.working_days(1)),
        ),
        transitions=(
            Transition(action="take", sources=("a",), target="nowhere", roles=("boss",)),
            Transition(action="tick", sources=("b",), target="end", trigger=Trigger.TIMER),
            Transition(action="undo", sources=("end",), target="a"),
        ),
    )
    error = rejected(workflow)
    assert error.workflow == "broken"
    paths = [p.path for p in error.problems]
    assert paths == [
        "version",
        "states",
        "states[2].name",
        "states[3].time_limit",
        "transitions[0].target",
        "transitions[0].roles[0]",
        "transitions[1].after",
        "transitions[2].sources[0]",
        "transitions[2].roles",
        "separation_of_duties[0]",
        "states[0]",
    ]
    assert all(p.message.startswith("workflow 'broken': ") for p in error.problems)
    assert "is invalid" in str(error)


def test_problems_locate_inside_a_catalogue() -> None:
    """A problem's path can be re-anchored under the catalogue's ``workflows[i]``."""
    problem = only_problem(minimal(roles=("clerk", "clerk")))
    assert problem.located("mall.toml", "workflows[2]").path == "workflows[2].roles[1]"
