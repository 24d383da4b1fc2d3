"""A country onestop has no example of, from data files written here and nothing else.

Chile: Spanish, the Chilean peso (no minor unit), America/Santiago (daylight saving time
since the first Sunday of September 2025), the RUT checked by python-stdnum, and public
offices open Monday to Thursday 08:30-13:00 and 14:00-17:30, Friday to 16:30.  No Python
calendar or validator is written: the files declare them and the mall is built from them.

The due date is worked out by hand from the official list of 2025 public holidays (Ley
2.977 and later laws; Fiestas Patrias on Thursday 18 and Friday 19 September 2025).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from onestop import Actor, ChannelKind, Mall, Person, calendar_versions, load_catalogue
from onestop.cli import cli
from onestop.exceptions import InvalidApplication, InvalidCatalogue
from onestop.ports.events import SummaryQuery
from onestop.storage import from_url

SANTIAGO = ZoneInfo("America/Santiago")

CATALOGUE = """\
[catalogue]
name = { es = "ChileAtiende Santiago Centro", en = "ChileAtiende, central Santiago" }
languages = ["es", "en"]

[[agencies]]
code = "registro-civil"
name = { es = "Servicio de Registro Civil e Identificación", en = "Civil Registry Service" }
kind = "national"
time_zone = "America/Santiago"

[[identity_schemes]]
code = "cl-rut"
name = { es = "Rol Único Tributario", en = "Unique tax role number (RUT)" }
stdnum = "cl.rut"

[[calendars]]
version = 1
effective_from = 2024-01-01
time_zone = "America/Santiago"
country = "CL"
categories = ["public"]
language = "es"

[calendars.hours]
mon = ["08:30-13:00", "14:00-17:30"]
tue = ["08:30-13:00", "14:00-17:30"]
wed = ["08:30-13:00", "14:00-17:30"]
thu = ["08:30-13:00", "14:00-17:30"]
fri = ["08:30-13:00", "14:00-16:30"]
"""

SERVICES = """\
[[services]]
code = "certificado-antecedentes"
version = 1
status = "published"
effective_from = 2025-01-01
agency = "registro-civil"
name = { es = "Certificado de antecedentes", en = "Criminal record certificate" }
kind = "non_licensing"
time_limit = "5 working days"
service_norm = "3 working days"
workflow = "certificado"

[[services.channels]]
channel = "counter"

[[services.fees]]
code = "derecho"
label = { es = "Derecho", en = "Fee" }
currency = "CLP"
amount = 1000
"""

WORKFLOWS = """\
[[workflows]]
code = "certificado"
version = 1
roles = ["verifier", "approver"]

[[workflows.states]]
name = "submitted"
kind = "initial"
label = { es = "Recibida", en = "Received" }

[[workflows.states]]
name = "issued"
kind = "success"
label = { es = "Emitido", en = "Issued" }

[[workflows.states]]
name = "rejected"
kind = "failure"
label = { es = "Rechazada", en = "Rejected" }

[[workflows.transitions]]
action = "issue"
sources = ["submitted"]
target = "issued"
roles = ["approver"]

