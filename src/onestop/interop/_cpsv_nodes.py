"""The CPSV-AP nodes a catalogue's shared parts become, and the ids of every node.

Private to `onestop.interop.cpsv`, which documents the ids and the vocabulary: the
agencies with their contact points, the evidence types, the laws, the life events and
the channel kinds, plus the helpers every node is built with.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final
from urllib.parse import quote

from onestop.domain.catalogue.model import (
    Agency,
    Catalogue,
    ChannelKind,
    ContactKind,
    EvidenceType,
    LegalResource,
    LifeEvent,
    LifeEventKind,
    Service,
)
from onestop.domain.catalogue.rules import Rule
from onestop.domain.common.text import LocalizedText
from onestop.domain.common.values import Duration, TimeUnit

__all__ = [
    "Ids",
    "Known",
    "Node",
    "agency_nodes",
    "channel_type_nodes",
    "event_node",
    "evidence_type_node",
    "legal_resource_nodes",
    "put",
    "quoted",
    "ref",
    "refs",
    "rule_node",
    "tagged",
    "texts",
    "texts_or",
    "working_time",
]

CHANNEL_LABELS: Final[Mapping[ChannelKind, str]] = {
    ChannelKind.COUNTER: "In person at a counter",
    ChannelKind.ONLINE: "Online",
    ChannelKind.COURIER: "Courier pickup and delivery",
    ChannelKind.POST: "By post",
}
EVENT_TYPES: Final[Mapping[LifeEventKind, str]] = {
    LifeEventKind.LIFE: "cv:LifeEvent",
    LifeEventKind.BUSINESS: "cv:BusinessEvent",
}
CONTACT_PROPERTIES: Final[Mapping[ContactKind, str]] = {
    ContactKind.PHONE: "cv:telephone",
    ContactKind.EMAIL: "cv:email",
}

Node = dict[str, Any]


@functools.lru_cache(maxsize=4096)
def quoted(part: str) -> str:
    """*part* percent-encoded for a node id: only ``A-Z a-z 0-9 - . _ ~`` are kept."""
    return quote(part, safe="-._~")


class Ids:
    """Builds the stable node ids of one export."""

    def __init__(self, base: str) -> None:
        self.base = base

    def of(self, *parts: str) -> str:
        return self.base + ":".join(map(quoted, parts))

    def service(self, service: Service) -> str:
        return self.of("service", service.code, f"v{service.version}")

    def agency(self, code: str) -> str:
        return self.of("agency", code)

    def contact_point(self, code: str) -> str:
        return self.of("agency", code, "contact-point")

    def evidence_type(self, code: str) -> str:
        return self.of("evidence-type", code)

    def legal_resource(self, resource: LegalResource) -> str:
        return resource.uri or self.of("legal-resource", resource.code)

    def event(self, code: str) -> str:
        return self.of("event", code)

    def channel_type(self, kind: ChannelKind) -> str:
        return self.of("channel-type", kind.value)


class Known:
    """What a service may refer to, so that no reference dangles."""

    def __init__(self, catalogue: Catalogue, ids: Ids) -> None:
        self.agencies = {a.code for a in catalogue.agencies}
        self.contact_points = {
            a.code for a in catalogue.agencies if contact_point_node(a, ids) is not None
        }
        self.evidence_types = {e.code: e for e in catalogue.evidence_types}
        self.laws = {r.code: ids.legal_resource(r) for r in catalogue.legal_resources}
        self.events = {e.code for e in catalogue.life_events}
        self.languages = catalogue.languages
        self.language = catalogue.default_language


def texts(text: LocalizedText) -> list[dict[str, str]]:
    return [{"@value": value, "@language": tag} for tag, value in text.texts]


def texts_or(text: LocalizedText | None, fallback: LocalizedText) -> list[dict[str, str]]:
    """*text* in each of its languages, and *fallback* in each language *text* lacks."""
    merged = dict(fallback.texts) | (dict(text.texts) if text is not None else {})
    return [{"@value": value, "@language": tag} for tag, value in sorted(merged.items())]


def tagged(value: str, languages: Iterable[str]) -> list[dict[str, str]]:
    """*value*, the same text, tagged with each of *languages*."""
    return [{"@value": value, "@language": tag} for tag in languages]


def ref(node_id: str) -> dict[str, str]:
    return {"@id": node_id}


def refs(node_ids: Iterable[str]) -> list[dict[str, str]]:
    return [ref(node_id) for node_id in dict.fromkeys(node_ids)]


def put(node: Node, key: str, value: object) -> None:
    """Set *key* unless *value* is empty, so nodes carry no empty lists or nulls."""
    if value is not None and value != [] and value != "":
        node[key] = value


def agency_nodes(catalogue: Catalogue, ids: Ids, spatial: str | None) -> Iterator[list[Node]]:
    known = {agency.code for agency in catalogue.agencies}
    for agency in catalogue.agencies:
        node: Node = {
            "@id": ids.agency(agency.code),
            "@type": "cv:PublicOrganisation",
            "dct:identifier": agency.code,
            "skos:prefLabel": texts(agency.name),
        }
        if agency.parent is not None and agency.parent in known:
            node["org:subOrganizationOf"] = ref(ids.agency(agency.parent))
        if spatial is not None:
            node["dct:spatial"] = ref(spatial)
        contact = contact_point_node(agency, ids)
        yield [node] if contact is None else [node, contact]


def contact_point_node(agency: Agency, ids: Ids) -> Node | None:
    node: Node = {"@id": ids.contact_point(agency.code), "@type": "cv:ContactPoint"}
    for kind, key in CONTACT_PROPERTIES.items():
        put(node, key, [c.value for c in agency.contacts if c.kind is kind])
    pages = [c.value for c in agency.contacts if c.kind is ContactKind.WEBSITE]
    put(node, "cv:contactPage", refs(pages))
    return node if len(node) > 2 else None  # more than @id and @type


def evidence_type_node(evidence_type: EvidenceType, ids: Ids) -> Node:
    node: Node = {
        "@id": ids.evidence_type(evidence_type.code),
        "@type": "cv:EvidenceType",
        "dct:identifier": evidence_type.code,
        "dct:title": texts(evidence_type.name),
    }
    if evidence_type.description is not None:
        put(node, "dct:description", texts(evidence_type.description))
    return node


def legal_resource_nodes(resources: Iterable[LegalResource], ids: Ids) -> list[Node]:
    nodes: dict[str, Node] = {}
    for resource in resources:
        node_id = ids.legal_resource(resource)
        nodes.setdefault(
            node_id,
            {
                "@id": node_id,
                "@type": "eli:LegalResource",
                "dct:identifier": resource.code,
                "dct:title": texts(resource.title),
            },
        )
    return list(nodes.values())


def event_node(event: LifeEvent, services: Iterable[Service], ids: Ids) -> Node:
    node: Node = {
        "@id": ids.event(event.code),
        "@type": EVENT_TYPES[event.kind],
        "dct:identifier": event.code,
        "dct:title": texts(event.name),
    }
    related = (ids.service(s) for s in services if event.code in s.life_events)
    put(node, "cv:hasRelatedService", refs(related))
    return node


def channel_type_nodes(ids: Ids) -> list[Node]:
    return [
        {
            "@id": ids.channel_type(kind),
            "@type": "skos:Concept",
            "skos:notation": kind.value,
            "skos:prefLabel": {"@value": label, "@language": "en"},
        }
        for kind, label in CHANNEL_LABELS.items()
    ]


def working_time(duration: Duration) -> dict[str, str]:
    """*duration* as a literal of the ``onestop:workingDuration`` datatype.

    Its text is an ISO 8601 duration (``P5D``, ``PT8H``), but the days and hours are
    the agency's *working* days and hours, so it is not typed ``xsd:duration``, which
    would say calendar time.
    """
    return {"@value": duration_text(duration), "@type": "onestop:workingDuration"}


def duration_text(duration: Duration) -> str:
    """*duration* as ISO 8601 text (``P5D``, ``PT8H``), the word "working" dropped."""
    if duration.unit is TimeUnit.WORKING_DAYS:
        return f"P{duration.amount}D"
    return f"PT{duration.amount}H"


def rule_node(
    rule: Rule, node_id: str, identifier: str, title: list[dict[str, str]], known: Known
) -> Node:
    """The ``cpsv:Rule`` a condition (a requirement's or a fee's ``when``) becomes.

    ``dct:title`` is *title*, the title of what it conditions (the requirement's, the
    fee's label).  ``dct:description`` holds the condition as written, for people, with
    the same text tagged with each of the catalogue's languages (the shapes want it
    tagged, and it reads the same in all); ``onestop:expression`` holds it untagged,
    for programs (in onestop's rule language, the one of the catalogue files' ``when``).
    """
    return {
        "@id": node_id,
        "@type": "cpsv:Rule",
        "dct:identifier": identifier,
        "dct:title": title,
        "dct:description": tagged(rule.source, known.languages),
        "onestop:expression": rule.source,
    }
