"""Hooks and fixtures shared by the whole test suite: tests that need real servers.

Tests marked ``postgres`` or ``nats`` need the server their environment variable
names (``ONESTOP_TEST_POSTGRES_URL``, ``ONESTOP_TEST_NATS_URL``); without it they are
skipped, with the reason shown in the summary (``-ra``).  Continuous integration sets
``ONESTOP_REQUIRE_SERVICES=1``, which turns any skip of such a test into a failure, so
a missing service can never pass unnoticed.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

SERVICES = {"postgres": "ONESTOP_TEST_POSTGRES_URL", "nats": "ONESTOP_TEST_NATS_URL"}
"""Each service marker and the environment variable naming its server."""


def _services_required() -> bool:
    return os.environ.get("ONESTOP_REQUIRE_SERVICES", "") not in ("", "0")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Fail, rather than skip, a service test when ONESTOP_REQUIRE_SERVICES is set."""
    report = yield
    services = [name for name in SERVICES if item.get_closest_marker(name) is not None]
    if report.skipped and services and _services_required() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = (
            f"skipped ({reason}), but ONESTOP_REQUIRE_SERVICES=1 requires"
            f" {' and '.join(services)}: set {' and '.join(SERVICES[s] for s in services)}"
        )
    return report


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The URL of the PostgreSQL server for tests; skips the test when none is set."""
    url = os.environ.get(SERVICES["postgres"], "")
    if not url:
        pytest.skip(f"{SERVICES['postgres']} is not set")
    return url
