"""``onestop catalogue export``: --at at the ends of time, streaming, and refused values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onestop.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, main

ROOT = Path(__file__).parents[2]
MINIMAL = ROOT / "tests" / "catalogue" / "valid" / "minimal.toml"
FORMATS = ["open311", "open311-definitions", "cpsv-ap"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the command line; return the exit status, stdout and stderr."""
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "internal error" not in err
    return code, out, err


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "at",
    [
        "0001-01-01T00:00+14:00",
        "0001-01-01",
        "9999-12-31T23:59",
        "9999-12-31T23:00-05:00",
        "9999-12-31T00:00:00+00:00",
    ],
)
def test_an_instant_outside_the_range_exits_2_with_a_message(
    capsys: pytest.CaptureFixture[str], fmt: str, at: str
) -> None:
    """--at too near the year 1 or 9999 exits 2 naming --at and the range, no traceback."""
    code, _, err = run(capsys, "catalogue", "export", str(MINIMAL), "--format", fmt, "--at", at)
    assert code == EXIT_USAGE
    assert "--at:" in err
    assert "0001-01-02 to 9999-12-30 UTC" in err


@pytest.mark.parametrize("at", ["0001-01-02T00:00+00:00", "9999-12-30T12:00+00:00"])
def test_the_ends_of_the_range_are_exported(capsys: pytest.CaptureFixture[str], at: str) -> None:
    """--at at either end of the range exports, in every zone the catalogue uses."""
    for fmt in FORMATS:
        code, out, _ = run(capsys, "catalogue", "export", str(MINIMAL), "--format", fmt, "--at", at)
        assert code == EXIT_OK
        json.loads(out)


def test_a_long_unparsable_instant_is_not_echoed_in_full(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A 10,000-character --at is refused with a shortened quote of it."""
    code, _, err = run(capsys, "catalogue", "export", str(MINIMAL), "--at", "x" * 10_000)
    assert code == EXIT_USAGE
    assert len(err) < 300


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_streamed_output_is_the_document(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    """The command writes the export as json.dumps(indent=2) of the document, and a newline."""
    from datetime import UTC, datetime

    from onestop.interop import cpsv, open311
    from onestop.usecases.catalogue.loading import load_catalogue

    jakarta = ROOT / "examples" / "jakarta"
    args = ("catalogue", "export", str(jakarta), "--format", fmt, "--at", "2025-06-02")
    code, out, _ = run(capsys, *args)
    assert code == EXIT_OK
    catalogue = load_catalogue(jakarta)
    at = datetime(2025, 6, 2, tzinfo=UTC)
    document = {
        "open311": lambda: open311.services(catalogue, at=at),
        "open311-definitions": lambda: open311.service_definitions(catalogue, at=at),
        "cpsv-ap": lambda: cpsv.to_jsonld(catalogue, at=at),
    }[fmt]()
    assert out == json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def test_a_hostile_link_exits_1_and_is_never_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A javascript: website exits 1 with the problem on stderr; stdout never holds it.

    The loader or the export refuses it, whichever comes first: both print the path.
    """
    text = MINIMAL.read_text(encoding="utf-8").replace(
        'time_zone = "Asia/Jakarta"\n',
        'time_zone = "Asia/Jakarta"\n'
        'contacts = [{ kind = "website", value = "javascript:alert(1)" }]\n',
        1,
    )
    path = tmp_path / "hostile.toml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "catalogue", "export", str(path), "--format", "cpsv-ap")
    assert code == EXIT_PROBLEMS
    assert "javascript:alert(1)" not in out  # the scheme may be named, the link never
    assert "agencies[0].contacts[0]" in out + err
