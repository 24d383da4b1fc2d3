"""onestop relay names the option at fault: --webhook, --secret or --store."""

from __future__ import annotations

from pathlib import Path

import pytest

from onestop.cli import EXIT_USAGE, main

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a test secret


@pytest.mark.parametrize(
    ("given", "option"),
    [
        (("--webhook", "junk", "--secret", SECRET), "--webhook: "),
        (
            ("--webhook", "https://hooks.example/x", "--secret", SECRET, "--secret", "no"),
            "--secret: ",
        ),
        (
            ("--webhook", "https://hooks.example/x", "--secret", SECRET, "--store", "mysql://x"),
            "--store: ",
        ),
    ],
    ids=["webhook", "second-secret", "store"],
)
def test_relay_names_the_option_it_refuses(
    given: tuple[str, ...], option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed --webhook, --secret or --store exits 2 with an error naming that option."""
    store = ("--store", f"sqlite:///{tmp_path / 'mall.sqlite3'}")
    args = ["relay", *(() if "--store" in given else store), *given, "--once"]
    code = main(args)
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert err.startswith(f"error: {option}")
    assert "MfKQ9r8" not in err
