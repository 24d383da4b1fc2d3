"""How `onestop serve` is configured: `ServeSettings`, from flags or the environment.

``catalogue`` is the command's argument.  ``key_file`` is ``--key-file`` or
``ONESTOP_KEY_FILE``, as for every other command (or the keys are in
``ONESTOP_MASTER_KEY``).  ``body_limit`` and ``upload_hours`` have no flag and no
variable: ``onestop serve`` keeps their defaults, and an application made with
`onestop.web.create_app` takes them from the `ServeSettings` it is given.  Every other
setting has a flag and an ``ONESTOP_SERVE_*`` variable (``--workers`` and
``ONESTOP_SERVE_WORKERS``).  The settings travel to each worker process as one JSON text
in ``ONESTOP_SERVE_SETTINGS`` (`to_json`, `from_json`, `from_environment`), so that every
worker serves exactly what the command line asked for.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

import attrs

from onestop.domain.common.formats import int_problem, kind_of
from onestop.domain.common.kinds import check_type
from onestop.exceptions import ConfigurationError

__all__ = ["SETTINGS_VARIABLE", "ServeSettings"]

SETTINGS_VARIABLE = "ONESTOP_SERVE_SETTINGS"
"""The environment variable that carries the settings to each worker process."""

_MIB = 1024 * 1024
_LIMITS: dict[str, tuple[int, int]] = {
    "port": (0, 65535),
    "workers": (1, 64),
    "threads": (1, 256),
    "upload_limit": (1, 2**34),
    "body_limit": (1024, 64 * _MIB),
    "submissions_per_minute": (1, 1_000_000),
    "lookups_per_minute": (1, 1_000_000),
    "request_timeout": (1, 3600),
    "upload_hours": (1, 24 * 365),
    "cache_size": (0, 1_000_000),
    "timers_every": (0, 86_400),
}


def _ranged(instance: ServeSettings, attribute: attrs.Attribute[int], value: object) -> None:
    low, high = _LIMITS[attribute.name]
    reason = int_problem(value, minimum=low, maximum=high)
    if reason is not None:
        raise ConfigurationError(f"serve setting {attribute.name}: {reason}")


def _text(optional: bool) -> Any:
    def check(instance: ServeSettings, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str) or not value:
            raise ConfigurationError(
                f"serve setting {attribute.name}: expected non-empty text, not {kind_of(value)}"
            )
        if value != value.strip() or any(ord(char) < 32 or ord(char) == 127 for char in value):
            # A line break from an environment file would name another file, unsaid.
            raise ConfigurationError(
                f"serve setting {attribute.name}: has a control character, or space at an end"
            )

    return check


_ORIGIN = re.compile(
    r"https?://(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*"
    r"|\[[0-9a-f:.]{2,45}\])(?::[0-9]{1,5})?"
)
"""A browser's ``Origin``: a scheme, a lower-case host and maybe a port, nothing else."""


def _origins(instance: ServeSettings, attribute: attrs.Attribute[Any], value: object) -> None:
    # Exactly as a browser sends it, else it never matches: no path, no trailing slash, and
    # no '*' (Litestar reads one as any text, so 'https://*' would allow every site).
    if not isinstance(value, tuple) or not all(
        isinstance(item, str) and _ORIGIN.fullmatch(item) for item in value
    ):
        raise ConfigurationError(
            "serve setting cors_origins: expected origins such as 'https://mall.example.org' "
            "(scheme, lower-case host and port only: no '*', path or trailing '/')"
        )


