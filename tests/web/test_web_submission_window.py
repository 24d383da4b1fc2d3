"""The submission limit keeps each window's count as a number in the shared store,
and reads what an earlier version (Litestar's own form) or a damaged file left there."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from litestar.serialization import decode_json, encode_json
from litestar.stores.file import FileStore
from web_support import in_process, kia_body, new_key, settings_for

KEY = "_SharedRateLimit::testclient"
"""Litestar's key for the test client's address (`RateLimitMiddleware.cache_key_from_request`)."""


def _submit(client: Any) -> Any:
    return client.post(
        "/api/v1/applications", json=kia_body(), headers={"Idempotency-Key": new_key()}
    )


def _stored(limits: Path) -> Any:
    raw = anyio.run(FileStore(limits).get, KEY)
    return None if raw is None else decode_json(raw)


def _store(limits: Path, value: bytes) -> None:
    anyio.run(lambda: FileStore(limits, create_directories=True).set(KEY, value, expires_in=60))


def test_the_window_is_stored_as_a_count(tmp_path: Path) -> None:
    """After three submissions the store holds ``{"count": 3, "reset": ...}``, not a list."""
    limits = tmp_path / "limits"
    with in_process(settings_for(tmp_path, limits_dir=str(limits), submissions_per_minute=5)) as c:
        answers = [_submit(c).status_code for _ in range(3)]
    record = _stored(limits)
    assert answers == [201, 201, 201]
    assert set(record) == {"count", "reset"}
    assert record["count"] == 3
    assert 0 < record["reset"] - time.time() <= 60


def test_the_headers_count_down_from_the_limit(tmp_path: Path) -> None:
    """RateLimit-Remaining is the limit less the requests counted so far, down to 0, then 429."""
    with in_process(settings_for(tmp_path, submissions_per_minute=2)) as client:
        answers = [_submit(client) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert [a.headers["RateLimit-Remaining"] for a in answers[:2]] == ["1", "0"]
    assert answers[0].headers["RateLimit-Limit"] == "2"


@pytest.mark.parametrize(("count", "expected"), [(2, 201), (3, 429), (10**15, 429)])
def test_a_window_in_litestars_own_form_is_counted_by_its_length(
    tmp_path: Path, count: int, expected: int
) -> None:
    """A stored history of *count* timestamps (limit 3) lets the next one through only
    below the limit; a count past any list's size is refused without building one."""
    limits = tmp_path / "limits"
    reset = int(time.time()) + 60
    if count < 100:
        _store(limits, encode_json({"history": [reset - 1] * count, "reset": reset}))
    else:
        _store(limits, encode_json({"count": count, "reset": reset}))
    with in_process(settings_for(tmp_path, limits_dir=str(limits), submissions_per_minute=3)) as c:
        assert _submit(c).status_code == expected


@pytest.mark.parametrize(
    "damaged",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"count": true, "reset": 9999999999}',
        b'{"count": -1, "reset": 9999999999}',
        b'{"count": 1.5, "reset": 9999999999}',
        b'{"count": 99, "reset": "soon"}',
        b'{"history": "abc", "reset": 9999999999}',
    ],
)
def test_a_damaged_window_starts_over(tmp_path: Path, damaged: bytes) -> None:
    """A stored window that cannot be read is a new window (201 and a count of 1), not a 500."""
    limits = tmp_path / "limits"
    _store(limits, damaged)
    with in_process(settings_for(tmp_path, limits_dir=str(limits), submissions_per_minute=3)) as c:
        status = _submit(c).status_code
    assert status == 201
    assert _stored(limits)["count"] == 1


def test_an_expired_window_starts_over(tmp_path: Path) -> None:
    """A full window whose reset has passed counts from one again."""
    limits = tmp_path / "limits"
    _store(limits, encode_json({"count": 3, "reset": int(time.time()) - 1}))
    with in_process(settings_for(tmp_path, limits_dir=str(limits), submissions_per_minute=3)) as c:
        status = _submit(c).status_code
    assert status == 201
    assert _stored(limits)["count"] == 1


def test_requests_the_limit_does_not_count_leave_the_window_alone(tmp_path: Path) -> None:
    """Tracking, catalogue and health requests between submissions add nothing to the count."""
    limits = tmp_path / "limits"
    with in_process(settings_for(tmp_path, limits_dir=str(limits), submissions_per_minute=3)) as c:
        first = _submit(c)
        others = [
            c.get("/healthz").status_code,
            c.get("/api/v1/services").status_code,
            c.get("/api/v1/tracking", params={"number": "x"}).status_code,
        ]
    assert first.status_code == 201
    assert 200 in others
    assert _stored(limits)["count"] == 1
