"""The hostile building blocks: text, numbers, instants, bytes and nests no caller means.

All of Unicode with lone surrogates, control characters and trailing line breaks;
look-alike letters and other scripts' digits; huge, negative and boolean integers;
NaN and infinite floats; naive, extreme and oddly zoned datetimes; bytes of every
shape; containers nested past any recursion limit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import strategies as st
from surface_specs import (
    Built,
    Deep,
    Evolved,
    File,
    Huge,
    Long,
    Many,
    OneShot,
    Returns,
)

# --- the hostile building blocks --------------------------------------------------------

SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
ODD_CHARACTERS = [chr(c) for c in range(32)] + [
    "\x7f",
    "\x85",
    "\u00a0",
    "\u200b",
    "\u200d",
    "\u2028",
    "\u2029",
    "\u202e",
    "\ufeff",
    "\uffff",
    "\U0010ffff",
]
ODD = st.sampled_from(ODD_CHARACTERS)
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)
ASCII_DIGITS = "0123456789"
ASCII_LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = str.maketrans(ASCII_DIGITS, "".join(chr(0x0660 + i) for i in range(10)))
"""ASCII digits to Arabic-Indic ones, which ``\\d`` matches too."""
FULL_WIDTH = str.maketrans(
    ASCII_DIGITS + ASCII_LOWER, "".join(chr(ord(c) + 0xFEE0) for c in ASCII_DIGITS + ASCII_LOWER)
)
"""ASCII digits and letters to their full-width forms."""
LOOK_ALIKES = str.maketrans("aceopx", "\u0430\u0441\u0435\u043e\u0440\u0445")
"""Latin letters to the Cyrillic letters that look the same."""


def _insert(text: str, extra: str, at: int) -> str:
    position = at % (len(text) + 1)
    return text[:position] + extra + text[position:]


def hostile_text(real: st.SearchStrategy[str]) -> st.SearchStrategy[object]:
    """Text a caller should never get stored as meant, next to *real* text it resembles."""
    return st.one_of(
        real.map(lambda s: s + "\n"),
        real.map(lambda s: s + "\r\n"),
        real.map(lambda s: f" {s}"),
        real.map(lambda s: s.upper()),
        real.map(lambda s: s.translate(DIGITS)),
        real.map(lambda s: s.translate(FULL_WIDTH)),
        real.map(lambda s: s.translate(LOOK_ALIKES)),
        real.map(lambda s: s + "\u0301"),
        st.builds(_insert, real, SURROGATE, st.integers(0, 64)),
        st.builds(_insert, real, ODD, st.integers(0, 64)),
        ANY_TEXT,
        st.text(st.one_of(SURROGATE, ODD), min_size=1, max_size=5),
        st.sampled_from(["", " ", "\n", "\x00", "\ud800", "a\udcff", "..", "../../etc", "%s{0}"]),
        st.builds(
            Long, st.sampled_from(["x", "é", "\U0001f600", "9"]), st.sampled_from([1001, 70_000])
        ),
        real.map(lambda s: s.encode("utf-8", "surrogatepass")),
    )


def hostile_int() -> st.SearchStrategy[object]:
    """Integers a store cannot hold or a caller did not mean, and things mistaken for them."""
    return st.one_of(
        st.sampled_from([-1, -(2**63) - 1, 2**31, 2**63 - 1, 2**63, 2**64, True, False]),
        st.builds(Huge, st.booleans(), st.sampled_from([20, 400, 5000])),
        st.integers(),
        st.sampled_from([1.0, 1.5, float("nan"), float("inf"), -0.0, Decimal("1"), "1", "٣"]),
    )


def hostile_float() -> st.SearchStrategy[object]:
    """Floats no sane caller means, and integers too big for a float."""
    return st.one_of(
        st.sampled_from([float("nan"), float("inf"), float("-inf"), -0.0, 1e308, 5e-324, True]),
        st.builds(Huge, st.booleans(), st.sampled_from([400, 5000])),
        st.floats(),
        st.sampled_from([Decimal("NaN"), "1.0", -1]),
    )


ODD_ZONES = [
    timezone(timedelta(hours=23, minutes=59)),
    timezone(-timedelta(hours=23, minutes=59)),
    timezone(timedelta(hours=5, minutes=45)),
    timezone(timedelta(hours=14)),
    timezone(timedelta(seconds=1)),
    timezone(timedelta(hours=-3, minutes=-30, microseconds=-1)),
    ZoneInfo("Pacific/Kiritimati"),
    ZoneInfo("America/St_Johns"),
    ZoneInfo("Asia/Kathmandu"),
    UTC,
]


def hostile_datetime() -> st.SearchStrategy[object]:
    """Naive, extreme, oddly zoned and ambiguous datetimes, and things mistaken for them."""
    return st.one_of(
        st.datetimes(),
        st.sampled_from(
            [
                datetime.min,  # noqa: DTZ901 - naive on purpose
                datetime.max,  # noqa: DTZ901 - naive on purpose
                datetime.min.replace(tzinfo=UTC),
                datetime.max.replace(tzinfo=UTC),
                datetime(1, 1, 1, tzinfo=ODD_ZONES[0]),
                datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=ODD_ZONES[1]),
                datetime(2025, 11, 2, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")),
                datetime(2025, 3, 9, 2, 30, tzinfo=ZoneInfo("America/New_York")),
            ]
        ),
        st.datetimes(timezones=st.sampled_from(ODD_ZONES)),
        st.just(date(2025, 7, 14)),
    )


def hostile_date() -> st.SearchStrategy[object]:
    """The first and last dates, datetimes posing as dates, and strings."""
    return st.one_of(
        st.sampled_from([date.min, date.max]),
        st.dates(),
        st.datetimes(),
    )


def hostile_timedelta() -> st.SearchStrategy[object]:
    """Durations at the ends of the range, zero, negative, and numbers of seconds."""
    return st.one_of(
        st.sampled_from([timedelta.max, timedelta.min, timedelta(0), timedelta(microseconds=-1)]),
        st.timedeltas(),
    )


def hostile_decimal() -> st.SearchStrategy[object]:
    """Decimals that are not amounts: NaN, infinities, enormous exponents, floats."""
    return st.one_of(
        st.sampled_from(
            [
                Decimal("NaN"),
                Decimal("sNaN"),
                Decimal("Infinity"),
                Decimal("-Infinity"),
                Decimal("-0"),
                Decimal("1e999999"),
                Decimal("1E-999999"),
                0.1,
                "1.000,00",
                "1e3",
            ]
        ),
        st.decimals(),
    )


def hostile_bytes() -> st.SearchStrategy[object]:
    """Bytes of every size and shape, and text where bytes belong."""
    return st.one_of(
        st.binary(max_size=40),
        st.sampled_from([b"", bytearray(b"abc"), memoryview(b"abc"), "text, not bytes"]),
        st.builds(Long, st.just("\xff"), st.just(70_000), st.just(True)),
    )


def deep(
    leaf: st.SearchStrategy[object], kinds: tuple[str, ...] = ("list", "dict", "tuple")
) -> st.SearchStrategy[object]:
    """Containers of *kinds* nested deeper than any recursion limit, around *leaf*."""
    return st.builds(Deep, st.sampled_from(kinds), st.sampled_from([60, 5000]), leaf)


def anything() -> st.SearchStrategy[object]:
    """Any hostile scalar, container or deep nest."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        hostile_int(),
        hostile_float(),
        hostile_text(st.sampled_from(["officer-ana", "slf", "2025"])),
        hostile_bytes(),
        hostile_datetime(),
        hostile_decimal(),
    )
    nested = st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.one_of(st.text(max_size=5), st.integers()), inner, max_size=3)
        ),
        max_leaves=6,
    )
    return st.one_of(scalars, nested, deep(scalars))


