"""The request and response bodies of the citizen API, as frozen attrs classes.

The OpenAPI document's schemas are generated from these classes, and the converter
(`onestop.web._wire`) reads and writes them: one description of the wire, not two.
Where a body holds a domain type (`Person`, `PublicStatus`), it is the domain's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from onestop.domain.catalogue.model import ChannelKind
from onestop.domain.common.parties import Organisation, Person, Representative

__all__ = [
    "Health",
    "ReceiptView",
    "ServiceList",
    "ServiceSummary",
    "SubmissionRequest",
    "UploadRef",
    "UploadView",
]

from onestop.web._wire import AnswerValue


@attrs.frozen(kw_only=True)
class Health:
    """The answer of ``/healthz`` and ``/readyz``.

    Attributes:
        status: ``ok``, or ``unavailable`` when the store does not answer.
    """

    status: str


@attrs.frozen(kw_only=True)
class ServiceSummary:
    """One service as the list shows it, in the language served.

    Attributes:
        code: The service's code.
        version: The version in effect now.
        agency: The code of the agency that provides it.
        agency_name: The agency's name.
        name: The service's name.
        description: What it is, or ``None``.
        channels: The channels it is offered through.
        time_limit: Its time limit, as the catalogue writes it (``5 working days``).
    """

    code: str
    version: int
    agency: str
    agency_name: str
    name: str
    description: str | None
    channels: tuple[ChannelKind, ...]
    time_limit: str


@attrs.frozen(kw_only=True)
class ServiceList:
    """The services in effect now.

    Attributes:
        language: The language the texts are in.
        services: The services, by code.
    """

    language: str
    services: tuple[ServiceSummary, ...]


@attrs.frozen(kw_only=True)
class UploadRef:
    """An upload named for one requirement: in a submission, or given after it.

    Attributes:
        requirement: The code of the requirement it answers.
        document_id: The id ``POST /api/v1/uploads`` gave it.
    """

    requirement: str
    document_id: str


@attrs.frozen(kw_only=True)
class SubmissionRequest:
    """An application, as a citizen submits it.

    Attributes:
        service: The code of the service applied for.
        channel: The channel it comes through (``online`` for this API).
        applicant: The person or organisation applying.
        answers: The form's answers by field name.
        documents: The uploaded documents, by requirement.
        representative: Who submits on the applicant's behalf, if anyone.
    """

    service: str
    channel: ChannelKind
    applicant: Person | Organisation
    answers: Mapping[str, AnswerValue] = attrs.field(factory=dict)
    documents: tuple[UploadRef, ...] = ()
    representative: Representative | None = None


@attrs.frozen(kw_only=True)
class ReceiptView:
    """What the applicant gets back on submission.

    Attributes:
        application_id: The application's id.
        number: Its number, for tracking and at the counter.
        lookup_secret: The secret that, with the number, shows its status; keep it.
            ``None`` only on a replay after the server's secret changed (``--secret-file``,
            or the ``.serve-secret`` beside an SQLite store): it cannot be made again,
            and the first receipt's secret still works.
        due: The due date, or ``None`` while its clock has not started.
        required_documents: The codes of the requirements that apply.
        replayed: Whether this answers a repeat of an earlier request (same key and body).
    """

    application_id: str
    number: str
    lookup_secret: str | None
    due: datetime | None
    required_documents: tuple[str, ...]
    replayed: bool


@attrs.frozen(kw_only=True)
class UploadView:
    """A document kept, before or after it is attached.

    Attributes:
        document_id: Its id, to name in a submission's ``documents``.
        media_type: The media type sniffed from its bytes.
        size: Its length in bytes, after metadata (such as GPS positions) was stripped.
        sha256: The SHA-256 of the bytes kept, in hex.
    """

    document_id: str
    media_type: str
    size: int
    sha256: str
