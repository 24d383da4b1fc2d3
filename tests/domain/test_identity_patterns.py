"""Declared identity schemes: safe patterns only, bounded work, no number in any message."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.domain.catalogue.identity import (
    MAX_IDENTITY_LENGTH,
    DeclaredValidator,
    IdentityScheme,
    check_identity_schemes,
    pattern_widths,
)
from onestop.domain.common.text import LocalizedText
from onestop.exceptions import ConfigurationError

NAME = LocalizedText({"en": "National ID"})


def scheme(**options: object) -> IdentityScheme:
    """A scheme ``xx-id`` with *options*."""
    return IdentityScheme(code="xx-id", name=NAME, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "widths"),
    [
        ("[23][0-9]{13}", (14, 14)),
        ("[0-9]{6}-?[0-9]{7}", (13, 14)),
        ("(?:AB|CDE)[0-9]{2,4}", (4, 7)),
        ("^[A-Z]+$", (1, None)),
        (r"\d{3}\.\d{3}", (7, 7)),
        ("(?:[0-9]{3}-){2}[0-9]{4}", (12, 12)),
    ],
)
def test_safe_patterns_have_their_widths(pattern: str, widths: tuple[int, int | None]) -> None:
    """A pattern of the safe subset is accepted, with the fewest and most characters it matches."""
    assert pattern_widths(pattern) == widths


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(a+)+b", "catastrophic backtracking"),
        ("(a|aa)*", "catastrophic backtracking"),
        ("(?:[0-9]+-?)*", "catastrophic backtracking"),
        (r"(a)\1", "backreference"),
        ("(?=a)a", "plain groups"),
        ("(?i)a", "plain groups"),
        ("a*a*a*a*a*", "variable quantifiers"),
        ("a|b|c|d|e|f|g|h|i|j", "alternatives"),
        ("[0-9", "never closed"),
        ("(ab", "never closed"),
        ("ab)", "closes no group"),
        ("a{100}", "above 64"),
        ("a{x}", "not a count"),
        ("*a", "nothing to repeat"),
        ("[[a]]", "character class"),
        ("a" * 201, "at most 200"),
        ("(((((((((a)))))))))", "deeper"),
        ("\x00", "control"),
    ],
)
def test_unsafe_or_invalid_patterns_are_refused(pattern: str, reason: str) -> None:
    """Patterns outside the safe subset raise ValueError saying why."""
    with pytest.raises(ValueError, match=reason):
        pattern_widths(pattern)


@given(st.text(max_size=60))
@settings(max_examples=300)
def test_any_text_as_a_pattern_is_accepted_or_refused(text: str) -> None:
    """Any text (all of Unicode) is a safe pattern or a ValueError, never another error."""
    try:
        low, high = pattern_widths(text)
    except ValueError:
        return
    assert low >= 0
    assert high is None or low <= high


@pytest.mark.parametrize(
    "pattern", ["a*a*a*a*b", "(?:a|b|c|d|e|f|g|h)[a-z]*[a-z]*", "[a-z]+[a-z]+[a-z]+[a-z]+!"]
)
def test_the_worst_accepted_patterns_match_quickly(pattern: str) -> None:
    """The most backtracking an accepted pattern allows stays fast on the longest hostile number."""
    validator = DeclaredValidator(scheme(pattern=pattern, max_length=MAX_IDENTITY_LENGTH))
    start = time.perf_counter()
    for hostile in ("a" * MAX_IDENTITY_LENGTH, "a" * (MAX_IDENTITY_LENGTH - 1) + "!"):
        validator.validate(hostile)
    assert time.perf_counter() - start < 2.0


def test_a_length_the_pattern_cannot_match_is_a_problem() -> None:
    """length = 13 with a pattern of 14 characters is reported at length."""
    found = check_identity_schemes((scheme(pattern="[23][0-9]{13}", length=13),))
    assert [(p.path, p.message) for p in found] == [
        ("identity_schemes[0].length", "the pattern matches 14 characters, never 13 to 13")
    ]


def test_every_problem_of_a_declaration_is_reported_at_once() -> None:
    """A scheme with several defects gets one problem for each, with its field's path."""
    bad = IdentityScheme(
        code="Not A Code",
        name=NAME,
        pattern="(a+)+",
        length=0,
        checksum="crc32",
        weights=(1, 2),
        stdnum="../etc",
        strip="ab",
    )
    paths = sorted(p.path for p in check_identity_schemes((bad, bad)))
    for field in ("code", "length", "pattern", "checksum", "weights", "stdnum", "strip"):
        assert f"identity_schemes[0].{field}" in paths
    assert "identity_schemes[1].code" in paths  # declared twice


