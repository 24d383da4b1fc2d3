"""Read catalogue files (TOML and JSON), validate everything, and write them back.

A catalogue is one file or a directory of files, read recursively in path order and
merged.  Each file may hold a ``[catalogue]`` table (the mall's ``name``, its
``languages`` and optionally the default ``retention``; exactly one file has it) and
arrays of tables named ``agencies``, ``calendars``, ``evidence_types``,
``identity_schemes``, ``legal_resources``, ``life_events``, ``services``, ``workflows`` and
``messages`` (overrides and extensions of onestop's own texts,
`onestop.domain.catalogue.messages`).
See :doc:`/reference/catalogue-format`.

Loading reports **every** problem, each with its file and path; it never runs code
from a file, and it stays bounded on huge, deeply nested or binary input.

>>> from onestop.usecases.catalogue.loading import load_catalogue
>>> catalogue = load_catalogue("examples/jakarta")
>>> catalogue.default_language
'id'
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs

from onestop.domain.catalogue.calendars import CalendarDeclaration
from onestop.domain.catalogue.checks import check_catalogue
from onestop.domain.catalogue.identity import IdentityScheme
from onestop.domain.catalogue.messages import Message
from onestop.domain.catalogue.model import (
    Agency,
    Catalogue,
    EvidenceType,
    LegalResource,
    LifeEvent,
    Retention,
    Service,
)
from onestop.domain.common.formats import kind_of, preview
from onestop.domain.common.kinds import check_strings, check_type
from onestop.domain.common.text import LocalizedText
from onestop.domain.workflow.model import Workflow
from onestop.exceptions import CatalogueReadError, InvalidCatalogue, InvalidValue, Problem
from onestop.serialization import make_converter, problems_from
from onestop.usecases.catalogue._repair import Removed, Repaired, agreed, structure_without
from onestop.usecases.catalogue.built_in import shipped_texts
from onestop.usecases.catalogue.files import MAX_DEPTH, MAX_FILE_BYTES, check_depth, parse_document
from onestop.usecases.catalogue.identity import stdnum_problems

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_FILES",
    "MAX_TOTAL_BYTES",
    "catalogue_from_data",
    "catalogue_to_dict",
    "dump_catalogue",
    "load_catalogue",
    "read_catalogue",
]

MAX_TOTAL_BYTES = 64 * 1024 * 1024
"""The most bytes all files of one catalogue may hold together (64 MiB)."""
MAX_FILES = 5_000
"""A catalogue directory with more files than this is refused."""

SECTIONS: dict[str, type] = {
    "agencies": Agency,
    "evidence_types": EvidenceType,
    "identity_schemes": IdentityScheme,
    "legal_resources": LegalResource,
    "life_events": LifeEvent,
    "services": Service,
    "workflows": Workflow,
    "messages": Message,
    "calendars": CalendarDeclaration,
}
_HEADER = "catalogue"
_SUFFIXES = (".toml", ".json")


@attrs.frozen(kw_only=True)
class _Header:
    name: LocalizedText
    languages: tuple[str, ...]
    retention: Retention | None = None


@attrs.define
class _Collected:
    header: _Header | None = None
    header_file: str | None = None
    items: dict[str, Repaired] = attrs.Factory(lambda: {k: Repaired() for k in SECTIONS})
    origins: dict[str, list[tuple[str, int]]] = attrs.Factory(lambda: {k: [] for k in SECTIONS})
    problems: list[Problem] = attrs.Factory(list)
    removed: list[tuple[str, str]] = attrs.Factory(list)


def load_catalogue(
    *paths: str | os.PathLike[str], known_guards: Iterable[str] | None = None
) -> Catalogue:
    """Load and validate a catalogue from files and directories.

    Args:
        paths: Files (``.toml``, ``.json``) and directories searched recursively.
        known_guards: Guard names workflows may use; ``None`` skips that check.

    Raises:
        CatalogueReadError: If a path is missing or cannot be read.
        InvalidCatalogue: Listing every problem found, with file and path.
    """
    catalogue, problems = read_catalogue(*paths, known_guards=known_guards)
    if problems or catalogue is None:
        raise InvalidCatalogue(problems)
    return catalogue


def read_catalogue(
    *paths: str | os.PathLike[str],
    known_guards: Iterable[str] | None = None,
    checks: Iterable[Callable[[Catalogue], list[Problem]]] = (),
) -> tuple[Catalogue | None, list[Problem]]:
    """Read a catalogue and return it with its problems, without raising for them.

    The catalogue is ``None`` when the files could not be assembled into one.  When there
    are problems, it is only what could be read, **not for use**: a broken required value
    is held by a stand-in (``?stand-in-1``) so that the rest could be checked, and broken
    items are left out.  *checks*
    are more checks of the assembled catalogue, run by an adapter that knows more than
    the domain (``onestop.calendars.check_calendar_sources``: the countries the
    `holidays` package knows); their problems join the others, with file and path.

    Raises:
        CatalogueReadError: If a path is missing or cannot be read.
        InvalidValue: If *checks* is not a collection of functions.
    """
    if not paths:
        raise CatalogueReadError(path="", reason="no catalogue path given")
    converter = make_converter()
    collected = _Collected()
    budget = [MAX_TOTAL_BYTES]
    for file in _files(paths):
        _collect_file(file, collected, converter, budget)
    return _assemble(collected, str(paths[0]), known_guards, _checks(checks))


def _checks(checks: object) -> tuple[Callable[[Catalogue], list[Problem]], ...]:
    """*checks* as a tuple of functions, or `InvalidValue` naming what is wrong."""
    if isinstance(checks, str | bytes) or not isinstance(checks, Iterable):
        raise InvalidValue(field="checks", reason=f"expected functions, not {kind_of(checks)}")
    found = tuple(checks)
    if not all(callable(check) for check in found):
        raise InvalidValue(field="checks", reason="expected functions of a catalogue")
    return found


def catalogue_from_data(
    data: object, /, *, source: str, known_guards: Iterable[str] | None = None
) -> Catalogue:
    """Load and validate a catalogue from the parsed content of one catalogue file.

    *data* is what a JSON or TOML catalogue file parses to (a table of sections), for
    catalogues kept somewhere other than files, such as a store's published versions
    (`onestop.usecases.catalogue.publishing.published_catalogue`).

    Args:
        data: The parsed file.
        source: Names where *data* came from, as problems give their file.
        known_guards: Guard names workflows may use; ``None`` skips that check.

    Raises:
        InvalidCatalogue: Listing every problem found, with *source* as their file
            (*data* nested deeper than `MAX_DEPTH` is refused before it is read).
    """
    too_deep = check_depth(data, name=source)
    if too_deep:
        raise InvalidCatalogue(too_deep)
    collected = _Collected()
    _collect_data(data, source, collected, make_converter())
    catalogue, problems = _assemble(collected, source, known_guards)
    if problems or catalogue is None:
        raise InvalidCatalogue(problems)
    return catalogue


def _assemble(
    collected: _Collected,
    first: str,
    known_guards: Iterable[str] | None,
    checks: tuple[Callable[[Catalogue], list[Problem]], ...] = (),
) -> tuple[Catalogue | None, list[Problem]]:
    """Build the catalogue from what was collected, and check it as a whole."""
    if collected.header is None:
        if not collected.problems:
            collected.problems.append(
                Problem(
                    path=_HEADER,
                    message="no [catalogue] table with the mall's name and languages was found",
                    file=first,
                )
            )
        return None, collected.problems
    runs = max(repaired.runs for repaired in collected.items.values())
    catalogues = [
        Catalogue(
            name=collected.header.name,
            languages=collected.header.languages,
            retention=collected.header.retention,
            **{key: repaired.variant(run) for key, repaired in collected.items.items()},
        )
        for run in range(runs)
    ]
    # With stand-ins for broken required values, a problem counts only if every run
    # finds it: one that depends on a stand-in is a follow-on (see _repair).
    removed = Removed(collected.removed)
    guards = None if known_guards is None else check_strings(known_guards, field="known_guards")
    checked = agreed(
        [
            p
            for p in (_relocate(q, collected) for q in _semantic_problems(c, guards, checks))
            if not removed.related(p)
        ]
        for c in catalogues
    )
    return catalogues[0], collected.problems + checked


def _semantic_problems(
    catalogue: Catalogue,
    guards: Iterable[str] | None,
    checks: tuple[Callable[[Catalogue], list[Problem]], ...],
) -> list[Problem]:
    """The whole-catalogue checks (built-in texts included), the stdnum modules named,
    and the adapters' *checks*."""
    found = check_catalogue(catalogue, known_guards=guards, shipped=shipped_texts())
    found += stdnum_problems(catalogue)
    for check in checks:
        found += check(catalogue)
    return found


