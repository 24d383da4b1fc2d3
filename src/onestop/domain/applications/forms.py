"""Check a submission against a service version: typed answers, requirements, documents.

`check_submission` takes what an applicant sends (the answers to a service's form and
the documents for its requirements) and either returns a `Submission` whose values
are normalised, or raises one `InvalidApplication` that lists **every** problem, each
with the path of the field it concerns (``answers.floor_area``, ``documents[0].sha256``).
Messages name the field and the rule, never the value given: an answer may be
personal data.

How each form field type is checked:

=======================  ====================================================================
``text``, ``long_text``  a `str` (at most 1,000 and 10,000 characters) with no NUL, control
                         character or lone surrogate; only ``long_text`` may hold line breaks
                         and tabs; blank means unanswered
``number``               an `int` (not a `bool`), a finite `Decimal`, or a decimal string such
                         as ``"-12.5"`` (kept as a `Decimal`); at most 30 digits before the
                         point and 12 after; floats are refused; within the field's
                         ``minimum`` and ``maximum`` when it has them
``date``                 a `datetime.date` (not a `datetime`) or an ISO ``YYYY-MM-DD`` string
``boolean``              a `bool`
``choice``               one of the field's choice values
``multi_choice``         a list or tuple of distinct choice values (kept as a tuple)
``document``             a `DocumentRef` of the field's evidence type
``phone``                a valid phone number, kept in E.164 form (``+6281234567890``): in
                         international form, or national in the field's ``region``
``email``                an e-mail address of valid syntax, kept as the library normalises it
=======================  ====================================================================

Answers to fields the form does not declare are refused, never stored silently
(data minimisation).  ``None`` means unanswered.

**Digits.**  Numbers are written in ASCII digits ``0-9``.  An applicant who types in
the digits of one of the catalogue's languages (Khmer ``១២``, Arabic-Indic ``١٢``,
full-width ``U+FF11 U+FF12``) has them converted at this boundary, in number, date and phone
answers, for those languages only: a Khmer form reads Khmer digits and refuses
Arabic-Indic ones.  Pass the catalogue's languages as ``languages``
(`onestop.domain.applications.submission.submit` does).

Documents answer requirements.  A document for a requirement the service does not
have on the channel, or that does not apply to these answers, is refused; so is a
second document for the same requirement.  A requirement whose only presentation is
``upload`` must be uploaded with the submission; one that may also be shown at the
counter or handed to a courier can come later (`onestop.domain.applications.application` records
it with `DocumentAttached`).  When a document's bytes are given, their SHA-256 must
match the declared hash and their length the declared size.

>>> from onestop.domain.catalogue.model import FieldType, FormField
>>> from onestop.domain.common.text import LocalizedText
>>> field = FormField(name="floor_area", label=LocalizedText.of(en="Area"), type=FieldType.NUMBER)
>>> check_answer(field, "12.5")
(Decimal('12.5'), None)
>>> check_answer(field, 1.5)[1]
'a float is not accepted; give an int, a Decimal or a decimal string'
>>> check_answer(field, "\u17e1\u17e2", languages=("km", "en"))
(Decimal('12'), None)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import TypeAlias

import attrs

from onestop.domain.catalogue.model import ChannelKind, FieldType, FormField, Presentation, Service
from onestop.domain.catalogue.rules import Explanation
from onestop.domain.common._typed import of
from onestop.domain.common.contacts import normalise_email, normalise_phone
from onestop.domain.common.formats import (
    CATALOGUE_CODE,
    FIELD_NAME,
    MEDIA_TYPE,
    SHA256_HEX,
    int_problem,
    kind_of,
    preview,
    text_problem,
)
from onestop.domain.common.kinds import check_type, parse_number, to_ascii_digits
from onestop.exceptions import InvalidApplication, InvalidValue, Problem

__all__ = [
    "Answer",
    "Checked",
    "DocumentRef",
    "MAX_DOCUMENT_BYTES",
    "MAX_LONG_TEXT",
    "MAX_TEXT",
    "RequirementStatus",
    "Submission",
    "check_answer",
    "check_document",
    "check_submission",
    "is_answer",
    "requirement_statuses",
]

MAX_TEXT = 1_000
"""The longest answer, in characters, a ``text`` field takes."""
MAX_LONG_TEXT = 10_000
"""The longest answer, in characters, a ``long_text`` field takes."""

MAX_DOCUMENT_BYTES = 2**40
"""The largest document a reference may declare, in bytes (1 TiB)."""


def _content(value: bytes | None) -> bytes | None:
    given: object = value
    if isinstance(given, bytearray | memoryview):
        return bytes(given)
    return value  # bytes or None, or for the validator to refuse


@attrs.frozen(kw_only=True)
class DocumentRef:
    """A reference to one document: what it proves, and a fingerprint of its bytes.

    The bytes themselves live in a document store; events keep only this reference.
    When `content` is given, `check_document` verifies it against `sha256` and `size`;
    events always keep the reference without it (`without_content`).

    Building one checks the types of its fields (`InvalidValue` for a size that is not
    an `int`, content that is text); `check_document` checks what they hold.

    Attributes:
        requirement: The code of the requirement it answers (or the form field's name).
        evidence_type: The catalogue's evidence type code (``identity-card``).
        sha256: The SHA-256 of the bytes, 64 lowercase hex digits.
        media_type: An IANA media type such as ``application/pdf``.
        size: The length of the bytes.
        content: The bytes (or a `bytearray` or `memoryview`, copied to `bytes`), when
            the caller has them at hand; never shown in reprs.
    """

    requirement: str = attrs.field(validator=of(str))
    evidence_type: str = attrs.field(validator=of(str))
    sha256: str = attrs.field(validator=of(str))
    media_type: str = attrs.field(validator=of(str))
    size: int = attrs.field(validator=of(int))
    content: bytes | None = attrs.field(
        default=None,
        converter=_content,
        validator=of(bytes, optional=True),
        eq=False,
        hash=False,
        repr=False,
    )

    def without_content(self) -> DocumentRef:
        """Return this reference without its bytes, as events keep it."""
        return self if self.content is None else attrs.evolve(self, content=None)


Answer: TypeAlias = str | int | Decimal | bool | date | tuple[str, ...] | DocumentRef
"""A normalised answer to a form field."""


def is_answer(value: object, /) -> bool:
    """Return whether *value* is an `Answer`: a `datetime` is not a date, and a
    tuple holds text only.

    >>> is_answer(("a", "b")), is_answer(["a"]), is_answer(True)
    (True, False, True)
    """
    if isinstance(value, tuple):
        return all(isinstance(item, str) for item in value)
    if isinstance(value, datetime):
        return False
    return isinstance(value, str | int | Decimal | date | DocumentRef)


Checked: TypeAlias = tuple[Answer | None, str | None]
"""An answer normalised, or why it is refused (`check_answer`)."""


@attrs.frozen(kw_only=True)
class RequirementStatus:
    """Whether one requirement applies to a submission, and why.

    The explanation quotes answers, so it is for the applicant's own eyes: never log
    it or send it to a transport.

    Attributes:
        code: The requirement's code.
        evidence_type: The evidence type it asks for.
        applies: Whether the applicant must provide it.
        explanation: Why (``always required``, or the rule's evaluation).
        presentation: How it may be presented.
    """

    code: str
    evidence_type: str
    applies: bool
    explanation: Explanation = attrs.field(repr=False)
    presentation: tuple[Presentation, ...]


@attrs.frozen(kw_only=True)
class Submission:
    """A checked submission: normalised answers, documents and what is required.

    Attributes:
        answers: The answers, by field name, normalised (see the module's table).
        documents: The documents, without their bytes, in the order given.
        required: The codes of the requirements that apply, in the service's order.
    """

    answers: Mapping[str, Answer] = attrs.field(repr=False)
    documents: tuple[DocumentRef, ...]
    required: tuple[str, ...]


def _problem(path: str, message: str) -> Problem:
    return Problem(path=path, message=message)


def _check_text(field: FormField, value: object) -> Checked:
    long = field.type is FieldType.LONG_TEXT
    reason = text_problem(value, max_length=MAX_LONG_TEXT if long else MAX_TEXT, multiline=long)
    if reason is not None:
        return None, f"the text {reason}" if isinstance(value, str) else reason
    return value, None  # type: ignore[return-value]  # text_problem proved it is a str


def _check_number(field: FormField, value: object, languages: Sequence[str]) -> Checked:
    if isinstance(value, float):
        return None, "a float is not accepted; give an int, a Decimal or a decimal string"
    if isinstance(value, str):
        value = to_ascii_digits(value.strip(), languages=languages)
        if any(c.isdigit() and not c.isascii() for c in value):
            return None, "has digits of a script none of the catalogue's languages writes; use 0-9"
        if not value or len(value) > 44 or not value.isascii():
            return None, "expected a decimal number such as '12' or '12.5'"
    try:
        number = parse_number(value, field=field.name)
    except InvalidValue as exc:
        if isinstance(value, str) and exc.reason.startswith("is not a decimal number"):
            return None, "expected a decimal number such as '12' or '12.5'"
        return None, exc.reason
    if field.minimum is not None and number < field.minimum:
        return None, f"must be at least {field.minimum}"
    if field.maximum is not None and number > field.maximum:
        return None, f"must be at most {field.maximum}"
    return number, None


def _check_date(value: object, languages: Sequence[str]) -> Checked:
    if isinstance(value, datetime):
        return None, "expected a date, got a date and time"
    if isinstance(value, date):
        return value, None
    if isinstance(value, str):
        text = to_ascii_digits(value.strip(), languages=languages)
        if len(text) == 10 and text.isascii() and text[4] == "-" == text[7]:
            try:
                return date.fromisoformat(text), None
            except ValueError:
                pass
        return None, "expected a date of the form YYYY-MM-DD"
    return None, f"expected a date, got {_kind(value)}"


def _check_contact(field: FormField, value: object, languages: Sequence[str]) -> Checked:
    if field.type is FieldType.EMAIL:
        address, reason = normalise_email(value)
        return address, None if reason is None else f"the e-mail address {reason}"
    if isinstance(value, str):
        value = to_ascii_digits(value, languages=languages)
    number, reason = normalise_phone(value, region=field.region)
    return number, None if reason is None else f"the phone number {reason}"


def _check_choices(field: FormField, value: object) -> Checked:
    allowed = [c.value for c in field.choices]
    if field.type is FieldType.CHOICE:
        if not isinstance(value, str):
            return None, f"expected one of the choices, got {_kind(value)}"
        if value not in allowed:
            return None, f"not one of the choices: {', '.join(allowed)}"
        return value, None
    if not isinstance(value, list | tuple):
        return None, f"expected a list of choices, got {_kind(value)}"
    picked: list[str] = []
    for item in value:
        if not isinstance(item, str) or item not in allowed:
            return None, f"every item must be one of the choices: {', '.join(allowed)}"
        if item in picked:
            return None, "a choice is given twice"
        picked.append(item)
    return tuple(picked), None


def check_answer(
    field: FormField, value: object, /, *, languages: Sequence[str] = ()
) -> tuple[Answer | None, str | None]:
    """Check one answer against its field.

    Args:
        field: The form field.
        value: The answer given.
        languages: The catalogue's languages, whose digits a number, date or phone
            answer may be typed in (see the module's notes on digits).

    Returns:
        ``(normalised, None)`` when the answer fits the field's type, else
        ``(None, message)``; the message never quotes the value.

    Raises:
        InvalidValue: If *field* is not a `FormField`.
    """
    kind = check_type(field, FormField, field="field").type
    if kind in (FieldType.TEXT, FieldType.LONG_TEXT):
        return _check_text(field, value)
    if kind is FieldType.NUMBER:
        return _check_number(field, value, languages)
    if kind is FieldType.DATE:
        return _check_date(value, languages)
    if kind in (FieldType.PHONE, FieldType.EMAIL):
        return _check_contact(field, value, languages)
    if kind is FieldType.BOOLEAN:
        if not isinstance(value, bool):
            return None, f"expected true or false, got {_kind(value)}"
        return value, None
    if kind in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
        return _check_choices(field, value)
    if not isinstance(value, DocumentRef):
        return None, f"expected a DocumentRef, got {_kind(value)}"
    if field.evidence_type is not None and value.evidence_type != field.evidence_type:
        return None, f"expected a document of evidence type {preview(field.evidence_type)}"
    if check_document(value, path=""):
        return None, "the document reference is not valid"
    return value.without_content(), None


def _kind(value: object) -> str:
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return kind_of(value)


def _is_mapping(value: object) -> bool:
    return isinstance(value, Mapping)


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_answers(
    service: Service, answers: Mapping[str, object], /, *, languages: Sequence[str] = ()
) -> tuple[dict[str, Answer], list[Problem]]:
    """Check *answers* against *service*'s form; return the normalised ones and the problems.

    *languages* are the catalogue's, whose digits answers may be typed in.

    Raises:
        InvalidValue: If *service* is not a `Service`.
    """
    check_type(service, Service, field="service")
    problems: list[Problem] = []
    normalised: dict[str, Answer] = {}
    if not _is_mapping(answers):
        return normalised, [_problem("answers", f"expected a mapping, got {_kind(answers)}")]
    declared = {f.name for f in service.form}
    names: list[object] = list(answers)
    for name in sorted((k for k in names if k not in declared), key=preview):
        shown = name if FIELD_NAME.matches(name) else "(unprintable name)"
        problems.append(_problem(f"answers.{shown}", "the form has no such field"))
    for field in sorted(service.form, key=lambda f: (f.order, f.name)):
        value = answers.get(field.name)
        path = f"answers.{field.name}"
        if _is_blank(value):
            if field.required:
                problems.append(_problem(path, "a required answer is missing"))
            continue
        checked, message = check_answer(field, value, languages=languages)
        if message is not None:
            problems.append(_problem(path, message))
        elif checked is not None:
            normalised[field.name] = checked
    return normalised, problems


def check_document(document: object, /, *, path: str) -> list[Problem]:
    """Return the problems of one document reference; its bytes, if given, are checked.

    Args:
        document: The reference to check.
        path: The path to report, e.g. ``documents[2]``.
    """
    where = f"{path}." if path else ""
    if not isinstance(document, DocumentRef):
        return [_problem(path or "document", f"expected a DocumentRef, got {_kind(document)}")]
    problems: list[Problem] = []
    for name, fmt in _DOCUMENT_FORMATS:
        reason = fmt.problem(getattr(document, name))
        if reason is not None:
            problems.append(_problem(f"{where}{name}", reason))
    sha = document.sha256
    size = document.size
    reason = int_problem(size, maximum=MAX_DOCUMENT_BYTES)
    if reason is not None:
        problems.append(_problem(f"{where}size", f"the size in bytes {reason}"))
    elif document.content is not None:
        if len(document.content) != size:
            problems.append(_problem(f"{where}size", "the content's length differs from the size"))
        if hashlib.sha256(document.content).hexdigest() != sha:
            problems.append(
                _problem(f"{where}sha256", "the content does not match the declared hash")
            )
    return problems


_DOCUMENT_FORMATS = (
    ("requirement", CATALOGUE_CODE),
    ("evidence_type", CATALOGUE_CODE),
    ("sha256", SHA256_HEX),
    ("media_type", MEDIA_TYPE),
)


def requirement_statuses(
    service: Service, channel: ChannelKind, answers: Mapping[str, object], /
) -> tuple[RequirementStatus, ...]:
    """Say, for each requirement of *service* on *channel*, whether it applies and why.

    Raises:
        InvalidValue: If *service* is not a `Service`.
    """
    check_type(service, Service, field="service")
    return tuple(
        RequirementStatus(
            code=requirement.code,
            evidence_type=requirement.evidence_type,
            applies=explanation.value,
            explanation=explanation,
            presentation=requirement.presentation,
        )
        for requirement, explanation in service.applicable_requirements(channel, answers)
    )


def check_documents(
    service: Service,
    channel: ChannelKind,
    answers: Mapping[str, object],
    documents: Iterable[object],
    /,
) -> tuple[tuple[DocumentRef, ...], tuple[str, ...], list[Problem]]:
    """Check *documents* against the requirements that apply to *answers*.

    Returns:
        The documents without their bytes, the codes of the requirements that apply,
        and the problems found.
    """
    statuses = {s.code: s for s in requirement_statuses(service, channel, answers)}
    required = tuple(code for code, status in statuses.items() if status.applies)
    problems: list[Problem] = []
    kept: list[DocumentRef] = []
    seen: set[str] = set()
    items: Sequence[object] = (
        tuple(documents) if isinstance(documents, list | tuple) else (documents,)
    )
    for i, document in enumerate(items):
        path = f"documents[{i}]"
        found = check_document(document, path=path)
        if found or not isinstance(document, DocumentRef):
            problems.extend(found)
            if isinstance(document, DocumentRef) and isinstance(document.requirement, str):
                seen.add(document.requirement)  # given, if faulty: report it once
            continue
        problems.extend(_fit(document, statuses.get(document.requirement), path, seen))
        seen.add(document.requirement)
        kept.append(document.without_content())
    for code in required:
        only_upload = statuses[code].presentation == (Presentation.UPLOAD,)
        if only_upload and code not in seen:
            problems.append(
                _problem(f"documents.{code}", "this requirement applies and must be uploaded")
            )
    return tuple(kept), required, problems


def _fit(
    document: DocumentRef, status: RequirementStatus | None, path: str, seen: set[str]
) -> list[Problem]:
    if status is None:
        return [_problem(f"{path}.requirement", "the service has no such requirement here")]
    if not status.applies:
        return [_problem(f"{path}.requirement", "this requirement does not apply")]
    problems = []
    if document.evidence_type != status.evidence_type:
        problems.append(
            _problem(
                f"{path}.evidence_type", f"expected evidence type {preview(status.evidence_type)}"
            )
        )
    if document.requirement in seen:
        problems.append(_problem(f"{path}.requirement", "a second document for this requirement"))
    return problems


def check_submission(
    service: Service,
    channel: ChannelKind,
    answers: Mapping[str, object],
    documents: Iterable[object] = (),
    /,
    *,
    languages: Sequence[str] = (),
) -> Submission:
    """Check answers and documents for *service* on *channel*, all problems at once.

    *languages* are the catalogue's, whose digits answers may be typed in.

    Raises:
        InvalidApplication: Listing every problem with its field's path; messages never
            quote the values given.
    """
    normalised, problems = check_answers(service, answers, languages=languages)
    kept, required, document_problems = check_documents(service, channel, normalised, documents)
    problems.extend(document_problems)
    if problems:
        raise InvalidApplication(problems)
    return Submission(answers=MappingProxyType(normalised), documents=kept, required=required)
