"""Entry points that touch a store: the same hostile call on memory, SQLite and PostgreSQL.

Every call runs on each adapter's copy of the seeded world, and must return or raise an
`OnestopError` there; a refusal leaves the store as it was; and the three adapters agree:
the same outcome (success, or the same error class), the same store afterwards, the
same result.  A store's own methods are one test per method name, run on every adapter
that has it.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from surface_adapters import Station, stations
from surface_discovery import KIND_METHOD, EntryPoint
from surface_drivers import STORE_CLASSES, perform
from surface_harness import Context, Session
from surface_oracle import (
    Counter,
    budget,
    failure,
    hypothesis_settings,
    judge,
    skip_without_servers,
    time_limit,
    world_entries,
)
from surface_values import Long
from surface_world import _plain, lookups, snapshot

from onestop.cli.demo import verify_store
from onestop.domain.common.formats import ACTOR_ID, KEY, SEAL_ID
from onestop.exceptions import StorageError

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def adapters(
    surface: Session, postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Station]]:
    """A station per storage adapter, each holding the seeded world."""
    del postgres_url  # the fixture skips the module when no server is set
    with stations(surface.seed, tmp_path_factory.mktemp("stations")) as found:
        yield found


def _texts(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, dict):
        yield from _texts(list(value.values()))


IDENTITIES = {
    "actor": ACTOR_ID,
    "assignee": ACTOR_ID,
    "courier_id": ACTOR_ID,
    "handoff_id": KEY,
    "seal_id": SEAL_ID,
}
"""Fields of stored events that hold identities, and the one format each must have."""


def _identities(value: object, key: str | None = None) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _identities(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _identities(item, key)
    elif isinstance(value, str) and key in IDENTITIES:
        yield key, value


def _stored_as_meant(call: object, adapter: str, store: Any) -> None:
    """Every identity a stored event holds is canonical: "officer-ana\\n" is never a second
    officer, because it is refused, not stored."""
    for note in store.notifications(after=0, limit=1000):
        for event in store.read(note.stream_id, after=note.version - 1)[:1]:
            for key, value in _identities(json.loads(event.body)):
                if not IDENTITIES[key].matches(value):
                    raise failure("a non-canonical identity was stored", key)(
                        f"after {call!r} on {adapter}: {event.kind} holds {key}={value!r:.80}"
                    )


def _reads_back(call: object, adapter: str, store: object) -> None:
    """What a successful call stored reads back: every hash chain in the store verifies."""
    try:
        audit = verify_store(store)  # type: ignore[arg-type]
    except Exception as exc:
        raise failure(f"reading back raised {type(exc).__name__}", adapter)(
            f"after {call!r} on {adapter}: {exc!s:.300}"
        ) from exc
    if not audit.ok:
        raise failure("a stored chain is broken", adapter)(
            f"after {call!r} on {adapter}: {audit.broken[:2]!r:.400}"
        )


_PLAIN = (str, int, float, bool, bytes, type(None), enum.Enum, Decimal, date, time, timedelta)


def _is_plain(value: object) -> bool:
    if isinstance(value, tuple):
        return all(_is_plain(item) for item in value)
    return isinstance(value, _PLAIN)


def _comparable(result: object) -> object:
    """The result as plain data, or its type's name when it holds live objects (a mall)."""
    plain = _plain(result)
    return plain if _is_plain(plain) else type(result).__qualname__


@pytest.mark.parametrize("entry", world_entries())
def test_every_adapter_refuses_or_keeps_the_same_call_alike(
    entry: EntryPoint,
    surface: Session,
    adapters: list[Station],
    counter: Counter,
    surface_scratch: Path,
) -> None:
    """A hostile call returns or raises OnestopError, leaves a refusing store as it was,
    and does the same on memory, SQLite and PostgreSQL."""
    skip_without_servers(entry)
    calls = surface.planner.plan(entry)
    runs_on = [
        station
        for station in adapters
        if entry.kind != KIND_METHOD
        or entry.owner not in STORE_CLASSES
        or hasattr(type(station.ready().store), entry.attribute or "")
    ]

    @hypothesis_settings(budget(entry.name, world=True))
    @given(data=st.data())
    def drive(data: st.DataObject) -> None:
        call = data.draw(calls, label="call")
        texts = [
            t for t in _texts((call.args, call.kwargs)) if not isinstance(t, Long) and len(t) < 200
        ][:4]
        seen: list[tuple[str, str, object, object, object]] = []
        for station in runs_on:
            world = station.ready()
            looked = lookups(world.store, texts)
            context = Context(surface.pools, surface_scratch, world=world)
            with time_limit():
                outcome = perform(call, context)
            counter.examples += 1 if station is runs_on[0] else 0
            if outcome.kind == "crashed":
                station.changed()
            judge(call, outcome)
            try:
                looked_after = lookups(world.store, texts)
                wrote = looked_after != looked or station.wrote()
            except StorageError:  # the call closed the store: nothing more to read
                station.changed()
                seen.append((station.adapter.name, outcome.label, "closed", (), None))
                continue
            held = snapshot(world.store) if wrote else station.before
            if wrote:
                station.changed()
            if wrote and outcome.kind == "refused":
                raise failure("refusal changed the store", station.adapter.name)(
                    f"{call!r} raised {outcome.label} on {station.adapter.name}"
                    " but changed the store"
                )
            if wrote:
                _reads_back(call, station.adapter.name, world.store)
                _stored_as_meant(call, station.adapter.name, world.store)
            seen.append(
                (
                    station.adapter.name,
                    outcome.label,
                    held,
                    looked_after,
                    _comparable(outcome.result),
                )
            )
        first = seen[0]
        for other in seen[1:]:
            pair = f"{first[0]} and {other[0]}"
            if other[1] != first[1]:
                raise failure("adapters disagree on the outcome", pair)(
                    f"{call!r}: {first[0]} gave {first[1]}, {other[0]} gave {other[1]}"
                )
            if other[2:4] != first[2:4]:
                raise failure("adapters hold different data", pair)(
                    f"{call!r}: {pair} hold different data afterwards"
                )
            if other[4] != first[4]:
                raise failure("adapters return different results", pair)(
                    f"{call!r}: {pair} returned {first[4]!r:.300} and {other[4]!r:.300}"
                )

    drive()
