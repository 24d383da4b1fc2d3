"""What the privacy tests share besides fixtures: a hand clock and its start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2026, 3, 2, 9, tzinfo=UTC)


class HandClock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.at = START

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta
