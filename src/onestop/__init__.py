"""onestop: typed building blocks for one-stop public service centres.

The names here are the ones most programs need; everything else is importable from
its module (`onestop.domain.catalogue`, `onestop.loading`, ...), and adapters from their
own modules, so that ``import onestop`` stays cheap and pulls in no driver.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from onestop import exceptions
from onestop.calendars import calendar_for
from onestop.domain.calendar import WorkCalendar
from onestop.domain.catalogue import Agency, Catalogue, ChannelKind, Service
from onestop.domain.engine import Actor
from onestop.domain.parties import Organisation, Person, Personal
from onestop.domain.rules import Rule, parse_rule
from onestop.domain.text import LocalizedText
from onestop.domain.values import Duration, Money
from onestop.domain.workflow import State, Transition, Workflow
from onestop.loading import dump_catalogue, load_catalogue
from onestop.mall import Mall
from onestop.storage import from_url

__all__ = [
    "__version__",
    "Actor",
    "Agency",
    "calendar_for",
    "Catalogue",
    "ChannelKind",
    "dump_catalogue",
    "Duration",
    "exceptions",
    "from_url",
    "load_catalogue",
    "LocalizedText",
    "Mall",
    "Money",
    "Organisation",
    "parse_rule",
    "Person",
    "Personal",
    "Rule",
    "Service",
    "State",
    "Transition",
    "WorkCalendar",
    "Workflow",
]


def _version() -> str:
    try:
        return version("onestop-mall")
    except PackageNotFoundError:  # pragma: no cover - only in a bare source checkout
        return "0+unknown"


__version__: str = _version()
"""The installed distribution's version (``onestop-mall``)."""
