"""Staff sign-in, sessions, API tokens and CSRF, in process: each answer one by one.

The acting officer is always the authenticated one: a browser session (the cookies the
sign-in sets) or an API token.  Every failure to authenticate is the same 401; a
signed-in browser's request that changes something needs its CSRF token, a bearer
request does not; sign-in refuses hostile bodies with typed 4xx answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web_support import PASSWORD, in_process, kia_body, new_key, settings_for, signed_in
from web_support import staff_accounts as make_accounts

OFFICER = "officer-ana"
SESSION = "/api/v1/staff/session"
ME = "/api/v1/staff/me"


@pytest.fixture
def mall(tmp_path: Path) -> Iterator[tuple[Any, str, str]]:
    """An in-process client, an officer's API token and a submitted application's path."""
    options = settings_for(tmp_path)
    tokens = make_accounts(options, {OFFICER: ("front_office", "verifier")})
    with in_process(options) as client:
        sent = client.post(
            "/api/v1/applications", json=kia_body(), headers={"Idempotency-Key": new_key()}
        )
        yield client, tokens[OFFICER], f"/api/v1/applications/{sent.json()['application_id']}"


def _set_cookies(answer: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, value in answer.headers.multi_items():
        if name.lower() == "set-cookie":
            jar: SimpleCookie = SimpleCookie()
            jar.load(value)
            found.update({key: (morsel, value) for key, morsel in jar.items()})
    return found


def _accept(client: Any, path: str, headers: dict[str, str]) -> Any:
    etag = client.get(path, headers=headers).headers["ETag"]
    return client.post(
        f"{path}/actions", json={"action": "accept"}, headers={**headers, "If-Match": etag}
    )


def test_signing_in_sets_a_strict_http_only_secure_session_cookie(
    mall: tuple[Any, str, str],
) -> None:
    """Sign-in is 201 and sets the session cookie HttpOnly, SameSite=Strict and Secure, and
    the CSRF cookie readable by the page (not HttpOnly)."""
    client, _, _ = mall
    answer = client.post(SESSION, json={"account": OFFICER, "password": PASSWORD})
    assert answer.status_code == 201, answer.text
    cookies = _set_cookies(answer)
    session, raw = cookies["onestop_session"]
    assert session["httponly"]
    assert session["secure"]
    assert session["path"] == "/"
    assert "samesite=strict" in raw.lower()
    csrf, raw_csrf = cookies["onestop_csrf"]
    assert not csrf["httponly"]
    assert "samesite=strict" in raw_csrf.lower()
    assert csrf.value == answer.json()["csrf_token"]
    assert answer.json()["staff"]["account_id"] == OFFICER


def test_a_plain_http_loopback_public_url_drops_secure(tmp_path: Path) -> None:
    """Served as plain http on loopback (a developer's machine), the cookies are not Secure."""
    options = settings_for(tmp_path, public_url="http://127.0.0.1:8000")
    make_accounts(options, {OFFICER: ("verifier",)})
    with in_process(options) as client:
        answer = client.post(SESSION, json={"account": OFFICER, "password": PASSWORD})
    assert answer.status_code == 201, answer.text
    assert not _set_cookies(answer)["onestop_session"][0]["secure"]


def test_me_names_the_session_s_officer_and_roles_and_no_secret(
    mall: tuple[Any, str, str],
) -> None:
    """GET /staff/me with a session names the account, its roles and method; no secret."""
    client, token, _ = mall
    browser = signed_in(client, OFFICER)
    me = client.get(ME, headers=browser)
    assert me.status_code == 200, me.text
    assert me.json() == {
        "account_id": OFFICER,
        "method": "password",
        "roles": ["front_office", "verifier"],
        "grants": [],
    }
    assert token not in me.text
    assert browser["X-CSRF-Token"] not in me.text


def test_me_with_an_api_token_says_token(mall: tuple[Any, str, str]) -> None:
    """A bearer request is authenticated by its token, whatever cookie it also carries."""
    client, token, _ = mall
    me = client.get(
        ME, headers={"Authorization": f"Bearer {token}", "Cookie": "onestop_session=forged"}
    )
    assert (me.status_code, me.json()["method"]) == (200, "token"), me.text


def test_an_unknown_account_and_a_wrong_password_are_the_same_401(
    mall: tuple[Any, str, str],
) -> None:
    """Sign-in says nothing of which accounts exist: the same 401, byte for byte."""
    client, _, _ = mall
    wrong = client.post(SESSION, json={"account": OFFICER, "password": "not the password!"})
    unknown = client.post(SESSION, json={"account": "officer-nobody", "password": PASSWORD})
    assert (wrong.status_code, unknown.status_code) == (401, 401)
    assert wrong.content == unknown.content
    assert wrong.json()["type"] == "urn:onestop:problem:SignInRefused"
    assert "set-cookie" not in wrong.headers


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Cookie": "onestop_session=unknown-session-value"},
        {"Cookie": "onestop_session="},
        {"Authorization": "Bearer not-a-token-of-ours"},
        {"Authorization": "Basic b2ZmaWNlcjpwYXNzd29yZA=="},
        {"Authorization": "Bearer " + "x" * 5000},
    ],
    ids=["none", "unknown-session", "empty-session", "wrong-token", "basic", "huge-token"],
)
def test_every_failure_to_authenticate_is_the_same_401(
    mall: tuple[Any, str, str], headers: dict[str, str]
) -> None:
    """No credential, an unknown session, a wrong token or a malformed header: one 401."""
    client, _, path = mall
    answers = [client.get(ME, headers=headers), client.get(path, headers=headers)]
    assert [a.status_code for a in answers] == [401, 401]
    assert answers[0].content == answers[1].content
    assert answers[0].json()["type"] == "urn:onestop:problem:NotAuthenticated"


