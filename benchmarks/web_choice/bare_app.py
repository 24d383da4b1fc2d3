"""A bare ASGI app: the server's and the load generator's ceiling on this machine.

``POST /echo`` sends the body back; ``GET /track`` answers a fixed JSON body.  No
framework, no decoding, no store.
"""

from __future__ import annotations

from typing import Any

FIXED = b'{"state":"draft"}'


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
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
    out = body if scope["method"] == "POST" else FIXED
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(out)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": out})
