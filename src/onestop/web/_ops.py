"""Operations: health, readiness, security headers, the access log and time limits.

- ``GET /healthz`` says the process serves; ``GET /readyz`` that the store answers (503
  when it does not), for a load balancer or an orchestrator.
- Every response carries the security headers of `SECURITY_HEADERS` (no sniffing, no
  framing, no referrer, no caching of personal data) and an ``X-Request-Id``.
  `access_log` wraps the application's whole ASGI handler (`outermost`), not only its
  routes: Litestar runs an application's middleware for routed requests only, so the
  router's own 404 and 405, the rate limiter's 429 and CORS answers would go without.
- The access log (`access_log`) writes one structlog event per request: the method, the
  route *template* (``/api/v1/services/{code}``, never the path as sent, which may hold
  a number), the status, the duration, the request id and the worker's process id;
  never a query string, a header or a body.  Errors are logged by class name only.
- `time_limit` answers 503 to a request that takes longer than the limit.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Final

import anyio
import structlog
from litestar import Litestar, Request, Response, get
from litestar.enums import ScopeType
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from onestop.web._runtime import Runtime
from onestop.web._views import Health
from onestop.web._wire import Body

__all__ = [
    "ROUTES",
    "SCALAR_JS",
    "SECURITY_HEADERS",
    "access_log",
    "outermost",
    "route_of",
    "time_limit",
]

SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Strict-Transport-Security": "max-age=31536000",
}
"""The headers every API response carries (the interactive reference page relaxes the CSP)."""

SCALAR_JS = "https://cdn.jsdelivr.net/npm/@scalar/api-reference@1.76.4"
"""The reference page's script, one pinned version: the only script the page may load."""

_DOCS_CSP = (
    f"default-src 'self'; script-src 'self' 'unsafe-inline' {SCALAR_JS}; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com data:; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'"
)

_LOG = structlog.get_logger("onestop.web")


@get("/healthz", return_dto=Body[Health], tags=["operations"], include_in_schema=True)
async def healthz() -> Health:
    """The process is up and serving."""
    return Health(status="ok")


@get(
    "/readyz",
    return_dto=Body[Health],
    tags=["operations"],
    summary="Whether the store answers",
    responses={503: ResponseSpec(data_container=Health, description="The store does not answer")},
)
async def readyz(request: Request[Any, Any, Any]) -> Response[Health]:
    """The store answers: 200, else 503."""
    runtime: Runtime = request.app.state.runtime
    try:
        await anyio.to_thread.run_sync(lambda: runtime.mall.store.summary("readyz"))
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        _LOG.warning("store_unready", error=type(exc).__name__)
        return Response(Health(status="unavailable"), status_code=503)
    return Response(Health(status="ok"))


ROUTES = [healthz, readyz]
"""The operations routes."""


def route_of(scope: Scope) -> str:
    """The route template *scope* was routed to, whole (``/open311/v2/requests.json``, not
    the router's ``/requests.json``); ``(unrouted)`` before routing."""
    template: object = scope.get("path_template")
    if isinstance(template, str) and template:
        return template
    handler = scope.get("route_handler")
    paths = getattr(handler, "paths", None)
    return sorted(paths)[0] if paths else "(unrouted)"


