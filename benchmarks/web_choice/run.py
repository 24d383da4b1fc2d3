"""Measure the web framework candidates for `onestop serve` (issue 17), in one run.

    PYTHONPATH=src python benchmarks/web_choice/run.py [--seconds 3] [--json]

For each server (uvicorn with uvloop and httptools, granian if installed) and each app
(bare ASGI, Litestar, Starlette) it starts the server as a subprocess with one worker and
loads it for *seconds* per endpoint with `load.measure` (32 keep-alive connections,
closed loop): ``POST /echo`` (a `PublicStatus` decoded into the attrs class and encoded
back) and ``GET /track`` (a real `Mall.track` on a SQLite store of 200 applications,
in the framework's thread pool, one store connection per thread).  Then it checks the
OpenAPI document each framework produces (openapi-spec-validator; untyped schemas) and
what each decoder does with hostile bodies.  Ratios are taken within this one run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SRC = HERE.parent.parent / "src"
sys.path[:0] = [str(HERE), str(SRC)]

import common  # noqa: E402
from load import measure  # noqa: E402

APPLICATIONS = 200
GRANIAN = shutil.which(
    "granian", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
)
APPS = {  # name: (target, environment)
    "bare": ("bare_app:app", {}),
    "litestar": ("litestar_app:app", {}),
    "litestar+cattrs": ("litestar_cattrs:app", {}),
    "litestar+cattrs, one store": ("litestar_cattrs:app", {"WEB_CHOICE_SHARED": "1"}),
    "starlette": ("starlette_app:app", {}),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command(server: str, target: str, port: int) -> list[str]:
    if server == "uvicorn":
        return [
            sys.executable,
            "-m",
            "uvicorn",
            target,
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--log-level",
            "warning",
            "--no-access-log",
        ]
    return [
        GRANIAN or "granian",
        "--interface",
        "asgi",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        target,
    ]


@contextlib.contextmanager
def serving(server: str, target: str, store: Path, extra: dict[str, str]) -> Iterator[int]:
    port = _free_port()
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(HERE), str(SRC)]),
        WEB_CHOICE_STORE=str(store),
        **extra,
    )
    process = subprocess.Popen(_command(server, target, port), cwd=HERE, env=env)  # noqa: S603
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"{server} {target} did not start")
        yield port
    finally:
        process.terminate()
        process.wait(10)


def speed(seconds: float, store: Path, pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    from starlette_app import CONVERTER

    echo_body = json.dumps(CONVERTER.unstructure(common.sample_status())).encode()
    tracks = [
        (f"/track?number={urllib.parse.quote(number, safe='')}", {"Lookup-Secret": secret})
        for number, secret in pairs
    ]
    servers = ["uvicorn"] + (["granian"] if GRANIAN else [])
    rows = []
    for server in servers:
        for name, (target, extra) in APPS.items():
            with serving(server, target, store, extra) as port:
                for endpoint in ("echo", "track"):
                    if endpoint == "echo":
                        got = measure(
                            port, "POST", [("/echo", {})], body=echo_body, seconds=seconds
                        )
                    else:
                        got = measure(port, "GET", tracks, seconds=seconds)
                    rows.append({"server": server, "app": name, "endpoint": endpoint, **got})
                    print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


def _untyped(node: Any, path: str = "") -> Iterator[str]:
    """Paths of schemas that say nothing about their value ({} or a bare object)."""
    if isinstance(node, dict):
        bare_object = node.get("type") == "object" and not (
            {"properties", "additionalProperties", "$ref"} & node.keys()
        )
        if (node == {} and "/schema" in path) or bare_object:
            yield path or "/"
        for key, value in node.items():
            if key not in ("examples", "example"):  # values, not schemas
                yield from _untyped(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _untyped(value, f"{path}/{i}")


def documents_and_decoding() -> dict[str, Any]:
    """Each framework's OpenAPI document checked, and its decoder given hostile bodies."""
    logging.disable(logging.INFO)
    import litestar_app
    import litestar_cattrs
    import starlette_app
    from litestar.testing import TestClient as LitestarClient
    from openapi_spec_validator import validate
    from starlette.testclient import TestClient as StarletteClient

    report: dict[str, Any] = {}
    clients = {
        "litestar": (LitestarClient(litestar_app.app), "/submissions/person"),
        "litestar+cattrs": (LitestarClient(litestar_cattrs.app), "/submissions"),
        "starlette": (StarletteClient(starlette_app.app), "/submissions"),
    }
    bodies: dict[str, dict[str, Any]] = {}
    for case, change in {
        "valid person": lambda b: None,
        "string for an integer": lambda b: b["documents"][0].update(size="1200"),
        "unknown key": lambda b: b.update(extra=1),
        "enum not a member": lambda b: b.update(channel="fax"),
        "attrs validator refuses": lambda b: b["applicant"].update(identity_scheme="NOT A SCHEME"),
    }.items():
        body = common.sample_submission_json()
        change(body)
        bodies[case] = body
    organisation = common.sample_submission_json()
    organisation["applicant"] = {
        "business_number": "01.234",
        "name": "PT X",
        "contact_person": None,
    }
    for name, (client, path) in clients.items():
        with client:
            document = client.get("/schema/openapi.json").json()
            try:
                validate(document)
                valid = "valid"
            except Exception as error:  # noqa: BLE001
                valid = f"invalid: {error}"[:200]
            decoding = {
                case: client.post(path, json=body).status_code for case, body in bodies.items()
            }
            report[name] = {
                "openapi": document.get("openapi"),
                "validator": valid,
                "untyped in our types": list(_untyped(document.get("components", {}))),
                "untyped elsewhere": list(_untyped(document.get("paths", {}))),
                "schemas": sorted(document.get("components", {}).get("schemas", {})),
                "decoding": decoding,
            }
    report["starlette"]["decoding"]["organisation (union)"] = (
        StarletteClient(starlette_app.app).post("/submissions", json=organisation).status_code
    )
    report["litestar+cattrs"]["decoding"]["organisation (union)"] = (
        LitestarClient(litestar_cattrs.app).post("/submissions", json=organisation).status_code
    )
    report["litestar"]["decoding"]["organisation (union)"] = _litestar_union(organisation)
    return report


def _litestar_union(body: dict[str, Any]) -> int:
    from litestar import Litestar, post
    from litestar.plugins.attrs import AttrsSchemaPlugin
    from litestar.testing import TestClient

    @post("/submissions")
    async def submit(data: common.SubmissionRequest) -> None:
        return None

    app = Litestar([submit], plugins=[AttrsSchemaPlugin()], logging_config=None)
    with TestClient(app) as client:
        return client.post("/submissions", json=body).status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-speed", action="store_true", help="only the documents")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "store.sqlite3"
        pairs = common.build_store(store, APPLICATIONS)
        rows = [] if args.no_speed else speed(args.seconds, store, pairs)
    report = {"speed": rows, "documents": documents_and_decoding()}
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print("| server | app | endpoint | requests/s | p50 ms | p99 ms | statuses | client CPU |")
    print("|---|---|---|---:|---:|---:|---|---:|")
    for r in rows:
        print(
            f"| {r['server']} | {r['app']} | {r['endpoint']} | {r['rps']:,.0f} | "
            f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['codes']} | {r['client_cpu']:.2f} |"
        )
    print(json.dumps(report["documents"], indent=1))


if __name__ == "__main__":
    main()
