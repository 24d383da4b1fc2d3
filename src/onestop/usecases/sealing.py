"""Sealing personal values inside the stream core: the stored form, the keys, the scope.

`onestop.usecases.streams.encode` with `onestop.ports.keys.PersonalDataKeys` stores
every `onestop.domain.common.parties.Personal` value (and whatever a stream type's
converter passes through `seal_stored`, such as an application's answers) as

.. code-block:: json

    {"$sealed": {"subject": "<application_id>/applicant", "token": "..."}}

the canonical JSON of the value, sealed under the data subject's key with
`sealing_context` (the stream id and the subject) as associated data, so that a token
copied into another stream, or relabelled with another subject, does not open.  Inside
a `onestop.domain.common.parties.Representative` the subject is the same
application's ``representative`` one.  `onestop.usecases.streams.decode` opens them
(`open_stored`): a value whose subject was erased reads as `Personal.erased`, and
without keys every sealed value reads as `Personal.withheld`.

A `onestop.domain.common.parties.Person`'s personal fields are sealed together, as one
value (opening one costs a cipher set-up and a key look-up, whatever its length):

.. code-block:: json

    {"identity_scheme": "id-nik",
     "$personal": {"held": ["address", "identity_number", "name"],
                   "value": {"$sealed": {"subject": "...", "token": "..."}}}}

``held`` names the fields present (an absent phone number stays absent, not withheld);
after erasure, or without keys, each of them reads erased, or withheld.

The keys reach the converter's hooks through a context variable that `sealing_scope`
sets for the length of one encoding or decoding; the public API passes them
explicitly (``keys=``).
"""

from __future__ import annotations

import functools
import json
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

import attrs
import cattrs

from onestop.domain.applications.application import Application
from onestop.domain.common.canonical import canonical_bytes
from onestop.domain.common.formats import kind_of
from onestop.domain.common.kinds import check_type
from onestop.domain.common.parties import Organisation, Person, Personal, Representative
from onestop.domain.common.subjects import ROLES, subject_id
from onestop.exceptions import ConfigurationError, InvalidValue, StorageError
from onestop.ports.keys import PersonalDataKeys, SubjectKeyStore

__all__ = [
    "ROLES",
    "SEALED",
    "check_keys",
    "index_people",
    "open_stored",
    "register_personal",
    "seal_stored",
    "sealing_context",
    "sealing_scope",
]

SEALED = "$sealed"
"""The one key of a sealed value's table, as in ``{"$sealed": {"subject": S, "token": T}}``."""


@attrs.frozen(kw_only=True)
class _Scope:
    """What the converter seals with, or opens with, while one event is (de)coded."""

    keys: PersonalDataKeys | None
    stream_id: str
    subject: str | None
    openers: dict[str, Callable[[str, bytes], bytes | None]] | None = None
    """Per subject, the keys' opener (`onestop.privacy.Keyring.opener`) for this event."""


_KEY_METHODS = frozenset({"seal", "open", "blind_index", "forget"})
"""The methods `check_keys` looks for."""

_KEY_CLASSES: set[type] = set()
"""Classes found to have `_KEY_METHODS`: the stream core checks its keys twice per event it
decodes, so `check_keys` looks at a class once (an instance attribute shadowing one of the
methods is still looked at)."""

_JSON = json.JSONDecoder(parse_float=Decimal)
"""Reads opened values, fractions as `Decimal`; one decoder, not one per `json.loads` call."""

_MALFORMED = "a sealed value does not hold a subject and a token, as text"

_SCOPE: ContextVar[_Scope | None] = ContextVar("onestop_sealing", default=None)


