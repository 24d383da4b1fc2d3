"""A catalogue directory's files: none named as a catalogue file is skipped unseen."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from onestop.cli import EXIT_USAGE, main
from onestop.exceptions import CatalogueReadError
from onestop.usecases.catalogue.loading import load_catalogue

TUTORIAL = Path(__file__).parent.parent.parent / "examples" / "tutorial" / "mall.toml"


def _odd_entry(kind: str, where: Path) -> None:
    if kind == "broken-link":
        where.symlink_to(where.parent / "moved-away.toml")
    else:
        os.mkfifo(where)


@pytest.mark.parametrize("kind", ["broken-link", "fifo"])
def test_a_catalogue_file_that_cannot_be_read_stops_the_load_naming_it(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A .toml entry that is a broken link or a FIFO is an error naming it, in the Python
    API and in validate alike, not a catalogue loaded without its services."""
    folder = tmp_path / "mall"
    folder.mkdir()
    shutil.copy(TUTORIAL, folder / "mall.toml")
    _odd_entry(kind, folder / "services.toml")

    with pytest.raises(CatalogueReadError) as caught:
        load_catalogue(folder)
    assert "services.toml" in str(caught.value)
    assert "not a regular file" in str(caught.value)

    code = main(["catalogue", "validate", str(folder)])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "services.toml: not a regular file" in err
