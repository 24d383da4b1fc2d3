"""Run every onestop benchmark in one process and print the figures.

Usage::

    python benchmarks/run.py [--quick] [--json] [--size N] [--only NAME]

Each ``bench_<topic>.py`` module next to this file exposes
``run(quick: bool, size: int | None = None) -> list[Result]``; they are run in name
order.  ``--json`` prints one object ``{"results": [...]}``; otherwise a table.
Nothing is installed: the peers come from the project's ``bench`` dependency group.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _benchlib import Result  # noqa: E402 - needs the path set above


def modules() -> list[str]:
    """Return the names of the benchmark modules, sorted."""
    return sorted(path.stem for path in HERE.glob("bench_*.py"))


def collect(*, quick: bool, size: int | None = None, only: Sequence[str] = ()) -> list[Result]:
    """Run the benchmark modules (those named in *only*, or all) and return their results."""
    results: list[Result] = []
    for name in modules():
        if only and name.removeprefix("bench_") not in only and name not in only:
            continue
        module = importlib.import_module(name)
        results.extend(module.run(quick, size))
    return results


def _table(results: Sequence[Result]) -> str:
    rows = [("name", "value", "unit", "peer value", "ratio", "goal", "met")]
    for r in results:
        rows.append(
            (
                r.name,
                f"{r.value:,.1f}",
                r.unit,
                "" if r.peer_value is None else f"{r.peer_value:,.1f}",
                "" if r.ratio is None else f"{r.ratio:.3f}",
                r.goal or "",
                "" if r.met is None else ("yes" if r.met else "NO"),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, run the benchmarks and print the results; return 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="smaller workloads, same shape")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--size", type=int, default=None, help="override the workload size")
    parser.add_argument("--only", action="append", default=[], help="run only this module")
    args = parser.parse_args(argv)
    results = collect(quick=args.quick, size=args.size, only=args.only)
    if args.json:
        print(json.dumps({"results": [r.as_dict() for r in results]}, indent=2))
    else:
        print(_table(results))
        for r in results:
            if r.peer:
                print(f"  {r.name}: compared with {r.peer}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
