"""The catalogue under ``/api/v1/services``: the services in effect now, in the caller's language.

The catalogue is in memory, so these handlers answer on the event loop.  The language
is ``lang`` (a BCP 47 tag; a tag the catalogue does not declare falls back to its
default, a malformed one is a 400), else the first tag of ``Accept-Language`` the
catalogue declares (`onestop.web._api.language_of`), else the catalogue's default.
Texts missing in that language fall back through the catalogue's languages in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Request, get
from litestar.params import PathParameter

from onestop.domain.catalogue.fees import Fee, FeeRounding
from onestop.domain.catalogue.model import Catalogue, ChannelKind, Requirement, Service
from onestop.domain.catalogue.rules import Rule
from onestop.domain.common.values import Duration
from onestop.web._api import Lang, language_of, runtime_of
from onestop.web._catalogue_views import (
    ChannelDetail,
    ConditionView,
    FeeTierView,
    FeeView,
    FieldRef,
    LegalBasisView,
    OutputView,
    RequirementView,
    RoundingView,
    ServiceDetail,
    TimeLimitView,
)
from onestop.web._form_schema import form_schema
from onestop.web._problems import problem_responses
from onestop.web._views import ServiceList, ServiceSummary
from onestop.web._wire import END, Body

__all__ = ["ROUTES", "ServiceCode", "service_detail"]

ServiceCode = Annotated[
    str,
    PathParameter(
        min_length=1,
        max_length=64,
        pattern=rf"^[A-Za-z0-9][A-Za-z0-9_.-]*{END}",
        description="A service's code (letters, digits and '_.-'); a malformed one is a 400.",
    ),
]
"""A service code in a path: a catalogue code (`onestop.domain.common.formats.CATALOGUE_CODE`)."""


class _Texts:
    """The language served and the catalogue's fallbacks, to read localized texts."""

    def __init__(self, catalogue: Catalogue, service: Service, language: str) -> None:
        self.catalogue = catalogue
        self.service = service
        self.language = language
        self.fallbacks: Sequence[str] = catalogue.languages

    def text(self, localized: Any) -> str:
        found: str = localized.get(self.language, fallbacks=self.fallbacks)
        return found

    def optional(self, localized: Any) -> str | None:
        return None if localized is None else self.text(localized)

    def field(self, name: str) -> FieldRef:
        field = self.service.field(name)
        return FieldRef(name=name, label=None if field is None else self.text(field.label))

    def condition(self, rule: Rule | None) -> ConditionView | None:
        if rule is None:
            return None
        return ConditionView(
            source=rule.source, fields=tuple(self.field(n) for n in sorted(rule.fields()))
        )


def _summary(catalogue: Catalogue, service: Service, language: str) -> ServiceSummary:
    texts = _Texts(catalogue, service, language)
    return ServiceSummary(
        code=service.code,
        version=service.version,
        agency=service.agency,
        agency_name=texts.text(catalogue.agency(service.agency).name),
        name=texts.text(service.name),
        description=texts.optional(service.description),
        channels=service.channel_kinds,
        time_limit=str(service.time_limit),
    )


def _limit(duration: Duration) -> TimeLimitView:
    return TimeLimitView.of(str(duration), duration.amount, duration.unit)


def _rounding(rounding: FeeRounding | None) -> RoundingView | None:
    return None if rounding is None else RoundingView(mode=rounding.mode, step=rounding.step)


def _fee(texts: _Texts, fee: Fee) -> FeeView:
    return FeeView(
        code=fee.code,
        label=texts.text(fee.label),
        currency=fee.currency,
        amount=fee.amount,
        per_unit=fee.per_unit,
        basis=None if fee.basis is None else texts.field(fee.basis),
        tiers=tuple(
            FeeTierView(
                up_to=tier.up_to,
                amount=tier.amount,
                per_unit=tier.per_unit,
                rounding=_rounding(tier.rounding),
            )
            for tier in fee.tiers
        ),
        rounding=_rounding(fee.rounding),
        condition=texts.condition(fee.when),
        legal_basis=fee.legal_basis,
    )


