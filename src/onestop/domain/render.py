"""Draw a workflow as a Mermaid state diagram or as Graphviz DOT.

Both renderings are deterministic: states come in declaration order, transitions in
declaration order and, within a transition, sources in the order listed.  Labels are
read in the language asked for, walking `LocalizedText.get`'s fallback chain; a state
without a label shows its name.

>>> from onestop.domain.workflow import State, StateKind, Transition, Workflow
>>> wf = Workflow(
...     code="licence",
...     roles=("clerk",),
...     states=(
...         State(name="submitted", kind=StateKind.INITIAL),
...         State(name="issued", kind=StateKind.SUCCESS),
...     ),
...     transitions=(
...         Transition(action="issue", sources=("submitted",), target="issued", roles=("clerk",)),
...     ),
... )
>>> print(to_mermaid(wf))
stateDiagram-v2
    state "submitted" as submitted
    state "issued" as issued
    [*] --> submitted
    submitted --> issued : issue (clerk)
    issued --> [*]
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from onestop.domain.text import LocalizedText
from onestop.domain.workflow import State, Transition, Trigger, Workflow

__all__ = ["edge_label", "to_dot", "to_mermaid"]

_MERMAID_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_MERMAID_RESERVED = frozenset({"end", "state", "note", "direction", "class", "classDef"})


def _text(text: LocalizedText | None, language: str, fallbacks: Iterable[str]) -> str:
    return text.get(language, fallbacks=tuple(fallbacks)) if text else ""


def _state_label(state: State, language: str, fallbacks: Iterable[str]) -> str:
    return _text(state.label, language, fallbacks) or state.name


def edge_label(
    transition: Transition, *, language: str = "en", fallbacks: Iterable[str] = ()
) -> str:
    """Return the label both renderings put on *transition*'s edges.

    The action (or its label in *language*), then who or what fires it: the roles of a
    manual transition, ``after <duration>`` for a timer, ``time limit passed`` for a
    breach, ``on <event>`` for an event.
    """
    name = _text(transition.label, language, fallbacks) or transition.action
    if transition.trigger is Trigger.MANUAL:
        how = ", ".join(transition.roles)
    elif transition.trigger is Trigger.TIMER:
        how = f"after {transition.after}" if transition.after else "timer"
    elif transition.trigger is Trigger.BREACH:
        how = "time limit passed"
    else:
        how = f"on {transition.event}"
    return f"{name} ({how})" if how else name


def _mermaid_ids(workflow: Workflow) -> dict[str, str]:
    names = list(dict.fromkeys(workflow.state_names))
    safe = all(_MERMAID_ID.match(n) and n not in _MERMAID_RESERVED for n in names)
    return {name: name if safe else f"s{i}" for i, name in enumerate(names)}


def _mermaid_text(text: str) -> str:
    flat = " ".join(text.split())
    return flat.replace(";", "#59;").replace('"', "#quot;")


def to_mermaid(
    workflow: Workflow, /, *, language: str = "en", fallbacks: Iterable[str] = ()
) -> str:
    """Return *workflow* as a Mermaid ``stateDiagram-v2``.

    The initial state is entered from ``[*]``, final states lead to ``[*]``, and each
    edge is labelled with its action and the roles (or trigger) that take it.  State
    names are used as ids when all are plain identifiers, else ``s0``, ``s1``, ...
    """
    ids = _mermaid_ids(workflow)
    lines = ["stateDiagram-v2"]
    seen: set[str] = set()
    for state in workflow.states:
        if state.name in seen:
            continue
        seen.add(state.name)
        label = _mermaid_text(_state_label(state, language, fallbacks))
        lines.append(f'    state "{label}" as {ids[state.name]}')
    initial = workflow.initial_state
    if initial is not None:
        lines.append(f"    [*] --> {ids[initial]}")
    for transition in workflow.transitions:
        if transition.target not in ids:
            continue
        label = _mermaid_text(edge_label(transition, language=language, fallbacks=fallbacks))
        lines.extend(
            f"    {ids[source]} --> {ids[transition.target]} : {label}"
            for source in transition.sources
            if source in ids
        )
    lines.extend(f"    {ids[s.name]} --> [*]" for s in workflow.states if s.is_final)
    return "\n".join(lines) + "\n"


def _dot_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def to_dot(workflow: Workflow, /, *, language: str = "en", fallbacks: Iterable[str] = ()) -> str:
    """Return *workflow* as a Graphviz DOT ``digraph``; every id is a quoted string.

    The initial state is entered from a point node called ``__start``; final states
    are drawn with a double border, waiting states dashed.
    """
    title = f"{workflow.code} v{workflow.version}"
    lines = [f"digraph {_dot_string(title)} {{", "    rankdir=LR;"]
    lines.append('    node [shape="box", style="rounded"];')
    lines.append('    "__start" [shape="point", label=""];')
    seen: set[str] = set()
    for state in workflow.states:
        if state.name in seen:
            continue
        seen.add(state.name)
        attributes = [f"label={_dot_string(_state_label(state, language, fallbacks))}"]
        if state.is_final:
            attributes.append('peripheries="2"')
        elif state.kind.value.startswith("waiting"):
            attributes.append('style="rounded,dashed"')
        lines.append(f"    {_dot_string(state.name)} [{', '.join(attributes)}];")
    initial = workflow.initial_state
    if initial is not None:
        lines.append(f'    "__start" -> {_dot_string(initial)};')
    for transition in workflow.transitions:
        label = _dot_string(edge_label(transition, language=language, fallbacks=fallbacks))
        style = "" if transition.is_manual else ', style="dashed"'
        lines.extend(
            f"    {_dot_string(source)} -> {_dot_string(transition.target)} [label={label}{style}];"
            for source in transition.sources
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
