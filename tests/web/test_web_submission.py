"""Submitting over HTTP: idempotency (replay, conflict, in flight), documents, hostile bodies."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.stores.file import FileStore
from web_support import ServerProcess, in_process, kia_body, new_key, settings_for

from onestop.domain.common.subjects import subject_id
from onestop.testing.documents import sample_jpeg, sample_pdf
from onestop.web._api import CITIZEN
from onestop.web._inflight import InFlight, _claim_file, _file_of

CANARY = "Zq9Canary"
APPLICATIONS = "/api/v1/applications"


def _upload(client: Any, data: bytes, media_type: str) -> str:
    sent = client.post("/api/v1/uploads", content=data, headers={"Content-Type": media_type})
    assert sent.status_code == 201, sent.text
    document_id: str = sent.json()["document_id"]
    return document_id


def _submit(client: Any, body: Any, key: str | None = None) -> Any:
    return client.post(APPLICATIONS, json=body, headers={"Idempotency-Key": key or new_key()})


def _with_documents(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {**kia_body(), "documents": [{"requirement": r, "document_id": d} for r, d in pairs]}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    found: dict[str, Any] = response.json()
    return found


# --- idempotency -----------------------------------------------------------------------


def test_a_replay_answers_200_with_the_same_receipt(tmp_path: Path) -> None:
    """The same body under the same key is answered 200 with the first receipt, secret and all."""
    key = new_key()
    with in_process(settings_for(tmp_path)) as client:
        first = _submit(client, kia_body(), key)
        again = _submit(client, kia_body(), key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "replayed": True}


def test_a_replay_after_the_server_secret_changed_gives_no_wrong_secret(tmp_path: Path) -> None:
    """A replay under a new server secret answers the receipt with no lookup secret (it
    cannot be made again), and the first receipt's secret still tracks the application."""
    key = new_key()
    secret_file = tmp_path / "mall.sqlite3.serve-secret"
    with in_process(settings_for(tmp_path)) as client:
        first = _submit(client, kia_body(), key)
    secret_file.write_bytes(os.urandom(32))
    with in_process(settings_for(tmp_path)) as client:
        again = _submit(client, kia_body(), key)
        tracked = client.get(
            first.headers["Location"], headers={"Lookup-Secret": first.json()["lookup_secret"]}
        )
    assert again.status_code == 200, again.text
    assert again.json() == {**first.json(), "replayed": True, "lookup_secret": None}
    assert tracked.status_code == 200, tracked.text


def test_a_receipt_locates_the_tracking_resource(tmp_path: Path) -> None:
    """A 201 receipt (and its replay) names in Location the tracking URL of its number."""
    key = new_key()
    with in_process(settings_for(tmp_path)) as client:
        first = _submit(client, kia_body(), key)
        again = _submit(client, kia_body(), key)
        number = first.json()["number"]
        secret = first.json()["lookup_secret"]
        tracked = client.get(first.headers["Location"], headers={"Lookup-Secret": secret})
    expected = f"/api/v1/tracking?number={number}"
    assert (first.headers["Location"], again.headers["Location"]) == (expected, expected)
    assert tracked.status_code == 200, tracked.text


def test_another_body_under_a_used_key_is_422(tmp_path: Path) -> None:
    """A different body under a key already used is refused 422 and creates nothing."""
    key = new_key()
    with in_process(settings_for(tmp_path)) as client:
        assert _submit(client, kia_body(), key).status_code == 201
        other = _submit(client, kia_body(name="Budi Santoso"), key)
    assert _problem(other, 422)["type"] == "urn:onestop:problem:IdempotencyConflict"


def test_a_used_key_naming_another_service_is_422_whatever_the_service(tmp_path: Path) -> None:
    """Under a key already used, a body naming another service, one the catalogue has or
    not, is the 422 of a different body: the key's request is compared, not the service
    looked up first."""
    key = new_key()
    with in_process(settings_for(tmp_path)) as client:
        assert _submit(client, kia_body(), key).status_code == 201
        unknown = _submit(client, {**kia_body(), "service": "no-such-service"}, key)
        other = _submit(client, {**kia_body(), "service": "npwp"}, key)
    for answer in (unknown, other):
        assert _problem(answer, 422)["type"] == "urn:onestop:problem:IdempotencyConflict"


def test_a_key_in_flight_is_answered_409(tmp_path: Path) -> None:
    """While a submission under a key is in flight (its marker in the shared store), another
    request with that key is answered 409, and once the marker goes it is submitted."""
    key = new_key()
    with in_process(settings_for(tmp_path)) as client:
        inflight: InFlight = client.app.state.inflight
        token = anyio.run(inflight.claim, CITIZEN.id, key)
        assert token is not None
        refused = _submit(client, kia_body(), key)
        anyio.run(inflight.release, CITIZEN.id, key, token)
        accepted = _submit(client, kia_body(), key)
    assert _problem(refused, 409)["type"] == "urn:onestop:problem:SubmissionInProgress"
    assert accepted.status_code == 201, accepted.text


