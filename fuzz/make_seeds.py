"""Write the catalogue fuzz's seed inputs (examples and test catalogues) into a directory.

Usage: ``python fuzz/make_seeds.py fuzz/seeds``.  Each seed is laid out as
`fuzz_catalogue.layout` reads it: the example catalogues as single TOML files, as
directories of their files, and dumped to one JSON file; the files of
tests/catalogue/valid and tests/catalogue/broken (the last cut to 4 KiB) alone.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from fuzz_catalogue import SEPARATOR

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 4096


def seeds() -> list[bytes]:
    """Return every seed input."""
    from onestop.usecases.catalogue.loading import dump_catalogue, load_catalogue

    found: list[bytes] = []
    for folder in sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir()):
        files = sorted(folder.rglob("*.toml"))
        found += [b"\x01" + f.read_bytes() for f in files]
        found.append(b"\x02" + SEPARATOR.join(b"\x00" + f.read_bytes() for f in files))
        found.append(b"\x00" + dump_catalogue(load_catalogue(folder)).encode())
    for folder in ("valid", "broken"):
        for file in sorted((ROOT / "tests" / "catalogue" / folder).iterdir()):
            mode = b"\x00" if file.suffix == ".json" else b"\x01"
            found.append(mode + file.read_bytes()[:LIMIT])
    minimal = ROOT / "tests" / "catalogue" / "valid" / "minimal.toml"
    found.append(b"\x00" + dump_catalogue(load_catalogue(minimal)).encode())
    head, services = minimal.read_bytes().split(b"[[services]]", 1)
    found.append(b"\x02\x00" + head + SEPARATOR + b"\x01" + b"[[services]]" + services)
    return found


def main() -> None:
    """Write each seed to the directory named on the command line, named by its hash."""
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for seed in seeds():
        (out / hashlib.sha1(seed, usedforsecurity=False).hexdigest()).write_bytes(seed)


if __name__ == "__main__":
    main()
