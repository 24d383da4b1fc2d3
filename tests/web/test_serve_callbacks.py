"""Agencies' signed callbacks, mounted on ``POST /api/v1/agencies/{agency}/callbacks``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from test_web_openapi import schemas, untyped
from web_support import in_process, new_key, settings_for

from onestop.domain.common.actors import Actor
from onestop.exceptions import ConfigurationError
from onestop.transport.signing import WebhookSigner
from onestop.web._callbacks import read_callback_secrets
from onestop.web._runtime import Runtime

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a test secret
OTHER = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
AGENCY = "dpmptsp-dki"
STATUSES = {"validated": {"event": "oss.validated"}}

NIB_ANSWERS = {
    "applicant_type": "perorangan",
    "nik": "3171012501900001",
    "full_name": "Ani Lestari",
    "email": "ani@example.org",
    "business_name": "Warung Ani",
    "business_address": "Jl. Melati 1, Jakarta",
    "kbli": "56101",
    "business_scale": "mikro",
    "capital": 5000000,
    "risk_level": "rendah",
    "foreign_investment": False,
}


def _secrets_file(tmp_path: Path, content: Any) -> str:
    path = tmp_path / "callbacks.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    return str(path)


def _validating(client: Any) -> tuple[str, int]:
    """An NIB application moved to ``validating``, waiting for OSS; its id and version."""
    sent = client.post(
        "/api/v1/applications",
        json={
            "service": "nib",
            "channel": "online",
            "applicant": {
                "identity_number": "3171012501900001",
                "identity_scheme": "id-nik",
                "name": "Ani Lestari",
            },
            "answers": NIB_ANSWERS,
        },
        headers={"Idempotency-Key": new_key()},
    )
    assert sent.status_code == 201, sent.text
    runtime: Runtime = client.app.state.runtime
    application_id = sent.json()["application_id"]
    app = runtime.mall.act(
        application_id, "submit_data", actor=Actor(id="officer-1", roles={"front_office"})
    )
    assert app.state == "validating"
    return application_id, app.version


def _signed(
    application_id: str, message_id: str, secret: str = SECRET
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "agency": AGENCY,
            "application_id": application_id,
            "status": "validated",
            "reference": "OSS-1",
        }
    ).encode()
    headers = WebhookSigner([secret]).headers(message_id, body, timestamp=datetime.now(UTC))
    return body, {**headers, "Content-Type": "application/json"}


def test_a_signed_callback_moves_the_application_on(tmp_path: Path) -> None:
    """A callback signed with the agency's secret fires the event and answers the new state."""
    secrets = _secrets_file(tmp_path, {AGENCY: {"secrets": [SECRET], "statuses": STATUSES}})
    with in_process(settings_for(tmp_path, callback_secrets=secrets)) as client:
        application_id, version = _validating(client)
        body, headers = _signed(application_id, "msg_first")
        answer = client.post(f"/api/v1/agencies/{AGENCY}/callbacks", content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "webhook_id": "msg_first",
            "application_id": application_id,
            "status": "validated",
            "applied": True,
            "state": "issued",
            "version": answer.json()["version"],
            "duplicate": False,
        }
        assert answer.json()["version"] > version


def test_a_forged_callback_is_401_and_changes_nothing(tmp_path: Path) -> None:
    """A callback signed with another secret is a 401 problem; the state stays."""
    secrets = _secrets_file(tmp_path, {AGENCY: {"secrets": [SECRET], "statuses": STATUSES}})
    with in_process(settings_for(tmp_path, callback_secrets=secrets)) as client:
        application_id, version = _validating(client)
        forged_body, forged = _signed(application_id, "msg_forged", secret=OTHER)
        refused = client.post(
            f"/api/v1/agencies/{AGENCY}/callbacks", content=forged_body, headers=forged
        )
        runtime: Runtime = client.app.state.runtime
        assert runtime.mall.application(application_id).version == version
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "urn:onestop:problem:WebhookVerificationError"


