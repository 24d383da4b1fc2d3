"""Localized text and the small value objects."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.text import LocalizedText, is_language_tag, normalize_language_tag
from onestop.domain.values import Duration, Money, Period, TimeUnit, parse_amount
from onestop.exceptions import InvalidValue


class TestLanguageTags:
    @pytest.mark.parametrize(
        "tag", ["id", "en", "km", "ko-KR", "zh-Hant-TW", "sr-Latn", "es-419", "en-x-jakarta"]
    )
    def test_well_formed_tags_are_accepted(self, tag: str) -> None:
        """Well-formed BCP 47 tags, with scripts, regions and private use, are accepted."""
        assert is_language_tag(tag)

    @pytest.mark.parametrize(
        "tag", ["", "englishes", "e", "en_US", "en--US", "not a tag!", "x" * 100]
    )
    def test_malformed_tags_are_refused(self, tag: str) -> None:
        """Malformed tags are refused."""
        assert not is_language_tag(tag)

    def test_tags_are_normalized_to_canonical_case(self) -> None:
        """Language is lower case, script title case and region upper case."""
        assert normalize_language_tag("ZH-hant-tw") == "zh-Hant-TW"


class TestLocalizedText:
    def test_lookup_walks_prefixes_then_fallbacks(self) -> None:
        """A regional tag falls back to its language, then to the given fallbacks."""
        text = LocalizedText.of({"id": "Paspor", "en": "Passport"})
        assert text.get("en-AU") == "Passport"
        assert text.get("km", fallbacks=("id",)) == "Paspor"

    def test_lookup_with_no_match_returns_the_first_text(self) -> None:
        """With no match in the chain, the first text by tag order is returned."""
        assert LocalizedText.of(km="ក", ko="가").get("fr") == "ក"

    def test_missing_lists_languages_without_text(self) -> None:
        """missing() names each declared language that has no text."""
        assert LocalizedText.of(en="Tax").missing(["id", "en", "km"]) == ("id", "km")

    def test_invalid_tags_are_refused(self) -> None:
        """Text under a malformed language tag raises InvalidValue."""
        with pytest.raises(InvalidValue, match="not a BCP 47"):
            LocalizedText.of({"en_US": "Tax"})

    def test_equal_texts_compare_equal_whatever_the_order(self) -> None:
        """Two texts with the same pairs are equal and hash alike."""
        a = LocalizedText.of({"id": "a", "en": "b"})
        b = LocalizedText.of({"en": "b", "id": "a"})
        assert a == b
        assert hash(a) == hash(b)


class TestMoney:
    @given(st.integers(0, 10**15))
    def test_integers_are_exact(self, amount: int) -> None:
        """Integer amounts become exact Decimals."""
        assert Money.of(amount, "IDR").amount == Decimal(amount)

    @pytest.mark.parametrize("bad", [1.5, True, -1, "1e3", "NaN", "1,000", "", None])
    def test_floats_negatives_and_junk_are_refused(self, bad: object) -> None:
        """Floats, booleans, negatives, exponents and junk are refused with InvalidValue."""
        with pytest.raises(InvalidValue):
            parse_amount(bad)

    def test_currency_must_be_iso_4217(self) -> None:
        """A currency that is not three capital letters is refused."""
        with pytest.raises(InvalidValue, match="ISO 4217"):
            Money.of(1, "rupiah")


class TestDuration:
    def test_parse_reads_days_and_hours(self) -> None:
        """'3 working days' and '1 working hour' parse to their units."""
        assert Duration.parse("3 working days") == Duration(3, TimeUnit.WORKING_DAYS)
        assert Duration.parse("1 working hour") == Duration.working_hours(1)

    @pytest.mark.parametrize(
        "text", ["3 days", "0 working days", "-1 working days", "three working days"]
    )
    def test_malformed_durations_are_refused(self, text: str) -> None:
        """Durations that are not a positive count of working days or hours are refused."""
        with pytest.raises(InvalidValue):
            Duration.parse(text)

    def test_exceeds_compares_in_hours(self) -> None:
        """Two working days exceed ten working hours but not sixteen."""
        assert Duration.working_days(2).exceeds(Duration.working_hours(10))
        assert not Duration.working_days(2).exceeds(Duration.working_hours(16))

    @given(st.integers(1, 10**5))
    def test_str_parses_back(self, amount: int) -> None:
        """str() of a duration parses back to an equal duration."""
        for duration in (Duration.working_days(amount), Duration.working_hours(amount)):
            assert Duration.parse(str(duration)) == duration


class TestPeriod:
    def test_parse_reads_years_months_days(self) -> None:
        """P1Y6M is eighteen months."""
        assert Period.parse("P1Y6M").months == 18

    @pytest.mark.parametrize("text", ["P", "5Y", "P5", "P1.5Y", "PT5H"])
    def test_malformed_periods_are_refused(self, text: str) -> None:
        """Strings that are not ISO 8601 date periods are refused."""
        with pytest.raises(InvalidValue):
            Period.parse(text)
