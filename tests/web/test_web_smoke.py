"""The online mall answers the basic round trip: submit, replay, track."""

from __future__ import annotations

from pathlib import Path

from web_support import in_process, kia_body, new_key, settings_for


def test_a_submission_is_tracked_with_its_number_and_secret(tmp_path: Path) -> None:
    """A citizen submits, gets a number and a secret, and tracks the application with them."""
    with in_process(settings_for(tmp_path)) as client:
        sent = client.post(
            "/api/v1/applications", json=kia_body(), headers={"Idempotency-Key": new_key()}
        )
        assert sent.status_code == 201, sent.text
        receipt = sent.json()
        status = client.get(
            "/api/v1/tracking",
            params={"number": receipt["number"]},
            headers={"Lookup-Secret": receipt["lookup_secret"]},
        )
        assert status.status_code == 200, status.text
        assert status.json()["number"] == receipt["number"]


def test_a_replay_returns_the_same_receipt(tmp_path: Path) -> None:
    """The same body under the same key answers 200 with the very same receipt."""
    key = new_key()
    with in_process(settings_for(tmp_path)) as client:
        first = client.post(
            "/api/v1/applications", json=kia_body(), headers={"Idempotency-Key": key}
        )
        again = client.post(
            "/api/v1/applications", json=kia_body(), headers={"Idempotency-Key": key}
        )
        other = client.post(
            "/api/v1/applications", json=kia_body(name="Budi"), headers={"Idempotency-Key": key}
        )
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 422)
    assert {**first.json(), "replayed": True} == again.json()


def test_unknown_paths_under_the_openapi_router_are_problems_too(tmp_path: Path) -> None:
    """An unknown path under /api answers the same 404 problem as any other unknown path."""
    with in_process(settings_for(tmp_path)) as client:
        answers = [client.get(path) for path in ("/api/nope", "/api/v1/nope", "/nope")]
        docs = client.get("/api/docs")
    assert {a.status_code for a in answers} == {404}
    assert {a.headers["content-type"] for a in answers} == {"application/problem+json"}
    assert len({a.content for a in answers}) == 1
    assert (docs.status_code, docs.headers["content-type"].split(";")[0]) == (200, "text/html")
