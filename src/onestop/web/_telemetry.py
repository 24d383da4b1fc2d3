"""OpenTelemetry traces and metrics of the online mall, through the OpenTelemetry API only.

Off unless ``--telemetry`` (``ONESTOP_SERVE_TELEMETRY``) is given; it then needs the
``telemetry`` extra (``opentelemetry-api``).  onestop records through the API and never
configures the SDK: the deployment installs the SDK and an exporter and configures them
with the standard ``OTEL_*`` variables, for instance by starting the server under
``opentelemetry-instrument``.  Without an SDK the API records nothing, and the worker
says so once at startup.

Each request is one server span named ``<METHOD> <route template>``
(``GET /api/v1/tracking``), whose attributes are the method, the route template, the
status code and, on failure, the error's class: never the path as sent, a query string,
a header, a body or an exception's message, which may hold personal data.  An incoming
``traceparent`` header is honoured; ``tracestate`` is not (free text a client chooses,
which the exporter would send on as it is), and no other header is read.

Metrics:

- ``http.server.request.duration`` (histogram, seconds): method, route, status code;
- ``onestop.store.errors`` (counter): requests that failed in the store (its error class
  and the route), and ``/readyz`` answers that the store did not answer.

Relay lag is not measured here: the relay runs as its own process (``onestop relay``),
never inside a server worker.
"""

from __future__ import annotations

import time
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from onestop.exceptions import ConfigurationError, StorageError
from onestop.web._ops import route_of

__all__ = ["STORE_ERRORS", "telemetry"]

_SCOPE = "onestop.web"
# Only the W3C trace id and parent: ``tracestate`` is free text a client chooses, which
# the exporter would send on verbatim (the span context carries it).
_TRACE_HEADERS = (b"traceparent",)


def _subclasses(kind: type[BaseException]) -> set[str]:
    found = {kind.__name__}
    for sub in kind.__subclasses__():
        found |= _subclasses(sub)
    return found


STORE_ERRORS = frozenset(_subclasses(StorageError))
"""The class names of the store's errors, as the access log and the error handler name them."""


def _version() -> str:
    try:
        return version("onestop-mall")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "0"


def telemetry() -> Any:
    """Middleware: a span and a duration per request, and a count of store errors.

    Raises:
        ConfigurationError: If the OpenTelemetry API is not installed.
    """
    try:
        from opentelemetry import metrics, propagate, trace  # noqa: PLC0415 - an extra
    except ImportError:
        raise ConfigurationError(
            "--telemetry needs the OpenTelemetry API: pip install 'onestop-mall[telemetry]'"
        ) from None
    tracer = trace.get_tracer(_SCOPE, _version())
    meter = metrics.get_meter(_SCOPE, _version())
    duration = meter.create_histogram(
        "http.server.request.duration", unit="s", description="Duration of HTTP server requests."
    )
    store_errors = meter.create_counter(
        "onestop.store.errors", unit="{error}", description="Requests the store failed."
    )

    def middleware(app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            method = str(scope.get("method", "_OTHER"))
            carrier = {
                name.decode("latin-1"): value.decode("latin-1")
                for name, value in scope.get("headers", ())
                if name.lower() in _TRACE_HEADERS
            }
            status = 500
            started = time.perf_counter()

            async def sending(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                await send(message)

            with tracer.start_as_current_span(
                method,
                context=propagate.extract(carrier),
                kind=trace.SpanKind.SERVER,
                record_exception=False,
                set_status_on_exception=False,
            ) as span:
                error: str | None = None
                try:
                    await app(scope, receive, sending)
                except BaseException as exc:
                    error = type(exc).__name__
                    raise
                finally:
                    route = route_of(scope)
                    state: Any = scope.get("state")
                    if error is None and isinstance(state, dict):
                        error = state.get("onestop_error")
                    attributes: dict[str, str | int] = {
                        "http.request.method": method,
                        "http.route": route,
                        "http.response.status_code": status,
                    }
                    span.update_name(f"{method} {route}")
                    span.set_attributes(attributes)
                    if status >= 500:
                        span.set_status(trace.StatusCode.ERROR)
                    if error is not None:
                        span.set_attribute("error.type", error)
                    duration.record(time.perf_counter() - started, attributes)
                    if error in STORE_ERRORS or (route == "/readyz" and status == 503):
                        store_errors.add(1, {"http.route": route, "error.type": error or "unready"})

        return wrapped

    return middleware


def without_sdk() -> bool:
    """Tell whether no OpenTelemetry SDK is configured (the API then records nothing)."""
    from opentelemetry import trace  # noqa: PLC0415 - an extra

    return isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
