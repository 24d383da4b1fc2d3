"""The one module that checks identifiers, codes, text and integers (`onestop.domain.formats`)."""

from __future__ import annotations

import enum
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain import formats
from onestop.domain.formats import (
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
    check_uri,
    preview,
    to_ascii_digits,
    uri_problem,
)
from onestop.exceptions import InvalidValue, NaiveDatetime

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


@pytest.mark.parametrize(
    ("text", "languages", "expected"),
    [
        ("\u17e1\u17e0", ("km",), "10"),
        ("\u0661\u0660", ("ar",), "10"),
        ("\u06f1\u06f0", ("fa",), "10"),
        ("\uff11\uff10\uff10", ("ja",), "100"),
        ("\uff11\uff10\uff10", ("ko-KR",), "100"),
        ("\u0661\u0660", ("km", "en"), "\u0661\u0660"),  # not a Khmer or English digit
        ("12", ("id",), "12"),
    ],
)
def test_local_digits_become_ascii_for_the_declared_languages_only(
    text: str, languages: tuple[str, ...], expected: str
) -> None:
    """Digits of the form's declared languages are converted; others are left to be refused."""
    assert to_ascii_digits(text, languages=languages) == expected


@pytest.mark.parametrize(
    "uri",
    [
        "https://dpmptsp.jakarta.go.id/layanan?kode=1#izin",
        "HTTP://Example.go.id",
        "https://user@host.example:8443/p",
        "https://peraturan.example/\u0101",  # an IRI may hold non-ASCII letters
    ],
)
def test_an_http_uri_with_a_host_is_accepted(uri: str) -> None:
    """An http or https URI naming a host passes, whatever the case of its scheme."""
    assert uri_problem(uri) is None
    assert check_uri(uri, field="uri") == uri


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("javascript:alert(1)", "has the scheme 'javascript'; allowed: http, https"),
        ("JaVaScRiPt:alert(1)", "has the scheme 'javascript'; allowed: http, https"),
        ("file:///etc/passwd", "has the scheme 'file'; allowed: http, https"),
        ("data:text/html,<b>", "has the character U+003C"),
        ("java\nscript:alert(1)", "has a line break at position 5"),
        (" https://example.go.id", "has white space at position 1"),
        ("https://example.go.id/\u202e", "has the character U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("https://example.go.id\ud800", "has the character U+D800"),
        ("https:example.go.id", "names no host"),
        ("https://", "names no host"),
        ("example.go.id", "is not an absolute URI"),
        ("", "is empty"),
        ("https://e.id/" + "a" * 3000, "is 3013 characters long, more than 2048"),
    ],
)
def test_a_uri_with_another_scheme_or_a_hidden_character_is_refused(uri: str, reason: str) -> None:
    """Schemes outside the list, white space, controls and lone surrogates are refused."""
    problem = uri_problem(uri)
    assert problem is not None
    assert problem.startswith(reason)
    with pytest.raises(InvalidValue, match=r"^website: "):
        check_uri(uri, field="website")


def test_the_schemes_allowed_are_the_callers() -> None:
    """*schemes* widens or narrows what passes; ``urn`` and ``mailto`` only when listed."""
    assert uri_problem("urn:onestop:agency:x", schemes=("urn",)) is None
    assert uri_problem("mailto:info@example.go.id", schemes=("mailto",)) is None
    assert uri_problem("urn:onestop:agency:x") is not None
    assert uri_problem("https://example.go.id", schemes=("urn",)) is not None


@given(text=st.text(max_size=60))
def test_a_uri_that_passes_has_no_white_space_or_control(text: str) -> None:
    """Whatever `uri_problem` accepts is one line with a scheme, no space and no control."""
    for uri in (text, "https://" + text, "javascript:" + text):
        if uri_problem(uri, schemes=("http", "https", "mailto", "tel")) is None:
            assert not any(c.isspace() or unicodedata.category(c)[0] == "C" for c in uri)
            assert uri.split(":", 1)[0].lower() in {"http", "https", "mailto", "tel"}


class _Kind(enum.Enum):
    PICKUP = "pickup"
    LEG = "leg"


class _Other(enum.Enum):
    PICKUP = "pickup"


@pytest.mark.parametrize("given", [_Kind.PICKUP, "pickup"])
def test_check_member_accepts_a_member_or_its_value(given: object) -> None:
    """An enum member, or its exact value, gives the member."""
    assert formats.check_member(_Kind, given, field="kind") is _Kind.PICKUP


@pytest.mark.parametrize("given", ["PICKUP", "pickup\n", _Other.PICKUP, None, ["pickup"], True])
def test_check_member_refuses_anything_else_with_the_values_allowed(given: object) -> None:
    """Another spelling, another enum's member or another type is refused with InvalidValue."""
    with pytest.raises(InvalidValue) as caught:
        formats.check_member(_Kind, given, field="kind")
    assert caught.value.field == "kind"
    assert caught.value.reason.endswith("is not one of 'pickup', 'leg'")


def test_check_type_names_the_type_expected_and_given() -> None:
    """A wrong type is refused by field, naming what was expected and what was given."""
    assert formats.check_type("x", str, field="id") == "x"
    with pytest.raises(InvalidValue, match=r"^id: expected str or None, not an integer$"):
        formats.check_type(5, (str, type(None)), field="id")


