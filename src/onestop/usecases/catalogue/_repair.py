"""Structure what can be structured of a broken catalogue item, so that it is checked too.

Loading reports every problem of a catalogue in one run: the structural ones (a value
of the wrong type, an unknown enum value, a malformed date or duration, a missing or
unknown key) and the whole-catalogue ones (`onestop.domain.catalogue.checks`).  An item
with a structural problem is therefore not dropped: `structure_without` leaves out each
offending value and structures the rest, so that the whole-catalogue checks still see
its other parts (a missing translation, a rule over an undeclared field, a dangling
reference elsewhere in the same service).

**A required value** that is broken or missing is replaced by *stand-ins* of its
declared type: every member of an enum, the earliest and the latest date, the shortest
and the longest duration, two codes no catalogue uses, and so on.  The item is then
structured once per stand-in, the whole-catalogue checks run once per set of stand-ins
(`Repaired.variant`), and a problem is reported only if every run finds it.

**Follow-on problems are not reported.**  Two rules keep the report to what the user
wrote, each problem once:

* a problem at a removed path, inside it or around it (`Removed.related`) is left out:
  the structural problem already names that place;
* a problem that depends on a stand-in's value (``effective_until must be after
  effective_from`` when ``effective_from`` was broken, a service norm above a broken
  time limit) is found by some runs and not by others, so it is left out.

What cannot be repaired (an item that is not a table, a broken required value of a type
without stand-ins) is left out whole, as before; references to it may then be reported
as unknown.  A code or name that is not text at all (``name = 5``) matches no reference,
so a reference to it is reported as unknown too: no item of that name exists.  A broken
``[catalogue]`` header is repaired the same way; with its ``languages`` broken, no text
can be missing a translation, so none is reported until they are fixed.
"""

from __future__ import annotations

import copy
import datetime
import enum
import re
import types
import typing
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from onestop.domain.common.text import LocalizedText
from onestop.domain.common.values import MAX_DURATION, Duration
from onestop.exceptions import Problem

_STEP = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_-]*)|\[([0-9]+)\]")

Steps = list[str | int]

# The stand-ins of a required value, by declared type: values that differ as much as
# the checks can tell (the ends of a range), so that a problem depending on the value
# is found with one and not the other.
_STAND_INS: dict[Any, tuple[object, ...]] = {
    datetime.date: (datetime.date(1, 1, 1), datetime.date(9999, 12, 31)),
    Duration: (Duration.working_hours(1), Duration.working_days(MAX_DURATION)),
    str: ("?stand-in-1", "?stand-in-2"),
    int: (1, 2**31),
    bool: (False, True),
    LocalizedText: (LocalizedText.of(und="?"),),
}


def structure_without(
    item: Any, kind: type, problems: list[Problem], path: str, converter: Any
) -> tuple[Any, ...] | None:
    """Structure *item* with every offending value left out; ``None`` if it cannot be.

    A required value among them is replaced by its stand-ins, and the item structured
    once per stand-in (the result holds one variant per stand-in, at least one).  The
    result is never part of a loaded catalogue (it has problems); it only lets the
    whole-catalogue checks look at the rest of the item.
    """
    paths = [steps(p.path[len(path) :]) for p in problems]
    if any(not s for s in paths):
        return None
    # First leave out just the offending values (standing in for required ones); if the
    # item still does not structure, leave out the list elements holding them.
    for attempt in (paths, [_to_element(s) for s in paths]):
        repaired = copy.deepcopy(item)
        fills: list[tuple[Steps, tuple[object, ...]]] = []
        for where in sorted(attempt, key=_sort_key, reverse=True):  # later items first
            stand_ins = _stand_ins(kind, where)
            removed = bool(where) and _remove(repaired, where)
            if stand_ins:
                fills.append((where, tuple(converter.unstructure(v) for v in stand_ins)))
            elif not removed:
                break
        else:
            variants = _variants(repaired, kind, fills, converter)
            if variants is not None:
                return variants
    return None


def _variants(
    data: Any, kind: type, fills: list[tuple[Steps, tuple[object, ...]]], converter: Any
) -> tuple[Any, ...] | None:
    count = max((len(values) for _, values in fills), default=1)
    variants = []
    for k in range(count):
        filled = copy.deepcopy(data) if fills else data
        for where, values in fills:
            if not _put(filled, where, values[k % len(values)]):
                return None
        try:
            variants.append(converter.structure(filled, kind))
        except Exception:  # noqa: BLE001 - not repairable this way
            return None
    return tuple(variants)


