"""The exports' chunked JSON writer writes exactly what `json.dumps` writes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from onestop.interop import _json

SCALARS = st.none() | st.booleans() | st.integers() | st.text()
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
INDENTS = st.none() | st.integers(0, 4)


@given(value=VALUES, indent=INDENTS)
def test_dumps_is_json_dumps(value: Any, indent: int | None) -> None:
    """`dumps` gives ``json.dumps(value, ensure_ascii=False, indent=indent)``."""
    assert _json.dumps(value, indent=indent) == json.dumps(value, ensure_ascii=False, indent=indent)


@given(
    head=st.dictionaries(st.text(), VALUES, max_size=3),
    groups=st.lists(st.lists(VALUES, max_size=3), max_size=4),
    indent=INDENTS,
)
def test_document_chunks_join_to_json_dumps(
    head: dict[str, Any], groups: list[list[Any]], indent: int | None
) -> None:
    """The chunks of `document` join to ``json.dumps`` of the document, empty groups included."""
    key = "@graph"
    head.pop(key, None)
    whole = {**head, key: [item for group in groups for item in group]}
    encoded = [[_json.dumps(item, indent=indent, level=2) for item in group] for group in groups]
    chunks = "".join(_json.document(head, key, encoded, indent=indent))
    assert chunks == json.dumps(whole, ensure_ascii=False, indent=indent)


@given(groups=st.lists(st.lists(VALUES, max_size=3), max_size=4), indent=INDENTS)
def test_array_chunks_join_to_json_dumps(groups: list[list[Any]], indent: int | None) -> None:
    """The chunks of a top-level `array` join to ``json.dumps`` of the list."""
    encoded = [[_json.dumps(item, indent=indent, level=1) for item in group] for group in groups]
    whole = [item for group in groups for item in group]
    assert "".join(_json.array(encoded, indent=indent)) == json.dumps(
        whole, ensure_ascii=False, indent=indent
    )
