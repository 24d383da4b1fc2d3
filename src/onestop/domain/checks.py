"""Whole-catalogue checks: everything a single field cannot know about itself.

`check_catalogue` returns every problem it finds, each with a path into the
catalogue (``services[3].fees[0].currency``), so a partner government fixes its files
in one pass.  It checks:

* the declared languages, and that every text is given in each of them;
* duplicate codes (agencies, evidence types, laws, life events, service versions,
  workflows, and form fields, requirements, fees, outputs and channels in a service);
* dangling references (parent agency, providing agency, evidence type, legal basis,
  life event, workflow, form fields named by rules and fee tiers);
* the agency tree (no cycles) and time zones;
* time limits (a service norm above its statutory limit, on any channel);
* fee tiers, form choices and overlapping published versions;
* each workflow, through `onestop.domain.workflow.check_workflow`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from onestop.domain.catalogue import (
    Catalogue,
    ChannelVariant,
    Fee,
    FieldType,
    FormField,
    Requirement,
    Service,
    VersionStatus,
)
from onestop.domain.contacts import region_problem
from onestop.domain.formats import FIELD_NAME
from onestop.domain.rules import Rule
from onestop.domain.text import LocalizedText, is_language_tag
from onestop.domain.values import Duration
from onestop.domain.workflow import check_workflow
from onestop.exceptions import Problem

__all__ = ["check_catalogue", "missing_translations"]

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


def check_catalogue(
    catalogue: Catalogue, /, *, known_guards: Iterable[str] | None = None
) -> list[Problem]:
    """Return every problem with *catalogue*; an empty list means it is valid.

    Args:
        catalogue: The catalogue to check.
        known_guards: Guard names workflows may use; ``None`` skips that check.
    """
    problems: list[Problem] = []
    problems += _check_languages(catalogue.languages)
    problems += missing_translations(catalogue, catalogue.languages)
    problems += _check_codes(catalogue)
    problems += _check_agencies(catalogue)
    for i, service in enumerate(catalogue.services):
        problems += _check_service(catalogue, service, f"services[{i}]")
    problems += _check_overlaps(catalogue.services)
    problems += _check_workflows(catalogue, known_guards)
    return problems


def _check_languages(languages: Sequence[str]) -> Iterator[Problem]:
    if not languages:
        yield Problem(path="languages", message="declare at least one language")
    for i, tag in enumerate(languages):
        if not is_language_tag(tag):
            yield Problem(path=f"languages[{i}]", message=f"{tag!r} is not a BCP 47 language tag")
    for tag, count in Counter(t.lower() for t in languages).items():
        if count > 1:
            yield Problem(path="languages", message=f"language {tag!r} is declared {count} times")


def missing_translations(root: object, languages: Sequence[str], path: str = "") -> list[Problem]:
    """Return a problem for each text in *root* that lacks one of *languages*."""
    wanted = [t for t in languages if is_language_tag(t)]
    return [
        Problem(path=where, message=f"missing translation(s): {', '.join(missing)}")
        for where, text in _walk_texts(root, path)
        if (missing := text.missing(wanted))
    ]


def _walk_texts(value: object, path: str) -> Iterator[tuple[str, LocalizedText]]:
    if isinstance(value, LocalizedText):
        yield path, value
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            yield from _walk_texts(item, f"{path}[{i}]")
    elif attrs.has(type(value)) and not isinstance(value, Rule):
        for field in attrs.fields(cast("type[attrs.AttrsInstance]", type(value))):
            child = f"{path}.{field.name}" if path else field.name
            yield from _walk_texts(getattr(value, field.name), child)


def _duplicates(items: Sequence[object], attr: str, where: str, what: str) -> Iterator[Problem]:
    seen: dict[object, int] = {}
    for i, item in enumerate(items):
        key = getattr(item, attr)
        if key in seen:
            yield Problem(
                path=f"{where}[{i}].{attr}",
                message=f"duplicate {what} {key!r} (first at {where}[{seen[key]}])",
            )
        else:
            seen[key] = i


def _bad_code(value: str, path: str, what: str) -> Iterator[Problem]:
    if not _CODE.match(value):
        yield Problem(
            path=path,
            message=f"{what} {value!r} must be 1-64 letters, digits, '.', '_' or '-'",
        )


def _check_codes(catalogue: Catalogue) -> Iterator[Problem]:
    sections: tuple[tuple[str, Sequence[Any], str], ...] = (
        ("agencies", catalogue.agencies, "agency code"),
        ("evidence_types", catalogue.evidence_types, "evidence type code"),
        ("legal_resources", catalogue.legal_resources, "legal resource code"),
        ("life_events", catalogue.life_events, "life event code"),
    )
    for where, items, what in sections:
        yield from _duplicates(items, "code", where, what)
        for i, item in enumerate(items):
            yield from _bad_code(item.code, f"{where}[{i}].code", what)
    seen: dict[tuple[str, int], int] = {}
    for i, service in enumerate(catalogue.services):
        yield from _bad_code(service.code, f"services[{i}].code", "service code")
        key = (service.code, service.version)
        if key in seen:
            yield Problem(
                path=f"services[{i}].version",
                message=f"duplicate service {service.code!r} version {service.version} "
                f"(first at services[{seen[key]}])",
            )
        else:
            seen[key] = i
    wf_seen: dict[tuple[str, int], int] = {}
    for i, workflow in enumerate(catalogue.workflows):
        key = (workflow.code, workflow.version)
        if key in wf_seen:
            yield Problem(
                path=f"workflows[{i}].version",
                message=f"duplicate workflow {workflow.code!r} version {workflow.version} "
                f"(first at workflows[{wf_seen[key]}])",
            )
        else:
            wf_seen[key] = i


def _check_agencies(catalogue: Catalogue) -> Iterator[Problem]:
    codes = {a.code for a in catalogue.agencies}
    parents = {a.code: a.parent for a in catalogue.agencies}
    for i, agency in enumerate(catalogue.agencies):
        if agency.parent is not None and agency.parent not in codes:
            yield Problem(path=f"agencies[{i}].parent", message=f"unknown agency {agency.parent!r}")
        if not _valid_zone(agency.time_zone):
            yield Problem(
                path=f"agencies[{i}].time_zone",
                message=f"{agency.time_zone!r} is not an IANA time zone such as 'Asia/Jakarta'",
            )
        seen = {agency.code}
        step = agency.parent
        while step is not None and step in parents:
            if step in seen:
                yield Problem(
                    path=f"agencies[{i}].parent",
                    message=f"agency {agency.code!r} is its own ancestor",
                )
                break
            seen.add(step)
            step = parents[step]


def _valid_zone(name: str) -> bool:
    if not name or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _check_service(catalogue: Catalogue, service: Service, path: str) -> Iterator[Problem]:
    agencies = {a.code for a in catalogue.agencies}
    laws = {r.code for r in catalogue.legal_resources}
    events = {e.code for e in catalogue.life_events}
    workflows = {w.code for w in catalogue.workflows}
    if service.agency not in agencies:
        yield Problem(path=f"{path}.agency", message=f"unknown agency {service.agency!r}")
    if service.version < 1:
        yield Problem(path=f"{path}.version", message="version must be 1 or more")
    if service.effective_until is not None and service.effective_until <= service.effective_from:
        yield Problem(
            path=f"{path}.effective_until", message="effective_until must be after effective_from"
        )
    if service.workflow is not None and service.workflow not in workflows:
        yield Problem(path=f"{path}.workflow", message=f"unknown workflow {service.workflow!r}")
    yield from _refs(service.legal_basis, laws, f"{path}.legal_basis", "legal resource")
    yield from _refs(service.life_events, events, f"{path}.life_events", "life event")
    yield from _norm(service.service_norm, service.time_limit, path)
    if not service.channels:
        yield Problem(
            path=f"{path}.channels", message="offer the service through at least one channel"
        )
    yield from _duplicates(service.channels, "channel", f"{path}.channels", "channel")
    yield from _duplicates(service.outputs, "code", f"{path}.outputs", "output code")
    yield from _check_form(catalogue, service.form, f"{path}.form")
    yield from _check_requirements(catalogue, service, service.requirements, f"{path}.requirements")
    yield from _check_fees(service, service.fees, laws, f"{path}.fees")
    for j, variant in enumerate(service.channels):
        yield from _check_variant(catalogue, service, variant, laws, f"{path}.channels[{j}]")


def _refs(values: Sequence[str], known: set[str], path: str, what: str) -> Iterator[Problem]:
    for i, value in enumerate(values):
        if value not in known:
            yield Problem(path=f"{path}[{i}]", message=f"unknown {what} {value!r}")


def _norm(norm: Duration, limit: Duration, path: str) -> Iterator[Problem]:
    if norm.exceeds(limit):
        yield Problem(
            path=f"{path}.service_norm",
            message=f"service norm ({norm}) exceeds the statutory time limit ({limit})",
        )


def _check_variant(
    catalogue: Catalogue, service: Service, variant: ChannelVariant, laws: set[str], path: str
) -> Iterator[Problem]:
    limit = variant.time_limit or service.time_limit
    norm = variant.service_norm or service.service_norm
    if variant.time_limit is not None or variant.service_norm is not None:
        yield from _norm(norm, limit, path)
    if variant.requirements is not None:
        yield from _check_requirements(
            catalogue, service, variant.requirements, f"{path}.requirements"
        )
    if variant.fees is not None:
        yield from _check_fees(service, variant.fees, laws, f"{path}.fees")


def _check_form(catalogue: Catalogue, form: Sequence[FormField], path: str) -> Iterator[Problem]:
    evidence = {e.code for e in catalogue.evidence_types}
    yield from _duplicates(form, "name", path, "form field")
    for i, field in enumerate(form):
        where = f"{path}[{i}]"
        reason = FIELD_NAME.problem(field.name)
        if reason is not None:
            yield Problem(path=f"{where}.name", message=f"field name {reason}")
        yield from _check_field_options(field, where)
        is_choice = field.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE)
        if is_choice and not field.choices:
            yield Problem(path=f"{where}.choices", message="a choice field needs choices")
        if not is_choice and field.choices:
            yield Problem(
                path=f"{where}.choices", message=f"a {field.type.value} field takes no choices"
            )
        yield from _duplicates(field.choices, "value", f"{where}.choices", "choice")
        if field.evidence_type is not None:
            if field.type is not FieldType.DOCUMENT:
                yield Problem(
                    path=f"{where}.evidence_type",
                    message="only document fields name an evidence type",
                )
            elif field.evidence_type not in evidence:
                yield Problem(
                    path=f"{where}.evidence_type",
                    message=f"unknown evidence type {field.evidence_type!r}",
                )


def _check_field_options(field: FormField, where: str) -> Iterator[Problem]:
    """The options only some field types take: a number's bounds, a phone's region."""
    bounds = [(name, getattr(field, name)) for name in ("minimum", "maximum")]
    for name, bound in bounds:
        if bound is not None and field.type is not FieldType.NUMBER:
            yield Problem(path=f"{where}.{name}", message=f"only number fields take a {name}")
    low, high = field.minimum, field.maximum
    if field.type is FieldType.NUMBER and low is not None and high is not None and low > high:
        yield Problem(path=f"{where}.maximum", message="the maximum is below the minimum")
    if field.region is not None:
        if field.type is not FieldType.PHONE:
            yield Problem(path=f"{where}.region", message="only phone fields take a region")
        else:
            reason = region_problem(field.region)
            if reason is not None:
                yield Problem(path=f"{where}.region", message=reason)


def _check_rule(rule: Rule | None, service: Service, path: str) -> Iterator[Problem]:
    if rule is None:
        return
    declared = {f.name for f in service.form}
    for name in sorted(rule.fields() - declared):
        yield Problem(path=path, message=f"rule refers to undeclared form field {name!r}")


def _check_requirements(
    catalogue: Catalogue, service: Service, requirements: Sequence[Requirement], path: str
) -> Iterator[Problem]:
    evidence = {e.code for e in catalogue.evidence_types}
    yield from _duplicates(requirements, "code", path, "requirement code")
    for i, req in enumerate(requirements):
        if req.evidence_type not in evidence:
            yield Problem(
                path=f"{path}[{i}].evidence_type",
                message=f"unknown evidence type {req.evidence_type!r}",
            )
        if not req.presentation:
            yield Problem(
                path=f"{path}[{i}].presentation", message="name at least one presentation"
            )
        yield from _check_rule(req.when, service, f"{path}[{i}].when")


def _check_fees(
    service: Service, fees: Sequence[Fee], laws: set[str], path: str
) -> Iterator[Problem]:
    yield from _duplicates(fees, "code", path, "fee code")
    for i, fee in enumerate(fees):
        where = f"{path}[{i}]"
        if not re.match(r"^[A-Z]{3}$", fee.currency):
            yield Problem(
                path=f"{where}.currency",
                message=f"{fee.currency!r} is not an ISO 4217 code such as 'IDR'",
            )
        yield from _refs(fee.legal_basis, laws, f"{where}.legal_basis", "legal resource")
        yield from _check_rule(fee.when, service, f"{where}.when")
        if (fee.amount is None) == (not fee.tiers):
            yield Problem(
                path=where, message="give either a fixed amount or tiers, not both or neither"
            )
        if fee.tiers:
            yield from _check_tiers(service, fee, where)


def _check_tiers(service: Service, fee: Fee, where: str) -> Iterator[Problem]:
    basis = service.field(fee.basis) if fee.basis else None
    if fee.basis is None:
        yield Problem(path=f"{where}.basis", message="tiered fees need a basis field")
    elif basis is None:
        yield Problem(path=f"{where}.basis", message=f"unknown form field {fee.basis!r}")
    elif basis.type is not FieldType.NUMBER:
        yield Problem(path=f"{where}.basis", message=f"basis field {fee.basis!r} is not a number")
    bounds = [t.up_to for t in fee.tiers]
    if bounds[-1] is not None:
        yield Problem(path=f"{where}.tiers", message="the last tier must have no up_to")
    closed = [b for b in bounds[:-1] if b is not None]
    if len(closed) != len(bounds) - 1 or closed != sorted(set(closed)):
        yield Problem(
            path=f"{where}.tiers",
            message="tiers must have ascending up_to bounds, all but the last",
        )


def _check_overlaps(services: Sequence[Service]) -> Iterator[Problem]:
    published: dict[str, list[tuple[int, Service]]] = {}
    for i, service in enumerate(services):
        if service.status is VersionStatus.PUBLISHED:
            published.setdefault(service.code, []).append((i, service))
    for versions in published.values():
        for a, (i, first) in enumerate(versions):
            for j, second in versions[a + 1 :]:
                if _overlap(first, second):
                    yield Problem(
                        path=f"services[{j}].effective_from",
                        message=f"published version {second.version} of {second.code!r} overlaps "
                        f"version {first.version} (services[{i}]); retire one or end it earlier",
                    )


def _overlap(a: Service, b: Service) -> bool:
    a_end, b_end = a.effective_until, b.effective_until
    return (b_end is None or a.effective_from < b_end) and (
        a_end is None or b.effective_from < a_end
    )


def _check_workflows(catalogue: Catalogue, known_guards: Iterable[str] | None) -> Iterator[Problem]:
    guards = None if known_guards is None else frozenset(known_guards)
    for i, workflow in enumerate(catalogue.workflows):
        limits = [s.time_limit for s in catalogue.services if s.workflow == workflow.code]
        shortest = min(limits, key=lambda d: d.in_hours(hours_per_day=8), default=None)
        for problem in check_workflow(workflow, service_limit=shortest, known_guards=guards):
            yield problem.located(None, f"workflows[{i}]")
