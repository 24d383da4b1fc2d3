"""``onestop demo`` and `onestop.cli.demo.run_demo`: counts that add up, the same run for a seed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from onestop.cli import EXIT_OK, EXIT_USAGE, main
from onestop.cli import demo as demo_module
from onestop.cli.demo import DEFAULT_STORE, DemoSummary, open_demo_store, run_demo, verify_store
from onestop.exceptions import ConfigurationError
from onestop.ports.events import StoredEvent
from onestop.storage.memory import MemoryStore

SMALL = ("--per-day", "30", "--follow-up", "3")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def demo_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code, out, err = run(capsys, "demo", *SMALL, "--json", *args)
    assert (code, err) == (EXIT_OK, "")
    found: dict[str, Any] = json.loads(out)
    return found


def test_json_counts_add_up(capsys: pytest.CaptureFixture[str]) -> None:
    """Every application is in exactly one status, and the SLA outcomes partition them."""
    found = demo_json(capsys, "--store", "memory://", "--days", "2")
    assert found["applications"] == 60
    assert sum(found["by_status"].values()) == found["applications"]
    assert sum(found["by_service"].values()) == found["applications"]
    assert sum(found["by_channel"].values()) == found["applications"]
    assert found["on_time"] + found["late"] == found["decided"]
    parts = found["decided"] + found["withdrawn"] + found["open"] + found["overdue"]
    assert parts == found["applications"]
    assert found["application_chains_verified"] == found["applications"]
    assert found["events_relayed"] == found["events"] > found["applications"]
    assert found["store"] == "memory://"
    assert (found["seed"], found["days"]) == (0, 2)
    for rate in found["on_time_rate"].values():
        assert rate is None or 0 <= rate <= 1


def test_the_same_seed_gives_the_same_json(capsys: pytest.CaptureFixture[str]) -> None:
    """Two runs with one seed print the same JSON; another seed gives another run."""
    args = ("--store", "memory://", "--per-day", "15")
    first = demo_json(capsys, *args, "--seed", "7")
    again = demo_json(capsys, *args, "--seed", "7")
    other = demo_json(capsys, *args, "--seed", "8")
    assert first == again
    assert first != other


def test_a_sqlite_demo_file_is_replaced_and_the_run_repeats(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """On SQLite a second run replaces the first demo's file and gives the same summary."""
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    first = demo_json(capsys, "--store", url, "--seed", "3", "--per-day", "12")
    again = demo_json(capsys, "--store", url, "--seed", "3", "--per-day", "12")
    assert first == again
    assert first["courier_desk"] is True  # the SQLite store keeps courier ledgers (BatchStore)


