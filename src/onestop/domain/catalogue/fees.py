"""Fees: a fixed amount, an amount per unit, or tiers, in a currency, rounded as declared.

A fee is charged in one ISO 4217 currency, and its amounts have no more digits after
the point than that currency's minor unit (`onestop.exceptions.AmountTooPrecise`).
Where an amount is *computed* (``per_unit`` times the number in the ``basis`` form
field, in a fee or in a tier), the result is rounded by the fee's `FeeRounding` (a
tier may declare its own): half up to the currency's minor unit unless said.

A service that quotes a fee in several currencies (Cambodia's riel and US dollars)
declares one fee per currency under the same code; `onestop.domain.common.values.totals`
adds what is due per currency, never across currencies.

>>> fee = Fee(code="pages", label=LocalizedText({"en": "Pages"}), currency="USD",
...           basis="pages", per_unit="0.125")
>>> fee.due({"pages": 3})
Money(amount=Decimal('0.38'), currency='USD')
"""

from __future__ import annotations

import decimal
import enum
from collections.abc import Mapping
from decimal import Decimal

import attrs

from onestop.domain.catalogue.rules import Rule
from onestop.domain.common.currencies import MINOR_UNITS
from onestop.domain.common.kinds import check_member, check_type, typed_fields
from onestop.domain.common.text import LocalizedText
from onestop.domain.common.values import MAX_AMOUNT, Money, check_places, parse_amount
from onestop.exceptions import InvalidValue

__all__ = ["Fee", "FeeRounding", "FeeTier", "RoundingMode"]

# Enough digits for an amount of 18+6 digits times a basis of 30+12, exactly.
_EXACT = decimal.Context(prec=100, Emax=999, Emin=-999)


class RoundingMode(enum.Enum):
    """How a computed amount is rounded to its step."""

    HALF_UP = "half_up"
    """To the nearest step; a half goes up (``0.125`` to ``0.13``)."""
    HALF_EVEN = "half_even"
    """To the nearest step; a half goes to the even step (``0.125`` to ``0.12``)."""
    DOWN = "down"
    """Round towards zero, so that the applicant never pays more than computed."""
    UP = "up"
    """Round away from zero, so that the agency never receives less than computed."""


_MODES = {
    RoundingMode.HALF_UP: decimal.ROUND_HALF_UP,
    RoundingMode.HALF_EVEN: decimal.ROUND_HALF_EVEN,
    RoundingMode.DOWN: decimal.ROUND_DOWN,
    RoundingMode.UP: decimal.ROUND_UP,
}


def _mode(value: object) -> RoundingMode:
    return check_member(RoundingMode, value, field="mode")


def _step(value: object) -> Decimal | None:
    if value is None:
        return None
    step = parse_amount(value, field="step")
    if not step:
        raise InvalidValue(field="step", reason="a rounding step must be above 0")
    return step


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class FeeRounding:
    """How a computed fee is rounded: a mode, to a step.

    Attributes:
        mode: A `RoundingMode` or its value (``"half_even"``).
        step: The amount to round to (``100`` riel), or ``None`` for the currency's
            minor unit (``0.01`` dollar, ``1`` won).
    """

    mode: RoundingMode = attrs.field(default=RoundingMode.HALF_UP, converter=_mode)
    step: Decimal | None = attrs.field(default=None, converter=_step)

    def apply(self, amount: Decimal, currency: str, /) -> Decimal:
        """Return *amount* rounded to this step (or *currency*'s minor unit).

        Raises:
            InvalidValue: If *amount* is not a finite `Decimal` of at most `MAX_AMOUNT`
                in size, or *currency* not an ISO 4217 currency.
        """
        check_type(amount, Decimal, field="amount")
        if not amount.is_finite():
            raise InvalidValue(field="amount", reason="must be a finite number")
        if abs(amount) > MAX_AMOUNT:
            raise InvalidValue(field="amount", reason=f"must be at most {MAX_AMOUNT:,} in size")
        minor = check_places(Decimal(0), currency) + MINOR_UNITS[currency]
        step = self.step if self.step is not None else Decimal(1).scaleb(-int(minor))
        steps = _EXACT.divide(amount, step).to_integral_value(rounding=_MODES[self.mode])
        return _EXACT.multiply(steps, step)


_DEFAULT_ROUNDING = FeeRounding()


def _optional_amount(value: object) -> Decimal | None:
    return None if value is None else parse_amount(value)


def _optional_rate(value: object) -> Decimal | None:
    return None if value is None else parse_amount(value, field="per_unit")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class FeeTier:
    """One step of a tiered fee: what is due while the basis is at most `up_to`.

    Attributes:
        amount: The fixed part of the amount due in this tier.
        up_to: The tier's upper bound, or ``None`` for the last tier.
        per_unit: An amount added per unit of the basis, or ``None``.
        rounding: How this tier's computed amount is rounded, or ``None`` for the fee's.
    """

    amount: Decimal = attrs.field(converter=parse_amount)
    up_to: Decimal | None = attrs.field(default=None, converter=_optional_amount)
    per_unit: Decimal | None = attrs.field(default=None, converter=_optional_rate)
    rounding: FeeRounding | None = None