def test_a_retry_of_an_applied_callback_is_200_duplicate_and_applied_once(tmp_path: Path) -> None:
    """A correctly signed retry under an applied callback's webhook id (its answer was lost)
    is 200 with ``duplicate`` true and applies nothing again; a forged one under that id is
    still 401."""
    secrets = _secrets_file(tmp_path, {AGENCY: {"secrets": [SECRET], "statuses": STATUSES}})
    url = f"/api/v1/agencies/{AGENCY}/callbacks"
    with in_process(settings_for(tmp_path, callback_secrets=secrets)) as client:
        application_id, _ = _validating(client)
        body, headers = _signed(application_id, "msg_once")
        first = client.post(url, content=body, headers=headers)
        runtime: Runtime = client.app.state.runtime
        version = runtime.mall.application(application_id).version
        again = client.post(url, content=body, headers=headers)  # the same request again
        body, headers = _signed(application_id, "msg_once")  # signed anew, as a sender retries
        retried = client.post(url, content=body, headers=headers)
        forged_body, forged = _signed(application_id, "msg_once", secret=OTHER)
        refused = client.post(url, content=forged_body, headers=forged)
        after = runtime.mall.application(application_id).version
    assert first.status_code == 200, first.text
    assert (again.status_code, retried.status_code, refused.status_code) == (200, 200, 401)
    expected = {**first.json(), "applied": False, "duplicate": True}
    assert again.json() == retried.json() == expected
    assert first.json()["version"] == version == after


def test_the_callback_route_is_documented_valid_and_typed(tmp_path: Path) -> None:
    """With ``--callback-secrets`` the OpenAPI document stays valid and typed, and the
    callback's answer requires ``duplicate``, a boolean."""
    secrets = _secrets_file(tmp_path, {AGENCY: {"secrets": [SECRET], "statuses": STATUSES}})
    with in_process(settings_for(tmp_path, callback_secrets=secrets)) as client:
        document = client.get("/api/openapi.json").json()
    validate(document)
    assert [(where, why) for where, schema in schemas(document) if (why := untyped(schema))] == []
    answer = document["components"]["schemas"]["CallbackAnswer"]
    assert answer["properties"]["duplicate"] == {"type": "boolean"}
    assert "duplicate" in answer["required"]


def test_a_status_resent_after_it_closed_the_application_is_already_applied(
    tmp_path: Path,
) -> None:
    """The status that closed the application, resent under a new id, answers 200 with
    ``applied`` false (it was a 409: the application is closed), and changes nothing."""
    secrets = _secrets_file(tmp_path, {AGENCY: {"secrets": [SECRET], "statuses": STATUSES}})
    with in_process(settings_for(tmp_path, callback_secrets=secrets)) as client:
        application_id, _ = _validating(client)
        url = f"/api/v1/agencies/{AGENCY}/callbacks"
        body, headers = _signed(application_id, "msg_1")
        first = client.post(url, content=body, headers=headers)
        body, headers = _signed(application_id, "msg_2")
        again = client.post(url, content=body, headers=headers)
    assert first.status_code == 200, first.text
    assert again.status_code == 200, again.text
    assert first.json()["state"] == "issued"
    assert again.json() == {**first.json(), "webhook_id": "msg_2", "applied": False}


def test_two_agencies_may_send_the_same_webhook_id(tmp_path: Path) -> None:
    """Each agency picks its own ids: one agency's id ``1`` is not taken for another's
    replay, while each agency's own replay still is (answered as a duplicate)."""
    other = {"secrets": [OTHER], "statuses": STATUSES, "services": ["nib"]}
    secrets = _secrets_file(
        tmp_path, {AGENCY: {"secrets": [SECRET], "statuses": STATUSES}, "bpjph": other}
    )
    with in_process(settings_for(tmp_path, callback_secrets=secrets)) as client:
        mine, _ = _validating(client)
        theirs, _ = _validating(client)
        body, headers = _signed(mine, "1")
        first = client.post(f"/api/v1/agencies/{AGENCY}/callbacks", content=body, headers=headers)
        again = client.post(f"/api/v1/agencies/{AGENCY}/callbacks", content=body, headers=headers)
        their_body = json.dumps(
            {"agency": "bpjph", "application_id": theirs, "status": "validated", "reference": "B"}
        ).encode()
        their_headers = WebhookSigner([OTHER]).headers("1", their_body, timestamp=datetime.now(UTC))
        second = client.post(
            "/api/v1/agencies/bpjph/callbacks", content=their_body, headers=their_headers
        )
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["duplicate"] is True
    assert second.status_code == 200, second.text
    assert second.json()["applied"] is True


