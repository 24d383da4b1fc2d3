"""Staff sign-in through an OpenID Connect provider on a real ``onestop serve`` (two workers).

One server (access log on) and one `LocalProvider` on a loopback server serve the module.
Each test plays a browser: the start route, the provider's sign-in
(`LocalProvider.authorize`), the callback, each on a new connection, so that either
worker may answer each (the worker that answered is read from the access log).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from oidc_support import (
    START,
    RecordingProvider,
    callback,
    link,
    oidc_settings,
    query_of,
)
from web_support import ServerProcess, free_port

from onestop.ports.staff import StaffStore
from onestop.web import ServeSettings
from onestop.web._runtime import open_store

pytestmark = pytest.mark.slow

MOST = 20
"""The most sign-ins tried to see one begun on a worker and finished on the other."""


class Mall:
    """The server, its settings and its provider."""

    def __init__(
        self, server: ServerProcess, settings: ServeSettings, provider: RecordingProvider
    ) -> None:
        self.server, self.settings, self.provider = server, settings, provider
        self.secrets: list[str] = []
        """Every secret of a flow seen by the tests (code, state, nonce, verifier, cookie)."""

    def fresh(self) -> httpx.Client:
        """A client on a new connection."""
        return httpx.Client(base_url=self.server.url, timeout=30)

    def worker_of(self, *request_ids: str) -> set[int]:
        """The workers that answered *request_ids* (their log lines may come a bit later)."""
        workers = self.server.workers_once_logged(request_ids)
        if not all(r in workers for r in request_ids):
            raise AssertionError("a request is missing from the access log")
        return {workers[r] for r in request_ids}

    def kept(self, cookie: str) -> dict[str, Any]:
        """The begun sign-in the store keeps for *cookie* (read as the test's secrets)."""
        store = open_store(self.settings)
        try:
            assert isinstance(store, StaffStore)
            key = hashlib.sha256(cookie.encode()).hexdigest()
            found = store.secrets_of("oidc:sign-in", kind="oidc_state")
            data: dict[str, Any] = json.loads(next(s.data for s in found if s.key == key))
            return data
        finally:
            store.close()

    def sessions(self, account: str) -> int:
        """How many sessions *account* has in the store."""
        store = open_store(self.settings)
        try:
            assert isinstance(store, StaffStore)
            return len(store.secrets_of(account, kind="session"))
        finally:
            store.close()

    def begin(self) -> tuple[str, str, str]:
        """Begin a sign-in on a new connection: the provider's URL, the cookie, the worker's
        request id; the flow's secrets are noted."""
        with self.fresh() as client:
            answer = client.get(START, follow_redirects=False)
        assert answer.status_code == 302, answer.text
        url, cookie = answer.headers["location"], answer.cookies["onestop_oidc"]
        kept = self.kept(cookie)
        self.secrets += [cookie, kept["state"], kept["nonce"], kept["code_verifier"]]
        return url, cookie, answer.headers["X-Request-Id"]

    def back(self, answer: dict[str, str], cookie: str | None) -> httpx.Response:
        """The callback on a new connection."""
        self.secrets += [v for k, v in answer.items() if k in ("code", "state")]
        with self.fresh() as client:
            return callback(client, answer, cookie)


@pytest.fixture(scope="module")
def mall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mall]:
    """Two workers signing staff in with a local provider; officer-ana is linked."""
    tmp_path: Path = tmp_path_factory.mktemp("oidc-serve")
    with RecordingProvider.serving() as provider:
        port = free_port()
        # Beginning a sign-in counts against the per-client submission limit (20 a minute
        # by default), and the first test may begin up to MOST sign-ins before one lands on
        # both workers: a limit that high keeps the module's later tests from a 429.
        settings = oidc_settings(
            tmp_path,
            provider,
            public_url=f"http://127.0.0.1:{port}",
            workers=2,
            submissions_per_minute=1000,
        )
        link(settings, "officer-ana", provider.issuer, provider.subject)
        extra = (
            "--oidc-issuer",
            provider.issuer,
            "--oidc-client-id",
            provider.client_id,
            "--oidc-client-secret-file",
            str(settings.oidc_client_secret_file),
            "--access-log",
        )
        server = ServerProcess(settings, extra=extra)
        server.port, server.url = port, f"http://127.0.0.1:{port}"
        with server:
            yield Mall(server, settings, provider)


