"""Staff sign-in through the government's identity provider: ``/api/v1/staff/oidc/*``.

Served when ``onestop serve`` is given ``--oidc-issuer`` (`onestop.web._identity`); the
browser flow is the OpenID Connect authorisation code flow with PKCE:

1. ``GET /api/v1/staff/oidc/start``: the provider's adapter begins a sign-in
   (`StaffIdentityProvider.begin`); its secrets (``state``, ``nonce``, the PKCE
   verifier) are kept **in the store**, as a `StaffSecret` of kind ``oidc_state``
   under the SHA-256 digest of a random value, for `STATE_SECONDS`; that value goes to
   the browser in the `STATE_COOKIE` cookie (HttpOnly, ``SameSite=Lax`` so that the
   provider's redirect back carries it, Secure as the session's, for the callback's path
   only).  The answer is a 302 to the provider.  Any worker can finish what another
   began, and nothing secret reaches the browser but the cookie's random value.
2. ``GET /api/v1/staff/oidc/callback?code=...&state=...``: the kept secrets are taken
   **and deleted** (used once: of two callbacks with one cookie, only the one whose
   delete removed them goes on), the provider's answer is verified
   (`StaffIdentityProvider.finish`: the state against the kept one, the code redeemed
   with the verifier, the ID token's signature, issuer, audience, expiry and nonce), the
   account linked to the identity is signed in (`StaffDesk.sign_in_external`), and the
   answer is a 303 to ``--oidc-landing`` setting the session and CSRF cookies exactly as
   password sign-in does (`onestop.web._staff_auth.session_cookies`).

**Login CSRF.**  The callback is a GET a neighbouring site could make a browser send,
with an attacker's own code.  It is refused: the state must be the one kept for *this
browser's* cookie, which the attacker cannot set.  The state cookie is Lax, not
Strict, because the provider's redirect is a cross-site navigation; the session cookie
stays Strict, so the landing page (reached in the same cross-site chain) may not see it
until its own scripts call the API.

**Refusals.**  A missing, unknown, expired or replayed state cookie, a state or code
that does not match, an ID token failing a check, an identity linked to no active
account: the same 401 (`SignInRefused`), byte for byte; the server logs
``staff_oidc_refused`` with which check failed (never a code, token or identity).
A provider that cannot be reached is a 503 (`IdentityProviderUnavailable`), one that
misbehaves a 502 (`IdentityProviderError`); nobody is signed in.  The access log
records the route's template, never its query: the code and the state are not logged.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final

import anyio
import structlog
from litestar import Request, get
from litestar.datastructures import Cookie
from litestar.params import QueryParameter
from litestar.response import Redirect

from onestop.exceptions import IdentityNotVerified, SignInRefused
from onestop.ports.identity import Authorisation, StaffIdentityProvider
from onestop.ports.staff import StaffSecret, StaffStore
from onestop.usecases.staff import SignedIn
from onestop.web._api import runtime_of
from onestop.web._problems import problem_responses
from onestop.web._runtime import Runtime
from onestop.web._staff_auth import cookies_secure, csrf_token_for, session_cookies

__all__ = [
    "CALLBACK_PATH",
    "ROUTES",
    "START_PATH",
    "STATE_ACCOUNT",
    "STATE_COOKIE",
    "STATE_KIND",
    "STATE_SECONDS",
]

START_PATH: Final = "/api/v1/staff/oidc/start"
"""Where a browser begins signing in through the identity provider."""

CALLBACK_PATH: Final = "/api/v1/staff/oidc/callback"
"""Where the identity provider sends the browser back to (the redirect URI's path)."""

STATE_COOKIE: Final = "onestop_oidc"
"""The cookie holding the random value a begun sign-in's secrets are kept under."""

STATE_KIND: Final = "oidc_state"
"""The kind of `StaffSecret` a begun sign-in is kept as."""

STATE_ACCOUNT: Final = "oidc:sign-in"
"""The account id a begun sign-in is kept under (nobody is signed in yet)."""

STATE_SECONDS: Final = 600
"""How long a begun sign-in may take, in seconds."""

_LOG = structlog.get_logger("onestop.web")
_MAX_COOKIE = 128
_MAX_PARAMETER = 2048
_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _key(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _provider(runtime: Runtime) -> tuple[StaffIdentityProvider, str, StaffStore]:
    redirect = runtime.settings.oidc_redirect_uri
    store = runtime.mall.store
    if runtime.identity is None or redirect is None or not isinstance(store, StaffStore):
        raise SignInRefused  # pragma: no cover - the routes are served only with a provider
    return runtime.identity, redirect, store


def _begin(runtime: Runtime) -> tuple[str, str]:
    """Begin a sign-in; keep its secrets; return the provider's URL and the cookie's value."""
    provider, redirect, store = _provider(runtime)
    begun = provider.begin(redirect_uri=redirect)
    value = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    data = {
        "url": begun.url,
        "state": begun.state,
        "nonce": begun.nonce,
        "code_verifier": begun.code_verifier,
        "redirect_uri": begun.redirect_uri,
    }
    store.put_secret(
        StaffSecret(
            key=_key(value),
            account_id=STATE_ACCOUNT,
            kind=STATE_KIND,
            data=json.dumps(data).encode(),
            created_at=now,
            expires_at=now + timedelta(seconds=STATE_SECONDS),
        )
    )
    return begun.url, value


def _taken(store: StaffStore, value: str | None) -> Authorisation:
    """Take (and delete) the sign-in kept under the cookie's *value*; refuse it if none."""
    if not value or len(value) > _MAX_COOKIE:
        raise _refused("state_cookie")
    key = _key(value)
    found = store.secret(key, at=datetime.now(UTC))
    if found is None or found.kind != STATE_KIND:
        raise _refused("state_cookie")
    if store.delete_secrets(key=key, kind=STATE_KIND) != 1:  # another callback took it
        raise _refused("state_replayed")
    try:
        return Authorisation(**json.loads(found.data))
    except (ValueError, TypeError):  # pragma: no cover - only _begin writes it
        raise _refused("state_cookie") from None


def _refused(check: str) -> SignInRefused:
    _LOG.warning("staff_oidc_refused", check=check)
    return SignInRefused()


def _finish(runtime: Runtime, value: str | None, code: str | None, state: str | None) -> SignedIn:
    provider, redirect, store = _provider(runtime)
    expected = _taken(store, value)
    if code is None or state is None:  # the provider sent an error (a cancelled sign-in)
        raise _refused("no_code")
    try:
        login = provider.finish(code=code, state=state, expected=expected, redirect_uri=redirect)
    except IdentityNotVerified as exc:
        raise _refused(exc.check) from None
    try:
        return runtime.staff.sign_in_external(login.identity)
    except SignInRefused:
        raise _refused("account") from None


def _state_cookie(value: str, *, secure: bool, max_age: int) -> Cookie:
    return Cookie(
        key=STATE_COOKIE,
        value=value,
        path=CALLBACK_PATH,
        httponly=True,
        secure=secure,
        samesite="lax",
        max_age=max_age,
    )


@get(
    START_PATH,
    tags=["staff"],
    status_code=302,
    response_description="Off to the identity provider, with the state cookie set",
    responses=problem_responses(502, 503),
    summary="Sign in through the identity provider (staff)",
)
async def oidc_start(request: Request[Any, Any, Any]) -> Redirect:
    """Send the browser to the identity provider; its return is the callback."""
    runtime = runtime_of(request)
    url, value = await anyio.to_thread.run_sync(_begin, runtime)
    secure = cookies_secure(runtime.settings)
    return Redirect(
        url,
        status_code=302,
        headers=_NO_STORE,
        cookies=[_state_cookie(value, secure=secure, max_age=STATE_SECONDS)],
    )


_Code = Annotated[
    str | None,
    QueryParameter(
        name="code",
        max_length=_MAX_PARAMETER,
        description="The authorisation code the provider gave (absent if it refused).",
    ),
]
_State = Annotated[
    str | None,
    QueryParameter(
        name="state",
        max_length=_MAX_PARAMETER,
        description="The state sent to the provider, sent back.",
    ),
]


@get(
    CALLBACK_PATH,
    tags=["staff"],
    status_code=303,
    response_description="Signed in: off to the landing page, with the session and CSRF cookies",
    responses=problem_responses(400, 401, 502, 503),
    summary="Come back from the identity provider (staff)",
)
async def oidc_callback(
    request: Request[Any, Any, Any], code: _Code = None, sent_state: _State = None
) -> Redirect:
    """Verify the provider's answer for this browser, sign its account in, go to landing."""
    runtime = runtime_of(request)
    value = request.cookies.get(STATE_COOKIE)
    signed = await anyio.to_thread.run_sync(_finish, runtime, value, code, sent_state)
    csrf = csrf_token_for(runtime.csrf_secret, signed.session)
    secure = cookies_secure(runtime.settings)
    return Redirect(
        runtime.settings.oidc_landing,
        status_code=303,
        headers=_NO_STORE,
        cookies=[
            *session_cookies(session=signed.session, csrf=csrf, secure=secure),
            _state_cookie("", secure=secure, max_age=0),
        ],
    )


ROUTES = [oidc_start, oidc_callback]
"""The identity provider's sign-in route handlers (served with ``--oidc-issuer``)."""
