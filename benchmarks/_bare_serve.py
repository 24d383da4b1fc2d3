"""A bare ASGI app (no framework) serving the benchmark's routes with raw sqlite3 work.

The floor `bench_serve.py` compares ``onestop serve`` with, under the same uvicorn:
the same routes and status codes as the HTTP contract (issue 17), each doing the least
a raw design would do on a SQLite file in WAL mode at ``synchronous=FULL``:

* ``GET /api/v1/tracking?number=`` + ``Lookup-Secret``: one ``SELECT`` by number, the
  secret's SHA-256 compared in constant time; 404 problem when either is wrong;
* ``POST /api/v1/applications/{id}/actions`` (Bearer token, ``If-Match``): the row
  read, the transition and role looked up in a dict, then ``BEGIN IMMEDIATE``,
  ``UPDATE ... WHERE id = ? AND version = ?``, an event ``INSERT``, ``COMMIT``;
  412 on a stale ``If-Match``, 409 if the update lost a race;
* ``POST /api/v1/applications`` (``Idempotency-Key``): ``BEGIN IMMEDIATE``, the key
  looked up (a replay answers 200), the next number taken from a counter row, an event
  ``INSERT`` and a read-model ``INSERT``, ``COMMIT``; 201 with a receipt;
* ``GET /api/v1/applications/{id}`` (Bearer): the row, ``ETag`` = version;
* ``GET /healthz``.

The database is made beforehand by `create_database` (the driver calls it).  The app
reads ``BENCH_BARE_DB`` (the file), ``BENCH_BARE_ACTORS`` (the test actors' JSON file,
``{token: {id, roles}}``) and ``BENCH_BARE_MODE`` (where the sqlite3 calls run: see
`_Runner`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import threading
import urllib.parse
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SCHEMA = (
    (
        "CREATE TABLE applications (id TEXT PRIMARY KEY, number TEXT NOT NULL UNIQUE,"
        " secret_digest TEXT NOT NULL, service TEXT NOT NULL, agency TEXT NOT NULL,"
        " state TEXT NOT NULL, version INTEGER NOT NULL, received TEXT NOT NULL,"
        " due TEXT NOT NULL, updated TEXT NOT NULL, idempotency_key TEXT UNIQUE,"
        " applicant TEXT NOT NULL, answers TEXT NOT NULL)"
    ),
    (
        "CREATE TABLE events (id INTEGER PRIMARY KEY, application_id TEXT NOT NULL,"
        " version INTEGER NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL,"
        " body TEXT NOT NULL, UNIQUE (application_id, version))"
    ),
    "CREATE TABLE numbering (name TEXT PRIMARY KEY, next INTEGER NOT NULL)",
)
TRANSITIONS = {  # (state, action): (target, role), as in _serve_mall.toml
    ("draft", "submit"): ("submitted", "clerk"),
    ("submitted", "verify"): ("verified", "verifier"),
    ("submitted", "send_back"): ("returned", "verifier"),
    ("returned", "resubmit"): ("submitted", "clerk"),
    ("verified", "start"): ("processing", "processor"),
    ("processing", "approve"): ("approved", "approver"),
    ("approved", "issue"): ("issued", "clerk"),
}
KEY = re.compile(r"[A-Za-z0-9_-]{16,128}")
ACTIONS = re.compile(r"/api/v1/applications/([0-9a-f-]{36})/actions")
VIEW = re.compile(r"/api/v1/applications/([0-9a-f-]{36})")
Answer = tuple[int, dict[str, str], bytes]


def create_database(path: Path) -> None:
    """Make the database file: WAL, the tables and the number counter."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    for statement in SCHEMA:
        connection.execute(statement)
    connection.execute("INSERT INTO numbering VALUES ('dpmptsp/izin-usaha/2026', 0)")
    connection.close()


def _connect() -> sqlite3.Connection:
    connection = sqlite3.connect(os.environ["BENCH_BARE_DB"], isolation_level=None)
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA busy_timeout=10000")
    return connection


_local = threading.local()


def _connection() -> sqlite3.Connection:
    connection: sqlite3.Connection | None = getattr(_local, "connection", None)
    if connection is None:
        connection = _local.connection = _connect()
    return connection


