"""Schemathesis' run of the live server repeated per role: as a citizen (no credential),
an officer, an approver, a courier and an inspector (each with an API token).

Each run is `test_web_schemathesis.py`'s (every check, the same configuration and hooks)
with the role's credential, over a store holding an application of each of two agencies
whose applicants are canaries.  No answer may be a 5xx, and no answer to a role may carry
the canaries of an application whose personal data that role may not see: the hooks'
``no_forbidden_canary`` check reads each answer during the run, and every answer the
HAR report keeps is read again here.  The runs are small (the coverage phase and a few
examples each); ``ONESTOP_SCHEMATHESIS_REQUESTS`` raises them as it raises the main run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_web_schemathesis import _max_examples, _statuses, _wanted
from web_staff_support import CANARY_A, CANARY_B, PERSONAS, kia_canary, staf_canary, staff_catalogue
from web_support import SRC, ServerProcess, new_key, settings_for, staff_accounts

HERE = Path(__file__).resolve().parent

ROLES: dict[str, tuple[str | None, tuple[tuple[str, str], ...]]] = {
    "citizen": (None, (CANARY_A, CANARY_B)),
    "officer": ("officer-a", (CANARY_B,)),
    "approver": ("approver-b", (CANARY_A,)),
    "courier": ("courier-a", (CANARY_A, CANARY_B)),
    "inspector": ("inspector-1", (CANARY_A, CANARY_B)),
}
"""Each role's account (``None``: no credential) and the canaries it may never see."""


def _har_leaks(har: Path, forbidden: list[str]) -> list[str]:
    entries: list[dict[str, Any]] = json.loads(har.read_text(encoding="utf-8"))["log"]["entries"]
    found = []
    for entry in entries:
        text = entry["response"].get("content", {}).get("text") or ""
        found += [f"{entry['request']['url']}" for value in forbidden if value in text]
    return found


@pytest.mark.slow
@pytest.mark.parametrize("role", sorted(ROLES))
def test_schemathesis_per_role_finds_no_failure_and_no_leak(tmp_path: Path, role: str) -> None:
    """The role's run passes every check, meets no 5xx, and no answer leaks a canary."""
    account, canaries = ROLES[role]
    settings = settings_for(
        tmp_path,
        catalogue=str(staff_catalogue(tmp_path)),
        submissions_per_minute=1_000_000,
        lookups_per_minute=1_000_000,
    )
    tokens = staff_accounts(settings, {account: PERSONAS[account]} if account else {})
    forbidden = [value for canary in canaries for value in canary]
    har = tmp_path / "schemathesis.har.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), str(SRC)]),
        "ONESTOP_FORBIDDEN_CANARIES": json.dumps(forbidden),
    }
    env.pop("SCHEMATHESIS_HOOKS", None)
    with ServerProcess(settings) as server:
        for body in (kia_canary(), staf_canary()):
            answer = httpx.post(
                f"{server.url}/api/v1/applications",
                json=body,
                headers={"Idempotency-Key": new_key()},
            )
            assert answer.status_code == 201, answer.text
        command = [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--no-color",
            "--config-file",
            str(HERE / "schemathesis.toml"),
            "run",
            f"{server.url}/api/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            str(_max_examples(_wanted() // len(ROLES))),
            "--seed",
            os.environ.get("ONESTOP_SCHEMATHESIS_SEED", "20261206"),
            "--report",
            "har",
            "--report-har-path",
            str(har),
        ]
        if account is not None:
            command += ["--header", f"Authorization: Bearer {tokens[account]}"]
        run = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
        )
        log = server.log()
    summary = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, summary
    statuses = _statuses(har)
    assert not [status for status in statuses if status >= 500], statuses
    assert '"request_failed"' not in log
    assert _har_leaks(har, forbidden) == []
