"""`onestop.domain` is pure: it imports no I/O, logging or serialisation module.

Two checks back each other up.  At run time, a fresh interpreter imports every domain
module and we look at what landed in `sys.modules`; this catches modules pulled in
indirectly.  Statically, every ``import`` statement in the domain's source must name a
module on an allow-list; this catches what the run-time check cannot see because the
baseline (attrs, datetime, zoneinfo, ...) already loaded it.

The probe puts a bare stand-in for the ``onestop`` package in `sys.modules`, so that
``onestop/__init__.py``, which sits on the top floor and may import anything, does not
run: only the domain and what it imports (``onestop.exceptions``) are measured.
"""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

# Modules the domain must never load: I/O, networking, logging, serialisation, adapters.
FORBIDDEN = (
    "asyncio",
    "babel",
    "cattrs",
    "dns",
    "click",
    "csv",
    "http",
    "httpx",
    "httpx2",
    "json",
    "logging",
    "nats",
    "pathlib",
    "pickle",
    "psycopg",
    "shelve",
    "socket",
    "sqlite3",
    "ssl",
    "stdnum",
    "structlog",
    "subprocess",
    "tomllib",
    "urllib.request",
)

# What the domain may import (each entry also allows its submodules).
ALLOWED = (
    "__future__",
    "abc",
    "attrs",
    "bisect",
    "collections",
    "datetime",
    "decimal",
    "email_validator",  # e-mail syntax only (check_deliverability=False): loads no DNS module
    "enum",
    "functools",
    "hashlib",
    "heapq",
    "itertools",
    "math",
    "operator",
    "phonenumbers",  # numbering-plan metadata as Python modules: no I/O
    "re",
    "string",
    "types",
    "typing",
    "unicodedata",
    "weakref",  # the calendars' memo, which must not keep a calendar alive
    "uuid",  # for the UUID type; ids are made outside the domain and passed in
    "zoneinfo",
    "zlib",  # crc32 only, to check PNG chunks (onestop.domain.documents.scrub): no I/O
    "onestop.domain",
    "onestop.exceptions",
)

# The baseline: what importing the domain's allowed dependencies loads by itself.
BASELINE = ("attrs", "datetime", "decimal", "enum", "re", "zoneinfo")

_PROBE = """
import sys, types

package = types.ModuleType("onestop")
package.__path__ = [sys.argv[1]]
sys.modules["onestop"] = package

for name in sys.argv[2].split(","):
    __import__(name)
baseline = sorted(sys.modules)

loaded = {}
for name in sys.argv[3:]:
    before = set(sys.modules)
    __import__(name)
    loaded[name] = sorted(set(sys.modules) - before)
print(repr({"baseline": baseline, "loaded": loaded}))
"""


def _package_dir() -> Path:
    spec = importlib.util.find_spec("onestop")
    assert spec is not None
    assert spec.submodule_search_locations is not None
    return Path(next(iter(spec.submodule_search_locations)))


def _domain_modules() -> dict[str, Path]:
    """Map each module under `onestop.domain`, the package included, to its source file."""
    domain_dir = _package_dir() / "domain"
    modules: dict[str, Path] = {}
    init = domain_dir / "__init__.py"
    if init.exists():
        modules["onestop.domain"] = init
    for info in pkgutil.walk_packages([str(domain_dir)], prefix="onestop.domain."):
        relative = Path(*info.name.split(".")[2:])
        modules[info.name] = (
            domain_dir / relative / "__init__.py"
            if info.ispkg
            else domain_dir / relative.with_suffix(".py")
        )
    return modules


DOMAIN_MODULES = _domain_modules()


def _matches(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _imported_names(module: str, source: Path) -> list[tuple[int, str]]:
    """Return ``(line, dotted name)`` for every import in *source*, relative ones resolved."""
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    package = module if source.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            # ``from onestop.domain import calendar`` imports a module: judge the full name.
            found.extend(
                (node.lineno, name if alias.name == "*" else f"{name}.{alias.name}")
                for alias in node.names
            )
    return found


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    """Import the baseline, then each domain module, in a fresh interpreter."""
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            _PROBE,
            str(_package_dir()),
            ",".join(BASELINE),
            *DOMAIN_MODULES,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, f"importing the domain failed:\n{result.stderr}"
    found: dict[str, Any] = ast.literal_eval(result.stdout)
    return found


def test_domain_modules_are_found() -> None:
    """The walk finds the domain's modules, so the checks below are not vacuous."""
    assert "onestop.domain.catalogue.model" in DOMAIN_MODULES
    assert "onestop.domain.common.text" in DOMAIN_MODULES


def test_the_walk_misses_no_source_file() -> None:
    """Every ``.py`` file under the domain is walked, even one in a folder without ``__init__``."""
    files = {path.resolve() for path in (_package_dir() / "domain").rglob("*.py")}
    walked = {path.resolve() for path in DOMAIN_MODULES.values()}
    assert sorted(map(str, files - walked)) == []


def test_the_import_contract_forbids_the_same_modules() -> None:
    """The import-linter purity contract in pyproject.toml forbids every module listed here."""
    pyproject = Path(__file__).parent.parent / "pyproject.toml"
    contracts = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["importlinter"][
        "contracts"
    ]
    (purity,) = [c for c in contracts if c.get("source_modules") == ["onestop.domain"]]
    # import-linter names external packages by their top-level name only.
    missing = sorted({name.split(".")[0] for name in FORBIDDEN} - set(purity["forbidden_modules"]))
    assert missing == []


def test_baseline_hides_no_forbidden_module(probe: dict[str, Any]) -> None:
    """No forbidden module is loaded by the baseline, where the run-time check could not see it."""
    hidden = [name for name in probe["baseline"] if _matches(name, FORBIDDEN)]
    assert hidden == []


def test_importing_the_domain_loads_no_forbidden_module(probe: dict[str, Any]) -> None:
    """Importing every domain module loads no I/O, logging or serialisation module."""
    offences = {
        module: forbidden
        for module, loaded in probe["loaded"].items()
        if (forbidden := sorted({f for f in FORBIDDEN for name in loaded if _matches(name, (f,))}))
    }
    assert offences == {}, f"domain modules (and what they first loaded): {offences}"


@pytest.mark.parametrize("module", sorted(DOMAIN_MODULES))
def test_domain_module_imports_only_allowed_modules(module: str) -> None:
    """Every import statement in a domain module names a module on the allow-list."""
    imports = _imported_names(module, DOMAIN_MODULES[module])
    disallowed = [f"line {line}: {name}" for line, name in imports if not _matches(name, ALLOWED)]
    assert disallowed == [], f"{module} imports modules outside the allow-list: {disallowed}"