def test_a_sign_in_begun_on_one_worker_finishes_on_the_other(mall: Mall) -> None:
    """The flow's state is in the store: a callback on the other worker signs the account
    in, and its session then acts on the API (``GET /api/v1/staff/me``) on both workers."""
    for _ in range(MOST):
        url, cookie, started = mall.begin()
        back = mall.back(mall.provider.authorize(url), cookie)
        assert back.status_code == 303, back.text
        if len(mall.worker_of(started, back.headers["X-Request-Id"])) == 2:
            break
    else:
        pytest.fail("no sign-in was begun on one worker and finished on the other")
    session = back.cookies["onestop_session"]
    answers = []
    for _ in range(10):  # the kernel may hand a quiet server's connections to one worker
        for _ in range(MOST):
            with mall.fresh() as client:
                answers.append(
                    client.get("/api/v1/staff/me", headers={"Cookie": f"onestop_session={session}"})
                )
        if len(mall.worker_of(*(a.headers["X-Request-Id"] for a in answers))) == 2:
            break
    assert {a.status_code for a in answers} == {200}
    assert {a.json()["account_id"] for a in answers} == {"officer-ana"}
    assert {a.json()["method"] for a in answers} == {"oidc"}
    assert len(mall.worker_of(*(a.headers["X-Request-Id"] for a in answers))) == 2


def test_a_replayed_callback_is_refused(mall: Mall) -> None:
    """The same callback (code, state and cookie) a second time is a 401: used once."""
    url, cookie, _ = mall.begin()
    answer = mall.provider.authorize(url)
    assert mall.back(answer, cookie).status_code == 303
    again = mall.back(answer, cookie)
    assert again.status_code == 401
    assert "onestop_session" not in again.headers.get("set-cookie", "")


def test_a_callback_with_another_browsers_cookie_is_refused(mall: Mall) -> None:
    """A code and state sent with another sign-in's cookie (login CSRF) is a 401, and
    neither sign-in can then be finished with the other's state."""
    url, _, _ = mall.begin()
    _, other_cookie, _ = mall.begin()
    answer = mall.provider.authorize(url)
    refused = mall.back(answer, other_cookie)
    without = mall.back(answer, None)
    assert (refused.status_code, without.status_code) == (401, 401)
    assert refused.content == without.content


def test_an_unlinked_identity_is_refused_as_a_failed_check_is(mall: Mall) -> None:
    """A person the provider knows but no account is linked to gets the same 401, byte
    for byte, as a token failing a check."""
    mall.provider.subject = "someone-else-42"
    try:
        url, cookie, _ = mall.begin()
        unlinked = mall.back(mall.provider.authorize(url), cookie)
    finally:
        mall.provider.subject = "officer-0007"
    mall.provider.misbehave("wrong_nonce")
    try:
        url, cookie, _ = mall.begin()
        failed = mall.back(mall.provider.authorize(url), cookie)
    finally:
        mall.provider.misbehave()
    assert (unlinked.status_code, failed.status_code) == (401, 401)
    assert unlinked.json() == failed.json()


@pytest.mark.parametrize("misbehaviour", ["wrong_issuer", "expired", "bad_signature"])
def test_a_misbehaving_provider_signs_nobody_in(mall: Mall, misbehaviour: str) -> None:
    """An ID token from another issuer, expired or badly signed: 401, no session made."""
    before = mall.sessions("officer-ana")
    mall.provider.misbehave(misbehaviour)
    try:
        url, cookie, _ = mall.begin()
        back = mall.back(mall.provider.authorize(url), cookie)
    finally:
        mall.provider.misbehave()
    assert back.status_code == 401
    assert "onestop_session" not in back.headers.get("set-cookie", "")
    assert mall.sessions("officer-ana") == before


def test_no_secret_of_a_flow_reaches_the_access_log(mall: Mall) -> None:
    """Codes, states, nonces, verifiers, state cookies, ID tokens: none is in the log (the
    tests before this one made them; this one makes one more flow)."""
    url, cookie, _ = mall.begin()
    back = mall.back(mall.provider.authorize(url), cookie)
    assert back.status_code == 303
    mall.secrets.append(back.cookies["onestop_session"])
    mall.secrets.append(query_of(url)["code_challenge"])
    log = mall.server.log()
    assert '"event":"request"' in log
    tokens = mall.provider.issued
    assert tokens
    leaked = [s for s in [*mall.secrets, *tokens] if s in log]
    assert leaked == []
