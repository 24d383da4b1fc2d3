"""The staff endpoints: worklists by grant, reads with personal data recorded, changes on
If-Match, separation of duties, the SLA report and courier jobs, per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_staff_support import (
    AGENCY_A,
    AGENCY_B,
    CANARY_A,
    CANARY_B,
    NOTE_CANARY,
    World,
    kia_canary,
    leaks,
    provision,
    staf_canary,
    started_world,
    submit,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The application over a counting memory store, with `PERSONAS` and two applications."""
    with started_world(tmp_path_factory.mktemp("staff")) as found:
        yield found


def _ids(answer: Any) -> set[str]:
    assert answer.status_code == 200, answer.text
    return {row["application_id"] for row in answer.json()["items"]}


def test_the_worklist_holds_only_the_agencies_the_caller_has_a_role_at(world: World) -> None:
    """An officer's worklist lists their agency's applications, never another's."""
    assert world.a in _ids(world.get("officer-a", "/api/v1/staff/worklist"))
    assert world.b not in _ids(world.get("officer-a", "/api/v1/staff/worklist"))
    assert world.b in _ids(world.get("officer-b", "/api/v1/staff/worklist"))
    assert world.a not in _ids(world.get("officer-b", "/api/v1/staff/worklist"))


def test_asking_the_worklist_for_another_agency_lists_nothing(world: World) -> None:
    """``agency=`` narrows the caller's agencies; it never widens them."""
    answer = world.get("officer-a", "/api/v1/staff/worklist", params={"agency": AGENCY_B})
    assert _ids(answer) == set()


def test_a_mall_wide_inspector_sees_every_agency_in_the_worklist(world: World) -> None:
    """A mall-wide role's worklist holds every agency's applications."""
    assert {world.a, world.b} <= _ids(world.get("inspector-1", "/api/v1/staff/worklist"))


def _worklist_queries(world: World, who: str) -> int:
    before = world.store.total()
    assert world.get(who, "/api/v1/staff/worklist").status_code == 200
    return world.store.total() - before


def test_worklist_store_queries_do_not_grow_with_grants_or_agencies(world: World) -> None:
    """One grant or a role at every agency: the same number of store calls per request."""
    agencies = [agency.code for agency in world.runtime.mall.catalogue.agencies]
    many = tuple((role, code) for code in agencies for role in ("verifier", "approver"))
    tokens = provision(world.runtime, {"few-grants": ((("verifier", AGENCY_A),)), "many": many})
    world.tokens.update(tokens)
    assert len(many) >= 20
    _worklist_queries(world, "few-grants")  # warm: each account's first read folds it
    _worklist_queries(world, "many")
    few = _worklist_queries(world, "few-grants")
    assert few == _worklist_queries(world, "many")
    assert world.store.calls["summaries"] >= 1
    assert few <= 3, world.store.calls


def test_an_officer_reads_personal_data_and_the_read_is_recorded(world: World) -> None:
    """The officer of the agency gets the applicant; the access record names the read."""
    answer = world.get("officer-a", f"/api/v1/staff/applications/{world.a}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["personal"]["applicant"]["name"] == CANARY_A[0]
    entries = world.store.access_records(application_id=world.a, actor_id="officer-a")
    assert entries, "the read is not in the access record"
    record = entries[-1].record
    assert record.route == "/api/v1/staff/applications/{application_id}"
    assert record.request_id == answer.headers["X-Request-Id"]
    assert record.what


def test_the_inspector_sees_the_history_and_chain_but_no_personal_data(world: World) -> None:
    """An inspector reads the history and the chain; no canary, nothing recorded."""
    before = len(world.store.access_records(actor_id="inspector-1"))
    read = world.get("inspector-1", f"/api/v1/staff/applications/{world.a}")
    chain = world.get("inspector-1", f"/api/v1/staff/applications/{world.a}/chain")
    assert read.status_code == chain.status_code == 200
    assert read.json()["personal"] is None
    assert read.json()["history"][0]["kind"] == "submitted"
    assert chain.json()["ok"] is True
    assert leaks(read.text + chain.text, CANARY_A, CANARY_B, NOTE_CANARY) == []
    assert len(world.store.access_records(actor_id="inspector-1")) == before


def test_an_inspector_granted_personal_data_sees_it_there_only(world: World) -> None:
    """``personal_data`` beside ``inspector`` opens its agency's personal data, no other's."""
    a = world.get("inspector-pd", f"/api/v1/staff/applications/{world.a}")
    b = world.get("inspector-pd", f"/api/v1/staff/applications/{world.b}")
    assert a.json()["personal"]["applicant"]["identity_number"] == CANARY_A[1]
    assert b.json()["personal"] is None
    assert leaks(b.text, CANARY_B) == []


def _kept(headers: Any) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in ("x-request-id", "date")}


