"""The 0.1.0 import paths that moved in 0.2.0 still work for one release, with a warning."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from onestop._moved import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_path_warns_and_gives_the_new_modules_names(old: str) -> None:
    """Importing a moved 0.1.0 path warns, naming the new path, and forwards attribute lookups."""
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=MOVED[old].replace(".", r"\.")):
        shim = importlib.import_module(old)
    new = importlib.import_module(MOVED[old])
    public = getattr(new, "__all__", None) or [n for n in vars(new) if not n.startswith("_")]
    for name in public:
        assert getattr(shim, name) is getattr(new, name)
    sys.modules.pop(old, None)


def test_a_from_import_of_an_old_path_works_in_a_fresh_interpreter() -> None:
    """``from onestop.mall import Mall`` gives the same class as ``onestop.Mall``, and warns."""
    code = (
        "import warnings\n"
        "with warnings.catch_warnings(record=True) as seen:\n"
        "    warnings.simplefilter('always')\n"
        "    from onestop.mall import Mall\n"
        "    from onestop.domain.engine import Actor\n"
        "import onestop\n"
        "assert Mall is onestop.Mall and Actor is onestop.Actor\n"
        "moved = {str(w.message).split()[0] for w in seen if w.category is DeprecationWarning}\n"
        "print(sorted(moved))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['onestop.domain.engine', 'onestop.mall']"


def test_a_name_never_in_onestop_is_still_not_found() -> None:
    """The finder answers only for moved paths: other missing modules stay missing."""
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("onestop.no_such_module")


def test_every_new_path_exists() -> None:
    """Each shim points at a module that imports."""
    for new in MOVED.values():
        importlib.import_module(new)
