"""--language: a language the catalogue lacks is refused the same way by every command."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestop.cli import EXIT_OK, EXIT_USAGE, main

JAKARTA = Path(__file__).parent.parent / "examples" / "jakarta"
COMMANDS = {
    "workflow render": ["workflow", "render", str(JAKARTA), "pbg"],
    "catalogue export": ["catalogue", "export", str(JAKARTA)],
    "catalogue export definitions": [
        "catalogue",
        "export",
        str(JAKARTA),
        "--format",
        "open311-definitions",
    ],
}


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    command=st.sampled_from(sorted(COMMANDS)),
    language=st.text(min_size=1, max_size=8).filter(lambda t: t not in ("id", "en")),
)
def test_a_language_the_catalogue_lacks_is_a_usage_error_naming_the_option(
    command: str, language: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """workflow render and catalogue export exit 2 on a --language other than the
    catalogue's (id, en), naming --language, as track does; they print nothing else."""
    capsys.readouterr()
    code = main([*COMMANDS[command], "--language", language])
    out, err = capsys.readouterr()
    assert code == EXIT_USAGE
    assert "--language: " in err
    assert "is not one of id, en" in err
    assert "service_code" not in out
    assert "stateDiagram" not in out


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_language_of_the_catalogue_is_served(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The catalogue's own languages are accepted."""
    assert main([*COMMANDS[command], "--language", "en"]) == EXIT_OK
    capsys.readouterr()
