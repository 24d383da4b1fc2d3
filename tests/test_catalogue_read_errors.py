"""The message of a catalogue read error names the file, however long its path."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.cli import EXIT_USAGE, main
from onestop.exceptions import CatalogueReadError


@given(folders=st.lists(st.text(string.ascii_lowercase, min_size=1, max_size=30), max_size=40))
def test_a_read_error_keeps_the_end_of_a_long_path(folders: list[str]) -> None:
    """However long the path, a read error's message names the file (the path's end)."""
    path = "/".join(["", *folders, "services-of-the-land-office.toml"])
    message = str(CatalogueReadError(path=path, reason="no such file or directory"))
    assert "services-of-the-land-office.toml: no such file or directory" in message
    assert len(message) < 300


def test_an_empty_path_is_refused_without_a_stray_colon(capsys: pytest.CaptureFixture[str]) -> None:
    """catalogue validate "" says "error: the path is empty", not "error: : the path ..."."""
    assert main(["catalogue", "validate", ""]) == EXIT_USAGE
    assert capsys.readouterr().err == "error: the path is empty\n"
