"""Courier handoffs over HTTP with real signed-in accounts, and a courier's own jobs:
the AJIB flow from the citizen's door to the agency's officer, IDOR, If-Match races."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from web_staff_support import AGENCY_A, AGENCY_B, World, bearer, provision, started_world

EXTRA = {
    "courier-b": (("courier", AGENCY_B),),
    "courier-many": (
        ("courier", AGENCY_A),
        *(("courier", code) for code in ("bank-dki", "polri", "djp", "pln", "bpjph")),
        ("inspector", AGENCY_A),
    ),
}
"""A courier of the other agency, and one holding many grants at agencies with no
applications."""

MANIFEST = [
    {"document": "akta-kelahiran", "sha256": "ab" * 32},
    {"document": "kk", "sha256": "cd" * 32},
]
PROOF = "ef" * 32


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The application with `PERSONAS` and `EXTRA`, and two applications."""
    with started_world(tmp_path_factory.mktemp("handoffs")) as found:
        found.tokens.update(provision(found.runtime, EXTRA))
        yield found


def _pickup(world: World) -> str:
    """A pickup of agency A's application, booked by officer-a (as the desk's caller)."""
    from onestop.domain.common.parties import Personal
    from onestop.domain.courier.events import TimeWindow

    now = world.runtime.mall.clock.now()
    job = world.runtime.courier.book_pickup(
        world.a,
        window=TimeWindow(now + timedelta(hours=1), now + timedelta(hours=3)),
        address=Personal("Jalan Kenari 7"),
        actor=world.runtime.staff.identity("officer-a").actor,
    )
    found: str = job.id
    return found


def _version(world: World, who: str, job: str) -> int:
    answer = world.get(who, f"/api/v1/staff/courier/jobs/{job}")
    assert answer.status_code == 200, answer.text
    return int(answer.headers["ETag"][1:-1])


def _claimed(world: World, who: str = "courier-a") -> str:
    job = _pickup(world)
    path = f"/api/v1/staff/courier/jobs/{job}/claim"
    answer = world.send(who, "POST", path, version=_version(world, who, job))
    assert answer.status_code == 200, answer.text
    return job


def _collect(world: World, job: str, seal: str) -> Any:
    code = world.runtime.courier.issue_handoff_code(job, f"door-{seal}")  # the SMS gateway's
    body = {
        "handoff_id": f"door-{seal}",
        "direction": "receive",
        "other": {"kind": "citizen", "code": code},
        "proof_sha256": PROOF,
        "packet": {"seal_id": seal, "manifest": MANIFEST},
    }
    path = f"/api/v1/staff/courier/jobs/{job}/handoffs"
    version = _version(world, "courier-a", job)
    return world.send("courier-a", "POST", path, version=version, json=body)


def _to_officer(world: World, job: str, handoff: str, *, code: str | None = None) -> Any:
    if code is None:
        asked = world.send(
            "officer-a",
            "POST",
            f"/api/v1/staff/courier/jobs/{job}/handoffs/{handoff}/confirmation",
            version=None,
        )
        assert asked.status_code == 201, asked.text
        code = asked.json()["code"]
    body = {
        "handoff_id": handoff,
        "direction": "give",
        "other": {"kind": "officer", "account": "officer-a", "code": code},
        "proof_sha256": PROOF,
        "scanned": MANIFEST,
        "place": {"label": "MPP Jakarta, counter 3"},
        "purpose": "to_agency",
    }
    path = f"/api/v1/staff/courier/jobs/{job}/handoffs"
    version = _version(world, "courier-a", job)
    return world.send("courier-a", "POST", path, version=version, json=body)


def test_the_ajib_flow_from_the_citizens_door_to_the_agency_officer(world: World) -> None:
    """Booked, claimed, collected with the citizen's code, handed to the officer with
    the officer's code: the job is completed and the custody ledger verifies."""
    job = _claimed(world)
    collected = _collect(world, job, "SEAL-FLOW-1")
    assert collected.status_code == 200, collected.text
    assert collected.json()["job"]["status"] == "in_progress"
    assert collected.headers["ETag"] == f'"{collected.json()["job"]["version"]}"'
    handed = _to_officer(world, job, "agency-flow-1")
    assert handed.status_code == 200, handed.text
    assert handed.json()["accepted"] is True
    assert handed.json()["job"]["status"] == "completed"
    ledger = world.runtime.courier.ledger("SEAL-FLOW-1")
    assert ledger.custodian.id == "officer-a"
    assert world.runtime.courier.verify_packet("SEAL-FLOW-1").ok


