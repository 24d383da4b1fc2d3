"""Personal data sealing: what encryption adds to a durable action and a read (issue 15).

The issue's acceptance: a durable action and a read with encryption cost at most 15%
more than without, in the same run, with the key provider's unwrap call given a
realistic 1 ms latency (a key management service) and data keys cached per the
documented policy.

Contenders, each on its own applications in its own SQLite file at
``synchronous=FULL`` (and, when a server is named, in a PostgreSQL schema):

* plain: `Mall` without keys, personal values stored in plain text;
* sealed: the same `Mall` with ``keys=Keyring(provider, store)``, the provider a
  `StaticKeyProvider` behind `CountingKeyProvider` with 1 ms of latency on every wrap
  and unwrap, and the keyring's cache the documented default `KeyCachePolicy()`
  (10,000 keys, each for 5 minutes), which holds every application's key: the mall
  that submitted the applications acts on them, as a running mall does;
* sealed, restarted: the same, but the acting mall has a new keyring (a process that
  did not submit the applications): each application's first action unwraps its key;
* sealed, cache exceeded: a key cache a quarter of the applications, so that the
  working set exceeds it and every use of a key is a miss (an unwrap).

Workload: applications whose applicant has a name, a NIK, a phone and an address, with
answers and two documents (`bench_storage.submit_applications`'s record), then the
lifecycle of `bench_workflow` (5.4 actions per application), one durable transaction
per action, and reads of every application (a mall with ``cache_size=0``: read, decode,
fold).  The malls keep a quarter of the applications folded (``cache_size``), so every
action reads, decodes (opens the sealed values) and folds its stream, as in a mall
whose open applications outnumber its fold cache; the default key cache holds them all.

The contenders take turns: submissions in chunks, actions lifecycle step by lifecycle
step, reads pass by pass (best of three), each turn timed with the garbage collector
paused, so a burst of machine load lands on every contender alike.
"""

from __future__ import annotations

import contextlib
import functools
import secrets
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import attrs
from _benchlib import Result, best_seconds, comparison
from bench_storage import (
    ACTORS,
    APPLICANT,
    SERVICE,
    TickingClock,
    _document,
    actions,
    load_mall_catalogue,
    postgres_url,
    rounds,
)
from bench_workflow import ROLE_OF

from onestop.domain.common.parties import Person
from onestop.ports.events import EventStore
from onestop.privacy import KeyCachePolicy, Keyring, StaticKeyProvider
from onestop.storage.sqlite import SQLiteStore
from onestop.testing.key_providers import CountingKeyProvider
from onestop.usecases.mall import Mall

FULL_APPLICATIONS = 1_000  # per contender, on SQLite
QUICK_APPLICATIONS = 200
FULL_PG_APPLICATIONS = 300  # per contender, on PostgreSQL
QUICK_PG_APPLICATIONS = 100
LATENCY = 0.001  # seconds the key provider takes per wrap and unwrap: a KMS
CHUNK = 20  # submissions per turn
GOAL = 0.87  # sealed/plain throughput: at most 15% more time

PLAIN, SEALED, RESTARTED, EXCEEDED = "plain", "sealed", "sealed, restarted", "sealed, exceeded"

POSTGRES_RESULTS = (
    "privacy.postgres_sealed_act_vs_plain",
    "privacy.postgres_sealed_cold_get_vs_plain",
)


# --- contenders -------------------------------------------------------------------------


@attrs.define
class Contender:
    """One mall over its own store, with or without keys, and its applications."""

    store: EventStore
    provider: CountingKeyProvider | None
    policy: KeyCachePolicy | None
    folded: int
    restarts: bool = False
    mall: Mall = attrs.field(init=False)
    ids: list[str] = attrs.field(factory=list)

    def __attrs_post_init__(self) -> None:
        """Open the submitting mall."""
        self.mall = self.new_mall()

    def new_mall(self) -> Mall:
        """A new mall with a new keyring (nothing cached), as a process that just started."""
        keys = None
        if self.provider is not None:
            keys = Keyring(self.provider, self.store, cache=self.policy)  # type: ignore[arg-type]
        return Mall(
            catalogue=load_mall_catalogue(),
            store=self.store,
            clock=TickingClock(),
            cache_size=self.folded,
            keys=keys,
        )

    def submit(self, numbers: Sequence[int]) -> None:
        """Submit the applications numbered *numbers*."""
        submit = self.mall.submit
        for i in numbers:
            receipt = submit(
                SERVICE,
                channel="counter",
                applicant=Person.of(
                    identity_number=f"317101{41 + i % 28:02d}0385{1 + i % 9_999:04d}",
                    identity_scheme="id-nik",
                    name=f"Applicant {i}",
                    phone=f"+62812{i:08d}",
                    address=f"Jl. Example No. {i}, Jakarta",
                ),
                answers={"business_name": f"Warung {i}", "floor_area": 36 + i % 50, "notes": ""},
                documents=[_document("ktp", i), _document("npwp", i)],
                actor=APPLICANT,
            )
            self.ids.append(receipt.application_id)

    def act(self, work: Sequence[tuple[int, str]]) -> None:
        """Take each (application index, action) with `Mall.act`."""
        act, ids = self.mall.act, self.ids
        for i, action in work:
            act(ids[i], action, actor=ACTORS[ROLE_OF[action]])

    def get_all_cold(self) -> None:
        """Read every application with a mall that keeps nothing: read, decode and fold."""
        application = attrs.evolve(self.mall, cache_size=0).application
        for app_id in self.ids:
            application(app_id)

    def unwraps(self) -> int:
        """How many unwrap calls the provider has seen."""
        return 0 if self.provider is None else self.provider.unwraps

    def states(self) -> set[str]:
        """The states the applications are in, from the read model."""
        rows = [self.store.summary(app_id) for app_id in self.ids]
        return {row.state if row is not None else "missing" for row in rows}


