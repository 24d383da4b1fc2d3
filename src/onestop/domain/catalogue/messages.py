"""onestop's own citizen-facing texts, by key, with a catalogue's overrides and extensions.

onestop itself shows a citizen a few texts no catalogue states: the history labels of a
suspension, a resumption and a withdrawal (``state.suspended``), the courier tracking
labels (``courier.out_for_delivery``) and the reasons a document is rejected
(``reason.blurry``).  Each has a **key** in `BUILT_IN_KEYS`; their translations ship
with onestop as data files, one per language, which an adapter reads into `Shipped`
(the domain does no I/O).  A catalogue overrides any of them, or adds its own
``reason.<code>`` texts, with `Message` entries (the ``[[messages]]`` section).

Every translation carries a ``reviewed`` mark: ``False`` for placeholder and machine
text.  `missing_messages` reports each built-in key a declared language has no text
for; `unreviewed_messages` lists what is served unreviewed, as notes.

>>> shipped = Shipped.of({"en": {"state.withdrawn": Translation(text="Withdrawn")}})
>>> message_text("state.withdrawn", "en-GB", shipped=shipped)
'Withdrawn'
>>> override = Message(key="state.withdrawn", text=LocalizedText.of(en="Cancelled"))
>>> message_text("state.withdrawn", "en", shipped=shipped, overrides=(override,))
'Cancelled'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

import attrs

from onestop.domain.common._typed import of
from onestop.domain.common.formats import kind_of, preview, text_problem
from onestop.domain.common.kinds import check_strings, check_type
from onestop.domain.common.text import (
    MAX_TEXT,
    LocalizedText,
    is_language_tag,
    language_fallbacks,
)
from onestop.exceptions import InvalidValue, Problem

__all__ = [
    "BUILT_IN_KEYS",
    "Message",
    "Shipped",
    "Translation",
    "message_text",
    "missing_messages",
    "unreviewed_messages",
]

BUILT_IN_KEYS: tuple[str, ...] = (
    "state.suspended",
    "state.resumed",
    "state.withdrawn",
    "state.deadline_recounted",
    "courier.info_received",
    "courier.pickup_scheduled",
    "courier.picked_up",
    "courier.at_agency",
    "courier.out_for_delivery",
    "courier.attempt_failed",
    "courier.delivered",
    "courier.returned_to_counter",
    "courier.exception",
    "reason.blurry",
    "reason.expired",
    "reason.unsigned",
    "reason.incomplete",
    "reason.wrong_document",
    "reason.mismatch",
)
"""The key of every text onestop itself shows a citizen, in a stable order.

``state.*`` label history steps that are no workflow state, ``courier.*`` the courier
tracking statuses (`onestop.domain.courier.flow.TrackingStatus`), and ``reason.*`` the
document rejection reasons onestop knows; a catalogue may add more ``reason.*`` keys."""

_KEY = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9][a-z0-9_.-]*)+")
_MAX_KEY = 80


def _key(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or len(value) > _MAX_KEY or not _KEY.fullmatch(value):
        shown = preview(value) if isinstance(value, str) else kind_of(value)
        raise InvalidValue(
            field=attribute.name,
            reason=f"{shown} is not a message key such as 'reason.blurry'",
        )


def _text(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    problem = text_problem(value, max_length=MAX_TEXT)
    if problem is not None:
        raise InvalidValue(field=attribute.name, reason=problem)


@attrs.frozen(kw_only=True)
class Translation:
    """One shipped text in one language.

    Attributes:
        text: The text.
        reviewed: ``True`` only if a person fluent in the language checked it;
            placeholder and machine translations are ``False``.
    """

    text: str = attrs.field(validator=_text)
    reviewed: bool = attrs.field(default=True, validator=of(bool))


@attrs.frozen(kw_only=True)
class Message:
    """A catalogue's text for a key: an override of a built-in one, or its own.

    Attributes:
        key: The key, such as ``state.withdrawn`` or ``reason.stamp_missing``.
        text: The text in the languages the catalogue gives it in.
        reviewed: Whether the catalogue's authors checked every translation given.
    """

    key: str = attrs.field(validator=_key)
    text: LocalizedText = attrs.field(validator=of(LocalizedText))
    reviewed: bool = attrs.field(default=True, validator=of(bool))


def _frozen(
    by_language: Mapping[str, Mapping[str, Translation]],
) -> Mapping[str, Mapping[str, Translation]]:
    check_type(by_language, Mapping, field="by_language")
    frozen: dict[str, Mapping[str, Translation]] = {}
    for language, texts in by_language.items():
        if not is_language_tag(language):
            raise InvalidValue(field="by_language", reason=f"{preview(language)} is not a tag")
        check_type(texts, Mapping, field=f"by_language[{language}]")
        for key, translation in texts.items():
            check_type(key, str, field=f"by_language[{language}]")
            check_type(translation, Translation, field=f"by_language[{language}][{key}]")
        frozen[language.lower()] = MappingProxyType(dict(texts))
    return MappingProxyType(frozen)


@attrs.frozen(kw_only=True)
class Shipped:
    """The translations onestop ships, by language then key.

    Attributes:
        by_language: ``{language: {key: Translation}}``, language tags lower-cased.
    """

    by_language: Mapping[str, Mapping[str, Translation]] = attrs.field(converter=_frozen)

    @classmethod
    def of(cls, by_language: Mapping[str, Mapping[str, Translation]], /) -> Shipped:
        """Build from ``{language: {key: Translation}}``.

        Raises:
            InvalidValue: If a language is not a tag or a value not a `Translation`.
        """
        return cls(by_language=by_language)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages shipped, sorted."""
        return tuple(sorted(self.by_language))

    def find(self, key: str, language: str) -> Translation | None:
        """Return the translation of *key* in *language* or its prefixes, if shipped.

        Raises:
            InvalidValue: If *key* or *language* is not text.
        """
        check_type(key, str, field="key")
        check_type(language, str, field="language")
        for prefix in language_fallbacks(language):
            found = self.by_language.get(prefix, {}).get(key)
            if found is not None:
                return found
        return None


