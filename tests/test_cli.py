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


def test_validate_notes_a_catalogue_without_calendars(capsys: pytest.CaptureFixture[str]) -> None:
    """A valid catalogue without [[calendars]] is ok, with a note that serve needs one."""
    code, out, _ = run(capsys, "catalogue", "validate", str(ROOT / "examples" / "tutorial"))
    assert code == EXIT_OK
    assert out.startswith("ok: ")
    assert "note: calendars: none declared; onestop serve, track and sla report" in out
    code, out, _ = run(capsys, "catalogue", "validate", str(JAKARTA))
    assert "note: calendars" not in out


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


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_workflow_render_prints_a_diagram(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    """workflow render prints the service's workflow in the format asked for."""
    code, out, _ = run(capsys, "workflow", "render", str(JAKARTA), "paspor", "--format", fmt)
    assert code == EXIT_OK
    assert out.startswith("stateDiagram-v2" if fmt == "mermaid" else "digraph")


def test_workflow_render_json_wraps_the_diagram(capsys: pytest.CaptureFixture[str]) -> None:
    """With --json the diagram comes in an object naming the service and workflow."""
    code, out, _ = run(capsys, "workflow", "render", "--json", str(JAKARTA), "paspor")
    assert code == EXIT_OK
    data = json.loads(out)
    assert data["service"] == "paspor"
    assert data["diagram"].startswith("stateDiagram-v2")


def test_workflow_render_unknown_service_is_a_clean_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An unknown service code exits 1 with a message naming it, no traceback."""
    code, out, err = run(capsys, "workflow", "render", str(JAKARTA), "no-such-service")
    assert code == EXIT_PROBLEMS
    assert out == ""
    assert "no published service 'no-such-service'" in err


def test_open311_export_lists_every_sample_service(capsys: pytest.CaptureFixture[str]) -> None:
    """The Open311 export lists every service of the Jakarta sample in effect now."""
    from onestop.usecases.catalogue.loading import load_catalogue

    code, out, _ = run(capsys, "catalogue", "export", str(JAKARTA), "--format", "open311")
    assert code == EXIT_OK
    listed = [s["service_code"] for s in json.loads(out)]
    catalogue = load_catalogue(JAKARTA)
    assert sorted(listed) == sorted(catalogue.service_codes())
    assert len(listed) >= 20
    for entry in json.loads(out):
        assert {
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        } <= set(entry)


def test_open311_definitions_export_every_form(capsys: pytest.CaptureFixture[str]) -> None:
    """The Open311 definitions export gives attributes for each service with a form."""
    code, out, _ = run(
        capsys, "catalogue", "export", str(JAKARTA), "--format", "open311-definitions"
    )
    assert code == EXIT_OK
    definitions = json.loads(out)
    assert definitions
    assert all(d["attributes"] for d in definitions)


def test_cpsv_export_is_json_ld_with_the_cpsv_classes(capsys: pytest.CaptureFixture[str]) -> None:
    """The CPSV-AP export of the sample uses the CPSV-AP classes and has no dangling ids."""
    code, out, _ = run(capsys, "catalogue", "export", str(JAKARTA), "--format", "cpsv-ap")
    assert code == EXIT_OK
    document = json.loads(out)
    assert "@context" in document
    graph = document["@graph"]
    types = {
        t
        for node in graph
        for t in ([node["@type"]] if isinstance(node["@type"], str) else node["@type"])
    }
    for cls in (
        "PublicService",
        "PublicOrganisation",
        "Requirement",
        "Evidence",
        "Cost",
        "Channel",
        "LegalResource",
        "Output",
    ):
        assert any(t.endswith(cls) for t in types), cls
    ids = {node["@id"] for node in graph}

    def refs(value):
        if isinstance(value, dict):
            if set(value) == {"@id"}:
                yield value["@id"]
            for v in value.values():
                yield from refs(v)
        elif isinstance(value, list):
            for v in value:
                yield from refs(v)

    dangling = {
        r for node in graph for r in refs({k: v for k, v in node.items() if k != "@id"})
    } - ids
    assert not {r for r in dangling if r.startswith("urn:onestop:")}


def test_export_json_round_trips_through_validate(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Exporting in onestop's own JSON format gives a file that validates again."""
    code, out, _ = run(capsys, "catalogue", "export", str(CAMBODIA), "--format", "json")
    assert code == EXIT_OK
    file = tmp_path / "cambodia.json"
    file.write_text(out, encoding="utf-8")
    code, out, _ = run(capsys, "catalogue", "validate", str(file))
    assert code == EXIT_OK