_OURS = tuple((name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items())
_DOCS_OURS = tuple(
    (name, _DOCS_CSP.encode() if name == b"content-security-policy" else value)
    for name, value in _OURS
)
_OUR_NAMES = frozenset({*(name for name, _ in _OURS), b"x-request-id"})


def _secure(message: Message, request_id: bytes, *, docs: bool) -> None:
    """Set the security headers and ``X-Request-Id`` on a response's start *message*,
    replacing any the application set under those names.

    One pass over the headers, encoded once: setting each through `MutableScopeHeaders`
    scanned and decoded every header once per name set, nine times per response.
    """
    given: Any = message.get("headers") or ()
    headers = [header for header in given if bytes(header[0]).lower() not in _OUR_NAMES]
    headers.extend(_DOCS_OURS if docs else _OURS)
    headers.append((b"x-request-id", request_id))
    message["headers"] = headers  # type: ignore[typeddict-unknown-key]


def access_log(*, enabled: bool) -> Any:
    """Middleware: security headers on every response; one access-log event per request
    when *enabled*."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            request_id = uuid.uuid4().hex.encode("ascii")
            scope.setdefault("state", {})["onestop_request_id"] = request_id.decode("ascii")
            started = time.perf_counter()
            status = 500
            docs = scope["path"].startswith("/api/docs")

            started_response = False

            async def send_with_headers(message: Message) -> None:
                nonlocal status, started_response
                if message["type"] == "http.response.start":
                    status, started_response = message["status"], True
                    _secure(message, request_id, docs=docs)
                await send(message)

            try:
                await app(scope, receive, send_with_headers)
            except asyncio.CancelledError:
                # The server stops and its graceful time is up: the request is cancelled.
                # Unanswered, the server would send a bare 500 and log a traceback; a 503
                # problem tells the client to retry (elsewhere, or once restarted).
                if started_response:
                    raise
                await _answer_stopping(send_with_headers)
            finally:
                if enabled:
                    state: Any = scope.get("state")
                    _LOG.info(
                        "request",
                        method=scope.get("method"),
                        route=route_of(scope),
                        status=status,
                        duration_ms=round((time.perf_counter() - started) * 1000, 2),
                        request_id=request_id.decode("ascii"),
                        worker=os.getpid(),
                        error=state.get("onestop_error") if isinstance(state, dict) else None,
                    )

        return wrapped

    return middleware


def outermost(
    app: Litestar, *, access_log_enabled: bool, inner: Sequence[Callable[[ASGIApp], ASGIApp]] = ()
) -> Litestar:
    """Wrap *app*'s whole ASGI handler in the middleware *inner* (the first outermost),
    then in `access_log`, and return *app*.

    Litestar's ``middleware=`` runs for requests a route matched, inside the handler of
    errors raised before it; wrapping the handler itself gives every answer (an unknown
    path, a method not allowed, a refusal of the rate limiter, a CORS preflight) the
    security headers, an access-log event with its true status and, with telemetry,
    its span and duration.
    """
    handler = head_as_get(app.asgi_handler)
    for middleware in reversed(inner):
        handler = middleware(handler)
    app.asgi_handler = access_log(enabled=access_log_enabled)(handler)
    return app


def head_as_get(app: ASGIApp) -> ASGIApp:
    """Middleware: answer ``HEAD`` as ``GET`` is answered, without the body.

    RFC 9110 (9.3.2) has every general-purpose server support ``HEAD`` wherever it has
    ``GET``; Litestar routes neither to a ``GET`` handler.  The request goes on as a
    ``GET`` (a copy of the scope: the server's own still says ``HEAD``), its status and
    headers (``Content-Length`` too) are sent as they are, and its body is dropped.  What
    routing learnt is copied back, for the access log and telemetry.
    """

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "HEAD":
            await app(scope, receive, send)
            return
        as_get: Any = {**scope, "method": "GET"}

        async def headless(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body"):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        try:
            await app(as_get, receive, headless)
        finally:
            for key in ("route_handler", "path_template", "path_params"):
                if key in as_get:
                    scope[key] = as_get[key]

    return wrapped


_STOPPING_BODY = (
    b'{"type":"urn:onestop:problem:ServerStopping","title":"Service unavailable",'
    b'"status":503,"detail":"the server is stopping; send the request again","problems":[]}'
)


async def _answer_stopping(send: Send) -> None:
    await send_503(send, _STOPPING_BODY, (b"connection", b"close"))


async def send_503(send: Send, body: bytes, *more: tuple[bytes, bytes]) -> None:
    """Send a 503 problem (*body*, with ``Retry-After: 1`` and *more* headers) on *send*."""
    start: Any = {
        "type": "http.response.start",
        "status": 503,
        "headers": [
            (b"content-type", b"application/problem+json"),
            (b"retry-after", b"1"),
            *more,
            (b"content-length", str(len(body)).encode()),
        ],
    }
    end: Any = {"type": "http.response.body", "body": body}
    await send(start)
    await send(end)


_TIMEOUT_BODY = (
    b'{"type":"urn:onestop:problem:Timeout","title":"Service unavailable",'
    b'"status":503,"detail":"the request took too long","problems":[]}'
)


class _Deadline:
    """Answers 503 for a request whose response has not started in time (counted again
    from each piece of its body received), and drops whatever the handler sends after."""

    def __init__(
        self,
        send: Send,
        handler: anyio.CancelScope,
        receive: Receive,
        seconds: float,
        body_seconds: float,
    ) -> None:
        self._send = send
        self._handler = handler
        self._receive = receive
        self._seconds = seconds
        self._loop = asyncio.get_running_loop()
        self._last = self._loop.time() + body_seconds
        self.timer = self._loop.call_later(seconds, self.expire)
        self.started = False
        self.answered = False
        self.answer: asyncio.Task[None] | None = None

    async def receive(self) -> Any:
        """The request's next message; a piece of its body restarts the count.

        Once the 503 is sent, the handler is being cancelled: it gets no more messages
        (`_after_answer`).  The server would answer ``http.disconnect`` as soon as the 503
        is complete, and a framework reading a body raises on that (Litestar: "client
        disconnected prematurely"), a traceback in the log for every stalled client."""
        if not self.answered:
            message = await self._receive()
            if not self._answered_now():
                if message.get("body"):
                    self.timer.cancel()
                    delay = min(self._seconds, self._last - self._loop.time())
                    self.timer = self._loop.call_later(delay, self.expire)
                return message
        return await self._after_answer()

    def _answered_now(self) -> bool:
        """Whether the 503 went while the server's ``receive`` was awaited."""
        return self.answered

    async def _after_answer(self) -> Any:
        """Wait for the cancellation, then say the client is gone (``http.disconnect``).

        A read from the handler's own task is cancelled at once.  A read a worker thread
        of the handler starts after the 503 (``anyio.from_thread.run``: an upload that
        was writing a piece when the time was up) runs in a task the cancellation has
        already passed by: it would wait for good, holding the thread, the request and
        its half-written file until the server stops.  It gets the body's end instead,
        after the request's time limit at most."""
        await anyio.sleep(self._seconds)
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if self.answered:  # the client has its 503; a late answer goes nowhere
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)

    def expire(self) -> None:
        """The time is up (a timer's callback, on the event loop): answer 503 if nothing
        was started, in a task of its own, since the handler may be blocked in a thread."""
        if self.started or self.answered:
            return
        self.answered = True
        self.answer = asyncio.get_running_loop().create_task(self._answer())

    async def _answer(self) -> None:
        try:
            await send_503(self._send, _TIMEOUT_BODY)
        finally:
            self._handler.cancel()


BODY_TIME_LIMIT: Final = 3600.0
"""Seconds a request's body may take to arrive in all, however steadily it comes."""


def time_limit(seconds: float, *, body_seconds: float = BODY_TIME_LIMIT) -> Any:
    """Middleware: answer 503 when a request has not started its response in *seconds*,
    counted from the last bytes of its body received.

    A body arriving steadily (a large upload over a slow mobile link) restarts the count
    with each piece, up to *body_seconds* from the request's start; a client that stops
    sending for *seconds* gets its 503.  The 503 is sent when the time is up, even if the
    handler is blocked in a thread (which cannot be interrupted: it runs to its end, and
    what it answers is dropped; a submission that completes after its 503 is returned by
    a retry with the same ``Idempotency-Key``).  A handler waiting on the event loop is
    cancelled.

    The deadline is a timer of the event loop (``call_later``), not a task per request:
    a watcher task and its task group cost more than the rest of the middleware stack.
    """

    def middleware(app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            with anyio.CancelScope() as handler:
                deadline = _Deadline(send, handler, receive, seconds, body_seconds)
                try:
                    await app(scope, deadline.receive, deadline.send)
                except Exception:
                    # A handler told the client is gone after its 503 (`_after_answer`)
                    # fails; the client has its answer, so the failure goes no further
                    # (Litestar would raise it again as "caught after response started",
                    # a traceback in the log).
                    if not deadline.answered:
                        raise
                finally:
                    deadline.timer.cancel()
                    if deadline.answer is not None:  # the 503 is on its way: let it finish
                        with anyio.CancelScope(shield=True):
                            await deadline.answer

        return wrapped

    return middleware
