"""Receive onestop's signed webhooks: verify each one, and process each id only once.

Run it from the repository's root (it needs the ``http`` extra, for httpx)::

    python examples/webhook_receiver.py

It starts a receiver on a free port of 127.0.0.1, records a submission and an
officer's action in a mall over an in-memory store, and runs a relay that delivers
the two notifications to the receiver as signed webhooks.  The receiver "loses" its
first answer, as a network can, so the relay sends that webhook again: the
receiver recognises its ``webhook-id`` and does not process it twice.  Then
everything stops: all on loopback, within a second or two.

The part to copy is `Receiver.do_POST`: read the raw body, verify it before parsing
it, treat a replayed id as already done, and answer 2xx only once the event is safe.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from onestop import Actor, DocumentRef, Mall, Person, load_catalogue
from onestop.exceptions import WebhookVerificationError
from onestop.storage import from_url
from onestop.transport import Relay, RetryPolicy, WebhookEndpoint, WebhookTransport, WebhookVerifier

CATALOGUE = Path(__file__).with_name("tutorial") / "mall.toml"

# The secret the mall and the receiver share.  A real one comes from a secret store;
# this is the Standard Webhooks specification's test secret.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a published test value


class Receiver(BaseHTTPRequestHandler):
    """A receiving endpoint: verifies, drops copies by ``webhook-id``, then processes."""

    verifier = WebhookVerifier([SECRET])
    processed: dict[str, dict[str, Any]] = {}  # noqa: RUF012 - shared on purpose
    copies = 0
    lose_next_answer = True
    lock = threading.Lock()

    def do_POST(self) -> None:
        """Handle one webhook."""
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        try:
            webhook = self.verifier.verify(dict(self.headers.items()), body, now=datetime.now(UTC))
        except WebhookVerificationError as exc:
            if exc.reason == "replayed":  # a copy of one already processed: say yes again
                with self.lock:
                    Receiver.copies += 1
                self._answer(200)
            else:
                self._answer(400)
            return
        event = json.loads(webhook.body)
        with self.lock:
            Receiver.processed[webhook.id] = event  # your processing goes here
            lose = Receiver.lose_next_answer
            Receiver.lose_next_answer = False
        # If processing failed, call self.verifier.forget(webhook.id) and answer 5xx,
        # so that the sender's retry is accepted.
        self._answer(500 if lose else 204)  # a 500 stands in for an answer lost on the way

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the example's output short."""


def record_two_events(mall: Mall) -> None:
    """Submit an application at the counter and have an officer verify it."""
    scan = b"scan of an identity card"
    identity = DocumentRef(
        requirement="identity",
        evidence_type="identity-card",
        sha256=hashlib.sha256(scan).hexdigest(),
        media_type="application/pdf",
        size=len(scan),
        content=scan,
    )
    receipt = mall.submit(
        "trade-licence",
        channel="counter",
        applicant=Person.of(
            identity_number="3171015708850001", identity_scheme="id-nik", name="Ani Contoh"
        ),
        answers={"applicant_type": "person", "floor_area": 40},
        documents=[identity],
        actor=Actor(id="front-office-1", roles={"front_office"}),
    )
    mall.act(receipt.application_id, "verify", actor=Actor(id="verifier-1", roles={"verifier"}))


def main() -> int:
    """Run the receiver, the mall and the relay; print what the receiver processed."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/onestop"
    print(f"receiver listening on {url}")

    mall = Mall(catalogue=load_catalogue(CATALOGUE), store=from_url("memory://"))
    record_two_events(mall)

    # allow_private: the receiver is on loopback; real endpoints are public https URLs.
    endpoint = WebhookEndpoint(url, secrets=[SECRET], allow_private=True)
    stop = threading.Event()
    with httpx.Client(timeout=5.0) as client:
        relay = Relay(
            mall.store,
            {"receiver": WebhookTransport(client, endpoint)},
            policy=RetryPolicy(base=0.1, cap=0.5),  # quick retries, for the demonstration
        )
        worker = threading.Thread(target=relay.run_forever, args=(stop,))
        worker.start()
        deadline = time.monotonic() + 10
        while relay.backlog() != {"receiver": 0} and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        worker.join()
    server.shutdown()
    server.server_close()

    print(
        f"receiver processed {len(Receiver.processed)} webhook(s), dropped {Receiver.copies} copy"
    )
    for webhook_id, event in Receiver.processed.items():
        print(f"  {webhook_id}  {event['type']:<13} state={event['data']['state']}")
    return 0 if len(Receiver.processed) == 2 and Receiver.copies == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
