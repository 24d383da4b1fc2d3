"""What an agency gateway accepts: its endpoint's parts and its wiring, checked once.

Private to `onestop.transport.gateway`.  `AgencyEndpoint` converts and checks its
fields here, and `AgencyGateway` its collaborators, so that a setting of the wrong
kind is a `onestop.exceptions.ConfigurationError` when the gateway is built, never an
``AttributeError`` or a ``TypeError`` at its first delivery.
"""

# No ``from __future__ import annotations``: `codes` and `frozen_headers` are the
# converters of `AgencyEndpoint`, whose ``__init__`` attrs annotates with their
# parameters' annotations, which must then be objects, not names to look up in
# `onestop.transport.gateway` (where the API docs would look for them).

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from onestop.domain.common.formats import CATALOGUE_CODE, MAX_NAME, kind_of, text_problem
from onestop.exceptions import ConfigurationError
from onestop.transport.breaker import CircuitBreaker

if TYPE_CHECKING:
    from onestop.transport.gateway import AgencyEndpoint

__all__ = ["check_endpoint", "check_wiring", "codes", "frozen_headers", "header_text"]


def codes(value: str | Iterable[str]) -> tuple[str, ...]:
    """Return *value*, one code or several, as a tuple of codes (text)."""
    given: object = value
    if isinstance(given, str):
        return (given,)
    if not isinstance(given, Iterable) or isinstance(given, bytes | Mapping):
        raise ConfigurationError(f"expected codes, not {kind_of(given)}")
    found = tuple(given)
    if not all(isinstance(code, str) for code in found):
        raise ConfigurationError("every code must be text")
    return found


def frozen_headers(value: Mapping[str, str]) -> Mapping[str, str]:
    """Return a read-only copy of the headers *value*, each fit for an HTTP request."""
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"headers must be a mapping, not {kind_of(value)}")
    for name, text in value.items():
        if not (header_text(name) and name.strip() and header_text(text)):
            raise ConfigurationError(
                "header names and values must be visible ASCII text, without line breaks"
            )
    return MappingProxyType(dict(value))


def header_text(value: object) -> bool:
    """Whether *value* may go into an HTTP header: visible ASCII and spaces, no CR or LF."""
    return isinstance(value, str) and value.isascii() and value.isprintable()


def check_endpoint(endpoint: "AgencyEndpoint") -> None:
    """Check an endpoint's code, URL and token.

    Raises:
        InvalidValue: If the code is not a catalogue code (the endpoint re-raises it).
        ConfigurationError: If the URL or the token is not fit for a request.
    """
    CATALOGUE_CODE.check(endpoint.code, field="code")
    for name, value in (("base_url", endpoint.base_url), ("path", endpoint.path)):
        if not header_text(value) or " " in value:
            raise ConfigurationError(f"{name} must be a URL: visible ASCII without spaces")
    if not endpoint.base_url.startswith(("https://", "http://")):
        raise ConfigurationError("base_url must start with https:// (or http://)")
    if endpoint.token is not None and not (header_text(endpoint.token) and endpoint.token):
        raise ConfigurationError("the token must be visible ASCII text, without line breaks")


def check_wiring(
    *,
    applications: object,
    breaker: object,
    functions: Mapping[str, object],
    effect: object,
    clock: object = None,
) -> None:
    """Refuse an `AgencyGateway`'s collaborators of the wrong kind.

    Raises:
        ConfigurationError: If *applications* has no ``application`` method, *breaker*
            is neither ``None`` nor a `CircuitBreaker`, a function is not callable, or
            *effect* is not text of at most 200 characters, or *clock* is neither
            ``None`` nor an object with a ``now`` method.
    """
    if not callable(getattr(applications, "application", None)):
        raise ConfigurationError("applications must have an application(id) method (a Mall)")
    if breaker is not None and not isinstance(breaker, CircuitBreaker):
        raise ConfigurationError(f"breaker must be a CircuitBreaker, not {kind_of(breaker)}")
    for name, function in functions.items():
        if not callable(function):
            raise ConfigurationError(f"{name} must be a function, not {kind_of(function)}")
    if clock is not None and not callable(getattr(clock, "now", None)):
        raise ConfigurationError(f"clock must have a now() method, not {kind_of(clock)}")
    problem = text_problem(effect, max_length=MAX_NAME)
    if problem is not None:
        raise ConfigurationError(f"effect {problem}")
