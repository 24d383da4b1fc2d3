"""Run the ``>>>`` examples in the docstrings under ``src/`` as tests.

The API reference shows these docstrings, so their examples must work.  They name
files relative to the repository's root, where pytest runs.
"""

from __future__ import annotations

import doctest

from sybil import Sybil
from sybil.parsers.rest import DocTestParser

pytest_collect_file = Sybil(
    parsers=[DocTestParser(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)],
    path="src",
    patterns=["*.py"],
    excludes=["conftest.py"],
).pytest()
