"""`create_app`: the Litestar application of one worker, from its `ServeSettings`.

The worker's `Runtime` (the mall, the document desk) is built when the application
starts (its lifespan) and closed when it stops; until then nothing is opened, so that
building the application is cheap and has no side effects.  The thread pool that runs
the blocking core is sized to ``settings.threads``.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import anyio
import structlog
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.plugins.attrs import AttrsSchemaPlugin
from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.stores.memory import MemoryStore

from onestop.exceptions import ConfigurationError
from onestop.web import _api, _officers, _ops
from onestop.web._limits import Limits, submission_limit
from onestop.web._openapi import refine
from onestop.web._problems import handle_error
from onestop.web._runtime import Runtime
from onestop.web._wire import schema_plugins
from onestop.web.settings import ServeSettings

__all__ = ["create_app", "from_environment"]


def _version() -> str:
    try:
        return version("onestop-mall")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "0"


def limits_store(settings: ServeSettings) -> Store:
    """The store the workers share their limit counters in.

    Raises:
        ConfigurationError: If several workers would each count alone.
    """
    directory = settings.limits_dir or settings.beside_store(".limits")
    if directory is not None:
        Path(directory).mkdir(mode=0o700, parents=True, exist_ok=True)
        return FileStore(Path(directory), create_directories=True)
    if settings.workers > 1:
        raise ConfigurationError(
            "give --limits-dir (ONESTOP_SERVE_LIMITS_DIR): several workers must share "
            "their rate-limit counters"
        )
    return MemoryStore()


def create_app(settings: ServeSettings, /) -> Litestar:
    """Return the online mall's application for *settings*; nothing is opened until it starts.

    Raises:
        ConfigurationError: If the settings cannot be served (see `limits_store`).
    """
    limits = limits_store(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        runtime = await anyio.to_thread.run_sync(Runtime.start, settings)
        app.state.runtime = runtime
        app.state.limits = Limits(store=limits, lookups_per_minute=settings.lookups_per_minute)
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(runtime.close)

    cors = CORSConfig(allow_origins=list(settings.cors_origins)) if settings.cors_origins else None
    return Litestar(
        route_handlers=[*_api.ROUTES, *_officers.ROUTES, *_ops.ROUTES],
        lifespan=[lifespan],
        on_startup=[lambda app: refine(app.openapi_schema)],  # before it is first served
        plugins=[AttrsSchemaPlugin(), *schema_plugins()],
        exception_handlers={Exception: handle_error},
        middleware=[
            _ops.access_log(enabled=settings.access_log),
            _ops.time_limit(settings.request_timeout),
            submission_limit(settings.submissions_per_minute).middleware,
        ],
        stores={"limits": limits},
        cors_config=cors,
        request_max_body_size=settings.body_limit,
        openapi_config=OpenAPIConfig(
            title="onestop online mall",
            version=_version(),
            path="/api",
            render_plugins=[ScalarRenderPlugin(path="/docs")],
            use_handler_docstrings=True,
        ),
        logging_config=None,
        debug=False,
    )


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
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    return create_app(ServeSettings.from_environment())