def test_another_file_is_never_overwritten(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A file the demo did not write is refused with exit 2 and left as it was."""
    target = tmp_path / "precious.sqlite3"
    target.write_bytes(b"not a demo database")
    code, out, err = run(capsys, "demo", *SMALL, "--store", f"sqlite:///{target}")
    assert code == EXIT_USAGE
    assert "was not written by the demo" in err
    assert out == ""
    assert target.read_bytes() == b"not a demo database"


def test_the_default_store_is_a_file_in_the_current_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --store the demo writes ./onestop-demo.sqlite3 and says where it is."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "demo", "--per-day", "5", "--follow-up", "0")
    assert code == EXIT_OK
    assert (tmp_path / "onestop-demo.sqlite3").is_file()
    assert f"Store: {DEFAULT_STORE} ({tmp_path / 'onestop-demo.sqlite3'})" in out
    assert "Simulating" in err  # the progress bar, on stderr only


def test_human_output_has_every_section(capsys: pytest.CaptureFixture[str]) -> None:
    """The summary names services, statuses, on-time rates, couriers, custody and the relay."""
    code, out, _ = run(capsys, "demo", *SMALL, "--store", "memory://")
    assert code == EXIT_OK
    for section in (
        "Applications: 30 (",
        "By service:",
        "By status:",
        "SLA at the end: decided",
        "On-time rate by agency:",
        "Courier: ",
        "custody chains verified: ",
        "Application chains verified: 30 of 30",
        "Events relayed: ",
    ):
        assert section in out
    assert "Next, try:" not in out  # a memory store is gone when the demo ends


def test_next_steps_suggest_a_role_of_the_catalogue_played(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The suggested `pii sweep --role` is a role the played catalogue's workflows name."""
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    catalogue = str(Path(__file__).parent.parent / "examples" / "korea")
    code, out, err = run(capsys, "demo", *SMALL, "--store", url, "--catalogue", catalogue)
    assert code == EXIT_OK, err
    assert f"--catalogue {catalogue}" in out
    assert "--role front_office" in out
    assert "agency_officer" not in out


def test_progress_runs_to_the_end() -> None:
    """The progress callback sees the simulated minutes grow, up to the total."""
    seen: list[tuple[int, int]] = []
    summary = run_demo(
        store_url="memory://",
        applications_per_day=10,
        follow_up_days=1,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert isinstance(summary, DemoSummary)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert seen[-1][0] == seen[-1][1] == seen[0][1]


def test_the_mall_refuses_no_simulated_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulated staff take only actions the workflows allow, so no command is refused."""
    seen: list[dict[str, int]] = []
    summarise = demo_module._summarise

    def spy(sim: Any, **settings: Any) -> DemoSummary:
        seen.append(dict(sim.counts))
        return summarise(sim, **settings)

    monkeypatch.setattr(demo_module, "_summarise", spy)
    for seed in (11, 12):
        run_demo(store_url="memory://", applications_per_day=30, seed=seed)
    assert [k for counts in seen for k in counts if k.startswith("refused") or k == "stuck"] == []
    assert all(counts["action:approve"] for counts in seen)


@pytest.mark.parametrize(
    "settings",
    [{"days": 0}, {"applications_per_day": 0}, {"follow_up_days": -1}, {"days": True}],
)
def test_out_of_range_settings_are_refused(settings: dict[str, Any]) -> None:
    """Counts out of range raise `ConfigurationError` before anything is written."""
    with pytest.raises(ConfigurationError):
        run_demo(store_url="memory://", **settings)


@pytest.mark.parametrize(
    "args",
    [
        ("--days", "0"),
        ("--per-day", "many"),
        ("--store", "mongodb://db.example/mall"),
        ("--catalogue", "/nowhere/at/all"),
        ("--no-such-option",),
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], args: tuple[str, ...]) -> None:
    """Bad options, an unknown store and a missing catalogue exit 2, with no traceback."""
    code, _, err = run(capsys, "demo", *SMALL, *args)
    assert code == EXIT_USAGE
    assert err


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    """``demo --help`` describes the command and its options."""
    code, out, _ = run(capsys, "demo", "--help")
    assert code == EXIT_OK
    for option in ("--days", "--per-day", "--seed", "--store", "--json"):
        assert option in out


class _KeptOpen(MemoryStore):
    """A memory store that outlives the demo, and may return one packet's bytes altered."""

    tamper = False

    def close(self) -> None:
        """Stay open, so that the test can read what the demo wrote."""

    def read(self, stream_id: str, /, *, after: int = 0) -> tuple[StoredEvent, ...]:
        records = super().read(stream_id, after=after)
        if self.tamper and stream_id.startswith("packet:") and records:
            body = bytearray(records[0].body)
            body[5] ^= 1
            records = (attrs.evolve(records[0], body=bytes(body)), *records[1:])
        return records


@pytest.fixture(scope="module")
def desk_run() -> Iterator[tuple[_KeptOpen, DemoSummary]]:
    """A demo over a memory store, which keeps courier streams, and the store afterwards."""
    store = _KeptOpen()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("onestop.cli.demo._store.from_url", lambda url: store)
        yield store, run_demo(store_url="memory://", applications_per_day=60, seed=1)


def test_couriers_work_through_the_desk(desk_run: tuple[_KeptOpen, DemoSummary]) -> None:
    """Over a store that keeps courier streams, pickups and deliveries leave custody ledgers."""
    _, summary = desk_run
    assert summary.courier_desk
    assert summary.by_channel.get("courier", 0) >= summary.courier_pickups > 0
    assert summary.courier_deliveries > 0
    assert summary.custody_chains_verified >= summary.courier_pickups + summary.courier_deliveries


def test_custody_ledgers_are_audited(desk_run: tuple[_KeptOpen, DemoSummary]) -> None:
    """`verify_store` checks the packets' custody chains and names an altered one."""
    store, summary = desk_run
    audit = verify_store(store)
    assert audit.ok
    assert audit.packets == summary.custody_chains_verified > 0
    store.tamper = True
    try:
        broken = verify_store(store).broken
    finally:
        store.tamper = False
    assert len(broken) == audit.packets
    assert {b.stream.partition(":")[0] for b in broken} == {"packet"}
    assert all(b.entry == 1 and b.number for b in broken)


@pytest.mark.parametrize("url", [b"memory://", None, 5])
def test_a_store_url_that_is_not_text_is_a_configuration_error(url: object) -> None:
    """open_demo_store refuses bytes or a number for the URL, not a TypeError."""
    with pytest.raises(ConfigurationError, match="must be text"):
        open_demo_store(url)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--serve", "--host", "bad host"], "--host must be"),
        (["--serve", "--store", "memory://"], "--serve needs a SQLite store"),
        (["--check"], "--check goes with --serve"),
        (["--port", "8123"], "--port goes with --serve"),
    ],
)
def test_what_serve_cannot_serve_is_refused_before_simulating(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    arguments: list[str],
    said: str,
) -> None:
    """``--serve`` options it could not serve, or given without ``--serve``, exit 2 before
    the simulation runs: no day is simulated and no store written (they ran the whole
    simulation, replaced the store, then failed or were ignored)."""
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "demo", "--per-day", "5", "--follow-up", "0", *arguments)
    assert code == EXIT_USAGE
    assert said in err
    assert "Simulating" not in err
    assert not (tmp_path / "onestop-demo.sqlite3").exists()
