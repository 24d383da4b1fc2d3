"""Simultaneous submissions to one service all get a number: none is lost to the race."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from web_support import in_process, kia_body, new_key, settings_for


def test_sixty_simultaneous_submissions_all_get_their_own_number(tmp_path: Path) -> None:
    """60 submissions at once to one service's counter: 60 receipts with 60 distinct numbers."""
    with in_process(settings_for(tmp_path, submissions_per_minute=1000)) as client:

        def submit(_: int) -> tuple[int, str]:
            sent = client.post(
                "/api/v1/applications", json=kia_body(), headers={"Idempotency-Key": new_key()}
            )
            return sent.status_code, sent.json().get("number", sent.text)

        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(submit, range(60)))
    assert [status for status, _ in answers] == [201] * 60, answers
    assert len({number for _, number in answers}) == 60
