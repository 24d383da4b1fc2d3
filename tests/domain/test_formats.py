"""The one module that checks identifiers, codes, text and integers (`domain.common.formats`)."""

from __future__ import annotations

import enum
import re
import unicodedata
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.common import formats, kinds
from onestop.domain.common.contacts import check_email
from onestop.domain.common.formats import (
    ACTOR_ID,
    CATALOGUE_CODE,
    CODE,
    CURRENCY,
    FIELD_NAME,
    IDENTITY_SCHEME,
    KEY,
    MEDIA_TYPE,
    ROLE,
    SEAL_ID,
    SHA256_HEX,
    TextFormat,
    check_int,
    check_text,
    preview,
    text_problem,
)
from onestop.domain.common.uris import check_uri
from onestop.exceptions import InvalidValue, OnestopError

ALL_FORMATS = [
    value for value in vars(formats).values() if isinstance(value, TextFormat)
]  # every format the module defines


SAMPLES = {
    "an actor id": "officer-ana",
    "a key": "key-1",
    "a code": "blurry_scan",
    "a role name": "front_office",
    "a catalogue code": "akta-lahir",
    "a field name": "full_name",
    "a seal id": "SEAL-0042",
    "a SHA-256 digest": "a" * 64,
    "an ISO 4217 currency code": "IDR",
    "a decimal number": "-12.5",
    "a media type": "application/pdf",
    "an identity scheme": "id-nik",
}


def test_every_format_has_a_sample() -> None:
    """The tests below cover each format the module defines, by a valid sample of it."""
    assert {f.name for f in ALL_FORMATS} == set(SAMPLES)
    assert all(f.matches(SAMPLES[f.name]) for f in ALL_FORMATS)


@pytest.mark.parametrize("fmt", ALL_FORMATS, ids=lambda f: f.name)
@given(text=st.text(min_size=1, max_size=40))
def test_a_match_is_canonical_ascii_without_space_or_control(fmt: TextFormat, text: str) -> None:
    """Whatever a format accepts is printable ASCII with no white space at either end."""
    if fmt.matches(text):
        assert text.isascii()
        assert text == text.strip()
        assert all(unicodedata.category(c) != "Cc" for c in text)
        assert len(text) <= fmt.max_length


@pytest.mark.parametrize("fmt", ALL_FORMATS, ids=lambda f: f.name)
@pytest.mark.parametrize("suffix", ["\n", "\r\n", " ", "\t", "\x00", "\u200d", "\ud800"])
def test_a_valid_value_with_a_suffix_is_refused(fmt: TextFormat, suffix: str) -> None:
    """A trailing line break, space, control, joiner or surrogate never passes any format."""
    sample = SAMPLES[fmt.name]
    assert fmt.matches(sample)
    assert not fmt.matches(sample + suffix)
    with pytest.raises(InvalidValue):
        fmt.check(sample + suffix, field="f")


@pytest.mark.parametrize(
    "spoof",
    [
        "Officer-ana",  # a change of case
        "officer-an\u0061\u0301",  # a decomposed accent
        "officer\u200d-ana",  # a zero-width joiner
        "officer-\u0430na",  # a Cyrillic a
        "officer-ana\n",  # a trailing line break
        " officer-ana",  # a leading space
        "officer-\uff41na",  # a full-width a
    ],
)
def test_an_actor_id_that_is_not_canonical_is_refused(spoof: str) -> None:
    """Every way of spelling one officer's id differently is refused, not folded."""
    with pytest.raises(InvalidValue) as caught:
        ACTOR_ID.check(spoof, field="actor.id")
    assert caught.value.field == "actor.id"
    assert spoof not in str(caught.value)


@pytest.mark.parametrize(
    ("fmt", "digits"),
    [
        (CODE, "\u0661\u0660"),
        (CATALOGUE_CODE, "\uff11\uff10\uff10"),
        (SEAL_ID, "\u17e1"),
        (CURRENCY, "\u0661\u0662\u0663"),
    ],
)
def test_non_ascii_digits_are_refused_by_ascii_formats(fmt: TextFormat, digits: str) -> None:
    """A digit of another script is not a digit of an ASCII format."""
    assert not fmt.matches(digits)
    assert "non-ASCII digit" in (fmt.problem(digits) or "")