[[workflows.transitions]]
action = "reject"
sources = ["submitted"]
target = "rejected"
roles = ["approver"]
"""

CITIZEN = Actor(id="ciudadana-1", roles={"applicant"})
OFFICER = Actor(id="oficial-7", roles={"approver"})


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


def _write(folder: Path, catalogue: str = CATALOGUE) -> Path:
    folder.mkdir()
    (folder / "catalogue.toml").write_text(catalogue, encoding="utf-8")
    (folder / "services.toml").write_text(SERVICES, encoding="utf-8")
    (folder / "workflows.toml").write_text(WORKFLOWS, encoding="utf-8")
    return folder


def _mall(folder: Path, clock: _Clock, url: str = "memory://") -> Mall:
    catalogue = load_catalogue(folder)
    return Mall(
        catalogue=catalogue,
        store=from_url(url),
        clock=clock,
        calendar_versions=calendar_versions(catalogue, years=[2024, 2025, 2026]),
    )


def _receipt(mall: Mall, rut: str) -> Any:
    return mall.submit(
        "certificado-antecedentes",
        channel=ChannelKind.COUNTER,
        applicant=Person.of(identity_number=rut, identity_scheme="cl-rut", name="Ana Pérez"),
        answers={},
        actor=CITIZEN,
    )


def _submit(mall: Mall, rut: str) -> str:
    return str(_receipt(mall, rut).application_id)


def _track(tmp_path: Path, clock: _Clock, *options: str) -> Any:
    """`onestop track` of an application submitted at *clock*'s time to a SQLite store
    on the Chilean files, in Spanish, with *options*."""
    folder = _write(tmp_path / "chile")
    url = f"sqlite:///{tmp_path / 'chile.sqlite3'}"
    mall = _mall(folder, clock, url)
    receipt = _receipt(mall, "12345678-5")
    mall.store.close()
    assert receipt.lookup_secret is not None
    return CliRunner().invoke(
        cli,
        ["track", receipt.number, "--secret", receipt.lookup_secret, "--store", url,
         "--catalogue", str(folder), "--language", "es", *options],
    )  # fmt: skip


def test_a_mall_from_files_only_counts_a_paused_application_on_the_declared_calendar(
    tmp_path: Path,
) -> None:
    """Submitted, paused across Fiestas Patrias and resumed: due when counted by hand.

    Received Tuesday 16 September 2025 at 10:00 with 5 working days: Wednesday 17 is day
    1; Thursday 18 and Friday 19 are Fiestas Patrias; Monday 22 to Thursday 25 are days
    2 to 5, so it would be due on Thursday 25 at 17:30.  Paused from Wednesday 17 at
    15:00 to Monday 22 at 10:00: 2.5 working hours on Wednesday (15:00-17:30), none on
    the holidays or the weekend, 1.5 on Monday (08:30-10:00): 4 hours, added after
    Thursday 25 17:30: Friday 26 08:30-12:30.
    """
    clock = _Clock(datetime(2025, 9, 16, 10, 0, tzinfo=SANTIAGO))
    mall = _mall(_write(tmp_path / "chile"), clock)
    application_id = _submit(mall, "12.345.678-5")
    assert mall.deadline(application_id).due == datetime(2025, 9, 25, 17, 30, tzinfo=SANTIAGO)

    clock.current = datetime(2025, 9, 17, 15, 0, tzinfo=SANTIAGO)
    mall.suspend(application_id, reason="awaiting_applicant", actor=OFFICER)
    assert mall.deadline(application_id).due is None
    clock.current = datetime(2025, 9, 22, 10, 0, tzinfo=SANTIAGO)
    mall.resume(application_id, actor=OFFICER)

    due = datetime(2025, 9, 26, 12, 30, tzinfo=SANTIAGO)
    assert mall.deadline(application_id).due == due
    (row,) = mall.worklist(limit=10).items
    assert row.due == due


def test_the_command_line_tracks_the_same_due_date(tmp_path: Path) -> None:
    """`onestop track` on the same files and a SQLite store gives the Python API's due date."""
    result = _track(tmp_path, _Clock(datetime(2025, 9, 16, 10, 0, tzinfo=SANTIAGO)), "--json")
    assert result.exit_code == 0, result.output
    assert '"due": "2025-09-25T17:30:00-03:00"' in result.stdout


def test_the_command_line_writes_history_times_in_the_agency_zone(tmp_path: Path) -> None:
    """`onestop track` writes a step recorded in UTC in the agency's zone, as the due date."""
    from onestop.locales import format_datetime

    received = datetime(2025, 9, 16, 13, 0, tzinfo=ZoneInfo("UTC"))  # 10:00 in Santiago
    result = _track(tmp_path, _Clock(received))
    assert result.exit_code == 0, result.output
    history = result.stdout.splitlines()[2].strip()
    assert history.startswith(format_datetime(received.astimezone(SANTIAGO), "es"))


def test_a_wrong_rut_is_refused_by_the_declared_scheme(tmp_path: Path) -> None:
    """A RUT whose check digit is wrong is refused, with no validator written in Python."""
    mall = _mall(_write(tmp_path / "chile"), _Clock(datetime(2025, 9, 16, 10, tzinfo=SANTIAGO)))
    with pytest.raises(InvalidApplication, match=r"applicant\.identity_number"):
        _submit(mall, "12.345.678-6")


