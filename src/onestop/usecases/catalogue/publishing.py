"""Publish a catalogue to a store as its next version: canonical bytes, digest, publication.

The bytes published are the catalogue in onestop's own file format
(`onestop.usecases.catalogue.loading.catalogue_to_dict`) as compact JSON with sorted keys, in
UTF-8: the
same catalogue always gives the same bytes, however its files were laid out or
formatted, so publishing unchanged files again writes nothing.  They are a catalogue
file themselves: saved as a ``.json`` file,
`onestop.usecases.catalogue.loading.load_catalogue` reads
them back equal.

>>> from onestop.storage.memory import MemoryStore
>>> store = MemoryStore()
>>> first = publish_catalogue(store, "examples/jakarta", label="opening day")
>>> first.version.version, first.created
(1, True)
>>> again = publish_catalogue(store, "examples/jakarta")
>>> again.version == first.version, again.created
(True, False)
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime

import attrs

from onestop.domain.catalogue.checks import check_catalogue
from onestop.domain.catalogue.contents import check_contents
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.workflow.guards import default_guards
from onestop.exceptions import CatalogueVersionNotFound, InvalidCatalogue, Problem
from onestop.ports.catalogue import CatalogueStore, CatalogueVersion, catalogue_digest
from onestop.ports.events import Clock
from onestop.usecases.catalogue.files import parse_document
from onestop.usecases.catalogue.loading import (
    catalogue_from_data,
    catalogue_to_dict,
    load_catalogue,
)

__all__ = ["Publication", "canonical_catalogue", "publish_catalogue", "published_catalogue"]


@attrs.frozen(kw_only=True)
class Publication:
    """What `publish_catalogue` did.

    Attributes:
        version: The catalogue version that holds the catalogue now.
        created: Whether a new version was published; ``False`` when the latest version
            held this catalogue already and nothing was written.
    """

    version: CatalogueVersion
    created: bool


def canonical_catalogue(catalogue: Catalogue, /) -> bytes:
    """Return *catalogue*'s canonical bytes: its file format as compact, key-sorted JSON.

    Equal catalogues give equal bytes; the bytes load back as an equal catalogue.

    Raises:
        onestop.exceptions.InvalidCatalogue: If a value of *catalogue* cannot be
            written (a catalogue built in Python holding a lone surrogate, an integer
            no store holds, a value of the wrong type): every such problem, with its
            path, as `onestop.domain.catalogue.contents.check_contents` finds them.
    """
    problems, _ = check_contents(catalogue)
    if problems:
        raise InvalidCatalogue(problems)
    data = catalogue_to_dict(catalogue)
    unwritable = list(_lone_surrogates(data, ""))  # in attributes checked only when loading
    if unwritable:
        raise InvalidCatalogue(unwritable)
    text = json.dumps(
        data,
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        allow_nan=False,
    )
    return text.encode("utf-8")


def _lone_surrogates(value: object, path: str) -> Iterable[Problem]:
    """A problem for each text in *value* (file-format data) that UTF-8 cannot hold."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            yield Problem(path=path, message="holds a lone surrogate, which UTF-8 cannot write")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _lone_surrogates(key, path)
            yield from _lone_surrogates(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _lone_surrogates(item, f"{path}[{index}]")


def publish_catalogue(
    store: CatalogueStore,
    source: Catalogue | str | os.PathLike[str],
    /,
    *,
    clock: Clock | None = None,
    label: str | None = None,
    expected_version: int | None = None,
) -> Publication:
    """Publish the catalogue *source* to *store* as its next version, unless it is the latest.

    Args:
        store: The store keeping the catalogue's versions.
        source: A loaded catalogue, or a catalogue file or directory, loaded as
            ``onestop catalogue validate`` loads it (workflows may name only the
            default guards; load a catalogue with other guards yourself).
        clock: Tells the publication's instant (the system's clock, in UTC, if ``None``).
        label: A short note kept with the version (``"fees from 1 October"``).
        expected_version: The version the publisher reviewed the change against;
            by default, the latest version when this function reads it.

    Raises:
        onestop.exceptions.ConcurrencyConflict: If the store's latest version is not
            the expected one (someone else published in between); reload and retry.
        onestop.exceptions.CatalogueReadError: If *source* is a path that cannot be read.
        onestop.exceptions.InvalidCatalogue: If *source* is not a valid catalogue (a
            catalogue given as an object is checked by
            `onestop.domain.catalogue.checks.check_catalogue`, its guards excepted).
        onestop.exceptions.InvalidValue: If *label* is not a valid label.
    """
    if isinstance(source, Catalogue):
        problems = check_catalogue(source)
        if problems:
            raise InvalidCatalogue(problems)
        catalogue = source
    else:
        catalogue = load_catalogue(source, known_guards=default_guards().names())
    content = canonical_catalogue(catalogue)
    before = store.latest_catalogue()
    if expected_version is None:
        expected_version = 0 if before is None else before.version
    published = store.publish_catalogue(
        content,
        digest=catalogue_digest(content),
        expected_version=expected_version,
        recorded_at=clock.now() if clock is not None else datetime.now(UTC),
        label=label,
    )
    return Publication(
        version=published, created=before is None or published.version != before.version
    )


def published_catalogue(
    store: CatalogueStore,
    version: int | None = None,
    /,
    *,
    known_guards: Iterable[str] | None = None,
) -> Catalogue:
    """Return the catalogue published to *store* as *version* (the latest when ``None``).

    A mall can then run on the catalogue its operators published, rather than on
    whatever files are beside it: ``Mall(catalogue=published_catalogue(store), ...)``.

    Args:
        store: The store keeping the catalogue's versions.
        version: The version to load; the latest by default.
        known_guards: Guard names the workflows may use (the default guards' names
            when ``None``), as `onestop.usecases.catalogue.loading.load_catalogue` takes them.

    Raises:
        onestop.exceptions.CatalogueVersionNotFound: If the store has no such version
            (or none at all).
        onestop.exceptions.InvalidCatalogue: If the stored content does not load as a
            valid catalogue (one published by a version of onestop whose format this
            one does not read); the problems name ``catalogue version N``.
        onestop.exceptions.StorageError: If the stored version is damaged.
    """
    found = store.latest_catalogue() if version is None else store.catalogue_version(version)
    if found is None:
        raise CatalogueVersionNotFound(version)
    source = f"catalogue version {found.version}"
    data, problems = parse_document(found.content, name=source, syntax="json")
    if data is None:
        raise InvalidCatalogue(
            Problem(
                path=p.path, message=f"the stored content is not JSON ({p.message})", file=source
            )
            for p in problems
        )
    if problems:
        raise InvalidCatalogue(problems)
    guards = default_guards().names() if known_guards is None else known_guards
    return catalogue_from_data(data, source=source, known_guards=guards)
