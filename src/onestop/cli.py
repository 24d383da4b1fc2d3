"""The ``onestop`` command.

Every command takes ``--json``.  Exit codes: 0 when all is well, 1 when the command
found problems (an invalid catalogue, an unknown service), 2 on a usage or I/O error
(a missing path, an unreadable file).  Errors go to stderr, never as a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, NoReturn

import click

from onestop.exceptions import (
    CatalogueReadError,
    InvalidCatalogue,
    NotFound,
    OnestopError,
    Problem,
)

__all__ = ["EXIT_OK", "EXIT_PROBLEMS", "EXIT_USAGE", "cli", "main"]

EXIT_OK = 0
"""All is well."""
EXIT_PROBLEMS = 1
"""The command ran and found problems."""
EXIT_USAGE = 2
"""The command was used wrongly, or a file could not be read."""


def _version() -> str:
    try:
        return version("onestop-mall")
    except PackageNotFoundError:  # pragma: no cover - only when run from a bare checkout
        return "0+unknown"


def _emit_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _fail(message: str, *, code: int, as_json: bool) -> NoReturn:
    if as_json:
        _emit_json({"error": message})
    click.echo(f"error: {message}", err=True)
    raise SystemExit(code)


def _problems_out(problems: Sequence[Problem], *, as_json: bool) -> None:
    if as_json:
        _emit_json([{"file": p.file, "path": p.path, "message": p.message} for p in problems])
        return
    for problem in problems:
        click.echo(str(problem))


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print the result as JSON on stdout."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), "--version", prog_name="onestop", message="%(prog)s %(version)s")
def cli() -> None:
    """Build and run a one-stop public service mall from data files."""


@cli.group()
def catalogue() -> None:
    """Validate and export service catalogues."""


def _load(paths: Sequence[str], *, as_json: bool) -> Any:
    from onestop.domain.guards import default_guards
    from onestop.loading import load_catalogue

    try:
        return load_catalogue(*paths, known_guards=default_guards().names())
    except CatalogueReadError as exc:
        _fail(str(exc), code=EXIT_USAGE, as_json=as_json)
    except InvalidCatalogue as exc:
        _problems_out(exc.problems, as_json=as_json)
        click.echo(f"{len(exc.problems)} problem(s) found", err=True)
        raise SystemExit(EXIT_PROBLEMS) from None


@catalogue.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@json_option
def catalogue_validate(paths: tuple[str, ...], as_json: bool) -> None:
    """Check catalogue files and directories; print every problem as FILE: PATH: MESSAGE.

    With --json, print a list of objects with file, path and message (empty when valid).
    """
    loaded = _load(paths, as_json=as_json)
    if as_json:
        _emit_json([])
    else:
        codes = loaded.service_codes()
        click.echo(
            f"ok: {len(loaded.agencies)} agencies, {len(codes)} services "
            f"({len(loaded.services)} versions), {len(loaded.workflows)} workflows, "
            f"languages {', '.join(loaded.languages)}"
        )


_FORMATS = ("open311", "open311-definitions", "cpsv-ap", "json")


def _at_option() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--at",
        "at_text",
        metavar="DATETIME",
        help="Export the versions in effect at this ISO 8601 time (default: now).",
    )


def _parse_at(at_text: str | None, *, as_json: bool) -> datetime:
    if at_text is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(at_text)
    except ValueError:
        _fail(
            f"--at: {at_text!r} is not an ISO 8601 date or date and time",
            code=EXIT_USAGE,
            as_json=as_json,
        )
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@catalogue.command("export")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(_FORMATS),
    default="open311",
    show_default=True,
    help="open311: GeoReport v2 service list; open311-definitions: their attributes; "
    "cpsv-ap: CPSV-AP 3.2 JSON-LD; json: the catalogue in onestop's own file format.",
)
@click.option("--language", help="Language for Open311 text (default: the catalogue's first).")
@_at_option()
@json_option
def catalogue_export(
    paths: tuple[str, ...], fmt: str, language: str | None, at_text: str | None, as_json: bool
) -> None:
    """Export a catalogue for other systems; the output is always JSON."""
    from onestop.interop import cpsv, open311
    from onestop.loading import catalogue_to_dict

    del as_json  # the output is JSON either way
    loaded = _load(paths, as_json=True)
    at = _parse_at(at_text, as_json=True)
    if fmt == "open311":
        _emit_json(open311.services(loaded, at=at, language=language))
    elif fmt == "open311-definitions":
        _emit_json(open311.service_definitions(loaded, at=at, language=language))
    elif fmt == "cpsv-ap":
        _emit_json(cpsv.to_jsonld(loaded, at=at))
    else:
        _emit_json(catalogue_to_dict(loaded))


@cli.group()
def workflow() -> None:
    """Inspect workflows."""


@workflow.command("render")
@click.argument("path", type=click.Path())
@click.argument("service_code")
@click.option(
    "--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True
)
@click.option("--language", help="Language of state labels (default: the catalogue's first).")
@_at_option()
@json_option
def workflow_render(
    path: str, service_code: str, fmt: str, language: str | None, at_text: str | None, as_json: bool
) -> None:
    """Print the workflow of SERVICE_CODE as a Mermaid or Graphviz DOT diagram."""
    from onestop.domain.render import to_dot, to_mermaid

    loaded = _load((path,), as_json=as_json)
    at = _parse_at(at_text, as_json=as_json)
    try:
        service = loaded.service(service_code, at=at)
        if service.workflow is None:
            _fail(f"service {service_code!r} has no workflow", code=EXIT_PROBLEMS, as_json=as_json)
        flow = loaded.workflow(service.workflow)
    except NotFound as exc:
        _fail(str(exc), code=EXIT_PROBLEMS, as_json=as_json)
    lang = language or loaded.default_language
    render = to_mermaid if fmt == "mermaid" else to_dot
    text = render(flow, language=lang, fallbacks=loaded.languages)
    if as_json:
        _emit_json({"service": service_code, "workflow": flow.code, "format": fmt, "diagram": text})
    else:
        click.echo(text, nl=not text.endswith("\n"))


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