def check_keys(keys: object, /) -> PersonalDataKeys | None:
    """Return *keys* if they are ``None`` or have the methods of `PersonalDataKeys`.

    Raises:
        onestop.exceptions.InvalidValue: If they are not (naming ``keys``).
    """
    if keys is None:
        return None
    kind = type(keys)
    shadowed = getattr(keys, "__dict__", None)
    if kind in _KEY_CLASSES and (not shadowed or _KEY_METHODS.isdisjoint(shadowed)):
        return keys  # type: ignore[return-value]  # its class has the methods
    if all(callable(getattr(keys, n, None)) for n in _KEY_METHODS):
        if all(callable(getattr(kind, n, None)) for n in _KEY_METHODS):
            _KEY_CLASSES.add(kind)
        return keys  # type: ignore[return-value]  # duck-typed, as the protocol is
    raise InvalidValue(field="keys", reason=f"must be PersonalDataKeys, not {kind_of(keys)}")


@contextmanager
def sealing_scope(
    keys: PersonalDataKeys | None, /, *, stream_id: str, subject: str | None = None
) -> Iterator[None]:
    """Seal (with a *subject*) or open personal values of *stream_id* with *keys*, within.

    `onestop.usecases.streams.encode` and `onestop.usecases.streams.decode` enter it
    around their converter; the hooks `register_personal` installs, `seal_stored` and
    `open_stored` read it.  Scopes nest: the innermost counts.

    Raises:
        onestop.exceptions.InvalidValue: If an argument is of the wrong type.
    """
    scope = _Scope(
        keys=check_keys(keys),
        stream_id=check_type(stream_id, str, field="stream_id"),
        subject=check_type(subject, (str, type(None)), field="subject"),
    )
    token = _SCOPE.set(scope)
    try:
        yield
    finally:
        _SCOPE.reset(token)


@contextmanager
def opening_scope(keys: PersonalDataKeys | None, /, *, stream_id: str) -> Iterator[None]:
    """`sealing_scope` to open values, for the stream core: *keys* checked already.

    `onestop.usecases.streams.decode` checks its arguments once and enters this per
    event, so the keys' check is not paid twice for every event a read decodes.
    """
    openers: dict[str, Callable[[str, bytes], bytes | None]] | None = None if keys is None else {}
    token = _SCOPE.set(_Scope(keys=keys, stream_id=stream_id, subject=None, openers=openers))
    try:
        yield
    finally:
        _SCOPE.reset(token)


def sealing_context(stream_id: str, subject: str, /) -> bytes:
    """The associated data a value of *subject* in *stream_id* is sealed with.

    >>> sealing_context("a1", "a1/applicant")
    b'["onestop.sealed/1","a1","a1/applicant"]'

    Raises:
        onestop.exceptions.InvalidValue: If an argument is not text.
    """
    check_type(stream_id, str, field="stream_id")
    check_type(subject, str, field="subject")
    return _context(stream_id, subject)


@functools.lru_cache(maxsize=1024)
def _context(stream_id: str, subject: str, /) -> bytes:
    """`sealing_context`, remembered: a stream's values are sealed and opened together."""
    return canonical_bytes(["onestop.sealed/1", stream_id, subject])


def seal_stored(value: object, /) -> object:
    """The stored form of *value* (already unstructured): sealed in a scope with keys.

    Outside a `sealing_scope` with keys and a subject it is *value* itself, as stored
    before sealing existed.

    Raises:
        onestop.exceptions.NotCanonical: If *value* has no canonical encoding.
        onestop.exceptions.PersonalDataErased: If the keys refuse an erased subject.
        onestop.exceptions.KeyUnavailable: If the keys cannot seal.
    """
    scope = _SCOPE.get()
    if scope is None or scope.keys is None or scope.subject is None:
        return value
    plaintext = canonical_bytes(value)
    context = sealing_context(scope.stream_id, scope.subject)
    token = scope.keys.seal(scope.subject, plaintext, context=context)
    return {SEALED: {"subject": scope.subject, "token": token}}


def open_stored(value: object, /) -> Personal[Any]:
    """Open a stored value that `seal_stored` may have sealed, in the current scope.

    A value that is not sealed comes back as it is, wrapped in `Personal`; a sealed
    one opened with the scope's keys, or `Personal.erased` if its subject was erased,
    or `Personal.withheld` without keys (or outside any scope).

    Raises:
        onestop.exceptions.StorageError: If *value* is a malformed sealed value, or its
            token does not open (altered, or moved from another stream or subject).
        onestop.exceptions.KeyUnavailable: If the keys cannot open it.
    """
    if not (isinstance(value, dict) and SEALED in value):
        return Personal(value)
    opened = _opened(value)
    return opened if type(opened) is Personal else Personal(opened)


