"""A store written by the first release (1ea0039) opens, verifies and takes new commands today.

``tests/fixtures/release1/store.sqlite3`` was written once by that release
(``build.py`` beside it, run at that commit); ``expected.json`` holds what that release
read back from it.  Each test copies the file, so the committed one is never written.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from onestop import Actor, Mall, calendar_for, from_url, load_catalogue
from onestop.cli import EXIT_OK, main
from onestop.cli.demo import default_catalogue, verify_store
from onestop.domain.applications.events import Verdict
from onestop.domain.applications.submission import find_workflow
from onestop.domain.applications.tracking import public_status
from onestop.domain.courier.handoffs import (
    Confirmation,
    ManifestItem,
    Packet,
    Party,
    PartyKind,
)
from onestop.ports.events import EventStore, SummaryQuery
from onestop.usecases.catalogue.publishing import canonical_catalogue, published_catalogue
from onestop.usecases.courier.desk import CourierDesk

FIXTURE = Path(__file__).parent / "fixtures" / "release1"
EXPECTED: dict[str, Any] = json.loads((FIXTURE / "expected.json").read_text(encoding="utf-8"))
RELEASE1_SHA256 = "cfd7d413de18e6592febdc07c49c97c79248750470676773dc3c3816cf47af8f"
"""The committed store's digest, as README.md records it: the file is the release's bytes."""
WIB = ZoneInfo("Asia/Jakarta")
MONDAY = datetime(2025, 7, 21, 9, 0, tzinfo=WIB)  # after everything the fixture holds
VERIFIER = Actor(id="disdukcapil-dki-senior-1", roles={"verifier", "approver"})
COURIER = Actor(id="ajib-courier-07", roles={"courier"})


class _Clock:
    """A clock standing still on the Monday after the fixture's last event."""

    def now(self) -> datetime:
        """Return that Monday, 09:00 WIB."""
        return MONDAY


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A copy of the fixture's store, as a URL."""
    copy = tmp_path / "store.sqlite3"
    shutil.copyfile(FIXTURE / "store.sqlite3", copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def store(url: str) -> Iterator[EventStore]:
    """The copy, opened with today's `from_url`."""
    opened = from_url(url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def mall(store: EventStore) -> Mall:
    """Today's mall over the copy, on the sample catalogue and the Indonesian calendar."""
    return Mall(
        catalogue=load_catalogue(default_catalogue()),
        store=store,
        clock=_Clock(),
        calendars={"*": calendar_for("ID", years=range(2024, 2027))},
    )


@pytest.fixture
def desk(mall: Mall) -> CourierDesk:
    """Today's courier desk over the copy, with the key the fixture's codes were made with."""
    return CourierDesk(mall, otp_key=bytes.fromhex(EXPECTED["otp_key"]))


def _id(number: str) -> str:
    return str(EXPECTED["applications"][number]["id"])


def _extra(name: str) -> str:
    return str(EXPECTED["extras"][name])


def test_the_committed_store_is_the_one_the_release_wrote() -> None:
    """The committed file has the digest its build recorded, and the audit figures README states."""
    data = (FIXTURE / "store.sqlite3").read_bytes()
    assert hashlib.sha256(data).hexdigest() == RELEASE1_SHA256
    assert RELEASE1_SHA256 in (FIXTURE / "README.md").read_text(encoding="utf-8")
    audit = EXPECTED["audit"]
    found = (audit["applications"], audit["chains"], audit["packets"], audit["broken"])
    assert found == (len(EXPECTED["applications"]), 132, 14, 0)


def test_the_store_opens_with_todays_from_url(store: EventStore) -> None:
    """Today's `from_url` opens the first release's SQLite file and lists its applications."""
    rows = store.summaries(SummaryQuery(include_closed=True, limit=500)).items
    assert sorted(r.number for r in rows) == sorted(EXPECTED["applications"])
    for row in rows:
        assert row.stream_id == _id(row.number)


def test_verify_store_counts_every_chain_intact(store: EventStore) -> None:
    """`verify_store` checks as many applications, chains and packets as the release did."""
    audit = verify_store(store)
    assert audit.broken == ()
    found = (audit.applications, audit.chains, audit.packets)
    expected = EXPECTED["audit"]
    assert found == (expected["applications"], expected["chains"], expected["packets"])


def test_audit_verify_reports_every_chain_intact(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``onestop audit verify --json`` finds the release's chains all intact."""
    assert main(["audit", "verify", "--store", url, "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    expected = EXPECTED["audit"]
    assert report["ok"] is True
    assert report["broken"] == []
    assert (report["applications"], report["chains"], report["packets"]) == (
        expected["applications"],
        expected["chains"],
        expected["packets"],
    )


def test_every_application_folds_as_the_release_folded_it(mall: Mall) -> None:
    """Each application folds today to the state, version and flags the release read."""
    for number, expected in EXPECTED["applications"].items():
        app = mall.application(expected["id"])
        found = (app.number, app.state, app.version, app.is_closed, app.is_suspended)
        assert found == (number, expected["state"], expected["version"], *_flags(expected))
        assert mall.verify(app.id).ok


def test_every_open_application_keeps_its_due_date(mall: Mall) -> None:
    """Each open application's deadline, computed today, is the instant the release stored."""
    for expected in EXPECTED["applications"].values():
        if expected["due"] is not None:
            due = mall.deadline(expected["id"]).due
            assert due == datetime.fromisoformat(expected["due"])


def _flags(expected: dict[str, Any]) -> tuple[bool, bool]:
    return bool(expected["closed"]), bool(expected["suspended"])


def test_every_application_history_reads(mall: Mall) -> None:
    """Each application's public status and history read today as the release read them."""
    for expected in EXPECTED["applications"].values():
        app = mall.application(expected["id"])
        status = public_status(
            app,
            catalogue=mall.catalogue,
            workflow=find_workflow(mall.catalogue, app.workflow, app.workflow_version),
            deadline=mall.deadline(app.id),
            language="en",
        )
        found = (status.state, status.closed, len(status.history))
        assert found == (expected["public_state"], expected["closed"], expected["public_history"])


def test_tracking_with_the_lookup_secrets_reads(mall: Mall) -> None:
    """`Mall.track` answers for the numbers and lookup secrets the release handed out."""
    for tracked in EXPECTED["tracking"]:
        status = mall.track(tracked["number"], tracked["secret"], language="id")
        assert (status.number, status.state) == (tracked["number"], tracked["state"])


def test_the_officer_commands_fold(mall: Mall) -> None:
    """The release's note, assignment, verdicts, suspension and resumption fold today."""
    app = mall.application(_id(_extra("officer")))
    assert (app.assignee, app.is_suspended) == (VERIFIER.id, False)
    assert {code: app.verdict(code) for code in ("kk", "kehilangan")} == {
        "kk": "verified",
        "kehilangan": "rejected",
    }
    assert len(app.notes) == 2
    assert mall.application(_id(_extra("withdrawn"))).is_closed


def test_the_published_catalogue_reads_back(store: EventStore) -> None:
    """The catalogue the release published loads today, with its version, label and digest."""
    published = store.latest_catalogue()
    assert published is not None
    expected = EXPECTED["catalogue"]
    assert (published.version, published.label, published.digest) == (
        expected["version"],
        expected["label"],
        expected["digest"],
    )
    catalogue = published_catalogue(store)
    assert len(catalogue.service_codes()) == expected["services"]
    assert hashlib.sha256(canonical_catalogue(catalogue)).hexdigest() == expected["digest"]


def test_an_open_application_takes_a_new_officer_command(mall: Mall, store: EventStore) -> None:
    """Today's mall verifies the refused document and moves the file on; every chain holds."""
    app_id = _id(_extra("officer"))
    mall.check_document(app_id, "kehilangan", verdict=Verdict.VERIFIED, actor=VERIFIER)
    moved = mall.act(app_id, "verify", actor=VERIFIER)
    assert (moved.state, moved.version) == ("processing", 11)
    assert mall.verify(app_id).ok
    audit = verify_store(store)
    assert (audit.ok, audit.chains) == (True, EXPECTED["audit"]["chains"])


def test_the_courier_jobs_and_ledgers_read_back(desk: CourierDesk) -> None:
    """Every courier job and custody ledger reads today as the release read it."""
    for number, expected in EXPECTED["courier"].items():
        jobs = desk.jobs(_id(number))
        assert [[j.kind.value, j.status.value, j.version] for j in jobs] == expected["jobs"]
        for seal, packet in expected["packets"].items():
            ledger = desk.ledger(seal)
            mismatches = sum(e.kind == "manifest_mismatch" for e in ledger.events)
            found = (ledger.version, ledger.delivered, ledger.custodian.id, mismatches)
            assert found == (
                packet["version"],
                packet["delivered"],
                packet["custodian"],
                packet["mismatches"],
            )
            assert desk.verify_packet(seal).ok


def test_the_round_trip_with_its_mismatch_tracks(desk: CourierDesk) -> None:
    """Courier tracking reads today as the release read it, the miscounted round trip too."""
    for tracked in EXPECTED["tracking"]:
        found = desk.track_courier(tracked["number"], tracked["secret"], language="en")
        statuses = [job.status.value for job in found.jobs if job.status is not None]
        assert statuses == tracked["courier"]
    (round_trip,) = (t for t in EXPECTED["tracking"] if t["number"] == _extra("courier"))
    assert len(round_trip["courier"]) == 2
    assert desk.ledger("FX000003-documents").open_mismatch is None


def test_an_open_courier_job_takes_new_commands(
    mall: Mall, desk: CourierDesk, store: EventStore
) -> None:
    """Today's desk claims the release's booked pickup and collects at the door with a code."""
    app_id = _id(_extra("open_job"))
    (job,) = desk.jobs(app_id)
    claimed = desk.claim(job.id, COURIER)
    assert (claimed.status.value, claimed.courier_id) == ("assigned", COURIER.id)
    app = mall.application(app_id)
    items = tuple(ManifestItem(code, doc.sha256) for code, doc in sorted(app.documents.items()))
    door = f"{job.id}-door"
    desk.seal_and_collect(
        job.id,
        Packet("FX000004-documents", items, len(items)),
        handoff_id=door,
        courier=Confirmation.by_pin(Party(PartyKind.COURIER, COURIER.id), "pin-verified"),
        citizen_code=desk.issue_handoff_code(job.id, door),
        proof_sha256=hashlib.sha256(b"signature").hexdigest(),
    )
    assert desk.job(job.id).status.value == "in_progress"
    assert desk.verify_packet("FX000004-documents").ok
    audit = verify_store(store)
    expected = EXPECTED["audit"]
    assert audit.ok
    assert (audit.chains, audit.packets) == (expected["chains"] + 1, expected["packets"] + 1)
