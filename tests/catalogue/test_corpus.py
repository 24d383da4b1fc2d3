"""The catalogue fuzz's corpus, replayed through its oracle in every test run (no atheris).

tests/corpus/catalogue holds the inputs the coverage-guided fuzz (fuzz/fuzz_catalogue.py)
kept, minimised, with every crash it found: each one loads under the same oracle as in
the fuzz, so a regression shows here first.  See docs/how-to/fuzz-the-loader.md.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).parent.parent.parent
CORPUS = ROOT / "tests" / "corpus" / "catalogue"
INPUTS = sorted(p for p in CORPUS.iterdir() if p.is_file() and not p.name.startswith("."))


def harness() -> ModuleType:
    """Import fuzz/fuzz_catalogue.py, which imports atheris only when run as a fuzzer."""
    spec = importlib.util.spec_from_file_location(
        "fuzz_catalogue", ROOT / "fuzz" / "fuzz_catalogue.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FUZZ = harness()


def test_the_corpus_is_small_and_holds_its_crashers() -> None:
    """The committed corpus stays small: a few hundred small files, crashers included."""
    assert 20 <= len(INPUTS) <= 400
    assert all(p.stat().st_size <= 32 * 1024 for p in INPUTS)
    assert any(p.name.startswith(("crash-", "timeout-", "regression-")) for p in INPUTS)


@pytest.mark.parametrize("path", INPUTS, ids=[p.name[:16] for p in INPUTS])
def test_each_input_passes_the_fuzz_oracle(
    path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Loading the input raises only OnestopError; a valid catalogue publishes and exports."""
    root = tmp_path_factory.getbasetemp() / "corpus-input"
    started = time.monotonic()
    FUZZ.check_input(path.read_bytes(), root)
    assert time.monotonic() - started < 30, "one input took more than 30 s (the fuzz allows 2)"
