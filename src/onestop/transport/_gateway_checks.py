"""What an agency gateway accepts: its endpoint's parts and its wiring, checked once.

Private to `onestop.transport.gateway`.  `AgencyEndpoint` converts and checks its
fields here, and `AgencyGateway` its collaborators, so that a setting of the wrong
kind is a `onestop.exceptions.ConfigurationError` when the gateway is built, never an
``AttributeError`` or a ``TypeError`` at its first delivery.  `goes_to`, the rule of
which applications are an agency's, is shared with the agencies' callbacks.
"""

# No ``from __future__ import annotations``: `codes` and `frozen_headers` are the
# converters of `AgencyEndpoint`, whose ``__init__`` attrs annotates with their
# parameters' annotations, which must then be objects, not names to look up in
# `onestop.transport.gateway` (where the API docs would look for them).

import warnings
from collections.abc import Callable, Collection, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import attrs

from onestop.domain.common.formats import (
    CATALOGUE_CODE,
    MAX_NAME,
    int_problem,
    kind_of,
    text_problem,
)
from onestop.domain.common.kinds import seconds_problem
from onestop.exceptions import ConfigurationError
from onestop.transport._retry import RetryPolicy, in_delivery
from onestop.transport.breaker import CircuitBreaker

if TYPE_CHECKING:
    from onestop.transport.gateway import AgencyEndpoint

__all__ = [
    "DEFAULT_RETRY",
    "check_endpoint",
    "check_retry",
    "check_wiring",
    "codes",
    "frozen_headers",
    "header_text",
    "url_repr",
]

DEFAULT_RETRY = RetryPolicy(base=0.5, cap=10.0, max_attempts=3, jitter=False)
"""An agency gateway's retries by default: three requests, 0.5 then 1 second apart."""


def goes_to(code: str, services: Collection[str], *, service: str, agency: str) -> bool:
    """Tell whether applications of *service*, provided by *agency*, are agency *code*'s:
    those of *services* when any are given, else those of the services *code* provides.

    The one rule for where the gateway forwards (`AgencyEndpoint.serves`) and which
    applications an agency's callbacks may move
    (`onestop.transport.inbound.callbacks.AgencyCallbacks`).
    """
    return service in services if services else agency == code


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
        ConfigurationError: If the URL or the token is not fit for a request, or
            the base URL holds credentials (``user:password@``).
    """
    CATALOGUE_CODE.check(endpoint.code, field="code")
    for name, value in (("base_url", endpoint.base_url), ("path", endpoint.path)):
        if not header_text(value) or " " in value:
            raise ConfigurationError(f"{name} must be a URL: visible ASCII without spaces")
    if not endpoint.base_url.startswith(("https://", "http://")):
        raise ConfigurationError("base_url must start with https:// (or http://)")
    try:
        netloc = urlsplit(endpoint.base_url).netloc
    except ValueError:  # an unclosed IPv6 bracket
        raise ConfigurationError("base_url must be a URL") from None
    if "@" in netloc:
        raise ConfigurationError(
            "base_url must not hold credentials (user:password@): give them as the"
            " endpoint's token or headers, which are never shown"
        )
    if endpoint.token is not None and not (header_text(endpoint.token) and endpoint.token):
        raise ConfigurationError("the token must be visible ASCII text, without line breaks")


def url_repr(url: str) -> str:
    """Show *url* without its query or fragment, which may carry a key."""
    parts = urlsplit(url)
    return repr(parts._replace(query="", fragment="").geturl())


def check_wiring(
    *,
    applications: object,
    breaker: object,
    effect: object,
    clock: object = None,
) -> None:
    """Refuse an `AgencyGateway`'s collaborators of the wrong kind.

    Raises:
        ConfigurationError: If *applications* has no ``application`` method, *breaker*
            is neither ``None`` nor a `CircuitBreaker`, *effect* is not text of at most
            200 characters, or *clock* is neither ``None`` nor an object with a ``now``
            method.
    """
    if not callable(getattr(applications, "application", None)):
        raise ConfigurationError("applications must have an application(id) method (a Mall)")
    if breaker is not None and not isinstance(breaker, CircuitBreaker):
        raise ConfigurationError(f"breaker must be a CircuitBreaker, not {kind_of(breaker)}")
    if clock is not None and not callable(getattr(clock, "now", None)):
        raise ConfigurationError(f"clock must have a now() method, not {kind_of(clock)}")
    problem = text_problem(effect, max_length=MAX_NAME)
    if problem is not None:
        raise ConfigurationError(f"effect {problem}")


# --- retries ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class _Backoff(RetryPolicy):
    """A policy whose ceilings are a function's (the deprecated ``backoff=``)."""

    backoff: Callable[[int], float]

    def ceiling(self, failures: int, /) -> float:
        """Return the function's wait after *failures* failures, at most `cap`."""
        wait: object = self.backoff(max(failures, 1))
        problem = seconds_problem(wait)
        if problem is not None:
            raise ConfigurationError(f"an agency gateway's backoff returned a wait that {problem}")
        return min(self.cap, float(wait))  # type: ignore[arg-type]  # checked above


