"""The catalogue's response bodies: one service in detail, in the language served.

Texts are given in one language (the one served, with the catalogue's fallbacks);
amounts are decimal text; conditions are the rule's source with the form fields it
reads (`ConditionView`).  The form is a JSON Schema (`onestop.web._form_schema`).
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from onestop.domain.catalogue.fees import RoundingMode
from onestop.domain.catalogue.model import ChannelKind, Presentation, ServiceKind
from onestop.domain.common.values import TimeUnit
from onestop.web._form_schema import FormSchema
from onestop.web._renamed import described

__all__ = [
    "ChannelDetail",
    "ConditionView",
    "FeeTierView",
    "FeeView",
    "FieldRef",
    "LegalBasisView",
    "OutputView",
    "RequirementView",
    "RoundingView",
    "ServiceDetail",
    "TimeLimitView",
]


@described
@attrs.frozen(kw_only=True)
class TimeLimitView:
    """A time limit, as text and typed.

    Attributes:
        text: As the catalogue writes it (``5 working days``).
        amount: How many units.
        unit: ``days`` or ``hours``.
        working: Whether only working time counts (on the agency's work calendar);
            onestop's limits are always in working time.
    """

    text: str
    amount: int
    unit: str
    working: bool

    @classmethod
    def of(cls, text: str, amount: int, unit: TimeUnit) -> TimeLimitView:
        """The view of a limit of *amount* *unit*, written *text*."""
        noun = "days" if unit is TimeUnit.WORKING_DAYS else "hours"
        return cls(text=text, amount=amount, unit=noun, working=True)


@attrs.frozen(kw_only=True)
class FieldRef:
    """A form field a condition or a fee reads.

    Attributes:
        name: The field's name (the key of its answer).
        label: Its label in the language served, or ``None`` if the form has no such field.
    """

    name: str
    label: str | None


@described
@attrs.frozen(kw_only=True)
class ConditionView:
    """When a requirement or a fee applies: a rule over the form's answers.

    onestop has no translations of rule sentences, so the condition is given as the
    rule's source (``reason == "hilang" and not force_majeure``), in onestop's small rule
    language, with the form fields it reads labelled in the language served.  Whether it
    holds for given answers is decided on submission (the receipt's
    ``required_documents``).

    Attributes:
        source: The rule as written, whitespace normalised.
        fields: The fields it reads, by name.
    """

    source: str
    fields: tuple[FieldRef, ...]


@described
@attrs.frozen(kw_only=True)
class RequirementView:
    """Evidence a service asks for on one channel.

    Attributes:
        code: The requirement's code, to name an upload for it in a submission.
        evidence_type: The code of the kind of evidence.
        evidence_name: The evidence type's name in the language served.
        presentation: The ways it may be presented (``upload`` alone: with the submission).
        description: More about it, if anything.
        condition: When it applies; ``None``: always.
    """

    code: str
    evidence_type: str
    evidence_name: str
    presentation: tuple[Presentation, ...]
    description: str | None
    condition: ConditionView | None


@attrs.frozen(kw_only=True)
class RoundingView:
    """How a computed fee is rounded.

    Attributes:
        mode: The rounding mode.
        step: The amount rounded to, or ``None`` for the currency's minor unit.
    """

    mode: RoundingMode
    step: Decimal | None


@attrs.frozen(kw_only=True)
class FeeTierView:
    """One tier of a tiered fee: what is due while the basis is at most ``up_to``.

    Attributes:
        up_to: The tier's upper bound, or ``None`` for the last tier.
        amount: The fixed part.
        per_unit: An amount added per unit of the basis, if any.
        rounding: This tier's own rounding, if any.
    """

    up_to: Decimal | None
    amount: Decimal
    per_unit: Decimal | None
    rounding: RoundingView | None


@described
@attrs.frozen(kw_only=True)
class FeeView:
    """A fee on one channel; a fee quoted in two currencies is two fees of one code.

    Attributes:
        code: The fee's code.
        label: What it is, in the language served.
        currency: The ISO 4217 currency.
        amount: The fixed amount (or the fixed part), if any.
        per_unit: An amount per unit of ``basis``, if any.
        basis: The number field the amount is computed from, if any.
        tiers: The tiers, ascending, if the fee is tiered.
        rounding: How a computed amount is rounded; ``None``: half up to the minor unit.
        condition: When it is charged; ``None``: always.
        legal_basis: The codes of the laws that set it.
    """

    code: str
    label: str
    currency: str
    amount: Decimal | None
    per_unit: Decimal | None
    basis: FieldRef | None
    tiers: tuple[FeeTierView, ...]
    rounding: RoundingView | None
    condition: ConditionView | None
    legal_basis: tuple[str, ...]


@attrs.frozen(kw_only=True)
class ChannelDetail:
    """What a service needs, costs and takes on one channel.

    Attributes:
        channel: The channel.
        time_limit: The statutory time limit on it.
        service_norm: The published service standard on it.
        requirements: The evidence asked for on it.
        fees: The fees charged on it.
    """

    channel: ChannelKind
    time_limit: TimeLimitView
    service_norm: TimeLimitView
    requirements: tuple[RequirementView, ...]
    fees: tuple[FeeView, ...]


@attrs.frozen(kw_only=True)
class OutputView:
    """What a service issues.

    Attributes:
        code: Its code.
        name: Its name in the language served.
        validity: How long it stays valid (ISO 8601, ``P5Y``), or ``None`` if it does not expire.
        digital: Whether it is issued electronically.
    """

    code: str
    name: str
    validity: str | None
    digital: bool


@attrs.frozen(kw_only=True)
class LegalBasisView:
    """A law a service rests on.

    Attributes:
        code: Its code.
        title: Its title in the language served, or ``None`` if the catalogue lacks it.
        uri: Where to read it, if known.
    """

    code: str
    title: str | None
    uri: str | None


@described
@attrs.frozen(kw_only=True)
class ServiceDetail:
    """One service in effect now, in full, in the language served.

    Attributes:
        language: The language the texts are in.
        code: The service's code.
        version: The version in effect now.
        agency: The providing agency's code.
        agency_name: Its name.
        name: The service's name.
        description: What it is, or ``None``.
        kind: Licensing or non-licensing.
        category: A grouping code, or ``None``.
        channels: What it needs, costs and takes on each channel it is offered through.
        outputs: What it issues.
        legal_basis: The laws it rests on.
        form: The form as a JSON Schema of a submission's ``answers``.
    """

    language: str
    code: str
    version: int
    agency: str
    agency_name: str
    name: str
    description: str | None
    kind: ServiceKind
    category: str | None
    channels: tuple[ChannelDetail, ...]
    outputs: tuple[OutputView, ...]
    legal_basis: tuple[LegalBasisView, ...]
    form: FormSchema
