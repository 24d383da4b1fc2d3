"""The parts of benchmarks/bench_serve.py behave: percentiles, the mix, the bare floor's answers.

Nothing here is timed: the load generator and the servers are measured by the benchmark.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import attrs
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

import _bare_serve  # noqa: E402
from _loadgen import Request, Response, Step, percentile  # noqa: E402
from _serve_workload import MallWorkload, Seeded  # noqa: E402
from bench_serve import Plan, Server, _Turns  # noqa: E402

OFFICER = "officer-token-0123456789"


def test_percentile_is_the_nearest_rank() -> None:
    """The q quantile of n sorted values is the ceil(q*n)-th; infinity (a failure) stays in."""
    values = [float(i) for i in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([*values[:-1], math.inf], 0.999) == math.inf
    assert math.isnan(percentile([], 0.99))


def test_the_mix_is_seventy_twenty_ten() -> None:
    """Over 20,000 draws the workload sends tracking, actions and submissions near 70/20/10."""
    workload = MallWorkload(token=OFFICER, seed=7)
    workload.track("dpmptsp/izin-usaha/2026/000001", "secret")
    kinds: Counter[str] = Counter()
    for _ in range(20_000):
        request = workload.next_request()
        kinds[request.kind] += 1
        if request.kind == "action":  # give the application back, as an answer would
            workload.idle.append(request.context)
        if not workload.idle:
            workload.idle.append(Seeded(id="0" * 36, state="submitted", version="2"))
    assert abs(kinds["tracking"] / 20_000 - 0.7) < 0.02
    assert abs(kinds["action"] / 20_000 - 0.2) < 0.02
    assert abs(kinds["submission"] / 20_000 - 0.1) < 0.02


def _action_answer(status: int, body: dict[str, Any], etag: str | None) -> Response:
    headers = {} if etag is None else {"etag": etag}
    return Response(status=status, headers=headers, body=json.dumps(body).encode())


def test_a_stale_version_is_a_refusal_and_retires_the_application() -> None:
    """412 counts as refused, not an error, and the application leaves the pool."""
    workload = MallWorkload(token=OFFICER)
    workload.idle.append(Seeded(id="a" * 36, state="submitted", version="3"))
    request = workload.action()
    assert request is not None
    assert b'If-Match: "3"' in request.data
    assert b'"send_back"' in request.data
    assert workload.on_response(request, _action_answer(412, {}, None)) == "refused"
    assert workload.idle == []
    assert workload.retired == 1


def test_an_accepted_action_teaches_the_new_version_and_state() -> None:
    """A 200 puts the application back with the ETag's version and the body's state."""
    workload = MallWorkload(token=OFFICER)
    workload.idle.append(Seeded(id="a" * 36, state="submitted", version="3"))
    request = workload.action()
    assert request is not None
    answer = _action_answer(200, {"state": "returned"}, '"4"')
    assert workload.on_response(request, answer) == "ok"
    assert workload.idle == [Seeded(id="a" * 36, state="returned", version="4")]
    follow_up = workload.action()
    assert follow_up is not None
    assert b'"resubmit"' in follow_up.data


def test_a_failed_request_is_an_error() -> None:
    """No answer at all (a timeout, a reset) is an error for every kind of request."""
    workload = MallWorkload(token=OFFICER)
    assert workload.on_response(Request(kind="tracking", data=b""), None) == "error"


async def _call(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Response:
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await _bare_serve.app(scope, receive, send)
    response_headers = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    return Response(status=sent[0]["status"], headers=response_headers, body=sent[1]["body"])


def test_the_bare_floor_answers_like_the_contract(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Submit 201, track 200 (404 with a wrong secret), act 200 with a new ETag, stale 412."""
    database = tmp_path / "bare.sqlite3"
    _bare_serve.create_database(database)
    monkeypatch.setenv("BENCH_BARE_DB", str(database))
    monkeypatch.setattr(_bare_serve, "_run", _bare_serve._Runner())
    monkeypatch.setattr(_bare_serve, "_local", type(_bare_serve._local)())
    monkeypatch.setitem(_bare_serve._actors, OFFICER, {"id": "officer", "roles": ["clerk"]})
    body = json.dumps(MallWorkload(token=OFFICER).submission_body(1)).encode()

    async def scenario() -> list[int]:
        submitted = await _call("POST", "/api/v1/applications", {"Idempotency-Key": "k" * 16}, body)
        receipt = json.loads(submitted.body)
        number = receipt["number"].replace("/", "%2F")
        tracked = await _call(
            "GET", f"/api/v1/tracking?number={number}", {"Lookup-Secret": receipt["lookup_secret"]}
        )
        wrong = await _call("GET", f"/api/v1/tracking?number={number}", {"Lookup-Secret": "x"})
        officer = {"Authorization": f"Bearer {OFFICER}", "If-Match": '"1"'}
        target = f"/api/v1/applications/{receipt['application_id']}/actions"
        acted = await _call("POST", target, officer, b'{"action": "submit"}')
        stale = await _call("POST", target, officer, b'{"action": "submit"}')
        assert acted.headers["etag"] == '"2"'
        return [submitted.status, tracked.status, wrong.status, acted.status, stale.status]

    assert asyncio.run(scenario()) == [201, 200, 404, 200, 412]


def _step(rate: float, p99_ms: float) -> Step:
    return Step(
        target_rate=rate,
        achieved_rate=rate,
        sent=100,
        p50_ms=1.0,
        p99_ms=p99_ms,
        p999_ms=p99_ms,
        max_ms=p99_ms,
        outcomes={"ok": 100},
        statuses={},
        p99_ms_by_kind={},
        send_lag_p99_ms=0.0,
        client_cpu=0.1,
        server_cpu=0.5,
        load_average=None,
    )


def _turns(p99s: list[float]) -> _Turns:
    """A contender whose open loop answers the p99s given, one step after another."""
    answers = iter(p99s)

    async def load(port: int, workload: object, *, rate: float, **_: object) -> Step:
        return _step(rate, next(answers))

    server = Server(label="x", command=(), env={}, workers=1, log=Path("x.log"))
    return _Turns(server=server, port=0, pid=0, workload=MallWorkload(token=OFFICER), load=load)


PLAN = Plan.of(quick=False, size=None)


def test_a_rate_that_fails_once_then_holds_counts_as_held() -> None:
    """One slow window does not end the ramp: the rate is tried again, and the try that
    held is the one kept (both are in the steps)."""
    turns = _turns([150.0, 20.0])
    asyncio.run(turns.step(100.0, attrs.evolve(PLAN, warmup=0.0)))
    assert turns.bad is None
    assert turns.good is not None
    assert turns.good.p99_ms == 20.0
    assert [s.p99_ms for s in turns.steps] == [150.0, 20.0]


def test_a_rate_that_fails_every_try_fails() -> None:
    """A rate over the budget on both tries is the contender's failed rate."""
    turns = _turns([150.0, 120.0])
    asyncio.run(turns.step(100.0, attrs.evolve(PLAN, warmup=0.0)))
    assert turns.bad == 100.0
    assert turns.good is None
    assert len(turns.steps) == 2


def test_a_rate_that_holds_at_once_is_tried_once() -> None:
    """A rate under the budget at the first try is not loaded again."""
    turns = _turns([20.0])
    asyncio.run(turns.step(100.0, attrs.evolve(PLAN, warmup=0.0)))
    assert turns.good is not None
    assert len(turns.steps) == 1
