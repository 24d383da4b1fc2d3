"""A faithful test double of a national digital-ID sign-in, for `--citizen-sign-in`.

A gateway in front of the server signs in citizens and asserts who they are in a header,
``X-Citizen: SUBJECT.NUMBER.SIGNATURE``, signed with a key the server shares with it (as
an identity-aware proxy does).  A missing header is an anonymous request; a header that
does not verify is refused, never served as anonymous.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping

from onestop.exceptions import NotAuthenticated
from onestop.ports.citizens import CitizenIdentity

KEY = b"gateway-test-key-0123456789abcdef"


def assertion(subject: str, number: str) -> str:
    """The header value the gateway sends for *subject* with identity *number*."""
    mac = hmac.new(KEY, f"{subject}.{number}".encode(), hashlib.sha256).hexdigest()
    return f"{subject}.{number}.{mac}"


class GatewaySignIn:
    """Trusts the gateway's signed ``X-Citizen`` header."""

    def identify(self, headers: Mapping[str, str], /) -> CitizenIdentity | None:
        """The citizen the header asserts, ``None`` without one."""
        value = headers.get("x-citizen")
        if value is None:
            return None
        subject, _, rest = value.partition(".")
        number, _, mac = rest.partition(".")
        expected = hmac.new(KEY, f"{subject}.{number}".encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mac.encode(), expected.encode()):
            raise NotAuthenticated()
        return CitizenIdentity(
            subject=subject,
            assurance="substantial",
            identity_scheme="id-nik",
            identity_number=number,
        )


sign_in = GatewaySignIn()


class ChosenSignIn:
    """A sign-in whose answer a test chooses (`CHOSEN`), for requests with ``X-Probe``."""

    def identify(self, headers: Mapping[str, str], /) -> CitizenIdentity | None:
        """What `CHOSEN` makes of the headers; ``None`` without ``X-Probe``."""
        if "x-probe" not in headers:
            return None
        return CHOSEN[0](headers)


CHOSEN: list[Callable[[Mapping[str, str]], CitizenIdentity | None]] = [lambda headers: None]
"""The answer of `chosen` (replace its one item)."""

chosen = ChosenSignIn()
