"""A citizen sign-in binds an online submission to the person signed in."""

from __future__ import annotations

from pathlib import Path

import pytest
from citizen_double import assertion
from web_support import in_process, kia_body, new_key, settings_for

from onestop.exceptions import ConfigurationError
from onestop.web import ServeSettings
from onestop.web._runtime import Runtime

NIK = "3171012501900001"


def _settings(tmp_path: Path) -> ServeSettings:
    return settings_for(tmp_path, citizen_sign_in="citizen_double:sign_in")


def test_a_signed_in_citizen_submits_as_themselves(tmp_path: Path) -> None:
    """The application's submitter is citizen:<subject>, not the anonymous actor."""
    headers = {"Idempotency-Key": new_key(), "X-Citizen": assertion("nid-7", NIK)}
    with in_process(_settings(tmp_path)) as client:
        sent = client.post("/api/v1/applications", json=kia_body(nik=NIK), headers=headers)
        assert sent.status_code == 201, sent.text
        mall = client.app.state.runtime.mall
        application = mall.application(sent.json()["application_id"])
    assert application.submitted_by == "citizen:nid-7"


def test_a_signed_in_citizen_cannot_apply_under_another_number(tmp_path: Path) -> None:
    """A submission naming someone else's identity number is refused, naming the field."""
    headers = {"Idempotency-Key": new_key(), "X-Citizen": assertion("nid-7", NIK)}
    with in_process(_settings(tmp_path)) as client:
        sent = client.post(
            "/api/v1/applications", json=kia_body(nik="3171012501900002"), headers=headers
        )
    assert sent.status_code == 422
    assert sent.json()["problems"] == [
        {"path": "applicant.identity_number", "message": "is not the signed-in citizen's own"}
    ]
    assert "3171012501900002" not in sent.text


@pytest.mark.parametrize("header", ["nid-7.3171012501900001.forged", "garbage", ""])
def test_a_forged_assertion_is_refused_not_served_as_anonymous(tmp_path: Path, header: str) -> None:
    """Credentials that do not verify are a 401, never an anonymous submission."""
    headers = {"Idempotency-Key": new_key(), "X-Citizen": header}
    with in_process(_settings(tmp_path)) as client:
        sent = client.post("/api/v1/applications", json=kia_body(nik=NIK), headers=headers)
    assert sent.status_code == 401


def test_without_a_sign_in_everyone_is_anonymous(tmp_path: Path) -> None:
    """The default signs no one in, whatever headers come."""
    headers = {"Idempotency-Key": new_key(), "X-Citizen": assertion("nid-7", NIK)}
    with in_process(settings_for(tmp_path)) as client:
        sent = client.post("/api/v1/applications", json=kia_body(), headers=headers)
        application = client.app.state.runtime.mall.application(sent.json()["application_id"])
    assert application.submitted_by == "citizen:online"


def test_a_sign_in_named_by_its_class_is_made_and_used(tmp_path: Path) -> None:
    """``citizen_sign_in`` naming a class makes one of it, which signs citizens in."""
    headers = {"Idempotency-Key": new_key(), "X-Citizen": assertion("nid-7", NIK)}
    settings = settings_for(tmp_path, citizen_sign_in="citizen_double:GatewaySignIn")
    with in_process(settings) as client:
        sent = client.post("/api/v1/applications", json=kia_body(nik=NIK), headers=headers)
        assert sent.status_code == 201, sent.text
        application = client.app.state.runtime.mall.application(sent.json()["application_id"])
    assert application.submitted_by == "citizen:nid-7"


@pytest.mark.parametrize("target", ["nope", "citizen_double:missing", "json:dumps", "::"])
def test_a_sign_in_that_cannot_be_loaded_stops_the_start(tmp_path: Path, target: str) -> None:
    """A wrong --citizen-sign-in is a ConfigurationError naming the option."""
    with pytest.raises(ConfigurationError, match="--citizen-sign-in"):
        Runtime.start(settings_for(tmp_path, citizen_sign_in=target))
