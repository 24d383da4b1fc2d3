"""Guards: named, pure predicates over an application's facts that explain a refusal.

A transition lists guard references, ``"name"`` or ``"name:argument"``
(``"field_has_value:npwp"``).  At fire time each reference is looked up in a
`GuardRegistry` and called with the application's `Facts` and the argument; it answers
a `GuardResult` whose ``reason`` says why, in words an officer can act on and without
personal data (field names and document codes, never values).

>>> facts = Facts(required_documents=("ktp", "npwp"), documents={"ktp": "verified"})
>>> result = default_guards().evaluate("documents_verified", facts)
>>> result.ok, result.reason
(False, 'documents not verified yet: npwp')

Integrators add their own guards; a registry is immutable, so adding returns a new one:

>>> def has_business_id(facts: Facts, argument: str | None) -> GuardResult:
...     return GuardResult.check("nib" in facts.answers, "no business id (NIB) given")
>>> registry = default_guards().with_guard("has_business_id", has_business_id)
>>> registry.evaluate("has_business_id", Facts(answers={"nib": "8120001234567"})).ok
True
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TypeAlias

import attrs

from onestop.domain.common.formats import kind_of, preview
from onestop.domain.common.kinds import check_type
from onestop.exceptions import ConfigurationError, InvalidValue, UnknownGuard

__all__ = [
    "DOCUMENT_PENDING",
    "DOCUMENT_REJECTED",
    "DOCUMENT_VERIFIED",
    "Facts",
    "Guard",
    "GuardRegistry",
    "GuardResult",
    "NO_FACTS",
    "courier_delivered",
    "default_guards",
    "documents_verified",
    "field_has_value",
    "no_rejected_documents",
    "payment_recorded",
    "split_guard",
]

DOCUMENT_VERIFIED = "verified"
"""A document's verdict once an officer has checked it and found it good."""
DOCUMENT_REJECTED = "rejected"
"""A document's verdict once an officer has refused it."""
DOCUMENT_PENDING = "pending"
"""A document's verdict while nobody has checked it yet."""

_EMPTY: Mapping[str, object] = MappingProxyType({})
_NO_VERDICTS: Mapping[str, str] = MappingProxyType({})


def split_guard(reference: str) -> tuple[str, str | None]:
    """Split a guard reference into its name and argument.

    >>> split_guard("field_has_value:npwp")
    ('field_has_value', 'npwp')
    >>> split_guard("payment_recorded")
    ('payment_recorded', None)

    A reference that is not text has no name: ``("", None)``.
    """
    given: object = reference
    if not isinstance(given, str):
        return "", None
    name, colon, argument = reference.partition(":")
    return name.strip(), (argument.strip() if colon else None)


def _mapping(value: object, field: str) -> dict[str, object]:
    if not isinstance(value, Mapping):
        raise InvalidValue(field=field, reason=f"expected a mapping, not {kind_of(value)}")
    return dict(value)


def _answers(value: Mapping[str, object]) -> Mapping[str, object]:
    return MappingProxyType(_mapping(value, "answers")) if value else _EMPTY


