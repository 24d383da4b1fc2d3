"""Mermaid and Graphviz renderings of a workflow: complete, deterministic, well formed."""

from __future__ import annotations

import re

import attrs
from workflow_samples import licence, minimal

from onestop.domain.render import to_dot, to_mermaid
from onestop.domain.text import LocalizedText
from onestop.domain.workflow import State, StateKind

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
        assert '    state "Say #quot;hi#quot;" as s1' in text
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
