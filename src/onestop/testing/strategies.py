"""Hypothesis strategies for onestop's value objects, for your own property tests.

They need Hypothesis (``pip install hypothesis``); importing this module without it
raises `ImportError`.  Every catalogue `catalogues` draws is valid: it passes
`onestop.domain.catalogue.checks.check_catalogue` with no problems.

>>> from hypothesis import given
>>> from onestop.testing.strategies import catalogues
>>> @given(catalogues())
... def test_has_a_service(catalogue):
...     assert catalogue.services
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import strategies as st

from onestop.domain.catalogue.messages import BUILT_IN_KEYS, Message
from onestop.domain.catalogue.model import (
    Agency,
    AgencyKind,
    Catalogue,
    ChannelKind,
    ChannelVariant,
    Choice,
    EvidenceType,
    Fee,
    FieldType,
    FormField,
    LegalResource,
    Presentation,
    Requirement,
    Service,
    ServiceKind,
    VersionStatus,
)
from onestop.domain.catalogue.rules import parse_rule
from onestop.domain.common.formats import text_problem
from onestop.domain.common.text import LocalizedText
from onestop.domain.common.values import Duration

__all__ = ["catalogues", "codes", "durations", "language_sets", "localized_texts"]

_LANGUAGES = ("id", "en", "km", "ko", "zh-Hant", "pt-BR")
_UNSHIPPED = ("zh-Hant", "pt-BR")  # languages onestop ships no texts in: catalogues give them
_ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "Asia/Phnom_Penh", "Asia/Seoul")

codes = st.from_regex(r"[a-z][a-z0-9\-]{0,11}", fullmatch=True)
"""Stable codes such as ``tax-id``."""
_field_names = st.from_regex(r"[a-z][a-z0-9_]{0,9}", fullmatch=True).filter(
    lambda name: name not in {"and", "or", "not", "in", "true", "false"}  # words of the rules
)


def _is_free_text(text: str) -> bool:
    """Whether *text* is free text every onestop value accepts (`text_problem` finds nothing)."""
    return text_problem(text, max_length=20, multiline=True) is None


_words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")).filter(_is_free_text),
    min_size=1,
    max_size=20,
)


def language_sets() -> st.SearchStrategy[tuple[str, ...]]:
    """Non-empty tuples of distinct, well-formed language tags."""
    return st.lists(st.sampled_from(_LANGUAGES), min_size=1, max_size=3, unique=True).map(tuple)


def localized_texts(languages: tuple[str, ...]) -> st.SearchStrategy[LocalizedText]:
    """Texts given in every one of *languages*."""
    return st.tuples(*[_words for _ in languages]).map(
        lambda texts: LocalizedText(dict(zip(languages, texts, strict=True)))
    )


def durations(*, max_days: int = 30) -> st.SearchStrategy[Duration]:
    """Durations in working days or working hours."""
    return st.one_of(
        st.integers(1, max_days).map(Duration.working_days),
        st.integers(1, max_days * 8).map(Duration.working_hours),
    )


@st.composite
def _service(
    draw: st.DrawFn,
    *,
    code: str,
    languages: tuple[str, ...],
    agencies: list[str],
    evidence: list[str],
    laws: list[str],
) -> Service:
    text = localized_texts(languages)
    limit = draw(durations())
    norm_hours = draw(st.integers(1, limit.in_hours(hours_per_day=8)))
    names = draw(st.lists(_field_names, max_size=3, unique=True))
    form = []
    for order, name in enumerate(names):
        kind = draw(
            st.sampled_from([FieldType.BOOLEAN, FieldType.TEXT, FieldType.NUMBER, FieldType.CHOICE])
        )
        choices: tuple[Choice, ...] = ()
        if kind is FieldType.CHOICE:
            values = draw(st.lists(codes, min_size=1, max_size=3, unique=True))
            choices = tuple(Choice(value=v, label=draw(text)) for v in values)
        form.append(
            FormField(
                name=name,
                label=draw(text),
                type=kind,
                required=draw(st.booleans()),
                order=order,
                choices=choices,
                personal_data=draw(st.booleans()),
            )
        )
    booleans = [f.name for f in form if f.type is FieldType.BOOLEAN]
    requirements = []
    chosen: list[str] = draw(st.lists(st.sampled_from(evidence), max_size=3))
    for i, evidence_type in enumerate(chosen):
        when = None
        use_rule: bool = draw(st.booleans())
        if booleans and use_rule:
            field = draw(st.sampled_from(booleans))
            when = parse_rule(draw(st.sampled_from([field, f"not {field}"])))
        requirements.append(
            Requirement(
                code=f"r{i}",
                evidence_type=evidence_type,
                presentation=tuple(
                    draw(
                        st.lists(st.sampled_from(Presentation), min_size=1, max_size=2, unique=True)
                    )
                ),
                when=when,
            )
        )
    fees = tuple(
        Fee(code=f"f{i}", label=draw(text), currency="IDR", amount=Decimal(amount))
        for i, amount in enumerate(draw(st.lists(st.integers(0, 10**9), max_size=2)))
    )
    channels = draw(st.lists(st.sampled_from(ChannelKind), min_size=1, max_size=4, unique=True))
    return Service(
        code=code,
        version=1,
        status=VersionStatus.PUBLISHED,
        effective_from=draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1))),
        agency=draw(st.sampled_from(agencies)),
        name=draw(text),
        description=draw(st.none() | text),
        kind=draw(st.sampled_from(ServiceKind)),
        time_limit=limit,
        service_norm=Duration.working_hours(norm_hours),
        channels=tuple(ChannelVariant(channel=c) for c in channels),
        keywords=tuple(draw(st.lists(_words, max_size=3))),
        legal_basis=tuple(draw(st.lists(st.sampled_from(laws), max_size=2, unique=True)))
        if laws
        else (),
        fees=fees,
        form=tuple(form),
        requirements=tuple(requirements),
    )


@st.composite
def catalogues(draw: st.DrawFn) -> Catalogue:
    """Valid catalogues: a few agencies, evidence types, laws and services.

    A catalogue in a language onestop ships no texts in gives its own ``[[messages]]``.
    """
    languages = draw(language_sets())
    text = localized_texts(languages)
    agency_codes = draw(st.lists(codes, min_size=1, max_size=3, unique=True))
    agencies = tuple(
        Agency(
            code=code,
            name=draw(text),
            kind=draw(st.sampled_from(AgencyKind)),
            time_zone=draw(st.sampled_from(_ZONES)),
            parent=agency_codes[0] if i else None,
        )
        for i, code in enumerate(agency_codes)
    )
    evidence_codes = draw(st.lists(codes, min_size=1, max_size=3, unique=True))
    law_codes = draw(st.lists(codes, max_size=2, unique=True))
    service_codes = draw(st.lists(codes, min_size=1, max_size=3, unique=True))
    unshipped = tuple(t for t in languages if t in _UNSHIPPED)
    messages = tuple(
        Message(key=key, text=draw(localized_texts(unshipped)), reviewed=draw(st.booleans()))
        for key in (BUILT_IN_KEYS if unshipped else ())
    )
    return Catalogue(
        name=draw(text),
        languages=languages,
        agencies=agencies,
        evidence_types=tuple(EvidenceType(code=c, name=draw(text)) for c in evidence_codes),
        legal_resources=tuple(
            LegalResource(
                code=c, title=draw(text), uri=draw(st.none() | st.just(f"https://law.example/{c}"))
            )
            for c in law_codes
        ),
        services=tuple(
            draw(
                _service(
                    code=code,
                    languages=languages,
                    agencies=agency_codes,
                    evidence=evidence_codes,
                    laws=law_codes,
                )
            )
            for code in service_codes
        ),
        messages=messages,
    )
