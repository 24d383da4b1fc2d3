"""The PostgreSQL workers example runs, its checks pass, and it leaves no schema behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "postgres_workers.py"
PREFIX = "onestop_workers_"  # the example's SCHEMA_PREFIX


def run_example(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the example as a script, from the repository's root."""
    return subprocess.run(
        [sys.executable, str(EXAMPLE)],
        cwd=ROOT,
        env={**env, "PYTHONIOENCODING": "utf-8"},
        capture_output=True,
        encoding="utf-8",
        timeout=180,
        check=False,
    )


def leftover_schemas(url: str) -> list[str]:
    """The schemas in the database whose names start with the example's prefix."""
    import psycopg  # the postgres extra; only the test that has a server needs it

    with psycopg.connect(url, autocommit=True) as conn:
        query = (
            "SELECT schema_name FROM information_schema.schemata WHERE starts_with(schema_name, %s)"
        )
        rows = conn.execute(query, (PREFIX,)).fetchall()
    return [row[0] for row in rows]


@pytest.mark.postgres
@pytest.mark.slow
def test_workers_share_a_mall_and_the_relay_sees_every_event_once(postgres_url: str) -> None:
    """Four processes close every application; chains verify; the relay saw each event once."""
    before = set(leftover_schemas(postgres_url))
    done = run_example({**os.environ, "ONESTOP_POSTGRES_URL": postgres_url})
    out = done.stdout

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in out + done.stderr
    schema = re.search(rf"^Schema ({PREFIX}[0-9a-f]{{8}}): 40 applications submitted", out, re.M)
    assert schema is not None, out
    assert "4 worker processes, one pool each:" in out
    workers = re.findall(
        r"^  officer-(\d) \(pid \d+\): verified (\d+), approved (\d+), rejected (\d+), "
        r"conflicts retried (\d+)$",
        out,
        re.M,
    )
    assert [w[0] for w in workers] == ["1", "2", "3", "4"]
    assert sum(int(w[1]) for w in workers) == 40  # each application verified once
    assert sum(int(w[2]) + int(w[3]) for w in workers) == 40  # and decided once
    conflicts = sum(int(w[4]) for w in workers)
    assert f"Total: 80 actions, {conflicts} conflicts retried" in out
    assert "Applications closed: 40 of 40; hash chains verified: 40" in out
    assert (
        "Relay delivered 120 messages for 120 events: each exactly once True, "
        "in position order True" in out
    )
    assert "SLA licensing-office/trade-licence: on time 40, late 0, open 0, overdue 0" in out
    assert f"Schema {schema[1]} dropped" in out
    assert out.rstrip().endswith("All checks passed")
    assert schema[1] not in leftover_schemas(postgres_url)
    assert set(leftover_schemas(postgres_url)) <= before  # and no other run's either


def test_without_a_database_it_says_so_and_exits_2() -> None:
    """With no URL in the environment or the arguments, it exits 2 with a clear message."""
    env = {k: v for k, v in os.environ.items() if k != "ONESTOP_POSTGRES_URL"}
    done = run_example(env)

    assert done.returncode == 2
    assert "no database: set ONESTOP_POSTGRES_URL" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