def _problem(status: int, code: str) -> Answer:
    body = {"type": "about:blank", "title": code, "status": status, "detail": code, "code": code}
    return status, {"content-type": "application/problem+json"}, json.dumps(body).encode()


def _json(status: int, body: object, headers: dict[str, str] | None = None) -> Answer:
    return (
        status,
        {"content-type": "application/json", **(headers or {})},
        json.dumps(body).encode(),
    )


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def track(number: str, secret: str) -> Answer:
    """Answer a tracking request."""
    row = (
        _connection()
        .execute(
            "SELECT number, service, state, received, due, secret_digest FROM applications"
            " WHERE number = ?",
            (number,),
        )
        .fetchone()
    )
    if row is None or not hmac.compare_digest(row[5], _digest(secret)):
        return _problem(404, "not_found")
    keys = ("number", "service", "state", "received", "due")
    return _json(200, dict(zip(keys, row[:5], strict=True)))


def _view(row: tuple[Any, ...]) -> Answer:
    keys = ("application_id", "number", "service", "agency", "state", "version")
    return _json(200, dict(zip(keys, row, strict=True)), {"etag": f'"{row[5]}"'})


def view(application_id: str) -> Answer:
    """Answer an officer's read of one application."""
    row = (
        _connection()
        .execute(
            "SELECT id, number, service, agency, state, version FROM applications WHERE id = ?",
            (application_id,),
        )
        .fetchone()
    )
    return _problem(404, "not_found") if row is None else _view(row)


def act(application_id: str, actor: dict[str, Any], expected: int, body: bytes) -> Answer:
    """Answer an action: the version checked, one durable transaction."""
    try:
        action = json.loads(body)["action"]
    except (ValueError, KeyError, TypeError):
        return _problem(422, "invalid_body")
    connection = _connection()
    row = connection.execute(
        "SELECT id, number, service, agency, state, version FROM applications WHERE id = ?",
        (application_id,),
    ).fetchone()
    if row is None:
        return _problem(404, "not_found")
    if row[5] != expected:
        return _problem(412, "stale_version")
    found = TRANSITIONS.get((row[4], action))
    if found is None:
        return _problem(409, "transition_not_allowed")
    if found[1] not in actor["roles"]:
        return _problem(403, "forbidden")
    now = _now()
    connection.execute("BEGIN IMMEDIATE")
    try:
        changed = connection.execute(
            "UPDATE applications SET state = ?, version = version + 1, updated = ?"
            " WHERE id = ? AND version = ?",
            (found[0], now, application_id, expected),
        ).rowcount
        if not changed:
            connection.execute("ROLLBACK")
            return _problem(409, "lost_race")
        event = json.dumps({"action": action, "from": row[4], "to": found[0]})
        connection.execute(
            "INSERT INTO events (application_id, version, kind, at, actor, body)"
            " VALUES (?, ?, 'acted', ?, ?, ?)",
            (application_id, expected + 1, now, actor["id"], event),
        )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return _view((*row[:4], found[0], expected + 1))


def submit(key: str, body: bytes) -> Answer:
    """Answer a submission: event and read-model rows in one durable transaction."""
    try:
        request = json.loads(body)
        service, applicant, answers = request["service"], request["applicant"], request["answers"]
    except (ValueError, KeyError, TypeError):
        return _problem(422, "invalid_body")
    if service != "izin-usaha" or not isinstance(answers, dict) or "business_name" not in answers:
        return _problem(422, "invalid_application")
    connection = _connection()
    now = datetime.now(UTC)
    secret = secrets.token_urlsafe(16)
    application_id = str(uuid.uuid4())
    connection.execute("BEGIN IMMEDIATE")
    try:
        replay = connection.execute(
            "SELECT id, number, due FROM applications WHERE idempotency_key = ?", (key,)
        ).fetchone()
        if replay is not None:
            connection.execute("ROLLBACK")
            return _json(
                200,
                {
                    "application_id": replay[0],
                    "number": replay[1],
                    "due": replay[2],
                    "lookup_secret": None,
                    "replayed": True,
                },
            )
        (sequence,) = connection.execute(
            "UPDATE numbering SET next = next + 1 WHERE name = 'dpmptsp/izin-usaha/2026'"
            " RETURNING next"
        ).fetchone()
        number = f"dpmptsp/izin-usaha/2026/{sequence:06d}"
        due = (now + timedelta(days=7)).isoformat()
        connection.execute(
            "INSERT INTO events (application_id, version, kind, at, actor, body)"
            " VALUES (?, 1, 'submitted', ?, 'citizen', ?)",
            (application_id, now.isoformat(), body.decode()),
        )
        connection.execute(
            "INSERT INTO applications VALUES (?, ?, ?, ?, 'dpmptsp', 'draft', 1, ?, ?, ?, ?, ?, ?)",
            (
                application_id,
                number,
                _digest(secret),
                service,
                now.isoformat(),
                due,
                now.isoformat(),
                key,
                json.dumps(applicant),
                json.dumps(answers),
            ),
        )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    receipt = {
        "application_id": application_id,
        "number": number,
        "lookup_secret": secret,
        "due": due,
        "required_documents": ["ktp", "npwp"],
        "replayed": False,
    }
    return _json(201, receipt)


