"""The ``onestop catalogue`` commands: validate, export, publish, list and fetch versions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC
from typing import Any

import click

from onestop.cli._common import (
    EXIT_PROBLEMS,
    EXIT_USAGE,
    FilePath,
    Whole,
    at_option,
    catalogue_language,
    emit_json,
    fail,
    json_option,
    load,
    open_store,
    parse_at,
    store_option,
    write_new_file,
)
from onestop.exceptions import (
    ConcurrencyConflict,
    InvalidCatalogue,
    InvalidValue,
    OnestopError,
)
from onestop.ports.catalogue import MAX_LISTING, CatalogueStore, CatalogueVersionInfo

__all__ = ["catalogue"]


@click.group()
def catalogue() -> None:
    """Validate, export and publish service catalogues."""


@catalogue.command("validate")
@click.argument("paths", nargs=-1, required=True, type=FilePath())
@json_option
def catalogue_validate(paths: tuple[str, ...], as_json: bool) -> None:
    """Check catalogue files and directories; print every problem as FILE: PATH: MESSAGE.

    Every text must be given in each declared language, onestop's own (history labels,
    courier labels, rejection reasons) included.  Texts served unreviewed (placeholder
    or machine translations) are listed as ``note:`` lines after the summary; no error.
    So is a catalogue without ``[[calendars]]``, which ``onestop serve``, ``track`` and
    ``sla report`` refuse.
    With --json, print a list of objects with file, path and message (empty when valid).
    """
    from onestop.usecases.catalogue.built_in import unreviewed_texts

    loaded = load(paths, as_json=as_json)
    if as_json:
        emit_json([])
    else:
        codes = loaded.service_codes()
        click.echo(
            f"ok: {len(loaded.agencies)} agencies, {len(codes)} services "
            f"({len(loaded.services)} versions), {len(loaded.workflows)} workflows, "
            f"languages {', '.join(loaded.languages)}"
        )
        for note in unreviewed_texts(loaded):
            click.echo(f"note: {note}")
        if not loaded.calendars:
            click.echo(f"note: {_NO_CALENDAR_NOTE}")


_NO_CALENDAR_NOTE = (
    "calendars: none declared; onestop serve, track and sla report refuse a catalogue "
    "without a [[calendars]] section (see docs/how-to/calendars.md)"
)
"""The note `validate` prints for a catalogue that declares no work calendar."""


_FORMATS = ("open311", "open311-definitions", "cpsv-ap", "json")


@catalogue.command("export")
@click.argument("paths", nargs=-1, required=True, type=FilePath())
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
@click.option(
    "--base-iri",
    "base_iri",
    metavar="IRI",
    help="cpsv-ap: the prefix of every node id, the government's own "
    "(e.g. https://data.example.gov/id/; default urn:onestop:<country>: from the "
    "mall's work calendar, urn:onestop: without one).",
)
@click.option(
    "--spatial",
    metavar="IRI",
    help="cpsv-ap: the territory the agencies cover, written as every organisation's "
    "dct:spatial (e.g. http://publications.europa.eu/resource/authority/country/KHM).",
)
@at_option()
@json_option
def catalogue_export(
    paths: tuple[str, ...],
    fmt: str,
    language: str | None,
    base_iri: str | None,
    spatial: str | None,
    at_text: str | None,
    as_json: bool,
) -> None:
    """Export a catalogue for other systems; the output is always JSON.

    Open311 and CPSV-AP are written as they are built, a service at a time.  If the
    catalogue holds a value the export may not write (a ``javascript:`` link, a line
    break in an e-mail address or a name), every such problem is printed on stderr
    and the command exits 1; what was written on stdout is then incomplete.
    """
    from onestop.interop import cpsv, open311
    from onestop.usecases.catalogue.loading import catalogue_to_dict

    del as_json  # the output is JSON either way
    if base_iri is not None and fmt != "cpsv-ap":
        fail("--base-iri: only the cpsv-ap format has node ids", code=EXIT_USAGE, as_json=True)
    if spatial is not None and fmt != "cpsv-ap":
        fail("--spatial: only the cpsv-ap format has organisations", code=EXIT_USAGE, as_json=True)
    loaded = load(paths, as_json=True)
    at = parse_at(at_text, as_json=True)
    if language is not None:
        catalogue_language(loaded, language, as_json=True)
    try:
        if fmt == "open311":
            _write(open311.iter_services(loaded, at=at, language=language))
        elif fmt == "open311-definitions":
            _write(open311.iter_service_definitions(loaded, at=at, language=language))
        elif fmt == "cpsv-ap":
            try:
                chunks = cpsv.iter_jsonld(loaded, at=at, base=base_iri, spatial=spatial)
            except InvalidValue as exc:
                if exc.field not in _OPTIONS:
                    raise
                fail(f"{_OPTIONS[exc.field]}: {exc.reason}", code=EXIT_USAGE, as_json=True)
            if base_iri is None and cpsv.default_base(loaded) == cpsv.DEFAULT_BASE:
                click.echo(_BARE_BASE_NOTE, err=True)
            _write(chunks)
        else:
            emit_json(catalogue_to_dict(loaded))
    except InvalidCatalogue as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"{len(exc.problems)} problem(s) found; nothing more was exported", err=True)
        raise SystemExit(EXIT_PROBLEMS) from None
    except OnestopError as exc:
        fail(str(exc), code=EXIT_USAGE, as_json=True)


_OPTIONS = {"base": "--base-iri", "spatial": "--spatial"}
"""The command-line option of each `cpsv.iter_jsonld` argument it may refuse."""

_BARE_BASE_NOTE = (
    "note: the catalogue declares no country (no mall [[calendars]] section), so its node "
    "ids are under the bare urn:onestop:, which other malls' exports share; give --base-iri"
)
"""The note the CPSV-AP export prints when its node ids may clash with another mall's."""

