"""The catalogue as a CPSV-AP 3.2.0 JSON-LD document, for EU-style service catalogues.

`to_jsonld` describes every service version in effect at a moment, with the agencies,
evidence, costs, channels, laws, outputs and life events it refers to, as one JSON-LD
document: an inline ``@context`` (prefixes only, so no processor has to fetch
anything) and an ``@graph`` of nodes whose keys are compact IRIs such as
``dct:title`` and ``cv:hasCost``.  The result is plain dicts and lists, ready for
`json.dumps`.  `iter_jsonld` gives the same document as JSON text, a service at a
time, so that a catalogue of ten thousand services is written in a few megabytes of
memory instead of hundreds.

**Safety.**  A value is written exactly, or the export refuses the catalogue with one
`InvalidCatalogue` listing every problem by path; nothing is dropped silently.  A
link (a contact page, a law's address, *spatial*) must be an absolute ``http``,
``https``, ``mailto`` or ``tel`` URI without white space or hidden characters, so a
``javascript:`` or ``file:`` link is refused; *base* may also be a ``urn:``.  An
e-mail address must be one address of valid syntax
(`onestop.domain.common.contacts.normalise_email`), written as given.
No value holds a control character or a lone surrogate, and only descriptions hold
line breaks.

Node ids are stable IRIs under *base*, built from codes, so two exports of the same
catalogue agree and a harvester can follow a service across exports.  Give the
government's own base, such as ``https://data.example.gov/id/``.  By default
(`default_base`) it is ``urn:onestop:<country>:``, the ISO 3166-1 code of the mall's
work calendar in lower case (``urn:onestop:kh:``), so that two countries' exports loaded
into one graph keep their agencies, evidence types and life events apart: with one
shared base, Cambodia's and Egypt's ``moi`` would be one organisation with two
identifiers.  Two malls of one country, or a catalogue with no mall calendar (whose
default is the bare ``urn:onestop:``), need a base of their own before their exports
are harvested together:

==========================================  ============================================
``<base>service:<code>:v<version>``         a ``cpsv:PublicService`` (one per version)
``<service id>:channel:<kind>``             its ``cv:Channel`` nodes
``<service id>:requirement:<code>``         its ``cv:Requirement`` nodes
``<requirement id>:rule``                   the ``cpsv:Rule`` of a conditional requirement
``<service id>:evidence:<code>``            the ``cv:Evidence`` of each requirement
``<service id>:cost:<code>``                its ``cv:Cost`` nodes
``<cost id>:rule``                          the ``cpsv:Rule`` of a conditional cost
``<service id>:output:<code>``              its ``cv:Output`` nodes
``<service id>:channel:<kind>:...``         requirements, evidence and costs that a
                                            channel variant overrides
``<base>agency:<code>``                     a ``cv:PublicOrganisation``
``<base>agency:<code>:contact-point``       its ``cv:ContactPoint``, if it has contacts
``<base>evidence-type:<code>``              a ``cv:EvidenceType``
``<base>legal-resource:<code>``             an ``eli:LegalResource`` (its ``uri`` if set)
``<base>event:<code>``                      a ``cv:LifeEvent`` or ``cv:BusinessEvent``
``<base>channel-type:<kind>``               a ``skos:Concept`` naming a channel kind
==========================================  ============================================

**Extensions.**  Where CPSV-AP has no property, the export says it in the
``onestop:`` namespace (`ONESTOP_NAMESPACE`), so nothing is written as something it
is not:

* **Working time.**  ``cv:processingTime`` is an ``xsd:duration``, in calendar time;
  our durations count *working* days or hours of the agency's calendar.  So a
  service (and a channel variant that sets its own) carries ``onestop:serviceNorm``
  and ``onestop:timeLimit`` (the statutory limit) instead, each a literal of the
  datatype ``onestop:workingDuration`` whose text is ISO 8601: "3 working days" is
  ``{"@value": "P3D", "@type": "onestop:workingDuration"}``, "8 working hours"
  ``PT8H``.  No ``cv:processingTime`` is written: ``P3D`` would say three calendar
  days, and no calendar duration is right either.  How many calendar days 15 working
  days take depends on the day the application is received and on closures, some
  declared only in the year they happen (moving religious holidays, a one-off
  closure), so a bound computed from the calendar at export time could be exceeded
  by a later application, and one safe for every day would be loose enough to
  mislead.  A harvester that shows a processing time should show the working time.
* **Conditions.**  A requirement or a fee with a ``when`` rule gets a ``cpsv:Rule``
  node whose ``onestop:expression`` holds the rule as written
  (``applicant_type == "company"``), as does its ``dct:description``, the same text
  tagged with each of the catalogue's languages; its ``dct:title`` is the title of what
  it conditions (the requirement's evidence type, the fee's label).  The requirement
  points to it with ``cv:fulfils`` and the cost (CPSV-AP has no property there) with
  ``onestop:appliesWhen``, which the requirement carries too; the service lists its
  rules with ``cpsv:follows``.  A requirement or cost without one always applies.

What CPSV-AP cannot say, and so is lost or approximated:

* **Presentation.**  How evidence may be presented (upload, original shown at the
  counter...) is left out.
* **Channel variants.**  A fee a variant sets is a ``cv:Cost`` with
  ``cv:ifAccessedThrough`` its channel, but the service's own costs carry no
  channel, so nothing says that the variant's fees *replace* them there.  Each
  ``cv:Channel`` lists the evidence needed on it (``cpsv:hasInput``); the service
  holds every requirement of every channel.
* **Tiered fees.**  A `Fee` with tiers or an amount per unit has no single value:
  its ``cv:Cost`` carries the label and currency but no ``cv:hasValue``.  A fee
  quoted in several currencies (one code, one fee per currency) is one ``cv:Cost``
  per currency, whose IRI ends in the currency (``cost:fee:USD``).
* **Amounts** go in ``cv:hasValue`` as the exact decimal text (``"50000"``,
  ``"12.50"``, never a JSON float), typed ``xsd:double`` because the 3.2.0 SHACL
  shapes require that datatype; ``"12.50"`` is a valid ``xsd:double`` literal.
* **Keywords** are search terms in any language, but the 3.x shapes want them
  tagged: each is tagged with the catalogue's first language, trimmed, its white space
  collapsed, and written once, as the Open311 export lists them (but for commas, which
  Open311's comma-separated list turns into spaces).
* **Descriptions.**  The shapes require one on a service; ours is optional, so a
  service without one (or without one in some language) is described by its title
  (in that language).
* **Outputs'** validity and digital flag, postal addresses of agencies, form
  fields and workflows have no CPSV-AP counterpart here.
* **Retention** of personal data (a service's ``[retention]``) has no CPSV-AP
  property (``dct:temporal`` and ``cv:processingTime`` mean other things), so it is
  not exported.
* **Contacts** are written as the catalogue gives them (``cv:email``,
  ``cv:telephone``): they are meant to be the office's desk numbers and shared
  mailboxes, but the export cannot tell an officer's own number or address from
  them, and a harvester republishes them.
* **Channel kinds** have no EU code list we can point to, so they are
  ``skos:Concept`` nodes of our own, inside the graph.
* **Spatial coverage.**  CPSV-AP wants ``dct:spatial`` on each public organisation;
  the catalogue does not record it, so pass *spatial* to state it for all of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Final

from onestop.domain.catalogue.checks import language_count_problem
from onestop.domain.catalogue.model import (
    Catalogue,
    ChannelKind,
    ChannelVariant,
    Fee,
    Requirement,
    Service,
    VersionStatus,
)
from onestop.domain.common.formats import check_int, kind_of
from onestop.domain.common.values import Duration
from onestop.exceptions import InvalidValue
from onestop.interop import _json
from onestop.interop._cpsv_nodes import (
    Ids,
    Known,
    Node,
    agency_nodes,
    channel_type_nodes,
    duration_text,
    event_node,
    evidence_type_node,
    legal_resource_nodes,
    put,
    quoted,
    ref,
    refs,
    rule_node,
    tagged,
    texts,
    texts_or,
    working_time,
)
from onestop.interop._keywords import cleaned
from onestop.interop._safety import (
    catalogue_shape,
    check_arguments,
    check_base,
    check_items,
    check_link,
    checked,
    link_problems,
    refuse_problems,
    shaped,
)

__all__ = [
    "ADMS_STATUS",
    "CONTEXT",
    "CPSV_AP_VERSION",
    "CURRENCY_AUTHORITY",
    "DEFAULT_BASE",
    "ONESTOP_NAMESPACE",
    "default_base",
    "iso_duration",
    "iter_jsonld",
    "to_jsonld",
]

CPSV_AP_VERSION: Final = "3.2.0"
"""The CPSV-AP release the export follows."""

ONESTOP_NAMESPACE: Final = "https://onestop-mall.readthedocs.io/ns/cpsv#"
"""The namespace of the export's extensions (the ``onestop:`` prefix): what CPSV-AP
cannot say, see "Extensions" in the module docstring."""

DEFAULT_BASE: Final = "urn:onestop:"
"""The prefix of `default_base`: the whole base of a catalogue that declares no country."""

CONTEXT: Final[Mapping[str, str]] = {
    "adms": "http://www.w3.org/ns/adms#",
    "cpsv": "http://purl.org/vocab/cpsv#",
    "cv": "http://data.europa.eu/m8g/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "eli": "http://data.europa.eu/eli/ontology#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "onestop": ONESTOP_NAMESPACE,
    "org": "http://www.w3.org/ns/org#",
    "schema": "https://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
"""The prefixes of the inline ``@context``; every key and type uses one of them."""

CURRENCY_AUTHORITY: Final = "http://publications.europa.eu/resource/authority/currency/"
"""The EU currency authority table; an ISO 4217 code appended names a currency."""

ADMS_STATUS: Final[Mapping[VersionStatus, str]] = {
    VersionStatus.DRAFT: "http://purl.org/adms/status/UnderDevelopment",
    VersionStatus.PUBLISHED: "http://purl.org/adms/status/Completed",
    VersionStatus.RETIRED: "http://purl.org/adms/status/Withdrawn",
}
"""The ``adms:status`` of a service version, from the ADMS status vocabulary."""

_MULTILINE: Final = frozenset({"dct:description"})
"""The properties whose text may hold line breaks: descriptions."""


def to_jsonld(
    catalogue: Catalogue,
    *,
    at: datetime,
    base: str | None = None,
    spatial: str | None = None,
) -> dict[str, Any]:
    """Return a CPSV-AP 3.2.0 JSON-LD document of the services in effect at *at*.

    The ``@graph`` holds a ``cpsv:PublicService`` for each service's version in
    effect at *at*, linked to its channels, requirements and evidence, costs,
    outputs, laws, life events and competent authority, plus every agency, evidence
    type, law and life event of the catalogue.  Text is given in every language the
    catalogue has it in, as ``{"@value", "@language"}`` lists.  See the module
    docstring for what CPSV-AP cannot express.

    The whole document is built in memory; for a large catalogue, write it with
    `iter_jsonld` instead, which gives the same text a piece at a time.

    Args:
        catalogue: The catalogue to describe.
        at: A timezone-aware moment; services with no version in effect are left out.
        base: The IRI prefix of every node id: an ``http:`` or ``https:`` IRI ending
            in ``/`` or ``#`` (``https://data.example.gov/id/``), or a ``urn:`` ending
            in ``:``; `default_base` of *catalogue* if ``None``.
        spatial: An IRI of the territory the agencies cover, e.g.
            ``http://publications.europa.eu/resource/authority/country/IDN``; set as
            ``dct:spatial`` on every public organisation.

    Raises:
        NaiveDatetime: If *at* is naive (a `ValueError`).
        DateOutOfRange: If *at* lies outside 0001-01-02 .. 9999-12-30 UTC.
        InvalidValue: If *catalogue* is not a `Catalogue`, or *base* or *spatial* is
            not a link the export may write.
        InvalidCatalogue: If the catalogue holds a link, e-mail address or text the
            export may not write (see "Safety" in the module docstring); every one is
            listed.  Or if it declares more than
            `onestop.domain.catalogue.checks.MAX_LANGUAGES` languages, since each text is
            written in each (a loaded catalogue never does).
    """
    export = _Export(catalogue, at=at, base=base, spatial=spatial)
    graph = [node for group in export.groups() for node in group]
    check_items(graph, multiline=_MULTILINE, prefix="@graph", identifier="dct:identifier")
    return {"@context": dict(CONTEXT), "@graph": graph}


def iter_jsonld(
    catalogue: Catalogue,
    *,
    at: datetime,
    base: str | None = None,
    spatial: str | None = None,
    indent: int | None = 2,
) -> Iterator[str]:
    """Yield the document `to_jsonld` returns as JSON text, a few nodes at a time.

    Joined, the pieces are exactly ``json.dumps(to_jsonld(...), ensure_ascii=False,
    indent=indent)``, but the document is never held in memory: each service's nodes
    are built, checked, written and dropped in turn.  Write them to a file with
    ``out.writelines(iter_jsonld(catalogue, at=at))``.
    The arguments are those of `to_jsonld`, plus *indent* (``None`` for one line).

    Raises:
        NaiveDatetime, DateOutOfRange, InvalidValue: As `to_jsonld`, at once, and
            `InvalidCatalogue` at once for a link or an e-mail address; for text, while
            iterating: nothing more is yielded from the first group of nodes with a
            problem on, and the error, raised once every node was checked, lists them
            all.  What was written before it is incomplete.
    """
    if indent is not None:
        check_int(indent, field="indent", maximum=16)
    export = _Export(catalogue, at=at, base=base, spatial=spatial)

    def encode(node: Mapping[str, Any]) -> str:
        return _json.dumps(node, indent=indent, level=2)

    groups = checked(
        export.groups(),
        encode=encode,
        multiline=_MULTILINE,
        prefix="@graph",
        identifier="dct:identifier",
    )
    return _json.document({"@context": dict(CONTEXT)}, "@graph", groups, indent=indent)


def default_base(catalogue: Catalogue) -> str:
    """Return the base node ids get when none is given: ``urn:onestop:<country>:``.

    *country* is the ISO 3166-1 code of the mall's work calendar (its first version
    that names one), in lower case, so that two countries' exports do not share node
    ids.  A catalogue with no mall calendar gets the bare `DEFAULT_BASE`, which any
    other such catalogue shares: give it a base of its own.

    Raises:
        InvalidValue: If *catalogue* is not a `Catalogue`.
    """
    if not isinstance(catalogue, Catalogue):
        raise InvalidValue(
            field="catalogue", reason=f"expected a Catalogue, not {kind_of(catalogue)}"
        )
    countries = (
        declaration.country
        for declaration in sorted(catalogue.calendars, key=lambda d: d.version)
        if declaration.agency is None and declaration.country
    )
    country = next(countries, None)
    return DEFAULT_BASE if country is None else f"{DEFAULT_BASE}{quoted(country.lower())}:"


class _Export:
    """One export: its checked arguments, and its nodes, built a group at a time."""

    def __init__(
        self, catalogue: Catalogue, *, at: datetime, base: str | None, spatial: str | None
    ) -> None:
        self.at = check_arguments(catalogue, at)
        base = check_base(default_base(catalogue) if base is None else base)
        if spatial is not None:
            check_link(spatial, "spatial")
        with catalogue_shape():
            too_many = language_count_problem(catalogue.languages)  # each text in each
            refuse_problems([too_many] if too_many is not None else link_problems(catalogue))
        self.catalogue = catalogue
        self.ids = Ids(base)
        self.spatial = spatial

    def groups(self) -> Iterator[list[Node]]:
        """Yield the graph's nodes in groups: an agency and its contact point, a service
        and the nodes it owns, or one shared node (read inside `catalogue_shape`)."""
        return shaped(self._groups())

    def _groups(self) -> Iterator[list[Node]]:
        catalogue, ids = self.catalogue, self.ids
        current = catalogue.current_services(at=self.at)
        known = Known(catalogue, ids)
        yield from agency_nodes(catalogue, ids, self.spatial)
        for evidence_type in catalogue.evidence_types:
            yield [evidence_type_node(evidence_type, ids)]
        yield legal_resource_nodes(catalogue.legal_resources, ids)
        for event in catalogue.life_events:
            yield [event_node(event, current, ids)]
        yield channel_type_nodes(ids)
        for service in current:
            yield _ServiceExport(service, known, ids).nodes()


def iso_duration(duration: Duration, /) -> str:
    """Return *duration* as an ISO 8601 duration, dropping "working".

    The export does not write this as ``cv:processingTime`` (it would mean calendar
    time); it types the same text ``onestop:workingDuration``.

    >>> iso_duration(Duration.working_days(5))
    'P5D'
    >>> iso_duration(Duration.working_hours(8))
    'PT8H'

    Raises:
        InvalidValue: If *duration* is not a `Duration`.
    """
    if not isinstance(duration, Duration):
        raise InvalidValue(field="duration", reason=f"expected a Duration, not {kind_of(duration)}")
    return duration_text(duration)


def _decimal_text(fee: Fee) -> str | None:
    return None if fee.amount is None or fee.per_unit is not None else format(fee.amount, "f")


class _ServiceExport:
    """The nodes of one service version: the service and everything it owns."""

    def __init__(self, service: Service, known: Known, ids: Ids) -> None:
        self.service = service
        self.known = known
        self.ids = ids
        self.id = ids.service(service)

    def nodes(self) -> list[Node]:
        service, owned = self._service_node(), self._owned_nodes()
        by_type: dict[str, list[str]] = {}
        for node in owned:
            by_type.setdefault(node["@type"], []).append(node["@id"])
        put(service, "cv:holdsRequirement", refs(by_type.get("cv:Requirement", [])))
        put(service, "cpsv:hasInput", refs(by_type.get("cv:Evidence", [])))
        put(service, "cv:hasCost", refs(by_type.get("cv:Cost", [])))
        put(service, "cv:hasChannel", refs(by_type.get("cv:Channel", [])))
        put(service, "cpsv:produces", refs(by_type.get("cv:Output", [])))
        put(service, "cpsv:follows", refs(by_type.get("cpsv:Rule", [])))
        return [service, *owned]

    def _service_node(self) -> Node:
        service, ids = self.service, self.ids
        node: Node = {
            "@id": self.id,
            "@type": "cpsv:PublicService",
            "dct:identifier": service.code,
            "schema:version": str(service.version),
            "dct:title": texts(service.name),
        }
        put(node, "dct:description", texts_or(service.description, service.name))
        language = self.known.language
        put(
            node,
            "dcat:keyword",
            [{"@value": k, "@language": language} for k in cleaned(service.keywords)],
        )
        if service.agency in self.known.agencies:
            node["cv:hasCompetentAuthority"] = ref(ids.agency(service.agency))
        if service.agency in self.known.contact_points:
            node["cv:contactPoint"] = ref(ids.contact_point(service.agency))
        input_types = dict.fromkeys(
            ids.evidence_type(r.evidence_type)
            for r in self._all_requirements()
            if r.evidence_type in self.known.evidence_types
        )
        put(node, "cv:hasInputType", refs(input_types))
        laws = (self.known.laws[code] for code in service.legal_basis if code in self.known.laws)
        put(node, "cv:hasLegalResource", refs(laws))
        events = (ids.event(code) for code in service.life_events if code in self.known.events)
        put(node, "cv:isGroupedBy", refs(events))
        node["onestop:serviceNorm"] = working_time(service.service_norm)
        node["onestop:timeLimit"] = working_time(service.time_limit)
        node["adms:status"] = ref(ADMS_STATUS[service.status])
        return node

    def _all_requirements(self) -> list[Requirement]:
        found = list(self.service.requirements)
        for variant in self.service.channels:
            found.extend(variant.requirements or ())
        return found

    def _owned_nodes(self) -> list[Node]:
        nodes: list[Node] = []
        for variant in self.service.channels:
            nodes.append(self._channel_node(variant))
        for requirement in self.service.requirements:
            nodes.extend(self._requirement_nodes(requirement, self.id))
        for fee in self.service.fees:
            nodes.extend(self._cost_nodes(fee, self.id, channel=None, fees=self.service.fees))
        for variant in self.service.channels:
            prefix = self._channel_id(variant.channel)
            for requirement in variant.requirements or ():
                nodes.extend(self._requirement_nodes(requirement, prefix))
            for fee in variant.fees or ():
                nodes.extend(self._cost_nodes(fee, prefix, channel=prefix, fees=variant.fees or ()))
        for output in self.service.outputs:
            nodes.append(
                {
                    "@id": f"{self.id}:output:{quoted(output.code)}",
                    "@type": "cv:Output",
                    "dct:identifier": output.code,
                    "dct:title": texts(output.name),
                }
            )
        return nodes

    def _channel_id(self, kind: ChannelKind) -> str:
        return f"{self.id}:channel:{kind.value}"

    def _channel_node(self, variant: ChannelVariant) -> Node:
        channel_id = self._channel_id(variant.channel)
        node: Node = {
            "@id": channel_id,
            "@type": "cv:Channel",
            "dct:identifier": f"{self.service.code}:{variant.channel.value}",
            "dct:type": ref(self.ids.channel_type(variant.channel)),
        }
        owner = channel_id if variant.requirements is not None else self.id
        evidence = (
            _evidence_id(owner, requirement.code)
            for requirement in self.service.requirements_for(variant.channel)
        )
        put(node, "cpsv:hasInput", refs(evidence))
        if variant.service_norm is not None:
            node["onestop:serviceNorm"] = working_time(variant.service_norm)
        if variant.time_limit is not None:
            node["onestop:timeLimit"] = working_time(variant.time_limit)
        return node

    def _requirement_nodes(self, requirement: Requirement, owner: str) -> list[Node]:
        requirement_id = f"{owner}:requirement:{quoted(requirement.code)}"
        evidence_id = _evidence_id(owner, requirement.code)
        evidence_type = self.known.evidence_types.get(requirement.evidence_type)
        title = texts(evidence_type.name) if evidence_type else []
        requirement_node: Node = {
            "@id": requirement_id,
            "@type": "cv:Requirement",
            "dct:identifier": requirement.code,
            "cv:hasSupportingEvidence": [ref(evidence_id)],
        }
        put(requirement_node, "dct:title", title)
        if requirement.description is not None:
            put(requirement_node, "dct:description", texts(requirement.description))
        evidence_node: Node = {
            "@id": evidence_id,
            "@type": "cv:Evidence",
            "dct:identifier": requirement.code,
            "cv:supportsRequirement": [ref(requirement_id)],
        }
        put(evidence_node, "dct:title", title)
        if evidence_type is not None:
            evidence_node["dct:conformsTo"] = [ref(self.ids.evidence_type(evidence_type.code))]
        if requirement.when is None:
            return [requirement_node, evidence_node]
        rule_id = f"{requirement_id}:rule"
        requirement_node["cv:fulfils"] = [ref(rule_id)]
        requirement_node["onestop:appliesWhen"] = ref(rule_id)
        if not title:  # an evidence type the catalogue lacks: the description, or the code
            described = requirement.description
            title = (
                texts(described) if described else tagged(requirement.code, self.known.languages)
            )
        rule = rule_node(requirement.when, rule_id, f"{requirement.code}:when", title, self.known)
        return [requirement_node, evidence_node, rule]

    def _cost_nodes(
        self, fee: Fee, owner: str, *, channel: str | None, fees: tuple[Fee, ...] = ()
    ) -> list[Node]:
        quoted_in = sum(1 for other in fees if other.code == fee.code) > 1
        suffix = f":{quoted(fee.currency)}" if quoted_in else ""
        cost_id = f"{owner}:cost:{quoted(fee.code)}{suffix}"
        node: Node = {
            "@id": cost_id,
            "@type": "cv:Cost",
            "dct:identifier": fee.code,
            "dct:description": texts(fee.label),
            "cv:currency": ref(CURRENCY_AUTHORITY + quoted(fee.currency)),
        }
        value = _decimal_text(fee)
        if value is not None:
            node["cv:hasValue"] = {"@value": value, "@type": "xsd:double"}
        if channel is not None:
            node["cv:ifAccessedThrough"] = ref(channel)
        if fee.when is None:
            return [node]
        node["onestop:appliesWhen"] = ref(f"{cost_id}:rule")
        rule = rule_node(
            fee.when, f"{cost_id}:rule", f"{fee.code}:when", node["dct:description"], self.known
        )
        return [node, rule]


def _evidence_id(owner: str, requirement_code: str) -> str:
    return f"{owner}:evidence:{quoted(requirement_code)}"
