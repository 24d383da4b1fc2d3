"""The front doors: `onestop` and its subpackages offer their names lazily, and cheaply."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import onestop
import onestop.storage
import onestop.testing
import onestop.transport

FRONT_DOORS: tuple[ModuleType, ...] = (onestop, onestop.transport, onestop.testing)
"""The packages whose names are imported on first use, from a name -> module table."""

ROOT = Path(__file__).resolve().parents[1]

SPECIAL = {"__version__", "exceptions"}
"""Names `onestop` offers that are not in its table: the version and a module."""


def _table(package: ModuleType) -> dict[str, str]:
    table: dict[str, str] = vars(package)["_EXPORTS"]
    return table


def _type_checking_imports(package: ModuleType) -> dict[str, str]:
    """The ``if TYPE_CHECKING:`` imports of *package*'s ``__init__``: name -> module."""
    assert package.__file__ is not None
    tree = ast.parse(Path(package.__file__).read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom)
                for alias in statement.names:
                    found[alias.asname or alias.name] = f"{statement.module}"
    return found


def test_import_onestop_imports_no_driver_nor_click_nor_holidays() -> None:
    """``import onestop`` in a new interpreter imports no click, holidays, psycopg, httpx, nats."""
    command = (
        "import onestop, sys; print(sorted(m for m in ('click', 'holidays', 'psycopg', 'httpx',"
        " 'nats') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", command], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_subpackages_are_reached_from_a_bare_import() -> None:
    """After ``import onestop``, ``onestop.transport.Relay`` and the like need no other import."""
    command = (
        "import onestop, sys; onestop.transport.Relay; onestop.storage.from_url;"
        " onestop.ports.EventStore; print(sorted(m for m in ('click', 'holidays', 'psycopg',"
        " 'httpx', 'nats') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", command], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_subpackage_front_doors_import_no_driver() -> None:
    """Importing the storage, transport and testing front doors imports no driver nor Hypothesis."""
    command = (
        "import onestop.storage, onestop.transport, onestop.testing, sys;"
        " print(sorted(m for m in ('click', 'holidays', 'psycopg', 'httpx', 'nats', 'hypothesis')"
        " if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", command], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_python_m_onestop_runs_the_command() -> None:
    """``python -m onestop --help`` prints the command's usage and exits 0."""
    result = subprocess.run(
        [sys.executable, "-m", "onestop", "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: onestop")
    assert "demo" in result.stdout


def test_the_table_is_the_public_list() -> None:
    """`onestop.__all__` is its table's names, the version and the exceptions module."""
    assert set(onestop.__all__) == set(_table(onestop)) | SPECIAL


@pytest.mark.parametrize("package", FRONT_DOORS[1:], ids=lambda p: p.__name__)
def test_subpackage_tables_are_their_public_lists(package: ModuleType) -> None:
    """A subpackage front door's ``__all__`` is its table's names, sorted case-insensitively."""
    assert package.__all__ == sorted(_table(package), key=str.casefold)


@pytest.mark.parametrize("package", FRONT_DOORS, ids=lambda p: p.__name__)
def test_type_checkers_see_what_the_table_offers(package: ModuleType) -> None:
    """The ``TYPE_CHECKING`` imports name the same objects, from the same modules, as the table."""
    found = _type_checking_imports(package)
    found.pop("exceptions", None)
    assert found == _table(package)


@pytest.mark.parametrize(
    ("package", "name"),
    [(package, name) for package in FRONT_DOORS for name in _table(package)],
    ids=lambda value: value.__name__ if isinstance(value, ModuleType) else value,
)
def test_each_name_is_the_object_of_its_module(package: ModuleType, name: str) -> None:
    """Each name a front door offers is the very object its module defines under that name."""
    module = importlib.import_module(_table(package)[name])
    assert getattr(package, name) is getattr(module, name)


@pytest.mark.parametrize("package", FRONT_DOORS, ids=lambda p: p.__name__)
def test_dir_lists_every_name_before_it_is_imported(package: ModuleType) -> None:
    """``dir()`` of a front door lists every name it offers."""
    assert set(package.__all__) <= set(dir(package))


@pytest.mark.parametrize("package", [*FRONT_DOORS, onestop.storage], ids=lambda p: p.__name__)
def test_an_unknown_name_is_an_attribute_error(package: ModuleType) -> None:
    """Asking a front door for a name it does not offer raises `AttributeError`, naming it."""
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = package.no_such_name


def test_the_version_and_the_exceptions_module() -> None:
    """`onestop.__version__` is the distribution's version; `onestop.exceptions` the module."""
    from importlib.metadata import version

    assert onestop.__version__ == version("onestop-mall")
    assert onestop.exceptions is importlib.import_module("onestop.exceptions")


def test_storage_offers_the_postgres_store() -> None:
    """`onestop.storage.PostgresStore` is the PostgreSQL adapter's class."""
    from onestop.storage.postgres import PostgresStore

    assert onestop.storage.PostgresStore is PostgresStore


def test_testing_offers_the_strategies_module() -> None:
    """``from onestop.testing import strategies`` gives the Hypothesis strategies' module."""
    from onestop.testing import strategies

    assert strategies is importlib.import_module("onestop.testing.strategies")


_DIRECTIVE = re.compile(
    r"^\.\. (currentmodule|automodule|autoclass|autofunction|autodata):: (\S+)", re.M
)


def _reference_directives() -> list[tuple[str, str]]:
    """Each autodoc directive in docs/reference, as (kind, full name)."""
    found: list[tuple[str, str]] = []
    for page in sorted((ROOT / "docs" / "reference").rglob("*.md")):
        current = ""
        for kind, name in _DIRECTIVE.findall(page.read_text(encoding="utf-8")):
            if kind == "currentmodule":
                current = name
            elif kind == "automodule" or "." in name:
                found.append((kind, name))
            else:
                found.append((kind, f"{current}.{name}"))
    return found


def _public_modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(onestop.__path__, "onestop.")]
    return sorted(
        name
        for name in ["onestop", *names]
        if not any(part.startswith("_") for part in name.split(".")[1:])
        and not name.startswith("onestop.samples.")
    )


@pytest.mark.parametrize("package", [*FRONT_DOORS, onestop.storage, onestop.ports])
def test_the_reference_documents_each_name_at_a_front_door(package: ModuleType) -> None:
    """Each name a front door offers is documented in the API reference at a front door."""
    documented = {name for kind, name in _reference_directives() if kind != "automodule"}
    missing = []
    for name in package.__all__:
        value = getattr(package, name)
        if isinstance(value, ModuleType):
            continue
        doors = [door.__name__ for door in (*FRONT_DOORS, onestop.storage, onestop.ports)]
        if not any(
            f"{door}.{name}" in documented and getattr(sys.modules[door], name, None) is value
            for door in doors
        ):
            missing.append(name)
    assert missing == []


def test_the_reference_reaches_every_public_module() -> None:
    """Every public module of onestop has an ``automodule`` in the reference."""
    documented = {name for kind, name in _reference_directives() if kind == "automodule"}
    assert [name for name in _public_modules() if name not in documented] == []
