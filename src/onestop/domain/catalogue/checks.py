"""Whole-catalogue checks: everything a single field cannot know about itself.

`check_catalogue` returns every problem it finds, each with a path into the
catalogue (``services[3].fees[0].currency``), so a partner government fixes its files
in one pass.  It checks:

* every value it holds, once (`onestop.domain.catalogue.contents.check_contents`): the type
  each attribute declares, codes and field names in their formats, free text without
  control characters or lone surrogates, integers a 64-bit column holds;
* the declared languages (at most `MAX_LANGUAGES`), and that every text is given in each
  of them (onestop's own messages too, when the shipped ones are given:
  `onestop.domain.catalogue.messages`);
* duplicate codes (agencies, evidence types, laws, life events, service versions,
  workflows, and form fields, requirements, fees, outputs, choices and channels in a
  service), and codes that differ only by case (``dpmptsp`` and ``DPMPTSP``), which
  would be one code to anyone who compares them without case;
* dangling references (parent agency, providing agency, evidence type, legal basis,
  life event, workflow, form fields named by rules and fee tiers);
* the agency tree (no cycles) and time zones;
* time limits (a service norm above its statutory limit, on any channel);
* fee tiers, form choices and overlapping published versions;
* retention rules (the catalogue's default and each service's): a keep period or an
  archive rule, exactly one, and legal resources that exist;
* each workflow, through `onestop.domain.workflow.model.check_workflow`;
* declared identity schemes (`onestop.domain.catalogue.identity.check_identity_schemes`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

import attrs

from onestop.domain.catalogue.calendars import check_calendars
from onestop.domain.catalogue.contents import check_contents
from onestop.domain.catalogue.identity import check_identity_schemes
from onestop.domain.catalogue.messages import Message, Shipped, missing_messages
from onestop.domain.catalogue.model import (
    Catalogue,
    ChannelVariant,
    Fee,
    FieldType,
    FormField,
    Requirement,
    Service,
    VersionStatus,
)
from onestop.domain.catalogue.retention import Retention
from onestop.domain.catalogue.rules import Rule
from onestop.domain.common.contacts import region_problem
from onestop.domain.common.formats import preview
from onestop.domain.common.kinds import check_strings, check_type
from onestop.domain.common.text import LocalizedText, is_language_tag
from onestop.domain.common.values import Duration
from onestop.domain.time.zones import zone_problem
from onestop.domain.workflow.model import check_workflow
from onestop.exceptions import Problem

__all__ = ["MAX_LANGUAGES", "check_catalogue", "language_count_problem", "missing_translations"]

MAX_LANGUAGES = 100
"""The most languages a catalogue may declare.  Every text is checked in each of them, so
a few kilobytes of tags would otherwise cost minutes; beyond it the catalogue has one
problem, and its texts are checked in the first `MAX_LANGUAGES` only."""


def check_catalogue(
    catalogue: Catalogue,
    /,
    *,
    known_guards: Iterable[str] | None = None,
    shipped: Shipped | None = None,
) -> list[Problem]:
    """Return every problem with *catalogue*; an empty list means it is valid.

    Args:
        catalogue: The catalogue to check.
        known_guards: Guard names workflows may use; ``None`` skips that check.
        shipped: onestop's own texts (the loader passes them): each built-in message
            must then have a text in every declared language; ``None`` skips that check.

    Raises:
        InvalidValue: If *catalogue* is not a `Catalogue`, or *known_guards* is not a
            collection of names (`onestop.domain.common.kinds.check_strings`).
    """
    check_type(catalogue, Catalogue, field="catalogue")
    guards = None if known_guards is None else check_strings(known_guards, field="known_guards")
    check_type(shipped, (Shipped, type(None)), field="shipped")
    problems, typed = check_contents(catalogue)
    if not typed:  # the checks below read values as the types their attributes declare
        return problems
    problems += _check_languages(catalogue.languages)
    declared = catalogue.languages[:MAX_LANGUAGES]
    problems += missing_translations(catalogue, declared)
    if shipped is not None:
        problems += missing_messages(catalogue.messages, declared, shipped=shipped)
    problems += _duplicates(catalogue.messages, "key", "messages", "message key")
    problems += _check_codes(catalogue)
    problems += _check_agencies(catalogue)
    known = _Known.of(catalogue)
    problems += _check_retention(known, catalogue.retention, "retention")
    for i, service in enumerate(catalogue.services):
        problems += _check_service(known, service, f"services[{i}]")
    problems += _check_overlaps(catalogue.services)
    problems += _check_workflows(catalogue, guards)
    problems += check_identity_schemes(catalogue.identity_schemes)
    problems += check_calendars(catalogue.calendars, {a.code: a.parent for a in catalogue.agencies})
    return problems


def _check_languages(languages: Sequence[str]) -> Iterator[Problem]:
    if not languages:
        yield Problem(path="languages", message="declare at least one language")
    too_many = language_count_problem(languages)
    if too_many is not None:
        yield too_many
    for i, tag in enumerate(languages):
        if not is_language_tag(tag):
            yield Problem(
                path=f"languages[{i}]", message=f"{preview(tag)} is not a BCP 47 language tag"
            )
    for tag, count in Counter(t.lower() for t in languages).items():
        if count > 1:
            yield Problem(
                path="languages", message=f"language {preview(tag)} is declared {count} times"
            )


def language_count_problem(languages: Sequence[str], /) -> Problem | None:
    """The problem of declaring more than `MAX_LANGUAGES` *languages*, or ``None``.

    Raises:
        InvalidValue: If *languages* is not a collection of text (`check_strings`).
    """
    count = len(check_strings(languages, field="languages"))
    if count <= MAX_LANGUAGES:
        return None
    message = f"declare at most {MAX_LANGUAGES} languages, not {count}"
    return Problem(path="languages", message=message)


def missing_translations(root: object, languages: Sequence[str], path: str = "") -> list[Problem]:
    """Return a problem for each text in *root* that lacks one of *languages*."""
    wanted = [t for t in languages if is_language_tag(t)]
    return [
        Problem(path=where, message=f"missing translation(s): {', '.join(missing)}")
        for where, text in _walk_texts(root, path)
        if (missing := text.missing(wanted))
    ]


def _walk_texts(value: object, path: str) -> Iterator[tuple[str, LocalizedText]]:
    """Yield every localized text in *value* with its path, by a loop over a stack."""
    stack: list[tuple[object, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, LocalizedText):
            yield where, item
        elif isinstance(item, Message):  # overrides may give some languages only
            continue
        elif isinstance(item, tuple):
            stack.extend((item[i], f"{where}[{i}]") for i in reversed(range(len(item))))
        elif attrs.has(type(item)) and not isinstance(item, Rule):
            prefix = f"{where}." if where else ""
            stack.extend((getattr(item, n), prefix + n) for n in _field_names(type(item)))


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """The names of *cls*'s attributes, last first (so that a stack yields them in order)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        fields = attrs.fields(cast("type[attrs.AttrsInstance]", cls))
        names = _FIELD_NAMES[cls] = tuple(f.name for f in reversed(fields))
    return names


