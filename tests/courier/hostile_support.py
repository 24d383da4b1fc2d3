"""Hostile values for the courier's public calls, and the check every call must pass.

`hostile()` draws what an attacker or a careless caller hands over: wrong types, bools
where integers go, integers beyond what a store holds, naive and extreme datetimes,
text with NUL, controls, lone surrogates, line breaks and look-alike letters, enum
values that do not exist.  `outcome_is_typed` runs a call and checks that it either
returns or raises an `onestop.exceptions.OnestopError` whose message is short and
does not repeat a long value it was given.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from onestop.exceptions import OnestopError

WIB = ZoneInfo("Asia/Jakarta")
_EAST = timezone(timedelta(hours=14))
_WEST = timezone(-timedelta(hours=12))

MAX_MESSAGE = 600
"""The longest message a refusal may have, in characters."""


class _Colour(enum.Enum):
    RED = "pickup"  # a member of another enum, with a value that exists in JobKind


EXTREME_INSTANTS = [
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=_EAST),  # before the year 1 in UTC
    datetime(1, 1, 1, 12, tzinfo=WIB),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(9999, 12, 31, 23, tzinfo=_WEST),  # after the year 9999 in UTC
    datetime.max.replace(tzinfo=UTC),
    datetime.min.replace(tzinfo=UTC),
    datetime.max.replace(tzinfo=WIB),
]

_TEXTS = st.one_of(
    st.text(max_size=20),
    st.text(st.characters(codec=None, categories=["Cs", "Cc", "Cf", "Zs"]), min_size=1),
    st.sampled_from(
        [
            "",
            " ",
            "c-17\n",
            "C-17",
            "\u0441-17",  # a Cyrillic letter es for the Latin c
            "c\u200d-17",  # zero-width joiner
            "c-\uff11\uff17",  # full-width digits
            "a\x00b",
            "\ud800",
            "x" * 5000,
            "pickup\n",
            "PICKUP",
            "done",
            "no_one_home ",
        ]
    ),
)

_NUMBERS = st.one_of(
    st.booleans(),
    st.integers(),
    st.sampled_from([-1, 0, 2**63, -(2**63) - 1]),
    st.builds(lambda: 10**5000) | st.builds(lambda: -(10**5000)),  # built: too long for repr()
    st.floats(),
    st.sampled_from([Decimal("NaN"), Decimal("-Infinity"), Decimal("1e999999999")]),
)

_INSTANTS = st.one_of(
    st.sampled_from(EXTREME_INSTANTS),
    st.datetimes(),  # naive
    st.datetimes(timezones=st.sampled_from([UTC, WIB, _EAST, _WEST])),
    st.dates(),
    st.sampled_from([timedelta(days=-1), timedelta(0), timedelta.max, timedelta.min]),
)

_OTHERS = st.one_of(
    st.none(),
    st.binary(max_size=40),
    st.sampled_from([object(), _Colour.RED, [], {}, (), {"a": 1}, [1, "x"], frozenset({1})]),
    st.builds(lambda: iter(())),
)


def hostile() -> st.SearchStrategy[Any]:
    """Values of every type a public call might be handed by mistake or on purpose."""
    return st.one_of(_TEXTS, _NUMBERS, _INSTANTS, _OTHERS)


def outcome_is_typed(call: Callable[[], object], given: object) -> object:
    """Run *call*: it returns, or raises a short `OnestopError` that does not echo *given*.

    Returns what the call returned, or the error it raised.
    """
    try:
        return call()
    except OnestopError as error:
        refused = error
    message = str(refused)
    assert len(message) <= MAX_MESSAGE, f"{type(refused).__name__} message too long"
    if isinstance(given, str) and len(given) > 60:
        assert given not in message, "the message repeats a long value"
    return refused