def _stand_ins(kind: type, where: Steps) -> tuple[object, ...]:
    """The stand-ins of the required attribute at *where* in a *kind*, or none."""
    owner: Any = kind
    for step in where[:-1]:
        owner = _inner(owner, step)
        if owner is None:
            return ()
    name = where[-1] if where else None
    if not isinstance(name, str) or not isinstance(owner, type) or not attrs.has(owner):
        return ()
    field = attrs.fields_dict(owner).get(name)
    if field is None or field.default is not attrs.NOTHING:
        return ()
    hint = typing.get_type_hints(owner)[name]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return tuple(hint)
    if typing.get_origin(hint) is tuple:
        return ((),)
    return _STAND_INS.get(hint, ())


def _inner(owner: Any, step: str | int) -> Any:
    """The declared type one *step* inside a value declared *owner*, or ``None``."""
    if isinstance(step, int):
        args = typing.get_args(owner)
        return args[0] if typing.get_origin(owner) is tuple and args else None
    if not (isinstance(owner, type) and attrs.has(owner)):
        return None
    hint = typing.get_type_hints(owner).get(step)
    options = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) is typing.Union or isinstance(hint, types.UnionType):
        return options[0] if len(options) == 1 else None
    return hint


def _put(data: Any, where: Steps, value: object) -> bool:
    """Set the attribute at *where* in *data* to *value*; say whether its table is there."""
    for step in where[:-1]:
        if not _holds(data, step):
            return False
        data = data[step]
    if not isinstance(data, dict):
        return False
    data[where[-1]] = value
    return True


def _to_element(where: Steps) -> Steps:
    """Cut *where* after its last list index: the list element holding the value."""
    for end in range(len(where), 0, -1):
        if isinstance(where[end - 1], int):
            return where[:end]
    return []


def _sort_key(where: Steps) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, s) if isinstance(s, int) else (1, s) for s in where)


def steps(relative: str) -> Steps:
    """Split a relative path such as ``.fees[0].amount`` into keys and indexes."""
    found: Steps = []
    for name, index in _STEP.findall(relative):
        found.append(int(index) if index else name)
    return found


def _remove(data: Any, where: Steps) -> bool:
    """Remove the value at *where* from *data*; say whether it was there."""
    for step in where[:-1]:
        if not _holds(data, step):
            return False
        data = data[step]
    if not _holds(data, where[-1]):
        return False
    del data[where[-1]]
    return True


def _holds(data: Any, step: str | int) -> bool:
    if isinstance(step, int):
        return isinstance(data, list) and step < len(data)
    return isinstance(data, dict) and step in data


@attrs.define
class Repaired:
    """The variants of each collected item: one, or one per stand-in of a repaired item."""

    items: list[tuple[Any, ...]] = attrs.Factory(list)

    @property
    def runs(self) -> int:
        """How many runs of the checks the stand-ins ask for (1 when there are none)."""
        return max((len(v) for v in self.items), default=1)

    def variant(self, run: int) -> tuple[Any, ...]:
        """The items as run *run* sees them (each repaired item cycles its variants)."""
        return tuple(v[run % len(v)] for v in self.items)


def agreed(runs: Iterable[list[Problem]]) -> list[Problem]:
    """The problems every run found, in the first run's order, each once."""
    found = iter(runs)
    first = next(found, [])
    common = {_key(p) for p in first}
    for problems in found:
        common &= {_key(p) for p in problems}
    kept: list[Problem] = []
    for problem in first:
        if _key(problem) in common:
            common.discard(_key(problem))
            kept.append(problem)
    return kept


def _key(problem: Problem) -> tuple[str, str, str]:
    return (problem.file or "", problem.path, problem.message)


class Removed:
    """The paths left out of items to check the rest, looked up in time linear in a path."""

    def __init__(self, removed: Iterable[tuple[str, str]]) -> None:
        self._paths: set[tuple[str, str]] = set()
        self._inside: set[tuple[str, str]] = set()  # every proper prefix of a removed path
        for file, path in removed:
            self._paths.add((file, path))
            self._inside.update((file, prefix) for prefix in _prefixes(path))

    def related(self, problem: Problem) -> bool:
        """Whether *problem*'s path is a removed path, lies inside one, or contains one."""
        file, path = problem.file or "", problem.path
        if (file, path) in self._paths or (file, path) in self._inside:
            return True
        return any((file, prefix) in self._paths for prefix in _prefixes(path))


def _prefixes(path: str) -> Iterator[str]:
    """Yield the proper prefixes of *path* that are paths: ``a``, ``a[0]`` of ``a[0].b``."""
    for index, char in enumerate(path):
        if char in ".[" and index:
            yield path[:index]
