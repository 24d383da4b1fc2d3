"""Limits shared by every worker: anonymous submissions and failed tracking lookups.

Both are counted in a Litestar `Store` that every worker process of one server shares
(a `FileStore` in ``limits_dir`` on one machine; a Redis or Valkey store across
machines), so that starting more workers does not multiply what a client may do.

- **Submissions** are limited per client address by Litestar's own `RateLimitConfig`
  (`submission_limit`), on the routes that create applications only.
- **Failed lookups** of a tracking number are counted per client address *and* per
  number (`Limits`): a guesser is cut off whether they try many secrets on one number
  or one secret on many numbers, from one address or many.  Only failures count, so a
  citizen checking their own application is never throttled by it.

The client address is the connection's peer, as the server reports it: behind a reverse
proxy, have uvicorn trust the proxy's ``X-Forwarded-For`` (``--forwarded-allow-ips``),
never the header alone.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import attrs
from litestar import Request
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.stores.base import Store

from onestop.exceptions import Throttled

__all__ = ["SUBMISSION_ROUTES", "Limits", "submission_limit"]

SUBMISSION_ROUTES = frozenset({"/api/v1/applications", "/open311/v2/requests.json"})
"""The paths whose POST creates an application: the ones the submission limit counts."""

_WINDOW = 60


def _is_submission(request: Request[Any, Any, Any]) -> bool:
    return request.method == "POST" and request.url.path in SUBMISSION_ROUTES


def submission_limit(per_minute: int, *, store: str = "limits") -> RateLimitConfig:
    """Litestar's rate limit on anonymous submissions: *per_minute* per client address."""
    return RateLimitConfig(
        rate_limit=("minute", per_minute),
        check_throttle_handler=_is_submission,
        store=store,
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@attrs.define(kw_only=True)
class Limits:
    """Counts failed lookups in a shared store and refuses once there are too many.

    Attributes:
        store: The store shared by the workers.
        lookups_per_minute: Failures allowed per client, and per number, per minute.
    """

    store: Store
    lookups_per_minute: int

    @staticmethod
    def client_of(request: Request[Any, Any, Any]) -> str:
        """The client's address, as the server saw the connection."""
        return request.client.host if request.client is not None else "unknown"

    def _keys(self, *, client: str, number: str) -> tuple[str, str]:
        # Numbers and addresses are kept hashed: the store holds no application number.
        return f"lookup:client:{_digest(client)}", f"lookup:number:{_digest(number)}"

    async def _count(self, key: str) -> tuple[int, int]:
        raw = await self.store.get(key)
        if raw is None:
            return 0, int(time.time()) + _WINDOW
        count, _, reset = raw.decode("ascii", "replace").partition(":")
        if not count.isdigit() or not reset.isdigit() or int(reset) <= time.time():
            return 0, int(time.time()) + _WINDOW
        return int(count), int(reset)

    async def check_lookups(self, *, client: str, number: str) -> None:
        """Refuse a lookup from *client* or of *number* after too many failures.

        Raises:
            Throttled: With the seconds to wait.
        """
        for key in self._keys(client=client, number=number):
            count, reset = await self._count(key)
            if count >= self.lookups_per_minute:
                raise Throttled(limit="lookups", retry_after=max(1, reset - int(time.time())))

    async def failed_lookup(self, *, client: str, number: str) -> None:
        """Count one failed lookup from *client* of *number*."""
        for key in self._keys(client=client, number=number):
            count, reset = await self._count(key)
            left = max(1, reset - int(time.time()))
            await self.store.set(key, f"{count + 1}:{reset}".encode("ascii"), expires_in=left)