def test_a_signed_out_session_is_401(mall: tuple[Any, str, str]) -> None:
    """Signing out (with the CSRF token) clears the cookies; the session is then unknown."""
    client, _, _ = mall
    browser = signed_in(client, OFFICER)
    out = client.delete(SESSION, headers=browser)
    assert out.status_code == 204, out.text
    assert _set_cookies(out)["onestop_session"][0].value == ""
    assert client.get(ME, headers=browser).status_code == 401


@pytest.mark.parametrize(
    "csrf",
    [None, "", "0" * 128, "other-session"],
    ids=["missing", "empty", "forged", "another-session-s"],
)
def test_a_browser_s_change_without_its_csrf_token_is_403_and_changes_nothing(
    mall: tuple[Any, str, str], csrf: str | None
) -> None:
    """A session's action without its own CSRF token (missing, forged, another session's,
    even with a matching cookie) is 403 CsrfRefused; the application is unchanged."""
    client, token, path = mall
    browser = signed_in(client, OFFICER)
    if csrf == "other-session":
        csrf = signed_in(client, OFFICER)["X-CSRF-Token"]
    session = browser["Cookie"].split(";")[0]
    headers = {"Cookie": session if csrf is None else f"{session}; onestop_csrf={csrf}"}
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    refused = _accept(client, path, headers)
    assert refused.status_code == 403, refused.text
    assert refused.json()["type"] == "urn:onestop:problem:CsrfRefused"
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get(path, headers=bearer).json()["version"] == 1
    assert client.delete(SESSION, headers=headers).status_code == 403
    assert client.get(ME, headers=browser).status_code == 200  # still signed in


def test_a_browser_s_change_with_its_csrf_token_goes_through(mall: tuple[Any, str, str]) -> None:
    """With the session's CSRF token in the header and the cookie, the action is taken, as
    the signed-in officer."""
    client, _, path = mall
    acted = _accept(client, path, signed_in(client, OFFICER))
    assert acted.status_code == 200, acted.text
    assert acted.json()["state"] == "verification"


def test_a_bearer_request_needs_no_csrf_token(mall: tuple[Any, str, str]) -> None:
    """An API token's action needs no CSRF token: a browser never sends it cross-site."""
    client, token, path = mall
    assert _accept(client, path, {"Authorization": f"Bearer {token}"}).status_code == 200


