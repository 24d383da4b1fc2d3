"""canonical_bytes gives storable UTF-8 JSON or a NotCanonical naming where: nothing else.

The hash chain encodes every stored body with `canonical_bytes`.  Whatever it is
handed (lone surrogates, keys that cannot be compared, time zones that give no
offset, nesting far past its limit), it must either give bytes that any store can
keep and that read back as JSON, or refuse with `NotCanonical` and a short path.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.domain.common.canonical import canonical_bytes
from onestop.domain.common.parties import Personal
from onestop.exceptions import NotCanonical


class _Unordered:
    """A key that cannot be compared with text, nor sorted."""

    def __lt__(self, other: object) -> bool:
        raise RuntimeError("not comparable")

    def __hash__(self) -> int:
        return 1


class _NoOffset(tzinfo):
    """A time zone whose offset is out of range (or not a timedelta)."""

    def __init__(self, offset: object) -> None:
        self.offset = offset

    def utcoffset(self, dt: datetime | None) -> Any:
        return self.offset

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str:
        return "broken"


@attrs.frozen
class _Box:
    inside: object


_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, 10**1200]),
    st.builds(lambda: -(10**5000)),  # too long for repr(), so built, not sampled
    st.floats(),
    st.decimals(),
    st.text(st.characters(codec=None)),  # surrogates, NUL, controls
    st.binary(max_size=8),
    st.datetimes(),
    st.datetimes(timezones=st.just(UTC)),
    st.sampled_from([datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)]),
    # built rather than sampled: Hypothesis would hash them, which calls utcoffset()
    st.builds(lambda: datetime(1, 1, 1, tzinfo=_NoOffset(timedelta(hours=5)))),
    st.builds(lambda: datetime(2025, 1, 1, tzinfo=_NoOffset(timedelta(hours=30)))),
    st.builds(lambda: datetime(2025, 1, 1, tzinfo=_NoOffset("+07:00"))),
    st.builds(object),
    st.builds(_Unordered),
)
_KEYS = st.one_of(st.text(st.characters(codec=None), max_size=6), st.integers(), st.none())
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(_KEYS, inner, max_size=3),
        st.dictionaries(_KEYS, inner, max_size=3).map(MappingProxyType),
        st.builds(_Box, inner),
        st.builds(Personal, inner),
    ),
    max_leaves=12,
)


@settings(max_examples=1000)
@given(_VALUES)
def test_any_value_gives_storable_json_or_not_canonical(value: object) -> None:
    """The result decodes as UTF-8 JSON with no lone surrogate, or the value is refused typed."""
    try:
        encoded = canonical_bytes(value)
    except NotCanonical as error:
        refused: NotCanonical | None = error
    else:
        refused = None
        json.loads(encoded.decode("utf-8"))  # strict UTF-8: no lone surrogate got through
    assert refused is None or len(str(refused)) <= 250


@given(st.text(st.characters(codec=None)))
def test_text_is_kept_exactly_unless_it_holds_a_lone_surrogate(text: str) -> None:
    """Text reads back as itself; text with a lone surrogate is refused, as no store holds it."""
    surrogate = any(0xD800 <= ord(char) <= 0xDFFF for char in text)
    if surrogate:
        with pytest.raises(NotCanonical, match="lone surrogate"):
            canonical_bytes({"note": text})
    else:
        assert json.loads(canonical_bytes({"note": text})) == {"note": text}


def test_keys_that_cannot_be_compared_are_refused() -> None:
    """A table with a key that raises when compared is refused as not text, not with its error."""
    with pytest.raises(NotCanonical, match="object keys must be strings"):
        canonical_bytes({"a": 1, _Unordered(): 2})


@pytest.mark.parametrize("offset", [timedelta(hours=30), "+07:00", timedelta(minutes=-1441)])
def test_a_time_zone_without_a_valid_offset_is_refused(offset: object) -> None:
    """A datetime whose time zone gives an invalid offset is refused by path."""
    with pytest.raises(NotCanonical, match=r"^\$\.at: the datetime's time zone gives no valid"):
        canonical_bytes({"at": datetime(2025, 1, 1, tzinfo=_NoOffset(offset))})


@pytest.mark.parametrize(
    "wrap",
    [
        pytest.param(lambda inner: [inner], id="list"),
        pytest.param(lambda inner: MappingProxyType({"k": inner}), id="mapping"),
        pytest.param(_Box, id="attrs"),
        pytest.param(Personal, id="personal"),
        pytest.param(lambda inner: frozenset({(inner,)}), id="set"),
    ],
)
def test_nesting_past_the_recursion_limit_is_refused(wrap: Any) -> None:
    """Nesting deeper than Python's recursion limit is refused by depth, not RecursionError."""
    value: object = "leaf"
    for _ in range(sys.getrecursionlimit() * 2):
        value = wrap(value)
    with pytest.raises(NotCanonical, match="nested more than 100 levels deep"):
        canonical_bytes(value)


def test_the_path_of_a_deep_refusal_is_short() -> None:
    """A refusal deep inside long keys names a shortened path, not every key on the way."""
    value: object = 1.5
    for level in range(99):
        value = {f"key_{level:02d}_" + "x" * 50: value}
    with pytest.raises(NotCanonical) as refused:
        canonical_bytes(value)
    assert len(refused.value.path) <= 125
    assert refused.value.path.startswith("$.key_98_")
    assert refused.value.path.endswith("key_00_" + "x" * 50)


def test_a_key_with_a_line_break_is_not_spelled_in_a_path() -> None:
    """A key ending with a line break is shown as ``[<key>]``: paths hold plain keys only."""
    with pytest.raises(NotCanonical) as refused:
        canonical_bytes({"amount\n": 1.5})
    assert refused.value.path == "$[<key>]"


@pytest.mark.parametrize("number", [Decimal("1e-1001"), Decimal("1e1001"), 10**1001])
def test_numbers_past_a_thousand_digits_are_refused(number: object) -> None:
    """Numbers with more than 1,000 digits are refused, however they are written."""
    with pytest.raises(NotCanonical, match="more than 1000 digits"):
        canonical_bytes({"n": number})