def test_a_refused_callback_is_heard_when_the_agency_retries_it(tmp_path: Path) -> None:
    """A callback refused after its signature verified (409: the application is suspended)
    changed nothing, so the agency's retry under the same id, once resumed, is applied."""
    secrets = _secrets_file(tmp_path, {AGENCY: {"secrets": [SECRET], "statuses": STATUSES}})
    with in_process(settings_for(tmp_path, callback_secrets=secrets)) as client:
        application_id, version = _validating(client)
        runtime: Runtime = client.app.state.runtime
        officer = Actor(id="officer-1", roles={"front_office"})
        runtime.mall.suspend(application_id, reason="waiting", actor=officer)
        url = f"/api/v1/agencies/{AGENCY}/callbacks"
        body, headers = _signed(application_id, "msg_retried")
        refused = client.post(url, content=body, headers=headers)
        suspended_version = runtime.mall.application(application_id).version
        runtime.mall.resume(application_id, actor=officer)
        body, headers = _signed(application_id, "msg_retried")  # signed anew, as a sender retries
        retried = client.post(url, content=body, headers=headers)
    assert refused.status_code == 409, refused.text
    assert suspended_version == version + 1  # the suspension only
    assert retried.status_code == 200, retried.text
    assert (retried.json()["applied"], retried.json()["state"]) == (True, "issued")


@pytest.mark.parametrize(
    ("services", "status"), [(None, 404), (["rekening-tabungan"], 404), (["nib"], 200)]
)
def test_an_agency_reports_only_on_its_services_applications(
    tmp_path: Path, services: list[str] | None, status: int
) -> None:
    """Another agency's secret and URL moving an NIB application on (a service it neither
    provides nor is given) is a 404 problem, as for no application, and nothing changes;
    given ``services`` naming NIB, the same callback is applied."""
    entry: dict[str, Any] = {"secrets": [OTHER], "statuses": STATUSES}
    if services is not None:
        entry["services"] = services
    secrets = _secrets_file(tmp_path, {"bpjph": entry})
    with in_process(settings_for(tmp_path, callback_secrets=secrets)) as client:
        application_id, version = _validating(client)
        body = json.dumps(
            {
                "agency": "bpjph",
                "application_id": application_id,
                "status": "validated",
                "reference": "OSS-1",
            }
        ).encode()
        headers = WebhookSigner([OTHER]).headers("msg_b", body, timestamp=datetime.now(UTC))
        answer = client.post(
            "/api/v1/agencies/bpjph/callbacks",
            content=body,
            headers={**headers, "Content-Type": "application/json"},
        )
        runtime: Runtime = client.app.state.runtime
        after = runtime.mall.application(application_id).version
    assert answer.status_code == status, answer.text
    assert (after == version) == (status == 404)
    if status == 404:
        assert answer.json()["type"] == "urn:onestop:problem:ApplicationNotFound"
        assert application_id not in answer.text


def test_an_agency_without_a_secret_is_not_found(tmp_path: Path) -> None:
    """Another agency's URL answers 404: only the agencies given a secret are served."""
    secrets = _secrets_file(tmp_path, {AGENCY: {"secrets": [SECRET], "statuses": STATUSES}})
    with in_process(settings_for(tmp_path, callback_secrets=secrets)) as client:
        body, headers = _signed("x" * 32, "msg_elsewhere")
        answer = client.post("/api/v1/agencies/bpjph/callbacks", content=body, headers=headers)
    assert answer.status_code == 404


def test_without_callback_secrets_the_route_is_not_served(tmp_path: Path) -> None:
    """A server started without ``--callback-secrets`` has no callbacks route at all."""
    with in_process(settings_for(tmp_path)) as client:
        body, headers = _signed("x" * 32, "msg_none")
        answer = client.post(f"/api/v1/agencies/{AGENCY}/callbacks", content=body, headers=headers)
        document = client.get("/api/openapi.json").json()
    assert answer.status_code in (404, 405)
    assert not any("callbacks" in path for path in document["paths"])