def _files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    count = 0
    for raw in paths:
        path = _path(raw)
        try:
            found = _catalogue_files(path, raw)
        except CatalogueReadError:
            raise
        except (OSError, ValueError) as exc:  # a name too long, a NUL, a lone surrogate
            raise CatalogueReadError(path=_shown(raw), reason=_unreadable(exc)) from None
        for file in found:
            count += 1
            if count > MAX_FILES:
                raise CatalogueReadError(
                    path=_shown(raw), reason=f"more than {MAX_FILES} catalogue files"
                )
            yield file


def _path(raw: object) -> Path:
    """The `Path` a catalogue path names, or `CatalogueReadError` for what names none."""
    given = _fspath(raw)
    if not isinstance(given, str):
        reason = f"expected a path as text or os.PathLike, not {kind_of(given)}"
        raise CatalogueReadError(path=_shown(raw), reason=reason)
    if not given:
        raise CatalogueReadError(path="", reason="the path is empty")
    return Path(given)


def _fspath(raw: object) -> object:
    """What *raw* names as a path: its text, or *raw* itself if it is no path-like."""
    if not isinstance(raw, os.PathLike):
        return raw
    try:
        return os.fspath(raw)
    except TypeError:  # its __fspath__ returned neither text nor bytes
        return raw


