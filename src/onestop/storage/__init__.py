"""Storage adapters behind `onestop.ports.events.EventStore`, chosen by URL at the edge.

>>> store = from_url("memory://")
>>> type(store).__name__
'MemoryStore'
>>> from_url("mongodb://db.example/mall")
Traceback (most recent call last):
...
onestop.exceptions.ConfigurationError: unknown store URL scheme 'mongodb';
    known: memory, postgres, postgresql, sqlite

The stores are importable from here: `MemoryStore`, `SQLiteStore` and `PostgresStore`
(the last on first use only, and with the ``postgres`` extra), so that
``import onestop.storage`` never imports psycopg.

The facade (`onestop.usecases.mall.Mall`) is handed a store; it never imports an adapter.
Other packages add schemes through the ``onestop.storage`` entry-point group: each
entry point's name is a scheme and its object is called with the URL and returns the
store (see :doc:`/how-to/write-a-storage-adapter`).  The built-in schemes win.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from onestop.domain.common.formats import kind_of
from onestop.exceptions import ConfigurationError
from onestop.ports.events import EventStore
from onestop.storage._sqlite_open import parse_url
from onestop.storage.documents import FileDocuments, MemoryDocuments
from onestop.storage.memory import MemoryStore
from onestop.storage.sqlite import SQLiteStore

if TYPE_CHECKING:
    from onestop.storage.postgres import PostgresStore

__all__ = [
    "ENTRY_POINT_GROUP",
    "FileDocuments",
    "MAX_URL",
    "MemoryDocuments",
    "MemoryStore",
    "PostgresStore",
    "SCHEMES",
    "SQLiteStore",
    "from_url",
]

ENTRY_POINT_GROUP = "onestop.storage"
"""The entry-point group through which other packages add URL schemes."""

MAX_URL = 8192
"""The longest store URL `from_url` accepts, in characters."""

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,31}")  # RFC 3986, at most 32 characters


def _memory(url: str) -> EventStore:
    rest = url.partition("://")[2]
    if rest not in ("", "/"):
        raise ConfigurationError("a memory:// store takes no host, path or options")
    return MemoryStore()


def _sqlite(url: str) -> EventStore:
    return SQLiteStore.from_url(url)


def _postgres(url: str) -> EventStore:
    # Imported here so that `import onestop` never imports psycopg (the postgres extra).
    from onestop.storage.postgres import open_url  # noqa: PLC0415

    return open_url(url)


SCHEMES: Mapping[str, Callable[[str], EventStore]] = MappingProxyType(
    {"memory": _memory, "postgres": _postgres, "postgresql": _postgres, "sqlite": _sqlite}
)
"""Each built-in URL scheme and the function that opens a store for it."""


def _plugins() -> dict[str, EntryPoint]:
    return {point.name.lower(): point for point in entry_points(group=ENTRY_POINT_GROUP)}


def _load(scheme: str, point: EntryPoint) -> Callable[[str], EventStore]:
    try:
        opener = point.load()
    except Exception as exc:  # a broken plugin must not look like a bad URL
        raise ConfigurationError(
            f"the storage plugin for scheme {scheme!r} ({point.value}) could not be loaded"
        ) from exc
    if not callable(opener):
        raise ConfigurationError(f"the storage plugin for scheme {scheme!r} is not callable")
    return opener  # type: ignore[no-any-return]


def from_url(url: str, /) -> EventStore:
    """Open the store *url* names: ``memory://``, SQLite, PostgreSQL or a plugin's scheme.

    ``sqlite:///relative/file.sqlite3``, ``sqlite:////absolute/file.sqlite3`` and
    ``sqlite://:memory:`` open a `SQLiteStore` (see `SQLiteStore.from_url` for its
    options); a scheme registered in the ``onestop.storage`` entry-point group is
    opened by its plugin.  A ``postgresql://`` (or ``postgres://``) URL is a libpq URL
    whose ``schema`` parameter picks the schema; it opens a
    `onestop.storage.postgres.PostgresStore` and needs the ``postgres`` extra.

    A URL is text of at most `MAX_URL` characters without control characters (a NUL
    would cut it short in a C library); a file name in it may hold what a file name on
    this system holds.

    Raises:
        ConfigurationError: If the URL is not such text, its scheme is unknown (the
            message lists the known ones and never repeats the URL, which may hold a
            password), or it is not valid for its scheme (a bad option, a port out
            of range, a path with a NUL, ...).
    """
    return opener_of(url)(url)


def opener_of(url: str, /) -> Callable[[str], EventStore]:
    """The function `from_url` opens *url* with, the URL checked as far as that can be done
    without opening it: its text and scheme, and a ``sqlite:`` URL's path and options.

    ``onestop serve`` checks its ``--store`` so before it makes any file beside the store.

    Raises:
        ConfigurationError: As `from_url` does for these.
    """
    if not isinstance(url, str):
        raise ConfigurationError(f"a store URL must be text, not {kind_of(url)}")
    if len(url) > MAX_URL:
        raise ConfigurationError(f"a store URL must be at most {MAX_URL} characters long")
    if any(unicodedata.category(char) == "Cc" for char in url):
        raise ConfigurationError("a store URL must not hold control characters (NUL, ...)")
    scheme, separator, _ = url.partition("://")
    opener = SCHEMES.get(scheme.lower()) if separator else None
    if opener is None:
        plugins = _plugins()
        point = plugins.get(scheme.lower()) if separator else None
        if point is None:
            if not separator and url[:7].lower() == "sqlite:":
                raise ConfigurationError(
                    "a sqlite URL starts with sqlite:/// then a relative path, or with "
                    "sqlite://// then an absolute one"
                )
            shown = scheme if separator and _SCHEME.fullmatch(scheme) else "(none)"
            known = ", ".join(sorted(set(SCHEMES) | set(plugins)))
            raise ConfigurationError(f"unknown store URL scheme {shown!r}; known: {known}")
        opener = _load(scheme.lower(), point)
    if opener is _sqlite:
        parse_url(url)
    return opener


if not TYPE_CHECKING:  # mypy and IDEs see the import above; Python imports on first use

    def __getattr__(name: str) -> Any:
        """Import `PostgresStore` (and psycopg) the first time it is asked for."""
        if name != "PostgresStore":
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from onestop.storage.postgres import PostgresStore  # noqa: PLC0415

        globals()[name] = PostgresStore
        return PostgresStore


def __dir__() -> list[str]:
    """List the names offered here, imported or not, with the module's own."""
    return sorted(set(globals()) | set(__all__))
