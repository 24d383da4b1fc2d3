"""Schemathesis hooks of the API run (`test_web_schemathesis.py`): domain knowledge only.

A JSON Schema cannot say what the catalogue says: which services exist, what each
form asks, which documents a service needs.  Left alone, nearly every schema-valid
submission schemathesis draws is refused by the catalogue's rules (a 422), and the
workflow behind a receipt is never reached.  So nine in ten of the *positive*
submissions are turned into an application for the sample mall's ``kia`` service,
keeping what schemathesis drew where the service allows it: the applicant's name
(any text: a name the domain refuses is still a 422 it must answer well), and the
uploads a link named, now for the service's real requirements.  Likewise nine in ten
positive officers' actions are one of the workflow's first actions, and nine in ten
positive GeoReport requests ask for ``kia`` with the attributes it needs.  Negative cases are
never touched (schemathesis re-validates a mapped body, and a body it drew to be
invalid stays invalid).
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import schemathesis
from web_support import kia_body

REQUIREMENTS = ("akta", "kk", "ktp-ortu")
"""The requirements of ``kia`` online that an upload can answer."""

ACTIONS = (
    {"action": "accept"},
    {"action": "send_back", "inputs": {"reason": "the photo is unreadable"}},
    {"action": "resubmit"},
    {"action": "reject", "inputs": {"reason": "not eligible"}},
)
"""Actions of ``kia``'s workflow (document-delivery) from its first states."""


def _is_operation(context: Any, method: str, path: str) -> bool:
    operation = context.operation
    return operation is not None and (operation.method.upper(), operation.path) == (method, path)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _coin(body: Any) -> int:
    text = json.dumps(body, sort_keys=True, default=str).encode("utf-8", "surrogatepass")
    return hashlib.sha256(text).digest()[0] % 10


def _is_upload_id(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 32 and set(value) <= set("0123456789abcdef")


def _as_kia(body: dict[str, Any]) -> dict[str, Any]:
    applicant = body.get("applicant")
    name = applicant.get("name") if isinstance(applicant, dict) else None
    mapped = kia_body(name=name) if isinstance(name, str) and name.strip() else kia_body()
    documents = body.get("documents")
    uploaded = [  # ids an upload gave (through a link), not drawn ones
        item["document_id"]
        for item in (documents if isinstance(documents, list) else [])
        if isinstance(item, dict) and _is_upload_id(item.get("document_id"))
    ]
    mapped["documents"] = [
        {"requirement": requirement, "document_id": document_id}
        for requirement, document_id in zip(REQUIREMENTS, uploaded, strict=False)
    ]
    return mapped


OPEN311_KIA = {
    "service_code": "kia",
    "attribute[child_nik]": "3171016512150002",
    "attribute[child_name]": "Ani Lestari",
    "attribute[age_group]": "under_5",
    "attribute[applicant.identity_number]": "3171012501900001",
    "attribute[applicant.identity_scheme]": "id-nik",
}
"""A GeoReport request for ``kia`` that the catalogue accepts."""


def _as_open311_kia(body: dict[str, Any]) -> dict[str, Any]:
    drawn = body.get("first_name")
    name = drawn if isinstance(drawn, str) and drawn.strip() else "Ani"
    return {**OPEN311_KIA, "first_name": name}


def _open311(context: Any, case: Any) -> Any:
    """A drawn agency code is almost never the catalogue's: most GeoReport reads would be
    404s.  Nine in ten positive ones ask for the whole mall, and name ``kia``'s file."""
    if _coin([case.query, case.path_parameters]) == 0:
        return case
    if case.query and "jurisdiction_id" in case.query:
        case.query = {k: v for k, v in case.query.items() if k != "jurisdiction_id"}
    if _is_operation(context, "GET", "/open311/v2/services/{file}"):
        file = "kia.xml" if _coin([case.query]) % 2 else "kia.json"
        case.path_parameters = {**(case.path_parameters or {}), "file": file}
    return case


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    """Nine in ten positive submissions become ``kia`` applications, and nine in ten
    positive actions one of its workflow's (see the module)."""
    meta = case.meta
    positive = meta is not None and meta.generation.mode == schemathesis.GenerationMode.POSITIVE
    operation = context.operation
    if positive and operation is not None and operation.path.startswith("/open311/"):
        case = _open311(context, case)
    if not positive or not isinstance(case.body, dict) or _coin(case.body) == 0:
        return case
    if _is_operation(context, "POST", "/api/v1/applications"):
        # A key of its own per drawn request: a key drawn again (shrunk to zeros) with another
        # body is a 422 the coverage phase already asks about.
        key = str(case.headers.get("Idempotency-Key", "")) if case.headers else ""
        seed = json.dumps(case.body, sort_keys=True, default=str) + key
        case.headers = {**(case.headers or {}), "Idempotency-Key": _digest(seed)}
        case.body = _as_kia(case.body)
    elif _is_operation(context, "POST", "/api/v1/applications/{application_id}/actions"):
        case.body = ACTIONS[_coin(case.body) % len(ACTIONS)]
    elif _is_operation(context, "POST", "/open311/v2/requests.json") or _is_operation(
        context, "POST", "/open311/v2/requests.xml"
    ):
        case.body = _as_open311_kia(case.body)
    return case


FORBIDDEN = tuple(json.loads(os.environ.get("ONESTOP_FORBIDDEN_CANARIES", "[]")))
"""Values the role of the run may never be answered (the staff runs per role,
`test_web_staff_schemathesis.py`): the personal data of applications it may not see."""


@schemathesis.check
def no_forbidden_canary(ctx: Any, response: Any, case: Any) -> bool | None:
    """No answer carries personal data the run's role may not see."""
    text = response.content.decode("utf-8", "replace") if response.content else ""
    found = [value for value in FORBIDDEN if value in text]
    if found:
        raise AssertionError(f"the answer carries {len(found)} value(s) this role may not see")
    return None