def test_pesos_have_no_minor_unit(tmp_path: Path) -> None:
    """A fee of 1000.50 Chilean pesos is refused when the files are loaded, with its path."""
    folder = tmp_path / "chile"
    _write(folder)
    (folder / "services.toml").write_text(
        SERVICES.replace("amount = 1000", 'amount = "1000.50"'), encoding="utf-8"
    )
    with pytest.raises(InvalidCatalogue) as refused:
        load_catalogue(folder)
    assert any("fees[0]" in problem.path for problem in refused.value.problems)


def test_the_fee_is_due_in_whole_pesos(tmp_path: Path) -> None:
    """The declared fee comes back in pesos, with no decimals."""
    catalogue = load_catalogue(_write(tmp_path / "chile"))
    service = catalogue.service(
        "certificado-antecedentes", at=datetime(2025, 9, 16, tzinfo=SANTIAGO)
    )
    (due,) = service.fees_due("counter", {})
    assert (due.currency, due.amount) == ("CLP", Decimal(1000))


def test_the_command_line_recounts_after_the_calendar_files_change(tmp_path: Path) -> None:
    """`onestop calendar recount` records the move a newly declared closure makes, once."""
    folder = _write(tmp_path / "chile")
    url = f"sqlite:///{tmp_path / 'recount.sqlite3'}"
    catalogue = load_catalogue(folder)
    mall = Mall(  # on the system clock: the command line counts as of now too
        catalogue=catalogue,
        store=from_url(url),
        calendar_versions=calendar_versions(catalogue, years=range(2024, 2031)),
    )
    application_id = _submit(mall, "12.345.678-5")
    before = mall.deadline(application_id).due
    mall.store.close()
    assert before is not None
    today = datetime.now(SANTIAGO).date()
    decree = f"""
[[calendars]]
version = 2
effective_from = 2025-01-01
[[calendars.closures]]
from = {today.isoformat()}T00:00:00
until = {(today + timedelta(days=40)).isoformat()}T00:00:00
reason = "Cierre por traslado de oficinas"
"""
    (folder / "decree.toml").write_text(decree, encoding="utf-8")

    def recount() -> dict[str, object]:
        result = CliRunner().invoke(
            cli,
            ["calendar", "recount", str(folder), "--store", url, "--actor", "operador-1",
             "--json"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        found: dict[str, object] = json.loads(result.stdout)
        return found

    assert recount()["moved"] == [application_id]
    assert recount()["moved"] == []
    store = from_url(url)
    try:
        (row,) = list(store.summaries(SummaryQuery(limit=10)).items)
        assert row.due is not None
        assert row.due > before
    finally:
        store.close()


def test_an_application_from_before_the_first_calendar_counts_on_the_first(
    tmp_path: Path,
) -> None:
    """Stored before the calendar's first version took effect, it is still read and reported.

    The mall first declared its calendar effective from 1 October 2025, after the
    application of 16 September: it counts on that first version (Fiestas Patrias still
    skipped, as the holidays are the country's), and the deadline, the SLA report and a
    recount all work.
    """
    folder = _write(tmp_path / "chile")
    clock = _Clock(datetime(2025, 9, 16, 10, 0, tzinfo=SANTIAGO))
    url = f"sqlite:///{tmp_path / 'early.sqlite3'}"
    application_id = _submit(_mall(folder, clock, url), "12.345.678-5")
    late = CATALOGUE.replace("effective_from = 2024-01-01", "effective_from = 2025-10-01")
    (folder / "catalogue.toml").write_text(late, encoding="utf-8")
    clock.current = datetime(2025, 9, 30, 10, 0, tzinfo=SANTIAGO)
    mall = _mall(folder, clock, url)
    try:
        assert mall.deadline(application_id).due == datetime(2025, 9, 25, 17, 30, tzinfo=SANTIAGO)
        assert sum(row.overdue for row in mall.sla_report()) == 1
        assert mall.recount_deadlines(mall.calendar_versions, actor=OFFICER) == ()
    finally:
        mall.store.close()
