"""Encode application events as canonical bytes for the store, and decode them back.

Applications are one `onestop.usecases.streams.StreamType`, `APPLICATIONS`: an event's
stored body is the stream core's envelope (`onestop.usecases.streams.encode`), with the
event's attributes as `onestop.serialization.make_converter` writes them (instants in
ISO 8601 with their offset, durations as ``"5 working days"``, enums by value);
answers carry a type tag each (``{"t": "date", "v": "2025-01-31"}``), so that a body
decodes without the catalogue; personal values are stored as the values they wrap, or
sealed (`onestop.usecases.sealing`) when the mall has keys: every `Personal` value of
the applicant and their representative, note texts, the answers (all of them as one
sealed value under the applicant's subject: answers may hold anything) and the free-text
inputs of an action (a reason for sending an application back may name anyone).
Answers and inputs whose subject was erased, or read without keys, read as empty
mappings: the application's erasure record is what tells a reader that they were
erased.

Bodies hold personal data, sealed or not: they are for the store only.  What transports
see is the thin `notice` of each event: ids, number, service, agency, state and action.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, time
from decimal import Decimal
from typing import Any

import cattrs

from onestop.domain.applications.application import (
    EVENT_TYPES,
    ActionTaken,
    Application,
    DeadlineRecounted,
    Event,
    Submitted,
)
from onestop.domain.applications.forms import Answer, DocumentRef
from onestop.domain.common.canonical import canonical_bytes
from onestop.domain.common.kinds import check_type
from onestop.domain.common.parties import Applicant, Organisation, Person
from onestop.domain.common.subjects import subject_id
from onestop.exceptions import ApplicationNotFound
from onestop.ports.keys import PersonalDataKeys
from onestop.serialization import make_converter
from onestop.usecases import streams
from onestop.usecases.sealing import check_keys, open_stored, seal_stored

__all__ = [
    "APPLICATIONS",
    "REQUEST_SCHEME",
    "decode_event",
    "digest",
    "encode_event",
    "notice",
    "request_digest",
    "secret_digest",
]


def _unstructure_answer(value: Answer) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"t": "bool", "v": value}
    if isinstance(value, int):
        return {"t": "int", "v": value}
    if isinstance(value, Decimal):
        return {"t": "decimal", "v": str(value)}
    if isinstance(value, str):
        return {"t": "text", "v": value}
    if isinstance(value, date):
        return {"t": "date", "v": value.isoformat()}
    if isinstance(value, DocumentRef):
        return {"t": "document", "v": _CONVERTER.unstructure(value.without_content())}
    return {"t": "choices", "v": list(value)}


_ANSWER_TYPES: Mapping[str, Any] = {
    "bool": bool,
    "int": int,
    "decimal": Decimal,
    "text": str,
    "date": date,
    "document": DocumentRef,
    "choices": tuple[str, ...],
}


def _structure_answers(value: Any, _: Any) -> dict[str, Answer]:
    opened = open_stored(value)
    if not opened.is_available:  # erased, or read without keys
        return {}
    value = opened.reveal()
    if not isinstance(value, dict):
        raise TypeError("expected a table of answers")
    answers: dict[str, Answer] = {}
    for name, tagged in value.items():
        if not isinstance(tagged, dict) or tagged.get("t") not in _ANSWER_TYPES:
            raise TypeError(f"answer {name!r} has no known type tag")
        kind = _ANSWER_TYPES[tagged["t"]]
        raw = tagged.get("v")
        answers[name] = Decimal(str(raw)) if kind is Decimal else _CONVERTER.structure(raw, kind)
    return answers


def _structure_inputs(value: Any, _: Any) -> dict[str, str]:
    opened = open_stored(value)
    if not opened.is_available:  # erased, or read without keys
        return {}
    inputs = opened.reveal()
    if not isinstance(inputs, dict) or not all(isinstance(v, str) for v in inputs.values()):
        raise TypeError("expected a table of text inputs")
    return inputs


def _unstructure_applicant(value: Applicant) -> dict[str, Any]:
    tag = "person" if isinstance(value, Person) else "organisation"
    body: dict[str, Any] = _CONVERTER.unstructure(value, type(value))
    return {"type": tag, **body}


def _structure_applicant(value: Any, _: Any) -> Applicant:
    if not isinstance(value, dict) or value.get("type") not in ("person", "organisation"):
        raise TypeError("expected an applicant tagged person or organisation")
    body = {k: v for k, v in value.items() if k != "type"}
    if value["type"] == "person":
        return _CONVERTER.structure(body, Person)
    return _CONVERTER.structure(body, Organisation)


def _structure_time(value: Any, _: Any) -> time:
    if not isinstance(value, str):
        raise TypeError("expected a time of day as text")
    return time.fromisoformat(value)


def _make() -> cattrs.Converter:
    conv = streams.register_personal(make_converter())
    conv.register_unstructure_hook_func(
        lambda t: t == Mapping[str, Answer],
        lambda answers: seal_stored({k: _unstructure_answer(v) for k, v in answers.items()}),
    )
    conv.register_structure_hook_func(lambda t: t == Mapping[str, Answer], _structure_answers)
    conv.register_unstructure_hook_func(
        lambda t: t == Mapping[str, str],
        lambda inputs: seal_stored(dict(inputs)) if inputs else {},
    )
    conv.register_structure_hook_func(lambda t: t == Mapping[str, str], _structure_inputs)
    conv.register_unstructure_hook_func(lambda t: t == Applicant, _unstructure_applicant)
    conv.register_structure_hook_func(lambda t: t == Applicant, _structure_applicant)
    conv.register_unstructure_hook(time, time.isoformat)  # a recorded calendar's hours
    conv.register_structure_hook(time, _structure_time)
    return conv


_CONVERTER = _make()


def _payload(event: Event) -> dict[str, Any]:
    body: dict[str, Any] = _CONVERTER.unstructure(event, type(event))
    body.pop("kind", None)
    return {"kind": event.kind, **body}


APPLICATIONS: streams.StreamType[Event, Application] = streams.StreamType(
    name="application",
    prefix="",
    event_types=EVENT_TYPES,
    converter=_CONVERTER,
    payload=_payload,
    fold=streams.folding(Application),
    missing=ApplicationNotFound,
)
"""The stream type of applications (one stream per application, folded into `Application`)."""


def encode_event(stream_id: str, event: Event, /, *, keys: PersonalDataKeys | None = None) -> bytes:
    """Return the canonical body of *event* in stream *stream_id*.

    Equal events in the same stream give equal bytes, whatever zone their instants
    were written in.  With *keys* the personal values are sealed under the
    application's subjects (`onestop.usecases.sealing.subject_id`); without, the bytes
    hold them in plain text.

    Raises:
        onestop.exceptions.KeyUnavailable: If the keys cannot seal.
        onestop.exceptions.InvalidValue: If an argument is of the wrong type.
    """
    subject = subject_id(stream_id) if keys is not None else None
    return streams.encode(APPLICATIONS, stream_id, event, keys=keys, subject=subject)


def decode_event(
    stream_id: str, kind: str, body: bytes, /, *, keys: PersonalDataKeys | None = None
) -> Event:
    """Decode a body written by `encode_event` (or by an earlier release), upcast if old.

    Sealed personal values are opened with *keys* (`onestop.usecases.streams.decode`).

    Raises:
        StorageError: If the body is not valid, belongs to another stream, or does not
            hold an event of *kind*; the message names paths, never values.
        onestop.exceptions.KeyUnavailable: If the keys cannot open a sealed value.
    """
    return streams.decode(APPLICATIONS, stream_id, kind, body, keys=keys)


_EVENT_CLASSES = tuple(EVENT_TYPES.values())


def notice(application: Application, event: Event, version: int, /) -> bytes:
    """Return the thin notification body for *event*, the *version*-th of *application*.

    It names the application, its number, service, agency and state after the event,
    the event's kind and instant; for a workflow action, the action and its effects;
    for a recount, the due date before and after (``due_before``, ``due``).
    It never holds answers, the applicant, notes or inputs.

    Raises:
        InvalidValue: If *application* is not an `Application`, or *event* not one of
            its events.
    """
    check_type(application, Application, field="application")
    check_type(event, _EVENT_CLASSES, field="event")
    body: dict[str, Any] = {
        "application_id": application.id,
        "number": application.number,
        "service": application.service,
        "agency": application.agency,
        "state": application.state,
        "kind": event.kind,
        "version": version,
        "at": event.at,
    }
    if isinstance(event, ActionTaken):
        body["action"] = event.action
        body["effects"] = list(event.effects)
    if isinstance(event, Submitted):
        body["channel"] = event.channel.value
    if isinstance(event, DeadlineRecounted):
        body["due_before"] = event.due_before
        body["due"] = event.due_after
    return canonical_bytes(body)


def digest(data: bytes, /) -> str:
    """The SHA-256 of *data*, as 64 lowercase hex digits.

    Raises:
        InvalidValue: If *data* is not bytes (a `bytearray` or `memoryview` is hashed
            as its bytes); text must be encoded first, as `secret_digest` does.
    """
    check_type(data, (bytes, bytearray, memoryview), field="data")
    return hashlib.sha256(data).hexdigest()


def secret_digest(secret: str, /) -> str:
    """The digest a lookup secret is kept as, and compared by: `digest` of its UTF-8.

    The one place secrets are hashed, for `onestop.usecases.mall.Mall.track` and the courier's
    tracking alike.  Text that no secret holds, such as a lone surrogate, is hashed
    too (encoded as it is), so that it matches no application instead of failing to
    encode.

    >>> secret_digest("s3cret") == digest(b"s3cret")
    True

    Raises:
        InvalidValue: If *secret* is not text.
    """
    check_type(secret, str, field="secret")
    return digest(secret.encode("utf-8", "surrogatepass"))


_REQUEST_FIELDS = (
    "service",
    "channel",
    "answers",
    "documents",
    "applicant",
    "representative",
    "actor",
)


REQUEST_SCHEME = "onestop-request"
"""The scheme `request_digest` keys a digest under, with `PersonalDataKeys.blind_index`."""


def request_digest(event: Submitted, /, *, keys: PersonalDataKeys | None = None) -> str:
    """Return a digest of what a submission asked for, to compare idempotent retries.

    It covers the service, channel, normalised answers, documents, applicant,
    representative and submitting actor; not the ids, number, secret or time, which
    differ between a request and its retry.

    The digest is kept in the idempotency record, outside any sealed body and beyond
    erasure.  A plain SHA-256 of a request would let whoever reads the store confirm a
    guessed identity number (or name) by hashing a guessed request: with *keys* it is
    keyed instead, as ``keys.blind_index(REQUEST_SCHEME, sha256)``, a keyed HMAC whose
    key never leaves the keys, so it can only be compared, not guessed.  Without keys
    (a mall that keeps personal data in plain text anyway) it is the plain SHA-256.

    Raises:
        onestop.exceptions.KeyUnavailable: If the keys cannot compute it.
        onestop.exceptions.InvalidValue: If an argument is of the wrong type.
    """
    check_type(event, Submitted, field="event")
    keys = check_keys(keys)
    payload = _payload(event)
    plain = digest(canonical_bytes({k: payload.get(k) for k in _REQUEST_FIELDS}))
    return plain if keys is None else keys.blind_index(REQUEST_SCHEME, plain)
