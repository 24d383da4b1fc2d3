"""Staff authentication across the workers of a real ``onestop serve`` (two workers).

- A role revoked through the staff desk (as ``onestop staff revoke`` does, against the
  same store) fails on the next request, whichever worker answers it: each worker is
  first seen serving the officer (so each holds the account folded), then, after the
  revocation, requests are sent until both workers have answered: every answer is a 403
  or a 404, for the API token and for the browser session alike.
- A locked-out account stays locked on every worker: failed sign-ins spread over both
  workers (each from a client address of its own) lock it, and the right password is
  then refused (429) by both, from clients that never failed.

Which worker answered a request is read from the access log (its ``worker`` and
``request_id``, matched with the answer's ``X-Request-Id``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from web_support import (
    PASSWORD,
    SETUP,
    ServerProcess,
    kia_body,
    new_key,
    settings_for,
    signed_in,
    staff_accounts,
)

from onestop.domain.common.actors import Actor
from onestop.privacy import FileKeyProvider, Keyring
from onestop.web import ServeSettings
from onestop.web._runtime import open_store, staff_desk

SESSION = "/api/v1/staff/session"
MOST = 60
"""The most requests sent to see both workers answer."""


def _until_both_workers(
    server: ServerProcess, send: Callable[[], httpx.Response]
) -> list[tuple[int, int]]:
    """Send (each on a new connection) until two workers have answered; return each
    answer's (worker, status)."""
    answers: list[httpx.Response] = []
    for _ in range(MOST):
        answers.append(send())
        workers = server.workers()
        seen = {workers.get(a.headers["X-Request-Id"]) for a in answers}
        if len(seen - {None}) == 2:
            break
    workers = server.workers_once_logged(a.headers["X-Request-Id"] for a in answers)
    return [(workers.get(a.headers["X-Request-Id"], 0), a.status_code) for a in answers]


def _fresh(server: ServerProcess, method: str, path: str, **options: Any) -> httpx.Response:
    with httpx.Client(base_url=server.url, timeout=30) as client:  # a new connection
        return client.request(method, path, **options)


def _revoke_everything(settings: ServeSettings, account: str) -> None:
    store = open_store(settings)
    try:
        desk = staff_desk(store, Keyring(FileKeyProvider(settings.key_file), store))
        admin = Actor(id=SETUP, roles=frozenset({"staff_admin"}))
        for assignment in desk.account(account).assignments:
            desk.revoke(account, assignment.assignment_id, by=admin)
    finally:
        store.close()


def _revoked_role_fails_on_every_worker(settings: ServeSettings) -> None:
    token = staff_accounts(settings, {"officer-ana": ("front_office", "verifier")})["officer-ana"]
    with ServerProcess(settings) as server:
        sent = _fresh(
            server,
            "POST",
            "/api/v1/applications",
            json=kia_body(),
            headers={"Idempotency-Key": new_key()},
        )
        path = f"/api/v1/applications/{sent.json()['application_id']}"
        with httpx.Client(base_url=server.url, timeout=30) as client:
            browser = signed_in(client, "officer-ana")
        bearer = {"Authorization": f"Bearer {token}"}
        for headers in (bearer, browser):
            before = _until_both_workers(
                server, lambda h=headers: _fresh(server, "GET", path, headers=h)
            )
            assert {status for _, status in before} == {200}, before
            assert len({worker for worker, _ in before}) == 2, before
        _revoke_everything(settings, "officer-ana")
        after = []
        for headers in (bearer, browser):
            after += _until_both_workers(
                server, lambda h=headers: _fresh(server, "GET", path, headers=h)
            )
            after += _until_both_workers(
                server,
                lambda h=headers: _fresh(
                    server,
                    "POST",
                    f"{path}/actions",
                    json={"action": "accept"},
                    headers={**h, "If-Match": '"1"'},
                ),
            )
        log = server.log()
    assert len({worker for worker, _ in after}) == 2, after
    assert {status for _, status in after} <= {403, 404}, after
    assert '"request_failed"' not in log


@pytest.mark.slow
def test_a_revoked_role_fails_on_the_next_request_on_every_worker_on_sqlite(
    tmp_path: Path,
) -> None:
    """On SQLite, a role revoked in the store is refused by both workers at once."""
    _revoked_role_fails_on_every_worker(settings_for(tmp_path, workers=2, access_log=True))


@pytest.mark.slow
@pytest.mark.postgres
def test_a_revoked_role_fails_on_the_next_request_on_every_worker_on_postgresql(
    tmp_path: Path, fresh_schema: str
) -> None:
    """On PostgreSQL, a role revoked in the store is refused by both workers at once."""
    settings = settings_for(tmp_path, store_url=fresh_schema, workers=2, access_log=True)
    _revoked_role_fails_on_every_worker(settings)


def _client(n: int) -> dict[str, str]:
    """A client address of its own (the server trusts X-Forwarded-For from loopback only)."""
    return {"X-Forwarded-For": f"198.51.{n // 250}.{n % 250 + 1}"}


def _lock_spread_over_workers(
    server: ServerProcess, account: str, first: int
) -> list[tuple[int, int]]:
    """Fail to sign in as *account* concurrently, each from a client address of its own and
    on a new connection: the account's failures, not one client's."""

    def fail(n: int) -> httpx.Response:
        body = {"account": account, "password": secrets.token_hex(8)}
        return _fresh(server, "POST", SESSION, json=body, headers=_client(first + n))

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(fail, range(8)))
    workers = server.workers_once_logged(a.headers["X-Request-Id"] for a in answers)
    return [(workers.get(a.headers["X-Request-Id"], 0), a.status_code) for a in answers]


def _lockout_holds_on_every_worker(settings: ServeSettings) -> None:
    accounts = [f"officer-{n}" for n in range(4)]
    staff_accounts(settings, dict.fromkeys(accounts, ("verifier",)))
    with ServerProcess(settings) as server:
        for n, account in enumerate(accounts):
            failures = _lock_spread_over_workers(server, account, first=10 * n)
            refused = {worker for worker, status in failures if status == 401}
            if len(refused) == 2:
                break
        else:
            pytest.fail(f"the failures never reached both workers: {failures}")
        assert {status for _, status in failures} <= {401, 429}, failures
        clients = iter(range(1000, 1000 + MOST + 1))
        right_password = {"account": account, "password": PASSWORD}
        right = _until_both_workers(
            server,
            lambda: _fresh(
                server, "POST", SESSION, json=right_password, headers=_client(next(clients))
            ),
        )
        retry = _fresh(server, "POST", SESSION, json=right_password, headers=_client(next(clients)))
    assert len({worker for worker, _ in right}) == 2, right
    assert {status for _, status in right} == {429}, right
    assert int(retry.headers["Retry-After"]) > 0
    assert "set-cookie" not in retry.headers


@pytest.mark.slow
def test_a_locked_out_account_stays_locked_on_every_worker_on_sqlite(tmp_path: Path) -> None:
    """On SQLite, failures spread over two workers lock the account on both."""
    _lockout_holds_on_every_worker(settings_for(tmp_path, workers=2, access_log=True))


@pytest.mark.slow
@pytest.mark.postgres
def test_a_locked_out_account_stays_locked_on_every_worker_on_postgresql(
    tmp_path: Path, fresh_schema: str
) -> None:
    """On PostgreSQL, failures spread over two workers lock the account on both."""
    settings = settings_for(tmp_path, store_url=fresh_schema, workers=2, access_log=True)
    _lockout_holds_on_every_worker(settings)
