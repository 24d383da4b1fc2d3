"""Fixtures of the public-surface harness: the seeded session and the example counter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from surface_harness import Session, make_session
from surface_oracle import Counter

EXAMPLES_PROPERTY = "surface_examples"
"""The user property each surface test reports its number of examples under."""


@pytest.fixture(scope="session")
def surface_scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch folder for the files calls read and write."""
    return tmp_path_factory.mktemp("surface")


@pytest.fixture(autouse=True)
def _in_scratch(surface_scratch: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each surface test runs in the scratch folder: whatever a hostile relative path
    makes lands there."""
    monkeypatch.chdir(surface_scratch)


@pytest.fixture(scope="session")
def surface(surface_scratch: Path) -> Session:
    """The seed, its pools and the planner, built once per test process."""
    return make_session(surface_scratch)


@pytest.fixture
def counter(request: pytest.FixtureRequest) -> Iterator[Counter]:
    """Counts a test's examples and reports them as a user property (summed at the end)."""
    counted = Counter()
    yield counted
    request.node.user_properties.append((EXAMPLES_PROPERTY, counted.examples))
