"""onestop: typed building blocks for one-stop public service malls.

A mall in ten lines: a catalogue, a store, an applicant, two officers and two commands
(the catalogue is the tutorial's, in a clone of the repository):

>>> import onestop
>>> catalogue = onestop.load_catalogue("examples/tutorial/mall.toml")
>>> mall = onestop.Mall(catalogue=catalogue, store=onestop.from_url("memory://"))
>>> siti = onestop.Person.of(name="Siti Rahma", identity_scheme="id-nik",
...                          identity_number="7371015708850003")
>>> clerk = onestop.Actor(id="clerk-rina", roles={"front_office"})
>>> ana = onestop.Actor(id="officer-ana", roles={"verifier"})
>>> receipt = mall.submit("trade-licence", channel="counter", applicant=siti, actor=clerk,
...                       answers={"applicant_type": "person", "floor_area": 36})
>>> mall.act(receipt.application_id, "verify", actor=ana).state
'verified'

This is the front door: the names the tutorial, the how-to guides and the examples use
are importable from `onestop` itself (the mall, the catalogue loader, actors and
applicants, workflows, calendars, `from_url`, the courier desk, the relay, signed
checkpoints of the audit trail), and the errors from `onestop.exceptions`.  Adapters
and tools have front doors of their own: `onestop.storage`, `onestop.transport`,
`onestop.ports` (for adapter authors), `onestop.interop` and `onestop.testing`.
Everything else stays importable from its module.

Names are imported on first use, so ``import onestop`` is cheap and pulls in no
database or broker driver, nor ``click`` or ``holidays``.  ``python -m onestop`` runs
the ``onestop`` command.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from onestop import _moved

if TYPE_CHECKING:
    from onestop import exceptions
    from onestop.calendars import calendar_for, calendar_versions, supported_countries
    from onestop.domain.applications.erasure import erasure_due, erasure_refusal, retention_of
    from onestop.domain.applications.forms import DocumentRef
    from onestop.domain.applications.submission import find_workflow
    from onestop.domain.catalogue.calendars import CalendarDeclaration
    from onestop.domain.catalogue.fees import Fee, FeeRounding, FeeTier, RoundingMode
    from onestop.domain.catalogue.identity import IdentityScheme
    from onestop.domain.catalogue.model import Agency, Catalogue, ChannelKind, Service
    from onestop.domain.catalogue.rules import Rule, parse_rule
    from onestop.domain.common.actors import Actor, Grant
    from onestop.domain.common.audit import Checkpoint, seal_entries, verify_chain
    from onestop.domain.common.canonical import canonical_bytes
    from onestop.domain.common.currencies import minor_units
    from onestop.domain.common.parties import (
        Organisation,
        Person,
        Personal,
        Representative,
        default_validators,
        personal_fields,
    )
    from onestop.domain.common.text import LocalizedText
    from onestop.domain.common.values import Duration, Money, TimeUnit
    from onestop.domain.courier.handoffs import (
        Confirmation,
        Handoff,
        ManifestItem,
        Packet,
        Party,
        PartyKind,
        Place,
    )
    from onestop.domain.courier.jobs import AttemptOutcome, JobKind, TimeWindow, book
    from onestop.domain.time.calendar import Closure, DayKind, WorkCalendar
    from onestop.domain.time.hours import LimitCounting, WeeklyHours
    from onestop.domain.time.sla import Pause, due_date
    from onestop.domain.time.versions import CalendarVersion
    from onestop.domain.workflow.engine import fire
    from onestop.domain.workflow.guards import Facts, GuardResult, default_guards
    from onestop.domain.workflow.model import State, Transition, Workflow, check_workflow
    from onestop.domain.workflow.render import to_dot, to_mermaid
    from onestop.domain.workflow.versions import MigrationPlan
    from onestop.locales import format_datetime, format_money
    from onestop.privacy.signing import Ed25519Signer, Ed25519Verifier, write_key_files
    from onestop.samples import sample_catalogue
    from onestop.storage import from_url
    from onestop.transport.relay import DeadLetter, Relay, RetryPolicy
    from onestop.usecases.catalogue.built_in import unreviewed_texts
    from onestop.usecases.catalogue.loading import dump_catalogue, load_catalogue, read_catalogue
    from onestop.usecases.catalogue.publishing import publish_catalogue, published_catalogue
    from onestop.usecases.checkpoints import (
        checkpoint_bytes,
        make_checkpoint,
        read_checkpoint,
        verify_checkpoint,
    )
    from onestop.usecases.courier.desk import CourierDesk
    from onestop.usecases.courier.queries import CourierFacts
    from onestop.usecases.documents import DocumentDesk
    from onestop.usecases.mall import Mall
    from onestop.usecases.privacy import PrivacyDesk

__all__ = [
    "__version__",
    "Actor",
    "Agency",
    "AttemptOutcome",
    "book",
    "calendar_for",
    "calendar_versions",
    "CalendarDeclaration",
    "CalendarVersion",
    "canonical_bytes",
    "Catalogue",
    "ChannelKind",
    "check_workflow",
    "Checkpoint",
    "checkpoint_bytes",
    "Closure",
    "Confirmation",
    "CourierDesk",
    "CourierFacts",
    "DayKind",
    "DeadLetter",
    "default_guards",
    "default_validators",
    "DocumentDesk",
    "DocumentRef",
    "due_date",
    "dump_catalogue",
    "Duration",
    "Ed25519Signer",
    "Ed25519Verifier",
    "erasure_due",
    "erasure_refusal",
    "exceptions",
    "Facts",
    "Fee",
    "FeeRounding",
    "FeeTier",
    "find_workflow",
    "fire",
    "format_datetime",
    "format_money",
    "from_url",
    "Grant",
    "GuardResult",
    "Handoff",
    "IdentityScheme",
    "JobKind",
    "LimitCounting",
    "load_catalogue",
    "LocalizedText",
    "make_checkpoint",
    "Mall",
    "ManifestItem",
    "MigrationPlan",
    "minor_units",
    "Money",
    "Organisation",
    "Packet",
    "parse_rule",
    "Party",
    "PartyKind",
    "Pause",
    "Person",
    "Personal",
    "personal_fields",
    "Place",
    "PrivacyDesk",
    "publish_catalogue",
    "published_catalogue",
    "read_catalogue",
    "read_checkpoint",
    "Relay",
    "Representative",
    "retention_of",
    "RetryPolicy",
    "RoundingMode",
    "Rule",
    "sample_catalogue",
    "seal_entries",
    "Service",
    "State",
    "supported_countries",
    "TimeUnit",
    "TimeWindow",
    "to_dot",
    "to_mermaid",
    "Transition",
    "unreviewed_texts",
    "verify_chain",
    "verify_checkpoint",
    "WeeklyHours",
    "WorkCalendar",
    "Workflow",
    "write_key_files",
]

_EXPORTS: dict[str, str] = {
    # Run a mall
    "Mall": "onestop.usecases.mall",
    "Actor": "onestop.domain.common.actors",
    "Grant": "onestop.domain.common.actors",
    "from_url": "onestop.storage",
    "sample_catalogue": "onestop.samples",
    "DocumentRef": "onestop.domain.applications.forms",
    "Organisation": "onestop.domain.common.parties",
    "Person": "onestop.domain.common.parties",
    "Personal": "onestop.domain.common.parties",
    "Representative": "onestop.domain.common.parties",
    "default_validators": "onestop.domain.common.parties",
    "personal_fields": "onestop.domain.common.parties",
    "PrivacyDesk": "onestop.usecases.privacy",
    "DocumentDesk": "onestop.usecases.documents",
    "erasure_due": "onestop.domain.applications.erasure",
    "erasure_refusal": "onestop.domain.applications.erasure",
    "retention_of": "onestop.domain.applications.erasure",
    # Describe a catalogue
    "dump_catalogue": "onestop.usecases.catalogue.loading",
    "load_catalogue": "onestop.usecases.catalogue.loading",
    "read_catalogue": "onestop.usecases.catalogue.loading",
    "publish_catalogue": "onestop.usecases.catalogue.publishing",
    "published_catalogue": "onestop.usecases.catalogue.publishing",
    "unreviewed_texts": "onestop.usecases.catalogue.built_in",
    "format_datetime": "onestop.locales",
    "format_money": "onestop.locales",
    "Agency": "onestop.domain.catalogue.model",
    "Catalogue": "onestop.domain.catalogue.model",
    "ChannelKind": "onestop.domain.catalogue.model",
    "Fee": "onestop.domain.catalogue.fees",
    "FeeRounding": "onestop.domain.catalogue.fees",
    "FeeTier": "onestop.domain.catalogue.fees",
    "RoundingMode": "onestop.domain.catalogue.fees",
    "minor_units": "onestop.domain.common.currencies",
    "IdentityScheme": "onestop.domain.catalogue.identity",
    "Service": "onestop.domain.catalogue.model",
    "Rule": "onestop.domain.catalogue.rules",
    "parse_rule": "onestop.domain.catalogue.rules",
    "LocalizedText": "onestop.domain.common.text",
    "Duration": "onestop.domain.common.values",
    "Money": "onestop.domain.common.values",
    "TimeUnit": "onestop.domain.common.values",
    # Workflows
    "State": "onestop.domain.workflow.model",
    "Transition": "onestop.domain.workflow.model",
    "Workflow": "onestop.domain.workflow.model",
    "check_workflow": "onestop.domain.workflow.model",
    "fire": "onestop.domain.workflow.engine",
    "Facts": "onestop.domain.workflow.guards",
    "GuardResult": "onestop.domain.workflow.guards",
    "default_guards": "onestop.domain.workflow.guards",
    "to_dot": "onestop.domain.workflow.render",
    "to_mermaid": "onestop.domain.workflow.render",
    "MigrationPlan": "onestop.domain.workflow.versions",
    "find_workflow": "onestop.domain.applications.submission",
    # Calendars and deadlines
    "calendar_for": "onestop.calendars",
    "calendar_versions": "onestop.calendars",
    "CalendarDeclaration": "onestop.domain.catalogue.calendars",
    "CalendarVersion": "onestop.domain.time.versions",
    "supported_countries": "onestop.calendars",
    "Closure": "onestop.domain.time.calendar",
    "DayKind": "onestop.domain.time.calendar",
    "WorkCalendar": "onestop.domain.time.calendar",
    "LimitCounting": "onestop.domain.time.hours",
    "WeeklyHours": "onestop.domain.time.hours",
    "Pause": "onestop.domain.time.sla",
    "due_date": "onestop.domain.time.sla",
    # The audit trail
    "Checkpoint": "onestop.domain.common.audit",
    "seal_entries": "onestop.domain.common.audit",
    "verify_chain": "onestop.domain.common.audit",
    "make_checkpoint": "onestop.usecases.checkpoints",
    "checkpoint_bytes": "onestop.usecases.checkpoints",
    "read_checkpoint": "onestop.usecases.checkpoints",
    "verify_checkpoint": "onestop.usecases.checkpoints",
    "Ed25519Signer": "onestop.privacy.signing",
    "Ed25519Verifier": "onestop.privacy.signing",
    "write_key_files": "onestop.privacy.signing",
    "canonical_bytes": "onestop.domain.common.canonical",
    # The courier
    "CourierDesk": "onestop.usecases.courier.desk",
    "CourierFacts": "onestop.usecases.courier.queries",
    "AttemptOutcome": "onestop.domain.courier.jobs",
    "JobKind": "onestop.domain.courier.jobs",
    "TimeWindow": "onestop.domain.courier.jobs",
    "book": "onestop.domain.courier.jobs",
    "Confirmation": "onestop.domain.courier.handoffs",
    "Handoff": "onestop.domain.courier.handoffs",
    "ManifestItem": "onestop.domain.courier.handoffs",
    "Packet": "onestop.domain.courier.handoffs",
    "Party": "onestop.domain.courier.handoffs",
    "PartyKind": "onestop.domain.courier.handoffs",
    "Place": "onestop.domain.courier.handoffs",
    # Deliver to other systems
    "DeadLetter": "onestop.transport.relay",
    "Relay": "onestop.transport.relay",
    "RetryPolicy": "onestop.transport.relay",
}
"""Each name offered here, and the module it is imported from on first use."""

_SUBPACKAGES = frozenset(
    {
        "calendars",
        "cli",
        "domain",
        "exceptions",
        "interop",
        "ports",
        "samples",
        "serialization",
        "storage",
        "testing",
        "transport",
        "usecases",
    }
)
"""The modules and packages ``onestop.<name>`` reaches after a bare ``import onestop``."""

_moved.install()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("onestop-mall")
    except PackageNotFoundError:  # pragma: no cover - only in a bare source checkout
        return "0+unknown"


if not TYPE_CHECKING:  # mypy and IDEs see the imports above; Python imports on first use

    def __getattr__(name: str) -> Any:
        """Import *name* from its module the first time it is asked for, and keep it."""
        if name == "__version__":
            value: Any = _version()
        elif name in _SUBPACKAGES:
            value = importlib.import_module(f"{__name__}.{name}")
        elif name in _EXPORTS:
            value = getattr(importlib.import_module(_EXPORTS[name]), name)
        else:
            raise AttributeError(f"module 'onestop' has no attribute {name!r}")
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    """List the names offered here, imported or not, with the module's own."""
    return sorted(set(globals()) | set(__all__))


__version__: str
"""The installed distribution's version (``onestop-mall``)."""
