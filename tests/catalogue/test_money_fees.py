"""Money in the catalogue: ISO 4217 codes and minor units, rounding, several currencies."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop import ChannelKind, Fee, FeeRounding, FeeTier, LocalizedText, Money, RoundingMode
from onestop.domain.common.currencies import MINOR_UNITS, currency_problem, minor_units
from onestop.domain.common.values import check_places, parse_amount, totals
from onestop.exceptions import AmountTooPrecise, InvalidCatalogue, InvalidValue
from onestop.usecases.catalogue.loading import catalogue_from_data, dump_catalogue, load_catalogue

VALID = Path(__file__).parent / "valid" / "minimal.toml"
LABEL = LocalizedText({"en": "Fee"})


def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(dump_catalogue(load_catalogue(VALID)))
    return data


def _with_fees(*fees: dict[str, Any]) -> dict[str, Any]:
    data = _data()
    data["services"][0]["fees"] = [copy.deepcopy(f) for f in fees]
    return data


def _problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(InvalidCatalogue) as caught:
        catalogue_from_data(data, source="test")
    return [(p.path, p.message) for p in caught.value.problems]


def _fee(**given: object) -> dict[str, Any]:
    return {"code": "fee", "label": {"en": "Fee", "id": "Biaya"}, **given}


def test_three_capital_letters_that_iso_4217_does_not_list_are_refused_at_load() -> None:
    """'ABC' has the shape of a currency code but is none: the problem names its path."""
    problems = _problems(_with_fees(_fee(currency="ABC", amount=1)))
    assert problems == [
        ("services[0].fees[0].currency", "'ABC' is not an ISO 4217 currency code such as 'IDR'")
    ]


def test_a_code_without_minor_units_is_no_fee_currency() -> None:
    """Gold (XAU) is in ISO 4217 but has no minor unit: no fee is charged in it."""
    assert currency_problem("XAU") == "'XAU' has no minor unit in ISO 4217: no fee is charged in it"


def test_minor_units_follow_iso_4217_not_cldr() -> None:
    """The rupiah has 2 minor units in ISO 4217 (CLDR says 0); the riel 2, the won 0."""
    assert (minor_units("IDR"), minor_units("KHR"), minor_units("KRW")) == (2, 2, 0)
    assert Money.of("1500.50", "IDR").amount == Decimal("1500.50")


def test_the_table_matches_the_iso4217_package() -> None:
    """The generated table is the maintained iso4217 package's list, minor units included."""
    iso4217 = pytest.importorskip("iso4217")
    expected = {
        code: int(entry["CcyMnrUnts"])
        for code, entry in iso4217.raw_table.items()
        if code and (entry["CcyMnrUnts"] or "").isdigit()
    }
    assert expected == MINOR_UNITS


def test_every_amount_finer_than_the_minor_unit_is_reported_at_load_at_once() -> None:
    """Two fees with too many decimals give two problems, each naming the currency's unit."""
    data = _with_fees(
        _fee(currency="KRW", amount="100.5"),
        _fee(code="other", currency="USD", basis="n", tiers=[{"amount": "1.005"}]),
    )
    problems = _problems(data)
    assert (
        "services[0].fees[0]",
        "amount: KRW has 0 minor units in ISO 4217: an amount in it has no digits after the point",
    ) in problems
    assert any(
        path == "services[0].fees[1]" and "tiers[0].amount: USD has 2 minor units" in message
        for path, message in problems
    )


def test_money_refuses_decimals_beyond_the_minor_unit() -> None:
    """Money.of('1.001', 'USD') raises AmountTooPrecise with the currency and its unit."""
    with pytest.raises(AmountTooPrecise) as caught:
        Money.of("1.001", "USD")
    assert (caught.value.field, caught.value.currency, caught.value.minor_units) == (
        "amount",
        "USD",
        2,
    )


def test_trailing_zeros_are_not_decimals() -> None:
    """1500.00 won is 1500 won: only significant digits count."""
    assert Money.of("1500.00", "KRW").amount == Decimal("1500.00")


