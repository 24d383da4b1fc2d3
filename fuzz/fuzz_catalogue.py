#!/usr/bin/env python3
"""A coverage-guided fuzz of the catalogue loader (atheris); see docs/how-to/fuzz-the-loader.md.

Each input is one catalogue, written to a scratch directory and loaded as
``onestop catalogue validate`` loads it.  Its first byte chooses the layout:

* ``0`` (mod 3): the rest is one ``catalogue.json`` file;
* ``1``: the rest is one ``catalogue.toml`` file;
* ``2``: the rest is a directory of up to 4 files, separated by `SEPARATOR`; the first
  byte of each part makes it ``.json`` (odd) or ``.toml`` (even).

`check_input` is the oracle, shared with the replay test (tests/catalogue/test_corpus.py):
loading raises nothing but `onestop.exceptions.OnestopError`, every problem prints as
UTF-8, and a catalogue that loads without problems publishes, exports and loads back
equal from its canonical bytes.  Run it with::

    fuzz/fuzz_catalogue.py -dict=fuzz/catalogue.dict -timeout=2 -rss_limit_mb=1024 \\
        -max_total_time=600 fuzz/corpus tests/corpus/catalogue
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

SEPARATOR = b"\n%%%%\n"
"""Separates the files of a directory input."""
MAX_PARTS = 4
"""The most files a directory input holds."""
AT = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)
"""The instant exports are made at."""


def layout(data: bytes) -> list[tuple[str, bytes]]:
    """Return the files (relative name, content) that the fuzz input *data* stands for."""
    if not data:
        return [("catalogue.toml", b"")]
    mode, rest = data[0] % 3, data[1:]
    if mode == 0:
        return [("catalogue.json", rest)]
    if mode == 1:
        return [("catalogue.toml", rest)]
    files = []
    for i, part in enumerate(rest.split(SEPARATOR)[:MAX_PARTS]):
        suffix = ".json" if part[:1] and part[0] % 2 else ".toml"
        files.append((f"part{i}/file{i}{suffix}", part[1:]))
    return files


def write(files: list[tuple[str, bytes]], root: Path) -> Path:
    """Write *files* under a fresh *root*; return the path to load (a file or *root*)."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for name, content in files:
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return root / files[0][0] if len(files) == 1 and "/" not in files[0][0] else root


def check_input(data: bytes, root: Path) -> None:
    """Load the catalogue *data* stands for; raise AssertionError (or worse) on a bug."""
    from onestop.domain.workflow.guards import default_guards
    from onestop.exceptions import OnestopError
    from onestop.interop import cpsv, open311
    from onestop.usecases.catalogue.loading import (
        catalogue_from_data,
        dump_catalogue,
        read_catalogue,
    )
    from onestop.usecases.catalogue.publishing import canonical_catalogue

    target = write(layout(data), root)
    guards = default_guards().names()
    try:
        catalogue, problems = read_catalogue(target, known_guards=guards)
    except OnestopError:
        return
    for problem in problems:
        str(problem).encode("utf-8")
        assert "\n" not in problem.path, problem
    if catalogue is None or problems:
        return
    content = canonical_catalogue(catalogue)
    plain = json.loads(content)
    again = catalogue_from_data(plain, source="canonical", known_guards=guards)
    assert again == catalogue, "the canonical bytes load back as another catalogue"
    assert_storable(plain)
    for agency in catalogue.agencies:
        for contact in agency.contacts:
            assert contact.kind.value != "website" or contact.value.lower().startswith("http")
    for law in catalogue.legal_resources:
        assert law.uri is None or law.uri.lower().startswith(("https://", "http://"))
    dump_catalogue(catalogue).encode("utf-8")
    for exported in (
        open311.services(catalogue, at=AT),
        open311.service_definitions(catalogue, at=AT),
        cpsv.to_jsonld(catalogue, at=AT),
    ):
        json.dumps(exported, ensure_ascii=False).encode("utf-8")


def assert_storable(plain: object) -> None:
    """Assert that every integer in *plain* fits a signed 64-bit column (walked by a loop)."""
    stack = [plain]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            assert -(2**63) <= value < 2**63, "an integer no store holds was accepted"


def main() -> None:
    """Run atheris over `check_input` with the command line's libFuzzer options."""
    import atheris

    with atheris.instrument_imports(include=["onestop", "tomllib", "cattrs"]):
        import onestop.interop.cpsv
        import onestop.interop.open311
        import onestop.usecases.catalogue.loading
        import onestop.usecases.catalogue.publishing  # noqa: F401 - instrumented before the first input

    root = Path(tempfile.mkdtemp(prefix="onestop-fuzz-", dir="/dev/shm")) / "input"

    def one_input(data: bytes) -> None:
        check_input(data, root)

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
