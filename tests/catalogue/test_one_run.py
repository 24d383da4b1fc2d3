"""One run reports every problem of a catalogue: structural and whole-catalogue ones together.

A catalogue with several planted defects reports exactly what separate runs on each
single-defect variant report, each problem once (issue 16: of six planted defects,
four were reported; the rest only after the first four were fixed).
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.exceptions import InvalidCatalogue
from onestop.usecases.catalogue.loading import catalogue_from_data

MALL = Path(__file__).parents[2] / "examples" / "tutorial" / "mall.toml"
BASE: dict[str, Any] = tomllib.loads(MALL.read_text(encoding="utf-8"))

Found = frozenset[tuple[str, str]]


def _set(*where: str | int, value: object) -> Callable[[dict[str, Any]], None]:
    def plant(data: dict[str, Any]) -> None:
        node: Any = data
        for step in where[:-1]:
            node = node[step]
        node[where[-1]] = value

    return plant


def _delete(*where: str | int) -> Callable[[dict[str, Any]], None]:
    def plant(data: dict[str, Any]) -> None:
        node: Any = data
        for step in where[:-1]:
            node = node[step]
        del node[where[-1]]

    return plant


def _duplicate_law(data: dict[str, Any]) -> None:
    data["legal_resources"].append(copy.deepcopy(data["legal_resources"][0]))


# Each defect kind, planted at its own place of the tutorial's mall.
DEFECTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "bad enum value": _set("agencies", 0, "kind", value="bogus"),
    "bad date": _set("services", 0, "effective_from", value="2025-13-45"),
    "dangling agency": _set("agencies", 1, "parent", value="nowhere"),
    "duplicate code": _duplicate_law,
    "missing translation": _delete("services", 0, "name", "id"),
    "requirement rule over an undeclared field": _set(
        "services", 0, "requirements", 1, "when", value='ownership == "company"'
    ),
    "fee rule over an undeclared field": _set(
        "services", 0, "fees", 0, "when", value='owner == "company"'
    ),
    "bad duration": _set("services", 0, "time_limit", value="ten days"),
    "missing required key": _delete("agencies", 1, "time_zone"),
    "wrong type": _set("workflows", 0, "version", value="one"),
    "unknown key": _set("services", 0, "colour", value="red"),
    "bad field type": _set("services", 0, "form", 1, "type", value="numeric"),
    "bad channel": _set("services", 0, "channels", 1, "channel", value="pigeon"),
    "missing label translation": _delete("services", 0, "form", 0, "label", "en"),
    "broken mall name": _set("catalogue", "name", value=5),
}


def problems(*defects: str) -> list[tuple[str, str]]:
    """The (path, message) of each problem one run reports with *defects* planted."""
    data = copy.deepcopy(BASE)
    for name in defects:
        DEFECTS[name](data)
    try:
        catalogue_from_data(data, source="mall")
    except InvalidCatalogue as caught:
        return [(p.path, p.message) for p in caught.problems]
    return []


def test_the_base_catalogue_is_valid() -> None:
    """The tutorial's mall, before any defect is planted, has no problem."""
    assert problems() == []


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_each_defect_alone_is_reported(defect: str) -> None:
    """Each defect of the menu, planted alone, is reported by at least one problem."""
    assert problems(defect)


def test_the_six_defects_of_the_issue_are_reported_in_one_run() -> None:
    """A bad enum value, a bad date, a dangling agency, a duplicate code, a missing
    translation and a rule over an undeclared field are all reported at once."""
    found = problems(
        "bad enum value",
        "bad date",
        "dangling agency",
        "duplicate code",
        "missing translation",
        "requirement rule over an undeclared field",
    )
    paths = [path for path, _ in found]
    assert sorted(paths) == sorted(
        [
            "agencies[0].kind",
            "services[0].effective_from",
            "agencies[1].parent",
            "legal_resources[1].code",
            "services[0].name",
            "services[0].requirements[1].when",
        ]
    )


def test_a_follow_on_of_a_broken_value_is_not_reported() -> None:
    """A broken time limit is one problem: the norm is not said to exceed its stand-in."""
    assert problems("bad duration") == [
        (
            "services[0].time_limit",
            "duration: 'ten days' is not of the form '5 working days' or '8 working hours'",
        )
    ]


@settings(max_examples=60, deadline=None)
@given(st.sets(st.sampled_from(sorted(DEFECTS)), min_size=2))
def test_one_run_reports_the_union_of_single_defect_runs(defects: set[str]) -> None:
    """With several defects planted, one run reports exactly the union of what separate
    runs on each single-defect variant report, and no problem twice."""
    together = problems(*sorted(defects))
    alone: Found = frozenset().union(*(problems(d) for d in defects))
    assert len(together) == len(set(together)), "a problem is reported twice"
    assert frozenset(together) == alone