def _flag(instance: ServeSettings, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise ConfigurationError(
            f"serve setting {attribute.name}: expected true or false, not {kind_of(value)}"
        )


_CLIENT_AUTH = ("client_secret_basic", "client_secret_post")


def _oidc_text(instance: ServeSettings, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= 256
        or any(char.isspace() or ord(char) < 33 for char in value)
    ):
        raise ConfigurationError(
            f"serve setting {attribute.name}: expected text of 1 to 256 characters, no spaces"
        )


def _client_auth(instance: ServeSettings, attribute: attrs.Attribute[Any], value: object) -> None:
    if value not in _CLIENT_AUTH:
        raise ConfigurationError(
            f"serve setting {attribute.name}: expected client_secret_basic or client_secret_post"
        )


def _landing(instance: ServeSettings, attribute: attrs.Attribute[Any], value: object) -> None:
    # A path of this site only: never '//host' or '/\\host', which browsers read as another site.
    if (
        not isinstance(value, str)
        or not value.startswith("/")
        or value.startswith(("//", "/\\"))
        or len(value) > 256
        or any(char.isspace() or ord(char) < 33 or char == "\\" for char in value)
    ):
        raise ConfigurationError(
            f"serve setting {attribute.name}: expected a path of this site such as '/staff/'"
        )


def _public_url(instance: ServeSettings, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if (
        not isinstance(value, str)
        or not value.startswith(("http://", "https://"))
        or len(value) > 256
        or any(char.isspace() or ord(char) < 33 for char in value)
    ):
        raise ConfigurationError(
            "serve setting public_url: expected an http(s) URL such as 'https://mall.example.go.id'"
        )


@attrs.frozen(kw_only=True)
class ServeSettings:
    """What one `onestop serve` serves, and how.

    Attributes:
        catalogue: The catalogue's file or directory.
        store_url: The store (``sqlite:///mall.sqlite3``, ``postgresql://...``).
        key_file: The master key file that seals personal data, or ``None`` to take the
            keys from ``ONESTOP_MASTER_KEY``; the server refuses to start without keys.
        secret_file: A file of at least 32 random bytes that makes lookup secrets
            reproducible for a replayed submission; ``None`` keeps it beside an SQLite
            store (``<file>.serve-secret``, made on first start).
        documents_dir: Where uploaded documents are kept (sealed); ``None`` keeps them
            beside an SQLite store (``<file>.documents``).
        limits_dir: Where the rate-limit counters shared by the workers are kept;
            ``None`` keeps them beside an SQLite store (``<file>.limits``).  Its sweeps
            remove only the files the server wrote; the root is refused.
        host: The address to listen on.
        port: The port to listen on (0 picks a free one).
        workers: How many worker processes serve.
        threads: How many threads of each worker run the blocking core.
        upload_limit: The most bytes of one uploaded document.
        body_limit: The most bytes of any other request body.
        request_timeout: Seconds a request may take before the server answers 503,
            counted from the last piece of its body received (a body may take an
            hour in all).
        submissions_per_minute: Anonymous submissions allowed per client address.
        lookups_per_minute: Failed tracking lookups allowed per client address and per
            application number.
        upload_hours: Hours a request may name an upload never attached; it is swept
            a margin later (twice ``request_timeout``, at least 15 minutes).
        cache_size: How many recently used applications each worker keeps folded in
            memory (each is checked against its stored stream before every use, so other
            workers' writes are always seen); a tracking lookup of one not kept reads and
            opens its whole stream.  About 3 KB per application plus about 0.5 KB per
            event, and some twenty objects that each full garbage collection walks (about
            10 ms per thousand applications, a pause every request waits out); 0 keeps none.
        timers_every: Seconds between two firings of the workflows' timer and breach
            transitions (`onestop.usecases.mall.Mall.fire_timers`), by one worker at a
            time; 0 fires none (fire them from elsewhere then).  Nothing runs when no
            workflow of the catalogue has such a transition.
        cors_origins: Browser origins allowed to call the API (none by default).
        callback_secrets: A JSON file of agency code to webhook secret (or to its
            ``secrets``, ``statuses`` and ``services``); each agency given one gets
            ``POST /api/v1/agencies/{agency}/callbacks``, for the applications of its
            services only.
        public_url: The address citizens reach the mall at (``https://mall.example.go.id``),
            which Open311's discovery document names; ``None`` names the address each request
            was sent to (its ``Host`` header, which a client chooses).  Staff cookies are
            marked Secure unless it is plain ``http`` on a loopback address.
        citizen_sign_in: The citizen sign-in to use, as ``module:attribute`` naming a
            `onestop.ports.citizens.CitizenSignIn` or a function of no arguments that returns
            one (``mygov.nid:sign_in``); ``None`` serves every citizen anonymously.
        scanner: The malware scanner every upload is fed to before it is kept, as
            ``module:attribute`` naming a `onestop.ports.documents.Scanner`, its class, or a
            function of no arguments that returns one (``mygov.clamav:scanner``); ``None``:
            uploads are not scanned.  An upload it finds something in is refused (422).
        access_log: Whether each request is logged (structured, without personal data).
        telemetry: Whether OpenTelemetry traces and metrics are recorded (through the
            OpenTelemetry API; the exporter is the deployment's to configure).
        oidc_issuer: The issuer of the OpenID Connect provider staff sign in with
            (``https://id.example.go.id``); ``None``: local passwords only.  Needs
            `oidc_client_id` and `public_url` (the redirect URI is
            ``{public_url}/api/v1/staff/oidc/callback``).
        oidc_client_id: The mall's client id at that provider.
        oidc_client_secret_file: A file holding the client's secret (never the secret
            itself, which would show in the process list); ``None`` for a public client.
        oidc_client_auth: How the client authenticates at the token endpoint:
            ``client_secret_basic`` (the default) or ``client_secret_post``.
        oidc_landing: The path of this site a browser is sent to once signed in (``/``).
    """

    catalogue: str = attrs.field(validator=_text(False))
    store_url: str = attrs.field(validator=_text(False), repr=False)
    key_file: str | None = attrs.field(default=None, validator=_text(True))
    secret_file: str | None = attrs.field(default=None, validator=_text(True))
    documents_dir: str | None = attrs.field(default=None, validator=_text(True))
    limits_dir: str | None = attrs.field(default=None, validator=_text(True))
    host: str = attrs.field(default="127.0.0.1", validator=_text(False))
    port: int = attrs.field(default=8000, validator=_ranged)
    workers: int = attrs.field(default=1, validator=_ranged)
    threads: int = attrs.field(default=10, validator=_ranged)
    upload_limit: int = attrs.field(default=20 * _MIB, validator=_ranged)
    body_limit: int = attrs.field(default=1 * _MIB, validator=_ranged)
    request_timeout: int = attrs.field(default=30, validator=_ranged)
    submissions_per_minute: int = attrs.field(default=20, validator=_ranged)
    lookups_per_minute: int = attrs.field(default=10, validator=_ranged)
    upload_hours: int = attrs.field(default=24, validator=_ranged)
    cache_size: int = attrs.field(default=1024, validator=_ranged)
    timers_every: int = attrs.field(default=60, validator=_ranged)
    cors_origins: tuple[str, ...] = attrs.field(default=(), validator=_origins)
    callback_secrets: str | None = attrs.field(default=None, validator=_text(True))
    public_url: str | None = attrs.field(default=None, validator=_public_url)
    citizen_sign_in: str | None = attrs.field(default=None, validator=_text(True))
    scanner: str | None = attrs.field(default=None, validator=_text(True))
    access_log: bool = attrs.field(default=True, validator=_flag)
    telemetry: bool = attrs.field(default=False, validator=_flag)
    oidc_issuer: str | None = attrs.field(default=None, validator=_oidc_text)
    oidc_client_id: str | None = attrs.field(default=None, validator=_oidc_text)
    oidc_client_secret_file: str | None = attrs.field(default=None, validator=_text(True))
    oidc_client_auth: str = attrs.field(default="client_secret_basic", validator=_client_auth)
    oidc_landing: str = attrs.field(default="/", validator=_landing)

    def __attrs_post_init__(self) -> None:
        if (self.oidc_issuer is None) != (self.oidc_client_id is None):
            raise ConfigurationError(
                "give --oidc-issuer and --oidc-client-id together (or neither)"
            )
        if self.oidc_issuer is None and self.oidc_client_secret_file is not None:
            raise ConfigurationError("--oidc-client-secret-file needs --oidc-issuer")
        if self.oidc_issuer is not None and self.public_url is None:
            raise ConfigurationError(
                "--oidc-issuer needs --public-url: the provider sends browsers back to "
                "{public_url}/api/v1/staff/oidc/callback"
            )

    @property
    def oidc_redirect_uri(self) -> str | None:
        """Where the identity provider sends browsers back to; ``None`` without one."""
        if self.oidc_issuer is None or self.public_url is None:
            return None
        return self.public_url.rstrip("/") + "/api/v1/staff/oidc/callback"

    def to_json(self) -> str:
        """Return the settings as one JSON text, for the worker processes."""
        return json.dumps(attrs.asdict(self))

    @classmethod
    def from_json(cls, text: str, /) -> ServeSettings:
        """Read settings written by `to_json`.

        Raises:
            ConfigurationError: If *text* is not such settings.
        """
        try:
            raw = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"{SETTINGS_VARIABLE} is not JSON: {exc}") from None
        if not isinstance(raw, dict):
            raise ConfigurationError(f"{SETTINGS_VARIABLE} must hold a JSON object")
        names = {field.name for field in attrs.fields(cls)}
        unknown = sorted(set(raw) - names)
        if unknown:
            raise ConfigurationError(f"{SETTINGS_VARIABLE}: unknown settings {unknown[:5]}")
        if isinstance(raw.get("cors_origins"), list):
            raw["cors_origins"] = tuple(raw["cors_origins"])
        try:
            return cls(**raw)
        except TypeError as exc:
            raise ConfigurationError(f"{SETTINGS_VARIABLE}: {exc}") from None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ServeSettings:
        """Read the settings of a worker from ``ONESTOP_SERVE_SETTINGS``.

        Raises:
            ConfigurationError: If the variable is missing or malformed.
        """
        env = os.environ if environ is None else environ
        text = env.get(SETTINGS_VARIABLE)
        if text is None:
            raise ConfigurationError(
                f"{SETTINGS_VARIABLE} is not set: start the server with `onestop serve`"
            )
        return cls.from_json(text)

    def beside_store(self, suffix: str) -> str | None:
        """Return ``<file><suffix>`` beside an SQLite store's file, or ``None`` for others.

        Raises:
            InvalidValue: If *suffix* is not text.
        """
        check_type(suffix, str, field="suffix")
        scheme, _, rest = self.store_url.partition("://")
        if scheme.lower() != "sqlite" or not rest.startswith("/") or rest == "/:memory:":
            return None
        path = rest[1:].split("?", 1)[0]
        return path + suffix if path and path != ":memory:" else None
