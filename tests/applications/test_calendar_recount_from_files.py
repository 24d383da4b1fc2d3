"""A joint-leave day decreed mid-year, in catalogue files only: every reader agrees throughout.

A mall in Jakarta declares its calendar in ``[[calendars]]`` (Indonesia's public
holidays, Monday to Friday 08:00-16:00 WIB).  Four applications are open in a SQLite
store, one per service so that the SLA report, which counts per agency and service,
tells each one's due date apart.  On Tuesday 15 July 2025 a decree closes the offices
on Friday 18 July (*cuti bersama*): a second calendar version, effective that day, is
added to the files, and ``onestop calendar recount`` moves the open applications onto
it.  Before and after the recount, for every open application, the worklist (the read
model: `Mall.worklist` and a `SummaryQuery` on the store), `Mall.track`, `Mall.sla_report`,
``onestop track --json`` and ``onestop sla report --json`` give one due date.

No Python calendar is built.  The due dates are counted by hand: July 2025 has no
public holiday in Indonesia (Islamic New Year fell on Friday 27 June, Independence Day
is on 17 August; SKB 3 Menteri 2025), so only weekends and the decreed day are skipped,
and the day of receipt is not counted.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from onestop import Actor, Mall, Person, calendar_versions, load_catalogue
from onestop.cli import cli
from onestop.exceptions import DateOutOfRange
from onestop.ports.events import SummaryQuery
from onestop.storage import from_url

WIB = ZoneInfo("Asia/Jakarta")
CITIZEN = Actor(id="warga-1", roles={"applicant"})
SECOND = timedelta(seconds=1)

CATALOGUE = """\
[catalogue]
name = { id = "MPP Jakarta Timur", en = "East Jakarta public service mall" }
languages = ["id", "en"]

[[agencies]]
code = "dpmptsp"
name = { id = "DPMPTSP Jakarta Timur", en = "East Jakarta one-stop licensing office" }
kind = "regional"
time_zone = "Asia/Jakarta"

[[identity_schemes]]
code = "id-nik"
name = { id = "Nomor Induk Kependudukan", en = "Population identity number" }
pattern = "^[0-9]{16}$"
length = 16
"""

CALENDAR_V1 = """\
[[calendars]]
version = 1
effective_from = 2025-01-01
time_zone = "Asia/Jakarta"
country = "ID"
categories = ["public"]
language = "id"

[calendars.hours]
mon = ["08:00-16:00"]
tue = ["08:00-16:00"]
wed = ["08:00-16:00"]
thu = ["08:00-16:00"]
fri = ["08:00-16:00"]
"""

DECREE = """\
[[calendars]]
version = 2
effective_from = 2025-07-15
[[calendars.closures]]
date = 2025-07-18
reason = "Cuti bersama (keputusan bersama, 15 Juli 2025)"
"""

WORKFLOWS = """\
[[workflows]]
code = "izin"
version = 1
roles = ["approver"]

[[workflows.states]]
name = "submitted"
kind = "initial"
label = { id = "Diterima", en = "Received" }

[[workflows.states]]
name = "issued"
kind = "success"
label = { id = "Terbit", en = "Issued" }

[[workflows.transitions]]
action = "issue"
sources = ["submitted"]
target = "issued"
roles = ["approver"]
"""


def _service(code: str, days: int) -> str:
    return f"""\
[[services]]
code = "{code}"
version = 1
status = "published"
effective_from = 2025-01-01
agency = "dpmptsp"
name = {{ id = "Izin {code}", en = "Permit {code}" }}
kind = "non_licensing"
time_limit = "{days} working days"
service_norm = "{days} working days"
workflow = "izin"

