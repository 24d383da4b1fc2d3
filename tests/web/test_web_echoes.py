"""Problem details never quote back a value the request carried (onestop.web._scrub)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from web_support import in_process, kia_body, new_key, settings_for

MARK = "Zq9Echo"

# Any text around a marker: the marker must not come back, whatever surrounds it.
echoed = st.builds(
    lambda before, after: f"{before}{MARK}{after}",
    st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
)


def _shown(answer: Any) -> str:
    return json.dumps(answer.json(), ensure_ascii=False) + json.dumps(dict(answer.headers))


def test_a_value_sent_in_any_body_field_is_not_quoted_back() -> None:
    """Whatever text a client puts in the channel, the service code, an answer's name or
    value, or an applicant's name, the problem answered does not contain it."""
    with tempfile.TemporaryDirectory() as directory:
        options = settings_for(Path(directory), submissions_per_minute=1_000_000)
        with in_process(options) as client:

            @settings(max_examples=150, deadline=None)
            @given(value=echoed, where=st.sampled_from(["channel", "service", "key", "answer"]))
            def check(value: str, where: str) -> None:
                body = kia_body()
                if where in ("channel", "service"):
                    body[where] = value
                elif where == "key":
                    body["answers"] = {**body["answers"], value: "x"}
                else:
                    body["answers"] = {**body["answers"], "age_group": value}
                answer = client.post(
                    "/api/v1/applications", json=body, headers={"Idempotency-Key": new_key()}
                )
                assert answer.status_code in (400, 404, 422), answer.text
                assert MARK.lower() not in _shown(answer).lower(), (repr(value), where, answer.text)

            check()


def test_a_declared_media_type_is_not_quoted_back(tmp_path: Path) -> None:
    """An upload refused for a declared type it does not know does not repeat it."""
    with in_process(settings_for(tmp_path)) as client:
        answer = client.post(
            "/api/v1/uploads",
            content=b"plain words",
            headers={"Content-Type": f"image/{MARK}-siti-rahayu"},
        )
    assert answer.status_code == 415
    assert MARK.lower() not in _shown(answer).lower()
    assert "declared None" in answer.json()["detail"]


def test_the_servers_own_words_are_kept(tmp_path: Path) -> None:
    """What the client did not send (the channels allowed) stays in the problem."""
    with in_process(settings_for(tmp_path)) as client:
        answer = client.post(
            "/api/v1/applications",
            json={**kia_body(), "channel": f"by {MARK}"},
            headers={"Idempotency-Key": new_key()},
        )
    assert answer.status_code in (400, 422)
    detail = answer.json()["detail"]
    assert MARK.lower() not in detail.lower()
    assert "counter" in detail


def test_an_undeclared_answer_key_shaped_like_a_field_name_is_not_named(tmp_path: Path) -> None:
    """An answer key no form declares is a value the client sent, even when it looks like
    a field's name (``nik_3171...``), and is not named back; a declared field still is."""
    keys = ["nik_3171012501900001", "siti_rahayu"]
    with in_process(settings_for(tmp_path)) as client:
        answers = [
            client.post(
                "/api/v1/applications",
                json={**kia_body(), "answers": {**kia_body()["answers"], key: "x"}},
                headers={"Idempotency-Key": new_key()},
            )
            for key in keys
        ]
        declared = client.post(
            "/api/v1/applications",
            json={**kia_body(), "answers": {**kia_body()["answers"], "age_group": "old"}},
            headers={"Idempotency-Key": new_key()},
        )
    for key, answer in zip(keys, answers, strict=True):
        assert answer.status_code == 422, answer.text
        assert key not in _shown(answer), answer.text
    assert declared.status_code == 422, declared.text
    assert "age_group" in declared.text


def test_an_unknown_body_key_shaped_like_a_field_name_is_not_named(tmp_path: Path) -> None:
    """An unknown key of the body itself, of its applicant or of a document, is the
    client's value even when it looks like a field's name (``nik_3171...``): the problem
    names the object it was sent in, not the key."""
    key = "nik_3171012501900001"
    bodies = [
        {**kia_body(), key: "x"},
        {**kia_body(), "applicant": {**kia_body()["applicant"], key: "x"}},
        {**kia_body(), "documents": [{"document_id": "d1", "requirement": "kk", key: "x"}]},
    ]
    with in_process(settings_for(tmp_path)) as client:
        answers = [
            client.post("/api/v1/applications", json=body, headers={"Idempotency-Key": new_key()})
            for body in bodies
        ]
    places = ["body.?", "body.applicant.?", "body.documents[0].?"]
    for answer, where in zip(answers, places, strict=True):
        assert answer.status_code == 422, answer.text
        assert key not in _shown(answer), answer.text
        assert {"path": where, "message": "unknown key"} in answer.json()["problems"]


def test_the_schemas_words_the_client_sent_are_kept(tmp_path: Path) -> None:
    """An identity scheme's code, or another word of the catalogue's (a code, an action, a
    state), is kept in the problem even when the client sent it: it is the schema's, not
    personal data; the number beside it is still not quoted back."""
    body = kia_body()
    body["applicant"] = {**body["applicant"], "identity_scheme": "kr-rrn"}
    with in_process(settings_for(tmp_path)) as client:
        answer = client.post(
            "/api/v1/applications", json=body, headers={"Idempotency-Key": new_key()}
        )
    assert answer.status_code == 422, answer.text
    shown = _shown(answer)
    assert "kr-rrn" in shown
    assert body["applicant"]["identity_number"] not in shown
