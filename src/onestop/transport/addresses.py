"""Which addresses a webhook may be sent to: the guard against server-side request forgery.

`onestop.transport.webhook.WebhookTransport` resolves an endpoint's host at every
delivery and refuses to send to an address that is not public (`is_public_address`),
unless the endpoint allows private addresses; `onestop.transport.webhook` re-exports
these names.

>>> is_public_address("169.254.169.254"), is_public_address("::ffff:10.0.0.1")
(False, False)
>>> is_public_address("2001:4860:4860::8888")
True
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence

from onestop.domain.common.formats import int_problem, kind_of, text_problem
from onestop.exceptions import HostNotResolved, InvalidWebhookInput

__all__ = ["Resolver", "is_public_address", "literal_address", "resolve_host"]

Resolver = Callable[[str, int], Sequence[str]]
"""Turns a host name and port into IP addresses, as text (`resolve_host` by default)."""

_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_REFUSED_V4 = tuple(
    ipaddress.IPv4Network(network)
    for network in (
        "0.0.0.0/8",  # "this network", including 0.0.0.0
        "10.0.0.0/8",
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, with cloud metadata at 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and 255.255.255.255
    )
)
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated; holds :: and ::1 too
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


_MAX_HOST = 253  # the longest DNS name, in ASCII characters


def resolve_host(host: str, port: int, /) -> list[str]:
    """Return every address *host* resolves to, in the resolver's order, without repeats.

    The system's resolver is asked only about text that can be a host name: at most
    253 characters once IDNA-encoded, with no empty or over-long label and no control
    character.

    Raises:
        onestop.exceptions.InvalidWebhookInput: If *host* is not text, or *port* not
            an integer from 0 to 65535 (a `bool` is not one).
        onestop.exceptions.HostNotResolved: If *host* is no host name, or the resolver
            finds no address for it (an `OSError` too, as ``socket.gaierror`` was).
    """
    if not isinstance(host, str):
        raise InvalidWebhookInput(argument="host", reason=f"expected text, not {kind_of(host)}")
    problem = int_problem(port, maximum=65535)
    if problem is not None:
        raise InvalidWebhookInput(argument="port", reason=problem)
    name = _host_name(host)
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except OSError as exc:  # socket.gaierror: no such name, or no answer now
        reason = exc.strerror or type(exc).__name__
        raise HostNotResolved(host=host, reason=reason) from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _host_name(host: str) -> str:
    """Return *host* as the resolver is asked about it (IDNA, ASCII), or refuse it."""
    problem = text_problem(host, max_length=_MAX_HOST * 4)
    if problem is not None:
        raise HostNotResolved(host=host, reason=f"the name {problem}")
    if literal_address(host) is not None:
        return host
    try:
        name = host.encode("idna").decode("ascii")
    except UnicodeError:  # an empty or over-long label, or text IDNA cannot encode
        raise HostNotResolved(host=host, reason="the name is not a valid host name") from None
    if not name or len(name) > _MAX_HOST or any(char.isspace() for char in name):
        raise HostNotResolved(host=host, reason="the name is not a valid host name")
    return name


def is_public_address(address: str | _IPAddress, /) -> bool:
    """Tell whether a webhook may be sent to *address* without ``allow_private``.

    Loopback, private, link-local, shared (100.64/10), reserved, benchmarking,
    multicast and unspecified addresses are not public, nor IPv6 addresses that
    embed such an IPv4 address (IPv4-mapped, 6to4, Teredo, NAT64), nor the
    deprecated IPv4-compatible ``::/96``.

    Raises:
        onestop.exceptions.InvalidWebhookInput: If *address* is not an IP address (as
            text or an `ipaddress` object); it is a `ValueError` too.
    """
    if isinstance(address, str):
        try:
            address = ipaddress.ip_address(address.partition("%")[0])
        except ValueError:
            raise InvalidWebhookInput(argument="address", reason="not an IP address") from None
    if not isinstance(address, ipaddress.IPv4Address | ipaddress.IPv6Address):
        raise InvalidWebhookInput(
            argument="address", reason=f"not an IP address but {kind_of(address)}"
        )
    if isinstance(address, ipaddress.IPv4Address):
        return _public_v4(address)
    if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d
        return _public_v4(address.ipv4_mapped)
    if address in _IPV4_COMPATIBLE:
        return False
    embedded = [address.sixtofour, *(address.teredo or ())]
    if any(address in network for network in _NAT64):
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if any(v4 is not None and not _public_v4(v4) for v4 in embedded):
        return False
    return _public_any(address)


def _public_v4(address: ipaddress.IPv4Address) -> bool:
    return not any(address in network for network in _REFUSED_V4) and _public_any(address)


def _public_any(address: _IPAddress) -> bool:
    flags = (
        isinstance(address, ipaddress.IPv6Address) and address.is_site_local,  # fec0::/10
        address.is_private,
        address.is_loopback,
        address.is_link_local,
        address.is_multicast,
        address.is_reserved,
        address.is_unspecified,
    )
    return address.is_global and not any(flags)


def literal_address(host: str) -> _IPAddress | None:
    """Return *host* as an IP address if it is one written literally, else ``None``."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None
