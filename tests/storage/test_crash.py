"""A writer process killed with SIGKILL at random moments never leaves a broken database.

A child process commits in a loop to one SQLite file: one to three events per commit,
a summary, an idempotency key and a claim on a shared counter.  It prints ``ACK`` for
a commit only after `SQLiteStore.commit` returned.  The parent kills it at a random
moment, then checks the file before starting the next child on it (reliability plan
S1 and S2).  Rounds alternate between ``synchronous=FULL`` and ``NORMAL``: both must
survive a crash of the process.  The number of kills is ``ONESTOP_CRASH_KILLS``
(50 by default).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from onestop.storage.sqlite import SQLiteStore

KILLS = int(os.environ.get("ONESTOP_CRASH_KILLS", "50"))
STREAMS = 20

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL"),
]

_WRITER = r"""
import json, random, sys
from datetime import UTC, datetime
from onestop.ports.events import Commit, IdempotencyRecord, NewEvent, SequenceClaim, Summary
from onestop.storage.sqlite import SQLiteStore

path, seed, synchronous = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(seed)
sys.stdin.readline()  # imported; wait for the go-ahead before touching the file
store = SQLiteStore.open(path, synchronous=synchronous)
print("READY", flush=True)
for index in range(10**9):
    stream = f"app-{rng.randrange(STREAMS)}"
    row = store.summary(stream)
    version = 0 if row is None else row.version
    count = rng.randint(1, 3)
    commit_id = f"{seed}-{index}"
    body = json.dumps({"commit": commit_id, "count": count, "pad": "x" * rng.randrange(3000)})
    now = datetime.now(UTC)
    events = tuple(
        NewEvent(kind="acted", body=body.encode(), hash=commit_id, previous_hash="-",
                 notice=commit_id.encode())
        for _ in range(count)
    )
    store.commit(Commit(
        stream_id=stream,
        expected_version=version,
        events=events,
        summary=Summary(
            stream_id=stream, number=f"N/{stream}", service="s", service_version=1,
            agency="a", channel="online", state="submitted", assignee=None, received=now,
            due=None, at_risk_from=None, suspended=False, closed=False,
            version=version + count, updated_at=now,
        ),
        recorded_at=now,
        idempotency=IdempotencyRecord(key=commit_id, stream_id=stream, request_digest="d",
                                      recorded_at=now),
        sequence=SequenceClaim(name="commits", value=store.sequence("commits") + 1),
    ))
    sys.stdout.write(f"ACK {commit_id} {stream} {version + count}\n")
    sys.stdout.flush()
""".replace("STREAMS", str(STREAMS))


@dataclass
class Findings:
    """What the checks after each kill found; every list should stay empty."""

    kills: int = 0
    acked: int = 0
    committed_unacked: int = 0
    not_ok: list[str] = field(default_factory=list)
    half_applied: list[str] = field(default_factory=list)
    lost_acks: list[str] = field(default_factory=list)
    log_mismatch: list[str] = field(default_factory=list)


def _check(path: Path, acked: dict[str, tuple[str, int]], findings: Findings) -> None:
    """Check the file after a kill; record every problem in *findings*."""
    raw = sqlite3.connect(path)
    [(verdict,)] = raw.execute("PRAGMA integrity_check").fetchall()
    raw.close()
    if verdict != "ok":
        findings.not_ok.append(verdict)
    with SQLiteStore.open(path) as store:
        commits: Counter[str] = Counter()
        announced: dict[str, int] = {}
        ends: dict[str, tuple[str, int]] = {}
        total = 0
        for number in range(STREAMS):
            stream = f"app-{number}"
            events = store.read(stream)
            row = store.summary(stream)
            total += len(events)
            if [e.version for e in events] != list(range(1, len(events) + 1)):
                findings.half_applied.append(f"{stream}: versions not contiguous")
            if (0 if row is None else row.version) != len(events):
                findings.half_applied.append(f"{stream}: summary version != stream length")
            for event in events:
                body = json.loads(event.body)
                commits[body["commit"]] += 1
                announced[body["commit"]] = body["count"]
                ends[body["commit"]] = (stream, event.version)
        for commit_id, seen in commits.items():
            if seen != announced[commit_id] or store.idempotency(commit_id) is None:
                findings.half_applied.append(f"commit {commit_id} is partial")
        if store.sequence("commits") != len(commits):
            findings.half_applied.append("the counter does not match the commits")
        log = store.notifications(limit=total + 10)
        if [n.position for n in log] != list(range(1, total + 1)):
            findings.log_mismatch.append(f"{len(log)} notifications for {total} events")
        for commit_id, where in acked.items():
            if ends.get(commit_id) != where:
                findings.lost_acks.append(commit_id)
        findings.committed_unacked = len(set(commits) - set(acked))


def _start(path: Path, round_: int) -> subprocess.Popen[str]:
    """Start a writer; it waits for a line on stdin before opening the file."""
    synchronous = "FULL" if round_ % 2 == 0 else "NORMAL"
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path), str(round_), synchronous],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> Findings:
    """Kill the writer KILLS times, checking the file after each kill."""
    path = tmp_path_factory.mktemp("crash") / "centre.sqlite3"
    SQLiteStore.open(path).close()
    rng = random.Random(20250714)
    result = Findings()
    acked: dict[str, tuple[str, int]] = {}
    child = _start(path, 0)
    for round_ in range(KILLS):
        assert child.stdin is not None
        assert child.stdout is not None
        child.stdin.write("GO\n")
        child.stdin.flush()
        ready = child.stdout.readline()
        assert ready == "READY\n", child.communicate()[1]
        time.sleep(rng.uniform(0.0, 0.15))
        os.kill(child.pid, signal.SIGKILL)
        out, err = child.communicate()
        assert child.returncode == -signal.SIGKILL, err
        if round_ + 1 < KILLS:  # let the next writer import while this file is checked
            child = _start(path, round_ + 1)
        for line in out.split("\n")[:-1]:  # a line cut short by the kill is no ACK
            _, commit_id, stream, version = line.split()
            acked[commit_id] = (stream, int(version))
        result.kills += 1
        _check(path, acked, result)
    result.acked = len(acked)
    return result


def test_writer_was_killed_every_round(findings: Findings) -> None:
    """Every round ended with SIGKILL, and the writer had committed something by then."""
    assert findings.kills == KILLS
    assert findings.acked > KILLS


def test_integrity_check_is_ok_after_every_kill(findings: Findings) -> None:
    """PRAGMA integrity_check says ok after every kill."""
    assert findings.not_ok == []


def test_no_commit_is_half_applied(findings: Findings) -> None:
    """Each commit is all there or absent: events, summary version, key and counter agree."""
    assert findings.half_applied == []


def test_every_acknowledged_commit_survives(findings: Findings) -> None:
    """Every commit the writer acknowledged is stored, at the stream and version it said."""
    assert findings.lost_acks == []


def test_notifications_match_the_events(findings: Findings) -> None:
    """The notification log has one entry per stored event, positions 1..n."""
    assert findings.log_mismatch == []
