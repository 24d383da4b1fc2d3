"""Who a staff request is from: `staff_of`, the one way a staff route learns its officer.

A member of staff is known by one of two credentials, never by anything a request says
about itself (no body, parameter or header names the acting officer):

- **a browser session**: the ``onestop_session`` cookie that signing in sets (HttpOnly,
  SameSite=Strict, Secure unless the server's public URL is plain ``http`` on a loopback
  address: `cookies_secure`), beside the ``onestop_csrf`` cookie (readable by the page);
- **an API token** of an agency's back office: ``Authorization: Bearer <token>``.

A request with an ``Authorization`` header is authenticated by it alone: a cookie it also
carries is ignored.  Either credential is looked up by the `StaffDesk` (by digest, in the
store), which folds the account's grants in force now: a role revoked on one worker is
gone on the next request to any worker.  No credential, an unknown, expired or revoked
one, a disabled account, a malformed header: all are the same 401 (`NotAuthenticated`),
byte for byte, which never says which it was.

Routes use the guard `staff_only` (it authenticates before the body is read, in a thread,
and keeps the `StaffIdentity` in the request's scope) and read the officer with
`staff_of` (the kept identity: one store query per request).

**CSRF.**  A request a session cookie authenticates that changes something (any method
but GET, HEAD and OPTIONS) must carry the session's CSRF token in ``X-CSRF-Token`` and in
the ``onestop_csrf`` cookie (double submit), checked by `CsrfCheck`: Litestar's
`CSRFMiddleware` with its `CSRFConfig`, whose token is, here, bound to the session (its
random half is an HMAC of the session under the server's secret: `csrf_token_for`), so that a
cookie planted by a neighbouring site fits no session.  A refusal is a 403
(`CsrfRefused`) and nothing is done.  Bearer requests need no CSRF token: a browser
never adds an ``Authorization`` header to a cross-site request by itself.  Signing in is
exempt (it authenticates by its body, not by a cookie).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from functools import partial
from secrets import compare_digest
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import anyio
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.enums import ScopeType
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware._utils import should_bypass_middleware
from litestar.middleware.csrf import CSRFMiddleware, generate_csrf_hash
from litestar.types import ASGIApp, Receive, Scope, Send

from onestop.exceptions import CsrfRefused, NotAuthenticated
from onestop.web.settings import ServeSettings

if TYPE_CHECKING:
    from onestop.usecases.staff import StaffIdentity

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "EXEMPT_FROM_CSRF",
    "SESSION_COOKIE",
    "CsrfCheck",
    "cleared_cookies",
    "cookies_secure",
    "credential_of",
    "csrf_token_for",
    "session_cookies",
    "staff_of",
    "staff_only",
]

SESSION_COOKIE = "onestop_session"
"""The cookie of a browser's staff session (HttpOnly)."""

CSRF_COOKIE = "onestop_csrf"
"""The cookie holding the session's CSRF token (readable by the page, to echo it)."""

CSRF_HEADER = "X-CSRF-Token"
"""The header a state-changing request of a signed-in browser echoes the CSRF token in."""

EXEMPT_FROM_CSRF = "exclude_from_csrf"
"""The route option that exempts a route from the CSRF check (signing in only)."""

_KEPT = "onestop_staff"
_LONGEST_CREDENTIAL = 512
"""Longer bearer values or cookies are not looked up: no credential of ours is so long."""