def _override(key: str, language: str, overrides: Sequence[Message]) -> Message | None:
    for message in overrides:
        if message.key == key and any(message.text.has(p) for p in language_fallbacks(language)):
            return message
    return None


def message_text(
    key: str,
    language: str,
    /,
    *,
    shipped: Shipped,
    overrides: Sequence[Message] = (),
    fallbacks: Iterable[str] = (),
) -> str | None:
    """Return *key*'s text in *language*, or ``None`` if no language of the chain has it.

    The chain is *language* (and its prefixes) then each of *fallbacks*; in each, the
    catalogue's *overrides* win over what onestop ships.

    Raises:
        InvalidValue: If *key* or a language is not a `str`, *shipped* not `Shipped`,
            or *overrides* not a collection of `Message`.
    """
    check_type(key, str, field="key")
    check_type(shipped, Shipped, field="shipped")
    chain = [check_type(language, str, field="language")]
    chain += check_strings(fallbacks, field="fallbacks")
    found = _messages(overrides)
    for tag in chain:
        message = _override(key, tag, found)
        if message is not None:
            return message.text.get(tag)
        translation = shipped.find(key, tag)
        if translation is not None:
            return translation.text
    return None


def _messages(overrides: object) -> tuple[Message, ...]:
    if isinstance(overrides, str | bytes) or not isinstance(overrides, Iterable):
        raise InvalidValue(field="overrides", reason=f"expected messages, not {kind_of(overrides)}")
    return tuple(check_type(m, Message, field=f"overrides[{i}]") for i, m in enumerate(overrides))


def _inputs(
    overrides: object, languages: object, shipped: object
) -> tuple[tuple[Message, ...], list[str]]:
    check_type(shipped, Shipped, field="shipped")
    wanted = [t for t in check_strings(languages, field="languages") if is_language_tag(t)]
    return _messages(overrides), wanted


def missing_messages(
    overrides: Sequence[Message], languages: Sequence[str], *, shipped: Shipped
) -> list[Problem]:
    """Return a problem for each declared language lacking a text for some key.

    Built-in keys are looked up in the overrides then in *shipped*; a catalogue's own
    keys (not in `BUILT_IN_KEYS`) must be given in each language by its overrides.
    Paths are ``messages`` (built-in keys) or ``messages[i].text`` (the catalogue's own).

    Raises:
        InvalidValue: If an argument is not of the type it names.
    """
    overrides, wanted = _inputs(overrides, languages, shipped)
    problems: list[Problem] = []
    for language in wanted:
        missing = [
            k
            for k in BUILT_IN_KEYS
            if _override(k, language, overrides) is None and shipped.find(k, language) is None
        ]
        if missing:
            message = (
                f"no text in {preview(language)} for the built-in message(s) {', '.join(missing)}; "
                "add them under [[messages]]"
            )
            problems.append(Problem(path="messages", message=message))
    for i, override in enumerate(overrides):
        if override.key in BUILT_IN_KEYS:
            continue
        gaps = [t for t in wanted if not any(override.text.has(p) for p in language_fallbacks(t))]
        if gaps:
            text = f"missing translation(s) of {preview(override.key)}: {', '.join(gaps)}"
            problems.append(Problem(path=f"messages[{i}].text", message=text))
    return problems


def unreviewed_messages(
    overrides: Sequence[Message], languages: Sequence[str], *, shipped: Shipped
) -> list[Problem]:
    """Return a note for each declared language served unreviewed texts, naming their keys.

    A text is unreviewed when the one served (the override, else the shipped one) is
    marked ``reviewed = false``.  These are notes, not problems: loading does not fail.

    Raises:
        InvalidValue: If an argument is not of the type it names.
    """
    overrides, wanted = _inputs(overrides, languages, shipped)
    notes: list[Problem] = []
    for language in wanted:
        keys: list[str] = []
        for key in BUILT_IN_KEYS:
            message = _override(key, language, overrides)
            translation = shipped.find(key, language) if message is None else None
            if (message is not None and not message.reviewed) or (
                translation is not None and not translation.reviewed
            ):
                keys.append(key)
        keys += [
            m.key
            for m in overrides
            if m.key not in BUILT_IN_KEYS and not m.reviewed and m.text.has(language)
        ]
        if keys:
            text = f"unreviewed text(s) in {preview(language)}: {', '.join(keys)}"
            notes.append(Problem(path="messages", message=text))
    return notes
