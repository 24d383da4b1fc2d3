"""Officers racing on the same applications through HTTP: every lost race is a 409 or a 412.

The issue's acceptance: 32 concurrent clients acting on the same 10 applications through
a real ``onestop serve`` (two worker processes), as real signed-in officers: four staff
accounts made in the store before the server starts; half the clients sign in (a browser
session: its cookies and its CSRF token on every action), the others call with the
account's API token.  Each
client reads an application (its ``ETag``) and takes the next action of a loop of the
``kia`` service's workflow (``document-delivery``: ``accept``, then ``send_back`` and
``resubmit`` back and forth between ``verification`` and ``correction``), naming the
version it read in ``If-Match``.

What must hold: no 5xx; every refusal is a 412 (``VersionMismatch``: the version read
was already stale when the action arrived) or a 409 (``ConcurrencyConflict``: another
officer's action on the same version was committed first); and no lost update: on each
application the successful actions form one chain, each acting on the version the
previous one made, so its final version is its first plus the number of successes.

The smaller tests pin down each answer of the officers' routes one by one, in process:
412 and 409 apart, 428, 422, 404 and 401.
"""

from __future__ import annotations

import collections
import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from web_support import (
    ServerProcess,
    in_process,
    kia_body,
    new_key,
    settings_for,
    signed_in,
    staff_accounts,
)

from onestop.domain.workflow.engine import Actor
from onestop.web import ServeSettings

CLIENTS = 32
APPLICATIONS = 10
ROUNDS = 20
"""Each client reads and acts this many times."""

OFFICERS = {f"officer-{n}": ("front_office", "verifier") for n in range(4)}
"""The staff accounts: each may take every action of the loop."""

NEXT = {
    "submitted": ("accept", {}),
    "verification": ("send_back", {"reason": "incomplete"}),
    "correction": ("resubmit", {}),
}
"""The action each client takes in each state: a loop an officer can go round for ever."""

AFTER = {"accept": "verification", "send_back": "correction", "resubmit": "verification"}


@attrs.frozen(kw_only=True)
class Outcome:
    """One action a client sent, and what came back."""

    application: str
    action: str
    status: int
    expected: int
    version: int | None = None
    state: str | None = None
    problem: str | None = None