def _duplicates(items: Sequence[object], attr: str, where: str, what: str) -> Iterator[Problem]:
    """Report each item whose *attr* repeats an earlier one's, or differs only by case."""
    seen: dict[object, tuple[int, object]] = {}
    for i, item in enumerate(items):
        key = getattr(item, attr)
        folded = key.lower() if isinstance(key, str) else key
        if folded not in seen:
            seen[folded] = (i, key)
            continue
        first, spelling = seen[folded]
        yield Problem(
            path=f"{where}[{i}].{attr}", message=_repeated(what, key, spelling, where, first)
        )


def _repeated(what: str, key: object, first_key: object, where: str, first: int) -> str:
    if key == first_key:
        return f"duplicate {what} {preview(key)} (first at {where}[{first}])"
    return (
        f"{what} {preview(key)} differs only by case from {preview(first_key)} "
        f"({where}[{first}]); codes must differ in more than case"
    )


def _versions(items: Sequence[Any], where: str, what: str) -> Iterator[Problem]:
    """Report repeated (code, version) pairs and codes that differ only by case."""
    spellings: dict[str, tuple[int, str]] = {}
    seen: dict[tuple[str, int], int] = {}
    for i, item in enumerate(items):
        first, spelling = spellings.setdefault(item.code.lower(), (i, item.code))
        if spelling != item.code:
            yield Problem(
                path=f"{where}[{i}].code",
                message=_repeated(f"{what} code", item.code, spelling, where, first),
            )
            continue
        key = (item.code, item.version)
        if key in seen:
            yield Problem(
                path=f"{where}[{i}].version",
                message=f"duplicate {what} {preview(item.code)} version {item.version} "
                f"(first at {where}[{seen[key]}])",
            )
        else:
            seen[key] = i


