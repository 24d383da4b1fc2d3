"""Run the code samples in the documentation as tests.

Sybil collects every ``.md`` page under ``docs/``:

- a ```` ```python ```` block is run as code, or as a doctest when it holds ``>>>`` prompts;
- a ```` ```{doctest} ```` block is run as a doctest;
- ``% skip: next`` (or ``<!-- skip: next -->``) before a block skips it.

All blocks on one page share a namespace, in page order; it starts with ``ROOT``,
the repository's root, so samples can name files in ``examples/``.
"""

from __future__ import annotations

import doctest
from pathlib import Path
from typing import Any

from sybil import Sybil
from sybil.parsers.myst import DocTestDirectiveParser, PythonCodeBlockParser, SkipParser

_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

ROOT = Path(__file__).resolve().parent.parent


def _setup(namespace: dict[str, Any]) -> None:
    namespace["ROOT"] = ROOT


collect_ignore = ["conf.py", "_build"]

pytest_collect_file = Sybil(
    parsers=[
        DocTestDirectiveParser(optionflags=_FLAGS),
        PythonCodeBlockParser(doctest_optionflags=_FLAGS),
        SkipParser(),
    ],
    setup=_setup,
    patterns=["*.md"],  # matched from the right, so at any depth
).pytest()