def test_another_agencys_application_is_answered_like_a_missing_one(world: World) -> None:
    """The same 404, byte for byte, for another agency's application and for none."""
    theirs = world.get("officer-b", f"/api/v1/staff/applications/{world.a}")
    missing = world.get("officer-b", f"/api/v1/staff/applications/{world.a[:-4]}0000")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content
    assert _kept(theirs.headers) == _kept(missing.headers)


def test_a_change_without_if_match_is_428_and_a_stale_one_412(world: World) -> None:
    """A note needs the version acted on: 428 without it, 412 when it is stale."""
    path = f"/api/v1/staff/applications/{world.a}/notes"
    body = {"text": "x", "visibility": "internal"}
    assert world.send("officer-a", "POST", path, version=None, json=body).status_code == 428
    stale = world.version(world.a) - 1 or 99
    assert world.send("officer-a", "POST", path, version=stale, json=body).status_code == 412


def test_a_note_is_written_and_read_back_by_who_may_see_it(world: World) -> None:
    """A note's text is personal data: its author's agency reads it, the inspector not."""
    path = f"/api/v1/staff/applications/{world.a}/notes"
    body = {"text": NOTE_CANARY, "visibility": "internal"}
    version = world.version(world.a)
    answer = world.send("officer-a", "POST", path, version=version, json=body)
    assert answer.status_code == 200, answer.text
    assert answer.headers["ETag"] == f'"{version + 1}"'
    notes = world.get("officer-a", f"/api/v1/staff/applications/{world.a}").json()["personal"]
    assert NOTE_CANARY in [n["text"] for n in notes["notes"]]
    inspector = world.get("inspector-1", f"/api/v1/staff/applications/{world.a}")
    assert leaks(inspector.text, NOTE_CANARY) == []


def test_assignment_shows_in_the_assignees_worklist(world: World) -> None:
    """Assigning an application puts it in the ``assignee=`` worklist; ``null`` unassigns."""
    path = f"/api/v1/staff/applications/{world.a}/assignee"
    answer = world.send(
        "officer-a", "PUT", path, version=world.version(world.a), json={"assignee": "officer-a"}
    )
    assert answer.status_code == 200, answer.text
    mine = {"assignee": "officer-a"}
    assert world.a in _ids(world.get("officer-a", "/api/v1/staff/worklist", params=mine))
    again = world.send(
        "officer-a", "PUT", path, version=world.version(world.a), json={"assignee": None}
    )
    assert again.status_code == 200, again.text
    assert world.a not in _ids(world.get("officer-a", "/api/v1/staff/worklist", params=mine))


def test_a_verdict_on_a_requirement_without_a_document_is_refused_typed(world: World) -> None:
    """A verdict is the workflow's to accept: never a 5xx, never for another agency."""
    path = f"/api/v1/staff/applications/{world.a}/verdicts"
    body = {"requirement": "akta", "verdict": "rejected", "reason": "blurry"}
    mine = world.send("officer-a", "POST", path, version=world.version(world.a), json=body)
    theirs = world.send("officer-b", "POST", path, version=world.version(world.a), json=body)
    assert mine.status_code < 500, mine.text
    assert theirs.status_code == 404


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("verdicts", {"requirement": "kk", "verdict": "verified"}),
        ("assignee", {"assignee": "courier-a"}),
        ("notes", {"text": "seen", "visibility": "internal"}),
    ],
)
def test_a_courier_does_no_officers_work(world: World, route: str, body: Any) -> None:
    """A courier of the application's agency (a role its workflow declares, for collecting
    and delivering) may not check its documents, assign it or write internal notes on it:
    403, and nothing is written."""
    application = submit(world.client, kia_canary())
    path = f"/api/v1/staff/applications/{application}/{route}"
    version = world.version(application)
    method = "PUT" if route == "assignee" else "POST"
    refused = world.send("courier-a", method, path, version=version, json=body)
    assert refused.status_code == 403, refused.text
    assert world.version(application) == version


def test_one_officer_cannot_verify_and_approve_one_application(world: World) -> None:
    """Separation of duties holds on the authenticated officer, whatever the body says."""
    application = submit(world.client, staf_canary())
    path = f"/api/v1/applications/{application}/actions"
    verify = world.send(
        "officer-b", "POST", path, version=world.version(application), json={"action": "verify"}
    )
    assert verify.status_code == 200, verify.text
    approve = world.send(
        "officer-b", "POST", path, version=world.version(application), json={"action": "approve"}
    )
    assert approve.status_code == 403, approve.text
    named = world.send(
        "officer-b",
        "POST",
        path,
        version=world.version(application),
        json={"action": "approve", "actor": "approver-b"},
    )
    assert named.status_code in (400, 422), named.text
    other = world.send(
        "approver-b", "POST", path, version=world.version(application), json={"action": "approve"}
    )
    assert other.status_code == 200, other.text


