"""``onestop serve`` is configured by flags or ``ONESTOP_SERVE_*`` variables, and checks first."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import structlog
from click.testing import CliRunner
from web_support import JAKARTA, SRC, free_port, settings_for

from onestop.cli import cli
from onestop.cli.serve import serve
from onestop.exceptions import ConfigurationError
from onestop.web import ServeSettings
from onestop.web._runtime import Runtime


def _env(tmp_path: Path, **more: str) -> dict[str, str]:
    settings = settings_for(tmp_path)
    assert settings.key_file is not None
    return {
        "ONESTOP_SERVE_STORE": settings.store_url,
        "ONESTOP_KEY_FILE": settings.key_file,
        **more,
    }


def test_help_names_the_variable_of_every_option() -> None:
    """``onestop serve --help`` lists every option with its environment variable."""
    result = CliRunner().invoke(cli, ["serve", "--help"], terminal_width=200)
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for param in serve.params:
        if param.name in ("help", "catalogue_path", "as_json"):  # --json: how to answer
            continue
        variable = "ONESTOP_KEY_FILE" if param.name == "key_file" else param.envvar
        assert isinstance(variable, str), param.name
        assert variable in text, param.name
        if param.name != "key_file":
            assert variable.startswith("ONESTOP_SERVE_")


def test_origins_as_browsers_send_them_are_taken(tmp_path: Path) -> None:
    """Origins of a scheme, a lower-case host and a port (IPv6 too) pass ``--check``."""
    origins = (
        "https://mall.example.go.id http://127.0.0.1:8080 http://[::1]:3000 http://dev_box:3000"
    )
    env = _env(tmp_path, ONESTOP_SERVE_CORS_ORIGIN=origins)
    result = CliRunner().invoke(cli, ["serve", str(JAKARTA), "--check"], env=env)
    assert result.exit_code == 0, result.output


def test_check_takes_its_settings_from_the_environment(tmp_path: Path) -> None:
    """With the store, the keys and the workers in the environment, ``--check`` passes."""
    env = _env(tmp_path, ONESTOP_SERVE_WORKERS="2", ONESTOP_SERVE_THREADS="4")
    result = CliRunner().invoke(cli, ["serve", str(JAKARTA), "--check"], env=env)
    assert result.exit_code == 0, result.output
    assert "can be served" in result.output


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("ONESTOP_SERVE_PORT", "70000", "--port"),
        ("ONESTOP_SERVE_WORKERS", "0", "--workers"),
        ("ONESTOP_SERVE_CACHE_SIZE", "-1", "--cache-size"),
        ("ONESTOP_SERVE_CACHE_SIZE", "1000001", "--cache-size"),
        ("ONESTOP_SERVE_CACHE_SIZE", "lots", "--cache-size"),
        ("ONESTOP_SERVE_PORT", "\u0661\u0668\u0661\u0662\u0660", "--port"),  # Arabic-Indic 18120
        ("ONESTOP_SERVE_WORKERS", " 2", "--workers"),
        ("ONESTOP_SERVE_CACHE_SIZE", "1_000", "--cache-size"),
        ("ONESTOP_SERVE_HOST", "mall.example.org/\n", "--host"),
        ("ONESTOP_SERVE_CORS_ORIGIN", "javascript:alert(1)", "cors_origins"),
        (
            "ONESTOP_SERVE_CORS_ORIGIN",
            "https://*",
            "cors_origins",
        ),  # any site, as Litestar reads it
        ("ONESTOP_SERVE_CORS_ORIGIN", "https://*.example.org", "cors_origins"),
        ("ONESTOP_SERVE_CORS_ORIGIN", "https://mall.example.org/", "cors_origins"),  # never sent
        ("ONESTOP_SERVE_CORS_ORIGIN", "http://mall.example.org/path", "cors_origins"),
        ("ONESTOP_SERVE_CORS_ORIGIN", "https://Mall.example.org", "cors_origins"),
        ("ONESTOP_SERVE_CORS_ORIGIN", "https://mall.example.org:443/", "cors_origins"),
        ("ONESTOP_SERVE_DOCUMENTS_DIR", "documents\n", "documents_dir"),
        ("ONESTOP_SERVE_LIMITS_DIR", " ", "limits_dir"),
        ("ONESTOP_SERVE_CALLBACK_SECRETS", "/no/such/file.json", "--callback-secrets"),
    ],
)
def test_a_bad_variable_exits_2_naming_it(
    tmp_path: Path, variable: str, value: str, named: str
) -> None:
    """A bad value in a variable stops the command with status 2 and a message naming it,
    before anything is served."""
    result = CliRunner().invoke(
        cli, ["serve", str(JAKARTA), "--check"], env=_env(tmp_path, **{variable: value})
    )
    assert result.exit_code == 2
    assert named in result.output
    assert "Traceback" not in result.output


def test_several_workers_without_a_shared_limits_dir_exit_2(tmp_path: Path) -> None:
    """Several workers over PostgreSQL without ``--limits-dir`` are refused, naming it, as
    documented; a temporary directory was made instead (one more left behind by every start
    and every ``--check``, and the counters and callback ids forgotten at each restart)."""
    import tempfile

    before = set(Path(tempfile.gettempdir()).glob("onestop-limits-*"))
    env = _env(
        tmp_path, ONESTOP_SERVE_STORE="postgresql://127.0.0.1:1/none", ONESTOP_SERVE_WORKERS="2"
    )
    result = CliRunner().invoke(cli, ["serve", str(JAKARTA), "--check"], env=env)
    assert result.exit_code == 2, result.output
    assert "--limits-dir" in result.output
    assert set(Path(tempfile.gettempdir()).glob("onestop-limits-*")) == before


def test_a_port_in_use_stops_the_start_but_not_the_check(tmp_path: Path) -> None:
    """A port something else listens on stops ``serve`` with status 2 naming
    ``--host/--port``, before anything says it is serving (it was status 3, after); a
    ``--check`` passes, as it must beside the running server a deployment replaces."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        serve = ["serve", str(JAKARTA), "--port", str(port)]
        started = CliRunner().invoke(cli, serve, env=_env(tmp_path))
        checked = CliRunner().invoke(cli, [*serve, "--check"], env=_env(tmp_path))
    assert started.exit_code == 2, started.output
    assert f"--host/--port: cannot listen on 127.0.0.1:{port}" in started.output
    assert "serving" not in started.output
    assert checked.exit_code == 0, checked.output