def test_a_wrong_staff_code_is_refused_and_records_nothing(world: World) -> None:
    """A made-up officer's code is 422 and the packet stays with the courier."""
    job = _claimed(world)
    assert _collect(world, job, "SEAL-WRONG-1").status_code == 200
    refused = _to_officer(world, job, "agency-wrong-1", code="a" * 16)
    assert refused.status_code == 422, refused.text
    assert world.runtime.courier.ledger("SEAL-WRONG-1").custodian.id == "courier-a"


@pytest.mark.parametrize(
    "code", ["é" * 16, "\u0663" * 16, "a\x00b"], ids=["accent", "digits", "nul"]
)
def test_a_staff_code_outside_ascii_is_422_not_a_failure(world: World, code: str) -> None:
    """A code of any text (accents, other scripts' digits, NUL) is a wrong code (422), never a
    server failure, and the packet stays with the courier."""
    job = _claimed(world)
    seal = f"SEAL-TEXT-{ord(code[0])}"
    assert _collect(world, job, seal).status_code == 200
    refused = _to_officer(world, job, "agency-text-1", code=code)
    assert refused.status_code == 422, refused.text
    assert world.runtime.courier.ledger(seal).custodian.id == "courier-a"


def test_a_staff_code_confirms_nothing_once_the_job_moved_on(world: World) -> None:
    """A code is bound to the job's version: asked before the collection, it no longer
    confirms the handoff after it."""
    job = _claimed(world)
    early = world.send(
        "officer-a",
        "POST",
        f"/api/v1/staff/courier/jobs/{job}/handoffs/agency-early/confirmation",
        version=None,
    ).json()["code"]
    assert _collect(world, job, "SEAL-EARLY-1").status_code == 200
    assert _to_officer(world, job, "agency-early", code=early).status_code == 422


def test_a_handoff_without_if_match_is_428_and_a_stale_one_412(world: World) -> None:
    """The job's version is required and compared; a stale one is named the job's."""
    job = _claimed(world)
    path = f"/api/v1/staff/courier/jobs/{job}/handoffs"
    body = {
        "handoff_id": "h-1",
        "direction": "receive",
        "other": {"kind": "citizen", "code": "123456"},
        "proof_sha256": PROOF,
        "packet": {"seal_id": "SEAL-IFM-1", "manifest": MANIFEST},
    }
    assert world.send("courier-a", "POST", path, version=None, json=body).status_code == 428
    stale = _version(world, "courier-a", job) - 1
    refused = world.send("courier-a", "POST", path, version=stale, json=body)
    assert refused.status_code == 412
    assert refused.json()["detail"].startswith("the courier job is at version")


@pytest.mark.parametrize(
    "place", [{"label": "Jl. Kenanga 7, front door"}, {"label": "door", "lat": -6.2, "lon": 106.8}]
)
def test_a_handoff_with_the_citizen_takes_no_place(world: World, place: dict[str, Any]) -> None:
    """A handoff at the citizen's door naming where (a street, coordinates) is refused,
    422 on body.place, and nothing is recorded: the ledger keeps places beyond erasure."""
    job = _claimed(world)
    code = world.runtime.courier.issue_handoff_code(job, "door-place")
    body = {
        "handoff_id": "door-place",
        "direction": "receive",
        "other": {"kind": "citizen", "code": code},
        "proof_sha256": PROOF,
        "packet": {"seal_id": f"SEAL-PLACE-{len(place)}", "manifest": MANIFEST},
        "place": place,
    }
    path = f"/api/v1/staff/courier/jobs/{job}/handoffs"
    version = _version(world, "courier-a", job)
    refused = world.send("courier-a", "POST", path, version=version, json=body)
    assert refused.status_code == 422, refused.text
    assert [p["path"] for p in refused.json()["problems"]] == ["body.place"]
    assert _version(world, "courier-a", job) == version
    del body["place"]
    assert world.send("courier-a", "POST", path, version=version, json=body).status_code == 200


def test_a_courier_of_another_agency_gets_the_answer_of_a_missing_job(world: World) -> None:
    """courier-b cannot read, claim or hand over agency A's job: 404 as for no job."""
    job = _pickup(world)
    missing = f"{job[:-4]}0000"
    body = {
        "handoff_id": "h-1",
        "direction": "receive",
        "other": {"kind": "citizen", "code": "123456"},
        "proof_sha256": PROOF,
        "packet": {"seal_id": "SEAL-IDOR-1", "manifest": MANIFEST},
    }
    for path, method in (
        ("/api/v1/staff/courier/jobs/{}", "GET"),
        ("/api/v1/staff/courier/jobs/{}/claim", "POST"),
        ("/api/v1/staff/courier/jobs/{}/handoffs", "POST"),
        ("/api/v1/staff/courier/jobs/{}/handoffs/h-1/confirmation", "POST"),
    ):
        theirs = world.send("courier-b", method, path.format(job), version=1, json=body)
        none = world.send("courier-b", method, path.format(missing), version=1, json=body)
        assert theirs.status_code == none.status_code == 404, (path, theirs.text)
        assert theirs.json()["detail"].replace(job, missing) == none.json()["detail"]


