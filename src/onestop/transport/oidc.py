"""Staff sign-in through a government's OpenID Connect provider (extra ``onestop-mall[oidc]``).

`OpenIDConnect` implements `onestop.ports.identity.StaffIdentityProvider` with the
authorisation code flow, for a confidential client (a client secret) or a public one:

* **discovery**: ``{issuer}/.well-known/openid-configuration`` is read once (and again
  after `OpenIDConnect`'s *cache_for* seconds); its ``issuer`` must be the configured
  one *exactly*, and its endpoints ``https`` (``http`` only on a loopback issuer, for
  tests); a provider that says it offers no ``S256`` PKCE, no RS256 or ES256 ID tokens,
  or not the client authentication configured, is refused;
* **keys**: the JWKS is fetched and kept; a token signed with a key id it does not
  hold makes one fetch again (the provider rotated its keys), at most once every
  *refetch_after* seconds, so forged key ids cannot make it hammer the provider;
* **the request**: ``state``, ``nonce`` and a PKCE ``code_verifier`` (S256), each of
  256 random bits or more (`onestop.ports.identity.Authorisation`);
* **the return**: the state is compared in constant time, the redirect URI must be the
  one sent, the code is redeemed at the token endpoint with ``client_secret_basic``
  (the default) or ``client_secret_post`` and the verifier;
* **the ID token** is verified as `onestop.transport._oidc_tokens` says: RS256 or
  ES256 only (never ``none``, never HMAC with a public key), issuer, audience and
  ``azp``, ``exp``/``iat``/``nbf`` within *clock_skew* seconds, the nonce.

Errors: `onestop.exceptions.IdentityNotVerified` (a check failed: answer 401),
`onestop.exceptions.IdentityProviderUnavailable` (unreachable, a timeout, 5xx: try again
later), `onestop.exceptions.IdentityProviderError` (misconfigured or misbehaving).  The
HTTP client's errors are translated in one place (`OpenIDConnect._request`).  Nothing
here logs: no token, code, secret or claim leaves this module except the `VerifiedLogin`.

The HTTP client is the host's (an ``httpx.Client``, or a look-alike with ``get`` and
``post``), so that proxies, TLS and test transports are its choice; without one, an
``httpx.Client`` is made, which never follows redirects.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Literal, Protocol
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from onestop.domain.common.formats import text_problem
from onestop.domain.common.kinds import seconds_problem
from onestop.domain.staff import ExternalIdentity
from onestop.exceptions import (
    IdentityNotVerified,
    IdentityProviderError,
    IdentityProviderUnavailable,
    InvalidValue,
)
from onestop.ports.events import Clock
from onestop.ports.identity import MAX_ISSUER, MAX_URL, Authorisation, VerifiedLogin
from onestop.transport import _oidc_tokens as tokens
from onestop.transport._http import delivery_error

__all__ = ["ClientAuthentication", "IdentityHttpClient", "IdentityHttpResponse", "OpenIDConnect"]

ClientAuthentication = Literal["client_secret_basic", "client_secret_post"]
"""How the client authenticates at the token endpoint (RFC 6749, section 2.3.1)."""

DISCOVERY_PATH: Final = "/.well-known/openid-configuration"
MAX_DOCUMENT: Final = 1 << 20
"""The largest discovery document, JWKS or token answer read, in bytes."""

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_TRANSIENT = frozenset({408, 425, 429})
_MAX_CLIENT_ID = 255
_MAX_SECRET = 1024
_MAX_CODE = 2048
_CODE_CHARS = frozenset(map(chr, range(0x21, 0x7F)))  # visible ASCII (RFC 6749, VSCHAR)


class IdentityHttpResponse(Protocol):
    """The part of an ``httpx.Response`` `OpenIDConnect` reads."""

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        ...

    @property
    def content(self) -> bytes:
        """The whole body."""
        ...


class IdentityHttpClient(Protocol):
    """The part of an ``httpx.Client`` `OpenIDConnect` calls."""

    def get(
        self, url: str, *, headers: Mapping[str, str], follow_redirects: bool, timeout: float
    ) -> IdentityHttpResponse:
        """Send a GET and return the answer, without following redirects."""
        ...

    def post(
        self,
        url: str,
        *,
        content: bytes,
        headers: Mapping[str, str],
        follow_redirects: bool,
        timeout: float,
    ) -> IdentityHttpResponse:
        """Send a POST and return the answer, without following redirects."""
        ...


def _check_issuer(issuer: object) -> str:
    reason = text_problem(issuer, max_length=MAX_ISSUER)
    if reason is None:
        parts = urlsplit(str(issuer))
        host = parts.hostname or ""
        if parts.scheme != "https" and not (parts.scheme == "http" and host in _LOOPBACK):
            reason = "must be an https URL (http only on a loopback host)"
        elif not host or parts.query or parts.fragment or parts.username or parts.password:
            reason = "must be an https URL with a host and no query, fragment or credentials"
        elif any(char.isspace() for char in str(issuer)):
            reason = "must not hold spaces"
    if reason is not None:
        raise InvalidValue(field="issuer", reason=reason)
    return str(issuer)


def _endpoint(document: Mapping[str, Any], name: str, issuer: str) -> str:
    value = document.get(name)
    if text_problem(value, max_length=MAX_URL) is not None:
        raise IdentityProviderError(issuer=issuer, reason=f"the discovery document has no {name}")
    parts = urlsplit(str(value))
    loopback = urlsplit(issuer).scheme == "http"
    if not parts.hostname or parts.fragment or any(char.isspace() for char in str(value)):
        raise IdentityProviderError(issuer=issuer, reason=f"the {name} is not a usable URL")
    if parts.scheme != "https" and not (loopback and parts.scheme == "http"):
        raise IdentityProviderError(issuer=issuer, reason=f"the {name} is not an https URL")
    return str(value)


def _offers(document: Mapping[str, Any], name: str, wanted: Sequence[str]) -> bool:
    offered = document.get(name)
    return offered is None or (isinstance(offered, list) and any(w in offered for w in wanted))


class _Discovery:
    """What the adapter reads of a discovery document."""

    def __init__(self, document: Mapping[str, Any], *, issuer: str, method: str) -> None:
        if document.get("issuer") != issuer:
            raise IdentityProviderError(
                issuer=issuer, reason="the discovery document names another issuer"
            )
        self.authorization_endpoint = _endpoint(document, "authorization_endpoint", issuer)
        self.token_endpoint = _endpoint(document, "token_endpoint", issuer)
        self.jwks_uri = _endpoint(document, "jwks_uri", issuer)
        if not _offers(document, "code_challenge_methods_supported", ["S256"]):
            raise IdentityProviderError(issuer=issuer, reason="the provider offers no S256 PKCE")
        if not _offers(document, "id_token_signing_alg_values_supported", list(tokens.ALGORITHMS)):
            raise IdentityProviderError(
                issuer=issuer, reason="the provider signs ID tokens with neither RS256 nor ES256"
            )
        methods = document.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
        if method != "none" and not (isinstance(methods, list) and method in methods):
            raise IdentityProviderError(
                issuer=issuer, reason=f"the provider does not offer {method} at its token endpoint"
            )


class OpenIDConnect:
    """An OpenID Connect provider, as a `onestop.ports.identity.StaffIdentityProvider`.

    >>> provider = OpenIDConnect(issuer="https://id.example.gov", client_id="onestop",
    ...                          client_secret="s3cret-from-the-provider")
    >>> provider
    OpenIDConnect(issuer='https://id.example.gov', client_id='onestop')

    Arguments:
        issuer: The provider's issuer identifier: an https URL with no query or fragment.
        client_id: The client id the provider gave the mall.
        client_secret: Its secret, or ``None`` for a public client (PKCE alone).
        authentication: ``client_secret_basic`` (the default) or ``client_secret_post``.
        http: The HTTP client (an ``httpx.Client``); ``None`` makes one.
        clock: Where now comes from; the system clock by default.
        scopes: The scopes asked for besides ``openid``.
        clock_skew: How many seconds the provider's clock may differ (0 to 300; 60).
        timeout: Seconds to wait for each HTTP answer (60 at most; 10).
        cache_for: Seconds the discovery document and the keys are kept (3600).
        refetch_after: Seconds between fetches of the keys for an unknown key id, and
            before a discovery document that failed is asked for again (30): meanwhile
            each sign-in is refused at once with the same error, no call made.
    """

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str | None = None,
        authentication: ClientAuthentication = "client_secret_basic",
        http: IdentityHttpClient | None = None,
        clock: Clock | None = None,
        scopes: Sequence[str] = (),
        clock_skew: float = 60,
        timeout: float = 10,
        cache_for: float = 3600,
        refetch_after: float = 30,
    ) -> None:
        self._issuer = _check_issuer(issuer)
        reason = text_problem(client_id, max_length=_MAX_CLIENT_ID)
        if reason is not None:
            raise InvalidValue(field="client_id", reason=reason)
        self._client_id = client_id
        if client_secret is not None and text_problem(client_secret, max_length=_MAX_SECRET):
            raise InvalidValue(
                field="client_secret", reason=f"must be text of 1 to {_MAX_SECRET} characters"
            )
        if authentication not in ("client_secret_basic", "client_secret_post"):
            raise InvalidValue(
                field="authentication", reason="must be client_secret_basic or client_secret_post"
            )
        self._secret = client_secret
        self._method = authentication if client_secret is not None else "none"
        self._scopes = _check_scopes(scopes)
        for field, value, most in (
            ("clock_skew", clock_skew, 300),
            ("timeout", timeout, 60),
            ("cache_for", cache_for, 86_400 * 7),
            ("refetch_after", refetch_after, 86_400),
        ):
            reason = seconds_problem(value, maximum=most)
            if reason is not None:
                raise InvalidValue(field=field, reason=reason)
        if not timeout:
            raise InvalidValue(field="timeout", reason="must be more than 0 seconds")
        self._skew, self._timeout = float(clock_skew), float(timeout)
        self._cache_for, self._refetch_after = float(cache_for), float(refetch_after)
        self._http = http
        self._clock = clock
        self._lock = threading.Lock()
        self._discovery: tuple[float, _Discovery] | None = None
        self._failed: tuple[float, IdentityProviderError] | None = None
        self._keys: tuple[float, tokens.SigningKeys] | None = None

    def __repr__(self) -> str:
        """Name the provider and the client, never the secret."""
        return f"OpenIDConnect(issuer={self._issuer!r}, client_id={self._client_id!r})"

    @property
    def issuer(self) -> str:
        """The provider's issuer identifier, as configured."""
        return self._issuer

    # --- the flow ---------------------------------------------------------------------

    def begin(self, *, redirect_uri: str) -> Authorisation:
        """Start a sign-in that comes back to *redirect_uri*; send the browser to its ``url``.

        Raises:
            onestop.exceptions.InvalidValue: If *redirect_uri* is not an https URL (or http
                on a loopback host) without a fragment.
            onestop.exceptions.IdentityProviderError: If the discovery document cannot be
                used (`onestop.exceptions.IdentityProviderUnavailable`: not now).
        """
        _check_redirect(redirect_uri)
        discovery = self._discovered()
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)
        query = {
            "response_type": "code",
            "client_id": self._client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(("openid", *self._scopes)),
            "state": state,
            "nonce": nonce,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
        parts = urlsplit(discovery.authorization_endpoint)
        joined = "&".join(p for p in (parts.query, urlencode(query, quote_via=quote)) if p)
        url = urlunsplit(parts._replace(query=joined))
        return Authorisation(
            url=url, state=state, nonce=nonce, code_verifier=verifier, redirect_uri=redirect_uri
        )

    def finish(
        self, *, code: str, state: str, expected: Authorisation, redirect_uri: str
    ) -> VerifiedLogin:
        """Check the browser's return against *expected*, redeem *code*, verify the ID token.

        Raises:
            onestop.exceptions.InvalidValue: If *expected* is not an `Authorisation`.
            onestop.exceptions.IdentityNotVerified: If a check failed; its ``check`` says
                which (``state``, ``redirect_uri``, ``code``, ``signature``, ...).
            onestop.exceptions.IdentityProviderError: If the provider cannot be used
                (`onestop.exceptions.IdentityProviderUnavailable`: not now).
        """
        if not isinstance(expected, Authorisation):
            raise InvalidValue(field="expected", reason="must be the Authorisation begin() gave")
        given: tuple[object, object] = (state, code)  # anything may come from a browser
        if not isinstance(given[0], str) or not hmac.compare_digest(
            given[0].encode("utf-8", "surrogatepass"), expected.state.encode()
        ):
            raise self._refused("state", "the state is not the one sent")
        if redirect_uri != expected.redirect_uri:
            raise self._refused("redirect_uri", "the redirect URI is not the one sent")
        if (
            not isinstance(given[1], str)
            or not 1 <= len(given[1]) <= _MAX_CODE
            or not _CODE_CHARS.issuperset(given[1])
        ):
            raise self._refused("code", "the code is not the provider's")
        discovery = self._discovered()
        id_token = self._redeem(discovery, code, expected)
        claims = self._verified(discovery, id_token, nonce=expected.nonce)
        identity = ExternalIdentity(issuer=self._issuer, subject=claims["sub"])
        return VerifiedLogin(identity=identity, claims=tokens.kept_claims(claims))

    # --- the token endpoint and the keys ----------------------------------------------

    def _redeem(self, discovery: _Discovery, code: str, expected: Authorisation) -> object:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": expected.redirect_uri,
            "code_verifier": expected.code_verifier,
        }
        if self._method != "client_secret_basic":  # basic: _request adds the header
            form["client_id"] = self._client_id
            if self._method == "client_secret_post":
                form["client_secret"] = str(self._secret)
        status, body = self._request("POST", discovery.token_endpoint, urlencode(form).encode())
        answer = _json_object(body)
        if status in (400, 401) and answer is not None and answer.get("error") == "invalid_grant":
            raise self._refused("code", "the provider refused the code (invalid_grant)")
        if not 200 <= status < 300:
            raise IdentityProviderError(
                issuer=self._issuer, reason=f"the token endpoint answered HTTP {status}"
            )
        if answer is None or "id_token" not in answer:
            raise self._refused("token_response", "the token endpoint's answer has no ID token")
        return answer["id_token"]

    def _verified(self, discovery: _Discovery, id_token: object, *, nonce: str) -> dict[str, Any]:
        fetched, keys = self._signing_keys(discovery, force=False)
        check = {"issuer": self._issuer, "client_id": self._client_id, "nonce": nonce}
        try:
            return tokens.verify(id_token, keys=keys, now=self._now(), skew=self._skew, **check)
        except tokens.UnknownKey:
            if self._now() - fetched < self._refetch_after:
                raise self._refused("key", "the token's key id is not the provider's") from None
        _, keys = self._signing_keys(discovery, force=True)
        try:
            return tokens.verify(id_token, keys=keys, now=self._now(), skew=self._skew, **check)
        except tokens.UnknownKey:
            raise self._refused("key", "the token's key id is not the provider's") from None

    def _signing_keys(
        self, discovery: _Discovery, *, force: bool
    ) -> tuple[float, tokens.SigningKeys]:
        now = self._now()
        with self._lock:
            cached = self._keys
        if cached is not None and not force and now - cached[0] < self._cache_for:
            return cached
        status, body = self._request("GET", discovery.jwks_uri)
        if not 200 <= status < 300:
            raise IdentityProviderError(
                issuer=self._issuer, reason=f"the JWKS answered HTTP {status}"
            )
        keys = tokens.SigningKeys.from_jwks(_json_object(body))
        if not keys:
            raise IdentityProviderError(
                issuer=self._issuer, reason="the JWKS holds no RS256 or ES256 signature key"
            )
        with self._lock:
            self._keys = (now, keys)
        return now, keys

    def _discovered(self) -> _Discovery:
        now = self._now()
        with self._lock:
            cached, failed = self._discovery, self._failed
        if cached is not None and now - cached[0] < self._cache_for:
            return cached[1]
        if failed is not None and 0 <= now - failed[0] < self._refetch_after:
            # Refused at once while the provider is known to fail: a sign-in waiting out
            # the timeout for each would hold a worker's thread for nothing.
            raise type(failed[1])(issuer=self._issuer, reason=failed[1].reason)
        try:
            discovery = self._discover()
        except IdentityProviderError as exc:
            if type(exc) in (IdentityProviderError, IdentityProviderUnavailable):
                with self._lock:
                    self._failed = (now, exc)
            raise
        with self._lock:
            self._discovery, self._failed = (now, discovery), None
        return discovery

    def _discover(self) -> _Discovery:
        status, body = self._request("GET", self._issuer.rstrip("/") + DISCOVERY_PATH)
        if not 200 <= status < 300:
            raise IdentityProviderError(
                issuer=self._issuer, reason=f"the discovery document answered HTTP {status}"
            )
        document = _json_object(body)
        if document is None:
            raise IdentityProviderError(
                issuer=self._issuer, reason="the discovery document is not a JSON object"
            )
        return _Discovery(document, issuer=self._issuer, method=self._method)

    # --- the one place the HTTP client is called --------------------------------------

    def _request(self, method: str, url: str, content: bytes = b"") -> tuple[int, bytes]:
        """Call the provider; return the status and body, or raise onestop's error.

        A timeout, a refused connection (any ``httpx`` request error, any `OSError`), a
        408, 425, 429 or 5xx answer are `IdentityProviderUnavailable`; a redirect, a body
        over `MAX_DOCUMENT` bytes are `IdentityProviderError`.  The error never quotes
        the URL's query, the body or a header.
        """
        host = urlsplit(url).hostname or "?"
        headers = {"accept": "application/json"}
        try:
            if method == "GET":
                response = self._client().get(
                    url, headers=headers, follow_redirects=False, timeout=self._timeout
                )
            else:
                headers["content-type"] = "application/x-www-form-urlencoded"
                if self._method == "client_secret_basic":
                    headers["authorization"] = self._basic()
                response = self._client().post(
                    url,
                    content=content,
                    headers=headers,
                    follow_redirects=False,
                    timeout=self._timeout,
                )
            status, body = response.status_code, response.content
        except Exception as exc:
            failure = delivery_error(exc, message_id="", destination=host)
            if failure is None:
                raise IdentityProviderError(
                    issuer=self._issuer, reason=f"calling {host} failed ({type(exc).__name__})"
                ) from exc
            raise IdentityProviderUnavailable(
                issuer=self._issuer, reason=f"{host}: {failure.reason}"
            ) from exc
        if status >= 500 or status in _TRANSIENT:
            raise IdentityProviderUnavailable(issuer=self._issuer, reason=f"{host}: HTTP {status}")
        if 300 <= status < 400:
            raise IdentityProviderError(
                issuer=self._issuer, reason=f"{host} answered a redirect, which is not followed"
            )
        if len(body) > MAX_DOCUMENT:
            raise IdentityProviderError(
                issuer=self._issuer, reason=f"{host} answered more than {MAX_DOCUMENT} bytes"
            )
        return status, body

    def _basic(self) -> str:
        pair = f"{quote(self._client_id, safe='')}:{quote(str(self._secret), safe='')}"
        return "Basic " + base64.b64encode(pair.encode()).decode()

    def _client(self) -> IdentityHttpClient:
        if self._http is None:
            import httpx  # noqa: PLC0415 - the oidc extra; only when no client is given

            self._http = httpx.Client(follow_redirects=False, timeout=self._timeout)
        return self._http

    def _now(self) -> float:
        now = self._clock.now() if self._clock is not None else datetime.now(UTC)
        return now.timestamp()

    def _refused(self, check: Any, reason: str) -> IdentityNotVerified:
        return IdentityNotVerified(issuer=self._issuer, check=check, reason=reason)


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _check_redirect(redirect_uri: object) -> None:
    reason = text_problem(redirect_uri, max_length=MAX_URL)
    if reason is None:
        parts = urlsplit(str(redirect_uri))
        host = parts.hostname or ""
        if parts.scheme != "https" and not (parts.scheme == "http" and host in _LOOPBACK):
            reason = "must be an https URL (http only on a loopback host)"
        elif not host or parts.fragment or any(char.isspace() for char in str(redirect_uri)):
            reason = "must be a URL with a host and no fragment"
    if reason is not None:
        raise InvalidValue(field="redirect_uri", reason=reason)


def _check_scopes(scopes: object) -> tuple[str, ...]:
    if isinstance(scopes, str) or not isinstance(scopes, Sequence) or len(scopes) > 32:
        raise InvalidValue(field="scopes", reason="must be a sequence of at most 32 scopes")
    for index, scope in enumerate(scopes):
        if not isinstance(scope, str) or not 1 <= len(scope) <= 128:
            raise InvalidValue(
                field=f"scopes[{index}]", reason="must be text of 1 to 128 characters"
            )
        if not _CODE_CHARS.issuperset(scope) or '"' in scope or "\\" in scope:
            raise InvalidValue(field=f"scopes[{index}]", reason="must be visible ASCII, no quotes")
    return tuple(s for s in scopes if s != "openid")


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
