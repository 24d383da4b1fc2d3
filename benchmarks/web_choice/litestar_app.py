"""The Litestar prototype: attrs types straight in and out, OpenAPI from the same types.

Run: ``WEB_CHOICE_STORE=path/to/store.sqlite3 uvicorn litestar_app:app`` (from this
directory, with ``PYTHONPATH`` holding onestop's ``src``); `run.py` does it for you.

Endpoints: ``POST /echo`` (a `PublicStatus` in and back out), ``GET /track?number=``
with the lookup secret in the ``Lookup-Secret`` header (a real, blocking `Mall.track`
in Litestar's thread pool, one store connection per thread), ``POST /submissions/person``
(a `SubmissionRequest`-like body whose applicant is a `Person`, echoed as JSON).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import attrs
from common import Answer, PerThreadMall
from litestar import Litestar, get, post
from litestar.exceptions import NotFoundException
from litestar.openapi.config import OpenAPIConfig
from litestar.params import Parameter
from litestar.plugins import OpenAPISchemaPlugin
from litestar.plugins.attrs import AttrsSchemaPlugin
from litestar.typing import FieldDefinition

from onestop.domain.applications.forms import DocumentRef
from onestop.domain.applications.tracking import PublicStatus
from onestop.domain.catalogue.model import ChannelKind
from onestop.domain.common.parties import Person, Personal
from onestop.exceptions import ApplicationNotFound

if TYPE_CHECKING:  # Litestar's schema creator lives in a private module: named, not imported
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.openapi.spec import Reference, Schema

MALLS = PerThreadMall(Path(os.environ.get("WEB_CHOICE_STORE", "store.sqlite3")))


@attrs.frozen(kw_only=True)
class PersonSubmission:
    """The envelope with one attrs class where `SubmissionRequest` has a union of two."""

    service: str
    channel: ChannelKind
    applicant: Person
    answers: Mapping[str, Answer]
    documents: tuple[DocumentRef, ...] = ()


@post("/echo")
async def echo(data: PublicStatus) -> PublicStatus:
    """Decode a `PublicStatus` and send it back."""
    return data


@get("/track", sync_to_thread=True)
def track(number: str, secret: Annotated[str, Parameter(header="Lookup-Secret")]) -> PublicStatus:
    """Track an application: a blocking `Mall.track` on this thread's connection."""
    try:
        return MALLS.get().track(number, secret, language="en")
    except ApplicationNotFound:
        raise NotFoundException() from None


@post("/submissions/person")
async def submit_person(data: PersonSubmission) -> dict[str, Any]:
    """Decode a person's submission (Personal fields included) and say what came."""
    return {
        "service": data.service,
        "channel": data.channel.value,
        "documents": len(data.documents),
    }


def _is_personal(kind: Any) -> bool:
    return getattr(kind, "__origin__", kind) is Personal


class PersonalSchema(OpenAPISchemaPlugin):
    """Describe `Personal[X]` as X (Litestar would otherwise write ``{}``)."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return _is_personal(field_definition.annotation)

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema | Reference:
        (inner,) = field_definition.inner_types or (FieldDefinition.from_annotation(str),)
        return schema_creator.for_field_definition(inner)


app = Litestar(
    route_handlers=[echo, track, submit_person],
    plugins=[AttrsSchemaPlugin(), PersonalSchema()],
    type_decoders=[(_is_personal, lambda kind, value: Personal(value))],
    openapi_config=OpenAPIConfig(title="web-choice (Litestar)", version="0.0.0"),
    debug=False,
)
