"""No module of the library is over 600 lines: a module that grows past that is split by concept.

The limit is the project's (docs/explanation/architecture.md); tests, examples and benchmarks
are outside it.
"""

from __future__ import annotations

from pathlib import Path

SOURCE = Path(__file__).parent.parent / "src"
LIMIT = 600


def _line_counts() -> dict[str, int]:
    """Map each Python module under src/ (as a path relative to src/) to its number of lines."""
    return {
        path.relative_to(SOURCE).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(SOURCE.rglob("*.py"))
    }


def test_the_walk_finds_the_modules() -> None:
    """The walk counts the package's modules, nested ones included, so the check is not vacuous."""
    counts = _line_counts()
    assert "onestop/__init__.py" in counts
    assert "onestop/domain/common/text.py" in counts
    assert all(count > 0 for name, count in counts.items() if not name.endswith("__init__.py"))


def test_no_module_is_over_600_lines() -> None:
    """Every module under src/ has at most 600 lines; the message names each one over."""
    over = {name: count for name, count in _line_counts().items() if count > LIMIT}
    assert over == {}, f"modules over {LIMIT} lines (split them by concept): {over}"
