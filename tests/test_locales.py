"""Dates, numbers and money in the reader's locale (`onestop.locales`), and languages on the CLI."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from onestop.cli import EXIT_USAGE, main
from onestop.exceptions import InvalidValue
from onestop.locales import format_date, format_datetime, format_money, format_number, locale_of

PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")


def test_a_khmer_reader_sees_khmer_dates() -> None:
    """The month is written in Khmer, in the instant's own time zone."""
    at = datetime(2025, 7, 21, 16, 0, tzinfo=PHNOM_PENH)
    assert format_datetime(at, "km") == "21 កក្កដា 2025, 4:00:00 PM"
    assert format_date(at.date(), "km", width="long") == "21 កក្កដា 2025"


def test_riel_are_written_the_khmer_way() -> None:
    """The riel sign follows the amount for a Khmer reader, and precedes the code for English."""
    assert format_money(Decimal("4000"), "KHR", "km") == "4,000.00៛"
    assert format_money(Decimal("4000"), "KHR", "en") == "KHR4,000.00"


def test_numbers_use_the_readers_separators() -> None:
    """Indonesian groups with dots and marks decimals with a comma."""
    assert format_number(Decimal("1234567.5"), "id") == "1.234.567,5"


def test_a_regional_tag_and_an_unknown_language_fall_back() -> None:
    """``ar-EG`` is its own locale; a language CLDR lacks is formatted as English."""
    assert (locale_of("ar-EG"), locale_of("en-XX"), locale_of("tlh")) == ("ar_EG", "en", "en")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: format_datetime(datetime(2025, 1, 1), "en"), "value"),  # noqa: DTZ001
        (lambda: format_datetime(datetime.now(PHNOM_PENH), "not a tag!"), "language"),
        (lambda: format_date(date(2025, 1, 1), "en", width="huge"), "width"),  # type: ignore[arg-type]
        (lambda: format_money(Decimal("NaN"), "KHR", "km"), "amount"),
        (lambda: format_money(Decimal("1"), "khr", "km"), "currency"),
        (lambda: format_number(True, "en"), "amount"),
        (lambda: format_number("12", "en"), "amount"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_is_an_invalid_value_naming_the_field(call: object, field: str) -> None:
    """Naive instants, bad tags, widths, amounts and currencies raise InvalidValue."""
    with pytest.raises(InvalidValue) as caught:
        call()  # type: ignore[operator]
    assert caught.value.field == field


def test_import_onestop_loads_no_babel() -> None:
    """``import onestop`` (and ``onestop.locales`` itself) leaves Babel unloaded."""
    command = "import onestop, onestop.locales, sys; print('babel' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", command], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"


def test_an_unknown_language_on_the_cli_names_the_languages(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``track --language km`` on the Jakarta catalogue is a usage error listing id and en."""
    code = main(["track", "N/1", "--secret", "s", "--store", "memory://", "--language", "km"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "'km'" in err
    assert "id, en" in err


def test_money_is_never_rounded_to_fewer_decimals_than_it_has() -> None:
    """12,500.50 rupiah is written with its half rupiah, though CLDR shows none for IDR."""
    assert format_money(Decimal("12500.50"), "IDR", "id") == "Rp12.500,5"


def test_money_in_a_code_that_is_not_iso_4217_is_refused() -> None:
    """Three capital letters that name no currency are an InvalidValue on currency."""
    with pytest.raises(InvalidValue) as refused:
        format_money(Decimal(5), "ABC", "en")
    assert refused.value.field == "currency"