def check_retry(retry: object, *, sleep: object, **legacy: object) -> RetryPolicy:
    """Return an `AgencyGateway`'s retry policy: *retry*, or one built from *legacy* options.

    The options ``attempts``, ``max_delay`` and ``backoff`` (``None`` when not given)
    are deprecated since 0.2.0, to be removed in 0.3.0: they are checked, then turned
    into a policy (``max_attempts=attempts``, ``cap=max_delay``, the backoff's waits)
    with a `DeprecationWarning` that names ``retry=RetryPolicy(...)``.

    Raises:
        ConfigurationError: If *retry* and a deprecated option are both given, *retry*
            is not a `RetryPolicy` with `RetryPolicy.max_attempts` (a gateway retries
            within one delivery; the relay is the one that tries for ever), *attempts*
            is not an integer from 1 to 100, *max_delay* not a number of seconds above 0,
            *backoff* or *sleep* not a function.
    """
    given = {name: value for name, value in legacy.items() if value is not None}
    if given and retry is not None:
        raise ConfigurationError(
            f"give an agency gateway retry=RetryPolicy(...) or the deprecated"
            f" {', '.join(sorted(given))}, not both"
        )
    if given:
        return _legacy_policy(**legacy)
    return in_delivery(retry, sleep=sleep, default=DEFAULT_RETRY)


def _legacy_policy(
    *, attempts: object = None, max_delay: object = None, backoff: object = None
) -> RetryPolicy:
    """Check the deprecated options, warn, and return the policy they stand for."""
    count = 3 if attempts is None else attempts
    problem = int_problem(count, minimum=1, maximum=100)
    if problem is not None:
        raise ConfigurationError(f"an agency gateway's attempts {problem}")
    cap = 10.0 if max_delay is None else max_delay
    problem = seconds_problem(cap, positive=True)
    if problem is not None:
        raise ConfigurationError(f"an agency gateway's max_delay {problem}")
    if backoff is not None and not callable(backoff):
        raise ConfigurationError(f"backoff must be a function, not {kind_of(backoff)}")
    named = ", ".join(
        name
        for name, value in (("attempts", attempts), ("max_delay", max_delay), ("backoff", backoff))
        if value is not None
    )
    warnings.warn(
        f"AgencyGateway's {named} is deprecated and goes in 0.3.0: pass"
        " retry=RetryPolicy(max_attempts=..., cap=..., base=..., jitter=False)"
        " (onestop.transport.relay.RetryPolicy) instead",
        DeprecationWarning,
        stacklevel=4,
    )
    cap = float(cap)  # type: ignore[arg-type]  # seconds_problem() proved it a number
    base = min(0.5, cap)
    if backoff is None:
        return RetryPolicy(base=base, cap=cap, max_attempts=count, jitter=False)  # type: ignore[arg-type]
    return _Backoff(base=base, cap=cap, max_attempts=count, jitter=False, backoff=backoff)  # type: ignore[arg-type]
