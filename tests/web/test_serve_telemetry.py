"""OpenTelemetry traces and metrics: recorded when ``telemetry`` is on, never personal data."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from web_support import in_process, kia_body, new_key, settings_for

otel_sdk = pytest.importorskip("opentelemetry.sdk", reason="the OpenTelemetry SDK is not installed")

from opentelemetry import metrics, trace  # noqa: E402
from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import (  # noqa: E402
    AggregationTemporality,
    InMemoryMetricReader,
)
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)

CANARY = "Canary Zqxjkv Wuzzlebottom"
CANARY_NIK = "3171015708859731"

_EXPORTER = InMemorySpanExporter()
_READER = InMemoryMetricReader(  # each read holds what was recorded since the last one
    preferred_temporality={
        Counter: AggregationTemporality.DELTA,
        Histogram: AggregationTemporality.DELTA,
    }
)


@pytest.fixture(scope="module", autouse=True)
def sdk() -> None:
    """The OpenTelemetry SDK, as a deployment configures it, with in-memory exporters."""
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
        metrics.set_meter_provider(MeterProvider(metric_readers=[_READER]))
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        pytest.skip("another OpenTelemetry SDK set-up owns this process")


@pytest.fixture
def exported() -> InMemorySpanExporter:
    """The span exporter, emptied before the test, as the metrics are."""
    _READER.get_metrics_data()
    _EXPORTER.clear()
    return _EXPORTER


def _ours(exporter: InMemorySpanExporter) -> list[Any]:
    return [
        span
        for span in exporter.get_finished_spans()
        if span.instrumentation_scope is not None
        and span.instrumentation_scope.name == "onestop.web"
    ]


def _points() -> dict[str, list[Any]]:
    data = _READER.get_metrics_data()
    found: dict[str, list[Any]] = {}
    for resource in data.resource_metrics if data is not None else ():
        for scope in resource.scope_metrics:
            if scope.scope.name != "onestop.web":
                continue
            for metric in scope.metrics:
                found.setdefault(metric.name, []).extend(metric.data.data_points)
    return found


def _traffic(client: Any) -> None:
    """Requests carrying the canary in a body, a query string, a header and a path."""
    sent = client.post(
        "/api/v1/applications",
        json=kia_body(name=CANARY, nik=CANARY_NIK),
        headers={"Idempotency-Key": new_key(), "X-Canary": CANARY},
    )
    assert sent.status_code == 201, sent.text
    client.get("/api/v1/tracking", params={"number": CANARY}, headers={"Lookup-Secret": "x" * 20})
    client.get(f"/api/v1/services/{CANARY}")
    client.get("/api/v1/services", params={"lang": "id", "q": CANARY})


def test_spans_and_durations_are_recorded_when_on(
    tmp_path: Path, exported: InMemorySpanExporter
) -> None:
    """With telemetry on, each request is a server span named by its route template,
    and its duration is recorded under the route."""
    with in_process(settings_for(tmp_path, telemetry=True)) as client:
        _traffic(client)
    spans = _ours(exported)
    names = {span.name for span in spans}
    assert {"POST /api/v1/applications", "GET /api/v1/tracking"} <= names
    submit = next(span for span in spans if span.name == "POST /api/v1/applications")
    assert submit.kind is trace.SpanKind.SERVER
    assert submit.attributes["http.response.status_code"] == 201
    assert submit.attributes["http.route"] == "/api/v1/applications"
    routes = {p.attributes["http.route"] for p in _points()["http.server.request.duration"]}
    assert {"/api/v1/applications", "/api/v1/tracking"} <= routes


def test_a_request_no_route_matches_has_its_span_and_duration(
    tmp_path: Path, exported: InMemorySpanExporter
) -> None:
    """An unknown path (404), a method not allowed (405) and a CORS preflight are spans
    and durations too, under the route ``(unrouted)`` or their own (they had none)."""
    settings = settings_for(tmp_path, telemetry=True, cors_origins=("https://mall.example.org",))
    with in_process(settings) as client:
        client.get(f"/nope/{CANARY_NIK}")
        client.delete("/api/v1/services")
        client.options(
            "/api/v1/services",
            headers={"Origin": "https://mall.example.org", "Access-Control-Request-Method": "GET"},
        )
    statuses = sorted(s.attributes["http.response.status_code"] for s in _ours(exported))
    assert statuses == [204, 404, 405]
    points = _points()["http.server.request.duration"]
    assert sum(p.count for p in points) == 3
    assert all(CANARY_NIK not in repr(dict(p.attributes)) for p in points)


def test_the_canary_reaches_no_span_and_no_metric(
    tmp_path: Path, exported: InMemorySpanExporter
) -> None:
    """Personal data sent in a body, a query string, a header or a path is in no span's
    name, attribute or event, and in no metric's attributes."""
    with in_process(settings_for(tmp_path, telemetry=True)) as client:
        _traffic(client)
    spans = _ours(exported)
    assert spans
    for span in spans:
        text = repr((span.name, dict(span.attributes or {}), [e.attributes for e in span.events]))
        for canary in (CANARY, CANARY_NIK, "Zqxjkv"):
            assert canary not in text
    for points in _points().values():
        for point in points:
            assert "Zqxjkv" not in repr(dict(point.attributes))
            assert CANARY_NIK not in repr(dict(point.attributes))


def test_a_clients_tracestate_reaches_no_span(
    tmp_path: Path, exported: InMemorySpanExporter
) -> None:
    """A client's ``traceparent`` is honoured (the span joins its trace), its
    ``tracestate`` (free text it chose) is not carried into the exported span."""
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    with in_process(settings_for(tmp_path, telemetry=True)) as client:
        client.get(
            "/healthz",
            headers={"traceparent": parent, "tracestate": f"nik={CANARY_NIK},name=zqxjkv"},
        )
    (span,) = [s for s in _ours(exported) if s.name == "GET /healthz"]
    assert format(span.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    assert CANARY_NIK not in repr(span.context.trace_state)
    assert len(span.context.trace_state) == 0
    assert span.parent is not None
    assert len(span.parent.trace_state) == 0


def test_nothing_is_recorded_when_off(tmp_path: Path, exported: InMemorySpanExporter) -> None:
    """With telemetry off (the default), even a configured SDK receives no span and no metric."""
    with in_process(settings_for(tmp_path)) as client:
        _traffic(client)
    assert _ours(exported) == []
    assert _points() == {}


def test_store_errors_are_counted(tmp_path: Path, exported: InMemorySpanExporter) -> None:
    """A store that fails is counted in ``onestop.store.errors``, by error class and route."""
    with in_process(settings_for(tmp_path, telemetry=True)) as client:
        client.app.state.runtime.mall.store.close()
        unready = client.get("/readyz")
        failed = client.post(
            "/api/v1/applications", json=kia_body(), headers={"Idempotency-Key": new_key()}
        )
        client.app.state.runtime.mall.store.close()
    assert (unready.status_code, failed.status_code >= 500) == (503, True)
    counted = {
        (p.attributes["http.route"], p.attributes["error.type"]): p.value
        for p in _points()["onestop.store.errors"]
    }
    assert counted[("/readyz", "unready")] == 1
    assert any(route == "/api/v1/applications" for route, _ in counted)


def test_telemetry_without_the_api_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--telemetry`` without the OpenTelemetry API installed is refused, naming the extra."""
    from onestop.exceptions import ConfigurationError
    from onestop.web._telemetry import telemetry

    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    with pytest.raises(ConfigurationError, match=r"onestop-mall\[telemetry\]"):
        telemetry()