def test_the_right_password_is_refused_while_locked(mall: tuple[Any, str, str]) -> None:
    """After too many failures the account is locked: the right password too is 429 with
    Retry-After, and no cookie is set."""
    client, _, _ = mall
    statuses = [
        client.post(SESSION, json={"account": OFFICER, "password": f"wrong password {n}"})
        for n in range(8)
    ]
    assert statuses[0].status_code == 401
    locked = client.post(SESSION, json={"account": OFFICER, "password": PASSWORD})
    assert locked.status_code == 429, locked.text
    assert int(locked.headers["Retry-After"]) > 0
    assert locked.json()["type"] == "urn:onestop:problem:AccountLocked"
    assert "set-cookie" not in locked.headers


HOSTILE = [
    b"",
    b"null",
    b"[]",
    b'"account"',
    b'{"account": "officer-ana"}',
    b'{"account": 1, "password": 2}',
    b'{"account": "officer-ana", "password": "x", "extra": 1}',
    b'{"account": "officer-ana", "password": "' + b"p" * 5000 + b'"}',
    b'{"account": "' + b"a" * 5000 + b'", "password": "a staff password for the tests"}',
    b'{"account": "\xd0\xbe\xd1\x84\xd0\xb8\xd1\x86\xd0\xb5\xd1\x80", "password": "\\ud800"}',
    b'{"account": "officer-ana", "password": "a", "password": "b"}',
    b"[" * 5000 + b"]" * 5000,
    b'{"account": {"$ne": null}, "password": {"$gt": ""}}',
    b'{"account": "officer-ana\\u0000", "password": "a staff password for the tests"}',
    b"\xff\xfe{not json",
]


@pytest.mark.parametrize("body", HOSTILE, ids=[f"hostile-{n}" for n in range(len(HOSTILE))])
def test_a_hostile_sign_in_is_a_typed_4xx(mall: tuple[Any, str, str], body: bytes) -> None:
    """Huge, unicode, nested, duplicated or ill-typed sign-in bodies: a typed 4xx problem
    that echoes nothing sent, and no session."""
    client, _, _ = mall
    answer = client.post(SESSION, content=body, headers={"Content-Type": "application/json"})
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["type"].startswith("urn:onestop:problem:")
    assert "set-cookie" not in answer.headers
    assert "ppppp" not in answer.text
    assert "aaaaa" not in answer.text


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=40),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner),
        max_leaves=8,
    )
    | st.fixed_dictionaries(
        {"account": st.text(max_size=300), "password": st.text(max_size=1100)},
        optional={"code": st.text(max_size=20) | st.none() | st.integers()},
    )
)
def test_any_json_sign_in_is_a_typed_4xx(mall: tuple[Any, str, str], body: Any) -> None:
    """Whatever JSON is sent to sign in with (never the right password): a typed 4xx."""
    client, _, _ = mall
    answer = client.post(
        SESSION, content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["type"].startswith("urn:onestop:problem:")


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
def test_a_sign_in_another_site_s_form_could_send_is_415(
    mall: tuple[Any, str, str], content_type: str
) -> None:
    """Sign-in takes a JSON body only: a cross-site form (text/plain, urlencoded, multipart)
    cannot sign a victim's browser into another account (login CSRF)."""
    client, _, _ = mall
    body = json.dumps({"account": OFFICER, "password": PASSWORD})
    answer = client.post(SESSION, content=body, headers={"Content-Type": content_type})
    assert answer.status_code == 415, answer.text
    assert "set-cookie" not in answer.headers


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}],
    ids=["sec-fetch-site", "origin"],
)
def test_a_sign_in_a_browser_says_comes_from_another_site_is_403(
    mall: tuple[Any, str, str], headers: dict[str, str]
) -> None:
    """A sign-in a browser marks as coming from another site is refused and sets no cookie;
    the mall's own origin is accepted."""
    client, _, _ = mall
    body = {"account": OFFICER, "password": PASSWORD}
    refused = client.post(SESSION, json=body, headers=headers)
    own = client.post(SESSION, json=body, headers={"Origin": str(client.base_url).rstrip("/")})
    assert refused.status_code == 403, refused.text
    assert "set-cookie" not in refused.headers
    assert own.status_code == 201, own.text
