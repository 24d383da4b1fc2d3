"""Hypothesis strategies for valid workflows and the actors who work on them.

A generated workflow has 3 to 15 states: the first is initial, the last one or two are
final, the others active or waiting.  Every state after the first is entered from an
earlier one (so all are reachable) and every non-final state has an edge to a later
state (so every one can finish); random extra edges, back edges included, make loops.
Each transition has its own action name, one or two roles out of 2 to 6, and sometimes
a required input or a guard; 1 to 3 separation-of-duties pairs join manual actions.
"""

from __future__ import annotations

from hypothesis import strategies as st

from onestop.domain.common.values import Duration
from onestop.domain.workflow.engine import Actor
from onestop.domain.workflow.model import State, StateKind, Transition, Trigger, Workflow

NON_FINAL = (StateKind.ACTIVE, StateKind.WAITING_APPLICANT, StateKind.WAITING_AGENCY)
FINAL = (StateKind.SUCCESS, StateKind.FAILURE)
READY_GUARD = "field_has_value:ready"


@st.composite
def workflows(draw: st.DrawFn) -> Workflow:
    """Draw a valid workflow (see the module docstring for its shape)."""
    size = draw(st.integers(min_value=3, max_value=15))
    finals = draw(st.integers(min_value=1, max_value=min(2, size - 2)))
    roles = tuple(f"role{i}" for i in range(draw(st.integers(min_value=2, max_value=6))))
    names = [f"s{i}" for i in range(size)]
    first_final = size - finals
    states = [State(name=names[0], kind=StateKind.INITIAL)]
    states += [State(name=n, kind=draw(st.sampled_from(NON_FINAL))) for n in names[1:first_final]]
    states += [State(name=n, kind=draw(st.sampled_from(FINAL))) for n in names[first_final:]]

    edges: set[tuple[int, int]] = set()
    for target in range(1, size):
        edges.add(
            (draw(st.integers(min_value=0, max_value=min(target - 1, first_final - 1))), target)
        )
    for source in range(first_final):
        if not any(s == source and t > source for s, t in edges):
            edges.add((source, draw(st.integers(min_value=source + 1, max_value=size - 1))))
    extra = draw(
        st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=first_final - 1),
                st.integers(min_value=0, max_value=size - 1),
            ),
            max_size=size,
        )
    )
    edges.update(extra)

    transitions: list[Transition] = []
    for number, (source, target) in enumerate(sorted(edges)):
        automatic = draw(st.integers(min_value=0, max_value=9)) == 0
        if automatic:
            transitions.append(
                Transition(
                    action=f"a{number}",
                    sources=(names[source],),
                    target=names[target],
                    trigger=Trigger.TIMER,
                    after=Duration.working_hours(draw(st.integers(min_value=1, max_value=40))),
                )
            )
            continue
        transitions.append(
            Transition(
                action=f"a{number}",
                sources=(names[source],),
                target=names[target],
                roles=tuple(
                    draw(st.lists(st.sampled_from(roles), min_size=1, max_size=2, unique=True))
                ),
                inputs=("reason",) if draw(st.booleans()) and number % 3 == 0 else (),
                guards=(READY_GUARD,) if number % 4 == 1 else (),
            )
        )
    manual = [t.action for t in transitions if t.is_manual]
    pairs: list[tuple[str, str]] = []
    if len(manual) > 1:
        pairs = draw(
            st.lists(
                st.tuples(st.sampled_from(manual), st.sampled_from(manual)).filter(
                    lambda pair: pair[0] != pair[1]
                ),
                min_size=1,
                max_size=3,
            )
        )
    return Workflow(
        code="generated",
        version=draw(st.integers(min_value=1, max_value=9)),
        roles=roles,
        states=tuple(states),
        transitions=tuple(transitions),
        separation_of_duties=tuple(pairs),
    )


def actors(roles: tuple[str, ...]) -> st.SearchStrategy[tuple[Actor, ...]]:
    """Draw 2 to 5 actors, each holding a random subset (possibly empty) of *roles*."""
    one = st.frozensets(st.sampled_from(roles), max_size=len(roles))
    return st.lists(one, min_size=2, max_size=5).map(
        lambda role_sets: tuple(
            Actor(id=f"officer-{i}", roles=held) for i, held in enumerate(role_sets)
        )
    )