def test_the_sla_report_holds_only_the_callers_agencies(world: World) -> None:
    """An officer's SLA report has rows of their agency only."""
    answer = world.get("officer-a", "/api/v1/staff/sla-report")
    assert answer.status_code == 200, answer.text
    agencies = {row["agency"] for row in answer.json()["rows"]}
    assert agencies == {AGENCY_A}
    everyone = world.get("inspector-1", "/api/v1/staff/sla-report").json()["rows"]
    assert {AGENCY_A, AGENCY_B} <= {row["agency"] for row in everyone}


@pytest.mark.parametrize(
    "assignee",
    ["nobody-at-all", "officer-b", "courier-a", "system", "citizen:online", "inspector-1"],
)
def test_an_application_is_assigned_only_to_one_of_its_agencys_officers(
    world: World, assignee: str
) -> None:
    """An assignee with no active account, or without an officers' role at the
    application's agency (another agency's officer, a courier, an inspector, onestop's own
    ids) is a 422 naming ``body.assignee``, and nothing is written (each was a 200: the
    application left every real officer's worklist)."""
    application = submit(world.client, kia_canary())
    path = f"/api/v1/staff/applications/{application}/assignee"
    version = world.version(application)
    refused = world.send("officer-a", "PUT", path, version=version, json={"assignee": assignee})
    assert refused.status_code == 422, refused.text
    assert [p["path"] for p in refused.json()["problems"]] == ["body.assignee"]
    assert world.version(application) == version


def test_a_problem_names_a_field_that_is_also_a_word_of_the_path(world: World) -> None:
    """A field named like a fixed segment of the route (``assignee``, ``staff``) is named
    in the problem: only what the client chose in a path (an id) counts as sent (it read
    ``body.(the value sent): required key is missing``)."""
    path = f"/api/v1/staff/applications/{world.a}/assignee"
    refused = world.send("officer-a", "PUT", path, version=world.version(world.a), json={})
    assert refused.status_code == 422, refused.text
    assert [p["path"] for p in refused.json()["problems"]] == ["body.assignee"]


def test_asking_the_sla_report_for_another_agency_reads_none_of_it(world: World) -> None:
    """``agency=`` naming an agency the officer holds no role at answers no rows without
    reading its applications (every one was folded, then dropped: one request could make
    the server fold the whole mall's)."""
    before = world.store.calls["read"]
    answer = world.get("officer-b", "/api/v1/staff/sla-report", params={"agency": AGENCY_A})
    assert answer.status_code == 200, answer.text
    assert answer.json()["rows"] == []
    assert world.store.calls["read"] - before <= 1  # the sign-in's: the account's new events


def _book(world: World, application_id: str) -> str:
    from datetime import timedelta

    from onestop.domain.common.parties import Personal
    from onestop.domain.courier.events import TimeWindow
    from onestop.domain.workflow.engine import Actor

    now = world.runtime.mall.clock.now()
    job = world.runtime.courier.book_delivery(
        application_id,
        window=TimeWindow(now + timedelta(hours=1), now + timedelta(hours=3)),
        address=Personal(f"Jalan {CANARY_A[0]} 7"),
        actor=Actor(id="officer-a", roles={"front_office"}),
    )
    found: str = job.id
    return found


def test_courier_jobs_show_the_address_to_the_courier_only_recorded(world: World) -> None:
    """The courier reads the address once it claimed the job (recorded), not before; the
    inspector reads the job without it; another agency's officer gets 404 as for a missing
    job."""
    job = _book(world, world.a)
    before = world.get("courier-a", f"/api/v1/staff/applications/{world.a}/courier-jobs")
    assert before.status_code == 200, before.text
    assert before.json()["items"][0]["address"] is None
    version = int(world.get("courier-a", f"/api/v1/staff/courier/jobs/{job}").headers["ETag"][1:-1])
    path = f"/api/v1/staff/courier/jobs/{job}/claim"
    assert world.send("courier-a", "POST", path, version=version).status_code == 200
    mine = world.get("courier-a", f"/api/v1/staff/applications/{world.a}/courier-jobs")
    assert CANARY_A[0] in mine.json()["items"][0]["address"]
    assert world.store.access_records(application_id=world.a, actor_id="courier-a")
    application = world.get("courier-a", f"/api/v1/applications/{world.a}")
    assert CANARY_A[0] not in application.text
    inspector = world.get("inspector-1", f"/api/v1/staff/courier/jobs/{job}")
    assert inspector.status_code == 200
    assert inspector.json()["address"] is None
    theirs = world.get("officer-b", f"/api/v1/staff/courier/jobs/{job}")
    missing = world.get("officer-b", f"/api/v1/staff/courier/jobs/{job[:-4]}0000")
    assert theirs.status_code == missing.status_code == 404


