"""Errors of catalogues: reading, validating, rules, and lookups of agencies and services."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from onestop.exceptions._base import (
    NotFound,
    OnestopError,
    Problem,
    _path_named,
    _shown,
)


class CatalogueError(OnestopError):
    """A catalogue could not be read or is not valid."""


class CatalogueReadError(CatalogueError, OSError):
    """A catalogue path is missing or cannot be read.

    Attributes:
        path: The path as given.
        reason: Why it could not be read.
    """

    def __init__(self, *, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{_path_named(path)}: {reason}" if path else reason)


class InvalidCatalogue(CatalogueError, ValueError):
    """A catalogue has problems; `problems` lists every one found, not just the first.

    Attributes:
        problems: Each problem with its file and path.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        head = "; ".join(str(p) for p in self.problems[:3])
        more = f" (and {count - 3} more)" if count > 3 else ""
        super().__init__(f"catalogue has {count} problem(s): {head}{more}")


class RuleSyntaxError(CatalogueError, ValueError):
    """A rule expression does not parse, or passes a safety limit.

    Attributes:
        expression: The rule as written.
        position: The character offset where the problem was found.
        reason: What is wrong there.
    """

    def __init__(self, *, expression: str, position: int, reason: str) -> None:
        self.expression = expression
        self.position = position
        self.reason = reason
        shown = expression if len(expression) <= 80 else expression[:77] + "..."
        super().__init__(f"{reason} at position {position} in rule {shown!r}")


class AgencyNotFound(NotFound):
    """No agency has this code.

    Attributes:
        code: The code asked for.
    """

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"no agency with code {_shown(code)}")


class CatalogueVersionNotFound(NotFound):
    """The store has no such published catalogue version (or, for the latest, none at all).

    Attributes:
        version: The version asked for; ``None`` when the latest was asked for.
    """

    def __init__(self, version: int | None) -> None:
        self.version = version
        what = (
            "no catalogue has been published"
            if version is None
            else f"no catalogue version {version}"
        )
        super().__init__(what)


class ServiceNotFound(NotFound):
    """No service has this code, or none of its versions applies at the time asked.

    Attributes:
        code: The code asked for.
        at: The time asked for, if any.
        known: Some known codes, to help the caller.
    """

    def __init__(self, code: str, *, at: datetime | None = None, known: Sequence[str] = ()) -> None:
        self.code = code
        self.at = at
        self.known = tuple(known)
        when = f" in effect at {at.isoformat()}" if at is not None else ""
        hint = f"; known: {', '.join(self.known[:10])}" if self.known else ""
        super().__init__(f"no published service {_shown(code)}{when}{hint}")
