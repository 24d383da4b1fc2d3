"""What every ``onestop`` command shares: exit codes, output, options, loading and stores.

Private to `onestop.cli`; the names are plain so that its modules can share them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NoReturn

import click

from onestop.domain.common.formats import preview
from onestop.exceptions import CatalogueReadError, OnestopError, Problem

__all__ = [
    "EXIT_OK",
    "FilePath",
    "EXIT_PROBLEMS",
    "EXIT_USAGE",
    "at_option",
    "catalogue_calendars",
    "catalogue_for_store",
    "catalogue_language",
    "catalogue_option",
    "country_option",
    "emit_json",
    "fail",
    "json_option",
    "KEYS_NEEDED",
    "key_option",
    "key_provider",
    "load",
    "naming_catalogue",
    "open_keys",
    "open_mall",
    "open_store",
    "parse_at",
    "printable",
    "problems_out",
    "store_option",
]

EXIT_OK = 0
"""All is well."""
EXIT_PROBLEMS = 1
"""The command ran and found problems."""
EXIT_USAGE = 2
"""The command was used wrongly, or a file could not be read."""


def printable(text: str) -> str:
    """Return *text* with what UTF-8 cannot encode escaped (``\\udcff``), so it prints.

    A file name the operating system gave as bytes that are not UTF-8 reaches Python as
    lone surrogates; printed as they are, they would end the command in an error.
    """
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def emit_json(value: Any) -> None:
    """Print *value* as indented JSON on stdout."""
    click.echo(printable(json.dumps(value, ensure_ascii=False, indent=2, default=str)))


def fail(message: str, *, code: int, as_json: bool) -> NoReturn:
    """Print *message* on stderr (and as JSON on stdout with --json); exit with *code*."""
    if as_json:
        emit_json({"error": message})
    click.echo(printable(f"error: {message}"), err=True)
    raise SystemExit(code)


def write_new_file(
    option: str, path: str, data: bytes, *, as_json: bool, mode: int = 0o644
) -> None:
    """Write *data* to a new file at *path*, given as *option*; an existing one is never replaced.

    Fails with the usage status, naming the option and the path, if the file exists or
    cannot be created.
    """
    from onestop.privacy._files import create_file

    reason = create_file(path, data, mode=mode)
    if reason is not None:
        fail(f"{option} {preview(path)}: {reason}", code=EXIT_USAGE, as_json=as_json)


def problems_out(problems: Sequence[Problem], *, as_json: bool) -> None:
    """Print each problem as FILE: PATH: MESSAGE, or all of them as a JSON list."""
    if as_json:
        emit_json([{"file": p.file, "path": p.path, "message": p.message} for p in problems])
        return
    for problem in problems:
        click.echo(printable(str(problem)))


class FilePath(click.Path):
    """`click.Path` that hands a path the file system cannot look up to the command.

    click looks every path up, and fails with a bare `ValueError` on one holding a NUL
    or a lone surrogate; passed on, the command refuses it with a typed error (the
    catalogue loader's `CatalogueReadError`), printed like any unreadable path.
    """

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Convert as `click.Path` does, or return *value* as given if it cannot be looked up."""
        try:
            return super().convert(value, param, ctx)
        except ValueError:  # os.stat: an embedded NUL, or a lone surrogate (UnicodeEncodeError)
            return value


class Whole(click.IntRange):
    """`click.IntRange` reading ASCII digits only (an optional ``-`` first).

    click reads with `int`, which also takes ``" 80 "``, ``"8_000"`` and digits of
    other scripts (``"١٢٣"`` is 123): a value written so, in a flag or an environment
    variable, is more likely a mistake than a number, and is refused naming the option.
    Without a bound it is shown as ``INTEGER``, with no range in the help.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Bound as `click.IntRange` is; name an unbounded one ``integer``."""
        super().__init__(*args, **kwargs)
        if self.min is None and self.max is None:
            self.name = "integer"

    def _describe_range(self) -> str:
        """The range for help text; none without a bound (click would say ``x<=None``)."""
        if self.min is None and self.max is None:
            return ""
        return super()._describe_range()

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Refuse text `int` reads but that is not plain digits; else convert as
        `click.IntRange` does (and as it words a refusal: ``'abc' is not a valid integer``)."""
        if isinstance(value, str) and not _WHOLE.fullmatch(value) and _reads_as_int(value):
            self.fail(f"{preview(value)} is not written with the digits 0-9 only", param, ctx)
        return super().convert(value, param, ctx)


def _reads_as_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


_WHOLE = re.compile(r"-?[0-9]+")

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print the result as JSON on stdout."
)
"""The ``--json`` option every command takes."""


def load(paths: Sequence[str], *, as_json: bool) -> Any:
    """Load the catalogue at *paths*; print its problems and exit 1 (2 if unreadable)."""
    from onestop.calendars import check_calendar_sources
    from onestop.domain.workflow.guards import default_guards
    from onestop.usecases.catalogue.loading import read_catalogue

    try:
        catalogue, problems = read_catalogue(
            *paths, known_guards=default_guards().names(), checks=[check_calendar_sources]
        )
    except CatalogueReadError as exc:
        fail(str(exc), code=EXIT_USAGE, as_json=as_json)
    if problems or catalogue is None:
        problems_out(problems, as_json=as_json)
        click.echo(f"{len(problems)} problem(s) found", err=True)
        raise SystemExit(EXIT_PROBLEMS) from None
    return catalogue


def catalogue_language(catalogue: Any, language: str | None, *, as_json: bool) -> str:
    """*language* (``--language``), or the catalogue's first; exit 2 naming ``--language``
    and the catalogue's languages if it is not one of them (as ``track`` does)."""
    chosen = language or catalogue.default_language
    if chosen not in catalogue.languages:
        known = ", ".join(catalogue.languages)
        fail(
            f"--language: {preview(chosen)} is not one of {known}", code=EXIT_USAGE, as_json=as_json
        )
    return str(chosen)


def at_option() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The ``--at DATETIME`` option of the commands that pick service versions by time."""
    return click.option(
        "--at",
        "at_text",
        metavar="DATETIME",
        help="Export the versions in effect at this ISO 8601 time (default: now).",
    )


def parse_at(at_text: str | None, *, as_json: bool) -> datetime:
    """Read ``--at`` (UTC if it names no zone), or now.

    Exit 2 if it is not ISO 8601, or lies outside the instants onestop counts in
    (0001-01-02 to 9999-12-30 UTC, `onestop.domain.time.worktime.check_in_range`).
    """
    from onestop.domain.time.worktime import check_in_range

    if at_text is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(at_text)
    except ValueError:
        fail(
            f"--at: {preview(at_text)} is not an ISO 8601 date or date and time",
            code=EXIT_USAGE,
            as_json=as_json,
        )
    aware = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    try:
        check_in_range(aware, "--at")
    except OnestopError as exc:
        fail(str(exc), code=EXIT_USAGE, as_json=as_json)
    return aware


def open_store(url: str, *, as_json: bool) -> Any:
    """Open the store *url* names; exit 2 with the reason if it cannot be opened."""
    from onestop.storage import from_url

    try:
        return from_url(url)
    except OnestopError as exc:
        fail(f"--store: {exc}", code=EXIT_USAGE, as_json=as_json)


store_option = click.option(
    "--store", "store_url", required=True, metavar="URL", help="The store to use."
)
"""The ``--store URL`` option of the commands that read a store."""


key_option = click.option(
    "--key-file",
    "key_file",
    metavar="PATH",
    envvar="ONESTOP_KEY_FILE",
    help="The master key file that seals personal data (or set ONESTOP_KEY_FILE, or put "
    "the keys in ONESTOP_MASTER_KEY).",
)
"""The ``--key-file PATH`` option of the commands that seal or open personal data."""

KEYS_NEEDED = (
    "give the master keys: --key-file PATH (or set ONESTOP_KEY_FILE), or set "
    "ONESTOP_MASTER_KEY to ID:KEY entries; `onestop pii keygen --out FILE` makes a key file"
)
"""What a command that needs keys says when none were given."""


def key_provider(key_file: str | None, *, required: bool, as_json: bool) -> Any:
    """The master key provider: the key file, else ``ONESTOP_MASTER_KEY``, else ``None``.

    Exit 2 if the file or variable cannot be read, or if *required* and neither is given.
    """
    import os

    from onestop.privacy import DEFAULT_VARIABLE, EnvKeyProvider, FileKeyProvider

    try:
        if key_file is not None:
            return FileKeyProvider(key_file)
        if os.environ.get(DEFAULT_VARIABLE, "").strip():
            return EnvKeyProvider()
    except OnestopError as exc:
        fail(f"the master keys: {exc}", code=EXIT_USAGE, as_json=as_json)
    if required:
        fail(KEYS_NEEDED, code=EXIT_USAGE, as_json=as_json)
    return None


def open_keys(key_file: str | None, store: Any, *, required: bool, as_json: bool) -> Any:
    """A `onestop.privacy.Keyring` over *store* with the keys given, or ``None`` if none were.

    Exit 2 (closing *store*) if the keys cannot be read, or if *required* and none were given.
    """
    from onestop.privacy import Keyring

    try:
        provider = key_provider(key_file, required=required, as_json=as_json)
    except SystemExit:
        store.close()
        raise
    return None if provider is None else Keyring(provider, store)


def catalogue_for_store(path: str | None, *, as_json: bool) -> tuple[Any, bool]:
    """Load the catalogue at *path*, or the sample one; tell whether it is the sample."""
    from onestop.cli.demo import default_catalogue

    if path is not None:
        return load((path,), as_json=as_json), False
    try:
        found = default_catalogue()
    except OnestopError:
        fail("give the catalogue with --catalogue PATH", code=EXIT_USAGE, as_json=as_json)
    return load((str(found),), as_json=as_json), True


def open_mall(
    path: str | None,
    store_url: str,
    *,
    country: str | None = None,
    at: datetime | None = None,
    key_file: str | None = None,
    keys_required: bool = False,
    as_json: bool,
) -> Any:
    """A mall over the store, on the catalogue's declared calendars (`catalogue_calendars`).

    ``country`` (the deprecated ``--country``) overrides them with `calendar_for`'s.
    It seals and opens personal data with the keys given (`open_keys`); without keys it
    reads sealed values as withheld, which is enough to track, report and verify.
    """
    from onestop.usecases.mall import Mall

    when = at or datetime.now(UTC)
    catalogue, _ = catalogue_for_store(path, as_json=as_json)
    calendars, versions = catalogue_calendars(catalogue, country=country, at=when, as_json=as_json)
    store = open_store(store_url, as_json=as_json)
    keys = open_keys(key_file, store, required=keys_required, as_json=as_json)
    return Mall(
        catalogue=catalogue,
        store=store,
        calendars=calendars,
        calendar_versions=versions,
        keys=keys,
    )


SAMPLE = "the packaged Jakarta sample"
"""What the commands that default to the sample catalogue call it in help and errors."""


@contextmanager
def naming_catalogue(path: str | None) -> Iterator[None]:
    """Add to a code the catalogue lacks (an agency, service, workflow or state an
    application in the store names) which catalogue was used, and to give --catalogue.

    The error stays what it was (`AgencyNotFound`, `WorkflowNotFound`, ...): only its
    message grows.
    """
    from onestop.exceptions import (
        AgencyNotFound,
        ServiceNotFound,
        StateNotFound,
        WorkflowNotFound,
    )

    try:
        yield
    except (AgencyNotFound, ServiceNotFound, StateNotFound, WorkflowNotFound) as exc:
        used = f"{SAMPLE} (no --catalogue given)" if path is None else preview(path)
        said = (
            f"{exc}, in the catalogue used, {used}: give the catalogue the store's "
            "applications belong to with --catalogue PATH"
        )
        exc.args = (said,)
        raise


NO_CALENDAR = (
    "the catalogue declares no work calendar: add a [[calendars]] section with version, "
    "effective_from, time_zone and country (see docs/how-to/calendars.md)"
)
"""The CLI's error for a catalogue without ``[[calendars]]``: nothing counts on a default."""


def catalogue_calendars(
    catalogue: Any, *, country: str | None, at: datetime, as_json: bool
) -> tuple[dict[str, Any], tuple[Any, ...]]:
    """The calendars and calendar versions a CLI mall counts on, or exit 2 naming the fix.

    The catalogue's ``[[calendars]]`` resolved for the years around *at*'s
    (`onestop.calendars.counted_years`); ``country`` (``--country``, deprecated)
    overrides them instead.
    """
    from onestop.calendars import calendar_for, calendar_versions, counted_years

    if country is not None:
        click.echo("warning: --country is deprecated; declare [[calendars]]", err=True)
        try:
            years = counted_years(catalogue, around=at.year)
            return {"*": calendar_for(country, years=years)}, ()
        except OnestopError as exc:
            fail(f"--country: {exc}", code=EXIT_USAGE, as_json=as_json)
    if not catalogue.calendars:
        fail(NO_CALENDAR, code=EXIT_USAGE, as_json=as_json)
    try:
        return {}, calendar_versions(catalogue, years=counted_years(catalogue, around=at.year))
    except OnestopError as exc:
        fail(f"calendars: {exc}", code=EXIT_USAGE, as_json=as_json)


catalogue_option = click.option(
    "--catalogue",
    "catalogue_path",
    type=FilePath(),
    help=f"The catalogue the store's applications belong to (default: {SAMPLE}).",
)
"""The ``--catalogue PATH`` option of the commands that work on a store's applications."""

country_option = click.option(
    "--country",
    help="Deprecated: count on calendar_for(COUNTRY) (ID, KR or KH) instead of the "
    "catalogue's [[calendars]].",
)
"""The ``--country`` option: the work calendar deadlines are counted on."""