def _opened(value: dict[str, Any], /) -> object:
    """`open_stored` of a table: the value it opens to, or `Personal` erased or withheld.

    The structure hook's path: one `Personal` is made, by the hook, around the value
    its inner type's hook structures (a JSON value is never a `Personal`).
    """
    sealed = value.get(SEALED)
    if not (type(sealed) is dict and len(sealed) == 2 and len(value) == 1):
        raise StorageError(_MALFORMED)
    subject = sealed.get("subject")
    token = sealed.get("token")
    if not (type(subject) is str and type(token) is str):
        raise StorageError(_MALFORMED)
    scope = _SCOPE.get()
    if scope is None or scope.keys is None:
        return Personal.withheld()
    context = _context(scope.stream_id, subject)
    openers = scope.openers
    opener = None if openers is None else openers.get(subject)
    if opener is not None:
        plaintext = opener(token, context)
    else:
        plaintext = scope.keys.open(subject, token, context=context)
        opener_of = getattr(scope.keys, "opener", None)  # optional: `Keyring` has it
        if openers is not None and plaintext is not None and callable(opener_of):
            made = opener_of(subject)
            if callable(made):
                openers[subject] = made
    if plaintext is None:
        return Personal.erased()
    try:
        text = plaintext.decode("utf-8")
        opened, end = _JSON.raw_decode(text)  # canonical JSON: no white space around it
    except (ValueError, TypeError, RecursionError):  # a UnicodeDecodeError is a ValueError
        raise StorageError("a sealed value does not open to JSON") from None
    if end != len(text):
        raise StorageError("a sealed value does not open to JSON")
    return opened


def _is_personal(kind: Any) -> bool:
    return bool(typing.get_origin(kind) is Personal or kind is Personal)


def register_personal(conv: cattrs.Converter, /) -> cattrs.Converter:
    """Teach *conv* `Personal` values: stored as the value they wrap, read back wrapped.

    In a `sealing_scope` with keys a value is stored sealed (`seal_stored`), and a
    `Representative`'s person under the representative's subject; a sealed value is
    read back opened (`open_stored`).  Returns *conv*.

    Raises:
        onestop.exceptions.InvalidValue: If *conv* is not a `cattrs.Converter`.
    """
    check_type(conv, cattrs.Converter, field="conv")

    def factory(kind: Any) -> Callable[[Any, Any], Any]:
        (inner,) = typing.get_args(kind) or (str,)
        hook = conv.get_structure_hook(inner)

        def structure(value: Any, _: Any) -> Personal[Any]:
            if type(value) is not dict or SEALED not in value:  # plain, as stored without keys
                if type(value) is Personal:  # a person's field, opened with its person
                    return value
                return Personal(hook(value, inner))
            opened = _opened(value)
            if type(opened) is Personal:  # erased or withheld
                return opened
            return Personal(hook(opened, inner))

        return structure

    def unstructure_representative(value: Representative) -> Any:
        scope = _SCOPE.get()
        if scope is None or scope.subject is None:
            return representative(value)
        subject = f"{scope.subject.rpartition('/')[0] or scope.subject}/representative"
        token = _SCOPE.set(attrs.evolve(scope, subject=subject))
        try:
            return representative(value)
        finally:
            _SCOPE.reset(token)

    def unstructure(value: Personal[Any]) -> Any:
        return seal_stored(conv.unstructure(value.reveal()))

    conv.register_unstructure_hook_func(_is_personal, unstructure)  # Personal[str], Personal
    conv.register_structure_hook_factory(_is_personal, factory)
    _register_person(conv)  # after Personal's hooks, using them
    representative = conv.get_unstructure_hook(Representative)  # after Person's, using it
    conv.register_unstructure_hook(Representative, unstructure_representative)
    return conv