def _check_codes(catalogue: Catalogue) -> Iterator[Problem]:
    sections: tuple[tuple[str, Sequence[Any], str], ...] = (
        ("agencies", catalogue.agencies, "agency code"),
        ("evidence_types", catalogue.evidence_types, "evidence type code"),
        ("legal_resources", catalogue.legal_resources, "legal resource code"),
        ("life_events", catalogue.life_events, "life event code"),
    )
    for where, items, what in sections:
        yield from _duplicates(items, "code", where, what)
    yield from _versions(catalogue.services, "services", "service")
    yield from _versions(catalogue.workflows, "workflows", "workflow")


def _check_agencies(catalogue: Catalogue) -> Iterator[Problem]:
    codes = {a.code for a in catalogue.agencies}
    for i, agency in enumerate(catalogue.agencies):
        if agency.parent is not None and agency.parent not in codes:
            yield Problem(
                path=f"agencies[{i}].parent", message=f"unknown agency {preview(agency.parent)}"
            )
        zone = zone_problem(agency.time_zone)
        if zone is not None:
            yield Problem(path=f"agencies[{i}].time_zone", message=zone)
    cyclic = _on_cycles({a.code: a.parent for a in catalogue.agencies})
    for i, agency in enumerate(catalogue.agencies):
        if agency.code in cyclic:
            yield Problem(
                path=f"agencies[{i}].parent",
                message=f"agency {preview(agency.code)} is its own ancestor",
            )


def _on_cycles(parents: dict[str, str | None]) -> set[str]:
    """Return the codes on a cycle of *parents*, in time linear in their number."""
    done: set[str] = set()
    cyclic: set[str] = set()
    for start in parents:
        trail: dict[str, int] = {}
        step: str | None = start
        while step is not None and step in parents and step not in done and step not in trail:
            trail[step] = len(trail)
            step = parents[step]
        if step is not None and step in trail:
            cyclic.update(list(trail)[trail[step] :])
        done.update(trail)
    return cyclic


@attrs.frozen
class _Known:
    """The codes a service may refer to, collected once per catalogue."""

    agencies: frozenset[str]
    laws: frozenset[str]
    events: frozenset[str]
    workflows: frozenset[str]
    evidence: frozenset[str]

    @classmethod
    def of(cls, catalogue: Catalogue) -> _Known:
        return cls(
            agencies=frozenset(a.code for a in catalogue.agencies),
            laws=frozenset(r.code for r in catalogue.legal_resources),
            events=frozenset(e.code for e in catalogue.life_events),
            workflows=frozenset(w.code for w in catalogue.workflows),
            evidence=frozenset(e.code for e in catalogue.evidence_types),
        )


