"""Every public callable of the pure domain, driven with hostile values.

The entry points of ``onestop.domain`` (found by rule, see ``test_public_surface.py``)
take state, a command and a time and return values or raise: each, driven with real
and hostile arguments, returns or raises an `OnestopError`.
"""

from __future__ import annotations

import pytest
from surface_discovery import EntryPoint
from surface_harness import Session
from surface_oracle import Counter, drive_pure, pure_entries


@pytest.mark.parametrize("entry", pure_entries(domain=True))
def test_domain_entry_point_returns_or_raises_an_onestop_error(
    entry: EntryPoint, surface: Session, counter: Counter
) -> None:
    """Driven with real and hostile arguments, the entry point returns or raises OnestopError."""
    drive_pure(entry, surface, counter)
