"""calendar recount, sla report and pii name the option at fault, and give no advice that
does not apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from onestop.cli import EXIT_PROBLEMS, EXIT_USAGE, main

JAKARTA = Path(__file__).parent.parent / "examples" / "jakarta"


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (("--actor", ""), "error: --actor: is empty"),
        (("--actor", "ops:a\nb"), "error: --actor: has a line break"),
        (("--actor", "ops:x", "--agency", "nope"), "error: --agency: no agency 'nope' in "),
    ],
    ids=["empty-actor", "actor-line-break", "unknown-agency"],
)
def test_recount_names_the_option_it_refuses(
    given: tuple[str, ...],
    said: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A bad --actor or an --agency CATALOGUE lacks exits 2 naming the option (not an
    exception's class, nor a --catalogue option recount does not have)."""
    monkeypatch.setenv("ONESTOP_MASTER_KEY", f"mk-1:{'A' * 43}")
    store = f"sqlite:///{tmp_path / 'mall.sqlite3'}"
    code = main(["calendar", "recount", str(JAKARTA), "--store", store, *given])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert err.startswith(said)
    assert "--catalogue" not in err


def test_sla_report_names_an_unknown_agency_as_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """sla report --agency with a code the catalogue lacks exits 1 (as an unknown code
    does) naming --agency, without telling the user to give another --catalogue."""
    store = f"sqlite:///{tmp_path / 'mall.sqlite3'}"
    args = ["sla", "report", "--store", store, "--catalogue", str(JAKARTA), "--agency", "nope"]
    code = main(args)
    err = capsys.readouterr().err
    assert code == EXIT_PROBLEMS
    assert err.startswith("error: --agency: no agency 'nope'")
    assert "--catalogue" not in err


def test_pii_erase_of_an_unknown_number_mentions_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """pii erase NUMBER, which asks no secret, says no application has the number (exit 1)."""
    monkeypatch.setenv("ONESTOP_MASTER_KEY", f"mk-1:{'A' * 43}")
    store = f"sqlite:///{tmp_path / 'mall.sqlite3'}"
    officer = ("--actor", "officer:ana", "--role", "registrar", "--legal-basis", "a law")
    code = main(["pii", "erase", "X-1", *officer, "--store", store, "--catalogue", str(JAKARTA)])
    err = capsys.readouterr().err
    assert code == 1
    assert "no application has this number" in err
    assert "secret" not in err