def _check_service(known: _Known, service: Service, path: str) -> Iterator[Problem]:
    if service.agency not in known.agencies:
        yield Problem(path=f"{path}.agency", message=f"unknown agency {preview(service.agency)}")
    if service.effective_until is not None and service.effective_until <= service.effective_from:
        yield Problem(
            path=f"{path}.effective_until", message="effective_until must be after effective_from"
        )
    if service.workflow is not None and service.workflow not in known.workflows:
        yield Problem(
            path=f"{path}.workflow", message=f"unknown workflow {preview(service.workflow)}"
        )
    yield from _refs(service.legal_basis, known.laws, f"{path}.legal_basis", "legal resource")
    yield from _refs(service.life_events, known.events, f"{path}.life_events", "life event")
    yield from _norm(service.service_norm, service.time_limit, path)
    if not service.channels:
        yield Problem(
            path=f"{path}.channels", message="offer the service through at least one channel"
        )
    yield from _duplicates(service.channels, "channel", f"{path}.channels", "channel")
    yield from _duplicates(service.outputs, "code", f"{path}.outputs", "output code")
    yield from _check_form(known, service.form, f"{path}.form")
    yield from _check_requirements(known, service, service.requirements, f"{path}.requirements")
    yield from _check_fees(known, service, service.fees, f"{path}.fees")
    yield from _check_retention(known, service.retention, f"{path}.retention")
    for j, variant in enumerate(service.channels):
        yield from _check_variant(known, service, variant, f"{path}.channels[{j}]")


def _check_retention(known: _Known, retention: Retention | None, path: str) -> Iterator[Problem]:
    if retention is None:
        return
    if retention.archive and retention.keep_after_closing is not None:
        yield Problem(
            path=f"{path}.keep_after_closing",
            message="an archive keeps personal data for good: leave keep_after_closing out",
        )
    if not retention.archive and retention.keep_after_closing is None:
        yield Problem(
            path=path,
            message="say how long personal data is kept (keep_after_closing = '5 years') "
            "or that it is kept for good (archive = true)",
        )
    yield from _refs(retention.legal_basis, known.laws, f"{path}.legal_basis", "legal resource")


def _refs(values: Sequence[str], known: frozenset[str], path: str, what: str) -> Iterator[Problem]:
    for i, value in enumerate(values):
        if value not in known:
            yield Problem(path=f"{path}[{i}]", message=f"unknown {what} {preview(value)}")


def _norm(norm: Duration, limit: Duration, path: str) -> Iterator[Problem]:
    if norm.exceeds(limit):
        yield Problem(
            path=f"{path}.service_norm",
            message=f"service norm ({norm}) exceeds the statutory time limit ({limit})",
        )


def _check_variant(
    known: _Known, service: Service, variant: ChannelVariant, path: str
) -> Iterator[Problem]:
    limit = variant.time_limit or service.time_limit
    norm = variant.service_norm or service.service_norm
    if variant.time_limit is not None or variant.service_norm is not None:
        yield from _norm(norm, limit, path)
    if variant.requirements is not None:
        yield from _check_requirements(known, service, variant.requirements, f"{path}.requirements")
    if variant.fees is not None:
        yield from _check_fees(known, service, variant.fees, f"{path}.fees")


