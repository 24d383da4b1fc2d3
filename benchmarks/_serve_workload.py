"""The issue's request mix over the HTTP contract of ``onestop serve`` (issue 17).

`MallWorkload` picks 70% tracking, 20% officer actions, 10% submissions (by default):

* tracking: ``GET /api/v1/tracking?number=...`` with the ``Lookup-Secret`` header, over
  the applications seeded beforehand and those submitted during the run;
* action: ``POST /api/v1/applications/{id}/actions`` with ``If-Match: "<version>"`` and
  a staff account's API token (``Authorization: Bearer``).  The action follows the application's
  state through the benchmark catalogue's loop (``_serve_mall.toml``): draft ``submit``,
  submitted ``send_back``, returned ``resubmit``, so an application never runs out of
  actions.  An application is lent to one request at a time (so the client never races
  itself); a 200 teaches the new version (``ETag``) and state (body ``state``).
  409 and 412 are valid answers, counted as ``refused`` and reported apart; the
  application is then retired (its version is unknown);
* submission: ``POST /api/v1/applications`` with a fresh ``Idempotency-Key``.

Everything a server may spell differently is in one overridable method each
(`submission_body`, `action_body`, `next_action`, `read_view`), so the lead can adjust
the bodies without touching the generator.  `seed` fills the pools through the API.
"""

from __future__ import annotations

import asyncio
import json
import random
import urllib.parse
from typing import Any

import attrs
from _loadgen import Pool, Request, Response, http_request

__all__ = ["Seeded", "MallWorkload", "seed"]

NEXT_ACTION = {"draft": "submit", "submitted": "send_back", "returned": "resubmit"}
"""The benchmark catalogue's endless loop: which action each state takes next."""

JSON = ("Content-Type", "application/json")
RETRIES = 20
"""How often seeding sends a submission answered 409, 429 or 503 (same key, backing off)."""


@attrs.define
class Seeded:
    """An application the workload acts on: its id, state and version (ETag)."""

    id: str
    state: str
    version: str