def test_a_fee_constructor_names_the_tier_that_is_too_precise() -> None:
    """Fee(...) with a tier of 10.5 won raises naming tiers[1].amount."""
    tiers = (FeeTier(amount=5, up_to=3), FeeTier(amount="10.5"))
    with pytest.raises(AmountTooPrecise) as caught:
        Fee(code="f", label=LABEL, currency="KRW", basis="n", tiers=tiers)
    assert caught.value.field == "tiers[1].amount"


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("half_up", "0.13"), ("half_even", "0.12"), ("down", "0.12"), ("up", "0.13")],
)
def test_a_computed_fee_is_rounded_by_its_declared_mode(mode: str, expected: str) -> None:
    """0.125 dollar per page for one page rounds to the cent by the mode declared."""
    fee = Fee(
        code="p",
        label=LABEL,
        currency="USD",
        basis="pages",
        per_unit="0.125",
        rounding=FeeRounding(mode=mode),  # type: ignore[arg-type]  # the value is accepted
    )
    assert fee.due({"pages": 1}) == Money.of(expected, "USD")


def test_a_rounding_step_rounds_to_whole_hundreds_of_riel() -> None:
    """A step of 100 riel turns 1234.5 riel per day for one day into 1200 riel."""
    rule = FeeRounding(mode=RoundingMode.HALF_UP, step=100)
    fee = Fee(code="d", label=LABEL, currency="KHR", basis="days", per_unit="1234.5", rounding=rule)
    assert fee.due({"days": 1}) == Money.of(1200, "KHR")


def test_a_tier_may_round_its_own_way() -> None:
    """A tier's rounding overrides the fee's: down in the tier, up elsewhere."""
    tiers = (
        FeeTier(amount=0, up_to=10, per_unit="0.125", rounding=FeeRounding(mode="down")),  # type: ignore[arg-type]
        FeeTier(amount=0, per_unit="0.125"),
    )
    fee = Fee(
        code="t",
        label=LABEL,
        currency="USD",
        basis="n",
        tiers=tiers,
        rounding=FeeRounding(mode=RoundingMode.UP),
    )
    assert fee.due({"n": 1}) == Money.of("0.12", "USD")
    assert fee.due({"n": 11}) == Money.of("1.38", "USD")


def test_a_rounding_step_finer_than_the_minor_unit_is_refused() -> None:
    """Rounding won to 0.5 would ask for half a won: AmountTooPrecise names rounding.step."""
    with pytest.raises(AmountTooPrecise) as caught:
        Fee(code="f", label=LABEL, currency="KRW", amount=1, rounding=FeeRounding(step="0.5"))
    assert caught.value.field == "rounding.step"


@pytest.mark.parametrize("basis", [float("nan"), float("inf"), -1, 10**40, Decimal("NaN")])
def test_a_hostile_basis_is_refused_by_name(basis: object) -> None:
    """NaN, infinity, a negative or a huge basis is an InvalidValue naming the field."""
    fee = Fee(code="f", label=LABEL, currency="USD", basis="n", per_unit="0.5")
    with pytest.raises(InvalidValue) as caught:
        fee.due({"n": basis})
    assert caught.value.field == "n"


def test_a_fee_quoted_in_riel_and_in_dollars_loads_and_totals_per_currency() -> None:
    """One code in KHR and USD is allowed; the totals are one per currency, never summed."""
    data = _with_fees(
        _fee(currency="KHR", amount=40000),
        _fee(currency="USD", amount=10),
        _fee(code="stamp", currency="USD", amount="0.50"),
    )
    service = catalogue_from_data(data, source="test").services[0]
    assert service.fees_total("counter", {}) == (Money.of(40000, "KHR"), Money.of("10.50", "USD"))


def test_the_same_fee_code_twice_in_one_currency_is_refused() -> None:
    """Two 'fee' fees in USD are a duplicate, named at the second one's path."""
    problems = _problems(
        _with_fees(
            _fee(currency="KHR", amount=1),
            _fee(currency="USD", amount=1),
            _fee(currency="USD", amount=2),
        )
    )
    assert problems == [
        ("services[0].fees[2].code", "duplicate fee code 'fee' (first at services[0].fees[1])")
    ]