def test_a_courier_claims_a_job_on_its_version(world: World) -> None:
    """A claim names the job's version: 428 without, 200 with, 409 for a second claim."""
    job = _book(world, world.a)
    path = f"/api/v1/staff/courier/jobs/{job}/claim"
    assert world.send("courier-a", "POST", path, version=None).status_code == 428
    version = int(world.get("courier-a", f"/api/v1/staff/courier/jobs/{job}").headers["ETag"][1:-1])
    claimed = world.send("courier-a", "POST", path, version=version)
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["courier_id"] == "courier-a"
    assert world.send("courier-a", "POST", path, version=version + 1).status_code == 409


def test_staff_endpoints_answer_401_without_a_credential(world: World, tmp_path: Path) -> None:
    """No token: 401, and nothing of the application."""
    answer = world.client.get(f"/api/v1/staff/applications/{world.a}")
    assert answer.status_code == 401
    assert leaks(answer.text, CANARY_A) == []


def test_an_erased_application_is_read_without_its_personal_data_or_a_record(
    tmp_path: Path,
) -> None:
    """Once its personal data is erased, an officer allowed to see personal data reads the
    application (state, history, version) with ``personal`` null and ``erased_at`` set,
    and no read of personal data is recorded (it was a 410, and a record of a read that
    sent nothing)."""
    from onestop.domain.common.actors import Actor, Grant
    from onestop.usecases.privacy import PrivacyDesk

    with started_world(tmp_path) as world:
        for who, action in (("officer-b", "verify"), ("approver-b", "approve")):  # closed
            path = f"/api/v1/applications/{world.b}/actions"
            moved = world.send(
                who, "POST", path, version=world.version(world.b), json={"action": action}
            )
            assert moved.status_code == 200, moved.text
        eraser = Actor(id="approver-b", grants={Grant("approver", agency=AGENCY_B)})
        PrivacyDesk(world.runtime.mall).erase(
            world.b, legal_basis="gdpr-17", actor=eraser, overriding=True
        )
        before = len(world.store.access_records(application_id=world.b))
        answer = world.get("officer-b", f"/api/v1/staff/applications/{world.b}")
        after = len(world.store.access_records(application_id=world.b))
        version = world.version(world.b)
    assert answer.status_code == 200, answer.text
    assert answer.json()["personal"] is None
    assert answer.json()["erased_at"] is not None
    assert answer.headers["ETag"] == f'"{version}"'
    assert leaks(answer.text, CANARY_A, CANARY_B, NOTE_CANARY) == []
    assert after == before


def test_a_courier_job_shows_no_address_once_its_application_is_erased(tmp_path: Path) -> None:
    """Once an application's erasure is recorded, its courier jobs show no address, even
    while this worker could still open it (the key live or cached here: another process
    erased it, or stopped before destroying the key)."""
    from onestop.domain.applications.privacy import ErasePersonalData
    from onestop.domain.common.actors import Actor, Grant
    from onestop.web._citizens import CITIZEN

    with started_world(tmp_path) as world:
        job = _book(world, world.a)
        path = f"/api/v1/staff/courier/jobs/{job}"
        version = int(world.get("courier-a", path).headers["ETag"][1:-1])
        assert world.send("courier-a", "POST", f"{path}/claim", version=version).status_code == 200
        assert CANARY_A[0] in world.get("courier-a", path).json()["address"]
        mall = world.runtime.mall
        mall.withdraw(world.a, actor=CITIZEN)
        eraser = Actor(id="officer-a", grants={Grant("approver", agency=AGENCY_A)})
        erasure = ErasePersonalData(legal_basis="gdpr-17", actor=eraser, overriding=True)
        mall.execute(world.a, erasure)  # recorded; the key not destroyed (yet)
        one = world.get("courier-a", path)
        listed = world.get("courier-a", f"/api/v1/staff/applications/{world.a}/courier-jobs")
    assert one.status_code == listed.status_code == 200, (one.text, listed.text)
    assert one.json()["address"] is None
    assert [item["address"] for item in listed.json()["items"]] == [None]


def test_an_action_refused_in_its_state_is_named_in_the_problem(world: World) -> None:
    """An action the workflow does not allow now is refused (409) with its name kept in
    the problem: the workflow's words are not scrubbed as values sent."""
    path = f"/api/v1/applications/{world.a}/actions"
    refused = world.send(
        "officer-a", "POST", path, version=world.version(world.a), json={"action": "approve"}
    )
    assert refused.status_code == 409, refused.text
    assert "'approve'" in refused.json()["detail"]
