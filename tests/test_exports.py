"""The public surface: `onestop.__all__` is the curated list of what users import."""

from __future__ import annotations

import pytest

import onestop

PUBLIC: list[str] = list(getattr(onestop, "__all__", ()))


def test_all_is_defined() -> None:
    """`onestop` declares its public names in a non-empty `__all__`."""
    assert PUBLIC, "onestop/__init__.py defines no __all__"


def test_all_is_sorted_case_insensitively() -> None:
    """`onestop.__all__` is sorted case-insensitively, so each addition has one obvious place."""
    assert sorted(PUBLIC, key=str.casefold) == PUBLIC


def test_all_has_no_duplicates() -> None:
    """No name appears twice in `onestop.__all__`."""
    assert sorted(name for name in set(PUBLIC) if PUBLIC.count(name) > 1) == []


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_is_importable(name: str) -> None:
    """Every name in `onestop.__all__` can be imported with ``from onestop import name``."""
    namespace: dict[str, object] = {}
    exec(f"from onestop import {name}", namespace)  # noqa: S102 - the names come from __all__
    assert namespace[name] == getattr(onestop, name)