def contenders(
    stores: Mapping[str, EventStore], count: int, *, exceeded: bool = True
) -> dict[str, Contender]:
    """The plain and sealed contenders over *stores*, for *count* applications each."""
    folded = max(count // 4, 1)
    policies = {
        SEALED: KeyCachePolicy(),
        RESTARTED: KeyCachePolicy(),
        EXCEEDED: KeyCachePolicy(max_keys=folded),
    }
    return {
        name: Contender(
            store=store,
            provider=None
            if name == PLAIN
            else CountingKeyProvider(StaticKeyProvider.generate(), latency=LATENCY),
            policy=policies.get(name),
            folded=folded,
            restarts=name == RESTARTED,
        )
        for name, store in stores.items()
        if exceeded or name in (PLAIN, SEALED)
    }


@attrs.frozen
class Measured:
    """Seconds each contender took to submit, act and read (best pass), and unwraps per action."""

    submit: Mapping[str, float]
    act: Mapping[str, float]
    cold_get: Mapping[str, float]
    unwraps_per_action: Mapping[str, float]


def measure(racers: Mapping[str, Contender], count: int) -> Measured:
    """Submit *count* applications, act on them and read them, the contenders taking turns."""
    submit = dict.fromkeys(racers, 0.0)
    for start in range(0, count, CHUNK):
        numbers = range(start, min(start + CHUNK, count))
        for name, racer in racers.items():
            submit[name] += best_seconds(functools.partial(racer.submit, numbers), repeats=1)
    for racer in racers.values():
        if racer.restarts:
            racer.mall = racer.new_mall()
    before = {name: racer.unwraps() for name, racer in racers.items()}
    act = dict.fromkeys(racers, 0.0)
    for work in rounds(count):
        for name, racer in racers.items():
            act[name] += best_seconds(functools.partial(racer.act, work), repeats=1)
    done = actions(count)
    unwraps = {name: (racer.unwraps() - before[name]) / done for name, racer in racers.items()}
    for name, racer in racers.items():
        if racer.states() != {"issued"}:
            raise AssertionError(f"{name} did not take every application to 'issued'")
    cold = dict.fromkeys(racers, float("inf"))
    for _ in range(3):
        for name, racer in racers.items():
            cold[name] = min(cold[name], best_seconds(racer.get_all_cold, repeats=1))
    return Measured(submit=submit, act=act, cold_get=cold, unwraps_per_action=unwraps)


# --- results ----------------------------------------------------------------------------


def _provider_text() -> str:
    return f"the key provider waits {LATENCY * 1000:g} ms per wrap and unwrap"


def sqlite_results(measured: Measured, count: int) -> list[Result]:
    """The SQLite figures: sealed against plain, with the default cache and one exceeded."""
    done = actions(count)
    act = {name: done / spent for name, spent in measured.act.items()}
    get = {name: count / spent for name, spent in measured.cold_get.items()}
    submit = {name: count / spent for name, spent in measured.submit.items()}
    default = KeyCachePolicy()
    cache = f"key cache {default.max_keys:,} keys for {default.ttl}"
    small = f"key cache {max(count // 4, 1):,} keys, fewer than the {count:,} applications"
    plain_act = "Mall.act without keys, SQLite at FULL"
    plain_get = "Mall.application without keys, cache_size=0 (read, decode, fold)"
    return [
        comparison(
            "privacy.sealed_act_vs_plain",
            value=act[SEALED],
            unit="actions/s",
            peer=f"{plain_act} (sealed: {cache}; {_provider_text()})",
            peer_value=act[PLAIN],
            at_least=GOAL,
        ),
        comparison(
            "privacy.sealed_cold_get_vs_plain",
            value=get[SEALED],
            unit="gets/s",
            peer=f"{plain_get} (sealed: {cache})",
            peer_value=get[PLAIN],
            at_least=GOAL,
        ),
        comparison(
            "privacy.sealed_submit_vs_plain",
            value=submit[SEALED],
            unit="submissions/s",
            peer=f"Mall.submit without keys (sealed: a new subject key, one wrap, per submission; "
            f"{_provider_text()})",
            peer_value=submit[PLAIN],
        ),
        Result(
            name="privacy.sealed_unwraps_per_action",
            value=round(measured.unwraps_per_action[SEALED], 4),
            unit="unwrap calls per action",
            peer=f"{cache}; the keys were made by this keyring's submissions and kept",
        ),
        comparison(
            "privacy.sealed_act_vs_plain_restarted",
            value=act[RESTARTED],
            unit="actions/s",
            peer=f"{plain_act} (sealed: {cache}, a new keyring before the first action:"
            " one unwrap per application)",
            peer_value=act[PLAIN],
        ),
        Result(
            name="privacy.sealed_unwraps_per_action_restarted",
            value=round(measured.unwraps_per_action[RESTARTED], 4),
            unit="unwrap calls per action",
            peer=f"{cache}, a new keyring before the first action",
        ),
        comparison(
            "privacy.sealed_act_vs_plain_cache_exceeded",
            value=act[EXCEEDED],
            unit="actions/s",
            peer=f"{plain_act} (sealed: {small}: every action unwraps)",
            peer_value=act[PLAIN],
        ),
        comparison(
            "privacy.sealed_cold_get_vs_plain_cache_exceeded",
            value=get[EXCEEDED],
            unit="gets/s",
            peer=f"{plain_get} (sealed: {small}: every read unwraps)",
            peer_value=get[PLAIN],
        ),
        Result(
            name="privacy.sealed_unwraps_per_action_cache_exceeded",
            value=round(measured.unwraps_per_action[EXCEEDED], 4),
            unit="unwrap calls per action",
            peer=small,
        ),
    ]


def sqlite(count: int, directory: Path) -> list[Result]:
    """The SQLite figures, each contender in its own file at ``synchronous=FULL``."""
    with contextlib.ExitStack() as stack:
        stores: dict[str, EventStore] = {}
        for number, name in enumerate((PLAIN, SEALED, RESTARTED, EXCEEDED)):
            path = directory / f"privacy-{number}.db"
            stores[name] = stack.enter_context(SQLiteStore.open(path, synchronous="FULL"))
        measured = measure(contenders(stores, count), count)
    return sqlite_results(measured, count)


@contextlib.contextmanager
def postgres_stores(url: str) -> Iterator[dict[str, EventStore]]:
    """A plain and a sealed `PostgresStore`, each in a fresh schema dropped at the end."""
    import psycopg
    from psycopg import sql

    from onestop.storage.postgres import PostgresStore

    schemas = {name: f"onestop_bench_{secrets.token_hex(4)}" for name in (PLAIN, SEALED)}
    try:
        with contextlib.ExitStack() as stack:
            yield {
                name: stack.enter_context(
                    PostgresStore.connect(url, schema=schema, min_size=1, max_size=1)
                )
                for name, schema in schemas.items()
            }
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            for schema in schemas.values():
                connection.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                )