def _catalogue_files(path: Path, raw: object) -> list[Path]:
    """The catalogue files *path* names: itself, or those under it (hidden ones aside)."""
    if not path.exists():
        raise CatalogueReadError(path=_shown(raw), reason="no such file or directory")
    if path.is_dir():
        found = sorted(
            p
            for p in path.rglob("*")
            if p.suffix in _SUFFIXES
            and not p.is_dir()
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        for file in found:  # skipped, a broken link would drop its services unseen
            if not file.is_file():
                reason = "not a regular file (a broken link, a pipe or a device)"
                raise CatalogueReadError(path=_shown(str(file)), reason=reason)
        return found
    if path.is_file():
        return [path]
    raise CatalogueReadError(path=_shown(raw), reason="not a regular file or a directory")


def _shown(raw: object) -> str:
    """A path as a message names it: as given if printable, else escaped; or its type."""
    given = _fspath(raw)
    if not isinstance(given, str):
        return kind_of(given)
    return given if given.isprintable() else repr(given)


def _unreadable(error: Exception) -> str:
    if isinstance(error, OSError):
        return error.strerror or type(error).__name__
    return "is not a path the file system can open (it holds a NUL or a lone surrogate)"


def _read(file: Path, budget: list[int]) -> tuple[Any, list[Problem]]:
    """Read and parse *file*, counting its size against the catalogue's *budget* of bytes."""
    name = str(file)
    try:
        with file.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise CatalogueReadError(path=name, reason=exc.strerror or type(exc).__name__) from exc
    budget[0] -= min(len(data), MAX_FILE_BYTES)
    if budget[0] < 0:
        raise CatalogueReadError(
            path=name, reason=f"the catalogue's files hold more than {MAX_TOTAL_BYTES} bytes"
        )
    syntax = {".json": "json", ".toml": "toml"}.get(file.suffix)
    return parse_document(data, name=name, syntax=syntax)  # type: ignore[arg-type]


def _collect_file(file: Path, collected: _Collected, converter: Any, budget: list[int]) -> None:
    raw, problems = _read(file, budget)
    collected.problems += problems
    if raw is not None:
        _collect_data(raw, str(file), collected, converter)


def _collect_data(raw: Any, name: str, collected: _Collected, converter: Any) -> None:
    if not isinstance(raw, dict):
        collected.problems.append(
            Problem(path="", message="the top level must be a table of sections", file=name)
        )
        return
    for key, value in raw.items():
        if key == _HEADER:
            _collect_header(value, name, collected, converter)
        elif key in SECTIONS:
            _collect_section(key, value, name, collected, converter)
        else:
            known = ", ".join([_HEADER, *SECTIONS])
            collected.problems.append(
                Problem(
                    path=key, message=f"unknown section {preview(key)}; known: {known}", file=name
                )
            )


def _collect_header(value: Any, file: str, collected: _Collected, converter: Any) -> None:
    if collected.header is not None:
        collected.problems.append(
            Problem(
                path=_HEADER,
                message=f"a second [catalogue] table; the first is in {collected.header_file}",
                file=file,
            )
        )
        return
    try:
        collected.header = converter.structure(value, _Header)
        collected.header_file = file
    except Exception as exc:  # noqa: BLE001 - every error becomes a problem
        found = problems_from(exc, file=file, path=_HEADER)
        collected.problems += found
        # A broken header does not stop the rest of the catalogue being checked: it is
        # read again without the offending values (a broken name or list of languages
        # has a single stand-in; with no languages known, no translation is missing).
        header = structure_without(value, _Header, found, _HEADER, converter)
        if header is not None:
            collected.header, collected.header_file = header[0], file
            collected.removed += [(file, p.path) for p in found]


def _collect_section(
    key: str, value: Any, file: str, collected: _Collected, converter: Any
) -> None:
    if not isinstance(value, list):
        collected.problems.append(
            Problem(path=key, message=f"{key} must be an array of tables", file=file)
        )
        return
    kind = SECTIONS[key]
    for index, item in enumerate(value):
        path = f"{key}[{index}]"
        try:
            structured = converter.structure(item, kind)
        except Exception as exc:  # noqa: BLE001 - every error becomes a problem
            found = problems_from(exc, file=file, path=path)
            collected.problems += found
            repaired = structure_without(item, kind, found, path, converter)
            if repaired is None:
                continue
            collected.removed += [(file, p.path) for p in found]
            collected.items[key].items.append(repaired)
        else:
            collected.items[key].items.append((structured,))
        collected.origins[key].append((file, index))


def _relocate(problem: Problem, collected: _Collected) -> Problem:
    """Map a path into the merged catalogue back to the file and index it came from."""
    if problem.path == "messages":  # about the section as a whole
        return Problem(path=problem.path, message=problem.message, file=collected.header_file)
    head, _, rest = problem.path.partition("[")
    if head in SECTIONS and rest:
        index_text, _, tail = rest.partition("]")
        if index_text.isdigit() and int(index_text) < len(collected.origins[head]):
            file, local = collected.origins[head][int(index_text)]
            return Problem(path=f"{head}[{local}]{tail}", message=problem.message, file=file)
    return problem.located(collected.header_file, _HEADER)


def catalogue_to_dict(catalogue: Catalogue) -> dict[str, Any]:
    """Return *catalogue* as plain data in the file format (JSON-ready).

    Raises:
        InvalidValue: If *catalogue* is not a `Catalogue`, or an item of it holds a
            value of the wrong kind (only one built in code and never checked can:
            the error names the item, `check_catalogue` the field).
    """
    check_type(catalogue, Catalogue, field="catalogue")
    converter = make_converter()
    header = _Header(
        name=catalogue.name, languages=catalogue.languages, retention=catalogue.retention
    )
    data: dict[str, Any] = {_HEADER: _plain(converter, header, _HEADER)}
    for key in SECTIONS:
        items = getattr(catalogue, key)
        if items:
            data[key] = [_plain(converter, item, f"{key}[{i}]") for i, item in enumerate(items)]
    return data


def _plain(converter: Any, item: object, path: str) -> Any:
    try:
        return converter.unstructure(item)
    except (AttributeError, LookupError, TypeError, ValueError) as error:  # of the wrong kind
        reason = f"cannot be written as data ({type(error).__name__}); check_catalogue says why"
        raise InvalidValue(field=path, reason=reason) from error


def dump_catalogue(catalogue: Catalogue, /) -> str:
    """Return *catalogue* as one JSON document that `load_catalogue` reads back equal.

    Raises:
        InvalidValue: If *catalogue* is not a `Catalogue`, or holds what JSON cannot
            write (a value of the wrong kind or a whole number of thousands of digits,
            which only a catalogue built in code and never checked can hold:
            `check_catalogue` says where and why).
    """
    data = catalogue_to_dict(catalogue)
    try:
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    except (TypeError, ValueError) as error:  # bytes; an integer past Python's digit limit
        reason = f"cannot be written as JSON ({type(error).__name__}); check_catalogue says why"
        raise InvalidValue(field="catalogue", reason=reason) from error
