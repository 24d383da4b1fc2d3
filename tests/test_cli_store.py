"""``audit verify``, ``sla report`` and ``track`` on the demo's SQLite file."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from onestop.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, main
from onestop.domain.common.audit import chain_hash


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A demo's SQLite file, and the demo's JSON summary."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    args = ["demo", "--per-day", "30", "--follow-up", "3", "--seed", "5", "--json"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main([*args, "--store", url(path)]) == EXIT_OK
    return path, json.loads(out.getvalue())


def url(path: Path) -> str:
    return f"sqlite:///{path}"


def copy(path: Path, tmp_path: Path) -> Path:
    """A copy of the demo's file, to damage."""
    target = tmp_path / "copy.sqlite3"
    shutil.copyfile(path, target)
    return target


# --- audit verify ------------------------------------------------------------------------


def test_audit_passes_on_the_demo_store(
    capsys: pytest.CaptureFixture[str], demo: tuple[Path, dict[str, Any]]
) -> None:
    """Every chain of the demo's store is intact: exit 0, and the counts in the JSON."""
    path, summary = demo
    code, out, err = run(capsys, "audit", "verify", "--store", url(path), "--json")
    assert (code, err) == (EXIT_OK, "")
    found = json.loads(out)
    assert found["ok"] is True
    assert found["broken"] == []
    assert found["applications"] == summary["applications"] == 30
    code, out, _ = run(capsys, "audit", "verify", "--store", url(path))
    assert code == EXIT_OK
    assert out.strip() == f"30 application(s), {found['chains']} chain(s): every chain intact"


def test_audit_of_one_application(
    capsys: pytest.CaptureFixture[str], demo: tuple[Path, dict[str, Any]]
) -> None:
    """Given a number, only that application is checked; an unknown number exits 1."""
    path, summary = demo
    number = summary["tracking_example"]["number"]
    code, out, _ = run(capsys, "audit", "verify", number, "--store", url(path), "--json")
    assert code == EXIT_OK
    assert json.loads(out)["applications"] == 1
    code, _, err = run(capsys, "audit", "verify", "no/such/2025/000001", "--store", url(path))
    assert code == EXIT_PROBLEMS
    assert "no application is numbered" in err


def _event(path: Path, version: int) -> tuple[int, str, bytes, str]:
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        position, stream, body, previous = db.execute(
            "SELECT position, stream_id, body, previous_hash FROM events"
            " WHERE version = ? AND stream_id IN (SELECT stream_id FROM summaries)"
            " ORDER BY position LIMIT 1",
            (version,),
        ).fetchone()
        (number,) = db.execute(
            "SELECT number FROM summaries WHERE stream_id = ?", (stream,)
        ).fetchone()
    return position, number, body, previous


