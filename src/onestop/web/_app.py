"""`create_app`: the Litestar application of one worker, from its `ServeSettings`.

The worker's `Runtime` (the mall, the document desk) is built when the application
starts (its lifespan) and closed when it stops; until then nothing is opened, so that
building the application is cheap and has no side effects.  The thread pools that run
the blocking core (anyio's, and the loop's default executor, where Litestar runs the
handlers marked ``sync_to_thread``) are each sized to ``settings.threads``.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import anyio
import msgspec
import structlog
from litestar import Litestar, Request, Response
from litestar.config.cors import CORSConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.plugins.attrs import AttrsSchemaPlugin
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore

from onestop.domain.common.formats import preview_path
from onestop.exceptions import ConfigurationError
from onestop.ports.staff import StaffStore
from onestop.web import (
    _api,
    _callbacks,
    _catalogue,
    _officers,
    _open311,
    _ops,
    _staff_courier,
    _staff_handoffs,
    _staff_oidc,
    _staff_routes,
    _staff_session,
    _telemetry,
)
from onestop.web._headers import HeaderCheck, preflight_problems
from onestop.web._inflight import InFlight
from onestop.web._intake import SWEEP_EVERY, Sweeper, sweep_age
from onestop.web._limits import Limits, submission_limit
from onestop.web._local_store import LocalFileStore, private_directory
from onestop.web._openapi import refine
from onestop.web._problems import handle_error, no_html_not_found
from onestop.web._renamed import RenamedSchema
from onestop.web._runtime import Runtime
from onestop.web._staff_auth import CSRF_HEADER, CsrfCheck
from onestop.web._timers import TimerFiring, has_timers
from onestop.web._wire import schema_plugins
from onestop.web.settings import ServeSettings

__all__ = ["create_app", "from_environment"]


def _version() -> str:
    try:
        return version("onestop-mall")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "0"


_CORS_REQUEST_HEADERS = (
    "Content-Type",
    "Idempotency-Key",
    "Lookup-Secret",
    "If-Match",
    "Authorization",
    "Upload-Filename",
    CSRF_HEADER,
)
_CORS_RESPONSE_HEADERS = ("Retry-After", "ETag", "X-Request-Id", "Allow")


def _handle_any_error(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """The app's exception handler: GeoReport's error list under ``/open311/v2/`` (a method
    a GeoReport path does not have is refused there before its router's handler is
    reached), problem details everywhere else."""
    path: str = request.scope.get("path", "")
    if path.startswith(f"{_open311.PREFIX}/"):
        return _open311.handle_open311_error(request, error)
    return handle_error(request, error)


def limits_store(settings: ServeSettings) -> Store:
    """The store the workers share their limit counters in.

    Its directory, and those kept beside it (the failed lookups' counters, the callbacks'
    replay ids), are made if missing, and must be the server user's alone
    (`private_directory`).

    Raises:
        ConfigurationError: If several workers would each count alone, or a directory
            cannot be made or may be written by another user.
    """
    directory = _limits_directory(settings)
    if directory is not None:
        beside = [".lookups", ".callbacks"] if settings.callback_secrets else [".lookups"]
        for path in [directory, *(directory.with_name(directory.name + s) for s in beside)]:
            private_directory(path, setting="--limits-dir")
        return LocalFileStore(directory, create_directories=True)
    if settings.workers > 1:
        raise ConfigurationError(
            "give --limits-dir (ONESTOP_SERVE_LIMITS_DIR): several workers must share "
            "their rate-limit counters"
        )
    return MemoryStore()


def _limits_directory(settings: ServeSettings) -> Path | None:
    """The limits' directory, absolute (``.`` names the one the server starts in), or
    ``None`` when there is none (one worker counts in memory).

    Raises:
        ConfigurationError: If it is the file system's root, which nothing is beside.
    """
    directory = settings.limits_dir or settings.beside_store(".limits")
    if directory is None:
        return None
    path = Path(os.path.abspath(directory))
    if not path.name:
        shown = preview_path(str(directory))
        raise ConfigurationError(
            f"the rate-limit directory {shown} is the root: give a directory of its own"
        )
    return path


def _beside_limits(settings: ServeSettings, suffix: str) -> Path | None:
    """The path beside the limits' directory named as it is plus *suffix*, or ``None``.

    Beside it, never in it (whatever trailing ``/`` the setting has): the limits'
    expired entries are swept from it file by file.
    """
    limits = _limits_directory(settings)
    return None if limits is None else limits.with_name(limits.name + suffix)


def _replay_dir(settings: ServeSettings) -> str | None:
    found = _beside_limits(settings, ".callbacks")
    return None if found is None else str(found)


def _timer_firing(settings: ServeSettings, runtime: Runtime) -> TimerFiring | None:
    """A started `TimerFiring` for the catalogue's timers, or ``None`` if none is to run."""
    if not settings.timers_every or not has_timers(runtime.mall.catalogue):
        return None
    lock = _beside_limits(settings, ".timers-lock")
    timers = TimerFiring(runtime.mall, every=settings.timers_every, lock=lock)
    timers.start()
    return timers


