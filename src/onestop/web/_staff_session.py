"""Staff sign-in: ``/api/v1/staff/session`` and ``/api/v1/staff/me``.

- ``POST /api/v1/staff/session`` signs a member of staff in with their account, password
  and, once enrolled, a TOTP code: 201 with the session and CSRF cookies
  (`onestop.web._staff_auth`).  An unknown account and a wrong password are the same 401
  (`SignInRefused`); after too many failures on an account, or from a client, in the
  store's window the account (or client) is locked for a while: 429 with ``Retry-After``
  (`AccountLocked`), even with the right password.  The failures are counted in the store,
  so every worker sees the same count.
- ``DELETE /api/v1/staff/session`` signs the browser's session out (its cookies cleared);
  a request authenticated by an API token has no session to end (the token stays valid
  until it is revoked): 204 all the same.
- ``GET /api/v1/staff/me``: who the request is from, and the roles in force now.

The password and code are read from the body, used once and never kept, logged or
echoed (`onestop.web._scrub` takes any echo out of a refusal).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import anyio
import attrs
from litestar import Request, Response, delete, get, post, route
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import JSONBody

from onestop.domain.common.formats import text_problem
from onestop.exceptions import InvalidRequest, InvalidValue, Problem
from onestop.web._api import runtime_of
from onestop.web._limits import client_key
from onestop.web._problems import problem_responses
from onestop.web._staff_auth import (
    EXEMPT_FROM_CSRF,
    cleared_cookies,
    cookies_secure,
    credential_of,
    csrf_token_for,
    session_cookies,
    staff_of,
    staff_only,
)
from onestop.web._wire import Body

__all__ = [
    "ROUTES",
    "SESSION_PATH",
    "GrantView",
    "SignInRequest",
    "SignedInView",
    "StaffView",
]

MAX_ACCOUNT = 256
"""The longest account name a sign-in may send."""

MAX_PASSWORD = 1024
"""The longest password a sign-in may send (the longest a password may be)."""

MAX_CODE = 16
"""The longest second-factor code a sign-in may send."""


def _bounded(most: int) -> Any:
    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and attribute.name == "code":
            return
        reason = text_problem(value, max_length=most)
        if reason is not None:
            raise InvalidValue(field=attribute.name, reason=reason)

    return check


@attrs.frozen(kw_only=True)
class SignInRequest:
    """A member of staff signing in.

    Attributes:
        account: The account's id.
        password: Its password (never kept, logged or echoed).
        code: The current TOTP code, for an account with a second factor.
    """

    account: str = attrs.field(validator=_bounded(MAX_ACCOUNT))
    password: str = attrs.field(repr=False, validator=_bounded(MAX_PASSWORD))
    code: str | None = attrs.field(default=None, repr=False, validator=_bounded(MAX_CODE))


@attrs.frozen(kw_only=True)
class GrantView:
    """A role held for one agency's applications.

    Attributes:
        role: The role.
        agency: The agency's code.
    """

    role: str
    agency: str


@attrs.frozen(kw_only=True)
class StaffView:
    """Who a request is from, and what they hold now (no secret).

    Attributes:
        account_id: The account's id: the actor recorded on what they do.
        method: How the request was authenticated: ``password``, ``password+totp``,
            ``oidc`` (a session's sign-in) or ``token``.
        roles: The roles held for every agency, now.
        grants: The roles held for one agency's applications, now.
    """

    account_id: str
    method: str
    roles: tuple[str, ...]
    grants: tuple[GrantView, ...]


@attrs.frozen(kw_only=True)
class SignedInView:
    """A session begun: the cookies carry it; this says whose it is.

    Attributes:
        staff: Who signed in, and what they hold now.
        expires_at: When the session ends at the latest (sooner if left idle).
        csrf_token: The session's CSRF token (also in the ``onestop_csrf`` cookie): echo it
            in ``X-CSRF-Token`` on every request that changes something.
    """

    staff: StaffView
    expires_at: datetime
    csrf_token: str


def _view(identity: Any) -> StaffView:
    actor = identity.actor
    return StaffView(
        account_id=identity.account_id,
        method=identity.method,
        roles=tuple(sorted(actor.roles)),
        grants=tuple(
            GrantView(role=g.role, agency=g.agency)
            for g in sorted(actor.grants, key=lambda g: (g.agency or "", g.role))
            if g.agency is not None
        ),
    )


SESSION_PATH = "/api/v1/staff/session"
"""Where a member of staff signs in (POST) and out (DELETE)."""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


async def same_site_json(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard of sign-in, which has no CSRF token yet: a JSON body from the mall's own pages only.

    A form of another site can post ``text/plain``, a form or multipart without a
    preflight, but never ``application/json``; and a browser says where a request comes
    from (``Sec-Fetch-Site``, ``Origin``).  Either refusal stops *login CSRF*: another
    site signing the victim's browser into the attacker's account.

    Raises:
        InvalidRequest: 415 if the body is not declared JSON; 403 if a browser says the
            request comes from another site.
    """
    media = connection.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        problem = Problem(path="header.Content-Type", message="sign-in takes application/json")
        raise InvalidRequest([problem], status=415)
    site = connection.headers.get("sec-fetch-site", "").lower()
    origin = connection.headers.get("origin")
    settings = runtime_of(connection).settings  # type: ignore[arg-type]
    own = _origin(settings.public_url or str(connection.base_url))
    if site == "cross-site" or (origin is not None and origin.lower() != own):
        problem = Problem(
            path="header.Origin", message="sign-in is taken from the mall's pages only"
        )
        raise InvalidRequest([problem], status=403)


@post(
    SESSION_PATH,
    dto=Body[SignInRequest],
    return_dto=Body[SignedInView],
    tags=["staff"],
    status_code=201,
    guards=[same_site_json],
    opt={EXEMPT_FROM_CSRF: True},
    responses=problem_responses(400, 401, 403, 413, 415, 422, 429),
    summary="Sign in (staff)",
)
async def sign_in(
    request: Request[Any, Any, Any], data: JSONBody[SignInRequest]
) -> Response[SignedInView]:
    """Begin a staff session: the answer sets the session and CSRF cookies."""
    runtime = runtime_of(request)
    client = client_key(request.client.host if request.client is not None else "unknown")
    signed = await anyio.to_thread.run_sync(
        lambda: runtime.staff.sign_in(data.account, data.password, code=data.code, client=client)
    )
    csrf = csrf_token_for(runtime.csrf_secret, signed.session)
    view = SignedInView(staff=_view(signed.identity), expires_at=signed.expires_at, csrf_token=csrf)
    secure = cookies_secure(runtime.settings)
    return Response(
        view,
        status_code=201,
        cookies=session_cookies(session=signed.session, csrf=csrf, secure=secure),
    )


@delete(
    SESSION_PATH,
    tags=["staff"],
    guards=[staff_only],
    status_code=204,
    responses=problem_responses(401, 403),
    summary="Sign out (staff)",
)
async def sign_out(request: Request[Any, Any, Any]) -> Response[None]:
    """End the browser's session and clear its cookies."""
    runtime = runtime_of(request)
    kind, value = credential_of(request) or ("", "")
    if kind == "session":
        await anyio.to_thread.run_sync(runtime.staff.sign_out, value)
    return Response(
        None, status_code=204, cookies=cleared_cookies(secure=cookies_secure(runtime.settings))
    )


@get(
    "/api/v1/staff/me",
    return_dto=Body[StaffView],
    tags=["staff"],
    guards=[staff_only],
    sync_to_thread=True,
    responses=problem_responses(401),
    summary="Who am I (staff)",
)
def me(request: Request[Any, Any, Any]) -> StaffView:
    """The member of staff the request is from, and the roles they hold now."""
    return _view(staff_of(request))


@route(SESSION_PATH, http_method=["OPTIONS"], include_in_schema=False)
async def session_options() -> Response[None]:
    """The methods of the session's path."""
    return Response(None, status_code=204, headers={"Allow": "DELETE, OPTIONS, POST"})


# Registered first, and both handlers async (their store calls in a thread): Litestar
# registers the handlers of one path one by one, each time again with the earlier ones,
# so its own OPTIONS answer named the first method only, and a sync_to_thread handler was
# wrapped twice (answering a coroutine).
ROUTES = [session_options, sign_in, sign_out, me]
"""The staff sign-in route handlers."""
