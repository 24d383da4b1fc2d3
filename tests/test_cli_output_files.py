"""The files the commands write: whole or not at all, and never over an existing file."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from onestop.cli import EXIT_USAGE, main
from onestop.privacy import _files


def _disk_full(monkeypatch: pytest.MonkeyPatch, *, after: int = 0) -> None:
    """Make every file `create_file` writes fail with ENOSPC after *after* files."""
    real = os.fdopen
    made = [0]

    def fdopen(descriptor: int, *args: Any, **kwargs: Any) -> Any:
        file = real(descriptor, *args, **kwargs)
        made[0] += 1
        if made[0] > after:

            def write(_: bytes) -> int:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

            file.write = write
        return file

    monkeypatch.setattr(_files.os, "fdopen", fdopen)


@pytest.mark.parametrize(
    "command",
    [("pii", "keygen", "--out"), ("audit", "keygen", "--out")],
    ids=["pii-keygen", "audit-keygen"],
)
def test_a_key_file_that_cannot_be_written_whole_is_not_left_behind(
    command: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A full disk ends keygen with a usage error naming the reason, and leaves no file."""
    _disk_full(monkeypatch)
    target = tmp_path / "new.key"
    code = main([*command, str(target)])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "No space left on device" in err
    assert "internal error" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_key_pair_whose_public_half_cannot_be_written_leaves_neither(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """audit keygen writes both key files or neither: a failed .pub removes the private key."""
    _disk_full(monkeypatch, after=1)
    code = main(["audit", "keygen", "--out", str(tmp_path / "sign.pem")])
    assert code == EXIT_USAGE
    assert "No space left on device" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


TUTORIAL = Path(__file__).parent.parent / "examples" / "tutorial"


@pytest.mark.parametrize("kind", ["file", "link"])
def test_fetch_never_replaces_or_writes_through_an_existing_out(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """catalogue fetch --out refuses an existing file or link, naming --out, and leaves it."""
    store = f"sqlite:///{tmp_path / 'mall.sqlite3'}"
    assert main(["catalogue", "publish", str(TUTORIAL), "--store", store]) == 0
    kept = tmp_path / "catalogue.json"
    kept.write_text("my work\n", encoding="utf-8")
    out = kept if kind == "file" else tmp_path / "link.json"
    if kind == "link":
        out.symlink_to(kept)
    capsys.readouterr()
    code = main(["catalogue", "fetch", "--store", store, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "--out" in err
    assert "exists already" in err
    assert kept.read_text(encoding="utf-8") == "my work\n"