def postgres(count: int, url: str) -> list[Result]:
    """Sealed against plain `Mall.act` and cold reads on PostgreSQL, one connection each."""
    with postgres_stores(url) as stores:
        measured = measure(contenders(stores, count, exceeded=False), count)
    done = actions(count)
    return [
        comparison(
            "privacy.postgres_sealed_act_vs_plain",
            value=done / measured.act[SEALED],
            unit="actions/s",
            peer=f"Mall.act without keys on PostgresStore (sealed: {_provider_text()})",
            peer_value=done / measured.act[PLAIN],
            at_least=GOAL,
        ),
        comparison(
            "privacy.postgres_sealed_cold_get_vs_plain",
            value=count / measured.cold_get[SEALED],
            unit="gets/s",
            peer="Mall.application without keys on PostgresStore, cache_size=0",
            peer_value=count / measured.cold_get[PLAIN],
            at_least=GOAL,
        ),
    ]


# --- the module's entry point -----------------------------------------------------------


def run(quick: bool, size: int | None = None) -> list[Result]:
    """Run the privacy benchmarks.

    Each SQLite contender submits and drives 1,000 applications (200 if *quick*), each
    PostgreSQL contender 300 (100 if *quick*); a *size* sets the SQLite count, and
    PostgreSQL then uses a tenth of it (at least 5).
    """
    if size is None:
        count = QUICK_APPLICATIONS if quick else FULL_APPLICATIONS
        pg_count = QUICK_PG_APPLICATIONS if quick else FULL_PG_APPLICATIONS
    else:
        count, pg_count = max(size, 8), max(size // 10, 5)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="onestop-bench-privacy-") as name:
        results.extend(sqlite(count, Path(name)))
    url = postgres_url()
    if url is None:
        why = "ONESTOP_BENCH_POSTGRES_URL or ONESTOP_TEST_POSTGRES_URL is not set"
        results.extend(
            Result(name=n, value=0.0, unit="skipped", peer=f"skipped: {why}")
            for n in POSTGRES_RESULTS
        )
    else:
        results.extend(postgres(pg_count, url))
    return results