def test_the_message_says_what_is_wrong_and_where() -> None:
    """The refusal names the kind of defect and its place."""
    assert ACTOR_ID.problem("officer-ana\n") == "has a line break at the end"
    assert KEY.problem("a b") == "is not a key: 1 to 128 visible ASCII characters (no spaces)"
    assert CODE.problem(7) == "expected a code as text, not an integer"
    assert SHA256_HEX.problem("A" * 64) == "has upper-case letters; a SHA-256 digest is lower case"
    assert (
        CURRENCY.problem("idr")
        == "'idr' is not an ISO 4217 currency code: three capital letters such as 'IDR'"
    )
    assert MEDIA_TYPE.matches("application/pdf")
    assert IDENTITY_SCHEME.matches("id-nik")
    assert FIELD_NAME.problem("x" * 65) == "is 65 characters long, more than 64"


@pytest.mark.parametrize(
    "text",
    ["1e5", "NaN", "Infinity", "1,000", "+1", "1.", ".5", "\u0661", "1" * 31, "0.1234567890123"],
)
def test_a_decimal_number_is_plain_ascii_decimal(text: str) -> None:
    """Exponents, grouping, signs other than '-', other scripts' digits and too many digits fail."""
    assert formats.DECIMAL.matches("-0.5")
    assert formats.DECIMAL.matches("1" * 30 + "." + "1" * 12)
    assert not formats.DECIMAL.matches(text)


def test_a_role_name_is_the_one_format_of_workflows_and_actors() -> None:
    """Role names are lower-case ASCII words joined by '_': no hyphen, capital or look-alike."""
    assert ROLE.matches("front_office")
    assert ROLE.matches("role2")
    for refused in ("front-office", "Front_office", "front_office\n", "2nd", "_x", "r\u043ele"):
        assert not ROLE.matches(refused)


@given(st.text())
def test_check_text_accepts_only_storable_text(text: str) -> None:
    """Text that passes has no lone surrogate and no control character, and encodes as UTF-8."""
    reason = formats.text_problem(text, max_length=50)
    if reason is None:
        assert check_text(text, field="name", max_length=50) == text
        text.encode("utf-8")
        assert all(unicodedata.category(c) != "Cc" for c in text)
    else:
        assert len(text) < 3 or text not in reason


@pytest.mark.parametrize("multiline", [False, True])
def test_text_xml_cannot_carry_is_refused_without_quoting_it(multiline: bool) -> None:
    """U+FFFE and U+FFFF, which XML 1.0 cannot carry, are refused as free text, by name."""
    for char in ("\ufffe", "\uffff"):
        reason = formats.text_problem(f"Ani{char}", max_length=9, multiline=multiline)
        assert reason == f"has the noncharacter U+{ord(char):04X} at position 4"


def test_check_text_allows_line_breaks_in_multiline_text_only() -> None:
    """Notes may hold line breaks and tabs; names may not."""
    assert check_text("a\nb\tc", field="note", max_length=9, multiline=True) == "a\nb\tc"
    with pytest.raises(InvalidValue, match="control character"):
        check_text("a\nb", field="name", max_length=9)
    with pytest.raises(InvalidValue, match="NUL"):
        check_text("a\x00b", field="note", max_length=9, multiline=True)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (True, "expected an integer, not a boolean"),
        (1.0, "expected an integer, not a float"),
        (-1, "must be at least 0, not -1"),
        (2**63, "must be at most 2**63 - 1, the largest a store holds, not 9223372036854775808"),
        (
            10**5000,
            "must be at most 2**63 - 1, the largest a store holds, not an integer of 5001 digits",
        ),
    ],
    ids=["bool", "float", "negative", "2**63", "10**5000"],
)
def test_check_int_refuses_bools_and_what_stores_cannot_hold(value: object, reason: str) -> None:
    """An integer for a store is a real `int` within a signed 64-bit column."""
    with pytest.raises(InvalidValue) as caught:
        check_int(value, field="version")
    assert caught.value.reason == reason
    assert check_int(2**63 - 1, field="version") == 2**63 - 1