def test_statuses_default_to_the_catalogues_agency_events(tmp_path: Path) -> None:
    """A bare secret accepts the statuses of the catalogue's ``agency.*`` events."""
    settings = settings_for(tmp_path)
    runtime = Runtime.start(settings)
    try:
        (entry,) = read_callback_secrets(
            _secrets_file(tmp_path, {"bpjph": SECRET}), runtime.mall.catalogue
        )
    finally:
        runtime.close()
    assert {"approved", "rejected", "completed"} <= set(entry.statuses)
    assert entry.statuses["approved"].kind == "event"


@pytest.mark.parametrize(
    "content",
    [
        [],
        {"no-such-agency": SECRET},
        {AGENCY: "not-a-secret"},
        {AGENCY: {"secrets": [SECRET], "statuses": {"validated": 3}}},
        {AGENCY: {"secret": SECRET}},
        {AGENCY: {"secrets": [SECRET], "services": "nib"}},
        {AGENCY: {"secrets": [SECRET], "services": ["no-such-service"]}},
        {AGENCY: {"secrets": [SECRET], "statuses": {"": "submit_data"}}},
        {AGENCY: {"secrets": [SECRET], "statuses": {"x\u0000": "submit_data"}}},
        {AGENCY: {"secrets": [SECRET], "statuses": {}}},
        {AGENCY: {"secrets": [SECRET], "statuses": {"validated": "no-such-action"}}},
        {AGENCY: {"secrets": [SECRET], "statuses": {"validated": {"event": "no.such.event"}}}},
    ],
)
def test_a_bad_secrets_file_is_a_configuration_error_without_the_secret(
    tmp_path: Path, content: Any
) -> None:
    """A malformed file, an unknown agency or a bad secret is refused, quoting no secret."""
    settings = settings_for(tmp_path)
    runtime = Runtime.start(settings)
    try:
        with pytest.raises(ConfigurationError) as caught:
            read_callback_secrets(_secrets_file(tmp_path, content), runtime.mall.catalogue)
    finally:
        runtime.close()
    assert "MfKQ9r8" not in str(caught.value)
    assert "not-a-secret" not in str(caught.value)


def test_the_file_replay_cache_refuses_a_live_id_and_forgets_on_request(tmp_path: Path) -> None:
    """An id is refused while remembered, accepted once forgotten or expired, by any worker's
    cache over the same directory."""
    from datetime import timedelta

    from onestop.web._callbacks import FileReplayCache

    now = datetime.now(UTC)
    one, other = FileReplayCache(tmp_path / "seen"), FileReplayCache(tmp_path / "seen")
    until = now + timedelta(minutes=5)
    assert one.remember("msg_a", until=until, now=now) is True
    assert other.remember("msg_a", until=until, now=now) is False
    other.forget("msg_a")
    assert one.remember("msg_a", until=until, now=now) is True
    later = until + timedelta(seconds=1)
    assert other.remember("msg_a", until=later + timedelta(minutes=5), now=later) is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f'{{"bpjph": "{OTHER}", "bpjph": "{SECRET}"}}', "'bpjph' is given twice"),
        ('{"bpjph": ' + "[" * 100_000 + "]" * 100_000 + "}", "it is not JSON"),
    ],
)
def test_a_secrets_file_with_a_repeated_key_or_too_deep_is_refused(
    tmp_path: Path, text: str, expected: str
) -> None:
    """An agency given twice (the last would silently win) or nesting too deep to read is
    a `ConfigurationError` naming the flag, not a silent choice or a crash."""
    path = tmp_path / "callbacks.json"
    path.write_text(text, encoding="utf-8")
    runtime = Runtime.start(settings_for(tmp_path))
    try:
        with pytest.raises(ConfigurationError) as caught:
            read_callback_secrets(str(path), runtime.mall.catalogue)
    finally:
        runtime.close()
    assert str(caught.value).startswith("--callback-secrets: ")
    assert expected in str(caught.value)
    assert "MfKQ9r8" not in str(caught.value)
