"""examples/online_client.py runs against a real `onestop serve`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from web_support import ROOT, ServerProcess, settings_for


def test_the_example_client_applies_retries_and_tracks(tmp_path: Path) -> None:
    """The example lists services, uploads, submits twice under one key and tracks."""
    with ServerProcess(settings_for(tmp_path)) as server:
        result = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "online_client.py"), server.url],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=ROOT,
        )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith("among them: Child identity card (KIA)")
    assert lines[1].startswith("uploaded a application/pdf of ")
    assert lines[2].startswith("submitted: number disdukcapil-dki/kia/")
    assert lines[2].endswith("(HTTP 201)")
    assert lines[3] == "sent again with the same key: HTTP 200, same number: True"
    assert lines[4].startswith("status: ")