def _submit(client: httpx.Client, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        sent = client.post(
            "/api/v1/applications", json=kia_body(), headers={"Idempotency-Key": new_key()}
        )
        assert sent.status_code == 201, sent.text
        ids.append(sent.json()["application_id"])
    return ids


def _headers(url: str, credential: tuple[str, str]) -> dict[str, str]:
    """The headers of one client: a browser's session and CSRF token (``("session",
    account)``, signed in now) or an API token (``("token", token)``)."""
    kind, value = credential
    if kind == "token":
        return {"Authorization": f"Bearer {value}"}
    with httpx.Client(base_url=url, timeout=30) as client:
        return signed_in(client, value)


def _officer(
    url: str, headers: dict[str, str], ids: list[str], seed: int, start: threading.Barrier
) -> tuple[list[Outcome], list[int]]:
    """One client: read an application, act on the version read, again and again."""
    chance = random.Random(seed)
    outcomes: list[Outcome] = []
    reads: list[int] = []
    with httpx.Client(base_url=url, timeout=30, headers=headers) as client:
        start.wait(timeout=120)
        for _ in range(ROUNDS):
            application = chance.choice(ids)
            read = client.get(f"/api/v1/applications/{application}")
            reads.append(read.status_code)
            if read.status_code != 200:
                continue
            etag = read.headers["ETag"]
            action, inputs = NEXT[read.json()["state"]]
            sent = client.post(
                f"/api/v1/applications/{application}/actions",
                json={"action": action, "inputs": inputs},
                headers={"If-Match": etag},
            )
            body = sent.json()
            outcomes.append(
                Outcome(
                    application=application,
                    action=action,
                    status=sent.status_code,
                    expected=int(etag.strip('"')),
                    version=body.get("version") if sent.is_success else None,
                    state=body.get("state") if sent.is_success else None,
                    problem=None if sent.is_success else body.get("type"),
                )
            )
    return outcomes, reads


def _credentials(tokens: dict[str, str]) -> list[tuple[str, str]]:
    """Each client's credential: even clients sign in as a browser, odd ones use a token."""
    accounts = sorted(tokens)
    return [
        ("session", accounts[n % len(accounts)])
        if n % 2 == 0
        else ("token", tokens[accounts[n % len(accounts)]])
        for n in range(CLIENTS)
    ]


def _race(settings: ServeSettings) -> str:
    tokens = staff_accounts(settings, OFFICERS)
    with ServerProcess(settings) as server:
        with httpx.Client(base_url=server.url, timeout=30) as citizen:
            ids = _submit(citizen, APPLICATIONS)
        officers = httpx.Client(
            base_url=server.url,
            headers={"Authorization": f"Bearer {tokens['officer-0']}"},
            timeout=30,
        )
        with officers:
            first = {i: officers.get(f"/api/v1/applications/{i}").json()["version"] for i in ids}
            start = threading.Barrier(CLIENTS)
            # Browsers sign in one after another, as people do: sign-ins of one account at
            # the same moment count against its lockout before their passwords are checked.
            credentials = [_headers(server.url, c) for c in _credentials(tokens)]
            began = time.monotonic()
            with ThreadPoolExecutor(CLIENTS) as pool:
                runs = [
                    pool.submit(_officer, server.url, credentials[n], ids, n, start)
                    for n in range(CLIENTS)
                ]
                results = [run.result() for run in runs]
            took = time.monotonic() - began
            last = {i: officers.get(f"/api/v1/applications/{i}").json() for i in ids}
        log = server.log()
    outcomes = [outcome for found, _ in results for outcome in found]
    reads = collections.Counter(status for _, statuses in results for status in statuses)
    statuses = collections.Counter(outcome.status for outcome in outcomes)
    problems = collections.Counter((o.status, o.problem) for o in outcomes if o.problem)
    figures = (
        f"{settings.store_url.partition(':')[0]}, {settings.workers} workers:"
        f" {sum(reads.values()) + len(outcomes)} requests in {took:.2f} s"
        f" ({(sum(reads.values()) + len(outcomes)) / took:.0f}/s); reads {dict(reads)};"
        f" actions {dict(sorted(statuses.items()))}; refusals {dict(problems)}"
    )
    print(f"\n{figures}")  # noqa: T201  # the figures the docs quote: pytest -s shows them
    assert reads == {200: CLIENTS * ROUNDS}, reads
    assert set(problems) <= {
        (409, "urn:onestop:problem:ConcurrencyConflict"),
        (412, "urn:onestop:problem:VersionMismatch"),
    }, problems
    assert set(statuses) <= {200, 409, 412}, statuses
    assert statuses[409] + statuses[412] > 0, "no race was lost: the clients never met"
    assert "request_failed" not in log
    for application in ids:
        won = sorted(
            (o for o in outcomes if o.application == application and o.status == 200),
            key=lambda o: o.expected,
        )
        start_at = first[application]
        assert [o.expected for o in won] == list(range(start_at, start_at + len(won)))
        assert all(o.version == o.expected + 1 and o.state == AFTER[o.action] for o in won)
        assert last[application]["version"] == start_at + len(won)
        assert last[application]["state"] == (won[-1].state if won else "submitted")
    return figures


def _race_settings(tmp_path: Path, **options: Any) -> ServeSettings:
    return settings_for(tmp_path, workers=2, submissions_per_minute=1000, **options)


@pytest.mark.slow
def test_racing_officers_lose_only_with_409_or_412_on_sqlite(
    tmp_path: Path, record_property: Any
) -> None:
    """On SQLite with two workers, 32 racing officers lose only 409s and 412s, and no update."""
    record_property("figures", _race(_race_settings(tmp_path)))


@pytest.mark.slow
@pytest.mark.postgres
def test_racing_officers_lose_only_with_409_or_412_on_postgresql(
    tmp_path: Path, fresh_schema: str, record_property: Any
) -> None:
    """On PostgreSQL with two workers, 32 racing officers lose only 409s and 412s, and no update."""
    record_property("figures", _race(_race_settings(tmp_path, store_url=fresh_schema)))


@pytest.mark.postgres
def test_a_postgresql_pool_lends_a_connection_to_every_thread(
    tmp_path: Path, fresh_schema: str
) -> None:
    """A worker on PostgreSQL opens its store with a pool as large as its thread count."""
    settings = settings_for(tmp_path, store_url=fresh_schema, threads=23)
    with in_process(settings) as client:
        store = client.app.state.runtime.mall.store
        assert store._pool.max_size == 23


# --- each answer of the officers' routes, in process -----------------------------------


@pytest.fixture
def officers(tmp_path: Path) -> Iterator[tuple[Any, str]]:
    """An in-process client with an officer's API token, and a submitted application's id."""
    settings = settings_for(tmp_path)
    tokens = staff_accounts(settings, OFFICERS)
    with in_process(settings) as client:
        sent = client.post(
            "/api/v1/applications", json=kia_body(), headers={"Idempotency-Key": new_key()}
        )
        client.headers["Authorization"] = f"Bearer {tokens['officer-0']}"
        yield client, sent.json()["application_id"]


def _act(client: Any, application: str, if_match: str | None, action: str = "accept") -> Any:
    headers = {} if if_match is None else {"If-Match": if_match}
    return client.post(
        f"/api/v1/applications/{application}/actions", json={"action": action}, headers=headers
    )


def test_the_etag_read_lets_an_action_through(officers: tuple[Any, str]) -> None:
    """Acting on the ETag just read answers 200 with the next version as the new ETag."""
    client, application = officers
    read = client.get(f"/api/v1/applications/{application}")
    acted = _act(client, application, read.headers["ETag"])
    assert (acted.status_code, acted.headers["ETag"]) == (200, '"2"'), acted.text
    assert acted.json()["state"] == "verification"


def test_a_stale_if_match_is_412_and_decides_nothing(officers: tuple[Any, str]) -> None:
    """An If-Match older than the application is 412 VersionMismatch; the version stays."""
    client, application = officers
    assert _act(client, application, '"1"').status_code == 200
    stale = _act(client, application, '"1"', action="send_back")
    assert stale.status_code == 412
    assert stale.json()["type"] == "urn:onestop:problem:VersionMismatch"
    assert client.get(f"/api/v1/applications/{application}").json()["version"] == 2


def test_a_race_lost_in_the_store_is_409(
    officers: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When another action commits between the If-Match check and the write, the store's
    ConcurrencyConflict is 409, and only the other action counts."""
    client, application = officers
    mall = client.app.state.runtime.mall
    store = mall.store
    commit = store.commit
    rival = Actor(id="officer-rival", roles=frozenset({"front_office"}))

    def rival_first(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(store, "commit", commit)
        mall.act(application, "withdraw", actor=rival, expected_version=1)
        return commit(*args, **kwargs)

    monkeypatch.setattr(store, "commit", rival_first)
    lost = _act(client, application, '"1"')
    assert lost.status_code == 409, lost.text
    assert lost.json()["type"] == "urn:onestop:problem:ConcurrencyConflict"
    after = client.get(f"/api/v1/applications/{application}").json()
    assert (after["version"], after["state"]) == (2, "withdrawn")


def test_an_action_without_if_match_is_428(officers: tuple[Any, str]) -> None:
    """An action that names no version is 428, and decides nothing."""
    client, application = officers
    refused = _act(client, application, None)
    assert refused.status_code == 428
    assert [p["path"] for p in refused.json()["problems"]] == ["header.If-Match"]
    assert client.get(f"/api/v1/applications/{application}").json()["version"] == 1


@pytest.mark.parametrize(
    "value",
    [
        *("*", "abc", '"-1"', '"1.0"', '"\u0661"', '"1234567890123"', '""'),
        *('"01"', '"000000000001"', "1", '"1', '1"', '"1"x'),  # not as the ETag is sent
    ],
)
def test_a_malformed_if_match_is_422(officers: tuple[Any, str], value: str) -> None:
    """An If-Match that is not one of the application's ETags is 422 naming the header."""
    client, application = officers
    refused = client.post(
        f"/api/v1/applications/{application}/actions",
        json={"action": "accept"},
        headers={"If-Match": value.encode()},
    )
    assert refused.status_code == 422, refused.text
    assert [p["path"] for p in refused.json()["problems"]] == ["header.If-Match"]


@pytest.mark.parametrize(
    ("inputs", "kind"), [([], "an array"), (None, "nothing"), ("x", "a string")]
)
def test_inputs_that_are_not_a_table_are_422_saying_so(
    officers: tuple[Any, str], inputs: Any, kind: str
) -> None:
    """``inputs`` of the wrong shape is a 422 naming it and what it got (it said
    "invalid value (AttributeError: ...)", Python's words)."""
    client, application = officers
    refused = client.post(
        f"/api/v1/applications/{application}/actions",
        json={"action": "accept", "inputs": inputs},
        headers={"If-Match": '"1"'},
    )
    assert refused.status_code == 422, refused.text
    assert [(p["path"], p["message"]) for p in refused.json()["problems"]] == [
        ("body.inputs", f"expected a table, got {kind}")
    ]


def test_a_weak_if_match_never_matches(officers: tuple[Any, str]) -> None:
    """RFC 9110 compares If-Match strongly: a weak ETag, even the current one, is 412."""
    client, application = officers
    refused = _act(client, application, 'W/"1"')
    assert refused.status_code == 412, refused.text
    assert client.get(f"/api/v1/applications/{application}").json()["version"] == 1


def test_an_unknown_application_is_404_to_read_and_to_act(officers: tuple[Any, str]) -> None:
    """An id no application has is the same 404 to a read and to an action."""
    client, _ = officers
    unknown = "0f0e0d0c-0b0a-4909-8807-060504030201"
    read = client.get(f"/api/v1/applications/{unknown}")
    acted = _act(client, unknown, '"1"')
    assert (read.status_code, acted.status_code) == (404, 404)
    assert read.json() == acted.json()


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer ", "Bearer wrong-token-of-some-length", "Basic {token}", "bearer {token}x"],
    ids=["none", "empty", "unknown", "basic", "longer"],  # stable: the tokens are random
)
def test_no_token_or_a_wrong_one_is_the_same_401(
    officers: tuple[Any, str], authorization: str | None
) -> None:
    """Without a known bearer token both routes answer the same 401, before reading the body."""
    client, application = officers
    token = client.headers.pop("Authorization").removeprefix("Bearer ")
    headers = {} if authorization is None else {"Authorization": authorization.format(token=token)}
    read = client.get(f"/api/v1/applications/{application}", headers=headers)
    acted = client.post(
        f"/api/v1/applications/{application}/actions",
        content=b"{not json",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert (read.status_code, acted.status_code) == (401, 401)
    assert read.content == acted.content
    assert read.json()["type"] == "urn:onestop:problem:NotAuthenticated"