def _verdicts(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(_mapping(value, "documents")) if value else _NO_VERDICTS  # type: ignore[arg-type]


def _jobs(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(_mapping(value, "courier_jobs")) if value else _NO_VERDICTS  # type: ignore[arg-type]


def _codes(value: Iterable[str]) -> tuple[str, ...]:
    given: object = value
    if isinstance(given, str) or not isinstance(given, Iterable):
        raise InvalidValue(field="facts", reason=f"expected a list of codes, not {kind_of(given)}")
    codes = tuple(value)
    if not set(map(type, codes)) <= {str}:  # checked in C: codes are exact strings
        raise InvalidValue(field="facts", reason="expected a list of codes, each text")
    return codes


def _pairs(value: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    given: object = value
    items = tuple(given) if isinstance(given, Iterable) and not isinstance(given, str) else None
    # The common case, checked in C: pairs that are tuples of two exact strings, as an
    # application's history always is (it grows by one pair per action taken).
    if (
        items is not None
        and set(map(type, items)) <= {tuple}
        and set(map(len, items)) <= {2}
        and set(map(type, itertools.chain.from_iterable(items))) <= {str}
    ):
        return items  # just checked
    if items is None or not all(
        isinstance(pair, tuple | list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
        for pair in items
    ):
        raise InvalidValue(field="history", reason="expected (action, actor id) pairs of text")
    return tuple((a, b) for a, b in items)


@attrs.frozen(kw_only=True)
class Facts:
    """What guards and separation-of-duties checks may know about one application.

    Mappings are copied into read-only views when the facts are built.

    Attributes:
        answers: The applicant's form answers, by field name.
        required_documents: The codes of the documents this application needs.
        documents: Each submitted document's verdict, by code: ``"verified"``,
            ``"rejected"`` or ``"pending"``.
        payments: References of the payments recorded for the application.
        courier_jobs: The status of each linked courier job, by job id
            (``"delivered"`` once the permit reached the applicant).
        history: The ``(action, actor_id)`` pairs taken so far, oldest first.
    """

    answers: Mapping[str, object] = attrs.field(default=_EMPTY, converter=_answers)
    required_documents: tuple[str, ...] = attrs.field(default=(), converter=_codes)
    documents: Mapping[str, str] = attrs.field(default=_NO_VERDICTS, converter=_verdicts)
    payments: tuple[str, ...] = attrs.field(default=(), converter=_codes)
    courier_jobs: Mapping[str, str] = attrs.field(default=_NO_VERDICTS, converter=_jobs)
    history: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_pairs)

    def with_action(self, action: str, actor: str) -> Facts:
        """Return these facts with ``(action, actor)`` appended to the history."""
        return attrs.evolve(self, history=(*self.history, (action, actor)))

    def actions_by(self, actor: str) -> frozenset[str]:
        """Return the actions *actor* has taken on this application."""
        return frozenset(action for action, who in self.history if who == actor)


NO_FACTS = Facts()
"""Facts about an application of which nothing is known yet."""


@attrs.frozen(kw_only=True)
class GuardResult:
    """A guard's answer: whether the transition may go ahead, and why (not).

    Attributes:
        ok: Whether the guard passes.
        reason: Why it passes or, more usefully, why it refuses.
    """

    ok: bool
    reason: str = ""

    @classmethod
    def passed(cls, reason: str = "") -> GuardResult:
        """A passing result."""
        return cls(ok=True, reason=reason)

    @classmethod
    def refused(cls, reason: str) -> GuardResult:
        """A refusing result, with its explanation."""
        return cls(ok=False, reason=reason)

    @classmethod
    def check(cls, condition: bool, reason: str) -> GuardResult:
        """Pass if *condition* holds, else refuse with *reason*."""
        return cls(ok=bool(condition), reason="" if condition else reason)


Guard: TypeAlias = Callable[[Facts, "str | None"], GuardResult]
"""A guard, called with the application's facts and the reference's argument, if any."""


def _guard_table(value: Mapping[str, Guard]) -> Mapping[str, Guard]:
    given: object = value
    if not isinstance(given, Mapping):
        raise ConfigurationError(f"guards must map names to guards, not {kind_of(given)}")
    for name, guard in value.items():
        _check_guard(name, guard)
    return MappingProxyType(dict(sorted(value.items())))


def _check_guard(name: object, guard: object) -> None:
    """Refuse a guard name that is not one-line text without ':', or a guard not callable."""
    if not isinstance(name, str) or not name or ":" in name or name != name.strip():
        raise ConfigurationError(f"guard name {preview(name)} must be non-empty text, without ':'")
    if not callable(guard):
        raise ConfigurationError(f"guard {preview(name)} is not callable")


@attrs.frozen(kw_only=True)
class GuardRegistry:
    """An immutable table of named guards.

    Raises:
        ConfigurationError: If *guards* is not a mapping, a name is not non-empty text
            without ':' or surrounding white space, or a guard is not callable (as
            `with_guard` says).

    Attributes:
        guards: Each guard by name, sorted by name.
    """

    guards: Mapping[str, Guard] = attrs.field(factory=dict, converter=_guard_table)

    def names(self) -> tuple[str, ...]:
        """Return the registered names, sorted."""
        return tuple(self.guards)

    def __contains__(self, name: object) -> bool:
        """Return whether a guard called *name* is registered."""
        return name in self.guards

    def with_guard(self, name: str, guard: Guard, *, replace: bool = False) -> GuardRegistry:
        """Return a new registry that also holds *guard* under *name*.

        Raises:
            ConfigurationError: If *name* is not text, is empty or holds a colon or
                surrounding white space, or is already registered and *replace* is
                false; or if *guard* is not callable.
        """
        _check_guard(name, guard)
        if name in self.guards and not replace:
            raise ConfigurationError(
                f"a guard named {preview(name)} is already registered; "
                "pass replace=True to replace it"
            )
        return GuardRegistry(guards={**self.guards, name: guard})

    def get(self, name: str) -> Guard:
        """Return the guard called *name*.

        Raises:
            UnknownGuard: If none is registered under that name.
        """
        given: object = name
        found = self.guards.get(name) if isinstance(given, str) else None
        if found is None:
            shown = name if isinstance(given, str) and len(name) <= 64 else preview(given)
            raise UnknownGuard(shown, known=self.names())
        return found

    def evaluate(self, reference: str, facts: Facts) -> GuardResult:
        """Run the guard *reference* (``"name"`` or ``"name:argument"``) on *facts*.

        Raises:
            UnknownGuard: If the name is not registered.
        """
        name, argument = split_guard(reference)
        return self.get(name)(facts, argument)


def documents_verified(facts: Facts, argument: str | None) -> GuardResult:
    """Pass when every required document has the verdict ``"verified"``."""
    check_type(facts, Facts, field="facts")
    del argument
    missing = [
        code for code in facts.required_documents if facts.documents.get(code) != DOCUMENT_VERIFIED
    ]
    return GuardResult.check(not missing, f"documents not verified yet: {', '.join(missing)}")


def no_rejected_documents(facts: Facts, argument: str | None) -> GuardResult:
    """Pass when no submitted document has the verdict ``"rejected"``."""
    check_type(facts, Facts, field="facts")
    del argument
    rejected = sorted(code for code, v in facts.documents.items() if v == DOCUMENT_REJECTED)
    return GuardResult.check(not rejected, f"documents rejected: {', '.join(rejected)}")


def field_has_value(facts: Facts, argument: str | None) -> GuardResult:
    """Pass when the form field named by the argument has a non-empty answer."""
    check_type(facts, Facts, field="facts")
    if not argument:
        return GuardResult.refused("field_has_value needs a field name, as field_has_value:npwp")
    value = facts.answers.get(argument)
    empty = value is None or (isinstance(value, str | bytes | tuple | list | dict) and not value)
    return GuardResult.check(not empty, f"field {preview(argument)} has no value")


def payment_recorded(facts: Facts, argument: str | None) -> GuardResult:
    """Pass when at least one payment is recorded for the application."""
    check_type(facts, Facts, field="facts")
    del argument
    return GuardResult.check(bool(facts.payments), "no payment has been recorded")


def courier_delivered(facts: Facts, argument: str | None) -> GuardResult:
    """Pass when a linked courier job (the one named by the argument, if any) is delivered."""
    check_type(facts, Facts, field="facts")
    if argument:
        status = facts.courier_jobs.get(argument)
        return GuardResult.check(
            status == "delivered", f"courier job {preview(argument)} is not delivered yet"
        )
    delivered = any(status == "delivered" for status in facts.courier_jobs.values())
    if not facts.courier_jobs:
        return GuardResult.refused("no courier job is linked to the application")
    return GuardResult.check(delivered, "no linked courier job has been delivered yet")


_BUILT_INS: Mapping[str, Guard] = {
    "courier_delivered": courier_delivered,
    "documents_verified": documents_verified,
    "field_has_value": field_has_value,
    "no_rejected_documents": no_rejected_documents,
    "payment_recorded": payment_recorded,
}


def default_guards() -> GuardRegistry:
    """Return a registry holding the built-in guards.

    ``documents_verified``, ``no_rejected_documents``, ``field_has_value:<field>``,
    ``payment_recorded`` and ``courier_delivered`` (optionally ``:<job id>``).
    """
    return GuardRegistry(guards=_BUILT_INS)
