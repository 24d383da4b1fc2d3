"""The ``onestop`` command.

Every command takes ``--json``.  Exit codes: 0 when all is well, 1 when the command
found problems (an invalid catalogue, an unknown service), 2 on a usage or I/O error
(a missing path, an unreadable file).  Errors go to stderr, never as a traceback.

The commands live in this package's modules: `onestop.cli.catalogue` holds the
``onestop catalogue`` group, this module the others and `main`, the entry point.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import click

from onestop.cli._common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    FilePath,
    Whole,
    at_option,
    catalogue_language,
    catalogue_option,
    country_option,
    emit_json,
    fail,
    json_option,
    key_option,
    load,
    naming_catalogue,
    open_mall,
    parse_at,
    store_option,
)
from onestop.cli.audit import audit
from onestop.cli.calendar import calendar
from onestop.cli.catalogue import catalogue
from onestop.cli.pii import pii
from onestop.cli.pii_migrate import pii_migrate
from onestop.cli.serve import serve
from onestop.cli.staff import staff
from onestop.domain.common.formats import preview
from onestop.exceptions import CatalogueReadError, InvalidWebhookInput, NotFound, OnestopError

__all__ = ["EXIT_OK", "EXIT_PROBLEMS", "EXIT_USAGE", "cli", "main"]


def _version() -> str:
    try:
        return version("onestop-mall")
    except PackageNotFoundError:  # pragma: no cover - only when run from a bare checkout
        return "0+unknown"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), "--version", prog_name="onestop", message="%(prog)s %(version)s")
def cli() -> None:
    """Build and run a one-stop public service mall from data files."""


cli.add_command(catalogue)
cli.add_command(calendar)
cli.add_command(pii)
cli.add_command(audit)
cli.add_command(serve)
cli.add_command(staff)
pii.add_command(pii_migrate)


@cli.group()
def workflow() -> None:
    """Inspect workflows."""


@workflow.command("render")
@click.argument("path", type=FilePath())
@click.argument("service_code")
@click.option(
    "--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True
)
@click.option("--language", help="Language of state labels (default: the catalogue's first).")
@at_option()
@json_option
def workflow_render(
    path: str, service_code: str, fmt: str, language: str | None, at_text: str | None, as_json: bool
) -> None:
    """Print the workflow of SERVICE_CODE as a Mermaid or Graphviz DOT diagram."""
    from onestop.domain.workflow.render import to_dot, to_mermaid

    loaded = load((path,), as_json=as_json)
    at = parse_at(at_text, as_json=as_json)
    lang = catalogue_language(loaded, language, as_json=as_json)
    try:
        service = loaded.service(service_code, at=at)
        if service.workflow is None:
            fail(f"service {service_code!r} has no workflow", code=EXIT_PROBLEMS, as_json=as_json)
        flow = loaded.workflow(service.workflow)
    except NotFound as exc:
        fail(str(exc), code=EXIT_PROBLEMS, as_json=as_json)
    render = to_mermaid if fmt == "mermaid" else to_dot
    text = render(flow, language=lang, fallbacks=loaded.languages)
    if as_json:
        emit_json({"service": service_code, "workflow": flow.code, "format": fmt, "diagram": text})
    else:
        click.echo(text, nl=not text.endswith("\n"))


@cli.command("relay")
@click.option("--store", "store_url", required=True, metavar="URL", help="The store to read.")
@click.option("--webhook", "webhook_url", metavar="URL", help="Send signed webhooks to this URL.")
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    metavar="whsec_...",
    envvar="ONESTOP_WEBHOOK_SECRET",
    help="A signing secret; repeat it while rotating (or set ONESTOP_WEBHOOK_SECRET).",
)
@click.option("--allow-private", is_flag=True, help="Allow a webhook host on a private address.")
@click.option("--consumer", default="relay", show_default=True, help="The name of the positions.")
@click.option("--once", is_flag=True, help="Do one pass and exit.")
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0.01),
    default=1.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait when nothing is waiting.",
)
@json_option
def relay(
    store_url: str,
    webhook_url: str | None,
    secrets: tuple[str, ...],
    allow_private: bool,
    consumer: str,
    once: bool,
    poll_interval: float,
    as_json: bool,
) -> None:
    """Deliver the store's notifications as signed webhooks, at least once, in order.

    Runs until SIGTERM or SIGINT, finishing the delivery in hand, or does one pass
    with --once; then prints how many messages were delivered, retried and
    dead-lettered.  Exits with status 1 if a message was dead-lettered or the
    endpoint was disabled.  Log events go to stderr.
    """
    import signal
    import threading

    from onestop.storage import from_url
    from onestop.transport.relay import Relay
    from onestop.transport.webhook import WebhookEndpoint, WebhookTransport

    if webhook_url is None or not secrets:
        fail("give a transport: --webhook URL with --secret", code=EXIT_USAGE, as_json=as_json)
    client = _http_client(as_json=as_json)
    try:
        endpoint = WebhookEndpoint(webhook_url, secrets=secrets, allow_private=allow_private)
    except OnestopError as exc:  # "secrets[1]: ...": the second --secret; else the URL
        client.close()
        argument = exc.argument if isinstance(exc, InvalidWebhookInput) else ""
        option = "--secret" if argument.startswith("secrets") else "--webhook"
        fail(f"{option}: {exc}", code=EXIT_USAGE, as_json=as_json)
    try:
        store = from_url(store_url)
    except OnestopError as exc:
        client.close()
        fail(f"--store: {exc}", code=EXIT_USAGE, as_json=as_json)
    try:
        worker = Relay(store, {"webhook": WebhookTransport(client, endpoint)}, consumer=consumer)
    except OnestopError as exc:  # a --consumer no store can keep positions for
        client.close()
        store.close()
        fail(f"--consumer: {exc}", code=EXIT_USAGE, as_json=as_json)
    stop = threading.Event()
    restore_logging = _log_to_stderr()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if once:
            report = worker.run_once()
        else:
            for sig in previous:
                signal.signal(sig, lambda *_: stop.set())
            report = worker.run_forever(stop, poll_interval=poll_interval)
        backlog = worker.backlog()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        restore_logging()
        client.close()
        store.close()
    summary = {
        "delivered": report.delivered,
        "retried": report.retried,
        "dead_lettered": report.dead_lettered,
        "halted": list(report.halted),
        "backlog": backlog,
    }
    if as_json:
        emit_json(summary)
    else:
        halted = f", halted: {', '.join(report.halted)}" if report.halted else ""
        click.echo(
            f"delivered {report.delivered}, retried {report.retried}, "
            f"dead-lettered {report.dead_lettered}, waiting {sum(backlog.values())}{halted}"
        )
    if report.dead_lettered or report.halted:
        raise SystemExit(EXIT_PROBLEMS)


def _http_client(*, as_json: bool) -> Any:
    """Build an HTTP client from httpx (the ``http`` extra), or else httpx2."""
    import importlib

    for name in ("httpx", "httpx2"):
        try:
            library = importlib.import_module(name)
        except ImportError:
            continue
        return library.Client(timeout=15.0, follow_redirects=False)
    return fail(
        "sending webhooks needs httpx: pip install 'onestop-mall[http]'",
        code=EXIT_USAGE,
        as_json=as_json,
    )


def _log_to_stderr() -> Callable[[], None]:
    """Print log events to stderr as JSON lines; return what puts the previous set-up back."""
    import structlog

    configured, saved = structlog.is_configured(), structlog.get_config()
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(0),
        cache_logger_on_first_use=False,
    )
    if configured:
        return lambda: structlog.configure(**saved)
    return structlog.reset_defaults


# --- the demo, and commands on a store ------------------------------------------------


def _when(value: object) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


@cli.command("demo")
@click.option("--days", type=Whole(1, 60), default=1, show_default=True, help="Days of arrivals.")
@click.option(
    "--per-day",
    type=Whole(1, 5000),
    default=150,
    show_default=True,
    help="Arrivals per day.",
)
@click.option(
    "--follow-up",
    type=Whole(0, 60),
    default=5,
    show_default=True,
    help="Working days simulated after the last day of arrivals.",
)
@click.option(
    "--seed", type=Whole(), default=0, show_default=True, help="The same seed, the same run."
)
@click.option(
    "--store",
    "store_url",
    metavar="URL",
    help="Where to keep the applications [default: sqlite:///onestop-demo.sqlite3, in the "
    "current directory; a file an earlier demo wrote is replaced, any other is refused].",
)
@click.option(
    "--catalogue", "catalogue_path", type=FilePath(), help="Default: the sample Jakarta mall."
)
@click.option(
    "--key-file",
    "key_file",
    metavar="PATH",
    envvar="ONESTOP_KEY_FILE",
    help="The master key file to seal personal data with [default: <store file>.keys next "
    "to a SQLite store, made if missing; a key for this run only for other stores].",
)
@click.option("--serve", "then_serve", is_flag=True, help="Then serve the store (onestop serve).")
@click.option("--host", default="127.0.0.1", show_default=True, help="With --serve: the address.")
@click.option("--port", type=Whole(0, 65535), default=8000, show_default=True)
@click.option("--check", is_flag=True, help="With --serve: check what would be served, and exit.")
@json_option
def demo_command(
    days: int,
    per_day: int,
    follow_up: int,
    seed: int,
    store_url: str | None,
    catalogue_path: str | None,
    key_file: str | None,
    as_json: bool,
    *,
    then_serve: bool,
    host: str,
    port: int,
    check: bool,
) -> None:
    """Simulate working days at the sample Jakarta mall, then summarise them.

    Citizens apply at counters, online and through the AJIB courier; officers check
    documents (sending some back), process, approve and issue; some deadlines pass
    and the timers escalate.  Personal data is sealed (see --key-file).  Afterwards,
    try `onestop track`, `onestop sla report`, `onestop audit verify` and the
    `onestop pii` commands on the store.  A progress bar goes to stderr.

    With --serve, the store is then served as `onestop serve` serves it (a SQLite
    store, whose key file the demo keeps beside it): track the example application at
    /api/v1/tracking, or submit new ones.
    """
    from onestop.cli.demo import DEFAULT_STORE, run_demo
    from onestop.exceptions import ConfigurationError, StorageError

    url = store_url or DEFAULT_STORE
    _demo_serving(url, then_serve=then_serve, host=host, port=port, check=check, as_json=as_json)
    bar: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="Simulating", file=sys.stderr).__enter__()
        bar.update(done - bar.pos)

    try:
        summary = run_demo(
            store_url=url,
            days=days,
            seed=seed,
            applications_per_day=per_day,
            follow_up_days=follow_up,
            catalogue_path=catalogue_path,
            progress=None if as_json else progress,
            key_file=key_file,
        )
    except (ConfigurationError, StorageError, CatalogueReadError) as exc:
        fail(str(exc), code=EXIT_USAGE, as_json=as_json)
    except OnestopError as exc:
        fail(str(exc), code=EXIT_PROBLEMS, as_json=as_json)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if as_json:
        emit_json(summary.to_dict())
    else:
        click.echo(summary.to_text())
    if then_serve:
        _serve_demo(summary, host=host, port=port, check=check, as_json=as_json)


def _demo_serving(
    url: str, *, then_serve: bool, host: str, port: int, check: bool, as_json: bool
) -> None:
    """Refuse, before the simulation, what ``--serve`` could not serve, and its options
    without it (they would be ignored)."""
    from onestop.cli.demo._store import sqlite_file
    from onestop.cli.serve import can_listen, listen_host

    if not then_serve:
        given = click.get_current_context().get_parameter_source
        for name in ("host", "port", "check"):
            if given(name) is click.core.ParameterSource.COMMANDLINE:
                fail(f"--{name} goes with --serve", code=EXIT_USAGE, as_json=as_json)
        return
    if sqlite_file(url) is None:
        fail(
            "--serve needs a SQLite store whose key file the demo keeps (the default store)",
            code=EXIT_USAGE,
            as_json=as_json,
        )
    address = listen_host(host, as_json=as_json)
    if not check:
        can_listen(address, port, as_json=as_json)


def _serve_demo(summary: Any, *, host: str, port: int, check: bool, as_json: bool) -> None:
    """Serve the demo's store as `onestop serve` does; the demo's key file seals it (a
    SQLite store's, `_demo_serving` checked before the simulation)."""
    from onestop.cli.serve import serve_mall

    serve_mall(
        catalogue=summary.catalogue,
        store_url=summary.store,
        key_file=summary.key_file,
        host=host,
        port=port,
        check=check,
        as_json=as_json,
    )


@cli.group()
def sla() -> None:
    """Report on deadlines."""


@sla.command("report")
@store_option
@catalogue_option
@click.option("--agency", metavar="CODE", help="Only this agency and those under it.")
@country_option
@click.option(
    "--at",
    "at_text",
    metavar="DATETIME",
    help="Judge open applications at this ISO 8601 time (default: now).",
)
@key_option
@json_option
def sla_report(
    store_url: str,
    catalogue_path: str | None,
    agency: str | None,
    country: str | None,
    at_text: str | None,
    key_file: str | None,
    as_json: bool,
) -> None:
    """Count, per agency and service, applications decided on time and late, open, overdue.

    A store that seals personal data is reported on with or without its keys.
    """
    at = parse_at(at_text, as_json=as_json)
    mall = open_mall(
        catalogue_path, store_url, country=country, at=at, key_file=key_file, as_json=as_json
    )
    try:
        if agency is not None and agency not in {a.code for a in mall.catalogue.agencies}:
            said = f"--agency: no agency {preview(agency)} in the catalogue used"
            fail(said, code=EXIT_PROBLEMS, as_json=as_json)
        with naming_catalogue(catalogue_path):
            rows = mall.sla_report(agency=agency, now=at)
    except NotFound as exc:
        fail(str(exc), code=EXIT_PROBLEMS, as_json=as_json)
    finally:
        mall.store.close()
    names = ("on_time", "late", "open", "overdue", "withdrawn")
    total = {name: sum(getattr(row, name) for row in rows) for name in names}
    if as_json:
        found = [
            {"agency": r.agency, "service": r.service, **{n: getattr(r, n) for n in names}}
            | {"paused_seconds": int(r.paused.total_seconds())}
            for r in rows
        ]
        emit_json({"at": at.isoformat(), "agency": agency, "rows": found, "total": total})
        return
    click.echo(f"{'agency':<22} {'service':<22} on time  late  open  overdue  withdrawn  on-time")
    for row in rows:
        decided = row.on_time + row.late
        rate = f"{row.on_time / decided:>7.1%}" if decided else "      -"
        click.echo(
            f"{row.agency:<22} {row.service:<22} {row.on_time:>7} {row.late:>5} {row.open:>5} "
            f"{row.overdue:>8} {row.withdrawn:>10}  {rate}"
        )
    click.echo(
        f"{'total':<45} {total['on_time']:>7} {total['late']:>5} {total['open']:>5} "
        f"{total['overdue']:>8} {total['withdrawn']:>10}"
    )


@cli.command("track")
@click.argument("number")
@click.option("--secret", required=True, help="The lookup secret on the applicant's receipt.")
@store_option
@catalogue_option
@click.option("--language", help="id, en, ... (default: the catalogue's first).")
@country_option
@key_option
@json_option
def track(
    number: str,
    secret: str,
    store_url: str,
    catalogue_path: str | None,
    language: str | None,
    country: str | None,
    key_file: str | None,
    as_json: bool,
) -> None:
    """Show application NUMBER's public status, as its applicant sees it.

    The status holds no personal data: an application whose personal data is sealed,
    or was erased, is tracked with or without the keys.  Labels are in --language
    (one of the catalogue's languages; another is a usage error), and dates are
    written as a reader of that language writes them (the due date also in ISO 8601).
    """
    import attrs

    from onestop.exceptions import ApplicationNotFound

    mall = open_mall(catalogue_path, store_url, country=country, key_file=key_file, as_json=as_json)
    try:
        lang = language or mall.catalogue.default_language
        if lang not in mall.catalogue.languages:
            known = ", ".join(mall.catalogue.languages)
            fail(f"--language: {lang!r} is not one of {known}", code=EXIT_USAGE, as_json=as_json)
        with naming_catalogue(catalogue_path):
            status = mall.track(number, secret, language=lang)
    except ApplicationNotFound:
        fail("no application matches this number and secret", code=EXIT_PROBLEMS, as_json=as_json)
    finally:
        mall.store.close()
    found = attrs.asdict(status, value_serializer=lambda _, __, v: _when(v) or v)
    if as_json:
        emit_json(found)
        return
    from onestop.locales import format_datetime

    served, zone = status.language, _agency_zone(mall.catalogue, status)
    due = "closed" if status.closed else "clock paused" if status.due is None else found["due"]
    if status.due is not None and not status.closed:
        due = f"{format_datetime(status.due, served)} ({due})"
    click.echo(
        f"{status.number}: {status.service_name}\n{status.label} ({status.state}); due: {due}"
    )
    for needed in status.needed:
        reason = needed.reason_text or needed.reason
        click.echo(f"  needed: {needed.label}" + (f" ({reason})" if reason else ""))
    for step in status.history:
        click.echo(f"  {format_datetime(step.at.astimezone(zone), served)}  {step.label}")


def _agency_zone(catalogue: Any, status: Any) -> Any:
    """The zone the due date of a tracked application is written in: its calendar's (its
    agency's), else the providing agency's; UTC if the catalogue no longer names it."""
    from zoneinfo import ZoneInfo

    if status.due is not None and status.due.tzinfo is not None:
        return status.due.tzinfo
    versions = catalogue.versions(status.service)
    agencies = {agency.code: agency for agency in catalogue.agencies}
    found = agencies.get(versions[-1].agency) if versions else None
    return ZoneInfo(found.time_zone) if found is not None else UTC


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code instead of raising `SystemExit`."""
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="onestop",
            standalone_mode=False,
        )
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except OnestopError as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_PROBLEMS
    except Exception as exc:  # noqa: BLE001 - the command line never shows a traceback
        click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("please report this at the project's issue tracker", err=True)
        return EXIT_USAGE
    return EXIT_OK
