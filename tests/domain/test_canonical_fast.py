"""The fast path of canonical_bytes gives exactly what the exact encoder gives."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.domain.common import canonical
from onestop.domain.common.canonical import canonical_bytes
from onestop.exceptions import NotCanonical


class Mode(enum.Enum):
    ON = "on"
    OFF = 2


class Channel(enum.StrEnum):
    COUNTER = "counter"


def exact(value: object) -> bytes:
    """Encode *value* with the exact encoder only."""
    parts: list[str] = []
    canonical._encode(value, "$", parts, 0, masked=False)
    return "".join(parts).encode("utf-8")


instants = st.datetimes(
    min_value=datetime(1900, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime(2200, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=7)), timezone(-timedelta(hours=9))]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.text(),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x40)),
    st.decimals(allow_nan=False, allow_infinity=False),
    instants,
    st.sampled_from([Mode.ON, Mode.OFF, Channel.COUNTER]),
)
keys = st.one_of(st.text(max_size=8), st.sampled_from(["a", "b", "kind", "\ue000", "\U0001f600"]))
plain = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(keys, inner, max_size=4),
    ),
    max_leaves=20,
)


@settings(max_examples=600)
@given(plain)
def test_fast_path_matches_exact_encoder(value: object) -> None:
    """For any plain value the result equals the exact encoder's, bytes or refusal alike."""
    try:
        expected: bytes | str = exact(value)
    except NotCanonical as exc:
        expected = f"refused at {exc.path}"
    try:
        found: bytes | str = canonical_bytes(value)
    except NotCanonical as exc:
        found = f"refused at {exc.path}"
    assert found == expected


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"a": [1, 1.5]}, "$.a[1]"),
        ({"a": "\ud800"}, "$.a"),
        ({"x": datetime(2025, 1, 1)}, "$.x"),  # noqa: DTZ001 - naive on purpose
        ({1: "a"}, "$"),
        ({"a": Decimal("NaN")}, "$.a"),
    ],
)
def test_refusals_name_the_path_of_the_exact_encoder(value: object, path: str) -> None:
    """A value the fast path doubts is refused with the path the exact encoder names."""
    with pytest.raises(NotCanonical) as caught:
        canonical_bytes(value)
    assert caught.value.path == path


def test_non_ascii_keys_are_sorted_by_utf16_code_units() -> None:
    """A key beyond the BMP sorts before a private-use BMP key, as UTF-16 orders them."""
    assert canonical_bytes({"\U0001f600": 1, "\ue000": 2}) == exact({"\U0001f600": 1, "\ue000": 2})
    assert canonical_bytes({"\U0001f600": 1, "\ue000": 2}).startswith('{"\U0001f600"'.encode())


def _outcome(encode: Callable[[object], bytes], value: object) -> bytes | str:
    try:
        return encode(value)
    except NotCanonical as exc:
        return f"refused at {exc.path}: {exc.reason}"


@pytest.mark.parametrize("leaf", [Mode.ON, Channel.COUNTER, "text", 7])
@pytest.mark.parametrize("depth", [98, 99, 100, 101])
def test_at_the_depth_limit_both_encoders_agree(leaf: object, depth: int) -> None:
    """Near the depth limit, an enum or plain leaf gets the exact encoder's bytes or refusal."""
    value: object = leaf
    for _ in range(depth):
        value = [value]
    assert _outcome(canonical_bytes, value) == _outcome(exact, value)
