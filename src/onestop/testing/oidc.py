"""A local OpenID Connect provider to test staff sign-in against, faithful and misbehaving.

`LocalProvider` is the provider a government would run, made small: it makes its own
signing keys, and answers the discovery document, the JWKS, the authorisation endpoint
and the token endpoint as a real provider does (the authorisation code flow, PKCE S256
checked, codes used once, ``client_secret_basic`` or ``client_secret_post``).  Serve it
to an ``httpx.Client`` in process (`LocalProvider.transport`), or on a real loopback
HTTP server (`LocalProvider.serving`) for a web test with a browser-like client.

The person at the provider is `LocalProvider.subject`, with `LocalProvider.claims`
(personal claims like ``name`` and ``email`` included, so that a test shows they are
dropped).  `LocalProvider.authorize` plays the browser: it follows an authorisation URL
and returns the ``code`` and ``state`` the provider sends back.

`LocalProvider.misbehave` makes it do one wrong thing, so that a test proves each
refusal (`MISBEHAVIOURS` lists them); `LocalProvider.rotate_keys` rolls its keys over.

>>> provider = LocalProvider(issuer="https://id.example.test", client_id="onestop",
...                          client_secret="a-long-client-secret")
>>> provider.discovery()["issuer"]
'https://id.example.test'

Needs ``httpx`` and ``joserfc`` (the ``oidc`` extra).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http.server
import json
import secrets
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey, KeyParameters, RSAKey

from onestop.ports.events import Clock

__all__ = ["MISBEHAVIOURS", "LocalProvider"]

MISBEHAVIOURS: Final = frozenset(
    {
        "discovery_issuer",  # the discovery document names another issuer
        "no_pkce",  # the discovery document offers only the "plain" PKCE method
        "wrong_issuer",  # the ID token's iss is another issuer
        "wrong_audience",  # the ID token is meant for another client
        "extra_audience",  # the ID token names another audience too, and no azp
        "wrong_azp",  # the ID token's azp is another client
        "expired",  # the ID token expired an hour ago
        "not_yet_valid",  # the ID token's nbf is an hour ahead
        "issued_in_future",  # the ID token's iat is an hour ahead
        "wrong_nonce",  # the ID token carries another nonce
        "no_nonce",  # the ID token carries no nonce
        "bad_signature",  # signed by another key under the provider's key id
        "alg_none",  # "alg": "none", no signature
        "hs256",  # HMAC-SHA256 with the provider's public key as the secret
        "unknown_kid",  # signed by a key the JWKS does not hold
        "no_id_token",  # the token endpoint answers without an ID token
        "server_error",  # the token endpoint answers 500
        "unavailable",  # every endpoint answers 503
        "redirect",  # every endpoint answers 302 elsewhere
    }
)
"""What `LocalProvider.misbehave` can make the provider do wrong."""

_DISCOVERY = "/.well-known/openid-configuration"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class _Grant:
    def __init__(self, query: Mapping[str, str], subject: str, claims: Mapping[str, Any]) -> None:
        self.redirect_uri = query["redirect_uri"]
        self.challenge = query["code_challenge"]
        self.nonce = query.get("nonce")
        self.subject = subject
        self.claims = dict(claims)
        self.used = False


class LocalProvider:
    """An OpenID Connect provider in process, for tests (see the module's description).

    Arguments:
        issuer: Its issuer identifier (`serving` sets a loopback one).
        client_id: The one client it knows.
        client_secret: That client's secret.
        authentication: The client authentication it accepts at the token endpoint.
        algorithm: ``RS256`` or ``ES256``, how it signs ID tokens.
        clock: Where now comes from (for ``iat`` and ``exp``); the system clock by default.
        lifetime: Seconds an ID token is valid.

    Attributes:
        subject: The ``sub`` of the person who signs in next.
        claims: The other claims of their ID token (``acr``, ``amr``, ``auth_time``, and
            personal ones: ``name``, ``email``), changed freely by a test.
        requests: ``(method, path)`` of every request answered, in order.
    """

    def __init__(
        self,
        *,
        issuer: str = "https://id.example.test",
        client_id: str = "onestop",
        client_secret: str = "a-long-client-secret",  # noqa: S107 - a test double's
        authentication: str = "client_secret_basic",
        algorithm: str = "RS256",
        clock: Clock | None = None,
        lifetime: int = 300,
    ) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.client_secret = client_secret
        self.authentication = authentication
        self.algorithm = algorithm
        self.lifetime = lifetime
        self._clock = clock
        self.subject = "officer-0007"
        self.claims: dict[str, Any] = {
            "acr": "urn:example:loa:high",
            "amr": ["pwd", "otp"],
            "name": "Siti Rahayu",
            "email": "siti.rahayu@example.test",
        }
        self.requests: list[tuple[str, str]] = []
        self._misbehaviour: set[str] = set()
        self._keys = [self._new_key()]
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    # --- what a test changes --------------------------------------------------------

    def misbehave(self, *what: str) -> None:
        """Do each of *what* wrong from now on (`MISBEHAVIOURS`); none: behave again."""
        unknown = set(what) - MISBEHAVIOURS
        if unknown:
            raise ValueError(f"unknown misbehaviours: {sorted(unknown)}")
        self._misbehaviour = set(what)

    def rotate_keys(self, *, keep_old: bool = False) -> str:
        """Sign with a new key from now on, and return its key id.

        The JWKS then holds the new key, and the old ones too if *keep_old*.
        """
        key = self._new_key()
        self._keys = [key, *self._keys] if keep_old else [key]
        return str(key.kid)

    @property
    def key_id(self) -> str:
        """The id of the key it signs with now."""
        return str(self._keys[0].kid)

    # --- the documents --------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        """The discovery document it serves."""
        base = self.issuer.rstrip("/")
        issuer = base + "/other" if "discovery_issuer" in self._misbehaviour else self.issuer
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [self.algorithm],
            "code_challenge_methods_supported": (
                ["plain"] if "no_pkce" in self._misbehaviour else ["S256"]
            ),
            "token_endpoint_auth_methods_supported": [self.authentication],
            "scopes_supported": ["openid", "profile", "email"],
        }

    def jwks(self) -> dict[str, Any]:
        """The public keys it serves."""
        return {"keys": [key.as_dict(private=False) for key in self._keys]}

    def id_token(
        self,
        *,
        nonce: str | None,
        subject: str | None = None,
        header: Mapping[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """An ID token for the client, as the token endpoint issues it (misbehaviour included).

        *claims* replace or add claims (``None`` removes one); *header* adds header fields.
        """
        now = int(self._now())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "sub": subject or self.subject,
            "aud": self.client_id,
            "iat": now,
            "exp": now + self.lifetime,
            "auth_time": now,
            "nonce": nonce,
            **self.claims,
        }
        wrong = self._misbehaviour
        changes: dict[str, Any] = {
            "wrong_issuer": {"iss": self.issuer.rstrip("/") + "/other"},
            "wrong_audience": {"aud": "another-client"},
            "extra_audience": {"aud": [self.client_id, "another-client"]},
            "wrong_azp": {"azp": "another-client"},
            "expired": {"iat": now - 7200, "exp": now - 3600},
            "not_yet_valid": {"nbf": now + 3600},
            "issued_in_future": {"iat": now + 3600, "exp": now + 7200},
            "wrong_nonce": {"nonce": secrets.token_urlsafe(32)},
            "no_nonce": {"nonce": None},
        }
        for name, change in changes.items():
            if name in wrong:
                body.update(change)
        body.update(claims)
        body = {name: value for name, value in body.items() if value is not None}
        return self.sign(body, header=header)

    def sign(self, claims: Mapping[str, Any], *, header: Mapping[str, Any] | None = None) -> str:
        """Sign *claims* as it signs ID tokens now (misbehaviour included)."""
        key = self._keys[0]
        fields: dict[str, Any] = {"alg": self.algorithm, "typ": "JWT", "kid": key.kid}
        fields.update(header or {})
        wrong = self._misbehaviour
        if "alg_none" in wrong:
            head = {**fields, "alg": "none"}
            return f"{_b64(json.dumps(head).encode())}.{_b64(json.dumps(claims).encode())}."
        if "hs256" in wrong:
            head = {**fields, "alg": "HS256"}
            signing = f"{_b64(json.dumps(head).encode())}.{_b64(json.dumps(claims).encode())}"
            secret = json.dumps(key.as_dict(private=False), sort_keys=True).encode()
            mac = hmac.new(secret, signing.encode(), hashlib.sha256).digest()
            return f"{signing}.{_b64(mac)}"
        if "bad_signature" in wrong:
            key = self._new_key(kid=str(key.kid))
        elif "unknown_kid" in wrong:
            key = self._new_key()
            fields["kid"] = key.kid
        return str(jwt.encode(fields, dict(claims), key, algorithms=[self.algorithm]))

    # --- the browser ----------------------------------------------------------------

    def authorize(self, url: str) -> dict[str, str]:
        """Play the browser at *url* (an authorisation URL): sign in, return the answer.

        Returns the parameters the provider sends back to the redirect URI: ``code``
        and ``state``, or ``error``.

        Raises:
            AssertionError: If the provider answers anything but a redirect.
        """
        parts = urlsplit(url)
        status, headers, _ = self.respond("GET", parts.path, parts.query, {}, b"")
        if status != 302:
            raise AssertionError(f"the authorisation endpoint answered {status}")
        return dict(parse_qsl(urlsplit(headers["location"]).query))

    # --- serving --------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        """An ``httpx`` transport that answers every request as this provider."""
        return httpx.MockTransport(self.handle)

    def client(self) -> httpx.Client:
        """An ``httpx.Client`` whose every request this provider answers (close it)."""
        return httpx.Client(transport=self.transport())

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one ``httpx`` request."""
        status, headers, body = self.respond(
            request.method,
            request.url.path,
            request.url.query.decode("ascii"),
            dict(request.headers),
            request.read(),
        )
        return httpx.Response(status, headers=headers, content=body)

    @classmethod
    @contextlib.contextmanager
    def serving(cls, **options: Any) -> Iterator[LocalProvider]:
        """Serve a new provider on a loopback HTTP server while the block runs.

        Its issuer is the server's address (``http://127.0.0.1:PORT``); *options* are
        the other arguments of `LocalProvider`.
        """
        holder: list[LocalProvider] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, out, content = holder[0].respond(
                    self.command, parts.path, parts.query, headers, body
                )
                self.send_response(status)
                for name, value in {**out, "content-length": str(len(content))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = _answer  # noqa: N815 - the names http.server calls

            def log_message(self, format: str, *args: Any) -> None:
                """Say nothing: a test's output is its own."""

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        port = server.server_address[1]
        holder.append(cls(issuer=f"http://127.0.0.1:{port}", **options))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield holder[0]
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    # --- the endpoints --------------------------------------------------------------

    def respond(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer a request: its status, headers and body."""
        with self._lock:
            self.requests.append((method, path))
            if "unavailable" in self._misbehaviour:
                return _json(503, {"error": "temporarily_unavailable"})
            if "redirect" in self._misbehaviour:
                return 302, {"location": "https://elsewhere.example.test/"}, b""
            base = urlsplit(self.issuer).path.rstrip("/")
            route = path[len(base) :] if path.startswith(base) else path
            if method == "GET" and route == _DISCOVERY:
                return _json(200, self.discovery())
            if method == "GET" and route == "/jwks":
                return _json(200, self.jwks())
            if method == "GET" and route == "/authorize":
                return self._authorize(dict(parse_qsl(query)))
            if method == "POST" and route == "/token":
                return self._token(headers, dict(parse_qsl(body.decode("latin-1"))))
            return _json(404, {"error": "not_found"})

    def _authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        problems = [
            query.get("response_type") != "code",
            query.get("client_id") != self.client_id,
            "openid" not in query.get("scope", "").split(),
            query.get("code_challenge_method") != "S256",
            not query.get("code_challenge"),
            not query.get("redirect_uri"),
        ]
        if any(problems):
            return _json(400, {"error": "invalid_request"})
        code = secrets.token_urlsafe(24)
        self._grants[code] = _Grant(query, self.subject, self.claims)
        answer = {"code": code, **({"state": query["state"]} if "state" in query else {})}
        return 302, {"location": f"{query['redirect_uri']}?{urlencode(answer)}"}, b""

    def _client_authenticated(self, headers: Mapping[str, str], form: Mapping[str, str]) -> bool:
        if self.authentication == "client_secret_basic":
            given = headers.get("authorization", "")
            if not given.startswith("Basic "):
                return False
            try:
                pair = base64.b64decode(given[6:], validate=True).decode()
            except ValueError:
                return False
            client, _, secret = pair.partition(":")
            client, secret = unquote(client), unquote(secret)
        else:
            client, secret = form.get("client_id", ""), form.get("client_secret", "")
        return client == self.client_id and hmac.compare_digest(
            secret.encode(), self.client_secret.encode()
        )

    def _token(
        self, headers: Mapping[str, str], form: Mapping[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        if "server_error" in self._misbehaviour:
            return _json(500, {"error": "server_error"})
        if not self._client_authenticated(headers, form):
            return _json(401, {"error": "invalid_client"})
        grant = self._grants.get(form.get("code", ""))
        verifier = form.get("code_verifier", "")
        challenge = _b64(hashlib.sha256(verifier.encode()).digest())
        if (
            form.get("grant_type") != "authorization_code"
            or grant is None
            or grant.used
            or grant.redirect_uri != form.get("redirect_uri")
            or not hmac.compare_digest(challenge, grant.challenge)
        ):
            return _json(400, {"error": "invalid_grant"})
        grant.used = True
        answer: dict[str, Any] = {
            "access_token": secrets.token_urlsafe(32),
            "token_type": "Bearer",
            "expires_in": self.lifetime,
        }
        if "no_id_token" not in self._misbehaviour:
            saved = self.subject, self.claims
            self.subject, self.claims = grant.subject, grant.claims
            try:
                answer["id_token"] = self.id_token(nonce=grant.nonce)
            finally:
                self.subject, self.claims = saved
        return _json(200, answer, cache=False)

    # --- keys and time --------------------------------------------------------------

    def _new_key(self, *, kid: str | None = None) -> Any:
        parameters: KeyParameters = {
            "kid": kid or secrets.token_hex(8),
            "use": "sig",
            "alg": self.algorithm,
        }
        if self.algorithm == "ES256":
            return ECKey.generate_key("P-256", parameters=parameters)
        return RSAKey.generate_key(2048, parameters=parameters)

    def _now(self) -> float:
        return (self._clock.now() if self._clock is not None else datetime.now(UTC)).timestamp()


def _json(status: int, body: object, *, cache: bool = True) -> tuple[int, dict[str, str], bytes]:
    headers = {"content-type": "application/json"}
    if not cache:
        headers["cache-control"] = "no-store"
    return status, headers, json.dumps(body).encode()
