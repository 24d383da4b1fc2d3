"""``onestop serve``: put a mall online (needs the ``web`` extra).

Every option has an ``ONESTOP_SERVE_*`` environment variable; the master keys come as for
the other commands (``--key-file``, ``ONESTOP_KEY_FILE`` or ``ONESTOP_MASTER_KEY``).  The
settings are checked, and the catalogue, the store and the keys opened once, before any
worker starts, so that a mistake is one clear error and exit code 2, not a crashing worker
(``--check`` stops there, serving nothing).  The server is uvicorn; SIGTERM or Ctrl-C
stops it gracefully (requests in flight finish, up to ``--shutdown-timeout`` seconds) and
each worker closes its store.

`serve_mall` is the one way onestop starts a server: ``onestop serve`` and
``onestop demo --serve`` both end in it.
"""

from __future__ import annotations

import os
import re
import signal
import socket
from collections.abc import Callable
from typing import Any, TypeVar

import click

from onestop.cli._common import (
    EXIT_USAGE,
    FilePath,
    Whole,
    emit_json,
    fail,
    json_option,
    key_option,
)

__all__ = ["serve"]  # serve_mall is the demo's way in, not a library function

_F = TypeVar("_F", bound=Callable[..., Any])

HOST = re.compile(r"[A-Za-z0-9._:-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]")
"""What ``--host`` accepts: an IPv4 or IPv6 address or a host name, never anything else."""


def _option(name: str, *more: str, **kwargs: Any) -> Callable[[_F], _F]:
    flag = name.split("/", maxsplit=1)[0]
    variable = "ONESTOP_SERVE_" + flag.lstrip("-").replace("-", "_").upper()
    return click.option(name, *more, envvar=variable, show_envvar=True, **kwargs)


def _settings(as_json: bool, **given: Any) -> Any:
    """Build `onestop.web.ServeSettings` from the command's options, or exit 2 naming why."""
    from onestop.exceptions import ConfigurationError
    from onestop.web import ServeSettings

    if isinstance(given.get("host"), str):
        given["host"] = listen_host(given["host"], as_json=as_json)
    try:
        return ServeSettings(**given)
    except ConfigurationError as exc:
        fail(str(exc), code=EXIT_USAGE, as_json=as_json)


def _check(settings: Any, *, as_json: bool, strict: bool = False) -> None:
    """Open and close what a worker will open, so that a mistake stops here, once.

    An identity provider that cannot be reached now stops only a ``--check`` (*strict*):
    a server starts without it, and its OpenID Connect routes answer 503 until it is back.
    """
    from onestop.exceptions import OnestopError
    from onestop.usecases.catalogue.loading import load_catalogue
    from onestop.web import create_app
    from onestop.web._callbacks import read_callback_secrets
    from onestop.web._runtime import Runtime

    try:
        load_catalogue(settings.catalogue)  # a catalogue that does not load makes no file
        create_app(settings)  # the limits store, the telemetry API: opens nothing else
        runtime = Runtime.start(settings, strict=strict)
        try:
            if settings.callback_secrets is not None:
                read_callback_secrets(settings.callback_secrets, runtime.mall.catalogue)
        finally:
            runtime.close()
    except OnestopError as exc:
        fail(str(exc), code=EXIT_USAGE, as_json=as_json)
    except (OSError, UnicodeError) as exc:  # a directory or file that cannot be made
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        fail(
            f"a file or directory of the settings cannot be used: {reason}",
            code=EXIT_USAGE,
            as_json=as_json,
        )


def _check_store_url(url: str, *, as_json: bool) -> None:
    """Exit 2 naming ``--store`` if its URL is wrong in itself (as the other commands say),
    before anything is looked for beside the store or made."""
    from onestop.exceptions import ConfigurationError
    from onestop.storage import opener_of

    try:
        opener_of(url)
    except ConfigurationError as exc:
        fail(f"--store: {exc}", code=EXIT_USAGE, as_json=as_json)


def listen_host(host: str, *, as_json: bool) -> str:
    """*host* as the server listens on it (``[::1]``, as in a URL, is ``::1``), or exit 2
    if it is no IP address or host name."""
    if not HOST.fullmatch(host):
        fail("--host must be an IP address or a host name", code=EXIT_USAGE, as_json=as_json)
    return host[1:-1] if host.startswith("[") else host