[[services.channels]]
channel = "counter"
"""


def _at(day: int, hour: int, month: int = 7) -> datetime:
    return datetime(2025, month, day, hour, 0, tzinfo=WIB)


# service, working days, received, due on version 1, due on version 2 (counted by hand)
CASES = (
    # Mon 14 Jul: Tue 15, Wed 16, Thu 17, Fri 18, Mon 21 -> Mon 21; without Fri 18 -> Tue 22.
    ("izin-a", 5, _at(14, 10), _at(21, 16), _at(22, 16)),
    # Tue 15 Jul: 16 17 18 21 22 23 24 25 28 29 -> Tue 29; without 18 -> Wed 30.
    ("izin-b", 10, _at(15, 9), _at(29, 16), _at(30, 16)),
    # Mon 7 Jul: Tue 8, Wed 9, Thu 10 -> Thu 10, before the decreed day: not moved.
    ("izin-c", 3, _at(7, 11), _at(10, 16), _at(10, 16)),
    # Fri 11 Jul, after hours: Mon 14, Tue 15, Wed 16, Thu 17 -> Thu 17, the eve: not moved.
    ("izin-d", 4, _at(11, 17), _at(17, 16), _at(17, 16)),
)


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


def _write(folder: Path) -> Path:
    folder.mkdir()
    (folder / "catalogue.toml").write_text(CATALOGUE, encoding="utf-8")
    (folder / "calendars.toml").write_text(CALENDAR_V1, encoding="utf-8")
    (folder / "workflows.toml").write_text(WORKFLOWS, encoding="utf-8")
    services = "\n".join(_service(code, days) for code, days, *_ in CASES)
    (folder / "services.toml").write_text(services, encoding="utf-8")
    return folder


def _mall(folder: Path, url: str, clock: _Clock) -> Mall:
    """A mall on the files' calendar, as the command line resolves it."""
    catalogue = load_catalogue(folder)
    return Mall(
        catalogue=catalogue,
        store=from_url(url),
        clock=clock,
        calendar_versions=calendar_versions(catalogue, years=range(2024, 2029)),
    )


