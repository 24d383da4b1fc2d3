"""A store written before events carried schema versions keeps loading, verifying and growing.

``tests/fixtures/unversioned/store.sqlite3`` was written by the code of commit 3c841cb
(``tests/fixtures/unversioned/make_store.py``): two applications through the courier
channel, their jobs, packets, codes and, for one of them, a manifest mismatch whose
alert the courier index recorded in the old shape.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from desk_support import COUNTER, COURIER, ORIGINALS, new_desk, staff_handoff

from onestop.cli.demo import every_summary, verify_store
from onestop.storage.sqlite import SQLiteStore
from onestop.usecases.applications.writer import load_application
from onestop.usecases.courier import writer

FIXTURE = Path(__file__).parents[1] / "fixtures" / "unversioned" / "store.sqlite3"


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    """A copy of the fixture store, so that a test may write to it."""
    copy = tmp_path / "store.sqlite3"
    shutil.copyfile(FIXTURE, copy)
    opened = SQLiteStore.open(copy)
    yield opened  # type: ignore[misc]
    opened.close()


def _applications(store: SQLiteStore) -> list[str]:
    return [row.stream_id for row in every_summary(store)]


def test_every_chain_of_the_old_store_verifies(store: SQLiteStore) -> None:
    """Every chain the old store holds (applications, indexes, jobs, ledgers) verifies."""
    audit = verify_store(store)
    assert audit.ok, audit.broken
    assert (audit.applications, audit.packets) == (2, 2)
    assert audit.chains == 2 + 2 + 3 + 2


def test_every_old_stream_decodes(store: SQLiteStore) -> None:
    """Each application, courier index, job and ledger of the old store loads."""
    for application_id in _applications(store):
        assert load_application(store, application_id).id == application_id
        index = writer.load_index(store, application_id)
        for job_id, _ in index.jobs:
            assert writer.load_job(store, job_id)[0].application_id == application_id
        for seal_id in index.packets:
            assert writer.load_ledger(store, seal_id).application_id == application_id


def test_the_old_alert_reads_as_the_one_alert_event(store: SQLiteStore) -> None:
    """The old index alert, stored without the application's id, reads with it."""
    alerts = [
        event
        for application_id in _applications(store)
        for event in writer.index_events(store, application_id)
        if event.kind == "alert_raised"
    ]
    assert len(alerts) == 1
    (alert,) = alerts
    assert alert.alert == "manifest_mismatch"
    assert alert.seal_id == f"S-{alert.application_id}"


def test_the_old_store_accepts_new_commands(store: SQLiteStore) -> None:
    """A handoff recorded on the old store's mismatched packet extends every chain."""
    mall, desk, clock = new_desk(store)  # type: ignore[arg-type]
    (application_id,) = [
        a
        for a in _applications(store)
        if writer.load_index(store, a).packets and not writer.load_ledger(store, f"S-{a}").delivered
    ]
    seal_id = f"S-{application_id}"
    before = writer.load_ledger(store, seal_id).version
    clock.current = writer.load_ledger(store, seal_id).latest
    handoff = staff_handoff("h-recount", COURIER, COUNTER, clock.advance(minutes=5), ORIGINALS)
    job_id = writer.load_index(store, application_id).jobs[0][0]
    step = desk.hand_over(seal_id, handoff, job_id=job_id)
    assert step.ledger.custodian == COUNTER
    assert writer.load_ledger(store, seal_id).version == before + 1
    assert verify_store(store).ok
    assert mall.application(application_id).id == application_id