class MallWorkload:
    """The 70/20/10 mix of tracking, actions and submissions (see the module docstring).

    Args:
        token: A staff API token (roles ``clerk`` and ``verifier``).
        mix: Shares of tracking, action and submission requests.
        seed: Seeds the choices, so two servers see the same sequence of kinds.
        run: A tag making this run's idempotency keys unique.
    """

    service = "izin-usaha"
    channel = "online"

    def __init__(
        self,
        *,
        token: str,
        mix: tuple[float, float, float] = (0.7, 0.2, 0.1),
        seed: int = 1,
        run: str = "bench",
    ) -> None:
        self.token = token
        self.mix = mix
        self.rng = random.Random(seed)
        self.run = run
        self.tracked: list[bytes] = []
        self.idle: list[Seeded] = []
        self.retired = 0
        self.counter = 0
        self.bearer = ("Authorization", f"Bearer {token}")

    # --- what a server may spell differently -----------------------------------------

    def submission_body(self, i: int) -> dict[str, Any]:
        """The JSON body of the *i*-th submission."""
        return {
            "service": self.service,
            "channel": self.channel,
            "applicant": {
                "identity_number": f"317101{41 + i % 28:02d}0385{1 + i % 9_999:04d}",
                "identity_scheme": "id-nik",
                "name": f"Applicant {i}",
            },
            "answers": {"business_name": f"Warung {i}", "floor_area": 36 + i % 50},
            "documents": [],
        }

    def action_body(self, action: str) -> dict[str, Any]:
        """The JSON body of an action request."""
        return {"action": action, "inputs": {}}

    def next_action(self, state: str) -> str | None:
        """The action to take in *state*, or ``None`` to retire the application."""
        return NEXT_ACTION.get(state)

    def read_view(self, seeded: Seeded, response: Response) -> bool:
        """Update *seeded* from an application view (200); return whether that worked."""
        etag = response.headers.get("etag", "").removeprefix("W/").strip('"')
        try:
            state = json.loads(response.body)["state"]
        except (ValueError, KeyError, TypeError):
            return False
        if not etag or not isinstance(state, str):
            return False
        seeded.state, seeded.version = state, etag
        return True

    # --- requests ----------------------------------------------------------------------

    def track(self, number: str, secret: str) -> None:
        """Add an application to the tracking pool."""
        target = "/api/v1/tracking?number=" + urllib.parse.quote(number, safe="")
        self.tracked.append(http_request("GET", target, [("Lookup-Secret", secret)]))

    def submission(self) -> Request:
        """A submission with a fresh idempotency key."""
        self.counter += 1
        key = f"{self.run}-{self.counter:010d}"
        headers = [JSON, ("Idempotency-Key", key)]
        body = json.dumps(self.submission_body(self.counter)).encode()
        return Request(
            kind="submission", data=http_request("POST", "/api/v1/applications", headers, body)
        )

    def action(self) -> Request | None:
        """An action on an application no other request holds, or ``None`` if none is free."""
        while self.idle:
            i = self.rng.randrange(len(self.idle))
            self.idle[i], self.idle[-1] = self.idle[-1], self.idle[i]
            seeded = self.idle.pop()
            action = self.next_action(seeded.state)
            if action is None:
                self.retired += 1
                continue
            body = json.dumps(self.action_body(action)).encode()
            headers = [JSON, self.bearer, ("If-Match", f'"{seeded.version}"')]
            target = f"/api/v1/applications/{seeded.id}/actions"
            return Request(
                kind="action", data=http_request("POST", target, headers, body), context=seeded
            )
        return None

    def next_request(self) -> Request:
        """Pick the next request of the mix."""
        draw = self.rng.random()
        if draw >= self.mix[0] + self.mix[1]:
            return self.submission()
        if draw >= self.mix[0]:
            request = self.action()
            if request is not None:
                return request
        return Request(kind="tracking", data=self.tracked[self.rng.randrange(len(self.tracked))])

    def on_response(self, request: Request, response: Response | None) -> str:
        """Classify the answer and learn from it (versions, new applications)."""
        status = 0 if response is None else response.status
        if request.kind == "action":
            seeded: Seeded = request.context
            if response is not None and status == 200 and self.read_view(seeded, response):
                self.idle.append(seeded)
                return "ok"
            self.retired += 1
            return "refused" if status in (409, 412) else "error"
        if request.kind == "submission" and response is not None and status == 201:
            try:
                receipt = json.loads(response.body)
                self.track(receipt["number"], receipt["lookup_secret"])
            except (ValueError, KeyError, TypeError):
                return "error"
            return "ok"
        return "ok" if 200 <= status < 300 else "error"


async def seed(port: int, workload: MallWorkload, count: int, *, connections: int = 8) -> None:
    """Submit *count* applications through the API and read each one's state and version.

    A submission answered 409 (a lost race in the store), 429 or 503 is sent again
    with the same idempotency key, up to `RETRIES` times.

    Raises:
        RuntimeError: If the server refuses a submission or a read (the message shows
            the status and the start of the body: the server's problem, no personal data).
    """
    pool = Pool("127.0.0.1", port, limit=connections)
    queue = list(range(count))

    async def one() -> None:
        while queue:
            queue.pop()
            request = workload.submission()
            for attempt in range(RETRIES):  # the same key: a retry is safe
                response = await _exchange(pool, request.data)
                if response.status not in (409, 429, 503):
                    break
                await asyncio.sleep(random.uniform(0.01, 0.05) * min(2**attempt, 20))
            if response.status != 201:
                raise RuntimeError(f"seeding: submission {response.status} {response.body[:300]!r}")
            receipt = json.loads(response.body)
            workload.track(receipt["number"], receipt["lookup_secret"])
            target = f"/api/v1/applications/{receipt['application_id']}"
            view = await _exchange(pool, http_request("GET", target, [workload.bearer]))
            seeded = Seeded(id=receipt["application_id"], state="", version="")
            if view.status != 200 or not workload.read_view(seeded, view):
                raise RuntimeError(f"seeding: read {view.status} {view.body[:300]!r}")
            workload.idle.append(seeded)

    await asyncio.gather(*(one() for _ in range(connections)))
    pool.close()


async def _exchange(pool: Pool, data: bytes) -> Response:
    connection = await pool.acquire()
    try:
        return await connection.exchange(data)
    finally:
        pool.release(connection)
