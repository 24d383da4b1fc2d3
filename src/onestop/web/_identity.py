"""The identity provider `onestop serve` signs staff in with, from `ServeSettings`.

`identity_provider` makes the `onestop.transport.oidc.OpenIDConnect` adapter of the
``--oidc-*`` settings and reads the provider's discovery document once, when the worker
starts (``--check`` too), so that a mistake is found before anyone signs in:

- a provider that is **misconfigured** (a discovery document naming another issuer, no
  S256 PKCE, not the client authentication asked for, a redirect) is a
  `ConfigurationError`: the server does not start, and the message says why;
- a provider that **cannot be reached now** (refused, a timeout, a 5xx) does not keep the
  mall from serving citizens: the worker starts, logs ``identity_provider_unavailable``
  (its issuer and the reason, nothing secret), and the OpenID Connect routes answer 503
  until the provider is back (the adapter reads the document again on the next sign-in).
  Only ``onestop serve --check`` (*strict*) refuses it, as a check should.
"""

from __future__ import annotations

import structlog

from onestop.exceptions import (
    ConfigurationError,
    IdentityProviderError,
    IdentityProviderUnavailable,
    OnestopError,
)
from onestop.ports.identity import StaffIdentityProvider
from onestop.privacy._files import read_small_file
from onestop.web.settings import ServeSettings

__all__ = ["identity_provider"]

_LOG = structlog.get_logger("onestop.web")
_MAX_SECRET_FILE = 4096


def _client_secret(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        data = read_small_file(path, limit=_MAX_SECRET_FILE)
    except OSError as exc:
        raise ConfigurationError(
            f"the OpenID Connect client secret file cannot be read: {exc.strerror}"
        ) from None
    try:
        secret = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        secret = ""
    if not secret:
        raise ConfigurationError(
            "the OpenID Connect client secret file must hold the secret as one line of text"
        )
    return secret


def identity_provider(
    settings: ServeSettings, /, *, strict: bool = False
) -> StaffIdentityProvider | None:
    """Return the provider staff sign in with, discovered; ``None`` if none is configured.

    Raises:
        ConfigurationError: If the settings or the provider cannot be used (or, when
            *strict*, the provider cannot be reached now).
    """
    issuer, redirect = settings.oidc_issuer, settings.oidc_redirect_uri
    if issuer is None or redirect is None or settings.oidc_client_id is None:
        return None
    try:
        from onestop.transport.oidc import OpenIDConnect  # noqa: PLC0415 - the oidc extra
    except ImportError:
        raise ConfigurationError(
            "--oidc-issuer needs the oidc extra: pip install 'onestop-mall[oidc]'"
        ) from None
    secret = _client_secret(settings.oidc_client_secret_file)
    try:
        provider = OpenIDConnect(
            issuer=issuer,
            client_id=settings.oidc_client_id,
            client_secret=secret,
            authentication=settings.oidc_client_auth,  # type: ignore[arg-type]
        )
        provider.begin(redirect_uri=redirect)  # reads the discovery document; begins nothing
    except IdentityProviderUnavailable as exc:
        if strict:
            raise ConfigurationError(f"the identity provider cannot be reached: {exc}") from None
        _LOG.warning("identity_provider_unavailable", issuer=issuer, reason=exc.reason)
    except IdentityProviderError as exc:
        raise ConfigurationError(f"the identity provider cannot be used: {exc}") from None
    except OnestopError as exc:  # InvalidValue: an issuer or redirect URI it refuses
        raise ConfigurationError(f"--oidc-issuer or --public-url: {exc}") from None
    return provider