def test_a_scheme_that_checks_nothing_is_a_problem() -> None:
    """A declaration with no pattern, length, checksum or stdnum is refused."""
    assert [p.message for p in check_identity_schemes((scheme(),))] == [
        "the scheme checks nothing: give a pattern, a length, a checksum or stdnum"
    ]


def test_a_validator_refuses_a_bad_declaration() -> None:
    """DeclaredValidator raises ConfigurationError for a declaration with a problem."""
    with pytest.raises(ConfigurationError, match="pattern"):
        DeclaredValidator(scheme(pattern="(a+)+"))
    with pytest.raises(ConfigurationError, match="stdnum"):
        DeclaredValidator(scheme(stdnum="kr.rrn"))


def test_separators_are_stripped_before_the_checks() -> None:
    """The strip characters go before length, pattern and checksum are checked."""
    validator = DeclaredValidator(scheme(length=11, strip=" -", checksum="luhn"))
    assert validator.validate("799-273 987-13") == []
    assert validator.validate("799-273 987-10") == ["the check digit is wrong (luhn)"]


@given(st.text(max_size=300))
def test_no_message_quotes_the_number(number: str) -> None:
    """Whatever text is given, the problems never contain it (nor its digits run together)."""
    validator = DeclaredValidator(
        scheme(pattern="[0-9A-Z]{4,20}", min_length=4, max_length=20, strip="-", checksum="luhn")
    )
    problems = validator.validate(number)
    kept = number.replace("-", "")
    assert all(len(kept) < 4 or kept not in p for p in problems)


def test_huge_and_non_ascii_numbers_are_refused_cheaply() -> None:
    """A megabyte of digits or a number in another script is refused without being matched."""
    validator = DeclaredValidator(scheme(pattern="[0-9]{14}", length=14))
    assert validator.validate("1" * 1_000_000) == ["must be at most 64 characters (got 1000000)"]
    assert validator.validate("١٢٣٤٥٦٧٨٩٠١٢٣٤") == [
        "must hold only ASCII letters, digits and punctuation"
    ]
    assert validator.validate(12345678901234) == ["expected the number as text, not an integer"]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("weights", iter([3, 2])),
        ("weights", (3, "2")),
        ("length", True),
        ("length", "13"),
        ("checksum", ["luhn"]),
        ("pattern", 7),
        ("code", None),
        ("name", "Nomor"),
    ],
)
def test_a_field_of_another_kind_is_a_problem_named_by_its_path(field: str, value: object) -> None:
    """A scheme built in code with a field of the wrong kind gets one problem at that
    field, not a TypeError from the checks that measure it."""
    options: dict[str, object] = {"length": 13, field: value}
    if field == "code":
        found = check_identity_schemes((IdentityScheme(code=value, name=NAME, length=13),))  # type: ignore[arg-type]
    elif field == "name":
        found = check_identity_schemes((IdentityScheme(code="xx-id", name=value, length=13),))  # type: ignore[arg-type]
    else:
        found = check_identity_schemes((scheme(**options),))
    assert [problem.path for problem in found] == [f"identity_schemes[0].{field}"]
