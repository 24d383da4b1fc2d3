"""Tools for testing onestop and code built on it: Hypothesis strategies and contracts.

Shipped inside the package so that integrators and adapter authors can use them in
their own test suites.  The modules here need the test tools (Hypothesis, pytest).

- `onestop.testing.strategies`: Hypothesis strategies for onestop's value objects;
- `onestop.testing.contracts`: `EventStoreContract`, the storage contract as a pytest
  class to subclass;
- `onestop.testing.catalogue_contracts`: `CatalogueStoreContract`, the catalogue
  versions' part of it, which `EventStoreContract` inherits;
- `onestop.testing.comparison`: a Hypothesis state machine comparing a store with
  `onestop.storage.memory.MemoryStore`, call by call.

Under pytest, the contract modules' ``assert`` statements are rewritten, so that a
failing check shows the values compared.
"""

import sys

if "pytest" in sys.modules:  # only when running under pytest; never import it otherwise
    sys.modules["pytest"].register_assert_rewrite(
        "onestop.testing.contracts",
        "onestop.testing.catalogue_contracts",
        "onestop.testing.comparison",
    )