def can_listen(host: str, port: int, *, as_json: bool) -> None:
    """Exit 2 naming ``--host``/``--port`` if nothing could listen there now (the port
    taken, the host no address of this machine's), as the server would find at start."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, protocol, _, address = found[0]
        with socket.socket(family, kind, protocol) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind(address)
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        fail(
            f"--host/--port: cannot listen on {_shown(host)}:{port}: {reason}",
            code=EXIT_USAGE,
            as_json=as_json,
        )


def _shown(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def run_server(settings: Any, *, shutdown_timeout: int) -> None:
    """Serve *settings* with uvicorn until stopped (workers get them in the environment)."""
    import uvicorn

    from onestop.web.settings import SETTINGS_VARIABLE

    os.environ[SETTINGS_VARIABLE] = settings.to_json()
    # uvicorn stops gracefully on SIGTERM or SIGINT, then raises the signal again under
    # the handler it found: ours ends the command with status 0, a stop asked for.
    stopping = (signal.SIGTERM, signal.SIGINT)
    before = {number: signal.signal(number, _stopped) for number in stopping}
    try:
        _uvicorn(uvicorn, settings, shutdown_timeout)
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)


def _stopped(number: int, frame: object) -> None:
    raise SystemExit(0)


def _uvicorn(uvicorn: Any, settings: Any, shutdown_timeout: int) -> None:
    uvicorn.run(
        "onestop.web._app:from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=True,
        timeout_graceful_shutdown=shutdown_timeout,
        limit_concurrency=None,
    )


def _needs_web(as_json: bool) -> None:
    try:
        import litestar  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        fail(
            "serving needs the web extra: pip install 'onestop-mall[web]'", code=2, as_json=as_json
        )


def serve_mall(
    *, shutdown_timeout: int = 20, check: bool = False, as_json: bool = False, **options: Any
) -> None:
    """Check *options* (the fields of `onestop.web.ServeSettings`), then serve until stopped.

    Exits with status 2 and one line naming the problem when the settings, the
    catalogue, the store, the keys or a file they name cannot be used; with *check*,
    returns once they are checked, serving nothing.  With *as_json*, errors and the
    check's answer are JSON on stdout too.
    """
    _needs_web(as_json)
    options["cors_origins"] = tuple(options.get("cors_origins", ()))
    settings = _settings(as_json, **options)
    _check_store_url(settings.store_url, as_json=as_json)
    _check(settings, as_json=as_json, strict=check)
    if not check:  # --check passes beside the server it replaces, which holds the port
        can_listen(settings.host, settings.port, as_json=as_json)
    if check:
        if as_json:
            emit_json({"ok": True, "catalogue": settings.catalogue, "workers": settings.workers})
        click.echo(f"the settings of {settings.catalogue} can be served", err=True)
        return
    from onestop.cli import _log_to_stderr

    restore = _log_to_stderr()
    click.echo(
        f"serving {settings.catalogue} on http://{_shown(settings.host)}:{settings.port} "
        f"({settings.workers} worker(s)); the API reference is at /api/docs",
        err=True,
    )
    try:
        run_server(settings, shutdown_timeout=shutdown_timeout)
    finally:
        restore()


@click.command("serve")
@click.argument("catalogue_path", metavar="CATALOGUE", type=FilePath())
@_option("--store", "store_url", required=True, metavar="URL", help="The store to serve.")
@key_option
@_option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@_option("--port", type=Whole(0, 65535), default=8000, show_default=True)
@_option("--workers", type=Whole(1, 64), default=1, show_default=True)
@_option(
    "--threads",
    type=Whole(1, 256),
    default=10,
    show_default=True,
    help="Threads per worker for the store (a PostgreSQL pool of as many connections).",
)
@_option(
    "--cache-size",
    type=Whole(0, 1_000_000),
    default=1024,
    show_default=True,
    help="Applications each worker keeps folded in memory (about 3 KB each; 0: none).",
)
@_option(
    "--timers-every",
    type=Whole(0, 86_400),
    default=60,
    show_default=True,
    help="Seconds between firings of the workflows' timer and breach transitions (0: none).",
)
@_option("--secret-file", metavar="PATH", help="The server's secret [default: beside SQLite].")
@_option("--documents-dir", metavar="DIR", help="Where uploads are kept [default: beside SQLite].")
@_option("--limits-dir", metavar="DIR", help="Where the workers share rate-limit counters.")
@_option("--upload-limit", type=Whole(1, 2**34), default=20 * 1024 * 1024, show_default=True)
@_option("--submissions-per-minute", type=Whole(1, 1_000_000), default=20, show_default=True)
@_option("--lookups-per-minute", type=Whole(1, 1_000_000), default=10, show_default=True)
@_option("--request-timeout", type=Whole(1, 3600), default=30, show_default=True)
@_option("--cors-origin", "cors_origins", multiple=True, metavar="ORIGIN")
@_option(
    "--callback-secrets",
    metavar="FILE",
    help="JSON of agency code to webhook secret: serves POST /api/v1/agencies/{agency}/callbacks.",
)
@_option("--public-url", metavar="URL", help="The address citizens reach the mall at.")
@_option("--citizen-sign-in", metavar="MODULE:NAME", help="A CitizenSignIn to sign citizens in.")
@_option("--scanner", metavar="MODULE:NAME", help="A malware Scanner every upload is fed to.")
@_option("--access-log/--no-access-log", default=True, show_default=True)
@_option(
    "--telemetry/--no-telemetry",
    default=False,
    show_default=True,
    help="Record OpenTelemetry traces and metrics (the SDK and exporter: OTEL_* variables).",
)
@_option(
    "--oidc-issuer",
    metavar="URL",
    help="Sign staff in with this OpenID Connect provider (needs --public-url).",
)
@_option("--oidc-client-id", metavar="ID", help="The mall's client id at the provider.")
@_option(
    "--oidc-client-secret-file",
    metavar="PATH",
    help="A file holding the client secret (never give the secret itself on the command line).",
)
@_option(
    "--oidc-client-auth",
    type=click.Choice(["client_secret_basic", "client_secret_post"]),
    default="client_secret_basic",
    show_default=True,
    help="How the client authenticates at the provider's token endpoint.",
)
@_option(
    "--oidc-landing",
    metavar="PATH",
    default="/",
    show_default=True,
    help="Where a browser is sent once signed in through the provider.",
)
@_option("--shutdown-timeout", type=Whole(0, 3600), default=20, show_default=True)
@_option(
    "--check", is_flag=True, help="Check the settings, catalogue, store and keys; serve nothing."
)
@json_option
def serve(catalogue_path: str, **options: Any) -> None:
    """Serve the mall of CATALOGUE over the store: the citizen API, Open311 and documents.

    The API is under /api/v1, its OpenAPI document at /api/openapi.json and its
    reference at /api/docs; Open311 GeoReport v2 under /open311/v2; /healthz and /readyz.
    """
    serve_mall(catalogue=catalogue_path, **options)
