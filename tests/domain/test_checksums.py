"""The check-digit algorithms: published test vectors, and agreement with python-stdnum."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import damm, isbn, luhn, verhoeff
from stdnum.iso7064 import mod_11_2, mod_11_10, mod_97_10

from onestop.domain.common.checksums import CHECKSUMS, checksum_problem

ISBN10_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2, 1)

# (algorithm, a valid number, where the example is published)
VALID = [
    ("luhn", "79927398713", "Wikipedia, Luhn algorithm"),
    ("luhn", "4111111111111111", "the Visa test card number"),
    ("verhoeff", "2363", "Wikipedia, Verhoeff algorithm (236 -> 3)"),
    ("damm", "5724", "Wikipedia, Damm algorithm (572 -> 4)"),
    ("iso7064_mod11_2", "079X", "ISO 7064:2003, MOD 11-2 example"),
    ("iso7064_mod11_2", "0000000218250097", "ORCID's documentation, checksum example"),
    ("iso7064_mod11_10", "794623", "ISO 7064:2003, MOD 11,10 example"),
    ("iso7064_mod97_10", "79444", "ISO 7064:2003, MOD 97-10 example (794 -> 44)"),
    ("iso7064_mod97_10", "WEST12345698765432GB82", "ISO 13616, the GB IBAN example, rearranged"),
    ("mod11", "0306406152", "ISBN-10 of Wikipedia's ISBN article"),
    ("mod11", "080442957X", "ISBN-10 with the check character X"),
]


@pytest.mark.parametrize(("name", "number", "source"), VALID)
def test_published_numbers_pass(name: str, number: str, source: str) -> None:
    """Each published valid number passes its algorithm."""
    weights = ISBN10_WEIGHTS if name == "mod11" else ()
    assert checksum_problem(name, number, weights=weights) is None, source


@pytest.mark.parametrize(("name", "number", "source"), VALID)
def test_one_changed_digit_fails(name: str, number: str, source: str) -> None:
    """Changing the first character of a published number makes it fail (every algorithm
    detects any single-character error)."""
    weights = ISBN10_WEIGHTS if name == "mod11" else ()
    first = number[0]
    changed = ("1" if first == "0" else "0") + number[1:] if first.isdigit() else "X" + number[1:]
    assert checksum_problem(name, changed, weights=weights) is not None, source


def test_the_message_names_the_algorithm_not_the_number() -> None:
    """A failed check says which algorithm failed and never quotes the number."""
    problem = checksum_problem("luhn", "79927398710")
    assert problem == "the check digit is wrong (luhn)"
    assert (
        checksum_problem("verhoeff", "23a3")
        == "must hold only digits 0-9 for its check digit (verhoeff)"
    )


def test_an_unknown_algorithm_is_a_value_error() -> None:
    """A name outside CHECKSUMS raises ValueError listing the known ones."""
    with pytest.raises(ValueError, match="known: damm"):
        checksum_problem("crc32", "1234")


def test_mod11_needs_one_weight_per_character() -> None:
    """mod11 refuses a number whose length differs from the weights'."""
    assert "must have 10 characters" in str(
        checksum_problem("mod11", "123", weights=ISBN10_WEIGHTS)
    )


@given(st.text(max_size=20), st.text(max_size=20))
def test_any_text_gives_an_answer(before: str, after: str) -> None:
    """Every algorithm answers any text (all of Unicode) with a problem or None, never
    raises, and never quotes the text back (a marker inside it is not in the answer)."""
    for text in (before + after, f"{before}Zq9Mark{after}"):
        for name in CHECKSUMS:
            result = checksum_problem(name, text, weights=(1,) * len(text))
            assert result is None or (isinstance(result, str) and "Zq9Mark" not in result)


DIGITS = st.text("0123456789", min_size=2, max_size=30)


@given(DIGITS)
def test_luhn_agrees_with_stdnum(number: str) -> None:
    """luhn says what python-stdnum's luhn says, on any digits."""
    assert (checksum_problem("luhn", number) is None) == luhn.is_valid(number)


@given(DIGITS)
def test_verhoeff_agrees_with_stdnum(number: str) -> None:
    """verhoeff says what python-stdnum's verhoeff says, on any digits."""
    assert (checksum_problem("verhoeff", number) is None) == verhoeff.is_valid(number)


@given(DIGITS)
def test_damm_agrees_with_stdnum(number: str) -> None:
    """damm says what python-stdnum's damm says, on any digits."""
    assert (checksum_problem("damm", number) is None) == damm.is_valid(number)


@given(DIGITS, st.sampled_from(["", "X"]))
def test_mod11_2_agrees_with_stdnum(number: str, suffix: str) -> None:
    """iso7064_mod11_2 says what python-stdnum's mod_11_2 says, an X at the end included."""
    given_number = number + suffix
    ours = checksum_problem("iso7064_mod11_2", given_number) is None
    assert ours == mod_11_2.is_valid(given_number)


@given(DIGITS)
def test_mod11_10_agrees_with_stdnum(number: str) -> None:
    """iso7064_mod11_10 says what python-stdnum's mod_11_10 says, on any digits."""
    assert (checksum_problem("iso7064_mod11_10", number) is None) == mod_11_10.is_valid(number)


@given(st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=34))
def test_mod97_10_agrees_with_stdnum(number: str) -> None:
    """iso7064_mod97_10 says what python-stdnum's mod_97_10 says, letters included."""
    assert (checksum_problem("iso7064_mod97_10", number) is None) == mod_97_10.is_valid(number)


@given(st.text("0123456789", min_size=9, max_size=9), st.sampled_from("0123456789X"))
def test_mod11_with_isbn_weights_agrees_with_stdnum_isbn10(body: str, check: str) -> None:
    """mod11 with weights 10..1 says what python-stdnum's ISBN-10 check says."""
    number = body + check
    ours = checksum_problem("mod11", number, weights=ISBN10_WEIGHTS) is None
    assert ours == isbn.is_valid(number)


@given(DIGITS)
def test_calculated_luhn_check_digits_pass(body: str) -> None:
    """The check digit python-stdnum calculates makes a number our luhn accepts."""
    assert checksum_problem("luhn", body + luhn.calc_check_digit(body)) is None