PERSON_SEALED = "$personal"
"""The key under which a `Person`'s personal fields are stored, sealed as one value."""


def _personal_fields(kind: type) -> frozenset[str]:
    hints = typing.get_type_hints(kind)
    return frozenset(
        f.name
        for f in attrs.fields(kind)
        if any(_is_personal(t) for t in (hints[f.name], *typing.get_args(hints[f.name])))
    )


def _register_person(conv: cattrs.Converter, /) -> None:
    """Store a `Person`'s personal fields sealed as one value, under `PERSON_SEALED`.

    One value per person, not one per field: opening a value costs a cipher set-up
    and a key look-up, whatever its length.  The fields that are ``None`` stay in the
    body as ``null`` (as they do unsealed), so a read without keys, or after erasure,
    tells an absent phone number from a withheld one.
    """
    fields = _personal_fields(Person)
    person = conv.get_unstructure_hook(Person)
    structure_person = conv.get_structure_hook(Person)

    def unstructure(value: Person) -> Any:
        scope = _SCOPE.get()
        if scope is None or scope.keys is None or scope.subject is None:
            return person(value)
        token = _SCOPE.set(attrs.evolve(scope, keys=None))  # the fields, unsealed
        try:
            body: dict[str, Any] = person(value)
        finally:
            _SCOPE.reset(token)
        held = {name: body.pop(name) for name in sorted(fields) if body.get(name) is not None}
        body[PERSON_SEALED] = {"held": list(held), "value": seal_stored(held)}
        return body

    def structure(value: Any, _: Any) -> Person:
        if type(value) is not dict or PERSON_SEALED not in value:
            return structure_person(value, Person)  # type: ignore[no-any-return]
        body = dict(value)
        stored = body.pop(PERSON_SEALED)
        if type(stored) is not dict:
            raise StorageError(_MALFORMED)
        held, sealed = stored.get("held"), stored.get("value")
        if not (type(held) is list and type(sealed) is dict and SEALED in sealed):
            raise StorageError(_MALFORMED)
        if not (fields.issuperset(held) and body.keys().isdisjoint(held)):
            raise TypeError("a person's sealed fields are not among its personal fields")
        opened = _opened(sealed)
        if type(opened) is Personal:  # erased or withheld: every field held in it
            body.update((name, opened) for name in held)
        elif type(opened) is dict and opened.keys() == set(held):
            body.update(opened)
        else:
            raise TypeError("a person's sealed fields are not the ones it says it holds")
        return structure_person(body, Person)  # type: ignore[no-any-return]

    conv.register_unstructure_hook(Person, unstructure)
    conv.register_structure_hook(Person, structure)


def index_people(keys: PersonalDataKeys, store: object, application: Application, /) -> int:
    """Add *application*'s people to the blind index: their identity numbers, keyed.

    The applicant (or an organisation's contact person) leads to the applicant's
    subject, a representative to the representative's; the numbers themselves are
    never stored.  Returns how many rows were added.

    Raises:
        onestop.exceptions.ConfigurationError: If *store* keeps no subject keys.
        onestop.exceptions.KeyUnavailable: If the keys cannot make the index key.
        onestop.exceptions.InvalidValue: If an argument is not of its type.
    """
    check_type(application, Application, field="application")
    if not isinstance(store, SubjectKeyStore):
        raise ConfigurationError("sealing personal data needs a store that keeps subject keys")
    people: list[tuple[Person, str]] = []
    applicant = application.applicant
    person = applicant.contact_person if isinstance(applicant, Organisation) else applicant
    if person is not None:
        people.append((person, subject_id(application.id, "applicant")))
    if application.representative is not None:
        people.append(
            (application.representative.person, subject_id(application.id, "representative"))
        )
    for who, subject in people:
        number = who.identity_number
        if number.is_available:
            store.index_subject(keys.blind_index(who.identity_scheme, number.reveal()), subject)
    return len(people)