def create_app(settings: ServeSettings, /) -> Litestar:
    """Return the online mall's application for *settings*; nothing is opened until it starts.

    Raises:
        ConfigurationError: If the settings cannot be served (see `limits_store`).
    """
    limits = limits_store(settings)
    watch = [_telemetry.telemetry()] if settings.telemetry else []
    callbacks = settings.callback_secrets

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        # Litestar runs the handlers marked sync_to_thread in the loop's default executor,
        # not in anyio's pool: size it by the same setting (asyncio's default is
        # min(32, cores + 4) whatever --threads says).  asyncio.run shuts it down.
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(settings.threads, thread_name_prefix="onestop-blocking")
        )
        runtime = await anyio.to_thread.run_sync(Runtime.start, settings)
        app.state.runtime = runtime
        app.state.limits = Limits(store=limits, lookups_per_minute=settings.lookups_per_minute)
        app.state.inflight = InFlight(store=limits, seconds=2 * settings.request_timeout)
        try:
            if callbacks is not None:
                app.state.callbacks = _callbacks.build_callbacks(
                    runtime.mall,
                    _callbacks.read_callback_secrets(callbacks, runtime.mall.catalogue),
                    replay_dir=_replay_dir(settings),
                )
            if watch and _telemetry.without_sdk():
                structlog.get_logger("onestop.web").warning("telemetry_without_sdk")
        except BaseException:
            await anyio.to_thread.run_sync(runtime.close)
            raise
        sweeper = Sweeper(
            runtime.desk,
            older_than=sweep_age(settings),
            every=SWEEP_EVERY,
            also=app.state.limits.sweep,
            staff=store if isinstance(store := runtime.mall.store, StaffStore) else None,
            staff_window=runtime.staff.policy.window,
        )
        app.state.sweeper = sweeper
        sweeper.start()
        timers = _timer_firing(settings, runtime)
        app.state.timers = timers
        try:
            yield
        finally:
            if timers is not None:
                await anyio.to_thread.run_sync(timers.stop)
            await anyio.to_thread.run_sync(sweeper.stop)
            app.state.limits.close()
            await anyio.to_thread.run_sync(runtime.close)

    cors = (
        CORSConfig(
            allow_origins=list(settings.cors_origins),
            allow_headers=list(_CORS_REQUEST_HEADERS),
            expose_headers=list(_CORS_RESPONSE_HEADERS),
        )
        if settings.cors_origins
        else None
    )
    app = Litestar(
        route_handlers=[
            *_catalogue.ROUTES,
            *_api.ROUTES,
            *_officers.ROUTES,
            *_staff_routes.ROUTES,
            *_staff_courier.ROUTES,
            *_staff_handoffs.ROUTES,
            *_staff_session.ROUTES,
            *_ops.ROUTES,
            _open311.ROUTER,
            *(_callbacks.ROUTES if callbacks is not None else ()),
            *(_staff_oidc.ROUTES if settings.oidc_issuer is not None else ()),
        ],
        lifespan=[lifespan],
        plugins=[RenamedSchema(), AttrsSchemaPlugin(), *schema_plugins()],
        on_startup=[lambda app: refine(app.openapi_schema)],  # before it is first served
        exception_handlers={Exception: _handle_any_error},
        after_request=no_html_not_found,
        middleware=[
            _ops.time_limit(settings.request_timeout),
            CsrfCheck,
            submission_limit(settings.submissions_per_minute).middleware,
            HeaderCheck,  # after the limit: a refused submission counts, as every other does
        ],
        stores={"limits": limits},
        cors_config=cors,
        request_max_body_size=settings.body_limit,
        openapi_config=OpenAPIConfig(
            title="onestop online mall",
            version=_version(),
            path="/api",
            render_plugins=[ScalarRenderPlugin(path="/docs", js_url=_ops.SCALAR_JS)],
            use_handler_docstrings=True,
        ),
        logging_config=None,
        debug=False,
    )
    # a refused CORS preflight answered as a problem, innermost: telemetry sees its status
    inner = [*watch, preflight_problems]
    return _ops.outermost(app, access_log_enabled=settings.access_log, inner=inner)


