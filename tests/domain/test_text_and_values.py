"""Localized text and the small value objects."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.common.text import (
    MAX_TEXT,
    LocalizedText,
    is_language_tag,
    language_fallbacks,
    normalize_language_tag,
)
from onestop.domain.common.values import (
    MAX_AMOUNT,
    MAX_DURATION,
    Duration,
    Money,
    Period,
    TimeUnit,
    amount_text,
    parse_amount,
)
from onestop.exceptions import InvalidValue


class TestFallbacks:
    def test_a_reader_is_served_each_shorter_prefix(self) -> None:
        """The chain is the tag lower-cased, then each shorter prefix, ``_`` read as ``-``."""
        assert language_fallbacks("zh_Hant-TW") == ("zh-hant-tw", "zh-hant", "zh")

    @given(st.lists(st.text(max_size=12), max_size=40).map("-".join))
    def test_the_chain_is_the_prefixes_a_tag_can_have(self, tag: str) -> None:
        """Every prefix up to 64 characters is in the chain, longest first; none longer."""
        parts = tag.lower().replace("_", "-").split("-")
        every = ["-".join(parts[:end]) for end in range(len(parts), 0, -1)]
        assert language_fallbacks(tag) == tuple(p for p in every if len(p) <= 64)

    def test_a_long_hostile_tag_costs_time_in_proportion_to_its_length(self) -> None:
        """A 'tag' of 50,000 parts gives its short prefixes only, not 50,000 of them (which
        would be 2.5 billion characters)."""
        chain = language_fallbacks("a-" * 50_000)
        assert chain[-1] == "a"
        assert len(chain) == 32
        assert max(map(len, chain)) <= 64

    def test_repeated_fallbacks_are_walked_once(self) -> None:
        """100,000 copies of one fallback find the text as one does (the chain is deduplicated)."""
        text = LocalizedText({"id": "Izin", "en": "Permit"})
        assert text.get("km", fallbacks=("xx", "ID") * 100_000) == "Izin"
        assert text.get("km", fallbacks=("xx",) * 100_000) == text.get("km", fallbacks=("xx",))

    def test_a_fallback_longer_than_any_tag_still_serves_its_prefix(self) -> None:
        """``en-`` followed by 100 characters is still served ``en``."""
        assert LocalizedText({"id": "Izin", "en": "Permit"}).get("en-" + "x" * 100) == "Permit"


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

    @pytest.mark.parametrize(
        "tag",
        [
            "id\n",
            "en\n",
            "\u212a\u043c",
            "\u212am",
            "en-\u212aR",
            "id ",
            " id",
            "i\u0307d",
            None,
            5,
        ],
    )
    def test_tags_are_whole_ascii_strings(self, tag: object) -> None:
        """A final line break, a Kelvin sign (which lowers to 'k') or a non-string is no tag."""
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

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("Paspor\ud800", "lone surrogate at position 7"),
            ("Pas\x00por", "NUL character at position 4"),
            ("Pas\x1bpor", "control character (U+001B"),
            ("x" * (MAX_TEXT + 1), f"more than {MAX_TEXT}"),
        ],
    )
    def test_text_that_cannot_be_stored_or_exported_is_refused(
        self, text: str, reason: str
    ) -> None:
        """A lone surrogate, a NUL or another control character, or too long a text is refused."""
        with pytest.raises(InvalidValue, match="text\\[id\\]") as caught:
            LocalizedText.of({"id": text})
        assert reason in caught.value.reason

    def test_line_breaks_and_tabs_are_text(self) -> None:
        """Descriptions may hold line breaks and tabs."""
        assert LocalizedText.of(en="one\r\ntwo\tthree").get("en") == "one\r\ntwo\tthree"

    @pytest.mark.parametrize("value", [5, "en", [("en",)], [("en", "a", "b")], b"en"])
    def test_what_is_not_a_table_of_texts_is_refused(self, value: object) -> None:
        """Anything but a mapping or pairs of tag and text raises InvalidValue, not TypeError."""
        with pytest.raises(InvalidValue):
            LocalizedText(value)  # type: ignore[arg-type]

    @pytest.mark.parametrize("value", [5, None, b"x"])
    def test_text_that_is_not_a_string_is_refused(self, value: object) -> None:
        """A text that is not a string raises InvalidValue naming the language."""
        with pytest.raises(InvalidValue, match="text\\[en\\]"):
            LocalizedText.of({"en": value})  # type: ignore[dict-item]

    @pytest.mark.parametrize(
        ("read", "field"),
        [
            (lambda t: t.get(b"id"), "language"),
            (lambda t: t.get("en", fallbacks="id"), "fallbacks"),
            (lambda t: t.get("en", fallbacks=[None]), "fallbacks[0]"),
            (lambda t: t.has(5), "language"),
            (lambda t: t.missing([["id"]]), "languages[0]"),
            (lambda t: t.missing("id"), "languages"),
            (lambda t: t.matches(b"pas"), "query"),
            (lambda t: LocalizedText.of("id"), "text"),
        ],
    )
    def test_a_lookup_of_the_wrong_type_is_refused(self, read: Any, field: str) -> None:
        """A language, fallbacks or a query that are not text raise InvalidValue, not TypeError."""
        text = LocalizedText.of(id="Paspor", en="Passport")
        with pytest.raises(InvalidValue) as caught:
            read(text)
        assert caught.value.field == field

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

    @pytest.mark.parametrize(
        "bad",
        [
            "\uff11\uff10\uff10",  # full-width 100
            "\u0661\u0660\u0660",  # Arabic-Indic 100
            "\u17e1\u17e0",  # Khmer 10
            "100\n",
            " 100",
            "1" * 19,
            10**18,
            Decimal(10**18),
            Decimal("1E+30"),
            Decimal("0.0000001"),
            Decimal("1E-999999999"),
            Decimal("1.0000001000"),
            2**63,
        ],
    )
    def test_other_digits_whitespace_and_huge_amounts_are_refused(self, bad: object) -> None:
        """Amounts are ASCII digits, whole strings, up to 18 digits and 6 decimal places."""
        with pytest.raises(InvalidValue):
            parse_amount(bad)

    @given(st.integers(0, MAX_AMOUNT), st.integers(0, 999_999))
    def test_amounts_up_to_the_limit_are_exact(self, whole: int, fraction: int) -> None:
        """Every amount of up to 18 digits and 6 places parses to itself, from text too."""
        text = f"{whole}.{fraction:06d}"
        assert parse_amount(text) == Decimal(text)
        assert parse_amount(whole) == Decimal(whole)

    @pytest.mark.parametrize(
        "amount",
        [Decimal("1.500000000"), Decimal("0E-1000"), Decimal("12.000001"), Decimal("5E+3")],
    )
    def test_trailing_zeros_and_exponents_within_the_places_are_amounts(
        self, amount: Decimal
    ) -> None:
        """Trailing zeros do not count as places; a value within 6 places is kept as given."""
        assert parse_amount(amount) == amount

    @given(st.decimals(allow_nan=False, allow_infinity=False))
    def test_every_amount_reads_back_from_its_text(self, amount: Decimal) -> None:
        """Any Decimal parse_amount accepts is written as text it reads back equal, whatever
        its exponent or trailing zeros (a stored 0.1885800 once failed to load)."""
        try:
            accepted = parse_amount(amount)
        except InvalidValue:
            return
        assert parse_amount(amount_text(accepted)) == accepted

    @pytest.mark.parametrize(
        ("amount", "text"),
        [("1500.00", "1500.00"), ("1E+2", "100"), ("0.1885800", "0.18858"), ("-0", "0")],
    )
    def test_amount_text_keeps_plain_forms_and_flattens_the_rest(
        self, amount: str, text: str
    ) -> None:
        """A plain form keeps its bytes; an exponent, a signed zero or extra zeros are flattened."""
        assert amount_text(Decimal(amount)) == text

    def test_huge_amounts_are_not_quoted_in_full(self) -> None:
        """The message for a 5000-digit amount says how long it is, not what it is."""
        with pytest.raises(InvalidValue) as caught:
            parse_amount(10**5000)
        assert len(str(caught.value)) < 200

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

    @pytest.mark.parametrize(
        "text",
        [
            "\u0661\u0660 working days",  # Arabic-Indic 10
            "\uff15 working days",  # full-width 5
            "\u17e5 working hours",  # Khmer 5
            "5 working days\n\nx",
            "5\u00a0working days",  # no-break space
            "1234567 working days",
        ],
    )
    def test_other_digits_and_trailing_text_are_refused(self, text: str) -> None:
        """A duration is written with ASCII digits and nothing after it."""
        with pytest.raises(InvalidValue, match="duration"):
            Duration.parse(text)

    @pytest.mark.parametrize("amount", [0, MAX_DURATION + 1, 2**63, True, "5", 5.0])
    def test_amounts_outside_the_range_are_refused(self, amount: object) -> None:
        """A duration's amount is an int from 1 to MAX_DURATION; bool, str and float are not."""
        with pytest.raises(InvalidValue, match="amount"):
            Duration(amount, TimeUnit.WORKING_DAYS)  # type: ignore[arg-type]

    @pytest.mark.parametrize("unit", ["working_days", "d", None, 1])
    def test_a_unit_that_is_not_a_time_unit_is_refused(self, unit: object) -> None:
        """A duration's unit is a TimeUnit member; anything else is InvalidValue, not TypeError."""
        with pytest.raises(InvalidValue) as caught:
            Duration(3, unit)  # type: ignore[arg-type]
        assert caught.value.field == "unit"

    @pytest.mark.parametrize(
        ("compare", "field"),
        [
            (lambda d: d.exceeds("2 working days"), "other"),
            (lambda d: d.exceeds(Duration.working_hours(1), hours_per_day=0), "hours_per_day"),
            (lambda d: d.in_hours(hours_per_day="8"), "hours_per_day"),
            (lambda d: d.in_hours(hours_per_day=True), "hours_per_day"),
        ],
    )
    def test_a_comparison_with_a_wrong_argument_is_refused(self, compare: Any, field: str) -> None:
        """exceeds and in_hours take a Duration and a day of 1 to 24 hours, or InvalidValue."""
        with pytest.raises(InvalidValue) as caught:
            compare(Duration.working_days(2))
        assert caught.value.field == field

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

    @pytest.mark.parametrize(
        "text", ["P", "5Y", "P5", "P1.5Y", "PT5H", "P\u0665Y", "P\uff15Y", "P5Y\n", "P1000Y"]
    )
    def test_malformed_periods_are_refused(self, text: str) -> None:
        """Strings that are not ISO 8601 date periods are refused."""
        with pytest.raises(InvalidValue):
            Period.parse(text)

    @pytest.mark.parametrize(
        "parts", [(1000, 0, 0), (0, 10_000, 0), (0, 0, 100_000), (-1, 0, 0), (True, 0, 0)]
    )
    def test_parts_outside_their_range_are_refused(self, parts: tuple[int, int, int]) -> None:
        """A period built in Python keeps to what its text form can say."""
        with pytest.raises(InvalidValue):
            Period(*parts)

    @given(st.integers(0, 999), st.integers(0, 9999), st.integers(0, 99999))
    def test_str_parses_back(self, years: int, months: int, days: int) -> None:
        """str() of any period in range parses back to an equal period."""
        period = Period(years, months, days)
        assert Period.parse(str(period)) == period
