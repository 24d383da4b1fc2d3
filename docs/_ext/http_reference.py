"""The ``http-reference`` directive: every endpoint of the online mall, from its OpenAPI document.

The document is the one ``onestop serve`` publishes at ``/api/openapi.json``, generated
from the same attrs classes the server reads and writes, so this page cannot drift
from the server: it is rebuilt from `onestop.web.create_app` on every docs build.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

_METHODS = ("get", "put", "post", "patch", "delete")


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of a server (building the application opens nothing)."""
    from onestop.web import ServeSettings, create_app  # noqa: PLC0415 - only when used

    app = create_app(ServeSettings(catalogue="unused", store_url="memory://"))
    for hook in app.on_startup:  # the document as a started server serves it
        hook(app)
    document: dict[str, Any] = app.openapi_schema.to_schema()
    return document


def _type_of(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#schema-{name.lower()})"
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return " or ".join(_type_of(item) for item in schema[key])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type_of(schema.get('items', {}))}"
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object of {_type_of(schema['additionalProperties'])}"
    fmt = f" ({schema['format']})" if "format" in schema else ""
    return f"{kind}{fmt}"


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def operation_lines(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    """The MyST text of one operation."""
    lines = ["```{rubric} " + f"{method.upper()} {path}", "```", ""]
    for key in ("summary", "description"):
        if operation.get(key):
            lines += [_text(operation[key]), ""]
    parameters = operation.get("parameters", [])
    if parameters:
        lines.append("Parameters:")
        lines.append("")
        for p in parameters:
            required = "required" if p.get("required") else "optional"
            kind = _type_of(p.get("schema", {}))
            detail = _text(p.get("description"))
            lines.append(f"- `{p['name']}` ({p['in']}, {required}, {kind}) {detail}".rstrip())
        lines.append("")
    body = operation.get("requestBody")
    if body:
        for media, content in body.get("content", {}).items():
            lines += [f"Request body ({media}): {_type_of(content.get('schema', {}))}", ""]
    lines.append("Responses:")
    lines.append("")
    for status, response in sorted(operation.get("responses", {}).items()):
        kinds = [
            f"{_type_of(c.get('schema', {}))} ({media})"
            for media, c in response.get("content", {}).items()
        ]
        shown = "; ".join(kinds) if kinds else "no body"
        lines.append(f"- **{status}** {_text(response.get('description'))}: {shown}")
    lines.append("")
    return lines


def schema_lines(name: str, schema: dict[str, Any]) -> list[str]:
    """The MyST text of one schema: its fields, their types and whether required."""
    lines = [f"(schema-{name.lower()})=", "```{rubric} " + name, "```", ""]
    if schema.get("description"):
        lines += [_text(schema["description"]), ""]
    properties = schema.get("properties", {})
    if not properties:
        if "enum" in schema:
            values = ", ".join(f"`{value}`" for value in schema["enum"])
            lines += [f"One of {values}.", ""]
        else:
            lines += [f"{_type_of(schema)}.", ""]
        return lines
    required = set(schema.get("required", ()))
    for field, spec in properties.items():
        need = "required" if field in required else "optional"
        lines.append(f"- `{field}` ({_type_of(spec)}, {need}) {_text(spec.get('description'))}")
    lines.append("")
    return lines


class HttpReference(SphinxDirective):
    """Insert the reference of every endpoint and schema."""

    def run(self) -> list[nodes.Node]:
        """Render the OpenAPI document as MyST text and parse it in place."""
        document = openapi_document()
        lines: list[str] = []
        for path, item in document.get("paths", {}).items():
            for method in _METHODS:
                if method in item:
                    lines += operation_lines(path, method, item[method])
        lines += ["```{rubric} Schemas", "```", ""]
        for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
            lines += schema_lines(name, schema)
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="openapi"), 0, container)
        return container.children


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive."""
    app.add_directive("http-reference", HttpReference)
    return {"parallel_read_safe": True}