def _usable_key(value: object) -> bool:
    """Whether *value* stays hashable once made real (a dict key must)."""
    if isinstance(value, (Deep, OneShot, Many, Evolved, Built, Returns, bytearray, memoryview)):
        return False
    try:
        hash(value)
    except TypeError:
        return False
    return not isinstance(value, tuple) or all(_usable_key(item) for item in value)


def keys(strategy: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """*strategy*'s values that can be dict keys."""
    return strategy.filter(_usable_key)


def files(scratch: Path) -> tuple[File, ...]:
    """Catalogue files that are wrong in ways a parser must survive, written to *scratch*."""
    depth = 20_000
    return (
        File("deep.json", "[" * depth + "]" * depth),
        File("deep.toml", "a = " + "[" * depth + "]" * depth),
        File("deep_table.json", '{"catalogue":' * 3000 + "1" + "}" * 3000),
        File("duplicate.json", '{"catalogue": {"name": {"en": "a"}}, "catalogue": {}}'),
        File(
            "huge_int.json",
            '{"catalogue": {"name": {"en": "a"}, "languages": ["en"]}, "n": 1' + "0" * 5000 + "}",
        ),
        File("nan.json", '{"catalogue": {"name": {"en": NaN}, "languages": ["en"]}}'),
        File("surrogate.json", '{"catalogue": {"name": {"en": "\\ud800"}, "languages": ["en"]}}'),
        File("bom.toml", "\ufeff[catalogue]\nname = { en = 'x' }\nlanguages = ['en']\n"),
        File("latin1.toml", b"[catalogue]\nname = { en = '\xe9' }\n"),
        File("nul.json", b'{"a": "\x00"}'),
        File("empty.json", ""),
        File("list.json", "[1, 2, 3]"),
        File("string.json", '"catalogue"'),
    )
