"""The service catalogue: its model, the rules of its conditions, its fields and checks.

The package re-exports `onestop.domain.catalogue.model` (agencies, services, requirements,
fees), so that ``from onestop.domain.catalogue import Service`` reads as before.
"""

from __future__ import annotations

from onestop.domain.catalogue.model import (
    MAX_ADDRESS,
    Agency,
    AgencyKind,
    Catalogue,
    ChannelKind,
    ChannelVariant,
    Choice,
    ContactKind,
    ContactPoint,
    EvidenceType,
    Fee,
    FeeTier,
    FieldType,
    FormField,
    LegalResource,
    LifeEvent,
    LifeEventKind,
    Output,
    Presentation,
    Requirement,
    Service,
    ServiceKind,
    VersionStatus,
)

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
    "Service",
    "ServiceKind",
    "VersionStatus",
]