def credential_of(connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[str, str] | None:
    """Return the request's credential: ``("token", value)`` from a bearer ``Authorization``
    header, ``("session", value)`` from the session cookie, ``("", "")`` for an
    ``Authorization`` header that is not a usable bearer token (never a cookie then), or
    ``None`` if the request carries neither."""
    header = connection.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        value = value.strip()
        if scheme.lower() != "bearer" or not value or len(value) > _LONGEST_CREDENTIAL:
            return "", ""
        return "token", value
    cookie = connection.cookies.get(SESSION_COOKIE)
    if cookie is None:
        return None
    if not cookie or len(cookie) > _LONGEST_CREDENTIAL:
        return "", ""
    return "session", cookie


def _authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> StaffIdentity:
    found = credential_of(connection)
    if found is None or not found[0]:
        raise NotAuthenticated()
    kind, value = found
    desk = connection.app.state.runtime.staff
    identity: StaffIdentity = desk.bearer(value) if kind == "token" else desk.session(value)
    return identity


def _state(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
    state: dict[str, Any] = connection.scope.setdefault("state", {})
    return state


def staff_of(connection: ASGIConnection[Any, Any, Any, Any]) -> StaffIdentity:
    """Return the member of staff the request is from: the identity `staff_only` kept, else
    (a route without the guard) authenticated now; blocking, so call it in a thread.

    Raises:
        NotAuthenticated: If the request carries no known, live credential of an enabled
            account; the same error whatever was wrong.
    """
    state = _state(connection)
    kept = state.get(_KEPT)
    if kept is None:
        kept = state[_KEPT] = _authenticate(connection)
    identity: StaffIdentity = kept
    return identity


async def staff_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Route guard: authenticate the request before its body is read (in a thread: the
    desk reads the store; an API token on a local store on the event loop, see
    `onestop.web._runtime.Runtime.local_store`) and keep its `StaffIdentity` for `staff_of`.

    Raises:
        NotAuthenticated: As `staff_of`.
    """
    if _state(connection).get(_KEPT) is not None:
        return
    found = credential_of(connection)
    if found is not None and found[0] == "token":  # only read (a session's use may be written)
        await connection.app.state.runtime.read(partial(staff_of, connection))
    else:
        await anyio.to_thread.run_sync(staff_of, connection)


def cookies_secure(settings: ServeSettings, /) -> bool:
    """Whether the staff cookies are marked Secure: always, unless the server's public URL
    (``--public-url``) is plain ``http`` on a loopback address (a developer's machine)."""
    if settings.public_url is None:
        return True
    parts = urlsplit(settings.public_url)
    if parts.scheme != "http":
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def csrf_token_for(secret: str, session: str, /) -> str:
    """Return the CSRF token of *session*, in Litestar's form (a random-looking half, then
    its HMAC): the first half is the session's HMAC under *secret*, so the token fits this
    session only, and every worker derives the same one."""
    bound = hmac.new(secret.encode(), f"onestop-csrf\x00{session}".encode(), hashlib.sha256)
    half = bound.hexdigest()
    return half + generate_csrf_hash(token=half, secret=secret)


def session_cookies(
    *, session: str, csrf: str, secure: bool, max_age: int | None = None
) -> list[Cookie]:
    """The cookies signing in sets: the session (HttpOnly) and its CSRF token (readable),
    both SameSite=Strict for the whole site; session cookies unless *max_age* is given."""
    return [
        Cookie(
            key=SESSION_COOKIE,
            value=session,
            path="/",
            httponly=True,
            secure=secure,
            samesite="strict",
            max_age=max_age,
        ),
        Cookie(
            key=CSRF_COOKIE,
            value=csrf,
            path="/",
            httponly=False,
            secure=secure,
            samesite="strict",
            max_age=max_age,
        ),
    ]


def cleared_cookies(*, secure: bool) -> list[Cookie]:
    """The cookies signing out sets: both staff cookies, emptied and expired."""
    return [
        Cookie(key=name, value="", path="/", httponly=http_only, secure=secure, max_age=0)
        for name, http_only in ((SESSION_COOKIE, True), (CSRF_COOKIE, False))
    ]


def _same(given: str, expected: str) -> bool:
    return compare_digest(given.encode("utf-8", "replace"), expected.encode("ascii"))


class CsrfCheck:
    """ASGI middleware: the CSRF check of requests a session cookie authenticates (see the
    module): Litestar's `CSRFMiddleware`, configured (`CSRFConfig`) when the worker's
    first request arrives, with a secret derived from the server's (the same in every
    worker), the token bound to the session, and a typed 403 (`CsrfRefused`)."""

    def __init__(self, app: ASGIApp) -> None:
        """Check the requests *app* is given."""
        self.app = app
        self._inner: CSRFMiddleware | None = None
        self._secret = ""

    def _litestar(self, scope: Scope) -> CSRFMiddleware:
        if self._inner is None:
            runtime = scope["litestar_app"].state.runtime
            self._secret = runtime.csrf_secret
            self._inner = CSRFMiddleware(
                self.app,
                CSRFConfig(
                    secret=self._secret,
                    cookie_name=CSRF_COOKIE,
                    header_name=CSRF_HEADER.lower(),
                    cookie_secure=cookies_secure(runtime.settings),
                    cookie_httponly=False,
                    cookie_samesite="strict",
                    exclude_from_csrf_key=EXEMPT_FROM_CSRF,
                ),
            )
        return self._inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass a request on, or refuse it before anything is done."""
        if scope["type"] != ScopeType.HTTP or scope.get("method") in {"GET", "HEAD", "OPTIONS"}:
            await self.app(scope, receive, send)
            return
        inner = self._litestar(scope)
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        found = credential_of(connection)
        if (
            found is None
            or found[0] != "session"
            or should_bypass_middleware(
                scope=scope,
                scopes=inner.scopes,
                exclude_opt_key=EXEMPT_FROM_CSRF,
                exclude_path_pattern=None,
            )
        ):
            await self.app(scope, receive, send)
            return
        expected = csrf_token_for(self._secret, found[1])
        sent = connection.headers.get(CSRF_HEADER, "")
        cookie = connection.cookies.get(CSRF_COOKIE, "")
        if not (_same(sent, expected) and _same(cookie, expected)):
            raise CsrfRefused()
        # Litestar's own double-submit check, on what was just found bound to the session.
        await inner(scope, receive, send)
