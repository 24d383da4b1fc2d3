"""Draw a workflow as a Mermaid state diagram or as Graphviz DOT.

Both renderings are deterministic: states come in declaration order, transitions in
declaration order and, within a transition, sources in the order listed.  Labels are
read in the language asked for, walking `LocalizedText.get`'s fallback chain; a state
without a label (or with a blank one) shows its name.

Labels are data, possibly hostile: each is written so that the diagram shows its text
and nothing else.  Mermaid gets every ASCII character other than letters, digits and
``_.,:'-()/?!+*@=`` and space as an entity code (``<`` is ``#60;``); DOT gets quotes,
backslashes and ``&`` escaped.  Controls, lone surrogates and bidirectional controls
become U+FFFD.

>>> from onestop.domain.workflow.model import State, StateKind, Transition, Workflow
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
<BLANKLINE>
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

from onestop.domain.common.formats import kind_of, preview
from onestop.domain.common.text import LocalizedText, language_fallbacks
from onestop.domain.workflow.model import State, Transition, Trigger, Workflow
from onestop.exceptions import InvalidValue

__all__ = ["edge_label", "to_dot", "to_mermaid"]

_MERMAID_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]*", re.ASCII)  # matched with fullmatch
# Words Mermaid's state diagrams read as keywords (compared without case).
_MERMAID_RESERVED = frozenset(
    {
        "as",
        "choice",
        "class",
        "classdef",
        "click",
        "default",
        "direction",
        "end",
        "fork",
        "join",
        "left",
        "linkstyle",
        "note",
        "of",
        "right",
        "state",
        "statediagram",
        "style",
    }
)
# ASCII that a label may hold as it is; every other ASCII character is written as an
# entity code, which Mermaid renders as that character, never as markup or syntax.
_MERMAID_PLAIN = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 _.,:'-()/?!+*@="
)
_REPLACEMENT = "\ufffd"
# Characters no label shows: controls, surrogates, private and unassigned code points,
# and the bidirectional controls that would reorder the text around them.
_HIDDEN = frozenset({"Cc", "Cs", "Co", "Cn"})
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _visible(char: str) -> str:
    """*char*, or U+FFFD if it is a control, a surrogate or a bidirectional control."""
    if char in _BIDI or unicodedata.category(char) in _HIDDEN:
        return _REPLACEMENT
    return char


def _options(
    language: object, fallbacks: object, labels: Iterable[LocalizedText | None]
) -> tuple[str, tuple[str, ...]]:
    """Check the language options every rendering takes; return them as text and a tuple
    of the fallbacks that can serve one of *labels* (a fallback no label has text for
    changes no label, and each label would walk it again).

    Raises:
        InvalidValue: If *language* is not text, or *fallbacks* not an iterable of text.
    """
    if not isinstance(language, str):
        raise InvalidValue(field="language", reason=f"expected text, not {kind_of(language)}")
    if isinstance(fallbacks, str) or not isinstance(fallbacks, Iterable):
        raise InvalidValue(
            field="fallbacks", reason=f"expected language tags, not {kind_of(fallbacks)}"
        )
    tags = tuple(fallbacks)
    for tag in tags:
        if not isinstance(tag, str):
            raise InvalidValue(field="fallbacks", reason=f"expected text, not {kind_of(tag)}")
    tagged = {tag.lower() for label in labels if label is not None for tag, _ in label.texts}
    useful = (tag for tag in dict.fromkeys(tags) if tagged.intersection(language_fallbacks(tag)))
    return language, tuple(useful)


def _labels(workflow: Workflow) -> Iterator[LocalizedText | None]:
    yield from (state.label for state in workflow.states)
    yield from (transition.label for transition in workflow.transitions)


def _checked(workflow: object) -> Workflow:
    if not isinstance(workflow, Workflow):
        raise InvalidValue(field="workflow", reason=f"expected a Workflow, not {kind_of(workflow)}")
    return workflow


def _text(text: LocalizedText | None, language: str, fallbacks: Iterable[str]) -> str:
    """The label in *language*, or ``""`` if there is none or it is only white space."""
    found = text.get(language, fallbacks=tuple(fallbacks)) if text else ""
    return found if found.strip() else ""


def _state_label(state: State, language: str, fallbacks: Iterable[str]) -> str:
    return _text(state.label, language, fallbacks) or state.name


def edge_label(
    transition: Transition, *, language: str = "en", fallbacks: Iterable[str] = ()
) -> str:
    """Return the label both renderings put on *transition*'s edges.

    The action (or its label in *language*), then who or what fires it: the roles of a
    manual transition, ``after <duration>`` for a timer, ``time limit passed`` for a
    breach, ``on <event>`` for an event.

    Raises:
        InvalidValue: If *transition* is not a `Transition`, or the language options
            are not text.
    """
    if not isinstance(transition, Transition):
        raise InvalidValue(
            field="transition", reason=f"expected a Transition, not {kind_of(transition)}"
        )
    language, fallbacks = _options(language, fallbacks, (transition.label,))
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
    safe = all(
        _MERMAID_ID.fullmatch(n) is not None and n.lower() not in _MERMAID_RESERVED for n in names
    )
    return {name: name if safe else f"s{i}" for i, name in enumerate(names)}


def _mermaid_text(text: str) -> str:
    """*text* on one line, safe inside a Mermaid label, rendered as the text itself.

    White space runs (line breaks included) become one space.  ASCII other than
    letters, digits, space and ``_.,:'-()/?!+*@=`` is written as a Mermaid entity code
    (``<`` as ``#60;``, ``"`` as ``#34;``, ``#`` as ``#35;``), so no label can close its
    quotes, start a statement, a comment, a directive, a markdown string or an HTML
    tag; controls, surrogates and bidirectional controls become U+FFFD.
    """
    out: list[str] = []
    for char in " ".join(text.split()):
        if char in _MERMAID_PLAIN:
            out.append(char)
        elif char.isascii():
            out.append(_REPLACEMENT if char < " " or char == "\x7f" else f"#{ord(char)};")
        else:
            out.append(_visible(char))
    return "".join(out)


def to_mermaid(
    workflow: Workflow, /, *, language: str = "en", fallbacks: Iterable[str] = ()
) -> str:
    """Return *workflow* as a Mermaid ``stateDiagram-v2``.

    The initial state is entered from ``[*]``, final states lead to ``[*]``, and each
    edge is labelled with its action and the roles (or trigger) that take it.  State
    names are used as ids when all are plain identifiers, else ``s0``, ``s1``, ...
    Every label is written so that Mermaid shows its text and nothing else (see
    `_mermaid_text`): no label can inject markup or Mermaid syntax.

    Raises:
        InvalidValue: If *workflow* is not a `Workflow`, or the language options are
            not text.
    """
    workflow = _checked(workflow)
    language, fallbacks = _options(language, fallbacks, _labels(workflow))
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


_DOT_ESCAPES = {"\\": "\\\\", '"': '\\"', "&": "&amp;", "\n": "\\n", "\t": " "}


def _dot_string(text: str) -> str:
    """*text* as a quoted DOT string that Graphviz draws as the text itself.

    Backslashes and quotes are escaped, ``&`` is written ``&amp;`` (Graphviz reads
    character entities in labels), every kind of line break becomes DOT's ``\\n``,
    and controls, surrogates and bidirectional controls become U+FFFD.
    """
    lines = "\n".join(text.splitlines()) if text else text
    escaped = "".join(
        _DOT_ESCAPES.get(char) or (char if char.isprintable() or char == " " else _visible(char))
        for char in lines
    )
    return f'"{escaped}"'


def to_dot(workflow: Workflow, /, *, language: str = "en", fallbacks: Iterable[str] = ()) -> str:
    """Return *workflow* as a Graphviz DOT ``digraph``; every id is a quoted string.

    The initial state is entered from a point node called ``__start``; final states
    are drawn with a double border, waiting states dashed.  Every string is written so
    that Graphviz draws its text and nothing else (see `_dot_string`).

    Raises:
        InvalidValue: If *workflow* is not a `Workflow`, or the language options are
            not text.
    """
    workflow = _checked(workflow)
    language, fallbacks = _options(language, fallbacks, _labels(workflow))
    title = f"{workflow.code} v{preview(workflow.version)}"  # a huge one is not written out
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
