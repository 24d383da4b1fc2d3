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

SURFACE_EXAMPLES = "surface_examples"
"""The user property the public-surface harness (tests/hardening) counts examples under."""

SURFACE_MINIMUM = 20_000
"""The examples the whole harness must run when the whole suite runs with services."""

_surface = {"tests": 0, "examples": 0}


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


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Add up the hostile examples the public-surface harness ran (on workers' reports too)."""
    if report.when == "teardown":
        for name, value in report.user_properties:
            if name == SURFACE_EXAMPLES:
                _surface["tests"] += 1
                _surface["examples"] += int(value)  # type: ignore[call-overload]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many hostile examples the public-surface harness ran."""
    if _surface["tests"]:
        terminalreporter.write_line(
            f"public surface: {_surface['examples']} hostile examples in {_surface['tests']} tests"
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With services required (as in CI), a full harness run must reach 20,000 examples."""
    full = _surface["tests"] >= 500
    if full and _services_required() and _surface["examples"] < SURFACE_MINIMUM:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
