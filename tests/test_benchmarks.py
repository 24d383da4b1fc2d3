"""The benchmark runner works and prints the agreed JSON shape; speed is not asserted here."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

RUNNER = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"
KEYS = ["name", "value", "unit", "peer", "peer_value", "ratio", "goal", "met"]


def load_runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("onestop_benchmarks_run", RUNNER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def output() -> dict[str, Any]:
    """Run every benchmark once on a tiny workload and parse what --json prints."""
    runner = load_runner()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert runner.main(["--quick", "--json", "--size", "300"]) == 0
    parsed: dict[str, Any] = json.loads(printed.getvalue())
    return parsed


def test_json_is_one_object_of_results(output: dict[str, Any]) -> None:
    """--json prints one object whose only key is a non-empty list of results."""
    assert list(output) == ["results"]
    assert output["results"]


def test_every_result_has_the_agreed_keys(output: dict[str, Any]) -> None:
    """Each result has name, value, unit, peer, peer_value, ratio, goal and met, in order."""
    for result in output["results"]:
        assert list(result) == KEYS
        assert isinstance(result["value"], int | float)
        assert result["met"] in (True, False, None)
        assert (result["goal"] is None) == (result["met"] is None)


def test_the_workflow_figures_are_reported(output: dict[str, Any]) -> None:
    """The workflow module reports throughput against both peers and the floor, and memory."""
    names = {result["name"] for result in output["results"]}
    assert {
        "workflow.transition_vs_transitions",
        "workflow.transition_vs_python_statemachine",
        "workflow.transition_vs_floor",
        "workflow.memory_per_application",
    } <= names


def test_the_storage_figures_are_reported(output: dict[str, Any]) -> None:
    """The storage module reports G4, G5, G8, G11 and the worklists at scale.

    Without a PostgreSQL server the G11 figures are there too, skipped (``met`` null).
    """
    found = {result["name"]: result for result in output["results"]}
    assert {
        "storage.sqlite_full_act_vs_raw",
        "storage.sqlite_full_act_vs_eventsourcing",
        "storage.sqlite_normal_act_vs_raw",
        "storage.sqlite_full_act_vs_raw_indexed",
        "storage.sqlite_normal_act_vs_raw_indexed",
        "storage.get_vs_eventsourcing",
        "storage.get_cold_vs_eventsourcing",
        "storage.postgres_commit_vs_raw",
        "storage.postgres_4proc_vs_1proc",
        "storage.worklist_one_agency_first_page",
        "storage.worklist_one_agency_growth",
        "storage.overdue_first_page",
        "storage.overdue_growth",
        "storage.postgres_worklist_one_agency_first_page",
        "storage.postgres_overdue_growth",
    } <= set(found)
    for name in ("storage.sqlite_full_act_vs_raw", "storage.get_vs_eventsourcing"):
        assert found[name]["goal"] is not None
        assert found[name]["value"] > 0


def test_the_export_figures_are_reported(output: dict[str, Any]) -> None:
    """The exports module reports time and peak memory of each export against the document."""
    found = {result["name"]: result for result in output["results"]}
    for export in ("cpsv", "open311_services", "open311_definitions"):
        for metric in ("seconds", "peak_bytes"):
            result = found[f"exports.{export}_{metric}_vs_document"]
            assert result["value"] > 0
            assert result["peer_value"] > 0
    assert found["exports.cpsv_peak_bytes_vs_document"]["goal"] == "ratio <= 0.1"


def test_the_privacy_figures_are_reported(output: dict[str, Any]) -> None:
    """The privacy module compares sealed with plain actions and reads, and counts unwraps.

    Without a PostgreSQL server its PostgreSQL figures are there too, skipped (``met`` null).
    """
    found = {result["name"]: result for result in output["results"]}
    for name in ("privacy.sealed_act_vs_plain", "privacy.sealed_cold_get_vs_plain"):
        assert found[name]["goal"] == "ratio >= 0.87"
        assert found[name]["value"] > 0
        assert found[name]["peer_value"] > 0
    for name in (
        "privacy.sealed_submit_vs_plain",
        "privacy.sealed_act_vs_plain_restarted",
        "privacy.sealed_act_vs_plain_cache_exceeded",
        "privacy.sealed_cold_get_vs_plain_cache_exceeded",
    ):
        assert found[name]["value"] > 0
        assert found[name]["goal"] is None
    unwraps = {
        case: found[f"privacy.sealed_unwraps_per_action{case}"]["value"]
        for case in ("", "_restarted", "_cache_exceeded")
    }
    assert unwraps[""] == 0
    assert 0 < unwraps["_restarted"] < unwraps["_cache_exceeded"]
    assert {
        "privacy.postgres_sealed_act_vs_plain",
        "privacy.postgres_sealed_cold_get_vs_plain",
    } <= set(found)
