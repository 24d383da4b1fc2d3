"""Mermaid and Graphviz renderings of a workflow: complete, deterministic, well formed."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workflow_samples import licence, minimal

from onestop.domain.common.text import LocalizedText
from onestop.domain.workflow.model import State, StateKind, Workflow
from onestop.domain.workflow.render import edge_label, to_dot, to_mermaid
from onestop.exceptions import InvalidValue

WORKFLOW = licence()

# One DOT statement per line: a node, an edge, or an attribute default.
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_ATTRS = rf"\[(?:\s*\w+\s*=\s*{_QUOTED}\s*,?)*\]"
_NODE = re.compile(rf"^\s*{_QUOTED}\s*{_ATTRS};$")
_EDGE = re.compile(rf"^\s*({_QUOTED})\s*->\s*({_QUOTED})(?:\s*{_ATTRS})?;$")
_DEFAULT = re.compile(rf"^\s*(node|edge|graph)\s*{_ATTRS};$|^\s*rankdir=LR;$")


def parse_dot(text: str) -> tuple[set[str], list[tuple[str, str]]]:
    """Check *text* line by line against the DOT subset we emit; return nodes and edges."""
    lines = text.strip().splitlines()
    assert re.match(rf"^digraph {_QUOTED} \{{$", lines[0])
    assert lines[-1] == "}"
    nodes: set[str] = set()
    edges: list[tuple[str, str]] = []
    for line in lines[1:-1]:
        if _DEFAULT.match(line):
            continue
        if edge := _EDGE.match(line):
            edges.append((edge.group(1).strip('"'), edge.group(2).strip('"')))
        else:
            assert _NODE.match(line), line
            nodes.add(line.strip().split('"')[1])
    return nodes, edges


class TestMermaid:
    def test_sample(self) -> None:
        """The sample renders with an entry, finals leaving to [*], and labelled edges."""
        text = to_mermaid(WORKFLOW)
        lines = text.splitlines()
        assert lines[0] == "stateDiagram-v2"
        assert "    [*] --> submitted" in lines
        assert "    approved --> [*]" in lines
        assert "    rejected --> [*]" in lines
        assert "    verifying --> at_agency : verify (verifier, approver)" in lines
        assert "    at_agency --> approved : deem_approved (after 10 working days)" in lines
        assert "    at_agency --> approved : agency_approved (on agency.approved)" in lines
        assert "    verifying --> escalated : escalate (time limit passed)" in lines
        assert '    state "Being verified" as verifying' in lines

    def test_every_source_gets_an_edge(self) -> None:
        """A transition with several sources draws one edge per source."""
        edges = [line for line in to_mermaid(WORKFLOW).splitlines() if " : reject " in line]
        assert len(edges) == 3

    def test_language(self) -> None:
        """Labels are read in the language asked for."""
        assert '    state "Diverifikasi" as verifying' in to_mermaid(WORKFLOW, language="id")

    def test_deterministic(self) -> None:
        """Rendering twice, or an equal workflow, gives the same text."""
        assert to_mermaid(WORKFLOW) == to_mermaid(licence())

    def test_awkward_names_get_safe_ids(self) -> None:
        """State names that are not plain identifiers are drawn under ids s0, s1, ..."""
        states = (
            State(name="new", kind=StateKind.INITIAL),
            State(name="in review", kind=StateKind.ACTIVE, label=LocalizedText.of(en='Say "hi"')),
            State(name="done", kind=StateKind.SUCCESS),
        )
        workflow = attrs.evolve(
            minimal(),
            states=states,
            transitions=tuple(
                attrs.evolve(t, target="in review") if t.action == "take" else t
                for t in minimal().transitions
            ),
        )
        text = to_mermaid(workflow)
        assert '    state "Say #34;hi#34;" as s1' in text
        assert "    [*] --> s0" in text
        assert "    s0 --> s1 : take (clerk)" in text


class TestDot:
    def test_sample_parses(self) -> None:
        """The DOT output is well formed and holds every state and every edge."""
        nodes, edges = parse_dot(to_dot(WORKFLOW))
        assert nodes == {"__start", *WORKFLOW.state_names}
        expected = [(source, t.target) for t in WORKFLOW.transitions for source in t.sources]
        assert edges == [("__start", "submitted"), *expected]

    def test_quotes_are_escaped(self) -> None:
        """Quotes and backslashes in labels are escaped, so the file still parses."""
        tricky = State(name="new", kind=StateKind.INITIAL, label=LocalizedText.of(en='a "b" \\ c'))
        workflow = attrs.evolve(minimal(), states=(tricky, *minimal().states[1:]))
        text = to_dot(workflow)
        assert 'label="a \\"b\\" \\\\ c"' in text
        parse_dot(text)

    def test_finals_and_waiting_states_are_marked(self) -> None:
        """Final states get a double border, waiting states a dashed one."""
        text = to_dot(WORKFLOW)
        assert '"approved" [label="Approved", peripheries="2"];' in text
        assert '"returned" [label="Returned for correction", style="rounded,dashed"];' in text

    def test_deterministic(self) -> None:
        """Rendering twice gives the same text."""
        assert to_dot(WORKFLOW) == to_dot(licence())


# Hostile labels and names: every code point, markup, Mermaid and DOT syntax.
HOSTILE = st.text() | st.sampled_from(
    [
        '<script>alert("x")</script>',
        '<img src=x onerror="alert(1)">',
        '"] ; click new call alert() ; %%{init: {"securityLevel": "loose"}}%%',
        "`**markdown**` | pipe [bracket] {brace} #lt;entity#gt; &amp; \\ back",
        "line\r\nbreak\u2028separator\x85next\ttab",
        "\u202eevil\u2066 \ud800 \x00\x1b[31m",
    ]
)
_ENTITY = re.compile(r"#([0-9]+);")


def unchecked_text(text: str) -> LocalizedText:
    """English text built without the check its converter makes, as old stored data may hold."""
    value = object.__new__(LocalizedText)
    object.__setattr__(value, "texts", (("en", text),))
    return value


def labelled(state_label: str, edge_label: str) -> Workflow:
    """The minimal workflow with *state_label* on its middle state and *edge_label* on 'take'.

    The labels bypass `LocalizedText`'s own check, which refuses control characters: a
    diagram must stay safe whatever text reaches it.
    """
    base = minimal()
    states = tuple(
        attrs.evolve(s, label=unchecked_text(state_label)) if s.name == "working" else s
        for s in base.states
    )
    transitions = tuple(
        attrs.evolve(t, label=unchecked_text(edge_label)) if t.action == "take" else t
        for t in base.transitions
    )
    return attrs.evolve(base, states=states, transitions=transitions)


def shown(text: str, *, one_line: bool) -> str:
    """What a renderer should show of *text*: hidden characters as U+FFFD."""
    if one_line:
        text = " ".join(text.split())
    hidden = {"Cc", "Cs", "Co", "Cn"}
    bidi = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    return "".join(
        "\ufffd" if c in bidi or (unicodedata.category(c) in hidden and c not in "\n") else c
        for c in text
    )


class TestHostileLabels:
    @settings(max_examples=300)
    @given(state_label=HOSTILE, edge_label=HOSTILE)
    def test_mermaid_shows_any_text_and_injects_nothing(
        self, state_label: str, edge_label: str
    ) -> None:
        """Labels stay on their line, hold no markup or syntax character, and decode back."""
        text = to_mermaid(labelled(state_label, edge_label), language="en")
        text.encode("utf-8")  # no lone surrogate left
        lines = text.splitlines()
        assert len(lines) == 8  # header, three states, entry, two edges, exit
        state = next(line for line in lines if line.endswith(" as working"))
        edge = next(line for line in lines if line.startswith("    new --> working : "))
        action = edge_label if edge_label.strip() else "take"  # a blank label shows the name
        for line, prefix, suffix, label in (
            (
                state,
                '    state "',
                '" as working',
                state_label if state_label.strip() else "working",
            ),
            (edge, "    new --> working : ", "", f"{action} (clerk)"),
        ):
            assert line.startswith(prefix)
            assert line.endswith(suffix)
            body = line[len(prefix) : len(line) - len(suffix)]
            bare = _ENTITY.sub("", body)
            assert not set(bare) & set('"<>&`|[]{};%#\\\r\n')
            decoded = _ENTITY.sub(lambda m: chr(int(m.group(1))), body)
            assert decoded == shown(label, one_line=True)

    @settings(max_examples=300)
    @given(state_label=HOSTILE, edge_label=HOSTILE)
    def test_dot_shows_any_text_and_stays_well_formed(
        self, state_label: str, edge_label: str
    ) -> None:
        """DOT strings escape quotes, backslashes, & and line breaks, and decode back."""
        text = to_dot(labelled(state_label, edge_label), language="en")
        text.encode("utf-8")
        parse_dot(text)
        match = re.search(r'"working" \[label=("(?:[^"\\]|\\.)*")', text)
        assert match is not None
        body = match.group(1)[1:-1]
        decoded = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), body)
        decoded = decoded.replace("&amp;", "&")
        label = state_label if state_label.strip() else "working"  # a blank label shows the name
        assert decoded == shown("\n".join(label.splitlines()).replace("\t", " "), one_line=False)
        assert "&" not in body.replace("&amp;", "")

    @pytest.mark.parametrize(
        "name", ["end", "END", "State", "click", "done\n", "a b", 'x"];click x', "1st", "é"]
    )
    def test_a_name_mermaid_cannot_use_as_an_id_gives_safe_ids(self, name: str) -> None:
        """Keywords (any case), a trailing line break or syntax in a name: ids s0, s1, ..."""
        base = minimal()
        states = tuple(attrs.evolve(s, name=name) if s.name == "done" else s for s in base.states)
        transitions = tuple(
            attrs.evolve(t, target=name) if t.target == "done" else t for t in base.transitions
        )
        text = to_mermaid(attrs.evolve(base, states=states, transitions=transitions))
        assert "    s1 --> s2 : finish (clerk)" in text
        assert len(text.splitlines()) == 8


@pytest.mark.parametrize("render", [to_mermaid, to_dot])
@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        (("not a workflow",), "workflow"),
        ((None,), "workflow"),
        ((minimal(), {"language": 5}), "language"),
        ((minimal(), {"fallbacks": "en"}), "fallbacks"),
        ((minimal(), {"fallbacks": [None]}), "fallbacks"),
    ],
)
def test_a_wrong_argument_is_a_typed_error(
    render: Callable[..., str], arguments: tuple[object, ...], field: str
) -> None:
    """A non-workflow or non-text language options raise InvalidValue naming the argument."""
    positional = arguments[:1]
    options = arguments[1] if len(arguments) > 1 else {}
    with pytest.raises(InvalidValue) as caught:
        render(*positional, **options)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_edge_label_refuses_what_is_not_a_transition() -> None:
    """edge_label of a state raises InvalidValue, not AttributeError."""
    with pytest.raises(InvalidValue):
        edge_label(minimal().states[0])  # type: ignore[arg-type]


_TAGS = st.sampled_from(["en", "EN-gb", "id", "id_ID", "km", "xx", "zz-Latn", "a" * 70])


@given(language=_TAGS, fallbacks=st.lists(_TAGS, max_size=8))
@settings(max_examples=60)
def test_fallbacks_no_label_has_text_for_change_nothing(
    language: str, fallbacks: list[str]
) -> None:
    """Both renderings give the same text with the fallbacks as given and with only those
    that can serve some label (repeats and unserved ones dropped): what the renderer
    keeps of them changes no label."""
    labelled = _labelled(WORKFLOW)
    served = [f for f in fallbacks if f.lower().replace("_", "-").split("-")[0] in ("en", "id")]
    for render in (to_dot, to_mermaid):
        full = render(labelled, language=language, fallbacks=fallbacks * 3 + ["xx"] * 50)
        assert full == render(labelled, language=language, fallbacks=served)
    dot = to_dot(labelled, language=language, fallbacks=fallbacks * 3 + ["xx"] * 50)
    for state in labelled.states:
        assert state.label is not None
        assert f'label="{state.label.get(language, fallbacks=fallbacks)}"' in dot
    for transition in labelled.transitions:
        assert transition.label is not None
        assert f'label="{transition.label.get(language, fallbacks=fallbacks)} (' in dot


def _labelled(workflow: Workflow) -> Workflow:
    """*workflow* with every state and transition labelled in English and Indonesian."""
    states = tuple(
        attrs.evolve(s, label=LocalizedText({"en": f"{s.name} (en)", "id": f"{s.name} (id)"}))
        for s in workflow.states
    )
    transitions = tuple(
        attrs.evolve(t, label=LocalizedText({"id": f"{t.action} (id)", "en-GB": f"{t.action} gb"}))
        for t in workflow.transitions
    )
    return attrs.evolve(workflow, states=states, transitions=transitions)


def test_a_hundred_thousand_unserved_fallbacks_render_as_none() -> None:
    """100,000 distinct fallbacks that no label has text for render as no fallback at all
    (the renderer walks each once, not once per label)."""
    labelled = _labelled(WORKFLOW)
    many = [f"x{i}" for i in range(100_000)]
    assert to_dot(labelled, language="km", fallbacks=[*many, "id"]) == to_dot(
        labelled, language="km", fallbacks=["id"]
    )