def from_environment() -> Litestar:
    """The application of a worker started by `onestop serve` (settings from the environment).

    This is the entry point of a server process, not library code: it sends structlog's
    events to stderr as JSON lines, as the command does.

    Raises:
        ConfigurationError: If ``ONESTOP_SERVE_SETTINGS`` is missing or malformed.
    """
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(serializer=_json_line),
        ],
        # One write per line: workers share stderr, and print's two writes (the line, then
        # its newline) let another worker's line in between, breaking both JSON lines.
        logger_factory=structlog.WriteLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    _library_logs_as_json()
    app = create_app(ServeSettings.from_environment())
    app.on_startup.append(_settle_heap)  # after the lifespan: the runtime is up by then
    return app


def _library_logs_as_json() -> None:
    """Send the standard library's log records of warning and above (uvicorn's, the
    PostgreSQL pool's, asyncio's) to stderr as JSON lines too, with their logger's name.

    Without a handler Python printed them as bare text, some over two lines, between the
    access log's JSON lines.  Each record is one write, as structlog's events are.
    """
    handler = _JsonLines(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(serializer=_json_line),
            ],
            foreign_pre_chain=[
                structlog.stdlib.add_logger_name,
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.format_exc_info,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not isinstance(h, _JsonLines)]
    root.addHandler(handler)


class _JsonLines(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler `_library_logs_as_json` installs (one, however often it is called)."""


def _json_line(event: dict[str, Any], *, default: Callable[[Any], Any]) -> str:
    """An event as one line of compact JSON, in ASCII as the standard library writes it.

    msgspec's encoder writes it (an access-log line a request, where the standard
    library's took a tenth of a tracking request's time); a line that is not ASCII is
    written again by the standard library, which escapes it.  A value neither can encode
    is what *default* (structlog's fallback: its ``repr``) makes of it.
    """
    line = msgspec.json.encode(event, enc_hook=default).decode("utf-8")
    return line if line.isascii() else json.dumps(event, default=default)


def _settle_heap(app: Litestar) -> None:
    """Move what the worker built at startup out of the collector's sight (`gc.freeze`).

    The modules, the catalogue, the runtime and the OpenAPI document live as long as the
    worker, yet every full collection walked them again: with a warm cache of applications
    that was a pause of tens of milliseconds now and then, which every request in flight
    waited out (it showed as the benchmark's p99).  Frozen, a full collection walks only
    what was made since.
    """
    gc.collect()
    gc.freeze()
