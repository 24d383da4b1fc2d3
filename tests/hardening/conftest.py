"""Fixtures of the public-surface harness: the seeded session, the example counter, and
a resolver that never asks the network."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from surface_harness import (
    NATS_URL,
    POSTGRES_URL,
    Session,
    drop_our_schemas,
    drop_our_stream,
    make_session,
)
from surface_oracle import Counter

EXAMPLES_PROPERTY = "surface_examples"
"""The user property each surface test reports its number of examples under."""


@pytest.fixture(scope="session")
def surface_scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch folder for the files calls read and write."""
    return tmp_path_factory.mktemp("surface")


@pytest.fixture(autouse=True)
def _in_scratch(surface_scratch: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each surface test runs in the scratch folder: whatever a hostile relative path
    makes lands there."""
    monkeypatch.chdir(surface_scratch)


@pytest.fixture(scope="session")
def surface(surface_scratch: Path) -> Session:
    """The seed, its pools and the planner, built once per test process."""
    return make_session(surface_scratch)


@pytest.fixture
def counter(request: pytest.FixtureRequest) -> Iterator[Counter]:
    """Counts a test's examples and reports them as a user property (summed at the end)."""
    counted = Counter()
    yield counted
    request.node.user_properties.append((EXAMPLES_PROPERTY, counted.examples))


def _server_hosts() -> frozenset[str]:
    """The host names of the test servers (and ``localhost``): the names still looked up."""
    hosts = {"localhost"}
    for url in (POSTGRES_URL, NATS_URL):
        for part in url.split(","):
            host = urlsplit(part.strip()).hostname if part.strip() else None
            if host:
                hosts.add(host.lower())
    return frozenset(hosts)


@pytest.fixture(scope="session", autouse=True)
def _no_name_lookups() -> Iterator[None]:
    """Hostile calls never ask DNS: a host name resolves to nothing, as on a machine offline.

    Entry points such as ``resolve_host`` are driven with host names; asking the
    network would make the outcome (and the time a call takes) depend on it.  Numeric
    addresses, in any form the system parses, and the test servers' own host names
    still resolve.
    """
    real = socket.getaddrinfo
    allowed = _server_hosts()

    def offline(
        host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
    ) -> Any:
        if host is None or (isinstance(host, str) and host.lower() in allowed):
            return real(host, port, family, type, proto, flags)
        try:
            return real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        except socket.gaierror:
            raise socket.gaierror(
                socket.EAI_NONAME, "the harness resolves no host names (no network)"
            ) from None

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", offline)
        yield


@pytest.fixture(scope="session", autouse=True)
def _no_schema_left() -> Iterator[None]:
    """Hostile calls of the PostgreSQL store make schemas of this run's name: every one is
    dropped when the run ends, so the test database is left as it was found."""
    yield
    drop_our_schemas()


@pytest.fixture(scope="session", autouse=True)
def _no_stream_left() -> Iterator[None]:
    """Hostile calls of the NATS publisher make this run's JetStream stream: it is deleted
    when the run ends, so the test server is left as it was found."""
    yield
    drop_our_stream()
