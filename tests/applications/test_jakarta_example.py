"""The runnable Jakarta walkthrough in ``examples/`` runs and tells the whole story."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parents[2] / "examples" / "jakarta_walkthrough.py"


def test_jakarta_walkthrough_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The example prints each step, the moved due date, the refusal and an on-time report."""
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out

    assert "Submitted dpmptsp-dki/slf/2025/000001; due Mon 28 Jul 2025 16:00 WIB" in out
    assert "[id] Berkas atau rencana perlu diperbaiki | due (jam berhenti / clock paused)" in out
    assert "[en] Checking the file is complete | due Wed 30 Jul 2025 08:35" in out
    assert "already took 'verify'" in out
    assert "[id] Izin terbit dan dikirim secara elektronik | due (selesai / closed)" in out
    assert "Audit chain intact: True" in out
    assert "SLA dpmptsp-dki/slf: on time 1, late 0, paused 8:35:00" in out