def test_preview_never_quotes_a_long_value_in_full() -> None:
    """A message shows a few characters of a long value and says how long it is."""
    assert preview("x" * 4000).endswith("... (4000 characters)")
    assert len(preview("x" * 4000)) < 80
    assert preview(10**100) == "an integer of 101 digits"


def test_the_signed_64_bit_range_is_named() -> None:
    """INT64_MIN and INT64_MAX bound what every store's integer column holds."""
    assert (formats.INT64_MIN, formats.INT64_MAX) == (-(2**63), 2**63 - 1)


HUGE_NAME = "\U0001f600" * 70_000


@pytest.mark.parametrize(
    "refuse",
    [
        lambda field: ACTOR_ID.check("Officer", field=field),
        lambda field: check_text("a\x00", field=field, max_length=10),
        lambda field: check_int(True, field=field),
        lambda field: kinds.check_type(b"x", str, field=field),
        lambda field: kinds.check_member(_Unit, "x", field=field),
        lambda field: kinds.check_instant("2025", field=field),
        lambda field: kinds.check_instant(datetime(2025, 1, 1), field=field),  # noqa: DTZ001
        lambda field: kinds.parse_number(" 2025", field=field),
        lambda field: check_email(" 2025", field=field),
        lambda field: check_uri("javascript:x", field=field),
    ],
    ids=[
        "format",
        "text",
        "int",
        "type",
        "member",
        "instant",
        "naive",
        "number",
        "email",
        "uri",
    ],
)
def test_a_huge_field_name_is_shortened_in_the_message(refuse: Any) -> None:
    """Whatever check refuses a value, a 70,000-character field name is not repeated."""
    with pytest.raises(OnestopError) as caught:
        refuse(HUGE_NAME)
    assert len(str(caught.value)) < 400
    assert HUGE_NAME[:1000] not in str(caught.value)


class _Unit(enum.Enum):
    DAY = "day"


@pytest.mark.parametrize(
    "limit", [0, -1, True, "3", "\u0663", 1.5, 1001, 10**5000], ids=lambda v: type(v).__name__
)
def test_preview_refuses_a_limit_that_is_not_a_small_positive_integer(limit: object) -> None:
    """A preview's limit is 1 to MAX_PREVIEW characters; anything else is the caller's error."""
    with pytest.raises(InvalidValue) as caught:
        preview("officer-ana", limit=limit)  # type: ignore[arg-type]
    assert caught.value.field == "limit"
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pattern": "[z-a]"}, "pattern"),
        ({"pattern": "("}, "pattern"),
        ({"pattern": "(?:" * 5000 + "a" + ")" * 5000}, "pattern"),
        ({"pattern": b"[a-z]+"}, "pattern"),
        ({"pattern": re.compile(b"[a-z]+")}, "pattern"),
        ({"name": ""}, "name"),
        ({"name": "a code\n"}, "name"),
        ({"hint": b"letters"}, "hint"),
        ({"max_length": 0}, "max_length"),
        ({"max_length": "64"}, "max_length"),
        ({"quoted": "yes"}, "quoted"),
        ({"lower_case": 1}, "lower_case"),
    ],
)
def test_a_text_format_that_is_not_well_formed_is_refused(
    changes: dict[str, object], field: str
) -> None:
    """A format's pattern must compile over text, its name and hint be text, its cap positive."""
    given = {"name": "a code", "pattern": "[a-z]+", "hint": "letters", "max_length": 64}
    with pytest.raises(InvalidValue) as caught:
        TextFormat(**(given | changes))  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize("max_length", [-1, "10", 1.5, None, True])
def test_a_text_length_cap_that_is_not_an_integer_is_the_callers_error(max_length: object) -> None:
    """text_problem refuses a max_length that is not an integer from 0, naming it."""
    with pytest.raises(InvalidValue) as caught:
        text_problem("note", max_length=max_length)  # type: ignore[arg-type]
    assert caught.value.field == "max_length"