def test_a_bracketed_ipv6_host_is_its_address(tmp_path: Path) -> None:
    """``--host [::1]`` (as in a URL) is the address ::1: the server would listen there,
    so a port taken on ::1 is found taken (it was looked up as a host name, and failed)."""
    import socket

    try:
        taken = socket.socket(socket.AF_INET6)
        taken.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with taken:
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            cli, ["serve", str(JAKARTA), "--host", "[::1]", "--port", str(port)], env=_env(tmp_path)
        )
    assert result.exit_code == 2, result.output
    assert f"cannot listen on [::1]:{port}: Address already in use" in result.output


def test_no_keys_exits_2_before_serving(tmp_path: Path) -> None:
    """Without master keys the server refuses to start: personal data is sealed from the start."""
    env = {**_env(tmp_path), "ONESTOP_KEY_FILE": "", "ONESTOP_MASTER_KEY": ""}
    result = CliRunner().invoke(cli, ["serve", str(JAKARTA)], env=env)
    assert result.exit_code == 2
    assert "master keys" in result.output


@pytest.mark.parametrize(
    ("store", "said"),
    [
        ("sqlite://mall.sqlite3", "a sqlite URL names no host"),
        ("mall.sqlite3", "unknown store URL scheme"),
        ("sqlite:/mall.sqlite3", "a sqlite URL starts with sqlite:///"),
    ],
)
def test_a_wrong_store_url_is_named_before_the_files_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: str, said: str
) -> None:
    """A --store URL wrong in itself is what ``serve --check`` reports; nothing is made."""
    monkeypatch.chdir(tmp_path)
    env = {"ONESTOP_KEY_FILE": str(settings_for(tmp_path).key_file)}
    made = set(tmp_path.iterdir())
    result = CliRunner().invoke(cli, ["serve", str(JAKARTA), "--store", store, "--check"], env=env)
    assert result.exit_code == 2
    assert f"error: --store: {said}" in result.output
    assert "--secret-file" not in result.output
    assert set(tmp_path.iterdir()) == made