class _Runner:
    """Runs the sqlite3 work as ``BENCH_BARE_MODE`` says.

    ``inline``: everything on the event loop (an ``fsync`` stalls every connection);
    ``writer`` (the default): reads on the loop, writes in one thread with its own
    connection (SQLite takes one writer at a time anyway; the loop serves reads while
    a commit waits for the disk); ``pool:N``: everything in N threads, one connection
    each, as a framework runs a synchronous handler in its thread pool.
    """

    def __init__(self) -> None:
        mode = os.environ.get("BENCH_BARE_MODE", "writer")
        self.reads: ThreadPoolExecutor | None = None
        self.writes: ThreadPoolExecutor | None = None
        if mode == "writer":
            self.writes = ThreadPoolExecutor(1)
        elif mode.startswith("pool:"):
            self.reads = self.writes = ThreadPoolExecutor(int(mode[5:]))
        elif mode != "inline":
            raise SystemExit(f"BENCH_BARE_MODE: inline, writer or pool:N, not {mode!r}")

    async def __call__(self, work: Callable[..., Answer], *args: Any) -> Answer:
        pool = self.writes if work in (act, submit) else self.reads
        if pool is None:
            return work(*args)
        return await asyncio.get_running_loop().run_in_executor(pool, work, *args)


_actors: dict[str, dict[str, Any]] = {}
_run = _Runner()


def _route(
    scope: dict[str, Any], headers: dict[str, str]
) -> tuple[Callable[..., Answer], tuple[Any, ...]] | Answer:
    method, path = scope["method"], scope["path"]
    if method == "GET" and path == "/api/v1/tracking":
        query = urllib.parse.parse_qs(scope["query_string"].decode("latin-1"))
        number = query.get("number", [""])[0]
        return track, (number, headers.get("lookup-secret", ""))
    if method == "GET" and path == "/healthz":
        return _json(200, {"status": "ok"})
    if method == "POST" and path == "/api/v1/applications":
        key = headers.get("idempotency-key", "")
        return (submit, (key,)) if KEY.fullmatch(key) else _problem(422, "idempotency_key")
    auth = headers.get("authorization", "")
    actor = _actors.get(auth.removeprefix("Bearer ")) if auth.startswith("Bearer ") else None
    if method == "POST" and (match := ACTIONS.fullmatch(path)):
        if actor is None:
            return _problem(401, "unauthenticated")
        if "if-match" not in headers:
            return _problem(428, "if_match_required")
        try:
            expected = int(headers["if-match"].removeprefix("W/").strip('"'))
        except ValueError:
            return _problem(412, "stale_version")
        return act, (match[1], actor, expected)
    if method == "GET" and (match := VIEW.fullmatch(path)):
        return (view, (match[1],)) if actor is not None else _problem(401, "unauthenticated")
    return _problem(404, "no_route")


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The ASGI entry point."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _actors.update(json.loads(Path(os.environ["BENCH_BARE_ACTORS"]).read_text()))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    routed = _route(scope, headers)
    if isinstance(routed[0], int):
        status, extra, out = routed  # type: ignore[misc]
    else:
        work, args = routed  # type: ignore[misc]
        if work in (act, submit):
            args = (*args, body)
        status, extra, out = await _run(work, *args)
    response_headers = [(k.encode(), v.encode()) for k, v in extra.items()]
    response_headers.append((b"content-length", str(len(out)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": response_headers})
    await send({"type": "http.response.body", "body": out})
