"""The documentation and the examples import from a handful of front doors, not from modules."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MAX_MODULES = 9
"""The most distinct onestop modules that docs/ and examples/ may import from, together
(the eight front doors, and `onestop.web` since the online mall)."""

_IMPORT = re.compile(
    r"(?:^|[\s;>.%])(?:from\s+(onestop(?:\.\w+)*)\s+import\b|import\s+(onestop(?:\.\w+)*))"
)


def _sources() -> list[Path]:
    docs = [
        path
        for path in (ROOT / "docs").rglob("*")
        if path.is_file() and path.suffix in {".md", ".rst", ".py"} and "_build" not in path.parts
    ]
    examples = [path for path in (ROOT / "examples").rglob("*") if path.is_file()]
    return sorted(docs + examples)


def imported_modules(text: str) -> set[str]:
    """The onestop modules *text* imports (``import onestop...``, ``from onestop... import``)."""
    return {from_ or plain for from_, plain in _IMPORT.findall(text)}


def test_the_counter_finds_both_forms() -> None:
    """Both import forms are counted, in code, in doctests and in hidden code blocks."""
    text = (
        ">>> from onestop import Mall\n"
        "import onestop.storage\n"
        "% from onestop.transport import (\n"
        "... from onestop.ports import Commit\n"
        "`import onestop` never imports a driver\n"
    )
    assert imported_modules(text) == {
        "onestop",
        "onestop.storage",
        "onestop.transport",
        "onestop.ports",
    }


def test_docs_and_examples_use_at_most_nine_modules() -> None:
    """All of docs/ and examples/ import from at most nine distinct onestop modules."""
    found: dict[str, list[str]] = {}
    for path in _sources():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for module in imported_modules(text):
            found.setdefault(module, []).append(path.relative_to(ROOT).as_posix())
    assert "onestop" in found, "the counter found no import at all"
    listing = "\n".join(f"{module}: {', '.join(paths)}" for module, paths in sorted(found.items()))
    assert len(found) <= MAX_MODULES, f"{len(found)} modules imported:\n{listing}"