def test_a_check_that_finds_no_catalogue_makes_no_file(tmp_path: Path) -> None:
    """``serve --check`` of a missing catalogue fails without making the files beside the store."""
    env = _env(tmp_path)
    made = set(tmp_path.iterdir())
    missing = str(tmp_path / "no-such-catalogue")
    result = CliRunner().invoke(cli, ["serve", missing, "--check"], env=env)
    assert result.exit_code == 2
    assert set(tmp_path.iterdir()) == made


def test_a_server_configured_only_by_the_environment_serves(tmp_path: Path) -> None:
    """A real server started with its settings in ``ONESTOP_SERVE_*`` variables serves on
    the port they name, and a callbacks file given that way is mounted."""
    port = free_port()
    secrets = tmp_path / "callbacks.json"
    secrets.write_text(json.dumps({"bpjph": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}))
    env = {
        **os.environ,
        **_env(tmp_path),
        "PYTHONPATH": str(SRC),
        "ONESTOP_SERVE_PORT": str(port),
        "ONESTOP_SERVE_CALLBACK_SECRETS": str(secrets),
        "ONESTOP_SERVE_ACCESS_LOG": "false",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "onestop", "serve", str(JAKARTA)],
            stdout=out,
            stderr=out,
            env=env,
        )
    try:
        deadline, document = time.monotonic() + 60, None
        while document is None and time.monotonic() < deadline and process.poll() is None:
            try:
                document = httpx.get(f"http://127.0.0.1:{port}/api/openapi.json", timeout=1).json()
            except httpx.HTTPError:
                time.sleep(0.2)
        assert document is not None, log.read_text()[-2000:]
        assert "/api/v1/agencies/{agency}/callbacks" in document["paths"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_check_answers_in_json(tmp_path: Path) -> None:
    """``--check --json`` prints the check's answer as JSON; an error too, as for every command."""
    runner = CliRunner()
    good = runner.invoke(cli, ["serve", str(JAKARTA), "--check", "--json"], env=_env(tmp_path))
    bad = runner.invoke(
        cli,
        ["serve", str(JAKARTA), "--check", "--json"],
        env=_env(tmp_path, ONESTOP_SERVE_HOST="not a host"),
    )
    assert good.exit_code == 0
    assert json.loads(good.stdout)["ok"] is True
    assert bad.exit_code == 2
    assert "--host" in json.loads(bad.stdout)["error"]


@pytest.mark.parametrize("size", [True, -1, 1.5, "8", 10**6 + 1])
def test_a_cache_size_that_is_not_a_count_is_refused(size: object) -> None:
    """``cache_size`` is a whole number from 0 to a million: else ConfigurationError naming it."""
    with pytest.raises(ConfigurationError) as caught:
        ServeSettings(catalogue="c", store_url="sqlite:///m.sqlite3", cache_size=size)  # type: ignore[arg-type]
    assert "cache_size" in str(caught.value)


@pytest.mark.parametrize("size", [0, 1024, 50_000])
def test_each_worker_keeps_as_many_applications_as_the_cache_size(
    tmp_path: Path, size: int
) -> None:
    """The worker's mall is built with the configured cache size (1,024 unless given)."""
    options = {} if size == 1024 else {"cache_size": size}
    runtime = Runtime.start(settings_for(tmp_path, **options))
    try:
        assert runtime.mall.cache_size == size
    finally:
        runtime.close()


def test_a_worker_freezes_what_it_built_at_startup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker entry point (`from_environment`) freezes the startup heap once its runtime
    is up, so full collections skip it; an app from `create_app` alone freezes nothing."""
    from litestar.testing import TestClient
    from web_support import in_process

    from onestop.web._app import from_environment
    from onestop.web.settings import SETTINGS_VARIABLE

    settings = settings_for(tmp_path)
    monkeypatch.setenv(SETTINGS_VARIABLE, settings.to_json())
    logging_before = structlog.get_config()
    gc.unfreeze()
    try:
        with in_process(settings) as embedded:
            assert embedded.get("/healthz").status_code == 200
            assert gc.get_freeze_count() == 0
        with TestClient(from_environment()) as worker:
            assert worker.get("/healthz").status_code == 200
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
        structlog.configure(**logging_before)