def test_an_inspector_may_not_take_part_in_a_handoff(world: World) -> None:
    """An inspector reads the job but gets 403 asking for a handoff code."""
    job = _pickup(world)
    path = f"/api/v1/staff/courier/jobs/{job}/handoffs/h-2/confirmation"
    assert world.send("inspector-1", "POST", path, version=None).status_code == 403


def test_a_courier_lists_its_own_open_jobs_only(world: World) -> None:
    """GET /api/v1/staff/courier/jobs: the caller's claimed open jobs; none for another
    agency's courier."""
    job = _claimed(world)
    mine = world.get("courier-a", "/api/v1/staff/courier/jobs")
    assert mine.status_code == 200, mine.text
    assert job in {row["job_id"] for row in mine.json()["items"]}
    assert all(row["courier_id"] == "courier-a" for row in mine.json()["items"])
    assert all(row["address"] is None for row in mine.json()["items"])
    theirs = world.get("courier-b", "/api/v1/staff/courier/jobs")
    assert theirs.status_code == 200
    assert theirs.json()["items"] == []


def test_own_job_store_queries_do_not_grow_with_grants(world: World) -> None:
    """A courier with one grant and one with seven make the same store calls."""

    def calls(who: str) -> int:
        before = world.store.total()
        assert world.get(who, "/api/v1/staff/courier/jobs").status_code == 200
        return world.store.total() - before

    calls("courier-a")  # warm the account caches alike
    calls("courier-many")
    assert calls("courier-a") == calls("courier-many")


def test_the_staff_handoff_routes_need_a_credential(world: World) -> None:
    """No token: 401 on the list and on a handoff."""
    assert world.client.get("/api/v1/staff/courier/jobs").status_code == 401
    answer = world.client.post("/api/v1/staff/courier/jobs/x/handoffs", json={})
    assert answer.status_code == 401
    assert bearer("x")  # the helper's shape is what the other tests send


def test_a_failed_visit_names_the_jobs_version_and_counts_once(world: World) -> None:
    """A failed visit needs If-Match (428 without); the same request sent again is 412 and
    not a second failure (each was taken: three retries sent a pickup back)."""
    job = _claimed(world)
    path = f"/api/v1/staff/courier/jobs/{job}/attempts"
    body = {"outcome": "no_one_home"}
    version = _version(world, "courier-a", job)
    missing = world.send("courier-a", "POST", path, version=None, json=body)
    first = world.send("courier-a", "POST", path, version=version, json=body)
    again = world.send("courier-a", "POST", path, version=version, json=body)
    assert (missing.status_code, first.status_code, again.status_code) == (428, 200, 412)
    assert first.json()["attempts"] == 1
    assert len(world.runtime.courier.job(job).attempts) == 1


def test_a_job_counts_failed_visits_only(world: World) -> None:
    """``attempts`` is how many visits failed: 0 after a collection at the first visit
    (it counted the successful visit too)."""
    job = _claimed(world)
    collected = _collect(world, job, "SEAL-COUNT-1")
    assert collected.status_code == 200, collected.text
    assert collected.json()["job"]["attempts"] == 0


@pytest.mark.parametrize("who", ["officer-a", "inspector-1"])
def test_claiming_without_the_courier_role_is_403(world: World, who: str) -> None:
    """Who may not do a courier's work is refused 403 (it was a 409, a conflict with the
    job's state), and the job stays unclaimed."""
    job = _pickup(world)
    version = _version(world, who, job)
    path = f"/api/v1/staff/courier/jobs/{job}/claim"
    refused = world.send(who, "POST", path, version=version)
    assert refused.status_code == 403, refused.text
    assert world.runtime.courier.job(job).courier_id is None


def test_the_servers_sweep_keeps_a_handoffs_wrong_code_tries(tmp_path: Path) -> None:
    """A handoff out of code tries an hour ago is still out after the server's sweep."""
    from datetime import UTC, datetime

    from web_support import settings_for, swept_once

    from onestop.exceptions import TooManyWrongCodes
    from onestop.usecases.courier._tries import CodeTries
    from onestop.web._runtime import open_store

    settings = settings_for(tmp_path)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    store = open_store(settings)
    try:
        tries = CodeTries(3, store)
        for _ in range(3):
            tries.take("app-1", "handoff-1", now=an_hour_ago)
    finally:
        store.close()
    swept_once(settings)
    store = open_store(settings)
    try:
        with pytest.raises(TooManyWrongCodes):
            CodeTries(3, store).take("app-1", "handoff-1", now=datetime.now(UTC))
    finally:
        store.close()
