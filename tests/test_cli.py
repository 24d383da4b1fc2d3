"""The ``onestop`` command: exit codes, JSON output, and no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from onestop.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, main

ROOT = Path(__file__).parent.parent
JAKARTA = ROOT / "examples" / "jakarta"
CAMBODIA = ROOT / "examples" / "cambodia"
BROKEN = Path(__file__).parent / "catalogue" / "broken"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    """--version prints the program name and version and exits 0."""
    code, out, _ = run(capsys, "--version")
    assert code == EXIT_OK
    assert out.startswith("onestop ")


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    """--help lists the command groups and exits 0."""
    code, out, _ = run(capsys, "--help")
    assert code == EXIT_OK
    assert "catalogue" in out
    assert "workflow" in out


@pytest.mark.parametrize("sample", [JAKARTA, CAMBODIA], ids=["jakarta", "cambodia"])
def test_sample_catalogues_validate(capsys: pytest.CaptureFixture[str], sample: Path) -> None:
    """The sample catalogues are valid: exit 0 and a one-line summary."""
    code, out, err = run(capsys, "catalogue", "validate", str(sample))
    assert (code, err) == (EXIT_OK, "")
    assert out.startswith("ok: ")


def test_validate_json_of_a_valid_catalogue_is_an_empty_list(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With --json a valid catalogue prints an empty list."""
    code, out, _ = run(capsys, "catalogue", "validate", "--json", str(JAKARTA))
    assert code == EXIT_OK
    assert json.loads(out) == []


def test_validate_prints_file_path_message(capsys: pytest.CaptureFixture[str]) -> None:
    """Each problem is printed as 'file: path: message' and the exit code is 1."""
    file = BROKEN / "dangling_agency.toml"
    code, out, _ = run(capsys, "catalogue", "validate", str(file))
    assert code == EXIT_PROBLEMS
    assert f"{file}: services[0].agency: unknown agency 'police'" in out.splitlines()


def test_validate_json_lists_file_path_message(capsys: pytest.CaptureFixture[str]) -> None:
    """With --json each problem is an object with file, path and message."""
    file = BROKEN / "several_defects.toml"
    code, out, _ = run(capsys, "catalogue", "validate", "--json", str(file))
    assert code == EXIT_PROBLEMS
    problems = json.loads(out)
    assert len(problems) >= 2
    assert all(set(p) == {"file", "path", "message"} for p in problems)


@pytest.mark.parametrize(
    "name",
    ["empty.toml", "binary.toml", "truncated.toml", "deeply_nested.json", "deeply_nested.toml"],
)
def test_unreadable_files_exit_1_without_traceback(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """Empty, binary, truncated and deeply nested files give a clean message and exit 1."""
    code, out, _ = run(capsys, "catalogue", "validate", str(BROKEN / name))
    assert code == EXIT_PROBLEMS
    assert str(BROKEN / name) in out


def test_missing_path_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A missing path is an I/O error: exit 2, message on stderr."""
    code, out, err = run(capsys, "catalogue", "validate", "no/such/path")
    assert code == EXIT_USAGE
    assert out == ""
    assert "no/such/path: no such file or directory" in err


def test_unknown_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A usage error exits 2 with click's message on stderr."""
    code, _, err = run(capsys, "catalogue", "validate", "--colour", str(JAKARTA))
    assert code == EXIT_USAGE
    assert "No such option" in err


def test_every_command_takes_json(capsys: pytest.CaptureFixture[str]) -> None:
    """Every leaf command documents a --json option."""
    from onestop.cli import cli

    def leaves(group, prefix=()):
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                yield from leaves(command, (*prefix, name))
            else:
                yield (*prefix, name), command

    found = dict(leaves(cli))
    assert found
    for name, command in found.items():
        assert any("--json" in p.opts for p in command.params), name


def test_console_script_runs_without_traceback(tmp_path: Path) -> None:
    """The installed entry point runs in a fresh process and exits 2 on a missing path."""
    result = subprocess.run(
        [sys.executable, "-m", "onestop.cli", "catalogue", "validate", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == EXIT_USAGE
    assert "Traceback" not in result.stderr