def test_fees_due_takes_a_channel_by_its_value() -> None:
    """fees_due('counter', ...) gives what fees_due(ChannelKind.COUNTER, ...) gives."""
    service = load_catalogue(VALID).services[0]
    assert service.fees_due("counter", {}) == service.fees_due(ChannelKind.COUNTER, {})  # type: ignore[arg-type]


def test_fees_due_refuses_an_unknown_channel_naming_the_values() -> None:
    """A misspelt channel is an InvalidValue naming 'channel' and the channels there are."""
    service = load_catalogue(VALID).services[0]
    with pytest.raises(InvalidValue) as caught:
        service.fees_due("couriers", {})  # type: ignore[arg-type]
    assert caught.value.field == "channel"
    assert "'courier'" in caught.value.reason


@given(st.text(max_size=5))
def test_a_currency_is_exactly_a_code_of_the_table(text: str) -> None:
    """Any text, in any script, is a currency exactly when the ISO 4217 table lists it."""
    assert (currency_problem(text) is None) == (text in MINOR_UNITS)


@given(st.one_of(st.booleans(), st.floats(), st.integers(), st.decimals(), st.text(max_size=30)))
def test_hostile_amounts_are_refused_by_name_or_kept_exactly(value: object) -> None:
    """Booleans, floats, NaN, infinities, negatives and huge numbers are InvalidValue."""
    refused: InvalidValue | None = None
    try:
        amount = parse_amount(value)
    except InvalidValue as exc:
        refused = exc
    if refused is not None:
        assert refused.field == "amount"
        return
    assert amount.is_finite()
    assert amount >= 0
    places = -amount.normalize().as_tuple().exponent  # type: ignore[operator]
    if places > 0:
        with pytest.raises(AmountTooPrecise):
            check_places(amount, "JPY")


def test_totals_refuse_what_is_not_money() -> None:
    """totals('IDR') names 'amounts'; a list holding a number names the item."""
    with pytest.raises(InvalidValue) as caught:
        totals("IDR")  # type: ignore[arg-type]
    assert caught.value.field == "amounts"
    with pytest.raises(InvalidValue) as item:
        totals([Money.of(1, "IDR"), 5])  # type: ignore[list-item]
    assert item.value.field == "amounts[1]"


def test_a_fee_in_two_currencies_is_two_costs_in_the_cpsv_export() -> None:
    """The riel and dollar quotes of one fee become two cv:Cost nodes with distinct IRIs."""
    from datetime import UTC, datetime

    from onestop.interop.cpsv import to_jsonld

    data = _with_fees(_fee(currency="KHR", amount=40000), _fee(currency="USD", amount=10))
    catalogue = catalogue_from_data(data, source="test")
    document = to_jsonld(catalogue, at=datetime(2025, 1, 1, tzinfo=UTC))
    costs = [n for n in document["@graph"] if n.get("@type") == "cv:Cost"]
    assert sorted(c["@id"].rsplit(":", 1)[-1] for c in costs) == ["KHR", "USD"]
    assert len({c["@id"] for c in costs}) == 2


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"tiers": "citizen-0042"}, "tiers"),
        ({"tiers": ("x",)}, "tiers[0]"),
        ({"rounding": "up"}, "rounding"),
    ],
    ids=["tiers-text", "tier-text", "rounding-text"],
)
def test_a_fee_with_tiers_or_rounding_of_the_wrong_type_names_the_field(
    given: dict[str, object], field: str
) -> None:
    """Fee(...) with tiers or a rounding that are not of their types raises InvalidValue naming
    the field, not an AttributeError from the minor-unit check (found by the surface harness)."""
    with pytest.raises(InvalidValue) as raised:
        Fee(code="f", label=LABEL, currency="IDR", amount="1000", **given)  # type: ignore[arg-type]
    assert raised.value.field == field