def _check_amounts(fee: Fee, _: attrs.Attribute[str], __: str) -> None:
    """Refuse amounts and rounding steps finer than the fee currency's minor unit.

    A currency that is not ISO 4217 is left to the catalogue's checks, which name it.
    """
    if fee.currency not in MINOR_UNITS:
        return
    tiers: object = fee.tiers
    rounding: object = fee.rounding
    if not isinstance(tiers, tuple) or not all(type(tier) is FeeTier for tier in tiers):
        return  # the type check of `tiers`, which runs after this one, names what is wrong
    if rounding is not None and not isinstance(rounding, FeeRounding):
        return  # likewise for `rounding`
    fixed: list[tuple[str, Decimal | None]] = [("amount", fee.amount)]
    fixed.append(("rounding.step", fee.rounding.step if fee.rounding else None))
    for i, tier in enumerate(fee.tiers):
        fixed.append((f"tiers[{i}].amount", tier.amount))
        fixed.append((f"tiers[{i}].rounding.step", tier.rounding.step if tier.rounding else None))
    for field, value in fixed:
        if value is not None:
            check_places(value, fee.currency, field=field)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Fee:
    """A fee: a fixed amount, an amount per unit of a form field, or tiers over one.

    Attributes:
        code: Unique within the service (or channel variant) and currency.
        label: What the applicant reads.
        currency: ISO 4217 code; amounts have at most its minor unit's digits.
        amount: The fixed amount (with `per_unit`: the fixed part), when not tiered.
        basis: The numeric form field that `per_unit` and the tiers are read from.
        tiers: Ascending tiers; the last one has no `up_to`.
        when: A condition over the answers; ``None`` means always charged.
        legal_basis: Codes of the legal resources that set this fee.
        per_unit: An amount per unit of `basis` (any digits up to six after the point).
        rounding: How a computed amount is rounded; ``None``: half up, to the minor unit.
    """

    code: str
    label: LocalizedText
    currency: str = attrs.field(validator=_check_amounts)
    amount: Decimal | None = attrs.field(default=None, converter=_optional_amount)
    basis: str | None = None
    tiers: tuple[FeeTier, ...] = ()
    when: Rule | None = None
    legal_basis: tuple[str, ...] = ()
    per_unit: Decimal | None = attrs.field(default=None, converter=_optional_rate)
    rounding: FeeRounding | None = None

    def due(self, answers: Mapping[str, object], /) -> Money | None:
        """Return the amount due for *answers*, or ``None`` when the fee does not apply.

        A fee computed from a basis does not apply while the basis is unanswered or
        not a number.

        Raises:
            InvalidValue: If *answers* is not a mapping, the basis is not a finite
                number from 0, or the amount due would exceed `MAX_AMOUNT`.
        """
        check_type(answers, Mapping, field="answers")
        if self.when is not None and not self.when.evaluate(answers).value:
            return None
        if not self.tiers and self.per_unit is None:
            return None if self.amount is None else Money(self.amount, self.currency)
        basis = self._basis(answers)
        if basis is None:
            return None
        if not self.tiers:
            return self._computed(self.amount or Decimal(0), self.per_unit, basis, None)
        for tier in self.tiers:
            if tier.up_to is None or basis <= tier.up_to:
                return self._computed(tier.amount, tier.per_unit, basis, tier.rounding)
        return None

    def _basis(self, answers: Mapping[str, object]) -> Decimal | None:
        raw = answers.get(self.basis or "")
        if isinstance(raw, bool) or not isinstance(raw, int | Decimal | float):
            return None
        field: str = self.basis or "basis"
        if isinstance(raw, int) and not -(10**30) < raw < 10**30:
            raise InvalidValue(field=field, reason="a fee basis has at most 30 digits")
        basis = Decimal(str(raw)) if isinstance(raw, float) else Decimal(raw)
        if not basis.is_finite() or basis < 0:
            raise InvalidValue(field=field, reason="a fee basis must be a finite number from 0")
        if basis and basis.adjusted() >= 30:
            raise InvalidValue(field=field, reason="a fee basis has at most 30 digits")
        return basis

    def _computed(
        self, fixed: Decimal, rate: Decimal | None, basis: Decimal, rounding: FeeRounding | None
    ) -> Money:
        amount = fixed if rate is None else _EXACT.add(fixed, _EXACT.multiply(rate, basis))
        rule = rounding or self.rounding or _DEFAULT_ROUNDING
        rounded = rule.apply(amount, self.currency)
        if rounded > MAX_AMOUNT:
            raise InvalidValue(
                field=self.basis or "basis", reason="the fee would exceed the largest amount"
            )
        return Money(rounded, self.currency)
