"""What the online mall's tests share: settings, an in-process client, a real server.

- `settings_for` makes `ServeSettings` over a fresh SQLite store (or a given URL) in a
  test's directory, with a new master key file.
- `in_process` runs the application in the test's process (Litestar's test client, over
  httpx): fast, for behaviour.
- `ServerProcess` starts `onestop serve` as a real process on a free loopback port and
  stops it with SIGTERM: for what only a real server shows (several workers, shutdown).
- `staff_accounts` makes staff accounts (roles, the password `PASSWORD`, an API token
  each) in a server's store, as an administrator would before or while it serves;
  `signed_in` signs one in and returns the headers of its browser session.
- `kia_body` is a valid submission of the sample Jakarta mall's ``kia`` service (a child
  identity card, online), with the applicant's fields drawn from a canary.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from onestop.privacy import generate_key_file
from onestop.web import ServeSettings, create_app

ROOT = Path(__file__).resolve().parents[2]
JAKARTA = ROOT / "examples" / "jakarta"
SRC = ROOT / "src"


def settings_for(tmp_path: Path, *, store_url: str | None = None, **options: Any) -> ServeSettings:
    """Settings over a fresh store in *tmp_path* (SQLite unless *store_url*), with new keys."""
    keys = tmp_path / "master.keys"
    if not keys.exists():
        generate_key_file(keys)
    url = store_url or f"sqlite:///{tmp_path / 'mall.sqlite3'}"
    if store_url is not None:  # no SQLite file to keep things beside
        options.setdefault("secret_file", str(_secret_file(tmp_path)))
        options.setdefault("documents_dir", str(tmp_path / "documents"))
        options.setdefault("limits_dir", str(tmp_path / "limits"))
    options.setdefault("access_log", False)
    return ServeSettings(
        catalogue=str(options.pop("catalogue", JAKARTA)),
        store_url=url,
        key_file=str(keys),
        **options,
    )


def _secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "serve.secret"
    if not path.exists():
        path.write_bytes(secrets.token_bytes(32))
    return path


PASSWORD = "a staff password for the tests"  # noqa: S105 - every test account's
"""The password of every account `staff_accounts` makes."""

SETUP = "staff-setup"
"""The administrator `staff_accounts` acts as."""


def staff_accounts(
    settings: ServeSettings,
    accounts: Mapping[str, Iterable[str | tuple[str, str]]],
    *,
    password: str = PASSWORD,
) -> dict[str, str]:
    """Make each account of *accounts* in *settings*' store: its roles (a name, mall-wide;
    a ``(role, agency)`` pair, for that agency), the *password* and an API token.

    Returns:
        Each account's API token (shown once, as the desk issues it).
    """
    from onestop.domain.common.actors import Actor
    from onestop.privacy import FileKeyProvider, Keyring
    from onestop.web._runtime import open_store, staff_desk

    admin = Actor(id=SETUP, roles=frozenset({"staff_admin"}))
    store = open_store(settings)
    try:
        desk = staff_desk(store, Keyring(FileKeyProvider(settings.key_file), store))
        tokens = {}
        for account, roles in accounts.items():
            desk.add(account, by=admin)
            for role in roles:
                name, agency = (role, None) if isinstance(role, str) else role
                desk.grant(account, name, agency=agency, by=admin)
            desk.set_password(account, password, by=admin)
            tokens[account] = desk.issue_token(account, name="tests", by=admin).token
        return tokens
    finally:
        store.close()


def signed_in(client: Any, account: str, password: str = PASSWORD) -> dict[str, str]:
    """Sign *account* in through *client* (an httpx or test client); return the headers a
    browser's requests then carry: the session and CSRF cookies, and the CSRF token."""
    answer = client.post("/api/v1/staff/session", json={"account": account, "password": password})
    assert answer.status_code == 201, answer.text
    session = answer.cookies["onestop_session"]
    csrf = answer.json()["csrf_token"]
    return {
        "Cookie": f"onestop_session={session}; onestop_csrf={csrf}",
        "X-CSRF-Token": csrf,
    }


@contextmanager
def in_process(settings: ServeSettings) -> Iterator[Any]:
    """The application of *settings*, started, behind Litestar's test client."""
    from litestar.testing import TestClient

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def swept_once(settings: ServeSettings) -> None:
    """Start the server of *settings* until its sweeper has swept once, then stop it."""
    with in_process(settings) as client:
        assert client.app.state.sweeper.wait_for(1, timeout=30)


def kia_body(*, name: str = "Ani Lestari", nik: str = "3171012501900001") -> dict[str, Any]:
    """A valid online submission of ``kia``; *name* and *nik* may carry a canary."""
    return {
        "service": "kia",
        "channel": "online",
        "applicant": {"identity_number": nik, "identity_scheme": "id-nik", "name": name},
        "answers": {"child_nik": "3171016512150002", "child_name": name, "age_group": "under_5"},
    }


def new_key() -> str:
    """A fresh ``Idempotency-Key``."""
    return uuid.uuid4().hex


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServerProcess:
    """``onestop serve`` in a child process, on loopback; a context manager.

    Its stderr (the access log, as JSON lines) is kept in `log_path`.
    """

    startup_seconds = 90.0
    """How long it may take to answer ``/healthz`` (several workers on a busy machine are slow)."""

    def __init__(self, settings: ServeSettings, *, extra: tuple[str, ...] = ()) -> None:
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(settings.catalogue).parent / "unused"
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """The command line that starts the server."""
        s = self.settings
        line = [sys.executable, "-m", "onestop", "serve", s.catalogue, "--store", s.store_url]
        line += ["--port", str(self.port), "--workers", str(s.workers)]
        for flag, value in (
            ("--key-file", s.key_file),
            ("--secret-file", s.secret_file),
            ("--documents-dir", s.documents_dir),
            ("--limits-dir", s.limits_dir),
            ("--public-url", s.public_url),
        ):
            if value is not None:
                line += [flag, value]
        line += ["--submissions-per-minute", str(s.submissions_per_minute)]
        line += ["--lookups-per-minute", str(s.lookups_per_minute)]
        return [*line, *self.extra]

    def __enter__(self) -> ServerProcess:
        """Start the server and wait until ``/healthz`` answers (`startup_seconds` at most)."""
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        self.log_path = Path(self.settings.key_file or ".").parent / f"serve-{self.port}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(self.command(), stderr=log, stdout=log, env=env)
        deadline = time.monotonic() + self.startup_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.__exit__(None, None, None)
        raise RuntimeError(f"the server did not answer /healthz in {self.startup_seconds} s")

    def __exit__(self, *_: object) -> None:
        """Stop the server with SIGTERM, as an orchestrator does; kill it after 20 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        """What the server wrote to stderr and stdout so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def workers(self) -> dict[str, int]:
        """Each request the access log holds so far: its worker's pid, by request id."""
        found = {}
        for line in self.log().splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("event") == "request":
                found[event["request_id"]] = event["worker"]
        return found

    def workers_once_logged(self, request_ids: Iterable[str]) -> dict[str, int]:
        """`workers`, once each of *request_ids* is in the log (a worker logs a request
        just after answering it) or ten seconds have passed."""
        wanted = list(request_ids)
        deadline = time.monotonic() + 10
        while True:
            found = self.workers()
            if all(r in found for r in wanted) or time.monotonic() > deadline:
                return found
            time.sleep(0.05)
