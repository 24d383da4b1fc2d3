"""onestop: typed building blocks for one-stop public service centres.

The names here are the ones most programs need; everything else is importable from
its module (`onestop.domain.catalogue`, `onestop.usecases.mall`, ...), and adapters from their
own modules, so that ``import onestop`` stays cheap and pulls in no driver.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from onestop import _moved, exceptions
from onestop.calendars import calendar_for
from onestop.domain.catalogue.model import Agency, Catalogue, ChannelKind, Service
from onestop.domain.catalogue.rules import Rule, parse_rule
from onestop.domain.common.actors import Actor, Grant
from onestop.domain.common.parties import Organisation, Person, Personal
from onestop.domain.common.text import LocalizedText
from onestop.domain.common.values import Duration, Money
from onestop.domain.time.calendar import WorkCalendar
from onestop.domain.workflow.model import State, Transition, Workflow
from onestop.storage import from_url
from onestop.usecases.catalogue.loading import dump_catalogue, load_catalogue
from onestop.usecases.mall import Mall

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
    "Grant",
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

_moved.install()


def _version() -> str:
    try:
        return version("onestop-mall")
    except PackageNotFoundError:  # pragma: no cover - only in a bare source checkout
        return "0+unknown"


__version__: str = _version()
"""The installed distribution's version (``onestop-mall``)."""
