"""Litestar with onestop's own cattrs converter on the wire, through Litestar's DTO hook.

`CattrsDTO[T]` decodes request bodies and encodes responses with the converter
`starlette_app` uses (strict: no coercion, unknown keys refused, `Person | Organisation`
told apart), while the OpenAPI schema still comes from the attrs class through
Litestar's attrs plugin.  About 40 lines: what the Litestar design would need us to own.
Run: ``WEB_CHOICE_STORE=... uvicorn litestar_cattrs:app``.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import cattrs
from common import SubmissionRequest
from litestar import Litestar, Request, Response, get, post
from litestar.dto import AbstractDTO, DTOFieldDefinition
from litestar.exceptions import NotFoundException, ValidationException
from litestar.plugins.attrs import AttrsSchemaPlugin
from litestar.typing import FieldDefinition
from litestar_app import MALLS, PersonalSchema
from starlette_app import CONVERTER

from onestop.domain.applications.tracking import PublicStatus
from onestop.exceptions import ApplicationNotFound

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.openapi.spec import Reference, Schema

T = TypeVar("T")


class CattrsDTO(AbstractDTO[T], Generic[T]):
    """Bodies in and out through onestop's converter; schemas from the attrs class."""

    @classmethod
    def generate_field_definitions(
        cls, model_type: type[Any]
    ) -> Generator[DTOFieldDefinition, None, None]:
        yield from ()

    @classmethod
    def create_for_field_definition(
        cls, field_definition: FieldDefinition, handler_id: str, backend_cls: Any = None
    ) -> None:
        return None  # no msgspec transfer model: the converter does the work

    @classmethod
    def create_openapi_schema(
        cls, field_definition: FieldDefinition, handler_id: str, schema_creator: SchemaCreator
    ) -> Reference | Schema:
        return schema_creator.for_field_definition(FieldDefinition.from_annotation(cls.model_type))

    def decode_bytes(self, value: bytes) -> Any:
        try:
            return CONVERTER.structure(json.loads(value), self.model_type)
        except (cattrs.BaseValidationError, ValueError) as error:
            raise ValidationException("the body does not match its schema") from error

    def decode_builtins(self, value: dict[str, Any]) -> Any:
        return self.decode_bytes(json.dumps(value).encode())

    def data_to_encodable_type(self, data: Any) -> Any:
        return CONVERTER.unstructure(data)


@post("/echo", dto=CattrsDTO[PublicStatus], return_dto=CattrsDTO[PublicStatus])
async def echo(data: PublicStatus) -> PublicStatus:
    """Decode a `PublicStatus` and send it back."""
    return data


@get("/track", sync_to_thread=True, return_dto=CattrsDTO[PublicStatus])
def track(number: str, request: Request[Any, Any, Any]) -> PublicStatus:
    """Track an application: a blocking `Mall.track` on this thread's connection."""
    try:
        return MALLS.get().track(number, request.headers.get("lookup-secret", ""), language="en")
    except ApplicationNotFound:
        raise NotFoundException() from None


@post("/submissions", dto=CattrsDTO[SubmissionRequest], return_dto=None)
async def submit(data: SubmissionRequest) -> Response[dict[str, str]]:
    """Decode a full `SubmissionRequest` (person or organisation) and say what came."""
    return Response(
        {"service": data.service, "applicant": type(data.applicant).__name__}, status_code=201
    )


app = Litestar(
    route_handlers=[echo, track, submit],
    plugins=[AttrsSchemaPlugin(), PersonalSchema()],
    debug=False,
)
