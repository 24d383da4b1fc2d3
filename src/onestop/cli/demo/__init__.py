"""Working days at the sample Jakarta mall, simulated: `run_demo`, behind ``onestop demo``.

`run_demo` loads the sample catalogue (`onestop.samples`, ``examples/jakarta`` in a clone of the
repository), wires a `onestop.usecases.mall.Mall` over the store a URL names, and plays working
days on a clock it moves by hand, from Monday 14 July 2025, 08:00 in the zone of the
catalogue's mall-wide ``[[calendars]]`` (WIB for the sample), on its declared calendars:

* citizens come to the agencies' counters, apply online, or book the AJIB courier,
  who collects their documents at home in a sealed packet;
* officers register each file and check its documents; some are refused and the file
  is sent back, and the citizen brings a corrected copy and resubmits.  Files are
  processed, approved (never by the officer who verified them: the workflows forbid
  it), and issued at the counter, electronically, or to the door by a courier;
* some officers are slow and some files are forgotten, so deadlines pass; the timers
  (`onestop.usecases.mall.Mall.fire_timers`, at 08:00 and 12:00) escalate overdue technical
  reviews and expire unpaid bills;
* after the last day of arrivals the mall works *follow_up_days* more working days on
  what is open.  Then every hash chain is verified, and the notification log is
  relayed to a recording transport (`onestop.transport.relay`).

Citizens pay the fees due (`onestop.usecases.mall.Mall.record_payment`, by the bank's gateway).
Couriers work through a `onestop.usecases.courier.desk.CourierDesk` when the store can write
several streams at once (`onestop.ports.events.BatchStore`): bookings, claims, one-time codes,
sealed packets and every handoff, in custody ledgers.  Over a store that cannot, the
courier channel runs on the workflow alone, and ``courier_delivered`` passes once a
courier picked the result up.

The workflows are walked from their transitions, so any catalogue whose actions use
the sample's words (``send_back``, ``dispatch``, ``deliver``...) can be played.
Every random choice comes from ``random.Random(seed)`` and nothing reads the system's
clock: a seed always gives the same applications and summary.  Ids, lookup secrets
and one-time codes are seeded too, so a demo store is never for real applications.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, time
from pathlib import Path
from typing import Any, cast

import attrs

from onestop.calendars import calendar_versions, counted_years
from onestop.cli._common import NO_CALENDAR
from onestop.cli.demo._simulation import (
    GUARDS,
    GUARDS_WITHOUT_DESK,
    START,
    ManualClock,
    Progress,
    SeededIds,
    Simulation,
)
from onestop.cli.demo._store import (
    DEFAULT_STORE,
    DEMO_CONSUMER,
    BrokenEntry,
    StoreAudit,
    every_summary,
    open_demo_store,
    redact,
    sqlite_file,
    verify_store,
)
from onestop.domain.applications.tracking import Outcome, sla_outcome
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.common.formats import kind_of
from onestop.domain.time.versions import CalendarVersion, in_force
from onestop.exceptions import ConfigurationError
from onestop.ports.events import BatchStore, EventStore
from onestop.ports.keys import MasterKeyProvider, SubjectKeyStore
from onestop.privacy import FileKeyProvider, Keyring, StaticKeyProvider, generate_key_file
from onestop.samples import sample_catalogue
from onestop.transport.recording import RecordingTransport
from onestop.transport.relay import Relay
from onestop.usecases.catalogue.loading import load_catalogue
from onestop.usecases.courier.queries import CourierFacts
from onestop.usecases.mall import Mall

__all__ = [
    "BrokenEntry",
    "default_catalogue",
    "DEFAULT_STORE",
    "DEMO_CONSUMER",
    "DemoSummary",
    "open_demo_store",
    "Progress",
    "run_demo",
    "START",
    "StoreAudit",
    "verify_store",
]


@attrs.frozen(kw_only=True)
class DemoSummary:
    """What a demo run did; the counts are taken from the store at the end.

    Attributes:
        applications: Applications submitted.
        by_status: Applications per current state; withdrawn ones count under
            ``withdrawn``, so each application counts once.
        by_service: Applications per service code.
        by_channel: Applications per channel.
        on_time: Applications decided (closed in a final state) by their due date.
        late: Applications decided after it.
        decided: ``on_time + late``.
        withdrawn: Applications withdrawn by the applicant.
        open: Applications open and within their deadline (or with the clock paused).
        overdue: Applications open and past their due date.
        on_time_rate: Per agency, the share of its decided applications decided on
            time (``None`` when none was decided).
        timers_fired: Transitions the timers fired (escalations, expiries).
        sent_back: Times a file was sent back to the applicant for corrections.
        courier_desk: Whether couriers worked through the courier desk.
        courier_pickups: Documents collected at a citizen's door (courier desk only).
        courier_deliveries: Results handed to the citizen at the door by a courier.
        custody_chains_verified: Packets whose custody chains were verified intact.
        application_chains_verified: Applications whose hash chains were verified intact.
        events: Events stored, courier streams included.
        events_relayed: Events a relay delivered to a recording transport.
        store: The store's URL, without any password.
        seed: The seed.
        days: Days of arrivals.
        follow_up_days: Working days simulated after the last day of arrivals.
        applications_per_day: Arrivals per day.
        started: When the simulation started.
        ended: When it ended; open applications are judged at this instant.
        tracking_example: One application's number and lookup secret, for ``onestop track``.
        key_file: The master key file personal data was sealed with, or ``None`` if the
            key was made for this run only (a store other than a SQLite file).
        catalogue: The catalogue played, as the next commands are given it (``--catalogue``).
        officer_role: A role of the catalogue's workflows for the suggested
            ``onestop pii sweep --role``: ``agency_officer`` if they name it (the
            sample's), else the one the most actions name.
    """

    applications: int
    by_status: Mapping[str, int]
    by_service: Mapping[str, int]
    by_channel: Mapping[str, int]
    on_time: int
    late: int
    decided: int
    withdrawn: int
    open: int
    overdue: int
    on_time_rate: Mapping[str, float | None]
    timers_fired: int
    sent_back: int
    courier_desk: bool
    courier_pickups: int
    courier_deliveries: int
    custody_chains_verified: int
    application_chains_verified: int
    events: int
    events_relayed: int
    store: str
    seed: int
    days: int
    follow_up_days: int
    applications_per_day: int
    started: datetime
    ended: datetime
    tracking_example: tuple[str, str] | None = attrs.field(default=None, repr=False)
    key_file: str | None = None
    catalogue: str = ""
    officer_role: str = "agency_officer"

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-ready values, instants in ISO 8601."""
        found = attrs.asdict(self, recurse=False)
        found["started"], found["ended"] = self.started.isoformat(), self.ended.isoformat()
        for name in ("by_status", "by_service", "by_channel", "on_time_rate"):
            found[name] = dict(found[name])
        example = self.tracking_example
        found["tracking_example"] = example and {"number": example[0], "secret": example[1]}
        return found

    def to_text(self) -> str:
        """Return the summary for people: counts by service, status and agency, then next steps."""
        when, file = "%a %d %b %Y %H:%M", sqlite_file(self.store)
        courier = (
            f"Courier: {self.courier_pickups} pickups at the door, {self.courier_deliveries} "
            f"deliveries to the door; custody chains verified: {self.custody_chains_verified}"
            if self.courier_desk
            else f"Courier deliveries: {self.courier_deliveries}, through the workflow only (this "
            "store cannot keep courier custody ledgers); custody chains verified: 0"
        )
        lines = [
            (
                f"Simulated {self.started:{when}} to {self.ended:{when}} {self.ended.tzname()}: "
                f"{self.days} day(s) of arrivals and {self.follow_up_days} more working "
                f"day(s), seed {self.seed}"
            ),
            f"Store: {self.store}" + (f" ({file.resolve()})" if file is not None else ""),
            "",
            f"Applications: {self.applications} ("
            + ", ".join(f"{k} {v}" for k, v in self.by_channel.items())
            + ")",
            "By service:",
            *(f"  {code:<26} {count:>5}" for code, count in self.by_service.items()),
            "By status:",
            *(f"  {state:<26} {count:>5}" for state, count in self.by_status.items()),
            (
                f"SLA at the end: decided {self.decided} (on time {self.on_time}, late "
                f"{self.late}), withdrawn {self.withdrawn}, open {self.open}, "
                f"overdue {self.overdue}"
            ),
            "On-time rate by agency:",
            *(
                f"  {agency:<26} " + ("    -" if rate is None else f"{rate:>6.1%}")
                for agency, rate in self.on_time_rate.items()
            ),
            f"Sent back for corrections: {self.sent_back}; timers fired: {self.timers_fired}",
            courier,
            (
                f"Application chains verified: {self.application_chains_verified} of "
                f"{self.applications}"
            ),
            f"Events relayed: {self.events_relayed} of {self.events}",
        ]
        if self.tracking_example is not None and not self.store.startswith("memory:"):
            number, secret = self.tracking_example
            keys = f" --key-file {self.key_file}" if self.key_file is not None else ""
            keys += f" --catalogue {self.catalogue}" if self.catalogue else ""
            lines += [
                "",
                "Personal data is sealed; "
                + (
                    f"the master key is in {self.key_file}."
                    if self.key_file is not None
                    else "its key was not kept (give --key-file to keep one)."
                ),
                "Next, try:",
                f"  onestop track {number} --secret {secret} --store {self.store}{keys}",
                f"  onestop sla report --store {self.store} --at {self.ended.isoformat()}{keys}",
                f"  onestop audit verify --store {self.store}",
            ]
            if keys:
                lines.append(
                    f"  onestop pii sweep --dry-run --store {self.store}{keys} "
                    f"--actor dpo-officer --role {self.officer_role}"
                )
        return "\n".join(lines)


def default_catalogue() -> Path:
    """Return the sample Jakarta catalogue shipped in the package (`onestop.samples`).

    Raises:
        ConfigurationError: If the package was installed without its data files.
    """
    return sample_catalogue("jakarta")


def _count_events(store: EventStore) -> int:
    count = position = 0
    while page := store.notifications(after=position, limit=1000):
        count, position = count + len(page), page[-1].position
    return count


class _Positions:
    """The store as the demo's relay sees it: positions are written once, at the end.

    A relay records its position after every message, one durable write each; the
    demo relays its whole log in one go, so it keeps them here and writes the last.
    """

    def __init__(self, store: EventStore) -> None:
        self.store, self.kept = store, dict[str, int]()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def position(self, consumer: str, /) -> int:
        return self.kept.get(consumer) or self.store.position(consumer)

    def record_position(self, consumer: str, position: int, /) -> None:
        self.kept[consumer] = position

    def flush(self) -> None:
        for consumer, position in self.kept.items():
            self.store.record_position(consumer, position)


def _relay(store: EventStore, clock: ManualClock, seed: int) -> int:
    """Relay the notification log to a recording transport; return how many were delivered."""
    positions = _Positions(store)
    relay = Relay(
        cast(EventStore, positions),
        {"agency-gateway": RecordingTransport("agency-gateway")},
        consumer=DEMO_CONSUMER,
        batch=1000,
        clock=clock,
        rng=random.Random(seed),  # noqa: S311 - retry jitter, not secrets
    )
    delivered = 0
    while True:
        report = relay.run_once()
        delivered += report.delivered
        if not report.more or not report.delivered:
            positions.flush()
            return delivered


def _tracking_example(secrets: list[tuple[str, str]], counting: set[str]) -> tuple[str, str] | None:
    """The first application still counting a due date, so that ``onestop track`` shows
    one; the first application if every one is closed."""
    for number, secret in secrets:
        if number in counting:
            return number, secret
    return secrets[0] if secrets else None


def _summarise(sim: Simulation, **settings: Any) -> DemoSummary:
    mall, now = sim.mall, sim.end
    tally: dict[str, Counter[str]] = {"status": Counter(), "service": Counter()}
    tally |= {"channel": Counter(), "outcome": Counter(), "chains": Counter()}
    per_agency: dict[str, Counter[str]] = {}
    counting: set[str] = set()  # the numbers of applications with a due date
    for row in every_summary(mall.store):
        if row.due is not None:
            counting.add(row.number)
        app = mall.application(row.stream_id)
        judged = sla_outcome(
            app, calendar=app.counting_calendar(mall.calendar(app.agency, at=app.received)), now=now
        ).outcome
        tally["status"]["withdrawn" if judged is Outcome.WITHDRAWN else app.state] += 1
        tally["service"][app.service] += 1
        tally["channel"][app.channel.value] += 1
        tally["outcome"][judged.value] += 1
        per_agency.setdefault(app.agency, Counter())[judged.value] += 1
        tally["chains"]["deliveries"] += any(s.action == "deliver" for s in app.steps)
    audit = verify_store(mall.store)
    broken = Counter(b.stream.partition(":")[0] if ":" in b.stream else "app" for b in audit.broken)
    rates: dict[str, float | None] = {}
    for agency, counts in sorted(per_agency.items()):
        decided = counts["on_time"] + counts["late"]
        rates[agency] = round(counts["on_time"] / decided, 4) if decided else None
    outcome = tally["outcome"]
    return DemoSummary(
        applications=sum(tally["status"].values()),
        by_status=dict(sorted(tally["status"].items())),
        by_service=dict(sorted(tally["service"].items())),
        by_channel=dict(sorted(tally["channel"].items())),
        on_time=outcome["on_time"],
        late=outcome["late"],
        decided=outcome["on_time"] + outcome["late"],
        withdrawn=outcome["withdrawn"],
        open=outcome["open"],
        overdue=outcome["overdue"],
        on_time_rate=rates,
        timers_fired=sim.counts["timers_fired"],
        sent_back=sim.counts["sent_back"],
        courier_desk=sim.desk is not None,
        courier_pickups=sim.counts["courier_pickups"],
        courier_deliveries=tally["chains"]["deliveries"],
        custody_chains_verified=audit.packets - broken["packet"],
        application_chains_verified=audit.applications - broken["app"],
        events=_count_events(mall.store),
        started=sim.start,
        ended=now,
        tracking_example=_tracking_example(sim.secrets, counting),
        **settings,
    )


def run_demo(
    *,
    store_url: str,
    days: int = 1,
    seed: int = 0,
    applications_per_day: int = 150,
    follow_up_days: int = 5,
    catalogue_path: str | Path | None = None,
    progress: Progress | None = None,
    key_file: str | Path | None = None,
) -> DemoSummary:
    """Simulate *days* working days of arrivals at the sample mall, then *follow_up_days*.

    Args:
        store_url: Where to keep everything (`onestop.storage.from_url`): an empty
            store, or a SQLite file an earlier demo wrote, which is replaced.
        days: Working days on which citizens arrive, 1 to 60.
        seed: Seeds every random choice: the same seed gives the same summary.
        applications_per_day: Arrivals per day, 1 to 5000.
        follow_up_days: Working days after the last day of arrivals, 0 to 60.
        catalogue_path: The catalogue to play; ``examples/jakarta`` when ``None``.
        progress: Told ``(done, total)``, in simulated minutes, as the clock moves.
        key_file: The master key file to seal personal data with.  By default the key
            file next to a SQLite store (``<file>.keys``, made with mode 0600 unless it
            exists), or a key made for this run only for any other store.

    Raises:
        ConfigurationError: If a count or the seed is out of range (the seed a whole
            number of 64 bits), *catalogue_path* is not a path
            or the catalogue is not found, the store is not empty, or the key file cannot
            be read or made.
        OnestopError: If the catalogue is invalid or the store fails.
    """
    limits: tuple[tuple[str, object, int, int], ...] = (
        ("days", days, 1, 60),
        ("applications_per_day", applications_per_day, 1, 5000),
        ("follow_up_days", follow_up_days, 0, 60),
        ("seed", seed, -(2**63), 2**63 - 1),  # a seed is shown in the summary and ids
    )
    for name, value, low, high in limits:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigurationError(f"{name} must be a whole number from {low} to {high}")
    given: object = catalogue_path
    if given is not None and not isinstance(given, str | os.PathLike):
        raise ConfigurationError(f"catalogue_path must be a path, not {kind_of(given)}")
    try:
        source = Path(catalogue_path) if catalogue_path is not None else default_catalogue()
    except TypeError:  # a path-like object giving bytes
        raise ConfigurationError("catalogue_path must be a path of text") from None
    catalogue = load_catalogue(source, known_guards=GUARDS.names())
    versions = _calendar_versions(catalogue)
    calendar = in_force(versions, [], START.date())
    if calendar is None:
        raise ConfigurationError(f"the catalogue has no calendar in force on {START.date()}")
    zone = calendar.calendar.zone
    start = START.replace(tzinfo=zone)
    rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not secrets
    ids = SeededIds(random.Random(f"onestop-demo-ids:{seed}"))  # noqa: S311 - demo ids
    store = open_demo_store(store_url)
    try:
        provider, kept = _master_keys(store_url, key_file)
        clock = ManualClock(start)
        couriers = isinstance(store, BatchStore)
        mall = Mall(
            catalogue=catalogue,
            store=store,
            clock=clock,
            calendar_versions=versions,
            ids=ids,
            guards=GUARDS if couriers else GUARDS_WITHOUT_DESK,
            courier_facts=CourierFacts(store) if couriers else None,
            keys=Keyring(provider, cast(SubjectKeyStore, store)),
        )
        working = [start.date()]
        while len(working) < days + follow_up_days:
            evening = datetime.combine(working[-1], time(23), zone)
            working.append(calendar.calendar.next_opening(evening).date())
        end = datetime.combine(working[-1], time(16), zone)
        sim = Simulation(mall, clock, rng, end)
        sim.plan(working, arriving=days, per_day=applications_per_day)
        sim.run(progress)
        clock.current = end
        sim.timers()
        return _summarise(
            sim,
            events_relayed=_relay(store, clock, seed),
            store=redact(store_url),
            seed=seed,
            days=days,
            follow_up_days=follow_up_days,
            applications_per_day=applications_per_day,
            key_file=kept,
            catalogue=str(source),
            officer_role=_officer_role(catalogue),
        )
    finally:
        store.close()


def _officer_role(catalogue: Catalogue) -> str:
    """``agency_officer`` if the catalogue's actions name it, else the role the most name."""
    named = Counter(r for w in catalogue.workflows for t in w.transitions for r in t.roles)
    if "agency_officer" in named or not named:
        return "agency_officer"
    return named.most_common(1)[0][0]


def _calendar_versions(catalogue: Catalogue) -> tuple[CalendarVersion, ...]:
    """The catalogue's calendars for the demo's years, or `ConfigurationError` naming the fix."""
    if not catalogue.calendars:
        raise ConfigurationError(NO_CALENDAR)
    return calendar_versions(catalogue, years=counted_years(catalogue, around=START.year))


def _master_keys(
    store_url: str, key_file: str | Path | None
) -> tuple[MasterKeyProvider, str | None]:
    """The demo's master keys, and the file they are kept in (``None``: this run only)."""
    if key_file is None:
        path = sqlite_file(store_url)
        if path is None:
            return StaticKeyProvider.generate("mk-demo"), None
        key_file = path.with_name(path.name + ".keys")
        if not key_file.exists():
            generate_key_file(key_file, key_id="mk-demo")
    return FileKeyProvider(key_file), str(key_file)