_BATCH = 1 << 16
"""Characters of output gathered before each write to stdout."""


def _write(chunks: Iterator[str]) -> None:
    """Write *chunks* of JSON text to stdout in batches, then a line break (as emit_json)."""
    batch: list[str] = []
    size = 0
    for chunk in chunks:
        batch.append(chunk)
        size += len(chunk)
        if size >= _BATCH:
            click.echo("".join(batch), nl=False)
            batch, size = [], 0
    batch.append("\n")
    click.echo("".join(batch), nl=False)


def _described(info: CatalogueVersionInfo) -> dict[str, Any]:
    return {
        "version": info.version,
        "digest": info.digest,
        "size": info.size,
        "recorded_at": info.recorded_at.isoformat(),
        "label": info.label,
    }


def _catalogue_store(url: str, *, as_json: bool) -> CatalogueStore:
    """Open the store *url* names; exit 2 if it cannot be opened or keeps no catalogues."""
    store = open_store(url, as_json=as_json)
    if not isinstance(store, CatalogueStore):
        store.close()
        fail(
            "--store: this store does not keep catalogue versions", code=EXIT_USAGE, as_json=as_json
        )
    return store


@catalogue.command("publish")
@click.argument("paths", nargs=-1, required=True, type=FilePath())
@click.option("--store", "store_url", required=True, metavar="URL", help="The store to publish to.")
@click.option("--label", help="A short note kept with the version (at most 200 characters).")
@click.option(
    "--expected-version",
    type=Whole(min=0),
    metavar="N",
    help="Publish only if the store's latest version is N (0: none yet) [default: the latest].",
)
@json_option
def catalogue_publish(
    paths: tuple[str, ...],
    store_url: str,
    label: str | None,
    expected_version: int | None,
    as_json: bool,
) -> None:
    """Publish the catalogue at PATHS to the store as its next version.

    The catalogue is checked as `onestop catalogue validate` checks it, then its
    canonical form is published, unless the store's latest version holds it already.
    Prints the version and its SHA-256 digest.  Exits with status 1 if the catalogue
    has problems, or if the store's latest version is not --expected-version.
    """
    from onestop.usecases.catalogue.publishing import publish_catalogue

    loaded = load(paths, as_json=as_json)
    store = _catalogue_store(store_url, as_json=as_json)
    try:
        published = publish_catalogue(store, loaded, label=label, expected_version=expected_version)
    except ConcurrencyConflict as exc:
        fail(
            f"the store's latest catalogue version is {exc.actual}, not {exc.expected};"
            " check the change against it and publish again",
            code=EXIT_PROBLEMS,
            as_json=as_json,
        )
    except InvalidValue as exc:
        fail(f"--{exc.field}: {exc.reason}", code=EXIT_USAGE, as_json=as_json)
    except OnestopError as exc:
        fail(str(exc), code=EXIT_USAGE, as_json=as_json)
    finally:
        store.close()
    version = published.version
    if as_json:
        emit_json(_described(version.info()) | {"created": published.created})
    elif published.created:
        click.echo(f"published catalogue version {version.version} (sha256 {version.digest})")
    else:
        click.echo(
            f"unchanged: catalogue version {version.version} holds this catalogue already"
            f" (sha256 {version.digest})"
        )