def test_one_flipped_byte_is_found(
    capsys: pytest.CaptureFixture[str], demo: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """One byte of one stored event changed: exit 1, naming the application and the entry."""
    damaged = copy(demo[0], tmp_path)
    position, number, body, _ = _event(damaged, 2)
    flipped = bytearray(body)
    flipped[len(flipped) // 2] ^= 0x01
    with contextlib.closing(sqlite3.connect(damaged)) as db, db:
        db.execute("UPDATE events SET body = ? WHERE position = ?", (bytes(flipped), position))
    code, out, _ = run(capsys, "audit", "verify", "--store", url(damaged))
    assert code == EXIT_PROBLEMS
    assert f"BROKEN {number}: entry 2: " in out
    assert out.rstrip().endswith("1 broken")
    code, out, _ = run(capsys, "audit", "verify", "--store", url(damaged), "--json")
    found = json.loads(out)
    assert code == EXIT_PROBLEMS
    assert found["ok"] is False
    assert [(b["number"], b["entry"]) for b in found["broken"]] == [(number, 2)]


def test_an_event_that_no_longer_decodes_is_a_broken_entry(
    capsys: pytest.CaptureFixture[str], demo: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """An event rewritten with a fitting hash but an undecodable body is named, not raised."""
    damaged = copy(demo[0], tmp_path)
    with contextlib.closing(sqlite3.connect(damaged)) as db, db:
        position, stream, version, previous = db.execute(
            "SELECT e.position, e.stream_id, e.version, e.previous_hash FROM events e"
            " JOIN summaries s ON s.stream_id = e.stream_id AND s.version = e.version"
            " ORDER BY e.position LIMIT 1"
        ).fetchone()
        garbage = b"\xff\xfe not an event"
        db.execute(
            "UPDATE events SET body = ?, hash = ? WHERE position = ?",
            (garbage, chain_hash(previous, version, garbage), position),
        )
        (number,) = db.execute(
            "SELECT number FROM summaries WHERE stream_id = ?", (stream,)
        ).fetchone()
    code, out, _ = run(capsys, "audit", "verify", "--store", url(damaged), "--json")
    assert code == EXIT_PROBLEMS
    (broken,) = json.loads(out)["broken"]
    assert (broken["number"], broken["entry"]) == (number, version)
    assert "does not decode" in broken["problem"]


def test_audit_of_an_empty_store(capsys: pytest.CaptureFixture[str]) -> None:
    """An empty store has nothing broken."""
    code, out, _ = run(capsys, "audit", "verify", "--store", "memory://", "--json")
    assert code == EXIT_OK
    assert json.loads(out) == {
        "ok": True,
        "applications": 0,
        "chains": 0,
        "packets": 0,
        "broken": [],
    }


# --- sla report --------------------------------------------------------------------------


def test_sla_report_agrees_with_the_demo(
    capsys: pytest.CaptureFixture[str], demo: tuple[Path, dict[str, Any]]
) -> None:
    """Judged at the demo's end, the report's totals are the demo's."""
    path, summary = demo
    at = summary["ended"]
    code, out, err = run(capsys, "sla", "report", "--store", url(path), "--at", at, "--json")
    assert (code, err) == (EXIT_OK, "")
    found = json.loads(out)
    expected = {k: summary[k] for k in ("on_time", "late", "open", "overdue", "withdrawn")}
    assert found["total"] == expected
    assert {row["agency"] for row in found["rows"]} == set(summary["on_time_rate"])
    code, out, _ = run(capsys, "sla", "report", "--store", url(path), "--at", at)
    assert code == EXIT_OK
    assert out.splitlines()[0].split()[:2] == ["agency", "service"]
    assert out.splitlines()[-1].split() == ["total", *map(str, expected.values())]


def test_sla_report_of_one_agency(
    capsys: pytest.CaptureFixture[str], demo: tuple[Path, dict[str, Any]]
) -> None:
    """--agency keeps that agency's rows; an unknown agency exits 1."""
    path, summary = demo
    args = ("sla", "report", "--store", url(path), "--at", summary["ended"])
    agency = next(iter(summary["on_time_rate"]))
    code, out, _ = run(capsys, *args, "--agency", agency, "--json")
    assert code == EXIT_OK
    assert {row["agency"] for row in json.loads(out)["rows"]} == {agency}
    code, _, err = run(capsys, *args, "--agency", "no-such-agency")
    assert code == EXIT_PROBLEMS
    assert err


# --- track -------------------------------------------------------------------------------


def test_track_shows_the_public_status(
    capsys: pytest.CaptureFixture[str], demo: tuple[Path, dict[str, Any]]
) -> None:
    """With the receipt's number and secret, track shows the status in either language."""
    path, summary = demo
    example = summary["tracking_example"]
    args = ("track", example["number"], "--secret", example["secret"], "--store", url(path))
    code, out, err = run(capsys, *args, "--language", "en", "--json")
    assert (code, err) == (EXIT_OK, "")
    found = json.loads(out)
    assert found["number"] == example["number"]
    assert found["language"] == "en"
    assert found["history"][0]["state"] == "submitted"
    code, out, _ = run(capsys, *args)
    assert code == EXIT_OK
    assert out.startswith(f"{example['number']}: ")


def test_track_with_a_wrong_secret_reveals_nothing(
    capsys: pytest.CaptureFixture[str], demo: tuple[Path, dict[str, Any]]
) -> None:
    """A wrong secret and an unknown number give the same answer, exit 1."""
    path, summary = demo
    number = summary["tracking_example"]["number"]
    answers = set()
    for which in (number, "no/such/2025/000001"):
        code, out, err = run(capsys, "track", which, "--secret", "wrong", "--store", url(path))
        assert (code, out) == (EXIT_PROBLEMS, "")
        answers.add(err)
    assert len(answers) == 1


@pytest.fixture(scope="module")
def korea(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A demo's SQLite file of the Korean sample catalogue, and the demo's JSON summary."""
    path = tmp_path_factory.mktemp("korea") / "demo.sqlite3"
    catalogue = str(Path(__file__).parent.parent / "examples" / "korea")
    args = ["demo", "--per-day", "10", "--follow-up", "2", "--catalogue", catalogue, "--json"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main([*args, "--store", url(path)]) == EXIT_OK
    return path, json.loads(out.getvalue())


@pytest.mark.parametrize("command", ["track", "sla", "pii"])
def test_a_store_of_another_catalogue_names_the_catalogue_used(
    capsys: pytest.CaptureFixture[str], korea: tuple[Path, dict[str, Any]], command: str
) -> None:
    """Without --catalogue, a code the sample lacks says the sample was used, and to give one."""
    path, summary = korea
    example = summary["tracking_example"]
    args = {
        "track": ("track", example["number"], "--secret", example["secret"]),
        "sla": ("sla", "report"),
        "pii": ("pii", "sweep", "--dry-run", "--actor", "dpo", "--role", "front_office"),
    }[command]
    keys = ("--key-file", summary["key_file"]) if command == "pii" else ()
    code, _, err = run(capsys, *args, *keys, "--store", url(path))
    assert code == EXIT_PROBLEMS
    assert "in the catalogue used, the packaged Jakarta sample (no --catalogue given)" in err
    assert "with --catalogue PATH" in err
    code, _, err = run(
        capsys, *args, *keys, "--store", url(path), "--catalogue", summary["catalogue"]
    )
    assert (code, err) == (EXIT_OK, "")


# --- usage -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("demo", "--help"),
        ("audit", "--help"),
        ("audit", "verify", "--help"),
        ("sla", "--help"),
        ("sla", "report", "--help"),
        ("track", "--help"),
    ],
)
def test_help(capsys: pytest.CaptureFixture[str], args: tuple[str, ...]) -> None:
    """Every new command has --help, and says it takes --json."""
    code, out, _ = run(capsys, *args)
    assert code == EXIT_OK
    if args[-2:] != ("audit", "--help") and args[-2:] != ("sla", "--help"):
        assert "--json" in out


@pytest.mark.parametrize("command", [("track",), ("sla", "report"), ("pii", "sweep")])
def test_help_names_the_packaged_sample_as_the_default_catalogue(
    capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    """--help calls the default catalogue the packaged sample, not a path of the repository."""
    code, out, _ = run(capsys, *command, "--help")
    assert code == EXIT_OK
    assert "examples/jakarta" not in out
    assert "the packaged Jakarta sample" in " ".join(out.split())


@pytest.mark.parametrize(
    "args",
    [
        ("audit", "verify"),
        ("audit", "verify", "--store", "mongodb://db.example/mall"),
        ("sla", "report", "--store", "memory://", "--at", "not-a-date"),
        ("sla", "report", "--store", "memory://", "--country", "XX"),
        ("sla", "report", "--store", "memory://", "--catalogue", "/nowhere/at/all"),
        ("track", "N/1", "--store", "memory://"),
        ("track", "N/1", "--secret", "s", "--store", "memory://", "--language", "xx"),
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], args: tuple[str, ...]) -> None:
    """Missing options, unknown stores, bad dates, countries and languages exit 2."""
    code, _, err = run(capsys, *args)
    assert code == EXIT_USAGE
    assert err


@pytest.mark.parametrize(
    "args",
    [
        ("audit", "verify", "--store", "sqlite:///x.sqlite3?busy_timeout=1e9"),
        ("audit", "verify", "--store", "sqlite:///x.sqlite3?busy_timeout=99999"),
        ("audit", "verify", "--store", "sqlite:///x%00.sqlite3"),
        ("audit", "verify", "--store", "postgresql://127.0.0.1/te\udcffst"),
        ("audit", "verify", "--store", "x" * 5000 + "://db"),
        ("sla", "report", "--store", "memory://?\udcff"),
    ],
    ids=["exponent", "over-an-hour", "nul", "undecodable", "huge-scheme", "memory-junk"],
)
def test_a_hostile_store_url_exits_2_with_a_short_message(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    """A --store URL no store takes exits 2 with one short line, never a traceback."""
    code, _, err = run(capsys, *args)
    assert code == EXIT_USAGE
    assert err.startswith("error: --store:")
    assert len(err) < 300


def test_an_unknown_number_is_not_echoed_in_full(
    capsys: pytest.CaptureFixture[str], demo: tuple[Path, dict[str, Any]]
) -> None:
    """audit verify NUMBER with a huge unknown number exits 1 and quotes it shortened."""
    path, _ = demo
    code, _, err = run(capsys, "audit", "verify", "N" * 5000, "--store", url(path))
    assert code == EXIT_PROBLEMS
    assert len(err) < 200


@pytest.mark.parametrize("consumer", ["relay\nsecond-line", "r" * 300, "relay\udcff"])
def test_relay_with_a_consumer_no_store_keeps_exits_2(
    capsys: pytest.CaptureFixture[str], consumer: str
) -> None:
    """relay --consumer with a line break, over 256 characters or undecodable bytes exits 2."""
    pytest.importorskip("httpx")
    code, _, err = run(
        capsys,
        "relay",
        "--store",
        "memory://",
        "--webhook",
        "https://agency.example/hooks",
        "--secret",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "--consumer",
        consumer,
        "--once",
    )
    assert code == EXIT_USAGE
    assert err.startswith("error: --consumer:")