def _cli(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def _sla_due(rows: dict[datetime, dict[str, tuple[int, int]]], service: str) -> set[datetime]:
    """The instants *t* probed at which *service*'s application is open at *t* and overdue at
    *t* + 1 s: its due date as the SLA report sees it ("by 16:00" includes 16:00)."""
    return {
        at
        for at in rows
        if at + SECOND in rows
        and rows[at][service] == (1, 0)
        and rows[at + SECOND][service] == (0, 1)
    }


def _readers(
    mall: Mall, folder: Path, url: str, tracked: dict[str, tuple[str, str, str]]
) -> dict[str, dict[str, set[datetime]]]:
    """For each application (by service): reader name -> the due date(s) it gives."""
    where = ("--store", url, "--catalogue", str(folder))
    rows = {row.stream_id: row.due for row in mall.worklist(limit=100).items}
    summaries = {
        row.stream_id: row.due for row in mall.store.summaries(SummaryQuery(limit=100)).items
    }
    probes = sorted({d for found in rows.values() if found for d in (found, found + SECOND)})
    probes += [
        d + s for _, _, _, old, new in CASES for d in (old, new) for s in (0 * SECOND, SECOND)
    ]
    api: dict[datetime, dict[str, tuple[int, int]]] = {}
    command: dict[datetime, dict[str, tuple[int, int]]] = {}
    for at in sorted(set(probes)):
        api[at] = {r.service: (r.open, r.overdue) for r in mall.sla_report(now=at)}
        report = _cli("sla", "report", *where, "--at", at.isoformat())
        command[at] = {r["service"]: (r["open"], r["overdue"]) for r in report["rows"]}
    found: dict[str, dict[str, set[datetime]]] = {}
    for service, (app_id, number, secret) in tracked.items():
        cli_status = _cli("track", number, "--secret", secret, "--language", "en", *where)
        found[service] = {
            "worklist": {rows[app_id]},
            "summary query": {summaries[app_id]},
            "deadline": {mall.deadline(app_id).due},
            "track": {mall.track(number, secret, language="en").due},
            "sla_report": _sla_due(api, service),
            "onestop track": {datetime.fromisoformat(cli_status["due"])},
            "onestop sla report": _sla_due(command, service),
        }
    return found


def _recount(folder: Path, url: str) -> list[str]:
    found = _cli("calendar", "recount", str(folder), "--store", url, "--actor", "ops-kalender")
    moved: list[str] = found["moved"]
    return moved


def test_every_reader_agrees_before_and_after_a_decree_in_the_files(tmp_path: Path) -> None:
    """Worklist, tracking, SLA report and the CLI give one due date before and after recount."""
    folder = _write(tmp_path / "jakarta-timur")
    url = f"sqlite:///{tmp_path / 'mall.sqlite3'}"
    clock = _Clock(_at(7, 11))
    mall = _mall(folder, url, clock)
    tracked: dict[str, tuple[str, str, str]] = {}
    for service, _, received, _, _ in CASES:
        clock.current = received
        receipt = mall.submit(
            service,
            channel="counter",
            applicant=Person.of(
                identity_number="3175014506900001", identity_scheme="id-nik", name="Siti"
            ),
            answers={},
            actor=CITIZEN,
        )
        assert receipt.lookup_secret is not None
        tracked[service] = (receipt.application_id, receipt.number, receipt.lookup_secret)
    clock.current = _at(15, 10)  # the decree is signed; nothing is recounted yet

    before = _readers(mall, folder, url, tracked)
    mall.store.close()
    for service, _, _, old, _ in CASES:
        assert before[service] == {reader: {old} for reader in before[service]}, service

    (folder / "decree.toml").write_text(DECREE, encoding="utf-8")
    moved = _recount(folder, url)

    mall = _mall(folder, url, clock)  # the files as they are now
    try:
        assert sorted(moved) == sorted(tracked[s][0] for s, _, _, old, new in CASES if old != new)
        after = _readers(mall, folder, url, tracked)
        for service, _, _, _, new in CASES:
            assert after[service] == {reader: {new} for reader in after[service]}, service
        assert _recount(folder, url) == []
    finally:
        mall.store.close()


def test_a_deadline_in_a_year_without_listed_holidays_is_refused_not_guessed(
    tmp_path: Path,
) -> None:
    """Received on 28 December 2100, due in 2101: the holidays of 2101 are not known.

    The `holidays` package lists none after 2100, so the submission is refused with
    `DateOutOfRange` naming the years the calendar lists, and nothing is stored; the
    SLA report judged in 2101 still reads the application received earlier, whose
    due date needs no day of 2101.
    """
    folder = _write(tmp_path / "jakarta-timur")
    url = f"sqlite:///{tmp_path / 'mall.sqlite3'}"
    catalogue = load_catalogue(folder)
    clock = _Clock(_at(14, 10))
    mall = Mall(
        catalogue=catalogue,
        store=from_url(url),
        clock=clock,
        calendar_versions=calendar_versions(catalogue, years=range(2024, 2102)),
    )
    applicant = Person.of(identity_number="3175014506900001", identity_scheme="id-nik", name="S")
    mall.submit("izin-a", channel="counter", applicant=applicant, answers={}, actor=CITIZEN)
    clock.current = datetime(2100, 12, 28, 10, 0, tzinfo=WIB)
    try:
        with pytest.raises(DateOutOfRange, match="holidays of 2024 to 2100 only"):
            mall.submit("izin-a", channel="counter", applicant=applicant, answers={}, actor=CITIZEN)
        assert len(mall.store.summaries(SummaryQuery(limit=10)).items) == 1
    finally:
        mall.store.close()
    where = ("--store", url, "--catalogue", str(folder))
    report = _cli("sla", "report", *where, "--at", "2101-03-01T00:00:00Z")
    assert report["total"]["overdue"] == 1