def test_the_marker_goes_when_a_submission_ends_either_way(tmp_path: Path) -> None:
    """A submission that succeeds or is refused leaves no marker: the next try is not 409."""
    with in_process(settings_for(tmp_path)) as client:
        refused_key, accepted_key = new_key(), new_key()
        bad = {**kia_body(), "answers": {}}
        assert _submit(client, bad, refused_key).status_code == 422
        assert _submit(client, kia_body(), refused_key).status_code == 201
        assert _submit(client, kia_body(), accepted_key).status_code == 201
        assert _submit(client, kia_body(), accepted_key).status_code == 200


def test_a_marker_past_its_expiry_does_not_block(tmp_path: Path) -> None:
    """A marker left by a worker that died, once expired, does not hold its key."""
    key = new_key()
    with in_process(settings_for(tmp_path)) as client:
        inflight: InFlight = client.app.state.inflight
        assert isinstance(inflight.store, FileStore)
        path = _file_of(inflight.store, inflight.key(CITIZEN.id, key))
        assert _claim_file(path, b"dead-worker", -5)
        assert _submit(client, kia_body(), key).status_code == 201


def test_one_claim_wins_among_racing_threads(tmp_path: Path) -> None:
    """Sixteen threads, each with its own event loop, claim one key at once: exactly one wins,
    and the store reads back the winner's token."""
    store = FileStore(tmp_path / "limits", create_directories=True)
    start = threading.Barrier(16)
    tokens: list[bytes | None] = []

    def claim() -> None:
        inflight = InFlight(store=store, seconds=60)
        start.wait()
        tokens.append(anyio.run(inflight.claim, "citizen:online", "k" * 20))

    threads = [threading.Thread(target=claim) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    won = [token for token in tokens if token is not None]
    assert len(won) == 1
    key = InFlight(store=store, seconds=60).key("citizen:online", "k" * 20)
    assert anyio.run(store.get, key) == won[0]


def test_a_key_in_flight_is_409_on_every_worker(tmp_path: Path) -> None:
    """On a real server of two workers, a key marked in flight in the shared limits store
    is refused by whichever worker answers, and submitted once the marker is gone."""
    settings = settings_for(tmp_path, workers=2, submissions_per_minute=1000)
    key = new_key()
    with ServerProcess(settings) as server:
        assert settings.limits_dir is None  # kept beside the SQLite store
        store = FileStore(Path(f"{tmp_path / 'mall.sqlite3'}.limits"))
        inflight = InFlight(store=store, seconds=60)
        token = anyio.run(inflight.claim, CITIZEN.id, key)
        assert token is not None
        refused = []
        for _ in range(6):  # a new connection each, landing on either worker
            with httpx.Client(base_url=server.url, timeout=30) as http:
                refused.append(_submit(http, kia_body(), key).status_code)
        anyio.run(inflight.release, CITIZEN.id, key, token)
        with httpx.Client(base_url=server.url, timeout=30) as http:
            accepted = _submit(http, kia_body(), key)
    assert refused == [409] * 6
    assert accepted.status_code == 201, accepted.text


# --- documents named in a submission ---------------------------------------------------


def test_uploads_named_become_the_applications_documents(tmp_path: Path) -> None:
    """Uploads named in ``documents`` are referenced by the application and attached to it."""
    with in_process(settings_for(tmp_path)) as client:
        runtime = client.app.state.runtime
        kk = _upload(client, sample_pdf(b"kk"), "application/pdf")
        ktp = _upload(client, sample_jpeg(), "image/jpeg")
        sent = _submit(client, _with_documents(("kk", kk), ("ktp-ortu", ktp)))
        assert sent.status_code == 201, sent.text
        application_id = sent.json()["application_id"]
        application = runtime.mall.application(application_id)
        described = runtime.desk.describe(ktp)
        assert set(application.documents) == {"kk", "ktp-ortu"}
        assert application.documents["ktp-ortu"].sha256 == described.sha256
        assert application.documents["ktp-ortu"].evidence_type == "ktp-el"
        assert described.application_id == application_id
        assert runtime.desk.describe(kk).application_id == application_id


def test_a_replay_with_documents_reattaches_safely(tmp_path: Path) -> None:
    """Replaying a submission that named uploads answers 200; the uploads stay attached to it."""
    key = new_key()
    with in_process(settings_for(tmp_path)) as client:
        kk = _upload(client, sample_pdf(), "application/pdf")
        first = _submit(client, _with_documents(("kk", kk)), key)
        again = _submit(client, _with_documents(("kk", kk)), key)
        attached = client.app.state.runtime.desk.describe(kk).application_id
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert attached == first.json()["application_id"]


def test_an_upload_attached_elsewhere_is_refused(tmp_path: Path) -> None:
    """An upload attached to another application is a problem at its ``documents[i]``."""
    with in_process(settings_for(tmp_path)) as client:
        kk = _upload(client, sample_pdf(), "application/pdf")
        assert _submit(client, _with_documents(("kk", kk))).status_code == 201
        ktp = _upload(client, sample_jpeg(), "image/jpeg")
        again = _submit(client, _with_documents(("ktp-ortu", ktp), ("kk", kk)))
        free = client.app.state.runtime.desk.describe(ktp).application_id
    problems = _problem(again, 422)["problems"]
    assert [p["path"] for p in problems] == ["documents[1].document_id"]
    assert free is None  # nothing of the refused submission was attached


@pytest.mark.parametrize("kind", ["unknown", "malformed", "deleted", "erased"])
def test_an_upload_that_cannot_be_used_is_refused(tmp_path: Path, kind: str) -> None:
    """An unknown, malformed, deleted or erased upload id is a problem at ``documents[0]``,
    with the same message for each."""
    with in_process(settings_for(tmp_path)) as client:
        runtime = client.app.state.runtime
        document_id = _upload(client, sample_pdf(), "application/pdf")
        if kind == "unknown":
            document_id = "0" * 32
        elif kind == "malformed":
            document_id = CANARY + "/../x"
        elif kind == "deleted":
            runtime.desk.delete(document_id)
        else:
            subject = subject_id(f"upload-{document_id}")
            runtime.mall.store.destroy_subject_keys([subject], at=datetime.now(UTC))
            runtime.mall.keys.forget([subject])
            assert runtime.desk.describe(document_id).sha256 is None
        refused = _submit(client, _with_documents(("kk", document_id)))
    problem = _problem(refused, 422)
    assert problem["problems"] == [
        {
            "path": "documents[0].document_id",
            "message": "is not an upload that can be attached here",
        }
    ]
    assert CANARY not in refused.text


def test_the_same_upload_named_twice_is_refused(tmp_path: Path) -> None:
    """One upload named for two requirements is a problem at the second naming."""
    with in_process(settings_for(tmp_path)) as client:
        kk = _upload(client, sample_pdf(), "application/pdf")
        refused = _submit(client, _with_documents(("kk", kk), ("ktp-ortu", kk)))
    problems = _problem(refused, 422)["problems"]
    assert problems == [{"path": "documents[1].document_id", "message": "names documents[0] again"}]


def test_a_requirement_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    """A document named for a requirement the service does not have is a problem there."""
    with in_process(settings_for(tmp_path)) as client:
        kk = _upload(client, sample_pdf(), "application/pdf")
        refused = _submit(client, _with_documents((CANARY, kk)))
    assert _problem(refused, 422)["problems"][0]["path"] == "documents[0].requirement"
    assert CANARY not in refused.text


# --- hostile bodies --------------------------------------------------------------------


def _person(**changes: Any) -> dict[str, Any]:
    body = kia_body(name=CANARY)
    body["applicant"] = {**body["applicant"], **changes}
    return body


def _answers(**changes: Any) -> dict[str, Any]:
    body = kia_body(name=CANARY)
    body["answers"] = {**body["answers"], **changes}
    return body


HOSTILE_TEXTS: dict[str, str] = {
    "duplicate key": f'{{"service": "kia", "service": "{CANARY}"}}',
    "NaN": f'{{"service": "{CANARY}", "channel": NaN}}',
    "Infinity": f'{{"service": "{CANARY}", "x": -Infinity}}',
    "1000 levels": "[" * 1000 + f'"{CANARY}"' + "]" * 1000,
    "100000 levels": "{" + '"a":{' * 100_000 + "}" * 100_001,
    "lone surrogate": f'{{"service": "\\ud800{CANARY}"}}',
    "huge integer": json.dumps(_answers(age_group=10**400)),
    "huge integer text": '{"service": 1%s}' % ("0" * 5000),
    "not UTF-8": f'{{"service": "\xff{CANARY}"}}',
    "trailing data": json.dumps(kia_body(name=CANARY)) + "x",
    "empty": "",
    "a list": json.dumps([kia_body(name=CANARY)]),
    "a string": json.dumps(CANARY),
}

HOSTILE_BODIES: dict[str, Any] = {
    "float answer": _answers(age_group=1.5),
    "boolean answer": _answers(child_name=True),
    "huge answer": _answers(child_nik=10**400),
    "nested answer": _answers(child_name={"x": [CANARY]}),
    "list of numbers answer": _answers(child_name=[1, 2]),
    "unknown answer": _answers(**{CANARY: CANARY}),
    "unknown answer key with spaces": _answers(**{CANARY + " <b>": "x"}),
    "unknown top-level key": {**kia_body(name=CANARY), CANARY + "!": 1},
    "unknown applicant key": _person(**{"x-" + CANARY: CANARY}),
    "organisation fields in a person": _person(business_number=CANARY),
    "organisation without its fields": {
        **kia_body(name=CANARY),
        "applicant": {"name": CANARY, "business_number": 12},
    },
    "a boolean name": _person(name=True),
    "a number for identity": _person(identity_number=3171012501900001),
    "a naive datetime for a date": _person(birth_date=f"2020-01-01T10:00:00{CANARY}"),
    "a datetime for a date": _person(birth_date="2020-01-01T10:00:00"),
    "a number for a date": _person(birth_date=20200101),
    "a channel not known": {**kia_body(name=CANARY), "channel": CANARY},
    "a service not known": {**kia_body(name=CANARY), "service": CANARY},
    "a service not text": {**kia_body(name=CANARY), "service": [CANARY]},
    "documents not a list": {**kia_body(name=CANARY), "documents": {CANARY: 1}},
    "a representative of the wrong shape": {**kia_body(name=CANARY), "representative": CANARY},
    "control characters": _person(name=CANARY + "\x00\x1b[31m\u202e"),
    "a huge name": _person(name=CANARY * 20_000),
}


def _assert_refused(response: Any) -> None:
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert CANARY.lower() not in response.text.lower()
    assert "2020-01-01T10" not in response.text


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One server for the hostile bodies (they create nothing)."""
    settings = settings_for(tmp_path_factory.mktemp("hostile"), submissions_per_minute=100_000)
    with in_process(settings) as found:
        yield found


@pytest.mark.parametrize("name", sorted(HOSTILE_TEXTS))
def test_a_hostile_text_body_is_a_problem_without_its_values(client: Any, name: str) -> None:
    """Malformed JSON of each kind is a 4xx problem that repeats nothing sent."""
    sent = client.post(
        APPLICATIONS,
        content=HOSTILE_TEXTS[name].encode("utf-8", "surrogatepass").replace(b"\xc3\xbf", b"\xff"),
        headers={"Idempotency-Key": new_key(), "Content-Type": "application/json"},
    )
    _assert_refused(sent)


@pytest.mark.parametrize("name", sorted(HOSTILE_BODIES))
def test_a_hostile_body_is_a_problem_without_its_values(client: Any, name: str) -> None:
    """A body of the wrong shape or types is a 4xx problem that repeats no value sent."""
    _assert_refused(_submit(client, HOSTILE_BODIES[name]))


@pytest.mark.parametrize(
    "key",
    [
        b"short",
        b"k" * 129,
        b"a b c d e f g h i j",
        "é".encode() * 20,
        b"\x01" * 20,
        CANARY.encode() * 20,
    ],
)
def test_a_malformed_idempotency_key_is_a_problem(client: Any, key: bytes) -> None:
    """An ``Idempotency-Key`` that is not 16 to 128 URL-safe characters is a 400 problem."""
    sent = client.post(APPLICATIONS, json=kia_body(), headers={"Idempotency-Key": key})
    _assert_refused(sent)


def test_a_missing_idempotency_key_is_a_problem(client: Any) -> None:
    """A submission without an ``Idempotency-Key`` is a 400 problem."""
    _assert_refused(client.post(APPLICATIONS, json=kia_body(name=CANARY)))


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(
        ["service", "channel", "applicant", "answers", "documents", "representative"]
    ),
    value=JSON,
)
def test_any_json_in_a_field_is_never_a_server_error(client: Any, field: str, value: Any) -> None:
    """Any JSON value in any field of a submission is answered without a 5xx."""
    body = {**kia_body(), field: value}
    sent = _submit(client, body)
    assert sent.status_code < 500, sent.text
    if sent.status_code >= 400:
        assert sent.headers["content-type"].startswith("application/problem+json")


def test_an_unreadable_marker_holds_only_for_a_markers_life(tmp_path: Path) -> None:
    """A marker file that cannot be read holds its key while it is young, not after."""
    store = FileStore(tmp_path / "limits", create_directories=True)
    inflight = InFlight(store=store, seconds=60)
    path = _file_of(store, inflight.key(CITIZEN.id, "k" * 20))
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xc1 not msgpack")
    assert anyio.run(inflight.claim, CITIZEN.id, "k" * 20) is None
    old = time.time() - 120
    os.utime(path, (old, old))
    assert anyio.run(inflight.claim, CITIZEN.id, "k" * 20) is not None