_EAST = timezone(timedelta(hours=14))


@pytest.mark.parametrize(
    "given",
    [
        datetime(2025, 3, 10, tzinfo=UTC),
        datetime.max.replace(tzinfo=UTC),
        datetime.min.replace(tzinfo=UTC),
        datetime(9999, 12, 31, 23, tzinfo=_EAST),
    ],
)
def test_check_instant_accepts_aware_instants_of_the_years_1_to_9999(given: datetime) -> None:
    """An aware datetime that is an instant of the years 1 to 9999 in UTC is accepted."""
    assert formats.check_instant(given, field="at") is given


def test_check_instant_refuses_a_naive_datetime() -> None:
    """A datetime without a time zone raises NaiveDatetime naming the field."""
    with pytest.raises(NaiveDatetime, match=r"^at must be a timezone-aware datetime"):
        formats.check_instant(datetime(2025, 3, 10), field="at")  # noqa: DTZ001


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        (datetime(1, 1, 1, tzinfo=_EAST), "lies outside the years 1 to 9999 in UTC"),
        (date(2025, 3, 10), "expected a timezone-aware datetime, not a value of type date"),
        ("2025-03-10T00:00Z", "expected a timezone-aware datetime, not text"),
    ],
)
def test_check_instant_refuses_what_is_not_an_instant(given: object, reason: str) -> None:
    """Something that is no instant in UTC is refused with InvalidValue saying why."""
    with pytest.raises(InvalidValue) as caught:
        formats.check_instant(given, field="at")
    assert caught.value.reason == reason


@given(
    st.one_of(
        st.integers(),
        st.decimals(),
        st.text(max_size=50),
        st.booleans(),
        st.floats(),
        st.none(),
    )
)
def test_parse_number_is_exact_or_refuses(value: object) -> None:
    """A number comes back equal to what was given (text as its Decimal), or InvalidValue."""
    refused: InvalidValue | None = None
    try:
        number = formats.parse_number(value, field="minimum")
    except InvalidValue as error:
        refused = error
    if refused is not None:
        assert refused.field == "minimum"
        assert len(str(refused)) < 200
        return
    assert not isinstance(value, bool | float)
    assert number == (Decimal(value) if isinstance(value, str) else value)
    assert abs(number) < 10**30


def test_the_signed_64_bit_range_is_named() -> None:
    """INT64_MIN and INT64_MAX bound what every store's integer column holds."""
    assert (formats.INT64_MIN, formats.INT64_MAX) == (-(2**63), 2**63 - 1)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"max_length": -(10**5000)}, "max_length"),
        ({"max_length": True}, "max_length"),
        ({"schemes": 5}, "schemes"),
        ({"schemes": "https"}, "schemes"),
    ],
)
def test_a_wrong_uri_option_is_the_callers_typed_error(options: dict[str, Any], field: str) -> None:
    """A max_length that is not a positive integer, or schemes that are not a collection."""
    with pytest.raises(InvalidValue) as caught:
        uri_problem("https://example.go.id", **options)
    assert caught.value.field == field
    assert len(str(caught.value)) < 200


@given(
    st.one_of(
        st.integers(min_value=0, max_value=formats.MAX_SECONDS),
        st.floats(min_value=0, max_value=formats.MAX_SECONDS),
    )
)
def test_a_number_of_seconds_in_range_is_accepted(value: float) -> None:
    """An int or finite float from 0 to MAX_SECONDS is a number of seconds."""
    assert formats.seconds_problem(value) is None


@pytest.mark.parametrize(
    ("value", "options", "reason"),
    [
        (True, {}, "expected a number of seconds, not a boolean"),
        ("1.5", {}, "expected a number of seconds, not text"),
        (Decimal("1"), {}, "expected a number of seconds, not a value of type Decimal"),
        (float("nan"), {}, "must be a finite number of seconds, not nan"),
        (float("inf"), {}, "must be a finite number of seconds, not inf"),
        (-0.5, {}, "must be at least 0 seconds, not -0.5"),
        (0, {"positive": True}, "must be above 0 seconds, not 0"),
        (3601, {"maximum": 3600.0}, "must be at most 3600 seconds, not 3601"),
        (10**400, {}, "must be at most 1000000000 seconds, not an integer of 401 digits"),
        (-(10**5000), {}, "must be at least 0 seconds, not an integer of 5001 digits"),
    ],
    ids=["bool", "text", "decimal", "nan", "inf", "negative", "zero", "above", "huge", "-huge"],
)
def test_what_is_not_a_number_of_seconds_is_named_without_overflow(
    value: object, options: dict[str, Any], reason: str
) -> None:
    """A bool, text, NaN, infinity or a number out of range is refused, a huge one too."""
    assert formats.seconds_problem(value, **options) == reason


@pytest.mark.parametrize(
    "options",
    [
        {"maximum": -(10**5000)},
        {"maximum": float("nan")},
        {"maximum": True},
        {"maximum": "60"},
        {"positive": None},
    ],
)
def test_a_wrong_seconds_option_is_the_callers_typed_error(options: dict[str, Any]) -> None:
    """A maximum that is not a number from 0, or a positive that is not a bool."""
    with pytest.raises(InvalidValue) as caught:
        formats.seconds_problem(1.0, **options)
    assert caught.value.field in options
    assert len(str(caught.value)) < 200
