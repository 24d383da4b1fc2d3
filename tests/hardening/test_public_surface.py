"""Every public callable, driven with hostile values, returns or raises an `OnestopError`.

The entry points are found by rule (`surface_discovery`): every ``__all__`` of the
package, each function, constructor, named constructor and public method.  This file
checks that every one is driven, and drives those outside ``onestop.domain`` that do not
touch a world's store; ``test_domain_surface.py`` drives the pure domain's,
``test_store_differential.py`` the store-touching ones on each storage adapter, and
``test_cli_hostile.py`` the command line.
"""

from __future__ import annotations

import pytest
from surface_discovery import (
    ENTRY_POINTS,
    EXCLUDED,
    KIND_METHOD,
    EntryPoint,
    exclusion,
    public_modules,
)
from surface_harness import Session
from surface_oracle import Counter, budget, drive_pure, pure_entries, world_entries
from surface_values import Undrivable

MINIMUM_EXAMPLES = 20_000
"""The issue's floor: hostile examples in one run of the whole harness."""


def _plannable(surface: Session) -> tuple[list[str], dict[str, str]]:
    problems: dict[str, str] = {}
    for entry in ENTRY_POINTS:
        try:
            surface.planner.plan(entry)
        except Undrivable as exc:
            problems[entry.name] = str(exc)
    return [e.name for e in ENTRY_POINTS if e.name not in problems], problems


def test_every_public_callable_is_driven(surface: Session) -> None:
    """The harness can build arguments for every entry point; a new one it cannot is named."""
    _, problems = _plannable(surface)
    assert problems == {}, "\n".join(f"{name}: {why}" for name, why in sorted(problems.items()))


def test_every_exported_name_is_an_entry_point_or_excluded_by_a_rule() -> None:
    """Each name in an ``__all__`` is driven, or a rule (not a list of names) excludes it."""
    driven = {(e.owner or e.target) for e in ENTRY_POINTS if e.kind != KIND_METHOD}
    for module in public_modules():
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            rule = exclusion(value)
            assert rule is not None or value in driven, f"{module.__name__}.{name} is not driven"
            if rule is not None:
                assert EXCLUDED[f"{module.__name__}.{name}"] == rule


def test_the_budget_is_at_least_twenty_thousand_examples() -> None:
    """The examples planned for the harness's tests reach the issue's floor of 20,000."""
    pure = [p.values[0] for p in pure_entries(domain=True) + pure_entries(domain=False)]
    world = [p.values[0] for p in world_entries()]
    planned = sum(budget(e.name, world=False) for e in pure) + sum(
        budget(e.name, world=True) for e in world
    )
    assert planned >= MINIMUM_EXAMPLES


@pytest.mark.parametrize("entry", pure_entries(domain=False))
def test_entry_point_returns_or_raises_an_onestop_error(
    entry: EntryPoint, surface: Session, counter: Counter
) -> None:
    """Driven with real and hostile arguments, the entry point returns or raises OnestopError."""
    drive_pure(entry, surface, counter)
