"""The settings files the commands read whole: only regular files, and only small ones.

A flag pointed at a device, a FIFO or a huge file by mistake must end in an error
naming the flag, not in a hang, a read of ``/dev/zero`` until memory runs out, or a
secret taken from whatever bytes were there.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from onestop.cli import EXIT_USAGE, main

ROOT = Path(__file__).parent.parent
JAKARTA = ROOT / "examples" / "jakarta"

SERVE_FLAGS = {
    "--callback-secrets": ("--callback-secrets",),
    "--secret-file": ("--secret-file",),
    "--oidc-client-secret-file": (
        "--public-url",
        "https://mall.example.org",
        "--oidc-issuer",
        "https://id.example.org",
        "--oidc-client-id",
        "mall",
        "--oidc-client-secret-file",
    ),
}


def _huge(tmp_path: Path) -> Path:
    path = tmp_path / "huge"
    path.write_bytes(b"\x01" * (2 * 1024 * 1024))
    return path


def _given(kind: str, tmp_path: Path) -> tuple[str, str]:
    """The path of a *kind* of wrong file, and what the error must say of it."""
    if kind == "device":
        return "/dev/null", "is not a regular file"
    return str(_huge(tmp_path)), "is larger than"


@pytest.mark.parametrize("kind", ["device", "huge"])
@pytest.mark.parametrize("flag", sorted(SERVE_FLAGS))
def test_serve_check_refuses_a_settings_file_that_is_no_small_regular_file(
    flag: str,
    kind: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """serve --check exits 2 on a device or an over-large file given as a settings file."""
    monkeypatch.setenv("ONESTOP_MASTER_KEY", f"mk-1:{'A' * 43}")
    path, said = _given(kind, tmp_path)
    store = f"sqlite:///{tmp_path / 'mall.sqlite3'}"
    args = ["serve", str(JAKARTA), "--store", store, "--check", *SERVE_FLAGS[flag], path]
    code = main(args)
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert said in err
    assert "internal error" not in err


def _signing_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A checkpoint signing key made by ``audit keygen`` (its ``.pub`` beside it)."""
    key = tmp_path / "sign.pem"
    assert main(["audit", "keygen", "--out", str(key)]) == 0
    capsys.readouterr()
    return key


def test_audit_verify_refuses_a_checkpoint_that_is_no_regular_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """audit verify --checkpoint /dev/null exits 2 naming --checkpoint, reading nothing."""
    key = _signing_key(tmp_path, capsys)
    store = f"sqlite:///{tmp_path / 'mall.sqlite3'}"
    checkpoint = ("--checkpoint", "/dev/null", "--public-key", f"{key}.pub")
    code = main(["audit", "verify", "--store", store, *checkpoint])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "--checkpoint /dev/null: is not a regular file" in err


def _release_a_reader(fifo: Path) -> None:
    """End a read that waits on *fifo* (with no data) within seconds, so that a
    regression fails the test instead of hanging it."""
    for _ in range(100):
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:  # no reader yet (ENXIO)
            time.sleep(0.1)
        else:
            return


def test_audit_verify_refuses_a_public_key_that_is_a_fifo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """audit verify --public-key FIFO exits 2 at once ("is not a regular file"), not hanging."""
    key = _signing_key(tmp_path, capsys)
    fifo = tmp_path / "public.pipe"
    os.mkfifo(fifo)
    threading.Thread(target=_release_a_reader, args=(fifo,), daemon=True).start()
    store = f"sqlite:///{tmp_path / 'mall.sqlite3'}"
    checkpoint = ("--checkpoint", str(key), "--public-key", str(fifo))
    code = main(["audit", "verify", "--store", store, *checkpoint])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "is not a regular file" in err


@pytest.mark.parametrize("flag", ["--documents-dir", "--limits-dir"])
def test_serve_check_names_a_directory_it_cannot_make(
    flag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """serve --check on a directory option naming a file exits 2 with that path in the error."""
    monkeypatch.setenv("ONESTOP_MASTER_KEY", f"mk-1:{'A' * 43}")
    occupied = tmp_path / "a-file-not-a-directory"
    occupied.write_text("x", encoding="utf-8")
    store = f"sqlite:///{tmp_path / 'mall.sqlite3'}"
    code = main(["serve", str(JAKARTA), "--store", store, "--check", flag, str(occupied)])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "a-file-not-a-directory" in err