def _requirement(texts: _Texts, requirement: Requirement) -> RequirementView:
    evidence = {e.code: e for e in texts.catalogue.evidence_types}.get(requirement.evidence_type)
    return RequirementView(
        code=requirement.code,
        evidence_type=requirement.evidence_type,
        evidence_name=(
            requirement.evidence_type if evidence is None else texts.text(evidence.name)
        ),
        presentation=requirement.presentation,
        description=texts.optional(requirement.description),
        condition=texts.condition(requirement.when),
    )


def _channel(texts: _Texts, channel: ChannelKind) -> ChannelDetail:
    service = texts.service
    return ChannelDetail(
        channel=channel,
        time_limit=_limit(service.time_limit_for(channel)),
        service_norm=_limit(service.service_norm_for(channel)),
        requirements=tuple(_requirement(texts, r) for r in service.requirements_for(channel)),
        fees=tuple(_fee(texts, f) for f in service.fees_for(channel)),
    )


def service_detail(catalogue: Catalogue, service: Service, language: str, /) -> ServiceDetail:
    """Return *service* in full, its texts in *language* (with the catalogue's fallbacks).

    Raises:
        AgencyNotFound: If the catalogue lacks the service's agency (a checked
            catalogue never does).
    """
    texts = _Texts(catalogue, service, language)
    laws = {law.code: law for law in catalogue.legal_resources}
    return ServiceDetail(
        language=language,
        code=service.code,
        version=service.version,
        agency=service.agency,
        agency_name=texts.text(catalogue.agency(service.agency).name),
        name=texts.text(service.name),
        description=texts.optional(service.description),
        kind=service.kind,
        category=service.category,
        channels=tuple(_channel(texts, c) for c in service.channel_kinds),
        outputs=tuple(
            OutputView(
                code=o.code,
                name=texts.text(o.name),
                validity=None if o.validity is None else str(o.validity),
                digital=o.digital,
            )
            for o in service.outputs
        ),
        legal_basis=tuple(
            LegalBasisView(
                code=code,
                title=texts.optional(laws[code].title) if code in laws else None,
                uri=laws[code].uri if code in laws else None,
            )
            for code in service.legal_basis
        ),
        form=form_schema(service, language, fallbacks=catalogue.languages),
    )


@get(
    "/api/v1/services",
    return_dto=Body[ServiceList],
    tags=["catalogue"],
    responses=problem_responses(400),
    summary="List the services in effect now",
)
async def list_services(request: Request[Any, Any, Any], lang: Lang = None) -> ServiceList:
    """The services in effect now, in the caller's language."""
    catalogue = runtime_of(request).mall.catalogue
    language = language_of(catalogue, request, lang)
    now = datetime.now(UTC)
    services = sorted(catalogue.current_services(at=now), key=lambda s: s.code)
    return ServiceList(
        language=language,
        services=tuple(_summary(catalogue, service, language) for service in services),
    )


@get(
    "/api/v1/services/{code:str}",
    return_dto=Body[ServiceDetail],
    tags=["catalogue"],
    responses=problem_responses(400, 404),
    summary="Describe one service: requirements, fees and form per channel",
)
async def get_service(
    request: Request[Any, Any, Any], code: ServiceCode, lang: Lang = None
) -> ServiceDetail:
    """The version of service *code* in effect now, in the caller's language: per channel
    its time limits, requirements (with the conditions under which they apply, as rule
    source) and fees; its outputs and legal basis; and its form as a JSON Schema
    (draft 2020-12) of the ``answers`` a submission sends.  A well-formed code no
    service in effect has is a 404; a malformed one a 400."""
    catalogue = runtime_of(request).mall.catalogue
    language = language_of(catalogue, request, lang)
    service = catalogue.service(code, at=datetime.now(UTC))
    return service_detail(catalogue, service, language)


ROUTES = [list_services, get_service]
"""The catalogue's route handlers."""
