"""Tools for testing onestop and code built on it: Hypothesis strategies and contracts.

Shipped inside the package so that integrators and adapter authors can use them in
their own test suites.  The modules here need the test tools (Hypothesis, pytest).

- `onestop.testing.strategies`: Hypothesis strategies for onestop's value objects;
- `onestop.testing.contracts`: `EventStoreContract`, the storage contract as a pytest
  class to subclass;
- `onestop.testing.catalogue_contracts`: `CatalogueStoreContract`, the catalogue
  versions' part of it, which `EventStoreContract` inherits, as it inherits
  `onestop.testing.input_contracts.StoreInputContract` (what every store refuses) and
  `onestop.testing.integrity_contracts.StoreIntegrityContract` (order, hashes, large
  bodies, racing writers);
- `onestop.testing.key_contracts`: `SubjectKeyStoreContract`, the contract of
  `onestop.ports.keys.SubjectKeyStore` (subjects' data keys and the blind index);
- `onestop.testing.staff_contracts`: `StaffStoreContract`, the contract of
  `onestop.ports.staff.StaffStore` (staff secrets, sign-in failures, the access record);
- `onestop.testing.history_contracts`: `HistoryStoreContract`, the contract of
  `onestop.ports.history.HistoryStore` (rewriting one stream's history);
- `onestop.testing.transport_contracts`: `TransportContract`, the contract of
  `onestop.transport.base.Transport`, run over a `TransportHarness` (the transport and a
  destination the test reads and breaks);
- `onestop.testing.oidc`: `LocalProvider`, an OpenID Connect provider to test staff
  sign-in against, which can be told to misbehave (needs the ``oidc`` extra);
- `onestop.testing.comparison`: a Hypothesis state machine comparing a store with
  `onestop.storage.memory.MemoryStore`, call by call.

The contract classes, the comparison machine and the record builders are importable
from here (``from onestop.testing import EventStoreContract``), and the strategies as
a module (``from onestop.testing import strategies``); each is imported on first use.

Under pytest, the contract modules' ``assert`` statements are rewritten, so that a
failing check shows the values compared.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

if "pytest" in sys.modules:  # only when running under pytest; never import it otherwise
    sys.modules["pytest"].register_assert_rewrite(
        "onestop.testing.contracts",
        "onestop.testing.catalogue_contracts",
        "onestop.testing.comparison",
        "onestop.testing.key_contracts",
        "onestop.testing.history_contracts",
        "onestop.testing.document_contracts",
        "onestop.testing.staff_contracts",
        "onestop.testing.integrity_contracts",
        "onestop.testing.input_contracts",
        "onestop.testing.batch_contracts",
        "onestop.testing.transport_contracts",
    )

if TYPE_CHECKING:
    from onestop.testing.comparison import EventStoreComparison, make_comparison_machine
    from onestop.testing.contracts import (
        BatchStoreContract,
        CatalogueStoreContract,
        EventStoreContract,
        StoreInputContract,
        StoreIntegrityContract,
    )
    from onestop.testing.courier import ClaimRace, claim_race
    from onestop.testing.document_contracts import DocumentStoreContract
    from onestop.testing.documents import EicarScanner, sample_jpeg, sample_pdf, sample_png
    from onestop.testing.history_contracts import HistoryStoreContract
    from onestop.testing.key_contracts import SubjectKeyStoreContract
    from onestop.testing.oidc import LocalProvider
    from onestop.testing.records import (
        T0,
        make_append,
        make_batch,
        make_commit,
        make_event,
        make_key,
        make_summary,
        page_all,
        summary_ids,
    )
    from onestop.testing.staff_contracts import StaffStoreContract
    from onestop.testing.transport_contracts import TransportContract, TransportHarness

__all__ = [
    "BatchStoreContract",
    "CatalogueStoreContract",
    "claim_race",
    "ClaimRace",
    "DocumentStoreContract",
    "EicarScanner",
    "EventStoreComparison",
    "EventStoreContract",
    "HistoryStoreContract",
    "LocalProvider",
    "make_append",
    "make_batch",
    "make_commit",
    "make_comparison_machine",
    "make_event",
    "make_key",
    "make_summary",
    "page_all",
    "sample_jpeg",
    "sample_pdf",
    "sample_png",
    "StaffStoreContract",
    "StoreInputContract",
    "StoreIntegrityContract",
    "SubjectKeyStoreContract",
    "summary_ids",
    "T0",
    "TransportContract",
    "TransportHarness",
]

_EXPORTS: dict[str, str] = {
    "BatchStoreContract": "onestop.testing.contracts",
    "CatalogueStoreContract": "onestop.testing.contracts",
    "EventStoreContract": "onestop.testing.contracts",
    "StoreInputContract": "onestop.testing.contracts",
    "StoreIntegrityContract": "onestop.testing.contracts",
    "EventStoreComparison": "onestop.testing.comparison",
    "make_comparison_machine": "onestop.testing.comparison",
    "T0": "onestop.testing.records",
    "make_append": "onestop.testing.records",
    "make_batch": "onestop.testing.records",
    "make_commit": "onestop.testing.records",
    "make_event": "onestop.testing.records",
    "make_key": "onestop.testing.records",
    "make_summary": "onestop.testing.records",
    "page_all": "onestop.testing.records",
    "summary_ids": "onestop.testing.records",
    "ClaimRace": "onestop.testing.courier",
    "claim_race": "onestop.testing.courier",
    "SubjectKeyStoreContract": "onestop.testing.key_contracts",
    "HistoryStoreContract": "onestop.testing.history_contracts",
    "StaffStoreContract": "onestop.testing.staff_contracts",
    "DocumentStoreContract": "onestop.testing.document_contracts",
    "EicarScanner": "onestop.testing.documents",
    "LocalProvider": "onestop.testing.oidc",
    "sample_jpeg": "onestop.testing.documents",
    "sample_pdf": "onestop.testing.documents",
    "sample_png": "onestop.testing.documents",
    "TransportContract": "onestop.testing.transport_contracts",
    "TransportHarness": "onestop.testing.transport_contracts",
}
"""Each name offered here, and the module it is imported from on first use."""


if not TYPE_CHECKING:  # mypy and IDEs see the imports above; Python imports on first use

    def __getattr__(name: str) -> Any:
        """Import *name* from its module the first time it is asked for, and keep it."""
        if name not in _EXPORTS:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    """List the names offered here, imported or not, with the module's own."""
    return sorted(set(globals()) | set(__all__))
