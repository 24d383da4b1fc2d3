"""Run the code samples in the documentation as tests.

Sybil collects every ``.md`` page under ``docs/``:

- a ```` ```python ```` block is run as code, or as a doctest when it holds ``>>>`` prompts;
- a ```` ```{doctest} ```` block is run as a doctest;
- ``% skip: next`` (or ``<!-- skip: next -->``) before a block skips it.

All blocks on one page share a namespace, in page order.
"""

from __future__ import annotations

import doctest

from sybil import Sybil
from sybil.parsers.myst import DocTestDirectiveParser, PythonCodeBlockParser, SkipParser

_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

collect_ignore = ["conf.py", "_build"]

pytest_collect_file = Sybil(
    parsers=[
        DocTestDirectiveParser(optionflags=_FLAGS),
        PythonCodeBlockParser(doctest_optionflags=_FLAGS),
        SkipParser(),
    ],
    patterns=["*.md"],  # matched from the right, so at any depth
).pytest()
