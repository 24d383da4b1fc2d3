"""The service catalogue: agencies, services and what each service needs, costs and takes.

Every class here is a frozen value object.  A `Service` is one immutable *version* of a
service: a catalogue can hold several versions of the same code, and
`Catalogue.service` answers which published version applies at a given time.
Checks that span the whole catalogue (dangling references, duplicate codes, missing
translations, a norm above the statutory limit) live in `onestop.domain.catalogue.checks`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

import attrs

from onestop.domain.catalogue.calendars import CalendarDeclaration
from onestop.domain.catalogue.fees import Fee, FeeTier
from onestop.domain.catalogue.fields import Choice, FieldType, FormField
from onestop.domain.catalogue.identity import IdentityScheme
from onestop.domain.catalogue.messages import Message
from onestop.domain.catalogue.retention import Retention
from onestop.domain.catalogue.rules import Explanation, Rule
from onestop.domain.common.contact_points import (
    MAX_ADDRESS,
    ContactKind,
    ContactPoint,
    LegalResource,
)
from onestop.domain.common.kinds import check_date, check_member, check_type, typed_fields
from onestop.domain.common.text import LocalizedText
from onestop.domain.common.values import Duration, Money, Period, totals
from onestop.domain.time.worktime import check_in_range
from onestop.domain.workflow.model import Workflow
from onestop.exceptions import AgencyNotFound, ServiceNotFound, WorkflowNotFound

__all__ = [
    "Agency",
    "AgencyKind",
    "Catalogue",
    "ChannelKind",
    "ChannelVariant",
    "Choice",
    "ContactKind",
    "ContactPoint",
    "EvidenceType",
    "Fee",
    "FeeTier",
    "FieldType",
    "FormField",
    "LegalResource",
    "LifeEvent",
    "LifeEventKind",
    "MAX_ADDRESS",
    "Output",
    "Presentation",
    "Requirement",
    "Retention",
    "Service",
    "ServiceKind",
    "VersionStatus",
]


class AgencyKind(enum.Enum):
    """What sort of body an agency is."""

    NATIONAL = "national"
    """A national ministry or agency (immigration, police, tax office)."""
    REGIONAL = "regional"
    """A regional government unit (a provincial one-stop investment office)."""
    STATE_OWNED = "state_owned"
    """A state-owned company."""
    REGION_OWNED = "region_owned"
    """A region-owned company."""
    OTHER = "other"
    """Anything else hosted in the mall."""


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Agency:
    """A body with counters in the mall; agencies form a tree through `parent`.

    Attributes:
        code: A stable code, unique in the catalogue.
        name: The agency's name in the catalogue's languages.
        kind: What sort of body it is.
        time_zone: An IANA zone, e.g. ``Asia/Jakarta``; deadlines are counted in it.
        parent: The parent agency's code, or ``None`` for a root.
        contacts: Phone numbers, e-mail addresses, websites and addresses.
    """

    code: str
    name: LocalizedText
    kind: AgencyKind
    time_zone: str
    parent: str | None = None
    contacts: tuple[ContactPoint, ...] = ()


class ServiceKind(enum.Enum):
    """Whether a service issues a licence or permit."""

    LICENSING = "licensing"
    NON_LICENSING = "non_licensing"


class ChannelKind(enum.Enum):
    """Through which channel an application arrives and its result leaves."""

    COUNTER = "counter"
    ONLINE = "online"
    COURIER = "courier"
    """Pickup at the applicant's home and delivery of the result (Jakarta's AJIB)."""
    POST = "post"


class Presentation(enum.Enum):
    """How a piece of evidence is presented."""

    UPLOAD = "upload"
    SHOW_ORIGINAL = "show_original"
    """The original is shown at the counter and handed back."""
    SIGN_ON_COLLECTION = "sign_on_collection"
    HAND_TO_COURIER = "hand_to_courier"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class EvidenceType:
    """A kind of document or proof, shared by many services (an identity card, a deed)."""

    code: str
    name: LocalizedText
    description: LocalizedText | None = None


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Requirement:
    """Evidence an applicant must give, how, and when it applies.

    Attributes:
        code: Unique within the service.
        evidence_type: The code of the catalogue's evidence type.
        presentation: The accepted ways of presenting it.
        description: Extra explanation for the applicant.
        when: A condition over the form's answers; ``None`` means always.
    """

    code: str
    evidence_type: str
    presentation: tuple[Presentation, ...] = (Presentation.UPLOAD,)
    description: LocalizedText | None = None
    when: Rule | None = None

    def applies(self, answers: Mapping[str, object], /) -> Explanation:
        """Return whether this requirement applies to *answers*, and why.

        Raises:
            InvalidValue: If *answers* is not a mapping.
        """
        check_type(answers, Mapping, field="answers")
        if self.when is None:
            return Explanation(value=True, text="always required")
        return self.when.evaluate(answers)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Output:
    """What a service issues: a permit, a card, a certificate.

    Attributes:
        code: Unique within the service.
        name: What it is called.
        validity: How long it stays valid, or ``None`` if it does not expire.
        digital: Whether it is issued electronically.
    """

    code: str
    name: LocalizedText
    validity: Period | None = None
    digital: bool = False


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class ChannelVariant:
    """A channel a service is offered through, with what differs on that channel.

    Any of `requirements`, `fees`, `time_limit` and `service_norm` left as ``None``
    falls back to the service's own value.
    """

    channel: ChannelKind
    requirements: tuple[Requirement, ...] | None = None
    fees: tuple[Fee, ...] | None = None
    time_limit: Duration | None = None
    service_norm: Duration | None = None


class VersionStatus(enum.Enum):
    """Where a service version is in its life."""

    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class LifeEventKind(enum.Enum):
    """Whether an event belongs to a person's life or a business's life."""

    LIFE = "life"
    BUSINESS = "business"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class LifeEvent:
    """A life or business event that groups services (having a baby, starting a business)."""

    code: str
    name: LocalizedText
    kind: LifeEventKind = LifeEventKind.LIFE


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Service:
    """One immutable version of a service an agency provides.

    Attributes:
        code: The service's stable code, shared by all its versions.
        version: A positive number; higher is newer.
        status: Draft, published or retired.
        effective_from: The first day (in the agency's time zone) it applies.
        effective_until: The first day it no longer applies, or ``None``.
        agency: The providing agency's code.
        name: The service's name.
        kind: Licensing or non-licensing.
        time_limit: The statutory time limit.
        service_norm: The published service standard; never above `time_limit`.
        channels: The channels it is offered through, with per-channel variants.
        description: A longer explanation.
        category: A grouping code, e.g. ``immigration``.
        keywords: Search terms in any language.
        life_events: Codes of the life or business events it belongs to.
        legal_basis: Codes of the legal resources it rests on.
        outputs: What it issues.
        fees: What it costs, unless a channel variant says otherwise.
        form: The application form's fields.
        requirements: The evidence it needs, unless a channel variant says otherwise.
        workflow: The code of the workflow its applications move through.
        retention: How long its applications' personal data is kept once closed, or
            ``None`` for the catalogue's default (`onestop.domain.catalogue.retention`).
    """

    code: str
    version: int
    status: VersionStatus
    effective_from: date
    agency: str
    name: LocalizedText
    kind: ServiceKind
    time_limit: Duration
    service_norm: Duration
    channels: tuple[ChannelVariant, ...]
    effective_until: date | None = None
    description: LocalizedText | None = None
    category: str | None = None
    keywords: tuple[str, ...] = ()
    life_events: tuple[str, ...] = ()
    legal_basis: tuple[str, ...] = ()
    outputs: tuple[Output, ...] = ()
    fees: tuple[Fee, ...] = ()
    form: tuple[FormField, ...] = ()
    requirements: tuple[Requirement, ...] = ()
    workflow: str | None = None
    retention: Retention | None = None

    def channel(self, kind: ChannelKind, /) -> ChannelVariant | None:
        """Return the variant for channel *kind*, or ``None`` if not offered there.

        *kind* may be a `ChannelKind` or its value (``"online"``), here and in every
        method that takes a channel.

        Raises:
            InvalidValue: If *kind* is neither.
        """
        wanted = check_member(ChannelKind, kind, field="channel")
        return next((c for c in self.channels if c.channel is wanted), None)

    @property
    def channel_kinds(self) -> tuple[ChannelKind, ...]:
        """The channels this service is offered through."""
        return tuple(c.channel for c in self.channels)

    def requirements_for(self, channel: ChannelKind, /) -> tuple[Requirement, ...]:
        """The requirements on *channel*: the variant's if it overrides them."""
        variant = self.channel(channel)
        if variant is not None and variant.requirements is not None:
            return variant.requirements
        return self.requirements

    def fees_for(self, channel: ChannelKind, /) -> tuple[Fee, ...]:
        """The fees on *channel*: the variant's if it overrides them."""
        variant = self.channel(channel)
        if variant is not None and variant.fees is not None:
            return variant.fees
        return self.fees

    def time_limit_for(self, channel: ChannelKind, /) -> Duration:
        """The statutory limit on *channel*."""
        variant = self.channel(channel)
        return variant.time_limit if variant and variant.time_limit else self.time_limit

    def service_norm_for(self, channel: ChannelKind, /) -> Duration:
        """The service norm on *channel*."""
        variant = self.channel(channel)
        return variant.service_norm if variant and variant.service_norm else self.service_norm

    def applicable_requirements(
        self, channel: ChannelKind, answers: Mapping[str, object], /
    ) -> tuple[tuple[Requirement, Explanation], ...]:
        """Every requirement on *channel* with the explanation of whether it applies.

        Raises:
            InvalidValue: If *channel* is not a channel, or *answers* not a mapping.
        """
        check_type(answers, Mapping, field="answers")
        return tuple((r, r.applies(answers)) for r in self.requirements_for(channel))

    def fees_due(self, channel: ChannelKind, answers: Mapping[str, object], /) -> tuple[Money, ...]:
        """The amounts due on *channel* for *answers*.

        Raises:
            InvalidValue: If *channel* is not a channel, or *answers* not a mapping.
        """
        check_type(answers, Mapping, field="answers")
        due = (fee.due(answers) for fee in self.fees_for(channel))
        return tuple(m for m in due if m is not None)

    def fees_total(
        self, channel: ChannelKind, answers: Mapping[str, object], /
    ) -> tuple[Money, ...]:
        """What `fees_due` adds up to, one total per currency (`values.totals`).

        A fee quoted in riel and in US dollars gives a total in each, never one sum.

        Raises:
            InvalidValue: If *channel* is not a channel, or *answers* not a mapping.
        """
        return totals(self.fees_due(channel, answers))

    def field(self, name: str, /) -> FormField | None:
        """Return the form field called *name*, or ``None``."""
        return next((f for f in self.form if f.name == name), None)

    def in_effect_on(self, day: date, /) -> bool:
        """Return whether this version is published and in effect on *day*.

        Raises:
            InvalidValue: If *day* is not a `date` (a `datetime` is not one here).
        """
        check_date(day, field="day")
        if self.status is not VersionStatus.PUBLISHED or day < self.effective_from:
            return False
        return self.effective_until is None or day < self.effective_until

    def texts(self) -> Iterator[LocalizedText]:
        """Every localized text of this service, for search."""
        yield self.name
        if self.description is not None:
            yield self.description
        for output in self.outputs:
            yield output.name


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Catalogue:
    """A mall's whole catalogue; build it in Python or load it (`onestop.usecases.catalogue`).

    Attributes:
        name: The mall's name.
        languages: Declared languages (BCP 47), the first the default; texts give each.
        agencies: The agency tree, flattened.
        evidence_types: The kinds of evidence requirements refer to; legal_resources, the
            laws services and fees rest on; life_events, the events that group services.
        services: Every version of every service.
        workflows: The workflows services refer to.
        retention: The retention of services that set none, or ``None``.
        identity_schemes: Identity numbering schemes declared as data.
        messages: Overrides and extensions of onestop's own texts (``[[messages]]``).
        calendars: The declared work calendars (`onestop.domain.catalogue.calendars`).
    """

    name: LocalizedText
    languages: tuple[str, ...]
    agencies: tuple[Agency, ...] = ()
    evidence_types: tuple[EvidenceType, ...] = ()
    legal_resources: tuple[LegalResource, ...] = ()
    life_events: tuple[LifeEvent, ...] = ()
    services: tuple[Service, ...] = ()
    workflows: tuple[Workflow, ...] = ()
    retention: Retention | None = None
    identity_schemes: tuple[IdentityScheme, ...] = ()
    messages: tuple[Message, ...] = ()
    calendars: tuple[CalendarDeclaration, ...] = ()

    @property
    def default_language(self) -> str:
        """The first declared language."""
        return self.languages[0]

    def agency(self, code: str, /) -> Agency:
        """Return the agency with *code*, or raise `AgencyNotFound`."""
        for agency in self.agencies:
            if agency.code == code:
                return agency
        raise AgencyNotFound(code)

    def lineage(self, code: str, /) -> tuple[str, ...]:
        """Return *code*, its parent's, ... up to the root (a parent loop is cut).

        Raises:
            AgencyNotFound: If the catalogue has no agency *code*.
        """
        found = [self.agency(code).code]
        parents = {agency.code: agency.parent for agency in self.agencies}
        parent = parents.get(found[-1])
        while parent is not None and parent not in found and parent in parents:
            found.append(parent)
            parent = parents[parent]
        return tuple(found)

    def subagencies(self, code: str, /) -> tuple[Agency, ...]:
        """Return the agency *code* and every agency below it in the tree."""
        self.agency(code)
        found: list[Agency] = []
        frontier = {code}
        seen: set[str] = set()
        while frontier:
            seen |= frontier
            found.extend(a for a in self.agencies if a.code in frontier)
            frontier = {a.code for a in self.agencies if a.parent in frontier} - seen
        return tuple(found)

    def workflow(self, code: str, /) -> Workflow:
        """Return the workflow with *code*, or raise `WorkflowNotFound`."""
        for workflow in self.workflows:
            if workflow.code == code:
                return workflow
        raise WorkflowNotFound(code)

    def service_codes(self) -> tuple[str, ...]:
        """Every distinct service code, in catalogue order."""
        return tuple(dict.fromkeys(s.code for s in self.services))

    def versions(self, code: str, /) -> tuple[Service, ...]:
        """Every version of service *code*, oldest first."""
        return tuple(sorted((s for s in self.services if s.code == code), key=lambda s: s.version))

    def service(self, code: str, /, *, at: datetime) -> Service:
        """Return the published version of service *code* in effect at *at*.

        *at* must be timezone-aware; the effective dates are read in the providing
        agency's time zone.  When several published versions are in effect, the
        highest version wins.

        Raises:
            ServiceNotFound: If there is no such service, or none is in effect then; its
                ``known`` are the codes of the services in effect then.
            NaiveDatetime: If *at* has no time zone.
            DateOutOfRange: If *at* lies too near the year 1 or 9999 for every time zone
                to read (`onestop.domain.time.worktime.check_in_range`).
        """
        check_in_range(at, "at")
        candidates = [
            s for s in self.versions(code) if s.in_effect_on(self._local_date(s.agency, at))
        ]
        if not candidates:  # known: what is public then, never a draft's or a retired code
            in_effect = tuple(s.code for s in self.current_services(at=at))
            raise ServiceNotFound(code, at=at, known=in_effect)
        return candidates[-1]

    def current_services(self, *, at: datetime) -> tuple[Service, ...]:
        """The version of each service in effect at *at* (services with none are left out).

        Each service is the one `service` returns for its code, in `service_codes` order;
        the versions are grouped in one pass, so a catalogue of N services costs O(N).

        Raises:
            NaiveDatetime: If *at* has no time zone.
            DateOutOfRange: If *at* lies too near the year 1 or 9999 for every time zone
                to read.
        """
        check_in_range(at, "at")
        by_code: dict[str, list[Service]] = {}
        for service in self.services:
            by_code.setdefault(service.code, []).append(service)
        days: dict[str, date] = {}  # the local date of *at* per agency
        found = []
        for versions in by_code.values():
            in_effect = []
            for s in versions:
                if s.agency not in days:
                    days[s.agency] = self._local_date(s.agency, at)
                if s.in_effect_on(days[s.agency]):
                    in_effect.append(s)
            if in_effect:  # the highest version wins; sorted() keeps `versions`' tie order
                found.append(sorted(in_effect, key=lambda s: s.version)[-1])
        return tuple(found)

    def find(
        self,
        *,
        at: datetime,
        agency: str | None = None,
        channel: ChannelKind | None = None,
        kind: ServiceKind | None = None,
        life_event: str | None = None,
        text: str | None = None,
        include_subagencies: bool = True,
    ) -> tuple[Service, ...]:
        """Services in effect at *at* that match every filter given.

        Args:
            at: The moment that decides which version of each service applies.
            agency: An agency code; with *include_subagencies*, its subtree counts too.
            channel: Only services offered through this channel.
            kind: Only licensing or only non-licensing services.
            life_event: Only services grouped under this life or business event.
            text: Words that must each appear, ignoring case, in a name, description,
                output name or keyword, in any language.
            include_subagencies: Whether *agency* includes the agencies below it.

        Raises:
            AgencyNotFound: If there is no agency *agency*.
            InvalidValue: If *channel*, *kind* or *text* is not of its type.
            NaiveDatetime: If *at* has no time zone.
            DateOutOfRange: If *at* lies too near the year 1 or 9999.
        """
        check_in_range(at, "at")
        if channel is not None:
            channel = check_member(ChannelKind, channel, field="channel")
        if kind is not None:
            kind = check_member(ServiceKind, kind, field="kind")
        check_type(text, (str, type(None)), field="text")
        agencies: set[str] | None = None
        if agency is not None:
            tree = self.subagencies(agency) if include_subagencies else (self.agency(agency),)
            agencies = {a.code for a in tree}
        words = text.split() if text else []
        return tuple(
            s
            for s in self.current_services(at=at)
            if (agencies is None or s.agency in agencies)
            and (channel is None or channel in s.channel_kinds)
            and (kind is None or s.kind is kind)
            and (life_event is None or life_event in s.life_events)
            and all(_mentions(s, w) for w in words)
        )

    def _local_date(self, agency_code: str, at: datetime) -> date:
        try:
            zone = ZoneInfo(self.agency(agency_code).time_zone)
        except (AgencyNotFound, ValueError, KeyError):
            return at.date()
        return at.astimezone(zone).date()


def _mentions(service: Service, word: str) -> bool:
    folded = word.casefold()
    if any(folded in k.casefold() for k in service.keywords):
        return True
    return any(text.matches(word) for text in service.texts())