def _check_form(known: _Known, form: Sequence[FormField], path: str) -> Iterator[Problem]:
    yield from _duplicates(form, "name", path, "form field")
    for i, field in enumerate(form):
        where = f"{path}[{i}]"
        yield from _check_field_options(field, where)  # its name: onestop.domain.catalogue.contents
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
            elif field.evidence_type not in known.evidence:
                yield Problem(
                    path=f"{where}.evidence_type",
                    message=f"unknown evidence type {preview(field.evidence_type)}",
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


def _check_rule(rule: Rule | None, declared: frozenset[str], path: str) -> Iterator[Problem]:
    if rule is None:
        return
    for name in sorted(rule.fields() - declared):
        yield Problem(path=path, message=f"rule refers to undeclared form field {preview(name)}")


def _check_requirements(
    known: _Known, service: Service, requirements: Sequence[Requirement], path: str
) -> Iterator[Problem]:
    yield from _duplicates(requirements, "code", path, "requirement code")
    declared = frozenset(f.name for f in service.form)
    for i, req in enumerate(requirements):
        if req.evidence_type not in known.evidence:
            yield Problem(
                path=f"{path}[{i}].evidence_type",
                message=f"unknown evidence type {preview(req.evidence_type)}",
            )
        if not req.presentation:
            yield Problem(
                path=f"{path}[{i}].presentation", message="name at least one presentation"
            )
        yield from _check_rule(req.when, declared, f"{path}[{i}].when")


def _check_fees(
    known: _Known, service: Service, fees: Sequence[Fee], path: str
) -> Iterator[Problem]:
    for currency in dict.fromkeys(fee.currency for fee in fees):  # a code once per currency
        same = [(i, fee) for i, fee in enumerate(fees) if fee.currency == currency]
        for problem in _duplicates([fee for _, fee in same], "code", path, "fee code"):
            yield _renumbered(problem, path, [i for i, _ in same])
    fields = {f.name: f for f in reversed(service.form)}  # the first of a name, as field()
    declared = frozenset(fields)
    for i, fee in enumerate(fees):
        where = f"{path}[{i}]"
        yield from _refs(fee.legal_basis, known.laws, f"{where}.legal_basis", "legal resource")
        yield from _check_rule(fee.when, declared, f"{where}.when")
        if (fee.amount is None and fee.per_unit is None) == (not fee.tiers):
            yield Problem(
                path=where,
                message="give either an amount (or per_unit) or tiers, not both or neither",
            )
        if fee.tiers or fee.per_unit is not None:
            yield from _check_tiers(fields, fee, where)


def _renumbered(problem: Problem, path: str, indexes: list[int]) -> Problem:
    """Turn the positions in *problem* among one currency's fees into positions in *path*."""
    text = f"{problem.path} {problem.message}"
    for position in range(len(indexes) - 1, -1, -1):  # [10] before [1]
        text = text.replace(f"{path}[{position}]", f"{path}[@{indexes[position]}]")
    where, message = text.replace("[@", "[").split(" ", 1)
    return Problem(path=where, message=message)


def _check_tiers(fields: dict[str, FormField], fee: Fee, where: str) -> Iterator[Problem]:
    basis = fields.get(fee.basis) if fee.basis else None
    if fee.basis is None:
        yield Problem(path=f"{where}.basis", message="fees per unit or in tiers need a basis field")
    elif basis is None:
        yield Problem(path=f"{where}.basis", message=f"unknown form field {preview(fee.basis)}")
    elif basis.type is not FieldType.NUMBER:
        yield Problem(
            path=f"{where}.basis", message=f"basis field {preview(fee.basis)} is not a number"
        )
    bounds = [t.up_to for t in fee.tiers]
    if bounds and bounds[-1] is not None:
        yield Problem(path=f"{where}.tiers", message="the last tier must have no up_to")
    closed = [b for b in bounds[:-1] if b is not None]
    if fee.tiers and fee.per_unit is not None:
        yield Problem(path=f"{where}.per_unit", message="give per_unit in each tier instead")
    if bounds and (len(closed) != len(bounds) - 1 or closed != sorted(set(closed))):
        yield Problem(
            path=f"{where}.tiers",
            message="tiers must have ascending up_to bounds, all but the last",
        )


def _check_overlaps(services: Sequence[Service]) -> Iterator[Problem]:
    """Report each published version that starts before an earlier-starting one ends.

    One sweep per code over its versions in order of start (not a comparison of every
    pair), so that a catalogue of many versions is checked in time n log n.
    """
    published: dict[str, list[tuple[int, Service]]] = {}
    for i, service in enumerate(services):
        if service.status is VersionStatus.PUBLISHED:
            published.setdefault(service.code, []).append((i, service))
    for versions in published.values():
        versions.sort(key=lambda pair: (pair[1].effective_from, pair[0]))
        latest: tuple[int, Service] | None = None  # the version that ends last so far
        for j, second in versions:
            if latest is not None and _overlap(latest[1], second):
                i, first = latest
                yield Problem(
                    path=f"services[{j}].effective_from",
                    message=f"published version {preview(second.version)} of "
                    f"{preview(second.code)} overlaps version {preview(first.version)} "
                    f"(services[{i}]); retire one or end it earlier",
                )
            if latest is None or _ends_later(second, latest[1]):
                latest = (j, second)


def _ends_later(a: Service, b: Service) -> bool:
    if b.effective_until is None:
        return False
    return a.effective_until is None or a.effective_until > b.effective_until


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
