"""The import contracts that `.ci/run` checks with import-linter are kept in the code, not waived.

`lint-imports` itself runs in `.ci/run` (import-linter is a lint tool, not a test dependency);
these tests read its configuration in pyproject.toml.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

PYPROJECT = Path(__file__).parent.parent / "pyproject.toml"


def _contracts() -> list[dict[str, Any]]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    assert config["root_package"] == "onestop"
    contracts: list[dict[str, Any]] = config["contracts"]
    return contracts


def test_no_contract_ignores_an_import() -> None:
    """No import contract lists ``ignore_imports``: a broken floor is fixed in the code."""
    contracts = _contracts()
    assert len(contracts) >= 5
    waived = [contract["name"] for contract in contracts if "ignore_imports" in contract]
    assert waived == []


def test_every_top_level_module_is_on_a_floor() -> None:
    """The floors contract is exhaustive: a new module directly under onestop must find a floor."""
    (floors,) = [c for c in _contracts() if c.get("containers") == ["onestop"]]
    assert floors["type"] == "layers"
    assert floors["exhaustive"] is True
    assert "exhaustive_ignores" not in floors
