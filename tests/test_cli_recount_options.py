"""calendar recount names the option at fault, and gives no advice that does not apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from onestop.cli import EXIT_USAGE, main

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
