"""The import paths of onestop 0.1.0 that moved in 0.2.0, kept for one release.

``import onestop.mall`` (and every other path below) still works and gives a module whose
attributes are those of the new module, but warns with a `DeprecationWarning` naming the
new path.  The shims are removed in 0.3.0.  One finder on `sys.meta_path` serves them
all; it only answers for the names in `MOVED`, after the normal finders found nothing.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import warnings
from types import ModuleType
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from importlib.abc import Loader

__all__ = ["MOVED", "install"]

MOVED: dict[str, str] = {
    "onestop.catalogue_store": "onestop.ports.catalogue",
    "onestop.codec": "onestop.usecases.applications.codec",
    "onestop.courier_custody": "onestop.usecases.courier.custody",
    "onestop.courier_desk": "onestop.usecases.courier.desk",
    "onestop.courier_recording": "onestop.usecases.courier.writer",
    "onestop.courier_reports": "onestop.usecases.courier.queries",
    "onestop.demo": "onestop.cli.demo",
    "onestop.folding": "onestop.usecases.applications.cache",
    "onestop.loading": "onestop.usecases.catalogue.loading",
    "onestop.mall": "onestop.usecases.mall",
    "onestop.publishing": "onestop.usecases.catalogue.publishing",
    "onestop.recording": "onestop.usecases.applications.writer",
    "onestop.reports": "onestop.usecases.applications.queries",
    "onestop.domain.application": "onestop.domain.applications.application",
    "onestop.domain.audit": "onestop.domain.common.audit",
    "onestop.domain.automatic": "onestop.domain.applications.automatic",
    "onestop.domain.calendar": "onestop.domain.time.calendar",
    "onestop.domain.canonical": "onestop.domain.common.canonical",
    "onestop.domain.checks": "onestop.domain.catalogue.checks",
    "onestop.domain.commands": "onestop.domain.applications.commands",
    "onestop.domain.courier_flow": "onestop.domain.courier.flow",
    "onestop.domain.custody": "onestop.domain.courier.custody",
    "onestop.domain.engine": "onestop.domain.workflow.engine",
    "onestop.domain.forms": "onestop.domain.applications.forms",
    "onestop.domain.guards": "onestop.domain.workflow.guards",
    "onestop.domain.handoffs": "onestop.domain.courier.handoffs",
    "onestop.domain.otp": "onestop.domain.courier.otp",
    "onestop.domain.parties": "onestop.domain.common.parties",
    "onestop.domain.render": "onestop.domain.workflow.render",
    "onestop.domain.rules": "onestop.domain.catalogue.rules",
    "onestop.domain.sla": "onestop.domain.time.sla",
    "onestop.domain.steps": "onestop.domain.workflow.steps",
    "onestop.domain.submission": "onestop.domain.applications.submission",
    "onestop.domain.text": "onestop.domain.common.text",
    "onestop.domain.tracking": "onestop.domain.applications.tracking",
    "onestop.domain.values": "onestop.domain.common.values",
    "onestop.domain.versions": "onestop.domain.workflow.versions",
    "onestop.transport.callbacks": "onestop.transport.inbound.callbacks",
    "onestop.transport.idempotent": "onestop.transport.inbound.idempotent",
}
"""Each 0.1.0 module path that moved, and where its contents live now.

(``onestop.domain.catalogue``, ``onestop.domain.workflow``, ``onestop.domain.courier``
and ``onestop.ports`` are packages now and re-export what the modules held: they need no
shim.)
"""


class _Shim(ModuleType):
    """A moved module's old name: every attribute is looked up on the new module."""

    def __getattr__(self, name: str) -> object:
        target = sys.modules.get(self.__dict__["_moved_to"]) or importlib.import_module(
            self.__dict__["_moved_to"]
        )
        return getattr(target, name)

    def __dir__(self) -> list[str]:
        return sorted(set(dir(importlib.import_module(self.__dict__["_moved_to"]))))


class _Loader:
    """Create a `_Shim` for an old path, and warn once, when it is first imported.

    A loader by its methods, not a subclass of `importlib.abc.Loader`: importing
    `importlib.abc` imports `importlib.resources`, which would double the time
    ``import onestop`` takes.
    """

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        """Make the shim module (it holds nothing of its own)."""
        module = _Shim(spec.name)
        module.__dict__["_moved_to"] = MOVED[spec.name]
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Warn that the path moved; the import of the new module is left for first use."""
        new = module.__dict__["_moved_to"]
        warnings.warn(
            f"{module.__name__} moved to {new} in onestop 0.2.0; the old path goes in 0.3.0",
            DeprecationWarning,
            stacklevel=2,
        )
        importlib.import_module(new)


class _Finder:
    """Answer only for the 0.1.0 paths in `MOVED` (a meta path finder by its methods)."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        """A spec served by `_Loader` for an old path; ``None`` for every other name."""
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, cast("Loader", _Loader()))


def install() -> None:
    """Put the finder on `sys.meta_path` once (``import onestop`` calls this)."""
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.append(_Finder())