@catalogue.command("versions")
@store_option
@click.option(
    "--after",
    type=Whole(min=0),
    default=0,
    show_default=True,
    metavar="N",
    help="List the versions numbered above N.",
)
@click.option(
    "--limit",
    type=Whole(1, MAX_LISTING),
    default=100,
    show_default=True,
    help="List at most this many versions.",
)
@json_option
def catalogue_versions(store_url: str, after: int, limit: int, as_json: bool) -> None:
    """List the catalogue versions published to the store, oldest first.

    Each line gives the version, when it was published (UTC), the start of its
    SHA-256 digest, its size in bytes and its label; --json gives the whole digest.
    """
    store = _catalogue_store(store_url, as_json=as_json)
    try:
        listed = store.catalogue_versions(after=after, limit=limit)
    except OnestopError as exc:
        fail(str(exc), code=EXIT_USAGE, as_json=as_json)
    finally:
        store.close()
    if as_json:
        emit_json([_described(info) for info in listed])
        return
    if not listed:
        click.echo("no catalogue version is published" + (f" after {after}" if after else ""))
        return
    click.echo(f"{'version':>7}  {'published (UTC)':<16}  {'sha256':<12}  {'bytes':>9}  label")
    for info in listed:
        at = info.recorded_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        line = (
            f"{info.version:>7}  {at:<16}  {info.digest[:12]}  {info.size:>9}  {info.label or ''}"
        )
        click.echo(line.rstrip())


@catalogue.command("fetch")
@store_option
@click.option(
    "--version",
    "number",
    type=Whole(min=1),
    default=None,
    metavar="N",
    help="Fetch version N (default: the latest).",
)
@click.option(
    "--out",
    type=FilePath(dir_okay=False),
    default=None,
    help="Write the catalogue to this new .json file (default: standard output).",
)
@json_option
def catalogue_fetch(store_url: str, number: int | None, out: str | None, as_json: bool) -> None:
    """Write a published catalogue version out as a catalogue file (canonical JSON).

    The file loads, validates and publishes like any other catalogue file, so a
    release can be checked out, reviewed and changed.  Exits 1 if there is no such
    version, 2 if the --out file exists already (it is never replaced, nor a link at
    it followed).  With --json, print the version's details, with the catalogue itself
    under "catalogue" (or the file written under "out").
    """
    from onestop.exceptions import CatalogueVersionNotFound

    store = _catalogue_store(store_url, as_json=as_json)
    try:
        found = store.latest_catalogue() if number is None else store.catalogue_version(number)
    except OnestopError as exc:
        fail(str(exc), code=EXIT_USAGE, as_json=as_json)
    finally:
        store.close()
    if found is None:
        fail(str(CatalogueVersionNotFound(number)), code=EXIT_PROBLEMS, as_json=as_json)
    if out is not None:
        write_new_file("--out", out, found.content, as_json=as_json)
    if as_json:
        extra = {"out": out} if out is not None else {"catalogue": json.loads(found.content)}
        emit_json(_described(found.info()) | extra)
    elif out is None:
        click.echo(found.content.decode("utf-8"))
    else:
        click.echo(f"wrote catalogue version {found.version} to {out}", err=True)
